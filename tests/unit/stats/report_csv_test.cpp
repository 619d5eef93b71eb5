// The SDMX-CSV form of providers' reports: the layout of the series download plus
// COMMENT_OBS, problems located by row and column.
#include <gtest/gtest.h>

#include "tests/unit/stats/report_test_util.hpp"

namespace trustmon::stats {
namespace {

using testing::context;
using testing::dump;
using testing::has;
using testing::has_cell;

TEST(ReportCsv, WhatTheSeriesDownloadGivesIsAcceptedBack) {
  // The columns of GET /api/v1/stats/series?format=csv (CONF_STATUS ignored), CRLF.
  const std::string csv =
      "DATAFLOW,FREQ,METRIC,ISSUER,PURPOSE,TIME_PERIOD,OBS_VALUE,OBS_STATUS,CONF_STATUS\r\n"
      "TRUSTMON:CERTS_DERIVED(1.0),M,certs_issued,ca-a,esign,2026-11,7,A,F\r\n"
      "TRUSTMON:CERTS_DERIVED(1.0),M,certs_issued,ca-a,eseal,2026-11,3,A,F\r\n";
  ReportCheck c = check_report_csv(csv, 1, context());
  EXPECT_TRUE(c.ok()) << dump(c.errors);
  ASSERT_EQ(c.report.observations.size(), 2u);
  EXPECT_EQ(c.report.observations[1].dims.at("purpose"), "eseal");
  EXPECT_EQ(period_label(c.report.period), "2026-11");
  EXPECT_EQ(c.report.revision, 1u);
}

TEST(ReportCsv, QuotedFieldsCommentsAndTotalsWithBlankDimensions) {
  const std::string csv =
      "\xEF\xBB\xBF" "DATAFLOW,FREQ,INDICATOR,ISSUER,CHANNEL,TIME_PERIOD,OBS_VALUE,OBS_STATUS,COMMENT_OBS\n"
      "TRUSTMON:STATS_REPORT(1.0),Q,registrations,ca-a,,2026-Q3,5,E,\"estimated, \"\"roughly\"\"\nsecond line\"\n"
      "TRUSTMON:STATS_REPORT(1.0),Q,registrations,ca-a,video,2026-Q3,2,E,\n"
      "TRUSTMON:STATS_REPORT(1.0),Q,registrations,ca-a,in_person,2026-Q3,3,E,\n"
      "TRUSTMON:STATS_REPORT(1.0),Q,complaints,,,2026-Q3,,M,not counted yet\n";
  ReportCheck c = check_report_csv(csv, 1, context());
  EXPECT_TRUE(c.ok()) << dump(c.errors);
  ASSERT_EQ(c.report.observations.size(), 4u);
  EXPECT_EQ(c.report.observations[0].comment, "estimated, \"roughly\"\nsecond line");
  EXPECT_EQ(c.report.observations[0].dims.size(), 1u);
  EXPECT_FALSE(c.report.observations[3].value.has_value());
  EXPECT_EQ(c.report.observations[2].row, 4u);
  // Round trip through the report's own CSV.
  ReportCheck again = check_report_csv(report_to_csv(c.report), 1, context());
  EXPECT_TRUE(again.ok()) << dump(again.errors);
  EXPECT_EQ(report_to_json(again.report)["observations"], report_to_json(c.report)["observations"]);
}

TEST(ReportCsv, EveryProblemAtOnceByRowAndColumn) {
  const std::string csv =
      "DATAFLOW,FREQ,METRIC,ISSUER,PURPOSE,TIME_PERIOD,OBS_VALUE,OBS_STATUS\n"
      "TRUSTMON:STATS_REPORT(1.0),M,certs_issued,ca-a,,2026-11,-4,A\n"          // row 2
      "OTHER:FLOW(1.0),M,certs_issued,ca-b,esign,2026-11,x1,A\n"                 // row 3
      "TRUSTMON:STATS_REPORT(1.0),M,certs_issued,ca-a,wsa,2026-10,1,Z\n"        // row 4
      "TRUSTMON:STATS_REPORT(1.0),M,certs_issued,ca-a\n"                         // row 5
      "TRUSTMON:STATS_REPORT(1.0),Q,certs_issued,ca-a,eseal,2026-11,1,A\n"      // row 6
      "TRUSTMON:STATS_REPORT(1.0),M,certs_issued,ca-a,eseal,2026-11,99999999999999999999,A\n";  // row 7
  ReportCheck c = check_report_csv(csv, std::nullopt, context());
  const auto& e = c.errors;
  EXPECT_TRUE(has(e, "revision_missing", "?revision")) << dump(e);
  EXPECT_TRUE(has_cell(e, "value_negative", 2, "OBS_VALUE"));
  EXPECT_TRUE(has_cell(e, "dataflow_unknown", 3, "DATAFLOW"));
  EXPECT_TRUE(has_cell(e, "value_not_integer", 3, "OBS_VALUE"));
  EXPECT_TRUE(has_cell(e, "issuer_not_operated", 3, "ISSUER"));
  EXPECT_TRUE(has_cell(e, "code_unknown", 4, "PURPOSE"));
  EXPECT_TRUE(has_cell(e, "obs_status_invalid", 4, "OBS_STATUS"));
  EXPECT_TRUE(has_cell(e, "period_mixed", 4, "TIME_PERIOD"));
  EXPECT_TRUE(has_cell(e, "row_width", 5, ""));
  EXPECT_TRUE(has_cell(e, "period_invalid", 6, "TIME_PERIOD"));
  EXPECT_TRUE(has_cell(e, "value_too_large", 7, "OBS_VALUE"));
  for (const Problem& p : e) {
    const auto j = p.to_json();
    if (p.code != "revision_missing") {
      EXPECT_TRUE(j.contains("row")) << j.dump();
    }
  }
}

TEST(ReportCsv, HeaderProblems) {
  ReportCheck unknown = check_report_csv("DATAFLOW,FREQ,METRIC,TIME_PERIOD,OBS_VALUE,COLOUR,METRIC\n", 1, context());
  EXPECT_TRUE(has_cell(unknown.errors, "column_unknown", 1, "COLOUR")) << dump(unknown.errors);
  EXPECT_TRUE(has_cell(unknown.errors, "column_duplicate", 1, "METRIC"));
  ReportCheck missing = check_report_csv("DATAFLOW,FREQ,METRIC\nTRUSTMON:STATS_REPORT(1.0),M,x\n", 1, context());
  EXPECT_TRUE(has_cell(missing.errors, "column_missing", 1, "TIME_PERIOD"));
  EXPECT_TRUE(has_cell(missing.errors, "column_missing", 1, "OBS_VALUE"));
  EXPECT_TRUE(has_cell(check_report_csv("", 1, context()).errors, "column_missing", 1, ""));
  EXPECT_TRUE(has_cell(check_report_csv("A,\"B\n", 1, context()).errors, "csv_malformed", 1, ""));
  EXPECT_TRUE(has_cell(check_report_csv("DATAFLOW,\xff\n", 1, context()).errors, "csv_malformed", 0, ""));
  EXPECT_TRUE(has_cell(check_report_csv("DATAFLOW,FREQ,METRIC,TIME_PERIOD,OBS_VALUE\n", 1, context()).errors,
                       "observations_invalid", 1, ""));
  EXPECT_TRUE(has(check_report_csv("DATAFLOW,FREQ,METRIC,TIME_PERIOD,OBS_VALUE\n", 0, context()).errors,
                  "revision_invalid", "?revision"));
}

}  // namespace
}  // namespace trustmon::stats
