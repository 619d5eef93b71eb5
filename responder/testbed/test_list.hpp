// The test bed's trust anchors in the files relying parties already read for production:
// a signed ETSI TS 119 612 list TL-UA-TEST.xml naming the test CAs (with this server's OCSP
// and CRL supply points) and the test TSA, and CACertificates.Test.p7b / CAs.Test.json beside
// it (the czo.gov.ua and Diia layout of CACertificates.p7b / CAs.json). Made at each start,
// signed by the test PKI's list signer; the production list never names a test CA.
#pragma once

#include <string>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "common/time.hpp"
#include "responder/testbed/test_pki.hpp"

namespace trustmon::testbed {

struct TestListFiles {
  std::string xml;       // TL-UA-TEST.xml, signed (XAdES, TL v6)
  Bytes p7b;             // CACertificates.Test.p7b
  std::string cas_json;  // CAs.Test.json
  UnixTime issued = 0;
};

// `base_url`: this server as clients reach it (supply points). The sequence number is the
// issue time, so every start publishes a greater one.
Result<TestListFiles> make_test_list(const TestPki& pki, const std::string& base_url, UnixTime now);

}  // namespace trustmon::testbed
