#include "responder/login/proof.hpp"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tests/support/test_pki.hpp"

namespace trustmon::login {
namespace {

TEST(Proof, RawEcdsaInDerOrRsAndRsaPkcs1Verify) {
  const Bytes data{'h', 'e', 'l', 'l', 'o'};
  for (bool ec : {true, false}) {
    EvpPkeyPtr key = testing::generate_key(ec ? testing::KeyType::p256 : testing::KeyType::rsa2048);
    testing::CertOptions o;
    o.common_name = "signer";
    X509Ptr cert = testing::issue_cert(o, key.get(), nullptr, key.get());
    Proof p;
    p.certificate = x509_der(cert.get());
    p.algorithm = ec ? "ecdsa-sha256" : "rsa-pkcs1-sha256";
    p.signature = testing::sign_sha256(key.get(), data);
    auto ok = verify_proof(p, data);
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(ok->der, p.certificate);
    if (ec) {
      p.signature = testing::ecdsa_p1363(p.signature);
      EXPECT_TRUE(verify_proof(p, data).ok());
    }
    const Bytes other{'h', 'e', 'l', 'l', 'O'};
    auto bad = verify_proof(p, other);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, "signature_invalid");
    p.algorithm = ec ? "rsa-pkcs1-sha256" : "ecdsa-sha256";  // does not fit the key
    EXPECT_EQ(verify_proof(p, data).error().code, "signature_malformed");
  }
}

TEST(Proof, MalformedProofsAreRefusedWithoutACrash) {
  Proof p;
  EXPECT_EQ(verify_proof(p, Bytes{1}).error().code, "signature_malformed");
  p.certificate = Bytes{0x30, 0x03, 0x02, 0x01, 0x01};
  p.signature = Bytes{1, 2, 3};
  p.algorithm = "ecdsa-sha256";
  EXPECT_EQ(verify_proof(p, Bytes{1}).error().code, "signature_malformed");
  Proof cms;
  cms.cms = Bytes{0x30, 0x80, 0x00};
  EXPECT_EQ(verify_proof(cms, Bytes{1}).error().code, "cms_malformed");
  Proof big;
  big.cms = Bytes(kMaxProofBytes + 1, 0x30);
  EXPECT_EQ(verify_proof(big, Bytes{1}).error().code, "signature_malformed");
}

}  // namespace
}  // namespace trustmon::login
