// Token buckets: a burst, then refusals with a Retry-After, refill over time, per
// credential, with per-credential rates, and pruning of idle buckets.
#include "responder/access/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace trustmon::access {
namespace {

using Clock = RateLimiter::Clock;
using std::chrono::milliseconds;

TEST(RateLimiter, BurstThenRefusalThenRefill) {
  RateLimiter limiter({2, 3});
  const auto t0 = Clock::now();
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.acquire(1, 0, t0).has_value()) << i;
  auto wait = limiter.acquire(1, 0, t0);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, 1U);
  // Another credential has its own bucket.
  EXPECT_FALSE(limiter.acquire(2, 0, t0).has_value());
  // Half a second at 2/s refills one token.
  EXPECT_FALSE(limiter.acquire(1, 0, t0 + milliseconds(500)).has_value());
  EXPECT_TRUE(limiter.acquire(1, 0, t0 + milliseconds(500)).has_value());
}

TEST(RateLimiter, SlowRateAsksForALongerWait) {
  RateLimiter limiter({0.1, 1});
  const auto t0 = Clock::now();
  EXPECT_FALSE(limiter.acquire(1, 0, t0).has_value());
  auto wait = limiter.acquire(1, 0, t0);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, 10U);
}

TEST(RateLimiter, CredentialOverrideAndUnlimited) {
  RateLimiter limiter({1000, 1000});
  const auto t0 = Clock::now();
  // Override 1/s: burst 2.
  EXPECT_FALSE(limiter.acquire(5, 1, t0).has_value());
  EXPECT_FALSE(limiter.acquire(5, 1, t0).has_value());
  EXPECT_TRUE(limiter.acquire(5, 1, t0).has_value());
  RateLimiter unlimited({0, 1});
  for (int i = 0; i < 10000; ++i) ASSERT_FALSE(unlimited.acquire(1, 0, t0).has_value());
  EXPECT_EQ(unlimited.tracked(), 0U);
}

TEST(RateLimiter, PruneDropsFullBucketsOnly) {
  RateLimiter limiter({1, 2});
  const auto t0 = Clock::now();
  limiter.acquire(1, 0, t0);
  limiter.acquire(1, 0, t0);
  limiter.acquire(2, 0, t0);
  EXPECT_EQ(limiter.tracked(), 2U);
  limiter.prune(t0 + milliseconds(1100));  // 2 refilled (needs 1 s), 1 not yet (needs 2 s)
  EXPECT_EQ(limiter.tracked(), 1U);
  limiter.prune(t0 + milliseconds(2100));
  EXPECT_EQ(limiter.tracked(), 0U);
}

TEST(RateLimiter, PrunesItselfEveryManyCalls) {
  RateLimiter limiter({10, 1});
  const auto t0 = Clock::now();
  for (std::uint32_t id = 0; id < (1U << 16) - 1; ++id) limiter.acquire(id, 0, t0);
  EXPECT_EQ(limiter.tracked(), (1U << 16) - 1);
  // The next call finds every idle bucket full again and drops them.
  limiter.acquire(999999, 0, t0 + std::chrono::seconds(10));
  EXPECT_EQ(limiter.tracked(), 1U);
}

}  // namespace
}  // namespace trustmon::access
