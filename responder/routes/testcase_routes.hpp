// HTTP adapter for the test-case exchange (responder/testcases/, docs/testbed.md "Test
// cases and the interoperability matrix"):
//   POST /api/v1/testbed/cases               a case with its artefacts (base64) -> 201 the case
//   GET  /api/v1/testbed/cases               latest versions [kind, polarity, state, tag, clause, owner, limit, after]
//   GET  /api/v1/testbed/cases/{id}          latest version [?version=N]
//   PUT  /api/v1/testbed/cases/{id}          a new version -> 200 the case
//   POST /api/v1/testbed/cases/{id}/state    {"state": ...} (the transitions of model.hpp)
//   GET  /api/v1/testbed/blobs/{sha256}      an artefact's bytes
//   POST/GET /api/v1/testbed/products        products (participant, vendor, name, version)
//   POST/GET /api/v1/testbed/submissions     observed verdicts [case, product, limit, after]
//   GET  /api/v1/testbed/matrix              [format=csv, kind, polarity, tag, clause]
//   POST /api/v1/testbed/campaigns, GET /api/v1/testbed/campaigns/{id}
// Who: writing needs a write role (operator, admin) of the central body, a QTSP or a tool
// developer (else 403 testcase_not_permitted, recorded as access.denied); the central body
// may do everything. Reads: a case's visibility decides (model.hpp may_read); requests
// without a credential may read public cases (list, one case, their artefacts) and the
// matrix over public cases; everything else needs a credential (401).
// Bodies with artefacts (cases, submissions) are bulk routes, parsed on the routes' own
// threads, as are the matrix, artefact checks and campaign views; the writes reply after
// the durable commit.
#pragma once

#include <memory>

#include "responder/http/router.hpp"
#include "responder/routes/api_context.hpp"
#include "responder/testcases/service.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::routes {

// A case body: every artefact's base64 (8 MiB decoded in all) and the rest.
inline constexpr std::size_t kMaxCaseBodyBytes = 12u << 20;
inline constexpr std::size_t kMaxSubmissionBodyBytes = 2u << 20;

class TestcaseRoutes;
// The returned object owns the threads; keep it alive while the server runs.
std::shared_ptr<TestcaseRoutes> add_testcase_routes(http::Router& router, ApiContext& ctx, storage::Env& env,
                                                    testcases::TestcaseService& service);

}  // namespace trustmon::routes
