// The JSON and query inputs of the write APIs: the body is parsed as the routes parse it,
// then read as an application and as a trusted-list change notice, and the input is read
// as an attribute query (search, watches). Property: no crash, no exception escapes.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string_view>

#include "responder/applications/applications.hpp"
#include "responder/registry/attributes.hpp"
#include "tsl/notices.hpp"

using namespace trustmon;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)registry::parse_attribute_query(text);
  const nlohmann::json doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded()) return 0;
  (void)applications::application_from_json(doc);
  (void)tsl::notice_from_json(doc, "UA");
  return 0;
}
