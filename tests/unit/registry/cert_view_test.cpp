// The DER walk and the fast verifier agree with OpenSSL's d2i_X509 / X509_verify.
#include <gtest/gtest.h>

#include "responder/registry/cert_view.hpp"
#include "tests/unit/ocsp/test_pki.hpp"

namespace trustmon::registry {
namespace {

using testing::KeyType;

TEST(CertView, FieldsMatchOpenSsl) {
  const auto& pki = testing::shared_test_pki();
  const Bytes der = x509_der(pki.leaves_rsa[0].cert.get());
  auto v = parse_cert_view(der);
  ASSERT_TRUE(v);
  EXPECT_EQ(view_serial(*v), pki.leaves_rsa[0].serial);
  auto subject = decode_name(v->subject);
  auto issuer = decode_name(v->issuer);
  ASSERT_TRUE(subject && issuer);
  EXPECT_EQ(X509_NAME_cmp(subject.get(), X509_get_subject_name(pki.leaves_rsa[0].cert.get())), 0);
  EXPECT_EQ(X509_NAME_cmp(issuer.get(), X509_get_subject_name(pki.ca_rsa.get())), 0);
  auto ext = decode_extensions(v->extensions);
  ASSERT_TRUE(ext);
  EXPECT_EQ(sk_X509_EXTENSION_num(ext.get()), X509_get_ext_count(pki.leaves_rsa[0].cert.get()));
  // Truncated or extended DER is refused.
  EXPECT_FALSE(parse_cert_view(ByteView(der).first(der.size() - 1)));
  Bytes longer = der;
  longer.push_back(0);
  EXPECT_FALSE(parse_cert_view(longer));
}

TEST(CertView, VerificationAgreesWithX509Verify) {
  const auto& pki = testing::shared_test_pki();
  for (KeyType type : {KeyType::p256, KeyType::rsa2048, KeyType::ed25519}) {
    auto ca_key = testing::generate_key(type);
    testing::CertOptions ca_opts;
    ca_opts.common_name = "CA";
    ca_opts.ca = true;
    X509Ptr ca = testing::issue_cert(ca_opts, ca_key.get(), nullptr, nullptr);
    auto leaf_key = testing::generate_key(KeyType::p256);
    testing::CertOptions leaf_opts;
    leaf_opts.common_name = "leaf";
    X509Ptr leaf = testing::issue_cert(leaf_opts, leaf_key.get(), ca.get(), ca_key.get());
    Bytes der = x509_der(leaf.get());
    auto v = parse_cert_view(der);
    ASSERT_TRUE(v);
    EXPECT_EQ(verify_signature(der, *v, X509_get0_pubkey(ca.get())), SignatureCheck::valid);
    // Another CA's key, and one flipped bit in the signed part, do not verify.
    EXPECT_EQ(verify_signature(der, *v, X509_get0_pubkey(pki.ca_ec.get())), SignatureCheck::invalid);
    Bytes tampered = der;
    tampered[v->tbs.data() - der.data() + v->tbs.size() - 5] ^= 1;
    auto tv = parse_cert_view(tampered);
    ASSERT_TRUE(tv);
    EXPECT_EQ(verify_signature(tampered, *tv, X509_get0_pubkey(ca.get())), SignatureCheck::invalid);
    EXPECT_EQ(verify_signature(der, *v, nullptr), SignatureCheck::unverifiable);
    ossl_errors();
  }
}

}  // namespace
}  // namespace trustmon::registry
