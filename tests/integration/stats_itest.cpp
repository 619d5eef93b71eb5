// The derived statistics through the real daemon: certificates made by
// python3-cryptography with chosen validity, pushed with curl, read back as JSON and as
// SDMX-CSV (parsed by python's csv module); the Kyiv day boundary; a provider sees only
// its own issuers; the public aggregate suppresses small cells; the counters survive
// kill -9 and equal a rebuild from the event log; an issuance burst raises stats.anomaly.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/integration/providers_fixture.hpp"

namespace trustmon::itest {
namespace {

using nlohmann::json;

class StatsTest : public ProvidersTest {
 protected:
  void configure() override {
    daemon_.set_config("anomaly_minimum", "3");
    daemon_.set_config("anomaly_factor", "2");
  }
  void SetUp() override {
    ProvidersTest::SetUp();
    const auto tools = id_of(ctl("participant add --kind tool_developer --name 'Tools' --code 33333333"));
    token_tools_ = token_for(tools, "viewer");
  }
  Reply post(const std::string& path, const std::string& token, const std::string& file, const std::string& type) {
    return post_file(path, token, file, type);
  }
  // {period label -> value} of the single line of a series.
  static std::map<std::string, json> points(const json& series, std::size_t line = 0) {
    std::map<std::string, json> out;
    if (!series.contains("series") || series["series"].size() <= line) return out;
    for (const auto& p : series["series"][line]["points"]) out[p["period"]] = p["value"];
    return out;
  }
  // The same for the line whose `dim` is `code`.
  static std::map<std::string, json> points_of(const json& series, const std::string& dim, const std::string& code) {
    const auto lines = series.find("series");
    if (lines == series.end() || !lines->is_array()) return {};
    for (std::size_t i = 0; i < lines->size(); ++i) {
      const json& dims = lines->at(i).at("dims");
      const auto it = dims.find(dim);
      if (it != dims.end() && *it == code) return points(series, i);
    }
    return {};
  }

  std::string token_tools_;
};

TEST_F(StatsTest, SeriesByKyivDaysScopedToTheProvider) {
  // 23:30 UTC on 31 October is 1 November in Kyiv.
  push("demo-ec",
       {"7E01:2026-10-31T23:30:00Z:2027-10-31T23:30:00Z", "7E02:2026-10-15T10:00:00Z:2026-11-20T10:00:00Z",
        "7E03:2026-10-31T21:59:59Z:2027-01-01T00:00:00Z"},
       token_a_);
  push("demo-rsa", {"7E11:2026-11-03T10:00:00Z:2027-11-03T10:00:00Z"}, token_b_);
  const std::string q = "/api/v1/stats/series?metric=certs_issued&freq=month&from=2026-10-01&to=2026-11-30&by=issuer";
  const Reply a = get(q, token_a_);
  ASSERT_EQ(a.status, 200) << a.body;
  const json ja = a.json_body();
  ASSERT_EQ(ja["series"].size(), 1u) << a.body;  // only its own issuer
  EXPECT_EQ(ja["series"][0]["dims"]["issuer"], "demo-ec");
  EXPECT_EQ(points(ja)["2026-10"], 2) << a.body;  // 7E02, and 7E03 (23:59:59 Kyiv)
  EXPECT_EQ(points(ja)["2026-11"], 1) << a.body;  // 7E01
  EXPECT_EQ(ja["meta"]["time_zone"], "Europe/Kyiv");
  EXPECT_EQ(ja["meta"]["kind"], "flow");
  // The central body (bootstrap admin) sees both issuers.
  EXPECT_EQ(get(q, daemon_.token()).json_body()["series"].size(), 2u);
  // The active stock at the end of November: 7E01 and 7E03 (7E02 expired on the 20th), and 7E11.
  const Reply stock = get("/api/v1/stats/series?metric=certs_active&freq=month&from=2026-11-01&to=2026-11-30",
                          daemon_.token());
  EXPECT_EQ(points(stock.json_body())["2026-11"], 3) << stock.body;
  // Another provider's issuer, and a participant that is not a provider, are refused.
  const Reply other = get(q + "&issuer=demo-rsa", token_a_);
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(other.json_body()["error"]["code"], "issuer_not_operated");
  const Reply tools = get(q, token_tools_);
  EXPECT_EQ(tools.status, 403);
  EXPECT_EQ(tools.json_body()["error"]["code"], "stats_not_permitted");
  EXPECT_EQ(get("/api/v1/stats/series?metric=certs_made", token_a_).json_body()["error"]["code"], "metric_invalid");
  EXPECT_EQ(get("/api/v1/stats/series?metric=certs_issued&by=colour", token_a_).json_body()["error"]["code"],
            "dimension_invalid");
  EXPECT_EQ(get(q, "").status, 401);

  // Ingest lag: the three certificates of demo-ec issued in October and November were pushed
  // now, weeks later; a provider sees only its own issuer.
  const Reply lag = get("/api/v1/stats/ingest_lag?from=2026-10-01&to=2026-11-30", token_a_);
  ASSERT_EQ(lag.status, 200) << lag.body;
  const json jl = lag.json_body();
  ASSERT_EQ(jl["issuers"].size(), 1u) << lag.body;
  EXPECT_EQ(jl["issuers"][0]["issuer"], "demo-ec");
  EXPECT_EQ(jl["issuers"][0]["certificates"], 3) << lag.body;
  EXPECT_GT(jl["issuers"][0]["p50_s"].get<std::int64_t>(), 86400) << lag.body;

  // The yearly bundle: every metric per provider; a provider sees its own row only.
  const Reply annual = get("/api/v1/stats/annual/2026", daemon_.token());
  ASSERT_EQ(annual.status, 200) << annual.body;
  const json ja26 = annual.json_body();
  std::map<std::string, json> by_name;
  for (const auto& p : ja26["providers"]) by_name[p.value("name", std::string("-"))] = p;
  EXPECT_EQ(by_name["QTSP A"]["metrics"]["certs_issued"]["derived"], 3) << annual.body;
  EXPECT_EQ(by_name["QTSP B"]["metrics"]["certs_issued"]["derived"], 1) << annual.body;
  // At the end of 31 December: 7E01, and 7E03 (notAfter 02:00 on 1 January in Kyiv).
  EXPECT_EQ(by_name["QTSP A"]["metrics"]["certs_active"]["derived"], 2) << annual.body;
  const Reply own = get("/api/v1/stats/annual/2026", token_a_);
  ASSERT_EQ(own.json_body()["providers"].size(), 1u) << own.body;
  EXPECT_EQ(own.json_body()["providers"][0]["name"], "QTSP A");
  EXPECT_EQ(get("/api/v1/stats/annual/20x6", token_a_).json_body()["error"]["code"], "year_invalid");

  // SDMX-CSV, read by python's csv module.
  const Reply csv = get(q + "&format=csv", daemon_.token());
  ASSERT_EQ(csv.status, 200);
  std::ofstream(dir_ + "/series.csv") << csv.body;
  auto parsed = sh("python3 -c " + trustmon::itest::q(R"PY(
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
print(json.dumps(rows))
)PY") + " " + trustmon::itest::q(dir_ + "/series.csv"));
  const json rows = json::parse(parsed.out, nullptr, false);
  ASSERT_TRUE(rows.is_array()) << parsed.out;
  std::map<std::string, std::string> by_key;
  for (const auto& r : rows) {
    EXPECT_EQ(r["FREQ"], "M");
    EXPECT_EQ(r["METRIC"], "certs_issued");
    by_key[r["ISSUER"].get<std::string>() + "/" + r["TIME_PERIOD"].get<std::string>()] = r["OBS_VALUE"];
  }
  EXPECT_EQ(by_key["demo-ec/2026-10"], "2");
  EXPECT_EQ(by_key["demo-ec/2026-11"], "1");
  EXPECT_EQ(by_key["demo-rsa/2026-11"], "1");
  EXPECT_EQ(by_key["demo-rsa/2026-10"], "0");
}

// The yearly bundle puts the provider's own report beside the derived figure.
TEST_F(StatsTest, AnnualBundleShowsReportedBesideDerived) {
  push("demo-ec", {"7E61:2025-03-01T10:00:00Z:2026-03-01T10:00:00Z", "7E62:2025-03-02T10:00:00Z:2026-03-02T10:00:00Z"},
       token_a_);
  std::ofstream(dir_ + "/report.json") << R"({"schema":"trustmon.stats.v1","period":{"freq":"A","start":"2025-01-01"},)"
                                          R"("revision":1,"observations":[{"metric":"certs_issued",)"
                                          R"("dims":{"issuer":"demo-ec"},"value":3}]})";
  const Reply filed = post("/api/v1/stats/reports", token_a_, dir_ + "/report.json", "application/json");
  ASSERT_EQ(filed.status, 201) << filed.body;
  const Reply annual = get("/api/v1/stats/annual/2025", token_a_);
  ASSERT_EQ(annual.status, 200) << annual.body;
  const json p = annual.json_body()["providers"][0];
  EXPECT_EQ(p["metrics"]["certs_issued"]["derived"], 2) << annual.body;
  EXPECT_EQ(p["metrics"]["certs_issued"]["reported"], 3) << annual.body;
  EXPECT_EQ(p["metrics"]["certs_issued"]["delta"], 1) << annual.body;
  EXPECT_TRUE(p["metrics"]["certs_revoked"]["reported"].is_null()) << annual.body;  // not in the report
  EXPECT_EQ(p["reports"].size(), 1u) << annual.body;
  const Reply csv = get("/api/v1/stats/annual/2025?format=csv", daemon_.token());
  EXPECT_NE(csv.body.find("certs_issued,2025,2,A,3,1"), std::string::npos) << csv.body;
}

TEST_F(StatsTest, PublicAggregateSuppressesSmallCells) {
  std::vector<std::string> many;
  for (int i = 0; i < 6; ++i) many.push_back("7E2" + std::to_string(i) + ":2026-09-1" + std::to_string(i) +
                                             "T10:00:00Z:2027-09-01T10:00:00Z");
  push("demo-ec", many, token_a_);
  push("demo-rsa", {"7E31:2026-09-12T10:00:00Z:2027-09-01T10:00:00Z"}, token_b_);
  const Reply pub = get("/stats/series?metric=certs_issued&freq=month&from=2026-09-01&to=2026-09-30&by=issuer", "");
  ASSERT_EQ(pub.status, 200) << pub.body;
  const json j = pub.json_body();
  ASSERT_EQ(j["series"].size(), 2u) << pub.body;
  EXPECT_EQ(points_of(j, "issuer", "demo-ec")["2026-09"], 6);           // shown
  EXPECT_TRUE(points_of(j, "issuer", "demo-rsa")["2026-09"].is_null());  // 1 < 5, withheld
  EXPECT_EQ(j["meta"]["suppressed_below"], 5);
  const Reply csv = get("/stats/series?metric=certs_issued&freq=month&from=2026-09-01&to=2026-09-30&by=issuer&format=csv", "");
  EXPECT_NE(csv.body.find("demo-rsa,2026-09,,A,C"), std::string::npos) << csv.body;
}

TEST_F(StatsTest, CountersSurviveKillAndEqualTheRebuild) {
  push("demo-ec", {"7E41:2026-08-01T10:00:00Z:2027-08-01T10:00:00Z", "7E42:2026-08-02T10:00:00Z:2027-08-02T10:00:00Z"},
       token_a_);
  std::ofstream(dir_ + "/revoke.json") << R"({"issuer":"demo-ec","serial":"7E41","reason":"keyCompromise","time":"2026-08-20T10:00:00Z"})";
  const Reply revoked = post("/api/v1/revocations", token_a_, dir_ + "/revoke.json", "application/json");
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  daemon_.kill9();
  daemon_.start();
  const Reply r = get("/api/v1/stats/series?metric=certs_revoked&freq=month&from=2026-08-01&to=2026-08-31&by=reason",
                      daemon_.token());
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = r.json_body();
  ASSERT_EQ(j["series"].size(), 1u) << r.body;
  EXPECT_EQ(j["series"][0]["dims"]["reason"], "keyCompromise");
  EXPECT_EQ(points(j)["2026-08"], 1);
  const auto rebuild = sh(daemon_.ctl() + " stats rebuild");
  ASSERT_EQ(rebuild.exit_code, 0) << rebuild.out;
  const json report = json::parse(rebuild.out, nullptr, false);
  EXPECT_EQ(report["differing"], 0) << rebuild.out;
  EXPECT_GE(report["events"], 3) << rebuild.out;
}

TEST_F(StatsTest, IssuanceBurstRaisesAnAnomalyEvent) {
  // Today's issuance of three or more with no history: above twice the median of zero.
  const auto now = std::time(nullptr);
  char nb[32], na[32];
  std::strftime(nb, sizeof nb, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  const std::time_t later = now + 200 * 86400;
  std::strftime(na, sizeof na, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&later));
  std::vector<std::string> burst;
  for (int i = 0; i < 4; ++i) burst.push_back("7E5" + std::to_string(i) + ":" + nb + ":" + na);
  push("demo-ec", burst, token_a_);
  const Reply audit = get("/api/v1/admin/audit?action=stats.anomaly", daemon_.token());
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_NE(audit.body.find("\"stats.anomaly\""), std::string::npos) << audit.body;
  EXPECT_NE(audit.body.find("\"issued\":"), std::string::npos) << audit.body;
}

}  // namespace
}  // namespace trustmon::itest
