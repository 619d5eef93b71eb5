// The schema-version record and the migrations between schemas (see migrations.hpp).
// A step rewrites each table it changes from a full read of it: simple, and it runs
// once per store.
#include "storage/migrations.hpp"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/crls.hpp"
#include "storage/epoch_index.hpp"
#include "storage/mdb_val.hpp"
#include "storage/records.hpp"

namespace trustmon::storage {
namespace {

using Entries = std::vector<std::pair<Bytes, Bytes>>;

struct CursorClose {
  void operator()(MDB_cursor* c) const noexcept { mdb_cursor_close(c); }
};

MDB_dbi dbi_of(const std::array<MDB_dbi, kTableCount>& dbis, Table t) { return dbis[static_cast<std::size_t>(t)]; }

Error version_mismatch(std::string message) {
  return make_error(ErrorKind::storage, "storage_version_mismatch", std::move(message));
}

// Hands every entry of `dbi` to fn(key, value) -> Status in key order; the first error
// (LMDB's or fn's) ends the walk and is returned.
template <class Fn>
Status each_entry(MDB_txn* txn, MDB_dbi dbi, const char* what, Fn fn) {
  MDB_cursor* raw = nullptr;
  int rc = mdb_cursor_open(txn, dbi, &raw);
  if (rc != 0) return lmdb_error(rc, what);
  const std::unique_ptr<MDB_cursor, CursorClose> cur(raw);
  MDB_val k{}, v{};
  for (rc = mdb_cursor_get(raw, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(raw, &k, &v, MDB_NEXT)) {
    if (Status s = fn(from_val(k), from_val(v)); !s) return s;
  }
  if (rc != MDB_NOTFOUND) return lmdb_error(rc, what);
  return {};
}

// Empties `dbi` and writes `entries` in its place.
Status replace_all(MDB_txn* txn, MDB_dbi dbi, const Entries& entries, const char* what) {
  int rc = mdb_drop(txn, dbi, 0);
  if (rc != 0) return lmdb_error(rc, what);
  for (const auto& [key, value] : entries) {
    MDB_val mk = to_val(key), mv = to_val(value);
    rc = mdb_put(txn, dbi, &mk, &mv, 0);
    if (rc != 0) return lmdb_error(rc, what);
  }
  return {};
}

// Schema 1 -> 2: every attr_index entry moves to epoch 0, and every spki_index entry
// becomes an attr_index entry of kind spki_sha256 (65) in epoch 0; spki_index is
// deleted.
Status migrate_attr_index_epochs(MDB_txn* txn, MDB_dbi dbi) {
  constexpr std::uint8_t kSpkiKind = 65;  // responder/registry/attributes.hpp AttrKind::spki_sha256
  Entries entries;
  // The entry's key (after `kind`, for spki_index keys, which have none) in epoch 0:
  // four zero octets after the kind octet.
  const auto at_epoch_zero = [&entries](std::optional<std::uint8_t> kind) {
    return [&entries, kind](ByteView k, ByteView v) -> Status {
      Bytes key = to_bytes(k);
      if (kind) key.insert(key.begin(), *kind);
      if (!key.empty()) entries.emplace_back(epoch_key(key, 1, 0), to_bytes(v));
      return {};
    };
  };
  if (Status s = each_entry(txn, dbi, "migrate attr_index: read", at_epoch_zero(std::nullopt)); !s) return s;
  MDB_dbi spki = 0;
  int rc = mdb_dbi_open(txn, "spki_index", MDB_DUPSORT, &spki);
  if (rc == 0) {
    if (Status s = each_entry(txn, spki, "migrate spki_index: read", at_epoch_zero(kSpkiKind)); !s) return s;
    rc = mdb_drop(txn, spki, 1);
    if (rc != 0) return lmdb_error(rc, "migrate: delete spki_index");
  } else if (rc != MDB_NOTFOUND) {
    return lmdb_error(rc, "migrate: open spki_index");
  }
  return replace_all(txn, dbi, entries, "migrate attr_index: write");
}

// Schema 1 -> 2: csr_key_index entries take their epoch (reservation id >>
// kCsrKeyEpochShift) in front of the key fingerprint (storage/epoch_index.hpp).
Status migrate_csr_key_epochs(MDB_txn* txn, MDB_dbi dbi) {
  Entries entries;
  Status read = each_entry(txn, dbi, "migrate csr_key_index: read", [&entries](ByteView k, ByteView v) -> Status {
    if (v.size() != 8) {
      return make_error(ErrorKind::storage, "storage_corrupt", "csr_key_index value is not a reservation id");
    }
    const auto epoch = static_cast<std::uint32_t>(get_be64(v.data()) >> kCsrKeyEpochShift);
    entries.emplace_back(epoch_key(k, 0, epoch), to_bytes(v));
    return {};
  });
  if (!read) return read;
  return replace_all(txn, dbi, entries, "migrate csr_key_index: write");
}

// Schema 3 -> 4: every stored CRL is complete and unsharded (format 1 records read as
// such); each issuer's greatest number becomes its complete CRL's head.
Status migrate_crl_heads(MDB_txn* txn, MDB_dbi crls, MDB_dbi heads) {
  Entries entries;
  Status read = each_entry(txn, crls, "migrate crls: read", [&entries](ByteView k, ByteView) -> Status {
    if (k.size() != 4 + kMaxCrlNumberBytes) return make_error(ErrorKind::storage, "storage_corrupt", "crls key size");
    auto number = normalize_crl_number(k.subspan(4));
    if (!number) return make_error(ErrorKind::storage, "storage_corrupt", "crls key number");
    Bytes head = crl_head_key(get_be32(k.data()), kCompleteCrl);
    if (!entries.empty() && entries.back().first == head) {
      entries.back().second = std::move(*number);  // keys ascend: the last one is the greatest
    } else {
      entries.emplace_back(std::move(head), std::move(*number));
    }
    return {};
  });
  if (!read) return read;
  return replace_all(txn, heads, entries, "migrate crl_heads: write");
}

// Upgrades schema `from` to kSchemaVersion, one step per version. Schema 1 is the
// first; there is nothing to migrate from below it.
Status migrate_schema(MDB_txn* txn, const std::array<MDB_dbi, kTableCount>& dbis, std::uint32_t from) {
  if (from < 1) {
    return version_mismatch("no migration from schema " + std::to_string(from) + " to " +
                            std::to_string(kSchemaVersion));
  }
  if (from < 2) {
    if (Status s = migrate_attr_index_epochs(txn, dbi_of(dbis, Table::attr_index)); !s) return s;
    if (Status s = migrate_csr_key_epochs(txn, dbi_of(dbis, Table::csr_key_index)); !s) return s;
  }
  if (from < 4) {
    if (Status s = migrate_crl_heads(txn, dbi_of(dbis, Table::crls), dbi_of(dbis, Table::crl_heads)); !s) return s;
  }
  return {};
}

Status write_version(MDB_txn* txn, MDB_dbi meta) {
  MDB_val key = to_val(as_bytes(kMetaSchemaVersion));
  std::uint8_t buf[4];
  put_be32(buf, kSchemaVersion);
  MDB_val v = to_val(ByteView(buf, sizeof buf));
  const int rc = mdb_put(txn, meta, &key, &v, 0);
  if (rc != 0) return lmdb_error(rc, "write schema version");
  return {};
}

}  // namespace

Status check_schema(MDB_txn* txn, const std::array<MDB_dbi, kTableCount>& dbis, bool read_only) {
  const MDB_dbi meta = dbi_of(dbis, Table::meta);
  MDB_val key = to_val(as_bytes(kMetaSchemaVersion));
  MDB_val val;
  const int rc = mdb_get(txn, meta, &key, &val);
  if (rc == MDB_NOTFOUND) {
    if (read_only) return {};  // an empty environment; nothing to interpret
    return write_version(txn, meta);
  }
  if (rc != 0) return lmdb_error(rc, "read schema version");
  if (val.mv_size != 4) {
    return make_error(ErrorKind::storage, "storage_corrupt",
                      "schema version record has " + std::to_string(val.mv_size) + " bytes, expected 4");
  }
  const std::uint32_t stored = get_be32(static_cast<const std::uint8_t*>(val.mv_data));
  if (stored > kSchemaVersion) {
    return version_mismatch("database schema " + std::to_string(stored) + " is newer than this program's schema " +
                            std::to_string(kSchemaVersion));
  }
  if (stored == kSchemaVersion) return {};
  if (read_only) {
    return version_mismatch("database schema " + std::to_string(stored) +
                            " needs a migration; open it read-write first");
  }
  if (Status m = migrate_schema(txn, dbis, stored); !m) return m;
  return write_version(txn, meta);
}

}  // namespace trustmon::storage
