// `trustmonctl demo-pki` entry point.
#include <ostream>

#include "tools/commands.hpp"
#include "tools/demo_pki.hpp"

namespace trustmon::tools {

int cmd_demo_pki(const DemoPkiOptions& options, std::ostream& out, std::ostream& err) {
  return print_summary(generate_demo_pki(options), out, err);
}

}  // namespace trustmon::tools
