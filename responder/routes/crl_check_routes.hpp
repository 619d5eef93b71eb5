// HTTP adapter for the comparison of a published CRL with the status data:
//   GET /api/v1/crls/{issuer}/check   the issuer's latest published complete CRL (uploaded
//                                     or built here) against its current status records
//                                     (crl/compare.hpp): JSON {"issuer","number","source",
//                                     "this_update"[,"next_update"],"agrees","entries",
//                                     "skipped", and per category {"count","serials","truncated"}}
//
// Access: any authenticated reader of the central body (and the bootstrap administrator),
// and a QTSP for the issuers it operates; anyone else is refused as issuer_not_operated
// (403, recorded as access.denied), as a QTSP writing for another's issuer is. Errors:
// issuer_unknown (404), crl_not_found (404: nothing published yet).
// The walk over the issuer's records runs on the returned object's thread (below the
// loops' priority), in one read snapshot with the CRL it reads, never on a worker's loop.
#pragma once

#include <memory>

#include "responder/http/router.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::routes {

struct ApiContext;
class CrlCheckRoutes;
// The returned object owns the comparison thread; keep it alive while the server runs.
std::shared_ptr<CrlCheckRoutes> add_crl_check_routes(http::Router& router, ApiContext& ctx,
                                                     storage::Env& env);

}  // namespace trustmon::routes
