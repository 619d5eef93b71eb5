// Per-credential rate limits: a token bucket per credential id (the bootstrap token is
// credential 0), refilled at `rate` requests per second up to `burst`.
//
// Policy: buckets live in memory only (a restart forgives); the map is sharded by id so
// workers rarely contend; a bucket idle for long enough to be full again is dropped by a
// prune that acquire() runs itself every kPruneEvery calls, so memory follows the active
// credentials without a timer.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace trustmon::access {

struct RateLimit {
  double per_second = 50;  // 0 = unlimited
  double burst = 100;
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimiter(RateLimit defaults) : defaults_(defaults) {}

  // Takes one token for `credential`. Returns nullopt when allowed, else the seconds to
  // wait (>= 1, for Retry-After). `override_rate` > 0 replaces the default rate (the burst
  // then scales with it: twice the rate, at least 1).
  std::optional<std::uint32_t> acquire(std::uint32_t credential, double override_rate = 0,
                                       Clock::time_point now = Clock::now());
  // Drops buckets that have refilled completely.
  void prune(Clock::time_point now = Clock::now());
  std::size_t tracked() const;

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
    double rate = 0;
    double burst = 0;
  };
  struct alignas(64) Shard {
    mutable std::mutex mu;
    std::unordered_map<std::uint32_t, Bucket> buckets;
  };
  static constexpr std::size_t kShards = 16;
  static constexpr std::uint64_t kPruneEvery = 1 << 16;
  std::atomic<std::uint64_t> calls_{0};
  RateLimit defaults_;
  std::array<Shard, kShards> shards_;
};

}  // namespace trustmon::access
