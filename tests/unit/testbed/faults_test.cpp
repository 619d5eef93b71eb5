// The fault board: only test issuers, a serial's own fault first, counts and times run out,
// parameters checked, a bounded number at once.
#include "responder/testbed/faults.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/test_issuers.hpp"

namespace trustmon::testbed {
namespace {

constexpr UnixTime kNow = 1796000000;

// The shared test issuers, the second one marked test.
struct Board {
  pki::IssuerSet issuers;
  std::unique_ptr<FaultBoard> board;
  storage::IssuerId production = 0, test = 0;
  explicit Board(bool all_test = false) {
    const auto all = testing::shared_issuers().all();
    production = all.at(0)->id;
    test = all.at(1)->id;
    for (const pki::Issuer* i : all) {
      X509_up_ref(i->ca.get());
      auto added = issuers.add(i->id, i->name, X509Ptr(i->ca.get()), i->id == test || all_test);
      EXPECT_TRUE(added.ok());
    }
    board = std::make_unique<FaultBoard>(issuers, testing::shared_responders());
  }
  FaultSpec spec(const std::string& fault, std::uint32_t count = 1) const {
    FaultSpec s;
    s.issuer = test;
    s.fault = fault;
    s.count = count;
    s.expires = kNow + 60;
    return s;
  }
};

TEST(FaultBoard, OnlyTestIssuersAndKnownFaults) {
  Board b;
  FaultSpec prod = b.spec("try_later");
  prod.issuer = b.production;
  auto refused = b.board->add(prod, kNow);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "issuer_not_test");
  EXPECT_FALSE(b.board->covers(b.production));
  EXPECT_TRUE(b.board->covers(b.test));
  EXPECT_EQ(b.board->add(b.spec("explode"), kNow).error().code, "fault_unknown");
  EXPECT_EQ(b.board->add(b.spec("delay"), kNow).error().code, "fault_param_invalid");  // no ms
  FaultSpec long_one = b.spec("try_later");
  long_one.expires = kNow + 2 * kMaxFaultSeconds;
  EXPECT_EQ(b.board->add(long_one, kNow).error().code, "fault_param_invalid");
  FaultSpec crl_serial = b.spec("bad_signature");
  crl_serial.target = FaultTarget::crl;
  crl_serial.serial = Bytes{1};
  EXPECT_EQ(b.board->add(crl_serial, kNow).error().code, "fault_param_invalid");
  // The production issuer is never drawn for, whatever is on the board.
  EXPECT_EQ(b.board->draw(b.production, Bytes{1}, kNow).fault, ocsp::OcspFault::none);
}

TEST(FaultBoard, CountsAndTimesRunOutAndASerialsOwnFaultWins) {
  Board b;
  ASSERT_TRUE(b.board->add(b.spec("try_later", 2), kNow).ok());
  FaultSpec mine = b.spec("truncated", 1);
  mine.serial = Bytes{0x0a};
  ASSERT_TRUE(b.board->add(mine, kNow).ok());
  EXPECT_EQ(b.board->draw(b.test, Bytes{0x0a}, kNow).fault, ocsp::OcspFault::truncated);
  EXPECT_EQ(b.board->draw(b.test, Bytes{0x0a}, kNow).fault, ocsp::OcspFault::try_later);  // its own is used up
  EXPECT_EQ(b.board->draw(b.test, Bytes{0x0b}, kNow).fault, ocsp::OcspFault::try_later);
  EXPECT_EQ(b.board->draw(b.test, Bytes{0x0b}, kNow).fault, ocsp::OcspFault::none);
  FaultSpec timed = b.spec("delay", 0);
  timed.param = 250;
  timed.expires = kNow + 5;
  ASSERT_TRUE(b.board->add(timed, kNow).ok());
  const auto d = b.board->draw(b.test, Bytes{1}, kNow + 4);
  EXPECT_EQ(d.fault, ocsp::OcspFault::delay);
  EXPECT_EQ(d.delay_ms, 250U);
  EXPECT_EQ(b.board->draw(b.test, Bytes{1}, kNow + 5).fault, ocsp::OcspFault::none);
  EXPECT_TRUE(b.board->list(kNow + 5).empty());
}

TEST(FaultBoard, CrlAndTsaFaultsAndTheWrongSigner) {
  Board b;
  FaultSpec crl = b.spec("expired_next_update");
  crl.target = FaultTarget::crl;
  ASSERT_TRUE(b.board->add(crl, kNow).ok());
  EXPECT_EQ(b.board->draw_crl(b.production, kNow), CrlFault::none);
  EXPECT_EQ(b.board->draw_crl(b.test, kNow), CrlFault::expired_next_update);
  EXPECT_EQ(b.board->draw_crl(b.test, kNow), CrlFault::none);
  FaultSpec tsa = b.spec("time_skew");
  tsa.target = FaultTarget::tsa;
  tsa.param = -3600;
  ASSERT_TRUE(b.board->add(tsa, kNow).ok());
  const TsaDraw t = b.board->draw_tsa(kNow);
  EXPECT_EQ(t.fault, TsaFault::time_skew);
  EXPECT_EQ(t.skew_seconds, -3600);
  // Another test issuer's responder signs the wrong_signer answers; never a production one.
  EXPECT_EQ(b.board->wrong_signer(b.test), nullptr);
  Board two(true);
  const ocsp::ResponderKeys* other = two.board->wrong_signer(two.test);
  ASSERT_NE(other, nullptr);
  EXPECT_NE(other->id, two.test);
}

TEST(FaultBoard, BoundedAndListed) {
  Board b;
  for (std::size_t i = 0; i < kMaxFaults; ++i) ASSERT_TRUE(b.board->add(b.spec("try_later", 5), kNow).ok());
  EXPECT_EQ(b.board->add(b.spec("try_later"), kNow).error().code, "faults_full");
  const auto listed = b.board->list(kNow);
  ASSERT_EQ(listed.size(), kMaxFaults);
  EXPECT_TRUE(b.board->remove(listed.front().id));
  EXPECT_TRUE(b.board->add(b.spec("try_later"), kNow).ok());
  const nlohmann::json j = fault_json(listed.back(), b.issuers);
  EXPECT_EQ(j["target"], "ocsp");
  EXPECT_EQ(j["count"], 5);
}

}  // namespace
}  // namespace trustmon::testbed
