#include "storage/cert_standing.hpp"

#include "storage/records.hpp"

namespace trustmon::storage {
namespace {

Error refused(const char* code, const char* what) { return make_error(ErrorKind::forbidden, code, what); }

}  // namespace

Status check_standing(const ReadTxn& txn, std::uint32_t issuer, ByteView serial, UnixTime now) {
  if (serial.empty() || serial.size() > kMaxSerialBytes)
    return refused("certificate_unknown", "the certificate's serial number is not one trustmon stores");
  auto got = txn.get(Table::certs, encode_cert_key(issuer, serial));
  if (!got) return std::move(got).error();
  if (!*got) return refused("certificate_unknown", "trustmon holds no status of the certificate (push it first)");
  auto record = decode_cert(**got);
  if (!record) return std::move(record).error();
  if (record->status == CertStatus::revoked) {
    if (record->reason == kCertificateHold) return refused("certificate_held", "the certificate is on hold in trustmon");
    return refused("certificate_revoked", "the certificate is revoked in trustmon");
  }
  if (record->not_after != 0 && (now < record->not_before || now > record->not_after))
    return refused("certificate_expired", "the certificate is outside its validity");
  return {};
}

}  // namespace trustmon::storage
