// The CRL freshness monitor with a fixed clock: a published CRL past its nextUpdate raises
// crl.stale once (not again on later checks, nor after a restart), a newer CRL raises
// crl.fresh once, an issuer without a CRL is never stale, and /metrics says which is stale.
#include "responder/crl/freshness.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "storage/crls.hpp"
#include "storage/event_log.hpp"
#include "storage/scan.hpp"
#include "tests/support/temp_env.hpp"
#include "tests/support/test_issuers.hpp"

namespace trustmon::crl {
namespace {

constexpr UnixTime kT0 = 1'790'000'000;

class FreshnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = storage::testing::open_env(dir_.path());
    ASSERT_NE(env_, nullptr);
    writer_ = std::make_unique<storage::Writer>(*env_);
    writer_->start();
  }
  void TearDown() override { writer_->stop(); }

  void publish(std::uint8_t number, UnixTime next_update) {
    storage::CrlRecord r;
    r.number = Bytes{number};
    r.this_update = clock_.now();
    r.next_update = next_update;
    r.published_at = clock_.now();
    r.der = Bytes(10, number);
    r.sha256 = sha256(r.der);
    ASSERT_TRUE(writer_->run_sync([r](storage::WriteTxn& txn) { return storage::put_crl(txn, testing::kEcIssuer, r); })
                    .ok());
  }
  // The crl.stale / crl.fresh events so far, as "type payload".
  std::vector<std::string> events() {
    std::vector<std::string> out;
    auto txn = storage::ReadTxn::begin(*env_);
    storage::ReadScope scope(*txn);
    EXPECT_TRUE(storage::for_each(*txn, storage::Table::events, [&](ByteView k, ByteView v) {
      auto e = storage::decode_event(k, v);
      if (e && (e->type == "crl.stale" || e->type == "crl.fresh")) out.push_back(e->type + " " + e->payload);
    }).ok());
    return out;
  }

  storage::testing::TempDir dir_;
  std::unique_ptr<storage::Env> env_;
  std::unique_ptr<storage::Writer> writer_;
  FixedClock clock_{kT0};
};

TEST_F(FreshnessTest, StaleOnceFreshOnceAcrossRestarts) {
  auto monitor = std::make_unique<FreshnessMonitor>(*env_, *writer_, testing::shared_issuers(), clock_);
  ASSERT_TRUE(monitor->run_once().ok());  // no CRL anywhere: nothing to say
  EXPECT_TRUE(events().empty());
  EXPECT_EQ(monitor->metrics_text().find("trustmon_crl_stale{"), std::string::npos);

  publish(5, kT0 + 100);
  clock_.set(kT0 + 99);
  ASSERT_TRUE(monitor->run_once().ok());
  EXPECT_TRUE(events().empty());
  EXPECT_NE(monitor->metrics_text().find("trustmon_crl_stale{issuer=\"ec\"} 0"), std::string::npos)
      << monitor->metrics_text();

  clock_.set(kT0 + 100);  // nextUpdate reached, nothing newer
  ASSERT_TRUE(monitor->run_once().ok());
  ASSERT_TRUE(monitor->run_once().ok());
  std::vector<std::string> seen = events();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], "crl.stale {\"issuer\":\"ec\",\"number\":\"5\",\"next_update\":\"2026-09-21T14:15:00Z\"}");
  EXPECT_NE(monitor->metrics_text().find("trustmon_crl_stale{issuer=\"ec\"} 1"), std::string::npos);
  EXPECT_NE(monitor->metrics_text().find("trustmon_crl_next_update_timestamp_seconds{issuer=\"ec\"} 1790000100"),
            std::string::npos);

  // A restart does not say it again.
  monitor = std::make_unique<FreshnessMonitor>(*env_, *writer_, testing::shared_issuers(), clock_);
  ASSERT_TRUE(monitor->run_once().ok());
  EXPECT_EQ(events().size(), 1u);

  // A newer CRL: fresh, once.
  publish(6, kT0 + 1000);
  ASSERT_TRUE(monitor->run_once().ok());
  ASSERT_TRUE(monitor->run_once().ok());
  seen = events();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].rfind("crl.fresh {\"issuer\":\"ec\",\"number\":\"6\"", 0), 0u) << seen[1];
  EXPECT_NE(monitor->metrics_text().find("trustmon_crl_stale{issuer=\"ec\"} 0"), std::string::npos);
  EXPECT_NE(monitor->metrics_text().find("trustmon_crl_freshness_events_total 1"), std::string::npos);

  // A CRL without nextUpdate is never stale.
  publish(7, 0);
  clock_.set(kT0 + 5000);
  ASSERT_TRUE(monitor->run_once().ok());
  EXPECT_EQ(events().size(), 2u);
}

}  // namespace
}  // namespace trustmon::crl
