// Test helpers for the trusted-list tests and benchmark: signer keys and self-signed
// certificates made with OpenSSL in-process, a generated list of any size, a temp
// directory, and running external tools (xmllint, xmlsec1, openssl) by exit code.
#pragma once

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "common/ossl.hpp"
#include "tsl/model.hpp"
#include "tests/support/scratch_dir.hpp"

namespace trustmon::tsl::testing {

enum class KeyKind { rsa, ec };

struct TestSigner {
  EvpPkeyPtr key;
  X509Ptr cert;
};

inline EvpPkeyPtr make_key(KeyKind kind) {
  if (kind == KeyKind::rsa) return EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)));
  return EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

// Self-signed certificate for `key`; `serial_bytes` random octets of serial number.
inline X509Ptr make_cert(EVP_PKEY* key, const std::string& cn, bool tsl_eku, int serial_bytes = 8,
                         long days = 365) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  BignumPtr bn(BN_new());
  BN_rand(bn.get(), serial_bytes * 8 - 1, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY);
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), days * 86400);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("UA"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("trustmon test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  auto add = [&](int nid, const char* value) {
    X509ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (ext) X509_add_ext(cert.get(), ext.get(), -1);
  };
  add(NID_basic_constraints, "critical,CA:TRUE");
  add(NID_key_usage, "critical,digitalSignature,nonRepudiation,keyCertSign,cRLSign");
  add(NID_subject_key_identifier, "hash");
  if (tsl_eku) add(NID_ext_key_usage, "0.4.0.2231.3.0");
  X509_sign(cert.get(), key, EVP_sha256());
  return cert;
}

inline TestSigner make_signer(KeyKind kind, bool tsl_eku = true, int serial_bytes = 8) {
  TestSigner s;
  s.key = make_key(kind);
  s.cert = make_cert(s.key.get(), kind == KeyKind::rsa ? "TL signer RSA" : "TL signer EC", tsl_eku, serial_bytes);
  return s;
}

inline std::string cert_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

inline std::string key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// A schema-valid list: `providers` TSPs sharing `services` CA/QC services between them,
// each service with its own certificate (one EC key shared, to keep generation fast),
// supply points and an AdditionalServiceInformation extension.
inline TrustedList make_list(int providers, int services, UnixTime now = 1795000000) {
  TrustedList l;
  l.id = "TrustServiceStatusList-TEST";
  auto& s = l.scheme;
  s.version = 6;
  s.sequence_number = 1;
  s.tsl_type = "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/UAlist";
  s.operator_name = {{"en", "Test scheme operator"}, {"uk", "Тестовий оператор схеми"}};
  s.operator_address.postal = {{"en", "1 Test st.", "Kyiv", std::nullopt, std::string("01001"), "UA"}};
  s.operator_address.electronic = {{"en", "https://tl.example.test"}, {"en", "mailto:tl@example.test"}};
  s.scheme_name = {{"en", "UA:Test trusted list"}};
  s.information_uri = {{"en", "https://tl.example.test/scheme"}};
  s.status_determination_approach = "http://uri.etsi.org/TrstSvc/TrustedList/StatusDetn/UA";
  s.type_community_rules = {{"en", "http://uri.etsi.org/TrstSvc/TrustedList/schemerules/UA"}};
  s.territory = "UA";
  s.policy_or_legal_notice.legal_notices = {{"en", "Test legal notice."}};
  s.historical_information_period = 65535;
  s.list_issue_date_time = now;
  s.next_update = now + 86400 * 30;
  s.distribution_points = {"https://tl.example.test/TL-TEST.xml"};
  EvpPkeyPtr key = make_key(KeyKind::ec);
  for (int p = 0; p < providers; ++p) {
    TrustServiceProvider tsp;
    tsp.name = {{"en", "Provider " + std::to_string(p)}, {"uk", "Надавач " + std::to_string(p)}};
    tsp.trade_name = {{"en", "VATUA-" + std::to_string(10000000 + p)}};
    tsp.address.postal = {{"en", std::to_string(p) + " Main st.", "Kyiv", std::nullopt, std::nullopt, "UA"}};
    tsp.address.electronic = {{"en", "https://tsp" + std::to_string(p) + ".example.test"}};
    tsp.information_uri = {{"en", "https://tsp" + std::to_string(p) + ".example.test/info"}};
    l.providers.push_back(std::move(tsp));
  }
  for (int i = 0; i < services; ++i) {
    TrustService svc;
    svc.type_identifier = kSvcTypeCaQc;
    svc.name = {{"en", "Qualified CA " + std::to_string(i)}};
    DigitalId id;
    id.kind = DigitalId::Kind::x509_certificate;
    X509Ptr cert = make_cert(key.get(), "Qualified CA " + std::to_string(i), false);
    id.der = x509_der(cert.get());
    svc.digital_identity.push_back(std::move(id));
    svc.status = kSvcStatusGranted;
    svc.status_starting_time = now - 86400;
    svc.supply_points = {{"http://ocsp" + std::to_string(i) + ".example.test/", kSupplyPointOcspQc},
                         {"http://crl" + std::to_string(i) + ".example.test/ca.crl", kSupplyPointCrlQc}};
    svc.extensions.push_back({true,
                              "<AdditionalServiceInformation xmlns=\"http://uri.etsi.org/02231/v2#\"><URI "
                              "xml:lang=\"en\">http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/ForeSignatures</URI>"
                              "</AdditionalServiceInformation>"});
    l.providers[static_cast<std::size_t>(i % providers)].services.push_back(std::move(svc));
  }
  return l;
}

using trustmon::testing::ScratchDir;

// Runs a shell command, output to `log` (appended); returns its exit code (-1 if it
// did not exit normally).
inline int run(const std::string& command, const std::string& log) {
  const int rc = std::system((command + " >>" + log + " 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

inline std::string slurp(const std::string& path) {
  auto r = read_file(path);
  return r.ok() ? *r : std::string();
}

}  // namespace trustmon::tsl::testing
