// See report_codes.hpp.
#include "responder/stats/report_codes.hpp"

#include <nlohmann/json.hpp>

#include "responder/stats/codes.hpp"

namespace trustmon::stats {

extern const std::string_view kBuiltinCodeLists;

namespace {

using nlohmann::json;

Error bad(const std::string& what) { return make_error(ErrorKind::invalid, "code_lists_invalid", what); }

bool snake_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return s[0] >= 'a' && s[0] <= 'z';
}

}  // namespace

Result<CodeLists> CodeLists::parse(std::string_view text) {
  if (text.size() > kMaxCodeListBytes) return bad("the code-list file is larger than 256 KiB");
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("the code-list file is not a JSON object");
  CodeLists out;
  if (auto v = j.find("version"); v != j.end() && v->is_string()) out.version = v->get<std::string>();
  else return bad("\"version\" (a string) is required");
  auto dims = j.find("dimensions");
  if (dims == j.end() || !dims->is_object() || dims->size() > kMaxCodeListEntries)
    return bad("\"dimensions\" must be an object of code lists");
  for (const auto& [name, codes] : dims->items()) {
    if (!snake_name(name)) return bad("dimension \"" + name + "\": names are lower-case snake_case");
    if (parse_dim(name)) return bad("dimension \"" + name + "\" is a derived dimension (stats/codes.hpp)");
    if (!codes.is_array() || codes.empty() || codes.size() > kMaxCodeListEntries)
      return bad("dimension \"" + name + "\": a non-empty array of codes");
    std::vector<std::string> list;
    for (const auto& c : codes) {
      if (!c.is_string() || !snake_name(c.get<std::string>()))
        return bad("dimension \"" + name + "\": codes are lower-case snake_case strings");
      for (const auto& seen : list)
        if (seen == c.get<std::string>()) return bad("dimension \"" + name + "\": code \"" + seen + "\" twice");
      list.push_back(c.get<std::string>());
    }
    out.dimensions.emplace(name, std::move(list));
  }
  auto metrics = j.find("metrics");
  if (metrics == j.end() || !metrics->is_object() || metrics->size() > kMaxCodeListEntries)
    return bad("\"metrics\" must be an object");
  for (const auto& [name, m] : metrics->items()) {
    if (!snake_name(name)) return bad("metric \"" + name + "\": names are lower-case snake_case");
    if (parse_metric(name)) return bad("metric \"" + name + "\" is a derived metric (stats/codes.hpp)");
    if (!m.is_object()) return bad("metric \"" + name + "\" must be an object");
    ReportMetric rm;
    rm.name = name;
    auto kind = m.find("kind");
    if (kind == m.end() || !kind->is_string() || (*kind != "flow" && *kind != "stock"))
      return bad("metric \"" + name + "\": \"kind\" is flow or stock");
    rm.stock = *kind == "stock";
    if (auto a = m.find("additive"); a != m.end()) {
      if (!a->is_boolean()) return bad("metric \"" + name + "\": \"additive\" is a boolean");
      rm.additive = a->get<bool>();
    }
    if (auto d = m.find("definition"); d != m.end() && d->is_string()) rm.definition = d->get<std::string>();
    auto d = m.find("dims");
    if (d == m.end() || !d->is_array() || d->size() > 16) return bad("metric \"" + name + "\": \"dims\" is an array");
    for (const auto& dim : *d) {
      if (!dim.is_string()) return bad("metric \"" + name + "\": dims are names");
      const std::string dn = dim.get<std::string>();
      const auto derived = parse_dim(dn);
      if (!(dn == "issuer" || (derived && *derived != Dim::reason) || out.dimensions.count(dn)))
        return bad("metric \"" + name + "\": unknown dimension \"" + dn + "\"");
      rm.dims.push_back(dn);
    }
    out.metrics.emplace(name, std::move(rm));
  }
  return out;
}

std::string_view CodeLists::builtin_text() { return kBuiltinCodeLists; }

const CodeLists& CodeLists::builtin() {
  static const CodeLists lists = [] {
    auto parsed = parse(kBuiltinCodeLists);
    return parsed ? std::move(*parsed) : CodeLists{};  // the build's own file; a unit test parses it
  }();
  return lists;
}

const ReportMetric* CodeLists::metric(std::string_view name) const {
  auto it = metrics.find(name);
  return it == metrics.end() ? nullptr : &it->second;
}

bool CodeLists::has_code(std::string_view dim, std::string_view code) const {
  auto it = dimensions.find(dim);
  if (it == dimensions.end()) return false;
  for (const auto& c : it->second)
    if (c == code) return true;
  return false;
}

}  // namespace trustmon::stats
