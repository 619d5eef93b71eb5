// OCSPRequest parser (RFC 6960 §4.1.1, RFC 5019 §2.1, nonce per RFC 8954).
//
// Policy: strict DER, hand-written, no copies: every field is a view into the input
// buffer, which must outlive the ParsedRequest. Up to CertIdList::kInline CertIDs the
// parse allocates nothing. Anything we refuse is `malformedRequest`:
//  * bad DER: indefinite or non-minimal lengths, lengths overrunning their parent,
//    unexpected tags, trailing bytes after the outer SEQUENCE or inside any structure;
//  * an empty requestList, or more CertIDs than `max_certids` (a cap, not a protocol
//    rule: answering malformedRequest is the only status that fits, and it tells the
//    client to split its request);
//  * a CertID whose hash lengths do not match its (supported) algorithm; a serial that
//    is empty, negative, not minimally encoded, or longer than 32 octets;
//  * a nonce of 0 or more than 32 octets, or two nonce extensions.
// An unknown hash OID is not malformed: it parses as HashAlg::unsupported (the
// responder answers unauthorized). optionalSignature and requestorName are checked for
// well-formedness and ignored (we do not require signed requests); extensions other
// than the nonce are ignored, critical or not.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "responder/ocsp/hash_alg.hpp"

namespace trustmon::ocsp {

inline constexpr std::size_t kMaxNonceBytes = 32;   // RFC 8954 §2.1
inline constexpr std::size_t kMaxSerialBytes = 32;  // same as storage::kMaxSerialBytes
inline constexpr std::size_t kDefaultMaxCertIds = 16;

struct CertIdRef {
  HashAlg alg = HashAlg::unsupported;
  ByteView name_hash;  // issuerNameHash octets
  ByteView key_hash;   // issuerKeyHash octets
  ByteView serial;     // big-endian magnitude, the 0x00 sign octet stripped (zero is {0x00})
  ByteView der;        // the whole CertID TLV, reused verbatim in the response
};

// CertIDs of one request: inline storage for the common small case, a vector beyond.
class CertIdList {
 public:
  static constexpr std::size_t kInline = 4;

  std::size_t size() const noexcept { return n_; }
  bool empty() const noexcept { return n_ == 0; }
  std::span<const CertIdRef> view() const noexcept {
    return n_ <= kInline ? std::span<const CertIdRef>(inline_.data(), n_) : std::span<const CertIdRef>(spill_);
  }
  const CertIdRef& operator[](std::size_t i) const noexcept { return view()[i]; }
  auto begin() const noexcept { return view().begin(); }
  auto end() const noexcept { return view().end(); }

  void push_back(const CertIdRef& c);
  void clear() noexcept {
    n_ = 0;
    spill_.clear();
  }

 private:
  std::array<CertIdRef, kInline> inline_{};
  std::vector<CertIdRef> spill_;
  std::size_t n_ = 0;
};

struct ParsedRequest {
  CertIdList certids;
  // The nonce octets (RFC 8954: the OCTET STRING inside extnValue; for lenient clients
  // that put raw bytes in extnValue, those bytes).
  std::optional<ByteView> nonce;
  // The extnValue contents exactly as received, echoed verbatim in the response
  // (OpenSSL's OCSP_check_nonce compares these bytes).
  ByteView nonce_extn_value;
  bool has_nonce_ext = false;
  bool signed_request = false;  // optionalSignature present (ignored)
};

// Hot-path form: fills `out` (cleared first) and returns nullptr, or returns a static
// snake_case reason ("bad_der", "empty_request_list", "too_many_certids", ...).
const char* parse_request(ByteView der, std::size_t max_certids, ParsedRequest& out) noexcept;

// Convenience form: Error{"malformed_request", reason}.
Result<ParsedRequest> parse_request(ByteView der, std::size_t max_certids = kDefaultMaxCertIds);

}  // namespace trustmon::ocsp
