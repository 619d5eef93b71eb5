// RAII layer over LMDB: Env (one per file per process), ReadTxn (one per thread, reused
// with reset/renew), WriteTxn (sticky first error; child transactions for per-job
// rollback inside a group commit), Cursor. Named tables are opened once at start.
//
// Policy (LMDB's header is the contract):
//  * returned ByteViews point into the map and are valid only until the transaction
//    ends or is reset; copy out before that;
//  * the map grows (doubling) on MDB_MAP_FULL; growth happens only on the Writer thread
//    with no write transaction open and with readers excluded through Env's map lock
//    (ReadScope holds it shared), because mdb_env_set_mapsize remaps the file;
//  * MDB_READERS_FULL is retried once after mdb_reader_check;
//  * commits are durable (no MDB_NOSYNC / MDB_NOMETASYNC): a committed write survives
//    kill -9 and power loss.
#pragma once

#include <lmdb.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace trustmon::storage {

// Every named table. Keys are fixed-width big-endian fields so byte order = logical order.
enum class Table : std::uint8_t {
  meta,            // name (ASCII) -> value (schema version, counters, bootstrap token hash)
  issuers,         // be32 issuer id -> IssuerRecord
  certs,           // cert_key(issuer id, serial) -> CertRecord
  cert_der,        // SHA-256 of DER -> DER
  ocsp_responses,  // cert_key(issuer id, serial) -> OcspResponseRecord (pre-signed DER)
  events,          // be64 sequence -> EventRecord (hash-chained)
};
inline constexpr std::size_t kTableCount = 6;
const char* table_name(Table t);

inline constexpr std::uint32_t kSchemaVersion = 1;

// Maps an LMDB return code to an Error (code "storage_error" unless more specific:
// "storage_map_full", "storage_readers_full", "storage_version_mismatch").
Error lmdb_error(int rc, const char* context);

class ReadTxn;
class WriteTxn;

struct EnvOptions {
  std::string path;                                       // a directory; created if missing
  std::size_t initial_map_size = std::size_t{1} << 30;    // 1 GiB; sparse, grows by doubling
  unsigned max_readers = 512;
  bool read_only = false;
};

class Env {
 public:
  // Opens (creating if needed) the environment, opens every table, and writes or checks
  // the schema-version record. A newer schema on disk is "storage_version_mismatch".
  static Result<std::unique_ptr<Env>> open(const EnvOptions& options);
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  MDB_env* raw() const noexcept { return env_; }
  MDB_dbi dbi(Table t) const noexcept { return dbis_[static_cast<std::size_t>(t)]; }
  std::size_t map_size() const;

  // Doubles the map. Call only from the thread that owns writing, with no txn open;
  // takes the map lock exclusively, so it waits for every open ReadScope to end.
  Status grow_map();

  std::shared_mutex& map_lock() noexcept { return map_lock_; }

 private:
  Env() = default;
  MDB_env* env_ = nullptr;
  std::array<MDB_dbi, kTableCount> dbis_{};
  std::shared_mutex map_lock_;
};

// Read-only transaction owned by one thread and reused: begin once, then for each
// request open a ReadScope (renew + shared map lock), read, and let the scope reset it.
class ReadTxn {
 public:
  static Result<ReadTxn> begin(Env& env);  // created in the reset state
  ReadTxn(ReadTxn&& other) noexcept;
  ReadTxn& operator=(ReadTxn&& other) noexcept;
  ~ReadTxn();

  Status renew();       // reset -> active (also takes the map lock shared)
  void reset() noexcept;  // active -> reset (releases the map lock)
  bool active() const noexcept { return active_; }

  // nullopt = not found; Error = anything else. The view dies with reset().
  Result<std::optional<ByteView>> get(Table t, ByteView key) const;

  MDB_txn* raw() const noexcept { return txn_; }
  Env& env() const noexcept { return *env_; }

 private:
  ReadTxn(Env* env, MDB_txn* txn) : env_(env), txn_(txn) {}
  Env* env_ = nullptr;
  MDB_txn* txn_ = nullptr;
  bool active_ = false;
};

// RAII: renews a ReadTxn for one unit of work and resets it at scope exit.
class ReadScope {
 public:
  explicit ReadScope(ReadTxn& txn) : txn_(txn), status_(txn.renew()) {}
  ~ReadScope() { if (status_.ok()) txn_.reset(); }
  ReadScope(const ReadScope&) = delete;
  ReadScope& operator=(const ReadScope&) = delete;
  const Status& status() const noexcept { return status_; }
  ReadTxn& txn() noexcept { return txn_; }

 private:
  ReadTxn& txn_;
  Status status_;
};

// Read-write transaction with a sticky first error: after a failure, further puts and
// dels are no-ops and commit() returns that error (and aborts). Abort on destruction
// unless committed.
class WriteTxn {
 public:
  static Result<WriteTxn> begin(Env& env);
  // Child transaction of `parent` (LMDB nested txn): commit merges into the parent,
  // abort discards only the child's changes. The parent must not be used meanwhile.
  static Result<WriteTxn> begin_child(WriteTxn& parent);
  WriteTxn(WriteTxn&& other) noexcept;
  WriteTxn& operator=(WriteTxn&& other) noexcept;
  ~WriteTxn();

  Result<std::optional<ByteView>> get(Table t, ByteView key) const;
  Status put(Table t, ByteView key, ByteView value, unsigned flags = 0);
  // Inserts only if absent; returns false (not an error) when the key exists.
  Result<bool> put_if_absent(Table t, ByteView key, ByteView value);
  // Returns false (not an error) when the key did not exist.
  Result<bool> del(Table t, ByteView key);

  Status commit();
  void abort() noexcept;

  const Status& sticky() const noexcept { return sticky_; }
  bool map_full() const noexcept { return map_full_; }
  MDB_txn* raw() const noexcept { return txn_; }
  Env& env() const noexcept { return *env_; }

 private:
  WriteTxn(Env* env, MDB_txn* txn) : env_(env), txn_(txn) {}
  Status fail(int rc, const char* context);
  Env* env_ = nullptr;
  MDB_txn* txn_ = nullptr;
  Status sticky_;
  bool map_full_ = false;
};

// Cursor over one table in a read or write transaction. Positioning calls return
// false at the end of the table (not an error).
class Cursor {
 public:
  static Result<Cursor> open(const ReadTxn& txn, Table t);
  static Result<Cursor> open(const WriteTxn& txn, Table t);
  Cursor(Cursor&& other) noexcept;
  Cursor& operator=(Cursor&& other) noexcept;
  ~Cursor();

  Result<bool> first();
  Result<bool> last();
  Result<bool> next();
  Result<bool> prev();
  Result<bool> seek(ByteView key);  // first key >= key (MDB_SET_RANGE)
  ByteView key() const noexcept;
  ByteView value() const noexcept;

 private:
  explicit Cursor(MDB_cursor* c) : cur_(c) {}
  Result<bool> move(MDB_cursor_op op, ByteView* seek_key = nullptr);
  MDB_cursor* cur_ = nullptr;
  MDB_val k_{}, v_{};
};

}  // namespace trustmon::storage
