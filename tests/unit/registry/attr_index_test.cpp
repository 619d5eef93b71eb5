// The attr_index merge of closed epochs (attr_index.hpp, storage/epoch_index.hpp): the
// walks give the same cert keys before, during (after every job, and across a reopen as
// after a crash between jobs) and after the merge, pagination included, and the runs a
// query probes end up bounded.
#include "responder/registry/attr_index.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "storage/records.hpp"
#include "tests/support/temp_env.hpp"

namespace trustmon::registry {
namespace {

using storage::testing::open_env;
using storage::testing::TempDir;

constexpr std::uint32_t kClosedEpochs = 70;  // 64 merge into one level-2 run, 6 stay

std::string cert_key(std::uint32_t epoch, int i) {
  Bytes k(4);
  put_be32(k.data(), epoch);
  return std::string(as_chars(k)) + "#" + std::to_string(i);
}

// Logical index keys (kind octet || rest) and what each epoch adds under them.
const std::vector<std::string> kKeys = {"acommon", "arare", "bnames", "czzz", std::string("\xff") + "last"};

void fill(storage::Env& env) {
  auto txn = storage::WriteTxn::begin(env);
  ASSERT_TRUE(txn.ok());
  for (std::uint32_t e = 0; e <= kClosedEpochs; ++e) {  // the last one is the open epoch
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(txn->put(storage::Table::attr_index, epoch_index_key(as_bytes(kKeys[0]), e), as_bytes(cert_key(e, i))).ok());
    }
    if (e % 9 == 0) {
      ASSERT_TRUE(txn->put(storage::Table::attr_index, epoch_index_key(as_bytes(kKeys[1]), e), as_bytes(cert_key(e, 0))).ok());
    }
    for (int i = 0; i < 3; ++i) {
      const std::string k = kKeys[2] + std::to_string((e + static_cast<std::uint32_t>(i)) % 5);
      ASSERT_TRUE(txn->put(storage::Table::attr_index, epoch_index_key(as_bytes(k), e), as_bytes(cert_key(e, i))).ok());
    }
    ASSERT_TRUE(txn->put(storage::Table::attr_index, epoch_index_key(as_bytes(kKeys[3]), e), as_bytes(cert_key(e, 9))).ok());
    ASSERT_TRUE(txn->put(storage::Table::attr_index, epoch_index_key(as_bytes(kKeys[4]), e), as_bytes(cert_key(e, 1))).ok());
  }
  ASSERT_TRUE(set_stored_certificates(*txn, kClosedEpochs * kEpochCertificates + 5).ok());
  ASSERT_TRUE(txn->commit().ok());
}

std::vector<std::string> logical_keys() {
  std::vector<std::string> out = {kKeys[0], kKeys[1], kKeys[3], kKeys[4], "amissing", "b"};
  for (int i = 0; i < 5; ++i) out.push_back(kKeys[2] + std::to_string(i));
  return out;
}

std::vector<std::string> walk(storage::Env& env, const std::string& key, std::optional<std::string> from = std::nullopt,
                              bool after = false, std::size_t limit = SIZE_MAX) {
  auto rtxn = storage::ReadTxn::begin(env);
  EXPECT_TRUE(rtxn.ok());
  storage::ReadScope scope(*rtxn);
  std::optional<ByteView> f;
  if (from) f = as_bytes(*from);
  auto w = IndexWalk::open(*rtxn, as_bytes(key), f, after);
  EXPECT_TRUE(w.ok());
  std::vector<std::string> out;
  while (w.ok() && !w->done() && out.size() < limit) {
    out.emplace_back(as_chars(w->cert_key()));
    if (!w->next().ok()) break;
  }
  return out;
}

std::map<std::string, std::vector<std::string>> snapshot(storage::Env& env) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& k : logical_keys()) out[k] = walk(env, k);
  return out;
}

// Pages of `page` cert keys, each starting after the last of the one before.
std::vector<std::string> paged(storage::Env& env, const std::string& key, std::size_t page) {
  std::vector<std::string> all;
  std::optional<std::string> from;
  for (;;) {
    auto part = walk(env, key, from, true, page);
    all.insert(all.end(), part.begin(), part.end());
    if (part.size() < page) return all;
    from = part.back();
  }
}

// The run ids present under one logical key.
std::set<std::uint32_t> runs_of(storage::Env& env, const std::string& key) {
  std::set<std::uint32_t> out;
  auto rtxn = storage::ReadTxn::begin(env);
  EXPECT_TRUE(rtxn.ok());
  storage::ReadScope scope(*rtxn);
  auto cur = storage::Cursor::open(*rtxn, storage::Table::attr_index);
  EXPECT_TRUE(cur.ok());
  for (auto more = cur->first(); more.ok() && *more; more = cur->next()) {
    const ByteView k = cur->key();
    if (k.size() >= 5 && k[0] == static_cast<std::uint8_t>(key[0]) &&
        std::string(as_chars(k.subspan(5))) == key.substr(1)) {
      out.insert(get_be32(k.data() + 1));
    }
  }
  return out;
}

// One merge step in its own committed transaction, as the Writer runs it.
bool step(storage::Env& env, std::size_t max_entries) {
  auto txn = storage::WriteTxn::begin(env);
  EXPECT_TRUE(txn.ok());
  auto more = compact_attr_index_step(*txn, max_entries);
  EXPECT_TRUE(more.ok()) << (more.ok() ? "" : more.error().message);
  EXPECT_TRUE(txn->commit().ok());
  return more.ok() && *more;
}

TEST(AttrIndexMerge, ReadsAreTheSameBeforeDuringAndAfterAndRunsAreBounded) {
  TempDir dir;
  auto env = open_env(dir.path(), std::size_t{64} << 20);
  ASSERT_TRUE(env);
  fill(*env);
  const auto before = snapshot(*env);
  ASSERT_EQ(before.at(kKeys[0]).size(), (kClosedEpochs + 1) * 6);
  EXPECT_EQ(runs_of(*env, kKeys[0]).size(), kClosedEpochs + 1);
  const auto paged_before = paged(*env, kKeys[0], 7);
  EXPECT_EQ(paged_before, before.at(kKeys[0]));

  int steps = 0;
  bool reopened = false;
  while (step(*env, 13)) {
    ++steps;
    ASSERT_LT(steps, 10000);
    // After every job the index reads as before (a crash between jobs leaves this).
    ASSERT_EQ(snapshot(*env), before) << "after step " << steps;
    if (steps % 25 == 0) {
      ASSERT_EQ(paged(*env, kKeys[0], 7), before.at(kKeys[0])) << "after step " << steps;
    }
    if (steps == 40 && !reopened) {  // a restart mid-merge goes on from the stored progress
      env.reset();
      env = open_env(dir.path(), std::size_t{64} << 20);
      ASSERT_TRUE(env);
      reopened = true;
    }
  }
  EXPECT_TRUE(reopened);
  EXPECT_GT(steps, 40);
  EXPECT_EQ(snapshot(*env), before);
  EXPECT_EQ(paged(*env, kKeys[0], 7), before.at(kKeys[0]));
  EXPECT_EQ(paged(*env, kKeys[0], 1), before.at(kKeys[0]));
  // 70 closed epochs: 64 became one level-2 run (via eight level-1 runs), 6 stay apart,
  // and the open epoch 70.
  const auto runs = runs_of(*env, kKeys[0]);
  EXPECT_EQ(runs.size(), 8u);
  EXPECT_TRUE(runs.count(storage::run_id(2, 0)));
  for (std::uint32_t e = 64; e <= kClosedEpochs; ++e) EXPECT_TRUE(runs.count(e)) << e;
  EXPECT_FALSE(step(*env, 13));  // nothing left to merge

  auto txn = storage::WriteTxn::begin(*env);
  ASSERT_TRUE(txn.ok());
  auto st = storage::load_compaction_state(*txn, kMetaAttrIndexCompaction);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->phase, 0);
  EXPECT_EQ(st->consumed[0], 64u);
  EXPECT_EQ(st->consumed[1], 8u);
  EXPECT_EQ(st->consumed[2], 0u);
}

TEST(AttrIndexMerge, AnAbortedStepChangesNothing) {
  TempDir dir;
  auto env = open_env(dir.path(), std::size_t{64} << 20);
  ASSERT_TRUE(env);
  fill(*env);
  const auto before = snapshot(*env);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(step(*env, 11));
  const auto runs = runs_of(*env, kKeys[0]);
  {
    auto txn = storage::WriteTxn::begin(*env);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(compact_attr_index_step(*txn, 1000).ok());
    txn->abort();  // as a Writer job rolled back, or a crash before the commit
  }
  EXPECT_EQ(runs_of(*env, kKeys[0]), runs);
  EXPECT_EQ(snapshot(*env), before);
  while (step(*env, 1000)) {
  }
  EXPECT_EQ(snapshot(*env), before);
  EXPECT_EQ(runs_of(*env, kKeys[0]).size(), 8u);
}

TEST(AttrIndexMerge, NothingToMergeBeforeEightEpochsClose) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  {
    auto txn = storage::WriteTxn::begin(*env);
    ASSERT_TRUE(txn.ok());
    for (std::uint32_t e = 0; e < 9; ++e)
      ASSERT_TRUE(txn->put(storage::Table::attr_index, epoch_index_key(as_bytes(kKeys[0]), e), as_bytes(cert_key(e, 0))).ok());
    ASSERT_TRUE(set_stored_certificates(*txn, 7 * kEpochCertificates + 100).ok());  // epoch 7 still open
    ASSERT_TRUE(txn->commit().ok());
  }
  EXPECT_FALSE(step(*env, 100));
  EXPECT_EQ(runs_of(*env, kKeys[0]).size(), 9u);
}

}  // namespace
}  // namespace trustmon::registry
