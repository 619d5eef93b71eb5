// HTTP adapter for the trusted list, the CA certificates it announces and change notices.
//
// Public (no authentication), served from LMDB through the worker's read transaction:
//   GET /tl/{name}.xml                 the current signed list
//   GET /tl/{name}.sha2                its SHA-256 as 64 lower-case hex digits (TS 119 612
//                                      clause 6.1 digest file; no newline, text/plain)
//   GET /tl/history/{sequence}.xml     any published version of the configured list
//   GET /tl/changes.atom               Atom feed of the configured list's published versions
//   GET /certs/CACertificates.p7b      PKCS#7 certs-only bundle (DER) of the list's CA certificates
//   GET /certs/ca/{sha256}.cer         one CA certificate (DER)
//   GET /certs/CAs.json                each CA with provider, service status, OCSP/CRL/TSP addresses
// All with ETag (strong, from the SHA-256 of the list or the sequence number), Last-Modified
// (ListIssueDateTime), Cache-Control, and 304 for If-None-Match / If-Modified-Since.
//
// Central-body administrators (guard(..., Need::admin, ...)):
//   POST /api/v1/admin/tl/{name}/import    body: the list's XML -> model replaced
//   POST /api/v1/admin/tl/{name}/publish   sign, check, publish now
//   GET  /api/v1/admin/tl/{name}/versions  every published version (no XML)
//   GET  /api/v1/admin/tl/{name}/issuers   CA certificates of the list against the
//                                          configured [[issuer]]s: matched, missing, unlisted
// Change notices (tsl/notices.hpp):
//   POST /api/v1/tl/notices                 operators and admins of a QTSP (their own
//                                           provider) and of the central body (any provider)
//   GET  /api/v1/tl/notices                 a QTSP sees its own, the central body all
//   GET  /api/v1/tl/notices/{id}            state and history
//   POST /api/v1/tl/notices/{id}/approve    admin: apply, sign, check, publish
//   POST /api/v1/tl/notices/{id}/reject     admin: {"reason"}
// Signing and Writer waits run on the TlService thread; the reply is sent from there.
#pragma once

#include "responder/http/router.hpp"

namespace trustmon::tsl {
class TlService;
}

namespace trustmon::routes {

struct ApiContext;
void add_tl_routes(http::Router& router, ApiContext& ctx, tsl::TlService& tl);

}  // namespace trustmon::routes
