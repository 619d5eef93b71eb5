// Recomputes the derived statistics (stats/cube.hpp) from the event log: every
// certificate.issued, .revoked and .released event is replayed through the same rules
// the Writer jobs apply (stats::Transition), from per-certificate state rebuilt as the
// replay goes. The bulk of the log is read in a snapshot off the Writer; one final Writer
// job replays what was appended since and makes stats_cells equal the result (writing
// only the cells that differ), so incremental counting never stops and nothing is lost.
//
// The daemon runs it once on a store that has no cells yet (meta stats_built, e.g. one
// upgraded from schema 5); `POST /api/v1/admin/stats/rebuild` and `trustmonctl stats
// rebuild` run it on demand. Memory: about 150 bytes per certificate for the replay state.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "responder/pki/issuer_set.hpp"
#include "responder/stats/counting.hpp"
#include "storage/lmdb.hpp"
#include "storage/writer.hpp"

namespace trustmon::registry {

struct StatsRebuildReport {
  std::uint64_t events = 0;     // certificate events replayed
  std::uint64_t skipped = 0;    // certificate events of issuers no longer configured, or unreadable
  std::uint64_t cells = 0;      // cells after the rebuild
  std::uint64_t differing = 0;  // cells the rebuild changed (0: the live counters were exact)
};

inline constexpr std::string_view kMetaStatsBuilt = "stats_built";

class StatsRebuild {
 public:
  StatsRebuild(const pki::IssuerSet& issuers, const stats::Counting& counting,
               const std::atomic<bool>* cancel = nullptr);
  ~StatsRebuild();

  // Replays the events after the last one replayed, up to the newest in `txn`.
  Status replay(const storage::ReadTxn& txn);
  Status replay(const storage::WriteTxn& txn);
  // Makes stats_cells equal the replayed cells and records meta stats_built.
  Result<StatsRebuildReport> store(storage::WriteTxn& txn);

 private:
  template <class Txn>
  Status replay_events(const Txn& txn);
  struct State;
  std::unique_ptr<State> state_;
};

// The whole rebuild: the snapshot replay on the calling thread (`env`), then the final
// job through `writer`, waited for. Never call it from an event loop.
// `cancel`: when it becomes true the replay stops with `cancelled` (the daemon's stop).
Result<StatsRebuildReport> rebuild_stats(storage::Env& env, storage::Writer& writer, const pki::IssuerSet& issuers,
                                         const stats::Counting& counting, const std::atomic<bool>* cancel = nullptr);
// True when the store has had its cells built (a new store counts from its first event).
Result<bool> stats_built(const storage::ReadTxn& txn);

}  // namespace trustmon::registry
