// HTTP adapter for the write API (until participants and roles arrive, a single bootstrap
// admin token, created by `trustmonctl init`, authorises every write):
//   POST /api/v1/certificates  PEM bundle, DER, or JSON {"certificates": [base64 DER...]}
//   POST /api/v1/revocations   JSON revocation object, or {"revocations": [...]}
// Replies come after the Writer's durable commit. Errors are JSON with stable codes.
#pragma once

#include "responder/http/router.hpp"
#include "responder/registry/registry.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::routes {

void add_api_routes(http::Router& router, registry::Registry& registry);

}  // namespace trustmon::routes
