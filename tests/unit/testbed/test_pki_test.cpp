// The test bed's PKI: made once in its folder, loaded the same afterwards, every CN marked
// TEST, the issuing CAs chained to the root, keys private to the owner.
#include "responder/testbed/test_pki.hpp"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <filesystem>

#include "tests/support/scratch_dir.hpp"

namespace trustmon::testbed {
namespace {

constexpr UnixTime kNow = 1796000000;

std::string cn_of(const X509* cert) {
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
  return buf;
}

bool issued_by(X509* cert, X509* issuer) { return X509_verify(cert, X509_get0_pubkey(issuer)) == 1; }

TEST(TestPki, MadeOnceAndLoadedTheSame) {
  testing::ScratchDir dir;
  const std::string folder = dir.path() + "/testbed";
  auto made = TestPki::open(folder, kNow);
  ASSERT_TRUE(made.ok()) << made.error().message;
  ASSERT_EQ(made->cas().size(), 2U);
  EXPECT_EQ(made->cas()[0].name, "test-ecdsa");
  EXPECT_EQ(made->cas()[1].algorithm, pki::KeyAlgorithm::rsa_2048);
  EXPECT_FALSE(std::filesystem::exists(folder + ".building"));
  for (const X509* c : {made->root().cert.get(), made->cas()[0].ca.cert.get(), made->cas()[1].ca.cert.get(),
                        made->tsa().cert.get(), made->tl_signer().cert.get(), made->untrusted().cert.get()})
    EXPECT_EQ(cn_of(c).rfind("TEST ", 0), 0U) << cn_of(c);
  for (const auto& ca : made->cas()) {
    EXPECT_TRUE(issued_by(ca.ca.cert.get(), made->root().cert.get()));
    EXPECT_TRUE(issued_by(ca.responder.cert.get(), ca.ca.cert.get()));
    EXPECT_NE(X509_get_extended_key_usage(ca.responder.cert.get()) & XKU_OCSP_SIGN, 0U);
  }
  EXPECT_NE(X509_get_extended_key_usage(made->tsa().cert.get()) & XKU_TIMESTAMP, 0U);
  struct stat st {};
  ASSERT_EQ(::stat(made->cas()[0].ca.key_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);

  // A second start loads what the first made.
  auto loaded = TestPki::open(folder, kNow + 86400);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(X509_cmp(loaded->cas()[1].ca.cert.get(), made->cas()[1].ca.cert.get()), 0);
  EXPECT_EQ(EVP_PKEY_eq(loaded->tsa().key.get(), made->tsa().key.get()), 1);

  const auto configs = loaded->issuer_configs();
  ASSERT_EQ(configs.size(), 2U);
  EXPECT_TRUE(configs[0].test);
  EXPECT_EQ(configs[0].crl_key, loaded->cas()[0].ca.key_path);  // CRLs signed here
}

TEST(TestPki, AMissingFileIsAClearError) {
  testing::ScratchDir dir;
  const std::string folder = dir.path() + "/testbed";
  ASSERT_TRUE(TestPki::open(folder, kNow).ok());
  std::filesystem::remove(folder + "/test-rsa/ocsp.key");
  auto broken = TestPki::open(folder, kNow);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, "testbed_unreadable");
}

}  // namespace
}  // namespace trustmon::testbed
