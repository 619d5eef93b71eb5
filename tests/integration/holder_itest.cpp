// The certificate holder's pages against the real daemon with the test bed (docs/login.md
// "The holder's pages"): certificates from the test CA through the production ingest, a
// holder logged in by signature (curl's cookie jar, `openssl cms`), renewal requests made
// with python3-cryptography (holder_csr.py) and signed by `openssl cms -nodetach`, the
// provider (QTSP A operates test-ecdsa) deciding, issuing and revoking with its token.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/integration/providers_fixture.hpp"

namespace trustmon::itest {
namespace {

using nlohmann::json;

class HolderTest : public ProvidersTest {
 protected:
  void configure() override { daemon_.set_config("enabled", "true"); }

  void SetUp() override {
    ProvidersTest::SetUp();
    // QTSP A is the provider of the test CA's ECDSA issuer: holders' requests go to it.
    ASSERT_EQ(ctl("participant issuer-add " + std::to_string(qtsp_a_) + " test-ecdsa").second, 0);
  }

  void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::trunc) << text; }

  // A test certificate with a generated key into dir_/name/{cert,key}.pem (the serial is returned).
  std::string issue(const std::string& rnokpp, const std::string& name, const std::string& surname = "Тестенко") {
    const json request = {{"ca", "test-ecdsa"},
                          {"profile", "ua-qes-natural"},
                          {"ids", {{"rnokpp", rnokpp}}},
                          {"subject", {{"given", "Олена"}, {"sn", surname}}},
                          {"key", {{"generate", "ec-p256"}}}};
    const Reply r = post_text("/api/v1/testca/certificates", daemon_.token(), request.dump(), "application/json");
    EXPECT_EQ(r.status, 201) << r.body;
    const json j = r.json_body();
    if (r.status != 201) return "";
    const std::string d = dir_ + "/" + name;
    sh("mkdir -p " + q(d));
    write(d + "/cert.pem", j["certificate"].get<std::string>());
    write(d + "/key.pem", j["private_key"].get<std::string>());
    return j.value("serial", std::string());
  }

  HttpReply call(const std::string& method, const std::string& path, const std::string& jar, const std::string& body = "",
                 const std::string& extra = "") {
    return http_call(method, daemon_.url() + path, "", body, "-b " + q(jar) + " -c " + q(jar) + " " + extra);
  }
  // A holder's session: the jar and its CSRF secret.
  struct Session {
    std::string jar;
    std::string csrf;
  };
  // Logs in by signature with the certificate under `name`.
  Session login(const std::string& name) {
    Session s{make_temp_dir("trustmon-jar") + "/cookies", ""};
    HttpReply c = call("POST", "/api/v1/auth/challenges", s.jar);
    EXPECT_EQ(c.status, 200) << c.raw;
    const std::string challenge = dir_ + "/challenge.bin";
    EXPECT_EQ(sh("printf '%s' " + q(c.body.value("challenge", "")) + " | base64 -d > " + q(challenge)).exit_code, 0);
    const std::string sig = sign(name, challenge, false);
    HttpReply r = call("POST", "/api/v1/auth/challenges/" + c.body.value("id", ""), s.jar, json{{"signature", sig}}.dump());
    EXPECT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(r.body["as"].value("as", ""), "holder") << r.raw;
    s.csrf = r.body.value("csrf", "");
    return s;
  }
  // base64 of `openssl cms -sign` over `file` with the certificate under `name`
  // (-nodetach: the content inside, as a holder's request carries it).
  std::string sign(const std::string& name, const std::string& file, bool encapsulate = true) {
    const std::string d = dir_ + "/" + name;
    auto r = sh("openssl cms -sign -binary " + std::string(encapsulate ? "-nodetach " : "") + "-outform DER -in " +
                q(file) + " -signer " + q(d + "/cert.pem") + " -inkey " + q(d + "/key.pem") + " -out " +
                q(dir_ + "/signed.der") + " && base64 -w0 " + q(dir_ + "/signed.der"));
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return trim(r.out);
  }
  // A renewal request of the certificate under `name`: a CSR with its subject, a new key
  // (or `key`), optionally another surname; written to dir_/name/new.{key.pem,csr.der,csr.pem}.
  std::string renewal_request(const std::string& name, const std::string& extra = "") {
    const std::string d = dir_ + "/" + name;
    auto made = sh("python3 " + q(std::string(TRUSTMON_SOURCE_DIR) + "/tests/integration/holder_csr.py") + " " +
                   q(d + "/cert.pem") + " " + q(d + "/new.key.pem") + " " + q(d + "/new.csr.der") + " " + extra +
                   " && openssl req -inform DER -in " + q(d + "/new.csr.der") + " -out " + q(d + "/new.csr.pem"));
    EXPECT_EQ(made.exit_code, 0) << made.out;
    return sign(name, d + "/new.csr.der");
  }
  HttpReply post(const Session& s, const std::string& path, const json& body) {
    return call("POST", path, s.jar, body.dump(), "-H " + q("X-CSRF-Token: " + s.csrf));
  }
  HttpReply get(const Session& s, const std::string& path) { return call("GET", path, s.jar); }
  HttpReply as_token(const std::string& method, const std::string& path, const std::string& token, const json& body = nullptr) {
    return http_call(method, daemon_.url() + path, token, body.is_null() ? "" : body.dump());
  }
  // The newest event sequence the token can page from.
  std::string head(const std::string& token) {
    return as_token("GET", "/api/v1/events?wait=0", token).body.value("next", std::string("0"));
  }
  // The certificate `serial` in the holder's list (null when absent).
  static json find_cert(const json& list, const std::string& serial) {
    for (const auto& [group, items] : list["groups"].items())
      for (const auto& c : items)
        if (c["serial"] == serial) return c;
    return nullptr;
  }
};

TEST_F(HolderTest, RenewalWithoutChangesGoesToTheProviderAndEndsIssued) {
  const std::string serial = issue("5555500001", "olena");
  ASSERT_FALSE(serial.empty());
  const Session olena = login("olena");

  // My certificates: the one certificate, valid, in JSON and CSV.
  HttpReply mine = get(olena, "/api/v1/holder/certificates");
  ASSERT_EQ(mine.status, 200) << mine.raw;
  EXPECT_EQ(mine.body["count"], 1);
  EXPECT_FALSE(mine.body.value("truncated", true));
  ASSERT_EQ(mine.body["groups"]["valid"].size(), 1U) << mine.raw;
  const json cert = mine.body["groups"]["valid"][0];
  EXPECT_EQ(cert["serial"], serial);
  EXPECT_EQ(cert["issuer"], "test-ecdsa");
  EXPECT_EQ(cert["status"], "valid");
  EXPECT_FALSE(cert.value("common_name", "").empty());
  EXPECT_TRUE(cert["replaced_by"].is_null());
  HttpReply csv = get(olena, "/api/v1/holder/certificates?format=csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_NE(csv.header("Content-Type").find("text/csv"), std::string::npos);
  EXPECT_EQ(csv.raw.rfind("group,issuer,serial,", 0), 0U) << csv.raw;
  EXPECT_NE(csv.raw.find("valid,test-ecdsa," + serial + ","), std::string::npos) << csv.raw;

  // The provider watches holders' requests to it.
  HttpReply watch = as_token("POST", "/api/v1/watches", token_a_, json{{"name", "requests"}, {"kinds", {"requests"}}});
  ASSERT_EQ(watch.status, 201) << watch.raw;
  const std::string after_a = head(token_a_);
  const std::string after_b = head(token_b_);
  ASSERT_EQ(as_token("POST", "/api/v1/watches", token_b_, json{{"kinds", {"requests"}}}).status, 201);

  // A changed surname is a change of data; the old key is no renewal.
  HttpReply changed = post(olena, "/api/v1/renewals", json{{"request", renewal_request("olena", "--surname Іваненко")}});
  EXPECT_EQ(changed.status, 422) << changed.raw;
  EXPECT_EQ(error_code(changed), "subject_changed");
  EXPECT_EQ(changed.body["error"]["details"]["attribute"], "surname") << changed.raw;
  HttpReply old_key = post(olena, "/api/v1/renewals",
                           json{{"request", renewal_request("olena", "--key " + q(dir_ + "/olena/key.pem"))}});
  EXPECT_EQ(old_key.status, 409) << old_key.raw;
  EXPECT_EQ(error_code(old_key), "key_reused");

  // Unchanged data, a new key: filed for QTSP A.
  HttpReply filed = post(olena, "/api/v1/renewals", json{{"request", renewal_request("olena")}});
  ASSERT_EQ(filed.status, 201) << filed.raw;
  const std::string number = filed.body.value("number", "");
  EXPECT_EQ(number, "RN-000001");
  EXPECT_EQ(filed.body["state"], "submitted");
  EXPECT_EQ(filed.body["certificate"]["serial"], serial);
  EXPECT_EQ(filed.body["participant"], qtsp_a_);
  // The same certificate again while it is open.
  HttpReply twice = post(olena, "/api/v1/renewals", json{{"request", renewal_request("olena")}});
  EXPECT_EQ(twice.status, 409) << twice.raw;
  EXPECT_EQ(error_code(twice), "renewal_pending");

  // renewal.requested reaches QTSP A's stream, not QTSP B's.
  HttpReply events = as_token("GET", "/api/v1/events?after=" + after_a + "&wait=5", token_a_);
  ASSERT_EQ(events.status, 200) << events.raw;
  bool notified = false;
  for (const auto& e : events.body["events"])
    if (e.value("type", "") == "watch.match" && e["kind"] == "requests" && e["event"]["type"] == "renewal.requested")
      notified = notified || e["event"].value("number", "") == number;
  EXPECT_TRUE(notified) << events.raw;
  HttpReply others = as_token("GET", "/api/v1/events?after=" + after_b + "&wait=1", token_b_);
  EXPECT_EQ(others.raw.find("renewal.requested"), std::string::npos) << others.raw;

  // Who sees it: the holder, QTSP A and the central body; not QTSP B, not another holder.
  HttpReply list_a = as_token("GET", "/api/v1/renewals", token_a_);
  ASSERT_EQ(list_a.status, 200) << list_a.raw;
  ASSERT_EQ(list_a.body["renewals"].size(), 1U);
  EXPECT_EQ(list_a.body["renewals"][0]["number"], number);
  EXPECT_EQ(as_token("GET", "/api/v1/renewals", token_b_).body["renewals"].size(), 0U);
  EXPECT_EQ(as_token("GET", "/api/v1/renewals/" + number, token_b_).status, 404);
  EXPECT_EQ(as_token("GET", "/api/v1/renewals", daemon_.token()).body["renewals"].size(), 1U);
  EXPECT_EQ(get(olena, "/api/v1/renewals").body["renewals"].size(), 1U);
  issue("5555500002", "other");
  const Session other = login("other");
  EXPECT_EQ(get(other, "/api/v1/renewals").body["renewals"].size(), 0U);
  EXPECT_EQ(get(other, "/api/v1/renewals/" + number).status, 404);
  EXPECT_EQ(post(other, "/api/v1/renewals/" + number + "/decision", json{{"decision", "accept"}}).status, 403);
  EXPECT_EQ(as_token("POST", "/api/v1/renewals/" + number + "/decision", token_b_, json{{"decision", "accept"}}).status,
            404);
  // A representative files nothing.
  HttpReply rep = as_token("POST", "/api/v1/renewals", token_a_, json{{"request", "AA=="}});
  EXPECT_EQ(rep.status, 403);
  EXPECT_EQ(error_code(rep), "holder_only");

  // QTSP A accepts, reads the request's CSR and issues with it through the test CA.
  HttpReply accepted = as_token("POST", "/api/v1/renewals/" + number + "/decision", token_a_,
                                json{{"decision", "accept"}, {"reason", "data unchanged"}});
  ASSERT_EQ(accepted.status, 200) << accepted.raw;
  EXPECT_EQ(accepted.body["state"], "accepted");
  HttpReply detail = as_token("GET", "/api/v1/renewals/" + number, token_a_);
  ASSERT_EQ(detail.status, 200) << detail.raw;
  const std::string csr_der = detail.body["renewal"]["csr"].value("der", "");
  ASSERT_FALSE(csr_der.empty());
  EXPECT_FALSE(detail.body["renewal"].value("request", "").empty());
  std::string csr_pem = "-----BEGIN CERTIFICATE REQUEST-----\n";
  for (std::size_t i = 0; i < csr_der.size(); i += 64) csr_pem += csr_der.substr(i, 64) + "\n";
  csr_pem += "-----END CERTIFICATE REQUEST-----\n";
  const json issue_request = {{"ca", "test-ecdsa"},
                              {"profile", "ua-qes-natural"},
                              {"ids", {{"rnokpp", "5555500001"}}},
                              {"subject", {{"given", "Олена"}, {"sn", "Тестенко"}}},
                              {"key", {{"csr", csr_pem}}}};
  const Reply renewed = post_text("/api/v1/testca/certificates", token_a_, issue_request.dump(), "application/json");
  ASSERT_EQ(renewed.status, 201) << renewed.body;
  const std::string new_serial = renewed.json_body().value("serial", "");

  // Issued, set by the ingest itself; the old certificate is shown as replaced.
  HttpReply done = get(olena, "/api/v1/renewals/" + number);
  ASSERT_EQ(done.status, 200) << done.raw;
  EXPECT_EQ(done.body["renewal"]["state"], "issued") << done.raw;
  EXPECT_EQ(done.body["renewal"]["issued"]["serial"], new_serial);
  HttpReply after = get(olena, "/api/v1/holder/certificates");
  ASSERT_EQ(after.status, 200);
  EXPECT_EQ(after.body["count"], 2);
  const json old_cert = find_cert(after.body, serial);
  const json new_cert = find_cert(after.body, new_serial);
  ASSERT_FALSE(old_cert.is_null()) << after.raw;
  ASSERT_FALSE(new_cert.is_null()) << after.raw;
  EXPECT_EQ(old_cert["replaced_by"]["serial"], new_serial);
  EXPECT_EQ(new_cert["replaces"]["serial"], serial);
  EXPECT_NE(get(olena, "/api/v1/holder/certificates?format=csv").raw.find("test-ecdsa:" + new_serial), std::string::npos);
  // Closed: no decision any more.
  EXPECT_EQ(error_code(as_token("POST", "/api/v1/renewals/" + number + "/decision", token_a_, json{{"decision", "reject"}})),
            "renewal_closed");
}

TEST_F(HolderTest, RevocationRequestIsDoneWhenTheProviderRevokes) {
  const std::string first = issue("5555500011", "first");
  const std::string second = issue("5555500011", "second");
  const std::string third = issue("5555500011", "third");
  const Session me = login("first");
  const auto request_for = [&](const std::string& serial, const std::string& reason) {
    write(dir_ + "/revoke.json", json{{"issuer", "test-ecdsa"}, {"serial", serial}, {"reason", reason}}.dump());
    return sign("first", dir_ + "/revoke.json");
  };
  // Signed with the first certificate, about the second.
  HttpReply filed = post(me, "/api/v1/revocation-requests", json{{"request", request_for(second, "keyCompromise")}});
  ASSERT_EQ(filed.status, 201) << filed.raw;
  const std::string number = filed.body.value("number", "");
  EXPECT_EQ(number, "RR-000001");
  EXPECT_EQ(filed.body["state"], "submitted");
  EXPECT_EQ(filed.body["certificate"]["serial"], second);
  EXPECT_EQ(filed.body["reason"], "keyCompromise");
  EXPECT_EQ(get(me, "/api/v1/holder/certificates").raw.find("\"revocation_request\":\"RR-000001\"") != std::string::npos,
            true);
  // Another holder's certificate is not mine to ask for.
  const std::string stranger = issue("5555500012", "stranger");
  HttpReply not_mine = post(me, "/api/v1/revocation-requests", json{{"request", request_for(stranger, "keyCompromise")}});
  EXPECT_EQ(not_mine.status, 403) << not_mine.raw;
  EXPECT_EQ(error_code(not_mine), "not_your_certificate");
  // The provider sees it; another QTSP does not.
  HttpReply list_a = as_token("GET", "/api/v1/revocation-requests?state=submitted", token_a_);
  ASSERT_EQ(list_a.status, 200) << list_a.raw;
  ASSERT_EQ(list_a.body["revocation_requests"].size(), 1U);
  EXPECT_EQ(as_token("GET", "/api/v1/revocation-requests", token_b_).body["revocation_requests"].size(), 0U);
  EXPECT_EQ(as_token("GET", "/api/v1/revocation-requests/" + number, token_b_).status, 404);
  // The provider revokes through its own API: the request is done in the same commit.
  HttpReply revoked = as_token("POST", "/api/v1/revocations", token_a_,
                               json{{"issuer", "test-ecdsa"}, {"serial", second}, {"reason", "keyCompromise"}});
  ASSERT_EQ(revoked.status, 200) << revoked.raw;
  HttpReply done = get(me, "/api/v1/revocation-requests/" + number);
  ASSERT_EQ(done.status, 200) << done.raw;
  EXPECT_EQ(done.body["revocation_request"]["state"], "done") << done.raw;
  EXPECT_FALSE(done.body["revocation_request"]["revoked_at"].is_null());
  HttpReply again = post(me, "/api/v1/revocation-requests", json{{"request", request_for(second, "keyCompromise")}});
  EXPECT_EQ(error_code(again), "already_revoked") << again.raw;
  const json list = get(me, "/api/v1/holder/certificates").body;
  EXPECT_EQ(find_cert(list, second)["group"], "revoked");
  EXPECT_EQ(find_cert(list, first)["group"], "valid");

  // Accepted by the provider: revoked as asked, through the production revocation.
  HttpReply held = post(me, "/api/v1/revocation-requests", json{{"request", request_for(third, "certificateHold")}});
  ASSERT_EQ(held.status, 201) << held.raw;
  HttpReply accept = as_token("POST", "/api/v1/revocation-requests/" + held.body.value("number", "") + "/decision",
                              token_a_, json{{"decision", "accept"}});
  ASSERT_EQ(accept.status, 200) << accept.raw;
  EXPECT_EQ(accept.body["state"], "done");
  EXPECT_EQ(find_cert(get(me, "/api/v1/holder/certificates").body, third)["group"], "held");
  // Rejected by the provider.
  HttpReply fourth = post(me, "/api/v1/revocation-requests", json{{"request", request_for(first, "superseded")}});
  ASSERT_EQ(fourth.status, 201) << fourth.raw;
  const std::string fourth_number = fourth.body.value("number", "");
  HttpReply reject = as_token("POST", "/api/v1/revocation-requests/" + fourth_number + "/decision", token_a_,
                              json{{"decision", "reject"}, {"reason", "call us"}});
  ASSERT_EQ(reject.status, 200) << reject.raw;
  EXPECT_EQ(reject.body["state"], "rejected");
  EXPECT_EQ(reject.body["decision"]["reason"], "call us");
}

TEST_F(HolderTest, AHoldersWatchOnTheirIdentifiersSeesIssuanceAndLogins) {
  issue("5555500021", "watcher");
  const Session me = login("watcher");
  // Only a holder has "my" pages.
  HttpReply rep = as_token("GET", "/api/v1/holder/certificates", token_a_);
  EXPECT_EQ(rep.status, 403);
  EXPECT_EQ(error_code(rep), "holder_only");

  HttpReply created = post(me, "/api/v1/holder/watch", json::object());
  ASSERT_EQ(created.status, 201) << created.raw;
  const auto id = created.body.value("id", 0U);
  HttpReply watches = get(me, "/api/v1/holder/watches");
  ASSERT_EQ(watches.status, 200) << watches.raw;
  ASSERT_EQ(watches.body["watches"].size(), 1U);
  const json w = watches.body["watches"][0];
  EXPECT_EQ(w["holder"], "TINUA-5555500021");
  EXPECT_EQ(w["kinds"], json({"issued", "revoked", "key_reused", "login"}));
  EXPECT_EQ(w["values"][0]["value"], "TINUA-5555500021");
  // Not a participant's watch: representatives do not see it, another holder cannot delete it.
  EXPECT_EQ(as_token("GET", "/api/v1/watches", token_a_).raw.find("TINUA-5555500021"), std::string::npos);
  issue("5555500022", "neighbour");
  const Session neighbour = login("neighbour");
  EXPECT_EQ(get(neighbour, "/api/v1/holder/watches").body["watches"].size(), 0U);
  EXPECT_EQ(call("DELETE", "/api/v1/holder/watches/" + std::to_string(id), neighbour.jar, "",
                 "-H " + q("X-CSRF-Token: " + neighbour.csrf))
                .status,
            404);

  // A new certificate in the holder's name, and a login with it, reach the holder's stream.
  const std::string after = created.body.value("cursor", json(0)).dump();
  issue("5555500021", "again");
  login("again");
  HttpReply events = get(me, "/api/v1/holder/events?after=" + after + "&wait=5");
  ASSERT_EQ(events.status, 200) << events.raw;
  bool issued = false, logged_in = false;
  for (int round = 0; round < 5 && !(issued && logged_in); ++round) {
    for (const auto& e : events.body["events"]) {
      if (e.value("type", "") != "watch.match") continue;
      issued = issued || e["kind"] == "issued";
      logged_in = logged_in || e["kind"] == "login";
    }
    if (issued && logged_in) break;
    events = get(me, "/api/v1/holder/events?after=" + events.body.value("next", after) + "&wait=5");
  }
  EXPECT_TRUE(issued) << events.raw;
  EXPECT_TRUE(logged_in) << events.raw;
  // The SSE form opens with the stream's comment line.
  HttpReply sse = call("GET", "/api/v1/holder/events", me.jar, "", "--max-time 1");
  EXPECT_NE(sse.raw.find(": trustmon event stream"), std::string::npos) << sse.raw;

  HttpReply removed = call("DELETE", "/api/v1/holder/watches/" + std::to_string(id), me.jar, "",
                           "-H " + q("X-CSRF-Token: " + me.csrf));
  EXPECT_EQ(removed.status, 200) << removed.raw;
  EXPECT_EQ(get(me, "/api/v1/holder/watches").body["watches"].size(), 0U);
}

}  // namespace
}  // namespace trustmon::itest
