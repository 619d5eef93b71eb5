// CRL publication end to end. Uploaded: CRLs made by `openssl ca -gencrl` for the demo EC
// CA are uploaded with curl, then fetched from /crl/... and checked with openssl crl
// -verify, openssl verify -crl_check and python3-cryptography; conditional GET, CRL
// numbers (history, replay, an older number refused) and the crl.published event. Built:
// with a crl_key the daemon signs the CRL itself; a revocation through the API shows on
// it within seconds, a released hold leaves it, and the CRL number keeps counting across
// kill -9. Deltas and shards: a complete CRL with its delta applied says what OCSP says for
// every serial after random revocations and releases (tests/integration/crl_delta_check.py),
// `openssl verify -crl_check -use_deltas` sees a revocation only the delta carries, and
// each shard CRL verifies (openssl, GnuTLS certtool) with its own distribution point.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tests/integration/daemon.hpp"

namespace trustmon::itest {
namespace {

using nlohmann::json;

class CrlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    daemon_ = new Daemon();
    daemon_->start();
    dir_ = make_temp_dir("trustmon-crl-itest");
    const DemoPki& pki = demo_pki();
    // An OpenSSL CA over the demo EC CA's key, and a certificate it issues (serial 0x5151).
    std::ofstream(dir_ + "/ca.cnf") << "[ca]\ndefault_ca = demo\n[demo]\n"
                                    << "database = " << dir_ << "/index.txt\n"
                                    << "crlnumber = " << dir_ << "/crlnumber\n"
                                    << "certificate = " << pki.ca("demo-ec") << "\n"
                                    << "private_key = " << pki.dir << "/demo-ec/ca.key\n"
                                    << "default_md = sha256\ndefault_crl_days = 7\n"
                                    << "crl_extensions = crl_ext\n[crl_ext]\n"
                                    << "authorityKeyIdentifier = keyid:always\n";
    std::ofstream(dir_ + "/index.txt");
    std::ofstream(dir_ + "/crlnumber") << "10\n";
    auto r = sh("cd " + q(dir_) +
                " && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ee.key -out ee.csr"
                " -subj '/CN=CRL test' 2>&1 && openssl x509 -req -in ee.csr -CA " + q(pki.ca("demo-ec")) +
                " -CAkey " + q(pki.dir + "/demo-ec/ca.key") + " -set_serial 0x5151 -days 30 -out ee.pem 2>&1");
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  static void TearDownTestSuite() {
    daemon_->stop();
    delete daemon_;
  }

  // Appends a revoked entry to the OpenSSL CA's database.
  static void revoke_in_index(const std::string& serial_hex, const std::string& reason) {
    std::ofstream(dir_ + "/index.txt", std::ios::app)
        << "R\t491231235959Z\t260101000000Z," << reason << "\t" << serial_hex << "\tunknown\t/CN=x" << serial_hex
        << "\n";
  }
  // `openssl ca -gencrl` into `name` (DER); the CA's crlnumber file counts on.
  static std::string gencrl(const std::string& name) {
    auto r = sh("cd " + q(dir_) + " && openssl ca -config ca.cnf -gencrl -out " + name + ".pem 2>&1" +
                " && openssl crl -in " + name + ".pem -outform DER -out " + name + ".crl");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return dir_ + "/" + name + ".crl";
  }
  // POSTs a CRL file; returns the HTTP status and leaves the body in `body`.
  static int upload(const std::string& file, json& body) {
    auto r = sh("curl -s -o " + q(dir_ + "/upload.json") + " -w '%{http_code}' -H " +
                q("Authorization: Bearer " + daemon_->token()) +
                " -H 'Content-Type: application/pkix-crl' --data-binary @" + q(file) + " " +
                q(daemon_->url() + "/api/v1/crls"));
    body = json::parse(read_text(dir_ + "/upload.json"), nullptr, false);
    return std::atoi(r.out.c_str());
  }
  // GETs `path` into `out`; returns the HTTP status; response headers into `headers`.
  static int fetch(const std::string& path, const std::string& out, std::string* headers = nullptr,
                   const std::string& extra = "") {
    auto r = sh("curl -s -D " + q(dir_ + "/headers") + " -o " + q(out) + " -w '%{http_code}' " + extra + " " +
                q(daemon_->url() + path));
    if (headers) *headers = read_text(dir_ + "/headers");
    return std::atoi(r.out.c_str());
  }
  static std::string header_value(const std::string& headers, const std::string& name) {
    std::string lower = headers;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string key = name;
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto at = lower.find("\n" + key + ":");
    if (at == std::string::npos) return "";
    const auto start = headers.find_first_not_of(' ', at + key.size() + 2);
    return trim(headers.substr(start, headers.find('\n', start) - start));
  }

  static Daemon* daemon_;
  static std::string dir_;
};
Daemon* CrlTest::daemon_ = nullptr;
std::string CrlTest::dir_;

TEST_F(CrlTest, UploadedCrlsArePublishedByteForByteWithNumbers) {
  const DemoPki& pki = demo_pki();
  std::string headers;
  // Nothing published yet; an unknown issuer is named as such.
  EXPECT_EQ(fetch("/crl/demo-ec.crl", dir_ + "/none"), 404);
  EXPECT_NE(read_text(dir_ + "/none").find("crl_not_found"), std::string::npos);
  EXPECT_EQ(fetch("/crl/no-such-ca.crl", dir_ + "/none"), 404);
  EXPECT_NE(read_text(dir_ + "/none").find("issuer_unknown"), std::string::npos);

  // CRL number 0x10 revoking the certificate 5151 (keyCompromise).
  revoke_in_index("5151", "keyCompromise");
  const std::string first = gencrl("first");
  json body;
  ASSERT_EQ(upload(first, body), 200) << body.dump();
  EXPECT_EQ(body["revoked"], 1) << body.dump();
  // The cabinet's public status reads the same CRL: 5151 listed with its reason, another
  // serial not listed.
  HttpReply listed = http_call("GET", daemon_->url() + "/api/v1/status?issuer=demo-ec&serial=5151");
  ASSERT_EQ(listed.status, 200) << listed.raw;
  EXPECT_EQ(listed.body.value("status", std::string()), "revoked") << listed.raw;
  ASSERT_TRUE(listed.body["crl"].is_object()) << listed.raw;
  EXPECT_TRUE(listed.body["crl"].value("listed", false)) << listed.raw;
  EXPECT_EQ(listed.body["crl"].value("reason", std::string()), "keyCompromise") << listed.raw;
  EXPECT_EQ(listed.body["crl"].value("number", std::string()), "16") << listed.raw;
  HttpReply absent = http_call("GET", daemon_->url() + "/api/v1/status?issuer=demo-ec&serial=5152");
  ASSERT_TRUE(absent.body["crl"].is_object()) << absent.raw;
  EXPECT_FALSE(absent.body["crl"].value("listed", true)) << absent.raw;
  EXPECT_EQ(absent.body.value("status", std::string()), "unknown") << absent.raw;

  ASSERT_EQ(fetch("/crl/demo-ec.crl", dir_ + "/got.crl", &headers), 200) << headers;
  EXPECT_EQ(sh("cmp " + q(first) + " " + q(dir_ + "/got.crl")).exit_code, 0) << "not byte for byte";
  EXPECT_NE(header_value(headers, "Content-Type").find("application/pkix-crl"), std::string::npos) << headers;
  const std::string cache = header_value(headers, "Cache-Control");
  EXPECT_NE(cache.find("max-age="), std::string::npos) << headers;
  EXPECT_NE(cache.find("public"), std::string::npos) << headers;
  EXPECT_FALSE(header_value(headers, "Expires").empty()) << headers;
  // Checked by clients nobody here wrote.
  auto verified = sh("openssl crl -inform DER -in " + q(dir_ + "/got.crl") + " -noout -verify -CAfile " +
                     q(pki.ca("demo-ec")) + " 2>&1");
  EXPECT_NE(verified.out.find("verify OK"), std::string::npos) << verified.out;
  auto chain = sh("openssl crl -inform DER -in " + q(dir_ + "/got.crl") + " -out " + q(dir_ + "/got.pem") +
                  " && openssl verify -partial_chain -crl_check -CAfile " + q(pki.ca("demo-ec")) + " -CRLfile " +
                  q(dir_ + "/got.pem") + " " + q(dir_ + "/ee.pem") + " 2>&1");
  EXPECT_NE(chain.exit_code, 0) << chain.out;
  EXPECT_NE(chain.out.find("certificate revoked"), std::string::npos) << chain.out;
  auto py = sh("python3 -c " +
               q("import sys\n"
                 "from cryptography import x509\n"
                 "crl = x509.load_der_x509_crl(open(sys.argv[1], 'rb').read())\n"
                 "ca = x509.load_pem_x509_certificate(open(sys.argv[2], 'rb').read())\n"
                 "assert crl.is_signature_valid(ca.public_key())\n"
                 "n = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number\n"
                 "r = crl.get_revoked_certificate_by_serial_number(0x5151)\n"
                 "reason = r.extensions.get_extension_for_class(x509.CRLReason).value.reason.name\n"
                 "print(n, reason)\n") +
               " " + q(dir_ + "/got.crl") + " " + q(pki.ca("demo-ec")) + " 2>&1");
  EXPECT_EQ(trim(py.out), "16 key_compromise") << py.out;

  // Conditional GET: the ETag, or the Last-Modified date, gives 304 without a body.
  const std::string etag = header_value(headers, "ETag");
  ASSERT_FALSE(etag.empty()) << headers;
  EXPECT_EQ(fetch("/crl/demo-ec.crl", dir_ + "/304", nullptr, "-H " + q("If-None-Match: " + etag)), 304);
  EXPECT_EQ(read_text(dir_ + "/304"), "");
  EXPECT_EQ(fetch("/crl/demo-ec.crl", dir_ + "/304", nullptr,
                  "-H " + q("If-Modified-Since: " + header_value(headers, "Last-Modified"))),
            304);
  EXPECT_EQ(fetch("/crl/demo-ec.crl", dir_ + "/200", nullptr, "-H 'If-None-Match: \"0123\"'"), 200);

  // The same CRL again is a replay: answered, nothing changes.
  ASSERT_EQ(upload(first, body), 200) << body.dump();
  EXPECT_EQ(body["unchanged"], 1) << body.dump();

  // Number 0x11 with one more entry replaces it; 0x10 stays readable by number.
  revoke_in_index("5152", "superseded");
  const std::string second = gencrl("second");
  ASSERT_EQ(upload(second, body), 200) << body.dump();
  ASSERT_EQ(fetch("/crl/demo-ec.crl", dir_ + "/latest.crl"), 200);
  EXPECT_EQ(sh("cmp " + q(second) + " " + q(dir_ + "/latest.crl")).exit_code, 0);
  ASSERT_EQ(fetch("/crl/demo-ec/history/16.crl", dir_ + "/h16.crl", &headers), 200);
  EXPECT_EQ(sh("cmp " + q(first) + " " + q(dir_ + "/h16.crl")).exit_code, 0);
  EXPECT_NE(header_value(headers, "Cache-Control").find("max-age=31536000"), std::string::npos) << headers;
  ASSERT_EQ(fetch("/crl/demo-ec/history/17.crl", dir_ + "/h17.crl"), 200);
  EXPECT_EQ(sh("cmp " + q(second) + " " + q(dir_ + "/h17.crl")).exit_code, 0);
  EXPECT_EQ(fetch("/crl/demo-ec/history/18.crl", dir_ + "/none"), 404);
  EXPECT_EQ(fetch("/crl/demo-ec/history/x.crl", dir_ + "/none"), 404);

  // Replaying the older CRL is refused: it cannot roll the published one back.
  EXPECT_EQ(upload(first, body), 409) << body.dump();
  EXPECT_EQ(body["error"]["code"], "crl_number_not_greater") << body.dump();
  ASSERT_EQ(fetch("/crl/demo-ec.crl", dir_ + "/latest.crl"), 200);
  EXPECT_EQ(sh("cmp " + q(second) + " " + q(dir_ + "/latest.crl")).exit_code, 0);

  // Each publication is an event.
  auto events = sh("curl -s -H " + q("Authorization: Bearer " + daemon_->token()) + " " +
                   q(daemon_->url() + "/api/v1/events?after=0"));
  EXPECT_NE(events.out.find("\"number\":\"16\""), std::string::npos) << events.out;
  EXPECT_NE(events.out.find("\"number\":\"17\""), std::string::npos) << events.out;
}

// The CRL number of a DER CRL file, as openssl prints it ("" when unreadable).
std::string crl_number_of(const std::string& file) {
  auto r = sh("openssl crl -inform DER -in " + q(file) + " -noout -crlnumber 2>&1");
  const auto eq = r.out.find('=');
  return r.exit_code == 0 && eq != std::string::npos ? trim(r.out.substr(eq + 1)) : "";
}

TEST(CrlBuilt, SignedHereCurrentWithinSecondsAndNumbersSurviveKill9) {
  const DemoPki& pki = demo_pki();
  Daemon daemon;
  daemon.replace_in_config("name = \"demo-ec\"",
                           "name = \"demo-ec\"\ncrl_key = \"" + pki.dir + "/demo-ec/ca.key\"");
  daemon.set_config("rebuild_after", "1");
  daemon.start();
  const std::string dir = make_temp_dir("trustmon-crl-built");
  const std::string crl = dir + "/demo-ec.crl";
  // Fetches the CRL until `until` holds of it (at most 15 s).
  const auto fetch_until = [&](const std::function<bool()>& until) {
    for (int i = 0; i < 150; ++i) {
      auto r = sh("curl -s -o " + q(crl) + " -w '%{http_code}' " + q(daemon.url() + "/crl/demo-ec.crl"));
      if (r.out == "200" && until()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  ASSERT_TRUE(fetch_until([] { return true; })) << daemon.log();
  auto verified = sh("openssl crl -inform DER -in " + q(crl) + " -noout -verify -CAfile " + q(pki.ca("demo-ec")) + " 2>&1");
  EXPECT_NE(verified.out.find("verify OK"), std::string::npos) << verified.out;
  const std::string first = crl_number_of(crl);
  ASSERT_FALSE(first.empty());

  // A certificate of the demo EC CA, revoked through the API: on the CRL within seconds.
  auto made = sh("cd " + q(dir) +
                 " && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ee.key -out ee.csr"
                 " -subj '/CN=CRL built' 2>&1 && openssl x509 -req -in ee.csr -CA " + q(pki.ca("demo-ec")) +
                 " -CAkey " + q(pki.dir + "/demo-ec/ca.key") + " -set_serial 0x6161 -days 30 -out ee.pem 2>&1");
  ASSERT_EQ(made.exit_code, 0) << made.out;
  auto revoked = sh("curl -s -w ' %{http_code}' -H " + q("Authorization: Bearer " + daemon.token()) +
                    " -H 'Content-Type: application/json' -d " +
                    q("{\"issuer\":\"demo-ec\",\"serial\":\"6161\",\"reason\":\"keyCompromise\"}") + " " +
                    q(daemon.url() + "/api/v1/revocations"));
  ASSERT_NE(revoked.out.find(" 200"), std::string::npos) << revoked.out;
  ASSERT_TRUE(fetch_until([&] {
    return sh("openssl crl -inform DER -in " + q(crl) + " -noout -text").out.find("6161") != std::string::npos;
  })) << daemon.log();
  auto chain = sh("openssl crl -inform DER -in " + q(crl) + " -out " + q(dir + "/crl.pem") +
                  " && openssl verify -partial_chain -crl_check -CAfile " + q(pki.ca("demo-ec")) + " -CRLfile " +
                  q(dir + "/crl.pem") + " " + q(dir + "/ee.pem") + " 2>&1");
  EXPECT_NE(chain.out.find("certificate revoked"), std::string::npos) << chain.out;
  // A hold (certificateHold) shows on the CRL; released ("скасування блокування"), it leaves it.
  const auto post = [&](const std::string& json_body) {
    return sh("curl -s -H " + q("Authorization: Bearer " + daemon.token()) + " -H 'Content-Type: application/json' -d " +
              q(json_body) + " " + q(daemon.url() + "/api/v1/revocations"));
  };
  const auto crl_text = [&] { return sh("openssl crl -inform DER -in " + q(crl) + " -noout -text").out; };
  auto hold = post("{\"issuer\":\"demo-ec\",\"serial\":\"6162\",\"reason\":\"certificateHold\"}");
  EXPECT_NE(hold.out.find("\"revoked\":1"), std::string::npos) << hold.out;
  ASSERT_TRUE(fetch_until([&] { return crl_text().find("6162") != std::string::npos; })) << daemon.log();
  EXPECT_NE(crl_text().find("Certificate Hold"), std::string::npos);
  auto release = post("{\"issuer\":\"demo-ec\",\"serial\":\"6162\",\"release\":true}");
  EXPECT_NE(release.out.find("\"released\":1"), std::string::npos) << release.out;
  auto again = post("{\"issuer\":\"demo-ec\",\"serial\":\"6161\",\"release\":true}");
  EXPECT_NE(again.out.find("not_on_hold"), std::string::npos) << again.out;
  ASSERT_TRUE(fetch_until([&] {
    const std::string text = crl_text();
    return text.find("6162") == std::string::npos && text.find("6161") != std::string::npos;
  })) << daemon.log();

  const std::string second = crl_number_of(crl);
  EXPECT_GT(std::stoul(second, nullptr, 16), std::stoul(first, nullptr, 16));

  // kill -9 and start again: the next CRL has a greater number, never one used before.
  daemon.kill9();
  daemon.start();
  ASSERT_TRUE(fetch_until([&] {
    const std::string n = crl_number_of(crl);
    return !n.empty() && std::stoul(n, nullptr, 16) > std::stoul(second, nullptr, 16);
  })) << daemon.log();
  EXPECT_NE(sh("openssl crl -inform DER -in " + q(crl) + " -noout -text").out.find("6161"), std::string::npos);
  daemon.stop();
}

TEST(CrlBuilt, DeltasAgreeWithOcspAndShardsVerify) {
  const DemoPki& pki = demo_pki();
  Daemon daemon;
  daemon.replace_in_config("name = \"demo-ec\"",
                           "name = \"demo-ec\"\ncrl_key = \"" + pki.dir + "/demo-ec/ca.key\"");
  daemon.set_config("rebuild_after", "\"1h\"");  // only deltas carry the changes below
  daemon.set_config("delta_interval", "\"1s\"");
  daemon.set_config("shards", "3");
  daemon.start();
  const std::string dir = make_temp_dir("trustmon-crl-delta");
  const std::string ca = pki.ca("demo-ec");

  const auto delta_check = [&](const std::string& phase) {
    return sh("python3 " + q(std::string(TRUSTMON_SOURCE_DIR) + "/tests/integration/crl_delta_check.py") + " " +
              q(daemon.url()) + " " + q(daemon.token()) + " demo-ec " + q(ca) + " " + q(dir) + " 1500 7 " + phase +
              " 2>&1");
  };
  // The first round, then a restart: the new complete CRL lists it (holds included), so the
  // later rounds' releases reach the delta as removeFromCRL.
  auto first = delta_check("first");
  ASSERT_EQ(first.exit_code, 0) << first.out;
  daemon.stop();
  daemon.start();
  auto checked = delta_check("rest");
  ASSERT_EQ(checked.exit_code, 0) << checked.out << daemon.log();
  const json report = json::parse(checked.out.substr(checked.out.find('{')), nullptr, false);
  ASSERT_TRUE(report.is_object() && report.contains("mismatches")) << checked.out;
  EXPECT_EQ(report["mismatches"].size(), 0u) << report.dump();
  EXPECT_GT(report["revoked"].get<int>(), 300) << report.dump();
  EXPECT_GT(report["removed"].get<int>(), 0) << "some holds were released: " << report.dump();

  // A certificate revoked after the complete CRL: only the delta has it, and openssl sees it.
  auto made = sh("cd " + q(dir) +
                 " && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ee.key -out ee.csr"
                 " -subj '/CN=CRL delta' 2>&1 && openssl x509 -req -in ee.csr -CA " + q(ca) + " -CAkey " +
                 q(pki.dir + "/demo-ec/ca.key") + " -set_serial 0x6363 -days 30 -out ee.pem 2>&1");
  ASSERT_EQ(made.exit_code, 0) << made.out;
  const auto verify = [&] {
    sh("curl -s -o " + q(dir + "/full.crl") + " " + q(daemon.url() + "/crl/demo-ec.crl") + " && curl -s -o " +
       q(dir + "/delta.crl") + " " + q(daemon.url() + "/crl/demo-ec.delta.crl") + " && openssl crl -inform DER -in " +
       q(dir + "/full.crl") + " -out " + q(dir + "/full.pem") + " && openssl crl -inform DER -in " +
       q(dir + "/delta.crl") + " -out " + q(dir + "/delta.pem"));
    return sh("openssl verify -partial_chain -crl_check -use_deltas -CAfile " + q(ca) + " -CRLfile " +
              q(dir + "/full.pem") + " -CRLfile " + q(dir + "/delta.pem") + " " + q(dir + "/ee.pem") + " 2>&1");
  };
  auto before = verify();
  EXPECT_EQ(before.exit_code, 0) << before.out;
  auto revoked = sh("curl -s -w ' %{http_code}' -H " + q("Authorization: Bearer " + daemon.token()) +
                    " -H 'Content-Type: application/json' -d " +
                    q("{\"issuer\":\"demo-ec\",\"serial\":\"6363\",\"reason\":\"keyCompromise\"}") + " " +
                    q(daemon.url() + "/api/v1/revocations"));
  ASSERT_NE(revoked.out.find(" 200"), std::string::npos) << revoked.out;
  bool seen = false;
  for (int i = 0; i < 100 && !seen; ++i) {
    auto after = verify();
    seen = after.out.find("certificate revoked") != std::string::npos;
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(seen) << verify().out << daemon.log();
  auto full_text = sh("openssl crl -inform DER -in " + q(dir + "/full.crl") + " -noout -text").out;
  EXPECT_EQ(full_text.find("6363"), std::string::npos) << "the complete CRL waits for rebuild_after";

  const auto count_serials = [](const std::string& text) {
    std::size_t n = 0;
    for (std::size_t p = text.find("Serial Number:"); p != std::string::npos; p = text.find("Serial Number:", p + 1)) ++n;
    return n;
  };
  // A restart builds a complete CRL with everything above. Its shards: each verifies, names
  // itself in its Issuing Distribution Point, and together they list what it lists.
  daemon.stop();
  daemon.start();
  for (int i = 0; i < 100; ++i) {
    sh("curl -s -o " + q(dir + "/full.crl") + " " + q(daemon.url() + "/crl/demo-ec.crl"));
    full_text = sh("openssl crl -inform DER -in " + q(dir + "/full.crl") + " -noout -text").out;
    if (full_text.find("6363") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_NE(full_text.find("6363"), std::string::npos) << full_text.substr(0, 2000);
  std::size_t listed = 0;
  for (int k = 0; k < 3; ++k) {
    const std::string file = dir + "/shard" + std::to_string(k) + ".crl";
    ASSERT_EQ(sh("curl -s -o " + q(file) + " -w '%{http_code}' " +
                 q(daemon.url() + "/crl/demo-ec/" + std::to_string(k) + ".crl")).out,
              "200");
    auto text = sh("openssl crl -inform DER -in " + q(file) + " -noout -text -verify -CAfile " + q(ca) + " 2>&1").out;
    EXPECT_NE(text.find("verify OK"), std::string::npos) << text;
    EXPECT_NE(text.find("Issuing Distribution Point"), std::string::npos) << text;
    EXPECT_NE(text.find("/crl/demo-ec/" + std::to_string(k) + ".crl"), std::string::npos) << text;
    EXPECT_NE(text.find("Only User Certificates"), std::string::npos) << text;
    auto gnutls = sh("certtool --crl-info --inder --infile " + q(file) + " 2>&1");
    EXPECT_EQ(gnutls.exit_code, 0) << gnutls.out;
    EXPECT_NE(gnutls.out.find("Version: 2"), std::string::npos) << gnutls.out;
    sh("openssl crl -inform DER -in " + q(file) + " -out " + q(file + ".pem"));
    auto gnutls_verify = sh("certtool --verify-crl --load-ca-certificate " + q(ca) + " --infile " + q(file + ".pem") +
                            " 2>&1");
    EXPECT_EQ(gnutls_verify.exit_code, 0) << gnutls_verify.out;
    listed += count_serials(text);
  }
  const std::size_t complete = count_serials(full_text);
  EXPECT_EQ(listed, complete);
  EXPECT_GT(complete, 0u);
  daemon.stop();
}

// `trustmonctl crl check` against a running daemon: an uploaded CRL (openssl ca -gencrl,
// demo RSA CA) that leaves out a certificate revoked here and lists one never ingested
// differs (exit 3, both serials printed, a crl.discrepancy event); the CRL the daemon
// builds for demo-ec (crl_key) agrees with the status data (exit 0); an issuer without a
// published CRL is refused as crl_not_found (exit 1).
TEST(CrlCheck, UploadedCrlDiffersBuiltCrlAgrees) {
  const DemoPki& pki = demo_pki();
  Daemon daemon;
  daemon.replace_in_config("name = \"demo-ec\"",
                           "name = \"demo-ec\"\ncrl_key = \"" + pki.dir + "/demo-ec/ca.key\"");
  daemon.set_config("rebuild_after", "1");
  daemon.start();
  const std::string dir = make_temp_dir("trustmon-crl-check");
  const auto ctl = [&](const std::string& args) { return sh(daemon.ctl() + " " + args + " 2>&1"); };
  const auto post = [&](const std::string& json_body) {
    return sh("curl -s -H " + q("Authorization: Bearer " + daemon.token()) + " -H 'Content-Type: application/json' -d " +
              q(json_body) + " " + q(daemon.url() + "/api/v1/revocations"));
  };

  // Nothing published for demo-rsa yet.
  auto none = ctl("crl check --issuer demo-rsa");
  EXPECT_EQ(none.exit_code, 1) << none.out;
  EXPECT_NE(none.out.find("crl_not_found"), std::string::npos) << none.out;

  // Two demo-rsa certificates ingested; the second revoked here (before the CRL is made).
  const auto rsa = pki.serials("demo-rsa");
  ASSERT_GE(rsa.size(), 2u);
  const std::string listed = rsa[0], missing = rsa[1], unknown = "7373";
  auto imported = ctl("import " + q(pki.cert("demo-rsa", listed)) + " " + q(pki.cert("demo-rsa", missing)));
  ASSERT_EQ(imported.exit_code, 0) << imported.out;
  auto revoked = post("{\"issuer\":\"demo-rsa\",\"serial\":\"" + missing +
                      "\",\"reason\":\"keyCompromise\",\"time\":\"2026-01-02T00:00:00Z\"}");
  ASSERT_NE(revoked.out.find("\"revoked\":1"), std::string::npos) << revoked.out;

  // The provider's CRL lists the first certificate and one never ingested, not the second.
  std::ofstream(dir + "/ca.cnf") << "[ca]\ndefault_ca = demo\n[demo]\n"
                                 << "database = " << dir << "/index.txt\n"
                                 << "crlnumber = " << dir << "/crlnumber\n"
                                 << "certificate = " << pki.ca("demo-rsa") << "\n"
                                 << "private_key = " << pki.dir << "/demo-rsa/ca.key\n"
                                 << "default_md = sha256\ndefault_crl_days = 7\n";
  std::ofstream(dir + "/index.txt") << "R\t491231235959Z\t260101000000Z,keyCompromise\t" << listed << "\tunknown\t/CN=a\n"
                                    << "R\t491231235959Z\t260101000000Z,keyCompromise\t" << unknown
                                    << "\tunknown\t/CN=b\n";
  std::ofstream(dir + "/crlnumber") << "20\n";
  auto made = sh("cd " + q(dir) + " && openssl ca -config ca.cnf -gencrl -out crl.pem 2>&1" +
                 " && openssl crl -in crl.pem -outform DER -out crl.der 2>&1");
  ASSERT_EQ(made.exit_code, 0) << made.out;
  auto uploaded = sh("curl -s -w ' %{http_code}' -H " + q("Authorization: Bearer " + daemon.token()) +
                     " -H 'Content-Type: application/pkix-crl' --data-binary @" + q(dir + "/crl.der") + " " +
                     q(daemon.url() + "/api/v1/crls"));
  ASSERT_NE(uploaded.out.find(" 200"), std::string::npos) << uploaded.out;

  auto differs = ctl("crl check --issuer demo-rsa");
  EXPECT_EQ(differs.exit_code, 3) << differs.out;
  EXPECT_NE(differs.out.find("DIFFERS"), std::string::npos) << differs.out;
  EXPECT_NE(differs.out.find("missing_from_crl: 1"), std::string::npos) << differs.out;
  EXPECT_NE(differs.out.find(missing), std::string::npos) << differs.out;
  EXPECT_NE(differs.out.find("unknown_here: 1"), std::string::npos) << differs.out;
  EXPECT_NE(differs.out.find(unknown), std::string::npos) << differs.out;
  auto as_json = sh(daemon.ctl() + " crl check --issuer demo-rsa --json");
  EXPECT_EQ(as_json.exit_code, 3) << as_json.out;
  const json answer = json::parse(as_json.out, nullptr, false);
  ASSERT_TRUE(answer.is_object()) << as_json.out;
  EXPECT_EQ(answer["source"], "uploaded");
  EXPECT_EQ(answer["number"], "32");
  EXPECT_EQ(answer["agrees"], false);
  EXPECT_EQ(answer["missing_from_crl"]["serials"], json::array({missing}));
  EXPECT_EQ(answer["unknown_here"]["serials"], json::array({unknown}));
  EXPECT_EQ(answer["good_here"]["count"], 0);
  EXPECT_EQ(answer["reason_differs"]["count"], 0);
  // The upload raised the same comparison as an event, counted in the metrics.
  auto events = sh("curl -s -H " + q("Authorization: Bearer " + daemon.token()) + " " +
                   q(daemon.url() + "/api/v1/events?after=0"));
  EXPECT_NE(events.out.find("crl.discrepancy"), std::string::npos) << events.out;
  auto metrics = sh("curl -s " + q(daemon.url() + "/metrics"));
  EXPECT_NE(metrics.out.find("trustmon_crl_discrepancies_total 1"), std::string::npos) << metrics.out;

  // demo-ec: a certificate ingested and revoked; once the built CRL lists it, it agrees.
  const std::string ec = pki.serials("demo-ec").at(0);
  ASSERT_EQ(ctl("import " + q(pki.cert("demo-ec", ec))).exit_code, 0);
  auto ec_revoked = post("{\"issuer\":\"demo-ec\",\"serial\":\"" + ec + "\",\"reason\":\"keyCompromise\"}");
  ASSERT_NE(ec_revoked.out.find("\"revoked\":1"), std::string::npos) << ec_revoked.out;
  const std::string crl = dir + "/demo-ec.crl";
  bool on_crl = false;
  for (int i = 0; i < 150 && !on_crl; ++i) {
    auto r = sh("curl -s -o " + q(crl) + " -w '%{http_code}' " + q(daemon.url() + "/crl/demo-ec.crl"));
    on_crl = r.out == "200" &&
             sh("openssl crl -inform DER -in " + q(crl) + " -noout -text").out.find(ec) != std::string::npos;
    if (!on_crl) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(on_crl) << daemon.log();
  auto agrees = ctl("crl check --issuer demo-ec");
  EXPECT_EQ(agrees.exit_code, 0) << agrees.out;
  EXPECT_NE(agrees.out.find("agrees with the status data"), std::string::npos) << agrees.out;
  EXPECT_NE(agrees.out.find("(built"), std::string::npos) << agrees.out;
  daemon.stop();
}

}  // namespace
}  // namespace trustmon::itest
