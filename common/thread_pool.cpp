#include "common/thread_pool.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>

#include "common/log.hpp"

namespace trustmon {

void lower_thread_priority(int nice, const char* who) noexcept {
  errno = 0;
  const int now = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
  if (errno == 0 && ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), std::min(19, now + nice)) == 0) return;
  log().warn("{}: cannot lower the thread's priority by {}: {}", who, nice, std::strerror(errno));
}

ThreadPool::ThreadPool(std::size_t threads, const char* name, int nice, std::size_t urgent_threads)
    : name_(name), nice_(nice), urgent_threads_(urgent_threads) {
  if (threads == 0) threads = std::max<std::size_t>(1, std::thread::hardware_concurrency() / 2);
  threads_.reserve(threads + urgent_threads);
  for (std::size_t i = 0; i < threads + urgent_threads; ++i) {
    const bool urgent_only = i >= threads;
    threads_.emplace_back([this, urgent_only] { loop(urgent_only); });
    pthread_setname_np(threads_.back().native_handle(), name_);
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  urgent_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::submit(Task task, Lane lane) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    (lane == Lane::urgent ? urgent_ : queue_).push_back(std::move(task));
  }
  // An urgent task wakes both kinds: whichever thread is idle takes it first.
  if (lane == Lane::urgent && urgent_threads_ != 0) urgent_cv_.notify_one();
  cv_.notify_one();
}

void ThreadPool::loop(bool urgent_only) noexcept {
  if (nice_ != 0) lower_thread_priority(nice_, name_);
  std::condition_variable& cv = urgent_only ? urgent_cv_ : cv_;
  for (;;) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv.wait(lock, [this, urgent_only] { return stopping_ || !urgent_.empty() || (!urgent_only && !queue_.empty()); });
      if (!urgent_.empty()) {
        task = std::move(urgent_.front());
        urgent_.pop_front();
      } else if (!urgent_only && !queue_.empty()) {
        task = std::move(queue_.front());
        queue_.pop_front();
      } else {
        return;  // stopping and drained
      }
    }
    run(task);
  }
}

void ThreadPool::run(Task& task) noexcept {
  try {
    task();
  } catch (const std::exception& e) {
    log().error("{}: task failed: {}", name_, e.what());
  } catch (...) {
    log().error("{}: task failed", name_);
  }
}

}  // namespace trustmon
