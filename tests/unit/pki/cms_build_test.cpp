// CMS SignedData made in two steps (responder/pki/cms_build.hpp): the signed attributes a
// key store signs, then the SignedData around that signature — verified by verify_cms and
// OpenSSL's own CMS_verify, for EC (DER and r||s signatures) and RSA keys.
#include <gtest/gtest.h>

#include <openssl/cms.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "responder/pki/cms.hpp"
#include "responder/pki/cms_build.hpp"
#include "tests/support/test_pki.hpp"

namespace trustmon::pki {
namespace {

constexpr UnixTime kSigningTime = 1796000000;

using testing::sign_sha256;

struct Made {
  EvpPkeyPtr key;
  X509Ptr cert;
};

Made signer(testing::KeyType type) {
  Made m;
  m.key = testing::generate_key(type);
  testing::CertOptions o;
  o.common_name = "Head";
  m.cert = testing::issue_cert(o, m.key.get(), nullptr, m.key.get());
  return m;
}

// OpenSSL's own verification of `der` (no chain), returning the content.
std::optional<std::string> openssl_verifies(ByteView der) {
  const unsigned char* p = der.data();
  std::unique_ptr<CMS_ContentInfo, decltype(&CMS_ContentInfo_free)> cms(
      d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())), CMS_ContentInfo_free);
  if (!cms) return std::nullopt;
  BioPtr out(BIO_new(BIO_s_mem()));
  if (CMS_verify(cms.get(), nullptr, nullptr, nullptr, out.get(), CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
    ossl_errors();
    return std::nullopt;
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

TEST(CmsBuild, AnEcSignatureOverTheAttributesMakesASignedDataBothVerifiersAccept) {
  const Made m = signer(testing::KeyType::p256);
  const std::string doc = R"({"kinds":["join"]})";
  const Bytes attrs = cms_signed_attributes(as_bytes(doc), kSigningTime);
  ASSERT_EQ(attrs[0], 0x31);
  for (bool raw : {false, true}) {
    Bytes sig = sign_sha256(m.key.get(), attrs);
    if (raw) sig = testing::ecdsa_p1363(sig);  // some key stores answer r||s
    auto der = cms_assemble(as_bytes(doc), attrs, m.cert.get(), sig);
    ASSERT_TRUE(der) << der.error().message;
    auto ours = verify_cms(*der);
    ASSERT_TRUE(ours) << ours.error().message;
    EXPECT_EQ(std::string(ours->content.begin(), ours->content.end()), doc);
    EXPECT_EQ(ours->signing_time, kSigningTime);
    EXPECT_EQ(X509_cmp(ours->signer.get(), m.cert.get()), 0);
    EXPECT_EQ(openssl_verifies(*der), doc);
  }
}

TEST(CmsBuild, AnRsaSignatureWorksAndAnythingElseIsRefusedOrFailsVerification) {
  const Made m = signer(testing::KeyType::rsa2048);
  const std::string doc = "document";
  const Bytes attrs = cms_signed_attributes(as_bytes(doc), kSigningTime);
  auto der = cms_assemble(as_bytes(doc), attrs, m.cert.get(), sign_sha256(m.key.get(), attrs));
  ASSERT_TRUE(der);
  EXPECT_EQ(openssl_verifies(*der), doc);
  // The attributes of another document: the messageDigest does not match.
  const Bytes other = cms_signed_attributes(as_bytes(std::string("other")), kSigningTime);
  auto wrong = cms_assemble(as_bytes(doc), other, m.cert.get(), sign_sha256(m.key.get(), other));
  ASSERT_TRUE(wrong);
  EXPECT_EQ(verify_cms(*wrong).error().code, "signature_invalid");
  // A signature over something else.
  auto forged = cms_assemble(as_bytes(doc), attrs, m.cert.get(), sign_sha256(m.key.get(), as_bytes(doc)));
  ASSERT_TRUE(forged);
  EXPECT_EQ(verify_cms(*forged).error().code, "signature_invalid");
  // An Ed25519 certificate is not a key this path signs with.
  const Made ed = signer(testing::KeyType::ed25519);
  EXPECT_EQ(cms_assemble(as_bytes(doc), attrs, ed.cert.get(), Bytes(64)).error().code, "signature_malformed");
}

}  // namespace
}  // namespace trustmon::pki
