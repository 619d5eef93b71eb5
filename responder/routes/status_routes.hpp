// Public certificate status for people (the cabinet's status screen), and the issuer list:
//   GET  /api/v1/status?issuer=NAME&serial=HEX
//   POST /api/v1/status            one certificate, PEM or DER (at most 64 KiB)
//   GET  /api/v1/issuers
//
// Policy: the answer is what trustmon's own data says — the certs record (good, revoked,
// on hold = revoked with reason certificateHold, unknown when never seen), the pre-signed
// OCSP response's times when one is stored, and whether the issuer's latest complete CRL
// lists the serial (the CRL is parsed once per published CRL and kept). A posted
// certificate must be issued by one of the configured issuers (its signature verified);
// its subject and validity are returned, nothing else about a holder is. No credential:
// these are as public as OCSP and CRLs.
#pragma once

#include <string>

#include "responder/http/router.hpp"
#include "responder/pki/issuer_set.hpp"

namespace trustmon::routes {

// `base_url`: how clients reach this server, for the OCSP and CRL addresses.
void add_status_routes(http::Router& router, const pki::IssuerSet& issuers, std::string base_url);

}  // namespace trustmon::routes
