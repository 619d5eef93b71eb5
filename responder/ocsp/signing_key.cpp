// SigningKey: digest choice, AlgorithmIdentifier bytes and the context pool.
#include "responder/ocsp/signing_key.hpp"

#include <openssl/rsa.h>

#include <cstring>
#include <string>

namespace trustmon::ocsp {
namespace {

// signatureAlgorithm AlgorithmIdentifier TLVs. RSA carries NULL parameters (RFC 4055
// §5), ECDSA and EdDSA none (RFC 5758 §3.2, RFC 8410 §3).
constexpr std::uint8_t kSha256WithRsa[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                                           0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
constexpr std::uint8_t kEcdsaWithSha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
constexpr std::uint8_t kEcdsaWithSha384[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
constexpr std::uint8_t kEcdsaWithSha512[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04};
constexpr std::uint8_t kEd25519[] = {0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70};
constexpr std::uint8_t kEd448[] = {0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x71};

constexpr std::size_t kMaxPooled = 64;

}  // namespace

SigningKey::~SigningKey() {
  for (EVP_PKEY_CTX* c : pool_) EVP_PKEY_CTX_free(c);
  EVP_MD_free(md_);
}

Result<std::unique_ptr<SigningKey>> SigningKey::create(EVP_PKEY* key) {
  if (key == nullptr) return make_error(ErrorKind::invalid, "responder_key_unsupported", "no responder key");
  std::unique_ptr<SigningKey> k(new SigningKey());
  if (EVP_PKEY_up_ref(key) != 1) return ossl_error(ErrorKind::internal, "internal_error", "EVP_PKEY_up_ref");
  k->key_.reset(key);
  const char* md_name = nullptr;
  const int type = EVP_PKEY_get_base_id(key);
  const int bits = EVP_PKEY_get_bits(key);
  switch (type) {
    case EVP_PKEY_RSA:
      if (bits < 2048) return make_error(ErrorKind::invalid, "responder_key_unsupported", "RSA responder key shorter than 2048 bits");
      k->kind_ = KeyKind::rsa;
      md_name = "SHA256";
      k->algorithm_der_.assign(std::begin(kSha256WithRsa), std::end(kSha256WithRsa));
      break;
    case EVP_PKEY_EC:
      k->kind_ = KeyKind::ecdsa;
      if (bits <= 256) {
        md_name = "SHA256";
        k->algorithm_der_.assign(std::begin(kEcdsaWithSha256), std::end(kEcdsaWithSha256));
      } else if (bits <= 384) {
        md_name = "SHA384";
        k->algorithm_der_.assign(std::begin(kEcdsaWithSha384), std::end(kEcdsaWithSha384));
      } else {
        md_name = "SHA512";
        k->algorithm_der_.assign(std::begin(kEcdsaWithSha512), std::end(kEcdsaWithSha512));
      }
      break;
    case EVP_PKEY_ED25519:
      k->kind_ = KeyKind::eddsa;
      k->algorithm_der_.assign(std::begin(kEd25519), std::end(kEd25519));
      break;
    case EVP_PKEY_ED448:
      k->kind_ = KeyKind::eddsa;
      k->algorithm_der_.assign(std::begin(kEd448), std::end(kEd448));
      break;
    default:
      return make_error(ErrorKind::invalid, "responder_key_unsupported",
                        std::string("responder key type not supported: ") + OBJ_nid2sn(type));
  }
  const int size = EVP_PKEY_get_size(key);
  if (size <= 0) return ossl_error(ErrorKind::invalid, "responder_key_unsupported", "cannot size responder key signatures");
  k->max_sig_ = static_cast<std::size_t>(size);

  if (k->kind_ != KeyKind::eddsa) {
    k->md_ = EVP_MD_fetch(nullptr, md_name, nullptr);
    if (k->md_ == nullptr) return ossl_error(ErrorKind::internal, "internal_error", std::string("cannot fetch ") + md_name);
    k->template_.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    if (!k->template_ || EVP_PKEY_sign_init(k->template_.get()) != 1 ||
        EVP_PKEY_CTX_set_signature_md(k->template_.get(), k->md_) != 1)
      return ossl_error(ErrorKind::invalid, "responder_key_unsupported", "cannot initialise signing with the responder key");
    if (k->kind_ == KeyKind::rsa && EVP_PKEY_CTX_set_rsa_padding(k->template_.get(), RSA_PKCS1_PADDING) != 1)
      return ossl_error(ErrorKind::invalid, "responder_key_unsupported", "cannot select PKCS#1 v1.5 padding");
  }
  return k;
}

EVP_PKEY_CTX* SigningKey::acquire() const {
  {
    std::lock_guard lock(pool_mu_);
    if (!pool_.empty()) {
      EVP_PKEY_CTX* c = pool_.back();
      pool_.pop_back();
      return c;
    }
  }
  return EVP_PKEY_CTX_dup(template_.get());
}

void SigningKey::release(EVP_PKEY_CTX* ctx) const noexcept {
  try {
    std::lock_guard lock(pool_mu_);
    if (pool_.size() < kMaxPooled) {
      pool_.push_back(ctx);
      return;
    }
  } catch (...) {
  }
  EVP_PKEY_CTX_free(ctx);
}

Result<std::size_t> SigningKey::sign(ByteView data, std::uint8_t* out) const {
  std::size_t len = max_sig_;
  if (kind_ == KeyKind::eddsa) {
    // EdDSA signs the message itself in one shot; its contexts are not reusable in 3.0.
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key_.get(), nullptr) != 1 ||
        EVP_DigestSign(ctx.get(), out, &len, data.data(), data.size()) != 1)
      return ossl_error(ErrorKind::internal, "signing_failed", "EdDSA signature failed");
    return len;
  }
  std::uint8_t dgst[EVP_MAX_MD_SIZE];
  unsigned int dlen = 0;
  if (EVP_Digest(data.data(), data.size(), dgst, &dlen, md_, nullptr) != 1)
    return ossl_error(ErrorKind::internal, "signing_failed", "digest failed");
  EVP_PKEY_CTX* ctx = acquire();
  if (ctx == nullptr) return ossl_error(ErrorKind::internal, "signing_failed", "cannot duplicate the signing context");
  const int rc = EVP_PKEY_sign(ctx, out, &len, dgst, dlen);
  if (rc != 1) {
    EVP_PKEY_CTX_free(ctx);  // its state is unknown after a failure
    return ossl_error(ErrorKind::internal, "signing_failed", "signature failed");
  }
  release(ctx);
  return len;
}

}  // namespace trustmon::ocsp
