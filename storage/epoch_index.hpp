// DUPSORT index tables partitioned by epoch: the stored key is the logical key with a
// be32 epoch inserted after its first `prefix` octets (prefix 1: after a kind octet;
// prefix 0: in front), and reads merge a logical key's values across the epochs.
//
// Why: an index whose keys are hashes or names spreads each commit's inserts over the
// whole tree; once the tree outgrows a commit, nearly every insert dirties its own 4 KiB
// page. Writers that derive the epoch from an ever-growing count (certificates stored,
// reservation ids) put every new entry into the newest epoch's small region, where a
// commit's entries share pages, and never write older epochs again. Users:
// responder/registry/attr_index.hpp (attr_index) and responder/csr (csr_key_index).
//
// Reading: EpochWalk probes the epochs with one positioned seek each (skip-scan: a seek
// that lands in a later epoch skips the empty ones between), opens a cursor on every
// epoch holding the key, and merges their value lists in value order. The cost is one
// seek per epoch present.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::storage {

// csr_key_index: the epoch of an entry is its reservation id >> kCsrKeyEpochShift
// (responder/csr/reservation.hpp key_index_key; the schema-2 migration in
// migrations.cpp places old entries with it).
inline constexpr unsigned kCsrKeyEpochShift = 17;

// `key` as stored in `epoch`: key[0, prefix) || be32(epoch) || key[prefix, end).
Bytes epoch_key(ByteView key, std::size_t prefix, std::uint32_t epoch);
// Sets the epoch of a key made by epoch_key with the same `prefix`, in place (a key can
// be built before its epoch is known).
void set_epoch(Bytes& stored_key, std::size_t prefix, std::uint32_t epoch);

// The values of one logical key across the epochs, in value order (a value stored in two
// epochs appears twice). Lives inside the caller's transaction.
class EpochWalk {
 public:
  // Starts at the first value >= `from` (> `from` when `after`), or at the first.
  template <class Txn>
  static Result<EpochWalk> open(const Txn& txn, Table table, ByteView key, std::size_t prefix,
                                std::optional<ByteView> from = std::nullopt, bool after = false);
  bool done() const noexcept { return current_ == kNone; }
  ByteView value() const noexcept { return lists_[current_].value(); }
  Status next();

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  void pick();
  std::vector<Cursor> lists_;  // one per epoch holding the key, each on a value
  std::size_t current_ = kNone;
};

}  // namespace trustmon::storage
