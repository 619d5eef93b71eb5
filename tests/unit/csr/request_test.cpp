// Parsing of certificate requests: every supported algorithm verifies, a broken
// self-signature is refused, malformed input is refused, and a DSTU 4145 request is
// tracked by hash without proof of possession (key fingerprints: tests/unit/pki).
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/x509.h>

#include "responder/csr/request.hpp"
#include "responder/pki/csr_der.hpp"
#include "responder/pki/key_fingerprint.hpp"
#include "test_csr.hpp"

namespace trustmon::csr {
namespace {

using testing::CsrOptions;
using testing::KeyKind;
using testing::make_csr;
using testing::shared_key;
using testing::spki_der;

Bytes subject_der(const Bytes& csr) {
  const unsigned char* p = csr.data();
  X509ReqPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(csr.size())));
  EXPECT_TRUE(req);
  unsigned char* out = nullptr;
  const int n = i2d_X509_NAME(X509_REQ_get_subject_name(req.get()), &out);
  Bytes der(out, out + n);
  OPENSSL_free(out);
  return der;
}

struct Case {
  KeyKind kind;
  bool pss_padding;
  const char* name;
};

class ParseEachAlgorithm : public ::testing::TestWithParam<Case> {};

TEST_P(ParseEachAlgorithm, VerifiesAndHashes) {
  EVP_PKEY* key = shared_key(GetParam().kind);
  CsrOptions o;
  o.pss_padding = GetParam().pss_padding;
  const Bytes der = make_csr(key, o);
  auto p = parse_csr(der);
  ASSERT_TRUE(p.ok()) << p.error().code << ": " << p.error().message;
  EXPECT_TRUE(p->pop_verified);
  EXPECT_EQ(p->der, der);
  EXPECT_EQ(p->csr_sha256, sha256(der));
  auto fp = pki::key_fingerprint(spki_der(key));
  ASSERT_TRUE(fp.ok());
  EXPECT_EQ(p->spki_sha256, *fp);
  // Keys already in canonical form hash as they are; RSA-PSS keys hash as rsaEncryption.
  if (GetParam().kind != KeyKind::rsa_pss) {
    EXPECT_EQ(p->spki_sha256, sha256(spki_der(key)));
  }
  EXPECT_EQ(p->subject_sha256, sha256(subject_der(der)));

  // The PEM form gives the same hashes.
  auto pem = parse_csr(as_bytes(testing::csr_pem(der)));
  ASSERT_TRUE(pem.ok()) << pem.error().message;
  EXPECT_EQ(pem->csr_sha256, p->csr_sha256);
  EXPECT_EQ(pem->spki_sha256, p->spki_sha256);
  EXPECT_TRUE(pem->pop_verified);
}

TEST_P(ParseEachAlgorithm, BrokenSelfSignatureIsRefused) {
  Bytes der = make_csr(shared_key(GetParam().kind), {});
  der.back() ^= 0x01;  // last octet of the signature
  auto p = parse_csr(der);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, "csr_signature_invalid");
}

TEST_P(ParseEachAlgorithm, SignatureOverAnotherSubjectIsRefused) {
  // Same length subject, one letter changed after signing: the signature covers the info.
  CsrOptions o;
  o.common_name = "Subject A";
  Bytes der = make_csr(shared_key(GetParam().kind), o);
  const std::string needle = "Subject A";
  auto it = std::search(der.begin(), der.end(), needle.begin(), needle.end());
  ASSERT_NE(it, der.end());
  *(it + 8) = 'B';
  auto p = parse_csr(der);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, "csr_signature_invalid");
}

INSTANTIATE_TEST_SUITE_P(Algorithms, ParseEachAlgorithm,
                         ::testing::Values(Case{KeyKind::rsa, false, "rsa"}, Case{KeyKind::rsa, true, "rsa_pss_padding"},
                                           Case{KeyKind::rsa_pss, false, "rsa_pss_key"},
                                           Case{KeyKind::p256, false, "p256"},
                                           Case{KeyKind::ed25519, false, "ed25519"}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(ParseCsr, MalformedInputIsRefused) {
  const Bytes good = make_csr(shared_key(KeyKind::p256), {});
  std::vector<Bytes> bad;
  bad.push_back({});
  bad.push_back({0x30, 0x00});
  bad.push_back(Bytes(good.begin(), good.end() - 1));  // truncated
  Bytes trailing = good;
  trailing.push_back(0x00);
  bad.push_back(trailing);
  Bytes indefinite = good;
  indefinite[1] = 0x80;  // BER indefinite length
  bad.push_back(indefinite);
  Bytes wrong_tag = good;
  wrong_tag[0] = 0x31;
  bad.push_back(wrong_tag);
  bad.push_back(Bytes(70000, 0x30));  // over the size cap
  for (const Bytes& b : bad) {
    auto p = parse_csr(b);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error().code, "csr_malformed");
  }
  auto pem = parse_csr(as_bytes("-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n"));
  ASSERT_FALSE(pem.ok());
  EXPECT_EQ(pem.error().code, "csr_malformed");
  auto other_pem = parse_csr(as_bytes("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"));
  ASSERT_FALSE(other_pem.ok());
  EXPECT_EQ(other_pem.error().code, "csr_malformed");
}

TEST(ParseCsr, NonMinimalLengthIsRefused) {
  const Bytes good = make_csr(shared_key(KeyKind::ed25519), {});
  ASSERT_EQ(good[1], 0x81);  // Ed25519 requests are short: one length octet after 0x81
  Bytes longer{good[0], 0x82, 0x00};  // the same length with a leading zero octet
  longer.insert(longer.end(), good.begin() + 2, good.end());
  auto p = parse_csr(longer);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, "csr_malformed");
}

TEST(ParseCsr, DstuRequestIsTrackedWithoutProofOfPossession) {
  Bytes key(33);
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i * 7 + 3);
  const Bytes der = testing::make_dstu_csr("Тарас Шевченко", key);
  auto p = parse_csr(der);
  ASSERT_TRUE(p.ok()) << p.error().code << ": " << p.error().message;
  EXPECT_FALSE(p->pop_verified);
  EXPECT_EQ(p->key_algorithm, "1.2.804.2.1.1.1.1.3.1.1");
  EXPECT_EQ(p->signature_algorithm, "1.2.804.2.1.1.1.1.3.1.1");
  EXPECT_EQ(p->csr_sha256, sha256(der));

  // The key hash is over the SubjectPublicKeyInfo bytes: the same key in another request
  // (another subject) hashes the same, a different key does not.
  auto same_key = parse_csr(testing::make_dstu_csr("Леся Українка", key));
  ASSERT_TRUE(same_key.ok());
  EXPECT_EQ(same_key->spki_sha256, p->spki_sha256);
  EXPECT_NE(same_key->csr_sha256, p->csr_sha256);
  EXPECT_NE(same_key->subject_sha256, p->subject_sha256);
  key[0] ^= 1;
  auto other_key = parse_csr(testing::make_dstu_csr("Тарас Шевченко", key));
  ASSERT_TRUE(other_key.ok());
  EXPECT_NE(other_key->spki_sha256, p->spki_sha256);

  pki::CsrParts parts;
  ASSERT_TRUE(pki::split_certification_request(der, parts));
  EXPECT_EQ(p->spki_sha256, sha256(parts.spki));
  EXPECT_EQ(p->subject_sha256, sha256(parts.subject));

  // And through PEM.
  auto pem = parse_csr(as_bytes(testing::csr_pem(der)));
  ASSERT_TRUE(pem.ok());
  EXPECT_EQ(pem->csr_sha256, p->csr_sha256);
}

TEST(ParseCsr, DstuRequestWithWrongVersionIsMalformed) {
  Bytes der = testing::make_dstu_csr("X", Bytes(33, 0x11));
  const Bytes version{0x02, 0x01, 0x00};
  auto it = std::search(der.begin(), der.end(), version.begin(), version.end());
  ASSERT_NE(it, der.end());
  ASSERT_TRUE(parse_csr(der).ok());
  *(it + 2) = 0x01;  // v2 does not exist
  auto p = parse_csr(der);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, "csr_malformed");
}

}  // namespace
}  // namespace trustmon::csr
