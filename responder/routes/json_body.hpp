// Small helpers every JSON route uses: the body as an object, typed optional fields and
// numeric path ids. Each replies the stable 400 itself when the input is unusable and
// then tells the caller to stop (nullopt / ok == false).
#pragma once

#include <charconv>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "responder/http/request.hpp"

namespace trustmon::routes {

// The body as a JSON object ({} when empty); replies 400 json_malformed otherwise.
inline std::optional<nlohmann::json> body_object(http::Request& req) {
  ByteView body = req.body();
  if (body.empty()) return nlohmann::json::object();
  nlohmann::json doc = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    req.reply_error(400, "json_malformed", "the body must be a JSON object");
    return std::nullopt;
  }
  return doc;
}

// A string field: absent or null -> value nullopt; present but not a string -> a 400
// invalid_argument reply and ok == false.
struct StringField {
  bool ok = true;
  std::optional<std::string> value;
};
inline StringField string_field(http::Request& req, const nlohmann::json& doc, const char* name) {
  auto it = doc.find(name);
  if (it == doc.end() || it->is_null()) return {};
  if (!it->is_string()) {
    req.reply_error(400, "invalid_argument", std::string("\"") + name + "\" must be a string");
    return {false, {}};
  }
  return {true, it->get<std::string>()};
}

// A positive decimal id from a path segment.
template <typename Int = std::uint32_t>
std::optional<Int> parse_id(std::string_view s) {
  Int v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || v == 0) return std::nullopt;
  return v;
}

}  // namespace trustmon::routes
