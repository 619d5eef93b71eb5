// One walk of the cube per query: the day cells (a daily series) or the month rollups
// (months, quarters, years), each added to its line and period; the stock adds every
// change before the range as the lines' opening balance.
#include "responder/stats/series.hpp"

#include <algorithm>
#include <limits>

#include "responder/stats/cube.hpp"
#include "storage/scan.hpp"

namespace trustmon::stats {
namespace {

Bytes scan_start(Metric m, bool rollup, Day day) {
  Cell c;
  c.metric = m;
  c.month_rollup = rollup;
  c.day = day;
  c.reason = 0;
  Bytes k = encode_cell_key(c);
  std::fill(k.begin() + 5, k.end(), std::uint8_t{0});
  return k;
}

}  // namespace

Result<SeriesResult> read_series(storage::ReadTxn& txn, const SeriesQuery& q) {
  if (q.to < q.from)
    return make_error(ErrorKind::invalid, "range_invalid", "the range ends before it starts");
  // The periods of the range, widened to whole periods.
  std::vector<Period> periods;
  for (Period p = period_containing(q.freq, q.from); p.first <= q.to; p = next_period(p)) {
    if (periods.size() == kMaxPeriods)
      return make_error(ErrorKind::invalid, "range_too_long",
                        "at most " + std::to_string(kMaxPeriods) + " periods per query");
    periods.push_back(p);
  }
  const Day first = periods.front().first, end = periods.back().end;
  const bool rollup = q.freq != Freq::day;
  const bool stock = is_stock(q.metric);

  SeriesResult out;
  std::map<std::vector<std::uint32_t>, std::vector<std::int64_t>> lines;  // per period
  std::map<std::vector<std::uint32_t>, std::int64_t> opening;             // stock before `first`
  std::vector<std::uint32_t> codes(q.by.size());

  // Periods are contiguous: a day's period index by a moving search.
  const auto period_index = [&](Day day) -> std::size_t {
    const auto it = std::upper_bound(periods.begin(), periods.end(), day,
                                     [](Day d, const Period& p) { return d < p.first; });
    return static_cast<std::size_t>(it - periods.begin()) - 1;
  };
  const auto wanted = [&](const Cell& c) {
    if (q.issuers && !q.issuers->contains(c.issuer)) return false;
    for (const auto& [dim, allowed] : q.only)
      if (!allowed.contains(code_of(c, dim))) return false;
    return true;
  };
  const auto line_codes = [&](const Cell& c) {
    for (std::size_t i = 0; i < q.by.size(); ++i) codes[i] = code_of(c, q.by[i]);
    return codes;
  };
  bool too_large = false;
  const auto walk = [&](bool month_cells, Day from, Day until, auto&& on_cell) -> Status {
    const Bytes start = scan_start(q.metric, month_cells, from);
    return storage::for_each_from(txn, storage::Table::stats_cells, start, [&](ByteView k, ByteView v) -> bool {
      const auto c = decode_cell_key(k);
      if (!c || c->metric != q.metric || c->month_rollup != month_cells || c->day >= until) return false;
      if (q.max_cells != 0 && out.cells_read >= q.max_cells) {
        too_large = true;
        return false;
      }
      ++out.cells_read;
      if (v.size() != 8 || !wanted(*c)) return true;
      on_cell(*c, static_cast<std::int64_t>(get_be64(v.data())));
      return true;
    });
  };

  if (stock) {
    // Opening balance: whole months before `first` from the rollups, then the days of
    // `first`'s month before it.
    const Day month_start = period_containing(Freq::month, first).first;
    const auto add_opening = [&](const Cell& c, std::int64_t n) { opening[line_codes(c)] += n; };
    if (Status s = walk(true, std::numeric_limits<Day>::min(), month_start, add_opening); !s) return std::move(s).error();
    if (month_start < first)
      if (Status s = walk(false, month_start, first, add_opening); !s) return std::move(s).error();
  }
  const auto add = [&](const Cell& c, std::int64_t n) {
    auto& values = lines[line_codes(c)];
    if (values.empty()) values.assign(periods.size(), 0);
    values[period_index(c.day)] += n;
  };
  if (Status s = walk(rollup, first, end, add); !s) return std::move(s).error();
  if (too_large)
    return make_error(ErrorKind::too_large, "query_too_large",
                      "the query reads more than " + std::to_string(q.max_cells) +
                          " cells; ask for a shorter range, a longer period or fewer dimensions");

  if (stock) {
    for (const auto& [key, balance] : opening) {
      auto& values = lines[key];
      if (values.empty()) values.assign(periods.size(), 0);
    }
    for (auto& [key, values] : lines) {
      std::int64_t running = 0;
      if (auto it = opening.find(key); it != opening.end()) running = it->second;
      for (auto& v : values) v = running += v;
    }
  }
  for (auto& [key, values] : lines) {
    if (std::all_of(values.begin(), values.end(), [](std::int64_t v) { return v == 0; })) continue;
    SeriesLine line;
    line.codes = key;
    line.points.reserve(periods.size());
    for (std::size_t i = 0; i < periods.size(); ++i) line.points.push_back({periods[i], values[i]});
    out.lines.push_back(std::move(line));
  }
  return out;
}

}  // namespace trustmon::stats
