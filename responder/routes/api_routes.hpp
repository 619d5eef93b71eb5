// HTTP adapter for the certificate write API (operators and admins; a QTSP only for the
// issuers it operates, see api_context.hpp for authentication):
//   POST /api/v1/certificates  PEM bundle, DER, or JSON {"certificates": [base64 DER...]}
//   POST /api/v1/revocations   JSON revocation object, or {"revocations": [...]}
//   POST /api/v1/crls          a CRL of an operated issuer (DER or PEM), verified with the
//                              issuer's key; its entries become revocations
//   GET  /api/v1/certificates?<attribute>=<value>&status=&at=&issuer=&issued_after=
//        &issued_before=&cursor=&limit=   search (any role), one attribute at a time
//   GET  /api/v1/certificates/{sha256}    JSON (with base64 "der"), or the DER with
//                                         Accept: application/pkix-cert
// Replies come after the Writer's durable commit. Errors are JSON with stable codes.
// A revocation body is parsed with its limits applied while parsing (bounded_json.hpp):
// on the worker when small, else on the returned object's pool thread.
#pragma once

#include <memory>

#include "responder/http/router.hpp"
#include "responder/registry/registry.hpp"
#include "responder/registry/search.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::routes {

struct ApiContext;
class ApiRoutes;
// The returned object owns the parsing pool; keep it alive while the server runs.
std::shared_ptr<ApiRoutes> add_api_routes(http::Router& router, registry::Registry& registry,
                                          const registry::CertificateSearch& search, ApiContext& ctx);

}  // namespace trustmon::routes
