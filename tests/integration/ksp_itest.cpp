// The test cloud key store against the real daemon ([testbed] enabled), driven with curl as
// the relying party and as the phone: the whole CSC flow (authorize with X-Testbed-Phone ->
// pending -> approve -> code -> token -> credentials/list -> credentials/info -> signHash),
// the signature checked with `openssl pkeyutl -verify` against the certificate the store
// returned, the certificate chained with `openssl verify` to the test CA, trustmon's own OCSP
// for the identities it knows (good, revoked, on hold), each scripted outcome, the phone
// through `trustmonctl testbed approve`, keys that survive a restart, and secrets that
// never reach the logs.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "common/bytes.hpp"
#include "common/ossl.hpp"
#include "tests/integration/daemon.hpp"

namespace trustmon::itest {
namespace {

using nlohmann::json;

// A PKCE pair: the challenge is base64url(SHA-256(verifier)).
constexpr const char* kVerifier = "dBjftJeZ4CK-P8kEWHQWOyYWMkODvWs8SdbddpILDG0";
constexpr const char* kChallenge = "HAL_j51MU6oL9kz9IcS_srJecv0IGvNq_mcxoCz-2tg";

std::string form_encode(const std::string& v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0x0f];
    }
  }
  return out;
}

// The query parameters of a URL, decoded.
std::map<std::string, std::string> params_of(const std::string& url) {
  std::map<std::string, std::string> out;
  const auto q = url.find('?');
  if (q == std::string::npos) return out;
  std::string_view rest = std::string_view(url).substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const auto eq = pair.find('=');
    out[std::string(pair.substr(0, eq))] = percent_decode(pair.substr(eq + 1)).value_or("?");
  }
  return out;
}

Bytes digest_of(const std::string& text) {
  const Sha256 h = sha256(as_bytes(text));
  return Bytes(h.begin(), h.end());
}

class KspTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_.set_config("enabled", "true");
    daemon_.start();
    dir_ = make_temp_dir("trustmon-ksp");
    wait_ready();
  }
  void TearDown() override {
    if (daemon_.running()) daemon_.stop();
  }

  // The holders are made on the seed thread after the server started.
  void wait_ready() {
    const bool ready = wait_until(
        [&] { return http_call("GET", daemon_.url() + "/testbed/ksp/identities").status == 200; },
        std::chrono::seconds(120));
    ASSERT_TRUE(ready) << daemon_.log();
  }
  std::string ksp(const std::string& path) const { return daemon_.url() + "/testbed/ksp" + path; }
  std::string secret() const { return trim(read_text(daemon_.data_dir() + "/testbed/ksp-client-secret")); }
  std::string redirect_uri() const { return daemon_.url() + "/healthz?from=ksp"; }
  void write(const std::string& name, const std::string& bytes) {
    std::ofstream out(dir_ + "/" + name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(out.good()) << name;
  }
  void write_der(const std::string& name, const Bytes& der) { write(name, std::string(der.begin(), der.end())); }

  // authorize for the phone of `rnokpp`, over SHA-256 of `document`.
  HttpReply authorize(const std::string& rnokpp, const std::string& document, const std::string& vc = "4821",
                      const std::string& state = "xyz 1") {
    const std::string query = "response_type=code&client_id=trustmon&redirect_uri=" + form_encode(redirect_uri()) +
                              "&scope=credential&code_challenge=" + kChallenge + "&code_challenge_method=S256" +
                              "&state=" + form_encode(state) + "&hashes=" + base64url_encode(digest_of(document)) +
                              "&hashAlgorithmOID=2.16.840.1.101.3.4.2.1&numSignatures=1&vc=" + vc + "&context=" +
                              form_encode("127.0.0.1, curl — тест");
    return http_call("GET", ksp("/oauth2/authorize?" + query), "", "", "-H " + q("X-Testbed-Phone: " + rnokpp));
  }
  HttpReply decide(const std::string& id, const std::string& action, const std::string& vc) {
    return http_call("POST", ksp("/approvals/" + id), "", json{{"action", action}, {"vc", vc}, {"pin", "1111"}}.dump());
  }
  HttpReply token(const std::string& code, const std::string& verifier = kVerifier) {
    const std::string form = "grant_type=authorization_code&code=" + form_encode(code) +
                             "&client_id=trustmon&client_secret=" + form_encode(secret()) +
                             "&redirect_uri=" + form_encode(redirect_uri()) + "&code_verifier=" + verifier;
    return http_call("POST", ksp("/oauth2/token"), "", "",
                     "-H 'Content-Type: application/x-www-form-urlencoded' --data-raw " + q(form));
  }
  // authorize, approve with the right code, token: the access token.
  std::string access_token(const std::string& rnokpp, const std::string& document) {
    const HttpReply a = authorize(rnokpp, document);
    EXPECT_EQ(a.status, 200) << a.raw;
    const HttpReply d = decide(a.body.value("pending", ""), "approve", "4821");
    EXPECT_EQ(d.status, 200) << d.raw;
    const HttpReply t = token(params_of(d.body.value("redirect", "")).at("code"));
    EXPECT_EQ(t.status, 200) << t.raw;
    return t.body.value("access_token", "");
  }
  HttpReply sign(const std::string& access, const std::string& rnokpp, const std::string& document) {
    return http_call("POST", ksp("/csc/v2/signatures/signHash"), access,
                     json{{"credentialID", "ksp-" + rnokpp},
                          {"hashes", json::array({base64_encode(digest_of(document))})},
                          {"hashAlgorithmOID", "2.16.840.1.101.3.4.2.1"},
                          {"signAlgo", "1.2.840.10045.4.3.2"}}
                         .dump());
  }
  // credentials/info with the chain: writes NAME.der, NAME.pem (the holder's certificate) and
  // NAME-ca.pem (the CA above it).
  json info(const std::string& access, const std::string& rnokpp, const std::string& name) {
    const HttpReply r = http_call("POST", ksp("/csc/v2/credentials/info"), access,
                                  json{{"credentialID", "ksp-" + rnokpp}, {"certificates", "chain"}, {"certInfo", true}}
                                      .dump());
    EXPECT_EQ(r.status, 200) << r.raw;
    const auto certs = r.body["cert"]["certificates"];
    EXPECT_EQ(certs.size(), 2U);
    if (certs.size() != 2) return r.body;
    write_der(name + ".der", *base64_decode(certs[0].get<std::string>()));
    write_der(name + "-ca.der", *base64_decode(certs[1].get<std::string>()));
    sh("openssl x509 -inform DER -in " + q(dir_ + "/" + name + ".der") + " -out " + q(dir_ + "/" + name + ".pem"));
    sh("openssl x509 -inform DER -in " + q(dir_ + "/" + name + "-ca.der") + " -out " +
       q(dir_ + "/" + name + "-ca.pem"));
    return r.body;
  }
  // openssl pkeyutl -verify of a DER ECDSA signature over a digest, with the certificate's key.
  CommandResult verify_signature(const std::string& name, const Bytes& digest, const std::string& signature_b64) {
    write_der("digest.bin", digest);
    write_der("sig.der", *base64_decode(signature_b64));
    sh("openssl x509 -in " + q(dir_ + "/" + name + ".pem") + " -pubkey -noout > " + q(dir_ + "/pub.pem"));
    return sh("openssl pkeyutl -verify -pubin -inkey " + q(dir_ + "/pub.pem") + " -in " + q(dir_ + "/digest.bin") +
              " -sigfile " + q(dir_ + "/sig.der") + " 2>&1");
  }
  // The test root, from the public list of test CAs.
  std::string root_pem() {
    const HttpReply cas = http_call("GET", daemon_.url() + "/api/v1/testca/cas");
    write("root.pem", cas.body.value("root", ""));
    return dir_ + "/root.pem";
  }
  CommandResult ocsp(const std::string& name) {
    return sh("openssl ocsp -issuer " + q(dir_ + "/" + name + "-ca.pem") + " -cert " + q(dir_ + "/" + name + ".pem") +
              " -CAfile " + q(root_pem()) + " -url " + q(daemon_.url() + "/ocsp") + " 2>&1");
  }

  Daemon daemon_;
  std::string dir_;
};

TEST_F(KspTest, TheWholeCscFlowSignsTheAuthorisedDigest) {
  const HttpReply ids = http_call("GET", ksp("/identities"));
  ASSERT_EQ(ids.status, 200);
  EXPECT_EQ(ids.body["version"], "2026-12-1");
  ASSERT_EQ(ids.body["identities"].size(), 12U);
  const json first = ids.body["identities"][0];
  EXPECT_EQ(first["rnokpp"], "5550000001");
  EXPECT_EQ(first["tin"], "TINUA-5550000001");
  EXPECT_EQ(first["outcome"], "approve");
  EXPECT_EQ(first["credential_id"], "ksp-5550000001");

  const HttpReply service = http_call("GET", ksp("/csc/v2/info"));
  ASSERT_EQ(service.status, 200);
  EXPECT_EQ(service.body["specs"], "2.0.0.2");
  EXPECT_EQ(service.body["oauth2"], daemon_.url() + "/testbed/ksp");
  EXPECT_EQ(service.body["authType"], json::array({"oauth2code"}));

  // The browser's request, the phone's list, the phone's approval.
  const std::string document = "trustmon-login-v1|trustmon|id|challenge|4821";
  const HttpReply a = authorize("5550000001", document);
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body["rp_name"], "trustmon");
  EXPECT_EQ(a.body["vc"], "4821");
  EXPECT_EQ(a.body["context"], "127.0.0.1, curl — тест");
  const std::string id = a.body["pending"].get<std::string>();
  const HttpReply listed = http_call("GET", ksp("/pending?rnokpp=5550000001"));
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(listed.body["pending"].size(), 1U);
  EXPECT_EQ(listed.body["pending"][0]["id"], id);
  const HttpReply d = decide(id, "approve", "4821");
  ASSERT_EQ(d.status, 200) << d.raw;
  const std::string redirect = d.body["redirect"].get<std::string>();
  EXPECT_EQ(redirect.rfind(redirect_uri() + "&code=", 0), 0U) << redirect;
  const auto params = params_of(redirect);
  EXPECT_EQ(params.at("state"), "xyz 1");
  EXPECT_EQ(decide(id, "approve", "4821").body["error"], "already_decided");

  // The relying party: token (PKCE), list, info, signHash.
  const HttpReply t = token(params.at("code"));
  ASSERT_EQ(t.status, 200) << t.raw;
  EXPECT_EQ(t.body["token_type"], "Bearer");
  EXPECT_EQ(t.body["credentialID"], "ksp-5550000001");
  EXPECT_NE(t.headers.find("no-store"), std::string::npos);
  const std::string access = t.body["access_token"].get<std::string>();
  const HttpReply replay = token(params.at("code"));
  EXPECT_EQ(replay.status, 400);
  EXPECT_EQ(replay.body["error"], "invalid_grant");

  const HttpReply list = http_call("POST", ksp("/csc/v2/credentials/list"), access, "{}");
  ASSERT_EQ(list.status, 200) << list.raw;
  EXPECT_EQ(list.body["credentialIDs"], json::array({"ksp-5550000001"}));
  const json i = info(access, "5550000001", "h01");
  EXPECT_EQ(i["key"]["curve"], "1.2.840.10045.3.1.7");
  EXPECT_EQ(i["SCAL"], "2");
  EXPECT_NE(i["cert"]["subjectDN"].get<std::string>().find("TINUA-5550000001"), std::string::npos);
  EXPECT_EQ(i["cert"]["validFrom"].get<std::string>().size(), 15U);
  const std::string subject = sh("openssl x509 -noout -subject -nameopt utf8 -in " + q(dir_ + "/h01.pem")).out;
  EXPECT_NE(subject.find("Тестовий Підписувач 01"), std::string::npos) << subject;

  const HttpReply other = sign(access, "5550000001", "another document");
  EXPECT_EQ(other.status, 400);
  EXPECT_EQ(other.body["error"], "invalid_request");
  const HttpReply s = sign(access, "5550000001", document);
  ASSERT_EQ(s.status, 200) << s.raw;
  const std::string signature = s.body["signatures"][0].get<std::string>();
  const auto ok = verify_signature("h01", digest_of(document), signature);
  EXPECT_NE(ok.out.find("Signature Verified Successfully"), std::string::npos) << ok.out;
  const auto wrong = verify_signature("h01", digest_of("another document"), signature);
  EXPECT_EQ(wrong.out.find("Signature Verified Successfully"), std::string::npos) << wrong.out;
  EXPECT_EQ(sign(access, "5550000001", document).status, 400);  // one signature per token

  // The certificate chains to the test root and trustmon's own OCSP knows it.
  const auto chained = sh("openssl verify -CAfile " + q(root_pem()) + " -untrusted " + q(dir_ + "/h01-ca.pem") + " " +
                          q(dir_ + "/h01.pem") + " 2>&1");
  EXPECT_EQ(chained.exit_code, 0) << chained.out;
  const auto status = ocsp("h01");
  EXPECT_NE(status.out.find("h01.pem: good"), std::string::npos) << status.out;

  // Refusals of the relying party's side.
  EXPECT_EQ(http_call("POST", ksp("/csc/v2/credentials/list"), "nope", "{}").body["error"], "invalid_token");
  const HttpReply no_secret =
      http_call("POST", ksp("/oauth2/token"), "", "",
                "-H 'Content-Type: application/x-www-form-urlencoded' --data-raw "
                "'grant_type=authorization_code&code=x&client_id=trustmon&client_secret=wrong&redirect_uri=x&code_verifier=y'");
  EXPECT_EQ(no_secret.status, 401);
  EXPECT_EQ(no_secret.body["error"], "invalid_client");
  const HttpReply nobody = http_call(
      "GET", ksp("/oauth2/authorize?response_type=code&client_id=trustmon&scope=credential&redirect_uri=http://x/"));
  EXPECT_EQ(nobody.status, 400);
  EXPECT_EQ(nobody.body["error"], "invalid_request");

  // No secret of the exchange reached a log.
  daemon_.stop();
  const std::string logs = daemon_.log() + read_text(daemon_.data_dir() + "/access.log") +
                           read_text(daemon_.data_dir() + "/stdout.log");
  for (const std::string& secret_text : {secret(), params.at("code"), access})
    EXPECT_EQ(logs.find(secret_text), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat((daemon_.data_dir() + "/testbed/ksp.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  EXPECT_EQ(st.st_size, 32);
}

TEST_F(KspTest, EachScriptedIdentityComesOutItsWay) {
  // 02 refuses, 04 types a wrong code: the redirect says so (the phone: trustmonctl).
  ASSERT_EQ(authorize("5550000002", "doc").status, 200);
  auto r = sh(q(trustmonctl_path()) + " --server " + daemon_.url() + " testbed approve --rnokpp 5550000002 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  json out = json::parse(r.out, nullptr, false);
  EXPECT_EQ(out["outcome"], "user_refused") << r.out;
  EXPECT_EQ(params_of(out["redirect"].get<std::string>())["error"], "access_denied");
  EXPECT_EQ(out["callback"]["status"], 200);  // the redirect (here /healthz) was followed
  ASSERT_EQ(authorize("5550000004", "doc").status, 200);
  r = sh(q(trustmonctl_path()) + " --server " + daemon_.url() + " testbed approve --rnokpp 5550000004 2>&1");
  EXPECT_EQ(json::parse(r.out, nullptr, false)["outcome"], "wrong_vc") << r.out;
  // 01 with the wrong code, and with the right one through the CLI.
  ASSERT_EQ(authorize("5550000001", "doc").status, 200);
  r = sh(q(trustmonctl_path()) + " --server " + daemon_.url() +
         " testbed approve --rnokpp 5550000001 --vc 0000 --no-follow 2>&1");
  EXPECT_EQ(json::parse(r.out, nullptr, false)["outcome"], "wrong_vc") << r.out;
  ASSERT_EQ(authorize("5550000001", "doc").status, 200);
  r = sh(q(trustmonctl_path()) + " --server " + daemon_.url() + " testbed approve --rnokpp 5550000001 2>&1");
  EXPECT_EQ(json::parse(r.out, nullptr, false)["outcome"], "approved") << r.out;
  // 03 never answers: 409 timeout, and the approval stays pending.
  const HttpReply a03 = authorize("5550000003", "doc");
  ASSERT_EQ(a03.status, 200);
  const HttpReply d03 = decide(a03.body["pending"].get<std::string>(), "approve", "4821");
  EXPECT_EQ(d03.status, 409);
  EXPECT_EQ(d03.body["error"], "timeout");
  EXPECT_EQ(http_call("GET", ksp("/pending?rnokpp=5550000003")).body["pending"].size(), 1U);
  r = sh(q(trustmonctl_path()) + " --server " + daemon_.url() + " testbed approve --rnokpp 5550000003 2>/dev/null");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(json::parse(r.out, nullptr, false)["error"]["code"], "timeout") << r.out;

  // 05 revoked and 06 held in trustmon (the store signs normally); 07 expired.
  for (const char* rnokpp : {"5550000005", "5550000006", "5550000007"}) {
    const std::string name = std::string("h") + (rnokpp + 8);
    const std::string access = access_token(rnokpp, "doc");
    info(access, rnokpp, name);
    const HttpReply s = sign(access, rnokpp, "doc");
    ASSERT_EQ(s.status, 200) << rnokpp << s.raw;
    EXPECT_NE(verify_signature(name, digest_of("doc"), s.body["signatures"][0].get<std::string>()).out.find("Verified Successfully"),
              std::string::npos);
  }
  const auto revoked = ocsp("h05");
  EXPECT_NE(revoked.out.find("h05.pem: revoked"), std::string::npos) << revoked.out;
  EXPECT_NE(revoked.out.find("Reason: keyCompromise"), std::string::npos) << revoked.out;
  const auto held = ocsp("h06");
  EXPECT_NE(held.out.find("h06.pem: revoked"), std::string::npos) << held.out;
  EXPECT_NE(held.out.find("certificateHold"), std::string::npos) << held.out;
  const auto expired = sh("openssl verify -CAfile " + q(root_pem()) + " -untrusted " + q(dir_ + "/h07-ca.pem") + " " +
                          q(dir_ + "/h07.pem") + " 2>&1");
  EXPECT_NE(expired.exit_code, 0);
  EXPECT_NE(expired.out.find("expired"), std::string::npos) << expired.out;

  // 08 signs other bytes: a signature that does not verify over the digest asked for.
  const std::string access08 = access_token("5550000008", "doc");
  info(access08, "5550000008", "h08");
  const HttpReply s08 = sign(access08, "5550000008", "doc");
  ASSERT_EQ(s08.status, 200) << s08.raw;
  const auto v08 = verify_signature("h08", digest_of("doc"), s08.body["signatures"][0].get<std::string>());
  EXPECT_EQ(v08.out.find("Verified Successfully"), std::string::npos) << v08.out;

  // 09: a certificate of a CA that is none of trustmon's; it does not chain to the test root.
  const std::string access09 = access_token("5550000009", "doc");
  info(access09, "5550000009", "h09");
  const auto untrusted = sh("openssl verify -CAfile " + q(root_pem()) + " " + q(dir_ + "/h09.pem") + " 2>&1");
  EXPECT_NE(untrusted.exit_code, 0) << untrusted.out;
  const auto own = sh("openssl x509 -noout -subject -in " + q(dir_ + "/h09-ca.pem"));
  EXPECT_NE(own.out.find("TEST Trustmon Untrusted CA"), std::string::npos) << own.out;

  // 10 and 11 are valid, good at trustmon's OCSP.
  for (const char* rnokpp : {"5550000010", "5550000011"}) {
    const std::string name = std::string("h") + (rnokpp + 8);
    info(access_token(rnokpp, "doc"), rnokpp, name);
    EXPECT_NE(ocsp(name).out.find(name + ".pem: good"), std::string::npos) << rnokpp;
  }
}

TEST_F(KspTest, HoldersSurviveARestartWithTheirKeys) {
  const json before = http_call("GET", ksp("/identities")).body;
  const std::string old_secret = secret();
  daemon_.stop();
  daemon_.start();
  wait_ready();
  const json after = http_call("GET", ksp("/identities")).body;
  ASSERT_EQ(after["identities"].size(), 12U);
  for (std::size_t i = 0; i < 12; ++i)
    EXPECT_EQ(after["identities"][i]["certificate"], before["identities"][i]["certificate"]) << i;
  // A new secret each start; the loaded key still signs for its certificate. (Here the
  // token request is JSON and the client authenticates with HTTP Basic.)
  EXPECT_NE(secret(), old_secret);
  const HttpReply a = authorize("5550000011", "after restart");
  ASSERT_EQ(a.status, 200) << a.raw;
  const HttpReply d = decide(a.body["pending"].get<std::string>(), "approve", "4821");
  const std::string code = params_of(d.body["redirect"].get<std::string>()).at("code");
  const json body = {{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", redirect_uri()},
                     {"code_verifier", kVerifier}};
  const HttpReply old_basic = http_call("POST", ksp("/oauth2/token"), "", body.dump(), "-u " + q("trustmon:" + old_secret));
  EXPECT_EQ(old_basic.status, 401) << old_basic.raw;
  EXPECT_NE(old_basic.headers.find("WWW-Authenticate: Basic"), std::string::npos) << old_basic.headers;
  const HttpReply t = http_call("POST", ksp("/oauth2/token"), "", body.dump(), "-u " + q("trustmon:" + secret()));
  ASSERT_EQ(t.status, 200) << t.raw;
  const std::string access = t.body["access_token"].get<std::string>();
  info(access, "5550000011", "h11");
  const HttpReply s = sign(access, "5550000011", "after restart");
  ASSERT_EQ(s.status, 200) << s.raw;
  EXPECT_NE(verify_signature("h11", digest_of("after restart"), s.body["signatures"][0].get<std::string>()).out.find("Verified Successfully"),
            std::string::npos);
  // The second start loaded every holder and made none (the log is complete once stopped).
  daemon_.stop();
  EXPECT_NE(daemon_.log().find("holds 12 holders (0 made now)"), std::string::npos) << daemon_.log();
}

}  // namespace
}  // namespace trustmon::itest
