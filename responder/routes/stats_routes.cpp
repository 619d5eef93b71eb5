#include "responder/routes/stats_routes.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "common/log.hpp"
#include "common/thread_pool.hpp"
#include "common/time.hpp"
#include "common/utf8.hpp"
#include "responder/access/service.hpp"
#include "responder/registry/stats_rebuild.hpp"
#include "responder/stats/report_store.hpp"
#include "responder/stats/sdmx_csv.hpp"
#include "responder/stats/series.hpp"
#include "storage/event_log.hpp"
#include "storage/records.hpp"
#include "storage/scan.hpp"

namespace trustmon::routes {

class StatsRoutes {
 public:
  StatsRoutes() : pool_(2, "stats", kNice) {}
  ThreadPool& pool() { return pool_; }

 private:
  // Below the loops: a year of cells for every provider must not delay OCSP answers.
  static constexpr int kNice = 10;
  ThreadPool pool_;
};

namespace {

// What every figure means (docs/statistics.md has the full definitions).
std::string_view definition(stats::Metric m) {
  switch (m) {
    case stats::Metric::certs_issued:
      return "certificates whose notBefore falls in the period (local days of the configured zone)";
    case stats::Metric::certs_revoked:
      return "permanent revocations whose revocation time falls in the period, by reason";
    case stats::Metric::certs_held:
      return "holds (certificateHold) whose revocation time falls in the period";
    case stats::Metric::certs_released:
      return "holds released in the period (the time trustmon stored the release)";
    case stats::Metric::certs_expired:
      return "certificates whose notAfter falls in the period while active (not revoked, not on hold)";
    case stats::Metric::certs_active:
      return "certificates active at the end of the period: inside their validity, not revoked, not on hold";
  }
  return "";
}

constexpr std::string_view kMethodology = "trustmon-stats-1";

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

Error invalid(std::string code, std::string message) {
  return make_error(ErrorKind::invalid, std::move(code), std::move(message));
}

struct SeriesRequest {
  stats::SeriesQuery query;
  bool csv = false;
};

Result<SeriesRequest> parse_series_request(const http::Request& req, const stats::Calendar& cal,
                                           const pki::IssuerSet& issuers, UnixTime now) {
  SeriesRequest out;
  stats::SeriesQuery& q = out.query;
  const auto metric_text = req.query("metric");
  if (!metric_text) return invalid("metric_missing", "the metric parameter is required");
  const auto metric = stats::parse_metric(*metric_text);
  if (!metric) return invalid("metric_invalid", "unknown metric \"" + *metric_text + "\"");
  q.metric = *metric;
  if (const auto f = req.query("freq")) {
    auto freq = stats::parse_freq(*f);
    if (!freq) return std::move(freq).error();
    q.freq = *freq;
  }
  if (const auto by = req.query("by")) {
    for (const std::string& name : split_list(*by)) {
      const auto dim = stats::parse_dim(name);
      if (!dim) return invalid("dimension_invalid", "unknown dimension \"" + name + "\"");
      if (*dim == stats::Dim::reason && q.metric != stats::Metric::certs_revoked)
        return invalid("dimension_invalid", "the reason dimension belongs to certs_revoked only");
      if (std::find(q.by.begin(), q.by.end(), *dim) != q.by.end())
        return invalid("dimension_invalid", "dimension \"" + name + "\" is asked twice");
      q.by.push_back(*dim);
    }
  }
  const stats::Day today = cal.day_of(now);
  q.to = today;
  if (const auto to = req.query("to")) {
    auto d = stats::parse_date(*to);
    if (!d) return std::move(d).error();
    q.to = *d;
  }
  // Default: the last twelve periods (thirty days for a daily series).
  stats::Period first = stats::period_containing(q.freq, q.to);
  for (int i = 0; i < (q.freq == stats::Freq::day ? 29 : q.freq == stats::Freq::year ? 4 : 11); ++i)
    first = stats::period_containing(q.freq, first.first - 1);
  q.from = first.first;
  if (const auto from = req.query("from")) {
    auto d = stats::parse_date(*from);
    if (!d) return std::move(d).error();
    q.from = *d;
  }
  if (q.to < q.from) return invalid("range_invalid", "to is before from");
  if (const auto names = req.query("issuer")) {
    std::set<std::uint32_t> ids;
    for (const std::string& name : split_list(*names)) {
      const pki::Issuer* issuer = issuers.find_by_name(name);
      if (!issuer) return invalid("issuer_unknown", "no configured issuer is named \"" + name + "\"");
      ids.insert(issuer->id);
    }
    q.only[stats::Dim::issuer] = std::move(ids);
  }
  for (stats::Dim dim : stats::kDims) {
    if (dim == stats::Dim::issuer) continue;
    const auto codes = req.query(stats::dim_name(dim));
    if (!codes) continue;
    std::set<std::uint32_t> allowed;
    for (const std::string& name : split_list(*codes)) {
      const auto code = stats::parse_code(dim, name);
      if (!code)
        return invalid("code_invalid", "\"" + name + "\" is not a code of " + std::string(stats::dim_name(dim)));
      allowed.insert(*code);
    }
    q.only[dim] = std::move(allowed);
  }
  if (const auto format = req.query("format")) {
    if (*format == "csv") {
      out.csv = true;
    } else if (*format != "json") {
      return invalid("format_invalid", "format must be json or csv");
    }
  }
  return out;
}

std::string code_text(const pki::IssuerSet& issuers, stats::Dim dim, std::uint32_t code) {
  if (dim == stats::Dim::issuer) {
    const pki::Issuer* issuer = issuers.find_by_id(code);
    return issuer ? issuer->name : "issuer-" + std::to_string(code);
  }
  return std::string(stats::code_name(dim, static_cast<std::uint8_t>(code)));
}

// A closed period is final ("A"); the current one is still moving ("P", provisional).
const char* obs_status(const stats::Period& p, stats::Day today) { return p.end <= today ? "A" : "P"; }

struct Rendering {
  const pki::IssuerSet& issuers;
  const stats::SeriesQuery& query;
  const stats::SeriesResult& result;
  stats::Day today = 0;
  std::string time_zone;
  UnixTime last_update = 0;
  int suppress_below = 0;  // public: values in (0, suppress_below) are withheld
};

bool suppressed(const Rendering& r, std::int64_t v) { return r.suppress_below > 0 && v > 0 && v < r.suppress_below; }

std::string render_json(const Rendering& r) {
  nlohmann::json by = nlohmann::json::array();
  for (stats::Dim d : r.query.by) by.push_back(stats::dim_name(d));
  nlohmann::json meta{{"metric", stats::metric_name(r.query.metric)},
                      {"kind", stats::is_stock(r.query.metric) ? "stock" : "flow"},
                      {"definition", definition(r.query.metric)},
                      {"freq", stats::freq_name(r.query.freq)},
                      {"from", stats::date_text(r.query.from)},
                      {"to", stats::date_text(r.query.to)},
                      {"time_zone", r.time_zone},
                      {"by", by},
                      {"methodology", kMethodology},
                      {"last_update", r.last_update ? nlohmann::json(format_rfc3339(r.last_update)) : nlohmann::json()},
                      {"cells_read", r.result.cells_read}};
  if (r.suppress_below > 0) meta["suppressed_below"] = r.suppress_below;
  nlohmann::json series = nlohmann::json::array();
  for (const stats::SeriesLine& line : r.result.lines) {
    nlohmann::json dims = nlohmann::json::object();
    for (std::size_t i = 0; i < r.query.by.size(); ++i)
      dims[std::string(stats::dim_name(r.query.by[i]))] = code_text(r.issuers, r.query.by[i], line.codes[i]);
    nlohmann::json points = nlohmann::json::array();
    for (const stats::SeriesPoint& p : line.points) {
      nlohmann::json point{{"period", stats::period_label(p.period)}, {"status", obs_status(p.period, r.today)}};
      if (suppressed(r, p.value)) {
        point["value"] = nullptr;
        point["confidential"] = true;
      } else {
        point["value"] = p.value;
      }
      points.push_back(std::move(point));
    }
    series.push_back({{"dims", std::move(dims)}, {"points", std::move(points)}});
  }
  return nlohmann::json{{"meta", std::move(meta)}, {"series", std::move(series)}}.dump(-1, ' ', false,
                                                                                           nlohmann::json::error_handler_t::replace);
}

// SDMX-CSV 1.0: DATAFLOW, the dimensions (FREQ, METRIC, then the breakdown), TIME_PERIOD,
// OBS_VALUE and the attributes OBS_STATUS and CONF_STATUS; one observation per row.

std::string render_csv(const Rendering& r) {
  std::string out = "DATAFLOW,FREQ,METRIC";
  for (stats::Dim d : r.query.by) out += "," + stats::csv_column(stats::dim_name(d));
  out += ",TIME_PERIOD,OBS_VALUE,OBS_STATUS,CONF_STATUS\r\n";
  const std::string freq(1, stats::freq_sdmx(r.query.freq));
  for (const stats::SeriesLine& line : r.result.lines) {
    for (const stats::SeriesPoint& p : line.points) {
      out += "TRUSTMON:CERTS_DERIVED(1.0),";
      out += freq;
      out += ',';
      out += stats::metric_name(r.query.metric);
      for (std::size_t i = 0; i < r.query.by.size(); ++i) {
        out += ',';
        stats::append_csv_field(out, code_text(r.issuers, r.query.by[i], line.codes[i]));
      }
      out += ',';
      out += stats::period_label(p.period);
      out += ',';
      const bool hidden = suppressed(r, p.value);
      if (!hidden) out += std::to_string(p.value);
      out += ',';
      out += obs_status(p.period, r.today);
      out += hidden ? ",C\r\n" : ",F\r\n";
    }
  }
  return out;
}

UnixTime last_event_time(const storage::ReadTxn& txn) {
  auto last = storage::last_entry(txn, storage::Table::events);
  if (!last || !*last) return 0;
  auto event = storage::decode_event((*last)->key, (*last)->value);
  return event ? event->time : 0;
}

Result<std::string> series_body(storage::Env& env, const pki::IssuerSet& issuers, const stats::Calendar& cal,
                                const SeriesRequest& request, UnixTime now, int suppress_below) {
  auto txn = storage::ReadTxn::begin(env);
  if (!txn) return std::move(txn).error();
  storage::ReadScope scope(*txn);
  if (!scope.status()) return scope.status().error();
  auto result = stats::read_series(*txn, request.query);
  if (!result) return std::move(result).error();
  Rendering r{issuers, request.query, *result, cal.day_of(now), cal.zone(), last_event_time(*txn), suppress_below};
  return request.csv ? render_csv(r) : render_json(r);
}

void reply_body(http::Request& req, const Result<std::string>& body, bool csv, const char* what) {
  if (!body) {
    const Error& e = body.error();
    if (!e.is_refusal()) log().error("{} failed: {}: {}", what, e.code, e.message);
    return req.reply_error(e);
  }
  req.reply(200, csv ? "text/csv; charset=utf-8; header=present" : "application/json", std::string_view(*body),
            {{"Cache-Control", "no-store"}});
}

// Which issuers the caller may see: every one (central body), its own (a QTSP), or none.
std::optional<std::optional<std::set<storage::IssuerId>>> scope_of(const access::Principal& p) {
  if (is_central_body(p)) return std::optional<std::set<storage::IssuerId>>{};
  if (p.kind != access::ParticipantKind::qtsp) return std::nullopt;
  std::set<storage::IssuerId> own;
  if (p.actor.issuers) own.insert(p.actor.issuers->begin(), p.actor.issuers->end());
  return std::optional<std::set<storage::IssuerId>>{std::move(own)};
}

Error not_permitted() {
  return make_error(ErrorKind::forbidden, "stats_not_permitted",
                    "statistics are for providers (their own issuers) and the central body");
}

struct Context {
  Context(ApiContext& a, storage::Env& e, storage::Writer& w, const stats::Counting& k,
          StatsRouteOptions o, ThreadPool& p)
      : api(a), env(e), writer(w), counting(k), options(std::move(o)), pool(p) {}
  ApiContext& api;
  storage::Env& env;
  storage::Writer& writer;
  const stats::Counting& counting;
  StatsRouteOptions options;
  ThreadPool& pool;
  std::atomic<int> public_pending{0};
};

void handle_series(http::Request& req, Context& c) {
  constexpr std::string_view kAction = "stats.series";
  auto principal = guard(req, c.api, access::Need::read, kAction);
  if (!principal) return;
  const auto scope = scope_of(*principal);
  if (!scope) return deny(req, c.api, principal->actor, kAction, nlohmann::json::object(), not_permitted());
  const UnixTime now = c.api.clock.now();
  auto request = parse_series_request(req, c.counting.calendar(), c.api.issuers, now);
  if (!request) return req.reply_error(request.error());
  if (*scope) {
    // A provider's query covers its own issuers; naming another's is refused.
    auto& q = request->query;
    if (const auto it = q.only.find(stats::Dim::issuer); it != q.only.end()) {
      for (std::uint32_t id : it->second)
        if (!(*scope)->contains(id))
          return deny(req, c.api, principal->actor, kAction, nlohmann::json{{"issuer", code_text(c.api.issuers, stats::Dim::issuer, id)}},
                      make_error(ErrorKind::forbidden, "issuer_not_operated",
                                 "the caller's participant does not operate this issuer"));
    }
    q.issuers = **scope;
  }
  auto shared = std::make_shared<http::Request>(std::move(req));
  c.pool.submit([shared, &c, request = std::move(*request), now] {
    reply_body(*shared, series_body(c.env, c.api.issuers, c.counting.calendar(), request, now, 0), request.csv,
               "stats series");
  });
}

void handle_public_series(http::Request& req, Context& c) {
  const UnixTime now = c.api.clock.now();
  auto request = parse_series_request(req, c.counting.calendar(), c.api.issuers, now);
  if (!request) return req.reply_error(request.error());
  request->query.max_cells = c.options.public_max_cells;
  if (c.public_pending.fetch_add(1) >= c.options.public_max_pending) {
    c.public_pending.fetch_sub(1);
    return req.reply_error(make_error(ErrorKind::unavailable, "stats_busy",
                                      "too many public statistics queries at once; try again shortly"),
                           {{"Retry-After", "1"}});
  }
  auto shared = std::make_shared<http::Request>(std::move(req));
  c.pool.submit([shared, &c, request = std::move(*request), now] {
    struct Done {
      std::atomic<int>& pending;
      ~Done() { pending.fetch_sub(1); }
    } done{c.public_pending};
    reply_body(*shared,
               series_body(c.env, c.api.issuers, c.counting.calendar(), request, now, c.options.public_threshold),
               request.csv, "public stats series");
  });
}

// Issuance (notBefore) to push (ingested_at), per issuer, for certificates issued in the range.
Result<std::string> ingest_lag_body(storage::Env& env, const stats::Calendar& cal,
                                    const std::vector<const pki::Issuer*>& wanted, stats::Day from, stats::Day to) {
  auto txn = storage::ReadTxn::begin(env);
  if (!txn) return std::move(txn).error();
  storage::ReadScope scope(*txn);
  if (!scope.status()) return scope.status().error();
  nlohmann::json rows = nlohmann::json::array();
  const UnixTime start = cal.start_of(from), end = cal.start_of(to + 1);
  for (const pki::Issuer* issuer : wanted) {
    std::vector<UnixTime> lags;
    std::uint64_t unknown = 0;
    std::uint8_t prefix[4];
    put_be32(prefix, issuer->id);
    Status s = storage::for_each_prefix(*txn, storage::Table::certs, ByteView(prefix, 4),
                                        [&](ByteView, ByteView v) -> Status {
      auto record = storage::decode_cert(v);
      if (!record) return std::move(record).error();
      if (!record->has_der || record->not_before < start || record->not_before >= end) return {};
      if (record->ingested_at == 0) {
        ++unknown;
        return {};
      }
      lags.push_back(std::max<UnixTime>(0, record->ingested_at - record->not_before));
      return {};
    });
    if (!s) return std::move(s).error();
    std::sort(lags.begin(), lags.end());
    const auto pct = [&](double q) -> nlohmann::json {
      if (lags.empty()) return nullptr;
      const auto i = static_cast<std::size_t>(q * static_cast<double>(lags.size() - 1) + 0.5);
      return lags[std::min(i, lags.size() - 1)];
    };
    rows.push_back({{"issuer", issuer->name},
                    {"certificates", lags.size()},
                    {"without_ingest_time", unknown},
                    {"p50_s", pct(0.5)},
                    {"p90_s", pct(0.9)},
                    {"p99_s", pct(0.99)},
                    {"max_s", lags.empty() ? nlohmann::json(nullptr) : nlohmann::json(lags.back())}});
  }
  return nlohmann::json{{"from", stats::date_text(from)}, {"to", stats::date_text(to)}, {"time_zone", cal.zone()},
                        {"issuers", std::move(rows)}}
      .dump();
}

void handle_ingest_lag(http::Request& req, Context& c) {
  constexpr std::string_view kAction = "stats.ingest_lag";
  auto principal = guard(req, c.api, access::Need::read, kAction);
  if (!principal) return;
  const auto scope = scope_of(*principal);
  if (!scope) return deny(req, c.api, principal->actor, kAction, nlohmann::json::object(), not_permitted());
  const stats::Calendar& cal = c.counting.calendar();
  const stats::Day today = cal.day_of(c.api.clock.now());
  stats::Day from = today - 30, to = today;
  for (auto [name, target] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
    if (const auto text = req.query(name)) {
      auto d = stats::parse_date(*text);
      if (!d) return req.reply_error(d.error());
      *target = *d;
    }
  }
  if (to < from) return req.reply_error(invalid("range_invalid", "to is before from"));
  std::vector<const pki::Issuer*> wanted;
  const auto names = req.query("issuer");
  const std::vector<std::string> listed = names ? split_list(*names) : std::vector<std::string>{};
  for (const pki::Issuer* issuer : c.api.issuers.all()) {
    if (*scope && !(*scope)->contains(issuer->id)) continue;
    if (names && std::find(listed.begin(), listed.end(), issuer->name) == listed.end()) continue;
    wanted.push_back(issuer);
  }
  auto shared = std::make_shared<http::Request>(std::move(req));
  c.pool.submit([shared, &c, wanted = std::move(wanted), from, to] {
    reply_body(*shared, ingest_lag_body(c.env, c.counting.calendar(), wanted, from, to), false,
               "ingest lag");
  });
}

// The yearly bundle: every derived metric per provider (its issuers together) for a
// calendar year of the zone: flows over the year, the stock at its end.
struct AnnualRow {
  std::uint32_t participant = 0;  // 0: issuers no provider operates
  std::string name, code;
  std::set<storage::IssuerId> issuers;
  std::vector<std::pair<stats::Metric, std::int64_t>> derived;
  // What the provider reported for the year (nullopt: no report covers it), and from which
  // reports: its yearly report's latest revision, else the latest revisions of all twelve
  // months (flows summed, the stock of December).
  std::map<stats::Metric, std::optional<std::int64_t>> reported;
  std::vector<std::uint64_t> report_ids;
};

// A report's figure for a metric over the provider: its total observation (no dimension),
// else the sum of its per-issuer totals (only the issuer dimension); nullopt if neither.
std::optional<std::int64_t> reported_total(const stats::Report& r, std::string_view metric) {
  std::optional<std::int64_t> total, per_issuer;
  for (const stats::Observation& o : r.observations) {
    if (o.metric != metric || !o.value) continue;
    if (o.dims.empty()) total = total.value_or(0) + *o.value;
    if (o.dims.size() == 1 && o.dims.contains("issuer")) per_issuer = per_issuer.value_or(0) + *o.value;
  }
  return total ? total : per_issuer;
}

// The latest revision per period among `reports` (all the provider's).
std::map<std::pair<stats::Freq, stats::Day>, const stats::StoredReport*> latest_by_period(
    const std::vector<stats::StoredReport>& reports) {
  std::map<std::pair<stats::Freq, stats::Day>, const stats::StoredReport*> out;
  for (const stats::StoredReport& r : reports) {
    auto& slot = out[{r.report.period.freq, r.report.period.first}];
    if (slot == nullptr || slot->report.revision < r.report.revision) slot = &r;
  }
  return out;
}

void add_reported(AnnualRow& row, const std::vector<stats::StoredReport>& reports, int year) {
  const auto latest = latest_by_period(reports);
  const stats::Day jan1 = *stats::parse_date(std::to_string(year) + "-01-01");
  std::vector<const stats::StoredReport*> used;
  if (auto it = latest.find({stats::Freq::year, jan1}); it != latest.end()) {
    used.push_back(it->second);
  } else {
    for (stats::Period m = stats::period_containing(stats::Freq::month, jan1);
         m.first < stats::period_containing(stats::Freq::year, jan1).end; m = stats::next_period(m)) {
      auto it2 = latest.find({stats::Freq::month, m.first});
      if (it2 == latest.end()) {
        used.clear();
        break;
      }
      used.push_back(it2->second);
    }
  }
  for (stats::Metric m : stats::kMetrics) {
    std::optional<std::int64_t> v;
    if (!used.empty()) {
      if (stats::is_stock(m)) {
        v = reported_total(used.back()->report, stats::metric_name(m));  // the year's or December's
      } else {
        for (const stats::StoredReport* r : used) {
          const auto part = reported_total(r->report, stats::metric_name(m));
          if (!part) {
            v.reset();
            break;
          }
          v = v.value_or(0) + *part;
        }
      }
    }
    row.reported[m] = v;
  }
  for (const stats::StoredReport* r : used) row.report_ids.push_back(r->id);
}

Result<std::vector<AnnualRow>> annual_rows(storage::ReadTxn& txn, const pki::IssuerSet& issuers, int year,
                                           const std::optional<std::uint32_t>& only_participant) {
  auto participants = access::list_participants(txn);
  if (!participants) return std::move(participants).error();
  std::vector<AnnualRow> rows;
  std::set<storage::IssuerId> assigned;
  for (const access::ParticipantRecord& p : *participants) {
    if (p.kind != access::ParticipantKind::qtsp) continue;
    if (only_participant && p.id != *only_participant) continue;
    AnnualRow row;
    row.participant = p.id;
    row.name = p.name;
    row.code = p.code;
    row.issuers = {p.issuers.begin(), p.issuers.end()};
    assigned.insert(p.issuers.begin(), p.issuers.end());
    rows.push_back(std::move(row));
  }
  if (!only_participant) {
    AnnualRow rest;
    for (const pki::Issuer* issuer : issuers.all())
      if (!assigned.contains(issuer->id)) rest.issuers.insert(issuer->id);
    if (!rest.issuers.empty()) rows.push_back(std::move(rest));
  }
  const stats::Day first = *stats::parse_date(std::to_string(year) + "-01-01");
  for (AnnualRow& row : rows) {
    for (stats::Metric m : stats::kMetrics) {
      stats::SeriesQuery q;
      q.metric = m;
      q.freq = stats::Freq::year;
      q.from = q.to = first;
      q.issuers = row.issuers;
      auto r = stats::read_series(txn, q);
      if (!r) return std::move(r).error();
      const std::int64_t v = r->lines.empty() ? 0 : r->lines[0].points.at(0).value;
      row.derived.emplace_back(m, v);
    }
    if (row.participant != 0) {
      auto reports = stats::list_reports(txn, row.participant);
      if (!reports) return std::move(reports).error();
      add_reported(row, *reports, year);
    }
  }
  return rows;
}

std::string issuer_names(const pki::IssuerSet& issuers, const std::set<storage::IssuerId>& ids) {
  std::string out;
  for (storage::IssuerId id : ids) {
    if (!out.empty()) out += ' ';
    out += code_text(issuers, stats::Dim::issuer, id);
  }
  return out;
}

Result<std::string> annual_body(storage::Env& env, const pki::IssuerSet& issuers, const stats::Calendar& cal, int year,
                                const std::optional<std::uint32_t>& only_participant, bool csv, UnixTime now) {
  auto txn = storage::ReadTxn::begin(env);
  if (!txn) return std::move(txn).error();
  storage::ReadScope scope(*txn);
  if (!scope.status()) return scope.status().error();
  auto rows = annual_rows(*txn, issuers, year, only_participant);
  if (!rows) return std::move(rows).error();
  const bool closed = *stats::parse_date(std::to_string(year + 1) + "-01-01") <= cal.day_of(now);
  if (csv) {
    std::string out =
        "DATAFLOW,FREQ,PROVIDER,PROVIDER_CODE,ISSUERS,METRIC,TIME_PERIOD,OBS_VALUE,OBS_STATUS,REPORTED_VALUE,DELTA\r\n";
    for (const AnnualRow& row : *rows) {
      for (const auto& [metric, value] : row.derived) {
        out += "TRUSTMON:CERTS_DERIVED(1.0),A,";
        stats::append_csv_field(out, row.participant ? row.name : "(no provider)");
        out += ',';
        stats::append_csv_field(out, row.code);
        out += ',';
        stats::append_csv_field(out, issuer_names(issuers, row.issuers));
        out += ',';
        out += stats::metric_name(metric);
        out += ',' + std::to_string(year) + ',' + std::to_string(value) + (closed ? ",A," : ",P,");
        const auto it = row.reported.find(metric);
        if (it != row.reported.end() && it->second)
          out += std::to_string(*it->second) + ',' + std::to_string(*it->second - value);
        else
          out += ',';
        out += "\r\n";
      }
    }
    return out;
  }
  nlohmann::json providers = nlohmann::json::array();
  for (const AnnualRow& row : *rows) {
    nlohmann::json names = nlohmann::json::array();
    for (storage::IssuerId id : row.issuers) names.push_back(code_text(issuers, stats::Dim::issuer, id));
    nlohmann::json metrics = nlohmann::json::object();
    for (const auto& [metric, value] : row.derived) {
      nlohmann::json cell{{"derived", value}};
      if (row.participant != 0) {
        const auto it = row.reported.find(metric);
        const bool have = it != row.reported.end() && it->second.has_value();
        cell["reported"] = have ? nlohmann::json(*it->second) : nlohmann::json();
        cell["delta"] = have ? nlohmann::json(*it->second - value) : nlohmann::json();
      }
      metrics[std::string(stats::metric_name(metric))] = std::move(cell);
    }
    nlohmann::json p{{"issuers", std::move(names)}, {"metrics", std::move(metrics)}};
    if (row.participant != 0) p["reports"] = row.report_ids;
    if (row.participant != 0) {
      p["participant"] = row.participant;
      p["name"] = row.name;
      p["code"] = row.code;
    }
    providers.push_back(std::move(p));
  }
  return nlohmann::json{{"year", year},
                        {"status", closed ? "A" : "P"},
                        {"time_zone", cal.zone()},
                        {"methodology", kMethodology},
                        {"providers", std::move(providers)}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void handle_annual(http::Request& req, Context& c) {
  constexpr std::string_view kAction = "stats.annual";
  auto principal = guard(req, c.api, access::Need::read, kAction);
  if (!principal) return;
  const auto scope = scope_of(*principal);
  if (!scope) return deny(req, c.api, principal->actor, kAction, nlohmann::json::object(), not_permitted());
  const std::string text = req.path_params().decoded("year").value_or("");
  int year = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), year);
  if (ec != std::errc() || end != text.data() + text.size() || year < 1970 || year > 9999)
    return req.reply_error(invalid("year_invalid", "the year must be a number such as 2026"));
  std::optional<std::uint32_t> only;
  if (*scope) only = principal->actor.participant;  // a provider gets its own row
  bool csv = false;
  if (const auto format = req.query("format")) {
    if (*format == "csv") {
      csv = true;
    } else if (*format != "json") {
      return req.reply_error(invalid("format_invalid", "format must be json or csv"));
    }
  }
  const UnixTime now = c.api.clock.now();
  auto shared = std::make_shared<http::Request>(std::move(req));
  c.pool.submit([shared, &c, year, only, csv, now] {
    reply_body(*shared, annual_body(c.env, c.api.issuers, c.counting.calendar(), year, only, csv, now), csv,
               "stats annual");
  });
}

void handle_rebuild(http::Request& req, Context& c) {
  auto principal = guard(req, c.api, access::Need::admin, "stats.rebuild");
  if (!principal) return;
  auto shared = std::make_shared<http::Request>(std::move(req));
  c.pool.submit([shared, &c] {
    auto report = registry::rebuild_stats(c.env, c.writer, c.api.issuers, c.counting);
    if (!report) return reply_body(*shared, report.error(), false, "stats rebuild");
    log().info("statistics rebuilt: {} events, {} cells, {} changed", report->events, report->cells,
               report->differing);
    reply_body(*shared,
               nlohmann::json{{"events", report->events},
                              {"skipped", report->skipped},
                              {"cells", report->cells},
                              {"differing", report->differing}}
                   .dump(),
               false, "stats rebuild");
  });
}

}  // namespace

std::shared_ptr<StatsRoutes> add_stats_routes(http::Router& router, ApiContext& ctx, storage::Env& env,
                                              storage::Writer& writer, const stats::Counting& counting,
                                              StatsRouteOptions options) {
  auto routes = std::make_shared<StatsRoutes>();
  auto c = std::make_shared<Context>(ctx, env, writer, counting, options, routes->pool());
  router.add(http::Method::Get, "/api/v1/stats/series", [c](http::Request& req) { handle_series(req, *c); },
             http::kApiRoute);
  router.add(http::Method::Get, "/stats/series", [c](http::Request& req) { handle_public_series(req, *c); },
             http::kOpenRoute);
  router.add(http::Method::Get, "/api/v1/stats/ingest_lag", [c](http::Request& req) { handle_ingest_lag(req, *c); },
             http::kApiRoute);
  router.add(http::Method::Get, "/api/v1/stats/annual/{year}", [c](http::Request& req) { handle_annual(req, *c); },
             http::kApiRoute);
  router.add(http::Method::Post, "/api/v1/admin/stats/rebuild", [c](http::Request& req) { handle_rebuild(req, *c); },
             http::kApiRoute);
  return routes;
}

}  // namespace trustmon::routes
