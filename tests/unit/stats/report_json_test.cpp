// The JSON form of providers' reports: every rule, every problem at once with its pointer.
#include <gtest/gtest.h>

#include "tests/unit/stats/report_test_util.hpp"

namespace trustmon::stats {
namespace {

using testing::context;
using testing::dump;
using testing::has;

constexpr const char* kGood = R"({"schema":"trustmon.stats.v1","period":{"freq":"M","start":"2026-11-01"},"revision":1,
  "observations":[
    {"metric":"certs_issued","dims":{"issuer":"ca-a"},"value":10,"obs_status":"A","comment":"ok"},
    {"metric":"certs_issued","dims":{"issuer":"ca-a","purpose":"esign"},"value":7},
    {"metric":"certs_issued","dims":{"issuer":"ca-a","purpose":"eseal"},"value":3},
    {"metric":"certs_revoked","dims":{"issuer":"ca-a","reason":"keyCompromise"},"value":1},
    {"metric":"registrations","dims":{"issuer":"ca-a","channel":"video"},"value":4},
    {"metric":"incidents","dims":{"root_cause":"human_error","impact":"minor","service":"timestamping"},"value":1},
    {"metric":"timestamps_issued","value":100000}]})";

TEST(ReportJson, AGoodReportPasses) {
  ReportCheck c = check_report_json(kGood, context());
  EXPECT_TRUE(c.ok()) << dump(c.errors);
  EXPECT_TRUE(c.warnings.empty());
  EXPECT_EQ(period_label(c.report.period), "2026-11");
  EXPECT_EQ(c.report.revision, 1u);
  ASSERT_EQ(c.report.observations.size(), 7u);
  EXPECT_EQ(c.report.observations[0].comment, "ok");
  EXPECT_EQ(*c.report.observations[6].value, 100000);
  // The canonical form reads back the same.
  auto back = report_from_stored_json(report_to_json(c.report));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(report_to_json(*back), report_to_json(c.report));
}

TEST(ReportJson, EveryProblemAtOnceWithItsPointer) {
  const std::string bad = std::string(R"({"schema":"trustmon.stats.v0","period":{"freq":"M","start":"2026-11-01"},"revision":0,"extra":1,
    "observations":[
      {"metric":"certs_issued","dims":{"issuer":"ca-a"},"value":-1},
      {"metric":"certs_issued","dims":{"issuer":"ca-b"},"value":1.5},
      {"metric":"no_such_metric","value":1},
      {"metric":"certs_issued","dims":{"issuer":"nope","purpose":"wsa"},"value":"3"},
      {"metric":"certs_issued","dims":{"issuer":"ca-a","reason":"keyCompromise"},"value":1},
      {"metric":"certs_issued","dims":{"purpose":"esign"},"value":1},
      {"metric":"registrations","dims":{"issuer":"ca-a","channel":"carrier_pigeon"},"value":1,"obs_status":"X"},
      {"metric":"complaints","value":1,"comment":")") + std::string(1200, 'x') + R"("},
      {"value":1},
      {"metric":"complaints","obs_status":"M","value":2},
      {"metric":"certs_held","dims":{"issuer":"ca-a"}},
      {"metric":"certs_issued","dims":{"issuer":"ca-a"},"value":2}]})";
  ReportCheck c = check_report_json(bad, context());
  const auto& e = c.errors;
  EXPECT_TRUE(has(e, "schema_unknown", "/schema")) << dump(e);
  EXPECT_TRUE(has(e, "revision_invalid", "/revision"));
  EXPECT_TRUE(has(e, "member_unknown", "/extra"));
  EXPECT_TRUE(has(e, "value_negative", "/observations/0/value"));
  EXPECT_TRUE(has(e, "value_not_integer", "/observations/1/value"));
  EXPECT_TRUE(has(e, "issuer_not_operated", "/observations/1/dims/issuer"));
  EXPECT_TRUE(has(e, "metric_unknown", "/observations/2/metric"));
  EXPECT_TRUE(has(e, "issuer_unknown", "/observations/3/dims/issuer"));
  EXPECT_TRUE(has(e, "code_unknown", "/observations/3/dims/purpose"));
  EXPECT_TRUE(has(e, "value_not_integer", "/observations/3/value"));
  EXPECT_TRUE(has(e, "dimension_not_allowed", "/observations/4/dims/reason"));
  EXPECT_TRUE(has(e, "dimension_missing", "/observations/5/dims/issuer"));
  EXPECT_TRUE(has(e, "code_unknown", "/observations/6/dims/channel"));
  EXPECT_TRUE(has(e, "obs_status_invalid", "/observations/6/obs_status"));
  EXPECT_TRUE(has(e, "comment_too_long", "/observations/7/comment"));
  EXPECT_TRUE(has(e, "metric_missing", "/observations/8/metric"));
  EXPECT_TRUE(has(e, "value_with_missing", "/observations/9/value"));
  EXPECT_TRUE(has(e, "value_missing", "/observations/10/value"));
  EXPECT_TRUE(has(e, "observation_duplicate", "/observations/11"));
  EXPECT_GE(e.size(), 19u);
  for (const Problem& p : e) EXPECT_FALSE(p.message.empty()) << p.code;
}

TEST(ReportJson, PeriodsAreAlignedClosedAndInTheZone) {
  auto with_period = [](const std::string& period) {
    return R"({"schema":"trustmon.stats.v1","period":)" + period +
           R"(,"revision":1,"observations":[{"metric":"certs_issued","dims":{"issuer":"ca-a"},"value":1}]})";
  };
  EXPECT_TRUE(check_report_json(with_period(R"({"freq":"Q","start":"2026-07-01","end":"2026-10-01","tz":"Europe/Kyiv"})"), context()).ok());
  EXPECT_TRUE(check_report_json(with_period(R"({"freq":"A","start":"2025-01-01"})"), context()).ok());
  EXPECT_TRUE(has(check_report_json(with_period(R"({"freq":"M","start":"2026-11-02"})"), context()).errors,
                  "period_not_aligned", "/period/start"));
  EXPECT_TRUE(has(check_report_json(with_period(R"({"freq":"Q","start":"2026-11-01"})"), context()).errors,
                  "period_not_aligned", "/period/start"));
  // December 2026 has not closed on 6 December; neither has 2026 nor Q4.
  EXPECT_TRUE(has(check_report_json(with_period(R"({"freq":"M","start":"2026-12-01"})"), context()).errors,
                  "period_not_closed", "/period/start"));
  EXPECT_TRUE(has(check_report_json(with_period(R"({"freq":"A","start":"2026-01-01"})"), context()).errors,
                  "period_not_closed", "/period/start"));
  EXPECT_TRUE(has(check_report_json(with_period(R"({"freq":"D","start":"2026-11-01"})"), context()).errors,
                  "period_freq_invalid", "/period/freq"));
  EXPECT_TRUE(has(check_report_json(with_period(R"({"freq":"M","start":"2026-11-01","end":"2026-11-30"})"), context()).errors,
                  "period_end_invalid", "/period/end"));
  EXPECT_TRUE(has(check_report_json(with_period(R"({"freq":"M","start":"2026-11-01","tz":"UTC"})"), context()).errors,
                  "period_zone_mismatch", "/period/tz"));
  EXPECT_TRUE(has(check_report_json(with_period(R"({"freq":"M","start":"1 Nov"})"), context()).errors,
                  "period_start_invalid", "/period/start"));
}

TEST(ReportJson, BreakdownsSumToTheirTotal) {
  const char* r = R"({"schema":"trustmon.stats.v1","period":{"freq":"M","start":"2026-11-01"},"revision":1,
    "observations":[
      {"metric":"certs_issued","dims":{"issuer":"ca-a"},"value":10},
      {"metric":"certs_issued","dims":{"issuer":"ca-a","purpose":"esign"},"value":7},
      {"metric":"certs_issued","dims":{"issuer":"ca-a","purpose":"eseal"},"value":2},
      {"metric":"certs_issued","dims":{"issuer":"ca-a","storage":"qscd"},"value":10},
      {"metric":"subscribers_unique","value":5},
      {"metric":"subscribers_unique","dims":{"subscriber_kind":"natural_person"},"value":5},
      {"metric":"subscribers_unique","dims":{"subscriber_kind":"legal_entity"},"value":1},
      {"metric":"incidents","value":3},
      {"metric":"incidents","dims":{"root_cause":"human_error"},"value":1},
      {"metric":"incidents","dims":{"root_cause":"system_failure"},"value":1}]})";
  ReportCheck c = check_report_json(r, context());
  EXPECT_TRUE(has(c.errors, "breakdown_sum_mismatch", "/observations/0/value")) << dump(c.errors);
  EXPECT_TRUE(has(c.errors, "breakdown_sum_mismatch", "/observations/7/value"));
  // The storage breakdown matches; subscribers_unique is not additive (code lists say so).
  EXPECT_EQ(c.errors.size(), 2u) << dump(c.errors);
}

TEST(ReportJson, RevisionsAndTheStockFlowIdentity) {
  const char* prev = R"({"schema":"trustmon.stats.v1","period":{"freq":"M","start":"2026-10-01"},"revision":1,
    "observations":[{"metric":"certs_active","dims":{"issuer":"ca-a"},"value":100}]})";
  ReportCheck p = check_report_json(prev, context());
  ASSERT_TRUE(p.ok()) << dump(p.errors);
  const char* now = R"({"schema":"trustmon.stats.v1","period":{"freq":"M","start":"2026-11-01"},"revision":2,
    "observations":[{"metric":"certs_active","dims":{"issuer":"ca-a"},"value":105},
                    {"metric":"certs_issued","dims":{"issuer":"ca-a"},"value":10},
                    {"metric":"certs_revoked","dims":{"issuer":"ca-a"},"value":2},
                    {"metric":"certs_held","dims":{"issuer":"ca-a"},"value":1},
                    {"metric":"certs_released","dims":{"issuer":"ca-a"},"value":1},
                    {"metric":"certs_expired","dims":{"issuer":"ca-a"},"value":3}]})";
  ReportContext ctx = context();
  ctx.previous_period = &p.report;
  ctx.last_revision = 1;
  ReportCheck ok = check_report_json(now, ctx);  // 100 + 10 - 2 - 1 + 1 - 3 = 105
  EXPECT_TRUE(ok.ok()) << dump(ok.errors);
  EXPECT_TRUE(ok.warnings.empty()) << dump(ok.warnings);
  ctx.last_revision = 0;  // revision 2 without a revision 1
  ReportCheck skipped = check_report_json(now, ctx);
  EXPECT_TRUE(has(skipped.errors, "revision_not_next", "/revision"));
  ctx.last_revision = 1;
  std::string off = now;
  off.replace(off.find("105"), 3, "107");
  ReportCheck warned = check_report_json(off, ctx);
  EXPECT_TRUE(warned.ok()) << dump(warned.errors);  // a warning, not an error
  EXPECT_TRUE(has(warned.warnings, "stock_flow_mismatch", "/observations/0/value")) << dump(warned.warnings);
  // Without history (checked later in the Writer job) neither rule runs.
  ctx.history_known = false;
  ctx.last_revision = 0;
  EXPECT_TRUE(check_report_json(off, ctx).warnings.empty());
  EXPECT_TRUE(check_report_json(now, ctx).ok());
}

TEST(ReportJson, MalformedAndHostileInputGetProblemsNotCrashes) {
  EXPECT_TRUE(has(check_report_json("{", context()).errors, "json_malformed", ""));
  EXPECT_TRUE(has(check_report_json("[]", context()).errors, "json_malformed", ""));
  EXPECT_TRUE(has(check_report_json(std::string(100000, '[') + std::string(100000, ']'), context()).errors,
                  "json_malformed", ""));
  ReportCheck empty = check_report_json(R"({"schema":"trustmon.stats.v1","period":{"freq":"M","start":"2026-11-01"},"revision":1,"observations":[]})", context());
  EXPECT_TRUE(has(empty.errors, "observations_invalid", "/observations"));
  ReportCheck none = check_report_json("{}", context());
  EXPECT_TRUE(has(none.errors, "schema_unknown", "/schema"));
  EXPECT_TRUE(has(none.errors, "period_invalid", "/period"));
  EXPECT_TRUE(has(none.errors, "revision_invalid", "/revision"));
  EXPECT_TRUE(has(none.errors, "observations_invalid", "/observations"));
  // A thousand bad observations: the list is capped, with a last problem saying so.
  std::string many = R"({"schema":"trustmon.stats.v1","period":{"freq":"M","start":"2026-11-01"},"revision":1,"observations":[)";
  for (int i = 0; i < 1500; ++i) many += std::string(i ? "," : "") + R"({"metric":"x","value":-1})";
  many += "]}";
  ReportCheck capped = check_report_json(many, context());
  EXPECT_EQ(capped.errors.size(), kMaxProblems + 1);
  EXPECT_EQ(capped.errors.back().code, "problems_truncated");
  ReportCheck provider = check_report_json(R"({"schema":"trustmon.stats.v1","provider":"Provider B","period":{"freq":"M","start":"2026-11-01"},"revision":1,"observations":[{"metric":"timestamps_issued","value":1}]})", context());
  EXPECT_TRUE(has(provider.errors, "provider_mismatch", "/provider"));
}

TEST(ReportCodeLists, TheShippedFileParsesAndBadFilesAreRefused) {
  auto lists = CodeLists::parse(CodeLists::builtin_text());
  ASSERT_TRUE(lists.ok()) << lists.error().message;
  EXPECT_TRUE(lists->metric("registrations"));
  EXPECT_TRUE(lists->has_code("channel", "video"));
  EXPECT_FALSE(CodeLists::parse(R"({"version":"x","dimensions":{},"metrics":{"certs_issued":{"kind":"flow","dims":[]}}})").ok());
  EXPECT_FALSE(CodeLists::parse(R"({"version":"x","dimensions":{"purpose":["a"]},"metrics":{}})").ok());
  EXPECT_FALSE(CodeLists::parse(R"({"version":"x","dimensions":{},"metrics":{"m":{"kind":"flow","dims":["nope"]}}})").ok());
  EXPECT_FALSE(CodeLists::parse(R"({"version":"x","dimensions":{"d":["a","a"]},"metrics":{}})").ok());
  // A new indicator is data: a file that adds one makes it valid in a report.
  auto custom = CodeLists::parse(R"({"version":"x","dimensions":{"region":["kyiv","lviv"]},
     "metrics":{"wallets_issued":{"kind":"flow","dims":["region"]}}})");
  ASSERT_TRUE(custom.ok()) << custom.error().message;
  ReportContext ctx = context();
  ctx.code_lists = &*custom;
  const char* r = R"({"schema":"trustmon.stats.v1","period":{"freq":"M","start":"2026-11-01"},"revision":1,
    "observations":[{"metric":"wallets_issued","dims":{"region":"lviv"},"value":3}]})";
  EXPECT_TRUE(check_report_json(r, ctx).ok()) << dump(check_report_json(r, ctx).errors);
  EXPECT_FALSE(check_report_json(r, context()).ok());
}

}  // namespace
}  // namespace trustmon::stats
