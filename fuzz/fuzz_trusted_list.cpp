// A trusted list as an import or a notice brings it (ETSI TS 119 612 XML), read into the
// model. Property: no crash, no sanitizer report, and a bounded process (libFuzzer's
// -rss_limit_mb and -timeout catch entity expansion and runaway reads).
#include <cstdint>
#include <string_view>

#include "tsl/xml_reader.hpp"

using namespace trustmon;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)tsl::read_trusted_list(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
