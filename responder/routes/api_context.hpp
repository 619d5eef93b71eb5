// What the API routes share: the services, the rate limiter, the clock and the issuer
// table, plus guard(), which every non-public endpoint calls first.
//
// guard() policy: authenticate (bearer token, else the cabinet session cookie, else the
// TLS client certificate; a session's state-changing request must carry X-CSRF-Token, or
// 403 csrf_failed), apply the credential's rate limit (429 + Retry-After), check the role for the endpoint class,
// and on refusal answer 401/403 with a stable code. Refusals by a recognised credential
// (expired, revoked, blocked, insufficient role) are recorded as `access.denied` events
// before the reply; an unknown token is only counted (recording it would let anyone fill
// the durable log) and rate-limited requests are counted too.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "responder/access/authenticator.hpp"
#include "responder/access/rate_limiter.hpp"
#include "responder/access/service.hpp"
#include "responder/feed/feed.hpp"
#include "responder/http/request.hpp"
#include "responder/pki/issuer_set.hpp"

namespace trustmon::routes {

struct AccessCounters {
  std::atomic<std::uint64_t> unauthenticated{0};
  std::atomic<std::uint64_t> denied{0};
  std::atomic<std::uint64_t> rate_limited{0};
  std::string metrics_text() const;
};

struct ApiContext {
  access::AccessService& access;
  access::RateLimiter& limiter;
  feed::Feed& feed;
  const pki::IssuerSet& issuers;
  const Clock& clock;
  AccessCounters counters;
};

// The central body (any of its representatives) or the bootstrap token: sees every
// participant's data. With admin: also changes what only the central body's admins may.
// A certificate holder is neither.
inline bool is_central_body(const access::Principal& p) {
  return p.bootstrap || (!p.holder && p.kind == access::ParticipantKind::central_body);
}
inline bool is_central_admin(const access::Principal& p) {
  return p.bootstrap ||
         (!p.holder && p.kind == access::ParticipantKind::central_body && p.role == access::Role::admin);
}

// Returns the principal when the request may go on; otherwise the request has been (or
// will be, after the refusal is recorded) answered, and nullopt is returned.
std::optional<access::Principal> guard(http::Request& req, ApiContext& ctx, access::Need need,
                                       std::string_view action);

// The two halves of guard() after authentication, for routes that authenticate otherwise
// (the cabinet's login): the principal's rate limit (false: 429 answered), and the answer
// to a refused authentication (recorded as `access.denied` when the credential was
// recognised, else counted).
bool within_rate(http::Request& req, ApiContext& ctx, const access::Principal& p);
void refuse_authentication(http::Request& req, ApiContext& ctx, const access::AuthOutcome& outcome,
                           std::string_view action);

// Whether the request presents a credential at all (a bearer token, the session cookie, or
// a TLS client certificate): routes readable anonymously call guard() only when it does.
bool presents_credential(http::Request& req);

// Replies with the error (its kind's status) after recording it as an `access.denied`
// event of `actor` (used for refusals decided by a route after guard(), e.g. another
// QTSP's issuer).
void deny(http::Request& req, ApiContext& ctx, const Actor& actor, std::string_view action,
          nlohmann::json target, const Error& why);

// Is this client certificate revoked according to our own status data? Only when its
// issuer is one of ours (pki::IssuerSet::issuer_of); otherwise false.
bool client_certificate_revoked(const storage::ReadTxn& txn, const pki::IssuerSet& issuers, X509* cert);

}  // namespace trustmon::routes
