// The hash-chained event log: appends link correctly, and every kind of tampering with
// stored events (edit, removal, truncation, forgery at the tail) is found and named.
#include "storage/event_log.hpp"

#include <gtest/gtest.h>

#include <string>

#include "storage/records.hpp"
#include "tests/support/temp_env.hpp"

namespace trustmon::storage {
namespace {

using testing::open_env;
using testing::TempDir;

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = open_env(dir_.path());
    ASSERT_TRUE(env_);
  }

  void append(int count) {
    auto txn = WriteTxn::begin(*env_);
    ASSERT_TRUE(txn.ok());
    for (int i = 0; i < count; ++i) {
      EventIn e;
      e.type = "certificate.issued";
      e.actor = "participant-" + std::to_string(i % 3);
      e.payload = R"({"n":)" + std::to_string(i) + "}";
      e.time = 1700000000 + i;
      auto seq = append_event(*txn, e);
      ASSERT_TRUE(seq.ok()) << seq.error().message;
    }
    ASSERT_TRUE(txn->commit().ok());
  }

  ChainCheck verify() {
    auto rtxn = ReadTxn::begin(*env_);
    EXPECT_TRUE(rtxn.ok());
    ReadScope scope(*rtxn);
    EXPECT_TRUE(scope.status().ok());
    auto check = verify_event_chain(*rtxn);
    EXPECT_TRUE(check.ok());
    return check.ok() ? *check : ChainCheck{};
  }

  Bytes stored(std::uint64_t seq) {
    auto rtxn = ReadTxn::begin(*env_);
    EXPECT_TRUE(rtxn.ok());
    ReadScope scope(*rtxn);
    auto v = rtxn->get(Table::events, encode_event_key(seq));
    EXPECT_TRUE(v.ok() && v->has_value());
    return v.ok() && v->has_value() ? to_bytes(**v) : Bytes{};
  }

  // Raw access, as an attacker with the file would have.
  void overwrite(std::uint64_t seq, const Bytes& value) {
    auto txn = WriteTxn::begin(*env_);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(txn->put(Table::events, encode_event_key(seq), value).ok());
    ASSERT_TRUE(txn->commit().ok());
  }
  void remove(std::uint64_t seq) {
    auto txn = WriteTxn::begin(*env_);
    ASSERT_TRUE(txn.ok());
    auto gone = txn->del(Table::events, encode_event_key(seq));
    ASSERT_TRUE(gone.ok() && *gone);
    ASSERT_TRUE(txn->commit().ok());
  }

  TempDir dir_;
  std::unique_ptr<Env> env_;
};

TEST_F(EventLogTest, EmptyLogVerifies) {
  ChainCheck c = verify();
  EXPECT_TRUE(c.ok);
  EXPECT_EQ(c.events, 0u);
  EXPECT_EQ(c.first_broken, 0u);
}

TEST_F(EventLogTest, AppendsLinkAndVerify) {
  append(50);
  append(30);  // a second transaction continues the chain
  ChainCheck c = verify();
  EXPECT_TRUE(c.ok) << c.reason;
  EXPECT_EQ(c.events, 80u);
  EXPECT_EQ(c.first_broken, 0u);

  const Bytes k1 = encode_event_key(1), k2 = encode_event_key(2);
  const Bytes v1 = stored(1), v2 = stored(2);
  auto e1 = decode_event(k1, v1);
  auto e2 = decode_event(k2, v2);
  ASSERT_TRUE(e1.ok() && e2.ok());
  EXPECT_EQ(e1->seq, 1u);
  EXPECT_EQ(e1->prev_hash, Sha256{});
  EXPECT_EQ(e1->type, "certificate.issued");
  EXPECT_EQ(e1->actor, "participant-0");
  EXPECT_EQ(e1->payload, R"({"n":0})");
  EXPECT_EQ(e1->time, 1700000000);
  EXPECT_EQ(e2->prev_hash, event_hash(k1, v1));
}

TEST_F(EventLogTest, AppendReturnsConsecutiveSequences) {
  auto txn = WriteTxn::begin(*env_);
  ASSERT_TRUE(txn.ok());
  EventIn e;
  e.type = "t";
  auto a = append_event(*txn, e);
  auto b = append_event(*txn, e);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, 1u);
  EXPECT_EQ(*b, 2u);
  e.type.assign(70000, 'x');
  auto big = append_event(*txn, e);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, "event_too_large");
  EXPECT_TRUE(txn->commit().ok());
}

TEST_F(EventLogTest, EditedEventIsNamed) {
  append(20);
  Bytes v = stored(7);
  v.back() ^= 0x01;  // flip one payload bit
  overwrite(7, v);
  ChainCheck c = verify();
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.first_broken, 8u);
  EXPECT_EQ(c.reason.rfind("prev_hash mismatch", 0), 0u) << c.reason;
  EXPECT_NE(c.reason.find("event 7 altered"), std::string::npos) << c.reason;
}

TEST_F(EventLogTest, EditedFirstEventIsNamed) {
  append(5);
  Bytes v = stored(1);
  v[3] ^= 0xff;  // the time field
  overwrite(1, v);
  ChainCheck c = verify();
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.first_broken, 2u);
  EXPECT_NE(c.reason.find("event 1"), std::string::npos) << c.reason;
}

TEST_F(EventLogTest, ForgedPrevHashOnFirstEventIsCaught) {
  append(3);
  Bytes v = stored(1);
  v[9] ^= 0x01;  // first byte of prev_hash
  overwrite(1, v);
  ChainCheck c = verify();
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.first_broken, 1u);
  EXPECT_EQ(c.reason.rfind("prev_hash mismatch", 0), 0u) << c.reason;
}

TEST_F(EventLogTest, RemovedEventIsAGap) {
  append(10);
  remove(4);
  ChainCheck c = verify();
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.first_broken, 5u);
  EXPECT_EQ(c.reason.rfind("sequence gap", 0), 0u) << c.reason;
  EXPECT_NE(c.reason.find("expected 4"), std::string::npos) << c.reason;
}

TEST_F(EventLogTest, RemovedFirstEventIsAGap) {
  append(3);
  remove(1);
  ChainCheck c = verify();
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.first_broken, 2u);
  EXPECT_EQ(c.reason.rfind("sequence gap", 0), 0u) << c.reason;
}

TEST_F(EventLogTest, TruncatedEventIsUndecodable) {
  append(6);
  Bytes v = stored(3);
  v.resize(20);
  overwrite(3, v);
  ChainCheck c = verify();
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.first_broken, 3u);
  EXPECT_EQ(c.reason.rfind("undecodable", 0), 0u) << c.reason;
}

TEST_F(EventLogTest, EditedLastEventIsCaughtByTheHead) {
  append(12);
  Bytes v = stored(12);
  v.back() ^= 0x20;
  overwrite(12, v);
  ChainCheck c = verify();
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.first_broken, 12u);
  EXPECT_EQ(c.reason.rfind("head mismatch", 0), 0u) << c.reason;
  EXPECT_EQ(c.events, 12u);
}

TEST_F(EventLogTest, RemovedLastEventsAreCaughtByTheHead) {
  append(12);
  remove(12);
  remove(11);
  ChainCheck c = verify();
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.first_broken, 11u);
  EXPECT_EQ(c.reason.rfind("head mismatch", 0), 0u) << c.reason;
}

TEST_F(EventLogTest, EventAppendedBehindTheLogsBackIsCaught) {
  append(4);
  // A well-formed, correctly linked event written without append_event.
  const Bytes k4 = encode_event_key(4);
  const Bytes v4 = stored(4);
  Bytes forged = stored(4);
  const Sha256 link = event_hash(k4, v4);
  std::copy(link.begin(), link.end(), forged.begin() + 9);
  overwrite(5, forged);
  ChainCheck c = verify();
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.first_broken, 5u);
  EXPECT_EQ(c.reason.rfind("head mismatch", 0), 0u) << c.reason;
}

TEST_F(EventLogTest, VerifyNeedsAnActiveTxn) {
  auto rtxn = ReadTxn::begin(*env_);
  ASSERT_TRUE(rtxn.ok());
  EXPECT_FALSE(verify_event_chain(*rtxn).ok());
}

TEST(EventDecode, RejectsMalformed) {
  EXPECT_FALSE(decode_event(Bytes(7, 0), Bytes(60, 0)).ok());
  Bytes v(1 + 8 + 32, 0);
  v[0] = 1;
  EXPECT_FALSE(decode_event(encode_event_key(1), v).ok());  // no length fields
  v.insert(v.end(), {0, 1, 'a', 0, 0, 0, 0, 0, 0});
  auto ok = decode_event(encode_event_key(1), v);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->type, "a");
  v.push_back(0);
  EXPECT_FALSE(decode_event(encode_event_key(1), v).ok());  // trailing byte
  v.pop_back();
  v[v.size() - 1] = 5;  // payload length 5, no payload bytes
  EXPECT_FALSE(decode_event(encode_event_key(1), v).ok());
  v[v.size() - 1] = 0;
  v[0] = 2;
  EXPECT_FALSE(decode_event(encode_event_key(1), v).ok());  // unknown format
}

}  // namespace
}  // namespace trustmon::storage
