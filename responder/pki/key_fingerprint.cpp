// The key fingerprint (see key_fingerprint.hpp).
#include "responder/pki/key_fingerprint.hpp"

#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <string_view>

#include "common/der.hpp"
#include "responder/pki/csr_der.hpp"

namespace trustmon::pki {
namespace {

Error malformed(std::string message) { return make_error(ErrorKind::invalid, "csr_malformed", std::move(message)); }

constexpr std::string_view kRsaEncryption = "1.2.840.113549.1.1.1";
constexpr std::string_view kRsaPss = "1.2.840.113549.1.1.10";
constexpr std::string_view kEcPublicKey = "1.2.840.10045.2.1";

// SEQUENCE { SEQUENCE { rsaEncryption, NULL }, BIT STRING key }: one form for an RSA
// key whatever OID (rsaEncryption, RSASSA-PSS) and parameters the input used.
Bytes rsa_canonical_spki(ByteView key_bits) {
  static constexpr std::uint8_t kAlg[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                                          0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
  der::BackWriter w(sizeof kAlg + key_bits.size() + 12);  // two headers of at most 6 octets
  w.tlv(der::kBitString, key_bits);
  w.bytes(kAlg);
  w.wrap(der::kSequence, 0);
  return w.take();
}

// i2d into a fresh buffer; empty on failure.
Bytes pubkey_der(const EVP_PKEY* key) {
  const int n = i2d_PUBKEY(key, nullptr);
  if (n <= 0) return {};
  Bytes out(static_cast<std::size_t>(n));
  unsigned char* p = out.data();
  if (i2d_PUBKEY(key, &p) != n) return {};
  return out;
}

// EC key re-encoded with a named curve and an uncompressed point.
Result<Sha256> ec_canonical_fingerprint(const EVP_PKEY* key) {
  if (key == nullptr) return make_error(ErrorKind::internal, "internal_error", "no EC key to re-encode");
  EvpPkeyPtr copy(EVP_PKEY_dup(const_cast<EVP_PKEY*>(key)));
  if (!copy) return ossl_error(ErrorKind::internal, "internal_error", "EVP_PKEY_dup");
  EVP_PKEY_set_utf8_string_param(copy.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                 OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED);
  EVP_PKEY_set_utf8_string_param(copy.get(), OSSL_PKEY_PARAM_EC_ENCODING, OSSL_PKEY_EC_ENCODING_GROUP);
  ossl_errors();  // a curve without a name keeps its explicit parameters
  Bytes der = pubkey_der(copy.get());
  if (der.empty()) return ossl_error(ErrorKind::internal, "internal_error", "i2d_PUBKEY");
  return sha256(der);
}

// The canonical hash of a well-framed SubjectPublicKeyInfo. `decode` yields the key when
// an EC key must be re-encoded (only then is it called).
template <typename Decode>
Result<Sha256> canonical_fingerprint(ByteView spki, const SpkiParts& parts, Decode decode) {
  const std::string oid = der::oid_text(parts.algorithm);
  if (oid == kRsaEncryption || oid == kRsaPss) return sha256(rsa_canonical_spki(parts.key));
  if (oid == kEcPublicKey) {
    const bool named = !parts.parameters.empty() && parts.parameters[0] == 0x06;
    const bool uncompressed = parts.key.size() >= 2 && parts.key[1] == 0x04;
    if (named && uncompressed) return sha256(spki);
    return ec_canonical_fingerprint(decode());
  }
  return sha256(spki);
}

}  // namespace

// True when OpenSSL implements keys of this algorithm: such a key that does not decode
// is malformed, not merely unsupported.
bool openssl_knows_key_algorithm(const std::string& oid) {
  const int nid = OBJ_txt2nid(oid.c_str());
  if (nid == NID_undef) return false;
  return EVP_PKEY_asn1_find(nullptr, nid) != nullptr;
}

Result<Sha256> key_fingerprint(ByteView spki_der) {
  SpkiParts parts;
  if (!split_subject_public_key_info(spki_der, parts)) return malformed("not a DER SubjectPublicKeyInfo");
  const unsigned char* p = spki_der.data();
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size())));
  if (!key || p != spki_der.data() + spki_der.size()) {
    ossl_errors();
    if (openssl_knows_key_algorithm(der::oid_text(parts.algorithm)))
      return malformed("the public key does not decode");
    return sha256(spki_der);
  }
  return canonical_fingerprint(spki_der, parts, [&key] { return key.get(); });
}

Result<Sha256> key_fingerprint_lazy(ByteView spki_der) {
  SpkiParts parts;
  if (!split_subject_public_key_info(spki_der, parts)) return malformed("not a DER SubjectPublicKeyInfo");
  EvpPkeyPtr key;
  auto decode = [&key, spki_der]() -> const EVP_PKEY* {
    const unsigned char* p = spki_der.data();
    key.reset(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size())));
    ossl_errors();
    return key.get();
  };
  return canonical_fingerprint(spki_der, parts, decode);
}

Result<Sha256> key_fingerprint(const X509_PUBKEY* key) {
  if (key == nullptr) return make_error(ErrorKind::internal, "internal_error", "no key to fingerprint");
  unsigned char* der = nullptr;
  const int n = i2d_X509_PUBKEY(key, &der);
  if (n <= 0) return ossl_error(ErrorKind::internal, "internal_error", "i2d_X509_PUBKEY");
  const Bytes spki(der, der + n);
  OPENSSL_free(der);
  SpkiParts parts;
  if (!split_subject_public_key_info(spki, parts)) return malformed("not a DER SubjectPublicKeyInfo");
  return canonical_fingerprint(spki, parts, [key] { return X509_PUBKEY_get0(key); });
}

Result<Sha256> key_fingerprint(ByteView spki_der, const EVP_PKEY* decoded) {
  SpkiParts parts;
  if (!split_subject_public_key_info(spki_der, parts)) return malformed("not a DER SubjectPublicKeyInfo");
  return canonical_fingerprint(spki_der, parts, [decoded] { return decoded; });
}

Sha256 key_fingerprint(const CertView& view) {
  auto fp = key_fingerprint_lazy(view.spki);
  return fp ? *fp : sha256(view.spki);
}

}  // namespace trustmon::pki
