// See report.hpp; the rules are docs/statistics.md "Providers' reports".
#include "responder/stats/report.hpp"

#include "responder/stats/sdmx_csv.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <set>

#include "common/utf8.hpp"
#include "responder/stats/codes.hpp"

namespace trustmon::stats {
namespace {

using nlohmann::json;

// Values above this are refused (no provider issues a quadrillion of anything), so the
// sums of a breakdown never overflow.
constexpr std::int64_t kMaxValue = 1'000'000'000'000'000;
constexpr int kMaxJsonDepth = 16;

// The problems of one check, capped at kMaxProblems (+ one that says how many more).
class Problems {
 public:
  explicit Problems(std::vector<Problem>& out) : out_(out) {}
  void add(Problem p) {
    if (out_.size() < kMaxProblems) {
      out_.push_back(std::move(p));
    } else if (out_.back().code != "problems_truncated") {
      out_.push_back(Problem{"", 0, "", "problems_truncated", "more problems were found; fix these first"});
    }
  }

 private:
  std::vector<Problem>& out_;
};

std::string pointer_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string upper(std::string_view s) { return csv_column(s); }
std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string csv_column_of(std::string_view field) {
  if (field == "metric") return "METRIC";
  if (field == "value") return "OBS_VALUE";
  if (field == "obs_status") return "OBS_STATUS";
  if (field == "comment") return "COMMENT_OBS";
  if (field.substr(0, 5) == "dims/") return upper(field.substr(5));
  return upper(field);
}

// A problem at observation `i`'s `field` ("value", "dims/issuer", "" for the whole).
Problem at_obs(const Report& r, std::size_t i, std::string_view field, std::string code, std::string message) {
  Problem p;
  if (r.format == ReportFormat::csv) {
    p.row = r.observations[i].row;
    p.column = field.empty() ? "" : csv_column_of(field);
  } else {
    p.pointer = "/observations/" + std::to_string(i);
    if (!field.empty()) p.pointer += "/" + std::string(field);
  }
  p.code = std::move(code);
  p.message = std::move(message);
  return p;
}

// A problem about the report as a whole: a JSON pointer, or for CSV the first data row's
// column (the period) or the query parameter (the revision).
Problem at_report(const Report& r, std::string_view pointer, std::string code, std::string message) {
  Problem p;
  if (r.format == ReportFormat::csv) {
    if (pointer == "/revision") {
      p.pointer = "?revision";
    } else if (pointer.substr(0, 7) == "/period") {
      p.row = 2;
      p.column = "TIME_PERIOD";
    } else {
      p.row = 1;
    }
  } else {
    p.pointer = std::string(pointer);
  }
  p.code = std::move(code);
  p.message = std::move(message);
  return p;
}

bool known_obs_status(std::string_view s) { return s == "A" || s == "E" || s == "P" || s == "M"; }

// ---- JSON ---------------------------------------------------------------------------

void parse_value(const json& v, Observation& o, Report& r, std::size_t i, Problems& problems) {
  if (v.is_null()) return;  // missing: allowed with obs_status M (checked in the rules)
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(kMaxValue))
      return problems.add(at_obs(r, i, "value", "value_too_large", "values are at most 10^15"));
    o.value = static_cast<std::int64_t>(u);
    return;
  }
  if (v.is_number_integer()) return problems.add(at_obs(r, i, "value", "value_negative", "values are counts: not negative"));
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (d < 0) return problems.add(at_obs(r, i, "value", "value_negative", "values are counts: not negative"));
  }
  problems.add(at_obs(r, i, "value", "value_not_integer", "values are whole numbers (a JSON integer)"));
}

void parse_observation(const json& e, Report& r, std::size_t i, Problems& problems) {
  Observation& o = r.observations[i];
  if (!e.is_object())
    return problems.add(at_obs(r, i, "", "observation_invalid", "an observation is a JSON object"));
  bool has_value = false;
  for (const auto& [name, v] : e.items()) {
    if (name == "metric") {
      if (v.is_string()) o.metric = v.get<std::string>();
      else problems.add(at_obs(r, i, "metric", "metric_invalid", "\"metric\" is a string"));
    } else if (name == "dims") {
      if (!v.is_object()) {
        problems.add(at_obs(r, i, "dims", "dims_invalid", "\"dims\" is an object of dimension -> code"));
        continue;
      }
      for (const auto& [dim, code] : v.items()) {
        if (code.is_string()) o.dims[dim] = code.get<std::string>();
        else problems.add(at_obs(r, i, "dims/" + pointer_escape(dim), "code_invalid", "a dimension's code is a string"));
      }
    } else if (name == "value") {
      has_value = true;
      parse_value(v, o, r, i, problems);
    } else if (name == "obs_status") {
      if (v.is_string()) o.obs_status = v.get<std::string>();
      else problems.add(at_obs(r, i, "obs_status", "obs_status_invalid", "\"obs_status\" is A, E, P or M"));
    } else if (name == "comment") {
      if (v.is_null()) continue;
      if (!v.is_string()) problems.add(at_obs(r, i, "comment", "comment_invalid", "\"comment\" is a string"));
      else o.comment = v.get<std::string>();
    } else {
      problems.add(at_obs(r, i, pointer_escape(name), "member_unknown", "an observation has no member \"" + name + "\""));
    }
  }
  if (o.metric.empty() && !e.contains("metric"))
    problems.add(at_obs(r, i, "metric", "metric_missing", "\"metric\" is required"));
  if (!has_value && o.obs_status != "M")
    problems.add(at_obs(r, i, "value", "value_missing", "\"value\" is required (or obs_status M for a missing value)"));
}

void parse_period_json(const json& p, Report& r, const ReportContext& ctx, Problems& problems) {
  if (!p.is_object()) return problems.add(at_report(r, "/period", "period_invalid", "\"period\" is {\"freq\", \"start\"}"));
  std::optional<Freq> freq;
  std::optional<Day> start;
  for (const auto& [name, v] : p.items()) {
    if (name == "freq") {
      auto f = v.is_string() ? parse_freq(v.get<std::string>()) : Result<Freq>(make_error(ErrorKind::invalid, "x", "x"));
      if (!f || *f == Freq::day)
        problems.add(at_report(r, "/period/freq", "period_freq_invalid", "\"freq\" is M, Q or A (month, quarter, year)"));
      else freq = *f;
    } else if (name == "start") {
      auto d = v.is_string() ? parse_date(v.get<std::string>()) : Result<Day>(make_error(ErrorKind::invalid, "x", "x"));
      if (!d) problems.add(at_report(r, "/period/start", "period_start_invalid", "\"start\" is a date YYYY-MM-DD"));
      else start = *d;
    } else if (name == "end" || name == "tz") {
      // checked below once freq and start are known
    } else {
      problems.add(at_report(r, "/period/" + pointer_escape(name), "member_unknown", "a period has no member \"" + name + "\""));
    }
  }
  if (!p.contains("freq")) problems.add(at_report(r, "/period/freq", "period_freq_invalid", "\"freq\" is required"));
  if (!p.contains("start")) problems.add(at_report(r, "/period/start", "period_start_invalid", "\"start\" is required"));
  if (!freq || !start) return;
  if (!is_first_of(*freq, *start))
    return problems.add(at_report(r, "/period/start", "period_not_aligned",
                                  "\"start\" is not the first day of a " + std::string(freq_name(*freq))));
  r.period = period_containing(*freq, *start);
  if (auto e = p.find("end"); e != p.end() && !(e->is_string() && *e == date_text(r.period.end)))
    problems.add(at_report(r, "/period/end", "period_end_invalid",
                           "\"end\" (optional, exclusive) must be " + date_text(r.period.end)));
  if (auto z = p.find("tz"); z != p.end() && !(z->is_string() && ctx.calendar && *z == ctx.calendar->zone()))
    problems.add(at_report(r, "/period/tz", "period_zone_mismatch",
                           "periods are counted in " + (ctx.calendar ? ctx.calendar->zone() : std::string("the configured zone"))));
}

void parse_json(std::string_view text, Report& r, const ReportContext& ctx, Problems& problems) {
  r.format = ReportFormat::json;
  bool too_deep = false;
  json j = json::parse(
      text.begin(), text.end(),
      [&too_deep](int depth, json::parse_event_t, json&) {
        if (depth > kMaxJsonDepth) too_deep = true;
        return depth <= kMaxJsonDepth;
      },
      false);
  if (j.is_discarded()) return problems.add(at_report(r, "", "json_malformed", "the report is not valid JSON"));
  if (too_deep) return problems.add(at_report(r, "", "json_malformed", "the report nests deeper than 16 levels"));
  if (!j.is_object()) return problems.add(at_report(r, "", "json_malformed", "the report is a JSON object"));
  r.schema.clear();
  for (const auto& [name, v] : j.items()) {
    if (name == "schema") {
      if (v.is_string()) r.schema = v.get<std::string>();
    } else if (name == "period") {
      parse_period_json(v, r, ctx, problems);
    } else if (name == "revision") {
      if (!v.is_number_unsigned() || v.get<std::uint64_t>() < 1 || v.get<std::uint64_t>() > 1'000'000)
        problems.add(at_report(r, "/revision", "revision_invalid", "\"revision\" is an integer from 1"));
      else r.revision = static_cast<std::uint32_t>(v.get<std::uint64_t>());
    } else if (name == "provider") {
      if (v.is_string()) r.provider = v.get<std::string>();
      else problems.add(at_report(r, "/provider", "provider_mismatch", "\"provider\" is the provider's name"));
    } else if (name == "observations") {
      if (!v.is_array()) {
        problems.add(at_report(r, "/observations", "observations_invalid", "\"observations\" is an array"));
        continue;
      }
      if (v.size() > kMaxObservations) {
        problems.add(at_report(r, "/observations", "too_many_observations",
                               "at most " + std::to_string(kMaxObservations) + " observations per report"));
        continue;
      }
      r.observations.resize(v.size());
      for (std::size_t i = 0; i < v.size(); ++i) parse_observation(v[i], r, i, problems);
    } else {
      problems.add(at_report(r, "/" + pointer_escape(name), "member_unknown", "a report has no member \"" + name + "\""));
    }
  }
  if (r.schema != kReportSchema)
    problems.add(at_report(r, "/schema", "schema_unknown", "\"schema\" must be \"" + std::string(kReportSchema) + "\""));
  if (!j.contains("period")) problems.add(at_report(r, "/period", "period_invalid", "\"period\" is required"));
  if (!j.contains("revision")) problems.add(at_report(r, "/revision", "revision_invalid", "\"revision\" is required"));
  if (!j.contains("observations"))
    problems.add(at_report(r, "/observations", "observations_invalid", "\"observations\" is required"));
}

// ---- CSV (RFC 4180) -----------------------------------------------------------------

struct CsvRecord {
  std::size_t row = 0;  // 1-based record number (the header is 1)
  std::vector<std::string> fields;
};

// Splits the text into records; false (and a problem) on an unterminated quote.
bool split_csv(std::string_view text, std::vector<CsvRecord>& out, Report& r, Problems& problems) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  if (!utf8_valid(text)) {
    problems.add(Problem{"", 0, "", "csv_malformed", "the CSV is not UTF-8 text"});
    return false;
  }
  std::size_t i = 0;
  std::size_t row = 0;
  while (i < text.size()) {
    CsvRecord rec;
    rec.row = ++row;
    std::string field;
    bool quoted = false, was_quoted = false;
    for (;;) {
      if (i >= text.size()) {
        if (quoted) {
          Problem p{"", rec.row, "", "csv_malformed", "a quoted field is not closed"};
          problems.add(std::move(p));
          return false;
        }
        rec.fields.push_back(std::move(field));
        break;
      }
      const char c = text[i++];
      if (quoted) {
        if (c == '"') {
          if (i < text.size() && text[i] == '"') {
            field += '"';
            ++i;
          } else {
            quoted = false;
          }
        } else {
          field += c;
        }
        continue;
      }
      if (c == '"' && field.empty() && !was_quoted) {
        quoted = was_quoted = true;
      } else if (c == ',') {
        rec.fields.push_back(std::move(field));
        field.clear();
        was_quoted = false;
      } else if (c == '\n' || c == '\r') {
        if (c == '\r' && i < text.size() && text[i] == '\n') ++i;
        rec.fields.push_back(std::move(field));
        break;
      } else {
        field += c;
      }
      if (field.size() > 4096) {
        problems.add(Problem{"", rec.row, "", "csv_malformed", "a field is longer than 4096 bytes"});
        return false;
      }
    }
    if (rec.fields.size() == 1 && rec.fields[0].empty()) continue;  // an empty line
    if (out.size() > kMaxObservations) {
      problems.add(Problem{"", rec.row, "", "too_many_observations",
                           "at most " + std::to_string(kMaxObservations) + " observations per report"});
      return false;
    }
    out.push_back(std::move(rec));
  }
  (void)r;
  return true;
}

bool known_dimension(std::string_view name, const ReportContext& ctx) {
  return parse_dim(name).has_value() || (ctx.code_lists && ctx.code_lists->dimensions.count(name));
}

void parse_csv(std::string_view text, std::optional<std::uint32_t> revision, Report& r, const ReportContext& ctx,
               Problems& problems) {
  r.format = ReportFormat::csv;
  if (!revision) {
    problems.add(Problem{"?revision", 0, "", "revision_missing", "a CSV report names its revision: ?revision=N"});
  } else if (*revision < 1 || *revision > 1'000'000) {
    problems.add(Problem{"?revision", 0, "", "revision_invalid", "the revision is an integer from 1"});
  } else {
    r.revision = *revision;
  }
  std::vector<CsvRecord> records;
  if (!split_csv(text, records, r, problems)) return;
  if (records.empty()) {
    problems.add(Problem{"", 1, "", "column_missing", "the CSV has no header row"});
    return;
  }
  enum Col { dataflow, freq, time_period, metric, value, status, conf, comment, dim };
  struct Column {
    Col col;
    std::string dim;
  };
  std::vector<Column> columns;
  std::set<std::string> seen;
  bool header_ok = true;
  for (const std::string& raw : records[0].fields) {
    const std::string name = upper(raw);
    Column c{dim, ""};
    if (name == "DATAFLOW") c.col = dataflow;
    else if (name == "FREQ") c.col = freq;
    else if (name == "TIME_PERIOD") c.col = time_period;
    else if (name == "METRIC" || name == "INDICATOR") c.col = metric;
    else if (name == "OBS_VALUE") c.col = value;
    else if (name == "OBS_STATUS") c.col = status;
    else if (name == "CONF_STATUS") c.col = conf;
    else if (name == "COMMENT_OBS") c.col = comment;
    else if (known_dimension(lower(name), ctx)) c.dim = lower(name);
    else {
      problems.add(Problem{"", 1, raw, "column_unknown", "no column \"" + raw + "\" in a report (docs/statistics.md)"});
      header_ok = false;
    }
    const std::string key = c.col == metric ? "METRIC" : name;
    if (!seen.insert(key).second) {
      problems.add(Problem{"", 1, raw, "column_duplicate", "column \"" + raw + "\" appears twice"});
      header_ok = false;
    }
    columns.push_back(std::move(c));
  }
  for (const char* needed : {"DATAFLOW", "FREQ", "TIME_PERIOD", "METRIC", "OBS_VALUE"}) {
    if (!seen.count(needed)) {
      problems.add(Problem{"", 1, needed, "column_missing", std::string("the column ") + needed + " is required"});
      header_ok = false;
    }
  }
  if (!header_ok) return;
  if (records.size() == 1) {
    problems.add(Problem{"", 1, "", "observations_invalid", "the report has no observation rows"});
    return;
  }
  bool period_set = false;
  for (std::size_t k = 1; k < records.size(); ++k) {
    const CsvRecord& rec = records[k];
    if (rec.fields.size() != columns.size()) {
      problems.add(Problem{"", rec.row, "", "row_width",
                           "the row has " + std::to_string(rec.fields.size()) + " fields, the header " +
                               std::to_string(columns.size())});
      continue;
    }
    r.observations.emplace_back();
    const std::size_t i = r.observations.size() - 1;
    Observation& o = r.observations.back();
    o.row = rec.row;
    std::string freq_text, period_text;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const std::string& f = rec.fields[c];
      switch (columns[c].col) {
        case dataflow:
          if (f != kReportDataflow && f != kDerivedDataflow)
            problems.add(Problem{"", rec.row, "DATAFLOW", "dataflow_unknown",
                                 "DATAFLOW is " + std::string(kReportDataflow)});
          break;
        case freq: freq_text = f; break;
        case time_period: period_text = f; break;
        case metric: o.metric = f; break;
        case value:
          if (f.empty()) break;
          if (f[0] == '-') {
            problems.add(at_obs(r, i, "value", "value_negative", "values are counts: not negative"));
          } else {
            std::int64_t v = 0;
            auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
            if (ec == std::errc::result_out_of_range || (ec == std::errc() && p == f.data() + f.size() && v > kMaxValue))
              problems.add(at_obs(r, i, "value", "value_too_large", "values are at most 10^15"));
            else if (ec != std::errc() || p != f.data() + f.size())
              problems.add(at_obs(r, i, "value", "value_not_integer", "OBS_VALUE is a whole number"));
            else o.value = v;
          }
          break;
        case status: o.obs_status = f.empty() ? "A" : f; break;
        case conf: break;  // what the series download says; a report's cells are the provider's own
        case comment: o.comment = f; break;
        case dim:
          if (!f.empty()) o.dims[columns[c].dim] = f;
          break;
      }
    }
    if (o.metric.empty()) problems.add(at_obs(r, i, "metric", "metric_missing", "METRIC is required"));
    if (!o.value && o.obs_status != "M" && rec.fields.size() == columns.size()) {
      bool value_given = false;
      for (std::size_t c = 0; c < columns.size(); ++c)
        if (columns[c].col == value && !rec.fields[c].empty()) value_given = true;
      if (!value_given)
        problems.add(at_obs(r, i, "value", "value_missing", "OBS_VALUE is required (or OBS_STATUS M)"));
    }
    auto p = parse_period_label(period_text);
    if (!p || p->freq == Freq::day || std::string(1, freq_sdmx(p->freq)) != freq_text) {
      problems.add(Problem{"", rec.row, "TIME_PERIOD", "period_invalid",
                           "FREQ is M, Q or A and TIME_PERIOD its label (2026-11, 2026-Q4, 2026)"});
    } else if (!period_set) {
      r.period = *p;
      period_set = true;
    } else if (!(r.period == *p)) {
      problems.add(Problem{"", rec.row, "TIME_PERIOD", "period_mixed", "every row of a report has the same period"});
    }
  }
}

// ---- rules --------------------------------------------------------------------------

std::string cell_key(const std::string& metric, const std::map<std::string, std::string>& dims) {
  std::string k = metric;
  for (const auto& [d, c] : dims) k += ";" + d + "=" + c;
  return k;
}

void check_issuer(const Report& r, std::size_t i, const std::string& name, const ReportContext& ctx, Problems& problems) {
  auto it = ctx.issuers.find(name);
  if (it == ctx.issuers.end())
    problems.add(at_obs(r, i, "dims/issuer", "issuer_unknown", "no issuer is named \"" + name + "\""));
  else if (!it->second)
    problems.add(at_obs(r, i, "dims/issuer", "issuer_not_operated", "the provider does not operate \"" + name + "\""));
}

void check_observation(const Report& r, std::size_t i, const ReportContext& ctx, Problems& problems) {
  const Observation& o = r.observations[i];
  if (o.metric.empty()) return;  // metric_missing is reported by the parser
  if (!known_obs_status(o.obs_status))
    problems.add(at_obs(r, i, "obs_status", "obs_status_invalid", "obs_status is A (normal), E (estimated), P (provisional) or M (missing)"));
  else if (o.obs_status == "M" && o.value)
    problems.add(at_obs(r, i, "value", "value_with_missing", "an observation with obs_status M has no value"));
  if (o.comment.size() > kMaxCommentBytes)
    problems.add(at_obs(r, i, "comment", "comment_too_long", "a comment is at most 1000 bytes"));
  const auto derived = parse_metric(o.metric);
  const ReportMetric* reported = ctx.code_lists ? ctx.code_lists->metric(o.metric) : nullptr;
  if (!derived && !reported) {
    problems.add(at_obs(r, i, "metric", "metric_unknown", "\"" + o.metric + "\" is not a metric of the code lists"));
    return;
  }
  for (const auto& [name, code] : o.dims) {
    const std::string field = "dims/" + pointer_escape(name);
    if (name == "issuer") {
      check_issuer(r, i, code, ctx, problems);
      continue;
    }
    const auto dim = parse_dim(name);
    bool allowed = false;
    if (derived) {
      allowed = dim && (*dim != Dim::reason || *derived == Metric::certs_revoked);
    } else {
      allowed = std::find(reported->dims.begin(), reported->dims.end(), name) != reported->dims.end();
    }
    if (!allowed) {
      problems.add(at_obs(r, i, field, "dimension_not_allowed", "\"" + o.metric + "\" has no dimension \"" + name + "\""));
      continue;
    }
    const bool known = dim ? parse_code(*dim, code).has_value() : (ctx.code_lists && ctx.code_lists->has_code(name, code));
    if (!known) problems.add(at_obs(r, i, field, "code_unknown", "\"" + code + "\" is not a code of " + name));
  }
  if (derived && !o.dims.count("issuer"))
    problems.add(at_obs(r, i, "dims/issuer", "dimension_missing", "a figure trustmon derives is given per issuer"));
}

bool additive(const std::string& metric, const ReportContext& ctx) {
  if (parse_metric(metric)) return true;
  const ReportMetric* m = ctx.code_lists ? ctx.code_lists->metric(metric) : nullptr;
  return m && m->additive;
}

// Sums of a breakdown equal their total: the cells that add one dimension to a total's
// are its breakdown by that dimension (codes not given count as zero).
void check_additivity(const Report& r, const ReportContext& ctx, Problems& problems) {
  struct Sum {
    std::int64_t sum = 0;
    bool missing = false;
  };
  std::map<std::string, std::map<std::string, Sum>> breakdowns;  // total's key -> dimension -> sum
  for (const Observation& o : r.observations) {
    if (o.metric.empty() || !additive(o.metric, ctx)) continue;
    for (const auto& [d, c] : o.dims) {
      auto parent = o.dims;
      parent.erase(d);
      Sum& s = breakdowns[cell_key(o.metric, parent)][d];
      if (o.value) s.sum += *o.value;
      else s.missing = true;
    }
  }
  for (std::size_t i = 0; i < r.observations.size(); ++i) {
    const Observation& o = r.observations[i];
    if (o.metric.empty() || !o.value || !additive(o.metric, ctx)) continue;
    auto it = breakdowns.find(cell_key(o.metric, o.dims));
    if (it == breakdowns.end()) continue;
    for (const auto& [d, s] : it->second) {
      if (s.missing || s.sum == *o.value) continue;
      problems.add(at_obs(r, i, "value", "breakdown_sum_mismatch",
                          "the breakdown by " + d + " sums to " + std::to_string(s.sum) + ", the total is " +
                              std::to_string(*o.value)));
    }
  }
}

std::optional<std::int64_t> issuer_cell(const Report& r, std::string_view metric, const std::string& issuer,
                                        std::size_t* index = nullptr) {
  for (std::size_t i = 0; i < r.observations.size(); ++i) {
    const Observation& o = r.observations[i];
    if (o.metric == metric && o.dims.size() == 1 && o.value) {
      auto it = o.dims.find("issuer");
      if (it != o.dims.end() && it->second == issuer) {
        if (index) *index = i;
        return o.value;
      }
    }
  }
  return std::nullopt;
}

// active(end) = active(previous end) + issued - revoked - held + released - expired, per
// issuer, against the previous period's accepted report (a warning).
void check_stock_flow(const Report& r, const ReportContext& ctx, Problems& warnings) {
  if (!ctx.previous_period) return;
  std::set<std::string> issuers;
  for (const Observation& o : r.observations)
    if (auto it = o.dims.find("issuer"); it != o.dims.end()) issuers.insert(it->second);
  for (const std::string& issuer : issuers) {
    std::size_t at = 0;
    const auto active = issuer_cell(r, "certs_active", issuer, &at);
    const auto before = issuer_cell(*ctx.previous_period, "certs_active", issuer);
    const auto issued = issuer_cell(r, "certs_issued", issuer);
    const auto revoked = issuer_cell(r, "certs_revoked", issuer);
    const auto expired = issuer_cell(r, "certs_expired", issuer);
    if (!active || !before || !issued || !revoked || !expired) continue;
    const std::int64_t expected = *before + *issued - *revoked - issuer_cell(r, "certs_held", issuer).value_or(0) +
                                  issuer_cell(r, "certs_released", issuer).value_or(0) - *expired;
    if (expected != *active)
      warnings.add(at_obs(r, at, "value", "stock_flow_mismatch",
                          "certs_active of " + issuer + " is " + std::to_string(*active) +
                              "; the previous report's " + std::to_string(*before) +
                              " plus this period's flows gives " + std::to_string(expected)));
  }
}

}  // namespace

json Problem::to_json() const {
  json j = json::object();
  if (!pointer.empty() || row == 0) j["pointer"] = pointer;
  if (row) j["row"] = row;
  if (!column.empty()) j["column"] = column;
  j["code"] = code;
  j["message"] = message;
  return j;
}

void validate_report(ReportCheck& out, const ReportContext& ctx) {
  Problems errors(out.errors);
  Problems warnings(out.warnings);
  const Report& r = out.report;
  if (!r.provider.empty() && r.provider != ctx.provider_name)
    errors.add(at_report(r, "/provider", "provider_mismatch", "the report is filed by \"" + ctx.provider_name + "\""));
  if (r.period.end > r.period.first && r.period.end > ctx.today)
    errors.add(at_report(r, "/period/start", "period_not_closed",
                         "the period " + period_label(r.period) + " has not closed yet (it ends " + date_text(r.period.end) + ")"));
  if (r.observations.empty() && r.format == ReportFormat::json && r.period.end > r.period.first)
    errors.add(at_report(r, "/observations", "observations_invalid", "a report has at least one observation"));
  std::set<std::string> cells;
  for (std::size_t i = 0; i < r.observations.size(); ++i) {
    check_observation(r, i, ctx, errors);
    const Observation& o = r.observations[i];
    if (!o.metric.empty() && !cells.insert(cell_key(o.metric, o.dims)).second)
      errors.add(at_obs(r, i, "", "observation_duplicate", "the same metric and dimensions appear twice"));
  }
  check_additivity(r, ctx, errors);
  if (ctx.history_known) check_against_history(out, ctx);
}

void check_against_history(ReportCheck& out, const ReportContext& ctx) {
  Problems errors(out.errors);
  Problems warnings(out.warnings);
  const Report& r = out.report;
  if (r.revision != 0 && r.revision != ctx.last_revision + 1)
    errors.add(at_report(r, "/revision", "revision_not_next",
                         "the next revision of this period's report is " + std::to_string(ctx.last_revision + 1)));
  check_stock_flow(r, ctx, warnings);
}

ReportCheck check_report_json(std::string_view text, const ReportContext& ctx) {
  ReportCheck out;
  Problems problems(out.errors);
  if (text.size() > kMaxReportBytes) {
    problems.add(Problem{"", 0, "", "report_too_large", "a report is at most 4 MiB"});
    return out;
  }
  parse_json(text, out.report, ctx, problems);
  validate_report(out, ctx);
  return out;
}

ReportCheck check_report_csv(std::string_view text, std::optional<std::uint32_t> csv_revision,
                             const ReportContext& ctx) {
  ReportCheck out;
  Problems problems(out.errors);
  out.report.format = ReportFormat::csv;
  if (text.size() > kMaxReportBytes) {
    problems.add(Problem{"", 0, "", "report_too_large", "a report is at most 4 MiB"});
    return out;
  }
  parse_csv(text, csv_revision, out.report, ctx, problems);
  validate_report(out, ctx);
  return out;
}

json report_to_json(const Report& r) {
  json obs = json::array();
  for (const Observation& o : r.observations) {
    json e = {{"metric", o.metric}, {"dims", o.dims}, {"value", o.value ? json(*o.value) : json(nullptr)},
              {"obs_status", o.obs_status}};
    if (!o.comment.empty()) e["comment"] = o.comment;
    obs.push_back(std::move(e));
  }
  json j = {{"schema", kReportSchema},
            {"period",
             {{"freq", std::string(1, freq_sdmx(r.period.freq))},
              {"start", date_text(r.period.first)},
              {"end", date_text(r.period.end)},
              {"label", period_label(r.period)}}},
            {"revision", r.revision},
            {"observations", std::move(obs)}};
  if (!r.provider.empty()) j["provider"] = r.provider;
  return j;
}

Result<Report> report_from_stored_json(const json& j) {
  const auto corrupt = [] { return make_error(ErrorKind::storage, "storage_corrupt", "stats report record: report"); };
  try {
    Report r;
    const json& p = j.at("period");
    auto f = parse_freq(p.at("freq").get<std::string>());
    auto d = parse_date(p.at("start").get<std::string>());
    if (!f || !d) return corrupt();
    r.period = period_containing(*f, *d);
    r.revision = j.at("revision").get<std::uint32_t>();
    if (auto it = j.find("provider"); it != j.end()) r.provider = it->get<std::string>();
    for (const json& e : j.at("observations")) {
      Observation o;
      o.metric = e.at("metric").get<std::string>();
      o.dims = e.at("dims").get<std::map<std::string, std::string>>();
      if (!e.at("value").is_null()) o.value = e.at("value").get<std::int64_t>();
      o.obs_status = e.at("obs_status").get<std::string>();
      if (auto c = e.find("comment"); c != e.end()) o.comment = c->get<std::string>();
      r.observations.push_back(std::move(o));
    }
    return r;
  } catch (const json::exception&) {
    return corrupt();
  }
}

std::string cell_text(const Observation& o) { return cell_key(o.metric, o.dims); }

std::string report_to_csv(const Report& r) {
  std::set<std::string> dims;
  for (const Observation& o : r.observations)
    for (const auto& [d, c] : o.dims) dims.insert(d);
  std::string out = "DATAFLOW,FREQ,METRIC";
  for (const auto& d : dims) out += "," + upper(d);
  out += ",TIME_PERIOD,OBS_VALUE,OBS_STATUS,CONF_STATUS,COMMENT_OBS\r\n";
  for (const Observation& o : r.observations) {
    out += kReportDataflow;
    out += ',';
    out += freq_sdmx(r.period.freq);
    out += ',';
    append_csv_field(out, o.metric);
    for (const auto& d : dims) {
      out += ',';
      auto it = o.dims.find(d);
      if (it != o.dims.end()) append_csv_field(out, it->second);
    }
    out += ',' + period_label(r.period) + ',';
    if (o.value) out += std::to_string(*o.value);
    out += ',' + o.obs_status + ",F,";
    append_csv_field(out, o.comment);
    out += "\r\n";
  }
  return out;
}

}  // namespace trustmon::stats
