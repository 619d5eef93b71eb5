// The issuer set: lookups, identity, duplicates, and issuer_of(), the one answer to "which
// of our issuers signed this" for certificates (walked DER and OpenSSL-decoded) and CRLs.
#include <gtest/gtest.h>

#include <openssl/x509v3.h>

#include <cctype>

#include "responder/pki/cert_view.hpp"
#include "responder/pki/issuer_set.hpp"
#include "tests/support/test_issuers.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/unit/registry/ua_certs.hpp"

namespace trustmon::pki {
namespace {

using testing::dup_cert;
using testing::kEcIssuer;
using testing::kRsaIssuer;
using testing::shared_test_pki;

const IssuerSet& issuers() { return testing::shared_issuers(); }

// The match for a certificate's DER through the walked path.
IssuerMatch of_der(const IssuerSet& set, const Bytes& der, std::span<const storage::IssuerId> prefer = {}) {
  auto parts = parse_cert_parts(der);
  EXPECT_TRUE(parts) << "the certificate does not walk";
  if (!parts) return {IssuerFound::malformed, nullptr};
  return set.issuer_of(der, *parts, prefer);
}

// The same certificate decoded by OpenSSL (the TLS client certificate path).
IssuerMatch of_x509(const IssuerSet& set, const Bytes& der) {
  auto cert = x509_from_der(der);
  EXPECT_TRUE(cert);
  if (!cert) return {IssuerFound::malformed, nullptr};
  return set.issuer_of(cert->get());
}

TEST(IssuerSet, FindsByIdAndName) {
  EXPECT_EQ(issuers().size(), 2u);
  EXPECT_EQ(issuers().find_by_name("ec")->id, 1u);
  EXPECT_EQ(issuers().find_by_name("rsa")->id, 2u);
  EXPECT_EQ(issuers().find_by_name("nope"), nullptr);
  EXPECT_EQ(issuers().find_by_id(9), nullptr);
  const auto all = issuers().all();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]->name, "ec");
  EXPECT_EQ(all[1]->name, "rsa");
  // The CA's subject key identifier, as the issuer matching compares it.
  const auto& p = shared_test_pki();
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(p.ca_ec.get());
  ASSERT_NE(ski, nullptr);
  ASSERT_TRUE(issuers().find_by_id(kEcIssuer)->ski.has_value());
  EXPECT_EQ(*issuers().find_by_id(kEcIssuer)->ski,
            Bytes(ASN1_STRING_get0_data(ski), ASN1_STRING_get0_data(ski) + ASN1_STRING_length(ski)));
}

TEST(IssuerSet, IdentityIsSubjectAndSpkiHash) {
  const auto& p = shared_test_pki();
  unsigned char* subj = nullptr;
  unsigned char* spki = nullptr;
  const int ls = i2d_X509_NAME(X509_get_subject_name(p.ca_ec.get()), &subj);
  const int lk = i2d_PUBKEY(X509_get0_pubkey(p.ca_ec.get()), &spki);
  Bytes data(subj, subj + ls);
  data.insert(data.end(), spki, spki + lk);
  OPENSSL_free(subj);
  OPENSSL_free(spki);
  EXPECT_EQ(issuers().find_by_id(1)->identity, sha256(data));
  auto id = issuer_identity(p.ca_ec.get());
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, sha256(data));
}

TEST(IssuerSet, RefusesDuplicatesAndMissingCertificates) {
  const auto& p = shared_test_pki();
  IssuerSet set;
  ASSERT_TRUE(set.add(1, "a", dup_cert(p.ca_ec.get())));
  auto dup_id = set.add(1, "b", dup_cert(p.ca_rsa.get()));
  ASSERT_FALSE(dup_id);
  EXPECT_EQ(dup_id.error().code, "issuer_duplicate");
  auto dup_name = set.add(2, "a", dup_cert(p.ca_rsa.get()));
  ASSERT_FALSE(dup_name);
  EXPECT_EQ(dup_name.error().code, "issuer_duplicate");
  auto no_ca = set.add(3, "c", nullptr);
  ASSERT_FALSE(no_ca);
  EXPECT_EQ(no_ca.error().code, "issuer_invalid");
  EXPECT_EQ(set.size(), 1u);
}

TEST(IssuerOf, CertificateOfEachIssuer) {
  const auto& p = shared_test_pki();
  for (auto [leaves, id] : {std::pair{&p.leaves_ec, kEcIssuer}, std::pair{&p.leaves_rsa, kRsaIssuer}}) {
    const Bytes der = x509_der(leaves->front().cert.get());
    for (const IssuerMatch m : {of_der(issuers(), der), of_x509(issuers(), der)}) {
      EXPECT_EQ(m.found, IssuerFound::verified);
      ASSERT_NE(m.issuer, nullptr);
      EXPECT_EQ(m.issuer->id, id);
    }
  }
}

TEST(IssuerOf, IssuerNameSpelledDifferentlyMatchesCanonically) {
  // The leaf names its issuer in upper case: not the CA's subject byte for byte, but the
  // same name as X509_NAME_cmp compares names (the walked path decodes it then).
  const auto& p = shared_test_pki();
  auto key = testing::generate_key(testing::KeyType::p256);
  auto leaf = testing::issue_cert({.common_name = "leaf"}, key.get(), p.ca_ec.get(), p.ca_ec_key.get());
  const X509_NAME* subject = X509_get_subject_name(p.ca_ec.get());
  X509NamePtr upper(X509_NAME_new());
  ASSERT_TRUE(upper);
  for (int i = 0; i < X509_NAME_entry_count(subject); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(subject, i);
    const ASN1_STRING* value = X509_NAME_ENTRY_get_data(entry);
    std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                     static_cast<std::size_t>(ASN1_STRING_length(value)));
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    ASSERT_EQ(X509_NAME_add_entry_by_OBJ(upper.get(), X509_NAME_ENTRY_get_object(entry), ASN1_STRING_type(value),
                                         reinterpret_cast<const unsigned char*>(text.data()),
                                         static_cast<int>(text.size()), -1, 0),
              1);
  }
  ASSERT_EQ(X509_set_issuer_name(leaf.get(), upper.get()), 1);
  ASSERT_GT(X509_sign(leaf.get(), p.ca_ec_key.get(), EVP_sha256()), 0);
  const Bytes der = x509_der(leaf.get());
  auto view = parse_cert_view(der);
  ASSERT_TRUE(view);
  ASSERT_NE(to_bytes(view->issuer), issuers().find_by_id(kEcIssuer)->subject_der);
  for (const IssuerMatch m : {of_der(issuers(), der), of_x509(issuers(), der)}) {
    EXPECT_EQ(m.found, IssuerFound::verified);
    ASSERT_NE(m.issuer, nullptr);
    EXPECT_EQ(m.issuer->id, kEcIssuer);
  }
}

TEST(IssuerOf, Crl) {
  const auto& p = shared_test_pki();
  const std::vector<testing::CrlEntry> entries{{Bytes{0x42}, 1700000000}};
  const auto crl_of = [](const Bytes& der) {
    const unsigned char* d = der.data();
    X509CrlPtr crl(d2i_X509_CRL(nullptr, &d, static_cast<long>(der.size())));
    EXPECT_TRUE(crl);
    return crl;
  };
  auto good = crl_of(testing::make_crl(p.ca_ec.get(), p.ca_ec_key.get(), entries, 1700000000));
  IssuerMatch m = issuers().issuer_of(good.get());
  EXPECT_EQ(m.found, IssuerFound::verified);
  ASSERT_NE(m.issuer, nullptr);
  EXPECT_EQ(m.issuer->id, kEcIssuer);
  // The CA's name, signed with another key.
  auto forged = crl_of(testing::make_crl(p.ca_ec.get(), p.responder_key.get(), entries, 1700000000));
  m = issuers().issuer_of(forged.get());
  EXPECT_EQ(m.found, IssuerFound::signature_invalid);
  EXPECT_EQ(m.issuer, nullptr);
  // A CA that is not ours (the root).
  auto foreign = crl_of(testing::make_crl(p.root.get(), p.root_key.get(), entries, 1700000000));
  m = issuers().issuer_of(foreign.get());
  EXPECT_EQ(m.found, IssuerFound::unknown);
  EXPECT_EQ(m.issuer, nullptr);
}

TEST(IssuerOf, CertificateFromAnUnknownCa) {
  const auto& p = shared_test_pki();
  auto key = testing::generate_key(testing::KeyType::p256);
  // Issued by the root, which is not one of our issuers.
  auto leaf = testing::issue_cert({.common_name = "root's leaf"}, key.get(), p.root.get(), p.root_key.get());
  const Bytes der = x509_der(leaf.get());
  for (const IssuerMatch m : {of_der(issuers(), der), of_x509(issuers(), der)}) {
    EXPECT_EQ(m.found, IssuerFound::unknown);
    EXPECT_EQ(m.issuer, nullptr);
  }
}

TEST(IssuerOf, IssuerNameMatchesButSignatureDoesNot) {
  const auto& p = shared_test_pki();
  auto key = testing::generate_key(testing::KeyType::p256);
  // The "ec" CA's name and key identifier, signed with the responder's key.
  testing::UaCertSpec s;
  s.cn = "forged";
  const Bytes forged = testing::make_ua_cert(s, p.ca_ec.get(), p.responder_key.get(), key.get());
  for (const IssuerMatch m : {of_der(issuers(), forged), of_x509(issuers(), forged)}) {
    EXPECT_EQ(m.found, IssuerFound::signature_invalid);
    EXPECT_EQ(m.issuer, nullptr);
  }
  // A genuine certificate with one bit of its signature flipped.
  Bytes tampered = x509_der(p.leaves_ec[0].cert.get());
  tampered[tampered.size() - 5] ^= 0x01;
  for (const IssuerMatch m : {of_der(issuers(), tampered), of_x509(issuers(), tampered)}) {
    EXPECT_EQ(m.found, IssuerFound::signature_invalid);
    EXPECT_EQ(m.issuer, nullptr);
  }
}

TEST(IssuerOf, AnotherKeyIdentifierIsAnotherIssuer) {
  // The "ec" CA's name and signature, but the "rsa" CA's key identifier as AKI: no issuer
  // of ours is a candidate, so it is unknown (not a bad signature of "ec").
  const auto& p = shared_test_pki();
  auto key = testing::generate_key(testing::KeyType::p256);
  testing::UaCertSpec s;
  s.cn = "other aki";
  s.aki_from = p.ca_rsa.get();
  const Bytes der = testing::make_ua_cert(s, p.ca_ec.get(), p.ca_ec_key.get(), key.get());
  for (const IssuerMatch m : {of_der(issuers(), der), of_x509(issuers(), der)}) {
    EXPECT_EQ(m.found, IssuerFound::unknown);
    EXPECT_EQ(m.issuer, nullptr);
  }
}

TEST(IssuerOf, UnverifiableAlgorithmNamesItsCandidate) {
  const auto& p = shared_test_pki();
  // Two issuers for one CA (the same certificate under two ids), as when a CA certificate
  // is re-issued with the same name and key: the preferred one is reported.
  IssuerSet set;
  ASSERT_TRUE(set.add(5, "first", dup_cert(p.ca_ec.get())));
  ASSERT_TRUE(set.add(6, "second", dup_cert(p.ca_ec.get())));
  testing::UaCertSpec s;
  s.cn = "dstu";
  s.unknown_algorithm = true;
  const Bytes der = testing::make_ua_cert(s, p.ca_ec.get(), p.ca_ec_key.get(), nullptr);
  IssuerMatch m = of_der(set, der);
  EXPECT_EQ(m.found, IssuerFound::unverifiable);
  ASSERT_NE(m.issuer, nullptr);
  EXPECT_EQ(m.issuer->id, 5u);
  const storage::IssuerId prefer[] = {6};
  m = of_der(set, der, prefer);
  EXPECT_EQ(m.found, IssuerFound::unverifiable);
  ASSERT_NE(m.issuer, nullptr);
  EXPECT_EQ(m.issuer->id, 6u);
}

}  // namespace
}  // namespace trustmon::pki
