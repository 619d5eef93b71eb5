// The event feed: committed events reach matching subscriptions in order, long polls end
// at their deadline, and a subscription whose actor stops being valid is ended with the
// validator's reason within the revalidation interval.
#include "responder/feed/feed.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>

#include "storage/writer.hpp"
#include "tests/support/temp_env.hpp"

namespace trustmon::feed {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class FeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = storage::testing::open_env(dir_.path());
    ASSERT_TRUE(env_);
    writer_ = std::make_unique<storage::Writer>(*env_);
    FeedOptions options;
    options.revalidate_interval = 50ms;
    feed_ = std::make_unique<Feed>(
        *env_, clock_,
        [this](const storage::ReadTxn&, const Actor& a, UnixTime) -> std::optional<Error> {
          if (a.participant == blocked_.load()) return make_error(ErrorKind::invalid, "participant_blocked", "blocked");
          return std::nullopt;
        },
        options);
    writer_->set_on_commit([this] { feed_->notify(); });
    writer_->start();
    feed_->start();
  }
  void TearDown() override {
    feed_->stop();
    writer_->stop();
  }
  void append(const std::string& type, const std::string& actor) {
    ASSERT_TRUE(writer_
                    ->run_sync([&](storage::WriteTxn& txn) -> Status {
                      auto s = storage::append_event(txn, {type, actor, "{}", clock_.now()});
                      if (!s) return std::move(s).error();
                      return {};
                    })
                    .ok());
  }

  storage::testing::TempDir dir_;
  FixedClock clock_{1800000000};
  std::unique_ptr<storage::Env> env_;
  std::unique_ptr<storage::Writer> writer_;
  std::unique_ptr<Feed> feed_;
  std::atomic<std::uint32_t> blocked_{0xffffffff};  // nobody
};

TEST_F(FeedTest, DeliversMatchingEventsInOrder) {
  std::mutex mu;
  std::vector<std::string> got;
  std::promise<void> three;
  Subscription sub;
  sub.actor.participant = 1;
  sub.match = [](const storage::ReadTxn&, const storage::EventRecord& e, std::vector<json>& out) {
    if (e.actor == "mine") out.push_back(json{{"seq", e.seq}, {"type", e.type}});
  };
  sub.deliver = [&](std::vector<json>&& events, std::uint64_t) {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& e : events) got.push_back(e["type"]);
    if (got.size() == 3) three.set_value();
    return true;
  };
  feed_->subscribe(std::move(sub));
  append("a", "mine");
  append("b", "theirs");
  append("c", "mine");
  append("d", "mine");
  ASSERT_EQ(three.get_future().wait_for(2s), std::future_status::ready);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(got, (std::vector<std::string>{"a", "c", "d"}));
  EXPECT_EQ(feed_->head(), 4U);
}

TEST_F(FeedTest, ReplayFromACursorAndOneShotEndsAfterDelivery) {
  append("old1", "x");
  append("old2", "x");
  std::promise<std::pair<std::size_t, std::uint64_t>> done;
  Subscription sub;
  sub.cursor = 1;  // replay from after event 1
  sub.one_shot = true;
  sub.match = [](const storage::ReadTxn&, const storage::EventRecord& e, std::vector<json>& out) {
    out.push_back(json{{"seq", e.seq}});
  };
  sub.deliver = [&](std::vector<json>&& events, std::uint64_t cursor) {
    done.set_value({events.size(), cursor});
    return true;
  };
  feed_->subscribe(std::move(sub));
  auto f = done.get_future();
  ASSERT_EQ(f.wait_for(2s), std::future_status::ready);
  auto [n, cursor] = f.get();
  EXPECT_EQ(n, 1U);
  EXPECT_EQ(cursor, 2U);
  EXPECT_TRUE([&] {
    for (int i = 0; i < 100 && feed_->subscriptions() != 0; ++i) std::this_thread::sleep_for(10ms);
    return feed_->subscriptions() == 0;
  }());
}

TEST_F(FeedTest, LongPollTimesOutWithItsCursor) {
  append("seen", "x");
  std::promise<std::pair<std::string, std::uint64_t>> closed;
  Subscription sub;
  sub.cursor = 0;
  sub.one_shot = true;
  sub.deadline = std::chrono::steady_clock::now() + 100ms;
  sub.match = [](const storage::ReadTxn&, const storage::EventRecord&, std::vector<json>&) {};
  sub.deliver = [](std::vector<json>&&, std::uint64_t) { return true; };
  sub.closed = [&](const Error& why, std::uint64_t cursor) { closed.set_value({why.code, cursor}); };
  feed_->subscribe(std::move(sub));
  auto f = closed.get_future();
  ASSERT_EQ(f.wait_for(2s), std::future_status::ready);
  auto [code, cursor] = f.get();
  EXPECT_EQ(code, "timeout");
  EXPECT_EQ(cursor, 1U);  // examined, nothing matched
}

TEST_F(FeedTest, InvalidActorIsEndedWithinTheInterval) {
  std::promise<std::string> closed;
  Subscription sub;
  sub.actor.participant = 7;
  sub.match = [](const storage::ReadTxn&, const storage::EventRecord&, std::vector<json>&) {};
  sub.deliver = [](std::vector<json>&&, std::uint64_t) { return true; };
  sub.closed = [&](const Error& why, std::uint64_t) { closed.set_value(why.code); };
  feed_->subscribe(std::move(sub));
  Subscription other;
  other.actor.participant = 8;
  other.match = sub.match;
  other.deliver = [](std::vector<json>&&, std::uint64_t) { return true; };
  feed_->subscribe(std::move(other));
  std::this_thread::sleep_for(120ms);
  EXPECT_EQ(feed_->subscriptions(), 2U);
  const auto t0 = std::chrono::steady_clock::now();
  blocked_ = 7;
  feed_->revalidate_now();
  auto f = closed.get_future();
  ASSERT_EQ(f.wait_for(1s), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
  EXPECT_EQ(f.get(), "participant_blocked");
  EXPECT_EQ(feed_->subscriptions(), 1U);
}

TEST_F(FeedTest, StopEndsEverySubscription) {
  std::atomic<int> ended{0};
  for (int i = 0; i < 3; ++i) {
    Subscription sub;
    sub.match = [](const storage::ReadTxn&, const storage::EventRecord&, std::vector<json>&) {};
    sub.deliver = [](std::vector<json>&&, std::uint64_t) { return true; };
    sub.closed = [&](const Error& why, std::uint64_t) {
      EXPECT_EQ(why.code, "shutting_down");
      ++ended;
    };
    feed_->subscribe(std::move(sub));
  }
  feed_->stop();
  EXPECT_EQ(ended.load(), 3);
}

}  // namespace
}  // namespace trustmon::feed
