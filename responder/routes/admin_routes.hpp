// HTTP adapter for the central body's administration (role admin of the central body):
//   POST  /api/v1/admin/participants                      {kind, name, code} -> 201 {id}
//   GET   /api/v1/admin/participants                      list
//   GET   /api/v1/admin/participants/{id}                 one, with its representatives
//   PATCH /api/v1/admin/participants/{id}                 {name?, code?}
//   POST  /api/v1/admin/participants/{id}/issuers         {issuer: NAME}
//   DELETE /api/v1/admin/participants/{id}/issuers/{NAME}
//   POST  /api/v1/admin/participants/{id}/block           {reason}
//   POST  /api/v1/admin/participants/{id}/unblock
//   POST  /api/v1/admin/participants/{id}/representatives {name, role} -> 201 {id}
//   GET   /api/v1/admin/representatives[?participant=ID]
//   GET   /api/v1/admin/representatives/{id}              with its credentials (no secrets)
//   PATCH /api/v1/admin/representatives/{id}              {name?, role?}
//   POST  /api/v1/admin/representatives/{id}/block        {reason}
//   POST  /api/v1/admin/representatives/{id}/unblock
//   POST  /api/v1/admin/representatives/{id}/tokens       {expires?, rate_per_second?, label?} -> 201 {id, token}
//   POST  /api/v1/admin/representatives/{id}/certificates {certificate: PEM, expires?, ...} -> 201 {id}
//   POST  /api/v1/admin/credentials/{id}/revoke
//   GET   /api/v1/admin/audit?actor=&action=&since=&until=&after=&limit=
//   GET   /api/v1/admin/audit/verify                      {ok, events, first_broken?, reason?}
// and for every authenticated caller: GET /api/v1/me.
// Every write replies after its durable commit; blocking and credential revocation also
// make the feed re-check open streams at once.
#pragma once

#include "responder/http/router.hpp"

namespace trustmon::routes {

struct ApiContext;
void add_admin_routes(http::Router& router, ApiContext& ctx);

}  // namespace trustmon::routes
