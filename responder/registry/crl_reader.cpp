#include "responder/registry/crl_reader.hpp"

#include <string_view>

#include "common/der.hpp"
#include "common/pem.hpp"
#include "storage/records.hpp"

namespace trustmon::registry {

namespace {

// DER as given (a CRL is a SEQUENCE: it starts with 0x30), or the first "X509 CRL"
// block of a PEM text.
std::optional<Bytes> crl_der(const Bytes& input) {
  if (!input.empty() && input[0] == der::kSequence) return input;
  auto block = pem::find_block(as_chars(input), {"X509 CRL"});
  if (!block) return std::nullopt;
  return to_bytes(block->der());
}

Error entry_error(const char* code, const char* message) { return make_error(ErrorKind::invalid, code, message); }

CrlEntry read_entry(const X509_REVOKED* r, UnixTime now, UnixTime max_skew) {
  CrlEntry e;
  const ASN1_INTEGER* serial_int = X509_REVOKED_get0_serialNumber(r);
  e.serial = serial_bytes(serial_int);
  if (e.serial.empty() || e.serial.size() > storage::kMaxSerialBytes ||
      ASN1_STRING_type(serial_int) == V_ASN1_NEG_INTEGER) {
    e.error = entry_error("serial_invalid", "the serial number must be positive and at most 32 bytes");
    return e;
  }
  auto when = asn1_time_to_unix(X509_REVOKED_get0_revocationDate(r));
  if (!when || *when > now + max_skew || *when < 0) {
    e.error = entry_error("time_invalid", "the revocation date is unreadable or in the future");
    return e;
  }
  e.time = *when;
  int crit = 0;
  Asn1StringPtr reason(static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, nullptr)));
  if (reason) {
    const long code = ASN1_ENUMERATED_get(reason.get());
    if (code == storage::kReasonRemoveFromCrl) {
      e.error = entry_error("reason_invalid", "removeFromCRL (delta CRLs) is not a revocation");
      return e;
    }
    e.reason = storage::reason_name(static_cast<int>(code)) == std::string_view("unknown") ? storage::kNoReason
                                                                                          : static_cast<int>(code);
  } else if (crit != -1) {
    e.error = entry_error("reason_invalid", "the reasonCode extension is malformed");
    return e;
  }
  Asn1StringPtr invalidity(
      static_cast<ASN1_GENERALIZEDTIME*>(X509_REVOKED_get_ext_d2i(r, NID_invalidity_date, &crit, nullptr)));
  if (invalidity) {
    auto t = asn1_time_to_unix(invalidity.get());
    if (!t || *t > e.time || *t < 0) {
      e.error = entry_error("time_invalid", "the invalidity date is unreadable or after the revocation");
      return e;
    }
    e.invalidity_date = *t;
  } else if (crit != -1) {
    e.error = entry_error("time_invalid", "the invalidityDate extension is malformed");
  }
  return e;
}

}  // namespace

Result<CrlUpload> read_crl(const Bytes& input, UnixTime now, UnixTime max_skew) {
  const auto malformed = [] { return make_error(ErrorKind::invalid, "crl_malformed", "not a DER or PEM X.509 CRL"); };
  auto der = crl_der(input);
  if (!der || der->empty()) return malformed();
  const unsigned char* p = der->data();
  CrlUpload upload;
  upload.crl.reset(d2i_X509_CRL(nullptr, &p, static_cast<long>(der->size())));
  if (!upload.crl || p != der->data() + der->size()) {
    ossl_errors();
    return malformed();
  }
  upload.der = std::move(*der);
  int crit = 0;
  Asn1IntegerPtr number(static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(upload.crl.get(), NID_crl_number, &crit, nullptr)));
  if (number) {
    BignumPtr bn(ASN1_INTEGER_to_BN(number.get(), nullptr));
    if (bn && !BN_is_negative(bn.get())) {
      Bytes n(static_cast<std::size_t>(BN_num_bytes(bn.get())));
      BN_bn2bin(bn.get(), n.data());
      upload.number = std::move(n);
    }
  }
  upload.delta = X509_CRL_get_ext_by_NID(upload.crl.get(), NID_delta_crl, -1) >= 0;
  if (auto t = asn1_time_to_unix(X509_CRL_get0_lastUpdate(upload.crl.get()))) upload.this_update = *t;
  if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(upload.crl.get()))
    if (auto t = asn1_time_to_unix(next)) upload.next_update = *t;
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(upload.crl.get());
  const int n = revoked ? sk_X509_REVOKED_num(revoked) : 0;
  upload.entries.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) upload.entries.push_back(read_entry(sk_X509_REVOKED_value(revoked, i), now, max_skew));
  ossl_errors();
  return upload;
}

}  // namespace trustmon::registry
