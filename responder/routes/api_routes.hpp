// HTTP adapter for the certificate write API (operators and admins; a QTSP only for the
// issuers it operates, see api_context.hpp for authentication):
//   POST /api/v1/certificates  PEM bundle, DER, or JSON {"certificates": [base64 DER...]}
//   POST /api/v1/revocations   JSON revocation object, or {"revocations": [...]}
// Replies come after the Writer's durable commit. Errors are JSON with stable codes.
#pragma once

#include "responder/http/router.hpp"
#include "responder/registry/registry.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::routes {

struct ApiContext;
void add_api_routes(http::Router& router, registry::Registry& registry, ApiContext& ctx);

}  // namespace trustmon::routes
