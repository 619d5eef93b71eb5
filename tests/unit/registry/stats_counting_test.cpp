// The registry keeps the derived statistics in its own Writer jobs: after a random mix of
// ingests (some of serials revoked before they were pushed), revocations, holds, releases
// and holds made permanent, the counters equal a rebuild from the event log, cell for
// cell, and the figures equal a count made by hand from the certificates.
#include <gtest/gtest.h>

#include <future>
#include <random>

#include "common/time.hpp"
#include "responder/registry/registry.hpp"
#include "responder/registry/stats_rebuild.hpp"
#include "responder/stats/drilldown.hpp"
#include "responder/stats/series.hpp"
#include "storage/records.hpp"
#include "storage/scan.hpp"
#include "tests/support/temp_env.hpp"
#include "tests/support/test_issuers.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/unit/registry/ua_certs.hpp"

namespace trustmon::registry {
namespace {

constexpr UnixTime kNow = 1790000000;  // 2026-09-21

class StatsCountingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = storage::testing::open_env(dir_.path(), std::size_t{64} << 20);
    ASSERT_NE(env_, nullptr);
    writer_ = std::make_unique<storage::Writer>(*env_);
    writer_->start();
    RegistryOptions ro;
    ro.prepare_threads = 2;
    ro.items_per_job = 7;  // several jobs per batch
    ro.stats = &counting_;
    registry_ = std::make_unique<Registry>(*writer_, testing::shared_issuers(), testing::shared_responders(),
                                           ocsp::OcspOptions{}, clock_, ro);
  }
  void TearDown() override {
    registry_.reset();
    writer_->stop();
  }
  BatchReport run(std::function<void(Registry::Callback)> start) {
    std::promise<Result<BatchReport>> p;
    auto f = p.get_future();
    start([&p](Result<BatchReport> r) { p.set_value(std::move(r)); });
    auto r = f.get();
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(*r) : BatchReport{};
  }
  void ingest(std::vector<Bytes> certs) {
    run([&](Registry::Callback cb) { registry_->ingest(std::move(certs), Actor::bootstrap(), std::move(cb)); });
  }
  void revoke(std::vector<RevocationInput> in) {
    run([&](Registry::Callback cb) { registry_->revoke(std::move(in), Actor::bootstrap(), std::move(cb)); });
  }
  std::map<Bytes, Bytes> cells() {
    std::map<Bytes, Bytes> out;
    auto txn = storage::ReadTxn::begin(*env_);
    EXPECT_TRUE(txn.ok());
    storage::ReadScope scope(*txn);
    EXPECT_TRUE(storage::for_each(*txn, storage::Table::stats_cells, [&](ByteView k, ByteView v) {
                  out.emplace(Bytes(k.begin(), k.end()), Bytes(v.begin(), v.end()));
                }).ok());
    return out;
  }
  std::int64_t total(stats::Metric m, stats::Freq f, stats::Day from, stats::Day to, std::size_t period) {
    auto txn = storage::ReadTxn::begin(*env_);
    EXPECT_TRUE(txn.ok());
    storage::ReadScope scope(*txn);
    stats::SeriesQuery q;
    q.metric = m;
    q.freq = f;
    q.from = from;
    q.to = to;
    auto r = stats::read_series(*txn, q);
    EXPECT_TRUE(r.ok());
    if (!r || r->lines.empty()) return 0;
    return r->lines[0].points.at(period).value;
  }

  storage::testing::TempDir dir_;
  std::unique_ptr<storage::Env> env_;
  std::unique_ptr<storage::Writer> writer_;
  FixedClock clock_{kNow};
  stats::Counting counting_{*stats::Calendar::load("Europe/Kyiv")};
  std::unique_ptr<Registry> registry_;
};

TEST_F(StatsCountingTest, IncrementalCountersEqualTheRebuildFromTheEventLog) {
  const auto& pki = testing::shared_test_pki();
  std::mt19937 rng(20261206);
  const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  struct Cert {
    Bytes der;
    std::string serial_hex;
    UnixTime not_before = 0;
    bool pushed = false;
  };
  std::vector<Cert> certs;
  for (int i = 0; i < 60; ++i) {
    testing::UaCertSpec s;
    s.serial = {static_cast<std::uint8_t>(0x10 + i), static_cast<std::uint8_t>(i * 7)};
    s.cn = "Holder " + std::to_string(i);
    if (i % 3 == 0) s.serial_number = "TINUA-" + std::to_string(1000000000 + i);
    if (i % 4 == 0) s.org_id = "NTRUA-" + std::to_string(10000000 + i);
    s.qc_type = i % 4;
    s.qc_sscd = i % 5 == 0;
    s.not_before = kNow - 400 * 86400 + pick(500) * 86400 + pick(86400);
    s.not_after = s.not_before + (1 + pick(3)) * 200 * 86400;
    auto key = testing::generate_key(i % 2 ? testing::KeyType::p256 : testing::KeyType::p384);
    certs.push_back({testing::make_ua_cert(s, pki.ca_ec.get(), pki.ca_ec_key.get(), key.get()),
                     hex_encode(s.serial, true), s.not_before, false});
  }
  const auto revocation = [&](const Cert& c, const char* reason) {
    RevocationInput in;
    in.issuer = "ec";
    in.serial_hex = c.serial_hex;
    in.reason = reason;
    in.time = format_rfc3339(c.not_before + pick(300) * 86400);
    return in;
  };
  // Some serials are revoked or held before their certificate is pushed.
  for (int i = 0; i < 60; i += 9) revoke({revocation(certs[static_cast<std::size_t>(i)], i % 2 ? "certificateHold" : "superseded")});
  for (int round = 0; round < 6; ++round) {
    std::vector<Bytes> batch;
    for (auto& c : certs)
      if (!c.pushed && pick(3) == 0) {
        batch.push_back(c.der);
        c.pushed = true;
      }
    if (!batch.empty()) ingest(std::move(batch));
    std::vector<RevocationInput> changes;
    for (int k = 0; k < 6; ++k) {
      const Cert& c = certs[static_cast<std::size_t>(pick(60))];
      switch (pick(4)) {
        case 0: changes.push_back(revocation(c, "keyCompromise")); break;
        case 1: changes.push_back(revocation(c, "certificateHold")); break;
        case 2: {
          RevocationInput in = revocation(c, "unspecified");
          in.release = true;
          changes.push_back(in);
          break;
        }
        default: changes.push_back(revocation(c, "cessationOfOperation")); break;
      }
    }
    revoke(std::move(changes));
    clock_.advance(86400 + pick(86400));
  }
  std::vector<Bytes> rest;
  for (auto& c : certs)
    if (!c.pushed) rest.push_back(c.der);
  ingest(std::move(rest));

  const auto live = cells();
  ASSERT_FALSE(live.empty());
  auto report = rebuild_stats(*env_, *writer_, testing::shared_issuers(), counting_);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->differing, 0u);
  EXPECT_EQ(report->skipped, 0u);
  EXPECT_EQ(report->cells, live.size());
  EXPECT_EQ(cells(), live);

  // Issued per year, counted by hand on notBefore's local day.
  const stats::Calendar& cal = counting_.calendar();
  const stats::Day from = *stats::parse_date("2025-01-01"), to = *stats::parse_date("2026-12-31");
  std::int64_t in2025 = 0, in2026 = 0;
  for (const auto& c : certs) {
    const std::string year = stats::date_text(cal.day_of(c.not_before)).substr(0, 4);
    in2025 += year == "2025";
    in2026 += year == "2026";
  }
  EXPECT_EQ(total(stats::Metric::certs_issued, stats::Freq::year, from, to, 0), in2025);
  EXPECT_EQ(total(stats::Metric::certs_issued, stats::Freq::year, from, to, 1), in2026);

  // The certificates behind a cell are as many as the cell counts (issued and revoked do
  // not depend on a hold's history, which a record does not keep).
  for (stats::Metric m : {stats::Metric::certs_issued, stats::Metric::certs_revoked}) {
    for (std::size_t year = 0; year < 2; ++year) {
      auto txn = storage::ReadTxn::begin(*env_);
      ASSERT_TRUE(txn.ok());
      storage::ReadScope scope(*txn);
      stats::CellQuery q;
      q.metric = m;
      q.period = stats::period_containing(stats::Freq::year, year == 0 ? from : to);
      q.issuer = testing::kEcIssuer;
      auto listed = stats::certificates_in_cell(*txn, cal, q);
      ASSERT_TRUE(listed.ok());
      EXPECT_EQ(static_cast<std::int64_t>(listed->count), total(m, stats::Freq::year, from, to, year))
          << stats::metric_name(m) << " " << year;
      EXPECT_EQ(listed->certificates.size(), listed->count);
    }
  }

  // A damaged counter is found and mended by the rebuild.
  ASSERT_TRUE(writer_->run_sync([&](storage::WriteTxn& txn) -> Status {
    std::uint8_t v[8];
    put_be64(v, 999);
    return txn.put(storage::Table::stats_cells, live.begin()->first, ByteView(v, 8));
  }).ok());
  auto again = rebuild_stats(*env_, *writer_, testing::shared_issuers(), counting_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->differing, 1u);
  EXPECT_EQ(cells(), live);
}

TEST_F(StatsCountingTest, StoredRecordsCarryTheProfileAndIngestTime) {
  const auto& pki = testing::shared_test_pki();
  testing::UaCertSpec s;
  s.serial = {0x42};
  s.serial_number = "TINUA-1234567890";
  s.qc_type = 2;
  s.qc_sscd = true;
  auto key = testing::generate_key(testing::KeyType::p256);
  ingest({testing::make_ua_cert(s, pki.ca_ec.get(), pki.ca_ec_key.get(), key.get())});
  auto txn = storage::ReadTxn::begin(*env_);
  ASSERT_TRUE(txn.ok());
  storage::ReadScope scope(*txn);
  auto raw = txn->get(storage::Table::certs, storage::encode_cert_key(testing::kEcIssuer, s.serial));
  ASSERT_TRUE(raw.ok() && raw->has_value());
  auto record = storage::decode_cert(**raw);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->ingested_at, kNow);
  ASSERT_TRUE(record->stats_profile.has_value());
  const stats::Profile p = stats::Profile::unpack(*record->stats_profile);
  EXPECT_EQ(p.key_alg, stats::KeyAlg::ecdsa_p256);
  EXPECT_EQ(p.purpose, stats::Purpose::eseal);
  EXPECT_EQ(p.storage, stats::Storage::qscd);
  EXPECT_EQ(p.subject_kind, stats::SubjectKind::natural_person);
}

}  // namespace
}  // namespace trustmon::registry
