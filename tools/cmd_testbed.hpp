// trustmonctl's test-case commands (the test-case exchange, docs/testbed.md "Test cases
// and the interoperability matrix"). Each is one API call and prints the server's JSON
// object; exit codes as cmd_admin (0 ok, 1 refused by the server, 2 usage or transport).
//
//   testbed cases list [--kind K] [--state S] [--tag T] [--limit N] [--after ID]
//   testbed cases show ID [--version N]
//   testbed cases create FILE [--artefact ROLE:MEDIA_TYPE:PATH]...   (FILE: the case as JSON;
//        each --artefact is read, base64-encoded and appended to its "inputs")
//   testbed cases edit ID FILE [--artefact ...]                      (a new version)
//   testbed cases state ID STATE
//   testbed products add --vendor V --name N --version X | products list
//   testbed submit --product P --case C [--version N] (--main URN [--sub URN] | --observed JSON) [--report FILE]
//   testbed matrix [--kind K] [--polarity P] [--tag T] [--clause C] [--csv]
//
// And the test cloud key store's scripted phone (docs/testbed.md "Test cloud key store"):
//   testbed approve --rnokpp N [--refuse] [--vc CODE] [--pin PIN] [--no-follow]
//        lists the holder's pending approvals, decides the newest, follows the redirect
//        (http:// only) and prints the outcome
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "tools/cmd_admin.hpp"
#include "tools/http_client.hpp"

namespace trustmon::tools {

struct TestbedCaseFilter {
  std::string kind, state, tag, polarity, clause;
  std::uint64_t limit = 0, after = 0;
};

AdminCall testbed_cases_list(const TestbedCaseFilter& f);
AdminCall testbed_case_show(std::uint64_t id, std::uint32_t version);
// `artefacts`: "ROLE:MEDIA_TYPE:PATH" each. Errors: usage_invalid, file_unreadable.
Result<AdminCall> testbed_case_create(const std::string& file, const std::vector<std::string>& artefacts);
Result<AdminCall> testbed_case_edit(std::uint64_t id, const std::string& file, const std::vector<std::string>& artefacts);
AdminCall testbed_case_state(std::uint64_t id, const std::string& state);
AdminCall testbed_product_add(const std::string& vendor, const std::string& name, const std::string& version);
AdminCall testbed_products_list();

struct TestbedSubmitArgs {
  std::uint64_t product = 0, case_id = 0;
  std::uint32_t version = 0;  // 0 = the latest
  std::string main, sub, observed_json, report_file;
};
Result<AdminCall> testbed_submit(const TestbedSubmitArgs& a);
// The matrix's target (JSON, or CSV with `csv`).
std::string testbed_matrix_target(const TestbedCaseFilter& f, bool csv);
// GET the CSV matrix and print it as is.
int cmd_testbed_matrix_csv(HttpTransport& http, const std::string& target, std::ostream& out, std::ostream& err);

// ---- the key store's scripted phone -------------------------------------------------

struct TestbedApproveOptions {
  std::string rnokpp;
  bool refuse = false;
  std::string vc;            // "" = the code the approval shows (the user compares and types it)
  std::string pin = "0000";  // the test store accepts any PIN
  bool follow = true;        // GET the redirect (the relying party's callback)
};
// A transport to another server (the redirect's origin, "http://host:port").
using OpenTransport = std::function<Result<std::unique_ptr<HttpTransport>>(const std::string& base_url)>;
// Prints {"pending","rnokpp","action","outcome","redirect","callback"} where outcome is
// approved, or the refusal's error_description (user_refused, wrong_vc), and callback the
// status the redirect answered ({"status"}), why it was not followed ({"skipped"}) or the
// transport error ({"error"}). Exit 1 when the store refuses (no pending approval, 409
// timeout, …), 2 on usage or transport errors (also when the redirect cannot be followed).
int cmd_testbed_approve(HttpTransport& http, const TestbedApproveOptions& o, const OpenTransport& open,
                        std::ostream& out, std::ostream& err);

}  // namespace trustmon::tools
