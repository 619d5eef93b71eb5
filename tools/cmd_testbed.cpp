// See cmd_testbed.hpp.
#include "tools/cmd_testbed.hpp"

#include <ostream>

#include "common/bytes.hpp"
#include "common/ossl.hpp"
#include "tools/commands.hpp"

namespace trustmon::tools {
namespace {

using nlohmann::json;

Error usage(const std::string& why) { return make_error(ErrorKind::invalid, "usage_invalid", why); }

void add_query(std::string& target, const char* name, const std::string& value) {
  if (value.empty()) return;
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += std::string(name) + "=" + percent_encode(value);
}

std::string filter_target(std::string target, const TestbedCaseFilter& f) {
  add_query(target, "kind", f.kind);
  add_query(target, "state", f.state);
  add_query(target, "tag", f.tag);
  add_query(target, "polarity", f.polarity);
  add_query(target, "clause", f.clause);
  if (f.limit) add_query(target, "limit", std::to_string(f.limit));
  if (f.after) add_query(target, "after", std::to_string(f.after));
  return target;
}

// The case file with the artefacts appended to its inputs.
Result<json> case_body(const std::string& file, const std::vector<std::string>& artefacts) {
  auto text = read_file(file);
  if (!text) return make_error(ErrorKind::invalid, "file_unreadable", "cannot read " + file);
  json body = json::parse(*text, nullptr, false);
  if (!body.is_object()) return usage(file + " is not a JSON object");
  if (!body.contains("inputs")) body["inputs"] = json::array();
  if (!body["inputs"].is_array()) return usage("\"inputs\" in " + file + " is not an array");
  for (const std::string& a : artefacts) {
    const auto first = a.find(':');
    const auto second = first == std::string::npos ? std::string::npos : a.find(':', first + 1);
    if (second == std::string::npos) return usage("--artefact is ROLE:MEDIA_TYPE:PATH");
    const std::string path = a.substr(second + 1);
    auto bytes = read_file(path);
    if (!bytes) return make_error(ErrorKind::invalid, "file_unreadable", "cannot read " + path);
    body["inputs"].push_back({{"role", a.substr(0, first)},
                              {"media_type", a.substr(first + 1, second - first - 1)},
                              {"content", base64_encode(as_bytes(*bytes))}});
  }
  return body;
}

}  // namespace

AdminCall testbed_cases_list(const TestbedCaseFilter& f) {
  return {"GET", filter_target("/api/v1/testbed/cases", f), std::nullopt};
}

AdminCall testbed_case_show(std::uint64_t id, std::uint32_t version) {
  std::string target = "/api/v1/testbed/cases/" + std::to_string(id);
  if (version) target += "?version=" + std::to_string(version);
  return {"GET", target, std::nullopt};
}

Result<AdminCall> testbed_case_create(const std::string& file, const std::vector<std::string>& artefacts) {
  auto body = case_body(file, artefacts);
  if (!body) return std::move(body).error();
  return AdminCall{"POST", "/api/v1/testbed/cases", std::move(*body)};
}

Result<AdminCall> testbed_case_edit(std::uint64_t id, const std::string& file, const std::vector<std::string>& artefacts) {
  auto body = case_body(file, artefacts);
  if (!body) return std::move(body).error();
  return AdminCall{"PUT", "/api/v1/testbed/cases/" + std::to_string(id), std::move(*body)};
}

AdminCall testbed_case_state(std::uint64_t id, const std::string& state) {
  return {"POST", "/api/v1/testbed/cases/" + std::to_string(id) + "/state", json{{"state", state}}};
}

AdminCall testbed_product_add(const std::string& vendor, const std::string& name, const std::string& version) {
  return {"POST", "/api/v1/testbed/products", json{{"vendor", vendor}, {"name", name}, {"version", version}}};
}

AdminCall testbed_products_list() { return {"GET", "/api/v1/testbed/products", std::nullopt}; }

Result<AdminCall> testbed_submit(const TestbedSubmitArgs& a) {
  if (a.product == 0 || a.case_id == 0) return usage("--product and --case are required");
  json observed;
  if (!a.observed_json.empty()) {
    if (!a.main.empty() || !a.sub.empty()) return usage("--observed excludes --main and --sub");
    observed = json::parse(a.observed_json, nullptr, false);
    if (!observed.is_object()) return usage("--observed is a JSON object");
  } else {
    if (a.main.empty()) return usage("give --main (and --sub) or --observed");
    observed = {{"main", a.main}};
    if (!a.sub.empty()) observed["sub"] = a.sub;
  }
  json body = {{"product", a.product}, {"case", a.case_id}, {"observed", std::move(observed)}};
  if (a.version) body["version"] = a.version;
  if (!a.report_file.empty()) {
    auto report = read_file(a.report_file);
    if (!report) return make_error(ErrorKind::invalid, "file_unreadable", "cannot read " + a.report_file);
    body["report"] = base64_encode(as_bytes(*report));
  }
  return AdminCall{"POST", "/api/v1/testbed/submissions", std::move(body)};
}

std::string testbed_matrix_target(const TestbedCaseFilter& f, bool csv) {
  TestbedCaseFilter only = f;
  only.state.clear();
  only.limit = 0;
  only.after = 0;
  std::string target = filter_target("/api/v1/testbed/matrix", only);
  if (csv) add_query(target, "format", "csv");
  return target;
}

int cmd_testbed_matrix_csv(HttpTransport& http, const std::string& target, std::ostream& out, std::ostream& err) {
  HttpRequest req;
  req.method = "GET";
  req.target = target;
  auto r = http.send(req);
  if (!r) {
    print_error(err, r.error());
    return kExitFailed;
  }
  if (r->status != 200) {
    // The server's error object, read as every other command reads it.
    auto parsed = exchange_json(http, req);
    if (!parsed) return report_call_error(parsed.error(), out, err);
    print_error(err, make_error(ErrorKind::internal, "bad_response", "status " + std::to_string(r->status)));
    return kExitFailed;
  }
  out << r->body;
  return kExitOk;
}

namespace {

// One exchange with the key store, whose errors are OAuth bodies {"error","error_description"}.
Result<json> ksp_call(HttpTransport& http, const std::string& method, const std::string& target,
                      const std::optional<json>& body) {
  auto resp = http.send(json_request(method, target, body));
  if (!resp) return std::move(resp).error();
  const json parsed = json::parse(resp->body, nullptr, false);
  if (resp->status == 200 && parsed.is_object()) return parsed;
  if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_string()) {
    const std::string description = parsed.value("error_description", std::string());
    return make_error(ErrorKind::invalid, parsed["error"].get<std::string>(),
                      "HTTP " + std::to_string(resp->status) + ": " + description);
  }
  return make_error(ErrorKind::invalid, "bad_response", "HTTP " + std::to_string(resp->status) + " from " + target);
}

// The value of a query parameter of `url` ("" when absent).
std::string query_value(const std::string& url, const std::string& name) {
  const auto q = url.find('?');
  if (q == std::string::npos) return {};
  std::string_view rest = std::string_view(url).substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    std::string value(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    for (char& c : value)
      if (c == '+') c = ' ';
    return percent_decode(value).value_or(value);
  }
  return {};
}

}  // namespace

int cmd_testbed_approve(HttpTransport& http, const TestbedApproveOptions& o, const OpenTransport& open,
                        std::ostream& out, std::ostream& err) {
  if (o.rnokpp.size() != 10 || o.rnokpp.find_first_not_of("0123456789") != std::string::npos) {
    print_error(err, usage("--rnokpp is a 10-digit taxpayer number"));
    return kExitFailed;
  }
  auto listed = ksp_call(http, "GET", "/testbed/ksp/pending?rnokpp=" + o.rnokpp, std::nullopt);
  if (!listed) return report_call_error(listed.error(), out, err);
  const auto pending = listed->find("pending");
  if (pending == listed->end() || !pending->is_array() || pending->empty() || !pending->front().is_object())
    return report_call_error(make_error(ErrorKind::not_found, "no_pending", "no pending approval for " + o.rnokpp), out,
                             err);
  const json& newest = pending->front();  // the store lists the newest first
  const std::string id = newest.value("id", std::string());
  const std::string vc = o.vc.empty() ? newest.value("vc", std::string()) : o.vc;
  const std::string action = o.refuse ? "refuse" : "approve";
  auto decided = ksp_call(http, "POST", "/testbed/ksp/approvals/" + percent_encode(id),
                          json{{"action", action}, {"vc", vc}, {"pin", o.pin}});
  if (!decided) return report_call_error(decided.error(), out, err);
  const std::string redirect = decided->value("redirect", std::string());
  const std::string refusal = query_value(redirect, "error_description");
  json result = {{"pending", id},
                 {"rnokpp", o.rnokpp},
                 {"action", action},
                 {"outcome", !query_value(redirect, "code").empty() ? "approved" : refusal},
                 {"redirect", redirect}};
  int exit_code = kExitOk;
  if (!o.follow) {
    result["callback"] = {{"skipped", "--no-follow"}};
  } else if (redirect.rfind("http://", 0) != 0) {
    result["callback"] = {{"skipped", "only http:// redirects are followed"}};
  } else {
    const auto slash = redirect.find('/', 7);
    const std::string origin = redirect.substr(0, slash);
    const std::string target = slash == std::string::npos ? "/" : redirect.substr(slash);
    auto callback = open(origin);
    Result<HttpResponse> answer = callback ? (*callback)->send(HttpRequest{"GET", target, {}, {}})
                                           : Result<HttpResponse>(std::move(callback).error());
    if (answer) {
      result["callback"] = {{"status", answer->status}};
    } else {
      result["callback"] = {{"error", answer.error().code}};
      print_error(err, answer.error());
      exit_code = kExitFailed;
    }
  }
  out << output_text(result);
  return exit_code;
}

}  // namespace trustmon::tools
