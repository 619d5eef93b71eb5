#include "responder/routes/admin_routes.hpp"

#include <charconv>
#include <initializer_list>
#include <optional>
#include <utility>
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

// An admin call on the item named by the path's {id}: the id, who calls and, when
// `with_body`, the JSON object sent. nullopt when one of them was refused (replied).
struct ItemCall {
  std::uint32_t id = 0;
  access::Principal principal;
  json doc;
};
std::optional<ItemCall> item_call(http::Request& req, ApiContext& ctx, std::string_view action,
                                  bool with_body = true) {
  auto id = path_id(req);
  if (!id) return std::nullopt;
  auto principal = admin(req, ctx, action);
  if (!principal) return std::nullopt;
  ItemCall call{*id, std::move(*principal), json::object()};
  if (with_body) {
    auto doc = body_object(req);
    if (!doc) return std::nullopt;
    call.doc = std::move(*doc);
  }
  return call;
}

// Reads the named string fields of `doc`; false when one is refused (replied).
bool read_strings(http::Request& req, const json& doc, std::initializer_list<std::pair<const char*, Field*>> fields) {
  for (auto [name, field] : fields) {
    *field = string_field(req, doc, name);
    if (!field->ok) return false;
  }
  return true;
}

// A JSON array of view(item) for every item.
template <typename Items, typename View>
json json_list(const Items& items, View view) {
  json arr = json::array();
  for (const auto& item : items) arr.push_back(view(item));
  return arr;
}
const auto kAccessView = [](const auto& record) { return access::to_json(record); };

// The record of a point read, or not_found with `code` ("no <what>") when there is none.
template <typename T>
Result<T> found(Result<std::optional<T>> read, const char* code, const std::string& what) {
  if (!read) return std::move(read).error();
  if (!*read) return make_error(ErrorKind::not_found, code, "no " + what);
  return std::move(**read);
}

// The request, kept alive until the Writer answers.
std::shared_ptr<http::Request> keep(http::Request& req) { return std::make_shared<http::Request>(std::move(req)); }

// ---- participants ------------------------------------------------------------------

void participant_list(http::Request& req, ApiContext& ctx) {
  if (!admin(req, ctx, "participant.list")) return;
  read(req, [&ctx](const storage::ReadTxn& txn) -> Result<json> {
    auto list = access::list_participants(txn);
    if (!list) return std::move(list).error();
    return json{{"participants", json_list(*list, [&ctx](const auto& p) { return participant_view(p, ctx.issuers); })}};
  });
}

void participant_add(http::Request& req, ApiContext& ctx) {
  auto principal = admin(req, ctx, "participant.add");
  if (!principal) return;
  auto doc = body_object(req);
  if (!doc) return;
  Field kind, name, code;
  if (!read_strings(req, *doc, {{"kind", &kind}, {"name", &name}, {"code", &code}})) return;
  auto k = access::kind_from_name(kind.value.value_or(""));
  if (!k)
    return req.reply_error(400, "kind_invalid", "\"kind\" must be central_body, qtsp, tool_developer or system_owner");
  ctx.access.add_participant(principal->actor, *k, name.value.value_or(""), code.value.value_or(""),
                             reply_to(keep(req), ctx, 201));
}

void participant_get(http::Request& req, ApiContext& ctx) {
  auto call = item_call(req, ctx, "participant.get", false);
  if (!call) return;
  const std::uint32_t pid = call->id;
  read(req, [&ctx, pid](const storage::ReadTxn& txn) -> Result<json> {
    auto p = found(access::get_participant(txn, pid), "participant_not_found", "participant " + std::to_string(pid));
    if (!p) return std::move(p).error();
    auto reps = access::list_representatives(txn, pid);
    if (!reps) return std::move(reps).error();
    json j = participant_view(*p, ctx.issuers);
    j["representatives"] = json_list(*reps, kAccessView);
    return j;
  });
}

void participant_update(http::Request& req, ApiContext& ctx) {
  auto call = item_call(req, ctx, "participant.update");
  if (!call) return;
  Field name, code;
  if (!read_strings(req, call->doc, {{"name", &name}, {"code", &code}})) return;
  ctx.access.update_participant(call->principal.actor, call->id, name.value, code.value, reply_to(keep(req), ctx, 200));
}

void participant_issuer_add(http::Request& req, ApiContext& ctx) {
  auto call = item_call(req, ctx, "participant.issuer_add");
  if (!call) return;
  Field issuer;
  if (!read_strings(req, call->doc, {{"issuer", &issuer}})) return;
  const pki::Issuer* k = ctx.issuers.find_by_name(issuer.value.value_or(""));
  if (!k)
    return req.reply_error(404, "issuer_not_found",
                           "no configured issuer is named \"" + issuer.value.value_or("") + "\"");
  ctx.access.attach_issuer(call->principal.actor, call->id, k->id, k->name, reply_to(keep(req), ctx, 200));
}

void participant_issuer_remove(http::Request& req, ApiContext& ctx) {
  auto call = item_call(req, ctx, "participant.issuer_remove", false);
  if (!call) return;
  auto decoded = req.path_params().decoded("name");
  if (!decoded) return req.reply_error(404, "not_found", "no such resource");
  const std::string name = std::move(*decoded);
  const pki::Issuer* k = ctx.issuers.find_by_name(name);
  if (!k) return req.reply_error(404, "issuer_not_found", "no configured issuer is named \"" + name + "\"");
  ctx.access.detach_issuer(call->principal.actor, call->id, k->id, k->name, reply_to(keep(req), ctx, 200, true));
}

// POST .../block and .../unblock of a participant or a representative.
void entity_status(http::Request& req, ApiContext& ctx, bool participant, bool block) {
  const char* action = participant ? (block ? "participant.block" : "participant.unblock")
                                   : (block ? "representative.block" : "representative.unblock");
  auto call = item_call(req, ctx, action);
  if (!call) return;
  Field reason;
  if (!read_strings(req, call->doc, {{"reason", &reason}})) return;
  const access::EntityStatus status = block ? access::EntityStatus::blocked : access::EntityStatus::active;
  auto done = reply_to(keep(req), ctx, 200, true);
  if (participant)
    ctx.access.set_participant_status(call->principal.actor, call->id, status, reason.value.value_or(""), done);
  else
    ctx.access.set_representative_status(call->principal.actor, call->id, status, reason.value.value_or(""), done);
}

void representative_add(http::Request& req, ApiContext& ctx) {
  auto call = item_call(req, ctx, "representative.add");
  if (!call) return;
  Field name, role;
  if (!read_strings(req, call->doc, {{"name", &name}, {"role", &role}})) return;
  auto r = access::role_from_name(role.value.value_or(""));
  if (!r) return req.reply_error(400, "role_invalid", "\"role\" must be admin, operator or viewer");
  ctx.access.add_representative(call->principal.actor, call->id, name.value.value_or(""), *r,
                                reply_to(keep(req), ctx, 201));
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
    return json{{"representatives", json_list(*list, kAccessView)}};
  });
}

void representative_get(http::Request& req, ApiContext& ctx) {
  auto call = item_call(req, ctx, "representative.get", false);
  if (!call) return;
  const std::uint32_t rid = call->id;
  read(req, [rid](const storage::ReadTxn& txn) -> Result<json> {
    auto r = found(access::get_representative(txn, rid), "representative_not_found",
                   "representative " + std::to_string(rid));
    if (!r) return std::move(r).error();
    auto creds = access::list_credentials(txn, rid);
    if (!creds) return std::move(creds).error();
    json j = access::to_json(*r);
    j["credentials"] = json_list(*creds, kAccessView);
    return j;
  });
}

void representative_update(http::Request& req, ApiContext& ctx) {
  auto call = item_call(req, ctx, "representative.update");
  if (!call) return;
  Field name, role;
  if (!read_strings(req, call->doc, {{"name", &name}, {"role", &role}})) return;
  std::optional<access::Role> r;
  if (role.value) {
    r = access::role_from_name(*role.value);
    if (!r) return req.reply_error(400, "role_invalid", "\"role\" must be admin, operator or viewer");
  }
  ctx.access.update_representative(call->principal.actor, call->id, name.value, r, reply_to(keep(req), ctx, 200, true));
}

// POST .../tokens and .../certificates: a new credential of the representative.
void credential_add(http::Request& req, ApiContext& ctx, bool token) {
  auto call = item_call(req, ctx, token ? "credential.token_issue" : "credential.certificate_bind");
  if (!call) return;
  bool ok = true;
  const UnixTime expires = parse_expiry(req, call->doc, ok);
  if (!ok) return;
  const double rate = parse_rate(req, call->doc, ok);
  if (!ok) return;
  Field label;
  if (!read_strings(req, call->doc, {{"label", &label}})) return;
  if (token) {
    ctx.access.issue_token(call->principal.actor, call->id, expires, rate, label.value.value_or(""),
                           reply_to(keep(req), ctx, 201));
    return;
  }
  Field pem;
  if (!read_strings(req, call->doc, {{"certificate", &pem}})) return;
  Bytes der;
  if (auto certs = x509s_from_pem(pem.value.value_or("")); certs && !certs->empty()) {
    der = x509_der(certs->front().get());
  } else if (auto raw = base64_decode_lenient(pem.value.value_or(""))) {
    der = std::move(*raw);
  }
  ctx.access.bind_certificate(call->principal.actor, call->id, std::move(der), expires, rate,
                              label.value.value_or(""), reply_to(keep(req), ctx, 201));
}

void credential_revoke(http::Request& req, ApiContext& ctx) {
  auto call = item_call(req, ctx, "credential.revoke", false);
  if (!call) return;
  ctx.access.revoke_credential(call->principal.actor, call->id, reply_to(keep(req), ctx, 200, true));
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

}  // namespace

void add_admin_routes(http::Router& router, ApiContext& ctx) {
  using M = http::Method;
  auto on = [&router, &ctx](M method, std::string_view path, auto fn) {
    router.add(method, std::string(kPrefix) + std::string(path), [&ctx, fn](http::Request& req) { fn(req, ctx); },
               http::kApiRoute);
  };
  using R = http::Request;
  using C = ApiContext;
  on(M::Get, "participants", participant_list);
  on(M::Post, "participants", participant_add);
  on(M::Get, "participants/{id}", participant_get);
  on(M::Patch, "participants/{id}", participant_update);
  on(M::Post, "participants/{id}/issuers", participant_issuer_add);
  on(M::Delete, "participants/{id}/issuers/{name}", participant_issuer_remove);
  on(M::Post, "participants/{id}/block", [](R& req, C& c) { entity_status(req, c, true, true); });
  on(M::Post, "participants/{id}/unblock", [](R& req, C& c) { entity_status(req, c, true, false); });
  on(M::Post, "participants/{id}/representatives", representative_add);
  on(M::Get, "representatives", representative_list);
  on(M::Get, "representatives/{id}", representative_get);
  on(M::Patch, "representatives/{id}", representative_update);
  on(M::Post, "representatives/{id}/block", [](R& req, C& c) { entity_status(req, c, false, true); });
  on(M::Post, "representatives/{id}/unblock", [](R& req, C& c) { entity_status(req, c, false, false); });
  on(M::Post, "representatives/{id}/tokens", [](R& req, C& c) { credential_add(req, c, true); });
  on(M::Post, "representatives/{id}/certificates", [](R& req, C& c) { credential_add(req, c, false); });
  on(M::Post, "credentials/{id}/revoke", credential_revoke);
  on(M::Get, "audit", audit_read);
  on(M::Get, "audit/verify", audit_verify);
}

}  // namespace trustmon::routes
