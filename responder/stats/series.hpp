// Reading the derived cube: a series of one metric by period, broken down by the
// dimensions asked for, over the issuers the caller may see. One query path feeds every
// reader (the series API, the public aggregate, the annual bundle, reconciliation), so
// two figures of the same cell never disagree.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "responder/stats/calendar.hpp"
#include "responder/stats/codes.hpp"
#include "storage/lmdb.hpp"
#include "storage/records.hpp"

namespace trustmon::stats {

struct SeriesQuery {
  Metric metric = Metric::certs_issued;
  Freq freq = Freq::month;
  std::vector<Dim> by;                      // breakdown, in the order asked
  Day from = 0;                             // first day; widened to its period's start
  Day to = 0;                               // last day (inclusive); widened to its period's end
  std::optional<std::set<storage::IssuerId>> issuers;  // nullopt: every issuer
  // Filters: only cells whose dimension has one of these codes (issuer: ids).
  std::map<Dim, std::set<std::uint32_t>> only;
  // At most this many cells read (0: no limit); past it the query fails with
  // `query_too_large` (the public endpoint's bound on what an anonymous request may cost).
  std::uint64_t max_cells = 0;
};

struct SeriesPoint {
  Period period;
  std::int64_t value = 0;
};
struct SeriesLine {
  std::vector<std::uint32_t> codes;  // one per `by` entry (issuer: its id)
  std::vector<SeriesPoint> points;   // every period of the range, in order (zeros too)
};
struct SeriesResult {
  std::vector<SeriesLine> lines;  // sorted by codes
  std::uint64_t cells_read = 0;
};

// At most this many periods per query (a daily series over ten years).
inline constexpr std::size_t kMaxPeriods = 3660;

Result<SeriesResult> read_series(storage::ReadTxn& txn, const SeriesQuery& q);

}  // namespace trustmon::stats
