#include "responder/login/proof.hpp"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tests/support/test_pki.hpp"

namespace trustmon::login {
namespace {

Bytes sign(EVP_PKEY* key, ByteView data) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EXPECT_EQ(EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key, nullptr), 1);
  std::size_t n = 0;
  EVP_DigestSign(ctx.get(), nullptr, &n, data.data(), data.size());
  Bytes sig(n);
  EXPECT_EQ(EVP_DigestSign(ctx.get(), sig.data(), &n, data.data(), data.size()), 1);
  sig.resize(n);
  return sig;
}

Bytes p1363(ByteView der) {
  const unsigned char* in = der.data();
  ECDSA_SIG* s = d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der.size()));
  Bytes out(64);
  BN_bn2binpad(ECDSA_SIG_get0_r(s), out.data(), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(s), out.data() + 32, 32);
  ECDSA_SIG_free(s);
  return out;
}

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
    p.signature = sign(key.get(), data);
    auto ok = verify_proof(p, data);
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(ok->der, p.certificate);
    if (ec) {
      p.signature = p1363(p.signature);
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
