// Epoch-partitioned DUPSORT indexes: keys, the skip-scan over epochs, and the merged
// value order (storage/epoch_index.hpp).
#include "storage/epoch_index.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/temp_env.hpp"

namespace trustmon::storage {
namespace {

using testing::TempDir;
using testing::open_env;

std::vector<std::string> walk_all(Env& env, Table t, const std::string& key, std::size_t prefix,
                                  std::optional<std::string> from = std::nullopt, bool after = false) {
  auto rtxn = ReadTxn::begin(env);
  EXPECT_TRUE(rtxn.ok());
  ReadScope scope(*rtxn);
  std::optional<ByteView> f;
  if (from) f = as_bytes(*from);
  auto walk = EpochWalk::open(*rtxn, t, as_bytes(key), prefix, f, after);
  EXPECT_TRUE(walk.ok());
  std::vector<std::string> out;
  while (walk.ok() && !walk->done()) {
    out.emplace_back(as_chars(walk->value()));
    if (!walk->next().ok()) break;
  }
  return out;
}

TEST(EpochIndex, KeysPutTheEpochAfterThePrefix) {
  EXPECT_EQ(epoch_key(as_bytes("kvalue"), 1, 0x01020304), (Bytes{'k', 1, 2, 3, 4, 'v', 'a', 'l', 'u', 'e'}));
  EXPECT_EQ(epoch_key(as_bytes("ab"), 0, 7), (Bytes{0, 0, 0, 7, 'a', 'b'}));
  EXPECT_TRUE(epoch_key(as_bytes(""), 1, 0).empty());
}

TEST(EpochIndex, WalkMergesEpochsInValueOrderAndSkipsTheRest) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  {
    auto txn = WriteTxn::begin(*env);
    ASSERT_TRUE(txn.ok());
    const auto put = [&](const std::string& key, std::uint32_t epoch, const std::string& value) {
      ASSERT_TRUE(txn->put(Table::attr_index, epoch_key(as_bytes(key), 1, epoch), as_bytes(value)).ok());
    };
    put("xkey", 0, "c");
    put("xkey", 0, "f");
    put("xkey", 3, "a");  // epochs 1 and 2 hold other keys only; 4..999 nothing
    put("xkey", 1000, "d");
    put("xkez", 1, "b");   // the next value of the same kind, in the skipped epochs
    put("xkez", 2, "b");
    put("xkex", 1000, "z");
    put("ykey", 5, "y");   // another kind, same value
    put("xkey", 0xffffffffu, "e");  // the last epoch
    ASSERT_TRUE(txn->commit().ok());
  }
  EXPECT_EQ(walk_all(*env, Table::attr_index, "xkey", 1), (std::vector<std::string>{"a", "c", "d", "e", "f"}));
  EXPECT_EQ(walk_all(*env, Table::attr_index, "xkey", 1, "c"), (std::vector<std::string>{"c", "d", "e", "f"}));
  EXPECT_EQ(walk_all(*env, Table::attr_index, "xkey", 1, "c", true), (std::vector<std::string>{"d", "e", "f"}));
  EXPECT_EQ(walk_all(*env, Table::attr_index, "xkey", 1, "g"), std::vector<std::string>{});
  EXPECT_EQ(walk_all(*env, Table::attr_index, "ykey", 1), std::vector<std::string>{"y"});
  EXPECT_EQ(walk_all(*env, Table::attr_index, "xke", 1), std::vector<std::string>{});
  EXPECT_EQ(walk_all(*env, Table::attr_index, "zkey", 1), std::vector<std::string>{});
}

TEST(EpochIndex, WalkWithoutPrefix) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  {
    auto txn = WriteTxn::begin(*env);
    ASSERT_TRUE(txn.ok());
    for (std::uint32_t epoch : {0u, 2u, 9u}) {
      ASSERT_TRUE(txn->put(Table::csr_key_index, epoch_key(as_bytes("fp"), 0, epoch),
                           as_bytes(std::string(1, static_cast<char>('0' + epoch))))
                      .ok());
      ASSERT_TRUE(txn->put(Table::csr_key_index, epoch_key(as_bytes("fq"), 0, epoch + 1), as_bytes("x")).ok());
    }
    ASSERT_TRUE(txn->commit().ok());
  }
  EXPECT_EQ(walk_all(*env, Table::csr_key_index, "fp", 0), (std::vector<std::string>{"0", "2", "9"}));
  EXPECT_EQ(walk_all(*env, Table::csr_key_index, "fq", 0), (std::vector<std::string>{"x", "x", "x"}));
  EXPECT_EQ(walk_all(*env, Table::csr_key_index, "f", 0), std::vector<std::string>{});
}

}  // namespace
}  // namespace trustmon::storage
