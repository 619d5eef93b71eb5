// The JSON and query inputs of the write APIs: the body is parsed as the routes parse it
// (routes/bounded_json with the object routes' limits), then read as an application and as
// a trusted-list change notice, and the input is read as an attribute query (search,
// watches). Properties: no crash, no exception escapes; the bounded parser accepts exactly
// what nlohmann's own parser accepts within the limits, and builds the same document.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "responder/applications/applications.hpp"
#include "responder/registry/attributes.hpp"
#include "responder/routes/bounded_json.hpp"
#include "responder/routes/json_body.hpp"
#include "tsl/notices.hpp"

using namespace trustmon;

namespace {

// The deepest nesting and the most items of one container in `doc`.
void shape(const nlohmann::json& doc, std::size_t depth, std::size_t& max_depth, std::size_t& max_items) {
  if (!doc.is_structured()) return;
  if (depth + 1 > max_depth) max_depth = depth + 1;
  if (doc.size() > max_items) max_items = doc.size();
  for (const auto& item : doc) shape(item, depth + 1, max_depth, max_items);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)registry::parse_attribute_query(text);
  const routes::JsonLimits limits{routes::kMaxObjectDepth, routes::kMaxObjectItems,
                                  make_error(ErrorKind::too_large, "body_too_large", "too many items"), "malformed"};
  const Result<nlohmann::json> bounded = routes::parse_bounded_json(ByteView(data, size), limits);
  const nlohmann::json doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded()) {
    if (bounded) std::abort();  // the bounded parser accepted what the parser refuses
    return 0;
  }
  std::size_t depth = 0, items = 0;
  shape(doc, 0, depth, items);
  const bool within = depth <= limits.max_depth && items <= limits.max_items;
  // Duplicate keys: both keep the last value, so the documents are equal. The bounded
  // parser counts a repeated key again, so it may find too many items where the document
  // has few enough; it never refuses such a document for another reason.
  if (within && bounded && *bounded != doc) std::abort();
  if (within && !bounded && bounded.error().code != "body_too_large") std::abort();
  if (!within && bounded) std::abort();
  (void)applications::application_from_json(doc);
  (void)tsl::notice_from_json(doc, "UA");
  return 0;
}
