// `trustmonctl demo-pki` entry point, and the output helpers every command prints with.
#include <ostream>

#include "tools/commands.hpp"
#include "tools/demo_pki.hpp"

namespace trustmon::tools {

std::string output_text(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void print_error(std::ostream& err, const Error& e) {
  err << "trustmonctl: " << e.code << ": " << e.message << "\n";
}

int cmd_demo_pki(const DemoPkiOptions& options, std::ostream& out, std::ostream& err) {
  auto summary = generate_demo_pki(options);
  if (!summary) {
    print_error(err, summary.error());
    return kExitFailed;
  }
  out << output_text(summary->to_json());
  return kExitOk;
}

}  // namespace trustmon::tools
