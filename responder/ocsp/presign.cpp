// Pre-signing of single-CertID responses (see presign.hpp for the policy).
#include "responder/ocsp/presign.hpp"

#include <array>

namespace trustmon::ocsp {

Bytes response_key(ByteView cert_key, HashAlg alg) {
  Bytes key(cert_key.begin(), cert_key.end());
  if (alg != kPresignHashAlg) key.push_back(static_cast<std::uint8_t>(alg));
  return key;
}

std::optional<HashAlg> response_key_alg(ByteView key, std::size_t cert_key_size) noexcept {
  if (key.size() == cert_key_size) return kPresignHashAlg;
  if (key.size() != cert_key_size + 1) return std::nullopt;
  const auto alg = static_cast<HashAlg>(key.back());
  if (alg == kPresignHashAlg || hash_index(alg) >= kHashAlgCount) return std::nullopt;
  return alg;
}

Status drop_other_hash_responses(storage::WriteTxn& txn, ByteView cert_key) {
  for (HashAlg alg : {HashAlg::sha1, HashAlg::sha256, HashAlg::sha384, HashAlg::sha512}) {
    if (alg == kPresignHashAlg) continue;
    if (auto gone = txn.del(storage::Table::ocsp_responses, response_key(cert_key, alg)); !gone)
      return std::move(gone).error();
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

bool presigned_matches(const storage::OcspResponseView& response, const storage::CertRecord& record) noexcept {
  if (response.status != record.status) return false;
  return record.status != storage::CertStatus::revoked || response.revocation_time == record.revocation_time;
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
