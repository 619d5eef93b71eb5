// Router table: a hash map for exact paths, a vector of patterns sorted most specific
// first, a vector of prefixes sorted longest first. The Allow string of each route is
// rebuilt when a handler is added, never per request.
#include "responder/http/router.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace trustmon::http {
namespace {

// The first segment of an absolute path ("/api/v1" -> "api"); empty for a relative one.
std::string_view head_of(std::string_view path) noexcept {
  if (path.empty() || path.front() != '/') return {};
  path.remove_prefix(1);
  return path.substr(0, path.find('/'));
}

bool valid_param_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

void Router::set_handler(Route& route, Method method, Handler handler, RouteLimits limits) {
  route.handlers[index_of(method)] = std::move(handler);
  route.limits[index_of(method)] = limits;
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

Router& Router::add(Method method, std::string path, Handler handler, RouteLimits limits) {
  if (path.find_first_of("{}") != std::string::npos) {
    add_pattern(method, std::move(path), std::move(handler), limits);
    return *this;
  }
  auto it = exact_.find(std::string_view(path));
  if (it == exact_.end()) {
    Route route;
    route.path = path;
    it = exact_.emplace(std::move(path), std::move(route)).first;
  }
  set_handler(it->second, method, std::move(handler), limits);
  return *this;
}

std::vector<Router::Segment> Router::parse_pattern(std::string_view path) {
  const std::string text(path);
  if (path.empty() || path.front() != '/') throw std::invalid_argument("route pattern must start with '/': " + text);
  std::vector<Segment> out;
  std::size_t params = 0;
  std::string_view rest = path.substr(1);
  while (true) {
    const std::size_t slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    Segment s;
    if (!seg.empty() && seg.front() == '{') {
      if (seg.size() < 2 || seg.back() != '}' || !valid_param_name(seg.substr(1, seg.size() - 2)))
        throw std::invalid_argument("route pattern: a parameter is a whole segment {name}: " + text);
      s.text = seg.substr(1, seg.size() - 2);
      s.param = true;
      for (const Segment& other : out)
        if (other.param && other.text == s.text)
          throw std::invalid_argument("route pattern: parameter {" + s.text + "} repeated: " + text);
      if (++params > PathParams::kMax) throw std::invalid_argument("route pattern: too many parameters: " + text);
    } else {
      if (seg.find_first_of("{}") != std::string_view::npos)
        throw std::invalid_argument("route pattern: a parameter is a whole segment {name}: " + text);
      s.text = seg;
    }
    out.push_back(std::move(s));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return out;
}

// Segment by segment, a literal before a parameter; then any fixed order, so that sorting
// is deterministic (two patterns that differ in a literal never match the same path).
bool Router::more_specific(const Pattern& a, const Pattern& b) noexcept {
  const std::size_t n = std::min(a.segments.size(), b.segments.size());
  for (std::size_t i = 0; i < n; ++i) {
    const Segment& x = a.segments[i];
    const Segment& y = b.segments[i];
    if (x.param != y.param) return !x.param;
    if (!x.param && x.text != y.text) return x.text < y.text;
  }
  return a.segments.size() < b.segments.size();
}

void Router::add_pattern(Method method, std::string path, Handler handler, RouteLimits limits) {
  std::vector<Segment> segments = parse_pattern(path);
  // The same shape (same literals, parameters at the same places) is the same route.
  for (Pattern& p : patterns_) {
    if (p.segments.size() != segments.size()) continue;
    bool same_shape = true, same_names = true;
    for (std::size_t i = 0; i < segments.size() && same_shape; ++i) {
      const Segment& x = p.segments[i];
      const Segment& y = segments[i];
      same_shape = x.param == y.param && (x.param || x.text == y.text);
      same_names = same_names && x.text == y.text;
    }
    if (!same_shape) continue;
    if (!same_names)
      throw std::invalid_argument("route pattern " + path + " has the shape of " + p.route.path + " with other names");
    set_handler(p.route, method, std::move(handler), limits);
    return;
  }
  Pattern p;
  p.segments = std::move(segments);
  p.route.path = std::move(path);
  set_handler(p.route, method, std::move(handler), limits);
  if (p.segments.front().param) {
    pattern_param_head_ = true;
  } else if (std::find(pattern_heads_.begin(), pattern_heads_.end(), p.segments.front().text) ==
             pattern_heads_.end()) {
    pattern_heads_.push_back(p.segments.front().text);
  }
  patterns_.push_back(std::move(p));
  std::stable_sort(patterns_.begin(), patterns_.end(), &Router::more_specific);
}

Router& Router::add_prefix(Method method, std::string prefix, Handler handler, RouteLimits limits) {
  auto it =
      std::find_if(prefixes_.begin(), prefixes_.end(), [&](const Route& r) { return r.path == prefix; });
  if (it == prefixes_.end()) {
    Route route;
    route.path = std::move(prefix);
    prefixes_.push_back(std::move(route));
    it = prefixes_.end() - 1;
  }
  set_handler(*it, method, std::move(handler), limits);
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
  std::size_t i = index_of(method);
  if (route.handlers[i] == nullptr && method == Method::Head) i = index_of(Method::Get);
  const Handler* h = &route.handlers[i];
  if (*h != nullptr) {
    m.kind = Match::Kind::found;
    m.handler = h;
    m.limits = route.limits[i];
  } else {
    m.kind = Match::Kind::method_not_allowed;
    m.allow = route.allow;
  }
  return m;
}

const Router::Pattern* Router::find_pattern(std::string_view path, PathParams& params) const noexcept {
  if (patterns_.empty()) return nullptr;
  if (!pattern_param_head_) {
    const std::string_view head = head_of(path);
    if (std::find(pattern_heads_.begin(), pattern_heads_.end(), head) == pattern_heads_.end()) return nullptr;
  }
  if (path.empty() || path.front() != '/') return nullptr;
  const std::string_view rest = path.substr(1);
  for (const Pattern& p : patterns_) {
    params.clear();
    std::string_view left = rest;
    bool ok = true;
    for (std::size_t i = 0; i < p.segments.size() && ok; ++i) {
      const std::size_t slash = left.find('/');
      const std::string_view seg = left.substr(0, slash);
      const Segment& s = p.segments[i];
      ok = s.param ? !seg.empty() && params.push(s.text, seg) : seg == s.text;
      const bool last = i + 1 == p.segments.size();
      // Segments left over after the last one, or none left before it: no match.
      if (ok && last != (slash == std::string_view::npos)) ok = false;
      if (!last && slash != std::string_view::npos) left.remove_prefix(slash + 1);
    }
    if (ok) return &p;
  }
  params.clear();
  return nullptr;
}

bool Router::find_once(Method method, std::string_view path, Match& out) const noexcept {
  if (auto it = exact_.find(path); it != exact_.end()) {
    out = match(it->second, method);
    return true;
  }
  PathParams params;
  if (const Pattern* p = find_pattern(path, params)) {
    out = match(p->route, method);
    if (out.kind == Match::Kind::found) out.params = params;
    return true;
  }
  for (const Route& r : prefixes_) {
    if (path.size() >= r.path.size() && path.compare(0, r.path.size(), r.path) == 0) {
      out = match(r, method);
      return true;
    }
  }
  return false;
}

Router::Match Router::find(Method method, std::string_view path) const noexcept {
  Match m;
  if (find_once(method, path, m)) return m;
  if (path.size() > 1 && path.back() == '/') find_once(method, path.substr(0, path.size() - 1), m);
  return m;
}

}  // namespace trustmon::http
