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
#pragma once

#include <cstdint>
#include <iosfwd>
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

}  // namespace trustmon::tools
