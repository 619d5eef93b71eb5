// Providers' statistics reports through the real daemon, with clients nobody here wrote:
// reports sent with curl (JSON, SDMX-CSV, and CMS made by `openssl cms -sign`), the
// signer's certificate made by python3-cryptography; reconciliation with a provider that
// under-reports and then pushes the missing certificate (the delta goes to zero);
// a provider never sees another's reports or cells.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/providers_fixture.hpp"

namespace trustmon::itest {
namespace {

using nlohmann::json;

class StatsReportTest : public ProvidersTest {
 protected:
  static std::string report(const std::string& start, int revision, const std::string& observations) {
    return R"({"schema":"trustmon.stats.v1","period":{"freq":"M","start":")" + start + R"("},"revision":)" +
           std::to_string(revision) + R"(,"observations":[)" + observations + "]}";
  }

};

TEST_F(StatsReportTest, ReconciliationGoesToZeroOnceTheMissingCertificateIsPushed) {
  // Three certificates issued in November (Kyiv); trustmon holds two of them.
  push("demo-ec", {"7A01:2026-11-05T10:00:00Z:2027-11-05T10:00:00Z", "7A02:2026-11-10T10:00:00Z:2027-11-10T10:00:00Z"},
       token_a_);
  const std::string obs = R"({"metric":"certs_issued","dims":{"issuer":"demo-ec"},"value":3,"comment":"from our CA"},
                             {"metric":"registrations","dims":{"issuer":"demo-ec","channel":"video"},"value":3})";
  const Reply filed = post_text("/api/v1/stats/reports", token_a_, report("2026-11-01", 1, obs), "application/json");
  ASSERT_EQ(filed.status, 201) << filed.body;
  const auto id = std::to_string(filed.json_body()["id"].get<std::uint64_t>());
  EXPECT_EQ(filed.json_body()["revision"], 1);
  EXPECT_TRUE(filed.json_body()["warnings"].empty());

  const std::string rec = "/api/v1/stats/reports/" + id + "/reconciliation";
  Reply r = get(rec, token_a_);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json_body()["cells"].size(), 1u) << r.body;  // registrations: report-only
  json cell = r.json_body()["cells"][0];
  EXPECT_EQ(cell["metric"], "certs_issued");
  EXPECT_EQ(cell["reported"], 3);
  EXPECT_EQ(cell["derived"], 2);
  EXPECT_EQ(cell["delta"], 1);
  EXPECT_EQ(cell["cell"], 0);

  // The certificates behind the cell, so the provider can diff against its CA database.
  Reply list = get(rec + "/0", token_a_);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.json_body()["count"], 2);
  std::set<std::string> serials;
  const json listed = list.json_body();
  for (const auto& c : listed["certificates"]) serials.insert(c.value("serial", std::string()));
  EXPECT_EQ(serials.size(), 2u) << list.body;
  EXPECT_EQ(get(rec + "/1", token_a_).json_body()["error"]["code"], "cell_not_derived");
  EXPECT_EQ(get(rec + "/9", token_a_).status, 404);

  // The provider pushes the missing one: the delta goes to zero, and the listing marks it
  // as pushed after the period closed.
  push("demo-ec", {"7A03:2026-11-20T10:00:00Z:2027-11-20T10:00:00Z"}, token_a_);
  r = get(rec, token_a_);
  ASSERT_EQ(r.status, 200) << r.body;
  cell = r.json_body()["cells"][0];
  EXPECT_EQ(cell["derived"], 3) << r.body;
  EXPECT_EQ(cell["delta"], 0);
  list = get(rec + "/0", token_a_);
  const json relisted = list.json_body();
  ASSERT_EQ(relisted["count"], 3) << list.body;
  int late = 0;
  for (const auto& c : relisted["certificates"]) late += c.value("pushed_late", false) ? 1 : 0;
  EXPECT_EQ(late, 3) << list.body;  // all were pushed now, after November closed

  // A provider never sees another's reports or cells (403, recorded), nor lists them.
  for (const std::string& path : {"/api/v1/stats/reports/" + id, rec, rec + "/0"}) {
    const Reply other = get(path, token_b_);
    EXPECT_EQ(other.status, 403) << path;
    EXPECT_EQ(other.json_body()["error"]["code"], "stats_report_not_permitted") << other.body;
  }
  EXPECT_TRUE(get("/api/v1/stats/reports", token_b_).json_body()["reports"].empty());
  EXPECT_EQ(get("/api/v1/stats/reports", token_a_).json_body()["reports"].size(), 1u);
  EXPECT_EQ(get("/api/v1/stats/reports", daemon_.token()).json_body()["reports"].size(), 1u);
  const Reply audit = get("/api/v1/admin/audit?action=access.denied&actor=p" + std::to_string(qtsp_b_), daemon_.token());
  ASSERT_EQ(audit.status, 200) << audit.body;
  bool recorded = false;
  const json events = audit.json_body();
  for (const auto& e : events["events"])
    if (e.dump().find("stats.report.get") != std::string::npos) recorded = true;
  EXPECT_TRUE(recorded) << audit.body;
  // The central body reads it all.
  const Reply full = get("/api/v1/stats/reports/" + id, daemon_.token());
  ASSERT_EQ(full.status, 200);
  EXPECT_EQ(full.json_body()["report"]["observations"][0]["comment"], "from our CA");
}

TEST_F(StatsReportTest, ValidationRevisionsAndCsv) {
  // Every problem at once, with pointers.
  const Reply bad = post_text("/api/v1/stats/reports", token_a_,
                              report("2026-11-02", 1,
                                     R"({"metric":"certs_issued","dims":{"issuer":"demo-rsa"},"value":-1},
                                        {"metric":"nope","value":1})"),
                              "application/json");
  ASSERT_EQ(bad.status, 422) << bad.body;
  const json err = bad.json_body()["error"];
  EXPECT_EQ(err["code"], "report_invalid");
  std::set<std::string> seen;
  for (const auto& p : err["problems"]) seen.insert(p.value("pointer", std::string()) + " " + p.value("code", std::string()));
  EXPECT_TRUE(seen.count("/period/start period_not_aligned")) << bad.body;
  EXPECT_TRUE(seen.count("/observations/0/dims/issuer issuer_not_operated")) << bad.body;
  EXPECT_TRUE(seen.count("/observations/0/value value_negative")) << bad.body;
  EXPECT_TRUE(seen.count("/observations/1/metric metric_unknown")) << bad.body;
  // Revisions: 1, then 1 again refused, then 2; both kept.
  const std::string obs = R"({"metric":"timestamps_issued","value":10})";
  ASSERT_EQ(post_text("/api/v1/stats/reports", token_a_, report("2026-10-01", 1, obs), "application/json").status, 201);
  const Reply again = post_text("/api/v1/stats/reports", token_a_, report("2026-10-01", 1, obs), "application/json");
  EXPECT_EQ(again.status, 422);
  EXPECT_EQ(again.json_body()["error"]["problems"][0]["code"], "revision_not_next") << again.body;
  ASSERT_EQ(post_text("/api/v1/stats/reports", token_a_, report("2026-10-01", 2, obs), "application/json").status, 201);
  // SDMX-CSV, in the series download's layout plus COMMENT_OBS.
  const std::string csv =
      "DATAFLOW,FREQ,METRIC,ISSUER,TIME_PERIOD,OBS_VALUE,OBS_STATUS,COMMENT_OBS\r\n"
      "TRUSTMON:STATS_REPORT(1.0),M,certs_issued,demo-ec,2026-09,0,A,\"none, in September\"\r\n";
  const Reply c = post_text("/api/v1/stats/reports?revision=1", token_a_, csv, "text/csv");
  ASSERT_EQ(c.status, 201) << c.body;
  const Reply csv_bad = post_text("/api/v1/stats/reports", token_a_, csv + "X,M,certs_issued,demo-ec,2026-09,1,A,\r\n", "text/csv");
  ASSERT_EQ(csv_bad.status, 422);
  bool row_located = false;
  const json csv_problems = csv_bad.json_body()["error"]["problems"];
  for (const auto& p : csv_problems)
    if (p.value("row", 0) == 3 && p.value("column", "") == "DATAFLOW") row_located = true;
  EXPECT_TRUE(row_located) << csv_bad.body;
  const json list = get("/api/v1/stats/reports", token_a_).json_body()["reports"];
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[2]["format"], "csv");
  // The stored CSV back as CSV, parsed by python's csv module.
  const Reply back = get("/api/v1/stats/reports/" + std::to_string(list[2]["id"].get<int>()) + "?format=csv", token_a_);
  ASSERT_EQ(back.status, 200);
  const std::string file = dir_ + "/back.csv";
  ASSERT_EQ(sh("printf '%s' " + q(back.body) + " > " + q(file)).exit_code, 0);
  auto parsed = sh("python3 -c " + q("import csv,sys; rows=list(csv.DictReader(open(sys.argv[1], newline=''))); "
                                     "print(rows[0]['COMMENT_OBS'] + '|' + rows[0]['TIME_PERIOD'] + '|' + rows[0]['OBS_VALUE'])") +
                   " " + q(file));
  EXPECT_EQ(trim(parsed.out), "none, in September|2026-09|0");
  // A participant that is not a provider may not file.
  EXPECT_EQ(post_text("/api/v1/stats/reports", daemon_.token(), report("2026-10-01", 3, obs), "application/json").status, 403);
}

TEST_F(StatsReportTest, CmsSignedReportsByTheProvidersRepresentative) {
  const std::string ca = demo_pki().ca("demo-ec"), ca_key = demo_pki().dir + "/demo-ec/ca.key";
  const std::string cert = dir_ + "/signer.pem", key = dir_ + "/signer.key";
  auto made = sh("python3 " + q(std::string(TRUSTMON_SOURCE_DIR) + "/tests/integration/make_signer.py") + " " + q(ca) +
                 " " + q(ca_key) + " " + q(cert) + " " + q(key) + " 5E01 2026-01-01T00:00:00Z 2030-01-01T00:00:00Z");
  ASSERT_EQ(made.exit_code, 0) << made.out;
  const std::string content = dir_ + "/report.json";
  const auto sign = [&](const std::string& text, const std::string& out) {
    EXPECT_EQ(sh("printf '%s' " + q(text) + " > " + q(content)).exit_code, 0);
    auto r = sh("openssl cms -sign -binary -nodetach -outform DER -in " + q(content) + " -signer " + q(cert) +
                " -inkey " + q(key) + " -out " + q(out));
    EXPECT_EQ(r.exit_code, 0) << r.out;
  };
  const std::string signed1 = dir_ + "/r1.p7m";
  sign(report("2026-10-01", 1, R"({"metric":"timestamps_issued","value":5})"), signed1);

  // The signer's certificate is unknown to trustmon until pushed, then not bound to the
  // provider until the central body binds it to a representative.
  Reply r = post_file("/api/v1/stats/reports", token_a_, signed1, "application/pkcs7-mime");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.json_body()["error"]["code"], "certificate_unknown") << r.body;
  ASSERT_EQ(post_file("/api/v1/certificates", token_a_, cert, "application/x-pem-file").status, 200);
  r = post_file("/api/v1/stats/reports", token_a_, signed1, "application/pkcs7-mime");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.json_body()["error"]["code"], "signer_not_representative") << r.body;
  ASSERT_EQ(ctl("certificate bind " + std::to_string(rep_a_) + " --cert " + q(cert)).second, 0);
  // Another provider cannot file a report its signer is not a representative of.
  r = post_file("/api/v1/stats/reports", token_b_, signed1, "application/pkcs7-mime");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.json_body()["error"]["code"], "signer_not_representative") << r.body;

  r = post_file("/api/v1/stats/reports", token_a_, signed1, "application/pkcs7-mime");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto id = std::to_string(r.json_body()["id"].get<std::uint64_t>());
  const Reply got = get("/api/v1/stats/reports/" + id, token_a_);
  ASSERT_EQ(got.status, 200);
  const json sig = got.json_body()["signature"];
  EXPECT_TRUE(got.json_body()["signed"].get<bool>());
  EXPECT_EQ(sig["signer_subject"], "CN=Reporter 5E01") << got.body;
  EXPECT_TRUE(sig.contains("signing_time")) << got.body;  // openssl cms adds signingTime
  // The evidence kept is the CMS as sent: it verifies again with openssl.
  const std::string kept = dir_ + "/kept.der";
  ASSERT_EQ(sh("printf '%s' " + q(sig["cms"].get<std::string>()) + " | base64 -d > " + q(kept)).exit_code, 0);
  EXPECT_EQ(sh("openssl cms -verify -noverify -binary -inform DER -in " + q(kept) + " -out /dev/null").exit_code, 0);

  // A tampered CMS (one digit of the content changed) is refused.
  const std::string signed2 = dir_ + "/r2.p7m", tampered = dir_ + "/r2-tampered.p7m";
  sign(report("2026-10-01", 2, R"({"metric":"timestamps_issued","value":5})"), signed2);
  ASSERT_EQ(sh("python3 -c " + q("import sys; d=open(sys.argv[1],'rb').read(); "
                                 "open(sys.argv[2],'wb').write(d.replace(b'\"value\":5', b'\"value\":6'))") +
               " " + q(signed2) + " " + q(tampered)).exit_code, 0);
  r = post_file("/api/v1/stats/reports", token_a_, tampered, "application/pkcs7-mime");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.json_body()["error"]["code"], "signature_invalid") << r.body;
  r = post_text("/api/v1/stats/reports", token_a_, "not a CMS", "application/pkcs7-mime");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json_body()["error"]["code"], "cms_malformed") << r.body;

  // The signer revoked in trustmon: refused, although its chain is still fine.
  const Reply revoked = post_text("/api/v1/revocations", token_a_,
                                  json{{"issuer", "demo-ec"}, {"serial", "5E01"}, {"reason", "keyCompromise"}}.dump(),
                                  "application/json");
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  r = post_file("/api/v1/stats/reports", token_a_, signed2, "application/pkcs7-mime");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.json_body()["error"]["code"], "certificate_revoked") << r.body;
}

TEST_F(StatsReportTest, ANewIndicatorIsDataInTheConfiguredCodeLists) {
  const std::string obs = R"({"metric":"wallets_issued","dims":{"region":"lviv"},"value":3})";
  Reply r = post_text("/api/v1/stats/reports", token_a_, report("2026-10-01", 1, obs), "application/json");
  ASSERT_EQ(r.status, 422);
  EXPECT_EQ(r.json_body()["error"]["problems"][0]["code"], "metric_unknown") << r.body;
  // The same daemon with a code-list file that defines the indicator: no code change.
  const std::string lists = dir_ + "/codes.json";
  ASSERT_EQ(sh("printf '%s' " +
               q(R"({"version":"test-1","dimensions":{"region":["kyiv","lviv"]},)"
                 R"("metrics":{"wallets_issued":{"kind":"flow","dims":["region"],"additive":true}}})") +
               " > " + q(lists)).exit_code, 0);
  daemon_.stop();
  daemon_.set_config("code_lists", "\"" + lists + "\"");
  daemon_.start();
  r = post_text("/api/v1/stats/reports", token_a_, report("2026-10-01", 1, obs), "application/json");
  ASSERT_EQ(r.status, 201) << r.body;
  r = post_text("/api/v1/stats/reports", token_a_,
                report("2026-10-01", 2, R"({"metric":"wallets_issued","dims":{"region":"odesa"},"value":1})"),
                "application/json");
  ASSERT_EQ(r.status, 422);
  EXPECT_EQ(r.json_body()["error"]["problems"][0]["pointer"], "/observations/0/dims/region") << r.body;
}

}  // namespace
}  // namespace trustmon::itest
