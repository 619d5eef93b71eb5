#include "responder/routes/login_routes.hpp"

#include <openssl/rand.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <string>

#include "common/log.hpp"
#include "common/thread_pool.hpp"
#include "common/time.hpp"
#include "responder/login/csc_client.hpp"
#include "responder/login/decide.hpp"
#include "responder/login/proof.hpp"
#include "responder/pki/cms_build.hpp"
#include "responder/routes/delayed_replies.hpp"
#include "responder/routes/json_body.hpp"
#include "responder/routes/worker_state.hpp"

namespace trustmon::routes {

class LoginRoutes {
 public:
  LoginRoutes(ApiContext& c, storage::Env& e, LoginRouteOptions o)
      : ctx(c), env(e), options(std::move(o)), challenges(options.challenges), qr(options.qr), pool(2, "login") {}
  ~LoginRoutes() { timers.stop(); }

  ApiContext& ctx;
  storage::Env& env;
  LoginRouteOptions options;
  login::ChallengeStore challenges;
  login::QrLogins qr;
  ThreadPool pool;  // the provider calls (blocking HTTP) and their decisions
  DelayedReplies timers;  // the long polls' deadlines
};

namespace {

using nlohmann::json;
constexpr std::chrono::milliseconds kProviderCallTimeout{10000};
constexpr int kMaxWaitSeconds = 25;

std::string binding_of(http::Request& req) {
  auto header = req.header("Cookie");
  if (!header) return {};
  auto v = access::cookie_value(*header, login::kBindingCookie);
  return v ? std::string(*v) : std::string();
}

std::string binding_cookie(bool secure, const std::string& value, UnixTime max_age) {
  std::string c = std::string(login::kBindingCookie) + "=" + value +
                  "; Path=/api/v1/auth; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age);
  if (secure) c += "; Secure";
  return c;
}

// A field holding base64 (standard or URL alphabet); absent -> empty; 400 replied when bad.
std::optional<Bytes> base64_field(http::Request& req, const json& doc, const char* name) {
  StringField f = string_field(req, doc, name);
  if (!f.ok) return std::nullopt;
  if (!f.value) return Bytes{};
  if (f.value->size() > login::kMaxProofBytes * 4 / 3 + 4) {
    req.reply_error(413, "body_too_large", std::string("\"") + name + "\" is larger than 64 KiB");
    return std::nullopt;
  }
  auto raw = base64_decode_lenient(*f.value);
  if (!raw) {
    req.reply_error(400, "signature_malformed", std::string("\"") + name + "\" is not base64");
    return std::nullopt;
  }
  return std::move(*raw);
}

// Opens the session of a decided login; `decision.as` is the principal's /me answer.
void finish(LoginRoutes& r, std::shared_ptr<http::Request> kept, const ClientFacts& client,
            login::LoginDecision decision, const std::string& provider) {
  access::SessionRecord draft;
  draft.method = access::SessionMethod::signature;
  draft.certificate = decision.certificate;
  if (decision.holder) {
    draft.holder_name = decision.principal.holder->name;
    draft.identifiers = decision.principal.holder->identifiers;
  } else {
    draft.credential = decision.principal.actor.credential;
  }
  json details = login::login_details(decision, provider);
  details["address"] = client.address;
  json as = std::move(decision.as);
  as["method"] = "signature";
  start_session(std::move(kept), client, r.ctx, r.options.auth, decision.principal.actor, std::move(draft),
                std::move(as), std::move(details), {});
}

void issue_challenge(http::Request& req, LoginRoutes& r) {
  auto octets = Bytes(32);
  if (RAND_bytes(octets.data(), static_cast<int>(octets.size())) != 1)
    return req.reply_error(500, "internal_error", "no randomness for a challenge");
  const std::string existing = binding_of(req);
  const bool reuse = login::binding_hash(existing).has_value();
  const Bytes copy = octets;
  auto issued = r.challenges.issue(std::move(octets), req.peer(), r.ctx.clock.now(), reuse ? existing : std::string());
  if (!issued) {
    r.ctx.counters.rate_limited.fetch_add(1, std::memory_order_relaxed);
    return req.reply_error(issued.error());
  }
  const json body = {{"id", issued->id}, {"challenge", base64_encode(copy)}, {"expires_at", format_rfc3339(issued->expires)}};
  std::string cookie;
  if (!issued->binding.empty())
    cookie = binding_cookie(req.tls_peer().has_value(), issued->binding, r.options.challenges.lifetime);
  if (cookie.empty()) return req.reply_json(200, body, {{"Cache-Control", "no-store"}});
  req.reply_json(200, body, {{"Set-Cookie", cookie}, {"Cache-Control", "no-store"}});
}

void redeem_challenge(http::Request& req, LoginRoutes& r) {
  auto doc = body_object(req);
  if (!doc) return;
  login::Proof proof;
  auto signature = base64_field(req, *doc, "signature");
  if (!signature) return;
  auto certificate = base64_field(req, *doc, "certificate");
  if (!certificate) return;
  StringField algorithm = string_field(req, *doc, "algorithm");
  if (!algorithm.ok) return;
  if (signature->empty()) return req.reply_error(400, "signature_malformed", "\"signature\" is required");
  if (certificate->empty()) {
    proof.cms = std::move(*signature);
  } else {
    proof.certificate = std::move(*certificate);
    proof.signature = std::move(*signature);
    proof.algorithm = algorithm.value.value_or("");
  }
  const UnixTime now = r.ctx.clock.now();
  auto octets = r.challenges.redeem(req.path_param("id"), binding_of(req), now);
  if (!octets) return req.reply_error(octets.error());
  auto signer = login::verify_proof(proof, *octets);
  if (!signer) {
    r.ctx.counters.unauthenticated.fetch_add(1, std::memory_order_relaxed);
    return req.reply_error(signer.error());
  }
  Result<login::LoginDecision> decision = make_error(ErrorKind::internal, "internal_error", "not decided");
  {
    WorkerState& state = worker_state(req);
    storage::ReadScope scope(state.txn);
    if (!scope.status()) return req.reply_error(503, "storage_unavailable", "cannot read the certificate index");
    decision = login::decide(state.txn, r.ctx.issuers, signer->certificate.get(), signer->der, now);
    if (decision) decision->as = principal_json(state.txn, decision->principal, r.ctx.issuers);
  }
  if (!decision) {
    r.ctx.counters.denied.fetch_add(1, std::memory_order_relaxed);
    return req.reply_error(decision.error());
  }
  if (!decision->holder && !within_rate(req, r.ctx, decision->principal)) return;
  const ClientFacts client = client_facts(req);
  finish(r, std::make_shared<http::Request>(std::move(req)), client, std::move(*decision), "");
}

void providers(http::Request& req, LoginRoutes& r) {
  json list = json::array();
  for (const auto& p : r.qr.options().providers)
    list.push_back({{"name", p.name}, {"title", p.title}, {"adapter", p.adapter}});
  req.reply_json(200, {{"providers", std::move(list)}}, {{"Cache-Control", "no-store"}});
}

void qr_start(http::Request& req, LoginRoutes& r) {
  auto doc = body_object(req);
  if (!doc) return;
  StringField provider = string_field(req, *doc, "provider");
  if (!provider.ok) return;
  StringField hint = string_field(req, *doc, "hint");
  if (!hint.ok) return;
  if (!provider.value || provider.value->empty() || provider.value->size() > 64)
    return req.reply_error(400, "invalid_argument", "\"provider\" must name a provider (GET /api/v1/auth/providers)");
  const std::string h = hint.value.value_or("");
  if (h.size() > 10 || h.find_first_not_of("0123456789") != std::string::npos)
    return req.reply_error(400, "invalid_argument", "\"hint\" must be a taxpayer number (RNOKPP, 10 digits)");
  // A document to sign instead of a login.
  std::optional<login::QrDocument> document;
  if (const auto sign = doc->find("sign"); sign != doc->end() && !sign->is_null()) {
    if (!sign->is_object()) return req.reply_error(400, "invalid_argument", "\"sign\" must be {\"purpose\", \"document\"}");
    const std::string purpose = sign->value("purpose", "");
    const auto sink = r.options.documents.find(purpose);
    if (sink == r.options.documents.end())
      return req.reply_error(400, "invalid_argument", "\"sign.purpose\" names nothing that takes signed documents");
    const auto text = sign->find("document");
    auto content = text != sign->end() && text->is_string() ? base64_decode(text->get<std::string>()) : std::nullopt;
    if (!content || content->empty())
      return req.reply_error(400, "invalid_argument", "\"sign.document\" must be the document's base64");
    if (Status ok = sink->second.precheck(*content); !ok) return req.reply_error(ok.error());
    document = login::QrDocument{purpose, *content, pki::cms_signed_attributes(*content, r.ctx.clock.now())};
  }
  const std::string existing = binding_of(req);
  auto ua = req.header("User-Agent");
  auto started = r.qr.start(*provider.value, h, req.peer(), ua ? *ua : std::string_view(), existing, r.ctx.clock.now(),
                            document ? &*document : nullptr);
  if (!started) {
    if (started.error().kind == ErrorKind::rate_limited) r.ctx.counters.rate_limited.fetch_add(1, std::memory_order_relaxed);
    return req.reply_error(started.error());
  }
  const json body = {{"id", started->id},         {"vc", started->vc},     {"expires_at", format_rfc3339(started->expires)},
                     {"interval", 1},             {"link", started->link}, {"provider", *provider.value}};
  if (started->binding.empty()) return req.reply_json(200, body, {{"Cache-Control", "no-store"}});
  const std::string cookie = binding_cookie(req.tls_peer().has_value(), started->binding, r.qr.options().lifetime * 2);
  req.reply_json(200, body, {{"Set-Cookie", cookie}, {"Cache-Control", "no-store"}});
}

void qr_link(http::Request& req, LoginRoutes& r) {
  auto link = r.qr.link(req.path_param("id"), binding_of(req), r.ctx.clock.now());
  if (!link) return req.reply_error(link.error());
  req.reply_json(200, {{"link", *link}}, {{"Cache-Control", "no-store"}});
}

// Answers a poll from its current state. Returns false when the login is still open (the
// caller may wait).
bool answer_poll(LoginRoutes& r, const std::shared_ptr<http::Request>& kept, const ClientFacts& client,
                 const std::string& id, const std::string& binding, bool final) {
  auto polled = r.qr.poll(id, binding, r.ctx.clock.now());
  if (!polled) {
    kept->reply_error(polled.error());
    return true;
  }
  if (polled->failure) {
    kept->reply_error(*polled->failure);
    return true;
  }
  if (polled->decision) {
    finish(r, kept, client, std::move(*polled->decision), polled->provider);
    return true;
  }
  if (polled->document) {
    kept->reply_json(200, {{"state", "decided"}, {"purpose", polled->purpose}, {"result", std::move(*polled->document)}},
                     {{"Cache-Control", "no-store"}});
    return true;
  }
  if (!final) return false;
  kept->reply_json(200, {{"state", login::qr_state_name(polled->state)}, {"interval", 1}}, {{"Cache-Control", "no-store"}});
  return true;
}

void qr_poll(http::Request& req, LoginRoutes& r) {
  int wait = 0;
  if (auto w = req.query("wait")) {
    auto parsed = parse_id<std::uint32_t>(*w);
    if (*w != "0" && !parsed) return req.reply_error(400, "invalid_argument", "\"wait\" must be 0..25 seconds");
    wait = parsed ? static_cast<int>(std::min<std::uint32_t>(*parsed, kMaxWaitSeconds)) : 0;
  }
  const std::string id(req.path_param("id"));
  const std::string binding = binding_of(req);
  const ClientFacts client = client_facts(req);
  auto kept = std::make_shared<http::Request>(std::move(req));
  if (answer_poll(r, kept, client, id, binding, wait == 0)) return;
  // Wait for a change or the deadline, whichever comes first; the other does nothing.
  auto once = std::make_shared<std::atomic<bool>>(false);
  auto respond = [&r, kept, client, id, binding, once] {
    if (once->exchange(true)) return;
    answer_poll(r, kept, client, id, binding, true);
  };
  if (!r.qr.on_change(id, respond)) return respond();
  r.timers.after(static_cast<std::uint32_t>(wait) * 1000, respond);
}

void qr_scan(http::Request& req, LoginRoutes& r) {
  const std::string e = req.query("e").value_or("");
  const std::string a = req.query("a").value_or("");
  auto target = r.qr.scan(req.path_param("id"), e, a, r.ctx.clock.now());
  if (!target) return req.reply_error(target.error(), {{"Cache-Control", "no-store"}});
  req.reply(302, "text/plain", std::string_view("to the key store\n"),
            {{"Location", *target}, {"Cache-Control", "no-store"}, {"Referrer-Policy", "no-referrer"}});
}

// The phone is back from signing a document: the signature becomes a CMS SignedData over
// the document, which the purpose's sink files; the browser's poll gets the sink's answer.
void sign_document(LoginRoutes& r, std::shared_ptr<http::Request> kept, login::QrExchange x) {
  r.pool.submit([&r, kept, x = std::move(x)]() mutable {
    const auto sink = r.options.documents.find(x.purpose);
    auto fail = [&r, &kept, &x](const Error& e) {
      if (!e.is_refusal()) log().warn("a document signed by QR failed: {}", e.message);
      r.qr.finish_document(x.id, e);
      kept->reply_error(e, {{"Cache-Control", "no-store"}});
    };
    if (sink == r.options.documents.end())
      return fail(make_error(ErrorKind::internal, "internal_error", "no sink for " + x.purpose));
    auto proof = login::fetch_signature(x, kProviderCallTimeout);
    if (!proof) return fail(proof.error());
    auto signer = login::verify_proof(*proof, x.signed_text);
    if (!signer) return fail(signer.error());
    auto cms = pki::cms_assemble(x.content, x.signed_text, signer->certificate.get(), proof->signature);
    if (!cms) return fail(cms.error());
    sink->second.file(std::move(*cms), x.address, [&r, kept, id = x.id](Result<json> filed) {
      std::optional<Error> failure;
      if (!filed) failure = filed.error();
      r.qr.finish_document(id, std::move(filed));
      if (failure) return kept->reply_error(*failure, {{"Cache-Control", "no-store"}});
      kept->reply_json(200, {{"state", "signed"}, {"message", "the document was signed and filed; return to the computer"}},
                       {{"Cache-Control", "no-store"}});
    });
  });
}

void qr_callback(http::Request& req, LoginRoutes& r) {
  const std::string state = req.query("state").value_or("");
  const std::string code = req.query("code").value_or("");
  const std::string error = req.query("error").value_or("");
  const std::string description = req.query("error_description").value_or("");
  if (state.empty() || state.size() > 64 || code.size() > 2048 || error.size() > 128 || description.size() > 512)
    return req.reply_error(400, "invalid_argument", "the key store's answer is malformed");
  auto exchange = r.qr.begin_deciding(state, code, error, description, r.ctx.clock.now());
  if (!exchange) return req.reply_error(exchange.error(), {{"Cache-Control", "no-store"}});
  auto kept = std::make_shared<http::Request>(std::move(req));
  if (!exchange->purpose.empty()) return sign_document(r, kept, std::move(*exchange));
  r.pool.submit([&r, kept, x = std::move(*exchange)]() mutable {
    Result<login::LoginDecision> decision = [&]() -> Result<login::LoginDecision> {
      auto proof = login::fetch_signature(x, kProviderCallTimeout);
      if (!proof) return std::move(proof).error();
      auto signer = login::verify_proof(*proof, x.signed_text);
      if (!signer) return std::move(signer).error();
      auto txn = storage::ReadTxn::begin(r.env);
      if (!txn) return std::move(txn).error();
      storage::ReadScope scope(*txn);
      if (!scope.status()) return scope.status().error();
      auto d = login::decide(*txn, r.ctx.issuers, signer->certificate.get(), signer->der, r.ctx.clock.now());
      if (d) d->as = principal_json(*txn, d->principal, r.ctx.issuers);
      return d;
    }();
    std::optional<Error> failure;
    if (!decision) failure = decision.error();
    r.qr.decide(x.id, std::move(decision));
    if (failure) {
      if (!failure->is_refusal()) log().warn("a QR login failed: {}", failure->message);
      return kept->reply_error(*failure, {{"Cache-Control", "no-store"}});
    }
    kept->reply_json(200, {{"state", "signed"}, {"message", "the signature was received; return to the computer"}},
                     {{"Cache-Control", "no-store"}});
  });
}

}  // namespace

std::shared_ptr<LoginRoutes> add_login_routes(http::Router& router, ApiContext& ctx, storage::Env& env,
                                              LoginRouteOptions options) {
  auto r = std::make_shared<LoginRoutes>(ctx, env, std::move(options));
  LoginRoutes* p = r.get();
  const http::RouteLimits small{http::BodyClass::json, false, false};
  router.add(http::Method::Post, "/api/v1/auth/challenges", [p](http::Request& req) { issue_challenge(req, *p); }, small);
  router.add(http::Method::Post, "/api/v1/auth/challenges/{id}", [p](http::Request& req) { redeem_challenge(req, *p); },
             small);
  router.add(http::Method::Get, "/api/v1/auth/providers", [p](http::Request& req) { providers(req, *p); }, small);
  router.add(http::Method::Post, "/api/v1/auth/qr", [p](http::Request& req) { qr_start(req, *p); }, small);
  router.add(http::Method::Get, "/api/v1/auth/qr/callback", [p](http::Request& req) { qr_callback(req, *p); }, small);
  router.add(http::Method::Get, "/api/v1/auth/qr/{id}", [p](http::Request& req) { qr_poll(req, *p); }, small);
  router.add(http::Method::Get, "/api/v1/auth/qr/{id}/link", [p](http::Request& req) { qr_link(req, *p); }, small);
  router.add(http::Method::Get, "/api/v1/auth/qr/{id}/scan", [p](http::Request& req) { qr_scan(req, *p); }, small);
  return r;
}

}  // namespace trustmon::routes
