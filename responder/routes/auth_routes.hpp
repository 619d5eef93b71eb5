// Cabinet login and the principal behind a request:
//   POST /api/v1/auth/token   {"token": "tmk_…"} -> a session cookie, {"as", "csrf", "expires"}
//   POST /api/v1/auth/logout  ends the request's session, clears the cookie (204)
//   GET  /api/v1/me           who the server sees (+ csrf and expires with a session)
//   GET  /api/v1/me/events    server-sent events: `session` at once, `ended` when the
//                             session stops being valid (block, revocation, logout, expiry)
//
// Policy: the token is checked exactly as a bearer token (access::authenticate: the same
// refusals, recorded the same way), then the session is written durably (action
// auth.login in the audit log) before the cookie is sent. The cookie is HttpOnly,
// SameSite=Strict, Path=/, Max-Age = the session's lifetime, and Secure on the TLS
// listener. The session secret and the CSRF secret are never logged or recorded.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "responder/http/router.hpp"
#include "responder/routes/api_context.hpp"

namespace trustmon::routes {

struct AuthOptions {
  UnixTime session_lifetime = 8 * 3600;
};

void add_auth_routes(http::Router& router, ApiContext& ctx, AuthOptions options);

// Shared with the signature login (login_routes.cpp):
// GET /api/v1/me's answer for `p` (a representative, the bootstrap token or a holder).
nlohmann::json principal_json(const storage::ReadTxn& txn, const access::Principal& p, const pki::IssuerSet& issuers);
// What a session needs to know of the browser's request, read on its worker (a QR login's
// session is opened from another thread): its address, and whether it came over TLS.
struct ClientFacts {
  std::string address;
  bool secure = false;
};
ClientFacts client_facts(const http::Request& req);
// The session cookie's Set-Cookie value (`value` "" and max_age 0 clear it).
std::string session_cookie_header(bool secure, std::string_view value, UnixTime max_age);
// Opens a cabinet session for `actor` (draft: credential / bootstrap / method,
// certificate and holder fields; the secrets, expiry and address are set here) through
// AccessService::open_session (`details` join the auth.login event's target), then answers
// 200 {"as", "csrf", "expires"} with the cookie and `extra_headers` (e.g. clearing a
// login-binding cookie).
void start_session(std::shared_ptr<http::Request> kept, const ClientFacts& client, ApiContext& ctx,
                   const AuthOptions& options,
                   const Actor& actor, access::SessionRecord draft, nlohmann::json as, nlohmann::json details,
                   std::vector<std::pair<std::string, std::string>> extra_headers);

}  // namespace trustmon::routes
