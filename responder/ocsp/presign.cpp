// Pre-signing of single-CertID responses (see presign.hpp for the policy).
#include "responder/ocsp/presign.hpp"

#include <algorithm>
#include <array>
#include <limits>

namespace trustmon::ocsp {

Bytes response_key(ByteView cert_key, HashAlg alg) {
  Bytes key(cert_key.begin(), cert_key.end());
  if (alg != kPresignHashAlg) key.push_back(static_cast<std::uint8_t>(alg));
  return key;
}

std::optional<ByteView> cert_key_of_response(ByteView response_key) noexcept {
  if (response_key.size() < 5) return std::nullopt;
  const std::size_t n = 5 + response_key[4];
  if (response_key.size() < n || n > 5 + storage::kMaxSerialBytes) return std::nullopt;
  return response_key.first(n);
}

std::optional<HashAlg> response_key_alg(ByteView key, std::size_t cert_key_size) noexcept {
  if (key.size() == cert_key_size) return kPresignHashAlg;
  if (key.size() != cert_key_size + 1) return std::nullopt;
  const auto alg = static_cast<HashAlg>(key.back());
  if (alg == kPresignHashAlg || hash_index(alg) >= kHashAlgCount) return std::nullopt;
  return alg;
}

namespace {

// Deletes the ocsp_due entry of the response stored under `key`, if there is one.
Status forget_due(storage::WriteTxn& txn, ByteView key) {
  auto existing = txn.get(storage::Table::ocsp_responses, key);
  if (!existing) return std::move(existing).error();
  if (!existing->has_value()) return {};
  auto view = storage::view_ocsp_response(**existing);
  if (!view) return {};  // undecodable: its entry cannot be found, the refresher drops it when due
  if (auto gone = txn.del(storage::Table::ocsp_due, due_key(view->next_update, key)); !gone)
    return std::move(gone).error();
  return {};
}

}  // namespace

Bytes due_key(UnixTime next_update, ByteView response_key) {
  Bytes key(8 + response_key.size());
  const auto t = static_cast<std::uint64_t>(next_update < 0 ? 0 : next_update);
  for (int i = 0; i < 8; ++i) key[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(t >> (56 - 8 * i));
  std::copy(response_key.begin(), response_key.end(), key.begin() + 8);
  return key;
}

std::optional<DueKey> decode_due_key(ByteView key) noexcept {
  if (key.size() <= 8) return std::nullopt;
  std::uint64_t t = 0;
  for (std::size_t i = 0; i < 8; ++i) t = (t << 8) | key[i];
  if (t > static_cast<std::uint64_t>(std::numeric_limits<UnixTime>::max())) return std::nullopt;
  return DueKey{static_cast<UnixTime>(t), key.subspan(8)};
}

Status put_response(storage::WriteTxn& txn, ByteView response_key, const storage::OcspResponseRecord& record) {
  if (Status s = forget_due(txn, response_key); !s) return s;
  if (auto gone = txn.del(storage::Table::ocsp_due, due_key(0, response_key)); !gone) return std::move(gone).error();
  if (Status s = txn.put(storage::Table::ocsp_responses, response_key, storage::encode_ocsp_response(record)); !s)
    return s;
  return txn.put(storage::Table::ocsp_due, due_key(record.next_update, response_key), ByteView{});
}

Status mark_unsigned(storage::WriteTxn& txn, ByteView cert_key) {
  return txn.put(storage::Table::ocsp_due, due_key(0, cert_key), ByteView{});
}

Status drop_other_hash_responses(storage::WriteTxn& txn, ByteView cert_key) {
  for (HashAlg alg : {HashAlg::sha1, HashAlg::sha256, HashAlg::sha384, HashAlg::sha512}) {
    if (alg == kPresignHashAlg) continue;
    const Bytes key = response_key(cert_key, alg);
    if (Status s = forget_due(txn, key); !s) return s;
    if (auto gone = txn.del(storage::Table::ocsp_responses, key); !gone) return std::move(gone).error();
  }
  return {};
}

UnixTime presign_jitter(ByteView serial, UnixTime validity) noexcept {
  const UnixTime span = validity / 10;
  if (span <= 0) return 0;
  // FNV-1a: cheap, stable across runs and platforms, and spreads sequential serials.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::uint8_t b : serial) {
    h ^= b;
    h *= 0x100000001b3ULL;
  }
  return static_cast<UnixTime>(h % static_cast<std::uint64_t>(span));
}

bool is_expired(const storage::CertRecord& record, UnixTime now) noexcept {
  return record.not_after != 0 && record.not_after < now;
}

ResponseWindow response_window(const ResponderKeys& issuer, const storage::CertRecord& record, ByteView serial,
                               const OcspOptions& options, UnixTime now, bool jitter) noexcept {
  const bool expired = is_expired(record, now);
  const UnixTime validity = expired ? options.expired_validity : options.validity;
  ResponseWindow w;
  w.this_update = now - options.backdate;
  w.next_update = w.this_update + validity - (jitter ? presign_jitter(serial, validity) : 0);
  if (expired) w.archive_cutoff = issuer.ca_not_before;
  return w;
}

SingleStatus status_from_record(ByteView certid_der, const storage::CertRecord& record,
                                const ResponseWindow& window) noexcept {
  SingleStatus s;
  s.certid_der = certid_der;
  s.this_update = window.this_update;
  s.next_update = window.next_update;
  s.archive_cutoff = window.archive_cutoff;
  if (record.status == storage::CertStatus::revoked) {
    s.state = CertState::revoked;
    s.revocation_time = record.revocation_time;
    s.reason = record.reason;
    s.invalidity_date = record.invalidity_date;
  } else {
    s.state = CertState::good;
  }
  return s;
}

namespace {

bool states(storage::CertStatus status, UnixTime revocation_time, const storage::CertRecord& record) noexcept {
  if (status != record.status) return false;
  return record.status != storage::CertStatus::revoked || revocation_time == record.revocation_time;
}

}  // namespace

bool presigned_matches(const storage::OcspResponseView& response, const storage::CertRecord& record) noexcept {
  return states(response.status, response.revocation_time, record);
}

bool presigned_matches(const storage::OcspResponseRecord& response, const storage::CertRecord& record) noexcept {
  return states(response.status, response.revocation_time, record);
}

Result<storage::OcspResponseRecord> presign(const ResponderKeys& issuer, ByteView serial,
                                            const storage::CertRecord& record, const OcspOptions& options,
                                            UnixTime now, HashAlg alg) {
  const Bytes certid = build_certid_der(alg, issuer, serial);
  if (certid.empty()) return make_error(ErrorKind::invalid, "invalid_argument", "unsupported CertID hash");
  const ResponseWindow window = response_window(issuer, record, serial, options, now, true);
  const SingleStatus status = status_from_record(certid, record, window);
  auto der = sign_response(issuer, std::span<const SingleStatus>(&status, 1), std::nullopt, now, false);
  if (!der) return std::move(der).error();
  storage::OcspResponseRecord out;
  out.produced_at = now;
  out.this_update = window.this_update;
  out.next_update = window.next_update;
  out.status = record.status;
  out.revocation_time = record.status == storage::CertStatus::revoked ? record.revocation_time : 0;
  out.der = std::move(*der);
  return out;
}

}  // namespace trustmon::ocsp
