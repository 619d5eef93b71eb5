#include "responder/routes/delayed_replies.hpp"

#include <utility>
#include <vector>

namespace trustmon::routes {

DelayedReplies::DelayedReplies() : thread_([this] { loop(); }) {}

DelayedReplies::~DelayedReplies() { stop(); }

void DelayedReplies::after(std::uint32_t ms, std::function<void()> send) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_ && pending_.size() < kMaxPending) {
      pending_.emplace(std::chrono::steady_clock::now() + std::chrono::milliseconds(ms), std::move(send));
      cv_.notify_one();
      return;
    }
  }
  send();
}

void DelayedReplies::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void DelayedReplies::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (stopping_) break;
    if (pending_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const auto first = pending_.begin()->first;
    if (std::chrono::steady_clock::now() < first) {
      cv_.wait_until(lock, first);
      continue;
    }
    auto send = std::move(pending_.begin()->second);
    pending_.erase(pending_.begin());
    lock.unlock();
    send();
    lock.lock();
  }
  // Stopping: whatever waits is sent now.
  std::vector<std::function<void()>> rest;
  for (auto& [when, send] : pending_) rest.push_back(std::move(send));
  pending_.clear();
  lock.unlock();
  for (auto& send : rest) send();
}

}  // namespace trustmon::routes
