// Small helpers every JSON route uses: the body as an object, typed optional fields,
// numeric ids (from a path parameter or a query), and a read in the worker's snapshot
// answered as JSON.
// The input helpers reply the stable 400 themselves when the input is unusable and then
// tell the caller to stop (nullopt / ok == false).
#pragma once

#include <charconv>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "responder/http/request.hpp"
#include "responder/routes/api_context.hpp"
#include "responder/routes/bounded_json.hpp"
#include "responder/routes/worker_state.hpp"

namespace trustmon::routes {

// The object bodies of the small JSON routes (participants, applications, notices,
// watches) are parsed on the worker's loop, so they are capped: at most
// kMaxObjectBodyBytes, nesting and item counts as below.
inline constexpr std::size_t kMaxObjectBodyBytes = 1 << 20;
inline constexpr std::size_t kMaxObjectDepth = 16;
inline constexpr std::size_t kMaxObjectItems = 10000;

// The body as a JSON object ({} when empty); replies 413 body_too_large above the cap or
// with more than kMaxObjectItems items in one container, 400 json_malformed otherwise.
inline std::optional<nlohmann::json> body_object(http::Request& req) {
  ByteView body = req.body();
  if (body.empty()) return nlohmann::json::object();
  if (body.size() > kMaxObjectBodyBytes) {
    req.reply_error(413, "body_too_large", "the body is larger than this resource takes (1 MiB)");
    return std::nullopt;
  }
  Result<nlohmann::json> doc = parse_bounded_json(
      body, JsonLimits{kMaxObjectDepth, kMaxObjectItems,
                       make_error(ErrorKind::too_large, "body_too_large", "too many items in one JSON container"),
                       "the body must be a JSON object"});
  if (!doc) {
    req.reply_error(doc.error());
    return std::nullopt;
  }
  if (!doc->is_object()) {
    req.reply_error(400, "json_malformed", "the body must be a JSON object");
    return std::nullopt;
  }
  return std::move(*doc);
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

// The route's `{name}` parameter as a positive decimal id (raw: "%35" is not 5), or a
// 404 not_found reply and nullopt: no resource has a non-numeric id.
template <typename Int = std::uint32_t>
std::optional<Int> path_id(http::Request& req, std::string_view name = "id") {
  auto id = parse_id<Int>(req.path_param(name));
  if (!id) req.reply_error(404, "not_found", "no such resource");
  return id;
}

// Runs `fn(txn)` in the worker's read snapshot and answers 200 with its JSON, or its
// error with its kind's status (503 when the snapshot cannot be opened).
template <typename Fn>
void reply_read(http::Request& req, Fn fn) {
  WorkerState& state = worker_state(req);
  storage::ReadScope scope(state.txn);
  if (!scope.status()) return req.reply_error(503, "storage_unavailable", "cannot read");
  Result<nlohmann::json> r = fn(static_cast<const storage::ReadTxn&>(state.txn));
  if (!r) return req.reply_error(r.error());
  req.reply_json(200, *r, {{"Cache-Control", "no-store"}});
}

}  // namespace trustmon::routes
