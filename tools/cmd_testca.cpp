#include "tools/cmd_testca.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/ossl.hpp"
#include "tools/commands.hpp"

namespace trustmon::tools {

using nlohmann::json;

Result<json> testca_issue_body(const TestcaIssueOptions& o) {
  json ids = json::object();
  if (!o.rnokpp.empty()) ids["rnokpp"] = o.rnokpp;
  if (!o.edrpou.empty()) ids["edrpou"] = o.edrpou;
  if (!o.unzr.empty()) ids["unzr"] = o.unzr;
  json body = {{"ca", o.ca}, {"profile", o.profile}, {"ids", ids}};
  if (!o.cn.empty()) body["subject"] = {{"cn", o.cn}};
  if (!o.scenario.empty()) body["scenario"] = o.scenario;
  if (!o.csr_file.empty()) {
    auto pem = read_file(o.csr_file);
    if (!pem) return std::move(pem).error();
    body["key"] = {{"csr", *pem}};
  } else {
    body["key"] = {{"generate", o.key}};
  }
  return body;
}

AdminCall testca_fault(const TestcaFaultOptions& o) {
  json body = {{"target", o.target}, {"issuer", o.issuer}, {"fault", o.fault}};
  if (!o.serial.empty()) body["serial"] = o.serial;
  if (o.count != 0) body["count"] = o.count;
  if (o.seconds != 0) body["seconds"] = o.seconds;
  if (o.ms != 0) body["ms"] = o.ms;
  if (o.skew_seconds != 0) body["skew_seconds"] = o.skew_seconds;
  return {"PUT", "/api/v1/testca/faults", body};
}

int cmd_testca_issue(HttpTransport& http, const TestcaIssueOptions& options, std::ostream& out, std::ostream& err) {
  auto body = testca_issue_body(options);
  if (!body) {
    print_error(err, body.error());
    return kExitFailed;
  }
  auto result = request_json(http, "POST", "/api/v1/testca/certificates", *body);
  if (!result) return report_call_error(result.error(), out, err);
  json answer = std::move(*result);
  if (!options.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.out_dir, ec);
    const std::filesystem::path dir(options.out_dir);
    std::string chain;
    if (answer.contains("chain"))
      for (const auto& c : answer["chain"]) chain += c.get<std::string>();
    Status s = write_file((dir / "cert.pem").string(), answer.value("certificate", std::string()), 0644);
    if (s) s = write_file((dir / "chain.pem").string(), chain, 0644);
    if (s && answer.contains("private_key")) {
      s = write_file((dir / "key.pem").string(), answer["private_key"].get<std::string>(), 0600);
      answer["private_key"] = (dir / "key.pem").string();  // where it went, never the key itself
    }
    if (!s) {
      print_error(err, s.error());
      return kExitFailed;
    }
  }
  out << output_text(answer);
  return kExitOk;
}

}  // namespace trustmon::tools
