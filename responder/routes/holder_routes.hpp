// HTTP adapter of the certificate holder's pages (responder/holder, docs/login.md):
//   GET    /api/v1/holder/certificates[?format=csv]   the holder's certificates, grouped
//   POST   /api/v1/holder/watch    {"url"?, "name"?}  a watch on the holder's own identifiers
//                                  (issued, revoked, key_reused, login): stream, or webhook with url
//   GET    /api/v1/holder/watches, DELETE /api/v1/holder/watches/{id}
//   GET    /api/v1/holder/events[?after=SEQ]           SSE of the holder's stream watches;
//          with ?wait=SECONDS a long poll ({"events","next"}) instead
//   POST   /api/v1/renewals        {"request": base64 CMS} or the CMS DER itself
//                                  (Content-Type application/cms or application/pkcs7-mime)
//   GET    /api/v1/renewals[?state=&before=&limit=], GET /api/v1/renewals/{number}
//   POST   /api/v1/renewals/{number}/decision {"decision": "accept"|"reject", "reason"?}
//   POST   /api/v1/revocation-requests  as renewals; the CMS encapsulates {"issuer","serial","reason"}
//   GET    /api/v1/revocation-requests[?state=&before=&limit=], GET /api/v1/revocation-requests/{number}
//   POST   /api/v1/revocation-requests/{number}/decision {"decision": "accept"|"reject", "reason"?}:
//          accept revokes the certificate through the production revocation (the request is
//          done in the same commit), reject closes the request
// Who: the holder's own routes and the filing of requests refuse everyone but a
// certificate holder (403 holder_only); lists and requests are the holder's own, a QTSP's
// issuers' or, for the central body, all (other participants: 403
// participant_kind_not_allowed); decisions take a QTSP operator of the request's issuer or
// the central body's operator or admin. A signed request is verified and checked on the
// routes' own thread, off the event loops; the listing of certificates too.
#pragma once

#include <memory>

#include "responder/holder/service.hpp"
#include "responder/http/router.hpp"
#include "responder/registry/registry.hpp"
#include "responder/registry/search.hpp"
#include "responder/watch/service.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::routes {

struct ApiContext;
class HolderRoutes;

// The returned object owns the routes' thread; keep it alive while the server runs and
// reset it after the Writer stopped (as the other routes' pools).
std::shared_ptr<HolderRoutes> add_holder_routes(http::Router& router, ApiContext& ctx, storage::Env& env,
                                                holder::RequestService& requests,
                                                const registry::CertificateSearch& search,
                                                watch::WatchService& watches, registry::Registry& registry);

}  // namespace trustmon::routes
