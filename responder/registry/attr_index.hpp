// The attribute index as stored: attr_index partitioned by ingest epoch, and the walk
// that reads one attribute's certificates back across the partitions.
//
// Why partitions: a certificate adds about a dozen attr_index entries whose keys are
// spread over the whole key space (names, tax numbers, hashes). In one B-tree, a commit
// of a few thousand certificates dirties, and LMDB rewrites, a page for nearly every
// entry once the index has grown past the commit (at 1,000,000 certificates about nine
// 4 KiB pages per certificate). With the epoch after the kind octet, every certificate
// of one epoch (kEpochCertificates consecutive stored certificates) writes into its
// epoch's own region of the tree: the newest region stays small, a commit's sorted
// entries share its pages, and older epochs are never written again.
//
// Layout (attributes.hpp index_key gives kind || rest):
//   stored key = kind || be32(epoch) || rest,   value = certs key (DUPSORT)
//   epoch      = (number of certificates stored before this one) / kEpochCertificates,
//                counted in meta[kMetaStoredCertificates] by the ingest job.
//
// Reading (storage/epoch_index.hpp): a query probes each epoch with one positioned seek
// (a seek lands on the next epoch present, so empty epochs cost nothing), opens a cursor
// on every epoch holding the key, and merges their value lists, so the caller sees one
// list in cert-key order as before partitioning: search pagination is unchanged.
// The cost is one seek per run present. Closed epochs are merged into exponentially
// larger runs (storage/epoch_index.hpp compact_epochs_step, kIndexFanIn runs of a level
// into one of the next), so a query probes at most about (kIndexFanIn - 1) runs per level
// plus the epoch being written: ~12 at 10,000,000 certificates instead of 306. The
// registry runs the merge as a chain of small Writer jobs, one at a time behind the
// ingest jobs, started whenever an ingest closes an epoch (an interrupted merge goes on
// from its stored progress at the next start of the chain). A certificate is indexed in
// one run, except mid-merge, when its entries are in the source and the target run:
// IndexWalk gives each cert key once.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "storage/epoch_index.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::registry {

inline constexpr std::uint64_t kEpochCertificates = std::uint64_t{1} << 15;
inline constexpr unsigned kIndexFanIn = 8;
// meta key of the attr_index merge progress (storage::EpochCompactionState).
inline constexpr std::string_view kMetaAttrIndexCompaction = "attr_index_compaction";

// `index_key` (kind || rest, from index_key()) as stored in `epoch`.
Bytes epoch_index_key(ByteView index_key, std::uint32_t epoch);
// Sets the epoch of a key made by epoch_index_key, in place.
inline void set_index_epoch(Bytes& stored_key, std::uint32_t epoch) { storage::set_epoch(stored_key, 1, epoch); }
inline std::uint32_t epoch_of(std::uint64_t stored_before) {
  return static_cast<std::uint32_t>(stored_before / kEpochCertificates);
}

// meta[kMetaStoredCertificates]; 0 when absent.
Result<std::uint64_t> stored_certificates(const storage::WriteTxn& txn);
Status set_stored_certificates(storage::WriteTxn& txn, std::uint64_t count);

// One step of the attr_index merge (a Writer job's body; storage::compact_epochs_step
// with the epochs closed by meta[kMetaStoredCertificates]); false when there was nothing
// to do. `max_entries`: entries copied or deleted in this step.
Result<bool> compact_attr_index_step(storage::WriteTxn& txn, std::size_t max_entries = 4096);

// The cert keys indexed under one attr_index key, merged across runs in cert-key order,
// each key once (a certificate is indexed in one run, or in two while that run is being
// merged). Lives inside the caller's read scope.
class IndexWalk {
 public:
  // Starts at the first cert key >= `from` (> `from` when `after`), or at the first.
  static Result<IndexWalk> open(const storage::ReadTxn& txn, ByteView index_key,
                                std::optional<ByteView> from = std::nullopt, bool after = false);
  bool done() const noexcept { return walk_.done(); }
  ByteView cert_key() const noexcept { return walk_.value(); }
  Status next();

 private:
  explicit IndexWalk(storage::EpochWalk walk) : walk_(std::move(walk)) {}
  storage::EpochWalk walk_;
};

}  // namespace trustmon::registry
