#include "common/thread_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
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

TEST(ThreadPool, ZeroMeansAtLeastOneThread) {
  ThreadPool pool(0, "test");
  EXPECT_GE(pool.size(), 1u);
}

}  // namespace
}  // namespace trustmon
