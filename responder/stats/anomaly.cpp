// The issuance anomaly check (anomaly.hpp).
#include "responder/stats/anomaly.hpp"

#include <algorithm>
#include <set>

#include "common/utf8.hpp"
#include "storage/scan.hpp"

namespace trustmon::stats {
namespace {

Result<std::int64_t> issued_on(const storage::WriteTxn& txn, storage::IssuerId issuer, Day day) {
  Cell c;
  c.metric = Metric::certs_issued;
  c.day = day;
  c.issuer = issuer;
  const Bytes key = encode_cell_key(c);
  std::int64_t total = 0;
  Status s = storage::for_each_prefix(txn, storage::Table::stats_cells, ByteView(key.data(), 9),
                                      [&](ByteView, ByteView v) {
                                        if (v.size() == 8) total += static_cast<std::int64_t>(get_be64(v.data()));
                                      });
  if (!s) return std::move(s).error();
  return total;
}

std::string mark_key(storage::IssuerId issuer, Day day) {
  return "stats_anomaly/" + std::to_string(issuer) + "/" + date_text(day);
}

}  // namespace

Result<std::vector<Anomaly>> check_anomalies(storage::WriteTxn& txn, const Deltas& changes, Day today,
                                             const AnomalyOptions& options) {
  std::set<std::pair<storage::IssuerId, Day>> touched;
  for (const auto& [cell, n] : changes.cells())
    if (cell.metric == Metric::certs_issued && !cell.month_rollup && n > 0 && cell.day >= today - 1 &&
        cell.day <= today)
      touched.emplace(cell.issuer, cell.day);
  std::vector<Anomaly> out;
  for (const auto& [issuer, day] : touched) {
    auto issued = issued_on(txn, issuer, day);
    if (!issued) return std::move(issued).error();
    if (*issued < options.minimum) continue;
    const std::string mark = mark_key(issuer, day);
    auto seen = txn.get(storage::Table::meta, as_bytes(mark));
    if (!seen) return std::move(seen).error();
    if (*seen) continue;
    std::vector<std::int64_t> trailing;
    for (Day d = day - options.window; d < day; ++d) {
      auto n = issued_on(txn, issuer, d);
      if (!n) return std::move(n).error();
      trailing.push_back(*n);
    }
    std::nth_element(trailing.begin(), trailing.begin() + static_cast<std::ptrdiff_t>(trailing.size() / 2),
                     trailing.end());
    const std::int64_t median = trailing.empty() ? 0 : trailing[trailing.size() / 2];
    if (*issued <= median * options.factor) continue;
    if (Status s = txn.put(storage::Table::meta, as_bytes(mark), as_bytes("1")); !s) return std::move(s).error();
    out.push_back({issuer, day, *issued, median});
  }
  return out;
}

std::string anomaly_payload(const Anomaly& a, std::string_view issuer_name, const AnomalyOptions& options) {
  std::string out = "{\"issuer\":";
  append_json_string(out, issuer_name);
  out += ",\"day\":\"" + date_text(a.day) + "\",\"issued\":" + std::to_string(a.issued) +
         ",\"trailing_median\":" + std::to_string(a.trailing_median) + ",\"factor\":" + std::to_string(options.factor) +
         ",\"window\":" + std::to_string(options.window) + "}";
  return out;
}

}  // namespace trustmon::stats
