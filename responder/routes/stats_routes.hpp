// HTTP adapter for the derived statistics (responder/stats, docs/statistics.md):
//   GET  /api/v1/stats/series?metric=M&freq=day|month|quarter|year&by=D1,D2&from=DATE&to=DATE
//        [&issuer=NAME,...][&<dimension>=code,...][&format=json|csv]
//        a provider (QTSP) sees its own issuers, the central body every issuer; JSON
//        {"meta":{...},"series":[{"dims":{...},"points":[{"period","value"}]}]} or SDMX-CSV
//   GET  /stats/series?...           the same, public and national: no credential, cells
//                                    under [stats] public_threshold suppressed
//   GET  /api/v1/stats/ingest_lag?from=&to=[&issuer=]   issuance (notBefore) to push, per issuer
//   GET  /api/v1/stats/annual/{year}[?format=csv]   every metric per provider for a year (a
//                                    provider gets its own row, the central body every one)
//   POST /api/v1/admin/stats/rebuild the counters recomputed from the event log (admin)
// Queries run on the routes' own threads (below the event loops), in a fresh snapshot.
#pragma once

#include <memory>

#include "responder/http/router.hpp"
#include "responder/routes/api_context.hpp"
#include "responder/stats/counting.hpp"
#include "storage/lmdb.hpp"
#include "storage/writer.hpp"

namespace trustmon::routes {

struct StatsRouteOptions {
  int public_threshold = 5;
  // The public endpoint, open to anyone, is bounded: at most this many of its queries wait or
  // run at once (more get 503 stats_busy with Retry-After), each reading at most
  // public_max_cells cells (more: 413 query_too_large).
  int public_max_pending = 8;
  std::uint64_t public_max_cells = 2000000;
};

class StatsRoutes;
// The returned object owns the query threads; keep it alive while the server runs.
std::shared_ptr<StatsRoutes> add_stats_routes(http::Router& router, ApiContext& ctx, storage::Env& env,
                                              storage::Writer& writer, const stats::Counting& counting,
                                              StatsRouteOptions options);

}  // namespace trustmon::routes
