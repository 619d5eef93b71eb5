// Strict DER framing for CertificationRequest (see csr_der.hpp).
#include "responder/pki/csr_der.hpp"

#include "common/der.hpp"

namespace trustmon::pki {
namespace {

using der::Reader;
using der::Tlv;

constexpr std::uint8_t kAttributes = der::context(0);  // [0] IMPLICIT SET OF, constructed

// AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }.
bool algorithm_identifier(const Tlv& seq, ByteView& oid, ByteView& parameters) noexcept {
  Reader r(seq.content);
  Tlv t;
  if (!r.expect(der::kOid, t) || der::oid_text(t.content).empty()) return false;
  oid = t.content;
  parameters = {};
  // The parameters are one element of any type (DSTU curves, RSA-PSS params, NULL).
  if (r.empty()) return true;
  Tlv any;
  if (!r.next(any) || !r.empty()) return false;
  parameters = any.whole;
  return true;
}

}  // namespace

bool split_certification_request(ByteView der, CsrParts& out) noexcept {
  Tlv request;
  if (!der::single(der, der::kSequence, request)) return false;

  Reader body(request.content);
  Tlv info, sig_alg, signature;
  if (!body.expect(der::kSequence, info) || !body.expect(der::kSequence, sig_alg) ||
      !body.expect(der::kBitString, signature) || !body.empty())
    return false;

  Reader fields(info.content);
  Tlv version, subject, spki, attributes;
  if (!fields.expect(der::kInteger, version) || !fields.expect(der::kSequence, subject) ||
      !fields.expect(der::kSequence, spki) || !fields.expect(kAttributes, attributes) || !fields.empty())
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
  Tlv spki;
  if (!der::single(der, der::kSequence, spki)) return false;
  Reader key(spki.content);
  Tlv key_alg, key_bits;
  if (!key.expect(der::kSequence, key_alg) || !key.expect(der::kBitString, key_bits) || !key.empty())
    return false;
  if (key_bits.content.empty() || key_bits.content[0] != 0) return false;  // whole octets only
  out.key = key_bits.content;
  return algorithm_identifier(key_alg, out.algorithm, out.parameters);
}

}  // namespace trustmon::pki
