// CSR and key uniqueness service (see service.hpp).
#include "responder/csr/service.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <utility>

#include "storage/epoch_index.hpp"
#include "storage/scan.hpp"

namespace trustmon::csr {
namespace {

using storage::Table;
using storage::WriteTxn;

constexpr const char* kSweeperLabel = "sweeper";

bool is_zero(const Sha256& h) {
  return std::all_of(h.begin(), h.end(), [](std::uint8_t b) { return b == 0; });
}

// Reads and decodes one reservation; nullopt when absent.
template <typename Txn>
Result<std::optional<Reservation>> load(const Txn& txn, ReservationId id) {
  const Bytes key = encode_reservation_key(id);
  auto got = txn.get(Table::csr_reservations, key);
  if (!got) return std::move(got).error();
  if (!*got) return std::optional<Reservation>{};
  auto rec = decode_reservation(**got);
  if (!rec) return std::move(rec).error();
  return std::optional<Reservation>{std::move(*rec)};
}

// Every reservation id filed under a key fingerprint.
template <typename Txn>
Result<std::vector<ReservationId>> key_holders(const Txn& txn, const Sha256& spki) {
  std::vector<ReservationId> ids;
  auto walk = storage::EpochWalk::open(txn, Table::csr_key_index, ByteView(spki.data(), spki.size()), 0);
  if (!walk) return std::move(walk).error();
  for (; !walk->done();) {
    auto id = decode_reservation_key(walk->value());
    if (!id) return make_error(ErrorKind::storage, "storage_corrupt", "csr key index: value is not a reservation id");
    ids.push_back(*id);
    if (Status s = walk->next(); !s) return s.error();
  }
  return ids;
}

Holder holder_of(const Reservation& r, ReservationState effective, std::uint32_t asker) {
  Holder h;
  h.participant = r.participant;
  h.state = effective;
  h.origin = r.origin;
  h.first_seen = r.first_seen;
  if (r.participant == asker) h.reservation = r.id;
  return h;
}

// Same-key renewal: the issuer allows it and the holder is the same subject, participant
// and issuer, and its certificate was not revoked.
bool renewal_allowed(const CsrPolicy& policy, const Reservation& holder, ReservationState effective,
                     std::uint32_t participant, std::uint32_t issuer, const Sha256& subject) {
  return issuer != 0 && policy.allows_renewal(issuer) && effective != ReservationState::revoked &&
         holder.issuer == issuer && holder.participant == participant && holder.subject_sha256 == subject;
}

struct Request {
  Sha256 csr{};
  Sha256 spki{};
  Sha256 subject{};
  bool pop_verified = false;
};

struct CheckDetail {
  CheckResult result;
  std::optional<Reservation> previous;  // a released or expired reservation of this CSR
};

// The uniqueness rules, for the read path and inside the reserve job alike.
template <typename Txn>
Result<CheckDetail> check_in(const Txn& txn, const CsrPolicy& policy, const Request& req, std::uint32_t participant,
                             std::uint32_t issuer, UnixTime now) {
  CheckDetail out;
  CheckResult& r = out.result;
  r.csr_sha256 = req.csr;
  r.spki_sha256 = req.spki;
  r.pop_verified = req.pop_verified;

  auto indexed = txn.get(Table::csr_index, req.csr);
  if (!indexed) return std::move(indexed).error();
  if (*indexed) {
    auto id = decode_reservation_key(**indexed);
    if (!id) return make_error(ErrorKind::storage, "storage_corrupt", "csr index: value is not a reservation id");
    auto rec = load(txn, *id);
    if (!rec) return std::move(rec).error();
    if (!*rec) return make_error(ErrorKind::storage, "storage_corrupt", "csr index names a missing reservation");
    const ReservationState eff = effective_state(**rec, now);
    if (blocks(eff)) {
      r.unique = false;
      r.code = "csr_already_processed";
      r.message = "this certificate request was already reserved or used for a certificate";
      r.holder = holder_of(**rec, eff, participant);
      return out;
    }
    out.previous = std::move(**rec);
  }

  auto ids = key_holders(txn, req.spki);
  if (!ids) return std::move(ids).error();
  for (ReservationId id : *ids) {
    auto rec = load(txn, id);
    if (!rec) return std::move(rec).error();
    if (!*rec) return make_error(ErrorKind::storage, "storage_corrupt", "csr key index names a missing reservation");
    const Reservation& holder = **rec;
    if (holder.origin == Origin::request && holder.csr_sha256 == req.csr) continue;
    const ReservationState eff = effective_state(holder, now);
    if (!blocks(eff)) continue;
    if (renewal_allowed(policy, holder, eff, participant, issuer, req.subject)) {
      r.renewal = true;
      continue;
    }
    r.unique = false;
    r.renewal = false;
    r.code = "key_already_used";
    r.message = "this public key was already reserved or certified for another request";
    r.holder = holder_of(holder, eff, participant);
    return out;
  }
  return out;
}

Result<ReservationId> next_id(const WriteTxn& txn) { return storage::next_number(txn, Table::csr_reservations); }

Status store(WriteTxn& txn, const Reservation& r) {
  return txn.put(Table::csr_reservations, encode_reservation_key(r.id), encode_reservation(r));
}

Status drop_key(WriteTxn& txn, const Reservation& r) {
  auto gone = txn.del_value(Table::csr_key_index, key_index_key(r.spki_sha256, r.id), encode_reservation_key(r.id));
  if (!gone) return std::move(gone).error();
  return {};
}

nlohmann::json target_of(std::optional<ReservationId> id, const Sha256* csr, const Sha256* spki,
                         std::uint32_t issuer) {
  nlohmann::json t = nlohmann::json::object();
  if (id) t["reservation"] = *id;
  if (csr != nullptr && !is_zero(*csr)) t["csr_sha256"] = hex_encode(*csr);
  if (spki != nullptr) t["spki_sha256"] = hex_encode(*spki);
  if (issuer != 0) t["issuer"] = issuer;
  return t;
}

// The event of a step of `r` (target: its id, hashes and issuer).
storage::AuditEvent event_for(const char* type, std::string_view actor, const char* action, const char* outcome,
                              const Reservation& r, UnixTime now) {
  storage::AuditEvent e = storage::action_event(std::string(actor), action,
                                                target_of(r.id, &r.csr_sha256, &r.spki_sha256, r.issuer), now);
  e.type = type;
  e.outcome = outcome;
  return e;
}

// The audited write of an actor's step: `type` when done, csr.refused when refused.
storage::AuditEvent step_event(const char* type, const Actor& actor, const char* action, const char* outcome,
                               nlohmann::json target) {
  storage::AuditEvent e = storage::action_event(actor.label(), action, std::move(target), 0);
  e.type = type;
  e.refused_type = "csr.refused";
  e.outcome = outcome;
  return e;
}

Error not_found(ReservationId id) {
  return make_error(ErrorKind::not_found, "reservation_not_found", "no reservation " + std::to_string(id));
}

// The common refusals of commit and release: unknown id, another participant's (an
// access.denied event). Points the event at the record the actor may act on.
Result<Reservation> load_for_holder(WriteTxn& txn, ReservationId id, const Actor& actor, storage::AuditEvent& ev) {
  auto rec = load(txn, id);
  if (!rec) return std::move(rec).error();
  if (!*rec) return not_found(id);
  Reservation r = std::move(**rec);
  ev.target = target_of(r.id, &r.csr_sha256, &r.spki_sha256, r.issuer);
  if (r.participant != actor.participant) {
    ev.refused_type = std::string(storage::kDeniedType);
    return make_error(ErrorKind::forbidden, "reservation_not_yours",
                      "the reservation belongs to another participant");
  }
  return r;
}

// The uniqueness check and, when unique, the new reservation: what reserve() and
// reserve_in() share.
Result<ReserveOutcome> reserve_checked(WriteTxn& txn, const CsrPolicy& policy, const Request& req,
                                       std::uint32_t participant, std::uint32_t issuer, UnixTime ttl, UnixTime now) {
  auto detail = check_in(txn, policy, req, participant, issuer, now);
  if (!detail) return std::move(detail).error();
  ReserveOutcome outcome;
  outcome.check = std::move(detail->result);
  if (!outcome.check.unique) return outcome;
  auto id = next_id(txn);
  if (!id) return std::move(id).error();
  Reservation r;
  r.id = *id;
  r.participant = participant;
  r.csr_sha256 = req.csr;
  r.spki_sha256 = req.spki;
  r.subject_sha256 = req.subject;
  r.issuer = issuer;
  r.state = ReservationState::reserved;
  r.origin = Origin::request;
  r.created = now;
  r.expires = now + ttl;
  r.changed = now;
  r.pop_verified = req.pop_verified;
  r.first_seen = detail->previous ? detail->previous->first_seen : now;
  const Bytes key = encode_reservation_key(r.id);
  Status s = store(txn, r);
  if (s) s = txn.put(Table::csr_index, r.csr_sha256, key);
  if (s) {
    auto added = txn.put_if_absent(Table::csr_key_index, key_index_key(r.spki_sha256, r.id), key);
    if (!added) s = std::move(added).error();
  }
  if (!s) return std::move(s).error();
  outcome.reservation = std::move(r);
  return outcome;
}

}  // namespace

bool CsrPolicy::allows_renewal(std::uint32_t issuer) const {
  return std::find(renewal_issuers.begin(), renewal_issuers.end(), issuer) != renewal_issuers.end();
}

CsrService::CsrService(storage::Env& env, storage::Writer& writer, const Clock& clock, CsrPolicy policy)
    : env_(env), writer_(writer), audited_(writer), clock_(clock), policy_(std::move(policy)) {}

Result<CheckResult> CsrService::check(const storage::ReadTxn& txn, const ParsedCsr& csr, std::uint32_t participant,
                                      std::uint32_t issuer) const {
  const Request req{csr.csr_sha256, csr.spki_sha256, csr.subject_sha256, csr.pop_verified};
  auto detail = check_in(txn, policy_, req, participant, issuer, clock_.now());
  if (!detail) return std::move(detail).error();
  return std::move(detail->result);
}

Result<std::vector<CheckResult>> CsrService::check_batch(const storage::ReadTxn& txn,
                                                         const std::vector<ParsedCsr>& csrs,
                                                         std::uint32_t participant, std::uint32_t issuer) const {
  if (csrs.size() > policy_.max_check_batch)
    return make_error(ErrorKind::invalid, "csr_batch_too_large",
                      "at most " + std::to_string(policy_.max_check_batch) + " requests per batch");
  const UnixTime now = clock_.now();
  std::vector<CheckResult> out;
  out.reserve(csrs.size());
  std::vector<Sha256> seen;
  seen.reserve(csrs.size());
  for (const ParsedCsr& csr : csrs) {
    const Request req{csr.csr_sha256, csr.spki_sha256, csr.subject_sha256, csr.pop_verified};
    auto detail = check_in(txn, policy_, req, participant, issuer, now);
    if (!detail) return std::move(detail).error();
    CheckResult r = std::move(detail->result);
    if (r.unique && std::find(seen.begin(), seen.end(), csr.csr_sha256) != seen.end()) {
      r.unique = false;
      r.code = "csr_duplicate_in_batch";
      r.message = "this certificate request appears earlier in the batch";
    }
    seen.push_back(csr.csr_sha256);
    out.push_back(std::move(r));
  }
  return out;
}

void CsrService::reserve(ParsedCsr csr, Actor actor, std::uint32_t issuer, UnixTime ttl, ReserveDone done) {
  if (ttl < 0 || ttl > policy_.max_ttl) {
    if (done)
      done(make_error(ErrorKind::invalid, "ttl_out_of_range",
                      "the TTL must be between 1 and " + std::to_string(policy_.max_ttl) + " seconds (0: default)"));
    return;
  }
  if (ttl == 0) ttl = policy_.default_ttl;
  const Request req{csr.csr_sha256, csr.spki_sha256, csr.subject_sha256, csr.pop_verified};
  auto apply = [this, req, actor, issuer, ttl](WriteTxn& txn, storage::AuditEvent& ev) -> Result<ReserveOutcome> {
    const UnixTime now = clock_.now();
    ev.time = now;
    if (issuer != 0 && !actor.may_write_issuer(issuer)) {
      ev.refused_type = std::string(storage::kDeniedType);
      return make_error(ErrorKind::forbidden, "issuer_not_operated",
                        "the caller's participant does not operate this issuer");
    }
    auto outcome = reserve_checked(txn, policy_, req, actor.participant, issuer, ttl, now);
    if (!outcome) return std::move(outcome).error();
    if (!outcome->check.unique) {
      // Not an error: the answer says who holds the request or key; the log says refused.
      const std::uint32_t holder = outcome->check.holder ? outcome->check.holder->participant : 0;
      ev.type = "csr.refused";
      ev.outcome = "refused";
      ev.code = outcome->check.code;
      ev.details = {{"holder_participant", holder}};
      ev.legacy = {{"holder_participant", holder}};  // where readers found it before the common shape
      return outcome;
    }
    const Reservation& r = *outcome->reservation;
    ev.target = target_of(r.id, &r.csr_sha256, &r.spki_sha256, r.issuer);
    return outcome;
  };
  audited_.run<ReserveOutcome>(step_event("csr.reserved", actor, "csr.reserve", "reserved",
                                          target_of(std::nullopt, &req.csr, &req.spki, issuer)),
                               std::move(apply), std::move(done), Lane::urgent);
}

Result<ReserveOutcome> CsrService::reserve_in(WriteTxn& txn, const ParsedCsr& csr, std::uint32_t participant,
                                              std::uint32_t issuer, UnixTime ttl, UnixTime now,
                                              std::string_view actor_label) const {
  if (ttl <= 0 || ttl > policy_.max_ttl) ttl = policy_.max_ttl;
  const Request req{csr.csr_sha256, csr.spki_sha256, csr.subject_sha256, csr.pop_verified};
  auto outcome = reserve_checked(txn, policy_, req, participant, issuer, ttl, now);
  if (!outcome || !outcome->reservation) return outcome;
  storage::AuditEvent e = event_for("csr.reserved", actor_label, "csr.reserve", "reserved", *outcome->reservation, now);
  e.details = {{"participant", participant}};
  if (Status s = storage::append_audit(txn, e); !s) return std::move(s).error();
  return outcome;
}

Status CsrService::release_in(WriteTxn& txn, ReservationId id, UnixTime now, std::string_view actor_label) const {
  auto rec = load(txn, id);
  if (!rec) return std::move(rec).error();
  if (!*rec || effective_state(**rec, now) != ReservationState::reserved) return {};
  Reservation r = std::move(**rec);
  r.state = ReservationState::released;
  r.changed = now;
  Status s = store(txn, r);
  if (s) s = drop_key(txn, r);
  if (s) s = storage::append_audit(txn, event_for("csr.released", actor_label, "csr.release", "released", r, now));
  return s;
}

void CsrService::commit(ReservationId id, Sha256 cert_sha256, std::optional<Sha256> cert_spki_sha256, Actor actor,
                        ReservationDone done) {
  auto apply = [this, id, cert_sha256, cert_spki_sha256, actor](WriteTxn& txn,
                                                                storage::AuditEvent& ev) -> Result<Reservation> {
    const UnixTime now = clock_.now();
    ev.time = now;
    auto rec = load_for_holder(txn, id, actor, ev);
    if (!rec) return std::move(rec).error();
    Reservation r = std::move(*rec);
    auto conflict = [](const char* code, const char* message) {
      return make_error(ErrorKind::conflict, code, message);
    };
    switch (effective_state(r, now)) {
      case ReservationState::issued:
      case ReservationState::revoked:
        if (r.cert_sha256 == cert_sha256) {
          ev.recorded = false;  // the same commit again: nothing changes
          return r;
        }
        return conflict("reservation_already_committed", "the reservation was committed with another certificate");
      case ReservationState::released:
        return conflict("reservation_released", "the reservation was released");
      case ReservationState::expired:
        return conflict("reservation_expired", "the reservation's TTL has passed");
      case ReservationState::reserved:
        break;
    }
    if (cert_spki_sha256 && *cert_spki_sha256 != r.spki_sha256)
      return make_error(ErrorKind::invalid, "certificate_key_mismatch",
                        "the certificate's key is not the reserved request's key");
    r.state = ReservationState::issued;
    r.cert_sha256 = cert_sha256;
    r.changed = now;
    if (Status s = store(txn, r); !s) return std::move(s).error();
    return r;
  };
  audited_.run<Reservation>(step_event("csr.committed", actor, "csr.commit", "issued", target_of(id, nullptr, nullptr, 0)),
                            std::move(apply), std::move(done));
}

void CsrService::release(ReservationId id, Actor actor, ReservationDone done) {
  auto apply = [this, id, actor](WriteTxn& txn, storage::AuditEvent& ev) -> Result<Reservation> {
    const UnixTime now = clock_.now();
    ev.time = now;
    auto rec = load_for_holder(txn, id, actor, ev);
    if (!rec) return std::move(rec).error();
    Reservation r = std::move(*rec);
    switch (effective_state(r, now)) {
      case ReservationState::issued:
      case ReservationState::revoked:
        return make_error(ErrorKind::conflict, "reservation_already_committed",
                          "an issued reservation cannot be released");
      case ReservationState::released:
      case ReservationState::expired:
        ev.recorded = false;  // already free: nothing changes
        return r;
      case ReservationState::reserved:
        break;
    }
    r.state = ReservationState::released;
    r.changed = now;
    Status s = store(txn, r);
    if (s) s = drop_key(txn, r);
    if (!s) return std::move(s).error();
    return r;
  };
  audited_.run<Reservation>(
      step_event("csr.released", actor, "csr.release", "released", target_of(id, nullptr, nullptr, 0)),
      std::move(apply), std::move(done));
}

void CsrService::sweep_expired(SweepDone done) {
  ReservationId from = 0;
  {
    std::lock_guard<std::mutex> lock(sweep_mu_);
    if (sweeping_) {
      if (done) done(std::size_t{0});
      return;
    }
    sweeping_ = true;
    from = sweep_from_;
  }
  struct Progress {
    std::size_t expired = 0;
    ReservationId low = 0;       // lowest live reservation seen by this job (0 = none)
    ReservationId next = 0;      // where the next job starts
    bool reached_end = false;
  };
  auto progress = std::make_shared<Progress>();
  auto job = [this, from, progress](WriteTxn& txn) -> Status {
    *progress = Progress{};
    const UnixTime now = clock_.now();
    std::vector<Reservation> due;
    std::size_t examined = 0;
    ReservationId last = from;
    progress->reached_end = true;  // unless the scan or the batch fills first
    Status walked = storage::for_each_from(
        txn, Table::csr_reservations, encode_reservation_key(from), [&](ByteView, ByteView value) -> Result<bool> {
          if (examined >= policy_.sweep_scan || due.size() >= policy_.sweep_batch) {
            progress->reached_end = false;
            return false;
          }
          auto rec = decode_reservation(value);
          if (!rec) return std::move(rec).error();
          ++examined;
          last = rec->id;
          if (rec->state == ReservationState::reserved) {
            if (now >= rec->expires) {
              due.push_back(std::move(*rec));
            } else if (progress->low == 0) {
              progress->low = rec->id;
            }
          }
          return true;
        });
    if (!walked) return walked;
    // Nothing examined: the table ends before `from`; look there again next time.
    progress->next = examined == 0 ? from : last + 1;
    for (Reservation& r : due) {
      r.state = ReservationState::expired;
      r.changed = now;
      Status s = store(txn, r);
      if (s) s = drop_key(txn, r);
      if (s) s = storage::append_audit(txn, event_for("csr.expired", kSweeperLabel, "csr.expire", "expired", r, now));
      if (!s) return s;
    }
    progress->expired = due.size();
    return {};
  };
  writer_.submit(std::move(job), [this, progress, done = std::move(done)](Status s) {
    {
      std::lock_guard<std::mutex> lock(sweep_mu_);
      sweeping_ = false;
      if (s) {
        if (progress->low != 0 && (sweep_low_ == 0 || progress->low < sweep_low_)) sweep_low_ = progress->low;
        if (progress->reached_end) {
          // Everything below the oldest live reservation of this pass is final; start
          // the next pass there (or after the end when nothing was live).
          sweep_from_ = sweep_low_ != 0 ? sweep_low_ : progress->next;
          sweep_low_ = 0;
        } else {
          sweep_from_ = progress->next;
        }
      }
    }
    if (!done) return;
    if (!s) {
      done(std::move(s).error());
    } else {
      done(progress->expired);
    }
  });
}

Result<std::optional<Reservation>> CsrService::get(const storage::ReadTxn& txn, ReservationId id) const {
  return load(txn, id);
}

Result<KeyUse> CsrService::on_certificate_ingested(WriteTxn& txn, const Sha256& spki_sha256,
                                                   const Sha256& cert_sha256, std::uint32_t participant,
                                                   std::uint32_t issuer, const Sha256& subject_sha256,
                                                   UnixTime now, std::string_view actor_label) const {
  KeyUse use;
  auto ids = key_holders(txn, spki_sha256);
  if (!ids) return std::move(ids).error();
  std::vector<std::pair<Reservation, ReservationState>> holders;
  for (ReservationId id : *ids) {
    auto rec = load(txn, id);
    if (!rec) return std::move(rec).error();
    if (!*rec) return make_error(ErrorKind::storage, "storage_corrupt", "csr key index names a missing reservation");
    if ((*rec)->cert_sha256 == cert_sha256) {
      use.already_linked = true;  // committed by its holder, or ingested before
      return use;
    }
    const ReservationState eff = effective_state(**rec, now);
    holders.emplace_back(std::move(**rec), eff);
  }

  // The participant's live reservation for this key, preferring the same subject.
  std::optional<std::size_t> pick;
  for (std::size_t i = 0; i < holders.size(); ++i) {
    const Reservation& r = holders[i].first;
    if (holders[i].second != ReservationState::reserved || r.participant != participant) continue;
    if (r.issuer != 0 && issuer != 0 && r.issuer != issuer) continue;
    if (!pick || (r.subject_sha256 == subject_sha256 && holders[*pick].first.subject_sha256 != subject_sha256))
      pick = i;
  }

  bool all_renewals = true;
  for (std::size_t i = 0; i < holders.size(); ++i) {
    if (pick && i == *pick) continue;
    const auto& [r, eff] = holders[i];
    if (!blocks(eff)) continue;
    use.key_reused = true;
    if (!renewal_allowed(policy_, r, eff, participant, issuer, subject_sha256)) all_renewals = false;
  }
  use.renewal = use.key_reused && all_renewals;

  if (pick) {
    Reservation r = holders[*pick].first;
    r.state = ReservationState::issued;
    r.cert_sha256 = cert_sha256;
    r.changed = now;
    Status s = store(txn, r);
    if (s) s = storage::append_audit(txn, event_for("csr.committed", actor_label, "csr.commit", "issued", r, now));
    if (!s) return std::move(s).error();
    use.committed = r.id;
    return use;
  }

  // A certificate without a reservation: its key counts as used from now on. (The
  // registry's certificate.issued event of the same commit records the write.)
  auto id = next_id(txn);
  if (!id) return std::move(id).error();
  Reservation r;
  r.id = *id;
  r.participant = participant;
  r.spki_sha256 = spki_sha256;
  r.subject_sha256 = subject_sha256;
  r.issuer = issuer;
  r.state = ReservationState::issued;
  r.origin = Origin::certificate;
  r.created = r.changed = r.first_seen = now;
  r.expires = now;
  r.cert_sha256 = cert_sha256;
  Status s = store(txn, r);
  if (s) {
    auto added =
        txn.put_if_absent(Table::csr_key_index, key_index_key(r.spki_sha256, r.id), encode_reservation_key(r.id));
    if (!added) s = std::move(added).error();
  }
  if (!s) return std::move(s).error();
  use.recorded = r.id;
  return use;
}

// The record of the certificate with this key and hash moves to `to` (from `from` only, when
// set) with an audit event, inside the registry's job; nullopt when no record names it.
Result<std::optional<ReservationId>> CsrService::certificate_state(WriteTxn& txn, const Sha256& spki_sha256,
                                                                   const Sha256& cert_sha256, StateMove move,
                                                                   UnixTime now, std::string_view actor_label) const {
  auto ids = key_holders(txn, spki_sha256);
  if (!ids) return std::move(ids).error();
  for (ReservationId id : *ids) {
    auto rec = load(txn, id);
    if (!rec) return std::move(rec).error();
    if (!*rec || (*rec)->cert_sha256 != cert_sha256) continue;
    Reservation r = std::move(**rec);
    if (r.state == move.to || (move.from && r.state != *move.from)) return std::optional<ReservationId>{r.id};
    r.state = move.to;
    r.changed = now;
    Status s = store(txn, r);
    if (s) s = storage::append_audit(txn, event_for(move.event, actor_label, move.action, state_name(move.to), r, now));
    if (!s) return std::move(s).error();
    return std::optional<ReservationId>{r.id};
  }
  return std::optional<ReservationId>{};
}

Result<std::optional<ReservationId>> CsrService::on_certificate_revoked(WriteTxn& txn, const Sha256& spki_sha256,
                                                                        const Sha256& cert_sha256, UnixTime now,
                                                                        std::string_view actor_label) const {
  return certificate_state(txn, spki_sha256, cert_sha256,
                           {std::nullopt, ReservationState::revoked, "csr.revoked", "csr.revoke"}, now,
                           actor_label);
}

Result<std::optional<ReservationId>> CsrService::on_certificate_released(WriteTxn& txn, const Sha256& spki_sha256,
                                                                         const Sha256& cert_sha256, UnixTime now,
                                                                         std::string_view actor_label) const {
  return certificate_state(txn, spki_sha256, cert_sha256,
                           {ReservationState::revoked, ReservationState::issued, "csr.reinstated", "csr.reinstate"},
                           now, actor_label);
}

Result<registry::KeyReuse> CsrService::certificate_stored(WriteTxn& txn, const registry::StoredKey& key,
                                                        UnixTime now, std::string_view actor_label) const {
  auto use = on_certificate_ingested(txn, key.spki_sha256, key.cert_sha256, key.participant, key.issuer,
                                     key.subject_sha256, now, actor_label);
  if (!use) return std::move(use).error();
  return registry::KeyReuse{use->key_reused, use->renewal};
}

Status CsrService::certificate_revoked(WriteTxn& txn, const Sha256& spki_sha256, const Sha256& cert_sha256,
                                       UnixTime now, std::string_view actor_label) const {
  auto revoked = on_certificate_revoked(txn, spki_sha256, cert_sha256, now, actor_label);
  if (!revoked) return std::move(revoked).error();
  return {};
}

Status CsrService::certificate_released(WriteTxn& txn, const Sha256& spki_sha256, const Sha256& cert_sha256,
                                        UnixTime now, std::string_view actor_label) const {
  auto released = on_certificate_released(txn, spki_sha256, cert_sha256, now, actor_label);
  if (!released) return std::move(released).error();
  return {};
}

}  // namespace trustmon::csr
