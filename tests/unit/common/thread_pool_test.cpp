#include "common/thread_pool.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace trustmon {
namespace {

TEST(ThreadPool, RunsEveryTaskAndDrainsOnDestruction) {
  std::atomic<int> done{0};
  {
    ThreadPool pool(2, "test");
    EXPECT_EQ(pool.size(), 2u);
    for (int i = 0; i < 1000; ++i) pool.submit([&done] { done.fetch_add(1); });
  }  // the destructor finishes what was queued
  EXPECT_EQ(done.load(), 1000);
}

TEST(ThreadPool, AThrowingTaskDoesNotStopThePool) {
  std::atomic<int> done{0};
  {
    ThreadPool pool(1, "test");
    pool.submit([] { throw std::runtime_error("boom"); });
    pool.submit([&done] { done.fetch_add(1); });
  }
  EXPECT_EQ(done.load(), 1);
}

// A pool made with a nice value runs its tasks at that priority relative to the process
// (the thread that made it keeps its own).
TEST(ThreadPool, NiceLowersOnlyThePoolsThreads) {
  errno = 0;
  const int base = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
  ASSERT_EQ(errno, 0);
  if (base > 19 - 5) GTEST_SKIP() << "already at nice " << base;
  std::atomic<int> seen{-100};
  {
    ThreadPool pool(1, "test", 5);
    pool.submit([&seen] { seen = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid())); });
  }
  EXPECT_EQ(seen.load(), base + 5);
  EXPECT_EQ(::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid())), base);
}

TEST(ThreadPool, ZeroMeansAtLeastOneThread) {
  ThreadPool pool(0, "test");
  EXPECT_GE(pool.size(), 1u);
}


// Holds a pool thread until released.
class Gate {
 public:
  void wait() { opened_.wait(); }
  void open() { promise_.set_value(); }

 private:
  std::promise<void> promise_;
  std::shared_future<void> opened_ = promise_.get_future().share();
};

// A revocation queued behind an import's chunks runs as soon as the thread is free,
// before every chunk that was queued earlier.
TEST(ThreadPool, UrgentTaskRunsBeforeEarlierNormalTasks) {
  Gate gate;
  std::promise<void> blocked;
  std::mutex mu;
  std::vector<int> order;
  {
    ThreadPool pool(1, "test");
    pool.submit([&] {
      blocked.set_value();
      gate.wait();
    });
    blocked.get_future().wait();  // the only thread is busy: everything below queues
    for (int i = 1; i <= 20; ++i) {
      pool.submit([&, i] {
        std::lock_guard<std::mutex> lock(mu);
        order.push_back(i);
      });
    }
    pool.submit(
        [&] {
          std::lock_guard<std::mutex> lock(mu);
          order.push_back(-1);
        },
        Lane::urgent);
    pool.submit(
        [&] {
          std::lock_guard<std::mutex> lock(mu);
          order.push_back(-2);
        },
        Lane::urgent);
    gate.open();
  }
  ASSERT_EQ(order.size(), 22u);
  EXPECT_EQ(order[0], -1);  // urgent first, in their own submission order
  EXPECT_EQ(order[1], -2);
  for (int i = 1; i <= 20; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i + 1)], i);
}

// With an urgent-only thread, an urgent task runs while every normal thread is still busy
// with a long task, and the urgent-only thread never takes normal work.
TEST(ThreadPool, UrgentThreadServesTheUrgentLaneWhileNormalThreadsAreBusy) {
  Gate gate;
  std::promise<void> blocked;
  std::atomic<bool> normal_ran{false};
  std::atomic<bool> gate_open{false};
  std::promise<bool> urgent_saw_gate;
  {
    ThreadPool pool(1, "test", 0, 1);
    EXPECT_EQ(pool.size(), 1u);
    EXPECT_EQ(pool.urgent_threads(), 1u);
    pool.submit([&] {
      blocked.set_value();
      gate.wait();
    });
    blocked.get_future().wait();
    pool.submit([&] { normal_ran = true; });
    auto urgent_done = urgent_saw_gate.get_future();
    pool.submit([&] { urgent_saw_gate.set_value(gate_open.load()); }, Lane::urgent);
    // Ordering, not time: the urgent task completes while the gate is still shut. The wait
    // only bounds how long a broken pool makes the test hang.
    const bool ran = urgent_done.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
    EXPECT_TRUE(ran);
    if (ran) {
      EXPECT_FALSE(urgent_done.get());
    }
    EXPECT_FALSE(normal_ran.load());  // the urgent-only thread left it for the normal one
    gate_open = true;
    gate.open();
  }
  EXPECT_TRUE(normal_ran.load());
}

}  // namespace
}  // namespace trustmon
