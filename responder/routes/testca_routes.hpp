// HTTP adapter of the test bed's CAs (responder/testbed, docs/testbed.md):
//   GET  /api/v1/testca/cas            the test CAs (public)
//   GET  /api/v1/testca/identities     the deterministic identities, versioned (public)
//   POST /api/v1/testca/certificates   issue a test certificate (any participant's operator or admin)
//   PUT  /api/v1/testca/faults         put a fault in force (the central body's admin for a whole
//                                      issuer; also whoever asked for the certificate, for one serial)
//   GET  /api/v1/testca/faults         the faults in force; DELETE /api/v1/testca/faults/{id}
//   GET  /testca/{ca}.cer              a test CA's certificate (DER; the caIssuers of its certificates)
//   GET  /testca/TL-UA-TEST.xml, /testca/CACertificates.Test.p7b, /testca/CAs.Test.json,
//        /testca/ca/{sha256}.cer       the test trust anchors (testbed/test_list.hpp)
//
// Policy: an issued certificate goes through the production ingest (registry::Registry)
// as the requesting participant, with the test issuer added to what it may write for; a
// scenario that revokes or holds it goes through the production revocation. Only then is
// the answer sent, so search, watches, the CSR ledger, OCSP and CRLs see the certificate
// once the 201 arrives. Key generation and signing run on the routes' own pool, never on
// an event loop. Who asked for each test certificate is kept in testca_certs.
#pragma once

#include <memory>
#include <string>

#include "responder/http/router.hpp"
#include "responder/registry/registry.hpp"
#include "responder/routes/api_context.hpp"
#include "responder/testbed/faults.hpp"
#include "responder/testbed/test_list.hpp"
#include "responder/testbed/test_pki.hpp"
#include "storage/writer.hpp"

namespace trustmon::routes {

class TestcaRoutes;

// `base_url`: how clients reach this server (http://host:port), for AIA and CDP.
// `pki`, `faults` and `list` must outlive the routes.
std::shared_ptr<TestcaRoutes> add_testca_routes(http::Router& router, ApiContext& ctx, storage::Writer& writer,
                                                registry::Registry& registry, const testbed::TestPki& pki,
                                                testbed::FaultBoard& faults, const testbed::TestListFiles& list,
                                                std::string base_url);

// The issuers `principal` may write for, widened to the test bed's issuers: a QTSP's own
// plus the test ones, any other participant kind the test ones only (the central body and
// the bootstrap token: every issuer, unchanged).
Actor with_test_issuers(Actor actor, const pki::IssuerSet& issuers);

}  // namespace trustmon::routes
