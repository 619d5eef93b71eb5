// The test bed's own PKI: a test root, issuing CAs for ECDSA P-256 and RSA-2048 (each with a
// delegated OCSP responder), a time-stamping authority, a trusted-list signer for the test
// list, and an "untrusted" CA that no list names. Created in [testbed] dir at the first start
// of a test-enabled server, loaded from there afterwards.
//
// Policy:
//  * every CN starts with "TEST " (the SK ID Solutions convention), so test material is never
//    mistaken for production; certificates the test CAs issue carry kTestPolicyOid;
//  * the folder is created whole or not at all (built in a sibling folder, then renamed);
//    private keys are written 0600 and never logged;
//  * the issuing CAs become [[issuer]] entries marked `test` (issuer_configs()), so OCSP, CRLs,
//    ingest, search and the CSR ledger serve them on the production code paths.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/ossl.hpp"
#include "common/result.hpp"
#include "common/time.hpp"
#include "responder/config/config.hpp"
#include "responder/pki/cert_builder.hpp"

namespace trustmon::testbed {

// trustmon's OID arc (a UUID OID, ITU-T X.667) and what hangs under it.
inline constexpr const char* kArcOid = "2.25.241553061130575410602958452044829710487";
inline constexpr const char* kTestPolicyOid = "2.25.241553061130575410602958452044829710487.1.1";
inline constexpr const char* kTestTsaPolicyOid = "2.25.241553061130575410602958452044829710487.1.2";

struct KeyPair {
  X509Ptr cert;
  EvpPkeyPtr key;
  std::string cert_path;
  std::string key_path;
};

struct TestCa {
  std::string name;  // the issuer's name: "test-ecdsa", "test-rsa"
  pki::KeyAlgorithm algorithm = pki::KeyAlgorithm::ec_p256;
  KeyPair ca;
  KeyPair responder;  // delegated OCSP responder (id-kp-OCSPSigning, ocsp-nocheck)
};

class TestPki {
 public:
  // Loads the test PKI from `dir`, creating it first when the folder does not exist.
  // Errors: testbed_unreadable (a file is missing or does not decode), file_unwritable,
  // crypto_failed.
  static Result<TestPki> open(const std::string& dir, UnixTime now);

  const std::string& dir() const noexcept { return dir_; }
  const KeyPair& root() const noexcept { return root_; }
  const std::vector<TestCa>& cas() const noexcept { return cas_; }
  const TestCa* find(std::string_view name) const noexcept;
  const KeyPair& tsa() const noexcept { return tsa_; }              // issued by test-ecdsa
  const KeyPair& tl_signer() const noexcept { return tl_signer_; }  // issued by the root
  const KeyPair& untrusted() const noexcept { return untrusted_; }  // a self-signed CA nobody lists
  // The chain above a test CA's certificates: the CA, then the root.
  std::vector<const X509*> chain_of(const TestCa& ca) const;

  // [[issuer]] entries for the test CAs (test = true; CRLs signed here with the CA key).
  std::vector<config::IssuerConfig> issuer_configs() const;

 private:
  std::string dir_;
  KeyPair root_;
  std::vector<TestCa> cas_;
  KeyPair tsa_;
  KeyPair tl_signer_;
  KeyPair untrusted_;
};

}  // namespace trustmon::testbed
