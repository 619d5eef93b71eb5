// A provider's statistics report: the model, its two wire forms (JSON
// `trustmon.stats.v1` and SDMX-CSV) and its validation. Pure: no store, no clock; the
// caller passes what the checks need (calendar, today, the provider's issuers, the code
// lists, the previous accepted report). docs/statistics.md "Providers' reports" is the
// specification.
//
// Policy:
//  * every problem is reported at once (parse and rule problems alike), each located by a
//    JSON pointer (JSON) or a CSV row and column, with a stable code and a message;
//  * errors refuse the report (422 report_invalid); warnings (the stock-flow identity)
//    are kept with the accepted report and returned to the filer;
//  * every input is capped: kMaxObservations, kMaxCommentBytes, kMaxReportBytes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.hpp"
#include "responder/stats/calendar.hpp"
#include "responder/stats/report_codes.hpp"

namespace trustmon::stats {

inline constexpr std::string_view kReportSchema = "trustmon.stats.v1";
inline constexpr std::string_view kReportDataflow = "TRUSTMON:STATS_REPORT(1.0)";
inline constexpr std::string_view kDerivedDataflow = "TRUSTMON:CERTS_DERIVED(1.0)";  // what /stats/series?format=csv sends
inline constexpr std::size_t kMaxObservations = 20000;
inline constexpr std::size_t kMaxCommentBytes = 1000;
inline constexpr std::size_t kMaxReportBytes = 4 << 20;
inline constexpr std::size_t kMaxProblems = 1000;  // more are summed up in one last problem

// Where a problem is: a JSON pointer ("/observations/3/value"), or a CSV row (1 = the
// header) and column name.
struct Problem {
  std::string pointer;
  std::size_t row = 0;
  std::string column;
  std::string code;
  std::string message;
  nlohmann::json to_json() const;
};

struct Observation {
  std::string metric;
  std::map<std::string, std::string> dims;  // dimension -> code (issuer: its config name)
  std::optional<std::int64_t> value;        // nullopt: obs_status "M" (missing)
  std::string obs_status = "A";
  std::string comment;
  std::size_t row = 0;                      // CSV: its row (1 = header); 0 for JSON
};

enum class ReportFormat : std::uint8_t { json = 1, csv = 2 };

struct Report {
  std::string schema = std::string(kReportSchema);
  Period period;
  std::uint32_t revision = 0;
  std::string provider;  // optional in JSON: the provider's name, checked when present
  std::vector<Observation> observations;
  ReportFormat format = ReportFormat::json;
};

// What the checks need beside the report.
struct ReportContext {
  const Calendar* calendar = nullptr;
  Day today = 0;                                       // the local date now
  const CodeLists* code_lists = nullptr;
  std::map<std::string, bool, std::less<>> issuers;    // configured issuer name -> operated by the provider
  std::string provider_name;
  // The latest accepted revision of the provider's report for the period just before
  // this one (same frequency): the stock-flow identity starts from its certs_active.
  const Report* previous_period = nullptr;
  // The latest revision already filed for this provider and period (0: none).
  std::uint32_t last_revision = 0;
  // False: the two fields above are not known yet (checked later by
  // check_against_history, inside the filing's Writer job).
  bool history_known = true;
};

struct ReportCheck {
  Report report;
  std::vector<Problem> errors;
  std::vector<Problem> warnings;
  bool ok() const { return errors.empty(); }
};

// Parses and validates. `csv_revision`: the revision of a CSV report (the CSV form has no
// column for it; the API takes it as ?revision=N).
ReportCheck check_report_json(std::string_view text, const ReportContext& ctx);
ReportCheck check_report_csv(std::string_view text, std::optional<std::uint32_t> csv_revision,
                             const ReportContext& ctx);
// The rules alone, on a parsed report (appends to `out`).
void validate_report(ReportCheck& out, const ReportContext& ctx);

// The rules that need the provider's earlier reports: the revision is the next one
// (error), the stock-flow identity (warning).
void check_against_history(ReportCheck& out, const ReportContext& ctx);

// The canonical JSON of a report (what is stored and served) and back (stored records).
nlohmann::json report_to_json(const Report& r);
Result<Report> report_from_stored_json(const nlohmann::json& j);

// A cell's stable text: "metric" then ";dim=code" per dimension in name order.
std::string cell_text(const Observation& o);

// SDMX-CSV of a report (header DATAFLOW,FREQ,METRIC,<DIMS>,TIME_PERIOD,OBS_VALUE,
// OBS_STATUS,CONF_STATUS,COMMENT_OBS).
std::string report_to_csv(const Report& r);

}  // namespace trustmon::stats
