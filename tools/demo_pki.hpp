// Demo PKI for trying, testing and benchmarking trustmon: a root CA, two issuing CAs
// (RSA and ECDSA) each with a delegated OCSP responder, thousands of end-entity
// certificates with Ukrainian-style subjects, a revocation list for `trustmonctl revoke
// --file` and an issuers list for `trustmonctl init --issuer`.
//
// Policy: everything through the OpenSSL C API in-process (no openssl CLI), so 3000
// certificates take seconds; private keys are written 0600; demo data is not fsynced
// (it can be regenerated). Not for production use: keys are unencrypted on disk.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace trustmon::tools {

struct DemoPkiOptions {
  std::string out_dir;
  std::size_t count = 3000;        // end-entity certificates, split between the issuing CAs
  double revoked_percent = 5.0;    // share of them listed in revocations.tsv
  std::string ocsp_url = "http://127.0.0.1:8080/ocsp";  // AIA of every end-entity certificate
  bool force = false;              // replace an existing demo PKI in out_dir
  const Clock* clock = nullptr;    // nullptr = system clock
};

struct DemoIssuer {
  std::string name;            // "demo-rsa", "demo-ec"
  std::string ca_cert;         // absolute paths
  std::string ca_key;
  std::string responder_cert;
  std::string responder_key;
  std::string certs_dir;
  std::size_t certificates = 0;
  // NAME=CA,RESPONDER_CERT,RESPONDER_KEY as accepted by `trustmonctl init --issuer`.
  std::string issuer_arg() const;
};

struct DemoPkiSummary {
  std::string out_dir;  // absolute
  std::string root_cert;
  std::string root_key;
  std::vector<DemoIssuer> issuers;
  std::string revocations_file;
  std::string issuers_file;
  std::size_t certificates = 0;
  std::size_t revoked = 0;
  nlohmann::json to_json() const;
};

// Error codes: "usage_invalid", "already_exists", "file_unwritable", "crypto_failed".
Result<DemoPkiSummary> generate_demo_pki(const DemoPkiOptions& options);

}  // namespace trustmon::tools
