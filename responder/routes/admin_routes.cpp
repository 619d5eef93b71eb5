#include "responder/routes/admin_routes.hpp"

#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

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

std::vector<std::string_view> segments(std::string_view path) { return path_segments(path.substr(kPrefix.size())); }

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

json participant_view(const access::ParticipantRecord& p, const ocsp::IssuerTable& issuers) {
  json j = access::to_json(p);
  json names = json::array();
  for (std::uint32_t id : p.issuers) {
    const ocsp::IssuerKeys* k = issuers.find_by_id(id);
    names.push_back(k ? json(k->name) : json(nullptr));
  }
  j["issuers"] = std::move(names);
  return j;
}

class AdminHandler {
 public:
  explicit AdminHandler(ApiContext& ctx) : ctx_(ctx) {}

  void operator()(http::Request& req) {
    const auto seg = segments(req.path());
    if (seg.empty()) return not_found(req);
    const std::string_view what = seg[0];
    if (what == "participants") return participants(req, seg);
    if (what == "representatives") return representatives(req, seg);
    if (what == "credentials") return credentials(req, seg);
    if (what == "audit") return audit(req, seg);
    not_found(req);
  }

 private:
  static void not_found(http::Request& req) { req.reply_error(404, "not_found", "no such resource"); }
  static void method_not_allowed(http::Request& req) {
    req.reply_error(405, "method_not_allowed", "method not allowed for this resource");
  }

  std::optional<access::Principal> admin(http::Request& req, std::string_view action) {
    return guard(req, ctx_, access::Need::admin, action);
  }

  template <typename Fn>
  void read(http::Request& req, Fn fn) {
    reply_read(req, fn);
  }

  void participants(http::Request& req, const std::vector<std::string_view>& seg) {
    const http::Method m = req.method();
    if (seg.size() == 1) {
      if (m == http::Method::Get || m == http::Method::Head) {
        if (!admin(req, "participant.list")) return;
        return read(req, [this](const storage::ReadTxn& txn) -> Result<json> {
          auto list = access::list_participants(txn);
          if (!list) return std::move(list).error();
          json arr = json::array();
          for (const auto& p : *list) arr.push_back(participant_view(p, ctx_.issuers));
          return json{{"participants", std::move(arr)}};
        });
      }
      if (m != http::Method::Post) return method_not_allowed(req);
      auto principal = admin(req, "participant.add");
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
        return req.reply_error(400, "kind_invalid",
                               "\"kind\" must be central_body, qtsp, tool_developer or system_owner");
      auto shared = std::make_shared<http::Request>(std::move(req));
      ctx_.access.add_participant(principal->actor, *k, name.value.value_or(""), code.value.value_or(""),
                                  reply_to(shared, ctx_, 201));
      return;
    }
    auto id = parse_id(seg[1]);
    if (!id) return not_found(req);
    if (seg.size() == 2) {
      if (m == http::Method::Get || m == http::Method::Head) {
        if (!admin(req, "participant.get")) return;
        const std::uint32_t pid = *id;
        return read(req, [this, pid](const storage::ReadTxn& txn) -> Result<json> {
          auto p = access::get_participant(txn, pid);
          if (!p) return std::move(p).error();
          if (!*p) return make_error(ErrorKind::not_found, "participant_not_found", "no participant " + std::to_string(pid));
          json j = participant_view(**p, ctx_.issuers);
          auto reps = access::list_representatives(txn, pid);
          if (!reps) return std::move(reps).error();
          json arr = json::array();
          for (const auto& r : *reps) arr.push_back(access::to_json(r));
          j["representatives"] = std::move(arr);
          return j;
        });
      }
      if (m != http::Method::Patch) return method_not_allowed(req);
      auto principal = admin(req, "participant.update");
      if (!principal) return;
      auto doc = body_object(req);
      if (!doc) return;
      Field name = string_field(req, *doc, "name");
      if (!name.ok) return;
      Field code = string_field(req, *doc, "code");
      if (!code.ok) return;
      auto shared = std::make_shared<http::Request>(std::move(req));
      ctx_.access.update_participant(principal->actor, *id, name.value, code.value, reply_to(shared, ctx_, 200));
      return;
    }
    const std::string_view sub = seg[2];
    if (sub == "issuers") {
      if (seg.size() == 3 && m == http::Method::Post) {
        auto principal = admin(req, "participant.issuer_add");
        if (!principal) return;
        auto doc = body_object(req);
        if (!doc) return;
        Field issuer = string_field(req, *doc, "issuer");
        if (!issuer.ok) return;
        const ocsp::IssuerKeys* k = ctx_.issuers.find_by_name(issuer.value.value_or(""));
        if (!k)
          return req.reply_error(404, "issuer_not_found",
                                 "no configured issuer is named \"" + issuer.value.value_or("") + "\"");
        auto shared = std::make_shared<http::Request>(std::move(req));
        ctx_.access.attach_issuer(principal->actor, *id, k->id, k->name, reply_to(shared, ctx_, 200));
        return;
      }
      if (seg.size() == 4 && m == http::Method::Delete) {
        auto principal = admin(req, "participant.issuer_remove");
        if (!principal) return;
        auto decoded = percent_decode(seg[3]);
        if (!decoded) return not_found(req);
        const std::string name = std::move(*decoded);
        const ocsp::IssuerKeys* k = ctx_.issuers.find_by_name(name);
        if (!k) return req.reply_error(404, "issuer_not_found", "no configured issuer is named \"" + name + "\"");
        auto shared = std::make_shared<http::Request>(std::move(req));
        ctx_.access.detach_issuer(principal->actor, *id, k->id, k->name, reply_to(shared, ctx_, 200, true));
        return;
      }
      return seg.size() <= 4 ? method_not_allowed(req) : not_found(req);
    }
    if (seg.size() != 3) return not_found(req);
    if (sub == "block" || sub == "unblock") {
      if (m != http::Method::Post) return method_not_allowed(req);
      const bool block = sub == "block";
      auto principal = admin(req, block ? "participant.block" : "participant.unblock");
      if (!principal) return;
      auto doc = body_object(req);
      if (!doc) return;
      Field reason = string_field(req, *doc, "reason");
      if (!reason.ok) return;
      auto shared = std::make_shared<http::Request>(std::move(req));
      ctx_.access.set_participant_status(principal->actor, *id,
                                         block ? access::EntityStatus::blocked : access::EntityStatus::active,
                                         reason.value.value_or(""), reply_to(shared, ctx_, 200, true));
      return;
    }
    if (sub == "representatives") {
      if (m != http::Method::Post) return method_not_allowed(req);
      auto principal = admin(req, "representative.add");
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
      ctx_.access.add_representative(principal->actor, *id, name.value.value_or(""), *r,
                                     reply_to(shared, ctx_, 201));
      return;
    }
    not_found(req);
  }

  void representatives(http::Request& req, const std::vector<std::string_view>& seg) {
    const http::Method m = req.method();
    if (seg.size() == 1) {
      if (m != http::Method::Get && m != http::Method::Head) return method_not_allowed(req);
      if (!admin(req, "representative.list")) return;
      std::uint32_t participant = 0;
      if (auto p = req.query("participant")) {
        auto id = parse_id(*p);
        if (!id) return req.reply_error(400, "invalid_argument", "participant must be an id");
        participant = *id;
      }
      return read(req, [participant](const storage::ReadTxn& txn) -> Result<json> {
        auto list = access::list_representatives(txn, participant);
        if (!list) return std::move(list).error();
        json arr = json::array();
        for (const auto& r : *list) arr.push_back(access::to_json(r));
        return json{{"representatives", std::move(arr)}};
      });
    }
    auto id = parse_id(seg[1]);
    if (!id) return not_found(req);
    if (seg.size() == 2) {
      if (m == http::Method::Get || m == http::Method::Head) {
        if (!admin(req, "representative.get")) return;
        const std::uint32_t rid = *id;
        return read(req, [rid](const storage::ReadTxn& txn) -> Result<json> {
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
      if (m != http::Method::Patch) return method_not_allowed(req);
      auto principal = admin(req, "representative.update");
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
      ctx_.access.update_representative(principal->actor, *id, name.value, r, reply_to(shared, ctx_, 200, true));
      return;
    }
    if (seg.size() != 3) return not_found(req);
    const std::string_view sub = seg[2];
    if (m != http::Method::Post) return method_not_allowed(req);
    if (sub == "block" || sub == "unblock") {
      const bool block = sub == "block";
      auto principal = admin(req, block ? "representative.block" : "representative.unblock");
      if (!principal) return;
      auto doc = body_object(req);
      if (!doc) return;
      Field reason = string_field(req, *doc, "reason");
      if (!reason.ok) return;
      auto shared = std::make_shared<http::Request>(std::move(req));
      ctx_.access.set_representative_status(principal->actor, *id,
                                            block ? access::EntityStatus::blocked : access::EntityStatus::active,
                                            reason.value.value_or(""), reply_to(shared, ctx_, 200, true));
      return;
    }
    if (sub == "tokens" || sub == "certificates") {
      const bool token = sub == "tokens";
      auto principal = admin(req, token ? "credential.token_issue" : "credential.certificate_bind");
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
        ctx_.access.issue_token(principal->actor, *id, expires, rate, label.value.value_or(""),
                                reply_to(shared, ctx_, 201));
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
      ctx_.access.bind_certificate(principal->actor, *id, std::move(der), expires, rate, label.value.value_or(""),
                                   reply_to(shared, ctx_, 201));
      return;
    }
    not_found(req);
  }

  void credentials(http::Request& req, const std::vector<std::string_view>& seg) {
    if (seg.size() != 3 || seg[2] != "revoke") return not_found(req);
    auto id = parse_id(seg[1]);
    if (!id) return not_found(req);
    if (req.method() != http::Method::Post) return method_not_allowed(req);
    auto principal = admin(req, "credential.revoke");
    if (!principal) return;
    auto shared = std::make_shared<http::Request>(std::move(req));
    ctx_.access.revoke_credential(principal->actor, *id, reply_to(shared, ctx_, 200, true));
  }

  void audit(http::Request& req, const std::vector<std::string_view>& seg) {
    if (req.method() != http::Method::Get && req.method() != http::Method::Head) return method_not_allowed(req);
    if (seg.size() == 2 && seg[1] == "verify") {
      if (!admin(req, "audit.verify")) return;
      return read(req, [](const storage::ReadTxn& txn) -> Result<json> {
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
    if (seg.size() != 1) return not_found(req);
    if (!admin(req, "audit.read")) return;
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

  ApiContext& ctx_;
};

}  // namespace

void add_admin_routes(http::Router& router, ApiContext& ctx) {
  auto handler = std::make_shared<AdminHandler>(ctx);
  for (http::Method m : {http::Method::Get, http::Method::Post, http::Method::Patch, http::Method::Delete})
    router.add_prefix(m, std::string(kPrefix), [handler](http::Request& req) { (*handler)(req); });

  router.add(http::Method::Get, "/api/v1/me", [&ctx](http::Request& req) {
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
        if (const ocsp::IssuerKeys* k = ctx.issuers.find_by_id(id)) names.push_back(k->name);
      j["issuers"] = std::move(names);
    }
    req.reply_json(200, j, {{"Cache-Control", "no-store"}});
  });
}

}  // namespace trustmon::routes
