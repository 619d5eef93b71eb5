// The key fingerprint: one hash per key however it is spelt (EC point forms, RSA under
// the PSS OID), and malformed keys of known algorithms refused.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/x509.h>

#include "responder/pki/csr_der.hpp"
#include "responder/pki/key_fingerprint.hpp"
#include "tests/unit/csr/test_csr.hpp"

namespace trustmon::pki {
namespace {

using csr::testing::KeyKind;
using csr::testing::shared_key;
using csr::testing::spki_der;
namespace testing = csr::testing;

TEST(KeyFingerprint, CompressedAndUncompressedEcPointsHashTheSame) {
  EVP_PKEY* key = shared_key(KeyKind::p256);
  const Bytes uncompressed = spki_der(key);
  EvpPkeyPtr copy(EVP_PKEY_dup(key));
  ASSERT_TRUE(copy);
  ASSERT_EQ(EVP_PKEY_set_utf8_string_param(copy.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                           OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED),
            1);
  const Bytes compressed = spki_der(copy.get());
  ASSERT_NE(compressed, uncompressed);
  auto a = key_fingerprint(uncompressed);
  auto b = key_fingerprint(compressed);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*a, sha256(uncompressed));
  // A certificate's key as OpenSSL holds it, in either form.
  for (EVP_PKEY* k : {key, copy.get()}) {
    X509_PUBKEY* pub = nullptr;
    ASSERT_EQ(X509_PUBKEY_set(&pub, k), 1);
    auto c = key_fingerprint(pub);
    X509_PUBKEY_free(pub);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(*c, *a);
  }
}

TEST(KeyFingerprint, RsaKeyUnderThePssOidHashesAsRsaEncryption) {
  EVP_PKEY* key = shared_key(KeyKind::rsa);
  const Bytes rsa = spki_der(key);
  SpkiParts parts;
  ASSERT_TRUE(split_subject_public_key_info(rsa, parts));
  // SEQUENCE { SEQUENCE { id-RSASSA-PSS }, BIT STRING (the same RSAPublicKey) }
  const Bytes pss_oid = testing::oid_content("1.2.840.113549.1.1.10");
  Bytes alg{0x30, static_cast<std::uint8_t>(pss_oid.size() + 2), 0x06, static_cast<std::uint8_t>(pss_oid.size())};
  alg.insert(alg.end(), pss_oid.begin(), pss_oid.end());
  Bytes bits{0x03, 0x82, static_cast<std::uint8_t>(parts.key.size() >> 8), static_cast<std::uint8_t>(parts.key.size())};
  bits.insert(bits.end(), parts.key.begin(), parts.key.end());
  const std::size_t body = alg.size() + bits.size();
  Bytes pss{0x30, 0x82, static_cast<std::uint8_t>(body >> 8), static_cast<std::uint8_t>(body)};
  pss.insert(pss.end(), alg.begin(), alg.end());
  pss.insert(pss.end(), bits.begin(), bits.end());
  const unsigned char* p = pss.data();
  EvpPkeyPtr decoded(d2i_PUBKEY(nullptr, &p, static_cast<long>(pss.size())));
  ASSERT_TRUE(decoded) << "OpenSSL should read an unrestricted RSA-PSS key";
  auto a = key_fingerprint(rsa);
  auto b = key_fingerprint(pss);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*a, sha256(rsa));
}

TEST(KeyFingerprint, UndecodableKeyOfAKnownAlgorithmIsMalformed) {
  // SEQUENCE { SEQUENCE { rsaEncryption, NULL }, BIT STRING { 00 01 02 03 } }
  const Bytes rsa_oid = testing::oid_content("1.2.840.113549.1.1.1");
  Bytes alg{0x30, static_cast<std::uint8_t>(rsa_oid.size() + 4), 0x06, static_cast<std::uint8_t>(rsa_oid.size())};
  alg.insert(alg.end(), rsa_oid.begin(), rsa_oid.end());
  alg.insert(alg.end(), {0x05, 0x00});
  Bytes spki{0x30, static_cast<std::uint8_t>(alg.size() + 6)};
  spki.insert(spki.end(), alg.begin(), alg.end());
  spki.insert(spki.end(), {0x03, 0x04, 0x00, 0x01, 0x02, 0x03});
  auto fp = key_fingerprint(spki);
  ASSERT_FALSE(fp.ok());
  EXPECT_EQ(fp.error().code, "csr_malformed");
  auto junk = key_fingerprint(Bytes{0x04, 0x00});
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.error().code, "csr_malformed");
}

}  // namespace
}  // namespace trustmon::pki
