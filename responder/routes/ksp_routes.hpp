// HTTP adapter of the test bed's cloud key store (testbed::Ksp, docs/testbed.md "Test cloud
// key store"), under /testbed/ksp:
//   GET|POST /testbed/ksp/csc/v2/info                      the service (CSC v2 info)
//   GET      /testbed/ksp/oauth2/authorize                 a pending approval for the phone's holder
//   POST     /testbed/ksp/oauth2/token                     code + PKCE verifier -> access token
//   POST     /testbed/ksp/csc/v2/credentials/list          (Bearer) the holder's credential
//   POST     /testbed/ksp/csc/v2/credentials/info          (Bearer) its key and certificates
//   POST     /testbed/ksp/csc/v2/signatures/signHash       (Bearer) a signature over the authorised digest
//   GET      /testbed/ksp/pending?rnokpp=…                 the scripted phone: the holder's pending approvals
//   POST     /testbed/ksp/approvals/{id}                   the scripted phone: approve or refuse
//   GET      /testbed/ksp/identities                       the deterministic holders, versioned
//
// Policy: registered only on a test-enabled server. Errors are OAuth 2.0 / CSC bodies
// {"error","error_description"} (not trustmon's {"error":{"code","message"}}), with the
// status of the error's kind; a fault of the server is 500 server_error and logged without
// the request's secrets. Every reply is Cache-Control: no-store. Bodies are small (the
// gate's small-body cap; JSON at most depth 8 and 64 items; forms at most 32 fields), the
// token endpoint takes form-urlencoded or JSON bodies and client_secret_basic. Nothing here
// blocks: one ECDSA signature per signHash is cheap enough for the worker's loop.
#pragma once

#include <string>

#include "responder/http/router.hpp"
#include "responder/testbed/ksp.hpp"

namespace trustmon::routes {

// `ksp` must outlive the server. `base_url`: how clients reach this server (the test CA's
// base URL), for the info's oauth2 address.
void add_ksp_routes(http::Router& router, testbed::Ksp& ksp, std::string base_url);

}  // namespace trustmon::routes
