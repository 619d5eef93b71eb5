// Router: maps (method, path) to a handler with a small table, no regex.
//
// Three kinds of route:
//   exact    add(GET, "/api/v1/events", h)               the path byte for byte
//   pattern  add(POST, "/api/v1/watches/{id}/test", h)   `{name}` matches one non-empty
//            segment; the handler reads it with req.path_param("id") (path_params.hpp:
//            raw values, percent-decoding on request)
//   prefix   add_prefix(GET, "/ocsp/", h)                 every path starting with it
//
// Policy: the most specific route that matches the path decides, in this order: an exact
// path, then patterns (at the first segment where two patterns differ, a literal beats a
// `{name}`), then the longest prefix. The matched route alone decides the method: a route
// that has no handler for the request's method answers 405 with an `Allow` header listing
// that route's methods (HEAD falls back to the GET handler; the server drops the body).
// Nothing matched answers 404. Trailing slash: when nothing matches a path that ends in
// '/', it is looked up once more without that slash, so "/api/v1/watches/" and
// "/api/v1/watches/7/" reach the routes of "/api/v1/watches" and "/api/v1/watches/{id}",
// while a route registered with the slash ("/ocsp/") keeps it for itself.
//
// Cost: lookups never allocate. An exact hit (POST /ocsp) is one hash lookup; patterns
// are only tried when the path's first segment is the first segment of some pattern, so
// a prefix route outside the API (GET /ocsp/{base64}) pays one short comparison for them.
// The router is filled before Server::start() and read-only afterwards (shared by all
// workers). A malformed pattern ("{", "{}", "a{id}", a repeated name, more than
// PathParams::kMax parameters, or the same shape with other names) is a programming error:
// add() throws std::invalid_argument at start-up.
#pragma once

#include <array>
#include <cstdint>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "responder/http/method.hpp"
#include "responder/http/path_params.hpp"

namespace trustmon::http {

class Request;

// What a route admits before its body is read (the connection gate, gate.hpp, checks it
// on the request head): the class of its body limit (the sizes come from ServerOptions)
// and whether a request needs a credential to send one. A route declares them when it is
// registered; unmatched paths get `small` without a credential.
enum class BodyClass : std::uint8_t {
  small,  // OCSP requests and routes without a body of interest (ServerOptions::max_small_body_bytes)
  json,   // JSON API bodies (max_json_body_bytes)
  bulk,   // bulk uploads: certificate ingest, CRLs, trusted lists (max_body_bytes)
};
struct RouteLimits {
  BodyClass body = BodyClass::small;
  // An announced body without a Bearer header or TLS client certificate is answered 401
  // and skipped, never buffered (the route still verifies the credential itself).
  bool credential = false;
  // May use the connections held in reserve when the server is near its connection cap.
  bool essential = false;
  // Answered by the connection gate itself on plain connections when the whole request is
  // already read (gate.hpp, "fast path"), without evhttp. The handler must answer before it
  // returns (never move the Request out) and must not stream.
  bool fast = false;
};
inline constexpr RouteLimits kOpenRoute{};  // small body, no credential
inline constexpr RouteLimits kApiRoute{BodyClass::json, true, false};
inline constexpr RouteLimits kBulkRoute{BodyClass::bulk, true, false};
inline constexpr RouteLimits kEssentialRoute{BodyClass::small, false, true};
inline constexpr RouteLimits kFastEssentialRoute{BodyClass::small, false, true, true};  // OCSP

// Called on the worker's loop thread. The handler answers through `req`, or moves it out
// (`Request kept = std::move(req);`) to answer later from anywhere. If it returns without
// doing either, the server answers 500.
using Handler = std::function<void(Request& req)>;

class Router {
 public:
  // Registers (replacing any previous one) the handler for `method` on `path`: exact when
  // it has no `{name}` segment, a pattern when it has.
  Router& add(Method method, std::string path, Handler handler, RouteLimits limits = kOpenRoute);
  // Registers the handler for `method` on every path starting with `prefix`.
  Router& add_prefix(Method method, std::string prefix, Handler handler, RouteLimits limits = kOpenRoute);

  bool has_exact(Method method, std::string_view path) const;

  struct Match {
    enum class Kind { found, not_found, method_not_allowed } kind = Kind::not_found;
    const Handler* handler = nullptr;  // set when found
    std::string_view allow;            // set when method_not_allowed: "GET, HEAD, POST"
    PathParams params;                 // the `{name}` values when a pattern matched
    RouteLimits limits;                // the matched handler's (HEAD: GET's); kOpenRoute otherwise
  };
  Match find(Method method, std::string_view path) const noexcept;

 private:
  struct Route {
    std::string path;
    std::array<Handler, kMethodCount> handlers;
    std::array<RouteLimits, kMethodCount> limits{};
    std::string allow;
  };
  struct Segment {
    std::string text;  // the literal, or the parameter's name
    bool param = false;
  };
  struct Pattern {
    std::vector<Segment> segments;
    Route route;
  };
  struct PathHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  static void set_handler(Route& route, Method method, Handler handler, RouteLimits limits);
  static Match match(const Route& route, Method method) noexcept;
  static std::vector<Segment> parse_pattern(std::string_view path);
  static bool more_specific(const Pattern& a, const Pattern& b) noexcept;
  void add_pattern(Method method, std::string path, Handler handler, RouteLimits limits);
  bool find_once(Method method, std::string_view path, Match& out) const noexcept;
  const Pattern* find_pattern(std::string_view path, PathParams& params) const noexcept;

  std::unordered_map<std::string, Route, PathHash, std::equal_to<>> exact_;
  std::vector<Pattern> patterns_;        // most specific first
  std::vector<std::string> pattern_heads_;  // distinct literal first segments of the patterns
  bool pattern_param_head_ = false;         // some pattern starts with a `{name}`
  std::vector<Route> prefixes_;             // longest prefix first
};

}  // namespace trustmon::http
