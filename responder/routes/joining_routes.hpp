// HTTP adapter of joining by signed applications (responder/joining, docs/joining.md):
//   POST /api/v1/joining/applications            anonymous: file a signed application
//                                                (CMS DER, or {"application": base64})
//   POST /api/v1/joining/status                  anonymous: {"number","secret"} -> its state
//   GET  /api/v1/joining/applications[?state=&before=&limit=]   the central body's queue
//   GET  /api/v1/joining/applications/{number}   the whole record, with the signer's standing now
//   GET  /api/v1/joining/applications/{number}/signed   the signed bytes as filed
//   POST /api/v1/joining/applications/{number}/decision {"decision":"approve"|"reject","reason"}
// Who: filing and status need no account and are capped per address (10 filings and 60
// status lookups an hour); the queue and records are the central body's (any role; others
// 403 central_body_only), decisions its administrators'. A signed application is verified
// and checked on the routes' own thread, off the event loops; so is an approval's re-check
// of the signer.
#pragma once

#include <memory>

#include "responder/http/router.hpp"
#include "responder/joining/service.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::routes {

struct ApiContext;
class JoiningRoutes;

// The returned object owns the routes' thread; keep it alive while the server runs and
// reset it after the Writer stopped.
std::shared_ptr<JoiningRoutes> add_joining_routes(http::Router& router, ApiContext& ctx, storage::Env& env,
                                                  joining::JoiningService& service);

}  // namespace trustmon::routes
