// OCSPResponse construction and signing (see signer.hpp for the policy).
//
//   OCSPResponse      ::= SEQUENCE { responseStatus ENUMERATED, responseBytes [0] EXPLICIT ResponseBytes }
//   ResponseBytes     ::= SEQUENCE { responseType OID (id-pkix-ocsp-basic), response OCTET STRING }
//   BasicOCSPResponse ::= SEQUENCE { tbsResponseData ResponseData, signatureAlgorithm AlgorithmIdentifier,
//                                    signature BIT STRING, certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
//   ResponseData      ::= SEQUENCE { responderID ResponderID, producedAt GeneralizedTime,
//                                    responses SEQUENCE OF SingleResponse,
//                                    responseExtensions [1] EXPLICIT Extensions OPTIONAL }
//   SingleResponse    ::= SEQUENCE { certID CertID, certStatus CertStatus, thisUpdate GeneralizedTime,
//                                    nextUpdate [0] EXPLICIT GeneralizedTime OPTIONAL,
//                                    singleExtensions [1] EXPLICIT Extensions OPTIONAL }
//   CertStatus        ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo,
//                                  unknown [2] IMPLICIT NULL }
//   RevokedInfo       ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
//
// The writer builds backwards, so each group below is written last field first.
#include "responder/ocsp/signer.hpp"

#include "common/der.hpp"

namespace trustmon::ocsp {
namespace {

constexpr std::uint8_t kDerNull[] = {0x05, 0x00};

bool valid_reason(int r) { return r == storage::kNoReason || (r >= 0 && r <= 10 && r != 7); }

// Extension ::= SEQUENCE { extnID, extnValue OCTET STRING } (critical omitted = FALSE).
void put_extension(der::BackWriter& w, ByteView oid, ByteView value) {
  const std::size_t m = w.size();
  w.tlv(der::kOctetString, value);
  w.tlv(der::kOid, oid);
  w.wrap(der::kSequence, m);
}

bool put_single(der::BackWriter& w, const SingleStatus& s) {
  const std::size_t m = w.size();
  const bool invalidity = s.state == CertState::revoked && s.invalidity_date != 0;
  if (invalidity || s.archive_cutoff != 0) {
    // singleExtensions [1] { Extensions { Extension { OID, OCTET STRING { GeneralizedTime } } ... } },
    // written backwards: archiveCutoff last, invalidityDate first.
    const std::size_t me = w.size();
    const auto put_time_extension = [&w](ByteView oid, UnixTime t) {
      const std::size_t mx = w.size();
      if (!der::put_generalized_time(w, t)) return false;
      w.wrap(der::kOctetString, mx);
      w.tlv(der::kOid, oid);
      w.wrap(der::kSequence, mx);
      return true;
    };
    if (s.archive_cutoff != 0 && !put_time_extension(der::oid::kOcspArchiveCutoff, s.archive_cutoff)) return false;
    if (invalidity && !put_time_extension(der::oid::kInvalidityDate, s.invalidity_date)) return false;
    w.wrap(der::kSequence, me);
    w.wrap(der::context(1), me);
  }
  if (s.next_update != 0) {
    const std::size_t mn = w.size();
    if (!der::put_generalized_time(w, s.next_update)) return false;
    w.wrap(der::context(0), mn);
  }
  if (!der::put_generalized_time(w, s.this_update)) return false;
  switch (s.state) {
    case CertState::good:
      w.header(der::context_primitive(0), 0);
      break;
    case CertState::unknown:
      w.header(der::context_primitive(2), 0);
      break;
    case CertState::revoked: {
      const std::size_t mr = w.size();
      if (s.reason != storage::kNoReason) {
        const std::size_t ma = w.size();
        const std::uint8_t reason = static_cast<std::uint8_t>(s.reason);
        w.tlv(der::kEnumerated, ByteView(&reason, 1));
        w.wrap(der::context(0), ma);
      }
      if (!der::put_generalized_time(w, s.revocation_time)) return false;
      w.wrap(der::context(1), mr);
      break;
    }
  }
  w.bytes(s.certid_der);
  w.wrap(der::kSequence, m);
  return true;
}

}  // namespace

ByteView error_response(ResponseStatus status) noexcept {
  switch (status) {
    case ResponseStatus::malformed_request: return kMalformedRequest;
    case ResponseStatus::internal_error: return kInternalError;
    case ResponseStatus::try_later: return kTryLater;
    case ResponseStatus::sig_required: return kSigRequired;
    case ResponseStatus::unauthorized: return kUnauthorized;
    case ResponseStatus::successful: break;
  }
  return {};
}

Result<Bytes> sign_response(const ResponderKeys& issuer, std::span<const SingleStatus> statuses,
                            std::optional<ByteView> nonce_extn_value, UnixTime produced_at,
                            bool extended_revoke) {
  if (statuses.empty()) return make_error(ErrorKind::invalid, "invalid_argument", "no single responses to sign");
  if (!issuer.signer) return make_error(ErrorKind::internal, "signing_failed", "issuer " + issuer.name + " has no signing key");
  std::size_t estimate = 256 + issuer.responder_cert_der.size();
  for (const SingleStatus& s : statuses) {
    if (s.certid_der.empty()) return make_error(ErrorKind::invalid, "invalid_argument", "empty CertID");
    if (s.state == CertState::revoked && !valid_reason(s.reason))
      return make_error(ErrorKind::invalid, "invalid_argument", "invalid revocation reason " + std::to_string(s.reason));
    estimate += s.certid_der.size() + 96;
  }

  // tbsResponseData
  der::BackWriter tbs(estimate);
  if (nonce_extn_value || extended_revoke) {
    const std::size_t m = tbs.size();
    if (extended_revoke) put_extension(tbs, der::oid::kOcspExtendedRevoke, kDerNull);
    if (nonce_extn_value) put_extension(tbs, der::oid::kOcspNonce, *nonce_extn_value);
    tbs.wrap(der::kSequence, m);
    tbs.wrap(der::context(1), m);
  }
  const std::size_t m_list = tbs.size();
  for (std::size_t i = statuses.size(); i-- > 0;)
    if (!put_single(tbs, statuses[i])) return make_error(ErrorKind::invalid, "invalid_argument", "time out of GeneralizedTime range");
  tbs.wrap(der::kSequence, m_list);
  if (!der::put_generalized_time(tbs, produced_at))
    return make_error(ErrorKind::invalid, "invalid_argument", "producedAt out of GeneralizedTime range");
  tbs.bytes(issuer.responder_id_der);
  tbs.wrap(der::kSequence, 0);

  Bytes sig(issuer.signer->max_signature_size());
  auto sig_len = issuer.signer->sign(tbs.view(), sig.data());
  if (!sig_len) return std::move(sig_len).error();

  // BasicOCSPResponse inside ResponseBytes inside OCSPResponse.
  der::BackWriter w(tbs.size() + sig.size() + issuer.responder_cert_der.size() + 64);
  if (issuer.delegated) {
    w.bytes(issuer.responder_cert_der);
    w.wrap(der::kSequence, 0);
    w.wrap(der::context(0), 0);
  }
  const std::size_t m_sig = w.size();
  w.bytes(ByteView(sig.data(), *sig_len));
  w.byte(0);  // unused bits
  w.wrap(der::kBitString, m_sig);
  w.bytes(issuer.signer->algorithm_der());
  w.bytes(tbs.view());
  w.wrap(der::kSequence, 0);
  w.wrap(der::kOctetString, 0);
  w.tlv(der::kOid, der::oid::kOcspBasic);
  w.wrap(der::kSequence, 0);
  w.wrap(der::context(0), 0);
  constexpr std::uint8_t kSuccessful = 0;
  w.tlv(der::kEnumerated, ByteView(&kSuccessful, 1));
  w.wrap(der::kSequence, 0);
  return w.take();
}

Bytes build_certid_der(HashAlg alg, const ResponderKeys& issuer, ByteView serial) {
  if (alg == HashAlg::unsupported) return {};
  while (serial.size() > 1 && serial[0] == 0) serial = serial.subspan(1);
  der::BackWriter w(64 + serial.size() + 2 * hash_length(alg));
  const std::size_t m_int = w.size();
  if (serial.empty()) {
    w.byte(0);
  } else {
    w.bytes(serial);
    if (serial[0] & 0x80) w.byte(0);  // keep the INTEGER positive
  }
  w.wrap(der::kInteger, m_int);
  w.tlv(der::kOctetString, issuer.key_hash_of(alg));
  w.tlv(der::kOctetString, issuer.name_hash_of(alg));
  const std::size_t m_alg = w.size();
  w.bytes(kDerNull);
  w.tlv(der::kOid, hash_oid(alg));
  w.wrap(der::kSequence, m_alg);
  w.wrap(der::kSequence, 0);
  return w.take();
}

namespace {

// The BasicOCSPResponse SEQUENCE contents of a successful OCSPResponse.
std::optional<ByteView> basic_response(ByteView response) noexcept {
  ByteView c, status, bytes, resp, type, basic, basic_seq;
  der::Reader r(response);
  if (!r.expect(der::kSequence, c)) return std::nullopt;
  der::Reader outer(c);
  if (!outer.expect(der::kEnumerated, status) || status.size() != 1 || status[0] != 0 ||
      !outer.expect(der::context(0), bytes))
    return std::nullopt;
  der::Reader rb(bytes);
  if (!rb.expect(der::kSequence, resp)) return std::nullopt;
  der::Reader rr(resp);
  if (!rr.expect(der::kOid, type) || !rr.expect(der::kOctetString, basic)) return std::nullopt;
  der::Reader rbasic(basic);
  if (!rbasic.expect(der::kSequence, basic_seq)) return std::nullopt;
  return basic_seq;
}

}  // namespace

std::optional<ByteView> response_signature(ByteView response) noexcept {
  const auto basic = basic_response(response);
  if (!basic) return std::nullopt;
  der::Reader r(*basic);
  der::Tlv t;
  ByteView bits;
  if (!r.expect(der::kSequence, t) || !r.expect(der::kSequence, t) || !r.expect(der::kBitString, bits) ||
      bits.size() < 2 || bits[0] != 0)
    return std::nullopt;
  return bits.subspan(1);
}

}  // namespace trustmon::ocsp
