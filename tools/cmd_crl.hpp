// trustmonctl's CRL commands:
//
//   crl check --issuer NAME [--json]   GET /api/v1/crls/{issuer}/check: the issuer's latest
//                                      published CRL against the status data. Prints a short
//                                      summary (each category's count and its first serials),
//                                      or with --json the server's answer as is.
//
// Exit codes: 0 the CRL agrees with the status data; kExitDisagrees (3) it does not (the
// serials that differ are printed); 1 the server refused (crl_not_found, issuer_unknown,
// issuer_not_operated...: the error object is printed on stdout too, as cmd_admin does);
// 2 usage or transport error.
#pragma once

#include <iosfwd>
#include <string>

#include <nlohmann/json.hpp>

#include "tools/http_client.hpp"

namespace trustmon::tools {

inline constexpr int kExitDisagrees = 3;
// Serials printed per category in the summary (the answer lists up to 1000; --json shows them).
inline constexpr std::size_t kSummarySerials = 20;

struct CrlCheckOptions {
  std::string issuer;
  bool json = false;
};

// The request target for an issuer name (percent-encoded).
std::string crl_check_target(const std::string& issuer);
// The human summary of a check answer.
std::string crl_check_summary(const nlohmann::json& answer);
int cmd_crl_check(HttpTransport& http, const CrlCheckOptions& options, std::ostream& out, std::ostream& err);

}  // namespace trustmon::tools
