// Key and value codecs for every table (see records.hpp). Layout of every value:
// u8 format (kFormat) followed by fixed-width big-endian fields; signed times are be64
// two's complement; variable fields are be32 length + bytes. Decoders check the exact
// total size before reading and reject unknown enum values, so a damaged record is
// "storage_corrupt" and never an out-of-bounds read.
#include "storage/records.hpp"

#include "common/enum_names.hpp"
#include "storage/field_codec.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

namespace trustmon::storage {
namespace {

constexpr std::uint8_t kFormat = 1;
constexpr std::uint8_t kNoReasonByte = 0xff;

Error corrupt(const char* what, const char* why) {
  return make_error(ErrorKind::storage, "storage_corrupt", std::string(what) + " record: " + why);
}

bool valid_reason(int code) {
  return (code >= 0 && code <= 6) || (code >= 8 && code <= 10);
}

bool valid_status(std::uint8_t s) { return s <= static_cast<std::uint8_t>(CertStatus::revoked); }

// certs records: format 1 (kCertSizeV1); format 2 appends signature_checked; format 3
// appends der_id; format 4 appends a presence octet, be32 stats profile and be64 ingested_at.
constexpr std::uint8_t kCertFormat = 4;
constexpr std::size_t kCertSizeV1 = 1 + 1 + 8 + 1 + 8 + 8 + 8 + 32 + 1 + 4;
constexpr std::size_t kCertSizeV2 = kCertSizeV1 + 1;
constexpr std::size_t kCertSizeV3 = kCertSizeV2 + 8;
constexpr std::size_t kCertSize = kCertSizeV3 + 1 + 4 + 8;
constexpr std::size_t kOcspHeaderSize = 1 + 8 + 8 + 8 + 1 + 8 + 4;

// RFC 5280 CRLReason codes (7 is unused) and their ASN.1 names, the wire and CLI names;
// the literals make name(...).data() NUL-terminated.
constexpr EnumNames<int, 10> kReasonNames({{
    {0, "unspecified"},
    {1, "keyCompromise"},
    {2, "cACompromise"},
    {3, "affiliationChanged"},
    {4, "superseded"},
    {5, "cessationOfOperation"},
    {6, "certificateHold"},
    {8, "removeFromCRL"},
    {9, "privilegeWithdrawn"},
    {10, "aACompromise"},
}});

}  // namespace

// --------------------------------------------------------------------------- keys

Bytes encode_cert_key(IssuerId issuer, ByteView serial) {
  // Empty or over-long serials give an empty key (callers validate first; an empty key
  // is refused by LMDB, so misuse fails loudly instead of colliding).
  if (serial.empty()) return {};
  // Leading zero octets do not change the number; dropping them keeps one key per
  // serial and numeric order (length, then bytes).
  std::size_t skip = 0;
  while (skip + 1 < serial.size() && serial[skip] == 0) ++skip;
  serial = serial.subspan(skip);
  if (serial.size() > kMaxSerialBytes) return {};
  Bytes key(5 + serial.size());
  put_be32(key.data(), issuer);
  key[4] = static_cast<std::uint8_t>(serial.size());
  std::copy(serial.begin(), serial.end(), key.begin() + 5);
  return key;
}

std::optional<CertKey> decode_cert_key(ByteView key) {
  if (key.size() < 6) return std::nullopt;
  const std::size_t len = key[4];
  if (len == 0 || len > kMaxSerialBytes || key.size() != 5 + len) return std::nullopt;
  return CertKey{get_be32(key.data()), key.subspan(5)};
}

Bytes encode_issuer_key(IssuerId id) {
  Bytes key(4);
  put_be32(key.data(), id);
  return key;
}

Bytes encode_event_key(std::uint64_t seq) {
  Bytes key(8);
  put_be64(key.data(), seq);
  return key;
}

// ------------------------------------------------------------------------ reasons

std::optional<int> reason_from_name(std::string_view name) { return kReasonNames.parse(name); }

const char* reason_name(int code) { return code == kNoReason ? "none" : kReasonNames.name(code).data(); }

// -------------------------------------------------------------------------- certs

Bytes encode_cert(const CertRecord& r) {
  FieldWriter w(kCertSize);
  w.u8(kCertFormat);
  w.u8(static_cast<std::uint8_t>(r.status));
  w.time(r.revocation_time);
  // Only RFC 5280 codes are stored; anything else is stored as "no reason".
  w.u8(valid_reason(r.reason) ? static_cast<std::uint8_t>(r.reason) : kNoReasonByte);
  w.time(r.invalidity_date);
  w.time(r.not_before);
  w.time(r.not_after);
  w.raw(r.cert_sha256);
  w.u8(r.has_der ? 1 : 0);
  w.be32(r.participant);
  w.u8(r.signature_checked ? 1 : 0);
  w.be64(r.der_id);
  w.u8(r.stats_profile ? 1 : 0);
  w.be32(r.stats_profile.value_or(0));
  w.time(r.ingested_at);
  return w.take();
}

Result<CertRecord> decode_cert(ByteView value) {
  if (value.empty()) return corrupt("cert", "wrong size");
  const std::uint8_t format = value[0];
  if (format < 1 || format > kCertFormat) return corrupt("cert", "unknown format");
  if (value.size() != (format == 1   ? kCertSizeV1
                       : format == 2 ? kCertSizeV2
                       : format == 3 ? kCertSizeV3
                                     : kCertSize))
    return corrupt("cert", "wrong size");
  FieldReader in(value);
  in.u8();
  CertRecord r;
  const std::uint8_t status = in.u8();
  if (!valid_status(status)) return corrupt("cert", "unknown status");
  r.status = static_cast<CertStatus>(status);
  r.revocation_time = in.time();
  const std::uint8_t reason = in.u8();
  if (reason == kNoReasonByte) {
    r.reason = kNoReason;
  } else if (valid_reason(reason)) {
    r.reason = reason;
  } else {
    return corrupt("cert", "unknown revocation reason");
  }
  r.invalidity_date = in.time();
  r.not_before = in.time();
  r.not_after = in.time();
  in.sha256(r.cert_sha256);
  const std::uint8_t has_der = in.u8();
  if (has_der > 1) return corrupt("cert", "bad has_der flag");
  r.has_der = has_der == 1;
  r.participant = in.be32();
  if (format >= 2) {
    const std::uint8_t checked = in.u8();
    if (checked > 1) return corrupt("cert", "bad signature_checked flag");
    r.signature_checked = checked == 1;
  }
  if (format >= 3) r.der_id = in.be64();
  if (format >= 4) {
    const std::uint8_t has_profile = in.u8();
    if (has_profile > 1) return corrupt("cert", "bad stats profile flag");
    const std::uint32_t profile = in.be32();
    if (has_profile == 1) r.stats_profile = profile;
    r.ingested_at = in.time();
  }
  if (!in.done()) return corrupt("cert", "wrong size");
  return r;
}

// ------------------------------------------------------------------------ issuers

Bytes encode_issuer(const IssuerRecord& r) {
  FieldWriter w(1 + 4 + 4 + r.name.size() + 32 + 8 + 4 + r.ca_der.size());
  w.u8(kFormat);
  w.be32(r.id);
  w.var(as_bytes(r.name));
  w.raw(r.identity);
  w.time(r.added);
  w.var(r.ca_der);
  return w.take();
}

Result<IssuerRecord> decode_issuer(ByteView value) {
  FieldReader in(value);
  if (in.u8() != kFormat || !in.ok()) return corrupt("issuer", "unknown format");
  IssuerRecord r;
  r.id = in.be32();
  const ByteView name = in.var();
  in.sha256(r.identity);
  r.added = in.time();
  const ByteView der = in.var();
  if (!in.done()) return corrupt("issuer", "truncated or trailing bytes");
  r.name.assign(as_chars(name));
  r.ca_der = to_bytes(der);
  return r;
}

// ----------------------------------------------------------------- ocsp_responses

Bytes encode_ocsp_response(const OcspResponseRecord& r) {
  FieldWriter w(kOcspHeaderSize + r.der.size());
  w.u8(kFormat);
  w.time(r.produced_at);
  w.time(r.this_update);
  w.time(r.next_update);
  w.u8(static_cast<std::uint8_t>(r.status));
  w.time(r.revocation_time);
  w.var(r.der);
  return w.take();
}

Result<OcspResponseView> view_ocsp_response(ByteView value) {
  if (value.size() < kOcspHeaderSize) return corrupt("ocsp_response", "truncated");
  FieldReader in(value);
  if (in.u8() != kFormat) return corrupt("ocsp_response", "unknown format");
  OcspResponseView v;
  v.produced_at = in.time();
  v.this_update = in.time();
  v.next_update = in.time();
  const std::uint8_t status = in.u8();
  if (!valid_status(status)) return corrupt("ocsp_response", "unknown status");
  v.status = static_cast<CertStatus>(status);
  v.revocation_time = in.time();
  v.der = in.var();
  if (!in.done()) return corrupt("ocsp_response", "truncated or trailing bytes");
  return v;
}

Result<OcspResponseRecord> decode_ocsp_response(ByteView value) {
  auto v = view_ocsp_response(value);
  if (!v.ok()) return std::move(v).error();
  OcspResponseRecord r;
  r.produced_at = v->produced_at;
  r.this_update = v->this_update;
  r.next_update = v->next_update;
  r.status = v->status;
  r.revocation_time = v->revocation_time;
  r.der = to_bytes(v->der);
  return r;
}

}  // namespace trustmon::storage
