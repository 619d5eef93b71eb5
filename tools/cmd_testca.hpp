// trustmonctl's test CA commands (the test bed, docs/testbed.md):
//
//   testbed cas | identities                 GET /api/v1/testca/cas | identities
//   testbed issue --ca NAME --rnokpp N ...   POST /api/v1/testca/certificates; with --out DIR the
//                                            certificate, chain and (generated) key are written
//                                            there (cert.pem, chain.pem, key.pem 0600) and the
//                                            key is not printed
//   testbed fault --target T --issuer NAME --fault F [--serial HEX] [--count N] [--seconds S]
//                 [--ms MS] [--skew-seconds S]   PUT /api/v1/testca/faults
//   testbed faults | fault-remove ID         GET /api/v1/testca/faults | DELETE …/faults/{id}
//
// Exit codes as cmd_admin: 0 ok, 1 refused (the error object printed), 2 usage or transport.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "tools/cmd_admin.hpp"
#include "tools/http_client.hpp"

namespace trustmon::tools {

struct TestcaIssueOptions {
  std::string ca;
  std::string profile = "ua-qes-natural";
  std::string rnokpp, edrpou, unzr, cn;
  std::string key = "ec-p256";  // generate this key, unless csr_file is given
  std::string csr_file;
  std::string scenario;
  std::string out_dir;
};

struct TestcaFaultOptions {
  std::string target = "ocsp", issuer, fault, serial;
  std::int64_t count = 0, seconds = 0, ms = 0, skew_seconds = 0;
};

// The request body of `testbed issue` (reads the CSR file); errors: file_unreadable.
Result<nlohmann::json> testca_issue_body(const TestcaIssueOptions& options);
AdminCall testca_fault(const TestcaFaultOptions& options);

int cmd_testca_issue(HttpTransport& http, const TestcaIssueOptions& options, std::ostream& out, std::ostream& err);

}  // namespace trustmon::tools
