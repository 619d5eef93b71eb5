// See cms.hpp.
#include "responder/pki/cms.hpp"

#include <openssl/x509v3.h>

#include <openssl/cms.h>
#include <openssl/err.h>

#include "common/pem.hpp"
#include "storage/cert_standing.hpp"
#include "storage/records.hpp"

namespace trustmon::pki {
namespace {

struct CmsDeleter {
  void operator()(CMS_ContentInfo* p) const noexcept { CMS_ContentInfo_free(p); }
};
using CmsPtr = std::unique_ptr<CMS_ContentInfo, CmsDeleter>;
// CMS_get0_signers returns a stack whose certificates the CMS owns.
struct SignerStackDeleter {
  void operator()(STACK_OF(X509) * s) const noexcept { sk_X509_free(s); }
};
using SignerStackPtr = std::unique_ptr<STACK_OF(X509), SignerStackDeleter>;

Error malformed(const std::string& what) {
  ossl_errors();
  return make_error(ErrorKind::invalid, "cms_malformed", what);
}
Error refused(const char* code, const std::string& what) {
  ossl_errors();
  return make_error(ErrorKind::forbidden, code, what);
}

std::optional<UnixTime> signing_time_of(CMS_SignerInfo* si) {
  const int at = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
  if (at < 0) return std::nullopt;
  X509_ATTRIBUTE* attr = CMS_signed_get_attr(si, at);
  ASN1_TYPE* t = attr ? X509_ATTRIBUTE_get0_type(attr, 0) : nullptr;
  if (!t || (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME)) return std::nullopt;
  auto when = asn1_time_to_unix(t->type == V_ASN1_UTCTIME ? t->value.utctime : t->value.generalizedtime);
  if (!when) return std::nullopt;
  return *when;
}

}  // namespace

Result<CmsVerified> verify_cms(ByteView input, std::optional<ByteView> detached) {
  if (input.size() > kMaxCmsBytes) return make_error(ErrorKind::too_large, "cms_too_large", "a CMS is at most 8 MiB");
  CmsVerified out;
  const std::string_view text = as_chars(input);
  if (text.find("-----BEGIN ") != std::string_view::npos) {
    auto block = pem::find_block(text, {"CMS", "PKCS7"}, kMaxCmsBytes);
    if (!block) return malformed("the PEM holds no well-formed CMS or PKCS7 block");
    out.cms_der = to_bytes(block->der());
  } else {
    out.cms_der = to_bytes(input);
  }
  const unsigned char* p = out.cms_der.data();
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(out.cms_der.size())));
  if (!cms || p != out.cms_der.data() + out.cms_der.size()) return malformed("the body is not one DER CMS ContentInfo");
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) return malformed("the CMS is not a SignedData");
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());
  if (!infos || sk_CMS_SignerInfo_num(infos) != 1) return malformed("the SignedData must have exactly one signer");
  const bool is_detached = CMS_is_detached(cms.get()) == 1;
  if (is_detached && !detached) return malformed("the content is detached and was not given");
  if (!is_detached && detached) return malformed("the content is encapsulated; a detached one was given too");
  if (!is_detached) {
    ASN1_OCTET_STRING** content = CMS_get0_content(cms.get());
    if (!content || !*content) return malformed("the SignedData has no content");
  }
  BioPtr in;
  if (detached) {
    in.reset(BIO_new_mem_buf(detached->data(), static_cast<int>(detached->size())));
    if (!in) return ossl_error(ErrorKind::internal, "internal_error", "BIO");
  }
  BioPtr sink(BIO_new(BIO_s_mem()));
  if (!sink) return ossl_error(ErrorKind::internal, "internal_error", "BIO");
  // The signer's certificate must be inside the CMS (no outside certificates are offered).
  {
    CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, 0);
    X509* found = nullptr;
    STACK_OF(X509)* certs = CMS_get1_certs(cms.get());
    for (int i = 0; certs && i < sk_X509_num(certs) && !found; ++i)
      if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0) found = sk_X509_value(certs, i);
    if (found) {
      X509_up_ref(found);
      out.signer.reset(found);
    }
    if (certs) sk_X509_pop_free(certs, X509_free);
    if (!out.signer) return malformed("the signer's certificate is not in the CMS");
    out.signing_time = signing_time_of(si);
  }
  const unsigned flags = CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY;
  if (CMS_verify(cms.get(), nullptr, nullptr, in.get(), sink.get(), flags) != 1)
    return make_error(ErrorKind::unprocessable, "signature_invalid",
                      "the signature does not verify over the content: " + ossl_errors());
  const char* data = nullptr;
  const long n = BIO_get_mem_data(sink.get(), &data);
  if (n > 0) out.content.assign(reinterpret_cast<const std::uint8_t*>(data), reinterpret_cast<const std::uint8_t*>(data) + n);
  out.signer_der = x509_der(out.signer.get());
  ossl_errors();
  return out;
}

Result<const Issuer*> check_signer(const storage::ReadTxn& txn, const IssuerSet& issuers, X509* signer, UnixTime now) {
  const IssuerMatch match = issuers.issuer_of(signer);
  if (match.found != IssuerFound::verified)
    return refused("untrusted_issuer", "the signer's certificate was not issued by one of trustmon's issuers");
  const Bytes serial = serial_bytes(X509_get0_serialNumber(signer));
  if (Status st = storage::check_standing(txn, match.issuer->id, serial, now); !st) {
    ossl_errors();
    return std::move(st).error();
  }
  auto not_before = asn1_time_to_unix(X509_get0_notBefore(signer));
  auto not_after = asn1_time_to_unix(X509_get0_notAfter(signer));
  if (!not_before || !not_after || now < *not_before || now > *not_after)
    return refused("certificate_expired", "the signer's certificate is outside its validity");
  return match.issuer;
}

Status check_signing_usage(X509* signer) {
  const std::uint32_t usage = X509_get_key_usage(signer);
  if (usage != UINT32_MAX && (usage & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0)
    return make_error(ErrorKind::forbidden, "key_usage_invalid", "the certificate's key usage does not allow signing");
  return {};
}

}  // namespace trustmon::pki
