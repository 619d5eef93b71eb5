#include "responder/login/proof.hpp"

#include "responder/pki/cms_build.hpp"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "responder/pki/cms.hpp"

namespace trustmon::login {
namespace {

Error malformed(const std::string& what) {
  ossl_errors();
  return make_error(ErrorKind::invalid, "signature_malformed", what);
}
Error invalid_signature() {
  ossl_errors();
  return make_error(ErrorKind::unprocessable, "signature_invalid",
                    "the signature does not verify over the challenge with the certificate's key");
}

Result<VerifiedSigner> verify_raw(const Proof& p, ByteView octets) {
  auto cert = x509_from_der(p.certificate);
  if (!cert) return malformed("\"certificate\" is not a DER X.509 certificate");
  EVP_PKEY* key = X509_get0_pubkey(cert->get());
  if (key == nullptr) return malformed("the certificate's key cannot be read");
  const bool ec = EVP_PKEY_is_a(key, "EC") == 1;
  const bool rsa = EVP_PKEY_is_a(key, "RSA") == 1 || EVP_PKEY_is_a(key, "RSA-PSS") == 1;
  Bytes signature = p.signature;
  int padding = 0;
  if (p.algorithm == "ecdsa-sha256") {
    if (!ec) return malformed("ecdsa-sha256 needs an EC key");
    auto der = pki::ecdsa_signature_der(p.signature, key);
    if (!der) return std::move(der).error();
    signature = std::move(*der);
  } else if (p.algorithm == "rsa-pkcs1-sha256") {
    if (!rsa) return malformed("rsa-pkcs1-sha256 needs an RSA key");
    padding = RSA_PKCS1_PADDING;
  } else if (p.algorithm == "rsa-pss-sha256") {
    if (!rsa) return malformed("rsa-pss-sha256 needs an RSA key");
    padding = RSA_PKCS1_PSS_PADDING;
  } else {
    return malformed("\"algorithm\" must be ecdsa-sha256, rsa-pkcs1-sha256 or rsa-pss-sha256");
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), &pctx, "SHA256", nullptr, nullptr, key, nullptr) != 1)
    return malformed("the certificate's key cannot verify SHA-256 signatures");
  if (padding != 0 && EVP_PKEY_CTX_set_rsa_padding(pctx, padding) != 1) return malformed("RSA padding not available");
  if (padding == RSA_PKCS1_PSS_PADDING) {
    if (EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", nullptr) != 1)
      return malformed("RSA-PSS parameters not available");
  }
  if (EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), octets.data(), octets.size()) != 1)
    return invalid_signature();
  VerifiedSigner out;
  out.der = p.certificate;
  out.certificate = std::move(*cert);
  return out;
}

}  // namespace

Result<VerifiedSigner> verify_proof(const Proof& proof, ByteView signed_octets) {
  if (proof.cms.size() > kMaxProofBytes || proof.certificate.size() > kMaxProofBytes ||
      proof.signature.size() > kMaxProofBytes)
    return malformed("the proof is larger than 64 KiB");
  if (!proof.cms.empty()) {
    auto v = pki::verify_cms(proof.cms, signed_octets);
    if (!v) return std::move(v).error();
    VerifiedSigner out;
    out.certificate = std::move(v->signer);
    out.der = std::move(v->signer_der);
    return out;
  }
  if (proof.certificate.empty() || proof.signature.empty())
    return malformed("the proof needs \"signature\" (CMS), or \"certificate\", \"signature\" and \"algorithm\"");
  return verify_raw(proof, signed_octets);
}

}  // namespace trustmon::login
