// Bounded JSON: request bodies parsed with their limits applied while parsing, so a huge
// or deeply nested body is refused at the first item over the limit instead of after a
// full parse (a 14 MB `[[[...]]]` stops at the (max_depth+1)th bracket, a million-item
// array at item max_items+1). Limits: nesting depth, and items per array or members per
// object (every container alike). Refusals: `too_many` (the caller's 413), or
// 400 json_malformed (invalid JSON, too deep). Pure: safe on any thread.
//
// The bulk routes parse a body on the event loop only when it is small (kInlineJsonBytes);
// larger ones go to a pool thread first (api_routes.cpp, csr_routes.cpp). The small object
// routes (json_body.hpp body_object) take at most 1 MiB and parse it on the loop.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace trustmon::routes {

// Bodies up to this size are parsed on the worker's loop (well under a millisecond).
inline constexpr std::size_t kInlineJsonBytes = 64 * 1024;

struct JsonLimits {
  std::size_t max_depth = 16;
  std::size_t max_items = 10000;
  Error too_many;                 // returned at item max_items + 1
  std::string malformed_message;  // for invalid JSON
};

Result<nlohmann::json> parse_bounded_json(ByteView text, const JsonLimits& limits);

}  // namespace trustmon::routes
