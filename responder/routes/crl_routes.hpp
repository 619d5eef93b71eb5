// HTTP adapter for CRL publication (storage/crls.hpp): every issuer's latest CRL at
// GET /crl/{issuer}.crl and each one ever published at GET /crl/{issuer}/history/{number}.crl
// (number in decimal), DER as `application/pkix-crl`, public (no credential).
//
// Policy: the latest CRL may be cached until its nextUpdate (Cache-Control max-age,
// Expires), a CRL by number forever (it never changes); both carry a strong ETag (the
// CRL's SHA-256) and Last-Modified (its thisUpdate) and answer If-None-Match (or, without
// it, If-Modified-Since) with 304. Errors are JSON: issuer_unknown, crl_not_found (404).
// `{issuer}` is the issuer's name in the configuration. Delta CRLs and shards are not
// published yet: `.delta.crl` answers crl_not_found.
#pragma once

#include "common/clock.hpp"
#include "responder/http/router.hpp"
#include "responder/pki/issuer_set.hpp"

namespace trustmon::routes {

void add_crl_routes(http::Router& router, const pki::IssuerSet& issuers, const Clock& clock);

}  // namespace trustmon::routes
