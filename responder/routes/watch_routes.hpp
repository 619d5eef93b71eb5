// HTTP adapter for certificate watches (any participant's representative; create,
// delete, test and replay need the operator or admin role, reading any role):
//   POST   /api/v1/watches               {name?, values: [{kind, value}|"kind=value"...],
//                                         issuer?, kinds?: [issued, revoked, key_reused],
//                                         delivery: stream|webhook, url? (http(s)://),
//                                         replay_from?: SEQ} -> 201 {id, cursor, secret?}
//   GET    /api/v1/watches               the caller's participant's watches (all for a
//                                         central-body administrator; ?owner=ID narrows)
//   GET    /api/v1/watches/{id}          one: state, cursor, failures, dead letter
//   DELETE /api/v1/watches/{id}
//   POST   /api/v1/watches/{id}/test     a test delivery -> {delivered, status, error}
//   POST   /api/v1/watches/{id}/replay   {from?: SEQ} -> active again from that sequence
// A watch of another participant is 404 watch_not_found. The webhook secret is in the
// 201 reply only. Writes reply after their durable commit (and audit event).
#pragma once

#include "responder/http/router.hpp"

namespace trustmon::watch {
class WatchService;
class Dispatcher;
}  // namespace trustmon::watch

namespace trustmon::routes {

struct ApiContext;
void add_watch_routes(http::Router& router, ApiContext& ctx, watch::WatchService& service,
                      watch::Dispatcher& dispatcher);

}  // namespace trustmon::routes
