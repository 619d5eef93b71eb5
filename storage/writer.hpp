// The single Writer thread. Request threads submit jobs; the Writer gathers them for up
// to `max_delay` (or `max_batch` jobs), runs each in its own child transaction of one
// LMDB write transaction (a failing job rolls back alone), commits durably once, and
// only then calls every job's completion. On MDB_MAP_FULL it aborts the batch, grows the
// map and runs the batch again, so jobs must be re-runnable (pure functions of the txn).
// Two queues (common/lane.hpp): urgent jobs (revocations, CSR reservations) are committed
// in batches of their own, ahead of the normal ones; a normal batch takes jobs in
// submission order up to `max_commit_weight` (a job's weight is the items it writes, e.g.
// an import chunk's certificates), so a commit stays short. An urgent job that arrives
// while a normal batch runs cuts it: the Writer finishes the job in progress, commits
// what ran, and puts the batch's other jobs back at the head of their queue. So an urgent
// job waits for at most one normal job and one commit, never for a batch or a queue of
// imports (bulk work is submitted as jobs of bounded weight). A normal batch always runs
// at least one job (a stream of urgent jobs cannot starve the normal lane). A job that
// hits MDB_TXN_FULL after other jobs of its batch cuts the batch the same way: what ran
// is committed (and answered) and the job runs again first in the next transaction, so
// no batch fails as a whole for being too large to commit at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/lane.hpp"
#include "common/result.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::storage {

struct WriterOptions {
  std::size_t max_batch = 1024;
  std::chrono::microseconds max_delay{500};
  // Normal-lane weight one commit takes at most (the first normal job is taken whatever
  // its weight); urgent jobs are not counted.
  std::size_t max_commit_weight = 2048;
};

struct WriterStats {
  std::uint64_t commits = 0;
  std::uint64_t jobs = 0;
  std::uint64_t failed_jobs = 0;
  std::uint64_t map_grows = 0;
  // Batches cut short because an urgent job arrived while their normal jobs ran.
  std::uint64_t urgent_cuts = 0;
  // Batches cut short because a job hit MDB_TXN_FULL after other jobs of the batch (it
  // runs again first in the next commit).
  std::uint64_t txn_full_cuts = 0;
  // Time the Writer thread spent running batches (jobs and commits), and the part of it
  // spent in the durable commit (page writes and fsync).
  std::uint64_t busy_us = 0;
  std::uint64_t commit_us = 0;

  // Prometheus text: trustmon_writer_commits_total, _jobs_total, _urgent_cuts_total,
  // _txn_full_cuts_total,
  // _busy_seconds_total and _commit_seconds_total (counters).
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

  // `weight`: how many items the job writes (1 for a single record); only bounds how much
  // normal-lane work shares a commit.
  void submit(Job job, Done done, Lane lane = Lane::normal, std::size_t weight = 1);
  // Submit and wait (for tools, the refresher, tests; never from an event loop).
  Status run_sync(Job job);

  WriterStats stats() const;

 private:
  struct Pending {
    Job job;
    Done done;
    std::size_t weight = 1;
  };
  void loop();
  // Moves the next batch out of the queues (mu_ held); returns how many of its jobs, at
  // its front, are urgent.
  std::size_t take_batch(std::deque<Pending>& batch);
  // Runs and commits the batch's first jobs; the normal jobs left when an urgent job
  // arrived go back to the head of the normal queue.
  void run_batch(std::deque<Pending>& batch, std::size_t urgent_jobs);
  bool urgent_waiting() const;

  Env& env_;
  WriterOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> urgent_;
  std::deque<Pending> queue_;  // the normal lane
  bool stopping_ = false;
  bool started_ = false;
  std::thread thread_;
  WriterStats stats_;
  std::function<void()> on_commit_;
};

}  // namespace trustmon::storage
