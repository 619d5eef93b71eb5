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
//  * std::shared_mutex (pthread rwlock) prefers readers, so a steady stream of
//    overlapping ReadScopes could starve grow_map(); while a growth is pending, new
//    readers first pass a gate the growth holds (a thread that already holds the lock
//    shared skips the gate, so nested ReadScopes on one thread cannot deadlock);
//  * never wait for the Writer (run_sync) while holding a ReadScope: growth would wait
//    for that scope and the Writer for the growth;
//  * commits are durable (no MDB_NOSYNC / MDB_NOMETASYNC): a committed write survives
//    kill -9 and power loss;
//  * a Cursor is destroyed before its transaction ends (commit, abort, reset); debug
//    builds count each transaction's open cursors and assert it. Walks over a table go
//    through storage/scan.hpp, which opens and closes the cursor inside the call.
#pragma once

#include <lmdb.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
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
  cert_der,        // be64 der id (certs record der_id) -> DER; before der ids: SHA-256 of DER -> DER
  ocsp_responses,  // cert_key(issuer id, serial) [|| u8 CertID hash] -> OcspResponseRecord (pre-signed DER)
  events,          // be64 sequence -> EventRecord (hash-chained)
  // access (responder/access): participants, representatives, credentials
  participants,       // be32 participant id -> ParticipantRecord
  representatives,    // be32 representative id -> RepresentativeRecord
  credentials,        // be32 credential id -> CredentialRecord
  credential_lookup,  // u8 kind || SHA-256 (token or client-certificate DER) -> be32 credential id
  // certificate monitoring (responder/registry)
  attr_index,      // DUPSORT: u8 attribute kind || be32 epoch || normalised value -> cert key
  watches,         // be32 watch id -> watch record
  // CSR and key uniqueness (responder/csr)
  csr_reservations,  // be64 reservation id -> reservation record
  csr_index,         // SHA-256 of CSR DER -> be64 reservation id
  csr_key_index,     // DUPSORT: be32 epoch || key fingerprint -> be64 reservation id
  // trusted list (tsl)
  tl_model,     // model records of each list (layout owned by tsl/)
  tl_versions,  // list name || be64 sequence -> published version (signed XML)
  tl_notices,   // be64 notice id -> change notice and its history
  applications, // be64 application id -> application and its history
  // CRLs (storage/crls.hpp)
  crls,       // be32 issuer id || 20-octet CRL number -> published CRL
  crl_heads,  // be32 issuer id || u8 kind || be16 shard -> the scope's latest CRL number
  // OCSP (responder/ocsp/presign.hpp)
  ocsp_due,  // be64 nextUpdate || ocsp_responses key -> empty: the refresher's work list
  // statistics (responder/stats)
  stats_cells,    // u8 metric || be32 day || be32 issuer || dimension codes -> be64 count (stats/cube.hpp)
  stats_reports,  // be64 report id -> a provider's statistics report and its checks (stats/report_store.hpp)
  // test bed (responder/testbed, responder/testcases)
  testca_certs,        // cert_key(issuer id, serial) -> what the test CA issued it as (testbed/)
  testcase_blobs,      // SHA-256 -> artefact bytes (content-addressed, testcases/)
  testcase_cases,      // be64 case id || be32 version -> test case record (testcases/)
  testcase_products,   // be64 product id -> product record (testcases/)
  testcase_submissions,// be64 submission id -> submission record (testcases/)
  testcase_campaigns,  // be64 campaign id -> campaign record (testcases/)
  // cabinet sessions (responder/access/session.hpp)
  sessions,  // be64 session id -> SessionRecord
  // status changes by certificate (storage/cert_events.hpp)
  cert_events,  // cert_key || be64 event seq -> empty
  // the certificate holder's requests (responder/holder/records.hpp)
  renewals,             // be64 renewal number -> renewal record
  revocation_requests,  // be64 request number -> revocation request record
  holder_index,         // u8 kind || key -> the open request or the certificate it points at
  // the test bed's cloud key store (responder/testbed/ksp.hpp)
  ksp_keys,  // holder RNOKPP (10 ASCII digits) -> encrypted private key and certificate
  // joining by signed applications (responder/joining/records.hpp)
  join_applications,  // be64 application number -> application record (signed bytes, decision)
  join_index,         // u8 kind || key -> be64 number: signed-document hashes, pending per organisation
};
inline constexpr std::size_t kTableCount = 38;
const char* table_name(Table t);
// True for tables opened with MDB_DUPSORT (several values per key, sorted).
bool table_is_dupsort(Table t);

// 2: attr_index keys carry the ingest epoch after the kind octet, and key fingerprints
//    are attr_index entries of kind spki_sha256 (65) instead of the spki_index table.
//    csr_key_index keys start with their epoch (storage/epoch_index.hpp). Opening a
//    schema-1 store read-write moves its attr_index and spki_index entries to epoch 0,
//    deletes spki_index, and gives csr_key_index entries their epoch.
// 3: the crls table (storage/crls.hpp); a read-write open creates it empty, nothing moves.
// 4: crls records carry their scope (complete or delta CRL, shard, delta base), and
//    crl_heads names each scope's latest CRL; the migration gives every stored CRL (all
//    complete, unsharded) its head.
// 5: the ocsp_due table (responder/ocsp/presign.hpp); a read-write open creates it empty,
//    and the OCSP refresher's first full pass fills it (meta ocsp_due_built).
// 6: the stats_cells and stats_reports tables (responder/stats); a read-write open creates
//    them empty, and the daemon's first start rebuilds the cells from the event log
//    (meta stats_built). certs records of format 4 carry the statistics profile and the
//    ingest time.
// 7: the test bed's tables (testca_certs, testcase_*); a read-write open creates them empty.
// 8: the sessions table (responder/access/session.hpp) and cert_events (storage/cert_events.hpp);
//    a read-write open creates them empty (earlier status changes are not indexed).
// 9: the holder's requests (renewals, revocation_requests, holder_index: responder/holder/)
//    and the ksp_keys table of the test bed's cloud key store (responder/testbed/ksp.hpp);
//    a read-write open creates them empty, and a test-enabled server fills ksp_keys when it
//    seeds.
// 10: the joining applications (join_applications, join_index: responder/joining/); a
//    read-write open creates them empty. Credentials of kind 3 (identifier) may appear.
inline constexpr std::uint32_t kSchemaVersion = 10;

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
  // A second open of the same directory in one process is refused ("storage_error"):
  // LMDB's advisory locks would be dropped when either handle closed.
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

  // Adopts a map size grown by another process (after MDB_MAP_RESIZED); same rules
  // as grow_map().
  Status adopt_map_size();

  std::shared_mutex& map_lock() noexcept { return map_lock_; }
  // The shared side of the map lock as ReadTxn takes it: waits at the gate while a
  // growth is pending unless this thread already holds the lock shared. Lock and
  // unlock on the same thread.
  void lock_map_shared();
  void unlock_map_shared() noexcept;
  bool read_only() const noexcept { return read_only_; }

 private:
  Env() = default;
  MDB_env* env_ = nullptr;
  std::array<MDB_dbi, kTableCount> dbis_{};
  bool read_only_ = false;
  std::string open_path_;  // canonical directory, registered while open
  std::shared_mutex map_lock_;
  std::mutex grow_gate_;                   // held by a growth for its whole length
  std::atomic<bool> grow_pending_{false};  // readers check it before lock_shared
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
  friend class Cursor;
  ReadTxn(Env* env, MDB_txn* txn) : env_(env), txn_(txn) {}
  Env* env_ = nullptr;
  MDB_txn* txn_ = nullptr;
  bool active_ = false;
  mutable unsigned cursors_ = 0;  // open Cursors (counted in debug builds only)
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

// Read-write transaction with a sticky first error: after a failure, further gets, puts
// and dels are no-ops returning it and commit() returns it (and aborts). Abort on
// destruction unless committed. A child that hits MDB_MAP_FULL, or whose commit fails,
// also makes its parent's sticky error that error (the parent cannot commit a batch the
// map cannot hold, and after a failed merge its state is unknown). A parent must not be
// moved while it has a child. MDB_TXN_FULL (the dirty-page limit, which a child cannot
// relieve by spilling its parent's pages) is sticky in the transaction that hit it only:
// its parent stays committable without the child (txn_full() tells the Writer to commit
// what ran and run the job again in a fresh transaction).
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
  // Puts `entries` in the order given through one cursor. Given in key order (and value
  // order within a key on a DUPSORT table), consecutive inserts share the path from the
  // root and often the leaf page, which LMDB's positioned search reuses: a bulk index
  // write costs less than the same puts in random order (bench_registry).
  struct KeyValue {
    ByteView key;
    ByteView value;
  };
  // `flags`: MDB_APPEND when every key is greater than the table's last (full pages).
  Status put_sorted(Table t, std::span<const KeyValue> entries, unsigned flags = 0);
  // Inserts only if absent; returns false (not an error) when the key exists (on a
  // DUPSORT table: when that key/value pair exists).
  Result<bool> put_if_absent(Table t, ByteView key, ByteView value);
  // Returns false (not an error) when the key did not exist. On a DUPSORT table this
  // removes every value of the key.
  Result<bool> del(Table t, ByteView key);
  // DUPSORT tables: removes one key/value pair; false when that pair did not exist.
  Result<bool> del_value(Table t, ByteView key, ByteView value);

  Status commit();
  void abort() noexcept;

  const Status& sticky() const noexcept { return sticky_; }
  bool map_full() const noexcept { return map_full_; }
  // This transaction hit MDB_TXN_FULL (too many dirty pages for one commit).
  bool txn_full() const noexcept { return txn_full_; }
  MDB_txn* raw() const noexcept { return txn_; }
  Env& env() const noexcept { return *env_; }

 private:
  friend class Cursor;
  WriteTxn(Env* env, MDB_txn* txn) : env_(env), txn_(txn) {}
  Status fail(int rc, const char* context);
  Env* env_ = nullptr;
  MDB_txn* txn_ = nullptr;
  WriteTxn* parent_ = nullptr;
  Status sticky_;
  bool map_full_ = false;
  bool txn_full_ = false;
  mutable unsigned cursors_ = 0;  // open Cursors (counted in debug builds only)
};

// Cursor over one table in a read or write transaction. Positioning calls return
// false at the end of the table (not an error). Destroy a Cursor before its
// transaction commits, aborts or is reset: LMDB frees write-transaction cursors itself
// when the transaction ends, and a read cursor must not outlive its snapshot. Debug
// builds assert it (the transaction counts its open cursors). To walk a table, prefer
// storage/scan.hpp.
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
  Result<bool> find(ByteView key);  // exactly key (MDB_SET_KEY), first of its values
  Result<bool> next_dup();          // DUPSORT: next value of the current key only
  // DUPSORT: exactly `key`, at its first value >= `value` (MDB_GET_BOTH_RANGE).
  Result<bool> seek_dup(ByteView key, ByteView value);
  ByteView key() const noexcept;
  ByteView value() const noexcept;

 private:
  Cursor(MDB_cursor* c, unsigned* open_count) noexcept;
  Result<bool> move(MDB_cursor_op op, ByteView* seek_key = nullptr, ByteView* seek_value = nullptr);
  void close() noexcept;
  MDB_cursor* cur_ = nullptr;
  unsigned* open_count_ = nullptr;  // the transaction's count (debug builds)
  MDB_val k_{}, v_{};
};

}  // namespace trustmon::storage
