// The one DER toolbox of the project (OCSP requests and responses, PKCS#10 requests,
// the certificate walk of the registry): a strict reader (definite, minimal lengths only;
// single-byte tags only; never reads past its input, never allocates), a writer that
// builds backwards, so every length is known when its header is written and nothing is
// moved, OBJECT IDENTIFIER checks and text, and the GeneralizedTime form OCSP uses.
//
// Policy: DER, not BER and not a general ASN.1 library. Anything the reader does not
// accept (indefinite or non-minimal lengths, high tag numbers, truncation) is malformed
// input; callers turn `false` into their own error. Contents are the callers' business.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/bytes.hpp"
#include "common/clock.hpp"

namespace trustmon::der {

inline constexpr std::uint8_t kBoolean = 0x01;
inline constexpr std::uint8_t kInteger = 0x02;
inline constexpr std::uint8_t kBitString = 0x03;
inline constexpr std::uint8_t kOctetString = 0x04;
inline constexpr std::uint8_t kNull = 0x05;
inline constexpr std::uint8_t kOid = 0x06;
inline constexpr std::uint8_t kEnumerated = 0x0a;
inline constexpr std::uint8_t kUtcTime = 0x17;
inline constexpr std::uint8_t kGeneralizedTime = 0x18;
inline constexpr std::uint8_t kSequence = 0x30;
inline constexpr std::uint8_t kSet = 0x31;

// [n] constructed (EXPLICIT tagging and IMPLICIT constructed types) and [n] primitive.
constexpr std::uint8_t context(unsigned n) { return static_cast<std::uint8_t>(0xa0 | n); }
constexpr std::uint8_t context_primitive(unsigned n) { return static_cast<std::uint8_t>(0x80 | n); }

struct Tlv {
  std::uint8_t tag = 0;
  ByteView content;  // the value octets
  ByteView whole;    // tag, length and value
};

// Reads consecutive TLVs from a buffer. Every method returns false (and leaves the
// reader unchanged) on malformed input.
class Reader {
 public:
  explicit Reader(ByteView in) noexcept : p_(in.data()), end_(in.data() + in.size()) {}

  bool empty() const noexcept { return p_ == end_; }
  std::size_t remaining() const noexcept { return static_cast<std::size_t>(end_ - p_); }
  // The octets not read yet.
  ByteView rest() const noexcept { return ByteView(p_, remaining()); }
  // The next tag, or 0 when empty (0 is never a valid DER tag for us).
  std::uint8_t peek() const noexcept { return p_ == end_ ? 0 : *p_; }

  bool next(Tlv& out) noexcept;
  // Next TLV must carry `tag`.
  bool expect(std::uint8_t tag, Tlv& out) noexcept;
  bool expect(std::uint8_t tag, ByteView& content) noexcept;
  // If the next tag is `tag`, reads it and sets present; otherwise leaves it.
  bool optional(std::uint8_t tag, Tlv& out, bool& present) noexcept;

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

// Inline: the request parser and the pre-signed path call these a few dozen times per request.
inline bool Reader::next(Tlv& out) noexcept {
  const std::uint8_t* p = p_;
  if (end_ - p < 2) return false;
  const std::uint8_t tag = *p++;
  // High-tag-number form never occurs in OCSP; refusing it keeps tags one byte.
  if ((tag & 0x1f) == 0x1f) return false;
  std::size_t len = *p++;
  if (len & 0x80) {
    const std::size_t n = len & 0x7f;
    // 0x80 is the indefinite form (BER only); more than 4 length octets cannot fit our inputs.
    if (n == 0 || n > 4) return false;
    if (static_cast<std::size_t>(end_ - p) < n) return false;
    if (p[0] == 0) return false;  // non-minimal: leading zero octet
    len = 0;
    for (std::size_t i = 0; i < n; ++i) len = (len << 8) | p[i];
    p += n;
    if (len < 0x80) return false;  // non-minimal: should have used the short form
  }
  if (static_cast<std::size_t>(end_ - p) < len) return false;
  out.tag = tag;
  out.content = ByteView(p, len);
  out.whole = ByteView(p_, static_cast<std::size_t>(p + len - p_));
  p_ = p + len;
  return true;
}

inline bool Reader::expect(std::uint8_t tag, Tlv& out) noexcept {
  if (peek() != tag) return false;
  return next(out);
}

inline bool Reader::expect(std::uint8_t tag, ByteView& content) noexcept {
  Tlv t;
  if (!expect(tag, t)) return false;
  content = t.content;
  return true;
}

inline bool Reader::optional(std::uint8_t tag, Tlv& out, bool& present) noexcept {
  present = false;
  if (peek() != tag) return true;
  if (!next(out)) return false;
  present = true;
  return true;
}

// True iff `in` is exactly one TLV with tag `tag` (nothing after it).
inline bool single(ByteView in, std::uint8_t tag, Tlv& out) noexcept {
  Reader r(in);
  return r.expect(tag, out) && r.empty();
}

// Builds DER from the end toward the front. Write children in reverse order, then wrap:
//   auto m = w.size(); w.bytes(b); w.bytes(a); w.wrap(kSequence, m);  // SEQUENCE { a, b }
class BackWriter {
 public:
  explicit BackWriter(std::size_t capacity = 1024) : buf_(capacity), pos_(capacity) {}

  std::size_t size() const noexcept { return buf_.size() - pos_; }
  ByteView view() const noexcept { return ByteView(buf_.data() + pos_, size()); }
  Bytes take() const { return Bytes(buf_.begin() + static_cast<std::ptrdiff_t>(pos_), buf_.end()); }
  void clear() noexcept { pos_ = buf_.size(); }

  void byte(std::uint8_t b);
  void bytes(ByteView b);
  // Prepends a tag and the DER length of `content_len`.
  void header(std::uint8_t tag, std::size_t content_len);
  // Wraps everything written since size() was `mark` in a TLV with `tag`.
  void wrap(std::uint8_t tag, std::size_t mark) { header(tag, size() - mark); }
  // Prepends a complete primitive TLV.
  void tlv(std::uint8_t tag, ByteView content) {
    bytes(content);
    header(tag, content.size());
  }

 private:
  void room(std::size_t n);
  Bytes buf_;
  std::size_t pos_;
};

// Bytes of a TLV with `content_len` value octets.
std::size_t tlv_size(std::size_t content_len) noexcept;

// GeneralizedTime "YYYYMMDDHHMMSSZ" (15 chars). Years 0000..9999 only; false otherwise.
bool format_generalized_time(UnixTime t, char out[15]) noexcept;
bool put_generalized_time(BackWriter& w, UnixTime t);
// Parses the strict DER form above (no fractions, 'Z' required).
bool parse_generalized_time(ByteView content, UnixTime& out) noexcept;

// Whether `content` (an OBJECT IDENTIFIER's value octets) is a valid encoding as
// OpenSSL's c2i_ASN1_OBJECT judges it: not empty, no 0x80 octet starting a sub-identifier
// (non-minimal), the last octet ends a sub-identifier.
bool valid_oid(ByteView content) noexcept;
// Dotted text of an OID's value octets ("1.2.804.2.1.1.1.1.3.1.1"); empty when the
// encoding is not valid_oid or a sub-identifier does not fit 64 bits.
std::string oid_text(ByteView content);

// OID value octets (without tag and length).
namespace oid {
inline constexpr std::uint8_t kSha1[] = {0x2b, 0x0e, 0x03, 0x02, 0x1a};
inline constexpr std::uint8_t kSha256[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
inline constexpr std::uint8_t kSha384[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02};
inline constexpr std::uint8_t kSha512[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03};
// id-pkix-ocsp 1.3.6.1.5.5.7.48.1 .1 basic, .2 nonce, .6 archive-cutoff, .9 extended-revoke
inline constexpr std::uint8_t kOcspBasic[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01};
inline constexpr std::uint8_t kOcspNonce[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02};
inline constexpr std::uint8_t kOcspArchiveCutoff[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x06};
inline constexpr std::uint8_t kOcspExtendedRevoke[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x09};
// id-ce-invalidityDate 2.5.29.24
inline constexpr std::uint8_t kInvalidityDate[] = {0x55, 0x1d, 0x18};
}  // namespace oid

}  // namespace trustmon::der
