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

#include "common/clock.hpp"
#include "responder/http/router.hpp"
#include "responder/routes/api_context.hpp"

namespace trustmon::routes {

struct AuthOptions {
  UnixTime session_lifetime = 8 * 3600;
};

void add_auth_routes(http::Router& router, ApiContext& ctx, AuthOptions options);

}  // namespace trustmon::routes
