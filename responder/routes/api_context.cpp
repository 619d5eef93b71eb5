#include "responder/routes/api_context.hpp"

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "common/log.hpp"
#include "common/metrics.hpp"
#include "responder/routes/worker_state.hpp"
#include "storage/records.hpp"

namespace trustmon::routes {

std::string AccessCounters::metrics_text() const {
  std::string out;
  MetricsText m(out);
  m.counter("trustmon_api_unauthenticated_total", "API requests without a valid credential.",
            unauthenticated.load(std::memory_order_relaxed));
  m.counter("trustmon_api_denied_total", "API requests refused to a known credential.",
            denied.load(std::memory_order_relaxed));
  m.counter("trustmon_api_rate_limited_total", "API requests refused by the rate limit.",
            rate_limited.load(std::memory_order_relaxed));
  return out;
}

bool client_certificate_revoked(const storage::ReadTxn& txn, const pki::IssuerSet& issuers, X509* cert) {
  const pki::IssuerMatch match = issuers.issuer_of(cert);
  if (match.found != pki::IssuerFound::verified) return false;
  Bytes serial = serial_bytes(X509_get0_serialNumber(cert));
  if (serial.empty() || serial.size() > storage::kMaxSerialBytes) return false;
  auto got = txn.get(storage::Table::certs, storage::encode_cert_key(match.issuer->id, serial));
  if (!got || !*got) return false;
  auto rec = storage::decode_cert(**got);
  return rec && rec->status == storage::CertStatus::revoked;
}

namespace {

std::optional<std::string_view> bearer_of(http::Request& req) {
  auto header = req.header("Authorization");
  if (!header) return std::nullopt;
  constexpr std::string_view kBearer = "Bearer ";
  if (header->size() <= kBearer.size() || header->substr(0, kBearer.size()) != kBearer) return std::string_view();
  return header->substr(kBearer.size());
}

// The session cookie's value, when the request has one (and no bearer token).
std::optional<std::string_view> session_cookie_of(http::Request& req) {
  auto header = req.header("Cookie");
  if (!header) return std::nullopt;
  return access::cookie_value(*header, access::kSessionCookie);
}

bool changes_state(http::Method m) {
  return m != http::Method::Get && m != http::Method::Head && m != http::Method::Options;
}

void reply_refusal(http::Request& req, const Error& e) {
  if (e.kind == ErrorKind::unauthenticated) {
    req.reply_error(e, {{"WWW-Authenticate", "Bearer"}});
  } else {
    req.reply_error(e);
  }
}

}  // namespace

bool presents_credential(http::Request& req) {
  if (req.header("Authorization") || session_cookie_of(req)) return true;
  auto tls = req.tls_peer();
  return tls && tls->certificate != nullptr;
}

void deny(http::Request& req, ApiContext& ctx, const Actor& actor, std::string_view action, nlohmann::json target,
          const Error& why) {
  ctx.counters.denied.fetch_add(1, std::memory_order_relaxed);
  auto shared = std::make_shared<http::Request>(std::move(req));
  ctx.access.record_denial(actor, std::string(action), std::move(target), why, [shared, why](Status s) {
    if (!s) log().error("cannot record a refusal: {}", s.error().message);
    reply_refusal(*shared, why);
  });
}

std::optional<access::Principal> guard(http::Request& req, ApiContext& ctx, access::Need need,
                                       std::string_view action) {
  WorkerState& state = worker_state(req);
  access::AuthOutcome outcome;
  {
    storage::ReadScope scope(state.txn);
    if (!scope.status()) {
      req.reply_error(503, "storage_unavailable", "cannot read credentials");
      return std::nullopt;
    }
    auto bearer = bearer_of(req);
    std::optional<std::string_view> cookie;
    if (!bearer) cookie = session_cookie_of(req);
    std::optional<access::ClientCertificate> cert;
    if (!bearer && !cookie) {
      if (auto tls = req.tls_peer(); tls && tls->certificate != nullptr) {
        access::ClientCertificate c;
        c.fingerprint = sha256(x509_der(tls->certificate));
        c.chain_ok = tls->verify_result == X509_V_OK;
        if (!c.chain_ok) c.chain_error = X509_verify_cert_error_string(tls->verify_result);
        c.revoked = client_certificate_revoked(state.txn, ctx.issuers, tls->certificate);
        cert = std::move(c);
      }
    }
    outcome = cookie ? access::authenticate_session(state.txn, *cookie, ctx.clock.now())
                     : access::authenticate(state.txn, bearer, cert ? &*cert : nullptr, ctx.clock.now());
  }
  // A session's state-changing request must carry its CSRF secret (a cross-site form or
  // script can send the cookie but cannot read the secret). Not recorded: another site
  // could fill the log through a visitor's browser.
  if (outcome.principal && outcome.principal->actor.session != 0 && changes_state(req.method())) {
    auto presented = req.header("X-CSRF-Token");
    if (!presented || !access::csrf_matches(outcome.principal->csrf, *presented)) {
      ctx.counters.denied.fetch_add(1, std::memory_order_relaxed);
      req.reply_error(403, "csrf_failed", "this request needs the session's X-CSRF-Token header");
      return std::nullopt;
    }
  }
  if (outcome.principal) {
    if (!within_rate(req, ctx, *outcome.principal)) return std::nullopt;
    outcome = access::authorize(std::move(*outcome.principal), need);
  }
  if (outcome.principal) {
    req.note("actor", outcome.principal->actor.label());
    return std::move(outcome.principal);
  }
  refuse_authentication(req, ctx, outcome, action);
  return std::nullopt;
}

namespace {

// The rate limiter's bucket: the credential id; a holder (no credential) gets a bucket of
// its own, keyed by a hash of its identifier with the top bit set (credential ids stay
// far below 2^31), so holders share neither the bootstrap token's bucket nor each other's.
std::uint32_t rate_key(const access::Principal& p) {
  if (!p.actor.is_holder()) return p.actor.credential;
  const Sha256 h = sha256(as_bytes(p.actor.holder));
  return 0x80000000U | (get_be32(h.data()) & 0x7fffffffU);
}

}  // namespace

bool within_rate(http::Request& req, ApiContext& ctx, const access::Principal& p) {
  auto wait = ctx.limiter.acquire(rate_key(p), p.rate_per_second);
  if (!wait) return true;
  ctx.counters.rate_limited.fetch_add(1, std::memory_order_relaxed);
  const std::string seconds = std::to_string(*wait);
  req.reply_error(429, "rate_limited", "too many requests for this credential; retry after " + seconds + " s",
                  {{"Retry-After", seconds}});
  return false;
}

void refuse_authentication(http::Request& req, ApiContext& ctx, const access::AuthOutcome& outcome, std::string_view action) {
  if (outcome.actor) {
    deny(req, ctx, *outcome.actor, action, nlohmann::json{{"path", std::string(req.path())}}, outcome.error);
    return;
  }
  if (outcome.error.kind == ErrorKind::unauthenticated) ctx.counters.unauthenticated.fetch_add(1, std::memory_order_relaxed);
  reply_refusal(req, outcome.error);
}

}  // namespace trustmon::routes
