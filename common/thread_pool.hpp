// ThreadPool: a few threads running queued move-only tasks in submission order per thread.
// For CPU-heavy work that must not run on an event loop (certificate verification and
// OCSP pre-signing at ingest). Tasks must not throw (an exception is caught and logged).
// The destructor finishes the queued tasks, then joins.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace trustmon {

class ThreadPool {
 public:
  using Task = std::function<void()>;

  // threads == 0: half the cores, at least one.
  explicit ThreadPool(std::size_t threads, const char* name = "pool");
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void submit(Task task);
  std::size_t size() const noexcept { return threads_.size(); }

 private:
  void loop() noexcept;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  const char* name_;
};

}  // namespace trustmon
