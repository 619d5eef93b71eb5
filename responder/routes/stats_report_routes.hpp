// HTTP adapter for providers' statistics reports (responder/stats/report*.hpp,
// docs/statistics.md "Providers' reports" and "Reconciliation"):
//   POST /api/v1/stats/reports        a QTSP's operator. Body: the JSON report
//        (application/json), SDMX-CSV (text/csv, with ?revision=N), or either wrapped in
//        a CMS SignedData (application/pkcs7-mime; ?format=csv for CSV content, else the
//        content's first character decides) -> 201 {"id","revision","warnings":[...]},
//        422 {"error":{"code":"report_invalid","message","problems":[...]}}
//   GET  /api/v1/stats/reports        a provider's own reports; the central body all
//   GET  /api/v1/stats/reports/{id}   one report ([?format=csv] its observations as SDMX-CSV)
//   GET  /api/v1/stats/reports/{id}/reconciliation
//        {"cells":[{"cell","metric","dims","reported","derived","delta"}]} for every
//        observation of a derived metric
//   GET  /api/v1/stats/reports/{id}/reconciliation/{cell}[?limit=N]
//        the certificates behind cell {cell}: the observation's index in the report
//        (the N of its JSON pointer /observations/N)
// A provider never reads another's report or cells: 403 stats_report_not_permitted,
// recorded as access.denied. Signed reports: the signature is verified
// (pki/cms.hpp), the signer's certificate must be good in trustmon's own status data and
// bound to one of the provider's representatives as a client-certificate credential.
// Parsing, signatures and reconciliation run on the routes' own threads; a filing
// replies after the durable commit.
#pragma once

#include <memory>

#include "responder/http/router.hpp"
#include "responder/routes/api_context.hpp"
#include "responder/stats/report_store.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::routes {

class StatsReportRoutes;
// The returned object owns the threads; keep it alive while the server runs.
std::shared_ptr<StatsReportRoutes> add_stats_report_routes(http::Router& router, ApiContext& ctx, storage::Env& env,
                                                           stats::ReportService& service);

}  // namespace trustmon::routes
