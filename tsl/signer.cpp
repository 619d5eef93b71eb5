// See signer.hpp. The signature template is built with xmlsec's template API, the XAdES
// QualifyingProperties by hand (xmlsec knows nothing of XAdES); the SignedProperties Id
// is registered as an ID so reference 2 resolves.
//
// The SignatureValue is computed here with OpenSSL, not by xmlsec: xmlsec 1.2.37 on
// OpenSSL 3 treats a key as private only if it can read the private exponent, so keys
// held in a token (PKCS#11 engine) are refused. xmlsec therefore signs with a stand-in
// key of the same algorithm (which fills every DigestValue and fixes SignedInfo), and
// the value is replaced by the real key's signature over the exclusive C14N of
// SignedInfo; the checker and xmlsec1 --verify test the result.
#include "tsl/signer.hpp"

#include <openssl/rand.h>
#include <xmlsec/templates.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/crypto.h>
#include <xmlsec/openssl/evp.h>

#include <openssl/ecdsa.h>

#include <mutex>

#include "common/der.hpp"
#include "common/time.hpp"

namespace trustmon::tsl {
namespace {

struct XmlSecKeyDeleter {
  void operator()(xmlSecKey* k) const noexcept { xmlSecKeyDestroy(k); }
};
using XmlSecKeyPtr = std::unique_ptr<xmlSecKey, XmlSecKeyDeleter>;
struct DsigCtxDeleter {
  void operator()(xmlSecDSigCtx* c) const noexcept { xmlSecDSigCtxDestroy(c); }
};
using DsigCtxPtr = std::unique_ptr<xmlSecDSigCtx, DsigCtxDeleter>;


std::string rfc2253_name(X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

std::string decimal_serial(X509* cert) {
  BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  if (!bn) return "0";
  char* dec = BN_bn2dec(bn.get());
  std::string out = dec != nullptr ? dec : "0";
  OPENSSL_free(dec);
  return out;
}

std::string random_id() {
  std::uint8_t b[8];
  if (RAND_bytes(b, sizeof b) != 1) return "0000000000000000";
  return hex_encode(ByteView(b, sizeof b));
}

xmlNode* add_ds(xmlNode* parent, const char* name, const std::string& text = {}) {
  xmlNode* n = xmlNewChild(parent, xmlSearchNsByHref(parent->doc, parent, to_xml(kNsDs)), to_xml(name), nullptr);
  if (n != nullptr && !text.empty()) xmlNodeAddContent(n, to_xml(text.c_str()));
  return n;
}

xmlNode* add_xades(xmlNode* parent, xmlNs* ns, const char* name, const std::string& text = {}) {
  return text.empty() ? xmlNewChild(parent, ns, to_xml(name), nullptr)
                      : xmlNewTextChild(parent, ns, to_xml(name), to_xml(text.c_str()));
}

bool has_eku(X509* cert, const char* oid) {
  auto* ekus = static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr));
  if (ekus == nullptr) return false;
  bool found = false;
  for (int i = 0; i < sk_ASN1_OBJECT_num(ekus); ++i) {
    char buf[80];
    OBJ_obj2txt(buf, sizeof buf, sk_ASN1_OBJECT_value(ekus, i), 1);
    if (std::string(buf) == oid) found = true;
  }
  sk_ASN1_OBJECT_pop_free(ekus, ASN1_OBJECT_free);
  return found;
}

// One stand-in key per algorithm for the process (xmlsec needs a key it can see as
// private; its value never leaves this function's callers: it is overwritten).
Result<EVP_PKEY*> stand_in_key(bool ec) {
  static std::once_flag once_rsa, once_ec;
  static EvpPkeyPtr rsa, ecdsa;
  if (ec) {
    std::call_once(once_ec, [] { ecdsa.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")); });
    if (!ecdsa) return ossl_error(ErrorKind::internal, "tl_sign_failed", "stand-in EC key");
    return ecdsa.get();
  }
  std::call_once(once_rsa, [] { rsa.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048))); });
  if (!rsa) return ossl_error(ErrorKind::internal, "tl_sign_failed", "stand-in RSA key");
  return rsa.get();
}

// SHA-256 signature of `data`: RSA PKCS#1 v1.5 (rsa-sha256), or ECDSA converted from
// DER to the r || s form XML Signature uses (ecdsa-sha256, RFC 4050 / XMLDSig 1.1).
Result<Bytes> sign_bytes(EVP_PKEY* key, bool ec, ByteView data) {
  EvpMdCtxPtr md(EVP_MD_CTX_new());
  std::size_t len = 0;
  if (!md || EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(md.get(), nullptr, &len, data.data(), data.size()) != 1)
    return ossl_error(ErrorKind::internal, "tl_sign_failed", "signature init");
  Bytes sig(len);
  if (EVP_DigestSign(md.get(), sig.data(), &len, data.data(), data.size()) != 1)
    return ossl_error(ErrorKind::internal, "tl_sign_failed", "signing with the list key failed");
  sig.resize(len);
  if (!ec) return sig;
  const unsigned char* p = sig.data();
  ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
  if (es == nullptr) return ossl_error(ErrorKind::internal, "tl_sign_failed", "ECDSA signature decoding");
  const int bits = EVP_PKEY_get_bits(key);
  const std::size_t n = static_cast<std::size_t>((bits + 7) / 8);
  Bytes raw(2 * n);
  const bool ok = BN_bn2binpad(ECDSA_SIG_get0_r(es), raw.data(), static_cast<int>(n)) > 0 &&
                  BN_bn2binpad(ECDSA_SIG_get0_s(es), raw.data() + n, static_cast<int>(n)) > 0;
  ECDSA_SIG_free(es);
  if (!ok) return make_error(ErrorKind::internal, "tl_sign_failed", "ECDSA signature conversion");
  return raw;
}

}  // namespace

std::vector<std::string> signer_certificate_warnings(X509* cert, UnixTime now) {
  std::vector<std::string> out;
  if (!has_eku(cert, kEkuTslSigning))
    out.push_back("signer certificate lacks extended key usage id-tsl-kp-tslSigning (0.4.0.2231.3.0)");
  auto nb = asn1_time_to_unix(X509_get0_notBefore(cert));
  auto na = asn1_time_to_unix(X509_get0_notAfter(cert));
  if (nb.ok() && na.ok() && (now < *nb || now > *na))
    out.push_back("signer certificate is not valid now (" + format_rfc3339(*nb) + " .. " + format_rfc3339(*na) + ")");
  return out;
}

Result<TlSigner> TlSigner::create(EvpPkeyPtr key, X509Ptr certificate) {
  if (auto s = init_xml(); !s) return s.error();
  if (!key || !certificate) return make_error(ErrorKind::invalid, "tl_signer_invalid", "missing key or certificate");
  const int type = EVP_PKEY_get_base_id(key.get());
  if (type != EVP_PKEY_RSA && type != EVP_PKEY_EC)
    return make_error(ErrorKind::invalid, "tl_signer_invalid", "the signing key is neither RSA nor EC");
  if (X509_check_private_key(certificate.get(), key.get()) != 1)
    return ossl_error(ErrorKind::invalid, "tl_signer_invalid", "the signing key does not match the certificate");
  TlSigner s;
  s.ec_ = type == EVP_PKEY_EC;
  s.cert_der_ = x509_der(certificate.get());
  s.warnings_ = signer_certificate_warnings(certificate.get(), SystemClock::instance().now());
  s.key_ = std::move(key);
  s.cert_ = std::move(certificate);
  return s;
}

Result<TlSigner> TlSigner::create(const KeySource& key, const std::string& certificate_path) {
  auto cert = load_cert_file(certificate_path);
  if (!cert) return make_error(ErrorKind::invalid, "tl_signer_invalid", cert.error().message);
  auto pkey = load_signing_key(key);
  if (!pkey) return std::move(pkey).error();
  return create(std::move(*pkey), std::move(*cert));
}

Status TlSigner::sign(xmlDoc* doc, int version, UnixTime signing_time) const {
  xmlNode* root = xmlDocGetRootElement(doc);
  if (root == nullptr) return make_error(ErrorKind::internal, "tl_sign_failed", "empty document");
  const std::string id = random_id();
  const std::string sig_id = "sig-" + id;
  const std::string props_id = "xades-" + id;
  const std::string ref_id = "ref-tl-" + id;

  xmlNode* sig = xmlSecTmplSignatureCreateNsPref(doc, xmlSecTransformExclC14NId,
                                                 ec_ ? xmlSecTransformEcdsaSha256Id : xmlSecTransformRsaSha256Id,
                                                 to_xml(sig_id.c_str()), to_xml("ds"));
  if (sig == nullptr) return make_error(ErrorKind::internal, "tl_sign_failed", "cannot create the signature template");
  xmlAddChild(root, sig);

  xmlNode* ref = xmlSecTmplSignatureAddReference(sig, xmlSecTransformSha256Id, to_xml(ref_id.c_str()), to_xml(""), nullptr);
  if (ref == nullptr || xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId) == nullptr ||
      xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId) == nullptr)
    return make_error(ErrorKind::internal, "tl_sign_failed", "cannot create reference 1");
  const std::string props_uri = "#" + props_id;
  xmlNode* pref = xmlSecTmplSignatureAddReference(sig, xmlSecTransformSha256Id, nullptr, to_xml(props_uri.c_str()),
                                                  to_xml(kSignedPropertiesType));
  if (pref == nullptr || xmlSecTmplReferenceAddTransform(pref, xmlSecTransformExclC14NId) == nullptr)
    return make_error(ErrorKind::internal, "tl_sign_failed", "cannot create reference 2");

  xmlNode* object = xmlSecTmplSignatureAddObject(sig, nullptr, nullptr, nullptr);
  if (object == nullptr) return make_error(ErrorKind::internal, "tl_sign_failed", "cannot create ds:Object");
  xmlNode* qp = xmlNewChild(object, nullptr, to_xml("QualifyingProperties"), nullptr);
  xmlNs* xades = xmlNewNs(qp, to_xml(kNsXades), to_xml("xades"));
  xmlSetNs(qp, xades);
  xmlSetProp(qp, to_xml("Target"), to_xml(("#" + sig_id).c_str()));
  xmlNode* sp = add_xades(qp, xades, "SignedProperties");
  xmlAttr* id_attr = xmlSetProp(sp, to_xml("Id"), to_xml(props_id.c_str()));
  if (xmlAddID(nullptr, doc, to_xml(props_id.c_str()), id_attr) == nullptr)
    return make_error(ErrorKind::internal, "tl_sign_failed", "cannot register the SignedProperties Id");
  xmlNode* ssp = add_xades(sp, xades, "SignedSignatureProperties");
  add_xades(ssp, xades, "SigningTime", format_rfc3339(signing_time));
  const Sha256 cert_digest = sha256(cert_der_);
  xmlNode* sc = add_xades(ssp, xades, version >= 6 ? "SigningCertificateV2" : "SigningCertificate");
  xmlNode* cert = add_xades(sc, xades, "Cert");
  xmlNode* cd = add_xades(cert, xades, "CertDigest");
  xmlNode* dm = add_ds(cd, "DigestMethod");
  xmlSetProp(dm, to_xml("Algorithm"), xmlSecTransformSha256Id->href);
  add_ds(cd, "DigestValue", base64_encode(cert_digest));
  if (version >= 6) {
    auto is = issuer_serial_der(cert_.get());
    if (!is) return std::move(is).error();
    add_xades(cert, xades, "IssuerSerialV2", base64_encode(*is));
  } else {
    xmlNode* is = add_xades(cert, xades, "IssuerSerial");
    add_ds(is, "X509IssuerName", rfc2253_name(X509_get_issuer_name(cert_.get())));
    add_ds(is, "X509SerialNumber", decimal_serial(cert_.get()));
  }
  xmlNode* sdop = add_xades(sp, xades, "SignedDataObjectProperties");
  xmlNode* dof = add_xades(sdop, xades, "DataObjectFormat");
  xmlSetProp(dof, to_xml("ObjectReference"), to_xml(("#" + ref_id).c_str()));
  add_xades(dof, xades, "MimeType", "text/xml");

  // xmlsec computes the reference digests and SignedInfo with a stand-in key of the same
  // algorithm; the SignatureValue is then computed by OpenSSL with the real key (see the
  // header comment of this file for why).
  auto stand_in = stand_in_key(ec_);
  if (!stand_in) return std::move(stand_in).error();
  EVP_PKEY* dup = *stand_in;
  if (EVP_PKEY_up_ref(dup) != 1) return ossl_error(ErrorKind::internal, "tl_sign_failed", "key reference");
  xmlSecKeyDataPtr data = xmlSecOpenSSLEvpKeyAdopt(dup);
  if (data == nullptr) {
    EVP_PKEY_free(dup);
    return ossl_error(ErrorKind::internal, "tl_sign_failed", "xmlsec refused the key");
  }
  XmlSecKeyPtr key(xmlSecKeyCreate());
  if (!key || xmlSecKeySetValue(key.get(), data) < 0) {
    xmlSecKeyDataDestroy(data);
    return make_error(ErrorKind::internal, "tl_sign_failed", "cannot create the xmlsec key");
  }
  DsigCtxPtr ctx(xmlSecDSigCtxCreate(nullptr));
  if (!ctx) return make_error(ErrorKind::internal, "tl_sign_failed", "cannot create the signature context");
  ctx->signKey = key.release();  // the context destroys it
  if (xmlSecDSigCtxSign(ctx.get(), sig) < 0) return ossl_error(ErrorKind::internal, "tl_sign_failed", "xmlsec signing failed");

  xmlNode* signed_info = first_element(sig);
  xmlNode* signature_value = signed_info != nullptr ? next_element(signed_info) : nullptr;
  if (!is_element(signed_info, kNsDs, "SignedInfo") || !is_element(signature_value, kNsDs, "SignatureValue"))
    return make_error(ErrorKind::internal, "tl_sign_failed", "unexpected signature layout");
  auto canonical = element_c14n(doc, signed_info);
  if (!canonical) return std::move(canonical).error();
  auto value = sign_bytes(key_.get(), ec_, as_bytes(*canonical));
  if (!value) return std::move(value).error();
  xmlNodeSetContent(signature_value, nullptr);
  xmlNodeAddContent(signature_value, to_xml(base64_encode(*value).c_str()));

  // KeyInfo after signing (it is not referenced): placed before ds:Object as the schema wants.
  xmlNode* ki = xmlNewDocNode(doc, sig->ns, to_xml("KeyInfo"), nullptr);
  xmlAddPrevSibling(object, ki);
  xmlNode* x509data = xmlNewChild(ki, sig->ns, to_xml("X509Data"), nullptr);
  xmlNewTextChild(x509data, sig->ns, to_xml("X509Certificate"), to_xml(base64_encode(cert_der_).c_str()));
  return {};
}

}  // namespace trustmon::tsl
