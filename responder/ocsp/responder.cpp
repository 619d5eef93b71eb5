// The OCSP service (see responder.hpp for the policy).
#include "responder/ocsp/responder.hpp"

#include <algorithm>
#include <atomic>
#include <vector>

#include "common/log.hpp"
#include "responder/ocsp/presign.hpp"
#include "responder/ocsp/request.hpp"
#include "storage/records.hpp"

namespace trustmon::ocsp {
namespace {

Answer error_answer(ResponseStatus status, std::string_view outcome, std::string_view detail) {
  Answer a;
  a.kind = Answer::Kind::error;
  a.status = status;
  a.body = error_response(status);
  a.outcome = outcome;
  a.detail = detail;
  return a;
}

Answer internal_error(std::string_view detail) {
  return error_answer(ResponseStatus::internal_error, "internal_error", detail);
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

}  // namespace

std::string etag(const Answer& answer) {
  if (answer.kind == Answer::Kind::error) return {};
  // The signature, not the DER's tail: with a delegated responder the DER ends with the
  // embedded certificate, the same in every response of that issuer.
  ByteView tail = response_signature(answer.body).value_or(answer.body);
  if (tail.size() > 16) tail = tail.last(16);
  if (tail.empty()) return {};
  std::string etag;
  etag.reserve(2 + 2 * tail.size());
  etag += '"';
  etag += hex_encode(tail);
  etag += '"';
  return etag;
}

Responder::Responder(const IssuerTable& issuers, OcspOptions options, const Clock& clock)
    : issuers_(issuers), options_(options), clock_(clock) {
  for (const IssuerKeys* k : issuers_.all()) {
    auto b = std::make_unique<Budget>();
    b->tokens = options_.live_signatures_per_second;  // start with a full second's worth
    b->refilled = clock_.now();
    budgets_.emplace(k->id, std::move(b));
  }
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

Answer Responder::answer(ByteView request_der, const storage::ReadTxn& txn) const noexcept {
  try {
    return answer_impl(request_der, txn);
  } catch (...) {
    // Only allocation failures can get here; the constant answer allocates nothing.
    return internal_error("exception");
  }
}

Answer Responder::answer_impl(ByteView request_der, const storage::ReadTxn& txn) const {
  if (request_der.empty()) return error_answer(ResponseStatus::malformed_request, "malformed", "empty");
  if (request_der.size() > options_.max_request_bytes)
    return error_answer(ResponseStatus::malformed_request, "malformed", "too_large");
  ParsedRequest req;
  if (const char* why = parse_request(request_der, options_.max_certids, req))
    return error_answer(ResponseStatus::malformed_request, "malformed", why);

  const IssuerKeys* issuer = nullptr;
  for (const CertIdRef& c : req.certids) {
    if (c.alg == HashAlg::unsupported)
      return error_answer(ResponseStatus::unauthorized, "unauthorized", "unsupported_hash");
    const IssuerKeys* k = issuers_.find(c.alg, c.name_hash, c.key_hash);
    if (k == nullptr) return error_answer(ResponseStatus::unauthorized, "unauthorized", "unknown_issuer");
    if (issuer != nullptr && k != issuer)
      return error_answer(ResponseStatus::unauthorized, "unauthorized", "mixed_issuers");
    issuer = k;
  }

  const UnixTime now = clock_.now();
  const bool echo = options_.echo_nonce && req.nonce.has_value();
  std::string_view why_live = echo ? "nonce" : "multiple";

  if (req.certids.size() == 1 && !echo) {
    const CertIdRef& c = req.certids[0];
    const Bytes key = storage::encode_cert_key(issuer->id, c.serial);
    auto stored = txn.get(storage::Table::ocsp_responses, key);
    if (!stored) {
      log_fault(clock_, stored.error());
      return internal_error("storage");
    }
    why_live = "missing";
    if (stored->has_value()) {
      auto view = storage::view_ocsp_response(**stored);
      if (!view) {
        why_live = "undecodable";
      } else if (!(now + options_.fresh_margin < view->next_update && view->this_update <= now + options_.clock_skew)) {
        why_live = "stale";
      } else if (response_certid_alg(view->der) != c.alg) {
        why_live = "hash_alg";
      } else {
        bool serve = true;
        if (options_.check_presigned_status) {
          auto cert = txn.get(storage::Table::certs, key);
          if (!cert) {
            log_fault(clock_, cert.error());
            return internal_error("storage");
          }
          if (!cert->has_value()) {
            serve = false;  // a response for a certificate we do not hold: never trust it
          } else {
            auto record = storage::decode_cert(**cert);
            serve = record && presigned_matches(*view, *record);
          }
          if (!serve) why_live = "status_changed";
        }
        if (serve) {
          Answer a;
          a.kind = Answer::Kind::presigned;
          a.status = ResponseStatus::successful;
          a.body = view->der;
          a.produced_at = view->produced_at;
          a.this_update = view->this_update;
          a.next_update = view->next_update;
          a.cacheable = true;
          a.issuer = issuer->id;
          a.outcome = "cache";
          a.detail = "presigned";
          return a;
        }
      }
    }
  }

  // Live signing.
  if (!take_signing_token(issuer->id, now))
    return error_answer(ResponseStatus::try_later, "try_later", "signing_budget");
  const UnixTime this_update = now - options_.backdate;
  const UnixTime next_update = this_update + options_.validity;
  std::vector<SingleStatus> statuses;
  statuses.reserve(req.certids.size());
  bool extended_revoke = false;
  for (const CertIdRef& c : req.certids) {
    const Bytes key = storage::encode_cert_key(issuer->id, c.serial);
    auto got = txn.get(storage::Table::certs, key);
    if (!got) {
      log_fault(clock_, got.error());
      return internal_error("storage");
    }
    if (got->has_value()) {
      auto record = storage::decode_cert(**got);
      if (!record) {
        log_fault(clock_, record.error());
        return internal_error("storage");
      }
      statuses.push_back(status_from_record(c.der, *record, this_update, next_update));
    } else if (options_.unknown_as_revoked) {
      // RFC 6960 §2.2: a serial never issued is "revoked", certificateHold, at the epoch,
      // with the extended-revoke extension telling clients what that means.
      SingleStatus s;
      s.certid_der = c.der;
      s.state = CertState::revoked;
      s.revocation_time = 0;
      s.reason = 6;  // certificateHold
      s.this_update = this_update;
      s.next_update = next_update;
      statuses.push_back(s);
      extended_revoke = true;
    } else {
      SingleStatus s;
      s.certid_der = c.der;
      s.state = CertState::unknown;
      s.this_update = this_update;
      s.next_update = next_update;
      statuses.push_back(s);
    }
  }
  std::optional<ByteView> nonce;
  if (echo) nonce = req.nonce_extn_value;
  auto der = sign_response(*issuer, statuses, nonce, now, extended_revoke);
  if (!der) {
    log_fault(clock_, der.error());
    return internal_error("signing");
  }
  Answer a;
  a.kind = Answer::Kind::live;
  a.status = ResponseStatus::successful;
  a.owned = std::move(*der);
  a.body = a.owned;
  a.produced_at = now;
  a.this_update = this_update;
  a.next_update = next_update;
  a.cacheable = !echo;
  a.issuer = issuer->id;
  a.outcome = "live";
  a.detail = why_live;
  return a;
}

}  // namespace trustmon::ocsp
