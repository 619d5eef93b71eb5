// Test helpers: real-shaped Ukrainian certificates made with the OpenSSL API
// (serialNumber TINUA-..., organizationIdentifier NTRUA-..., Cyrillic CN/O, emailAddress,
// SAN e-mail/DNS, and the SubjectDirectoryAttributes extension with DRFO / EDRPOU / UNZR
// attributes encoded as the QTSPs do: SEQUENCE OF { OID 1.2.804.2.1.1.1.11.1.4.x.1,
// SET { PrintableString } }, built by hand), certificates in an algorithm OpenSSL
// cannot verify (DSTU 4145 key and signature OIDs), and CRLs.
// Helpers throw std::runtime_error on OpenSSL failure (test code only).
#pragma once

#include <openssl/x509v3.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "tests/support/ocsp_client.hpp"

namespace trustmon::testing {

struct UaCertSpec {
  Bytes serial{0x01};
  std::string cn;
  std::string o;
  std::string serial_number;  // subject serialNumber
  std::string org_id;         // organizationIdentifier
  std::string email;          // subject emailAddress
  std::vector<std::string> san;  // "email:..." / "DNS:..."
  std::vector<std::pair<std::string, std::string>> sda;  // (OID suffix under the UA arc or whole OID, PrintableString)
  UnixTime not_before = 1700000000;
  UnixTime not_after = 1800000000;
  bool unknown_algorithm = false;  // DSTU 4145 key and signature OIDs, random signature bits
  const X509* aki_from = nullptr;  // take the authority key identifier from this CA instead
  int qc_type = 0;        // ETSI QcType 0.4.0.1862.1.6.{1 esign, 2 eseal, 3 web}; 0: none
  bool qc_sscd = false;   // ETSI QcSSCD 0.4.0.1862.1.4
};

inline void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string(what) + ": " + ossl_errors());
}

// DER of an OBJECT IDENTIFIER in dotted form.
// SHA-256 of a certificate's SubjectPublicKeyInfo as OpenSSL encodes it.
inline Sha256 spki_der_sha256(const X509* cert) {
  unsigned char* der = nullptr;
  const int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  check(n > 0, "i2d_X509_PUBKEY");
  const Sha256 out = sha256(ByteView(der, static_cast<std::size_t>(n)));
  OPENSSL_free(der);
  return out;
}

inline Bytes oid_der(const std::string& dotted) {
  Asn1ObjectPtr obj(OBJ_txt2obj(dotted.c_str(), 1));
  check(obj != nullptr, "OBJ_txt2obj");
  unsigned char* der = nullptr;
  const int n = i2d_ASN1_OBJECT(obj.get(), &der);
  check(n > 0, "i2d_ASN1_OBJECT");
  Bytes out(der, der + n);
  OPENSSL_free(der);
  return out;
}

// SubjectDirectoryAttributes value: SEQUENCE OF Attribute.
inline Bytes sda_der(const std::vector<std::pair<std::string, std::string>>& attrs) {
  Bytes seq;
  for (const auto& [suffix, value] : attrs) {
    // A "suffix" that is a whole OID (starts with "1.2.") is used as is.
    const std::string oid = suffix.rfind("1.2.", 0) == 0 ? suffix : "1.2.804.2.1.1.1.11.1.4." + suffix;
    Bytes attr = tlv(0x30, {oid_der(oid), tlv(0x31, {tlv(0x13, as_bytes(value))})});
    seq.insert(seq.end(), attr.begin(), attr.end());
  }
  return tlv(0x30, seq);
}

inline void add_name(X509_NAME* name, int nid, const std::string& value) {
  if (value.empty()) return;
  check(X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0) == 1,
        "X509_NAME_add_entry_by_NID");
}

inline void add_ext(X509* x, const X509* ca, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, const_cast<X509*>(ca), x, nullptr, nullptr, 0);
  X509ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  check(X509_add_ext(x, ext.get(), -1) == 1, "X509_add_ext");
}

inline Bytes make_ua_cert(const UaCertSpec& s, const X509* ca, EVP_PKEY* ca_key, EVP_PKEY* subject_key) {
  X509Ptr x(X509_new());
  check(x != nullptr, "X509_new");
  X509_set_version(x.get(), 2);
  BignumPtr bn(BN_bin2bn(s.serial.data(), static_cast<int>(s.serial.size()), nullptr));
  check(BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get())) != nullptr, "serial");
  check(X509_set_issuer_name(x.get(), X509_get_subject_name(ca)) == 1, "issuer");
  ASN1_TIME_set(X509_getm_notBefore(x.get()), s.not_before);
  ASN1_TIME_set(X509_getm_notAfter(x.get()), s.not_after);
  X509_NAME* name = X509_get_subject_name(x.get());
  add_name(name, NID_countryName, "UA");
  add_name(name, NID_organizationName, s.o);
  add_name(name, NID_organizationIdentifier, s.org_id);
  add_name(name, NID_commonName, s.cn);
  add_name(name, NID_serialNumber, s.serial_number);
  add_name(name, NID_pkcs9_emailAddress, s.email);
  add_ext(x.get(), s.aki_from ? s.aki_from : ca, NID_authority_key_identifier, "keyid:always");
  if (!s.san.empty()) {
    std::string san;
    for (const auto& n : s.san) san += (san.empty() ? "" : ",") + n;
    add_ext(x.get(), ca, NID_subject_alt_name, san);
  }
  if (!s.sda.empty()) {
    const Bytes value = sda_der(s.sda);
    Asn1OctetStringPtr os(ASN1_OCTET_STRING_new());
    check(os && ASN1_OCTET_STRING_set(os.get(), value.data(), static_cast<int>(value.size())) == 1, "octets");
    X509ExtPtr ext(X509_EXTENSION_create_by_NID(nullptr, NID_subject_directory_attributes, 0, os.get()));
    check(ext != nullptr, "X509_EXTENSION_create_by_NID");
    check(X509_add_ext(x.get(), ext.get(), -1) == 1, "X509_add_ext");
  }
  if (s.qc_type != 0 || s.qc_sscd) {
    // QcStatements ::= SEQUENCE OF SEQUENCE { statementId OID, statementInfo OPTIONAL }.
    const Bytes compliance = tlv(0x30, tlv(0x06, Bytes{0x04, 0x00, 0x8e, 0x46, 0x01, 0x01}));
    Bytes statements = compliance;
    if (s.qc_sscd) {
      const Bytes sscd = tlv(0x30, tlv(0x06, Bytes{0x04, 0x00, 0x8e, 0x46, 0x01, 0x04}));
      statements.insert(statements.end(), sscd.begin(), sscd.end());
    }
    if (s.qc_type != 0) {
      Bytes type_stmt = tlv(0x06, Bytes{0x04, 0x00, 0x8e, 0x46, 0x01, 0x06});
      const Bytes types =
          tlv(0x30, tlv(0x06, Bytes{0x04, 0x00, 0x8e, 0x46, 0x01, 0x06, static_cast<std::uint8_t>(s.qc_type)}));
      type_stmt.insert(type_stmt.end(), types.begin(), types.end());
      const Bytes type = tlv(0x30, type_stmt);
      statements.insert(statements.end(), type.begin(), type.end());
    }
    const Bytes value = tlv(0x30, statements);
    Asn1OctetStringPtr os(ASN1_OCTET_STRING_new());
    check(os && ASN1_OCTET_STRING_set(os.get(), value.data(), static_cast<int>(value.size())) == 1, "octets");
    X509ExtPtr ext(X509_EXTENSION_create_by_NID(nullptr, NID_qcStatements, 0, os.get()));
    check(ext != nullptr, "X509_EXTENSION_create_by_NID qcStatements");
    check(X509_add_ext(x.get(), ext.get(), -1) == 1, "X509_add_ext");
  }
  if (!s.unknown_algorithm) {
    check(X509_set_pubkey(x.get(), subject_key) == 1, "X509_set_pubkey");
    check(X509_sign(x.get(), ca_key, EVP_sha256()) > 0, "X509_sign");
    return x509_der(x.get());
  }
  // DSTU 4145 (1.2.804.2.1.1.1.1.3.1.1): OpenSSL knows the OID but cannot verify with it.
  const char* dstu = "1.2.804.2.1.1.1.1.3.1.1";
  X509_PUBKEY* pub = X509_get_X509_PUBKEY(x.get());
  const Bytes key_octets = tlv(0x04, Bytes(33, 0x5a));  // the public key as an OCTET STRING
  auto* penc = static_cast<unsigned char*>(OPENSSL_malloc(key_octets.size()));
  std::copy(key_octets.begin(), key_octets.end(), penc);
  check(X509_PUBKEY_set0_param(pub, OBJ_txt2obj(dstu, 1), V_ASN1_UNDEF, nullptr, penc,
                               static_cast<int>(key_octets.size())) == 1,
        "X509_PUBKEY_set0_param");
  check(X509_ALGOR_set0(const_cast<X509_ALGOR*>(X509_get0_tbs_sigalg(x.get())), OBJ_txt2obj(dstu, 1), V_ASN1_UNDEF,
                        nullptr) == 1,
        "tbs sigalg");
  const ASN1_BIT_STRING* sig = nullptr;
  const X509_ALGOR* alg = nullptr;
  X509_get0_signature(&sig, &alg, x.get());
  check(X509_ALGOR_set0(const_cast<X509_ALGOR*>(alg), OBJ_txt2obj(dstu, 1), V_ASN1_UNDEF, nullptr) == 1, "sigalg");
  const Bytes fake_signature(64, 0xa5);
  check(ASN1_BIT_STRING_set(const_cast<ASN1_BIT_STRING*>(sig), const_cast<std::uint8_t*>(fake_signature.data()),
                            static_cast<int>(fake_signature.size())) == 1,
        "signature");
  unsigned char* der = nullptr;
  const int n = i2d_X509(x.get(), &der);
  check(n > 0, "i2d_X509");
  Bytes out(der, der + n);
  OPENSSL_free(der);
  return out;
}

struct CrlEntry {
  Bytes serial;
  UnixTime time = 0;
  int reason = -1;            // -1: no reasonCode extension
  UnixTime invalidity = 0;    // 0: no invalidityDate extension
};

// A CRL with CRL number `number`; `delta_base` > 0 makes it a delta CRL of that base.
inline Bytes make_crl(const X509* ca, EVP_PKEY* signing_key, const std::vector<CrlEntry>& entries, UnixTime now,
                      long number = 1, long delta_base = 0) {
  X509CrlPtr crl(X509_CRL_new());
  check(crl != nullptr, "X509_CRL_new");
  X509_CRL_set_version(crl.get(), 1);
  check(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca)) == 1, "issuer");
  Asn1TimePtr last(ASN1_TIME_set(nullptr, now - 60)), next(ASN1_TIME_set(nullptr, now + 86400));
  X509_CRL_set1_lastUpdate(crl.get(), last.get());
  X509_CRL_set1_nextUpdate(crl.get(), next.get());
  if (number >= 0) {
    Asn1IntegerPtr n(ASN1_INTEGER_new());
    ASN1_INTEGER_set(n.get(), number);
    check(X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, n.get(), 0, 0) == 1, "crl number");
  }
  if (delta_base > 0) {
    Asn1IntegerPtr n(ASN1_INTEGER_new());
    ASN1_INTEGER_set(n.get(), delta_base);
    check(X509_CRL_add1_ext_i2d(crl.get(), NID_delta_crl, n.get(), 1, 0) == 1, "delta indicator");
  }
  for (const auto& e : entries) {
    X509_REVOKED* r = X509_REVOKED_new();
    BignumPtr bn(BN_bin2bn(e.serial.data(), static_cast<int>(e.serial.size()), nullptr));
    Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
    X509_REVOKED_set_serialNumber(r, serial.get());
    Asn1TimePtr t(ASN1_TIME_set(nullptr, e.time));
    X509_REVOKED_set_revocationDate(r, t.get());
    if (e.reason >= 0) {
      ASN1_ENUMERATED* code = ASN1_ENUMERATED_new();
      ASN1_ENUMERATED_set(code, e.reason);
      X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, code, 0, 0);
      ASN1_ENUMERATED_free(code);
    }
    if (e.invalidity != 0) {
      ASN1_GENERALIZEDTIME* g = ASN1_GENERALIZEDTIME_set(nullptr, e.invalidity);
      X509_REVOKED_add1_ext_i2d(r, NID_invalidity_date, g, 0, 0);
      ASN1_GENERALIZEDTIME_free(g);
    }
    X509_CRL_add0_revoked(crl.get(), r);
  }
  X509_CRL_sort(crl.get());
  check(X509_CRL_sign(crl.get(), signing_key, EVP_sha256()) > 0, "X509_CRL_sign");
  unsigned char* der = nullptr;
  const int n = i2d_X509_CRL(crl.get(), &der);
  check(n > 0, "i2d_X509_CRL");
  Bytes out(der, der + n);
  OPENSSL_free(der);
  return out;
}

}  // namespace trustmon::testing
