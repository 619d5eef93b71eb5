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
//
// Compaction (compact_epochs_step): so that the seeks stay bounded as the store grows,
// closed epochs are merged into exponentially larger runs. An entry's epoch field holds
// a run id: level << kEpochLevelShift | index. Level 0 runs are the writers' epochs;
// `fan_in` consecutive runs of level L (all closed) merge into one run of level L + 1
// (index = first source index / fan_in), so at most fan_in - 1 runs per level stay
// apart: about (fan_in - 1) * log_fan_in(epochs) seeks. A merge runs as Writer jobs of
// at most `max_entries` entries each: first it copies every source entry into the target
// run, then it deletes the sources; its progress (the resume position) lives in one meta
// record written in the same job. Between any two jobs, and after a crash between them,
// every value is present in at least one run: a value found in two runs at once is the
// same entry mid-merge, and readers that want each value once skip the repeat
// (registry::IndexWalk does).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
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

inline constexpr unsigned kEpochLevelShift = 24;
inline constexpr unsigned kMaxEpochLevels = 8;  // level 7 runs are never merged further
inline constexpr std::uint32_t run_id(unsigned level, std::uint32_t index) {
  return (std::uint32_t{level} << kEpochLevelShift) | index;
}

struct EpochCompaction {
  std::size_t prefix = 1;      // as for epoch_key
  std::string_view state_key;  // meta key of the merge progress record
  unsigned fan_in = 8;         // runs of one level merged into one of the next (>= 2)
  std::size_t max_entries = 4096;  // entries copied or deleted per step
};

// The merge progress as stored under EpochCompaction::state_key (absent: nothing merged).
struct EpochCompactionState {
  std::uint32_t consumed[kMaxEpochLevels] = {};  // runs of each level merged into the next
  std::uint8_t phase = 0;                         // 0 idle, 1 copying, 2 deleting sources
  std::uint8_t level = 0;                         // the merge in progress: its sources' level
  Bytes resume_key, resume_value;                 // copying: the last entry copied
};
Result<EpochCompactionState> load_compaction_state(const WriteTxn& txn, std::string_view state_key);

// One bounded step of the merge (a Writer job's body): starts the next merge when `fan_in`
// runs of a level wait (level 0: epochs below `closed_epochs`, which no writer adds to
// any more) and carries the merge in progress one chunk further. Returns false when there
// was nothing to do.
Result<bool> compact_epochs_step(WriteTxn& txn, Table table, const EpochCompaction& c, std::uint32_t closed_epochs);

}  // namespace trustmon::storage
