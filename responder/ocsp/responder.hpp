// The OCSP service: one request's DER in, one OCSPResponse out. No HTTP here (the
// route adapter in responder/routes maps an Answer to a reply, cache headers and metrics).
//
// Policy, in order:
//  1. empty, larger than max_request_bytes, or unparsable -> malformedRequest;
//  2. any CertID whose issuer we do not know (including an unsupported hash algorithm),
//     or CertIDs of different issuers (one signature cannot speak for two) -> unauthorized;
//  3. one CertID and no nonce to echo: the pre-signed response stored for it in
//     ocsp_responses (presign.hpp: under response_key(cert key, CertID hash), so SHA-1
//     and other hashes each have their own), if it is fresh (now + fresh_margin <
//     nextUpdate, thisUpdate <= now + clock_skew) and (with check_presigned_status) the
//     certs record still states the same status; otherwise, for a certificate we hold,
//     the answer an AnswerKeeper holds for it (a live answer not yet stored), if it
//     states the record's status and is fresh. Both are served as `presigned`;
//  4. otherwise sign live from the certs table, within the issuer's signing budget
//     (live_signatures_per_second; spent -> tryLater): good -> good, revoked -> revoked
//     with time, reason and invalidity date, absent -> unknown (or revoked per RFC 6960
//     §2.2 with unknown_as_revoked). A serial never seen is never "good". A certificate
//     past its notAfter gets the ArchiveCutoff window (presign.hpp). A live answer for
//     one CertID of a certificate we hold, without a nonce, goes to the AnswerKeeper,
//     which stores it for the next request (answer_keeper.hpp); when another request's
//     answer was kept first, that one is served, so every request gets the same bytes.
//  Storage or signing failures -> internalError. answer() never throws.
//
// Contract with writers: whoever changes a certificate's status in `certs` replaces or
// deletes its `ocsp_responses` entries (every CertID hash: drop_other_hash_responses) in
// the same transaction (check_presigned_status is the safety net, not the mechanism).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "responder/ocsp/answer_keeper.hpp"
#include "responder/ocsp/options.hpp"
#include "responder/ocsp/request.hpp"
#include "responder/ocsp/signer.hpp"
#include "responder/ocsp/special.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::ocsp {

// What became of one request: the one classification of an answer. Its OCSP status
// (status_of), whether it was signed live (is_live) and the label the route counts it
// under all follow from it. The values are grouped by status in this order; status_of
// and is_live rely on it.
enum class Outcome : std::uint8_t {
  presigned,  // successful: the stored response, served as it is
  // successful, signed live; the name says why no pre-signed response was served:
  live_nonce,           // a nonce to echo
  live_multiple,        // more than one CertID
  live_missing,         // none stored (nor kept)
  live_undecodable,     // the stored record does not decode
  live_stale,           // outside its freshness window
  live_status_changed,  // certs no longer states what it states (or holds no record)
  live_testbed,         // a test issuer's answer as of another time, or with a fault (special.hpp)
  malformed,            // malformedRequest: empty, too large, or refused by the parser
                        // (its reason is logged at debug)
  unsupported_hash,     // unauthorized: a CertID hash algorithm we do not support
  unknown_issuer,       // unauthorized: an issuer we do not serve
  mixed_issuers,        // unauthorized: CertIDs of different issuers
  signing_budget,       // tryLater: the issuer's live signatures for this second are spent
  storage_fault,        // internalError
  signing_fault,        // internalError
  exception,            // internalError (allocation failure)
};
inline constexpr std::size_t kOutcomeCount = static_cast<std::size_t>(Outcome::exception) + 1;

constexpr bool is_live(Outcome o) noexcept { return o >= Outcome::live_nonce && o <= Outcome::live_testbed; }
constexpr ResponseStatus status_of(Outcome o) noexcept {
  if (o <= Outcome::live_testbed) return ResponseStatus::successful;
  if (o == Outcome::malformed) return ResponseStatus::malformed_request;
  if (o <= Outcome::mixed_issuers) return ResponseStatus::unauthorized;
  if (o == Outcome::signing_budget) return ResponseStatus::try_later;
  return ResponseStatus::internal_error;
}

struct Answer {
  Answer() = default;
  // `body` and `etag_source` may point into `owned`: moving keeps them valid.
  Answer(Answer&&) noexcept = default;
  Answer& operator=(Answer&&) noexcept = default;
  Answer(const Answer&) = delete;  // copying would leave `body` pointing at the original
  Answer& operator=(const Answer&) = delete;

  // The response DER: into the read transaction's map (presigned: valid while the
  // caller's ReadScope is open), into `owned` (live), or constant bytes (error).
  ByteView body;
  Bytes owned;
  Outcome outcome = Outcome::exception;
  UnixTime produced_at = 0;
  UnixTime this_update = 0;
  UnixTime next_update = 0;  // for Expires / max-age
  bool cacheable = false;    // successful and no nonce echoed
  // What identifies these bytes for an HTTP ETag: the last 16 octets of the signature
  // (they change with every signing, ECDSA and RSA over a new producedAt; the DER's own
  // tail would be the embedded responder certificate, the same in every response of a
  // delegated issuer). A view into `body`, found with the answer; empty unless cacheable.
  ByteView etag_source;
  // The test bed's delay fault: the route sends the answer this late.
  std::uint32_t delay_ms = 0;

  ResponseStatus status() const noexcept { return status_of(outcome); }
};

class Responder {
 public:
  // `issuers`, `clock` and `keeper` must outlive the Responder; without a keeper, live
  // answers are neither kept nor stored. Thread-safe: answer() is const and may run on
  // every worker thread at once.
  Responder(const ResponderTable& issuers, OcspOptions options, const Clock& clock, AnswerKeeper* keeper = nullptr);

  // `txn` must be active (inside a ReadScope) and stay so while `body` is used. `at`: answer
  // as of that time (the test bed's time travel; honoured for test issuers only).
  Answer answer(ByteView request_der, const storage::ReadTxn& txn,
                std::optional<UnixTime> at = std::nullopt) const noexcept;
  // The test bed's hook (special.hpp); set before the first request, must outlive this.
  void set_special(const SpecialAnswers* special) noexcept { special_ = special; }

  const OcspOptions& options() const noexcept { return options_; }

 private:
  Answer answer_impl(ByteView request_der, const storage::ReadTxn& txn, std::optional<UnixTime> at) const;
  // A test issuer's answer: as of `at` and/or with `fault` (special.hpp); never kept or cached.
  Answer answer_special(const ResponderKeys& issuer, std::span<const CertIdRef> certids,
                        std::optional<ByteView> nonce, UnixTime now, std::optional<UnixTime> at, FaultDraw fault,
                        const storage::ReadTxn& txn) const;
  // Step 2: the one issuer all CertIDs name, or nullptr with the unauthorized outcome
  // in `refusal`.
  const ResponderKeys* select_issuer(std::span<const CertIdRef> certids, Outcome& refusal) const noexcept;
  // Step 3: Outcome::presigned with `out` filled; storage_fault with `out` the error
  // answer; otherwise the live_* reason the stored response cannot be served.
  Outcome try_presigned(const ResponderKeys& issuer, const CertIdRef& certid, UnixTime now,
                        const storage::ReadTxn& txn, Answer& out) const;
  // Steps 3 (the kept answer) and 4 for one CertID without a nonce, with the keeper.
  Answer kept_or_live(const ResponderKeys& issuer, const CertIdRef& certid, UnixTime now,
                      const storage::ReadTxn& txn, Outcome why_live) const;
  // Step 4: signs `certids` (with the nonce to echo, if any) within the issuer's signing
  // budget; `why_live` becomes the answer's outcome.
  Answer sign_live(const ResponderKeys& issuer, std::span<const CertIdRef> certids, std::optional<ByteView> nonce,
                   UnixTime now, const storage::ReadTxn& txn, Outcome why_live) const;
  // The SingleResponses of `certids` as the status data gives them at `now`; with `as_of`,
  // revocations after that time are not yet in force. A live outcome when collected,
  // storage_fault otherwise.
  struct Statuses {
    std::vector<SingleStatus> singles;
    UnixTime next_update = 0;  // the earliest of the singles'
    bool extended_revoke = false;
  };
  Outcome collect_statuses(const ResponderKeys& issuer, std::span<const CertIdRef> certids, UnixTime now,
                           const storage::ReadTxn& txn, std::optional<UnixTime> as_of, Statuses& out) const;
  Answer signed_answer(const ResponderKeys& signer, const Statuses& statuses, std::optional<ByteView> nonce,
                       UnixTime now, Outcome why_live) const;
  // A stored or kept response may be served: it does not expire in transit (fresh_margin)
  // and is not from the future (clock_skew).
  bool servable(UnixTime this_update, UnixTime next_update, UnixTime now) const noexcept;
  // Takes one live signature from the issuer's budget; false when it is spent.
  bool take_signing_token(storage::IssuerId issuer, UnixTime now) const;

  struct Budget {
    std::mutex mu;
    double tokens = 0;
    UnixTime refilled = 0;
  };

  const ResponderTable& issuers_;
  OcspOptions options_;
  const Clock& clock_;
  AnswerKeeper* keeper_;
  const SpecialAnswers* special_ = nullptr;
  // One per issuer, built in the constructor (the map itself is never modified after).
  std::unordered_map<storage::IssuerId, std::unique_ptr<Budget>> budgets_;
};

}  // namespace trustmon::ocsp
