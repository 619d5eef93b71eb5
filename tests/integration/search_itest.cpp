// Certificate monitoring through the real daemon: a real-shaped Ukrainian certificate
// (TINUA / NTRUA subject, SAN, the SubjectDirectoryAttributes extension with a DRFO
// code) made with the openssl CLI, ingested by its provider, found by each attribute,
// filtered by status over time, fetched as JSON and DER, and revoked through a CRL upload.
#include <gtest/gtest.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/ossl.hpp"
#include "common/time.hpp"
#include "tests/integration/daemon.hpp"
#include "tests/unit/registry/ua_certs.hpp"

namespace trustmon::itest {
namespace {

using nlohmann::json;

// SubjectDirectoryAttributes: SEQUENCE { Attribute { 1.2.804.2.1.1.1.11.1.4.1.1 (DRFO),
// SET { PrintableString "1234567890" } } }.
constexpr const char* kSdaDrfo = "301E301C060C2A8624020101010B01040101310C130A31323334353637383930";

class SearchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = make_temp_dir("trustmon-search");
    daemon_ = new Daemon();
    daemon_->start();
    bootstrap_ = daemon_->token();
    auto add = [](const std::string& args) {
      auto r = sh(daemon_->ctl() + " " + args + " 2>/dev/null");
      EXPECT_EQ(r.exit_code, 0) << r.out;
      return json::parse(r.out, nullptr, false).value("id", 0U);
    };
    const std::uint32_t qtsp = add("participant add --kind qtsp --name 'QTSP' --code 20000001");
    const std::uint32_t owner = add("participant add --kind system_owner --name 'Bank' --code 20000002");
    sh(daemon_->ctl() + " participant issuer-add " + std::to_string(qtsp) + " demo-ec");
    auto token = [&add](std::uint32_t p, const char* role) {
      const std::uint32_t rep = add("representative add " + std::to_string(p) + " --name x --role " + role);
      auto r = sh(daemon_->ctl() + " token issue " + std::to_string(rep) + " 2>/dev/null");
      return json::parse(r.out, nullptr, false).value("token", std::string());
    };
    operator_ = token(qtsp, "operator");
    watcher_ = token(owner, "viewer");

    // The certificate, issued by the demo EC CA.
    const DemoPki& pki = demo_pki();
    std::ofstream(dir_ + "/ext.cnf") << "subjectAltName = email:Ivan.Petrenko@Example.UA, DNS:ivan.example.ua\n"
                                     << "2.5.29.9 = DER:" << kSdaDrfo << "\n";
    auto r = sh("cd " + q(dir_) +
                " && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -utf8 -keyout ua.key -out ua.csr"
                " -subj '/CN=Іван Петренко/O=ТОВ Приклад/serialNumber=TINUA-1234567890/"
                "organizationIdentifier=NTRUA-12345678' 2>&1"
                " && openssl x509 -req -in ua.csr -CA " + q(pki.ca("demo-ec")) + " -CAkey " +
                q(pki.dir + "/demo-ec/ca.key") + " -set_serial 0x7A7A01 -days 365 -extfile ext.cnf -out ua.pem 2>&1"
                " && openssl x509 -in ua.pem -outform DER -out ua.der && sha256sum ua.der");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    sha256_ = r.out.substr(r.out.rfind('\n', r.out.size() - 2) + 1, 64);
    issued_at_ = SystemClock::instance().now();  // not before the certificate's notBefore
    // Not found before it is ingested; then stored once, a duplicate the second time.
    EXPECT_EQ(get("/api/v1/certificates?serial_number=TINUA-1234567890", watcher_)["certificates"].size(), 0U);
    for (const char* expected : {"stored", "duplicate"}) {
      auto ingest = sh("curl -s -H " + q("Authorization: Bearer " + operator_) +
                       " -H 'Content-Type: application/x-pem-file' --data-binary @" + q(dir_ + "/ua.pem") + " " +
                       q(daemon_->url() + "/api/v1/certificates"));
      json j = json::parse(ingest.out, nullptr, false);
      ASSERT_TRUE(j.is_object()) << ingest.out;
      EXPECT_EQ(j["results"][0]["status"], expected) << ingest.out;
    }
  }
  static void TearDownTestSuite() {
    daemon_->stop();
    delete daemon_;
  }
  static json get(const std::string& path, const std::string& token, int* status = nullptr) {
    const std::string out = make_temp_dir("trustmon-search-call") + "/body";
    auto r = sh("curl -s -o " + q(out) + " -w '%{http_code}' -H " + q("Authorization: Bearer " + token) + " " +
                q(daemon_->url() + path));
    if (status) *status = std::atoi(r.out.c_str());
    return json::parse(read_text(out), nullptr, false);
  }

  static Daemon* daemon_;
  static std::string dir_, bootstrap_, operator_, watcher_, sha256_;
  static UnixTime issued_at_;
};
UnixTime SearchTest::issued_at_ = 0;
Daemon* SearchTest::daemon_ = nullptr;
std::string SearchTest::dir_, SearchTest::bootstrap_, SearchTest::operator_, SearchTest::watcher_,
    SearchTest::sha256_;

TEST_F(SearchTest, FoundByEveryAttribute) {
  const std::pair<std::string, std::string> queries[] = {
      {"serial_number", "TINUA-1234567890"},
      {"organization_identifier", "NTRUA-12345678"},
      {"cn", "%D0%86%D0%B2%D0%B0%D0%BD%20%D0%9F%D0%B5%D1%82%D1%80%D0%B5%D0%BD%D0%BA%D0%BE"},  // Іван Петренко
      {"o", "%D0%A2%D0%9E%D0%92%20%D0%9F%D1%80%D0%B8%D0%BA%D0%BB%D0%B0%D0%B4"},                // ТОВ Приклад
      {"san_email", "ivan.petrenko%40example.ua"},
      {"san_dns", "IVAN.example.ua"},
      {"drfo", "1234567890"},
      {"sha256", sha256_},
      {"issuer_serial", "demo-ec:7A7A01"},
  };
  for (const auto& [kind, value] : queries) {
    SCOPED_TRACE(kind);
    int status = 0;
    json page = get("/api/v1/certificates?" + kind + "=" + value, watcher_, &status);
    ASSERT_EQ(status, 200) << page.dump();
    ASSERT_EQ(page["certificates"].size(), 1U) << page.dump();
    const json& c = page["certificates"][0];
    EXPECT_EQ(c["sha256"], sha256_);
    EXPECT_EQ(c["serial"], "7A7A01");
    EXPECT_EQ(c["issuer"], "demo-ec");
    EXPECT_EQ(c["status"], "valid");
    EXPECT_NE(c["subject"].get<std::string>().find("TINUA-1234567890"), std::string::npos);
    // The identifiers the cabinet shows in a result row, without parsing the certificate.
    const json ids = c.value("identifiers", json::object());
    EXPECT_EQ(ids.value("serial_number", std::string()), "TINUA-1234567890") << c.dump();
    EXPECT_EQ(ids.value("organization_identifier", std::string()), "NTRUA-12345678") << c.dump();
    EXPECT_EQ(ids.value("drfo", std::string()), "1234567890") << c.dump();
    if (kind != "issuer_serial") {
      EXPECT_NE(c["matched"].get<std::string>().find(kind), std::string::npos) << c["matched"];
    }
  }
  // Another value finds nothing; two attributes at once and unknown kinds are refused.
  EXPECT_EQ(get("/api/v1/certificates?drfo=1111111111", watcher_)["certificates"].size(), 0U);
  int status = 0;
  json bad = get("/api/v1/certificates?drfo=1&cn=x", watcher_, &status);
  EXPECT_EQ(status, 400);
  get("/api/v1/certificates?shoe_size=42", watcher_, &status);
  EXPECT_EQ(status, 400);
  get("/api/v1/certificates?drfo=1234567890", "", &status);
  EXPECT_EQ(status, 401);
}

TEST_F(SearchTest, FetchedAsJsonAndAsDer) {
  json j = get("/api/v1/certificates/" + sha256_, watcher_);
  EXPECT_EQ(j["sha256"], sha256_);
  EXPECT_TRUE(j["der"].is_string());
  auto der = sh("curl -s -H 'Accept: application/pkix-cert' -H " + q("Authorization: Bearer " + watcher_) + " " +
                q(daemon_->url() + "/api/v1/certificates/" + sha256_) + " | sha256sum");
  EXPECT_EQ(der.out.substr(0, 64), sha256_);
  int status = 0;
  get("/api/v1/certificates/" + std::string(64, '0'), watcher_, &status);
  EXPECT_EQ(status, 404);
}

// A CRL of the demo EC CA listing the certificate, signed with the CA key.
std::string make_crl(const std::string& path, UnixTime revoked_at) {
  const DemoPki& pki = demo_pki();
  auto ca = load_cert_file(pki.ca("demo-ec"));
  auto key = load_key_file(pki.dir + "/demo-ec/ca.key");
  if (!ca || !key) return "cannot load the CA";
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->get()));
  ASN1_TIME* now = ASN1_TIME_set(nullptr, revoked_at);
  ASN1_TIME* next = ASN1_TIME_set(nullptr, revoked_at + 86400);
  X509_CRL_set1_lastUpdate(crl, now);
  X509_CRL_set1_nextUpdate(crl, next);
  ASN1_INTEGER* number = ASN1_INTEGER_new();
  ASN1_INTEGER_set(number, 1);
  X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0);
  ASN1_INTEGER_free(number);
  X509_REVOKED* entry = X509_REVOKED_new();
  ASN1_INTEGER* serial = ASN1_INTEGER_new();
  ASN1_INTEGER_set(serial, 0x7A7A01);
  X509_REVOKED_set_serialNumber(entry, serial);
  ASN1_TIME* when = ASN1_TIME_set(nullptr, revoked_at);
  X509_REVOKED_set_revocationDate(entry, when);
  ASN1_ENUMERATED* reason = ASN1_ENUMERATED_new();
  ASN1_ENUMERATED_set(reason, 1);  // keyCompromise
  X509_REVOKED_add1_ext_i2d(entry, NID_crl_reason, reason, 0, 0);
  X509_CRL_add0_revoked(crl, entry);
  X509_CRL_sort(crl);
  X509_CRL_sign(crl, key->get(), EVP_sha256());
  unsigned char* der = nullptr;
  const int n = i2d_X509_CRL(crl, &der);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(der), n);
  OPENSSL_free(der);
  ASN1_ENUMERATED_free(reason);
  ASN1_TIME_free(when);
  ASN1_INTEGER_free(serial);
  ASN1_TIME_free(next);
  ASN1_TIME_free(now);
  X509_CRL_free(crl);
  return "";
}

TEST_F(SearchTest, CrlUploadRevokesAndStatusFiltersFollowTime) {
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  const UnixTime revoked_at = SystemClock::instance().now() - 1;
  ASSERT_EQ(make_crl(dir_ + "/ca.crl", revoked_at), "");
  // A viewer of another participant may not upload it.
  auto refused = sh("curl -s -o /dev/null -w '%{http_code}' -H " + q("Authorization: Bearer " + watcher_) +
                    " -H 'Content-Type: application/pkix-crl' --data-binary @" + q(dir_ + "/ca.crl") + " " +
                    q(daemon_->url() + "/api/v1/crls"));
  EXPECT_EQ(refused.out, "403");
  auto up = sh("curl -s -H " + q("Authorization: Bearer " + operator_) +
               " -H 'Content-Type: application/pkix-crl' --data-binary @" + q(dir_ + "/ca.crl") + " " +
               q(daemon_->url() + "/api/v1/crls"));
  json j = json::parse(up.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << up.out;
  EXPECT_EQ(j["revoked"], 1) << up.out;
  // A tampered CRL is refused whole.
  std::string crl = read_text(dir_ + "/ca.crl");
  crl[crl.size() - 5] = static_cast<char>(crl[crl.size() - 5] ^ 0x20);
  std::ofstream(dir_ + "/bad.crl", std::ios::binary) << crl;
  auto bad = sh("curl -s -H " + q("Authorization: Bearer " + operator_) +
                " -H 'Content-Type: application/pkix-crl' --data-binary @" + q(dir_ + "/bad.crl") + " " +
                q(daemon_->url() + "/api/v1/crls"));
  EXPECT_NE(bad.out.find("crl_signature_invalid"), std::string::npos) << bad.out;

  const std::string q_tin = "/api/v1/certificates?serial_number=TINUA-1234567890";
  EXPECT_EQ(get(q_tin + "&status=valid", watcher_)["certificates"].size(), 0U);
  json revoked = get(q_tin + "&status=revoked", watcher_);
  ASSERT_EQ(revoked["certificates"].size(), 1U) << revoked.dump();
  EXPECT_EQ(revoked["certificates"][0]["revocation"]["reason"], "keyCompromise");
  // Before the revocation it was valid; a year on it is revoked, not expired.
  const std::string before = format_rfc3339(issued_at_);
  EXPECT_EQ(get(q_tin + "&status=valid&at=" + before, watcher_)["certificates"].size(), 1U);
  EXPECT_EQ(get(q_tin + "&status=expired&at=2099-01-01T00:00:00Z", watcher_)["certificates"].size(), 0U);
  // OCSP agrees.
  const DemoPki& pki = demo_pki();
  auto ocsp = sh("openssl ocsp -issuer " + q(pki.ca("demo-ec")) + " -cert " + q(dir_ + "/ua.pem") + " -url " +
                 daemon_->url() + "/ocsp -CAfile " + q(pki.root) + " 2>&1");
  EXPECT_NE(ocsp.out.find("revoked"), std::string::npos) << ocsp.out;
}

// A certificate in DSTU 4145 (key and signature OIDs OpenSSL cannot verify) is stored
// only for an issuer configured with accept_unverified_signatures, and says
// signature_checked: false in the ingest reply and in search results; for any other
// issuer it is refused and stores nothing.
TEST(UnverifiableSignatures, StoredOnlyWhereAllowedAndSaidSo) {
  Daemon d;
  {
    // accept_unverified_signatures = true in demo-rsa's [[issuer]] table only.
    const std::string conf = d.data_dir() + "/trustmon.toml";
    std::string text = read_text(conf);
    const std::size_t table = text.find("name = \"demo-rsa\"");
    ASSERT_NE(table, std::string::npos);
    const std::string from = "accept_unverified_signatures = false";
    const std::size_t at = text.find(from, table);
    ASSERT_NE(at, std::string::npos);
    text.replace(at, from.size(), "accept_unverified_signatures = true");
    std::ofstream(conf, std::ios::trunc) << text;
  }
  d.start();
  const std::string token = d.token();
  const DemoPki& pki = demo_pki();
  const std::string dir = make_temp_dir("trustmon-dstu");
  auto dstu_cert = [&](const std::string& issuer, std::uint8_t serial, const std::string& tin) {
    auto ca = load_cert_file(pki.ca(issuer));
    auto key = load_key_file(pki.dir + "/" + issuer + "/ca.key");
    EXPECT_TRUE(ca.ok() && key.ok());
    testing::UaCertSpec spec;
    spec.serial = {0x5D, serial};
    spec.cn = "Олена Коваль";
    spec.serial_number = "TINUA-" + tin;
    spec.unknown_algorithm = true;
    const UnixTime now = SystemClock::instance().now();
    spec.not_before = now - 3600;
    spec.not_after = now + 86400 * 365;
    const Bytes der = testing::make_ua_cert(spec, ca->get(), key->get(), nullptr);
    const std::string path = dir + "/" + issuer + ".der";
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(der.data()),
                                                static_cast<std::streamsize>(der.size()));
    return path;
  };
  auto ingest = [&](const std::string& path) {
    auto r = sh("curl -s -H " + q("Authorization: Bearer " + token) +
                " -H 'Content-Type: application/pkix-cert' --data-binary @" + q(path) + " " +
                q(d.url() + "/api/v1/certificates"));
    return json::parse(r.out, nullptr, false);
  };
  auto search = [&](const std::string& tin) {
    auto r = sh("curl -s -H " + q("Authorization: Bearer " + token) + " " +
                q(d.url() + "/api/v1/certificates?serial_number=TINUA-" + tin));
    return json::parse(r.out, nullptr, false);
  };

  json allowed = ingest(dstu_cert("demo-rsa", 1, "3000000001"));
  ASSERT_TRUE(allowed.is_object());
  EXPECT_EQ(allowed["stored"], 1) << allowed.dump();
  EXPECT_EQ(allowed["results"][0]["signature_checked"], false) << allowed.dump();
  json found = search("3000000001");
  ASSERT_EQ(found["certificates"].size(), 1U) << found.dump();
  EXPECT_EQ(found["certificates"][0]["signature_checked"], false);
  EXPECT_EQ(found["certificates"][0]["issuer"], "demo-rsa");

  json refused = ingest(dstu_cert("demo-ec", 2, "3000000002"));
  ASSERT_TRUE(refused.is_object());
  EXPECT_EQ(refused["refused"], 1) << refused.dump();
  EXPECT_EQ(refused["results"][0]["error"]["code"], "signature_unverifiable") << refused.dump();
  EXPECT_EQ(search("3000000002")["certificates"].size(), 0U);

  // A certificate verified as usual has no signature_checked field in the reply, and true in search.
  const std::string serial = pki.serials("demo-rsa")[3];
  auto r = sh("curl -s -H " + q("Authorization: Bearer " + token) +
              " -H 'Content-Type: application/x-pem-file' --data-binary @" + q(pki.cert("demo-rsa", serial)) + " " +
              q(d.url() + "/api/v1/certificates"));
  json normal = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(normal.is_object()) << r.out;
  EXPECT_EQ(normal["stored"], 1) << r.out;
  EXPECT_FALSE(normal["results"][0].contains("signature_checked")) << r.out;
  d.stop();
}

}  // namespace
}  // namespace trustmon::itest
