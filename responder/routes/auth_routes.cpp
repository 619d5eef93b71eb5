#include "responder/routes/auth_routes.hpp"

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/log.hpp"
#include "common/time.hpp"
#include "responder/access/session.hpp"
#include "responder/http/stream.hpp"
#include "responder/routes/json_body.hpp"
#include "responder/routes/worker_state.hpp"

namespace trustmon::routes {
namespace {

using nlohmann::json;
constexpr std::size_t kMaxTokenBytes = 512;

// What the cabinet needs to know about the principal: names, role and what it may do.
}  // namespace

ClientFacts client_facts(const http::Request& req) { return ClientFacts{req.peer(), req.tls_peer().has_value()}; }

std::string session_cookie_header(bool secure, std::string_view value, UnixTime max_age) {
  std::string c = std::string(access::kSessionCookie) + "=" + std::string(value) +
                  "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age);
  if (secure) c += "; Secure";
  return c;
}

void start_session(std::shared_ptr<http::Request> kept, const ClientFacts& client, ApiContext& ctx,
                   const AuthOptions& options,
                   const Actor& actor, access::SessionRecord draft, json as, json details,
                   std::vector<std::pair<std::string, std::string>> extra_headers) {
  auto verifier = access::random_secret();
  auto csrf = access::random_secret();
  if (!verifier || !csrf) return kept->reply_error(500, "internal_error", "no randomness for a session");
  draft.verifier_hash = access::verifier_hash(*verifier);
  draft.expires = ctx.clock.now() + options.session_lifetime;
  draft.csrf = *csrf;
  draft.address = client.address;
  const UnixTime lifetime = options.session_lifetime;
  const bool secure = client.secure;
  ctx.access.open_session(
      actor, std::move(draft), std::move(details),
      [kept, as = std::move(as), secret = *verifier, csrf_secret = *csrf, lifetime, secure,
       extra = std::move(extra_headers)](Result<json> r) mutable {
        if (!r) {
          if (!r.error().is_refusal()) log().error("cannot open a session: {}", r.error().message);
          return kept->reply_error(r.error());
        }
        access::SessionCookie cookie;
        cookie.id = r->value("session", std::uint64_t{0});
        cookie.verifier = secret;
        const std::string set_cookie = session_cookie_header(secure, access::format_session_cookie(cookie), lifetime);
        as["csrf"] = access::csrf_text(csrf_secret);
        as["expires"] = (*r)["expires"];
        json body = {{"as", as}, {"csrf", as["csrf"]}, {"expires", as["expires"]}};
        std::vector<http::Header> headers = {{"Set-Cookie", set_cookie}, {"Cache-Control", "no-store"}};
        for (const auto& [name, value] : extra) headers.push_back({name, value});
        kept->reply_json(200, body, http::Headers(headers.data(), headers.size()));
      });
}

json principal_json(const storage::ReadTxn& txn, const access::Principal& p, const pki::IssuerSet& issuers) {
  const Actor& a = p.actor;
  if (p.holder) {
    const access::HolderIdentity& h = *p.holder;
    json ids = json::array();
    for (const auto& i : h.identifiers) ids.push_back({{"kind", i.kind}, {"value", i.value}});
    const pki::Issuer* issuer = issuers.find_by_id(h.certificate.issuer);
    json j = {{"as", "holder"},
              {"actor", a.label()},
              {"bootstrap", false},
              {"method", "signature"},
              {"holder",
               {{"name", h.name},
                {"identifiers", std::move(ids)},
                {"certificate",
                 {{"issuer", issuer ? issuer->name : std::string()},
                  {"serial", hex_encode(h.certificate.serial, true)},
                  {"sha256", hex_encode(ByteView(h.certificate.sha256.data(), h.certificate.sha256.size()))},
                  {"not_after", format_rfc3339(h.certificate.not_after)}}}}},
              {"may", {{"write", false}, {"admin", false}, {"central_body", false}, {"holder", true}}}};
    if (a.session != 0) {
      j["csrf"] = access::csrf_text(p.csrf);
      j["expires"] = format_rfc3339(p.session_expires);
    }
    return j;
  }
  json j = {{"as", "representative"},
            {"actor", a.label()},
            {"bootstrap", p.bootstrap},
            {"method", p.method == access::SessionMethod::signature ? "signature" : "token"},
            {"participant", a.participant},
            {"participant_name", p.participant_name},
            {"kind", access::kind_name(p.kind)},
            {"representative", a.representative},
            {"role", access::role_name(p.role)},
            {"credential", a.credential}};
  if (!p.bootstrap) {
    if (auto part = access::get_participant(txn, a.participant); part && *part) j["participant_code"] = (*part)->code;
    if (auto rep = access::get_representative(txn, a.representative); rep && *rep) j["representative_name"] = (*rep)->name;
  }
  if (a.issuers) {
    json names = json::array();
    for (std::uint32_t id : *a.issuers)
      if (const pki::Issuer* k = issuers.find_by_id(id)) names.push_back(k->name);
    j["issuers"] = std::move(names);
  }
  const bool write = p.role == access::Role::admin || p.role == access::Role::operator_;
  j["may"] = {{"write", write}, {"admin", is_central_admin(p)}, {"central_body", is_central_body(p)}, {"holder", false}};
  if (a.session != 0) {
    j["csrf"] = access::csrf_text(p.csrf);
    j["expires"] = format_rfc3339(p.session_expires);
  }
  return j;
}

namespace {

void login(http::Request& req, ApiContext& ctx, const AuthOptions& options) {
  auto doc = body_object(req);
  if (!doc) return;
  StringField token = string_field(req, *doc, "token");
  if (!token.ok) return;
  if (!token.value || token.value->empty() || token.value->size() > kMaxTokenBytes)
    return req.reply_error(400, "invalid_argument", "\"token\" must be an API token");
  WorkerState& state = worker_state(req);
  access::AuthOutcome outcome;
  json as;
  {
    storage::ReadScope scope(state.txn);
    if (!scope.status()) return req.reply_error(503, "storage_unavailable", "cannot read credentials");
    outcome = access::authenticate(state.txn, *token.value, nullptr, ctx.clock.now());
    if (outcome.principal) as = principal_json(state.txn, *outcome.principal, ctx.issuers);
  }
  if (!outcome.principal) return refuse_authentication(req, ctx, outcome, "auth.login");
  if (!within_rate(req, ctx, *outcome.principal)) return;
  access::SessionRecord draft;
  draft.credential = outcome.principal->actor.credential;
  draft.bootstrap = outcome.principal->bootstrap;
  const ClientFacts client = client_facts(req);
  start_session(std::make_shared<http::Request>(std::move(req)), client, ctx, options, outcome.principal->actor,
                std::move(draft), std::move(as), json::object(), {});
}

void logout(http::Request& req, ApiContext& ctx) {
  auto principal = guard(req, ctx, access::Need::holder, "auth.logout");
  if (!principal) return;
  const std::string clear = session_cookie_header(req.tls_peer().has_value(), "", 0);
  auto kept = std::make_shared<http::Request>(std::move(req));
  if (principal->actor.session == 0) {
    // A bearer token has no session to end; the cookie is cleared all the same.
    kept->reply(204, "text/plain", std::string_view(), {{"Set-Cookie", clear}, {"Cache-Control", "no-store"}});
    return;
  }
  ctx.access.close_session(principal->actor, principal->actor.session,
                           [kept, clear, &ctx](Result<json> r) {
                             if (!r) return kept->reply_error(r.error());
                             ctx.feed.revalidate_now();  // its open streams end now
                             kept->reply(204, "text/plain", std::string_view(),
                                         {{"Set-Cookie", clear}, {"Cache-Control", "no-store"}});
                           });
}

void me(http::Request& req, ApiContext& ctx) {
  auto principal = guard(req, ctx, access::Need::holder, "me");
  if (!principal) return;
  reply_read(req, [&](const storage::ReadTxn& txn) -> Result<json> {
    return principal_json(txn, *principal, ctx.issuers);
  });
}

void me_events(http::Request& req, ApiContext& ctx) {
  auto principal = guard(req, ctx, access::Need::holder, "me.events");
  if (!principal) return;
  json as;
  std::uint64_t head = 0;
  {
    WorkerState& state = worker_state(req);
    storage::ReadScope scope(state.txn);
    if (!scope.status()) return req.reply_error(503, "storage_unavailable", "cannot read");
    as = principal_json(state.txn, *principal, ctx.issuers);
    auto last = storage::last_event_seq(state.txn);
    if (!last) return req.reply_error(503, "storage_unavailable", "cannot read the event log");
    head = *last;
  }
  as.erase("csrf");  // the page has it already; a stream is no place for it
  const http::Header headers[] = {{"Cache-Control", "no-store"}, {"X-Accel-Buffering", "no"}};
  auto s = http::Stream::start(req, 200, "text/event-stream", headers);
  if (!s) return;
  s->send("retry: 5000\nevent: session\ndata: " + as.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n");
  std::weak_ptr<http::Stream> weak = s;
  feed::Subscription sub;
  sub.actor = principal->actor;
  sub.cursor = head;
  sub.match = [](const storage::ReadTxn&, const storage::EventRecord&, std::vector<json>&) {};
  sub.deliver = [weak](std::vector<json>&&, std::uint64_t) { return !weak.expired(); };
  sub.closed = [weak](const Error& why, std::uint64_t) {
    auto st = weak.lock();
    if (!st) return;
    json data = {{"code", why.code}, {"message", why.message}};
    st->send("event: ended\ndata: " + data.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n");
    st->close();
  };
  const std::uint64_t id = ctx.feed.subscribe(std::move(sub));
  feed::Feed* feed = &ctx.feed;
  s->on_close([feed, id] { feed->unsubscribe(id); });
}

}  // namespace

void add_auth_routes(http::Router& router, ApiContext& ctx, AuthOptions options) {
  router.add(http::Method::Post, "/api/v1/auth/token",
             [&ctx, options](http::Request& req) { login(req, ctx, options); },
             http::RouteLimits{http::BodyClass::json, false, false});
  router.add(http::Method::Post, "/api/v1/auth/logout", [&ctx](http::Request& req) { logout(req, ctx); },
             http::kApiRoute);
  router.add(http::Method::Get, "/api/v1/me", [&ctx](http::Request& req) { me(req, ctx); }, http::kApiRoute);
  router.add(http::Method::Get, "/api/v1/me/events", [&ctx](http::Request& req) { me_events(req, ctx); },
             http::kApiRoute);
}

}  // namespace trustmon::routes
