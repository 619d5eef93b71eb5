#include "responder/routes/admin_routes.hpp"

#include <charconv>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/log.hpp"
#include "common/time.hpp"
#include "responder/access/audit.hpp"
#include "responder/routes/api_context.hpp"
#include "responder/routes/json_body.hpp"
#include "responder/routes/worker_state.hpp"
#include "storage/event_log.hpp"

namespace trustmon::routes {
namespace {

using nlohmann::json;
constexpr std::string_view kPrefix = "/api/v1/admin/";

using Field = StringField;

// Completion of an admin action: replies from the Writer thread after the commit.
access::AccessService::Done reply_to(std::shared_ptr<http::Request> req, ApiContext& ctx, int ok_status,
                                     bool revalidate_streams = false) {
  return [req, &ctx, ok_status, revalidate_streams](Result<json> result) {
    if (!result) {
      const Error& e = result.error();
      if (!e.is_refusal()) log().error("admin action failed: {}: {}", e.code, e.message);
      req->reply_error(e);
      return;
    }
    if (revalidate_streams) ctx.feed.revalidate_now();
    req->reply_json(ok_status, *result, {{"Cache-Control", "no-store"}});
  };
}

UnixTime parse_expiry(http::Request& req, const json& doc, bool& ok) {
  ok = true;
  Field f = string_field(req, doc, "expires");
  if (!f.ok) {
    ok = false;
    return 0;
  }
  if (!f.value) return 0;
  auto t = parse_rfc3339(*f.value);
  if (!t) {
    req.reply_error(400, "invalid_argument", "\"expires\" must be an RFC 3339 time");
    ok = false;
    return 0;
  }
  return *t;
}

double parse_rate(http::Request& req, const json& doc, bool& ok) {
  ok = true;
  auto it = doc.find("rate_per_second");
  if (it == doc.end() || it->is_null()) return 0;
  if (!it->is_number() || it->get<double>() < 0) {
    req.reply_error(400, "invalid_argument", "\"rate_per_second\" must be a non-negative number");
    ok = false;
    return 0;
  }
  return it->get<double>();
}

json participant_view(const access::ParticipantRecord& p, const pki::IssuerSet& issuers) {
  json j = access::to_json(p);
  json names = json::array();
  for (std::uint32_t id : p.issuers) {
    const pki::Issuer* k = issuers.find_by_id(id);
    names.push_back(k ? json(k->name) : json(nullptr));
  }
  j["issuers"] = std::move(names);
  return j;
}

std::optional<access::Principal> admin(http::Request& req, ApiContext& ctx, std::string_view action) {
  return guard(req, ctx, access::Need::admin, action);
}

template <typename Fn>
void read(http::Request& req, Fn fn) {
  reply_read(req, fn);
}

// ---- participants ------------------------------------------------------------------

void participant_list(http::Request& req, ApiContext& ctx) {
  if (!admin(req, ctx, "participant.list")) return;
  read(req, [&ctx](const storage::ReadTxn& txn) -> Result<json> {
    auto list = access::list_participants(txn);
    if (!list) return std::move(list).error();
    json arr = json::array();
    for (const auto& p : *list) arr.push_back(participant_view(p, ctx.issuers));
    return json{{"participants", std::move(arr)}};
  });
}

void participant_add(http::Request& req, ApiContext& ctx) {
  auto principal = admin(req, ctx, "participant.add");
  if (!principal) return;
  auto doc = body_object(req);
  if (!doc) return;
  Field kind = string_field(req, *doc, "kind");
  if (!kind.ok) return;
  Field name = string_field(req, *doc, "name");
  if (!name.ok) return;
  Field code = string_field(req, *doc, "code");
  if (!code.ok) return;
  auto k = access::kind_from_name(kind.value.value_or(""));
  if (!k)
    return req.reply_error(400, "kind_invalid", "\"kind\" must be central_body, qtsp, tool_developer or system_owner");
  auto shared = std::make_shared<http::Request>(std::move(req));
  ctx.access.add_participant(principal->actor, *k, name.value.value_or(""), code.value.value_or(""),
                             reply_to(shared, ctx, 201));
}

void participant_get(http::Request& req, ApiContext& ctx) {
  auto id = path_id(req);
  if (!id) return;
  if (!admin(req, ctx, "participant.get")) return;
  const std::uint32_t pid = *id;
  read(req, [&ctx, pid](const storage::ReadTxn& txn) -> Result<json> {
    auto p = access::get_participant(txn, pid);
    if (!p) return std::move(p).error();
    if (!*p) return make_error(ErrorKind::not_found, "participant_not_found", "no participant " + std::to_string(pid));
    json j = participant_view(**p, ctx.issuers);
    auto reps = access::list_representatives(txn, pid);
    if (!reps) return std::move(reps).error();
    json arr = json::array();
    for (const auto& r : *reps) arr.push_back(access::to_json(r));
    j["representatives"] = std::move(arr);
    return j;
  });
}

void participant_update(http::Request& req, ApiContext& ctx) {
  auto id = path_id(req);
  if (!id) return;
  auto principal = admin(req, ctx, "participant.update");
  if (!principal) return;
  auto doc = body_object(req);
  if (!doc) return;
  Field name = string_field(req, *doc, "name");
  if (!name.ok) return;
  Field code = string_field(req, *doc, "code");
  if (!code.ok) return;
  auto shared = std::make_shared<http::Request>(std::move(req));
  ctx.access.update_participant(principal->actor, *id, name.value, code.value, reply_to(shared, ctx, 200));
}

void participant_issuer_add(http::Request& req, ApiContext& ctx) {
  auto id = path_id(req);
  if (!id) return;
  auto principal = admin(req, ctx, "participant.issuer_add");
  if (!principal) return;
  auto doc = body_object(req);
  if (!doc) return;
  Field issuer = string_field(req, *doc, "issuer");
  if (!issuer.ok) return;
  const pki::Issuer* k = ctx.issuers.find_by_name(issuer.value.value_or(""));
  if (!k)
    return req.reply_error(404, "issuer_not_found",
                           "no configured issuer is named \"" + issuer.value.value_or("") + "\"");
  auto shared = std::make_shared<http::Request>(std::move(req));
  ctx.access.attach_issuer(principal->actor, *id, k->id, k->name, reply_to(shared, ctx, 200));
}

void participant_issuer_remove(http::Request& req, ApiContext& ctx) {
  auto id = path_id(req);
  if (!id) return;
  auto principal = admin(req, ctx, "participant.issuer_remove");
  if (!principal) return;
  auto decoded = req.path_params().decoded("name");
  if (!decoded) return req.reply_error(404, "not_found", "no such resource");
  const std::string name = std::move(*decoded);
  const pki::Issuer* k = ctx.issuers.find_by_name(name);
  if (!k) return req.reply_error(404, "issuer_not_found", "no configured issuer is named \"" + name + "\"");
  auto shared = std::make_shared<http::Request>(std::move(req));
  ctx.access.detach_issuer(principal->actor, *id, k->id, k->name, reply_to(shared, ctx, 200, true));
}

void participant_status(http::Request& req, ApiContext& ctx, bool block) {
  auto id = path_id(req);
  if (!id) return;
  auto principal = admin(req, ctx, block ? "participant.block" : "participant.unblock");
  if (!principal) return;
  auto doc = body_object(req);
  if (!doc) return;
  Field reason = string_field(req, *doc, "reason");
  if (!reason.ok) return;
  auto shared = std::make_shared<http::Request>(std::move(req));
  ctx.access.set_participant_status(principal->actor, *id,
                                    block ? access::EntityStatus::blocked : access::EntityStatus::active,
                                    reason.value.value_or(""), reply_to(shared, ctx, 200, true));
}

void representative_add(http::Request& req, ApiContext& ctx) {
  auto id = path_id(req);
  if (!id) return;
  auto principal = admin(req, ctx, "representative.add");
  if (!principal) return;
  auto doc = body_object(req);
  if (!doc) return;
  Field name = string_field(req, *doc, "name");
  if (!name.ok) return;
  Field role = string_field(req, *doc, "role");
  if (!role.ok) return;
  auto r = access::role_from_name(role.value.value_or(""));
  if (!r) return req.reply_error(400, "role_invalid", "\"role\" must be admin, operator or viewer");
  auto shared = std::make_shared<http::Request>(std::move(req));
  ctx.access.add_representative(principal->actor, *id, name.value.value_or(""), *r, reply_to(shared, ctx, 201));
}

// ---- representatives ---------------------------------------------------------------

void representative_list(http::Request& req, ApiContext& ctx) {
  if (!admin(req, ctx, "representative.list")) return;
  std::uint32_t participant = 0;
  if (auto p = req.query("participant")) {
    auto id = parse_id(*p);
    if (!id) return req.reply_error(400, "invalid_argument", "participant must be an id");
    participant = *id;
  }
  read(req, [participant](const storage::ReadTxn& txn) -> Result<json> {
    auto list = access::list_representatives(txn, participant);
    if (!list) return std::move(list).error();
    json arr = json::array();
    for (const auto& r : *list) arr.push_back(access::to_json(r));
    return json{{"representatives", std::move(arr)}};
  });
}

void representative_get(http::Request& req, ApiContext& ctx) {
  auto id = path_id(req);
  if (!id) return;
  if (!admin(req, ctx, "representative.get")) return;
  const std::uint32_t rid = *id;
  read(req, [rid](const storage::ReadTxn& txn) -> Result<json> {
    auto r = access::get_representative(txn, rid);
    if (!r) return std::move(r).error();
    if (!*r) return make_error(ErrorKind::not_found, "representative_not_found", "no representative " + std::to_string(rid));
    json j = access::to_json(**r);
    auto creds = access::list_credentials(txn, rid);
    if (!creds) return std::move(creds).error();
    json arr = json::array();
    for (const auto& c : *creds) arr.push_back(access::to_json(c));
    j["credentials"] = std::move(arr);
    return j;
  });
}

void representative_update(http::Request& req, ApiContext& ctx) {
  auto id = path_id(req);
  if (!id) return;
  auto principal = admin(req, ctx, "representative.update");
  if (!principal) return;
  auto doc = body_object(req);
  if (!doc) return;
  Field name = string_field(req, *doc, "name");
  if (!name.ok) return;
  Field role = string_field(req, *doc, "role");
  if (!role.ok) return;
  std::optional<access::Role> r;
  if (role.value) {
    r = access::role_from_name(*role.value);
    if (!r) return req.reply_error(400, "role_invalid", "\"role\" must be admin, operator or viewer");
  }
  auto shared = std::make_shared<http::Request>(std::move(req));
  ctx.access.update_representative(principal->actor, *id, name.value, r, reply_to(shared, ctx, 200, true));
}

void representative_status(http::Request& req, ApiContext& ctx, bool block) {
  auto id = path_id(req);
  if (!id) return;
  auto principal = admin(req, ctx, block ? "representative.block" : "representative.unblock");
  if (!principal) return;
  auto doc = body_object(req);
  if (!doc) return;
  Field reason = string_field(req, *doc, "reason");
  if (!reason.ok) return;
  auto shared = std::make_shared<http::Request>(std::move(req));
  ctx.access.set_representative_status(principal->actor, *id,
                                       block ? access::EntityStatus::blocked : access::EntityStatus::active,
                                       reason.value.value_or(""), reply_to(shared, ctx, 200, true));
}

// POST .../tokens and .../certificates: a new credential of the representative.
void credential_add(http::Request& req, ApiContext& ctx, bool token) {
  auto id = path_id(req);
  if (!id) return;
  auto principal = admin(req, ctx, token ? "credential.token_issue" : "credential.certificate_bind");
  if (!principal) return;
  auto doc = body_object(req);
  if (!doc) return;
  bool ok = true;
  const UnixTime expires = parse_expiry(req, *doc, ok);
  if (!ok) return;
  const double rate = parse_rate(req, *doc, ok);
  if (!ok) return;
  Field label = string_field(req, *doc, "label");
  if (!label.ok) return;
  if (token) {
    auto shared = std::make_shared<http::Request>(std::move(req));
    ctx.access.issue_token(principal->actor, *id, expires, rate, label.value.value_or(""),
                           reply_to(shared, ctx, 201));
    return;
  }
  Field pem = string_field(req, *doc, "certificate");
  if (!pem.ok) return;
  Bytes der;
  if (auto certs = x509s_from_pem(pem.value.value_or("")); certs && !certs->empty()) {
    der = x509_der(certs->front().get());
  } else if (auto raw = base64_decode_lenient(pem.value.value_or(""))) {
    der = std::move(*raw);
  }
  auto shared = std::make_shared<http::Request>(std::move(req));
  ctx.access.bind_certificate(principal->actor, *id, std::move(der), expires, rate, label.value.value_or(""),
                              reply_to(shared, ctx, 201));
}

void credential_revoke(http::Request& req, ApiContext& ctx) {
  auto id = path_id(req);
  if (!id) return;
  auto principal = admin(req, ctx, "credential.revoke");
  if (!principal) return;
  auto shared = std::make_shared<http::Request>(std::move(req));
  ctx.access.revoke_credential(principal->actor, *id, reply_to(shared, ctx, 200, true));
}

// ---- audit -------------------------------------------------------------------------

void audit_verify(http::Request& req, ApiContext& ctx) {
  if (!admin(req, ctx, "audit.verify")) return;
  read(req, [](const storage::ReadTxn& txn) -> Result<json> {
    auto check = storage::verify_event_chain(txn);
    if (!check) return std::move(check).error();
    json j = {{"ok", check->ok}, {"events", check->events}};
    if (!check->ok) {
      j["first_broken"] = check->first_broken;
      j["reason"] = check->reason;
    }
    return j;
  });
}

void audit_read(http::Request& req, ApiContext& ctx) {
  if (!admin(req, ctx, "audit.read")) return;
  access::AuditQuery q;
  q.actor = req.query("actor").value_or("");
  q.action = req.query("action").value_or("");
  for (auto [name, target] : {std::pair<const char*, UnixTime*>{"since", &q.since}, {"until", &q.until}}) {
    if (auto v = req.query(name)) {
      auto t = parse_rfc3339(*v);
      if (!t) return req.reply_error(400, "invalid_argument", std::string(name) + " must be an RFC 3339 time");
      *target = *t;
    }
  }
  for (auto [name, target] : {std::pair<const char*, std::uint64_t*>{"after", &q.after}}) {
    if (auto v = req.query(name)) {
      auto r = std::from_chars(v->data(), v->data() + v->size(), *target);
      if (r.ec != std::errc() || r.ptr != v->data() + v->size())
        return req.reply_error(400, "invalid_argument", std::string(name) + " must be a sequence number");
    }
  }
  if (auto v = req.query("limit")) {
    std::size_t limit = 0;
    auto r = std::from_chars(v->data(), v->data() + v->size(), limit);
    if (r.ec != std::errc() || r.ptr != v->data() + v->size() || limit == 0 || limit > access::kMaxAuditLimit)
      return req.reply_error(400, "invalid_argument", "limit must be 1.." + std::to_string(access::kMaxAuditLimit));
    q.limit = limit;
  }
  read(req, [&q](const storage::ReadTxn& txn) -> Result<json> {
    auto page = access::audit_query(txn, q);
    if (!page) return std::move(page).error();
    json j = {{"events", std::move(page->events)}};
    j["next"] = page->next ? json(std::to_string(*page->next)) : json(nullptr);
    return j;
  });
}

void me(http::Request& req, ApiContext& ctx) {
  auto principal = guard(req, ctx, access::Need::read, "me");
  if (!principal) return;
  const Actor& a = principal->actor;
  json j = {{"actor", a.label()},
            {"participant", a.participant},
            {"participant_name", principal->participant_name},
            {"kind", access::kind_name(principal->kind)},
            {"representative", a.representative},
            {"role", access::role_name(principal->role)},
            {"credential", a.credential}};
  if (a.issuers) {
    json names = json::array();
    for (std::uint32_t id : *a.issuers)
      if (const pki::Issuer* k = ctx.issuers.find_by_id(id)) names.push_back(k->name);
    j["issuers"] = std::move(names);
  }
  req.reply_json(200, j, {{"Cache-Control", "no-store"}});
}

}  // namespace

void add_admin_routes(http::Router& router, ApiContext& ctx) {
  using M = http::Method;
  auto on = [&router, &ctx](M method, std::string_view path, auto fn) {
    router.add(method, std::string(kPrefix) + std::string(path), [&ctx, fn](http::Request& req) { fn(req, ctx); });
  };
  using R = http::Request;
  using C = ApiContext;
  on(M::Get, "participants", participant_list);
  on(M::Post, "participants", participant_add);
  on(M::Get, "participants/{id}", participant_get);
  on(M::Patch, "participants/{id}", participant_update);
  on(M::Post, "participants/{id}/issuers", participant_issuer_add);
  on(M::Delete, "participants/{id}/issuers/{name}", participant_issuer_remove);
  on(M::Post, "participants/{id}/block", [](R& req, C& c) { participant_status(req, c, true); });
  on(M::Post, "participants/{id}/unblock", [](R& req, C& c) { participant_status(req, c, false); });
  on(M::Post, "participants/{id}/representatives", representative_add);
  on(M::Get, "representatives", representative_list);
  on(M::Get, "representatives/{id}", representative_get);
  on(M::Patch, "representatives/{id}", representative_update);
  on(M::Post, "representatives/{id}/block", [](R& req, C& c) { representative_status(req, c, true); });
  on(M::Post, "representatives/{id}/unblock", [](R& req, C& c) { representative_status(req, c, false); });
  on(M::Post, "representatives/{id}/tokens", [](R& req, C& c) { credential_add(req, c, true); });
  on(M::Post, "representatives/{id}/certificates", [](R& req, C& c) { credential_add(req, c, false); });
  on(M::Post, "credentials/{id}/revoke", credential_revoke);
  on(M::Get, "audit", audit_read);
  on(M::Get, "audit/verify", audit_verify);
  router.add(M::Get, "/api/v1/me", [&ctx](R& req) { me(req, ctx); });
}

}  // namespace trustmon::routes
