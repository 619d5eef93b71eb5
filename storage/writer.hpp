// The single Writer thread. Request threads submit jobs; the Writer gathers them for up
// to `max_delay` (or `max_batch` jobs), runs each in its own child transaction of one
// LMDB write transaction (a failing job rolls back alone), commits durably once, and
// only then calls every job's completion. On MDB_MAP_FULL it aborts the batch, grows the
// map and runs the batch again, so jobs must be re-runnable (pure functions of the txn).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::storage {

struct WriterOptions {
  std::size_t max_batch = 1024;
  std::chrono::microseconds max_delay{500};
};

struct WriterStats {
  std::uint64_t commits = 0;
  std::uint64_t jobs = 0;
  std::uint64_t failed_jobs = 0;
  std::uint64_t map_grows = 0;
  // Time the Writer thread spent running batches (jobs and commits), and the part of it
  // spent in the durable commit (page writes and fsync).
  std::uint64_t busy_us = 0;
  std::uint64_t commit_us = 0;

  // Prometheus text: trustmon_writer_commits_total, _jobs_total, _busy_seconds_total and
  // _commit_seconds_total (counters).
  std::string metrics_text() const;
};

class Writer {
 public:
  // Runs on the Writer thread inside a child txn; returning an Error rolls back only
  // this job's writes. Must not block on other threads.
  using Job = std::function<Status(WriteTxn&)>;
  // Runs on the Writer thread after the commit is durable (ok) or failed (the error).
  // Keep it short: hand the result to the requester's event loop.
  using Done = std::function<void(Status)>;

  Writer(Env& env, WriterOptions options = {});
  ~Writer();  // stop()
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Runs on the Writer thread after every durable commit, once the batch's callbacks ran
  // (e.g. to wake the event feed). Set before start(); keep it short and non-blocking.
  void set_on_commit(std::function<void()> listener) { on_commit_ = std::move(listener); }

  void start();
  // Finishes every job already submitted, then joins. Later submits fail at once with
  // "shutting_down".
  void stop();

  void submit(Job job, Done done);
  // Submit and wait (for tools, the refresher, tests; never from an event loop).
  Status run_sync(Job job);

  WriterStats stats() const;

 private:
  struct Pending {
    Job job;
    Done done;
  };
  void loop();
  void run_batch(std::deque<Pending>& batch);

  Env& env_;
  WriterOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  bool started_ = false;
  std::thread thread_;
  WriterStats stats_;
  std::function<void()> on_commit_;
};

}  // namespace trustmon::storage
