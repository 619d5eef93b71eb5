// `trustmonctl revoke`: entry checks and normalisation, the TSV format, batching of a
// file with results renumbered over the whole file, and all-or-nothing validation.
#include <gtest/gtest.h>

#include <sstream>

#include "common/ossl.hpp"
#include "fake_api.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tools/commands.hpp"

namespace trustmon::tools {
namespace {

TEST(Revocation, NormalisesSerials) {
  auto r = make_revocation("demo-ec", "0a:1b:2C", "keyCompromise", "", "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->serial, "0A1B2C");
  r = make_revocation("demo-ec", "0xabc", "superseded", "", "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->serial, "0ABC");
  for (const std::string& bad : {std::string(), std::string("xyz"), std::string("12 34"), std::string("0x"), std::string(66, 'A')}) {
    auto b = make_revocation("demo-ec", bad, "keyCompromise", "", "");
    EXPECT_FALSE(b.ok()) << bad;
  }
}

TEST(Revocation, ChecksReasonIssuerAndTimes) {
  EXPECT_FALSE(make_revocation("demo", "01", "", "", "").ok());
  EXPECT_FALSE(make_revocation("demo", "01", "key compromise", "", "").ok());
  EXPECT_FALSE(make_revocation("", "01", "keyCompromise", "", "").ok());
  EXPECT_FALSE(make_revocation("de\tmo", "01", "keyCompromise", "", "").ok());
  EXPECT_FALSE(make_revocation("demo", "01", "keyCompromise", "yesterday", "").ok());
  EXPECT_FALSE(make_revocation("demo", "01", "keyCompromise", "", "2024-13-01T00:00:00Z").ok());
  auto r = make_revocation("demo", "01", "keyCompromise", "2024-05-01T12:00:00Z", "2024-04-30T00:00:00+02:00");
  ASSERT_TRUE(r.ok());
  auto j = r->to_json();
  EXPECT_EQ(j, (nlohmann::json{{"issuer", "demo"},
                               {"serial", "01"},
                               {"reason", "keyCompromise"},
                               {"time", "2024-05-01T12:00:00Z"},
                               {"invalidity_date", "2024-04-30T00:00:00+02:00"}}));
  // Optional fields are left out, so the server applies its defaults.
  EXPECT_EQ(make_revocation("demo", "01", "superseded", "", "")->to_json(),
            (nlohmann::json{{"issuer", "demo"}, {"serial", "01"}, {"reason", "superseded"}}));
}

TEST(RevocationLine, ParsesTheTsvForm) {
  auto skip = parse_revocation_line("# comment", 1);
  ASSERT_TRUE(skip.ok());
  EXPECT_FALSE(skip->has_value());
  skip = parse_revocation_line("   \r", 2);
  ASSERT_TRUE(skip.ok());
  EXPECT_FALSE(skip->has_value());

  auto r = parse_revocation_line("demo-rsa\t0102\tkeyCompromise\t2024-05-01T12:00:00Z\t2024-04-01T00:00:00Z\r", 7);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->issuer, "demo-rsa");
  EXPECT_EQ((*r)->serial, "0102");
  EXPECT_EQ((*r)->reason, "keyCompromise");
  EXPECT_EQ((*r)->time, "2024-05-01T12:00:00Z");
  EXPECT_EQ((*r)->invalidity_date, "2024-04-01T00:00:00Z");
  EXPECT_EQ((*r)->line, 7u);

  r = parse_revocation_line("demo-rsa\t0102\tcertificateHold", 8);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)->time.empty());
  r = parse_revocation_line("demo-rsa\t0102\tsuperseded\t\t", 9);  // empty optional fields
  ASSERT_TRUE(r.ok()) << r.error().message;

  for (const char* bad : {"demo-rsa 0102 keyCompromise", "demo-rsa\t0102", "a\t01\tkeyCompromise\tt\ti\textra",
                          "demo-rsa\tZZ\tkeyCompromise"}) {
    auto b = parse_revocation_line(bad, 3);
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_EQ(b.error().code, "usage_invalid");
  }
}

class RevokeFileTest : public ::testing::Test {
 protected:
  std::string write_tsv(const std::string& text) {
    std::string path = dir_ / "revocations.tsv";
    EXPECT_TRUE(write_file(path, text, 0644).ok());
    return path;
  }
  ScratchDir dir_;
};

TEST_F(RevokeFileTest, SendsBatchesAndRenumbersResults) {
  std::string tsv =
      "# issuer\tserial\treason\ttime\n"                          // line 1
      "demo-rsa\t01\tkeyCompromise\t2024-05-01T12:00:00Z\n"      // 2 -> index 0
      "demo-rsa\t02\tsuperseded\t2024-05-01T12:00:00Z\n"         // 3 -> 1
      "\n"                                                       // 4
      "unknown\t03\tkeyCompromise\t2024-05-01T12:00:00Z\n"       // 5 -> 2, refused
      "demo-ec\t04\tcertificateHold\n"                           // 6 -> 3
      "demo-ec\t05\taffiliationChanged\t2024-05-01T12:00:00Z\t2024-04-01T00:00:00Z\n"  // 7 -> 4
      "demo-rsa\t01\tkeyCompromise\t2024-05-01T12:00:00Z\n"      // 8 -> 5, unchanged
      "demo-ec\t07\tprivilegeWithdrawn\t2024-05-01T12:00:00Z\n"; // 9 -> 6
  FakeApi api;
  RevokeOptions o;
  o.file = write_tsv(tsv);
  o.batch = 3;
  RevokeOutcome out = run_revoke(api, o);
  ASSERT_FALSE(out.fatal) << out.fatal->message;
  EXPECT_EQ(api.batch_sizes, (std::vector<std::size_t>{3, 3, 1}));
  EXPECT_EQ(out.output["revoked"], 5);
  EXPECT_EQ(out.output["unchanged"], 1);
  EXPECT_EQ(out.output["refused"], 1);
  EXPECT_EQ(out.output["requests"], 3);
  EXPECT_EQ(out.refused, 1u);
  EXPECT_EQ(out.exit_code(), kExitRefused);

  const auto& results = out.output["results"];
  ASSERT_EQ(results.size(), 7u);
  const std::size_t lines[] = {2, 3, 5, 6, 7, 8, 9};
  for (std::size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(results[i]["index"], i);
    EXPECT_EQ(results[i]["line"], lines[i]);
  }
  EXPECT_EQ(results[2]["status"], "refused");
  EXPECT_EQ(results[2]["error"]["code"], "issuer_unknown");
  EXPECT_EQ(results[5]["status"], "unchanged");

  // What went over the wire: the batch form, optional fields only when given.
  for (const auto& r : api.requests) {
    EXPECT_EQ(r.target, "/api/v1/revocations");
    EXPECT_TRUE(nlohmann::json::parse(r.body).contains("revocations"));
  }
  ASSERT_EQ(api.revocation_items.size(), 7u);
  EXPECT_FALSE(api.revocation_items[3].contains("time"));
  EXPECT_EQ(api.revocation_items[4]["invalidity_date"], "2024-04-01T00:00:00Z");
}

TEST_F(RevokeFileTest, ABadLineSendsNothing) {
  FakeApi api;
  RevokeOptions o;
  o.file = write_tsv(
      "demo-rsa\t01\tkeyCompromise\n"
      "demo-rsa\t02\tkeyCompromise\n"
      "demo-rsa\t03\tkeyCompromise\tlast tuesday\n");
  std::ostringstream out, err;
  EXPECT_EQ(cmd_revoke(api, o, out, err), kExitFailed);
  EXPECT_TRUE(api.requests.empty());
  EXPECT_NE(err.str().find(":3:"), std::string::npos) << err.str();
  auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["error"]["code"], "usage_invalid");
}

TEST_F(RevokeFileTest, StopsAtARequestFailure) {
  FakeApi api;
  api.unauthorized_at = 2;
  RevokeOptions o;
  o.file = write_tsv("demo-rsa\t01\tkeyCompromise\ndemo-rsa\t02\tkeyCompromise\ndemo-rsa\t03\tkeyCompromise\n");
  o.batch = 1;
  RevokeOutcome out = run_revoke(api, o);
  ASSERT_TRUE(out.fatal);
  EXPECT_EQ(out.fatal->code, "unauthorized");
  EXPECT_EQ(api.requests.size(), 2u);
  EXPECT_EQ(out.output["revoked"], 1);
  EXPECT_EQ(out.output["error"]["code"], "unauthorized");
  EXPECT_EQ(out.exit_code(), kExitFailed);
}

TEST_F(RevokeFileTest, MissingFileIsAnError) {
  FakeApi api;
  RevokeOptions o;
  o.file = dir_ / "nope.tsv";
  RevokeOutcome out = run_revoke(api, o);
  ASSERT_TRUE(out.fatal);
  EXPECT_EQ(out.fatal->code, "file_unreadable");
  EXPECT_EQ(out.exit_code(), kExitFailed);
}

TEST(Revoke, SingleFormPrintsTheServerReply) {
  FakeApi api;
  RevokeOptions o;
  auto r = make_revocation("demo-ec", "7f01", "keyCompromise", "2024-05-01T12:00:00Z", "");
  ASSERT_TRUE(r.ok());
  o.single = *r;
  std::ostringstream out, err;
  EXPECT_EQ(cmd_revoke(api, o, out, err), kExitOk);
  ASSERT_EQ(api.requests.size(), 1u);
  auto sent = nlohmann::json::parse(api.requests[0].body);
  EXPECT_EQ(sent, r->to_json());  // the single-object form
  auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["revoked"], 1);
  EXPECT_EQ(j["results"][0]["serial"], "7F01");

  // Same again: unchanged, still exit 0. An unknown issuer: refused, exit 1.
  std::ostringstream out2, err2;
  EXPECT_EQ(cmd_revoke(api, o, out2, err2), kExitOk);
  EXPECT_EQ(nlohmann::json::parse(out2.str())["unchanged"], 1);
  o.single->issuer = "unknown";
  std::ostringstream out3, err3;
  EXPECT_EQ(cmd_revoke(api, o, out3, err3), kExitRefused);
}

TEST(Revoke, NeedsExactlyOneForm) {
  FakeApi api;
  RevokeOptions o;
  EXPECT_EQ(run_revoke(api, o).exit_code(), kExitFailed);
  o.single = *make_revocation("a", "01", "keyCompromise", "", "");
  o.file = "x.tsv";
  EXPECT_EQ(run_revoke(api, o).exit_code(), kExitFailed);
  EXPECT_TRUE(api.requests.empty());
}

}  // namespace
}  // namespace trustmon::tools
