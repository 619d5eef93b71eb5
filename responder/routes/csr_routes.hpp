// HTTP adapter for CSR and key uniqueness (responder/csr):
//   POST /api/v1/csr/check          any role. Body: a CSR (application/pkcs10 DER, PEM), or
//        JSON {"csr": PEM|base64, "issuer"?: NAME} or {"csrs": [...], "issuer"?: NAME}
//        (batch) -> 200 {unique, ...} / {"results": [...]}
//   POST /api/v1/csr/reservations   QTSP operators. JSON {"csr", "issuer"?, "ttl"?: seconds}
//        -> 201 {"reservation": {...}} or 409 {"error": {code: csr_already_processed |
//        key_already_used, details: {holder participant, state, first_seen}}}
//   GET  /api/v1/csr/reservations/{id}            the holder (or a central-body admin)
//   POST /api/v1/csr/reservations/{id}/commit     {"certificate_sha256": hex} or
//        {"certificate": PEM} -> 200; the holder only
//   POST /api/v1/csr/reservations/{id}/release    -> 200; the holder only
// A single request is parsed and its proof of possession checked on the worker (a
// fraction of a millisecond, like a live OCSP signature); a batch is parsed on a pool
// thread and then checked back on the request's worker against one snapshot.
#pragma once

#include <memory>

#include "responder/csr/service.hpp"
#include "responder/http/router.hpp"

namespace trustmon::routes {

struct ApiContext;
class CsrRoutes;

// The returned object owns the parsing pool; keep it alive while the server runs.
std::shared_ptr<CsrRoutes> add_csr_routes(http::Router& router, csr::CsrService& service, ApiContext& ctx);

}  // namespace trustmon::routes
