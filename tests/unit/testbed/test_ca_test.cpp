// Test certificates: the request's checks, each profile's names and extensions, each
// scenario's effect, the deterministic identities, a CSR's key used as it is.
#include "responder/testbed/test_ca.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <nlohmann/json.hpp>

#include "tests/support/scratch_dir.hpp"

namespace trustmon::testbed {
namespace {

using nlohmann::json;
constexpr UnixTime kNow = 1796000000;

const TestPki& shared_pki() {
  static testing::ScratchDir dir;
  static const TestPki pki = [] {
    auto p = TestPki::open(dir.path() + "/testbed", kNow);
    if (!p) throw std::runtime_error(p.error().message);
    return std::move(*p);
  }();
  return pki;
}

json natural(const std::string& rnokpp = "1234567890") {
  return {{"ca", "test-ecdsa"}, {"ids", {{"rnokpp", rnokpp}}}, {"key", {{"generate", "ec-p256"}}}};
}

std::string code_of(const json& body) {
  auto r = parse_issue_request(body, kNow);
  return r.ok() ? std::string() : r.error().code + ": " + r.error().message;
}

X509Ptr decode(const IssuedCert& c) {
  const unsigned char* p = c.der.data();
  return X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(c.der.size())));
}

std::string text_of(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_print_ex(bio.get(), cert, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB, 0);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

IssueResult issue_json(const json& body) {
  auto request = parse_issue_request(body, kNow);
  EXPECT_TRUE(request.ok()) << request.error().message;
  auto made = issue(shared_pki(), *request, kNow, "http://127.0.0.1:8080");
  EXPECT_TRUE(made.ok()) << made.error().message;
  return std::move(*made);
}

TEST(TestCa, RequestsAreChecked) {
  EXPECT_EQ(code_of(natural()), "");
  EXPECT_EQ(code_of(json::array()).substr(0, 15), "request_invalid");
  EXPECT_EQ(code_of({{"ids", {{"rnokpp", "1234567890"}}}, {"key", {{"generate", "ec-p256"}}}}).substr(0, 15),
            "request_invalid");  // no ca
  EXPECT_EQ(code_of(natural("12345")).substr(0, 15), "request_invalid");
  json seal = natural();
  seal["profile"] = "ua-qseal";
  EXPECT_EQ(code_of(seal).substr(0, 15), "request_invalid");  // a seal has an EDRPOU, not an RNOKPP
  json bad_key = natural();
  bad_key["key"] = {{"generate", "dsa-1024"}};
  EXPECT_EQ(code_of(bad_key).substr(0, 15), "request_invalid");
  json bad_csr = natural();
  bad_csr["key"] = {{"csr", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"}};
  EXPECT_EQ(code_of(bad_csr).substr(0, 13), "csr_malformed");
  json scenario = natural();
  scenario["scenario"] = "explode";
  EXPECT_EQ(code_of(scenario).substr(0, 15), "request_invalid");
  json future = natural();
  future["revocation"] = {{"time", "2099-01-01T00:00:00Z"}};
  EXPECT_EQ(code_of(future).substr(0, 15), "request_invalid");
  json long_name = natural();
  long_name["subject"] = {{"cn", std::string(65, 'x')}};
  EXPECT_EQ(code_of(long_name).substr(0, 15), "request_invalid");
  json dup_csr = natural();
  dup_csr["scenario"] = "duplicate_key";
  dup_csr["key"] = {{"csr", "x"}};
  EXPECT_NE(code_of(dup_csr), "");
}

TEST(TestCa, ProfilesCarryTheUkrainianNamesAndExtensions) {
  const IssueResult seal = issue_json({{"ca", "test-rsa"},
                                       {"profile", "ua-qseal"},
                                       {"ids", {{"edrpou", "12345678"}}},
                                       {"subject", {{"o", "ТОВ Тест"}}},
                                       {"key", {{"generate", "ec-p256"}}}});
  X509Ptr cert = decode(seal.certificate);
  ASSERT_TRUE(cert);
  const std::string text = text_of(cert.get());
  EXPECT_NE(text.find("organizationIdentifier = NTRUA-12345678"), std::string::npos) << text;
  EXPECT_EQ(text.find("TINUA-"), std::string::npos);
  EXPECT_NE(text.find("qcStatements"), std::string::npos);
  EXPECT_NE(text.find("1.2.804.2.1.1.1.2.2"), std::string::npos);
  EXPECT_NE(text.find(kTestPolicyOid), std::string::npos);
  EXPECT_NE(text.find("URI:http://127.0.0.1:8080/crl/test-rsa.crl"), std::string::npos);
  EXPECT_NE(text.find("OCSP - URI:http://127.0.0.1:8080/ocsp"), std::string::npos);
  // Signed by its test CA, chain CA then root, key returned once.
  EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(shared_pki().cas()[1].ca.cert.get())), 1);
  ASSERT_EQ(seal.chain_pem.size(), 2U);
  EXPECT_FALSE(seal.private_key_pem.empty());
  // QcType eseal (0.4.0.1862.1.6.2) for a seal, esign (.6.1) for a person.
  const ASN1_OCTET_STRING* qc = nullptr;
  for (int i = 0; i < X509_get_ext_count(cert.get()); ++i) {
    X509_EXTENSION* e = X509_get_ext(cert.get(), i);
    char oid[64];
    OBJ_obj2txt(oid, sizeof oid, X509_EXTENSION_get_object(e), 1);
    if (std::string(oid) == "1.3.6.1.5.5.7.1.3") qc = X509_EXTENSION_get_data(e);
  }
  ASSERT_NE(qc, nullptr);
  const std::string qc_bytes(reinterpret_cast<const char*>(ASN1_STRING_get0_data(qc)),
                             static_cast<std::size_t>(ASN1_STRING_length(qc)));
  const std::string eseal_oid = "\x06\x07\x04\x00\x8e\x46\x01\x06\x02";
  EXPECT_NE(qc_bytes.find(eseal_oid), std::string::npos);
}

TEST(TestCa, ScenariosShapeTheCertificate) {
  json expired = natural();
  expired["scenario"] = "expired";
  EXPECT_LT(issue_json(expired).certificate.not_after, kNow);
  json later = natural();
  later["scenario"] = "not_yet_valid";
  EXPECT_GT(issue_json(later).certificate.not_before, kNow);
  json no_qc = natural();
  no_qc["scenario"] = "no_qcstatements";
  X509Ptr plain = decode(issue_json(no_qc).certificate);
  EXPECT_EQ(text_of(plain.get()).find("qcStatements"), std::string::npos);
  json wrong = natural();
  wrong["scenario"] = "wrong_key_usage";
  X509Ptr wku = decode(issue_json(wrong).certificate);
  EXPECT_EQ(X509_get_key_usage(wku.get()) & KU_DIGITAL_SIGNATURE, 0U);
  json dup = natural();
  dup["scenario"] = "duplicate_key";
  const IssueResult twice = issue_json(dup);
  ASSERT_TRUE(twice.first.has_value());
  X509Ptr first = decode(*twice.first);
  X509Ptr second = decode(twice.certificate);
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(first.get()), X509_get0_pubkey(second.get())), 1);
  EXPECT_NE(twice.first->serial_hex, twice.certificate.serial_hex);
  json untrusted = natural();
  untrusted["scenario"] = "untrusted_issuer";
  const IssueResult u = issue_json(untrusted);
  EXPECT_FALSE(u.store);
  X509Ptr stranger = decode(u.certificate);
  EXPECT_EQ(X509_verify(stranger.get(), X509_get0_pubkey(shared_pki().untrusted().cert.get())), 1);
}

TEST(TestCa, IdentitiesDecideTheScenario) {
  const json table = identities_json();
  EXPECT_EQ(table["version"], kIdentitiesVersion);
  ASSERT_EQ(table["identities"].size(), identities().size());
  for (const Identity& i : identities()) {
    auto r = parse_issue_request(natural(i.rnokpp), kNow);
    if (i.scenario == Scenario::duplicate_key || r.ok()) {
      ASSERT_TRUE(r.ok()) << r.error().message;
      EXPECT_EQ(r->scenario, i.scenario) << i.rnokpp;
    }
    json other = natural(i.rnokpp);
    other["scenario"] = i.scenario == Scenario::valid ? "revoked" : "valid";
    auto conflict = parse_issue_request(other, kNow);
    ASSERT_FALSE(conflict.ok());
    EXPECT_EQ(conflict.error().code, "identity_scenario_conflict");
  }
}

TEST(TestCa, ACsrKeyIsCertifiedAsItIs) {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  X509ReqPtr req(X509_REQ_new());
  X509_REQ_set_pubkey(req.get(), key.get());
  ASSERT_GT(X509_REQ_sign(req.get(), key.get(), EVP_sha256()), 0);
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), req.get());
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  json body = natural();
  body["key"] = {{"csr", std::string(data, static_cast<std::size_t>(n))}};
  const IssueResult made = issue_json(body);
  EXPECT_TRUE(made.private_key_pem.empty());
  X509Ptr cert = decode(made.certificate);
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(cert.get()), key.get()), 1);
}

}  // namespace
}  // namespace trustmon::testbed
