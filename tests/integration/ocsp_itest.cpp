// OCSP answers from the real daemon, checked with `openssl ocsp` (POST, nonce, several
// CertIDs, SHA-1/SHA-256 CertIDs) and curl (RFC 5019 GET, caching headers, 304).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/integration/daemon.hpp"

namespace trustmon::itest {
namespace {

struct Revocation {
  std::string issuer, serial, reason;
};

std::vector<Revocation> demo_revocations() {
  std::vector<Revocation> out;
  std::istringstream in(read_text(demo_pki().dir + "/revocations.tsv"));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream f(line);
    Revocation r;
    std::getline(f, r.issuer, '\t');
    std::getline(f, r.serial, '\t');
    std::getline(f, r.reason, '\t');
    out.push_back(r);
  }
  return out;
}

bool is_revoked(const std::string& issuer, const std::string& serial) {
  for (const auto& r : demo_revocations())
    if (r.issuer == issuer && r.serial == serial) return true;
  return false;
}

std::string first_good(const std::string& issuer, int skip = 0) {
  for (const auto& s : demo_pki().serials(issuer))
    if (!is_revoked(issuer, s) && skip-- <= 0) return s;
  return "";
}

// Imports the demo PKI's certificates and revocations into a running daemon.
void load_demo(const Daemon& d) {
  const auto& pki = demo_pki();
  auto imp = sh(d.ctl() + " import " + q(pki.dir + "/demo-ec/certs") + " " + q(pki.dir + "/demo-rsa/certs"));
  ASSERT_EQ(imp.exit_code, 0) << imp.out;
  auto summary = nlohmann::json::parse(imp.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << imp.out;
  EXPECT_EQ(summary["refused"], 0) << imp.out;
  EXPECT_GT(summary["stored"].get<int>() + summary["duplicate"].get<int>(), 0) << imp.out;
  auto rev = sh(d.ctl() + " revoke --file " + q(pki.dir + "/revocations.tsv"));
  ASSERT_EQ(rev.exit_code, 0) << rev.out;
}

std::string ocsp(const Daemon& d, const std::string& issuer, const std::vector<std::string>& serials,
                 const std::string& extra = "") {
  const auto& pki = demo_pki();
  std::string cmd = "openssl ocsp -url " + d.url() + "/ocsp -issuer " + q(pki.ca(issuer)) + " -CAfile " + q(pki.root);
  cmd += " " + extra;  // before -cert: openssl wants the CertID digest option first
  for (const auto& s : serials) cmd += " -cert " + q(pki.cert(issuer, s));
  return sh(cmd).out;
}

long cache_answers(const Daemon& d) {
  const std::string metrics = sh("curl -s " + d.url() + "/metrics").out;
  std::smatch m;
  if (!std::regex_search(metrics, m, std::regex("trustmon_ocsp_answers_total\\{outcome=\"cache\"\\} ([0-9]+)")))
    return 0;
  return std::stol(m[1].str());
}

// Ingest stores no pre-signed response for a new good certificate (the responder signs
// live until the refresher has stored one). Waits until a no-nonce request for `serial`
// is answered from the store; daemons that use this run with refresh_interval = 1.
void wait_presigned(const Daemon& d, const std::string& issuer, const std::string& serial) {
  for (int i = 0; i < 150; ++i) {
    const long before = cache_answers(d);
    ocsp(d, issuer, {serial}, "-no_nonce");
    if (cache_answers(d) > before) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ADD_FAILURE() << "the refresher stored no response for " << issuer << " " << serial;
}

class OcspTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    daemon_ = new Daemon();
    daemon_->set_config("refresh_interval", "1");
    daemon_->start();
    load_demo(*daemon_);
    // The GET/304 test needs a stored response (a live one is new, with a new ETag, each time).
    wait_presigned(*daemon_, "demo-ec", first_good("demo-ec"));
    wait_presigned(*daemon_, "demo-ec", first_good("demo-ec", 1));
  }
  static void TearDownTestSuite() {
    daemon_->stop();
    delete daemon_;
    daemon_ = nullptr;
  }
  static Daemon* daemon_;
};
Daemon* OcspTest::daemon_ = nullptr;

TEST_F(OcspTest, GoodForBothIssuersWithNonceEchoed) {
  for (const char* issuer : {"demo-ec", "demo-rsa"}) {
    std::string serial = first_good(issuer);
    std::string out = ocsp(*daemon_, issuer, {serial}, "-resp_text");
    EXPECT_NE(out.find("Response verify OK"), std::string::npos) << out;
    EXPECT_NE(out.find(": good"), std::string::npos) << out;
    EXPECT_NE(out.find("OCSP Nonce"), std::string::npos) << out;  // the nonce came back
    EXPECT_EQ(out.find("WARNING"), std::string::npos) << out;
    // ResponderID byKey: openssl prints the 20-byte key hash in hex (byName would print a name).
    EXPECT_TRUE(std::regex_search(out, std::regex("Responder Id: [0-9A-F]{40}\\n"))) << out;
  }
}

TEST_F(OcspTest, RevokedWithReasonAndTime) {
  for (const auto& r : demo_revocations()) {
    std::string out = ocsp(*daemon_, r.issuer, {r.serial}, "-resp_text");
    EXPECT_NE(out.find("Response verify OK"), std::string::npos) << out;
    EXPECT_NE(out.find(": revoked"), std::string::npos) << out;
    EXPECT_NE(out.find("Revocation Time:"), std::string::npos) << out;
    // OpenSSL 3.0 names reasons up to removeFromCRL (8) and prints the others by code.
    if (r.reason == "privilegeWithdrawn")
      EXPECT_NE(out.find("Revocation Reason: (UNKNOWN) (0x9)"), std::string::npos) << out;
    else if (r.reason == "aACompromise")
      EXPECT_NE(out.find("Revocation Reason: (UNKNOWN) (0xa)"), std::string::npos) << out;
    else
      EXPECT_NE(out.find("Reason: " + r.reason), std::string::npos) << r.reason << "\n" << out;
  }
}

TEST_F(OcspTest, UnknownSerialIsNeverGood) {
  const auto& pki = demo_pki();
  auto out = sh("openssl ocsp -url " + daemon_->url() + "/ocsp -issuer " + q(pki.ca("demo-ec")) +
                " -serial 0x0123456789ABCDEF -CAfile " + q(pki.root)).out;
  EXPECT_NE(out.find("Response verify OK"), std::string::npos) << out;
  EXPECT_NE(out.find(": unknown"), std::string::npos) << out;
}

TEST_F(OcspTest, UnknownIssuerIsUnauthorized) {
  const auto& pki = demo_pki();
  // The root is not a configured issuer.
  auto out = sh("openssl ocsp -url " + daemon_->url() + "/ocsp -issuer " + q(pki.root) +
                " -serial 0x01 -CAfile " + q(pki.root)).out;
  EXPECT_NE(out.find("unauthorized (6)"), std::string::npos) << out;
}

TEST_F(OcspTest, Sha256AndSha1CertIds) {
  std::string serial = first_good("demo-rsa");
  std::string sha256 = ocsp(*daemon_, "demo-rsa", {serial}, "-sha256 -resp_text");
  EXPECT_NE(sha256.find("Response verify OK"), std::string::npos) << sha256;
  EXPECT_NE(sha256.find("Hash Algorithm: sha256"), std::string::npos) << sha256;
  EXPECT_NE(sha256.find(": good"), std::string::npos) << sha256;
  std::string sha1 = ocsp(*daemon_, "demo-rsa", {serial}, "-no_nonce -resp_text");
  EXPECT_NE(sha1.find("Hash Algorithm: sha1"), std::string::npos) << sha1;
  EXPECT_NE(sha1.find(": good"), std::string::npos) << sha1;
}

TEST_F(OcspTest, TwoCertIdsInOneRequest) {
  // The demo PKI revokes a random 10 %: take the issuer from a revocation that exists.
  auto revocations = demo_revocations();
  ASSERT_FALSE(revocations.empty());
  const Revocation& revoked = revocations.front();
  std::string good = first_good(revoked.issuer);
  std::string out = ocsp(*daemon_, revoked.issuer, {good, revoked.serial});
  EXPECT_NE(out.find("Response verify OK"), std::string::npos) << out;
  EXPECT_NE(out.find(": good"), std::string::npos) << out;
  EXPECT_NE(out.find(": revoked"), std::string::npos) << out;
}

TEST_F(OcspTest, PresignedPostWithoutNonce) {
  std::string serial = first_good("demo-ec", 1);
  std::string out = ocsp(*daemon_, "demo-ec", {serial}, "-no_nonce -resp_text");
  EXPECT_NE(out.find("Response verify OK"), std::string::npos) << out;
  EXPECT_NE(out.find(": good"), std::string::npos) << out;
  EXPECT_NE(out.find("Next Update:"), std::string::npos) << out;
}

TEST_F(OcspTest, GetWithCachingHeadersAndConditional304) {
  const auto& pki = demo_pki();
  std::string dir = make_temp_dir("trustmon-get");
  std::string serial = first_good("demo-ec");
  std::string cert = pki.cert("demo-ec", serial);
  ASSERT_EQ(sh("openssl ocsp -issuer " + q(pki.ca("demo-ec")) + " -cert " + q(cert) + " -no_nonce -reqout " +
               q(dir + "/req.der")).exit_code, 0);
  // RFC 5019: base64 of the DER, URL-encoded.
  std::string b64 = sh("base64 -w0 " + q(dir + "/req.der") + " | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g'").out;
  auto get = sh("curl -s -D " + q(dir + "/h.txt") + " -o " + q(dir + "/resp.der") + " -w '%{http_code}' " +
                daemon_->url() + "/ocsp/" + b64);
  ASSERT_EQ(get.out, "200");
  std::string headers = read_text(dir + "/h.txt");
  EXPECT_NE(headers.find("Content-Type: application/ocsp-response"), std::string::npos) << headers;
  EXPECT_TRUE(std::regex_search(headers, std::regex("\r\nCache-Control: max-age=[1-9][0-9]*, public, "
                                                     "no-transform, must-revalidate\r\n")))
      << headers;
  EXPECT_NE(headers.find("Last-Modified: "), std::string::npos) << headers;
  EXPECT_NE(headers.find("Expires: "), std::string::npos) << headers;
  // The same request with the base64 as it is ('+', '/' and '=' raw in the path, as most
  // clients send it): the same answer, decoded without the percent-decoding copy.
  const std::string plain_b64 = sh("base64 -w0 " + q(dir + "/req.der")).out;
  auto get_raw =
      sh("curl -s -o " + q(dir + "/resp-raw.der") + " -w '%{http_code}' " + daemon_->url() + "/ocsp/" + plain_b64);
  ASSERT_EQ(get_raw.out, "200");
  EXPECT_EQ(read_text(dir + "/resp-raw.der"), read_text(dir + "/resp.der"));
  auto verify = sh("openssl ocsp -respin " + q(dir + "/resp.der") + " -issuer " + q(pki.ca("demo-ec")) +
                   " -cert " + q(cert) + " -CAfile " + q(pki.root) + " -no_nonce");
  EXPECT_NE(verify.out.find("Response verify OK"), std::string::npos) << verify.out;
  EXPECT_NE(verify.out.find(": good"), std::string::npos) << verify.out;

  std::string etag = sh("grep -i '^ETag:' " + q(dir + "/h.txt") + " | cut -d' ' -f2 | tr -d '\\r\\n'").out;
  ASSERT_FALSE(etag.empty()) << headers;
  // One strong entity tag: a quoted string with no quotes inside (RFC 9110 §8.8.3).
  EXPECT_TRUE(std::regex_match(etag, std::regex("\"[0-9a-f]+\""))) << etag;
  auto cond = sh("curl -s -o /dev/null -w '%{http_code}' -H " + q("If-None-Match: " + etag) + " " +
                 daemon_->url() + "/ocsp/" + b64);
  EXPECT_EQ(cond.out, "304");
  auto other = sh("curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: \"nope\"' " + daemon_->url() +
                  "/ocsp/" + b64);
  EXPECT_EQ(other.out, "200");
  // Unencoded base64 (with '/' and '+' as they are) is accepted too.
  std::string raw = sh("base64 -w0 " + q(dir + "/req.der")).out;
  EXPECT_EQ(sh("curl -s -o /dev/null -w '%{http_code}' " + daemon_->url() + "/ocsp/" + raw).out, "200");
}

TEST_F(OcspTest, MalformedAndOversizedAnswerMalformedRequest) {
  auto garbage = sh("printf 'not der at all' | curl -s --data-binary @- -H 'Content-Type: application/ocsp-request' " +
                    daemon_->url() + "/ocsp | od -An -tx1 | tr -d ' \\n'");
  EXPECT_EQ(garbage.out, "30030a0101");
  auto get = sh("curl -s " + daemon_->url() + "/ocsp/bm90IGRlcg== | od -An -tx1 | tr -d ' \\n'");
  EXPECT_EQ(get.out, "30030a0101");
  // Larger than ocsp.max_request_bytes but well within the HTTP body limit.
  auto big = sh("head -c 20000 /dev/zero | curl -s --data-binary @- -H 'Content-Type: application/ocsp-request' " +
                daemon_->url() + "/ocsp | od -An -tx1 | tr -d ' \\n'");
  EXPECT_EQ(big.out, "30030a0101");
  // Larger than the HTTP body limit: refused by the server, which keeps serving.
  auto huge = sh("head -c 20000000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' --data-binary @- " +
                 daemon_->url() + "/ocsp");
  EXPECT_EQ(huge.out, "413");
  EXPECT_EQ(sh("curl -s -o /dev/null -w '%{http_code}' " + daemon_->url() + "/healthz").out, "200");
}

TEST(OcspLifecycle, RevocationVisibleInTheVeryNextAnswer) {
  Daemon d;
  d.start();
  load_demo(d);
  std::string serial = first_good("demo-rsa");
  EXPECT_NE(ocsp(d, "demo-rsa", {serial}, "-no_nonce").find(": good"), std::string::npos);
  auto rev = sh(d.ctl() + " revoke --issuer demo-rsa --serial " + serial + " --reason keyCompromise");
  ASSERT_EQ(rev.exit_code, 0) << rev.out;
  // Pre-signed path (no nonce) and live path (nonce) both say revoked at once.
  std::string presigned = ocsp(d, "demo-rsa", {serial}, "-no_nonce");
  EXPECT_NE(presigned.find(": revoked"), std::string::npos) << presigned;
  EXPECT_NE(presigned.find("Reason: keyCompromise"), std::string::npos) << presigned;
  std::string live = ocsp(d, "demo-rsa", {serial});
  EXPECT_NE(live.find(": revoked"), std::string::npos) << live;
  d.stop();
}

// Right after an import, before the refresher's next pass: two identical requests get the
// same bytes (the first live answer is kept, then stored), a GET's ETag gives 304, and a
// SHA-256 CertID is answered pre-signed from its second request on, also after a restart.
TEST(OcspLifecycle, AnswersRightAfterIngestAreStoredOnce) {
  Daemon d;
  // The refresher's first pass runs before the import and the next one a day later: what
  // answers alike below is the kept live answer, not the refresher.
  d.set_config("refresh_interval", "\"1d\"");
  d.start();
  load_demo(d);
  const auto& pki = demo_pki();
  const std::string dir = make_temp_dir("trustmon-kept");
  const std::string serial = first_good("demo-ec", 2);
  const std::string cert = pki.cert("demo-ec", serial);
  ASSERT_EQ(sh("openssl ocsp -issuer " + q(pki.ca("demo-ec")) + " -cert " + q(cert) + " -no_nonce -reqout " +
               q(dir + "/req.der")).exit_code, 0);
  const std::string b64 = sh("base64 -w0 " + q(dir + "/req.der") + " | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g'").out;
  const auto get = [&](const std::string& name, const std::string& header = "") {
    return sh("curl -s -D " + q(dir + "/" + name + ".h") + " -o " + q(dir + "/" + name + ".der") +
              " -w '%{http_code}' " + (header.empty() ? "" : "-H " + q(header) + " ") + d.url() + "/ocsp/" + b64).out;
  };
  const auto etag_of = [&](const std::string& name) {
    return sh("grep -i '^ETag:' " + q(dir + "/" + name + ".h") + " | cut -d' ' -f2 | tr -d '\\r\\n'").out;
  };
  const auto same = [&](const std::string& a, const std::string& b) {
    return sh("cmp -s " + q(dir + "/" + a + ".der") + " " + q(dir + "/" + b + ".der")).exit_code == 0;
  };
  ASSERT_EQ(get("get1"), "200");
  ASSERT_EQ(get("get2"), "200");
  EXPECT_TRUE(same("get1", "get2"));
  const std::string etag = etag_of("get1");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(etag_of("get2"), etag);
  EXPECT_EQ(get("get3", "If-None-Match: " + etag), "304");
  auto verify = sh("openssl ocsp -respin " + q(dir + "/get1.der") + " -issuer " + q(pki.ca("demo-ec")) + " -cert " +
                   q(cert) + " -CAfile " + q(pki.root) + " -no_nonce");
  EXPECT_NE(verify.out.find("Response verify OK"), std::string::npos) << verify.out;
  EXPECT_NE(verify.out.find(": good"), std::string::npos) << verify.out;

  // SHA-256 CertIDs (RFC 9919), by POST: the second answer is the first one's bytes.
  const std::string other = first_good("demo-ec", 3);
  const auto post256 = [&](const std::string& name) {
    return ocsp(d, "demo-ec", {other}, "-sha256 -no_nonce -respout " + q(dir + "/" + name + ".der"));
  };
  const long cached_before = cache_answers(d);
  std::string first = post256("sha256-1");
  EXPECT_NE(first.find("Response verify OK"), std::string::npos) << first;
  EXPECT_NE(first.find(": good"), std::string::npos) << first;
  post256("sha256-2");
  EXPECT_TRUE(same("sha256-1", "sha256-2"));
  EXPECT_EQ(cache_answers(d), cached_before + 1);

  // Stored, not only held in memory: the same bytes after a restart.
  d.stop();
  d.start();
  post256("sha256-3");
  EXPECT_TRUE(same("sha256-1", "sha256-3"));
  ASSERT_EQ(get("get4"), "200");
  EXPECT_TRUE(same("get1", "get4"));
  d.stop();
}

// RFC 6960 §4.4.4: a certificate past its notAfter is answered with ArchiveCutoff, the CA's
// notBefore (its status is kept for as long as the CA has been issuing).
TEST(OcspLifecycle, ExpiredCertificateAnsweredWithArchiveCutoff) {
  Daemon d;
  d.start();
  const auto& pki = demo_pki();
  const std::string dir = make_temp_dir("trustmon-expired");
  // An expired certificate of the demo EC CA, made by python3-cryptography.
  const std::string make = R"PY(
import datetime, sys
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
ca = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read())
ca_key = serialization.load_pem_private_key(open(sys.argv[2], 'rb').read(), None)
key = ec.generate_private_key(ec.SECP256R1())
now = datetime.datetime.utcnow()
cert = (x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'Expired holder')]))
        .issuer_name(ca.subject).public_key(key.public_key()).serial_number(0x7E57ED0001)
        .not_valid_before(now - datetime.timedelta(days=400))
        .not_valid_after(now - datetime.timedelta(days=10))
        .sign(ca_key, hashes.SHA256()))
open(sys.argv[3], 'wb').write(cert.public_bytes(serialization.Encoding.PEM))
)PY";
  std::ofstream(dir + "/make.py") << make;
  const std::string cert = dir + "/expired.pem";
  auto made = sh("python3 " + q(dir + "/make.py") + " " + q(pki.ca("demo-ec")) + " " +
                 q(pki.dir + "/demo-ec/ca.key") + " " + q(cert));
  ASSERT_EQ(made.exit_code, 0) << made.out;
  auto imp = sh(d.ctl() + " import " + q(cert));
  ASSERT_EQ(imp.exit_code, 0) << imp.out;
  auto summary = nlohmann::json::parse(imp.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << imp.out;
  EXPECT_EQ(summary["stored"], 1) << imp.out;

  const std::string base = "openssl ocsp -url " + d.url() + "/ocsp -issuer " + q(pki.ca("demo-ec")) + " -CAfile " +
                           q(pki.root) + " -no_nonce -resp_text -cert " + q(cert);
  const std::string ca_start = sh("openssl x509 -noout -startdate -in " + q(pki.ca("demo-ec")) + " | cut -d= -f2").out;
  ASSERT_FALSE(ca_start.empty());
  for (int round = 0; round < 2; ++round) {  // live, then the kept answer
    const std::string out = sh(base).out;
    EXPECT_NE(out.find("Response verify OK"), std::string::npos) << out;
    EXPECT_NE(out.find(": good"), std::string::npos) << out;
    const auto at = out.find("OCSP Archive Cutoff:");
    ASSERT_NE(at, std::string::npos) << out;
    EXPECT_NE(out.find(ca_start.substr(0, ca_start.find('\n')), at), std::string::npos) << out << "\nCA: " << ca_start;
  }
  // The other certificates have none.
  load_demo(d);
  EXPECT_EQ(ocsp(d, "demo-ec", {first_good("demo-ec")}, "-no_nonce -resp_text").find("Archive Cutoff"),
            std::string::npos);
  d.stop();
}

TEST(OcspLifecycle, DataSurvivesRestartAndKill9) {
  Daemon d;
  d.start();
  load_demo(d);
  std::string a = first_good("demo-ec", 0), b = first_good("demo-ec", 1);
  ASSERT_EQ(sh(d.ctl() + " revoke --issuer demo-ec --serial " + a + " --reason superseded").exit_code, 0);
  d.stop();
  d.start();
  EXPECT_NE(ocsp(d, "demo-ec", {a}).find("Reason: superseded"), std::string::npos);
  EXPECT_NE(ocsp(d, "demo-ec", {b}).find(": good"), std::string::npos);
  // Acknowledged write, then SIGKILL: the revocation must be there after restart.
  ASSERT_EQ(sh(d.ctl() + " revoke --issuer demo-ec --serial " + b + " --reason cessationOfOperation").exit_code, 0);
  d.kill9();
  d.start();
  std::string out = ocsp(d, "demo-ec", {b}, "-no_nonce");
  EXPECT_NE(out.find("Reason: cessationOfOperation"), std::string::npos) << out;
  d.stop();
}

TEST(OcspLifecycle, UnknownSerialAsRevokedWhenConfigured) {
  Daemon d;
  d.set_config("unknown_serial", "\"revoked\"");
  d.start();
  const auto& pki = demo_pki();
  auto out = sh("openssl ocsp -url " + d.url() + "/ocsp -issuer " + q(pki.ca("demo-ec")) +
                " -serial 0x0ABCDEF0 -CAfile " + q(pki.root) + " -resp_text").out;
  EXPECT_NE(out.find("Response verify OK"), std::string::npos) << out;
  EXPECT_NE(out.find(": revoked"), std::string::npos) << out;
  EXPECT_NE(out.find("Reason: certificateHold"), std::string::npos) << out;
  EXPECT_NE(out.find("Jan  1 00:00:00 1970 GMT"), std::string::npos) << out;
  d.stop();
}

TEST(OcspLifecycle, NonceIgnoredWhenConfigured) {
  Daemon d;
  d.set_config("nonce", "\"ignore\"");
  d.set_config("refresh_interval", "1");
  d.start();
  load_demo(d);
  std::string serial = first_good("demo-ec");
  wait_presigned(d, "demo-ec", serial);
  const long cached_before = cache_answers(d);
  // openssl sends a nonce by default and warns when the response has none.
  std::string out = ocsp(d, "demo-ec", {serial});
  EXPECT_NE(out.find("Response verify OK"), std::string::npos) << out;
  EXPECT_NE(out.find("WARNING: no nonce in response"), std::string::npos) << out;
  EXPECT_NE(out.find(": good"), std::string::npos) << out;
  // The request with a nonce was answered from the store.
  EXPECT_EQ(cache_answers(d), cached_before + 1);
  d.stop();
}

TEST(OcspLifecycle, LiveSigningBudgetAnswersTryLater) {
  Daemon d;
  d.set_config("live_rate", "1");
  d.set_config("refresh_interval", "1");
  d.start();
  load_demo(d);
  std::string serial = first_good("demo-ec");
  wait_presigned(d, "demo-ec", serial);
  // One live signature per second: five nonce requests can all find a token only if they
  // span four second boundaries, i.e. take more than three seconds.
  std::string all;
  for (int i = 0; i < 5; ++i) all += ocsp(d, "demo-ec", {serial});
  EXPECT_NE(all.find("Responder Error: trylater (3)"), std::string::npos) << all;
  // Pre-signed answers do not spend the budget.
  for (int i = 0; i < 3; ++i)
    EXPECT_NE(ocsp(d, "demo-ec", {serial}, "-no_nonce").find(": good"), std::string::npos);
  d.stop();
}

TEST(OcspLifecycle, CaSignsItsOwnResponses) {
  Daemon d;
  // demo-ec answers with the CA's own certificate and key instead of the delegated responder.
  d.replace_in_config("/demo-ec/ocsp.pem", "/demo-ec/ca.pem");
  d.replace_in_config("/demo-ec/ocsp.key", "/demo-ec/ca.key");
  d.start();
  load_demo(d);
  std::string serial = first_good("demo-ec");
  for (const char* extra : {"-no_nonce", ""}) {  // pre-signed and live
    std::string out = ocsp(d, "demo-ec", {serial}, std::string(extra) + " -resp_text");
    EXPECT_NE(out.find("Response verify OK"), std::string::npos) << out;
    EXPECT_NE(out.find(": good"), std::string::npos) << out;
    EXPECT_EQ(out.find("OCSP Responder"), std::string::npos) << out;  // no delegated certificate embedded
  }
  d.stop();
}

TEST(OcspLifecycle, RefusesAResponderNotIssuedByItsCa) {
  Daemon d;
  // demo-rsa pointed at demo-ec's responder: a responder issued by another CA is refused at start.
  d.replace_in_config("/demo-rsa/ocsp.pem", "/demo-ec/ocsp.pem");
  d.replace_in_config("/demo-rsa/ocsp.key", "/demo-ec/ocsp.key");
  auto r = sh(q(trustmond_path()) + " --config " + q(d.data_dir() + "/trustmon.toml"));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("responder_not_issued_by_ca"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace trustmon::itest
