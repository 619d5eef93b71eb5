// CMS SignedData verification (responder/pki/cms.hpp): encapsulated and detached content,
// DER and PEM, the signer and signingTime, and every refusal; the signer's status in
// trustmon's own certs table.
#include <gtest/gtest.h>

#include <openssl/cms.h>
#include <openssl/pem.h>

#include "responder/pki/cms.hpp"
#include "storage/records.hpp"
#include "storage/writer.hpp"
#include "tests/support/temp_env.hpp"
#include "tests/support/test_issuers.hpp"
#include "tests/support/test_pki.hpp"

namespace trustmon::pki {
namespace {

using testing::shared_test_pki;

struct Signer {
  EvpPkeyPtr key;
  X509Ptr cert;
  Bytes serial;
};

Signer make_signer(std::uint8_t serial, UnixTime not_before = 0, UnixTime not_after = 0, bool foreign = false) {
  const auto& pki = shared_test_pki();
  Signer s;
  s.key = testing::generate_key(testing::KeyType::p256);
  s.serial = {0x5E, serial};
  testing::CertOptions o;
  o.common_name = "Reporter";
  o.serial = s.serial;
  o.not_before = not_before;
  o.not_after = not_after;
  s.cert = foreign ? testing::issue_cert(o, s.key.get(), nullptr, s.key.get())
                   : testing::issue_cert(o, s.key.get(), pki.ca_ec.get(), pki.ca_ec_key.get());
  return s;
}

struct CmsDeleter {
  void operator()(CMS_ContentInfo* p) const noexcept { CMS_ContentInfo_free(p); }
};

// CMS_sign with the signer (and, when `second` is set, a second SignerInfo).
Bytes sign(const Signer& s, std::string_view content, unsigned flags = CMS_BINARY, const Signer* second = nullptr) {
  BioPtr in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  std::unique_ptr<CMS_ContentInfo, CmsDeleter> cms(
      CMS_sign(s.cert.get(), s.key.get(), nullptr, in.get(), flags | (second ? CMS_PARTIAL : 0u)));
  EXPECT_TRUE(cms);
  if (second) {
    EXPECT_TRUE(CMS_add1_signer(cms.get(), second->cert.get(), second->key.get(), nullptr, 0));
    BioPtr again(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
    EXPECT_EQ(CMS_final(cms.get(), again.get(), nullptr, flags), 1);
  }
  unsigned char* der = nullptr;
  const int n = i2d_CMS_ContentInfo(cms.get(), &der);
  Bytes out(der, der + n);
  OPENSSL_free(der);
  return out;
}

std::string pem_of(ByteView der, const char* label) {
  return "-----BEGIN " + std::string(label) + "-----\n" + base64_encode(der) + "\n-----END " + label + "-----\n";
}

ByteView view(std::string_view s) { return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

TEST(Cms, EncapsulatedContentVerifiesAndTellsTheSigner) {
  const Signer s = make_signer(1);
  const std::string content = R"({"schema":"trustmon.stats.v1"})";
  const Bytes der = sign(s, content);
  auto v = verify_cms(der);
  ASSERT_TRUE(v.ok()) << v.error().code << ": " << v.error().message;
  EXPECT_EQ(std::string(as_chars(v->content)), content);
  EXPECT_EQ(v->signer_der, x509_der(s.cert.get()));
  EXPECT_EQ(v->cms_der, der);
  EXPECT_TRUE(v->signing_time.has_value());  // CMS_sign adds signingTime
  // The same as PEM, under either label (a base64 body on one line is still PEM).
  std::string pem = pem_of(der, "CMS");
  EXPECT_TRUE(verify_cms(view(pem)).ok());
  pem = pem_of(der, "PKCS7");
  auto p = verify_cms(view(pem));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->cms_der, der);
}

TEST(Cms, DetachedContentIsGivenSeparately) {
  const Signer s = make_signer(2);
  const std::string content = "DATAFLOW,FREQ\r\n";
  const Bytes der = sign(s, content, CMS_BINARY | CMS_DETACHED);
  auto v = verify_cms(der, view(content));
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(std::string(as_chars(v->content)), content);
  auto missing = verify_cms(der);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "cms_malformed");
  auto other = verify_cms(der, view(std::string("DATAFLOW,FREQ\r\nX")));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, "signature_invalid");
  // Encapsulated content and a detached one as well: refused, not silently preferred.
  auto both = verify_cms(sign(s, content), view(content));
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.error().code, "cms_malformed");
}

TEST(Cms, TamperedContentAndMalformedInputsAreRefused) {
  const Signer s = make_signer(3);
  Bytes der = sign(s, R"({"value":5})");
  const std::string needle = R"("value":5)";
  auto at = std::search(der.begin(), der.end(), needle.begin(), needle.end());
  ASSERT_NE(at, der.end());
  *(at + 8) = '6';
  auto tampered = verify_cms(der);
  ASSERT_FALSE(tampered.ok());
  EXPECT_EQ(tampered.error().code, "signature_invalid");
  EXPECT_EQ(tampered.error().kind, ErrorKind::unprocessable);
  for (std::string_view junk : {std::string_view(""), std::string_view("not a CMS"),
                                std::string_view("-----BEGIN CMS-----\n!!!\n-----END CMS-----\n")}) {
    auto r = verify_cms(view(junk));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "cms_malformed") << junk;
    EXPECT_EQ(r.error().kind, ErrorKind::invalid);
  }
  // A certificate is DER but not a CMS.
  auto cert = verify_cms(x509_der(s.cert.get()));
  ASSERT_FALSE(cert.ok());
  EXPECT_EQ(cert.error().code, "cms_malformed");
  // Trailing bytes after the ContentInfo.
  Bytes longer = sign(s, "x");
  longer.push_back(0);
  EXPECT_EQ(verify_cms(longer).error().code, "cms_malformed");
  // Two signers, or no signer certificate inside: refused.
  const Signer t = make_signer(4);
  auto two = verify_cms(sign(s, "x", CMS_BINARY, &t));
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.error().code, "cms_malformed");
  auto nocert = verify_cms(sign(s, "x", CMS_BINARY | CMS_NOCERTS));
  ASSERT_FALSE(nocert.ok());
  EXPECT_EQ(nocert.error().code, "cms_malformed");
  // Over the cap.
  EXPECT_EQ(verify_cms(Bytes(kMaxCmsBytes + 1, 0x30)).error().code, "cms_too_large");
}

TEST(Cms, TheSignerMustBeGoodInTrustmonsOwnStatusData) {
  storage::testing::TempDir dir;
  auto env = storage::testing::open_env(dir.path());
  ASSERT_TRUE(env);
  storage::Writer writer(*env);
  writer.start();
  const IssuerSet& issuers = testing::shared_issuers();
  const UnixTime now = SystemClock::instance().now();
  const Signer good = make_signer(10), revoked = make_signer(11), held = make_signer(12), unknown = make_signer(13);
  const Signer expired = make_signer(14, now - 400 * 86400, now - 30 * 86400);
  const Signer foreign = make_signer(15, 0, 0, true);
  const auto put = [&](const Signer& s, storage::CertStatus status, int reason) {
    storage::CertRecord r;
    r.status = status;
    r.reason = reason;
    r.revocation_time = status == storage::CertStatus::revoked ? now - 60 : 0;
    ASSERT_TRUE(writer
                    .run_sync([&](storage::WriteTxn& txn) -> Status {
                      return txn.put(storage::Table::certs, storage::encode_cert_key(testing::kEcIssuer, s.serial),
                                     storage::encode_cert(r));
                    })
                    .ok());
  };
  put(good, storage::CertStatus::good, storage::kNoReason);
  put(revoked, storage::CertStatus::revoked, 1);
  put(held, storage::CertStatus::revoked, 6);
  put(expired, storage::CertStatus::good, storage::kNoReason);
  writer.stop();
  auto txn = storage::ReadTxn::begin(*env);
  storage::ReadScope scope(*txn);
  const auto code = [&](const Signer& s) {
    auto r = check_signer(*txn, issuers, s.cert.get(), now);
    return r.ok() ? std::string("ok") : r.error().code;
  };
  auto ok = check_signer(*txn, issuers, good.cert.get(), now);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ((*ok)->id, testing::kEcIssuer);
  EXPECT_EQ(code(revoked), "certificate_revoked");
  EXPECT_EQ(code(held), "certificate_held");
  EXPECT_EQ(code(unknown), "certificate_unknown");
  EXPECT_EQ(code(expired), "certificate_expired");
  EXPECT_EQ(code(foreign), "untrusted_issuer");
  auto refused = check_signer(*txn, issuers, revoked.cert.get(), now);
  EXPECT_EQ(refused.error().kind, ErrorKind::forbidden);
}

}  // namespace
}  // namespace trustmon::pki
