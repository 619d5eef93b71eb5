// The schema-version record and the migrations between schemas (kSchemaVersion in
// lmdb.hpp lists what each version changed).
//
// Policy: Env::open calls check_schema in its opening write transaction, before any
// other thread can use the store, with raw LMDB handles (no Env or WriteTxn exists yet).
// A new store gets the current version; an older one is upgraded one step per version
// inside that transaction, so it happens entirely or not at all; a newer one, or an
// older one without a step, is refused ("storage_version_mismatch") rather than
// reinterpreted. A read-only open never migrates.
#pragma once

#include <lmdb.h>

#include <array>

#include "common/result.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::storage {

// Reads, writes or checks meta["schema_version"] in `txn`, migrating an older store
// when `read_only` is false.
Status check_schema(MDB_txn* txn, const std::array<MDB_dbi, kTableCount>& dbis, bool read_only);

}  // namespace trustmon::storage
