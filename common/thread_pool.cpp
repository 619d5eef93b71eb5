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

ThreadPool::ThreadPool(std::size_t threads, const char* name, int nice) : name_(name), nice_(nice) {
  if (threads == 0) threads = std::max<std::size_t>(1, std::thread::hardware_concurrency() / 2);
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { loop(); });
    pthread_setname_np(threads_.back().native_handle(), name_);
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::submit(Task task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void ThreadPool::loop() noexcept {
  if (nice_ != 0) lower_thread_priority(nice_, name_);
  for (;;) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      task();
    } catch (const std::exception& e) {
      log().error("{}: task failed: {}", name_, e.what());
    } catch (...) {
      log().error("{}: task failed", name_);
    }
  }
}

}  // namespace trustmon
