// Signer and checker against the real tools: produced lists validate with xmllint
// (--nonet) against the vendored ETSI schemas, signatures verify with xmlsec1 with the
// signer pinned and fail after a one-character change; the checker agrees, refuses
// tampered and schema-invalid lists and other signers, and accepts the real TL-UA.
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/tsl/test_material.hpp"
#include "tsl/checker.hpp"
#include "tsl/signer.hpp"
#include "tsl/xml_reader.hpp"
#include "tsl/xml_writer.hpp"

namespace trustmon::tsl {
namespace {

using testing::KeyKind;

const std::string kSchemaDir = std::string(TRUSTMON_SOURCE_DIR) + "/tsl/schemas";

const TlChecker& checker() {
  static const TlChecker c = [] {
    auto r = TlChecker::create(kSchemaDir);
    if (!r) ADD_FAILURE() << r.error().message;
    return std::move(r).value();
  }();
  return c;
}

std::string sign_list(const TrustedList& list, const testing::TestSigner& s, int version) {
  auto signer = TlSigner::create(EvpPkeyPtr(EVP_PKEY_dup(s.key.get())), X509Ptr(X509_dup(s.cert.get())));
  EXPECT_TRUE(signer.ok()) << signer.error().message;
  WriteOptions w;
  w.version = version;
  auto doc = build_document(list, w);
  EXPECT_TRUE(doc.ok()) << doc.error().message;
  auto st = signer->sign(doc->get(), version, 1795000000);
  EXPECT_TRUE(st.ok()) << st.error().message;
  auto xml = serialize_xml(doc->get());
  EXPECT_TRUE(xml.ok());
  return *xml;
}

std::string xmllint(const std::string& schema, const std::string& file) {
  return "xmllint --nonet --noout --schema " + kSchemaDir + "/" + schema + " " + file;
}

std::string xmlsec_verify(const std::string& pem, const std::string& file) {
  // --pubkey-cert-pem pins the key; key-name keeps xmlsec1 from using the KeyInfo
  // certificate (which would need a trust chain); only same-document references.
  return "xmlsec1 --verify --pubkey-cert-pem " + pem +
         " --enabled-key-data key-name --enabled-reference-uris empty,same-doc " + file;
}

struct Case {
  KeyKind kind;
  int version;
};

class SignedList : public ::testing::TestWithParam<Case> {};

TEST_P(SignedList, ValidatesAndVerifiesWithTheRealToolsAndTheChecker) {
  const Case c = GetParam();
  testing::ScratchDir dir;
  const std::string log = dir.file("tools.log");
  auto signer = testing::make_signer(c.kind);
  ASSERT_TRUE(write_file(dir.file("signer.pem"), testing::cert_pem(signer.cert.get())).ok());
  const std::string xml = sign_list(testing::make_list(3, 7), signer, c.version);
  ASSERT_TRUE(write_file(dir.file("tl.xml"), xml).ok());

  const std::string schema = c.version == 6 ? "tl-v6-all.xsd" : "tl-v5-all.xsd";
  EXPECT_EQ(testing::run(xmllint(schema, dir.file("tl.xml")), log), 0) << testing::slurp(log);
  EXPECT_EQ(testing::run(xmlsec_verify(dir.file("signer.pem"), dir.file("tl.xml")), log), 0) << testing::slurp(log);
  auto ok = checker().check(xml, signer.cert.get());
  EXPECT_TRUE(ok.ok()) << ok.error().code << ": " << ok.error().message;
  EXPECT_NE(xml.find(c.version == 6 ? "SigningCertificateV2" : "<xades:SigningCertificate>"), std::string::npos);
  EXPECT_NE(xml.find(c.kind == KeyKind::ec ? "xmldsig-more#ecdsa-sha256" : "xmldsig-more#rsa-sha256"), std::string::npos);
  EXPECT_NE(xml.find("Type=\"http://uri.etsi.org/01903#SignedProperties\""), std::string::npos);
  EXPECT_EQ(xml.find("type=\"http://uri.etsi.org/TrstSvc/Svctype/Certstatus/OCSP/QC\"") != std::string::npos,
            c.version == 6);

  // One character of the content changed: the real tool and the checker both refuse.
  std::string tampered = xml;
  const auto at = tampered.find("Provider 1<");
  ASSERT_NE(at, std::string::npos);
  tampered[at] = 'p';
  ASSERT_TRUE(write_file(dir.file("tampered.xml"), tampered).ok());
  EXPECT_NE(testing::run(xmlsec_verify(dir.file("signer.pem"), dir.file("tampered.xml")), log), 0);
  auto bad = checker().check(tampered, signer.cert.get());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "tl_signature_invalid");

  // Another signer is refused by both.
  auto other = testing::make_signer(c.kind);
  ASSERT_TRUE(write_file(dir.file("other.pem"), testing::cert_pem(other.cert.get())).ok());
  EXPECT_NE(testing::run(xmlsec_verify(dir.file("other.pem"), dir.file("tl.xml")), log), 0);
  auto wrong = checker().check(xml, other.cert.get());
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, "tl_signature_invalid");
}

INSTANTIATE_TEST_SUITE_P(KeysAndVersions, SignedList,
                         ::testing::Values(Case{KeyKind::rsa, 6}, Case{KeyKind::ec, 6}, Case{KeyKind::rsa, 5},
                                           Case{KeyKind::ec, 5}),
                         [](const auto& param_info) {
                           return std::string(param_info.param.kind == KeyKind::rsa ? "rsa" : "ec") + "_v" +
                                  std::to_string(param_info.param.version);
                         });

TEST(Checker, RefusesASchemaInvalidListWithAGoodSignature) {
  auto signer = testing::make_signer(KeyKind::ec);
  TrustedList list = testing::make_list(1, 1);
  list.providers[0].services[0].status = "";  // NonEmptyURIType
  const std::string xml = sign_list(list, signer, 6);
  auto r = checker().check(xml, signer.cert.get());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "tl_schema_invalid");
  EXPECT_NE(r.error().message.find("ServiceStatus"), std::string::npos) << r.error().message;
}

TEST(Checker, RefusesAnUnsignedList) {
  auto xml = write_trusted_list(testing::make_list(1, 1));
  ASSERT_TRUE(xml.ok());
  auto signer = testing::make_signer(KeyKind::ec);
  auto r = checker().check(*xml, signer.cert.get());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "tl_signature_missing");
}

TEST(Checker, Version5WithALongSerialPassesDespiteTheLibxml2IntegerLimit) {
  // 20-octet serial: 48 decimal digits in XAdES v1 IssuerSerial.
  auto signer = testing::make_signer(KeyKind::rsa, true, 20);
  const std::string xml = sign_list(testing::make_list(1, 2), signer, 5);
  auto r = checker().check(xml, signer.cert.get());
  EXPECT_TRUE(r.ok()) << r.error().message;
}

TEST(Checker, AcceptsTheRealUkrainianListWithItsSignerPinned) {
  auto bytes = read_file(std::string(TRUSTMON_SOURCE_DIR) + "/tests/data/tl-samples/tl-ua.xml");
  ASSERT_TRUE(bytes.ok());
  const auto b = bytes->find("<ds:X509Certificate>") + 20;
  const auto e = bytes->find("</ds:X509Certificate>");
  auto der = base64_decode_lenient(bytes->substr(b, e - b));
  ASSERT_TRUE(der.has_value());
  auto cert = x509_from_der(*der);
  ASSERT_TRUE(cert.ok());
  auto r = checker().check(*bytes, cert->get());
  EXPECT_TRUE(r.ok()) << r.error().code << ": " << r.error().message;

  auto other = testing::make_signer(KeyKind::rsa);
  EXPECT_FALSE(checker().check(*bytes, other.cert.get()).ok());
}

TEST(Signer, WarnsWhenTheCertificateLacksTheTslSigningEku) {
  auto with = testing::make_signer(KeyKind::ec, true);
  auto without = testing::make_signer(KeyKind::ec, false);
  auto a = TlSigner::create(std::move(with.key), std::move(with.cert));
  auto b = TlSigner::create(std::move(without.key), std::move(without.cert));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->warnings().empty());
  ASSERT_EQ(b->warnings().size(), 1u);
  EXPECT_NE(b->warnings()[0].find("0.4.0.2231.3.0"), std::string::npos);
}

TEST(Signer, RefusesAKeyThatDoesNotMatchTheCertificate) {
  auto s = testing::make_signer(KeyKind::ec);
  auto r = TlSigner::create(testing::make_key(KeyKind::ec), std::move(s.cert));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "tl_signer_invalid");
}

}  // namespace
}  // namespace trustmon::tsl
