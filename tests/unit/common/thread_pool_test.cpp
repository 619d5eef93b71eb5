#include "common/thread_pool.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <stdexcept>

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

}  // namespace
}  // namespace trustmon
