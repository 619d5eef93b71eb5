// Filing providers' reports: revisions kept, the next revision enforced inside the
// Writer job, refusals recorded as events, the stock-flow warning against the previous
// period's accepted report, the record read back.
#include <gtest/gtest.h>

#include "common/clock.hpp"
#include "common/time.hpp"
#include "responder/stats/report_store.hpp"
#include "storage/event_log.hpp"
#include "storage/scan.hpp"
#include "tests/support/temp_env.hpp"
#include "tests/unit/stats/report_test_util.hpp"

namespace trustmon::stats {
namespace {

std::string report(const std::string& start, int revision, int active) {
  return R"({"schema":"trustmon.stats.v1","period":{"freq":"M","start":")" + start + R"("},"revision":)" +
         std::to_string(revision) + R"(,"observations":[
      {"metric":"certs_active","dims":{"issuer":"ca-a"},"value":)" + std::to_string(active) + R"(},
      {"metric":"certs_issued","dims":{"issuer":"ca-a"},"value":5},
      {"metric":"certs_revoked","dims":{"issuer":"ca-a"},"value":0},
      {"metric":"certs_expired","dims":{"issuer":"ca-a"},"value":0}]})";
}

struct Fixture : ::testing::Test {
  storage::testing::TempDir dir;
  std::unique_ptr<storage::Env> env = storage::testing::open_env(dir.path());
  storage::Writer writer{*env};
  FixedClock clock{*parse_rfc3339("2026-12-06T10:00:00Z")};
  ReportService service{writer, clock, testing::kyiv(), CodeLists::builtin(), {{"ca-a", 1}, {"ca-b", 2}}};
  Actor provider_a{7, 1, 1, std::vector<std::uint32_t>{1}};
  Actor provider_b{8, 2, 2, std::vector<std::uint32_t>{2}};

  void SetUp() override { writer.start(); }
  void TearDown() override { writer.stop(); }

  std::pair<Result<FilingOutcome>, std::vector<Problem>> file(const Actor& a, std::string text,
                                                              ReportFormat f = ReportFormat::json,
                                                              std::optional<std::uint32_t> rev = std::nullopt) {
    Filing filing;
    filing.actor = a;
    filing.provider = a.participant == 7 ? "Provider A" : "Provider B";
    filing.format = f;
    filing.text = std::move(text);
    filing.csv_revision = rev;
    return service.file_sync(std::move(filing));
  }

  std::vector<storage::EventRecord> events() {
    auto txn = storage::ReadTxn::begin(*env);
    storage::ReadScope scope(*txn);
    std::vector<storage::EventRecord> out;
    EXPECT_TRUE(storage::for_each(*txn, storage::Table::events, [&](ByteView k, ByteView v) -> Status {
                  auto e = storage::decode_event(k, v);
                  if (!e) return std::move(e).error();
                  out.push_back(std::move(*e));
                  return {};
                }).ok());
    return out;
  }
};

TEST_F(Fixture, RevisionsAreKeptAndMustBeTheNextOne) {
  auto [first, p1] = file(provider_a, report("2026-11-01", 1, 100));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->id, 1u);
  EXPECT_EQ(first->revision, 1u);
  // Revision 1 again, or 3: refused with the pointer; nothing stored.
  for (int rev : {1, 3}) {
    auto [r, problems] = file(provider_a, report("2026-11-01", rev, 100));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "report_invalid");
    EXPECT_EQ(r.error().kind, ErrorKind::unprocessable);
    EXPECT_TRUE(testing::has(problems, "revision_not_next", "/revision")) << testing::dump(problems);
  }
  auto [second, p2] = file(provider_a, report("2026-11-01", 2, 101));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->id, 2u);
  // Another provider's revision 1 for the same period is its own first one.
  auto [other, p3] = file(provider_b, R"({"schema":"trustmon.stats.v1","period":{"freq":"M","start":"2026-11-01"},"revision":1,
      "observations":[{"metric":"certs_issued","dims":{"issuer":"ca-b"},"value":1}]})");
  ASSERT_TRUE(other.ok()) << (other.ok() ? "" : other.error().message + testing::dump(p3));
  auto txn = storage::ReadTxn::begin(*env);
  storage::ReadScope scope(*txn);
  auto mine = list_reports(*txn, 7u);
  ASSERT_TRUE(mine.ok()) << mine.error().message;
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].report.revision, 1u);
  EXPECT_EQ((*mine)[1].report.revision, 2u);
  EXPECT_EQ(*(*mine)[0].report.observations[0].value, 100);  // revision 1 unchanged
  EXPECT_EQ(list_reports(*txn, std::nullopt)->size(), 3u);
  auto got = get_report(*txn, 2);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->provider, "Provider A");
  EXPECT_EQ((*got)->actor, provider_a.label());
  EXPECT_FALSE((*got)->source.empty());
  const auto j = stored_report_json(**got, true);
  EXPECT_EQ(j["period"], "2026-11");
  EXPECT_EQ(j["report"]["observations"].size(), 4u);
  // Events: three filed, two refused (with the problem codes).
  int filed = 0, refused = 0;
  for (const auto& e : events()) {
    const auto payload = nlohmann::json::parse(e.payload);
    if (e.type == "stats.report.filed") {
      ++filed;
      EXPECT_EQ(payload["outcome"], "ok");
      EXPECT_TRUE(payload["target"].contains("report"));
    } else if (e.type == "stats.report.refused") {
      ++refused;
      EXPECT_EQ(payload["outcome"], "refused");
      EXPECT_EQ(payload["code"], "report_invalid");
      EXPECT_EQ(payload["details"]["codes"][0], "revision_not_next");
    }
  }
  EXPECT_EQ(filed, 3);
  EXPECT_EQ(refused, 2);
}

TEST_F(Fixture, StockFlowAgainstThePreviousPeriodIsAWarning) {
  ASSERT_TRUE(file(provider_a, report("2026-10-01", 1, 100)).first.ok());
  ASSERT_TRUE(file(provider_a, report("2026-10-01", 2, 200)).first.ok());  // the latest revision counts
  auto [ok, p1] = file(provider_a, report("2026-11-01", 1, 205));
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->warnings.empty()) << testing::dump(ok->warnings);
  auto [warned, p2] = file(provider_a, report("2026-11-01", 2, 300));
  ASSERT_TRUE(warned.ok());
  ASSERT_EQ(warned->warnings.size(), 1u);
  EXPECT_EQ(warned->warnings[0].code, "stock_flow_mismatch");
  auto txn = storage::ReadTxn::begin(*env);
  storage::ReadScope scope(*txn);
  auto got = get_report(*txn, warned->id);
  ASSERT_TRUE(got.ok() && got->has_value());
  ASSERT_EQ((*got)->warnings.size(), 1u);  // kept with the report
  EXPECT_EQ((*got)->warnings[0].pointer, "/observations/0/value");
}

TEST_F(Fixture, InvalidReportsAreRefusedWithEveryProblemAndCsvIsFiled) {
  auto [bad, problems] = file(provider_a, R"({"schema":"trustmon.stats.v1","period":{"freq":"M","start":"2026-11-01"},"revision":2,
      "observations":[{"metric":"certs_issued","dims":{"issuer":"ca-b"},"value":-1}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(testing::has(problems, "issuer_not_operated", "/observations/0/dims/issuer"));
  EXPECT_TRUE(testing::has(problems, "value_negative", "/observations/0/value"));
  EXPECT_TRUE(testing::has(problems, "revision_not_next", "/revision"));  // checked in the job too
  auto [csv, p] = file(provider_a,
                       "DATAFLOW,FREQ,METRIC,ISSUER,TIME_PERIOD,OBS_VALUE,OBS_STATUS,COMMENT_OBS\n"
                       "TRUSTMON:STATS_REPORT(1.0),M,certs_issued,ca-a,2026-11,4,A,from our CA\n",
                       ReportFormat::csv, 1);
  ASSERT_TRUE(csv.ok()) << testing::dump(p);
  auto txn = storage::ReadTxn::begin(*env);
  storage::ReadScope scope(*txn);
  auto got = get_report(*txn, csv->id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->report.format, ReportFormat::csv);
  EXPECT_EQ((*got)->report.observations[0].comment, "from our CA");
}

TEST(ReportRecord, CorruptRecordsAreStorageErrors) {
  EXPECT_FALSE(decode_report_record(ByteView()).ok());
  const std::string junk = "\x01{\"id\":1}";
  auto r = decode_report_record(ByteView(reinterpret_cast<const std::uint8_t*>(junk.data()), junk.size()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "storage_corrupt");
}

}  // namespace
}  // namespace trustmon::stats
