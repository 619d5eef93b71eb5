#include "responder/csr/sweeper.hpp"

#include <future>

#include "common/log.hpp"

namespace trustmon::csr {

void ExpirySweeper::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void ExpirySweeper::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ExpirySweeper::loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_for(lock, interval_, [this] { return stopping_; })) return;
    }
    // One sweep job at a time; wait for it so a slow disk never piles jobs up.
    auto done = std::make_shared<std::promise<void>>();
    auto finished = done->get_future();
    service_.sweep_expired([done](Result<std::size_t> r) {
      if (!r) {
        log().warn("csr: expiry sweep failed: {}", r.error().message);
      } else if (*r > 0) {
        log().info("csr: {} reservations expired", *r);
      }
      done->set_value();
    });
    finished.wait();
  }
}

}  // namespace trustmon::csr
