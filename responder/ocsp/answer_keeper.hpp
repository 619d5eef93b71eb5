// AnswerKeeper: live-signed answers kept, so that the next request for the same
// certificate and CertID hash gets the same bytes, and stored as pre-signed responses.
//
// Policy:
//  * the Responder hands over each successful live answer for one CertID of a
//    certificate it holds, without a nonce (a new certificate the refresher has not
//    reached, a stale response, a CertID hash other than SHA-1). The keeper holds it in
//    memory and stores it in ocsp_responses under response_key(cert key, hash)
//    (presign.hpp) through the Writer, off the reply's path: one normal-lane job at a
//    time, carrying every answer kept meanwhile;
//  * the store re-checks as the refresher does: it is skipped when the certs record no
//    longer states what the answer states, or a response produced later is stored;
//  * until its store has committed, and for kGrace after (a request whose read snapshot
//    predates the commit does not see it yet), the Responder serves the kept bytes. So
//    two identical requests get identical bytes and ETag from the first live answer on,
//    and the second may get 304;
//  * concurrent live answers for one key: the first kept wins and is what all of them
//    serve, unless it no longer states the certificate's status (a revocation came
//    between) or is no longer fresh: then the newer one replaces it;
//  * at most max_entries answers are held; beyond that an answer is neither kept nor
//    stored (counted; the refresher signs the SHA-1 response later).
// Thread-safe: every worker thread calls find() and keep(); the Writer thread finishes stores.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "storage/records.hpp"
#include "storage/writer.hpp"

namespace trustmon::ocsp {

// A kept answer is what it will be stored as: the DER, its times and the status it states.
using KeptAnswer = storage::OcspResponseRecord;

struct AnswerKeeperStats {
  std::uint64_t kept = 0;        // live answers taken
  std::uint64_t shared = 0;      // live answers dropped for one kept before (served instead)
  std::uint64_t stored = 0;      // written to ocsp_responses
  std::uint64_t skipped = 0;     // not written: the status changed, or a newer response was stored
  std::uint64_t failed = 0;      // not written: the Writer refused the job
  std::uint64_t overflowed = 0;  // not kept: max_entries held
  std::size_t held = 0;          // answers in memory now
};

class AnswerKeeper {
 public:
  static constexpr std::chrono::seconds kGrace{2};

  // `writer` must outlive every store the keeper submits (the Daemon stops it last).
  explicit AnswerKeeper(storage::Writer& writer, std::size_t max_entries = 65536);
  ~AnswerKeeper();
  AnswerKeeper(const AnswerKeeper&) = delete;
  AnswerKeeper& operator=(const AnswerKeeper&) = delete;

  // The answer kept for `key` (a response_key), if any; the caller checks it still states
  // the certificate's status and is fresh.
  std::shared_ptr<const KeptAnswer> find(ByteView key) const;
  // Keeps `answer` for `key` and submits its store; returns what to serve: `answer`, or
  // the one kept before when that still states the same status and its nextUpdate is
  // after `fresh_until`.
  std::shared_ptr<const KeptAnswer> keep(ByteView key, std::shared_ptr<const KeptAnswer> answer,
                                         UnixTime fresh_until);

  AnswerKeeperStats stats() const;
  // Prometheus text: trustmon_ocsp_kept_answers_total{result=...} and trustmon_ocsp_kept_answers_held.
  std::string metrics_text() const;

 private:
  struct Shared;
  // Hands what waits in `shared` to the Writer as one job, or ends the store chain.
  static void submit_next(storage::Writer& writer, const std::shared_ptr<Shared>& shared);

  storage::Writer& writer_;
  std::shared_ptr<Shared> shared_;  // also held by the Writer jobs in flight
};

}  // namespace trustmon::ocsp
