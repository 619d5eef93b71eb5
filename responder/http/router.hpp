// Router: maps (method, path) to a handler with a small table, no regex.
//
// Policy: an exact path beats any prefix; among prefixes the longest match wins. The
// matched route alone decides the method: a route that has no handler for the request's
// method answers 405 with an `Allow` header (HEAD falls back to the GET handler; the
// server drops the body). No route at all answers 404. Lookups never allocate. The router
// is filled before Server::start() and read-only afterwards (shared by all workers).
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "responder/http/method.hpp"

namespace trustmon::http {

class Request;

// Called on the worker's loop thread. The handler answers through `req`, or moves it out
// (`Request kept = std::move(req);`) to answer later from anywhere. If it returns without
// doing either, the server answers 500.
using Handler = std::function<void(Request& req)>;

class Router {
 public:
  // Registers (replacing any previous one) the handler for `method` on exactly `path`.
  Router& add(Method method, std::string path, Handler handler);
  // Registers the handler for `method` on every path starting with `prefix`.
  Router& add_prefix(Method method, std::string prefix, Handler handler);

  bool has_exact(Method method, std::string_view path) const;

  struct Match {
    enum class Kind { found, not_found, method_not_allowed } kind = Kind::not_found;
    const Handler* handler = nullptr;  // set when found
    std::string_view allow;            // set when method_not_allowed: "GET, HEAD, POST"
  };
  Match find(Method method, std::string_view path) const noexcept;

 private:
  struct Route {
    std::string path;
    std::array<Handler, kMethodCount> handlers;
    std::string allow;
  };
  struct PathHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  static void set_handler(Route& route, Method method, Handler handler);
  static Match match(const Route& route, Method method) noexcept;

  std::unordered_map<std::string, Route, PathHash, std::equal_to<>> exact_;
  std::vector<Route> prefixes_;  // longest prefix first
};

}  // namespace trustmon::http
