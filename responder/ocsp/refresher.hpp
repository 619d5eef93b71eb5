// Background re-signing of pre-signed OCSP responses before they go stale.
//
// Policy:
//  * a pass walks `certs` issuer by issuer (only issuers in the table), and alongside it
//    `ocsp_responses`, and finds the certificates whose SHA-1 pre-signed response is
//    missing, and every stored response (SHA-1, or another CertID hash a client asked in:
//    presign.hpp) that is undecodable, due (nextUpdate - refresh_margin <= now) or no
//    longer states the certs record's status. A certificate past its notAfter is signed
//    with expired_validity and ArchiveCutoff, so it falls due that rarely;
//  * reading happens in short read transactions (at most `batch_size` due entries or
//    kScanChunk scanned entries per transaction), so the map can grow and old pages
//    can be reclaimed while a pass runs;
//  * signing happens on the refresher thread, outside any transaction, paced to
//    `max_per_second` so a large backlog (first start, key rollover) is spread out
//    instead of taking the CPU from request threads;
//  * each batch is one Writer job that re-reads every certs record and stores the new
//    response only if the record still equals what was signed and no newer response
//    was stored meanwhile (a concurrent revocation wins).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "common/clock.hpp"
#include "responder/ocsp/options.hpp"
#include "responder/ocsp/responder_keys.hpp"
#include "storage/lmdb.hpp"
#include "storage/writer.hpp"

namespace trustmon::ocsp {

struct RefresherOptions {
  std::chrono::milliseconds interval{10000};  // pause between passes
  std::size_t batch_size = 256;               // responses per Writer job
  double max_per_second = 500;                // signatures per second; 0 = unlimited
  // Test hook: runs after a batch is signed and before its Writer job is submitted
  // (tests change a record there to exercise the re-check).
  std::function<void()> before_store;
};

struct RefresherStats {
  std::uint64_t passes = 0;
  std::uint64_t scanned = 0;          // certs records looked at
  std::uint64_t signed_count = 0;     // responses signed
  std::uint64_t stored = 0;           // responses written
  std::uint64_t skipped_changed = 0;  // record changed (or newer response) between signing and writing
  std::uint64_t failures = 0;         // signing, storage or undecodable records
};

class Refresher {
 public:
  static constexpr std::size_t kScanChunk = 4096;

  // All references must outlive the Refresher; `writer` must be started.
  Refresher(storage::Env& env, storage::Writer& writer, const ResponderTable& issuers, OcspOptions options,
            const Clock& clock, RefresherOptions refresher_options = {});
  ~Refresher();  // stop()
  Refresher(const Refresher&) = delete;
  Refresher& operator=(const Refresher&) = delete;

  void start();
  // Interrupts a pass (pacing waits end at once), then joins. Idempotent.
  void stop();

  // One full pass on the calling thread; returns the number of responses stored.
  // Passes never overlap (a concurrent call waits).
  std::size_t run_once();

  RefresherStats stats() const;

 private:
  struct Due;
  void loop();
  std::size_t pass();
  std::size_t refresh_issuer(const ResponderKeys& issuer, storage::ReadTxn& txn);
  std::size_t store(const ResponderKeys& issuer, std::vector<Due>& due);
  bool pace();  // false when stopping

  storage::Env& env_;
  storage::Writer& writer_;
  const ResponderTable& issuers_;
  OcspOptions options_;
  const Clock& clock_;
  RefresherOptions ropts_;

  std::mutex pass_mu_;  // serialises passes
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  RefresherStats stats_;
  std::chrono::steady_clock::time_point next_slot_{};
};

}  // namespace trustmon::ocsp
