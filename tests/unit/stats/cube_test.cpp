// The cube's rules and its reader: flows on their local days, the active stock as the
// sum of daily changes, late pushes moving a bare revocation to the certificate's own
// profile, and series by day, month and dimension over a real store.
#include <gtest/gtest.h>

#include "common/time.hpp"
#include "responder/stats/cube.hpp"
#include "responder/stats/series.hpp"
#include "tests/support/temp_env.hpp"

namespace trustmon::stats {
namespace {

UnixTime at(const char* rfc3339) { return *parse_rfc3339(rfc3339); }
Day day(const char* text) { return *parse_date(text); }

class CubeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = storage::testing::open_env(dir_.path());
    ASSERT_NE(env_, nullptr);
  }
  void apply(const Deltas& d) {
    auto txn = storage::WriteTxn::begin(*env_);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(d.apply(*txn).ok());
    ASSERT_TRUE(txn->commit().ok());
  }
  SeriesResult series(SeriesQuery q) {
    auto txn = storage::ReadTxn::begin(*env_);
    EXPECT_TRUE(txn.ok());
    storage::ReadScope scope(*txn);
    auto r = read_series(*txn, q);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : SeriesResult{};
  }
  // The single line's values (no breakdown).
  std::vector<std::int64_t> values(Metric m, Freq f, const char* from, const char* to) {
    SeriesQuery q;
    q.metric = m;
    q.freq = f;
    q.from = day(from);
    q.to = day(to);
    const SeriesResult r = series(q);
    std::vector<std::int64_t> out;
    if (r.lines.empty()) return out;
    EXPECT_EQ(r.lines.size(), 1u);
    for (const auto& p : r.lines[0].points) out.push_back(p.value);
    return out;
  }

  CertFacts cert(const char* nb, const char* na, KeyAlg alg = KeyAlg::ecdsa_p256) {
    CertFacts f;
    f.issuer = 1;
    f.known = true;
    f.not_before = at(nb);
    f.not_after = at(na);
    f.profile.key_alg = alg;
    return f;
  }

  storage::testing::TempDir dir_;
  std::unique_ptr<storage::Env> env_;
  Calendar cal_ = *Calendar::load("Europe/Kyiv");
  Transition rules_{cal_};
};

TEST_F(CubeTest, IssuedActiveAndExpiredFollowTheValidityInLocalDays) {
  Deltas d;
  // notBefore 23:30 UTC on 31 October = 1 November in Kyiv; notAfter 3 November 12:00.
  rules_.issued(d, cert("2026-10-31T23:30:00Z", "2026-11-03T12:00:00Z"), std::nullopt);
  apply(d);
  EXPECT_EQ(values(Metric::certs_issued, Freq::day, "2026-10-31", "2026-11-01"),
            (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(values(Metric::certs_active, Freq::day, "2026-10-31", "2026-11-04"),
            (std::vector<std::int64_t>{0, 1, 1, 0, 0}));
  EXPECT_EQ(values(Metric::certs_expired, Freq::day, "2026-11-02", "2026-11-03"), (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(values(Metric::certs_issued, Freq::month, "2026-10-01", "2026-11-30"), (std::vector<std::int64_t>{0, 1}));
  // The stock at a month's end: none at the end of October or November (it expired on the
  // 3rd), so the monthly series has no line at all.
  EXPECT_TRUE(values(Metric::certs_active, Freq::month, "2026-10-01", "2026-11-30").empty());
}

TEST_F(CubeTest, RevocationHoldAndReleaseMoveTheStock) {
  const CertFacts c = cert("2026-01-10T10:00:00Z", "2027-01-10T10:00:00Z");
  Deltas d;
  rules_.issued(d, c, std::nullopt);
  CertFacts held = c;
  held.status = storage::CertStatus::revoked;
  held.reason = storage::kReasonCertificateHold;
  held.revocation_time = at("2026-03-05T10:00:00Z");
  rules_.revoked(d, c, held);
  rules_.released(d, held, at("2026-04-20T10:00:00Z"));
  CertFacts revoked = c;
  revoked.status = storage::CertStatus::revoked;
  revoked.reason = 1;  // keyCompromise
  revoked.revocation_time = at("2026-06-02T10:00:00Z");
  rules_.revoked(d, c, revoked);
  apply(d);
  EXPECT_EQ(values(Metric::certs_active, Freq::month, "2026-01-01", "2026-12-31"),
            (std::vector<std::int64_t>{1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(values(Metric::certs_held, Freq::month, "2026-03-01", "2026-03-31"), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(values(Metric::certs_released, Freq::month, "2026-04-01", "2026-04-30"), (std::vector<std::int64_t>{1}));
  // Revoked before its notAfter: it never expires.
  EXPECT_TRUE(values(Metric::certs_expired, Freq::year, "2027-01-01", "2027-12-31").empty());
  SeriesQuery q;
  q.metric = Metric::certs_revoked;
  q.freq = Freq::year;
  q.by = {Dim::reason, Dim::key_alg};
  q.from = day("2026-01-01");
  q.to = day("2026-12-31");
  const SeriesResult r = series(q);
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(code_name(Dim::reason, static_cast<std::uint8_t>(r.lines[0].codes[0])), "keyCompromise");
  EXPECT_EQ(code_name(Dim::key_alg, static_cast<std::uint8_t>(r.lines[0].codes[1])), "ecdsa_p256");
  EXPECT_EQ(r.lines[0].points[0].value, 1);
}

TEST_F(CubeTest, ALateCertificateTakesOverItsBareRevocation) {
  // A revocation of a serial never pushed counts with the unknown profile ...
  CertFacts bare;
  bare.issuer = 1;
  bare.status = storage::CertStatus::revoked;
  bare.reason = 4;
  bare.revocation_time = at("2026-05-05T10:00:00Z");
  Deltas d;
  rules_.revoked(d, std::nullopt, bare);
  apply(d);
  SeriesQuery q;
  q.metric = Metric::certs_revoked;
  q.freq = Freq::month;
  q.by = {Dim::key_alg};
  q.from = q.to = day("2026-05-01");
  ASSERT_EQ(series(q).lines.size(), 1u);
  EXPECT_EQ(series(q).lines[0].codes[0], static_cast<std::uint32_t>(KeyAlg::unknown));
  // ... until the certificate arrives: then it is the certificate's, and the stock ends there.
  Deltas late;
  CertFacts c = cert("2026-02-01T10:00:00Z", "2027-02-01T10:00:00Z", KeyAlg::rsa_2048);
  c.status = bare.status;
  c.reason = bare.reason;
  c.revocation_time = bare.revocation_time;
  rules_.issued(late, c, bare);
  apply(late);
  const SeriesResult r = series(q);
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0].codes[0], static_cast<std::uint32_t>(KeyAlg::rsa_2048));
  EXPECT_EQ(values(Metric::certs_active, Freq::month, "2026-01-01", "2026-06-30"),
            (std::vector<std::int64_t>{0, 1, 1, 1, 0, 0}));
}

TEST_F(CubeTest, FiltersAndIssuerScope) {
  Deltas d;
  CertFacts a = cert("2026-02-01T10:00:00Z", "2027-02-01T10:00:00Z");
  CertFacts b = a;
  b.issuer = 2;
  rules_.issued(d, a, std::nullopt);
  rules_.issued(d, b, std::nullopt);
  rules_.issued(d, b, std::nullopt);
  apply(d);
  SeriesQuery q;
  q.metric = Metric::certs_issued;
  q.freq = Freq::month;
  q.by = {Dim::issuer};
  q.from = q.to = day("2026-02-01");
  SeriesResult all = series(q);
  ASSERT_EQ(all.lines.size(), 2u);
  EXPECT_EQ(all.lines[0].points[0].value, 1);
  EXPECT_EQ(all.lines[1].points[0].value, 2);
  q.issuers = std::set<storage::IssuerId>{2};
  SeriesResult mine = series(q);
  ASSERT_EQ(mine.lines.size(), 1u);
  EXPECT_EQ(mine.lines[0].codes[0], 2u);
  q.issuers.reset();
  q.only[Dim::key_alg] = {static_cast<std::uint32_t>(KeyAlg::rsa_2048)};
  EXPECT_TRUE(series(q).lines.empty());
  // A bound on the cells a query reads (the public endpoint's).
  q.only.clear();
  q.max_cells = 1;
  auto txn = storage::ReadTxn::begin(*env_);
  ASSERT_TRUE(txn.ok());
  storage::ReadScope scope(*txn);
  auto bounded = read_series(*txn, q);
  ASSERT_FALSE(bounded.ok());
  EXPECT_EQ(bounded.error().code, "query_too_large");
  q.max_cells = 100;
  EXPECT_TRUE(read_series(*txn, q).ok());
}

TEST_F(CubeTest, CellKeysRoundTripAndSortByMetricThenDay) {
  Cell c;
  c.metric = Metric::certs_revoked;
  c.day = day("2026-11-05");
  c.issuer = 7;
  c.profile = Profile{KeyAlg::dstu4145_257, Purpose::eseal, Storage::qscd, SubjectKind::legal_entity};
  c.validity = Validity::le_2y;
  c.reason = 1;
  const auto back = decode_cell_key(encode_cell_key(c));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, c);
  Cell later = c;
  later.day += 1;
  later.issuer = 1;
  EXPECT_LT(encode_cell_key(c), encode_cell_key(later));
  EXPECT_EQ(Profile::unpack(c.profile.packed()), c.profile);
}

}  // namespace
}  // namespace trustmon::stats
