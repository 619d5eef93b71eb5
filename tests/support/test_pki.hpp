// A throw-away PKI for tests, generated with the OpenSSL C API: a root, a P-256 CA and
// an RSA-2048 CA under it, a delegated OCSP responder for the P-256 CA (EKU OCSPSigning,
// id-pkix-ocsp-nocheck), and a few end-entity certificates per CA. Generation takes a
// fraction of a second (the RSA key dominates), so `shared_test_pki()` builds it once per
// process. Helpers throw std::runtime_error on OpenSSL failure (test code only).
#pragma once

#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/ossl.hpp"

namespace trustmon::testing {

enum class KeyType { p256, p384, rsa2048, ed25519 };
EvpPkeyPtr generate_key(KeyType type);

struct CertOptions {
  std::string common_name{};
  Bytes serial{};            // magnitude octets; empty = random 16 octets
  UnixTime not_before = 0;   // 0 = now - 1 h
  UnixTime not_after = 0;    // 0 = not_before + 1 year
  bool ca = false;           // basicConstraints cA, keyUsage keyCertSign|cRLSign
  bool ocsp_signing = false; // EKU id-kp-OCSPSigning
  bool ocsp_nocheck = false; // id-pkix-ocsp-nocheck
  bool server_auth = false;  // EKU serverAuth (end entities)
};

// Signs with SHA-256 (or none for Ed25519). issuer == nullptr: self-signed with subject_key.
X509Ptr issue_cert(const CertOptions& options, EVP_PKEY* subject_key, const X509* issuer, EVP_PKEY* issuer_key);

std::string cert_pem(const X509* cert);
std::string key_pem(EVP_PKEY* key);  // unencrypted PKCS#8
X509Ptr dup_cert(const X509* cert);  // a new reference (X509_up_ref)
EvpPkeyPtr dup_key(EVP_PKEY* key);   // a new reference (EVP_PKEY_up_ref)

// What a key store's signHash or WebCrypto's sign() gives: `data` signed with SHA-256
// (ECDSA as DER, RSA PKCS #1 v1.5).
Bytes sign_sha256(EVP_PKEY* key, ByteView data);
// A DER ECDSA P-256 signature as IEEE P1363 r||s (64 octets).
Bytes ecdsa_p1363(ByteView der);

struct TestLeaf {
  X509Ptr cert;
  Bytes serial;  // magnitude octets, as storage keys use
};

struct TestPki {
  EvpPkeyPtr root_key;
  X509Ptr root;
  EvpPkeyPtr ca_ec_key;  // P-256
  X509Ptr ca_ec;
  EvpPkeyPtr ca_rsa_key;  // RSA-2048
  X509Ptr ca_rsa;
  EvpPkeyPtr responder_key;  // P-256, delegated responder of ca_ec
  X509Ptr responder;
  std::vector<TestLeaf> leaves_ec;   // 4 certificates issued by ca_ec
  std::vector<TestLeaf> leaves_rsa;  // 4 certificates issued by ca_rsa

  // Writes root.pem, ca_ec.pem, ca_rsa.pem, responder.pem, responder.key,
  // ca_ec.key, ca_rsa.key, ee_ec_<i>.pem, ee_rsa_<i>.pem into `dir` (created if needed).
  void write_files(const std::string& dir) const;
};

TestPki make_test_pki();
const TestPki& shared_test_pki();

}  // namespace trustmon::testing
