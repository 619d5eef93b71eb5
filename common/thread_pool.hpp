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

// Lowers the calling thread's scheduling priority by `nice` (Linux per-thread nice), for
// background threads that must not delay the event loops; logs (as `who`) when refused.
void lower_thread_priority(int nice, const char* who) noexcept;

class ThreadPool {
 public:
  using Task = std::function<void()>;

  // threads == 0: half the cores, at least one. `nice` > 0 lowers the threads' scheduling
  // priority (Linux per-thread nice) below the event loops', so a burst of queued work
  // uses the idle CPU without delaying the requests those loops answer.
  explicit ThreadPool(std::size_t threads, const char* name = "pool", int nice = 0);
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
  int nice_ = 0;
};

}  // namespace trustmon
