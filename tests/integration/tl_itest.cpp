// The trusted list against the real daemon: tl-ua.xml imported and published with
// trustmonctl, a test signer with EKU 0.4.0.2231.3.0 made by the openssl command; the
// served list checked by the real xmllint (ETSI schemas, v6 and v5) and xmlsec1 (signer
// pinned; one changed character breaks it); sequence numbers across a restart;
// conditional GETs; the digest file; the CA bundle (openssl pkcs7), one CA certificate and
// CAs.json; change notices filed by a QTSP and approved end to end (ServiceHistory holds
// the old service), another provider's entry refused with 403, a rejected notice
// changing nothing; applications through their states; the Atom feed (xmllint);
// automatic re-issue; no signer configured.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/integration/daemon.hpp"

namespace trustmon::itest {
namespace {

using nlohmann::json;
using Reply = HttpReply;

const std::string kSource = TRUSTMON_SOURCE_DIR;
const std::string kUaList = kSource + "/tests/data/tl-samples/tl-ua.xml";
const std::string kSchemas = kSource + "/tsl/schemas";
const std::string kDiia = "NTRUA-43395033";   // a provider of tl-ua.xml (its TSPTradeName)
const std::string kArmed = "NTRUA-22991050";  // another provider

// A signer certificate for lists (EKU id-tsl-kp-tslSigning), small serial so the v5
// schema's xs:integer X509SerialNumber stays within libxml2's limit.
void make_signer(const std::string& dir) {
  auto r = sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -set_serial 4660 -days 30"
              " -keyout " + q(dir + "/signer.key") + " -out " + q(dir + "/signer.pem") +
              " -subj '/C=UA/O=trustmon test/CN=TL signer' -addext extendedKeyUsage=0.4.0.2231.3.0"
              " -addext keyUsage=critical,digitalSignature,nonRepudiation");
  ASSERT_EQ(r.exit_code, 0) << r.out;
}

std::string xmlsec_verify(const std::string& pem, const std::string& file) {
  return "xmlsec1 --verify --pubkey-cert-pem " + q(pem) +
         " --enabled-key-data key-name --enabled-reference-uris empty,same-doc " + q(file);
}

std::string xmllint_schema(const std::string& schema, const std::string& file) {
  return "xmllint --nonet --noout --schema " + q(kSchemas + "/" + schema) + " " + q(file);
}

// XPath over a file, by local names (the TL namespace is the default namespace).
std::string xpath(const std::string& file, const std::string& expr) {
  return trim(sh("xmllint --nonet --xpath " + q(expr) + " " + q(file) + " 2>/dev/null").out);
}

std::string tsp(const std::string& trade_name) {
  return "//*[local-name()='TrustServiceProvider'][.//*[local-name()='TSPTradeName']/*[.='" + trade_name + "']]";
}

class TlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = make_temp_dir("trustmon-tl");
    make_signer(dir_);
    daemon_ = new Daemon();
    daemon_->set_config("signer_cert", "\"" + dir_ + "/signer.pem\"");
    daemon_->set_config("signer_key", "\"" + dir_ + "/signer.key\"");
    daemon_->start();
    bootstrap_ = daemon_->token();

    central_ = id_of(ctl("participant add --kind central_body --name CZO --code 00015622"));
    diia_ = id_of(ctl("participant add --kind qtsp --name DIIA --code 43395033"));
    armed_ = id_of(ctl("participant add --kind qtsp --name 'Armed Forces CA' --code 22991050"));
    tooldev_ = id_of(ctl("participant add --kind tool_developer --name 'Tools Ltd' --code 33333333"));
    admin_token_ = token_for(central_, "admin");
    diia_token_ = token_for(diia_, "operator");
    armed_token_ = token_for(armed_, "operator");
    tool_token_ = token_for(tooldev_, "operator");

    auto imported = ctl("tl import " + q(kUaList));
    ASSERT_EQ(imported.second, 0) << imported.first.dump();
    ASSERT_EQ(imported.first.value("sequence_number", 0), 33);
    auto published = ctl("tl publish");
    ASSERT_EQ(published.second, 0) << published.first.dump() << daemon_->log();
    first_sequence_ = published.first.value("sequence", std::uint64_t{0});
    ASSERT_EQ(first_sequence_, 34u);  // above the imported list's 33
  }
  static void TearDownTestSuite() {
    if (daemon_->running()) daemon_->stop();
    delete daemon_;
  }

  static std::pair<json, int> ctl(const std::string& args, const std::string& token_file = "") {
    std::string base = daemon_->ctl();
    if (!token_file.empty()) base = q(trustmonctl_path()) + " --server " + daemon_->url() + " --token-file " + q(token_file);
    auto r = sh(base + " " + args + " 2>/dev/null");
    return {json::parse(r.out, nullptr, false), r.exit_code};
  }
  static std::uint32_t id_of(const std::pair<json, int>& r) {
    EXPECT_EQ(r.second, 0) << r.first.dump();
    return r.first.value("id", 0U);
  }
  static std::string token_for(std::uint32_t participant, const std::string& role) {
    const std::uint32_t rep = id_of(ctl("representative add " + std::to_string(participant) + " --name " +
                                        q(role + " person") + " --role " + role));
    auto issued = ctl("token issue " + std::to_string(rep));
    EXPECT_EQ(issued.second, 0) << issued.first.dump();
    return issued.first.value("token", std::string());
  }
  // A token written to a file, for trustmonctl.
  static std::string token_file(const std::string& token) {
    const std::string path = make_temp_dir("trustmon-tl-token") + "/token";
    std::ofstream(path) << token;
    return path;
  }

  static Reply call(const std::string& method, const std::string& path, const std::string& token = "",
                    const std::string& body = "", const std::string& extra = "") {
    return http_call(method, daemon_->url() + path, token, body, extra);
  }
  static std::string code_of(const Reply& r) { return error_code(r); }
  // Saves the current list to a file and returns its path.
  static std::string fetch_list(const std::string& name = "ua.xml") {
    const std::string path = make_temp_dir("trustmon-tl-list") + "/" + name;
    auto r = sh("curl -s -f -o " + q(path) + " " + q(daemon_->url() + "/tl/ua.xml"));
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return path;
  }
  static std::uint64_t current_sequence(const std::string& file) {
    return std::stoull("0" + xpath(file, "string(//*[local-name()='TSLSequenceNumber'])"));
  }
  // Hex SHA-256 of the first certificate of a provider's first service.
  static std::string first_service_sha256(const std::string& file, const std::string& provider) {
    const std::string b64 = xpath(file, "string((" + tsp(provider) +
                                            "//*[local-name()='ServiceInformation']//*[local-name()='X509Certificate'])[1])");
    const std::string d = make_temp_dir("trustmon-tl-cert");
    std::ofstream(d + "/cert.b64") << b64;
    return trim(sh("base64 -d " + q(d + "/cert.b64") + " | sha256sum | cut -d' ' -f1").out);
  }

  static Daemon* daemon_;
  static std::string dir_, bootstrap_, admin_token_, diia_token_, armed_token_, tool_token_;
  static std::uint32_t central_, diia_, armed_, tooldev_;
  static std::uint64_t first_sequence_;
};

Daemon* TlTest::daemon_ = nullptr;
std::string TlTest::dir_, TlTest::bootstrap_, TlTest::admin_token_, TlTest::diia_token_, TlTest::armed_token_,
    TlTest::tool_token_;
std::uint32_t TlTest::central_ = 0, TlTest::diia_ = 0, TlTest::armed_ = 0, TlTest::tooldev_ = 0;
std::uint64_t TlTest::first_sequence_ = 0;

TEST_F(TlTest, PublishedListIsSchemaValidAndVerifiesWithThePinnedSigner) {
  const std::string file = fetch_list();
  EXPECT_EQ(sh(xmllint_schema("tl-v6-all.xsd", file)).exit_code, 0) << sh(xmllint_schema("tl-v6-all.xsd", file)).out;
  auto verified = sh(xmlsec_verify(dir_ + "/signer.pem", file));
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
  EXPECT_EQ(xpath(file, "string(//*[local-name()='TSLVersionIdentifier'])"), "6");

  // One character changed (a letter of a provider's name): the signature no longer verifies.
  std::string text = read_text(file);
  const std::size_t at = text.find("Ministry of digital transformation");
  ASSERT_NE(at, std::string::npos);
  text[at] = 'N';
  const std::string tampered = file + ".tampered.xml";
  std::ofstream(tampered) << text;
  EXPECT_NE(sh(xmlsec_verify(dir_ + "/signer.pem", tampered)).exit_code, 0);

  // Another certificate pinned: refused too.
  const std::string other = make_temp_dir("trustmon-tl-other");
  make_signer(other);
  EXPECT_NE(sh(xmlsec_verify(other + "/signer.pem", file)).exit_code, 0);
}

TEST_F(TlTest, ConditionalGetsDigestFileAndHistory) {
  Reply list = call("GET", "/tl/ua.xml");
  ASSERT_EQ(list.status, 200);
  const std::string etag = list.header("ETag");
  const std::string modified = list.header("Last-Modified");
  ASSERT_FALSE(etag.empty());
  ASSERT_FALSE(modified.empty());
  EXPECT_NE(list.header("Cache-Control").find("max-age"), std::string::npos);
  EXPECT_EQ(call("GET", "/tl/ua.xml", "", "", "-H " + q("If-None-Match: " + etag)).status, 304);
  EXPECT_EQ(call("GET", "/tl/ua.xml", "", "", "-H " + q("If-None-Match: \"other\", " + etag)).status, 304);
  EXPECT_EQ(call("GET", "/tl/ua.xml", "", "", "-H " + q("If-None-Match: \"other\"")).status, 200);
  EXPECT_EQ(call("GET", "/tl/ua.xml", "", "", "-H " + q("If-Modified-Since: " + modified)).status, 304);
  EXPECT_EQ(call("GET", "/tl/ua.xml", "", "", "-H 'If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT'").status, 200);

  // The digest file: the SHA-256 of the served bytes, as hex.
  Reply sha2 = call("GET", "/tl/ua.sha2");
  ASSERT_EQ(sha2.status, 200);
  const std::string d = make_temp_dir("trustmon-tl-sha");
  std::ofstream(d + "/list.xml", std::ios::binary) << list.raw;
  EXPECT_EQ(sha2.raw, trim(sh("sha256sum " + q(d + "/list.xml") + " | cut -d' ' -f1").out));
  EXPECT_EQ(call("GET", "/tl/ua.sha2", "", "", "-H " + q("If-None-Match: " + sha2.header("ETag"))).status, 304);

  // Every version is kept under its sequence number, immutable.
  Reply current = call("GET", "/tl/history/" + std::to_string(current_sequence(d + "/list.xml")) + ".xml");
  EXPECT_EQ(current.status, 200);
  EXPECT_EQ(current.raw, list.raw);
  EXPECT_NE(current.header("Cache-Control").find("immutable"), std::string::npos);
  Reply first = call("GET", "/tl/history/" + std::to_string(first_sequence_) + ".xml");
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(call("GET", "/tl/history/999999.xml").status, 404);
  EXPECT_EQ(call("GET", "/tl/nosuchlist.xml").status, 404);
}

TEST_F(TlTest, SequenceNumbersIncreaseAcrossARestart) {
  auto before = ctl("tl versions");
  ASSERT_EQ(before.second, 0) << before.first.dump();
  const std::uint64_t last = before.first["versions"].back().value("sequence", std::uint64_t{0});
  daemon_->stop();
  daemon_->start();
  auto published = ctl("tl publish");
  ASSERT_EQ(published.second, 0) << published.first.dump();
  EXPECT_GT(published.first.value("sequence", std::uint64_t{0}), last);
  const std::string file = fetch_list();
  EXPECT_EQ(current_sequence(file), published.first.value("sequence", std::uint64_t{0}));
  auto after = ctl("tl versions");
  std::uint64_t previous = 0;
  for (const auto& v : after.first["versions"]) {
    EXPECT_GT(v.value("sequence", std::uint64_t{0}), previous);
    previous = v.value("sequence", std::uint64_t{0});
  }
}

TEST_F(TlTest, CaCertificatesBundleOneCertificateAndJson) {
  const std::string d = make_temp_dir("trustmon-tl-certs");
  ASSERT_EQ(sh("curl -s -f -o " + q(d + "/bundle.p7b") + " " + q(daemon_->url() + "/certs/CACertificates.p7b")).exit_code, 0);
  auto printed = sh("openssl pkcs7 -inform DER -print_certs -in " + q(d + "/bundle.p7b") + " | grep -c '^subject='");
  ASSERT_EQ(printed.exit_code, 0) << printed.out;
  EXPECT_GT(std::stoi(printed.out), 10);

  Reply cas = call("GET", "/certs/CAs.json");
  ASSERT_EQ(cas.status, 200) << cas.raw;
  ASSERT_TRUE(cas.body.contains("cas"));
  ASSERT_FALSE(cas.body["cas"].empty());
  bool some_crl = false;
  for (const auto& ca : cas.body["cas"]) {
    EXPECT_FALSE(ca.value("provider", std::string()).empty());
    EXPECT_FALSE(ca.value("status", std::string()).empty());
    some_crl = some_crl || !ca["crl"].empty();
  }
  EXPECT_TRUE(some_crl);
  const std::string sha = cas.body["cas"][0].value("sha256", std::string());
  ASSERT_EQ(sh("curl -s -f -o " + q(d + "/ca.cer") + " " + q(daemon_->url() + "/certs/ca/" + sha + ".cer")).exit_code, 0);
  EXPECT_EQ(trim(sh("sha256sum " + q(d + "/ca.cer") + " | cut -d' ' -f1").out), sha);
  EXPECT_EQ(sh("openssl x509 -inform DER -noout -in " + q(d + "/ca.cer")).exit_code, 0);
  EXPECT_EQ(call("GET", "/certs/ca/" + std::string(64, '0') + ".cer").status, 404);
  Reply bundle = call("GET", "/certs/CACertificates.p7b");
  EXPECT_EQ(call("GET", "/certs/CACertificates.p7b", "", "", "-H " + q("If-None-Match: " + bundle.header("ETag"))).status, 304);
  EXPECT_EQ(call("GET", "/certs/CAs.json", "", "", "-H " + q("If-None-Match: " + cas.header("ETag"))).status, 304);

  // Issuers of the OCSP responder against the list: the demo CAs are not in TL-UA.
  Reply issuers = call("GET", "/api/v1/admin/tl/ua/issuers", admin_token_);
  ASSERT_EQ(issuers.status, 200) << issuers.raw;
  EXPECT_TRUE(issuers.body["matched"].empty());
  EXPECT_FALSE(issuers.body["missing"].empty());
  EXPECT_EQ(issuers.body["not_in_list"].size(), 2u);
  EXPECT_EQ(call("GET", "/api/v1/admin/tl/ua/issuers", diia_token_).status, 403);
}

// The cabinet's trusted-list browser reads a JSON view of the current version: its
// sequence, the signature check against the configured signer, providers and services.
TEST_F(TlTest, PublicViewNamesTheVersionTheSignatureCheckAndTheProviders) {
  Reply lists = call("GET", "/api/v1/tl");
  ASSERT_EQ(lists.status, 200) << lists.raw;
  ASSERT_EQ(lists.body["lists"].size(), 1u) << lists.raw;
  EXPECT_EQ(lists.body["lists"][0].value("name", std::string()), "ua");
  const std::uint64_t sequence = lists.body["lists"][0].value("sequence", std::uint64_t{0});
  EXPECT_GE(sequence, first_sequence_);

  Reply view = call("GET", "/api/v1/tl/ua/view");
  ASSERT_EQ(view.status, 200) << view.raw;
  EXPECT_EQ(view.body.value("sequence", std::uint64_t{0}), sequence);
  EXPECT_EQ(view.body.value("territory", std::string()), "UA");
  EXPECT_TRUE(view.body["signature"].value("valid", false)) << view.body["signature"].dump();
  EXPECT_NE(view.body["signature"].value("signer", std::string()).find("TL signer"), std::string::npos);
  ASSERT_TRUE(view.body["providers"].is_array());
  ASSERT_GT(view.body["providers"].size(), 5u);
  std::size_t services = 0, with_certificate = 0;
  for (const auto& p : view.body["providers"]) {
    EXPECT_FALSE(p.value("name", std::string()).empty());
    for (const auto& s : p["services"]) {
      ++services;
      EXPECT_EQ(s.value("status", std::string()).rfind("http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/", 0), 0u);
      if (s["certificate"].is_object()) ++with_certificate;
    }
  }
  EXPECT_GT(services, 10u);
  EXPECT_GT(with_certificate, 10u);
  // Cached by version, like the list itself.
  EXPECT_EQ(call("GET", "/api/v1/tl/ua/view", "", "", "-H " + q("If-None-Match: " + view.header("ETag"))).status, 304);
  EXPECT_EQ(call("GET", "/api/v1/tl/nope/view").status, 404);
}

TEST_F(TlTest, ApprovedNoticeMovesTheOldServiceIntoHistoryAndPublishes) {
  const std::string before = fetch_list("before.xml");
  const std::uint64_t sequence_before = current_sequence(before);
  const std::string service = first_service_sha256(before, kDiia);
  ASSERT_EQ(service.size(), 64u);
  const std::string old_status = xpath(before, "string((" + tsp(kDiia) +
                                                   "//*[local-name()='ServiceInformation']/*[local-name()='ServiceStatus'])[1])");
  ASSERT_FALSE(old_status.empty());
  const std::string history_count = "count((" + tsp(kDiia) + "//*[local-name()='TSPService'])[1]//*[local-name()='ServiceHistoryInstance'])";
  const int histories_before = std::stoi(xpath(before, history_count));

  // The QTSP's operator files a status change for its own service (trustmonctl).
  const std::string diia_file = token_file(diia_token_);
  auto filed = ctl("notice file --kind status_change --provider " + kDiia + " --service " + service +
                       " --values " + q(R"({"status":"http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/withdrawn"})") +
                       " --comment 'key ceremony moved'",
                   diia_file);
  ASSERT_EQ(filed.second, 0) << filed.first.dump();
  const std::uint64_t id = filed.first.value("id", std::uint64_t{0});
  EXPECT_EQ(filed.first.value("state", std::string()), "submitted");

  // The filer sees it; another QTSP does not.
  auto own = ctl("notice list", diia_file);
  ASSERT_EQ(own.second, 0);
  EXPECT_EQ(own.first["notices"].size(), 1u);
  EXPECT_EQ(call("GET", "/api/v1/tl/notices/" + std::to_string(id), armed_token_).status, 404);
  EXPECT_TRUE(call("GET", "/api/v1/tl/notices", armed_token_).body["notices"].empty());
  // Only administrators decide.
  EXPECT_EQ(call("POST", "/api/v1/tl/notices/" + std::to_string(id) + "/approve", diia_token_, "{}").status, 403);

  auto approved = ctl("notice approve " + std::to_string(id), token_file(admin_token_));
  ASSERT_EQ(approved.second, 0) << approved.first.dump() << daemon_->log();
  const std::uint64_t published = approved.first["published"].value("sequence", std::uint64_t{0});
  EXPECT_GT(published, sequence_before);
  EXPECT_EQ(approved.first["notice"].value("state", std::string()), "approved");
  // Approving twice is refused.
  EXPECT_EQ(ctl("notice approve " + std::to_string(id), token_file(admin_token_)).second, 1);

  const std::string after = fetch_list("after.xml");
  EXPECT_EQ(current_sequence(after), published);
  EXPECT_EQ(sh(xmllint_schema("tl-v6-all.xsd", after)).exit_code, 0);
  EXPECT_EQ(sh(xmlsec_verify(dir_ + "/signer.pem", after)).exit_code, 0);
  const std::string first_service = "(" + tsp(kDiia) + "//*[local-name()='TSPService'])[1]";
  EXPECT_EQ(xpath(after, "string(" + first_service + "/*[local-name()='ServiceInformation']/*[local-name()='ServiceStatus'])"),
            "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/withdrawn");
  EXPECT_EQ(std::stoi(xpath(after, history_count)), histories_before + 1);
  // The newest history instance is the old service information.
  EXPECT_EQ(xpath(after, "string(" + first_service + "//*[local-name()='ServiceHistoryInstance'][1]/*[local-name()='ServiceStatus'])"),
            old_status);

  // State and history visible to the filer.
  auto shown = ctl("notice show " + std::to_string(id), diia_file);
  ASSERT_EQ(shown.second, 0);
  EXPECT_EQ(shown.first.value("state", std::string()), "approved");
  EXPECT_EQ(shown.first.value("published_sequence", std::uint64_t{0}), published);
  ASSERT_EQ(shown.first["history"].size(), 2u);
  EXPECT_EQ(shown.first["history"][1].value("action", std::string()), "approved");

  // The Atom feed lists the published change.
  const std::string d = make_temp_dir("trustmon-tl-atom");
  ASSERT_EQ(sh("curl -s -f -o " + q(d + "/changes.atom") + " " + q(daemon_->url() + "/tl/changes.atom")).exit_code, 0);
  EXPECT_EQ(sh("xmllint --nonet --noout " + q(d + "/changes.atom")).exit_code, 0);
  const std::string atom_entry = "//*[local-name()='entry'][*[local-name()='id']='urn:trustmon:tl:ua:" +
                                 std::to_string(published) + "']";
  EXPECT_NE(xpath(d + "/changes.atom", "string(" + atom_entry + "/*[local-name()='summary'])")
                .find("Change notice " + std::to_string(id)),
            std::string::npos);
  EXPECT_EQ(xpath(d + "/changes.atom", "count(//*[local-name()='entry'][*[local-name()='id']='urn:trustmon:tl:ua:" +
                                           std::to_string(first_sequence_) + "'])"),
            "1");

  // Every step is in the audit trail.
  Reply audit = call("GET", "/api/v1/admin/audit?action=tl.notice.*", bootstrap_);
  ASSERT_EQ(audit.status, 200) << audit.raw;
  int filed_events = 0, approved_events = 0;
  for (const auto& e : audit.body["events"]) {
    const std::string type = e.value("type", e.value("action", std::string()));
    filed_events += type == "tl.notice.filed";
    approved_events += type == "tl.notice.approved";
  }
  EXPECT_GE(filed_events, 1) << audit.raw;
  EXPECT_GE(approved_events, 1) << audit.raw;
}

TEST_F(TlTest, NoticesAboutAnotherProvidersEntriesAreRefused) {
  const std::string list = fetch_list();
  const std::string service = first_service_sha256(list, kDiia);
  const std::string body = json{{"kind", "status_change"},
                                {"provider", kDiia},
                                {"service", service},
                                {"values", {{"status", "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/withdrawn"}}}}
                               .dump();
  Reply other = call("POST", "/api/v1/tl/notices", armed_token_, body);
  EXPECT_EQ(other.status, 403) << other.raw;
  EXPECT_EQ(code_of(other), "tl_notice_forbidden");
  Reply tool = call("POST", "/api/v1/tl/notices", tool_token_, body);
  EXPECT_EQ(tool.status, 403) << tool.raw;
  EXPECT_EQ(call("POST", "/api/v1/tl/notices", "", body).status, 401);
  // The refusal is recorded.
  Reply audit = call("GET", "/api/v1/admin/audit?action=access.denied", bootstrap_);
  ASSERT_EQ(audit.status, 200);
  EXPECT_NE(audit.raw.find("tl.notice.file"), std::string::npos) << audit.raw;
  // A malformed notice is a 400, an unknown service a 404.
  EXPECT_EQ(call("POST", "/api/v1/tl/notices", diia_token_, R"({"kind":"bogus","provider":"x"})").status, 400);
  Reply unknown = call("POST", "/api/v1/tl/notices", diia_token_,
                       json{{"kind", "termination"}, {"provider", kDiia}, {"service", std::string(64, 'a')}}.dump());
  EXPECT_EQ(unknown.status, 404) << unknown.raw;
}

TEST_F(TlTest, RejectedNoticeChangesNothing) {
  const std::string before = fetch_list();
  const std::string service = first_service_sha256(before, kDiia);
  Reply filed = call("POST", "/api/v1/tl/notices", diia_token_,
                     json{{"kind", "update"},
                          {"provider", kDiia},
                          {"service", service},
                          {"values", {{"names", {{{"lang", "en"}, {"value", "Renamed CA"}}}}}}}
                         .dump());
  ASSERT_EQ(filed.status, 201) << filed.raw;
  const std::uint64_t id = filed.body.value("id", std::uint64_t{0});
  const std::string sha_before = call("GET", "/tl/ua.sha2").raw;
  EXPECT_EQ(call("POST", "/api/v1/tl/notices/" + std::to_string(id) + "/reject", admin_token_, "{}").status, 400);
  auto rejected = ctl("notice reject " + std::to_string(id) + " --reason 'supporting documents missing'",
                      token_file(admin_token_));
  ASSERT_EQ(rejected.second, 0) << rejected.first.dump();
  EXPECT_EQ(rejected.first.value("state", std::string()), "rejected");
  EXPECT_EQ(call("GET", "/tl/ua.sha2").raw, sha_before);
  Reply shown = call("GET", "/api/v1/tl/notices/" + std::to_string(id), diia_token_);
  EXPECT_EQ(shown.body.value("reason", std::string()), "supporting documents missing");
  EXPECT_EQ(call("POST", "/api/v1/tl/notices/" + std::to_string(id) + "/approve", admin_token_, "{}").status, 409);
  EXPECT_EQ(call("GET", "/tl/ua.sha2").raw, sha_before);
  EXPECT_EQ(read_text(fetch_list()).find("Renamed CA"), std::string::npos);
}

TEST_F(TlTest, ApplicationsGoThroughTheirStates) {
  const std::string d = make_temp_dir("trustmon-tl-app");
  ASSERT_EQ(sh("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + q(d + "/ca.key") +
               " -out " + q(d + "/ca.csr") + " -subj '/C=UA/O=DIIA/CN=New CA'")
                .exit_code,
            0);
  const std::string diia_file = token_file(diia_token_);
  auto submitted = ctl("application submit --service ca_certificate --text 'CA certificate for our new CA' --csr " +
                           q(d + "/ca.csr"),
                       diia_file);
  ASSERT_EQ(submitted.second, 0) << submitted.first.dump();
  const std::uint64_t id = submitted.first.value("id", std::uint64_t{0});
  EXPECT_EQ(submitted.first.value("state", std::string()), "submitted");
  // A CSR that is not one is refused.
  EXPECT_EQ(call("POST", "/api/v1/applications", diia_token_,
                 R"({"service":"ca_certificate","attachments":[{"name":"x.csr","media_type":"application/pkcs10","content":"junk"}]})")
                .status,
            400);

  const std::string admin_file = token_file(admin_token_);
  const std::string path = "/api/v1/applications/" + std::to_string(id);
  EXPECT_EQ(call("POST", path + "/status", diia_token_, R"({"state":"in_review"})").status, 403);
  EXPECT_EQ(call("POST", path + "/status", admin_token_, R"({"state":"completed"})").status, 400);  // no result
  EXPECT_EQ(ctl("application set-status " + std::to_string(id) + " --state in_review", admin_file).second, 0);
  EXPECT_EQ(call("POST", path + "/status", admin_token_, R"({"state":"in_review"})").status, 409);
  EXPECT_EQ(ctl("application set-status " + std::to_string(id) + " --state approved", admin_file).second, 0);
  // The central body issues the certificate and attaches it.
  ASSERT_EQ(sh("openssl x509 -req -in " + q(d + "/ca.csr") + " -key " + q(d + "/ca.key") + " -days 10 -out " +
               q(d + "/ca.pem"))
                .exit_code,
            0);
  auto completed = ctl("application set-status " + std::to_string(id) + " --state completed --note issued --certificate " +
                           q(d + "/ca.pem"),
                       admin_file);
  ASSERT_EQ(completed.second, 0) << completed.first.dump();
  EXPECT_EQ(call("POST", path + "/status", admin_token_, R"({"state":"in_review"})").status, 409);

  auto shown = ctl("application show " + std::to_string(id), diia_file);
  ASSERT_EQ(shown.second, 0);
  EXPECT_EQ(shown.first.value("state", std::string()), "completed");
  EXPECT_EQ(shown.first["result"].value("certificate", std::string()), read_text(d + "/ca.pem"));
  ASSERT_EQ(shown.first["history"].size(), 4u);
  EXPECT_EQ(call("GET", path, armed_token_).status, 404);
  EXPECT_EQ(ctl("application list", diia_file).first["applications"].size(), 1u);
  EXPECT_GE(ctl("application list").first["applications"].size(), 1u);

  Reply audit = call("GET", "/api/v1/admin/audit?action=application.*", bootstrap_);
  ASSERT_EQ(audit.status, 200);
  for (const char* step : {"application.submitted", "application.in_review", "application.approved",
                           "application.completed"})
    EXPECT_NE(audit.raw.find(step), std::string::npos) << step;
}

TEST(TlDaemon, Version5ListsAndAutomaticReissue) {
  const std::string dir = make_temp_dir("trustmon-tl5");
  make_signer(dir);
  Daemon daemon;
  daemon.set_config("signer_cert", "\"" + dir + "/signer.pem\"");
  daemon.set_config("signer_key", "\"" + dir + "/signer.key\"");
  daemon.set_config("version", "5");
  // NextUpdate one hour out, re-issued when it is 3599 s away: about every second.
  daemon.set_config("next_update", "\"1h\"");
  daemon.set_config("reissue_margin", "\"3599s\"");
  daemon.set_config("reissue_interval", "\"1s\"");
  daemon.start();
  const std::string ctl = daemon.ctl();
  ASSERT_EQ(sh(ctl + " tl import " + q(kUaList)).exit_code, 0);
  auto published = sh(ctl + " tl publish 2>&1");
  ASSERT_EQ(published.exit_code, 0) << published.out;
  const std::uint64_t first = json::parse(published.out, nullptr, false).value("sequence", std::uint64_t{0});

  const std::string file = dir + "/ua.xml";
  ASSERT_EQ(sh("curl -s -f -o " + q(file) + " " + q(daemon.url() + "/tl/ua.xml")).exit_code, 0);
  EXPECT_EQ(xpath(file, "string(//*[local-name()='TSLVersionIdentifier'])"), "5");
  auto lint = sh(xmllint_schema("tl-v5-all.xsd", file));
  EXPECT_EQ(lint.exit_code, 0) << lint.out;
  EXPECT_EQ(sh(xmlsec_verify(dir + "/signer.pem", file)).exit_code, 0);

  // The re-issue check publishes again without anyone asking.
  std::uint64_t latest = first;
  EXPECT_TRUE(wait_until(
      [&] {
        auto v = json::parse(sh(ctl + " tl versions 2>/dev/null").out, nullptr, false);
        if (!v.is_object() || !v.contains("versions") || v["versions"].empty()) return false;
        latest = v["versions"].back().value("sequence", std::uint64_t{0});
        return latest > first;
      },
      std::chrono::seconds(20)))
      << daemon.log();
  auto audit = sh("curl -s -H " + q("Authorization: Bearer " + daemon.token()) + " " +
                  q(daemon.url() + "/api/v1/admin/audit?action=tl.published"));
  EXPECT_NE(audit.out.find("system:reissue"), std::string::npos) << audit.out;
  daemon.stop();
}

TEST(TlDaemon, WithoutASignerStoredListsAreServedAndPublishingIsRefused) {
  Daemon daemon;
  daemon.start();
  const std::string ctl = daemon.ctl();
  ASSERT_EQ(sh(ctl + " tl import " + q(kUaList)).exit_code, 0);
  auto refused = sh(ctl + " tl publish 2>/dev/null");
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_NE(refused.out.find("tl_signer_not_configured"), std::string::npos) << refused.out;
  auto nothing = sh("curl -s -w '%{http_code}' -o /dev/null " + q(daemon.url() + "/tl/ua.xml"));
  EXPECT_EQ(nothing.out, "404");
  daemon.stop();
}

// Review D3: a list declaring one 100 KiB entity referenced 10,000 times in
// SchemeOperatorName/Name (a 3 GB process and a 1 GB stored name before) and the
// "billion laughs" form, generated here with python3, are refused with 400 tl_malformed
// within curl's time limit and store nothing; the real list still imports, and SIGTERM
// stops the daemon (Daemon::stop expects exit code 0).
TEST(TlDaemon, EntityDeclarationsAreRefusedAndStoreNothing) {
  const std::string dir = make_temp_dir("trustmon-tl-entities");
  const std::string gen = dir + "/gen.py";
  std::ofstream(gen) << R"PY(import re, sys
src, out, kind = sys.argv[1], sys.argv[2], sys.argv[3]
xml = open(src, encoding="utf-8").read()
if kind == "quad":
    dtd = '<!DOCTYPE TrustServiceStatusList [<!ENTITY big "' + "A" * 102400 + '">]>'
    refs = "&big;" * 10000
else:
    dtd = '<!DOCTYPE TrustServiceStatusList [<!ENTITY l0 "ha">' + "".join(
        '<!ENTITY l%d "%s">' % (i, ("&l%d;" % (i - 1)) * 10) for i in range(1, 10)) + "]>"
    refs = "&l9;"
xml = dtd + "\n" + xml  # the sample has no XML declaration
op = xml.index("<SchemeOperatorName>")
start = xml.index(">", xml.index("<Name", op)) + 1
end = xml.index("</Name>", start)
open(out, "w", encoding="utf-8").write(xml[:start] + refs + xml[end:])
)PY";
  Daemon daemon;
  daemon.start();
  const std::string auth = q("Authorization: Bearer " + daemon.token());
  for (const std::string kind : {"quad", "laughs"}) {
    SCOPED_TRACE(kind);
    const std::string file = dir + "/" + kind + ".xml";
    ASSERT_EQ(sh("python3 " + q(gen) + " " + q(kUaList) + " " + q(file) + " " + kind).exit_code, 0);
    auto r = sh("curl -s --max-time 20 -w ' %{http_code}' -H " + auth +
                " -H 'Content-Type: application/xml' --data-binary @" + q(file) + " " +
                q(daemon.url() + "/api/v1/admin/tl/ua/import"));
    ASSERT_GE(r.out.size(), 4U) << r.out;
    EXPECT_EQ(r.out.substr(r.out.size() - 3), "400") << r.out;
    const json body = json::parse(r.out.substr(0, r.out.size() - 4), nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.out;
    EXPECT_EQ(body["error"]["code"], "tl_malformed") << r.out;
  }
  // Nothing was stored: no tl.imported event (an error body has no "events" array).
  auto audit = sh("curl -s -f -H " + auth + " " + q(daemon.url() + "/api/v1/admin/audit?action=tl.imported"));
  ASSERT_EQ(audit.exit_code, 0) << audit.out;
  const json events = json::parse(audit.out, nullptr, false);
  ASSERT_TRUE(events.is_object() && events.contains("events") && events["events"].is_array()) << audit.out;
  EXPECT_TRUE(events["events"].empty()) << audit.out;
  // The real list still imports.
  auto imported = sh(daemon.ctl() + " tl import " + q(kUaList) + " 2>&1");
  EXPECT_EQ(imported.exit_code, 0) << imported.out;
  daemon.stop();
}

}  // namespace
}  // namespace trustmon::itest
