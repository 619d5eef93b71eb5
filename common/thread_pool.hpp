// ThreadPool: a few threads running queued move-only tasks in submission order per lane.
// For CPU-heavy work that must not run on an event loop (certificate verification and
// OCSP pre-signing at ingest). Tasks must not throw (an exception is caught and logged).
// The destructor finishes the queued tasks, then joins.
// Two lanes (common/lane.hpp): a free thread always takes the oldest urgent task before any
// normal one, and `urgent_threads` extra threads take urgent tasks only, so an urgent task
// (a revocation) never waits for a long normal one (an import's chunk) to finish.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/lane.hpp"

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
  // `urgent_threads` more threads (same nice) serve the urgent lane only.
  explicit ThreadPool(std::size_t threads, const char* name = "pool", int nice = 0, std::size_t urgent_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void submit(Task task, Lane lane = Lane::normal);
  // Threads that run normal tasks (those that run urgent ones: size() + urgent_threads()).
  std::size_t size() const noexcept { return threads_.size() - urgent_threads_; }
  std::size_t urgent_threads() const noexcept { return urgent_threads_; }

 private:
  void loop(bool urgent_only) noexcept;
  void run(Task& task) noexcept;

  std::mutex mu_;
  std::condition_variable cv_;         // normal threads: any task queued
  std::condition_variable urgent_cv_;  // urgent-only threads: an urgent task queued
  std::deque<Task> urgent_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  const char* name_;
  int nice_ = 0;
  std::size_t urgent_threads_ = 0;
};

}  // namespace trustmon
