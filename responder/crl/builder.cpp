// CRL construction and signing (see builder.hpp for the policy).
//
//   CertificateList  ::= SEQUENCE { tbsCertList TBSCertList, signatureAlgorithm AlgorithmIdentifier,
//                                   signatureValue BIT STRING }
//   TBSCertList      ::= SEQUENCE { version INTEGER (v2 = 1), signature AlgorithmIdentifier, issuer Name,
//                                   thisUpdate Time, nextUpdate Time,
//                                   revokedCertificates SEQUENCE OF SEQUENCE {
//                                     userCertificate INTEGER, revocationDate Time,
//                                     crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
//                                   crlExtensions [0] EXPLICIT Extensions }
//   Extension        ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
//
// The entries, which are nearly all of the bytes, are written forwards: a first pass checks
// each entry and adds up its size, a second writes it straight into the output buffer,
// which is allocated once with room for the largest signature. The few fixed parts are
// small: the crlExtensions block is built with der::BackWriter and copied in.
#include "responder/crl/builder.hpp"

#include <sys/mman.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string_view>

#include "common/der.hpp"
#include "common/time.hpp"

namespace trustmon::crl {
namespace {

// Extension OIDs (value octets), id-ce 2.5.29.x.
constexpr std::uint8_t kOidCrlNumber[] = {0x55, 0x1d, 0x14};
constexpr std::uint8_t kOidDeltaCrlIndicator[] = {0x55, 0x1d, 0x1b};
constexpr std::uint8_t kOidIssuingDistributionPoint[] = {0x55, 0x1d, 0x1c};
constexpr std::uint8_t kOidAuthorityKeyId[] = {0x55, 0x1d, 0x23};
constexpr std::uint8_t kOidFreshestCrl[] = {0x55, 0x1d, 0x2e};
constexpr std::uint8_t kOidExpiredCertsOnCrl[] = {0x55, 0x1d, 0x3c};

constexpr std::uint8_t kDerTrue[] = {der::kBoolean, 0x01, 0xff};
constexpr std::uint8_t kVersion2[] = {der::kInteger, 0x01, 0x01};

// The fixed octets of the two entry extensions up to their variable part:
//   SEQUENCE(10) { OID reasonCode, OCTET STRING(3) { ENUMERATED(1) <reason> } }
//   SEQUENCE(24) { OID invalidityDate, OCTET STRING(17) { GeneralizedTime(15) <text> } }
constexpr std::uint8_t kReasonExtHead[] = {der::kSequence, 0x0a, der::kOid, 0x03, 0x55, 0x1d, 0x15,
                                           der::kOctetString, 0x03, der::kEnumerated, 0x01};
constexpr std::uint8_t kInvalidityExtHead[] = {der::kSequence, 0x18, der::kOid, 0x03, 0x55, 0x1d, 0x18,
                                               der::kOctetString, 0x11};
constexpr std::size_t kReasonExtSize = sizeof kReasonExtHead + 1;        // 12
constexpr std::size_t kInvalidityExtSize = sizeof kInvalidityExtHead + 17;  // 26

// RFC 5280 §5.1.2.4: UTCTime through 2049, GeneralizedTime from 2050. UTCTime cannot say
// a year before 1950 and nothing we sign predates it, so earlier times are refused.
constexpr UnixTime kMinTime = -631152000;          // 1950-01-01T00:00:00Z
constexpr UnixTime kGeneralizedFrom = 2524608000;  // 2050-01-01T00:00:00Z
constexpr UnixTime kMaxTime = 253402300799;        // 9999-12-31T23:59:59Z

bool time_in_range(UnixTime t) noexcept { return t >= kMinTime && t <= kMaxTime; }
bool generalized(UnixTime t) noexcept { return t >= kGeneralizedFrom; }
std::size_t time_content_size(UnixTime t) noexcept { return generalized(t) ? 15 : 13; }

// Octets of a DER length field for `len`.
constexpr std::size_t length_size(std::size_t len) noexcept {
  if (len < 0x80) return 1;
  std::size_t n = 1;
  for (std::size_t v = len; v != 0; v >>= 8) ++n;
  return n;
}
constexpr std::size_t tlv_size(std::size_t len) noexcept { return 1 + length_size(len) + len; }

// INTEGER content size of a positive magnitude (a 0x00 keeps the top bit from reading as a sign).
std::size_t int_content_size(ByteView magnitude) noexcept {
  return magnitude.size() + ((magnitude[0] & 0x80) != 0 ? 1 : 0);
}

// A magnitude as the tree stores it (not empty, no leading zero octet, zero is {0}), or the
// same number as DER INTEGER content (one 0x00 before a top bit that is set). Both give
// the same DER; any other leading zero is a caller's mistake.
bool canonical_magnitude(ByteView m) noexcept {
  return !m.empty() && (m[0] != 0 || m.size() == 1 || (m[1] & 0x80) != 0);
}
// Octets of the number without the optional sign octet.
std::size_t magnitude_size(ByteView m) noexcept { return m.size() > 1 && m[0] == 0 ? m.size() - 1 : m.size(); }

bool valid_crl_number(const Bytes& n) noexcept {
  return canonical_magnitude(n) && int_content_size(n) <= kMaxCrlNumberBytes;
}

// An IA5String URI: printable ASCII without spaces, capped.
bool valid_url(std::string_view url) noexcept {
  if (url.empty() || url.size() > kMaxUrlBytes) return false;
  for (char c : url)
    if (c <= 0x20 || c >= 0x7f) return false;
  return true;
}

// CRLReason values (RFC 5280 §5.3.1); 7 is unused, removeFromCRL only in a delta CRL.
bool valid_reason(int r, bool delta) noexcept {
  if (r == storage::kNoReason) return true;
  if (r < 0 || r > 10 || r == 7) return false;
  return r != storage::kReasonRemoveFromCrl || delta;
}
// unspecified (0) is written as no reasonCode (§5.3.1: "SHOULD be absent instead").
bool writes_reason(int r) noexcept { return r > 0; }

// Forward writer over a buffer already sized for everything written.
class Out {
 public:
  explicit Out(std::uint8_t* p) noexcept : p_(p) {}
  std::uint8_t* pos() const noexcept { return p_; }

  void byte(std::uint8_t b) noexcept { *p_++ = b; }
  void bytes(const void* data, std::size_t n) noexcept {
    std::memcpy(p_, data, n);
    p_ += n;
  }
  void bytes(ByteView b) noexcept { bytes(b.data(), b.size()); }
  void header(std::uint8_t tag, std::size_t len) noexcept {
    *p_++ = tag;
    if (len < 0x80) {
      *p_++ = static_cast<std::uint8_t>(len);
      return;
    }
    const std::size_t n = length_size(len) - 1;
    *p_++ = static_cast<std::uint8_t>(0x80 | n);
    for (std::size_t i = n; i-- > 0;) *p_++ = static_cast<std::uint8_t>(len >> (8 * i));
  }
  void integer(ByteView magnitude) noexcept {
    header(der::kInteger, int_content_size(magnitude));
    if (magnitude[0] & 0x80) byte(0);
    bytes(magnitude);
  }

 private:
  std::uint8_t* p_;
};

// "00".."99": two digits without a division.
constexpr auto kDigitPairs = [] {
  std::array<char, 200> t{};
  for (unsigned i = 0; i < 100; ++i) {
    t[2 * i] = static_cast<char>('0' + i / 10);
    t[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return t;
}();

void put2(std::uint8_t* p, unsigned v) noexcept { std::memcpy(p, &kDigitPairs[2 * v], 2); }

// Time TLVs. The date digits of recent days are kept in a small direct-mapped table (one
// allocation per CRL): revocation dates cluster, so most entries skip the calendar
// arithmetic, which would otherwise be the largest cost per entry.
class TimeText {
 public:
  TimeText() : slots_(new Slot[kSlots]) {}

  // UTCTime or GeneralizedTime by the RFC 5280 rule; `t` is in range.
  void put(Out& o, UnixTime t) noexcept { put(o, t, generalized(t)); }
  void put_generalized(Out& o, UnixTime t) noexcept { put(o, t, true); }

 private:
  static constexpr std::size_t kSlots = 2048;  // a power of two
  struct Slot {
    std::int64_t day = std::numeric_limits<std::int64_t>::min();
    std::uint8_t ymd[8] = {};  // YYYYMMDD
  };

  const std::uint8_t* date(std::int64_t days) noexcept {
    Slot& s = slots_[static_cast<std::size_t>(days) & (kSlots - 1)];
    if (s.day != days) {
      const CivilDate c = civil_from_days(days);
      const auto y = static_cast<unsigned>(c.year);
      put2(s.ymd, y / 100);
      put2(s.ymd + 2, y % 100);
      put2(s.ymd + 4, c.month);
      put2(s.ymd + 6, c.day);
      s.day = days;
    }
    return s.ymd;
  }

  void put(Out& o, UnixTime t, bool gen) noexcept {
    std::int64_t days = t / 86400;
    std::int64_t secs = t % 86400;
    if (secs < 0) {
      secs += 86400;
      --days;
    }
    const std::uint8_t* ymd = date(days);
    std::uint8_t text[15];
    std::size_t n = 0;
    if (gen) {
      std::memcpy(text, ymd, 8);
      n = 8;
    } else {
      std::memcpy(text, ymd + 2, 6);
      n = 6;
    }
    const auto s = static_cast<unsigned>(secs);
    put2(text + n, s / 3600);
    put2(text + n + 2, s / 60 % 60);
    put2(text + n + 4, s % 60);
    text[n + 6] = 'Z';
    o.header(gen ? der::kGeneralizedTime : der::kUtcTime, n + 7);
    o.bytes(text, n + 7);
  }

  std::unique_ptr<Slot[]> slots_;
};

// A large CRL is a fresh buffer of tens of MB, written once from front to back. With 4 KiB
// pages its first touch is one page fault per 4 KiB, which costs more than writing the
// DER (a virtual machine makes faults dearer still); transparent huge pages, when the
// system allows them on request (madvise mode), cut that 512-fold. Only a hint: nothing
// changes if the kernel declines.
void prefer_huge_pages(std::uint8_t* data, std::size_t size) noexcept {
  constexpr std::size_t kHugePage = std::size_t{2} << 20;
  if (size < 2 * kHugePage) return;
  const auto begin = (reinterpret_cast<std::uintptr_t>(data) + kHugePage - 1) & ~(kHugePage - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(data) + size) & ~(kHugePage - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

// Sizes of one entry: its crlEntryExtensions content (0 = none) and its whole SEQUENCE content.
struct EntrySize {
  std::size_t extensions;
  std::size_t content;
};

EntrySize entry_size(const Entry& e) noexcept {
  const std::size_t ext = (writes_reason(e.reason) ? kReasonExtSize : 0) + (e.invalidity_date != 0 ? kInvalidityExtSize : 0);
  return EntrySize{ext, tlv_size(int_content_size(e.serial)) + 2 + time_content_size(e.time) +
                            (ext != 0 ? tlv_size(ext) : 0)};
}

void put_entry(Out& o, TimeText& times, const Entry& e) noexcept {
  const EntrySize size = entry_size(e);
  o.header(der::kSequence, size.content);
  o.integer(e.serial);
  times.put(o, e.time);
  if (size.extensions == 0) return;
  o.header(der::kSequence, size.extensions);
  if (writes_reason(e.reason)) {
    o.bytes(kReasonExtHead, sizeof kReasonExtHead);
    o.byte(static_cast<std::uint8_t>(e.reason));
  }
  if (e.invalidity_date != 0) {
    o.bytes(kInvalidityExtHead, sizeof kInvalidityExtHead);
    times.put_generalized(o, e.invalidity_date);
  }
}

// Why an entry is refused (the Error is made once, outside the loop).
enum class EntryFault : std::uint8_t { none, serial, time, reason };

EntryFault check_entry(const Entry& e, bool delta) noexcept {
  if (!canonical_magnitude(e.serial) || magnitude_size(e.serial) > kMaxSerialBytes) return EntryFault::serial;
  if (!time_in_range(e.time)) return EntryFault::time;
  if (e.invalidity_date != 0 && !time_in_range(e.invalidity_date)) return EntryFault::time;
  if (!valid_reason(e.reason, delta)) return EntryFault::reason;
  return EntryFault::none;
}

Error entry_error(EntryFault fault, std::size_t index, const Entry& e) {
  const std::string where = "entry " + std::to_string(index) + ": ";
  switch (fault) {
    case EntryFault::serial:
      return make_error(ErrorKind::invalid, "serial_invalid",
                        where + "serial must be 1.." + std::to_string(kMaxSerialBytes) +
                            " octets of magnitude without a needless leading zero octet");
    case EntryFault::time:
      return make_error(ErrorKind::invalid, "time_invalid", where + "revocation or invalidity date outside 1950..9999");
    case EntryFault::reason:
      return make_error(ErrorKind::invalid, "reason_invalid",
                        where + "reason " + std::to_string(e.reason) +
                            " is not a CRLReason (removeFromCRL only in a delta CRL)");
    case EntryFault::none:
      break;
  }
  return make_error(ErrorKind::internal, "internal_error", where + "unexpected entry check");
}

// --- crlExtensions, built backwards (small, once per CRL) ---

void back_integer(der::BackWriter& w, ByteView magnitude) {
  const std::size_t m = w.size();
  w.bytes(magnitude);
  if (magnitude[0] & 0x80) w.byte(0);
  w.wrap(der::kInteger, m);
}

// DistributionPointName fullName with one URI: [0] { [0] { [6] uri } } (the outer [0] is
// the explicit tag of a CHOICE, fullName and the URI are implicitly tagged).
void back_full_name_uri(der::BackWriter& w, std::string_view url) {
  const std::size_t m = w.size();
  w.tlv(der::context_primitive(6), as_bytes(url));
  w.wrap(der::context(0), m);
  w.wrap(der::context(0), m);
}

// Wraps the value written since `m` as an Extension.
void back_extension(der::BackWriter& w, std::size_t m, ByteView oid, bool critical) {
  w.wrap(der::kOctetString, m);
  if (critical) w.bytes(kDerTrue);
  w.tlv(der::kOid, oid);
  w.wrap(der::kSequence, m);
}

Bytes crl_extensions(const CrlParams& p) {
  der::BackWriter w(256 + p.authority_key_id.size() + p.freshest_crl_url.size() + p.distribution_point_url.size());
  // Written last to first.
  if (p.expired_certs_on_crl) {
    const std::size_t m = w.size();
    (void)der::put_generalized_time(w, *p.expired_certs_on_crl);  // in range: checked before
    back_extension(w, m, kOidExpiredCertsOnCrl, false);
  }
  if (!p.freshest_crl_url.empty()) {
    // FreshestCRL ::= SEQUENCE OF DistributionPoint { distributionPoint [0] DistributionPointName }
    const std::size_t m = w.size();
    back_full_name_uri(w, p.freshest_crl_url);
    w.wrap(der::kSequence, m);
    w.wrap(der::kSequence, m);
    back_extension(w, m, kOidFreshestCrl, false);
  }
  if (!p.distribution_point_url.empty() || p.only_user_certs) {
    // IssuingDistributionPoint ::= SEQUENCE { distributionPoint [0] OPTIONAL,
    //                                         onlyContainsUserCerts [1] IMPLICIT BOOLEAN DEFAULT FALSE, ... }
    const std::size_t m = w.size();
    if (p.only_user_certs) {
      constexpr std::uint8_t kTrue = 0xff;
      w.tlv(der::context_primitive(1), ByteView(&kTrue, 1));
    }
    if (!p.distribution_point_url.empty()) back_full_name_uri(w, p.distribution_point_url);
    w.wrap(der::kSequence, m);
    back_extension(w, m, kOidIssuingDistributionPoint, true);
  }
  if (p.delta_base) {
    const std::size_t m = w.size();
    back_integer(w, *p.delta_base);
    back_extension(w, m, kOidDeltaCrlIndicator, true);
  }
  {
    const std::size_t m = w.size();
    back_integer(w, p.number);
    back_extension(w, m, kOidCrlNumber, false);
  }
  if (!p.authority_key_id.empty()) {
    // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING }
    const std::size_t m = w.size();
    w.tlv(der::context_primitive(0), p.authority_key_id);
    w.wrap(der::kSequence, m);
    back_extension(w, m, kOidAuthorityKeyId, false);
  }
  w.wrap(der::kSequence, 0);
  w.wrap(der::context(0), 0);
  return w.take();
}

Result<void> check_params(const CrlParams& p) {
  der::Tlv name;
  if (p.issuer_name.size() > kMaxIssuerNameBytes || !der::single(p.issuer_name, der::kSequence, name))
    return make_error(ErrorKind::invalid, "crl_params_invalid", "issuer name is not one DER SEQUENCE (or over its cap)");
  if (p.authority_key_id.size() > kMaxKeyIdBytes)
    return make_error(ErrorKind::invalid, "crl_params_invalid",
                      "authority key identifier over " + std::to_string(kMaxKeyIdBytes) + " octets");
  if (!p.freshest_crl_url.empty() && !valid_url(p.freshest_crl_url))
    return make_error(ErrorKind::invalid, "crl_params_invalid", "freshest CRL URL is not printable ASCII or is too long");
  if (!p.distribution_point_url.empty() && !valid_url(p.distribution_point_url))
    return make_error(ErrorKind::invalid, "crl_params_invalid", "distribution point URL is not printable ASCII or is too long");
  if (p.delta_base && !p.freshest_crl_url.empty())
    return make_error(ErrorKind::invalid, "crl_params_invalid", "a delta CRL carries no Freshest CRL extension");
  if (!valid_crl_number(p.number))
    return make_error(ErrorKind::invalid, "crl_number_invalid",
                      "CRL number must be a canonical magnitude of at most 20 DER octets");
  if (p.delta_base && !valid_crl_number(*p.delta_base))
    return make_error(ErrorKind::invalid, "crl_number_invalid",
                      "base CRL number must be a canonical magnitude of at most 20 DER octets");
  if (p.this_update == 0 || !time_in_range(p.this_update) || !time_in_range(p.next_update))
    return make_error(ErrorKind::invalid, "time_invalid", "thisUpdate and nextUpdate must be set, within 1950..9999");
  if (p.next_update <= p.this_update)
    return make_error(ErrorKind::invalid, "time_invalid", "nextUpdate must be after thisUpdate");
  if (p.expired_certs_on_crl && !time_in_range(*p.expired_certs_on_crl))
    return make_error(ErrorKind::invalid, "time_invalid", "expiredCertsOnCRL outside 1950..9999");
  return {};
}

}  // namespace

Result<Bytes> build_crl(const CrlParams& params, std::span<const Entry> entries, const ocsp::SigningKey& key) {
  if (auto ok = check_params(params); !ok) return std::move(ok).error();
  const bool delta = params.delta_base.has_value();

  // Pass 1: check every entry and add up the revokedCertificates content.
  std::size_t entries_size = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (const EntryFault f = check_entry(e, delta); f != EntryFault::none) return entry_error(f, i, e);
    entries_size += tlv_size(entry_size(e).content);
    if (entries_size > kMaxCrlBytes)
      return make_error(ErrorKind::too_large, "crl_too_large", "CRL over " + std::to_string(kMaxCrlBytes) + " octets");
  }

  const Bytes extensions = crl_extensions(params);
  const ByteView alg = key.algorithm_der();
  const std::size_t head_size = sizeof kVersion2 + alg.size() + params.issuer_name.size() +
                                2 + time_content_size(params.this_update) + 2 + time_content_size(params.next_update);
  const std::size_t revoked_size = entries.empty() ? 0 : tlv_size(entries_size);
  const std::size_t tbs_content = head_size + revoked_size + extensions.size();
  const std::size_t tbs_size = tlv_size(tbs_content);
  const std::size_t max_sig = key.max_signature_size();
  const std::size_t outer_max = tbs_size + alg.size() + tlv_size(1 + max_sig);
  if (outer_max > kMaxCrlBytes)
    return make_error(ErrorKind::too_large, "crl_too_large", "CRL over " + std::to_string(kMaxCrlBytes) + " octets");
  const std::size_t header_max = tlv_size(outer_max) - outer_max;

  // One buffer for the whole CRL; the tbsCertList goes after room for the largest outer header.
  Bytes out;
  out.reserve(header_max + outer_max);
  prefer_huge_pages(out.data(), out.capacity());
  out.resize(header_max + outer_max);
  std::uint8_t* const tbs_begin = out.data() + header_max;
  Out o(tbs_begin);
  o.header(der::kSequence, tbs_content);
  o.bytes(kVersion2, sizeof kVersion2);
  o.bytes(alg);
  o.bytes(params.issuer_name);
  TimeText times;
  times.put(o, params.this_update);
  times.put(o, params.next_update);
  // Pass 2: the entries, in the caller's order.
  if (!entries.empty()) {
    o.header(der::kSequence, entries_size);
    for (const Entry& e : entries) put_entry(o, times, e);
  }
  o.bytes(extensions);
  if (o.pos() != tbs_begin + tbs_size)
    return make_error(ErrorKind::internal, "internal_error", "CRL size computation does not match what was written");

  Bytes sig(max_sig);
  auto sig_len = key.sign(ByteView(tbs_begin, tbs_size), sig.data());
  if (!sig_len) return make_error(ErrorKind::internal, "crl_sign_failed", sig_len.error().message);

  // The outer header for the real signature length; if it is shorter than the one room was
  // kept for (an ECDSA signature shorter than its maximum across a length boundary), the
  // tbsCertList moves down to close the gap.
  const std::size_t outer = tbs_size + alg.size() + tlv_size(1 + *sig_len);
  const std::size_t header = tlv_size(outer) - outer;
  if (header != header_max) std::memmove(out.data() + header, tbs_begin, tbs_size);
  Out h(out.data());
  h.header(der::kSequence, outer);
  Out tail(out.data() + header + tbs_size);
  tail.bytes(alg);
  tail.header(der::kBitString, 1 + *sig_len);
  tail.byte(0);  // no unused bits
  tail.bytes(sig.data(), *sig_len);
  out.resize(header + outer);
  return out;
}

}  // namespace trustmon::crl
