// The OCSP service: one request's DER in, one OCSPResponse out. No HTTP here (the
// route adapter in responder/http maps Answer to a reply and cache headers).
//
// Policy, in order:
//  1. empty, larger than max_request_bytes, or unparsable -> malformedRequest;
//  2. any CertID whose issuer we do not know (including an unsupported hash algorithm),
//     or CertIDs of different issuers (one signature cannot speak for two) -> unauthorized;
//  3. one CertID and no nonce to echo: the pre-signed response in ocsp_responses, if it
//     is fresh (now + fresh_margin < nextUpdate, thisUpdate <= now + clock_skew), its
//     CertID uses the request's hash algorithm (pre-signed responses use SHA-1, the
//     common client default; other algorithms are answered live), and (with
//     check_presigned_status) the certs record still states the same status;
//  4. otherwise sign live from the certs table: good -> good, revoked -> revoked with
//     time, reason and invalidity date, absent -> unknown (or revoked per RFC 6960 §2.2
//     with unknown_as_revoked). A serial never seen is never "good".
//  Storage or signing failures -> internalError. answer() never throws.
//
// Contract with writers: whoever changes a certificate's status in `certs` replaces or
// deletes its `ocsp_responses` entry in the same transaction (check_presigned_status is
// the safety net, not the mechanism).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <string>
#include <string_view>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "responder/ocsp/issuer_table.hpp"
#include "responder/ocsp/options.hpp"
#include "responder/ocsp/signer.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::ocsp {

struct Answer {
  enum class Kind : std::uint8_t { presigned, live, error };

  Answer() = default;
  Answer(Answer&&) noexcept = default;  // `body` may point into `owned`: moving keeps it valid
  Answer& operator=(Answer&&) noexcept = default;
  Answer(const Answer&) = delete;  // copying would leave `body` pointing at the original
  Answer& operator=(const Answer&) = delete;

  // The response DER: into the read transaction's map (presigned: valid while the
  // caller's ReadScope is open), into `owned` (live), or constant bytes (error).
  ByteView body;
  Bytes owned;
  Kind kind = Kind::error;
  ResponseStatus status = ResponseStatus::internal_error;
  int ocsp_status() const noexcept { return static_cast<int>(status); }
  UnixTime produced_at = 0;
  UnixTime this_update = 0;
  UnixTime next_update = 0;  // for Expires / max-age
  bool cacheable = false;    // successful and no nonce echoed
  storage::IssuerId issuer = 0;  // valid when kind != error or status == internal_error after lookup
  // For metrics and the access log, constant strings:
  //   outcome: "cache", "live", "malformed", "unauthorized", "internal_error";
  //   detail:  why — live: "nonce", "multiple", "missing", "stale", "hash_alg", "status_changed",
  //            "undecodable"; malformed: the parser's reason or "too_large"/"empty";
  //            unauthorized: "unknown_issuer", "unsupported_hash", "mixed_issuers";
  //            internal_error: "storage", "signing", "exception".
  std::string_view outcome;
  std::string_view detail;
};

// A strong ETag ("\"<hex>\"") for a successful answer: the last 16 octets of the
// signature, which change with every signing (ECDSA and RSA over a new producedAt).
// Costs a few TLV headers. Empty for errors.
std::string etag(const Answer& answer);

class Responder {
 public:
  // `issuers` and `clock` must outlive the Responder. Thread-safe: answer() is const
  // and may run on every worker thread at once.
  Responder(const IssuerTable& issuers, OcspOptions options, const Clock& clock);

  // `txn` must be active (inside a ReadScope) and stay so while `body` is used.
  Answer answer(ByteView request_der, const storage::ReadTxn& txn) const noexcept;

  const OcspOptions& options() const noexcept { return options_; }

 private:
  Answer answer_impl(ByteView request_der, const storage::ReadTxn& txn) const;
  // Takes one live signature from the issuer's budget; false when it is spent.
  bool take_signing_token(storage::IssuerId issuer, UnixTime now) const;

  struct Budget {
    std::mutex mu;
    double tokens = 0;
    UnixTime refilled = 0;
  };

  const IssuerTable& issuers_;
  OcspOptions options_;
  const Clock& clock_;
  // One per issuer, built in the constructor (the map itself is never modified after).
  std::unordered_map<storage::IssuerId, std::unique_ptr<Budget>> budgets_;
};

}  // namespace trustmon::ocsp
