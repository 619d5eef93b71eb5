// Test PKI generation with the OpenSSL C API (see test_pki.hpp).
#include "tests/support/test_pki.hpp"

#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <filesystem>
#include <stdexcept>

namespace trustmon::testing {
namespace {

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what + ": " + ossl_errors()); }

void add_ext(X509* cert, const X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, const_cast<X509*>(issuer), cert, nullptr, nullptr, 0);  // NOLINT: OpenSSL API is not const
  X509ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) fail("add extension");
}

}  // namespace

EvpPkeyPtr generate_key(KeyType type) {
  EVP_PKEY* key = nullptr;
  switch (type) {
    case KeyType::p256: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
    case KeyType::p384: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"); break;
    case KeyType::rsa2048: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)); break;
    case KeyType::ed25519: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
  }
  if (key == nullptr) fail("key generation");
  return EvpPkeyPtr(key);
}

X509Ptr issue_cert(const CertOptions& o, EVP_PKEY* subject_key, const X509* issuer, EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) fail("X509_new");
  Bytes serial = o.serial;
  if (serial.empty()) {
    serial.resize(16);
    RAND_bytes(serial.data(), static_cast<int>(serial.size()));
    serial[0] &= 0x7f;
    serial[0] |= 0x10;  // keep it 16 octets and positive
  }
  BignumPtr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()))) fail("serial");

  X509NamePtr name(X509_NAME_new());
  if (!name ||
      X509_NAME_add_entry_by_txt(name.get(), "C", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("UA"), -1,
                                 -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>("trustmon test"), -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(o.common_name.c_str()), -1, -1, 0) != 1)
    fail("subject");
  if (X509_set_subject_name(cert.get(), name.get()) != 1) fail("subject");
  const X509* signer = issuer != nullptr ? issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) != 1) fail("issuer name");

  const UnixTime nb = o.not_before != 0 ? o.not_before : static_cast<UnixTime>(std::time(nullptr)) - 3600;
  const UnixTime na = o.not_after != 0 ? o.not_after : nb + 365 * 86400;
  if (!ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(nb)) ||
      !ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(na)))
    fail("validity");
  if (X509_set_pubkey(cert.get(), subject_key) != 1) fail("public key");

  add_ext(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer != nullptr) add_ext(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  if (o.ca) {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  } else {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
  }
  if (o.ocsp_signing) add_ext(cert.get(), signer, NID_ext_key_usage, "OCSPSigning");
  if (o.server_auth) add_ext(cert.get(), signer, NID_ext_key_usage, "serverAuth");
  if (o.ocsp_nocheck) add_ext(cert.get(), signer, NID_id_pkix_OCSP_noCheck, "ignored");

  EVP_PKEY* sign_key = issuer != nullptr ? issuer_key : subject_key;
  const EVP_MD* md = EVP_PKEY_get_base_id(sign_key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  if (X509_sign(cert.get(), sign_key, md) <= 0) fail("X509_sign");
  return cert;
}

std::string cert_pem(const X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) fail("PEM_write_bio_X509");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    fail("PEM_write_bio_PrivateKey");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

X509Ptr dup_cert(const X509* cert) {
  X509* c = const_cast<X509*>(cert);  // NOLINT: up_ref takes a non-const pointer
  if (X509_up_ref(c) != 1) fail("X509_up_ref");
  return X509Ptr(c);
}

EvpPkeyPtr dup_key(EVP_PKEY* key) {
  if (EVP_PKEY_up_ref(key) != 1) fail("EVP_PKEY_up_ref");
  return EvpPkeyPtr(key);
}

TestPki make_test_pki() {
  TestPki p;
  p.root_key = generate_key(KeyType::p256);
  p.root = issue_cert({.common_name = "Test Root", .serial = {0x01}, .ca = true}, p.root_key.get(), nullptr, nullptr);
  p.ca_ec_key = generate_key(KeyType::p256);
  p.ca_ec = issue_cert({.common_name = "Test CA P-256", .serial = {0x02}, .ca = true}, p.ca_ec_key.get(),
                       p.root.get(), p.root_key.get());
  p.ca_rsa_key = generate_key(KeyType::rsa2048);
  p.ca_rsa = issue_cert({.common_name = "Test CA RSA", .serial = {0x03}, .ca = true}, p.ca_rsa_key.get(),
                        p.root.get(), p.root_key.get());
  p.responder_key = generate_key(KeyType::p256);
  p.responder = issue_cert(
      {.common_name = "Test OCSP Responder P-256", .serial = {0x04}, .ocsp_signing = true, .ocsp_nocheck = true},
      p.responder_key.get(), p.ca_ec.get(), p.ca_ec_key.get());
  // End entities: serials chosen to cover a leading high bit (0x80..) and a short one.
  const std::vector<Bytes> serials = {{0x10, 0x01}, {0x80, 0x00, 0x00, 0x01}, {0x7f}, {0x01, 0x02, 0x03, 0x04, 0x05}};
  EvpPkeyPtr ee_key = generate_key(KeyType::p256);
  for (std::size_t i = 0; i < serials.size(); ++i) {
    TestLeaf l;
    l.serial = serials[i];
    l.cert = issue_cert({.common_name = "ee-ec-" + std::to_string(i), .serial = serials[i], .server_auth = true},
                        ee_key.get(), p.ca_ec.get(), p.ca_ec_key.get());
    p.leaves_ec.push_back(std::move(l));
    TestLeaf r;
    r.serial = serials[i];
    r.cert = issue_cert({.common_name = "ee-rsa-" + std::to_string(i), .serial = serials[i], .server_auth = true},
                        ee_key.get(), p.ca_rsa.get(), p.ca_rsa_key.get());
    p.leaves_rsa.push_back(std::move(r));
  }
  return p;
}

const TestPki& shared_test_pki() {
  static const TestPki pki = make_test_pki();
  return pki;
}

void TestPki::write_files(const std::string& dir) const {
  std::filesystem::create_directories(dir);
  auto put = [&](const std::string& name, const std::string& text) {
    if (!write_file(dir + "/" + name, text, 0600)) throw std::runtime_error("cannot write " + name);
  };
  put("root.pem", cert_pem(root.get()));
  put("ca_ec.pem", cert_pem(ca_ec.get()));
  put("ca_rsa.pem", cert_pem(ca_rsa.get()));
  put("responder.pem", cert_pem(responder.get()));
  put("responder.key", key_pem(responder_key.get()));
  put("ca_ec.key", key_pem(ca_ec_key.get()));
  put("ca_rsa.key", key_pem(ca_rsa_key.get()));
  for (std::size_t i = 0; i < leaves_ec.size(); ++i) put("ee_ec_" + std::to_string(i) + ".pem", cert_pem(leaves_ec[i].cert.get()));
  for (std::size_t i = 0; i < leaves_rsa.size(); ++i)
    put("ee_rsa_" + std::to_string(i) + ".pem", cert_pem(leaves_rsa[i].cert.get()));
}

Bytes sign_sha256(EVP_PKEY* key, ByteView data) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t n = 0;
  if (!ctx || EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key, nullptr) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &n, data.data(), data.size()) != 1)
    return {};
  Bytes sig(n);
  if (EVP_DigestSign(ctx.get(), sig.data(), &n, data.data(), data.size()) != 1) return {};
  sig.resize(n);
  return sig;
}

Bytes ecdsa_p1363(ByteView der) {
  const unsigned char* in = der.data();
  ECDSA_SIG* s = d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der.size()));
  Bytes out(64);
  if (s == nullptr) return out;
  BN_bn2binpad(ECDSA_SIG_get0_r(s), out.data(), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(s), out.data() + 32, 32);
  ECDSA_SIG_free(s);
  return out;
}

}  // namespace trustmon::testing
