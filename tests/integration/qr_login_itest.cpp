// The cloud-key login through a QR link against the real daemon and the test bed's key store
// (docs/login.md, docs/testbed.md "Test cloud key store"): curl plays the browser (with a
// cookie jar) and the phone (following the QR link with X-Testbed-Phone, approving through
// the scripted phone's endpoints, then opening the key store's redirect back to trustmon).
// Every outcome of the key store's identity table is checked against its stable code.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tests/integration/providers_fixture.hpp"

namespace trustmon::itest {
namespace {

using nlohmann::json;

class QrLoginTest : public ProvidersTest {
 protected:
  void configure() override {
    daemon_.set_config("enabled", "true");
    daemon_.set_config("qr_lifetime", "\"10s\"");
  }

  HttpReply browser(const std::string& method, const std::string& path, const std::string& jar, const std::string& body = "") {
    return http_call(method, daemon_.url() + path, "", body, "-b " + q(jar) + " -c " + q(jar));
  }
  std::string new_jar() { return make_temp_dir("trustmon-jar") + "/cookies"; }

  // Waits until the key store has issued its identities (the test bed's seeding).
  void wait_for_key_store() {
    ASSERT_TRUE(wait_until([&] {
      HttpReply r = http_call("GET", daemon_.url() + "/testbed/ksp/identities");
      return r.status == 200 && r.body.contains("identities") && r.body["identities"].size() >= 12;
    }, std::chrono::seconds(60)));
  }

  struct Started {
    std::string id, vc, link, jar;
  };
  Started start(const std::string& hint = "") {
    Started s;
    s.jar = new_jar();
    json body = {{"provider", "testksp"}};
    if (!hint.empty()) body["hint"] = hint;
    HttpReply r = browser("POST", "/api/v1/auth/qr", s.jar, body.dump());
    EXPECT_EQ(r.status, 200) << r.raw;
    s.id = r.body.value("id", "");
    s.vc = r.body.value("vc", "");
    s.link = r.body.value("link", "");
    return s;
  }

  // The phone opens `link` as holder `rnokpp`: trustmon redirects to the key store, which
  // answers with a pending approval. Returns the key store's reply.
  HttpReply scan(const std::string& link, const std::string& rnokpp) {
    return http_call("GET", link, "", "", "-L -H " + q("X-Testbed-Phone: " + rnokpp));
  }
  // Decides the approval and opens the redirect back to trustmon; returns trustmon's reply
  // to the phone (or the key store's refusal).
  HttpReply decide(const std::string& pending, const std::string& action, const std::string& vc) {
    HttpReply d = http_call("POST", daemon_.url() + "/testbed/ksp/approvals/" + pending, "",
                            json{{"action", action}, {"vc", vc}, {"pin", "1234"}}.dump());
    if (d.status != 200 || !d.body.contains("redirect")) return d;
    return http_call("GET", d.body.value("redirect", ""));
  }
  // The whole phone side for `rnokpp`, then the browser's long poll.
  HttpReply login(const std::string& rnokpp, const std::string& action = "approve") {
    Started s = start();
    HttpReply pending = scan(s.link, rnokpp);
    EXPECT_EQ(pending.status, 200) << pending.raw;
    EXPECT_EQ(pending.body.value("vc", ""), s.vc);  // the phone shows the browser's code
    decide(pending.body.value("pending", ""), action, s.vc);
    return browser("GET", "/api/v1/auth/qr/" + s.id + "?wait=10", s.jar);
  }
};

TEST_F(QrLoginTest, ThePhoneApprovesAndTheBrowserIsLoggedIn) {
  wait_for_key_store();
  Started s = start("5550000001");
  EXPECT_EQ(s.vc.size(), 4U);
  // The link changes every second.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  HttpReply fresh = browser("GET", "/api/v1/auth/qr/" + s.id + "/link", s.jar);
  ASSERT_EQ(fresh.status, 200) << fresh.raw;
  EXPECT_NE(fresh.body.value("link", ""), s.link);
  // Another browser sees nothing of it.
  EXPECT_EQ(error_code(browser("GET", "/api/v1/auth/qr/" + s.id + "/link", new_jar())), "challenge_binding");

  HttpReply pending = scan(fresh.body.value("link", ""), "5550000001");
  ASSERT_EQ(pending.status, 200) << pending.raw;
  EXPECT_EQ(pending.body.value("vc", ""), s.vc);
  EXPECT_NE(pending.body.value("context", "").find("127.0.0.1"), std::string::npos) << pending.raw;
  // The browser waits (long poll) while the phone decides.
  HttpReply waiting = browser("GET", "/api/v1/auth/qr/" + s.id, s.jar);
  EXPECT_EQ(waiting.status, 200);
  EXPECT_EQ(waiting.body.value("state", ""), "scanned");
  HttpReply phone = decide(pending.body.value("pending", ""), "approve", s.vc);
  EXPECT_EQ(phone.status, 200) << phone.raw;
  HttpReply done = browser("GET", "/api/v1/auth/qr/" + s.id + "?wait=10", s.jar);
  ASSERT_EQ(done.status, 200) << done.raw;
  EXPECT_EQ(done.body["as"].value("as", ""), "holder");
  EXPECT_EQ(done.body["as"]["holder"]["identifiers"][0].value("value", ""), "TINUA-5550000001");
  HttpReply me = browser("GET", "/api/v1/me", s.jar);
  EXPECT_EQ(me.status, 200) << me.raw;
  // Taken once.
  EXPECT_EQ(error_code(browser("GET", "/api/v1/auth/qr/" + s.id, s.jar)), "challenge_used");
}

TEST_F(QrLoginTest, EveryIdentityOfTheKeyStoreGivesItsOutcome) {
  wait_for_key_store();
  const std::vector<std::pair<std::string, std::string>> table = {
      {"5550000002", "user_refused"},        {"5550000004", "wrong_vc"},
      {"5550000005", "certificate_revoked"}, {"5550000006", "certificate_held"},
      {"5550000007", "certificate_expired"}, {"5550000008", "signature_invalid"},
      {"5550000009", "untrusted_issuer"},
  };
  for (const auto& [rnokpp, code] : table) {
    HttpReply r = login(rnokpp);
    EXPECT_NE(r.status, 200) << rnokpp << ": " << r.raw;
    EXPECT_EQ(error_code(r), code) << rnokpp << ": " << r.raw;
  }
  HttpReply nobody = login("5550000010");
  ASSERT_EQ(nobody.status, 200) << nobody.raw;
  EXPECT_EQ(nobody.body["as"].value("as", ""), "holder");
}

TEST_F(QrLoginTest, AReplayedLinkIsRefusedAndAnUnansweredLoginExpires) {
  wait_for_key_store();
  Started s = start();
  ASSERT_EQ(scan(s.link, "5550000011").status, 200);
  HttpReply replay = http_call("GET", s.link);
  EXPECT_EQ(replay.status, 409) << replay.raw;
  EXPECT_EQ(error_code(replay), "link_used");

  // 03 never answers: the login expires (qr_lifetime 10 s here).
  Started t = start();
  HttpReply pending = scan(t.link, "5550000003");
  ASSERT_EQ(pending.status, 200) << pending.raw;
  HttpReply phone = http_call("POST", daemon_.url() + "/testbed/ksp/approvals/" + pending.body.value("pending", ""), "",
                              json{{"action", "approve"}, {"vc", t.vc}}.dump());
  EXPECT_EQ(phone.status, 409) << phone.raw;
  HttpReply polled;
  ASSERT_TRUE(wait_until([&] {
    polled = browser("GET", "/api/v1/auth/qr/" + t.id + "?wait=5", t.jar);
    return polled.status != 200;
  }, std::chrono::seconds(20)));
  EXPECT_EQ(error_code(polled), "challenge_expired");

  // A link older than its window is refused.
  Started u = start();
  std::this_thread::sleep_for(std::chrono::milliseconds(6500));
  HttpReply stale = http_call("GET", u.link);
  EXPECT_EQ(stale.status, 410) << stale.raw;
  EXPECT_EQ(error_code(stale), "link_expired");
}

TEST_F(QrLoginTest, ABoundCloudCertificateLogsInAsTheRepresentative) {
  wait_for_key_store();
  HttpReply ids = http_call("GET", daemon_.url() + "/testbed/ksp/identities");
  std::string der;
  for (const auto& i : ids.body["identities"])
    if (i.value("rnokpp", "") == "5550000001") der = i.value("certificate", "");
  ASSERT_FALSE(der.empty());
  HttpReply bind = http_call("POST", daemon_.url() + "/api/v1/admin/representatives/" + std::to_string(rep_a_) + "/certificates",
                             daemon_.token(), json{{"certificate", der}}.dump());
  ASSERT_EQ(bind.status, 201) << bind.raw;
  HttpReply r = login("5550000001");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["as"].value("as", ""), "representative");
  EXPECT_EQ(r.body["as"].value("participant", 0U), qtsp_a_);
}

}  // namespace
}  // namespace trustmon::itest
