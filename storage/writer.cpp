// The single Writer thread (see writer.hpp). Policy:
//  * a batch is either the urgent queue (up to max_batch jobs) or, when no urgent job
//    waits, normal jobs in order while their summed weight stays within
//    max_commit_weight (at least one normal job, so a stream of urgent jobs cannot starve
//    the normal lane);
//  * before each normal job after the first job of a batch, the Writer looks for a waiting
//    urgent job; if there is one, the batch ends there: what ran is committed and the
//    rest goes back, in order, to the head of the normal queue (an attempt after map
//    growth reruns exactly the jobs that ran, without cutting again);
//  * one LMDB write transaction per batch, one child transaction per job, so a job's
//    error discards only that job's writes;
//  * Done runs only after the batch's commit returned (durable) or failed;
//  * MDB_TXN_FULL in a job that is not the batch's first (the batch's earlier jobs
//    left too many dirty pages for it) cuts the batch there: what ran before it is
//    committed and it goes back, with the rest, to the head of its queue, so it runs
//    first in a fresh transaction (where LMDB can spill its own pages). A large bulk
//    write is thus committed in parts, each job's Done called only once its part is
//    durable; a job that alone hits the limit fails with its error;
//  * MDB_MAP_FULL anywhere in a batch (a job, a child commit, the final commit) aborts
//    the whole batch, doubles the map and runs the batch again from scratch;
//  * nothing a Job or Done throws escapes: a throwing Job fails with "internal_error",
//    a throwing Done is logged.
#include "storage/writer.hpp"

#include <exception>
#include <future>
#include <string>
#include <utility>
#include <vector>

#include "common/log.hpp"
#include "common/metrics.hpp"

namespace trustmon::storage {
namespace {

// Doubling from even 1 MiB reaches far past any real batch within this many steps;
// more means the map cannot grow (address space, disk) and the batch fails.
constexpr int kMaxGrowsPerBatch = 24;

// The Writer whose loop runs on this thread (to refuse run_sync from inside it).
thread_local const Writer* t_running_writer = nullptr;

Status run_job(const Writer::Job& job, WriteTxn& txn) noexcept {
  try {
    if (!job) return make_error(ErrorKind::internal, "internal_error", "empty writer job");
    return job(txn);
  } catch (const std::exception& e) {
    return make_error(ErrorKind::internal, "internal_error", std::string("writer job threw: ") + e.what());
  } catch (...) {
    return make_error(ErrorKind::internal, "internal_error", "writer job threw a non-exception");
  }
}

void call_done(const Writer::Done& done, Status status) noexcept {
  if (!done) return;
  try {
    done(std::move(status));
  } catch (const std::exception& e) {
    try {
      log().error("writer: completion threw: {}", e.what());
    } catch (...) {
    }
  } catch (...) {
    try {
      log().error("writer: completion threw a non-exception");
    } catch (...) {
    }
  }
}

}  // namespace

Writer::Writer(Env& env, WriterOptions options) : env_(env), options_(options) {
  if (options_.max_batch == 0) options_.max_batch = 1;
}

Writer::~Writer() { stop(); }

void Writer::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  thread_ = std::thread([this] { loop(); });
}

void Writer::stop() {
  std::thread thread;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    // Jobs submitted before a start() that never came still get run.
    if (!started_ && (!queue_.empty() || !urgent_.empty())) {
      started_ = true;
      thread_ = std::thread([this] { loop(); });
    }
    // Called from a Done on the Writer thread: it cannot join itself; a later stop()
    // (the destructor's) joins.
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) {
      thread = std::move(thread_);
    }
  }
  cv_.notify_all();
  if (thread.joinable()) thread.join();
}

void Writer::submit(Job job, Done done, Lane lane, std::size_t weight) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      (lane == Lane::urgent ? urgent_ : queue_).push_back(Pending{std::move(job), std::move(done), weight});
      // Wake the thread when it may be idle, when the batch is now full, or for an urgent
      // job (it ends a gathering wait: an urgent job waits only for the commit in progress).
      const std::size_t pending = urgent_.size() + queue_.size();
      if (pending == 1 || pending >= options_.max_batch || lane == Lane::urgent) cv_.notify_one();
      return;
    }
  }
  call_done(done, make_error(ErrorKind::unavailable, "shutting_down", "the writer is stopping"));
}

Status Writer::run_sync(Job job) {
  if (t_running_writer == this) {
    // From a Job or Done: waiting here would wait for ourselves.
    return make_error(ErrorKind::internal, "internal_error", "run_sync called on the writer thread");
  }
  auto promise = std::make_shared<std::promise<Status>>();
  std::future<Status> result = promise->get_future();
  submit(std::move(job), [promise](Status s) { promise->set_value(std::move(s)); });
  return result.get();
}

std::string WriterStats::metrics_text() const {
  std::string out;
  MetricsText m(out);
  m.counter("trustmon_writer_commits_total", "Durable commits (one per batch).", commits);
  m.counter("trustmon_writer_jobs_total", "Jobs run by the Writer.", jobs);
  m.counter("trustmon_writer_urgent_cuts_total", "Batches cut short for a waiting urgent job.", urgent_cuts);
  m.counter("trustmon_writer_txn_full_cuts_total",
            "Batches cut short because the next job did not fit LMDB's dirty-page limit.", txn_full_cuts);
  m.header("trustmon_writer_busy_seconds_total", "counter", "Time the Writer spent running batches.");
  m.sample("trustmon_writer_busy_seconds_total", static_cast<double>(busy_us) / 1e6);
  m.header("trustmon_writer_commit_seconds_total", "counter", "Part of the busy time spent in durable commits.");
  m.sample("trustmon_writer_commit_seconds_total", static_cast<double>(commit_us) / 1e6);
  return out;
}

WriterStats Writer::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void Writer::loop() {
  t_running_writer = this;
  std::deque<Pending> batch;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty() || !urgent_.empty(); });
    if (queue_.empty() && urgent_.empty()) return;  // stopping and drained
    // Gather more for up to max_delay, unless the batch is already full, an urgent job
    // waits, or we stop.
    const auto deadline = std::chrono::steady_clock::now() + options_.max_delay;
    cv_.wait_until(lock, deadline, [this] {
      return stopping_ || !urgent_.empty() || urgent_.size() + queue_.size() >= options_.max_batch;
    });
    const std::size_t urgent_jobs = take_batch(batch);
    lock.unlock();
    try {
      run_batch(batch, urgent_jobs);
    } catch (...) {
      // Only allocation failures can get here; keep the thread alive for later batches.
      try {
        log().error("writer: batch of {} jobs failed with an exception", batch.size());
      } catch (...) {
      }
    }
    batch.clear();
    lock.lock();
  }
}

std::size_t Writer::take_batch(std::deque<Pending>& batch) {
  while (!urgent_.empty() && batch.size() < options_.max_batch) {
    batch.push_back(std::move(urgent_.front()));
    urgent_.pop_front();
  }
  const std::size_t urgent_jobs = batch.size();
  // Urgent jobs commit on their own: they do not wait for normal work in their batch.
  if (urgent_jobs != 0) return urgent_jobs;
  std::size_t weight = 0;
  bool took_normal = false;
  while (!queue_.empty()) {
    const std::size_t w = queue_.front().weight;
    if (took_normal && (batch.size() >= options_.max_batch || weight + w > options_.max_commit_weight)) break;
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
    weight += w;
    took_normal = true;
  }
  return urgent_jobs;
}

bool Writer::urgent_waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !urgent_.empty();
}

void Writer::run_batch(std::deque<Pending>& batch, std::size_t urgent_jobs) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  Clock::duration committing{};
  std::size_t n = batch.size();  // the jobs this batch runs (fewer once cut)
  enum class Cut { none, for_urgent, for_txn_full } cut = Cut::none;  // why n is fewer
  std::vector<Status> results(n);
  Status outcome;  // the parent commit's result
  std::uint64_t grows = 0;

  for (int attempt = 0;; ++attempt) {
    auto parent = WriteTxn::begin(env_);
    if (!parent.ok()) {
      outcome = std::move(parent).error();
      break;
    }
    for (std::size_t i = 0; i < n && !parent->map_full(); ++i) {
      if (attempt == 0 && i > 0 && i >= urgent_jobs && urgent_waiting()) {
        n = i;
        cut = Cut::for_urgent;
        break;
      }
      auto child = WriteTxn::begin_child(*parent);
      if (!child.ok()) {
        results[i] = std::move(child).error();
        continue;
      }
      Status st = run_job(batch[i].job, *child);
      // The transaction holds too many dirty pages for this job (LMDB's limit, which a
      // child cannot relieve by spilling its parent's pages): commit the jobs before it
      // and run it, and the rest, again in a fresh transaction.
      if (child->txn_full() && i > 0) {
        child->abort();
        n = i;
        cut = Cut::for_txn_full;
        break;
      }
      // commit() also reports a sticky error the job ignored.
      if (st.ok()) {
        st = child->commit();
      } else {
        child->abort();
      }
      results[i] = std::move(st);
    }
    if (!parent->map_full()) {
      const auto commit_start = Clock::now();
      outcome = parent->commit();
      committing += Clock::now() - commit_start;
      if (outcome.ok() || !parent->map_full()) break;
    }
    // The map is full: nothing of this attempt is kept. Grow and run every job again.
    parent->abort();
    if (attempt >= kMaxGrowsPerBatch) {
      outcome = make_error(ErrorKind::unavailable, "storage_map_full", "map still full after growing " +
                                                   std::to_string(attempt) + " times");
      break;
    }
    Status grown = env_.grow_map();
    if (!grown.ok()) {
      outcome = std::move(grown);
      break;
    }
    ++grows;
    try {
      log().info("storage: map grown to {} bytes", env_.map_size());
    } catch (...) {
    }
  }

  if (cut != Cut::none) {
    // Back to the head of their queue, in their order (a cut for a waiting urgent job:
    // the loop takes that job first; a cut for the dirty-page limit: the next batch
    // starts with the job that did not fit).
    std::lock_guard<std::mutex> lock(mu_);
    for (std::size_t i = batch.size(); i > n; --i) {
      (i - 1 < urgent_jobs ? urgent_ : queue_).push_front(std::move(batch[i - 1]));
    }
    ++(cut == Cut::for_urgent ? stats_.urgent_cuts : stats_.txn_full_cuts);
  }
  std::uint64_t failed = 0;
  if (outcome.ok()) {
    for (const Status& s : results) failed += s.ok() ? 0 : 1;
  } else {
    failed = n;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.map_grows += grows;
    stats_.jobs += n;
    stats_.failed_jobs += failed;
    if (outcome.ok()) ++stats_.commits;
    const auto us = [](Clock::duration d) {
      return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
    };
    stats_.busy_us += us(Clock::now() - started);
    stats_.commit_us += us(committing);
  }
  for (std::size_t i = 0; i < n; ++i) {
    call_done(batch[i].done, outcome.ok() ? std::move(results[i]) : outcome);
  }
  if (outcome.ok() && on_commit_) {
    try {
      on_commit_();
    } catch (...) {
      // a listener's fault must not stop the Writer
    }
  }
}

}  // namespace trustmon::storage
