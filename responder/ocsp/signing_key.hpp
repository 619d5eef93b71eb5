// A responder's private key, prepared once for fast repeated signing of tbsResponseData.
//
// Policy: the digest algorithm follows the key (RSA PKCS#1 v1.5 and P-256: SHA-256,
// P-384: SHA-384, P-521: SHA-512, Ed25519/Ed448: none, the signature covers the data).
// For RSA and ECDSA we hash with a pre-fetched EVP_MD and sign the digest with an
// EVP_PKEY_CTX that was initialised once and is duplicated into a small pool, so a
// signature costs what the algorithm costs, not OpenSSL's per-call fetch and setup.
// Signing is thread-safe: each call borrows its own context from the pool.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "common/bytes.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"

namespace trustmon::ocsp {

enum class KeyKind : std::uint8_t { rsa, ecdsa, eddsa };

class SigningKey {
 public:
  // Refuses keys we cannot sign OCSP responses with ("responder_key_unsupported").
  static Result<std::unique_ptr<SigningKey>> create(EVP_PKEY* key);
  ~SigningKey();
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;

  KeyKind kind() const noexcept { return kind_; }
  // The signatureAlgorithm AlgorithmIdentifier TLV (e.g. ecdsa-with-SHA256).
  ByteView algorithm_der() const noexcept { return algorithm_der_; }
  // The digest the signature uses (nullptr for EdDSA).
  const EVP_MD* digest() const noexcept { return md_; }
  std::size_t max_signature_size() const noexcept { return max_sig_; }

  // Signs `data`; writes at most max_signature_size() bytes to `out`, returns the length.
  Result<std::size_t> sign(ByteView data, std::uint8_t* out) const;

 private:
  SigningKey() = default;
  EVP_PKEY_CTX* acquire() const;
  void release(EVP_PKEY_CTX* ctx) const noexcept;

  EvpPkeyPtr key_;
  KeyKind kind_ = KeyKind::rsa;
  EVP_MD* md_ = nullptr;  // fetched, owned
  EvpPkeyCtxPtr template_;  // sign-initialised; duplicated per concurrent signer
  Bytes algorithm_der_;
  std::size_t max_sig_ = 0;
  mutable std::mutex pool_mu_;
  mutable std::vector<EVP_PKEY_CTX*> pool_;
};

}  // namespace trustmon::ocsp
