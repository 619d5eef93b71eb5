// RAII layer over LMDB (see lmdb.hpp for the policy). This file owns the mapping of LMDB
// return codes to Errors, the environment's open sequence (tables, then the schema
// version and its migrations in migrations.cpp), the map lock that keeps readers out
// while the map is remapped, and the sticky-error rules of write transactions.
#include "storage/lmdb.hpp"

#include <cassert>
#include <filesystem>
#include <limits>
#include <set>
#include <string>
#include <system_error>
#include <utility>

#include "common/enum_names.hpp"
#include "storage/mdb_val.hpp"
#include "storage/migrations.hpp"

namespace trustmon::storage {
namespace {

// The LMDB database names: stored in every environment, never rename one. The literals
// make name(...).data() NUL-terminated (mdb_dbi_open takes a C string).
constexpr EnumNames<Table, kTableCount> kTableNames({{
    {Table::meta, "meta"},
    {Table::issuers, "issuers"},
    {Table::certs, "certs"},
    {Table::cert_der, "cert_der"},
    {Table::ocsp_responses, "ocsp_responses"},
    {Table::events, "events"},
    {Table::participants, "participants"},
    {Table::representatives, "representatives"},
    {Table::credentials, "credentials"},
    {Table::credential_lookup, "credential_lookup"},
    {Table::attr_index, "attr_index"},
    {Table::watches, "watches"},
    {Table::csr_reservations, "csr_reservations"},
    {Table::csr_index, "csr_index"},
    {Table::csr_key_index, "csr_key_index"},
    {Table::tl_model, "tl_model"},
    {Table::tl_versions, "tl_versions"},
    {Table::tl_notices, "tl_notices"},
    {Table::applications, "applications"},
    {Table::crls, "crls"},
    {Table::crl_heads, "crl_heads"},
    {Table::ocsp_due, "ocsp_due"},
    {Table::stats_cells, "stats_cells"},
    {Table::stats_reports, "stats_reports"},
    {Table::testca_certs, "testca_certs"},
    {Table::testcase_blobs, "testcase_blobs"},
    {Table::testcase_cases, "testcase_cases"},
    {Table::testcase_products, "testcase_products"},
    {Table::testcase_submissions, "testcase_submissions"},
    {Table::testcase_campaigns, "testcase_campaigns"},
    {Table::sessions, "sessions"},
    {Table::cert_events, "cert_events"},
    {Table::renewals, "renewals"},
    {Table::revocation_requests, "revocation_requests"},
    {Table::holder_index, "holder_index"},
    {Table::ksp_keys, "ksp_keys"},
    {Table::join_applications, "join_applications"},
    {Table::join_index, "join_index"},
}});
// Every table has its own name (a missing entry would open the "unknown" database).
constexpr bool every_table_named() {
  for (std::size_t i = 0; i < kTableCount; ++i)
    if (kTableNames.entries()[i].first != static_cast<Table>(i)) return false;
  return true;
}
static_assert(every_table_named(), "kTableNames lists the tables in enum order");

// How many times this thread holds some Env's map lock shared. A thread that already
// holds it must not wait at a growth's gate (the growth waits for that very hold).
// Counting across Envs is conservative: it can only skip the gate, never deadlock.
thread_local unsigned t_map_shared_depth = 0;

// Directories with an open Env in this process (LMDB: never open one twice).
std::mutex g_open_mu;
std::set<std::string>& open_paths() {
  static std::set<std::string> paths;
  return paths;
}

Error not_active_error() {
  return make_error(ErrorKind::storage, "storage_error", "read transaction is not active (use a ReadScope)");
}

// Debug builds count each transaction's open cursors and assert none is open when the
// transaction ends (lmdb.hpp: a Cursor is destroyed before its transaction).
#ifdef NDEBUG
constexpr bool kCountCursors = false;
#else
constexpr bool kCountCursors = true;
#endif
void assert_no_cursors(unsigned open) noexcept {
  assert(open == 0 && "a storage::Cursor outlived its transaction (destroy it first)");
  static_cast<void>(open);
}

}  // namespace

const char* table_name(Table t) { return kTableNames.name(t).data(); }

bool table_is_dupsort(Table t) {
  return t == Table::attr_index || t == Table::csr_key_index;
}

Error lmdb_error(int rc, const char* context) {
  std::string code = "storage_error";
  switch (rc) {
    case MDB_MAP_FULL: code = "storage_map_full"; break;
    case MDB_READERS_FULL: code = "storage_readers_full"; break;
    case MDB_VERSION_MISMATCH: code = "storage_version_mismatch"; break;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID: code = "storage_corrupt"; break;
    default: break;
  }
  std::string message = context ? context : "lmdb";
  message += ": ";
  message += mdb_strerror(rc);
  const ErrorKind kind =
      rc == MDB_MAP_FULL || rc == MDB_READERS_FULL ? ErrorKind::unavailable : ErrorKind::storage;
  return make_error(kind, std::move(code), std::move(message));
}

// ---------------------------------------------------------------------------- Env

Result<std::unique_ptr<Env>> Env::open(const EnvOptions& options) {
  if (options.path.empty()) return make_error(ErrorKind::storage, "storage_error", "environment path is empty");
  if (!options.read_only) {
    std::error_code ec;
    std::filesystem::create_directories(options.path, ec);
    if (ec) {
      return make_error(ErrorKind::storage, "storage_error", "create directory " + options.path + ": " + ec.message());
    }
  }

  std::error_code canon_ec;
  std::string canonical = std::filesystem::weakly_canonical(options.path, canon_ec).string();
  if (canon_ec) canonical = options.path;
  {
    std::lock_guard<std::mutex> lock(g_open_mu);
    if (!open_paths().insert(canonical).second) {
      return make_error(ErrorKind::storage, "storage_error", "environment " + canonical + " is already open in this process");
    }
  }
  std::unique_ptr<Env> env(new Env());
  env->open_path_ = canonical;  // from here on the destructor unregisters it
  env->read_only_ = options.read_only;
  int rc = mdb_env_create(&env->env_);
  if (rc != 0) {
    env->env_ = nullptr;
    return lmdb_error(rc, "mdb_env_create");
  }
  // One more than the tables: room to open a table a migration retires.
  rc = mdb_env_set_maxdbs(env->env_, static_cast<MDB_dbi>(kTableCount + 1));
  if (rc != 0) return lmdb_error(rc, "mdb_env_set_maxdbs");
  // An explicit size set before mdb_env_open wins over the size stored in an existing
  // file (LMDB only keeps it from falling below the used space), which would undo
  // earlier growth at every restart. So: a new file gets the requested size; an
  // existing one opens at its stored size and is raised below if the request is larger.
  std::error_code exists_ec;
  const bool existing = std::filesystem::exists(options.path + "/data.mdb", exists_ec);
  if (!existing) {
    rc = mdb_env_set_mapsize(env->env_, options.initial_map_size);
    if (rc != 0) return lmdb_error(rc, "mdb_env_set_mapsize");
  }
  rc = mdb_env_set_maxreaders(env->env_, options.max_readers);
  if (rc != 0) return lmdb_error(rc, "mdb_env_set_maxreaders");

  // MDB_NOTLS: reader slots belong to MDB_txn objects, not threads, so a reset ReadTxn
  // keeps its slot and a thread may hold several. MDB_NORDAHEAD: the map is advised
  // random (madvise MADV_RANDOM), so a page fault reads its one page and not the
  // device's readahead window around it (8 MiB on the benchmark machine): with a store
  // larger than memory, each cold probe of an index otherwise read megabytes and pushed
  // useful pages out of the cache (bench/README "Ten million"). No NOSYNC/NOMETASYNC
  // (durability), no WRITEMAP (nested transactions need the default mode).
  unsigned flags = MDB_NOTLS | MDB_NORDAHEAD;
  if (options.read_only) flags |= MDB_RDONLY;
  rc = mdb_env_open(env->env_, options.path.c_str(), flags, 0600);
  if (rc != 0) return lmdb_error(rc, ("open " + options.path).c_str());

  if (existing && !options.read_only && env->map_size() < options.initial_map_size) {
    rc = mdb_env_set_mapsize(env->env_, options.initial_map_size);  // no txn open yet
    if (rc != 0) return lmdb_error(rc, "mdb_env_set_mapsize");
  }

  // Open every table once, in one transaction, before any other thread can use the Env.
  MDB_txn* txn = nullptr;
  rc = mdb_txn_begin(env->env_, nullptr, options.read_only ? MDB_RDONLY : 0, &txn);
  if (rc != 0) return lmdb_error(rc, "begin opening transaction");
  for (std::size_t i = 0; i < kTableCount; ++i) {
    const Table t = static_cast<Table>(i);
    const unsigned dbi_flags = (options.read_only ? 0U : unsigned{MDB_CREATE}) |
                          (table_is_dupsort(t) ? unsigned{MDB_DUPSORT} : 0U);
    rc = mdb_dbi_open(txn, table_name(t), dbi_flags, &env->dbis_[i]);
    if (rc != 0) {
      mdb_txn_abort(txn);
      if (rc == MDB_NOTFOUND) {
        return make_error(ErrorKind::storage, "storage_error", std::string("table ") + table_name(t) +
                                               " missing (database never initialised?)");
      }
      return lmdb_error(rc, "mdb_dbi_open");
    }
  }
  Status schema = check_schema(txn, env->dbis_, options.read_only);
  if (!schema.ok()) {
    mdb_txn_abort(txn);
    return std::move(schema).error();
  }
  // Commit (also for a read-only txn): aborting would close the table handles it opened.
  rc = mdb_txn_commit(txn);
  if (rc != 0) return lmdb_error(rc, "commit opening transaction");
  return env;
}

Env::~Env() {
  if (env_ != nullptr) mdb_env_close(env_);
  if (!open_path_.empty()) {
    std::lock_guard<std::mutex> lock(g_open_mu);
    open_paths().erase(open_path_);
  }
}

std::size_t Env::map_size() const {
  MDB_envinfo info{};
  if (mdb_env_info(env_, &info) != 0) return 0;
  return info.me_mapsize;
}

void Env::lock_map_shared() {
  if (t_map_shared_depth == 0 && grow_pending_.load(std::memory_order_acquire)) {
    // Queue behind the growth instead of overtaking it (reader-preferring rwlock).
    std::lock_guard<std::mutex> wait_for_growth(grow_gate_);
  }
  map_lock_.lock_shared();
  ++t_map_shared_depth;
}

void Env::unlock_map_shared() noexcept {
  --t_map_shared_depth;
  map_lock_.unlock_shared();
}

Status Env::grow_map() {
  if (read_only_) return make_error(ErrorKind::storage, "storage_error", "cannot grow a read-only environment");
  std::lock_guard<std::mutex> gate(grow_gate_);
  grow_pending_.store(true, std::memory_order_release);
  Status result;
  {
    std::unique_lock<std::shared_mutex> exclusive(map_lock_);
    const std::size_t current = map_size();
    if (current == 0 || current > std::numeric_limits<std::size_t>::max() / 2) {
      result = make_error(ErrorKind::unavailable, "storage_map_full", "map cannot grow past " + std::to_string(current));
    } else {
      // Called with no transaction of this process using the map: the Writer has
      // finished its txn and every reader is outside its ReadScope.
      const int rc = mdb_env_set_mapsize(env_, current * 2);
      if (rc != 0) result = lmdb_error(rc, "mdb_env_set_mapsize (grow)");
    }
  }
  grow_pending_.store(false, std::memory_order_release);
  return result;
}

Status Env::adopt_map_size() {
  std::lock_guard<std::mutex> gate(grow_gate_);
  grow_pending_.store(true, std::memory_order_release);
  Status result;
  {
    std::unique_lock<std::shared_mutex> exclusive(map_lock_);
    const int rc = mdb_env_set_mapsize(env_, 0);  // 0 = adopt the size stored in the file
    if (rc != 0) result = lmdb_error(rc, "mdb_env_set_mapsize (adopt)");
  }
  grow_pending_.store(false, std::memory_order_release);
  return result;
}

// -------------------------------------------------------------------------- ReadTxn

Result<ReadTxn> ReadTxn::begin(Env& env) {
  MDB_txn* txn = nullptr;
  int rc = 0;
  bool resized = false;
  for (int attempt = 0; attempt < 3; ++attempt) {
    // mdb_txn_begin reads the meta pages inside the map, so it must not race a remap.
    env.lock_map_shared();
    rc = mdb_txn_begin(env.raw(), nullptr, MDB_RDONLY, &txn);
    if (rc == 0) mdb_txn_reset(txn);
    env.unlock_map_shared();
    if (rc == 0) return ReadTxn(&env, txn);
    if (rc == MDB_READERS_FULL && attempt == 0) {
      int dead = 0;
      mdb_reader_check(env.raw(), &dead);  // free slots of dead processes, then retry
      continue;
    }
    if (rc == MDB_MAP_RESIZED && !resized && t_map_shared_depth == 0) {
      resized = true;
      Status adopted = env.adopt_map_size();
      if (!adopted.ok()) return std::move(adopted).error();
      continue;
    }
    break;
  }
  return lmdb_error(rc, "begin read transaction");
}

ReadTxn::ReadTxn(ReadTxn&& other) noexcept
    : env_(std::exchange(other.env_, nullptr)),
      txn_(std::exchange(other.txn_, nullptr)),
      active_(std::exchange(other.active_, false)) {
  assert_no_cursors(other.cursors_);  // they would count on the moved-from object
}

ReadTxn& ReadTxn::operator=(ReadTxn&& other) noexcept {
  if (this != &other) {
    assert_no_cursors(cursors_ + other.cursors_);
    if (active_) reset();
    if (txn_ != nullptr) mdb_txn_abort(txn_);
    env_ = std::exchange(other.env_, nullptr);
    txn_ = std::exchange(other.txn_, nullptr);
    active_ = std::exchange(other.active_, false);
  }
  return *this;
}

ReadTxn::~ReadTxn() {
  assert_no_cursors(cursors_);
  if (active_) reset();
  // Aborting a reset handle frees its reader slot (MDB_NOTLS).
  if (txn_ != nullptr) mdb_txn_abort(txn_);
}

Status ReadTxn::renew() {
  if (txn_ == nullptr) return make_error(ErrorKind::storage, "storage_error", "read transaction was moved from");
  if (active_) return make_error(ErrorKind::storage, "storage_error", "read transaction is already active");
  bool resized = false;
  for (;;) {
    env_->lock_map_shared();
    const int rc = mdb_txn_renew(txn_);
    if (rc == 0) {
      active_ = true;
      return {};
    }
    env_->unlock_map_shared();
    // Another process grew the map (e.g. an offline tool beside the server).
    if (rc == MDB_MAP_RESIZED && !resized && t_map_shared_depth == 0) {
      resized = true;
      Status adopted = env_->adopt_map_size();
      if (!adopted.ok()) return adopted;
      continue;
    }
    return lmdb_error(rc, "renew read transaction");
  }
}

void ReadTxn::reset() noexcept {
  if (!active_) return;
  assert_no_cursors(cursors_);
  mdb_txn_reset(txn_);
  active_ = false;
  env_->unlock_map_shared();
}

Result<std::optional<ByteView>> ReadTxn::get(Table t, ByteView key) const {
  if (!active_) return not_active_error();
  MDB_val k = to_val(key);
  MDB_val v;
  const int rc = mdb_get(txn_, env_->dbi(t), &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<ByteView>();
  if (rc != 0) return lmdb_error(rc, "get");
  return std::optional<ByteView>(from_val(v));
}

// ------------------------------------------------------------------------- WriteTxn

Result<WriteTxn> WriteTxn::begin(Env& env) {
  if (env.read_only()) return make_error(ErrorKind::storage, "storage_error", "environment is read-only");
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env.raw(), nullptr, 0, &txn);
  if (rc == MDB_MAP_RESIZED && t_map_shared_depth == 0) {
    Status adopted = env.adopt_map_size();
    if (!adopted.ok()) return std::move(adopted).error();
    rc = mdb_txn_begin(env.raw(), nullptr, 0, &txn);
  }
  if (rc != 0) return lmdb_error(rc, "begin write transaction");
  return WriteTxn(&env, txn);
}

Result<WriteTxn> WriteTxn::begin_child(WriteTxn& parent) {
  if (!parent.sticky_.ok()) return parent.sticky_.error();
  if (parent.txn_ == nullptr) return make_error(ErrorKind::storage, "storage_error", "parent transaction has ended");
  MDB_txn* child = nullptr;
  const int rc = mdb_txn_begin(parent.env_->raw(), parent.txn_, 0, &child);
  if (rc != 0) return lmdb_error(rc, "begin child transaction");
  WriteTxn txn(parent.env_, child);
  txn.parent_ = &parent;
  return txn;
}

WriteTxn::WriteTxn(WriteTxn&& other) noexcept
    : env_(std::exchange(other.env_, nullptr)),
      txn_(std::exchange(other.txn_, nullptr)),
      parent_(std::exchange(other.parent_, nullptr)),
      sticky_(std::exchange(other.sticky_, Status())),
      map_full_(std::exchange(other.map_full_, false)),
      txn_full_(std::exchange(other.txn_full_, false)) {
  assert_no_cursors(other.cursors_);  // they would count on the moved-from object
}

WriteTxn& WriteTxn::operator=(WriteTxn&& other) noexcept {
  if (this != &other) {
    assert_no_cursors(other.cursors_);
    abort();
    env_ = std::exchange(other.env_, nullptr);
    txn_ = std::exchange(other.txn_, nullptr);
    parent_ = std::exchange(other.parent_, nullptr);
    sticky_ = std::exchange(other.sticky_, Status());
    map_full_ = std::exchange(other.map_full_, false);
    txn_full_ = std::exchange(other.txn_full_, false);
  }
  return *this;
}

WriteTxn::~WriteTxn() { abort(); }

Status WriteTxn::fail(int rc, const char* context) {
  Error e = lmdb_error(rc, context);
  if (rc == MDB_MAP_FULL) map_full_ = true;
  if (rc == MDB_TXN_FULL) txn_full_ = true;
  if (sticky_.ok()) sticky_ = e;
  // The batch cannot commit what the map cannot hold: every ancestor learns it too.
  if (rc == MDB_MAP_FULL) {
    for (WriteTxn* p = parent_; p != nullptr; p = p->parent_) {
      p->map_full_ = true;
      if (p->sticky_.ok()) p->sticky_ = e;
    }
  }
  return e;
}

Result<std::optional<ByteView>> WriteTxn::get(Table t, ByteView key) const {
  if (!sticky_.ok()) return sticky_.error();
  if (txn_ == nullptr) return make_error(ErrorKind::storage, "storage_error", "write transaction has ended");
  MDB_val k = to_val(key);
  MDB_val v;
  const int rc = mdb_get(txn_, env_->dbi(t), &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<ByteView>();
  if (rc != 0) return lmdb_error(rc, "get");  // const: reported, not made sticky
  return std::optional<ByteView>(from_val(v));
}

Status WriteTxn::put(Table t, ByteView key, ByteView value, unsigned flags) {
  if (!sticky_.ok()) return sticky_;
  if (txn_ == nullptr) return make_error(ErrorKind::storage, "storage_error", "write transaction has ended");
  MDB_val k = to_val(key);
  MDB_val v = to_val(value);
  const int rc = mdb_put(txn_, env_->dbi(t), &k, &v, flags);
  if (rc != 0) return fail(rc, "put");
  return {};
}

Status WriteTxn::put_sorted(Table t, std::span<const KeyValue> entries, unsigned flags) {
  if (!sticky_.ok()) return sticky_;
  if (txn_ == nullptr) return make_error(ErrorKind::storage, "storage_error", "write transaction has ended");
  if (entries.empty()) return {};
  MDB_cursor* cur = nullptr;
  int rc = mdb_cursor_open(txn_, env_->dbi(t), &cur);
  if (rc != 0) return fail(rc, "cursor_open");
  for (const KeyValue& e : entries) {
    MDB_val k = to_val(e.key);
    MDB_val v = to_val(e.value);
    rc = mdb_cursor_put(cur, &k, &v, flags);
    if (rc != 0) break;
  }
  mdb_cursor_close(cur);
  if (rc != 0) return fail(rc, "put_sorted");
  return {};
}

Result<bool> WriteTxn::put_if_absent(Table t, ByteView key, ByteView value) {
  if (!sticky_.ok()) return sticky_.error();
  if (txn_ == nullptr) return make_error(ErrorKind::storage, "storage_error", "write transaction has ended");
  MDB_val k = to_val(key);
  MDB_val v = to_val(value);
  // On a DUPSORT table "absent" means the key/value pair (MDB_NODUPDATA).
  const unsigned flags = table_is_dupsort(t) ? unsigned{MDB_NODUPDATA} : unsigned{MDB_NOOVERWRITE};
  const int rc = mdb_put(txn_, env_->dbi(t), &k, &v, flags);
  if (rc == MDB_KEYEXIST) return false;
  if (rc != 0) return fail(rc, "put_if_absent").error();
  return true;
}

Result<bool> WriteTxn::del(Table t, ByteView key) {
  if (!sticky_.ok()) return sticky_.error();
  if (txn_ == nullptr) return make_error(ErrorKind::storage, "storage_error", "write transaction has ended");
  MDB_val k = to_val(key);
  const int rc = mdb_del(txn_, env_->dbi(t), &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != 0) return fail(rc, "del").error();
  return true;
}

Result<bool> WriteTxn::del_value(Table t, ByteView key, ByteView value) {
  if (!sticky_.ok()) return sticky_.error();
  if (txn_ == nullptr) return make_error(ErrorKind::storage, "storage_error", "write transaction has ended");
  MDB_val k = to_val(key);
  MDB_val v = to_val(value);
  const int rc = mdb_del(txn_, env_->dbi(t), &k, &v);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != 0) return fail(rc, "del_value").error();
  return true;
}

Status WriteTxn::commit() {
  if (!sticky_.ok()) {
    abort();
    return sticky_;
  }
  if (txn_ == nullptr) return make_error(ErrorKind::storage, "storage_error", "write transaction has ended");
  assert_no_cursors(cursors_);
  // mdb_txn_commit frees the handle whether it succeeds or not.
  const int rc = mdb_txn_commit(std::exchange(txn_, nullptr));
  if (rc != 0) {
    Status failed = fail(rc, "commit");
    // A failed merge leaves the parent in an unknown state: it must not commit either.
    if (parent_ != nullptr && parent_->sticky_.ok()) parent_->sticky_ = failed;
    return failed;
  }
  return {};
}

void WriteTxn::abort() noexcept {
  if (txn_ == nullptr) return;
  assert_no_cursors(cursors_);
  mdb_txn_abort(std::exchange(txn_, nullptr));
}

// --------------------------------------------------------------------------- Cursor

Result<Cursor> Cursor::open(const ReadTxn& txn, Table t) {
  if (!txn.active()) return not_active_error();
  MDB_cursor* c = nullptr;
  const int rc = mdb_cursor_open(txn.raw(), txn.env().dbi(t), &c);
  if (rc != 0) return lmdb_error(rc, "mdb_cursor_open");
  return Cursor(c, &txn.cursors_);
}

Result<Cursor> Cursor::open(const WriteTxn& txn, Table t) {
  if (!txn.sticky().ok()) return txn.sticky().error();
  if (txn.raw() == nullptr) return make_error(ErrorKind::storage, "storage_error", "write transaction has ended");
  MDB_cursor* c = nullptr;
  const int rc = mdb_cursor_open(txn.raw(), txn.env().dbi(t), &c);
  if (rc != 0) return lmdb_error(rc, "mdb_cursor_open");
  return Cursor(c, &txn.cursors_);
}

Cursor::Cursor(MDB_cursor* c, unsigned* open_count) noexcept : cur_(c) {
  if constexpr (kCountCursors) {
    open_count_ = open_count;
    ++*open_count_;
  }
}

Cursor::Cursor(Cursor&& other) noexcept
    : cur_(std::exchange(other.cur_, nullptr)),
      open_count_(std::exchange(other.open_count_, nullptr)),
      k_(std::exchange(other.k_, MDB_val{})),
      v_(std::exchange(other.v_, MDB_val{})) {}

Cursor& Cursor::operator=(Cursor&& other) noexcept {
  if (this != &other) {
    close();
    cur_ = std::exchange(other.cur_, nullptr);
    open_count_ = std::exchange(other.open_count_, nullptr);
    k_ = std::exchange(other.k_, MDB_val{});
    v_ = std::exchange(other.v_, MDB_val{});
  }
  return *this;
}

Cursor::~Cursor() { close(); }

void Cursor::close() noexcept {
  if (cur_ != nullptr) mdb_cursor_close(std::exchange(cur_, nullptr));
  if (open_count_ != nullptr) --*std::exchange(open_count_, nullptr);
}

Result<bool> Cursor::move(MDB_cursor_op op, ByteView* seek_key, ByteView* seek_value) {
  if (cur_ == nullptr) return make_error(ErrorKind::storage, "storage_error", "cursor was moved from");
  if (seek_key != nullptr) k_ = to_val(*seek_key);
  if (seek_value != nullptr) v_ = to_val(*seek_value);
  const int rc = mdb_cursor_get(cur_, &k_, &v_, op);
  if (rc == MDB_NOTFOUND) {
    k_ = MDB_val{};
    v_ = MDB_val{};
    return false;
  }
  if (rc != 0) {
    k_ = MDB_val{};
    v_ = MDB_val{};
    return lmdb_error(rc, "mdb_cursor_get");
  }
  return true;
}

Result<bool> Cursor::first() { return move(MDB_FIRST); }
Result<bool> Cursor::last() { return move(MDB_LAST); }
Result<bool> Cursor::next() { return move(MDB_NEXT); }
Result<bool> Cursor::prev() { return move(MDB_PREV); }
Result<bool> Cursor::seek(ByteView key) { return move(MDB_SET_RANGE, &key); }
Result<bool> Cursor::find(ByteView key) { return move(MDB_SET_KEY, &key); }
Result<bool> Cursor::next_dup() { return move(MDB_NEXT_DUP); }
Result<bool> Cursor::seek_dup(ByteView key, ByteView value) { return move(MDB_GET_BOTH_RANGE, &key, &value); }

ByteView Cursor::key() const noexcept { return from_val(k_); }
ByteView Cursor::value() const noexcept { return from_val(v_); }

}  // namespace trustmon::storage
