// The crls table: number text both ways, ordering, the record codec, latest per issuer
// (issuers do not see each other's CRLs) and per scope (complete, delta, shard; one number
// sequence), the refusal of a number that is not greater, and the schema 3 -> 4 migration.
#include "storage/crls.hpp"

#include <gtest/gtest.h>

#include "storage/field_codec.hpp"
#include "storage/records.hpp"
#include "storage/writer.hpp"
#include "tests/support/temp_env.hpp"

namespace trustmon::storage {
namespace {

using testing::open_env;
using testing::TempDir;

TEST(CrlNumbers, DecimalTextBothWays) {
  EXPECT_EQ(crl_number_decimal(Bytes{0}), "0");
  EXPECT_EQ(crl_number_decimal(Bytes{0x10}), "16");
  EXPECT_EQ(crl_number_decimal(Bytes{0x01, 0x00}), "256");
  const Bytes max(20, 0xff);  // 2^160 - 1
  EXPECT_EQ(crl_number_decimal(max), "1461501637330902918203684832716283019655932542975");
  EXPECT_EQ(parse_crl_number_decimal("1461501637330902918203684832716283019655932542975"), max);
  EXPECT_EQ(parse_crl_number_decimal("1461501637330902918203684832716283019655932542976"), std::nullopt);
  EXPECT_EQ(parse_crl_number_decimal("256"), (Bytes{0x01, 0x00}));
  EXPECT_EQ(parse_crl_number_decimal("0"), Bytes{0});
  EXPECT_EQ(parse_crl_number_decimal("00017"), Bytes{0x11});
  EXPECT_EQ(parse_crl_number_decimal(""), std::nullopt);
  EXPECT_EQ(parse_crl_number_decimal("1x"), std::nullopt);
  EXPECT_EQ(normalize_crl_number(Bytes{0, 0, 7}), Bytes{7});
  EXPECT_EQ(normalize_crl_number(Bytes(21, 1)), std::nullopt);
  EXPECT_LT(compare_crl_numbers(Bytes{0xff}, Bytes{0x01, 0x00}), 0);
  EXPECT_GT(compare_crl_numbers(Bytes{0x02}, Bytes{0x01}), 0);
  EXPECT_EQ(compare_crl_numbers(Bytes{0x02}, Bytes{0x02}), 0);
}

CrlRecord record(std::uint8_t number, std::uint8_t fill) {
  CrlRecord r;
  r.number = Bytes{number};
  r.this_update = 1000 + number;
  r.next_update = 2000 + number;
  r.published_at = 1500;
  r.entries = number;
  r.der = Bytes(100, fill);
  r.sha256 = sha256(r.der);
  return r;
}

TEST(Crls, LatestPerIssuerAndOnlyGreaterNumbers) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  Writer writer(*env);
  writer.start();
  // Issuer 2 between issuers 1 and 3, numbers stored out of insertion order per issuer.
  ASSERT_TRUE(writer.run_sync([](WriteTxn& txn) { return put_crl(txn, 1, record(9, 0x11)); }).ok());
  ASSERT_TRUE(writer.run_sync([](WriteTxn& txn) { return put_crl(txn, 3, record(1, 0x33)); }).ok());
  ASSERT_TRUE(writer.run_sync([](WriteTxn& txn) { return put_crl(txn, 2, record(4, 0x21)); }).ok());
  ASSERT_TRUE(writer.run_sync([](WriteTxn& txn) { return put_crl(txn, 2, record(0xff, 0x22)); }).ok());
  Status older = writer.run_sync([](WriteTxn& txn) { return put_crl(txn, 2, record(0x80, 0x23)); });
  ASSERT_FALSE(older.ok());
  EXPECT_EQ(older.error().code, "crl_number_not_greater");
  Status equal = writer.run_sync([](WriteTxn& txn) { return put_crl(txn, 2, record(0xff, 0x24)); });
  EXPECT_EQ(equal.error().code, "crl_number_not_greater");
  CrlRecord wide = record(1, 0x25);
  wide.number = Bytes{0x01, 0x00};  // 256 > 255
  ASSERT_TRUE(writer.run_sync([wide](WriteTxn& txn) { return put_crl(txn, 2, wide); }).ok());
  writer.stop();

  auto txn = ReadTxn::begin(*env);
  ASSERT_TRUE(txn.ok());
  ReadScope scope(*txn);
  const auto latest = [&](std::uint32_t issuer) -> std::string {
    auto l = latest_crl(*txn, issuer);
    EXPECT_TRUE(l.ok());
    return l.ok() && *l ? crl_number_decimal((*l)->number) : "none";
  };
  EXPECT_EQ(latest(1), "9");
  EXPECT_EQ(latest(2), "256");
  EXPECT_EQ(latest(3), "1");
  EXPECT_EQ(latest(4), "none");
  EXPECT_EQ(latest(0), "none");
  EXPECT_EQ(latest(UINT32_MAX), "none");
  auto four = crl_by_number(*txn, 2, Bytes{0, 4});
  ASSERT_TRUE(four.ok() && four->has_value());
  const CrlView& v = **four;
  EXPECT_EQ(v.source, CrlSource::uploaded);
  EXPECT_EQ(v.this_update, 1004);
  EXPECT_EQ(v.next_update, 2004);
  EXPECT_EQ(v.published_at, 1500);
  EXPECT_EQ(v.entries, 4u);
  EXPECT_EQ(to_bytes(v.der), Bytes(100, 0x21));
  EXPECT_EQ(v.sha256, sha256(Bytes(100, 0x21)));
  auto missing = crl_by_number(*txn, 2, Bytes{5});
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  // A damaged record is reported, not misread.
  Bytes encoded = encode_crl(record(1, 0));
  encoded.pop_back();
  EXPECT_FALSE(view_crl(encoded).ok());
}

TEST(Crls, ScopesShareOneSequenceAndEachKeepsItsLatest) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  Writer writer(*env);
  writer.start();
  const auto put = [&](std::uint8_t number, CrlScope scope, Bytes base = {}) {
    CrlRecord r = record(number, number);
    r.source = CrlSource::built;
    r.scope = scope;
    r.base_number = std::move(base);
    return writer.run_sync([r](WriteTxn& txn) { return put_crl(txn, 7, r); });
  };
  ASSERT_TRUE(put(1, kCompleteCrl).ok());
  ASSERT_TRUE(put(2, kDeltaCrl, Bytes{1}).ok());
  ASSERT_TRUE(put(3, CrlScope{CrlKind::complete, 0}).ok());
  ASSERT_TRUE(put(4, CrlScope{CrlKind::complete, 1}).ok());
  ASSERT_TRUE(put(5, kDeltaCrl, Bytes{1}).ok());
  // The sequence is the issuer's, not the scope's: a shard cannot reuse a delta's number.
  EXPECT_EQ(put(5, CrlScope{CrlKind::complete, 2}).error().code, "crl_number_not_greater");
  EXPECT_EQ(put(6, kDeltaCrl).error().code, "crl_scope_invalid");  // a delta names its base
  EXPECT_EQ(put(6, kCompleteCrl, Bytes{1}).error().code, "crl_scope_invalid");
  EXPECT_EQ(put(6, CrlScope{CrlKind::delta, 0}, Bytes{1}).error().code, "crl_scope_invalid");
  writer.stop();

  auto txn = ReadTxn::begin(*env);
  ASSERT_TRUE(txn.ok());
  ReadScope scope(*txn);
  const auto latest = [&](CrlScope s) -> std::string {
    auto l = latest_crl(*txn, 7, s);
    EXPECT_TRUE(l.ok());
    return l.ok() && *l ? crl_number_decimal((*l)->number) : "none";
  };
  EXPECT_EQ(latest(kCompleteCrl), "1");
  EXPECT_EQ(latest(kDeltaCrl), "5");
  EXPECT_EQ(latest(CrlScope{CrlKind::complete, 0}), "3");
  EXPECT_EQ(latest(CrlScope{CrlKind::complete, 1}), "4");
  EXPECT_EQ(latest(CrlScope{CrlKind::complete, 2}), "none");
  auto last = last_crl_number(*txn, 7);
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ(**last, Bytes{5});
  auto delta = crl_by_number(*txn, 7, Bytes{5});
  ASSERT_TRUE(delta.ok() && delta->has_value());
  EXPECT_EQ((*delta)->scope, kDeltaCrl);
  EXPECT_EQ(to_bytes((*delta)->base_number), Bytes{1});
  EXPECT_EQ((*delta)->source, CrlSource::built);
}

// A schema-3 store holds format-1 records (no scope) and no heads: opening it read-write
// makes each issuer's greatest number its complete CRL's head, and the records read as
// complete, unsharded CRLs.
TEST(Crls, Schema3StoreGetsItsHeads) {
  TempDir dir;
  const auto format1 = [](std::uint8_t number) {
    FieldWriter w(64);
    w.u8(1);
    w.u8(static_cast<std::uint8_t>(CrlSource::uploaded));
    w.var(Bytes{number});
    w.time(1000);
    w.time(2000);
    w.time(1500);
    w.be64(3);
    w.raw(sha256(Bytes{number}));
    w.var(Bytes{number});
    return w.take();
  };
  const auto key = [](std::uint32_t issuer, std::uint8_t number) {
    Bytes k(4 + kMaxCrlNumberBytes, 0);
    put_be32(k.data(), issuer);
    k.back() = number;
    return k;
  };
  {
    auto env = open_env(dir.path());
    ASSERT_TRUE(env);
    Writer writer(*env);
    writer.start();
    ASSERT_TRUE(writer
                    .run_sync([&](WriteTxn& txn) -> Status {
                      for (auto [issuer, number] : {std::pair{1u, 3}, {1u, 9}, {2u, 4}})
                        if (Status s = txn.put(Table::crls, key(issuer, static_cast<std::uint8_t>(number)),
                                               format1(static_cast<std::uint8_t>(number)));
                            !s)
                          return s;
                      std::uint8_t v[4];
                      put_be32(v, 3);
                      return txn.put(Table::meta, as_bytes(kMetaSchemaVersion), ByteView(v, 4));
                    })
                    .ok());
    writer.stop();
  }
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  auto txn = ReadTxn::begin(*env);
  ASSERT_TRUE(txn.ok());
  ReadScope scope(*txn);
  auto one = latest_crl(*txn, 1);
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_EQ(crl_number_decimal((*one)->number), "9");
  EXPECT_EQ((*one)->scope, kCompleteCrl);
  EXPECT_TRUE((*one)->base_number.empty());
  auto two = latest_crl(*txn, 2);
  ASSERT_TRUE(two.ok() && two->has_value());
  EXPECT_EQ(crl_number_decimal((*two)->number), "4");
  auto no_delta = latest_crl(*txn, 1, kDeltaCrl);
  ASSERT_TRUE(no_delta.ok());
  EXPECT_FALSE(no_delta->has_value());
}

}  // namespace
}  // namespace trustmon::storage
