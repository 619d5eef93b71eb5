// Background re-signing of pre-signed OCSP responses before they go stale.
//
// Policy:
//  * the work list is ocsp_due (presign.hpp): every stored response has an entry at its
//    nextUpdate, and a certificate stored without a SHA-1 response one at 0. A due pass
//    walks it from the start up to now + refresh_margin, so its cost is proportional to
//    the responses that are due, not to the certificates stored. It signs what is due:
//    missing SHA-1 responses, and stored ones (SHA-1, or another CertID hash a client
//    asked in) that are due, undecodable or no longer state the certs record's status;
//    entries that no longer belong to a response are dropped;
//  * a full pass walks `certs` issuer by issuer (only issuers in the table), and alongside
//    it `ocsp_responses`, and signs the same, plus any response that no longer states its
//    certificate's status (a writer that broke the contract of responder.hpp). It runs
//    first on a store whose work list was never built (an upgrade from schema 4: it gives
//    every response its ocsp_due entry, then sets meta ocsp_due_built), and then every
//    full_pass_interval (a day) as a safety net, so its cost is paid rarely;
//  * a certificate past its notAfter is signed with expired_validity and ArchiveCutoff
//    (presign.hpp), so it falls due that rarely;
//  * reading happens in short read transactions (at most `batch_size` due entries or
//    kScanChunk scanned entries per transaction), so the map can grow and old pages
//    can be reclaimed while a pass runs;
//  * signing happens on the refresher thread, outside any transaction, paced to
//    `max_per_second` so a large backlog (first start, key rollover) is spread out
//    instead of taking the CPU from request threads;
//  * each batch is one Writer job that re-reads every certs record and stores the new
//    response (put_response: with its ocsp_due entry) only if the record still equals
//    what was signed and no newer response was stored meanwhile (a concurrent revocation
//    wins).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "responder/ocsp/options.hpp"
#include "responder/ocsp/responder_keys.hpp"
#include "storage/lmdb.hpp"
#include "storage/writer.hpp"

namespace trustmon::ocsp {

struct RefresherOptions {
  std::chrono::milliseconds interval{10000};  // pause between passes
  std::chrono::seconds full_pass_interval{86400};  // between full passes (the safety net)
  std::size_t batch_size = 256;               // responses per Writer job
  double max_per_second = 500;                // signatures per second; 0 = unlimited
  // Test hook: runs after a batch is signed and before its Writer job is submitted
  // (tests change a record there to exercise the re-check).
  std::function<void()> before_store;
};

struct RefresherStats {
  std::uint64_t passes = 0;
  std::uint64_t full_passes = 0;      // of which full
  std::uint64_t scanned = 0;          // certs records (full) or ocsp_due entries (due) looked at
  std::uint64_t signed_count = 0;     // responses signed
  std::uint64_t stored = 0;           // responses written
  std::uint64_t skipped_changed = 0;  // record changed (or newer response) between signing and writing
  std::uint64_t dropped = 0;          // ocsp_due entries that belonged to no response
  std::uint64_t failures = 0;         // signing, storage or undecodable records
};

class Refresher {
 public:
  static constexpr std::size_t kScanChunk = 4096;

  enum class Pass : std::uint8_t { automatic, due, full };

  // All references must outlive the Refresher; `writer` must be started.
  Refresher(storage::Env& env, storage::Writer& writer, const ResponderTable& issuers, OcspOptions options,
            const Clock& clock, RefresherOptions refresher_options = {});
  ~Refresher();  // stop()
  Refresher(const Refresher&) = delete;
  Refresher& operator=(const Refresher&) = delete;

  void start();
  // Interrupts a pass (pacing waits end at once), then joins. Idempotent.
  void stop();

  // One pass on the calling thread (automatic: full when the work list was never built or
  // full_pass_interval has passed since the last full pass, else due); returns the number
  // of responses stored. Passes never overlap (a concurrent call waits).
  std::size_t run_once(Pass pass = Pass::automatic);

  RefresherStats stats() const;

 private:
  struct Due;
  struct Batch;
  void loop();
  std::size_t pass(Pass kind);
  std::size_t full_pass();
  std::size_t due_pass();
  std::size_t refresh_issuer(const ResponderKeys& issuer, storage::ReadTxn& txn, bool build_index);
  // Counts a chunk's reads and stores its batch, adding to `stored`; false when the pass
  // must end (stopping, or the Writer is gone).
  bool end_chunk(Batch& batch, std::uint64_t scanned, std::uint64_t failures, std::size_t& stored);
  // Signs `batch.due`, then stores it (and its other work-list changes) in one Writer
  // job; SIZE_MAX = abort the pass.
  std::size_t store(Batch& batch);
  bool due_built();
  bool stopping() const;
  void count_fault(const Error& e);  // logs it and counts a failure
  bool pace();  // false when stopping

  storage::Env& env_;
  storage::Writer& writer_;
  const ResponderTable& issuers_;
  OcspOptions options_;
  const Clock& clock_;
  RefresherOptions ropts_;

  std::mutex pass_mu_;  // serialises passes
  bool due_built_ = false;  // meta ocsp_due_built seen or written (pass_mu_)
  std::optional<std::chrono::steady_clock::time_point> last_full_;  // (pass_mu_)
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  RefresherStats stats_;
  std::chrono::steady_clock::time_point next_slot_{};
};

}  // namespace trustmon::ocsp
