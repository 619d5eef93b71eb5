// Clock: the one source of "now" for everything that computes thisUpdate,
// nextUpdate, expiry or cache headers. Tests inject a FixedClock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace trustmon {

// Seconds since the Unix epoch, UTC.
using UnixTime = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixTime now() const noexcept = 0;
};

class SystemClock final : public Clock {
 public:
  UnixTime now() const noexcept override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  static const SystemClock& instance() {
    static const SystemClock clock;
    return clock;
  }
};

class FixedClock final : public Clock {
 public:
  explicit FixedClock(UnixTime t) : t_(t) {}
  UnixTime now() const noexcept override { return t_.load(std::memory_order_relaxed); }
  void set(UnixTime t) noexcept { t_.store(t, std::memory_order_relaxed); }
  void advance(UnixTime d) noexcept { t_.fetch_add(d, std::memory_order_relaxed); }

 private:
  std::atomic<UnixTime> t_;
};

}  // namespace trustmon
