// Router table: a hash map for exact paths, a vector sorted longest-first for prefixes.
// The Allow string of each route is rebuilt when a handler is added, never per request.
#include "responder/http/router.hpp"

#include <algorithm>
#include <utility>

namespace trustmon::http {

void Router::set_handler(Route& route, Method method, Handler handler) {
  route.handlers[index_of(method)] = std::move(handler);
  route.allow.clear();
  for (std::size_t i = 0; i < kMethodCount; ++i) {
    const auto m = static_cast<Method>(i);
    const bool has = route.handlers[i] != nullptr ||
                     (m == Method::Head && route.handlers[index_of(Method::Get)] != nullptr);
    if (!has || m == Method::Other) continue;
    if (!route.allow.empty()) route.allow += ", ";
    route.allow += to_string(m);
  }
}

Router& Router::add(Method method, std::string path, Handler handler) {
  auto it = exact_.find(std::string_view(path));
  if (it == exact_.end()) {
    Route route;
    route.path = path;
    it = exact_.emplace(std::move(path), std::move(route)).first;
  }
  set_handler(it->second, method, std::move(handler));
  return *this;
}

Router& Router::add_prefix(Method method, std::string prefix, Handler handler) {
  auto it =
      std::find_if(prefixes_.begin(), prefixes_.end(), [&](const Route& r) { return r.path == prefix; });
  if (it == prefixes_.end()) {
    Route route;
    route.path = std::move(prefix);
    prefixes_.push_back(std::move(route));
    it = prefixes_.end() - 1;
  }
  set_handler(*it, method, std::move(handler));
  std::stable_sort(prefixes_.begin(), prefixes_.end(),
                   [](const Route& a, const Route& b) { return a.path.size() > b.path.size(); });
  return *this;
}

bool Router::has_exact(Method method, std::string_view path) const {
  auto it = exact_.find(path);
  return it != exact_.end() && it->second.handlers[index_of(method)] != nullptr;
}

Router::Match Router::match(const Route& route, Method method) noexcept {
  Match m;
  const Handler* h = &route.handlers[index_of(method)];
  if (*h == nullptr && method == Method::Head) h = &route.handlers[index_of(Method::Get)];
  if (*h != nullptr) {
    m.kind = Match::Kind::found;
    m.handler = h;
  } else {
    m.kind = Match::Kind::method_not_allowed;
    m.allow = route.allow;
  }
  return m;
}

Router::Match Router::find(Method method, std::string_view path) const noexcept {
  if (auto it = exact_.find(path); it != exact_.end()) return match(it->second, method);
  for (const Route& r : prefixes_) {
    if (path.size() >= r.path.size() && path.compare(0, r.path.size(), r.path) == 0) return match(r, method);
  }
  return Match{};
}

}  // namespace trustmon::http
