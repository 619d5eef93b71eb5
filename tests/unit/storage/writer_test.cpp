// The Writer: group commit from many threads, per-job rollback, map growth with readers
// running, a batch past LMDB's dirty-page limit committed in parts, draining on stop,
// shutting_down after stop, and durability across reopen and across kill -9 of the
// writing process.
#include "storage/writer.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "storage/event_log.hpp"
#include "tests/support/temp_env.hpp"

namespace trustmon::storage {
namespace {

using testing::open_env;
using testing::str;
using testing::TempDir;

Writer::Job put_job(std::string key, std::string value) {
  return [key = std::move(key), value = std::move(value)](WriteTxn& txn) {
    return txn.put(Table::certs, as_bytes(key), as_bytes(value));
  };
}

// Collects Done statuses from any thread.
struct Outcomes {
  std::mutex mu;
  std::vector<Status> all;
  Writer::Done done() {
    return [this](Status s) {
      std::lock_guard<std::mutex> lock(mu);
      all.push_back(std::move(s));
    };
  }
  std::size_t ok_count() {
    std::lock_guard<std::mutex> lock(mu);
    std::size_t n = 0;
    for (const auto& s : all) n += s.ok() ? 1 : 0;
    return n;
  }
};

std::optional<std::string> read_key(Env& env, std::string_view key) {
  auto rtxn = ReadTxn::begin(env);
  EXPECT_TRUE(rtxn.ok());
  if (!rtxn.ok()) return std::nullopt;
  ReadScope scope(*rtxn);
  auto v = rtxn->get(Table::certs, as_bytes(key));
  EXPECT_TRUE(v.ok());
  if (!v.ok() || !v->has_value()) return std::nullopt;
  return str(**v);
}

// The order in which jobs completed, each with the commits counted before its own.
struct DoneOrder {
  explicit DoneOrder(const std::atomic<int>& c) : commits(c) {}
  Writer::Done record(std::string name) {
    return [this, name = std::move(name)](Status s) {
      EXPECT_TRUE(s.ok()) << name;
      std::lock_guard<std::mutex> lock(mu);
      done.emplace_back(name, commits.load());
    };
  }
  const std::atomic<int>& commits;
  std::mutex mu;
  std::vector<std::pair<std::string, int>> done;
};

TEST(Writer, ManyConcurrentSubmittersAllCommit) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  Writer writer(*env, WriterOptions{64, std::chrono::microseconds(200)});
  writer.start();
  constexpr int kThreads = 8;
  constexpr int kPerThread = 150;
  Outcomes out;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string k = "t" + std::to_string(t) + "-" + std::to_string(i);
        writer.submit(put_job(k, "v" + k), out.done());
      }
    });
  }
  for (auto& th : threads) th.join();
  writer.stop();  // drains
  EXPECT_EQ(out.all.size(), std::size_t{kThreads * kPerThread});
  EXPECT_EQ(out.ok_count(), std::size_t{kThreads * kPerThread});
  const WriterStats st = writer.stats();
  EXPECT_EQ(st.jobs, std::uint64_t{kThreads * kPerThread});
  EXPECT_EQ(st.failed_jobs, 0u);
  EXPECT_GE(st.commits, 1u);
  EXPECT_LE(st.commits, st.jobs);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      const std::string k = "t" + std::to_string(t) + "-" + std::to_string(i);
      EXPECT_EQ(read_key(*env, k), "v" + k);
    }
  }
}

// An urgent job (a revocation) submitted behind a queue of heavy normal jobs (import
// batches) commits in the very next batch, alone, before every one of them; each heavy job
// then gets a commit of its own (the weight cap).
TEST(Writer, UrgentJobCommitsBeforeQueuedIngestBatches) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  WriterOptions options;
  options.max_commit_weight = 1000;
  Writer writer(*env, options);
  std::atomic<int> commits{0};
  writer.set_on_commit([&] { ++commits; });
  writer.start();

  // Hold the Writer inside a job so that everything below queues up behind it.
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  writer.submit(
      [&entered, released](WriteTxn& txn) {
        entered.set_value();
        released.wait();
        return txn.put(Table::certs, as_bytes(std::string("gate")), as_bytes(std::string("1")));
      },
      nullptr);
  entered.get_future().wait();

  DoneOrder order(commits);
  auto& done_order = order.done;
  const auto record = [&](std::string name) { return order.record(std::move(name)); };
  constexpr int kBatches = 6;
  for (int i = 0; i < kBatches; ++i) {
    const std::string k = "ingest" + std::to_string(i);
    writer.submit(put_job(k, "v"), record(k), Lane::normal, 800);
  }
  writer.submit(put_job("revoke", "v"), record("revoke"), Lane::urgent);
  release.set_value();
  writer.stop();

  ASSERT_EQ(done_order.size(), std::size_t{kBatches + 1});
  EXPECT_EQ(done_order[0].first, "revoke");
  const int revoke_commit = done_order[0].second;
  EXPECT_EQ(revoke_commit, 1);  // the commit right after the gate's
  for (int i = 0; i < kBatches; ++i) {
    const auto& [name, commit] = done_order[static_cast<std::size_t>(i) + 1];
    EXPECT_EQ(name, "ingest" + std::to_string(i));  // the normal lane keeps its order
    EXPECT_EQ(commit, revoke_commit + 1 + i);        // one heavy batch per commit
  }
  EXPECT_EQ(read_key(*env, "revoke"), "v");
  EXPECT_EQ(writer.stats().commits, std::uint64_t{kBatches + 2});
}

// An urgent job ends the Writer's gathering wait: it does not sit out max_delay behind a
// normal job that started the wait (here a minute; the bound below is only a liveness
// bound, far below that delay and far above a commit).
TEST(Writer, UrgentJobEndsTheGatheringWait) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  std::promise<Status> normal_done, urgent_done;  // outlive the Writer, even on failure
  WriterOptions options;
  options.max_delay = std::chrono::minutes(1);
  Writer writer(*env, options);
  writer.start();
  writer.submit(put_job("normal", "v"), [&](Status s) { normal_done.set_value(std::move(s)); });
  writer.submit(put_job("urgent", "v"), [&](Status s) { urgent_done.set_value(std::move(s)); }, Lane::urgent);
  auto urgent = urgent_done.get_future();
  ASSERT_EQ(urgent.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_TRUE(urgent.get().ok());
  writer.stop();  // ends the normal job's own gathering wait
  EXPECT_TRUE(normal_done.get_future().get().ok());
  EXPECT_EQ(read_key(*env, "urgent"), "v");
}

// An urgent job that arrives while a batch of normal jobs runs cuts the batch: the job in
// progress finishes and commits, the urgent job commits next, then the rest of the batch
// in its order. Without the cut the urgent job would wait for the whole batch.
TEST(Writer, UrgentJobCutsTheRunningBatch) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  WriterOptions options;
  options.max_delay = std::chrono::milliseconds(0);
  Writer writer(*env, options);
  std::atomic<int> commits{0};
  writer.set_on_commit([&] { ++commits; });
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  DoneOrder order(commits);
  auto& done_order = order.done;
  const auto record = [&](std::string name) { return order.record(std::move(name)); };
  // Queued before start(): one batch of five normal jobs, the first of which holds the
  // Writer until the urgent job is queued.
  writer.submit(
      [&entered, released](WriteTxn& txn) {
        entered.set_value();
        released.wait();
        return txn.put(Table::certs, as_bytes(std::string("n0")), as_bytes(std::string("v")));
      },
      record("n0"), Lane::normal, 100);
  for (int i = 1; i < 5; ++i) {
    const std::string k = "n" + std::to_string(i);
    writer.submit(put_job(k, "v"), record(k), Lane::normal, 100);
  }
  writer.start();
  entered.get_future().wait();
  writer.submit(put_job("urgent", "v"), record("urgent"), Lane::urgent);
  release.set_value();
  writer.stop();

  const std::vector<std::string> expected{"n0", "urgent", "n1", "n2", "n3", "n4"};
  ASSERT_EQ(done_order.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(done_order[i].first, expected[i]) << i;
  EXPECT_EQ(done_order[0].second, 0);  // n0 alone in the first commit
  EXPECT_EQ(done_order[1].second, 1);  // the urgent job in the second
  EXPECT_EQ(done_order[2].second, 2);  // the rest after it
  EXPECT_EQ(writer.stats().urgent_cuts, 1u);
  EXPECT_EQ(writer.stats().jobs, 6u);
  for (const auto& k : expected) EXPECT_EQ(read_key(*env, k), "v") << k;
}

// Light normal jobs still share commits (the cap is on weight, not on job count).
TEST(Writer, LightJobsStillShareACommit) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  Writer writer(*env);
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  writer.start();
  writer.submit(
      [&entered, released](WriteTxn&) {
        entered.set_value();
        released.wait();
        return Status{};
      },
      nullptr);
  entered.get_future().wait();
  Outcomes out;
  for (int i = 0; i < 100; ++i) writer.submit(put_job("k" + std::to_string(i), "v"), out.done());
  release.set_value();
  writer.stop();
  EXPECT_EQ(out.ok_count(), 100u);
  EXPECT_EQ(writer.stats().commits, 2u);
}

TEST(Writer, FailingJobRollsBackOnlyItsOwnWrites) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  Writer writer(*env);
  Status a, b, c, d, e;
  // Submitted before start(): the first batch holds all of them.
  writer.submit(put_job("a", "1"), [&](Status s) { a = std::move(s); });
  writer.submit(
      [](WriteTxn& txn) -> Status {
        Status s = txn.put(Table::certs, as_bytes("b"), as_bytes("2"));
        if (!s.ok()) return s;
        return make_error(ErrorKind::invalid, "job_refused", "changed my mind");
      },
      [&](Status s) { b = std::move(s); });
  writer.submit(
      [](WriteTxn& txn) -> Status {
        (void)txn.put(Table::certs, as_bytes("c"), as_bytes("3"));
        throw std::runtime_error("boom");
      },
      [&](Status s) { c = std::move(s); });
  writer.submit(
      [](WriteTxn& txn) -> Status {
        (void)txn.put(Table::certs, as_bytes("d"), as_bytes("4"));
        (void)txn.put(Table::certs, ByteView(), as_bytes("x"));  // error the job ignores
        return {};
      },
      [&](Status s) { d = std::move(s); });
  writer.submit(put_job("e", "5"), [&](Status s) { e = std::move(s); });
  writer.start();
  writer.stop();

  EXPECT_TRUE(a.ok());
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, "job_refused");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "internal_error");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, "storage_error");  // the sticky error surfaced at commit
  EXPECT_TRUE(e.ok());
  const WriterStats st = writer.stats();
  EXPECT_EQ(st.commits, 1u);  // one transaction for the whole batch
  EXPECT_EQ(st.jobs, 5u);
  EXPECT_EQ(st.failed_jobs, 3u);

  EXPECT_EQ(read_key(*env, "a"), "1");
  EXPECT_EQ(read_key(*env, "b"), std::nullopt);
  EXPECT_EQ(read_key(*env, "c"), std::nullopt);
  EXPECT_EQ(read_key(*env, "d"), std::nullopt);
  EXPECT_EQ(read_key(*env, "e"), "5");
}

TEST(Writer, ThrowingDoneDoesNotKillTheThread) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  Writer writer(*env);
  writer.start();
  writer.submit(put_job("x", "1"), [](Status) { throw std::runtime_error("done threw"); });
  writer.submit(put_job("y", "2"), [](Status) { throw 42; });
  EXPECT_TRUE(writer.run_sync(put_job("z", "3")).ok());
  EXPECT_EQ(read_key(*env, "x"), "1");
  EXPECT_EQ(read_key(*env, "z"), "3");
}

TEST(Writer, CommitListenerRunsAfterEachDurableCommitOnly) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  Writer writer(*env);
  std::atomic<int> commits{0};
  std::atomic<bool> saw_data{false};
  Env* e = env.get();
  writer.set_on_commit([&] {
    ++commits;
    // The commit is visible to readers by the time the listener runs.
    if (read_key(*e, "k") == "v") saw_data = true;
  });
  writer.start();
  ASSERT_TRUE(writer.run_sync(put_job("k", "v")).ok());
  writer.stop();
  EXPECT_GE(commits.load(), 1);
  EXPECT_TRUE(saw_data.load());
}

TEST(Writer, RunSyncReturnsTheJobStatus) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  Writer writer(*env);
  writer.start();
  EXPECT_TRUE(writer.run_sync(put_job("k", "v")).ok());
  Status refused = writer.run_sync([](WriteTxn&) -> Status { return make_error(ErrorKind::invalid, "nope", "no"); });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "nope");
  // From the Writer thread itself run_sync would wait for itself: refused.
  Status inner;
  writer.submit(put_job("w", "1"), [&](Status) { inner = writer.run_sync(put_job("w2", "2")); });
  writer.stop();
  ASSERT_FALSE(inner.ok());
  EXPECT_EQ(inner.error().code, "internal_error");
}

TEST(Writer, EventsAppendedAcrossBatchesFormOneChain) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  Writer writer(*env, WriterOptions{8, std::chrono::microseconds(100)});
  writer.start();
  Outcomes out;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        writer.submit(
            [t, i](WriteTxn& txn) -> Status {
              EventIn ev;
              ev.type = "test.event";
              ev.actor = "thread-" + std::to_string(t);
              ev.payload = std::to_string(i);
              auto seq = append_event(txn, ev);
              if (!seq.ok()) return std::move(seq).error();
              // Every other job fails after appending: its event must vanish cleanly.
              if (i % 2 == 1) return make_error(ErrorKind::invalid, "rolled_back", "odd");
              return {};
            },
            out.done());
      }
    });
  }
  for (auto& th : threads) th.join();
  writer.stop();
  EXPECT_EQ(out.ok_count(), 80u);
  auto rtxn = ReadTxn::begin(*env);
  ASSERT_TRUE(rtxn.ok());
  ReadScope scope(*rtxn);
  auto check = verify_event_chain(*rtxn);
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->ok) << check->reason;
  EXPECT_EQ(check->events, 80u);
}

TEST(Writer, GrowsTheMapAndReadersKeepWorking) {
  TempDir dir;
  auto env = open_env(dir.path(), std::size_t{1} << 20);
  ASSERT_TRUE(env);
  const std::size_t initial = env->map_size();
  const std::string sentinel(3000, 's');
  Writer writer(*env, WriterOptions{32, std::chrono::microseconds(200)});
  writer.start();
  ASSERT_TRUE(writer.run_sync(put_job("sentinel", sentinel)).ok());

  std::atomic<bool> done{false};
  std::atomic<int> reader_errors{0};
  std::atomic<long> reads{0};
  std::thread reader([&] {
    auto rtxn = ReadTxn::begin(*env);
    if (!rtxn.ok()) {
      ++reader_errors;
      return;
    }
    while (!done.load()) {
      ReadScope scope(*rtxn);
      if (!scope.status().ok()) {
        ++reader_errors;
        continue;
      }
      auto v = rtxn->get(Table::certs, as_bytes("sentinel"));
      if (!v.ok() || !v->has_value() || str(**v) != sentinel) ++reader_errors;
      // Count what is visible so far through a cursor (touches many pages).
      auto cur = Cursor::open(*rtxn, Table::certs);
      if (!cur.ok()) {
        ++reader_errors;
        continue;
      }
      for (auto more = cur->first(); more.ok() && *more; more = cur->next()) {
        if (cur->value().empty()) ++reader_errors;
      }
      ++reads;
    }
  });

  constexpr int kThreads = 4;
  constexpr int kPerThread = 100;
  const std::string blob(16 * 1024, 'b');  // ~6.5 MB in all: several doublings of 1 MiB
  Outcomes out;
  std::vector<std::thread> submitters;
  for (int t = 0; t < kThreads; ++t) {
    submitters.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        writer.submit(put_job("blob-" + std::to_string(t) + "-" + std::to_string(i), blob),
                      out.done());
      }
    });
  }
  for (auto& th : submitters) th.join();
  writer.stop();
  done = true;
  reader.join();

  EXPECT_EQ(out.ok_count(), std::size_t{kThreads * kPerThread});
  EXPECT_GT(writer.stats().map_grows, 0u);
  EXPECT_GT(env->map_size(), initial);
  EXPECT_EQ(reader_errors.load(), 0);
  EXPECT_GT(reads.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; i += 7) {
      EXPECT_EQ(read_key(*env, "blob-" + std::to_string(t) + "-" + std::to_string(i)), blob);
    }
  }
}

// A batch whose jobs together dirty more pages than one LMDB transaction may hold
// (MDB_TXN_FULL: 131,072 pages of 4 KiB, a limit compiled into LMDB): the Writer commits
// it in parts instead of failing it, every job succeeds, and every value is there after
// a reopen. Each value fills one overflow page, so ~560 MB is written.
TEST(Writer, BatchPastTheDirtyPageLimitIsCommittedInParts) {
  TempDir dir;
  constexpr int kJobs = 700;
  constexpr int kPerJob = 200;  // 140,000 pages in all, past the 131,072 limit
  const auto key_of = [](int j, int i) { return "big-" + std::to_string(j) + "-" + std::to_string(i); };
  const auto value_of = [](int j, int i) {
    std::string v = std::to_string(j) + "/" + std::to_string(i) + "/";
    v.resize(3900, 'x');
    return v;
  };
  {
    auto env = open_env(dir.path(), std::size_t{2} << 30);  // no map growth on the way
    ASSERT_TRUE(env);
    WriterOptions options;
    options.max_batch = 100000;
    options.max_delay = std::chrono::milliseconds(0);
    options.max_commit_weight = std::size_t{1} << 30;  // the whole queue in one batch
    Writer writer(*env, options);
    std::atomic<int> commits{0};
    writer.set_on_commit([&] { ++commits; });
    // Each job's Done sees the commits that ran before it: a job is answered only after
    // the commit that holds it.
    std::vector<int> done_after(kJobs, -1);
    std::mutex mu;
    Outcomes out;
    for (int j = 0; j < kJobs; ++j) {
      writer.submit(
          [j, &key_of, &value_of](WriteTxn& txn) -> Status {
            for (int i = 0; i < kPerJob; ++i) {
              if (Status s = txn.put(Table::certs, as_bytes(key_of(j, i)), as_bytes(value_of(j, i))); !s) return s;
            }
            return {};
          },
          [&, j](Status s) {
            {
              std::lock_guard<std::mutex> lock(mu);
              done_after[static_cast<std::size_t>(j)] = commits.load();
            }
            out.done()(std::move(s));
          });
    }
    writer.start();  // everything queued: one batch, as large as it gets
    writer.stop();
    for (const Status& s : out.all) EXPECT_TRUE(s.ok()) << s.error().code << ": " << s.error().message;
    EXPECT_EQ(out.ok_count(), std::size_t{kJobs});
    const WriterStats stats = writer.stats();
    EXPECT_GE(stats.txn_full_cuts, 1u);
    EXPECT_GE(stats.commits, 2u);
    EXPECT_EQ(stats.failed_jobs, 0u);
    EXPECT_EQ(stats.jobs, std::uint64_t{kJobs});
    // Answered in submission order, parts in order: the first part's jobs before the
    // second commit, the last job after the last commit but one.
    EXPECT_EQ(done_after.front(), 0);
    EXPECT_EQ(done_after.back(), static_cast<int>(stats.commits) - 1);
    for (int j = 1; j < kJobs; ++j) EXPECT_LE(done_after[j - 1], done_after[j]) << j;
  }
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  auto rtxn = ReadTxn::begin(*env);
  ASSERT_TRUE(rtxn.ok());
  ReadScope scope(*rtxn);
  int found = 0;
  for (int j = 0; j < kJobs; ++j) {
    for (int i = 0; i < kPerJob; ++i) {
      auto v = rtxn->get(Table::certs, as_bytes(key_of(j, i)));
      ASSERT_TRUE(v.ok());
      if (v->has_value() && str(**v) == value_of(j, i)) ++found;
    }
  }
  EXPECT_EQ(found, kJobs * kPerJob);
}

TEST(Writer, DataSurvivesCloseAndReopen) {
  TempDir dir;
  {
    auto env = open_env(dir.path());
    ASSERT_TRUE(env);
    Writer writer(*env);
    writer.start();
    ASSERT_TRUE(writer.run_sync(put_job("kept", "yes")).ok());
  }  // Writer stops, then the Env closes
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  EXPECT_EQ(read_key(*env, "kept"), "yes");
}

TEST(Writer, StopDrainsPendingJobs) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  Outcomes out;
  {
    Writer writer(*env, WriterOptions{16, std::chrono::microseconds(50000)});
    writer.start();
    for (int i = 0; i < 200; ++i) writer.submit(put_job("p" + std::to_string(i), "v"), out.done());
    writer.stop();  // long max_delay: stop must not wait for it, and must not drop jobs
    EXPECT_EQ(out.all.size(), 200u);
    EXPECT_GE(writer.stats().commits, 200u / 16);
  }
  EXPECT_EQ(out.ok_count(), 200u);
  EXPECT_EQ(read_key(*env, "p0"), "v");
  EXPECT_EQ(read_key(*env, "p199"), "v");
}

TEST(Writer, StopWithoutStartStillRunsSubmittedJobs) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  Outcomes out;
  Writer writer(*env);
  writer.submit(put_job("never-started", "v"), out.done());
  writer.stop();
  EXPECT_EQ(out.ok_count(), 1u);
  EXPECT_EQ(read_key(*env, "never-started"), "v");
}

TEST(Writer, SubmitAfterStopFailsAtOnce) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  Writer writer(*env);
  writer.start();
  writer.stop();
  bool called = false;
  bool job_ran = false;
  writer.submit(
      [&](WriteTxn&) -> Status {
        job_ran = true;
        return {};
      },
      [&](Status s) {
        called = true;
        ASSERT_FALSE(s.ok());
        EXPECT_EQ(s.error().code, "shutting_down");
      });
  EXPECT_TRUE(called);  // synchronously, on the submitting thread
  EXPECT_FALSE(job_ran);
  Status s = writer.run_sync(put_job("late", "v"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "shutting_down");
  EXPECT_EQ(read_key(*env, "late"), std::nullopt);
  writer.stop();  // idempotent
}

// The child commits through the Writer, reports Done(ok) over a pipe and is then
// killed with SIGKILL: what Done reported must be on disk for the next open.
TEST(Writer, CommittedDataSurvivesKill9) {
  TempDir dir;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    const int out = fds[1];
    EnvOptions o;
    o.path = dir.path();
    o.initial_map_size = std::size_t{4} << 20;
    auto env = Env::open(o);
    if (!env.ok()) {
      (void)!write(out, "E", 1);
      _exit(1);
    }
    // Deliberately leaked: the process dies by SIGKILL with the Writer running.
    auto* writer = new Writer(**env);
    writer->start();
    writer->submit(put_job("crash-safe", "committed"), [out](Status s) {
      const char c = s.ok() ? 'K' : 'E';
      (void)!write(out, &c, 1);
    });
    for (;;) pause();
  }
  close(fds[1]);
  char c = 0;
  const ssize_t n = read(fds[0], &c, 1);
  close(fds[0]);
  kill(child, SIGKILL);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_EQ(n, 1);
  ASSERT_EQ(c, 'K');
  EXPECT_TRUE(WIFSIGNALED(wstatus));

  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  EXPECT_EQ(read_key(*env, "crash-safe"), "committed");
}

}  // namespace
}  // namespace trustmon::storage
