#include "responder/access/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace trustmon::access {

std::optional<std::uint32_t> RateLimiter::acquire(std::uint32_t credential, double override_rate,
                                                  Clock::time_point now) {
  const double rate = override_rate > 0 ? override_rate : defaults_.per_second;
  if (rate <= 0) return std::nullopt;
  if (calls_.fetch_add(1, std::memory_order_relaxed) % kPruneEvery == kPruneEvery - 1) prune(now);
  const double burst = override_rate > 0 ? std::max(1.0, 2 * override_rate) : std::max(1.0, defaults_.burst);
  Shard& shard = shards_[credential % kShards];
  std::lock_guard<std::mutex> lock(shard.mu);
  auto [it, fresh] = shard.buckets.try_emplace(credential);
  Bucket& b = it->second;
  if (fresh || b.rate != rate || b.burst != burst) {
    if (fresh) b.tokens = burst;
    b.rate = rate;
    b.burst = burst;
    if (fresh) b.updated = now;
  }
  const double elapsed = std::chrono::duration<double>(now - b.updated).count();
  if (elapsed > 0) {
    b.tokens = std::min(burst, b.tokens + elapsed * rate);
    b.updated = now;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return std::nullopt;
  }
  const double wait = (1 - b.tokens) / rate;
  return static_cast<std::uint32_t>(std::max(1.0, std::ceil(wait)));
}

void RateLimiter::prune(Clock::time_point now) {
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    std::erase_if(shard.buckets, [now](const auto& kv) {
      const Bucket& b = kv.second;
      const double elapsed = std::chrono::duration<double>(now - b.updated).count();
      return b.tokens + elapsed * b.rate >= b.burst;
    });
  }
}

std::size_t RateLimiter::tracked() const {
  std::size_t n = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    n += shard.buckets.size();
  }
  return n;
}

}  // namespace trustmon::access
