// Following the event log (storage/event_tail.hpp): slices of at most `batch` events in
// sequence order, "more" when something follows, early stop by the reader, and an
// undecodable event that stops every read at the same place.
#include "storage/event_tail.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "tests/support/temp_env.hpp"

namespace trustmon::storage {
namespace {

using testing::open_env;
using testing::TempDir;

class EventTailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = open_env(dir_.path());
    ASSERT_TRUE(env_);
    auto rtxn = ReadTxn::begin(*env_);
    ASSERT_TRUE(rtxn.ok());
    rtxn_.emplace(std::move(*rtxn));
  }

  void append(int count) {
    auto txn = WriteTxn::begin(*env_);
    ASSERT_TRUE(txn.ok());
    for (int i = 0; i < count; ++i) {
      auto seq = append_event(*txn, {"certificate.issued", "p1", R"({"n":)" + std::to_string(i) + "}", 1700000000 + i});
      ASSERT_TRUE(seq.ok()) << seq.error().message;
    }
    ASSERT_TRUE(txn->commit().ok());
  }

  // Every event after `after`, read in slices as the feed does; the sequences seen.
  std::vector<std::uint64_t> follow(const EventTail& tail, std::uint64_t after, std::size_t* reads) {
    std::vector<std::uint64_t> seen;
    *reads = 0;
    for (;;) {
      ReadScope scope(*rtxn_);
      EXPECT_TRUE(scope.status().ok());
      auto read = tail.read(*rtxn_, after, [&seen](EventRecord&& e) { seen.push_back(e.seq); });
      EXPECT_TRUE(read.ok());
      if (!read.ok()) break;
      ++*reads;
      EXPECT_LE(read->events, tail.batch());
      after = read->last;
      if (!read->more) break;
    }
    return seen;
  }

  TempDir dir_;
  std::unique_ptr<Env> env_;
  std::optional<ReadTxn> rtxn_;
};

TEST_F(EventTailTest, ReadsEveryEventAfterThePositionOnceInOrderInSlices) {
  append(10);
  const EventTail tail(4);
  std::size_t reads = 0;
  EXPECT_EQ(follow(tail, 3, &reads), (std::vector<std::uint64_t>{4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(reads, 2u);  // 4..7, then 8..10 (which reaches the end: no third read)

  EXPECT_EQ(follow(tail, 0, &reads).size(), 10u);
  EXPECT_EQ(reads, 3u);
  EXPECT_TRUE(follow(tail, 10, &reads).empty());
}

TEST_F(EventTailTest, ASliceEndingExactlyAtTheHeadSaysNothingFollows) {
  append(4);
  ReadScope scope(*rtxn_);
  auto read = EventTail(4).read(*rtxn_, 0, [](const EventRecord&) {});
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->events, 4u);
  EXPECT_EQ(read->last, 4u);
  EXPECT_FALSE(read->more);
}

TEST_F(EventTailTest, AnEmptyLogAndTheLastPosition) {
  {
    ReadScope scope(*rtxn_);
    auto read = EventTail(10).read(*rtxn_, 0, [](const EventRecord&) { ADD_FAILURE(); });
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(read->last, 0u);
    EXPECT_EQ(read->events, 0u);
    EXPECT_FALSE(read->more);
    auto head = last_event_seq(*rtxn_);
    ASSERT_TRUE(head.ok());
    EXPECT_EQ(*head, 0u);
  }
  append(3);
  ReadScope scope(*rtxn_);
  auto head = last_event_seq(*rtxn_);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, 3u);
  // No sequence follows the largest one (after + 1 would wrap to the first event).
  auto read = EventTail(10).read(*rtxn_, std::numeric_limits<std::uint64_t>::max(),
                                 [](const EventRecord&) { ADD_FAILURE(); });
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->events, 0u);
  EXPECT_FALSE(read->more);
}

TEST_F(EventTailTest, TheReaderMayStopEarly) {
  append(5);
  ReadScope scope(*rtxn_);
  std::vector<std::uint64_t> seen;
  auto read = EventTail(100).read(*rtxn_, 1, [&seen](const EventRecord& e) {
    seen.push_back(e.seq);
    return seen.size() < 2;  // a page of two
  });
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{2, 3}));
  EXPECT_EQ(read->last, 3u);
  EXPECT_TRUE(read->more);

  seen.clear();
  auto to_end = EventTail(100).read(*rtxn_, 3, [&seen](const EventRecord& e) {
    seen.push_back(e.seq);
    return seen.size() < 2;  // stops on the last event: nothing follows
  });
  ASSERT_TRUE(to_end.ok());
  EXPECT_EQ(to_end->last, 5u);
  EXPECT_FALSE(to_end->more);

  auto refused = EventTail(100).read(*rtxn_, 0, [](const EventRecord& e) -> Status {
    if (e.seq == 2) return make_error(ErrorKind::internal, "reader_failed", "no");
    return {};
  });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "reader_failed");
}

TEST_F(EventTailTest, AnUndecodableEventStopsEveryReadBeforeIt) {
  append(5);
  {
    auto txn = WriteTxn::begin(*env_);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(txn->put(Table::events, encode_event_key(3), Bytes{0x7f}).ok());
    ASSERT_TRUE(txn->commit().ok());
  }
  const EventTail tail(10);
  for (int attempt = 0; attempt < 2; ++attempt) {
    ReadScope scope(*rtxn_);
    std::vector<std::uint64_t> seen;
    auto read = tail.read(*rtxn_, 0, [&seen](EventRecord&& e) { seen.push_back(e.seq); });
    ASSERT_FALSE(read.ok());
    EXPECT_EQ(read.error().code, "storage_corrupt");
    EXPECT_NE(read.error().message.find("event 3"), std::string::npos) << read.error().message;
    EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2}));
  }
  ReadScope scope(*rtxn_);
  std::vector<std::uint64_t> after;
  auto read = tail.read(*rtxn_, 3, [&after](EventRecord&& e) { after.push_back(e.seq); });
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(after, (std::vector<std::uint64_t>{4, 5}));
}

TEST_F(EventTailTest, ReadsInsideAWriteTransaction) {
  append(2);
  auto txn = WriteTxn::begin(*env_);
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE(append_event(*txn, {"watch.test", "p1", "{}", 1700000100}).ok());
  auto head = last_event_seq(*txn);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, 3u);
  std::vector<std::string> types;
  auto read = EventTail(10).read(*txn, 1, [&types](EventRecord&& e) { types.push_back(e.type); });
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(types, (std::vector<std::string>{"certificate.issued", "watch.test"}));
  txn->abort();
}

}  // namespace
}  // namespace trustmon::storage
