// OCSPRequest parsing (see request.hpp for the policy).
//
//   OCSPRequest ::= SEQUENCE { tbsRequest TBSRequest, optionalSignature [0] EXPLICIT Signature OPTIONAL }
//   TBSRequest  ::= SEQUENCE { version [0] EXPLICIT INTEGER DEFAULT v1,
//                              requestorName [1] EXPLICIT GeneralName OPTIONAL,
//                              requestList SEQUENCE OF Request,
//                              requestExtensions [2] EXPLICIT Extensions OPTIONAL }
//   Request     ::= SEQUENCE { reqCert CertID, singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL }
//   CertID      ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, issuerNameHash OCTET STRING,
//                              issuerKeyHash OCTET STRING, serialNumber INTEGER }
#include "responder/ocsp/request.hpp"

#include <algorithm>

#include "common/der.hpp"

namespace trustmon::ocsp {

void CertIdList::push_back(const CertIdRef& c) {
  if (n_ < kInline) {
    inline_[n_++] = c;
    return;
  }
  if (n_ == kInline) spill_.assign(inline_.begin(), inline_.end());
  spill_.push_back(c);
  ++n_;
}

namespace {

using der::Reader;
using der::Tlv;

// AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }; for
// hashes the parameters are absent or NULL (RFC 5754 allows both).
const char* parse_hash_alg(ByteView content, HashAlg& out) noexcept {
  Reader r(content);
  ByteView oid;
  if (!r.expect(der::kOid, oid) || oid.empty()) return "bad_hash_algorithm";
  if (!r.empty()) {
    Tlv params;
    if (!r.expect(der::kNull, params) || !params.content.empty() || !r.empty()) return "bad_hash_algorithm";
  }
  out = hash_from_oid(oid);
  return nullptr;
}

const char* parse_certid(const Tlv& seq, CertIdRef& out) noexcept {
  Reader r(seq.content);
  ByteView alg_seq, serial;
  if (!r.expect(der::kSequence, alg_seq)) return "bad_certid";
  if (const char* why = parse_hash_alg(alg_seq, out.alg)) return why;
  if (!r.expect(der::kOctetString, out.name_hash) || !r.expect(der::kOctetString, out.key_hash) ||
      !r.expect(der::kInteger, serial) || !r.empty())
    return "bad_certid";
  if (out.alg != HashAlg::unsupported) {
    const std::size_t len = hash_length(out.alg);
    if (out.name_hash.size() != len || out.key_hash.size() != len) return "hash_length_mismatch";
  }
  // INTEGER: non-empty, non-negative, minimal (a leading 0x00 only before a high bit).
  if (serial.empty()) return "bad_serial";
  if (serial[0] & 0x80) return "negative_serial";
  if (serial.size() > 1 && serial[0] == 0) {
    if (!(serial[1] & 0x80)) return "bad_serial";
    serial = serial.subspan(1);
  }
  if (serial.size() > kMaxSerialBytes) return "serial_too_long";
  out.serial = serial;
  out.der = seq.whole;
  return nullptr;
}

// Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
const char* parse_extensions(ByteView content, ParsedRequest* req) noexcept {
  Reader exts(content);
  if (exts.empty()) return "empty_extensions";  // SIZE (1..MAX)
  while (!exts.empty()) {
    ByteView ext;
    if (!exts.expect(der::kSequence, ext)) return "bad_extension";
    Reader r(ext);
    ByteView oid, value;
    Tlv critical;
    bool has_critical = false;
    if (!r.expect(der::kOid, oid) || !r.optional(der::kBoolean, critical, has_critical) ||
        (has_critical && critical.content.size() != 1) || !r.expect(der::kOctetString, value) || !r.empty())
      return "bad_extension";
    if (req == nullptr || !std::ranges::equal(oid, der::oid::kOcspNonce)) continue;  // others: ignored
    if (req->has_nonce_ext) return "duplicate_nonce";
    req->has_nonce_ext = true;
    req->nonce_extn_value = value;
    // RFC 8954: extnValue holds an OCTET STRING. Some clients put the raw nonce there;
    // take the whole extnValue as the nonce when it is not exactly one OCTET STRING.
    Tlv inner;
    ByteView nonce = der::single(value, der::kOctetString, inner) ? inner.content : value;
    if (nonce.empty() || nonce.size() > kMaxNonceBytes) return "bad_nonce_length";
    req->nonce = nonce;
  }
  return nullptr;
}

const char* parse_tbs(ByteView content, std::size_t max_certids, ParsedRequest& out) noexcept {
  Reader r(content);
  Tlv t;
  bool present = false;
  // version: DEFAULT v1, so DER omits it; tolerate an explicit v1, refuse anything else.
  if (!r.optional(der::context(0), t, present)) return "bad_der";
  if (present) {
    Tlv v;
    if (!der::single(t.content, der::kInteger, v) || v.content.size() != 1 || v.content[0] != 0)
      return "bad_version";
  }
  // requestorName: one GeneralName, ignored.
  if (!r.optional(der::context(1), t, present)) return "bad_der";
  if (present) {
    Reader g(t.content);
    Tlv name;
    if (!g.next(name) || !g.empty()) return "bad_requestor_name";
  }
  ByteView list;
  if (!r.expect(der::kSequence, list)) return "bad_request_list";
  Reader items(list);
  if (items.empty()) return "empty_request_list";
  while (!items.empty()) {
    ByteView request;
    if (!items.expect(der::kSequence, request)) return "bad_request";
    Reader rq(request);
    Tlv certid;
    if (!rq.expect(der::kSequence, certid)) return "bad_request";
    if (out.certids.size() >= max_certids) return "too_many_certids";
    CertIdRef ref;
    if (const char* why = parse_certid(certid, ref)) return why;
    if (!rq.optional(der::context(0), t, present)) return "bad_request";
    if (present) {
      Tlv exts;
      if (!der::single(t.content, der::kSequence, exts)) return "bad_extension";
      if (const char* why = parse_extensions(exts.content, nullptr)) return why;
    }
    if (!rq.empty()) return "bad_request";
    out.certids.push_back(ref);
  }
  if (!r.optional(der::context(2), t, present)) return "bad_der";
  if (present) {
    Tlv exts;
    if (!der::single(t.content, der::kSequence, exts)) return "bad_extension";
    if (const char* why = parse_extensions(exts.content, &out)) return why;
  }
  if (!r.empty()) return "bad_der";
  return nullptr;
}

}  // namespace

const char* parse_request(ByteView input, std::size_t max_certids, ParsedRequest& out) noexcept {
  out.certids.clear();
  out.nonce.reset();
  out.nonce_extn_value = {};
  out.has_nonce_ext = false;
  out.signed_request = false;
  try {
    Tlv outer;
    if (!der::single(input, der::kSequence, outer)) return "bad_der";
    Reader r(outer.content);
    ByteView tbs;
    if (!r.expect(der::kSequence, tbs)) return "bad_der";
    Tlv sig;
    bool present = false;
    if (!r.optional(der::context(0), sig, present) || !r.empty()) return "bad_der";
    if (present) {
      // Signature ::= SEQUENCE { signatureAlgorithm, signature BIT STRING, certs [0] OPTIONAL }:
      // we only require one well-formed SEQUENCE; the signature is not checked.
      Tlv s;
      if (!der::single(sig.content, der::kSequence, s)) return "bad_signature";
      out.signed_request = true;
    }
    return parse_tbs(tbs, max_certids, out);
  } catch (...) {
    // Only the CertID spill vector can throw (bad_alloc).
    return "out_of_memory";
  }
}

Result<ParsedRequest> parse_request(ByteView der, std::size_t max_certids) {
  ParsedRequest out;
  if (const char* why = parse_request(der, max_certids, out)) return make_error(ErrorKind::invalid, "malformed_request", why);
  return out;
}

}  // namespace trustmon::ocsp
