// Table walks (storage/scan.hpp): order, ranges and prefixes, early stop, the first
// error ending the walk, decoded listings, the last entry; and the debug check that a
// Cursor ends before its transaction.
#include "storage/scan.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/support/temp_env.hpp"

namespace trustmon::storage {
namespace {

using testing::open_env;
using testing::str;
using testing::TempDir;

using Pairs = std::vector<std::pair<std::string, std::string>>;

class ScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = open_env(dir_.path());
    ASSERT_TRUE(env_);
    auto txn = WriteTxn::begin(*env_);
    ASSERT_TRUE(txn.ok());
    // tl_model keys are free-form: a few prefixes with neighbours on both sides.
    for (const char* k : {"a", "b/1", "b/2", "b/3", "ba", "c"})
      ASSERT_TRUE(txn->put(Table::tl_model, as_bytes(k), as_bytes(std::string("v:") + k)).ok());
    ASSERT_TRUE(txn->commit().ok());
    auto rtxn = ReadTxn::begin(*env_);
    ASSERT_TRUE(rtxn.ok());
    rtxn_.emplace(std::move(*rtxn));
  }

  // Collects what a walk visits.
  auto recorder(Pairs& out) {
    return [&out](ByteView k, ByteView v) { out.emplace_back(str(k), str(v)); };
  }

  TempDir dir_;
  std::unique_ptr<Env> env_;
  std::optional<ReadTxn> rtxn_;
};

TEST_F(ScanTest, ForEachVisitsEveryEntryInKeyOrder) {
  ReadScope scope(*rtxn_);
  ASSERT_TRUE(scope.status().ok());
  Pairs seen;
  ASSERT_TRUE(for_each(*rtxn_, Table::tl_model, recorder(seen)).ok());
  const Pairs expected = {{"a", "v:a"}, {"b/1", "v:b/1"}, {"b/2", "v:b/2"},
                          {"b/3", "v:b/3"}, {"ba", "v:ba"}, {"c", "v:c"}};
  EXPECT_EQ(seen, expected);

  Pairs none;
  ASSERT_TRUE(for_each(*rtxn_, Table::issuers, recorder(none)).ok());  // an empty table
  EXPECT_TRUE(none.empty());
}

TEST_F(ScanTest, ForEachFromAndPrefix) {
  ReadScope scope(*rtxn_);
  Pairs from;
  ASSERT_TRUE(for_each_from(*rtxn_, Table::tl_model, as_bytes("b/2"), recorder(from)).ok());
  ASSERT_EQ(from.size(), 4u);
  EXPECT_EQ(from.front().first, "b/2");
  EXPECT_EQ(from.back().first, "c");

  Pairs prefixed;
  ASSERT_TRUE(for_each_prefix(*rtxn_, Table::tl_model, as_bytes("b/"), recorder(prefixed)).ok());
  const Pairs expected = {{"b/1", "v:b/1"}, {"b/2", "v:b/2"}, {"b/3", "v:b/3"}};
  EXPECT_EQ(prefixed, expected);

  Pairs absent;
  ASSERT_TRUE(for_each_prefix(*rtxn_, Table::tl_model, as_bytes("bb"), recorder(absent)).ok());
  EXPECT_TRUE(absent.empty());
  Pairs past_end;
  ASSERT_TRUE(for_each_prefix(*rtxn_, Table::tl_model, as_bytes("z"), recorder(past_end)).ok());
  EXPECT_TRUE(past_end.empty());
  Pairs all;
  ASSERT_TRUE(for_each_prefix(*rtxn_, Table::tl_model, ByteView(), recorder(all)).ok());
  EXPECT_EQ(all.size(), 6u);
  Pairs from_start;
  ASSERT_TRUE(for_each_from(*rtxn_, Table::tl_model, ByteView(), recorder(from_start)).ok());
  EXPECT_EQ(from_start, all);
}

TEST_F(ScanTest, CallbackStopsWithFalseWithoutAnError) {
  ReadScope scope(*rtxn_);
  std::vector<std::string> keys;
  Status s = for_each(*rtxn_, Table::tl_model, [&keys](ByteView k, ByteView) {
    keys.push_back(str(k));
    return keys.size() < 2;
  });
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b/1"}));
}

TEST_F(ScanTest, TheCallbacksFirstErrorEndsTheWalkAndIsReturned) {
  ReadScope scope(*rtxn_);
  std::vector<std::string> keys;
  Status s = for_each(*rtxn_, Table::tl_model, [&keys](ByteView k, ByteView) -> Status {
    keys.push_back(str(k));
    if (keys.size() == 3) return make_error(ErrorKind::conflict, "taken", "third");
    return {};
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "taken");
  EXPECT_EQ(s.error().kind, ErrorKind::conflict);
  EXPECT_EQ(keys.size(), 3u);  // nothing ran after the error

  keys.clear();
  Status r = for_each_prefix(*rtxn_, Table::tl_model, as_bytes("b/"), [&keys](ByteView k, ByteView) -> Result<bool> {
    keys.push_back(str(k));
    if (keys.size() == 2) return false;  // stop, no error
    return true;
  });
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"b/1", "b/2"}));

  Status e = for_each_from(*rtxn_, Table::tl_model, as_bytes("b"), [](ByteView, ByteView) -> Result<bool> {
    return make_error(ErrorKind::storage, "storage_corrupt", "bad record");
  });
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, "storage_corrupt");
}

TEST_F(ScanTest, AStorageErrorIsReturned) {
  // No ReadScope: the transaction is not active, so the cursor cannot open.
  bool called = false;
  Status s = for_each(*rtxn_, Table::tl_model, [&called](ByteView, ByteView) { called = true; });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "storage_error");
  EXPECT_FALSE(called);
}

TEST_F(ScanTest, ACursorTheCallerOwnsStartsAfterAKeyAndLooksPastTheWalk) {
  ReadScope scope(*rtxn_);
  auto cur = Cursor::open(*rtxn_, Table::tl_model);
  ASSERT_TRUE(cur.ok());
  auto at = cur->seek(as_bytes("b/1"));
  ASSERT_TRUE(at.ok() && *at);
  at = cur->next();  // start after b/1
  std::vector<std::string> keys;
  Status s = for_each_prefix(*cur, std::move(at), as_bytes("b/"), [&keys](ByteView k, ByteView) {
    keys.push_back(str(k));
    return keys.size() < 1;  // a page of one
  });
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"b/2"}));
  auto more = cur->next();  // is there a next page?
  ASSERT_TRUE(more.ok() && *more);
  EXPECT_EQ(str(cur->key()), "b/3");

  // A failed positioning call is the walk's error.
  Status failed = for_each(*cur, Result<bool>(make_error(ErrorKind::storage, "storage_error", "seek")),
                           [](ByteView, ByteView) { ADD_FAILURE() << "visited after an error"; });
  EXPECT_FALSE(failed.ok());
}

TEST_F(ScanTest, WalksAWriteTransaction) {
  auto txn = WriteTxn::begin(*env_);
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE(txn->put(Table::tl_model, as_bytes("b/4"), as_bytes("v:b/4")).ok());
  Pairs seen;
  ASSERT_TRUE(for_each_prefix(*txn, Table::tl_model, as_bytes("b/"), recorder(seen)).ok());
  EXPECT_EQ(seen.size(), 4u);  // sees its own uncommitted write
  auto last = last_entry(*txn, Table::tl_model);
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ(str((*last)->key), "c");
  EXPECT_EQ(str((*last)->value), "v:c");
  ASSERT_TRUE(txn->commit().ok());  // no cursor left open
}

TEST_F(ScanTest, LastEntryOfAnEmptyTable) {
  ReadScope scope(*rtxn_);
  auto last = last_entry(*rtxn_, Table::issuers);
  ASSERT_TRUE(last.ok());
  EXPECT_FALSE(last->has_value());
}

Result<std::string> decode_text(ByteView v) {
  if (v.size() < 2 || v[0] != 'v') return make_error(ErrorKind::storage, "storage_corrupt", "not a value");
  return std::string(as_chars(v.subspan(2)));
}

TEST_F(ScanTest, CollectDecodesKeepsAndRefusesAnUndecodableValue) {
  {
    ReadScope scope(*rtxn_);
    auto all = collect(*rtxn_, Table::tl_model, decode_text);
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(*all, (std::vector<std::string>{"a", "b/1", "b/2", "b/3", "ba", "c"}));
    auto some = collect(*rtxn_, Table::tl_model, decode_text, [](const std::string& s) { return s.size() == 1; });
    ASSERT_TRUE(some.ok());
    EXPECT_EQ(*some, (std::vector<std::string>{"a", "c"}));
  }
  auto txn = WriteTxn::begin(*env_);
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE(txn->put(Table::tl_model, as_bytes("bad"), as_bytes("x")).ok());
  ASSERT_TRUE(txn->commit().ok());
  ReadScope scope(*rtxn_);
  auto broken = collect(*rtxn_, Table::tl_model, decode_text);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, "storage_corrupt");
}

TEST(CursorDeathTest, ACursorOutlivingItsSnapshotIsCaughtInDebugBuilds) {
  // In a release build this runs and does nothing wrong: LMDB lets a read cursor be
  // closed after its transaction was reset. In a debug build the reset asserts.
  EXPECT_DEBUG_DEATH(
      {
        TempDir dir;
        auto env = open_env(dir.path());
        auto rtxn = ReadTxn::begin(*env);
        if (rtxn.ok() && rtxn->renew().ok()) {
          auto cur = Cursor::open(*rtxn, Table::certs);
          rtxn->reset();  // the cursor is still open
        }
      },
      "outlived its transaction");
}

}  // namespace
}  // namespace trustmon::storage
