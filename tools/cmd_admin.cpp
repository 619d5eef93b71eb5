#include "tools/cmd_admin.hpp"

#include <ostream>

#include "common/bytes.hpp"
#include "storage/event_log.hpp"
#include "storage/lmdb.hpp"
#include "tools/commands.hpp"

namespace trustmon::tools {
namespace {

using nlohmann::json;

std::string id_path(const char* collection, std::uint32_t id) {
  return std::string("/api/v1/admin/") + collection + "/" + std::to_string(id);
}

}  // namespace

int cmd_admin(HttpTransport& http, const AdminCall& call, std::ostream& out, std::ostream& err) {
  auto result = request_json(http, call.method, call.target, call.body);
  if (!result) return report_call_error(result.error(), out, err);
  out << output_text(*result);
  return kExitOk;
}

AdminCall participant_add(const std::string& kind, const std::string& name, const std::string& code) {
  return {"POST", "/api/v1/admin/participants", json{{"kind", kind}, {"name", name}, {"code", code}}};
}
AdminCall participant_list() { return {"GET", "/api/v1/admin/participants", std::nullopt}; }
AdminCall participant_show(std::uint32_t id) { return {"GET", id_path("participants", id), std::nullopt}; }
AdminCall participant_update(std::uint32_t id, const std::string& name, const std::string& code) {
  json body = json::object();
  if (!name.empty()) body["name"] = name;
  if (!code.empty()) body["code"] = code;
  return {"PATCH", id_path("participants", id), body};
}
AdminCall representative_update(std::uint32_t id, const std::string& name, const std::string& role) {
  json body = json::object();
  if (!name.empty()) body["name"] = name;
  if (!role.empty()) body["role"] = role;
  return {"PATCH", id_path("representatives", id), body};
}
AdminCall participant_issuer_add(std::uint32_t id, const std::string& issuer) {
  return {"POST", id_path("participants", id) + "/issuers", json{{"issuer", issuer}}};
}
AdminCall participant_issuer_remove(std::uint32_t id, const std::string& issuer) {
  return {"DELETE", id_path("participants", id) + "/issuers/" + percent_encode(issuer), std::nullopt};
}
AdminCall participant_block(std::uint32_t id, const std::string& reason) {
  return {"POST", id_path("participants", id) + "/block", json{{"reason", reason}}};
}
AdminCall participant_unblock(std::uint32_t id) {
  return {"POST", id_path("participants", id) + "/unblock", json::object()};
}
AdminCall representative_add(std::uint32_t participant, const std::string& name, const std::string& role) {
  return {"POST", id_path("participants", participant) + "/representatives", json{{"name", name}, {"role", role}}};
}
AdminCall representative_list(std::uint32_t participant) {
  std::string target = "/api/v1/admin/representatives";
  if (participant != 0) target += "?participant=" + std::to_string(participant);
  return {"GET", target, std::nullopt};
}
AdminCall representative_show(std::uint32_t id) { return {"GET", id_path("representatives", id), std::nullopt}; }
AdminCall representative_block(std::uint32_t id, const std::string& reason) {
  return {"POST", id_path("representatives", id) + "/block", json{{"reason", reason}}};
}
AdminCall representative_unblock(std::uint32_t id) {
  return {"POST", id_path("representatives", id) + "/unblock", json::object()};
}
AdminCall token_issue(std::uint32_t representative, const std::string& expires, double rate, const std::string& label) {
  json body = json::object();
  if (!expires.empty()) body["expires"] = expires;
  if (rate > 0) body["rate_per_second"] = rate;
  if (!label.empty()) body["label"] = label;
  return {"POST", id_path("representatives", representative) + "/tokens", body};
}
AdminCall certificate_bind(std::uint32_t representative, const std::string& pem, const std::string& expires) {
  json body = {{"certificate", pem}};
  if (!expires.empty()) body["expires"] = expires;
  return {"POST", id_path("representatives", representative) + "/certificates", body};
}
AdminCall credential_revoke(std::uint32_t id) {
  return {"POST", id_path("credentials", id) + "/revoke", json::object()};
}
AdminCall audit_list(const AuditFilter& f) {
  std::string q;
  auto add = [&q](const char* k, const std::string& v) {
    if (v.empty()) return;
    q += q.empty() ? "?" : "&";
    q += k;
    q += "=";
    q += percent_encode(v);
  };
  add("actor", f.actor);
  add("action", f.action);
  add("since", f.since);
  add("until", f.until);
  add("after", f.after);
  if (f.limit) add("limit", std::to_string(f.limit));
  return {"GET", "/api/v1/admin/audit" + q, std::nullopt};
}

namespace {
int report_chain(const json& result, std::ostream& out, std::ostream& err) {
  out << output_text(result);
  if (result.value("ok", false)) return kExitOk;
  err << "trustmonctl: audit chain broken at event " << result.value("first_broken", std::uint64_t{0}) << ": "
      << result.value("reason", std::string()) << "\n";
  return kExitRefused;
}
}  // namespace

int cmd_audit_verify(HttpTransport& http, std::ostream& out, std::ostream& err) {
  auto result = request_json(http, "GET", "/api/v1/admin/audit/verify", std::nullopt);
  if (!result) {
    print_error(err, result.error());
    return kExitFailed;
  }
  return report_chain(*result, out, err);
}

int cmd_audit_verify_offline(const std::string& storage_path, std::ostream& out, std::ostream& err) {
  storage::EnvOptions options;
  options.path = storage_path;
  options.read_only = true;
  auto env = storage::Env::open(options);
  if (!env) {
    print_error(err, env.error());
    return kExitFailed;
  }
  auto txn = storage::ReadTxn::begin(**env);
  if (!txn) {
    print_error(err, txn.error());
    return kExitFailed;
  }
  storage::ReadScope scope(*txn);
  if (!scope.status()) {
    print_error(err, scope.status().error());
    return kExitFailed;
  }
  auto check = storage::verify_event_chain(*txn);
  if (!check) {
    print_error(err, check.error());
    return kExitFailed;
  }
  json j = {{"ok", check->ok}, {"events", check->events}};
  if (!check->ok) {
    j["first_broken"] = check->first_broken;
    j["reason"] = check->reason;
  }
  return report_chain(j, out, err);
}

}  // namespace trustmon::tools
