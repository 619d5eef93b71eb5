// The electronic cabinet's server side against the real daemon, with curl as the browser:
// its files and security headers, login by token into a session cookie, the CSRF rule,
// logout, a block ending an open session (and its event stream) for good, and the public
// status, issuer and CA endpoints the cabinet's public screens use.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

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

class CabinetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    web_ = make_temp_dir("trustmon-web");
    sh("mkdir -p " + q(web_ + "/assets"));
    std::ofstream(web_ + "/index.html") << "<!doctype html><title>cabinet</title><script type=module src=/assets/app-1a2b.js></script>";
    std::ofstream(web_ + "/assets/app-1a2b.js") << "console.log('cabinet')\n";
    sh("gzip -k -9 " + q(web_ + "/assets/app-1a2b.js"));
    ::setenv("TRUSTMON_WEB_DIR", web_.c_str(), 1);
    daemon_ = new Daemon();
    daemon_->start();
    bootstrap_ = daemon_->token();
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
    ::unsetenv("TRUSTMON_WEB_DIR");
  }

  // curl METHOD PATH; `jar`: a cookie jar file (read and written) or empty; `extra`: more
  // curl options (already quoted).
  static Reply call(const std::string& method, const std::string& path, const std::string& jar = "",
                    const std::string& body = "", const std::string& extra = "") {
    const std::string cookies = jar.empty() ? std::string() : "-b " + q(jar) + " -c " + q(jar) + " ";
    return http_call(method, daemon_->url() + path, "", body, cookies + extra);
  }
  static std::string code_of(const Reply& r) { return error_code(r); }
  static std::string bearer(const std::string& token) { return "-H " + q("Authorization: Bearer " + token); }

  // Logs in with `token` into a new cookie jar; returns {jar, csrf}.
  static std::pair<std::string, std::string> login(const std::string& token) {
    const std::string jar = make_temp_dir("trustmon-jar") + "/cookies";
    Reply r = call("POST", "/api/v1/auth/token", jar, json{{"token", token}}.dump());
    EXPECT_EQ(r.status, 200) << r.raw;
    return {jar, r.body.value("csrf", std::string())};
  }

  // A QTSP participant with an operator and a token: {participant id, token}.
  static std::pair<int, std::string> make_operator(const std::string& code) {
    Reply p = call("POST", "/api/v1/admin/participants", "",
                   json{{"kind", "qtsp"}, {"name", "Provider " + code}, {"code", code}}.dump(), bearer(bootstrap_));
    EXPECT_EQ(p.status, 201) << p.raw;
    const int pid = p.body.value("id", 0);
    Reply r = call("POST", "/api/v1/admin/participants/" + std::to_string(pid) + "/representatives", "",
                   json{{"name", "Operator " + code}, {"role", "operator"}}.dump(), bearer(bootstrap_));
    EXPECT_EQ(r.status, 201) << r.raw;
    Reply t = call("POST", "/api/v1/admin/representatives/" + std::to_string(r.body.value("id", 0)) + "/tokens", "",
                   "{}", bearer(bootstrap_));
    EXPECT_EQ(t.status, 201) << t.raw;
    return {pid, t.body.value("token", std::string())};
  }

  static inline Daemon* daemon_ = nullptr;
  static inline std::string web_;
  static inline std::string bootstrap_;
};

TEST_F(CabinetTest, TheCabinetPageHasAStrictPolicyAndAssetsAreImmutableAndCompressed) {
  Reply page = call("GET", "/");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.raw.find("<title>cabinet</title>"), std::string::npos);
  EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
  const std::string csp = page.header("Content-Security-Policy");
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  EXPECT_EQ(page.header("X-Frame-Options"), "DENY");
  EXPECT_EQ(page.header("X-Content-Type-Options"), "nosniff");
  const std::string etag = page.header("ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(call("GET", "/", "", "", "-H " + q("If-None-Match: " + etag)).status, 304);

  Reply plain = call("GET", "/assets/app-1a2b.js");
  ASSERT_EQ(plain.status, 200);
  EXPECT_EQ(plain.raw, "console.log('cabinet')\n");
  EXPECT_EQ(plain.header("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(plain.header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(plain.header("Content-Encoding"), "");
  // curl --compressed sends Accept-Encoding and decodes: the same text through gzip.
  Reply packed = call("GET", "/assets/app-1a2b.js", "", "", "--compressed");
  EXPECT_EQ(packed.header("Content-Encoding"), "gzip");
  EXPECT_EQ(packed.raw, "console.log('cabinet')\n");
  EXPECT_EQ(call("GET", "/assets/app-0000.js").status, 404);
  EXPECT_EQ(call("GET", "/assets/..%2Findex.html").status, 404);
  // POST / is still OCSP (a malformed request gets OCSP's own error, not the page).
  Reply ocsp = call("POST", "/", "", "", "-H 'Content-Type: application/ocsp-request' --data-binary x");
  EXPECT_EQ(ocsp.header("Content-Type"), "application/ocsp-response");
}

TEST_F(CabinetTest, LoginGivesAnHttpOnlyStrictCookieAndWrongTokensAreRefused) {
  const std::string jar = make_temp_dir("trustmon-jar") + "/cookies";
  Reply bad = call("POST", "/api/v1/auth/token", jar, json{{"token", "tmk_nothing"}}.dump());
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(code_of(bad), "unauthenticated");
  EXPECT_EQ(call("POST", "/api/v1/auth/token", jar, "{}").status, 400);

  Reply ok = call("POST", "/api/v1/auth/token", jar, json{{"token", bootstrap_}}.dump());
  ASSERT_EQ(ok.status, 200) << ok.raw;
  const std::string cookie = ok.header("Set-Cookie");
  EXPECT_EQ(cookie.rfind("tm_session=", 0), 0U) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_NE(cookie.find("Path=/"), std::string::npos);
  EXPECT_EQ(cookie.find("Secure"), std::string::npos);  // plain HTTP listener
  EXPECT_EQ(cookie.find(bootstrap_), std::string::npos);
  EXPECT_TRUE(ok.body["as"].value("bootstrap", false));
  EXPECT_TRUE(ok.body["as"]["may"].value("admin", false));
  const std::string csrf = ok.body.value("csrf", std::string());
  EXPECT_GE(csrf.size(), 40U);

  Reply me = call("GET", "/api/v1/me", jar);
  ASSERT_EQ(me.status, 200) << me.raw;
  EXPECT_EQ(me.body.value("csrf", std::string()), csrf);
  EXPECT_EQ(me.body.value("actor", std::string()), "bootstrap");
  // The session secret and the token never reach the log.
  EXPECT_EQ(daemon_->log().find(bootstrap_), std::string::npos);
  const std::string secret = cookie.substr(11, cookie.find(';') - 11);
  EXPECT_EQ(daemon_->log().find(secret), std::string::npos);
  // The login is in the audit log, as the bootstrap administrator.
  Reply audit = call("GET", "/api/v1/admin/audit?type=auth.login", "", "", bearer(bootstrap_));
  ASSERT_EQ(audit.status, 200) << audit.raw;
  EXPECT_NE(audit.raw.find("auth.login"), std::string::npos);
  EXPECT_EQ(audit.raw.find(csrf), std::string::npos);
}

TEST_F(CabinetTest, ChangesThroughTheCookieNeedTheCsrfToken) {
  auto [jar, csrf] = login(bootstrap_);
  const std::string body = json{{"kind", "system_owner"}, {"name", "Owner"}, {"code", "CSRF-1"}}.dump();
  Reply without = call("POST", "/api/v1/admin/participants", jar, body);
  EXPECT_EQ(without.status, 403) << without.raw;
  EXPECT_EQ(code_of(without), "csrf_failed");
  Reply wrong = call("POST", "/api/v1/admin/participants", jar, body, "-H " + q("X-CSRF-Token: " + std::string(43, 'A')));
  EXPECT_EQ(code_of(wrong), "csrf_failed");
  Reply with = call("POST", "/api/v1/admin/participants", jar, body, "-H " + q("X-CSRF-Token: " + csrf));
  EXPECT_EQ(with.status, 201) << with.raw;
  // Reads need nothing more than the cookie; a bearer token needs no CSRF token.
  EXPECT_EQ(call("GET", "/api/v1/admin/participants", jar).status, 200);
  Reply by_token = call("POST", "/api/v1/admin/participants", "",
                        json{{"kind", "system_owner"}, {"name", "Owner 2"}, {"code", "CSRF-2"}}.dump(), bearer(bootstrap_));
  EXPECT_EQ(by_token.status, 201) << by_token.raw;
}

TEST_F(CabinetTest, LogoutEndsTheSessionAndClearsTheCookie) {
  auto [jar, csrf] = login(bootstrap_);
  const std::string saved = read_text(jar);
  EXPECT_EQ(call("POST", "/api/v1/auth/logout", jar).status, 403);  // no CSRF token
  Reply out = call("POST", "/api/v1/auth/logout", jar, "", "-H " + q("X-CSRF-Token: " + csrf));
  EXPECT_EQ(out.status, 204) << out.raw;
  EXPECT_NE(out.header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  // The old cookie, replayed, is refused.
  const std::string replay = make_temp_dir("trustmon-jar") + "/cookies";
  std::ofstream(replay) << saved;
  Reply me = call("GET", "/api/v1/me", replay);
  EXPECT_EQ(me.status, 401);
  EXPECT_EQ(code_of(me), "session_ended");
}

TEST_F(CabinetTest, BlockingAParticipantEndsItsSessionAndStreamWithinASecondAndForGood) {
  auto [pid, token] = make_operator("BLOCK-1");
  auto [jar, csrf] = login(token);
  Reply me = call("GET", "/api/v1/me", jar);
  ASSERT_EQ(me.status, 200) << me.raw;
  EXPECT_EQ(me.body.value("kind", std::string()), "qtsp");
  EXPECT_TRUE(me.body["may"].value("write", false));
  EXPECT_FALSE(me.body["may"].value("admin", true));
  EXPECT_EQ(me.body.value("participant_code", std::string()), "BLOCK-1");

  // The cabinet's session stream, as a browser's EventSource would hold it.
  const std::string out = make_temp_dir("trustmon-sse") + "/events";
  sh("curl -s -N -b " + q(jar) + " " + q(daemon_->url() + "/api/v1/me/events") + " > " + q(out) + " 2>&1 & echo $!");
  ASSERT_TRUE(wait_until([&] { return read_text(out).find("event: session") != std::string::npos; },
                         std::chrono::seconds(10)));
  Reply block = call("POST", "/api/v1/admin/participants/" + std::to_string(pid) + "/block", "",
                     json{{"reason", "contract ended"}}.dump(), bearer(bootstrap_));
  ASSERT_EQ(block.status, 200) << block.raw;
  const auto blocked_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_until([&] { return read_text(out).find("event: ended") != std::string::npos; },
                         std::chrono::seconds(5)))
      << read_text(out);
  EXPECT_LT(std::chrono::steady_clock::now() - blocked_at, std::chrono::milliseconds(1500));
  EXPECT_NE(read_text(out).find("participant_blocked"), std::string::npos);
  Reply refused = call("GET", "/api/v1/me", jar);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(code_of(refused), "participant_blocked");

  // Unblocking does not revive the session; a new login works.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // status times are in seconds
  ASSERT_EQ(call("POST", "/api/v1/admin/participants/" + std::to_string(pid) + "/unblock", "", "{}", bearer(bootstrap_)).status,
            200);
  Reply old = call("GET", "/api/v1/me", jar);
  EXPECT_EQ(old.status, 401);
  EXPECT_EQ(code_of(old), "session_ended");
  auto [jar2, csrf2] = login(token);
  EXPECT_EQ(call("GET", "/api/v1/me", jar2).status, 200);
}

TEST_F(CabinetTest, ACookieIsACredentialForBodiesAtTheGate) {
  auto [jar, csrf] = login(bootstrap_);
  // A JSON route refuses a body without any credential at the gate …
  Reply none = call("POST", "/api/v1/watches", "", "{}");
  EXPECT_EQ(none.status, 401);
  // … and reads the body when the session cookie is there (the route then decides).
  Reply with = call("POST", "/api/v1/watches", jar, json{{"kind", "stream"}}.dump(), "-H " + q("X-CSRF-Token: " + csrf));
  EXPECT_NE(with.status, 401) << with.raw;
}

TEST_F(CabinetTest, PublicStatusSaysWhatTheIndexOcspAndCrlSay) {
  const auto serials = demo_pki().serials("demo-ec");
  ASSERT_GE(serials.size(), 3U);
  auto imported = sh(daemon_->ctl() + " import " + q(demo_pki().cert("demo-ec", serials[0])) + " " +
                     q(demo_pki().cert("demo-ec", serials[1])));
  ASSERT_EQ(imported.exit_code, 0) << imported.out;
  Reply rev = call("POST", "/api/v1/revocations", "",
                   json{{"issuer", "demo-ec"}, {"serial", serials[1]}, {"reason", "keyCompromise"}}.dump(), bearer(bootstrap_));
  ASSERT_EQ(rev.status, 200) << rev.raw;

  Reply good = call("GET", "/api/v1/status?issuer=demo-ec&serial=" + serials[0]);
  ASSERT_EQ(good.status, 200) << good.raw;
  EXPECT_EQ(good.body.value("status", std::string()), "good");
  EXPECT_EQ(good.body["issuer"].value("name", std::string()), "demo-ec");
  EXPECT_EQ(good.body["ocsp"].value("status", std::string()), "good");
  // openssl ocsp agrees with what the status screen says.
  auto ocsp = sh("openssl ocsp -url " + q(daemon_->url() + "/ocsp") + " -issuer " + q(demo_pki().ca("demo-ec")) +
                 " -cert " + q(demo_pki().cert("demo-ec", serials[1])) + " -CAfile " + q(demo_pki().root) + " -no_nonce");
  EXPECT_NE(ocsp.out.find(": revoked"), std::string::npos) << ocsp.out;

  Reply revoked = call("POST", "/api/v1/status", "", "", "--data-binary @" + q(demo_pki().cert("demo-ec", serials[1])));
  ASSERT_EQ(revoked.status, 200) << revoked.raw;
  EXPECT_EQ(revoked.body.value("status", std::string()), "revoked");
  EXPECT_EQ(revoked.body["revocation"].value("reason", std::string()), "keyCompromise");
  EXPECT_FALSE(revoked.body["certificate"].value("subject", std::string()).empty());
  EXPECT_FALSE(revoked.body["certificate"].value("not_after", std::string()).empty());

  Reply unknown = call("GET", "/api/v1/status?issuer=demo-ec&serial=" + serials[2]);
  EXPECT_EQ(unknown.body.value("status", std::string()), "unknown");
  EXPECT_EQ(call("GET", "/api/v1/status?issuer=nobody&serial=01").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/status?issuer=demo-ec&serial=xyz").status, 400);
  EXPECT_EQ(code_of(call("POST", "/api/v1/status", "", "", "--data-binary notacert")), "certificate_unreadable");

  Reply issuers = call("GET", "/api/v1/issuers");
  ASSERT_EQ(issuers.status, 200);
  ASSERT_TRUE(issuers.body["issuers"].is_array());
  bool found = false;
  for (const auto& k : issuers.body["issuers"]) found = found || k.value("name", std::string()) == "demo-ec";
  EXPECT_TRUE(found) << issuers.raw;
  const std::string ca = make_temp_dir("trustmon-ca") + "/ca.cer";
  sh("curl -s -o " + q(ca) + " " + q(daemon_->url() + "/api/v1/issuers/demo-ec/ca.cer"));
  auto same = sh("openssl x509 -inform DER -in " + q(ca) + " -noout -fingerprint -sha256; openssl x509 -in " +
                 q(demo_pki().ca("demo-ec")) + " -noout -fingerprint -sha256");
  const std::size_t nl = same.out.find('\n');
  ASSERT_NE(nl, std::string::npos) << same.out;
  EXPECT_EQ(same.out.substr(0, nl), trim(same.out.substr(nl + 1))) << same.out;
}

// The certificate page's status history: a hold, its release and a revocation, in order,
// with who did them, from the event log.
TEST_F(CabinetTest, ACertificateCarriesItsStatusHistory) {
  const auto serials = demo_pki().serials("demo-rsa");
  ASSERT_GE(serials.size(), 1U);
  const std::string pem = demo_pki().cert("demo-rsa", serials[0]);
  ASSERT_EQ(sh(daemon_->ctl() + " import " + q(pem)).exit_code, 0);
  auto post = [&](const json& body) {
    Reply r = call("POST", "/api/v1/revocations", "", body.dump(), bearer(bootstrap_));
    EXPECT_EQ(r.status, 200) << r.raw;
  };
  post({{"issuer", "demo-rsa"}, {"serial", serials[0]}, {"reason", "certificateHold"}});
  post({{"issuer", "demo-rsa"}, {"serial", serials[0]}, {"release", true}});
  post({{"issuer", "demo-rsa"}, {"serial", serials[0]}, {"reason", "superseded"}});
  const std::string sha = trim(sh("openssl x509 -in " + q(pem) + " -outform DER | sha256sum | cut -d' ' -f1").out);
  Reply cert = call("GET", "/api/v1/certificates/" + sha, "", "", bearer(bootstrap_));
  ASSERT_EQ(cert.status, 200) << cert.raw;
  const json& h = cert.body["history"];
  ASSERT_EQ(h.size(), 3u) << cert.raw;
  EXPECT_EQ(h[0].value("type", std::string()), "certificate.revoked");
  EXPECT_EQ(h[0].value("reason", std::string()), "certificateHold");
  EXPECT_EQ(h[1].value("type", std::string()), "certificate.released");
  EXPECT_EQ(h[2].value("type", std::string()), "certificate.revoked");
  EXPECT_EQ(h[2].value("reason", std::string()), "superseded");
  EXPECT_EQ(h[2].value("actor", std::string()), "bootstrap");
  EXPECT_LT(h[0].value("seq", 0), h[2].value("seq", 0));
}

}  // namespace
}  // namespace trustmon::itest
