// CSR and key uniqueness for the whole country: before a qualified certificate is
// issued, its provider (QTSP) asks whether the certificate request (CSR) was already
// processed, by itself or any other provider, and whether its key was already used,
// and reserves the request atomically.
//
// Policy:
//  * a CSR is unique until a reservation of it is live (reserved within its TTL), issued
//    or revoked; a released or expired reservation did not use it. An issued CSR is
//    never unique again;
//  * a key is unique likewise, counting every reservation of another CSR and every
//    certificate the registry ingested. An issuer may allow renewal with the same key by
//    the same subject (same subject hash, participant and issuer); a revoked key is never
//    reused;
//  * reserve() is ONE Writer job that checks and inserts: the Writer is a single thread,
//    so of two providers racing for one CSR exactly one wins, always. Results are
//    delivered after the durable commit. It waits in the Writer's urgent lane (a provider
//    is waiting to issue), ahead of certificate imports;
//  * only the holder participant commits or releases a reservation; commit is idempotent
//    for the same certificate;
//  * reservations past their TTL count as expired when read; sweep_expired() stores that
//    (bounded batches) and frees their keys;
//  * every reservation, refusal, commit, release, expiry and revocation appends an event
//    (actor label, {action, outcome, target, code?, details?}); events name hashes and
//    ids, never the request's contents. reserve, commit and release are audited writes
//    (storage/audited.hpp); a repeated commit or release changes nothing and records nothing;
//  * the registry calls on_certificate_ingested() inside its own ingest job (through
//    registry::KeyLedger, which this service implements), so a certificate commits its
//    provider's reservation (or records its key) in the same transaction that stores it.
// Errors carry stable codes and their kind (common/result.hpp): conflict / not_found / forbidden /
// invalid / unavailable / internal for the HTTP layer. The service must outlive every
// job it submitted (stop the Writer first).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/actor.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "responder/csr/request.hpp"
#include "responder/csr/reservation.hpp"
#include "responder/registry/key_ledger.hpp"
#include "storage/audited.hpp"
#include "storage/lmdb.hpp"
#include "storage/writer.hpp"

namespace trustmon::csr {

struct CsrPolicy {
  UnixTime default_ttl = 3600;       // seconds, when reserve() is given 0
  UnixTime max_ttl = 7 * 86400;      // longer requests are "ttl_out_of_range"
  // Issuers that allow renewal with the same key by the same subject and participant.
  std::vector<std::uint32_t> renewal_issuers;
  std::size_t sweep_batch = 1000;    // reservations expired per sweep job, at most
  std::size_t sweep_scan = 20000;    // records examined per sweep job, at most
  std::size_t max_check_batch = 1000;

  bool allows_renewal(std::uint32_t issuer) const;
};

// What may be said about the reservation that blocks a request: no personal data.
struct Holder {
  std::uint32_t participant = 0;
  ReservationState state = ReservationState::reserved;  // as of the check
  Origin origin = Origin::request;
  UnixTime first_seen = 0;   // when that CSR was first reserved (certificate: when recorded)
  std::optional<ReservationId> reservation;  // only when the asker is the holder
};

struct CheckResult {
  Sha256 csr_sha256{};
  Sha256 spki_sha256{};
  bool pop_verified = false;
  bool unique = true;
  // "" when unique; "csr_already_processed", "key_already_used" or (batches)
  // "csr_duplicate_in_batch".
  std::string code;
  std::string message;
  std::optional<Holder> holder;
  bool renewal = false;  // unique only because the issuer allows renewal with this key
  static constexpr ErrorKind kind = ErrorKind::conflict;  // a refusal is always a conflict
};

struct ReserveOutcome {
  std::optional<Reservation> reservation;  // created (201)
  CheckResult check;                       // the refusal (409) when no reservation
};

// What the registry learns when a certificate is ingested.
struct KeyUse {
  std::optional<ReservationId> committed;  // the holder's live reservation, now issued
  std::optional<ReservationId> recorded;   // a new origin-certificate record for the key
  bool already_linked = false;             // this certificate was committed before
  bool key_reused = false;                 // another CSR or certificate already used the key
  bool renewal = false;                    // ... but only as an allowed renewal
};

class CsrService : public registry::KeyLedger {
 public:
  using ReserveDone = std::function<void(Result<ReserveOutcome>)>;
  using ReservationDone = std::function<void(Result<Reservation>)>;
  using SweepDone = std::function<void(Result<std::size_t>)>;

  CsrService(storage::Env& env, storage::Writer& writer, const Clock& clock, CsrPolicy policy = {});
  CsrService(const CsrService&) = delete;
  CsrService& operator=(const CsrService&) = delete;

  // Read path, in the caller's active ReadTxn. `issuer` (0 = unspecified) selects the
  // renewal policy.
  Result<CheckResult> check(const storage::ReadTxn& txn, const ParsedCsr& csr, std::uint32_t participant,
                            std::uint32_t issuer = 0) const;
  // Many requests against one snapshot; a request repeated within the batch is
  // "csr_duplicate_in_batch" after its first occurrence. More than max_check_batch
  // requests is "csr_batch_too_large".
  Result<std::vector<CheckResult>> check_batch(const storage::ReadTxn& txn, const std::vector<ParsedCsr>& csrs,
                                               std::uint32_t participant, std::uint32_t issuer = 0) const;

  // Checks again and reserves in one Writer job. `ttl` 0 = policy default. `done` runs on
  // the Writer thread after the durable commit: a reservation, or the refusal.
  void reserve(ParsedCsr csr, Actor actor, std::uint32_t issuer, UnixTime ttl, ReserveDone done);
  // reserve()'s check and reservation for `participant`, inside the caller's own Writer job
  // (a renewal a certificate holder files for the provider of `issuer`, responder/holder):
  // appends csr.reserved (actor `actor_label`) when reserved; a refusal is the outcome
  // without a reservation, and nothing is written. `ttl` outside 1..max_ttl: max_ttl.
  Result<ReserveOutcome> reserve_in(storage::WriteTxn& txn, const ParsedCsr& csr, std::uint32_t participant,
                                    std::uint32_t issuer, UnixTime ttl, UnixTime now,
                                    std::string_view actor_label) const;
  // release()'s change inside the caller's job, whoever holds the reservation (the renewal
  // it was made for was rejected): reserved -> released with csr.released; nothing when it
  // is absent or no longer reserved.
  Status release_in(storage::WriteTxn& txn, ReservationId id, UnixTime now, std::string_view actor_label) const;
  // reserved -> issued, by the holder only. `cert_spki_sha256`, when given, must be the
  // reservation's key. The same certificate again is answered with the reservation.
  void commit(ReservationId id, Sha256 cert_sha256, std::optional<Sha256> cert_spki_sha256, Actor actor,
              ReservationDone done);
  // reserved -> released, by the holder only; releasing twice answers the reservation.
  void release(ReservationId id, Actor actor, ReservationDone done);
  // Stores `expired` for reservations past their TTL: one Writer job, at most
  // sweep_batch changes and sweep_scan records; successive calls walk the table and
  // then start again from the oldest reservation still live. `done` gets the number
  // expired. A call while one is in flight answers 0 at once.
  void sweep_expired(SweepDone done);

  // The stored record (state as stored; use effective_state(r, now()) to show it).
  Result<std::optional<Reservation>> get(const storage::ReadTxn& txn, ReservationId id) const;

  // Registry hook, called INSIDE the registry's ingest Writer job: commits the
  // participant's live reservation for this key (auto-commit) or records the key as used
  // by this certificate, and says whether the key was already used.
  Result<KeyUse> on_certificate_ingested(storage::WriteTxn& txn, const Sha256& spki_sha256,
                                         const Sha256& cert_sha256, std::uint32_t participant,
                                         std::uint32_t issuer, const Sha256& subject_sha256, UnixTime now,
                                         std::string_view actor_label = "registry") const;
  // Registry hook for revocations: issued -> revoked for the record of this certificate.
  Result<std::optional<ReservationId>> on_certificate_revoked(storage::WriteTxn& txn, const Sha256& spki_sha256,
                                                              const Sha256& cert_sha256, UnixTime now,
                                                              std::string_view actor_label = "registry") const;

  // Registry hook for a released hold: revoked -> issued for the record of this certificate.
  Result<std::optional<ReservationId>> on_certificate_released(storage::WriteTxn& txn, const Sha256& spki_sha256,
                                                               const Sha256& cert_sha256, UnixTime now,
                                                               std::string_view actor_label = "registry") const;

  // registry::KeyLedger: the hooks above, as the registry calls them.
 private:
  struct StateMove {
    std::optional<ReservationState> from;  // nullopt: any state but `to`
    ReservationState to;
    const char* event;
    const char* action;
  };
  Result<std::optional<ReservationId>> certificate_state(storage::WriteTxn& txn, const Sha256& spki_sha256,
                                                         const Sha256& cert_sha256, StateMove move, UnixTime now,
                                                         std::string_view actor_label) const;

 public:
  Result<registry::KeyReuse> certificate_stored(storage::WriteTxn& txn, const registry::StoredKey& key, UnixTime now,
                                                std::string_view actor_label) const override;
  Status certificate_revoked(storage::WriteTxn& txn, const Sha256& spki_sha256, const Sha256& cert_sha256,
                             UnixTime now, std::string_view actor_label) const override;
  Status certificate_released(storage::WriteTxn& txn, const Sha256& spki_sha256, const Sha256& cert_sha256,
                              UnixTime now, std::string_view actor_label) const override;

  UnixTime now() const noexcept { return clock_.now(); }
  const CsrPolicy& policy() const noexcept { return policy_; }
  storage::Env& env() const noexcept { return env_; }

 private:
  storage::Env& env_;
  storage::Writer& writer_;  // the sweeper's jobs (several events each)
  storage::AuditedWrite audited_;
  const Clock& clock_;
  CsrPolicy policy_;

  std::mutex sweep_mu_;
  bool sweeping_ = false;
  ReservationId sweep_from_ = 1;       // next id the sweeper examines
  ReservationId sweep_low_ = 0;        // lowest live reservation seen in this pass (0 = none)
};

}  // namespace trustmon::csr
