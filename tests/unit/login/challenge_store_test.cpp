#include "responder/login/challenge_store.hpp"

#include <gtest/gtest.h>

namespace trustmon::login {
namespace {

Bytes octets() { return Bytes{1, 2, 3, 4}; }

TEST(ChallengeStore, RedeemedOnceByItsOwnBindingOnly) {
  ChallengeStore store;
  auto c = store.issue(octets(), "10.0.0.1", 1000);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->expires, 1120);
  EXPECT_FALSE(c->binding.empty());
  // Another browser's cookie (or none) neither redeems nor consumes it.
  auto other = store.issue(octets(), "10.0.0.1", 1000);
  ASSERT_TRUE(other.ok());
  auto wrong = store.redeem(c->id, other->binding, 1001);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, "challenge_binding");
  EXPECT_EQ(store.redeem(c->id, "", 1001).error().code, "challenge_binding");
  auto got = store.redeem(c->id, c->binding, 1001);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, octets());
  auto again = store.redeem(c->id, c->binding, 1002);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "challenge_used");
  EXPECT_EQ(store.redeem("nope", c->binding, 1002).error().code, "challenge_unknown");
}

TEST(ChallengeStore, ExpiresAndIsForgottenAfterwards) {
  ChallengeStore store(ChallengeLimits{100, 5, 10});
  auto c = store.issue(octets(), "a", 1000);
  ASSERT_TRUE(c.ok());
  // Within the store but past its time (purge runs only for entries due by then).
  auto late = store.redeem(c->id, c->binding, 1010);
  ASSERT_FALSE(late.ok());
  EXPECT_TRUE(late.error().code == "challenge_expired" || late.error().code == "challenge_unknown");
  EXPECT_EQ(store.size(), 0U);
}

TEST(ChallengeStore, CapsPerAddressAndInAllAndReusesABinding) {
  ChallengeStore store(ChallengeLimits{3, 2, 120});
  auto a1 = store.issue(octets(), "a", 1000);
  ASSERT_TRUE(a1.ok());
  auto a2 = store.issue(octets(), "a", 1000, a1->binding);
  ASSERT_TRUE(a2.ok());
  EXPECT_TRUE(a2->binding.empty());  // the browser's own cookie was reused
  EXPECT_TRUE(store.redeem(a2->id, a1->binding, 1001).ok());
  auto a3 = store.issue(octets(), "a", 1000);
  ASSERT_FALSE(a3.ok());
  EXPECT_EQ(a3.error().code, "challenges_busy");
  EXPECT_EQ(a3.error().kind, ErrorKind::rate_limited);
  ASSERT_TRUE(store.issue(octets(), "b", 1000).ok());
  auto full = store.issue(octets(), "c", 1000);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().kind, ErrorKind::unavailable);
  // After they expire there is room again.
  EXPECT_TRUE(store.issue(octets(), "a", 1200).ok());
}

TEST(ChallengeStore, BindingCookiesMustBe32OctetsOfBase64url) {
  EXPECT_FALSE(binding_hash("").has_value());
  EXPECT_FALSE(binding_hash("abc").has_value());
  EXPECT_FALSE(binding_hash(std::string(43, '+')).has_value());
  EXPECT_TRUE(binding_hash(std::string(43, 'A')).has_value());
}

}  // namespace
}  // namespace trustmon::login
