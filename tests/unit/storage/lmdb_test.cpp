// Env, ReadTxn, WriteTxn and Cursor against a real LMDB environment in a temp dir.
#include "storage/lmdb.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <string>
#include <vector>

#include "storage/records.hpp"
#include "tests/support/temp_env.hpp"

namespace trustmon::storage {
namespace {

using testing::open_env;
using testing::str;
using testing::TempDir;

Status put_one(Env& env, Table t, std::string_view key, std::string_view value) {
  auto txn = WriteTxn::begin(env);
  if (!txn.ok()) return std::move(txn).error();
  Status s = txn->put(t, as_bytes(key), as_bytes(value));
  if (!s.ok()) return s;
  return txn->commit();
}

std::optional<std::string> read_one(ReadTxn& rtxn, Table t, std::string_view key) {
  auto got = rtxn.get(t, as_bytes(key));
  EXPECT_TRUE(got.ok());
  if (!got.ok() || !got->has_value()) return std::nullopt;
  return str(**got);
}

std::uint32_t stored_schema(Env& env) {
  auto rtxn = ReadTxn::begin(env);
  EXPECT_TRUE(rtxn.ok());
  ReadScope scope(*rtxn);
  EXPECT_TRUE(scope.status().ok());
  auto v = rtxn->get(Table::meta, as_bytes("schema_version"));
  EXPECT_TRUE(v.ok() && v->has_value());
  if (!v.ok() || !v->has_value() || (*v)->size() != 4) return 0;
  return get_be32((*v)->data());
}

TEST(Env, CreatesDirectoryAndReopenKeepsDataAndSchema) {
  TempDir dir;
  const std::string path = dir.path() + "/nested/db";
  {
    auto env = open_env(path);
    ASSERT_TRUE(env);
    EXPECT_TRUE(std::filesystem::is_directory(path));
    EXPECT_EQ(stored_schema(*env), kSchemaVersion);
    ASSERT_TRUE(put_one(*env, Table::certs, "k1", "v1").ok());
  }
  auto env = open_env(path);
  ASSERT_TRUE(env);
  EXPECT_EQ(stored_schema(*env), kSchemaVersion);
  auto rtxn = ReadTxn::begin(*env);
  ASSERT_TRUE(rtxn.ok());
  ReadScope scope(*rtxn);
  ASSERT_TRUE(scope.status().ok());
  EXPECT_EQ(read_one(*rtxn, Table::certs, "k1"), "v1");
  EXPECT_EQ(read_one(*rtxn, Table::issuers, "k1"), std::nullopt);  // tables are separate
}

TEST(Env, NewerSchemaOnDiskIsRefused) {
  TempDir dir;
  {
    auto env = open_env(dir.path());
    ASSERT_TRUE(env);
    std::uint8_t v[4];
    put_be32(v, kSchemaVersion + 1);
    ASSERT_TRUE(put_one(*env, Table::meta, "schema_version", as_chars(ByteView(v, 4))).ok());
  }
  EnvOptions o;
  o.path = dir.path();
  auto env = Env::open(o);
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.error().code, "storage_version_mismatch");
  o.read_only = true;
  auto ro = Env::open(o);
  ASSERT_FALSE(ro.ok());
  EXPECT_EQ(ro.error().code, "storage_version_mismatch");
}

TEST(Env, OlderSchemaWithoutMigrationIsRefused) {
  TempDir dir;
  {
    auto env = open_env(dir.path());
    ASSERT_TRUE(env);
    std::uint8_t v[4];
    put_be32(v, 0);
    ASSERT_TRUE(put_one(*env, Table::meta, "schema_version", as_chars(ByteView(v, 4))).ok());
  }
  EnvOptions o;
  o.path = dir.path();
  auto env = Env::open(o);
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.error().code, "storage_version_mismatch");
}

TEST(Env, SchemaOneAttrIndexMovesToEpochZero) {
  TempDir dir;
  {
    auto env = open_env(dir.path());
    ASSERT_TRUE(env);
    std::uint8_t v[4];
    put_be32(v, 1);
    ASSERT_TRUE(put_one(*env, Table::meta, "schema_version", as_chars(ByteView(v, 4))).ok());
    auto txn = WriteTxn::begin(*env);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(txn->put(Table::attr_index, as_bytes("\x03ivan"), as_bytes("cert-a")).ok());
    ASSERT_TRUE(txn->put(Table::attr_index, as_bytes("\x03ivan"), as_bytes("cert-b")).ok());
    ASSERT_TRUE(txn->put(Table::attr_index, as_bytes("\x05" "a@b.ua"), as_bytes("cert-a")).ok());
    // Schema 1 kept key fingerprints in their own table.
    MDB_dbi spki = 0;
    ASSERT_EQ(mdb_dbi_open(txn->raw(), "spki_index", MDB_CREATE | MDB_DUPSORT, &spki), 0);
    MDB_val fk{3, const_cast<char*>("KEY")}, fv{6, const_cast<char*>("cert-c")};
    ASSERT_EQ(mdb_put(txn->raw(), spki, &fk, &fv, 0), 0);
    // csr_key_index without epochs: reservation 0x20001 belongs to epoch 1.
    ASSERT_TRUE(txn->put(Table::csr_key_index, as_bytes("FP"), Bytes{0, 0, 0, 0, 0, 2, 0, 1}).ok());
    ASSERT_TRUE(txn->commit().ok());
  }
  EnvOptions o;
  o.path = dir.path();
  auto env = Env::open(o);
  ASSERT_TRUE(env.ok()) << env.error().message;
  EXPECT_EQ(stored_schema(**env), kSchemaVersion);
  auto rtxn = ReadTxn::begin(**env);
  ASSERT_TRUE(rtxn.ok());
  ReadScope scope(*rtxn);
  auto cur = Cursor::open(*rtxn, Table::attr_index);
  ASSERT_TRUE(cur.ok());
  std::vector<std::pair<std::string, std::string>> seen;
  for (auto at = cur->first(); at.ok() && *at; at = cur->next())
    seen.emplace_back(std::string(as_chars(cur->key())), std::string(as_chars(cur->value())));
  using namespace std::string_literals;
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"\x03\0\0\0\0ivan"s, "cert-a"},
      {"\x03\0\0\0\0ivan"s, "cert-b"},
      {"\x05\0\0\0\0a@b.ua"s, "cert-a"},
      {"A\0\0\0\0KEY"s, "cert-c"}};  // 'A' = 65, kind spki_sha256
  EXPECT_EQ(seen, expected);
  auto moved = rtxn->get(Table::csr_key_index, Bytes{0, 0, 0, 1, 'F', 'P'});
  ASSERT_TRUE(moved.ok());
  ASSERT_TRUE(moved->has_value());
  EXPECT_EQ(to_bytes(**moved), (Bytes{0, 0, 0, 0, 0, 2, 0, 1}));
  // spki_index is gone.
  auto wtxn = WriteTxn::begin(**env);
  ASSERT_TRUE(wtxn.ok());
  MDB_dbi gone = 0;
  EXPECT_EQ(mdb_dbi_open(wtxn->raw(), "spki_index", 0, &gone), MDB_NOTFOUND);
}

TEST(Env, MalformedSchemaRecordIsCorrupt) {
  TempDir dir;
  {
    auto env = open_env(dir.path());
    ASSERT_TRUE(env);
    ASSERT_TRUE(put_one(*env, Table::meta, "schema_version", "x").ok());
  }
  EnvOptions o;
  o.path = dir.path();
  auto env = Env::open(o);
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.error().code, "storage_corrupt");
}

TEST(Env, SecondOpenInOneProcessIsRefused) {
  TempDir dir;
  EnvOptions o;
  o.path = dir.path();
  auto first = Env::open(o);
  ASSERT_TRUE(first.ok());
  o.path = dir.path() + "/./";  // another spelling of the same directory
  auto second = Env::open(o);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "storage_error");
  o.read_only = true;
  EXPECT_FALSE(Env::open(o).ok());
  first->reset();
  EXPECT_TRUE(Env::open(o).ok());  // closed: may be opened again
}

TEST(Env, ReadOnlyOpenReadsButCannotWrite) {
  TempDir dir;
  {
    auto env = open_env(dir.path());
    ASSERT_TRUE(env);
    ASSERT_TRUE(put_one(*env, Table::events, "e", "1").ok());
  }
  EnvOptions o;
  o.path = dir.path();
  o.read_only = true;
  auto env = Env::open(o);
  ASSERT_TRUE(env.ok()) << env.error().message;
  auto rtxn = ReadTxn::begin(**env);
  ASSERT_TRUE(rtxn.ok());
  {
    ReadScope scope(*rtxn);
    ASSERT_TRUE(scope.status().ok());
    EXPECT_EQ(read_one(*rtxn, Table::events, "e"), "1");
  }
  EXPECT_FALSE(WriteTxn::begin(**env).ok());
  EXPECT_FALSE((*env)->grow_map().ok());

  o.path = dir.path() + "/missing";
  EXPECT_FALSE(Env::open(o).ok());
  EXPECT_FALSE(std::filesystem::exists(o.path));  // read-only never creates
}

TEST(Env, ExistingLargerMapIsKeptAndGrowDoubles) {
  TempDir dir;
  {
    auto env = open_env(dir.path(), std::size_t{8} << 20);
    ASSERT_TRUE(env);
    EXPECT_EQ(env->map_size(), std::size_t{8} << 20);
    ASSERT_TRUE(put_one(*env, Table::meta, "x", "y").ok());  // persists the map size
  }
  auto env = open_env(dir.path(), std::size_t{1} << 20);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->map_size(), std::size_t{8} << 20);
  ASSERT_TRUE(env->grow_map().ok());
  EXPECT_EQ(env->map_size(), std::size_t{16} << 20);
}

// The map is advised random (MDB_NORDAHEAD): a fault reads one page, not the readahead
// window around it (storage/lmdb.cpp). Checked in LMDB's flags and in the kernel's view
// of the mapping (/proc/self/smaps: VmFlags "rr" = MADV_RANDOM).
TEST(Env, TheMapIsAdvisedRandom) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  unsigned flags = 0;
  ASSERT_EQ(mdb_env_get_flags(env->raw(), &flags), 0);
  EXPECT_TRUE(flags & MDB_NORDAHEAD);
  EXPECT_TRUE(flags & MDB_NOTLS);
  std::ifstream smaps("/proc/self/smaps");
  ASSERT_TRUE(smaps.good());
  std::string line;
  bool in_map = false, found = false;
  while (std::getline(smaps, line)) {
    const bool header = !line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) &&
                        line.find('-') != std::string::npos && line.find(':') > line.find('-');
    if (header) in_map = line.find(dir.path() + "/data.mdb") != std::string::npos;
    if (in_map && line.rfind("VmFlags:", 0) == 0) {
      found = true;
      EXPECT_NE((line + " ").find(" rr "), std::string::npos) << line;
    }
  }
  EXPECT_TRUE(found) << "no mapping of " << dir.path() << "/data.mdb in /proc/self/smaps";
}

TEST(LmdbError, MapsCodes) {
  EXPECT_EQ(lmdb_error(MDB_MAP_FULL, "x").code, "storage_map_full");
  EXPECT_EQ(lmdb_error(MDB_READERS_FULL, "x").code, "storage_readers_full");
  EXPECT_EQ(lmdb_error(MDB_CORRUPTED, "x").code, "storage_corrupt");
  EXPECT_EQ(lmdb_error(EIO, "x").code, "storage_error");
  const Error e = lmdb_error(MDB_MAP_FULL, "put");
  EXPECT_NE(e.message.find("put"), std::string::npos);
  EXPECT_NE(e.message.find(mdb_strerror(MDB_MAP_FULL)), std::string::npos);
}

TEST(ReadTxn, SnapshotIsStableUntilResetThenSeesNewCommits) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  ASSERT_TRUE(put_one(*env, Table::certs, "k", "old").ok());

  auto rtxn = ReadTxn::begin(*env);
  ASSERT_TRUE(rtxn.ok());
  EXPECT_FALSE(rtxn->active());  // created reset
  auto not_active = rtxn->get(Table::certs, as_bytes("k"));
  ASSERT_FALSE(not_active.ok());
  EXPECT_EQ(not_active.error().code, "storage_error");

  {
    ReadScope scope(*rtxn);
    ASSERT_TRUE(scope.status().ok());
    EXPECT_TRUE(rtxn->active());
    EXPECT_EQ(read_one(*rtxn, Table::certs, "k"), "old");
    // A commit while the snapshot is open (same thread: MDB_NOTLS allows it).
    ASSERT_TRUE(put_one(*env, Table::certs, "k", "new").ok());
    ASSERT_TRUE(put_one(*env, Table::certs, "k2", "added").ok());
    EXPECT_EQ(read_one(*rtxn, Table::certs, "k"), "old");
    EXPECT_EQ(read_one(*rtxn, Table::certs, "k2"), std::nullopt);
    // Renewing an active txn is refused, and the scope then leaves it alone.
    ReadScope nested(*rtxn);
    EXPECT_FALSE(nested.status().ok());
  }
  EXPECT_FALSE(rtxn->active());
  {
    ReadScope scope(*rtxn);
    ASSERT_TRUE(scope.status().ok());
    EXPECT_EQ(read_one(*rtxn, Table::certs, "k"), "new");
    EXPECT_EQ(read_one(*rtxn, Table::certs, "k2"), "added");
  }
}

TEST(ReadTxn, SeveralOnOneThreadAndMoveLeavesSourceInert) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  ASSERT_TRUE(put_one(*env, Table::certs, "k", "v").ok());
  auto a = ReadTxn::begin(*env);
  auto b = ReadTxn::begin(*env);
  ASSERT_TRUE(a.ok() && b.ok());
  {
    ReadScope sa(*a);
    ReadScope sb(*b);  // nested scopes on one thread (shared lock taken twice)
    ASSERT_TRUE(sa.status().ok() && sb.status().ok());
    EXPECT_EQ(read_one(*b, Table::certs, "k"), "v");
  }
  ReadTxn moved(std::move(*a));
  EXPECT_EQ(a->raw(), nullptr);
  EXPECT_FALSE(a->renew().ok());
  {
    ReadScope s(moved);
    ASSERT_TRUE(s.status().ok());
    EXPECT_EQ(read_one(moved, Table::certs, "k"), "v");
  }
  *b = std::move(moved);  // move-assign over a live handle releases the old one
  ReadScope s(*b);
  ASSERT_TRUE(s.status().ok());
  EXPECT_EQ(read_one(*b, Table::certs, "k"), "v");
}

TEST(ReadTxn, ReadersFullIsReportedAndSlotsComeBack) {
  TempDir dir;
  EnvOptions o;
  o.path = dir.path();
  o.initial_map_size = std::size_t{1} << 20;
  o.max_readers = 2;
  auto env = Env::open(o);
  ASSERT_TRUE(env.ok());
  auto a = ReadTxn::begin(**env);
  auto b = ReadTxn::begin(**env);
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = ReadTxn::begin(**env);  // reset txns keep their slot (MDB_NOTLS)
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "storage_readers_full");
  { ReadTxn gone(std::move(*a)); }  // destroying frees its slot
  auto d = ReadTxn::begin(**env);
  EXPECT_TRUE(d.ok());
}

TEST(WriteTxn, StickyErrorMakesLaterCallsNoOpsAndCommitFail) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  auto txn = WriteTxn::begin(*env);
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE(txn->put(Table::certs, as_bytes("a"), as_bytes("1")).ok());
  Status bad = txn->put(Table::certs, ByteView(), as_bytes("x"));  // empty key: LMDB refuses
  ASSERT_FALSE(bad.ok());
  EXPECT_FALSE(txn->sticky().ok());
  EXPECT_FALSE(txn->map_full());
  Status later = txn->put(Table::certs, as_bytes("b"), as_bytes("2"));
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.error().message, bad.error().message);  // the first error, not a new one
  EXPECT_FALSE(txn->del(Table::certs, as_bytes("a")).ok());
  EXPECT_FALSE(txn->get(Table::certs, as_bytes("a")).ok());
  Status committed = txn->commit();
  ASSERT_FALSE(committed.ok());
  EXPECT_EQ(committed.error().message, bad.error().message);

  auto rtxn = ReadTxn::begin(*env);
  ASSERT_TRUE(rtxn.ok());
  ReadScope scope(*rtxn);
  EXPECT_EQ(read_one(*rtxn, Table::certs, "a"), std::nullopt);  // nothing was committed
}

TEST(WriteTxn, PutIfAbsentAndDelReportExistence) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  auto txn = WriteTxn::begin(*env);
  ASSERT_TRUE(txn.ok());
  auto first = txn->put_if_absent(Table::cert_der, as_bytes("h"), as_bytes("one"));
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(*first);
  auto second = txn->put_if_absent(Table::cert_der, as_bytes("h"), as_bytes("two"));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second);
  EXPECT_TRUE(txn->sticky().ok());  // "exists" is an answer, not an error
  auto got = txn->get(Table::cert_der, as_bytes("h"));
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(str(**got), "one");

  auto gone = txn->del(Table::cert_der, as_bytes("h"));
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(*gone);
  auto again = txn->del(Table::cert_der, as_bytes("h"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_TRUE(txn->sticky().ok());
  EXPECT_TRUE(txn->commit().ok());
}

TEST(WriteTxn, DupsortTableKeepsSortedPairsAndDeletesOnePair) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  ASSERT_TRUE(table_is_dupsort(Table::attr_index));
  ASSERT_FALSE(table_is_dupsort(Table::certs));
  auto txn = WriteTxn::begin(*env);
  ASSERT_TRUE(txn.ok());
  for (const char* v : {"c", "a", "b"}) {
    auto put = txn->put_if_absent(Table::attr_index, as_bytes("k"), as_bytes(v));
    ASSERT_TRUE(put.ok());
    EXPECT_TRUE(*put);
  }
  auto again = txn->put_if_absent(Table::attr_index, as_bytes("k"), as_bytes("b"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);  // the pair exists
  ASSERT_TRUE(txn->put(Table::attr_index, as_bytes("l"), as_bytes("z")).ok());
  auto gone = txn->del_value(Table::attr_index, as_bytes("k"), as_bytes("a"));
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(*gone);
  auto missing = txn->del_value(Table::attr_index, as_bytes("k"), as_bytes("a"));
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(*missing);
  ASSERT_TRUE(txn->commit().ok());

  auto rtxn = ReadTxn::begin(*env);
  ASSERT_TRUE(rtxn.ok());
  ReadScope scope(*rtxn);
  auto cur = Cursor::open(*rtxn, Table::attr_index);
  ASSERT_TRUE(cur.ok());
  std::vector<std::string> values;
  auto at = cur->find(as_bytes("k"));
  ASSERT_TRUE(at.ok());
  for (bool more = *at; more; more = *cur->next_dup()) values.push_back(str(cur->value()));
  EXPECT_EQ(values, (std::vector<std::string>{"b", "c"}));  // sorted, "l" not included
  auto none = cur->find(as_bytes("j"));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
}

TEST(WriteTxn, ChildAbortDiscardsOnlyChildAndCommitMerges) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  auto parent = WriteTxn::begin(*env);
  ASSERT_TRUE(parent.ok());
  ASSERT_TRUE(parent->put(Table::certs, as_bytes("p"), as_bytes("1")).ok());
  {
    auto child = WriteTxn::begin_child(*parent);
    ASSERT_TRUE(child.ok());
    ASSERT_TRUE(child->put(Table::certs, as_bytes("dropped"), as_bytes("x")).ok());
    child->abort();
  }
  {
    auto child = WriteTxn::begin_child(*parent);
    ASSERT_TRUE(child.ok());
    auto sees_parent = child->get(Table::certs, as_bytes("p"));
    ASSERT_TRUE(sees_parent.ok());
    EXPECT_TRUE(sees_parent->has_value());
    ASSERT_TRUE(child->put(Table::certs, as_bytes("kept"), as_bytes("y")).ok());
    ASSERT_TRUE(child->commit().ok());
  }
  {
    // A child's ordinary error stays in the child.
    auto child = WriteTxn::begin_child(*parent);
    ASSERT_TRUE(child.ok());
    EXPECT_FALSE(child->put(Table::certs, ByteView(), as_bytes("x")).ok());
    EXPECT_FALSE(child->commit().ok());
  }
  EXPECT_TRUE(parent->sticky().ok());
  ASSERT_TRUE(parent->commit().ok());

  auto rtxn = ReadTxn::begin(*env);
  ASSERT_TRUE(rtxn.ok());
  ReadScope scope(*rtxn);
  EXPECT_EQ(read_one(*rtxn, Table::certs, "p"), "1");
  EXPECT_EQ(read_one(*rtxn, Table::certs, "kept"), "y");
  EXPECT_EQ(read_one(*rtxn, Table::certs, "dropped"), std::nullopt);
}

TEST(WriteTxn, MapFullIsStickyAndReachesTheParent) {
  TempDir dir;
  auto env = open_env(dir.path(), std::size_t{1} << 20);
  ASSERT_TRUE(env);
  auto parent = WriteTxn::begin(*env);
  ASSERT_TRUE(parent.ok());
  auto child = WriteTxn::begin_child(*parent);
  ASSERT_TRUE(child.ok());
  const std::string big(64 * 1024, 'z');
  Status st;
  for (int i = 0; i < 64 && st.ok(); ++i) {
    st = child->put(Table::cert_der, as_bytes("k" + std::to_string(i)), as_bytes(big));
  }
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "storage_map_full");
  EXPECT_TRUE(child->map_full());
  child->abort();
  EXPECT_TRUE(parent->map_full());
  EXPECT_EQ(parent->sticky().error().code, "storage_map_full");
  Status c = parent->commit();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "storage_map_full");
}

TEST(WriteTxn, MoveLeavesSourceInert) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  auto txn = WriteTxn::begin(*env);
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE(txn->put(Table::certs, as_bytes("m"), as_bytes("1")).ok());
  WriteTxn moved(std::move(*txn));
  EXPECT_EQ(txn->raw(), nullptr);
  EXPECT_FALSE(txn->put(Table::certs, as_bytes("x"), as_bytes("1")).ok());
  EXPECT_FALSE(txn->commit().ok());
  ASSERT_TRUE(moved.commit().ok());
  auto rtxn = ReadTxn::begin(*env);
  ASSERT_TRUE(rtxn.ok());
  ReadScope scope(*rtxn);
  EXPECT_EQ(read_one(*rtxn, Table::certs, "m"), "1");
}

// Numeric order of (issuer, serial) pairs, the order LMDB must give.
bool numeric_less(const std::pair<IssuerId, Bytes>& a, const std::pair<IssuerId, Bytes>& b) {
  if (a.first != b.first) return a.first < b.first;
  if (a.second.size() != b.second.size()) return a.second.size() < b.second.size();
  return a.second < b.second;
}

TEST(Cursor, IteratesInNumericOrderOfCertKeys) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  std::vector<std::pair<IssuerId, Bytes>> keys = {
      {2, {0x01}},       {1, {0xff}},       {1, {0x01, 0x00}}, {1, {0x01}},
      {1, {0x7f, 0xff, 0xff}}, {0x100, {0x05}}, {1, {0x00}}, {2, {0x80, 0x00}},
      {1, Bytes(20, 0xff)},    {1, {0x02}},
  };
  {
    auto txn = WriteTxn::begin(*env);
    ASSERT_TRUE(txn.ok());
    for (const auto& [issuer, serial] : keys) {
      ASSERT_TRUE(txn->put(Table::certs, encode_cert_key(issuer, serial), as_bytes("v")).ok());
    }
    ASSERT_TRUE(txn->commit().ok());
  }
  std::sort(keys.begin(), keys.end(), numeric_less);

  auto rtxn = ReadTxn::begin(*env);
  ASSERT_TRUE(rtxn.ok());
  ReadScope scope(*rtxn);
  ASSERT_TRUE(scope.status().ok());
  std::vector<std::pair<IssuerId, Bytes>> seen;
  {
    auto cur = Cursor::open(*rtxn, Table::certs);
    ASSERT_TRUE(cur.ok());
    for (auto more = cur->first(); more.ok() && *more; more = cur->next()) {
      auto k = decode_cert_key(cur->key());
      ASSERT_TRUE(k);
      seen.emplace_back(k->issuer, to_bytes(k->serial));
    }
    EXPECT_EQ(seen, keys);

    // seek: first key >= (1, 0x0100) is (1, 0x0100) itself; >= (1, 0x0101) is the next.
    auto at = cur->seek(encode_cert_key(1, Bytes{0x01, 0x00}));
    ASSERT_TRUE(at.ok() && *at);
    EXPECT_EQ(to_bytes(decode_cert_key(cur->key())->serial), (Bytes{0x01, 0x00}));
    at = cur->seek(encode_cert_key(1, Bytes{0x01, 0x01}));
    ASSERT_TRUE(at.ok() && *at);
    EXPECT_EQ(to_bytes(decode_cert_key(cur->key())->serial), (Bytes{0x7f, 0xff, 0xff}));
    at = cur->seek(encode_cert_key(0xffffffff, Bytes{0x01}));
    ASSERT_TRUE(at.ok());
    EXPECT_FALSE(*at);  // past the end

    auto last = cur->last();
    ASSERT_TRUE(last.ok() && *last);
    EXPECT_EQ(decode_cert_key(cur->key())->issuer, 0x100u);
    auto prev = cur->prev();
    ASSERT_TRUE(prev.ok() && *prev);
    EXPECT_EQ(decode_cert_key(cur->key())->issuer, 2u);
  }
  {
    auto empty = Cursor::open(*rtxn, Table::issuers);
    ASSERT_TRUE(empty.ok());
    auto first = empty->first();
    ASSERT_TRUE(first.ok());
    EXPECT_FALSE(*first);
  }
}

TEST(Cursor, RefusesAReadTxnOutsideAScope) {
  TempDir dir;
  auto env = open_env(dir.path());
  ASSERT_TRUE(env);
  auto rtxn = ReadTxn::begin(*env);
  ASSERT_TRUE(rtxn.ok());
  EXPECT_FALSE(Cursor::open(*rtxn, Table::certs).ok());
}

}  // namespace
}  // namespace trustmon::storage
