#include "responder/pki/cert_builder.hpp"

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

namespace trustmon::pki {
namespace {

Result<EvpPkeyPtr> generate_with(EVP_PKEY_CTX* ctx, const char* what) {
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_generate(ctx, &key) != 1 || key == nullptr)
    return ossl_error(ErrorKind::internal, "crypto_failed", std::string("cannot generate a ") + what + " key");
  return EvpPkeyPtr(key);
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

const char* key_algorithm_name(KeyAlgorithm a) noexcept {
  return a == KeyAlgorithm::rsa_2048 ? "rsa-2048" : "ec-p256";
}

std::optional<KeyAlgorithm> parse_key_algorithm(std::string_view name) noexcept {
  if (name == "ec-p256") return KeyAlgorithm::ec_p256;
  if (name == "rsa-2048") return KeyAlgorithm::rsa_2048;
  return std::nullopt;
}

Result<KeyFactory> KeyFactory::create() {
  KeyFactory f;
  f.ec_.reset(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!f.ec_ || EVP_PKEY_keygen_init(f.ec_.get()) != 1 || EVP_PKEY_CTX_set_group_name(f.ec_.get(), "P-256") != 1)
    return ossl_error(ErrorKind::internal, "crypto_failed", "cannot set up P-256 key generation");
  f.rsa_.reset(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  if (!f.rsa_ || EVP_PKEY_keygen_init(f.rsa_.get()) != 1 || EVP_PKEY_CTX_set_rsa_keygen_bits(f.rsa_.get(), 2048) != 1)
    return ossl_error(ErrorKind::internal, "crypto_failed", "cannot set up RSA-2048 key generation");
  return f;
}

Result<EvpPkeyPtr> KeyFactory::generate(KeyAlgorithm a) {
  return a == KeyAlgorithm::rsa_2048 ? generate_with(rsa_.get(), "RSA-2048") : generate_with(ec_.get(), "P-256");
}

Result<X509NamePtr> make_name(const std::vector<NameEntry>& entries) {
  X509NamePtr name(X509_NAME_new());
  if (!name) return ossl_error(ErrorKind::internal, "crypto_failed", "X509_NAME_new");
  for (const auto& e : entries) {
    // MBSTRING_UTF8 lets OpenSSL pick the string type per attribute from its table:
    // PrintableString for C and serialNumber, UTF8String for Cyrillic text.
    if (X509_NAME_add_entry_by_NID(name.get(), e.nid, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(e.value.c_str()), -1, -1, 0) != 1)
      return ossl_error(ErrorKind::internal, "crypto_failed",
                        std::string("cannot add name attribute ") + OBJ_nid2sn(e.nid));
  }
  return name;
}

Result<Bytes> random_serial() {
  Bytes s(16);
  if (RAND_bytes(s.data(), static_cast<int>(s.size())) != 1)
    return ossl_error(ErrorKind::internal, "crypto_failed", "RAND_bytes");
  s[0] &= 0x7f;
  if (s[0] == 0) s[0] = 0x40;
  return s;
}

Result<X509Ptr> build_cert(const CertSpec& spec) {
  X509Ptr cert(X509_new());
  if (!cert) return ossl_error(ErrorKind::internal, "crypto_failed", "X509_new");
  BignumPtr bn(BN_bin2bn(spec.serial.data(), static_cast<int>(spec.serial.size()), nullptr));
  Asn1IntegerPtr serial(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  if (!serial) return ossl_error(ErrorKind::internal, "crypto_failed", "cannot encode the serial number");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 || X509_set_serialNumber(cert.get(), serial.get()) != 1 ||
      X509_set_subject_name(cert.get(), spec.subject) != 1 ||
      X509_set_issuer_name(cert.get(), spec.issuer ? X509_get_subject_name(spec.issuer) : spec.subject) != 1 ||
      X509_set_pubkey(cert.get(), spec.subject_key) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(spec.not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(spec.not_after)) == nullptr)
    return ossl_error(ErrorKind::internal, "crypto_failed", "cannot fill the certificate");

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, spec.issuer ? spec.issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : spec.extensions) {
    X509ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1)
      return ossl_error(ErrorKind::internal, "crypto_failed",
                        std::string("cannot add extension ") + OBJ_nid2sn(nid) + "=" + value);
  }
  for (const auto& raw : spec.raw_extensions) {
    Asn1ObjectPtr obj(OBJ_txt2obj(raw.oid.c_str(), 1));
    Asn1OctetStringPtr value(ASN1_OCTET_STRING_new());
    if (!obj || !value ||
        ASN1_OCTET_STRING_set(value.get(), raw.value.data(), static_cast<int>(raw.value.size())) != 1)
      return ossl_error(ErrorKind::internal, "crypto_failed", "cannot encode extension " + raw.oid);
    X509ExtPtr ext(X509_EXTENSION_create_by_OBJ(nullptr, obj.get(), raw.critical ? 1 : 0, value.get()));
    if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1)
      return ossl_error(ErrorKind::internal, "crypto_failed", "cannot add extension " + raw.oid);
  }
  if (X509_sign(cert.get(), spec.issuer_key, EVP_sha256()) <= 0)
    return ossl_error(ErrorKind::internal, "crypto_failed", "cannot sign the certificate");
  return cert;
}

Result<std::string> cert_pem(const X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
    return ossl_error(ErrorKind::internal, "crypto_failed", "PEM_write_bio_X509");
  return bio_text(bio.get());
}

Result<std::string> key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return ossl_error(ErrorKind::internal, "crypto_failed", "PEM_write_bio_PrivateKey");
  return bio_text(bio.get());
}

Result<Bytes> cert_der(const X509* cert) {
  unsigned char* der = nullptr;
  const int n = i2d_X509(cert, &der);
  if (n <= 0) return ossl_error(ErrorKind::internal, "crypto_failed", "i2d_X509");
  OsslBytesPtr owner(der);
  return Bytes(der, der + n);
}

}  // namespace trustmon::pki
