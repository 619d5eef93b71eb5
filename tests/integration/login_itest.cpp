// Login by qualified signature against the real daemon with the test bed (docs/login.md):
// certificates and keys come from the test CA through the production ingest, the browser
// is curl with a cookie jar, the signatures are made by `openssl cms` (the CMS form) and
// python3-cryptography (the raw form, as WebCrypto gives it).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tests/integration/providers_fixture.hpp"

namespace trustmon::itest {
namespace {

using nlohmann::json;

class LoginTest : public ProvidersTest {
 protected:
  void configure() override { daemon_.set_config("enabled", "true"); }

  void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::trunc) << text; }

  // Issues a test certificate with a generated key into dir_/name/{cert,key}.pem.
  json issue(const json& request, const std::string& name) {
    const Reply r = post_text("/api/v1/testca/certificates", daemon_.token(), request.dump(), "application/json");
    EXPECT_EQ(r.status, 201) << r.body;
    json j = r.json_body();
    if (r.status != 201) return j;
    const std::string d = dir_ + "/" + name;
    sh("mkdir -p " + q(d));
    write(d + "/cert.pem", j["certificate"].get<std::string>());
    write(d + "/key.pem", j["private_key"].get<std::string>());
    return j;
  }
  json natural(const std::string& rnokpp, const std::string& ca = "test-ecdsa") {
    return {{"ca", ca}, {"profile", "ua-qes-natural"}, {"ids", {{"rnokpp", rnokpp}}}, {"key", {{"generate", ca == "test-rsa" ? "rsa-2048" : "ec-p256"}}}};
  }

  // curl with the cookie jar `jar`; returns the reply.
  HttpReply call(const std::string& method, const std::string& path, const std::string& jar, const std::string& body = "",
                 const std::string& extra = "") {
    return http_call(method, daemon_.url() + path, "", body, "-b " + q(jar) + " -c " + q(jar) + " " + extra);
  }
  std::string new_jar() { return make_temp_dir("trustmon-jar") + "/cookies"; }
  std::string last_set_cookie_;  // of the last challenge (none when the jar had its binding)

  // A challenge for `jar`, its octets written to dir_/challenge.bin; returns its id.
  std::string challenge(const std::string& jar) {
    HttpReply r = call("POST", "/api/v1/auth/challenges", jar);
    EXPECT_EQ(r.status, 200) << r.raw;
    last_set_cookie_ = r.header("Set-Cookie");
    const std::string b64 = r.body.value("challenge", std::string());
    EXPECT_EQ(sh("printf '%s' " + q(b64) + " | base64 -d > " + q(dir_ + "/challenge.bin")).exit_code, 0);
    return r.body.value("id", std::string());
  }
  // `openssl cms -sign` (detached, DER) over `file` with the certificate under `name`, base64.
  std::string cms_sign(const std::string& name, const std::string& file) {
    const std::string d = dir_ + "/" + name;
    auto r = sh("openssl cms -sign -binary -outform DER -in " + q(file) + " -signer " + q(d + "/cert.pem") + " -inkey " +
                q(d + "/key.pem") + " -out " + q(dir_ + "/sig.der") + " && base64 -w0 " + q(dir_ + "/sig.der"));
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return trim(r.out);
  }
  // Logs in with the certificate under `name` into `jar`; the redemption's reply.
  HttpReply login(const std::string& name, const std::string& jar) {
    const std::string id = challenge(jar);
    return call("POST", "/api/v1/auth/challenges/" + id, jar, json{{"signature", cms_sign(name, dir_ + "/challenge.bin")}}.dump());
  }
};

TEST_F(LoginTest, AKeyFileSignatureLogsAHolderInOnceAndTheHolderSeesOnlyHolderEndpoints) {
  issue(natural("4444400001"), "holder");
  const std::string jar = new_jar();
  const std::string id = challenge(jar);
  // The binding cookie: HttpOnly, SameSite=Strict, only for the login paths.
  EXPECT_NE(last_set_cookie_.find("tm_login="), std::string::npos) << last_set_cookie_;
  EXPECT_NE(last_set_cookie_.find("HttpOnly"), std::string::npos) << last_set_cookie_;
  EXPECT_NE(last_set_cookie_.find("SameSite=Strict"), std::string::npos);
  EXPECT_NE(last_set_cookie_.find("Path=/api/v1/auth"), std::string::npos);
  const std::string signature = cms_sign("holder", dir_ + "/challenge.bin");
  HttpReply r = call("POST", "/api/v1/auth/challenges/" + id, jar, json{{"signature", signature}}.dump());
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["as"].value("as", ""), "holder");
  EXPECT_NE(r.header("Set-Cookie").find("tm_session="), std::string::npos);
  const std::string csrf = r.body.value("csrf", std::string());
  EXPECT_FALSE(csrf.empty());

  HttpReply me = call("GET", "/api/v1/me", jar);
  ASSERT_EQ(me.status, 200) << me.raw;
  EXPECT_EQ(me.body.value("as", ""), "holder");
  EXPECT_EQ(me.body["holder"]["identifiers"][0]["value"], "TINUA-4444400001");
  EXPECT_EQ(me.body["holder"]["certificate"].value("issuer", ""), "test-ecdsa");
  EXPECT_TRUE(me.body["may"].value("holder", false));
  EXPECT_FALSE(me.body["may"].value("central_body", true));

  // Redeemed once: the same signature again is challenge_used.
  HttpReply again = call("POST", "/api/v1/auth/challenges/" + id, jar, json{{"signature", signature}}.dump());
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(error_code(again), "challenge_used");

  // A holder is not a participant: the participants' endpoints refuse the session.
  HttpReply watches = call("GET", "/api/v1/watches", jar);
  EXPECT_EQ(watches.status, 403) << watches.raw;
  EXPECT_EQ(error_code(watches), "holder_not_allowed");
  HttpReply search = call("GET", "/api/v1/certificates?serial_number=TINUA-4444400001", jar);
  EXPECT_EQ(search.status, 403) << search.raw;

  // The login is an audited auth.login event naming the method and the identifiers.
  HttpReply audit = http_call("GET", daemon_.url() + "/api/v1/admin/audit?action=auth.login", daemon_.token());
  ASSERT_EQ(audit.status, 200) << audit.raw;
  EXPECT_NE(audit.raw.find("TINUA-4444400001"), std::string::npos) << audit.raw;
  EXPECT_NE(audit.raw.find("\"signature\""), std::string::npos);
}

TEST_F(LoginTest, TheChallengeIsBoundToTheBrowserThatAskedForIt) {
  issue(natural("4444400002"), "holder");
  const std::string jar = new_jar();
  const std::string id = challenge(jar);
  const std::string signature = cms_sign("holder", dir_ + "/challenge.bin");
  HttpReply other = call("POST", "/api/v1/auth/challenges/" + id, new_jar(), json{{"signature", signature}}.dump());
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(error_code(other), "challenge_binding");
  HttpReply unknown = call("POST", "/api/v1/auth/challenges/AAAAAAAAAAAAAAAAAAAAAA", jar, json{{"signature", signature}}.dump());
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(error_code(unknown), "challenge_unknown");
  // The right browser still can (the wrong one did not consume it).
  EXPECT_EQ(call("POST", "/api/v1/auth/challenges/" + id, jar, json{{"signature", signature}}.dump()).status, 200);
}

TEST_F(LoginTest, EachRefusalHasItsCode) {
  issue(natural("3000000002"), "revoked");
  issue(natural("3000000003"), "held");
  issue(natural("3000000004"), "expired");
  issue(natural("3000000006"), "usage");
  issue(natural("3000000009"), "untrusted");
  issue(natural("4444400003"), "good");
  for (const auto& [name, code] : std::vector<std::pair<std::string, std::string>>{
           {"revoked", "certificate_revoked"},
           {"held", "certificate_held"},
           {"expired", "certificate_expired"},
           {"usage", "key_usage_invalid"},
           {"untrusted", "untrusted_issuer"}}) {
    HttpReply r = login(name, new_jar());
    EXPECT_EQ(r.status, 403) << name << ": " << r.raw;
    EXPECT_EQ(error_code(r), code) << name;
  }
  // A signature over other bytes.
  const std::string jar = new_jar();
  const std::string id = challenge(jar);
  write(dir_ + "/other.bin", "not the challenge");
  HttpReply r = call("POST", "/api/v1/auth/challenges/" + id, jar, json{{"signature", cms_sign("good", dir_ + "/other.bin")}}.dump());
  EXPECT_EQ(r.status, 422) << r.raw;
  EXPECT_EQ(error_code(r), "signature_invalid");
  // Not a signature at all.
  const std::string id2 = challenge(jar);
  HttpReply junk = call("POST", "/api/v1/auth/challenges/" + id2, jar, json{{"signature", "AAAA"}}.dump());
  EXPECT_EQ(junk.status, 400) << junk.raw;
}

TEST_F(LoginTest, ARawSignatureWithTheCertificateAsWebCryptoMakesIt) {
  issue(natural("4444400004"), "ec");
  issue(natural("4444400005", "test-rsa"), "rsa");
  // python3-cryptography signs like WebCrypto: ECDSA as r||s, RSA PKCS#1 v1.5 with SHA-256.
  const std::string script = dir_ + "/raw.py";
  write(script,
        "import base64, json, sys\n"
        "from cryptography import x509\n"
        "from cryptography.hazmat.primitives import hashes, serialization\n"
        "from cryptography.hazmat.primitives.asymmetric import ec, padding, utils\n"
        "d = sys.argv[1]\n"
        "key = serialization.load_pem_private_key(open(d + '/key.pem', 'rb').read(), None)\n"
        "cert = x509.load_pem_x509_certificate(open(d + '/cert.pem', 'rb').read())\n"
        "data = open(sys.argv[2], 'rb').read()\n"
        "if isinstance(key, ec.EllipticCurvePrivateKey):\n"
        "    r, s = utils.decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))\n"
        "    sig, alg = r.to_bytes(32, 'big') + s.to_bytes(32, 'big'), 'ecdsa-sha256'\n"
        "elif sys.argv[3] == 'pss':\n"
        "    sig, alg = key.sign(data, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256()), 'rsa-pss-sha256'\n"
        "else:\n"
        "    sig, alg = key.sign(data, padding.PKCS1v15(), hashes.SHA256()), 'rsa-pkcs1-sha256'\n"
        "print(json.dumps({'certificate': base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode(),\n"
        "                  'signature': base64.b64encode(sig).decode(), 'algorithm': alg}))\n");
  for (const auto& [name, mode] : std::vector<std::pair<std::string, std::string>>{{"ec", "-"}, {"rsa", "pkcs1"}, {"rsa", "pss"}}) {
    const std::string jar = new_jar();
    const std::string id = challenge(jar);
    auto body = sh("python3 " + q(script) + " " + q(dir_ + "/" + name) + " " + q(dir_ + "/challenge.bin") + " " + mode);
    ASSERT_EQ(body.exit_code, 0) << body.out;
    HttpReply r = call("POST", "/api/v1/auth/challenges/" + id, jar, trim(body.out));
    EXPECT_EQ(r.status, 200) << name << " " << mode << ": " << r.raw;
    EXPECT_EQ(r.body["as"].value("as", ""), "holder");
  }
}

TEST_F(LoginTest, ABoundCertificateLogsInAsItsRepresentativeAndABlockEndsTheSession) {
  issue(natural("4444400006"), "operator");
  HttpReply bind = http_call("POST", daemon_.url() + "/api/v1/admin/representatives/" + std::to_string(rep_a_) + "/certificates",
                             daemon_.token(), json{{"certificate", read_text(dir_ + "/operator/cert.pem")}}.dump());
  ASSERT_EQ(bind.status, 201) << bind.raw;
  const std::string jar = new_jar();
  HttpReply r = login("operator", jar);
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["as"].value("as", ""), "representative");
  EXPECT_EQ(r.body["as"].value("method", ""), "signature");
  EXPECT_EQ(r.body["as"].value("participant", 0U), qtsp_a_);
  EXPECT_EQ(call("GET", "/api/v1/watches", jar).status, 200);

  // Blocking the participant ends the session.
  ASSERT_EQ(http_call("POST", daemon_.url() + "/api/v1/admin/participants/" + std::to_string(qtsp_a_) + "/block",
                      daemon_.token(), json{{"reason", "test"}}.dump()).status, 200);
  HttpReply after = call("GET", "/api/v1/me", jar);
  EXPECT_TRUE(after.status == 401 || after.status == 403) << after.raw;
  // And a new signature login is refused with the block's code.
  HttpReply again = login("operator", new_jar());
  EXPECT_EQ(again.status, 403) << again.raw;
  EXPECT_EQ(error_code(again), "participant_blocked");
}

TEST_F(LoginTest, RevokingOrHoldingTheLoginCertificateEndsTheSessionWithinASecond) {
  for (const std::string reason : {"keyCompromise", "certificateHold"}) {
    const std::string rnokpp = reason == "keyCompromise" ? "4444400007" : "4444400008";
    json issued = issue(natural(rnokpp), reason);
    const std::string jar = new_jar();
    ASSERT_EQ(login(reason, jar).status, 200);
    // The session's event stream, read by curl in the background.
    const std::string events = dir_ + "/events-" + reason;
    sh("(curl -s -N -b " + q(jar) + " " + q(daemon_.url() + "/api/v1/me/events") + " > " + q(events) +
       " 2>/dev/null &) ; sleep 0.3");
    ASSERT_TRUE(wait_until([&] { return read_text(events).find("event: session") != std::string::npos; },
                           std::chrono::seconds(5)));
    const auto t0 = std::chrono::steady_clock::now();
    HttpReply rev = http_call("POST", daemon_.url() + "/api/v1/revocations", daemon_.token(),
                              json{{"issuer", "test-ecdsa"}, {"serial", issued.value("serial", std::string())}, {"reason", reason}}.dump());
    ASSERT_EQ(rev.status, 200) << rev.raw;
    ASSERT_TRUE(wait_until([&] { return read_text(events).find("event: ended") != std::string::npos; },
                           std::chrono::seconds(5)))
        << read_text(events);
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_LT(took, std::chrono::milliseconds(1500));
    const std::string expected = reason == "keyCompromise" ? "certificate_revoked" : "certificate_held";
    EXPECT_NE(read_text(events).find(expected), std::string::npos) << read_text(events);
    HttpReply me = call("GET", "/api/v1/me", jar);
    EXPECT_EQ(me.status, 401);
    EXPECT_EQ(error_code(me), expected);
  }
}

TEST_F(LoginTest, TrustmonctlLogsInFromATerminalIntoACookieJarCurlUses) {
  issue(natural("4444400009"), "terminal");
  const std::string jar = dir_ + "/ctl.jar";
  auto r = sh(q(trustmonctl_path()) + " --server " + daemon_.url() + " login --key " + q(dir_ + "/terminal/key.pem") +
              " --cert " + q(dir_ + "/terminal/cert.pem") + " --cookie-jar " + q(jar));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  json answer = json::parse(r.out, nullptr, false);
  EXPECT_EQ(answer["as"].value("as", ""), "holder") << r.out;
  EXPECT_FALSE(answer.contains("session_cookie"));  // it went to the jar only
  EXPECT_EQ(trim(sh("stat -c %a " + q(jar)).out), "600");
  HttpReply me = http_call("GET", daemon_.url() + "/api/v1/me", "", "", "-b " + q(jar));
  ASSERT_EQ(me.status, 200) << me.raw;
  EXPECT_EQ(me.body["holder"]["identifiers"][0].value("value", ""), "TINUA-4444400009");
  // A key that is not the certificate's is refused before anything is sent.
  issue(natural("4444400010"), "other");
  auto wrong = sh(q(trustmonctl_path()) + " --server " + daemon_.url() + " login --key " + q(dir_ + "/other/key.pem") +
                  " --cert " + q(dir_ + "/terminal/cert.pem") + " 2>&1");
  EXPECT_EQ(wrong.exit_code, 2) << wrong.out;
  EXPECT_NE(wrong.out.find("usage_invalid"), std::string::npos) << wrong.out;
}

}  // namespace
}  // namespace trustmon::itest
