// The OCSP service (see responder.hpp for the policy).
#include "responder/ocsp/responder.hpp"

#include <algorithm>
#include <atomic>
#include <limits>
#include <vector>

#include "common/log.hpp"
#include "responder/ocsp/answer_keeper.hpp"
#include "responder/ocsp/presign.hpp"
#include "responder/ocsp/request.hpp"
#include "storage/records.hpp"

namespace trustmon::ocsp {
namespace {

Answer error_answer(Outcome outcome) {
  Answer a;
  a.outcome = outcome;
  a.body = error_response(status_of(outcome));
  return a;
}

// Server faults on the hot path are logged at most once a second per process, so a
// broken disk cannot flood the log at 90k requests per second.
void log_fault(const Clock& clock, const Error& e) {
  static std::atomic<UnixTime> last{0};
  const UnixTime now = clock.now();
  UnixTime prev = last.load(std::memory_order_relaxed);
  if (prev == now || !last.compare_exchange_strong(prev, now, std::memory_order_relaxed)) return;
  log().error("ocsp: {}: {}", e.code, e.message);
}

// Answer::etag_source of a successful response: the signature's last 16 octets (the
// DER's, should the signature not be found; never for responses we signed).
ByteView etag_source_of(ByteView response_der) noexcept {
  const ByteView tail = response_signature(response_der).value_or(response_der);
  return tail.size() > 16 ? tail.last(16) : tail;
}

}  // namespace

Responder::Responder(const ResponderTable& issuers, OcspOptions options, const Clock& clock, AnswerKeeper* keeper)
    : issuers_(issuers), options_(options), clock_(clock), keeper_(keeper) {
  for (const ResponderKeys* k : issuers_.all()) {
    auto b = std::make_unique<Budget>();
    b->tokens = options_.live_signatures_per_second;  // start with a full second's worth
    b->refilled = clock_.now();
    budgets_.emplace(k->id, std::move(b));
  }
}

bool Responder::servable(UnixTime this_update, UnixTime next_update, UnixTime now) const noexcept {
  return now + options_.fresh_margin < next_update && this_update <= now + options_.clock_skew;
}

bool Responder::take_signing_token(storage::IssuerId issuer, UnixTime now) const {
  const double rate = options_.live_signatures_per_second;
  if (rate <= 0) return true;
  auto it = budgets_.find(issuer);
  if (it == budgets_.end()) return true;
  Budget& b = *it->second;
  std::lock_guard<std::mutex> lock(b.mu);  // uncontended next to a 20+ µs signature
  if (now > b.refilled) {
    b.tokens = std::min(rate, b.tokens + static_cast<double>(now - b.refilled) * rate);
    b.refilled = now;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

Answer Responder::answer(ByteView request_der, const storage::ReadTxn& txn, std::optional<UnixTime> at) const noexcept {
  try {
    return answer_impl(request_der, txn, at);
  } catch (...) {
    // Only allocation failures can get here; the constant answer allocates nothing.
    return error_answer(Outcome::exception);
  }
}

Answer Responder::answer_impl(ByteView request_der, const storage::ReadTxn& txn, std::optional<UnixTime> at) const {
  if (request_der.empty() || request_der.size() > options_.max_request_bytes) return error_answer(Outcome::malformed);
  ParsedRequest req;
  if (const char* why = parse_request(request_der, options_.max_certids, req)) {
    log().debug("ocsp: malformed request: {}", why);
    return error_answer(Outcome::malformed);
  }
  Outcome refusal = Outcome::unknown_issuer;
  const ResponderKeys* issuer = select_issuer(req.certids.view(), refusal);
  if (issuer == nullptr) return error_answer(refusal);

  const UnixTime now = clock_.now();
  const bool echo = options_.echo_nonce && req.nonce.has_value();
  if (special_ != nullptr && special_->covers(issuer->id)) {
    const FaultDraw fault = special_->draw(issuer->id, req.certids[0].serial, now);
    if (fault.fault != OcspFault::none || at) {
      std::optional<ByteView> nonce;
      if (req.nonce) nonce = req.nonce_extn_value;  // a test answer always echoes
      return answer_special(*issuer, req.certids.view(), nonce, now, at, fault, txn);
    }
  }
  Outcome why_live = echo ? Outcome::live_nonce : Outcome::live_multiple;
  if (req.certids.size() == 1 && !echo) {
    Answer a;
    why_live = try_presigned(*issuer, req.certids[0], now, txn, a);
    if (!is_live(why_live)) return a;  // served, or a storage fault
    if (keeper_ != nullptr) return kept_or_live(*issuer, req.certids[0], now, txn, why_live);
  }
  std::optional<ByteView> nonce;
  if (echo) nonce = req.nonce_extn_value;
  return sign_live(*issuer, req.certids.view(), nonce, now, txn, why_live);
}

const ResponderKeys* Responder::select_issuer(std::span<const CertIdRef> certids, Outcome& refusal) const noexcept {
  const ResponderKeys* issuer = nullptr;
  for (const CertIdRef& c : certids) {
    if (c.alg == HashAlg::unsupported) {
      refusal = Outcome::unsupported_hash;
      return nullptr;
    }
    const ResponderKeys* k = issuers_.find(c.alg, c.name_hash, c.key_hash);
    if (k == nullptr) {
      refusal = Outcome::unknown_issuer;
      return nullptr;
    }
    if (issuer != nullptr && k != issuer) {
      refusal = Outcome::mixed_issuers;
      return nullptr;
    }
    issuer = k;
  }
  return issuer;  // parse_request refuses an empty requestList: never nullptr here
}

Outcome Responder::try_presigned(const ResponderKeys& issuer, const CertIdRef& certid, UnixTime now,
                                 const storage::ReadTxn& txn, Answer& out) const {
  const Bytes key = response_key(storage::encode_cert_key(issuer.id, certid.serial), certid.alg);
  auto stored = txn.get(storage::Table::ocsp_responses, key);
  if (!stored) {
    log_fault(clock_, stored.error());
    out = error_answer(Outcome::storage_fault);
    return out.outcome;
  }
  if (!stored->has_value()) return Outcome::live_missing;
  auto view = storage::view_ocsp_response(**stored);
  if (!view) return Outcome::live_undecodable;
  if (!servable(view->this_update, view->next_update, now))
    return Outcome::live_stale;
  if (options_.check_presigned_status) {
    auto cert = txn.get(storage::Table::certs, storage::encode_cert_key(issuer.id, certid.serial));
    if (!cert) {
      log_fault(clock_, cert.error());
      out = error_answer(Outcome::storage_fault);
      return out.outcome;
    }
    // A response for a certificate we do not hold is never trusted.
    if (!cert->has_value()) return Outcome::live_status_changed;
    auto record = storage::decode_cert(**cert);
    if (!record || !presigned_matches(*view, *record)) return Outcome::live_status_changed;
  }
  out.outcome = Outcome::presigned;
  out.body = view->der;
  out.etag_source = etag_source_of(view->der);
  out.produced_at = view->produced_at;
  out.this_update = view->this_update;
  out.next_update = view->next_update;
  out.cacheable = true;
  return out.outcome;
}

Answer Responder::kept_or_live(const ResponderKeys& issuer, const CertIdRef& certid, UnixTime now,
                               const storage::ReadTxn& txn, Outcome why_live) const {
  const Bytes cert_key = storage::encode_cert_key(issuer.id, certid.serial);
  auto got = txn.get(storage::Table::certs, cert_key);
  if (!got) {
    log_fault(clock_, got.error());
    return error_answer(Outcome::storage_fault);
  }
  // A serial we do not hold is answered live and not kept: nothing would replace the
  // answer when the certificate arrives, and unknown serials must not fill the store.
  if (!got->has_value()) return sign_live(issuer, std::span<const CertIdRef>(&certid, 1), std::nullopt, now, txn, why_live);
  auto record = storage::decode_cert(**got);
  if (!record) {
    log_fault(clock_, record.error());
    return error_answer(Outcome::storage_fault);
  }
  const Bytes key = response_key(cert_key, certid.alg);
  const auto serve = [&](std::shared_ptr<const KeptAnswer> k, Outcome outcome) {
    Answer a;
    a.outcome = outcome;
    a.owned = k->der;
    a.body = a.owned;
    a.produced_at = k->produced_at;
    a.this_update = k->this_update;
    a.next_update = k->next_update;
    a.cacheable = true;
    a.etag_source = etag_source_of(a.body);
    return a;
  };
  if (auto kept = keeper_->find(key);
      kept && presigned_matches(*kept, *record) && servable(kept->this_update, kept->next_update, now))
    return serve(std::move(kept), Outcome::presigned);

  Answer a = sign_live(issuer, std::span<const CertIdRef>(&certid, 1), std::nullopt, now, txn, why_live);
  if (!is_live(a.outcome)) return a;
  auto mine = std::make_shared<KeptAnswer>();
  mine->der = a.owned;
  mine->status = record->status;
  mine->revocation_time = record->status == storage::CertStatus::revoked ? record->revocation_time : 0;
  mine->produced_at = a.produced_at;
  mine->this_update = a.this_update;
  mine->next_update = a.next_update;
  auto served = keeper_->keep(key, mine, now + options_.fresh_margin);
  if (served == mine) return a;
  return serve(std::move(served), why_live);
}

Outcome Responder::collect_statuses(const ResponderKeys& issuer, std::span<const CertIdRef> certids, UnixTime now,
                                    const storage::ReadTxn& txn, std::optional<UnixTime> as_of, Statuses& out) const {
  const UnixTime this_update = now - options_.backdate;
  out.next_update = std::numeric_limits<UnixTime>::max();  // the earliest of the singles'
  out.singles.reserve(certids.size());
  for (const CertIdRef& c : certids) {
    const Bytes key = storage::encode_cert_key(issuer.id, c.serial);
    auto got = txn.get(storage::Table::certs, key);
    if (!got) {
      log_fault(clock_, got.error());
      return Outcome::storage_fault;
    }
    if (got->has_value()) {
      auto record = storage::decode_cert(**got);
      if (!record) {
        log_fault(clock_, record.error());
        return Outcome::storage_fault;
      }
      const ResponseWindow window = response_window(issuer, *record, c.serial, options_, now, false);
      SingleStatus s = status_from_record(c.der, *record, window);
      if (as_of && s.state == CertState::revoked && s.revocation_time > *as_of) {
        s.state = CertState::good;  // not yet revoked at that time
        s.reason = storage::kNoReason;
        s.invalidity_date = 0;
      }
      out.singles.push_back(s);
      out.next_update = std::min(out.next_update, window.next_update);
      continue;
    }
    SingleStatus s;
    s.certid_der = c.der;
    s.this_update = this_update;
    s.next_update = this_update + options_.validity;
    out.next_update = std::min(out.next_update, s.next_update);
    if (options_.unknown_as_revoked) {
      // RFC 6960 §2.2: a serial never issued is "revoked", certificateHold, at the epoch,
      // with the extended-revoke extension telling clients what that means.
      s.state = CertState::revoked;
      s.revocation_time = 0;
      s.reason = 6;  // certificateHold
      out.extended_revoke = true;
    } else {
      s.state = CertState::unknown;
    }
    out.singles.push_back(s);
  }
  return Outcome::live_nonce;  // any live outcome: collected
}

Answer Responder::signed_answer(const ResponderKeys& signer, const Statuses& statuses, std::optional<ByteView> nonce,
                                UnixTime now, Outcome why_live) const {
  auto der = sign_response(signer, statuses.singles, nonce, now, statuses.extended_revoke);
  if (!der) {
    log_fault(clock_, der.error());
    return error_answer(Outcome::signing_fault);
  }
  Answer a;
  a.outcome = why_live;
  a.owned = std::move(*der);
  a.body = a.owned;
  a.produced_at = now;
  a.this_update = now - options_.backdate;
  a.next_update = statuses.next_update;
  a.cacheable = !nonce;
  if (a.cacheable) a.etag_source = etag_source_of(a.body);
  return a;
}

Answer Responder::sign_live(const ResponderKeys& issuer, std::span<const CertIdRef> certids,
                            std::optional<ByteView> nonce, UnixTime now, const storage::ReadTxn& txn,
                            Outcome why_live) const {
  if (!take_signing_token(issuer.id, now)) return error_answer(Outcome::signing_budget);
  Statuses statuses;
  if (Outcome o = collect_statuses(issuer, certids, now, txn, std::nullopt, statuses); !is_live(o))
    return error_answer(o);
  return signed_answer(issuer, statuses, nonce, now, why_live);
}

Answer Responder::answer_special(const ResponderKeys& issuer, std::span<const CertIdRef> certids,
                                 std::optional<ByteView> nonce, UnixTime now, std::optional<UnixTime> at,
                                 FaultDraw fault, const storage::ReadTxn& txn) const {
  switch (fault.fault) {
    case OcspFault::try_later: return error_answer(Outcome::signing_budget);
    case OcspFault::internal_error: return error_answer(Outcome::signing_fault);
    case OcspFault::unauthorized: return error_answer(Outcome::unknown_issuer);
    default: break;
  }
  // Signed live, so within the issuer's live-signature budget like any live answer.
  if (!take_signing_token(issuer.id, now)) return error_answer(Outcome::signing_budget);
  const UnixTime when = at.value_or(now);
  const ResponderKeys* signer = &issuer;
  if (fault.fault == OcspFault::wrong_signer) {
    signer = special_->wrong_signer(issuer.id);
    if (signer == nullptr) return error_answer(Outcome::signing_fault);
  }
  // The statuses as the production path makes them (as of `when`), then bent by the fault.
  Statuses statuses;
  if (Outcome o = collect_statuses(issuer, certids, when, txn, when, statuses); !is_live(o)) return error_answer(o);
  std::vector<Bytes> other_certids;
  other_certids.reserve(certids.size());
  for (std::size_t i = 0; i < certids.size(); ++i) {
    SingleStatus& s = statuses.singles[i];
    if (fault.fault == OcspFault::wrong_certid) {
      Bytes other(certids[i].serial.begin(), certids[i].serial.end());
      other.back() ^= 0x01;
      other_certids.push_back(build_certid_der(certids[i].alg, issuer, other));
      s.certid_der = other_certids.back();
    } else if (fault.fault == OcspFault::stale_next_update) {
      s.this_update = when - 2 * options_.validity;
      s.next_update = when - options_.validity;
    } else if (fault.fault == OcspFault::future_this_update) {
      s.this_update = when + 3600 + options_.clock_skew;
      s.next_update = s.this_update + options_.validity;
    }
  }
  // A nonce the client never sent: the extnValue of a 16-octet nonce of 0x5a octets.
  static constexpr std::uint8_t kWrongNonce[] = {0x04, 0x10, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
                                                 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a};
  if (fault.fault == OcspFault::nonce_missing) nonce.reset();
  if (fault.fault == OcspFault::nonce_wrong) nonce = ByteView(kWrongNonce);
  Answer a = signed_answer(*signer, statuses, nonce, when, Outcome::live_testbed);
  if (!is_live(a.outcome)) return a;
  if (fault.fault == OcspFault::unsigned_response) {
    if (auto sig = response_signature(a.owned)) {
      const auto offset = static_cast<std::size_t>(sig->data() - a.owned.data());
      std::fill(a.owned.begin() + static_cast<std::ptrdiff_t>(offset),
                a.owned.begin() + static_cast<std::ptrdiff_t>(offset + sig->size()), std::uint8_t{0});
    }
  } else if (fault.fault == OcspFault::truncated) {
    a.owned.resize(a.owned.size() / 2);
  } else if (fault.fault == OcspFault::delay) {
    a.delay_ms = fault.delay_ms;
  }
  a.body = a.owned;
  a.cacheable = false;  // neither kept nor cached: the next request may be answered otherwise
  a.etag_source = {};
  return a;
}

}  // namespace trustmon::ocsp
