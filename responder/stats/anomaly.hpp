// The issuance anomaly check (event stats.anomaly): an issuer whose certificates issued on
// a recent day exceed `factor` times its median daily issuance over the `window` days
// before, and number at least `minimum`. A compromised registration office issuing in
// bulk shows up this way. Checked in the ingest job that changed the day's count, so the
// event is in the same commit; each issuer-day is reported once (a meta mark).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "responder/stats/cube.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::stats {

struct AnomalyOptions {
  int factor = 5;
  int minimum = 20;
  int window = 28;
};

struct Anomaly {
  storage::IssuerId issuer = 0;
  Day day = 0;
  std::int64_t issued = 0;
  std::int64_t trailing_median = 0;
};

// The issuer-days of `changes` (certs_issued, `today` or the day before) that became
// anomalous; marks each as reported.
Result<std::vector<Anomaly>> check_anomalies(storage::WriteTxn& txn, const Deltas& changes, Day today,
                                             const AnomalyOptions& options);

// {"issuer","day","issued","trailing_median","factor","window"}
std::string anomaly_payload(const Anomaly& a, std::string_view issuer_name, const AnomalyOptions& options);

}  // namespace trustmon::stats
