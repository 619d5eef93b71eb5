// Login by qualified signature (docs/login.md):
//   POST /api/v1/auth/challenges            a one-time challenge + the tm_login binding cookie
//   POST /api/v1/auth/challenges/{id}       redeem it with a signature: a cabinet session
//   GET  /api/v1/auth/providers             the cloud key stores configured for QR logins
//   POST /api/v1/auth/qr, GET …/qr/{id}, …/qr/{id}/link, …/qr/{id}/scan, …/qr/callback
//                                           the cloud-key login through a QR link (qr_login.cpp);
//                                           with {"sign": {"purpose", "document"}} the key
//                                           signs a document instead (a DocumentSink files it)
//
// Policy: the routes are public (no credential: this is how one is obtained) and capped by
// the challenge store (per address and in all). The signature is checked by
// login::verify_proof, the signer by login::decide; a session is then opened exactly as a
// token login opens one (routes/auth_routes.hpp start_session: audited auth.login, cookie,
// CSRF secret) with the login certificate kept in it. Refusals are answered with their
// stable codes; those of a recognised representative (blocked, revoked binding) are also
// recorded as access.denied, others are only counted (an anonymous client must not be able
// to fill the durable log). Key material and the binding secret are never logged.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "responder/http/router.hpp"
#include "responder/login/challenge_store.hpp"
#include "responder/login/qr_login.hpp"
#include "responder/routes/api_context.hpp"
#include "responder/routes/auth_routes.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::routes {

// Where a document signed through a QR link goes (`POST /api/v1/auth/qr` with "sign"):
// `precheck` refuses a document before the phone is asked to sign it; `file` takes the CMS
// SignedData made from the key store's signature (pki::cms_build.hpp) and the starting
// browser's address, and answers what the browser's poll receives.
struct DocumentSink {
  std::function<Status(ByteView content)> precheck;
  std::function<void(Bytes cms, std::string address, std::function<void(Result<nlohmann::json>)> done)> file;
};

struct LoginRouteOptions {
  AuthOptions auth;
  login::ChallengeLimits challenges;
  login::QrOptions qr;
  std::map<std::string, DocumentSink, std::less<>> documents;  // by purpose, e.g. "joining"
};

// What the login routes own (the challenge store, the QR logins and their provider
// clients); the daemon keeps it alive while the server runs.
class LoginRoutes;

std::shared_ptr<LoginRoutes> add_login_routes(http::Router& router, ApiContext& ctx, storage::Env& env,
                                              LoginRouteOptions options);

}  // namespace trustmon::routes
