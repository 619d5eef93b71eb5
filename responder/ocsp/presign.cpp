// Pre-signing of single-CertID responses (see presign.hpp for the policy).
#include "responder/ocsp/presign.hpp"

#include <array>

namespace trustmon::ocsp {

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

SingleStatus status_from_record(ByteView certid_der, const storage::CertRecord& record, UnixTime this_update,
                                UnixTime next_update) noexcept {
  SingleStatus s;
  s.certid_der = certid_der;
  s.this_update = this_update;
  s.next_update = next_update;
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
                                            UnixTime now) {
  const Bytes certid = build_certid_der(kPresignHashAlg, issuer, serial);
  const UnixTime this_update = now - options.backdate;
  const UnixTime next_update = this_update + options.validity - presign_jitter(serial, options.validity);
  const SingleStatus status = status_from_record(certid, record, this_update, next_update);
  auto der = sign_response(issuer, std::span<const SingleStatus>(&status, 1), std::nullopt, now, false);
  if (!der) return std::move(der).error();
  storage::OcspResponseRecord out;
  out.produced_at = now;
  out.this_update = this_update;
  out.next_update = next_update;
  out.status = record.status;
  out.revocation_time = record.status == storage::CertStatus::revoked ? record.revocation_time : 0;
  out.der = std::move(*der);
  return out;
}

}  // namespace trustmon::ocsp
