// Replies sent late on purpose: the test bed's `delay` fault (testbed/faults.hpp) holds an
// OCSP answer for some milliseconds without holding a worker. One thread sleeps until the
// earliest deadline and runs that reply (Request::reply posts it to the worker's loop).
//
// Policy: at most kMaxPending replies wait at once; past that, and after stop(), a reply is
// sent at once. Stopping sends every waiting reply.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace trustmon::routes {

class DelayedReplies {
 public:
  static constexpr std::size_t kMaxPending = 4096;

  DelayedReplies();
  ~DelayedReplies();  // stop()
  DelayedReplies(const DelayedReplies&) = delete;
  DelayedReplies& operator=(const DelayedReplies&) = delete;

  // Runs `send` after `ms` milliseconds (at once when full or stopped).
  void after(std::uint32_t ms, std::function<void()> send);
  void stop();

 private:
  void loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> pending_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace trustmon::routes
