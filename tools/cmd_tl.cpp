#include "tools/cmd_tl.hpp"

#include <filesystem>
#include <ostream>

#include <nlohmann/json.hpp>

#include "common/ossl.hpp"
#include "tools/commands.hpp"

namespace trustmon::tools {
namespace {

using nlohmann::json;

std::string tl_path(const std::string& name, const char* what) { return "/api/v1/admin/tl/" + name + "/" + what; }

}  // namespace

int cmd_tl_import(HttpTransport& http, const std::string& name, const std::string& file, std::ostream& out,
                  std::ostream& err) {
  auto xml = read_file(file);
  if (!xml) {
    print_error(err, xml.error());
    return kExitFailed;
  }
  HttpRequest req;
  req.method = "POST";
  req.target = tl_path(name, "import");
  req.headers = {{"Accept", "application/json"}, {"Content-Type", "application/xml"}};
  req.body = std::move(*xml);
  auto resp = http.send(req);
  if (!resp) {
    print_error(err, resp.error());
    return kExitFailed;
  }
  json parsed = json::parse(resp->body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    print_error(err, make_error(ErrorKind::invalid, "bad_response", "HTTP " + std::to_string(resp->status) + ": not a JSON object"));
    return kExitFailed;
  }
  out << output_text(parsed);
  if (resp->status >= 200 && resp->status < 300) return kExitOk;
  if (parsed.contains("error")) {
    const json& e = parsed["error"];
    err << "trustmonctl: " << e.value("code", std::string()) << ": " << e.value("message", std::string()) << "\n";
  }
  return kExitRefused;
}

AdminCall tl_publish(const std::string& name) { return {"POST", tl_path(name, "publish"), json::object()}; }
AdminCall tl_versions(const std::string& name) { return {"GET", tl_path(name, "versions"), std::nullopt}; }
AdminCall tl_issuers(const std::string& name) { return {"GET", tl_path(name, "issuers"), std::nullopt}; }

Result<AdminCall> notice_file(const NoticeArgs& a) {
  json body = {{"kind", a.kind}, {"provider", a.provider}};
  if (!a.list.empty()) body["list"] = a.list;
  if (!a.service.empty()) body["service"] = a.service;
  if (!a.comment.empty()) body["comment"] = a.comment;
  if (!a.values_json.empty()) {
    json values = json::parse(a.values_json, nullptr, false);
    if (values.is_discarded() || !values.is_object())
      return make_error(ErrorKind::invalid, "usage_invalid", "--values must be a JSON object");
    body["values"] = std::move(values);
  }
  return AdminCall{"POST", "/api/v1/tl/notices", std::move(body)};
}
AdminCall notice_list() { return {"GET", "/api/v1/tl/notices", std::nullopt}; }
AdminCall notice_show(std::uint64_t id) { return {"GET", "/api/v1/tl/notices/" + std::to_string(id), std::nullopt}; }
AdminCall notice_approve(std::uint64_t id) {
  return {"POST", "/api/v1/tl/notices/" + std::to_string(id) + "/approve", json::object()};
}
AdminCall notice_reject(std::uint64_t id, const std::string& reason) {
  return {"POST", "/api/v1/tl/notices/" + std::to_string(id) + "/reject", json{{"reason", reason}}};
}

Result<AdminCall> application_submit(const ApplicationArgs& a) {
  json attachments = json::array();
  if (!a.csr_file.empty()) {
    auto csr = read_file(a.csr_file);
    if (!csr) return std::move(csr).error();
    attachments.push_back({{"name", std::filesystem::path(a.csr_file).filename().string()},
                           {"media_type", "application/pkcs10"},
                           {"content", *csr}});
  }
  for (const auto& f : a.attach_files) {
    auto content = read_file(f);
    if (!content) return std::move(content).error();
    attachments.push_back({{"name", std::filesystem::path(f).filename().string()},
                           {"media_type", "text/plain"},
                           {"content", *content}});
  }
  json body = {{"service", a.service}, {"attachments", std::move(attachments)}};
  if (!a.text.empty()) body["text"] = a.text;
  return AdminCall{"POST", "/api/v1/applications", std::move(body)};
}
AdminCall application_list() { return {"GET", "/api/v1/applications", std::nullopt}; }
AdminCall application_show(std::uint64_t id) {
  return {"GET", "/api/v1/applications/" + std::to_string(id), std::nullopt};
}
Result<AdminCall> application_set_status(std::uint64_t id, const std::string& state, const std::string& note,
                                         const std::string& certificate_file) {
  json body = {{"state", state}};
  if (!note.empty()) body["note"] = note;
  if (!certificate_file.empty()) {
    auto pem = read_file(certificate_file);
    if (!pem) return std::move(pem).error();
    body["certificate"] = *pem;
  }
  return AdminCall{"POST", "/api/v1/applications/" + std::to_string(id) + "/status", std::move(body)};
}

}  // namespace trustmon::tools
