// HTTP adapter for CRL publication (storage/crls.hpp): every issuer's latest complete CRL at
// GET /crl/{issuer}.crl, its latest delta CRL at GET /crl/{issuer}.delta.crl, shard k's
// latest CRL at GET /crl/{issuer}/{k}.crl, and each CRL ever published (of any scope) at
// GET /crl/{issuer}/history/{number}.crl (numbers in decimal), DER as
// `application/pkix-crl`, public (no credential).
//
// Policy: the latest CRL may be cached until its nextUpdate (Cache-Control max-age,
// Expires), a CRL by number forever (it never changes); both carry a strong ETag (the
// CRL's SHA-256) and Last-Modified (its thisUpdate) and answer If-None-Match (or, without
// it, If-Modified-Since) with 304. Errors are JSON: issuer_unknown, crl_not_found (404).
// `{issuer}` is the issuer's name in the configuration. Every read is one lookup of the
// scope's head and one of the record in the worker's read snapshot; the latest CRL of each
// scope is held once in memory and every reply references it (no copy per request; a CRL
// by number is copied into its reply).
#pragma once

#include <functional>
#include <optional>

#include "common/clock.hpp"
#include "responder/http/router.hpp"
#include "responder/pki/issuer_set.hpp"

namespace trustmon::routes {

// The test bed's CRLs (testbed/faults.hpp, crl::Publisher::build_special): asked for a test
// issuer's latest complete CRL with the `?at=RFC3339` of a GET, or when a CRL fault is in
// force; returns the DER to send (uncached), or nullopt for the stored CRL.
using SpecialCrl =
    std::function<std::optional<Result<Bytes>>(const pki::Issuer& issuer, std::optional<UnixTime> at)>;

void add_crl_routes(http::Router& router, const pki::IssuerSet& issuers, const Clock& clock, SpecialCrl special = {});

}  // namespace trustmon::routes
