#include "responder/login/proof.hpp"

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

// IEEE P1363 r||s (WebCrypto) as a DER ECDSA-Sig-Value; DER input is returned as is.
Result<Bytes> ecdsa_der(ByteView sig, EVP_PKEY* key) {
  const int bits = EVP_PKEY_get_bits(key);
  const std::size_t half = static_cast<std::size_t>((bits + 7) / 8);
  {
    const unsigned char* in = sig.data();
    ECDSA_SIG* parsed = d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(sig.size()));
    const bool whole = parsed != nullptr && in == sig.data() + sig.size();
    ECDSA_SIG_free(parsed);
    ossl_errors();
    if (whole || sig.size() != 2 * half) return Bytes(sig.begin(), sig.end());
  }
  ECDSA_SIG* raw = ECDSA_SIG_new();
  if (raw == nullptr) return malformed("out of memory");
  BIGNUM* r = BN_bin2bn(sig.data(), static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(sig.data() + half, static_cast<int>(half), nullptr);
  if (r == nullptr || s == nullptr || ECDSA_SIG_set0(raw, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(raw);
    return malformed("the ECDSA signature is not r||s");
  }
  unsigned char* out = nullptr;
  const int n = i2d_ECDSA_SIG(raw, &out);
  ECDSA_SIG_free(raw);
  if (n <= 0) return malformed("the ECDSA signature is not r||s");
  OsslBytesPtr owned(out);
  return Bytes(out, out + n);
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
    auto der = ecdsa_der(p.signature, key);
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
