// Strict DER framing for CertificationRequest (see csr_der.hpp).
#include "responder/csr/csr_der.hpp"

#include <cstddef>

namespace trustmon::csr {
namespace {

constexpr std::uint8_t kInteger = 0x02;
constexpr std::uint8_t kBitString = 0x03;
constexpr std::uint8_t kOid = 0x06;
constexpr std::uint8_t kSequence = 0x30;
constexpr std::uint8_t kAttributes = 0xa0;  // [0] IMPLICIT SET OF, constructed

struct Tlv {
  std::uint8_t tag = 0;
  ByteView content;
  ByteView whole;
};

// Consecutive TLVs of one buffer; a failed read leaves the position unchanged.
class Walker {
 public:
  explicit Walker(ByteView in) noexcept : in_(in) {}
  bool empty() const noexcept { return pos_ == in_.size(); }

  bool next(std::uint8_t tag, Tlv& out) noexcept {
    std::size_t p = pos_;
    if (in_.size() - p < 2) return false;
    if (in_[p] != tag) return false;
    ++p;
    std::size_t len = in_[p++];
    if (len & 0x80) {
      const std::size_t n = len & 0x7f;
      // 0x80 is BER's indefinite form; four length octets already exceed any CSR we accept.
      if (n == 0 || n > 4 || in_.size() - p < n || in_[p] == 0) return false;
      len = 0;
      for (std::size_t i = 0; i < n; ++i) len = (len << 8) | in_[p + i];
      p += n;
      if (len < 0x80) return false;  // the short form was required
    }
    if (in_.size() - p < len) return false;
    out.tag = tag;
    out.content = in_.subspan(p, len);
    out.whole = in_.subspan(pos_, p + len - pos_);
    pos_ = p + len;
    return true;
  }

 private:
  ByteView in_;
  std::size_t pos_ = 0;
};

// AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }.
bool algorithm_identifier(const Tlv& seq, ByteView& oid, ByteView& parameters) noexcept {
  Walker w(seq.content);
  Tlv t;
  if (!w.next(kOid, t) || oid_text(t.content).empty()) return false;
  oid = t.content;
  parameters = {};
  // The parameters are one element of any type (DSTU curves, RSA-PSS params, NULL).
  if (w.empty()) return true;
  ByteView rest = seq.content.subspan(t.whole.size());
  Walker p(rest);
  Tlv any;
  // Accept any single-byte tag: peek at the tag and read it as itself.
  if ((rest[0] & 0x1f) == 0x1f || !p.next(rest[0], any) || !p.empty()) return false;
  parameters = any.whole;
  return true;
}

}  // namespace

bool split_certification_request(ByteView der, CsrParts& out) noexcept {
  Walker top(der);
  Tlv request;
  if (!top.next(kSequence, request) || !top.empty()) return false;

  Walker body(request.content);
  Tlv info, sig_alg, signature;
  if (!body.next(kSequence, info) || !body.next(kSequence, sig_alg) || !body.next(kBitString, signature) ||
      !body.empty())
    return false;

  Walker fields(info.content);
  Tlv version, subject, spki, attributes;
  if (!fields.next(kInteger, version) || !fields.next(kSequence, subject) || !fields.next(kSequence, spki) ||
      !fields.next(kAttributes, attributes) || !fields.empty())
    return false;
  // version v1(0), encoded minimally.
  if (version.content.size() != 1 || version.content[0] != 0) return false;

  SpkiParts key;
  if (!split_subject_public_key_info(spki.whole, key)) return false;
  out.key_algorithm = key.algorithm;

  ByteView sig_params;
  if (!algorithm_identifier(sig_alg, out.signature_algorithm, sig_params)) return false;
  if (signature.content.empty() || signature.content[0] != 0) return false;

  out.info = info.whole;
  out.subject = subject.whole;
  out.spki = spki.whole;
  out.signature = signature.content.subspan(1);
  return true;
}

bool split_subject_public_key_info(ByteView der, SpkiParts& out) noexcept {
  Walker top(der);
  Tlv spki;
  if (!top.next(kSequence, spki) || !top.empty()) return false;
  Walker key(spki.content);
  Tlv key_alg, key_bits;
  if (!key.next(kSequence, key_alg) || !key.next(kBitString, key_bits) || !key.empty()) return false;
  if (key_bits.content.empty() || key_bits.content[0] != 0) return false;  // whole octets only
  out.key = key_bits.content;
  return algorithm_identifier(key_alg, out.algorithm, out.parameters);
}

std::string oid_text(ByteView oid) {
  if (oid.empty() || (oid.back() & 0x80) != 0) return {};
  std::string text;
  std::uint64_t value = 0;
  bool first = true;
  bool at_start = true;  // at the first octet of a sub-identifier
  for (std::uint8_t b : oid) {
    if (at_start && b == 0x80) return {};  // non-minimal sub-identifier
    if (value > (UINT64_MAX >> 7)) return {};
    value = (value << 7) | (b & 0x7f);
    at_start = (b & 0x80) == 0;
    if (!at_start) continue;
    if (first) {
      const std::uint64_t arc = value < 40 ? 0 : value < 80 ? 1 : 2;
      text = std::to_string(arc) + "." + std::to_string(value - arc * 40);
      first = false;
    } else {
      text += "." + std::to_string(value);
    }
    value = 0;
  }
  return text;
}

}  // namespace trustmon::csr
