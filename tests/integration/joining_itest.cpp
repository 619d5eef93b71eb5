// Joining by signed applications (docs/joining.md) against the real daemon: applications
// made with python3-cryptography (PKCS#7 SignedData) and `openssl cms`, filed and followed
// anonymously with curl, decided by the central body, and the representative's signature
// login with `openssl cms` afterwards.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "common/time.hpp"
#include "tests/integration/providers_fixture.hpp"

namespace trustmon::itest {
namespace {

using nlohmann::json;

class JoiningTest : public ProvidersTest {
 protected:
  std::string tool() const { return "python3 " + q(std::string(TRUSTMON_SOURCE_DIR) + "/tests/integration/joining_tool.py"); }

  // A qualified certificate of organisation `edrpou` for person `rnokpp`, issued by demo-ec
  // into dir_/name; pushed into trustmon by QTSP A unless `push` is false.
  void person(const std::string& name, const std::string& serial, const std::string& edrpou, const std::string& rnokpp,
              const std::string& title = "", bool push = true) {
    const std::string ca = demo_pki().ca("demo-ec"), key = demo_pki().dir + "/demo-ec/ca.key";
    auto r = sh(tool() + " issue " + q(ca) + " " + q(key) + " " + q(dir_ + "/" + name) + " " + serial + " " + edrpou +
                " " + rnokpp + " " + q("Person " + rnokpp) + (title.empty() ? "" : " " + q(title)));
    ASSERT_EQ(r.exit_code, 0) << r.out;
    if (push) {
      ASSERT_EQ(post_file("/api/v1/certificates", token_a_, cert(name), "application/x-pem-file").status, 200);
    }
  }
  std::string cert(const std::string& name) const { return dir_ + "/" + name + "/cert.pem"; }
  std::string key(const std::string& name) const { return dir_ + "/" + name + "/key.pem"; }
  std::string der_b64(const std::string& name) {
    auto r = sh("base64 -w0 " + q(dir_ + "/" + name + "/cert.der"));
    return trim(r.out);
  }

  // The document in canonical form, signed by `signer` (python3-cryptography); the file.
  std::string signed_doc(json doc, const std::string& signer, const std::string& tag) {
    if (!doc.contains("date")) doc["date"] = format_rfc3339(std::time(nullptr));
    if (!doc.contains("format")) doc["format"] = "trustmon-joining/1";
    const std::string raw = dir_ + "/" + tag + ".raw.json", canon = dir_ + "/" + tag + ".json",
                      out = dir_ + "/" + tag + ".p7s";
    std::ofstream(raw, std::ios::trunc) << doc.dump(2);  // pretty on purpose: the tool makes it canonical
    auto r = sh(tool() + " canonical " + q(raw) + " " + q(canon) + " && " + tool() + " sign " + q(canon) + " " +
                q(cert(signer)) + " " + q(key(signer)) + " " + q(out));
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return out;
  }

  // Files a signed application anonymously; the reply.
  HttpReply file(const std::string& p7s) {
    return http_call("POST", daemon_.url() + "/api/v1/joining/applications", "", "",
                     "-H 'Content-Type: application/pkcs7-mime' --data-binary @" + q(p7s));
  }
  HttpReply status(const std::string& number, const std::string& secret) {
    return http_call("POST", daemon_.url() + "/api/v1/joining/status", "", json{{"number", number}, {"secret", secret}}.dump());
  }
  HttpReply decide(const std::string& number, const std::string& decision, const std::string& reason = "",
                   const std::string& token = "") {
    json body = {{"decision", decision}};
    if (!reason.empty()) body["reason"] = reason;
    return http_call("POST", daemon_.url() + "/api/v1/joining/applications/" + number + "/decision",
                     token.empty() ? daemon_.token() : token, body.dump());
  }

  // A signature login of `name` (openssl cms, detached) into `jar`; the redemption's reply.
  HttpReply login(const std::string& name, const std::string& jar) {
    HttpReply c = http_call("POST", daemon_.url() + "/api/v1/auth/challenges", "", "", "-b " + q(jar) + " -c " + q(jar));
    EXPECT_EQ(c.status, 200) << c.raw;
    const std::string challenge = dir_ + "/challenge.bin", sig = dir_ + "/challenge.p7s";
    EXPECT_EQ(sh("printf '%s' " + q(c.body.value("challenge", "")) + " | base64 -d > " + q(challenge)).exit_code, 0);
    auto s = sh("openssl cms -sign -binary -outform DER -in " + q(challenge) + " -signer " + q(cert(name)) + " -inkey " +
                q(key(name)) + " -out " + q(sig) + " && base64 -w0 " + q(sig));
    EXPECT_EQ(s.exit_code, 0) << s.out;
    return http_call("POST", daemon_.url() + "/api/v1/auth/challenges/" + c.body.value("id", ""), "",
                     json{{"signature", trim(s.out)}}.dump(), "-b " + q(jar) + " -c " + q(jar));
  }
  std::string new_jar() { return make_temp_dir("trustmon-jar") + "/cookies"; }

  // join + grant for organisation `edrpou` (a system owner), the head `head` signing; the
  // representative `rnokpp` as operator. Approved; returns the filing's reply.
  json joined(const std::string& edrpou, const std::string& head, const std::string& rnokpp) {
    const json doc = {{"kinds", {"join", "grant"}},
                      {"organisation", {{"code", edrpou}, {"kind", "system_owner"}, {"name", "ТОВ «Система " + edrpou + "»"}}},
                      {"representatives", {{{"name", "Представник " + rnokpp}, {"tin", rnokpp}, {"role", "operator"}}}}};
    HttpReply r = file(signed_doc(doc, head, "join-" + edrpou));
    EXPECT_EQ(r.status, 201) << r.raw;
    HttpReply ok = decide(r.body.value("number", ""), "approve");
    EXPECT_EQ(ok.status, 200) << ok.raw;
    return r.body;
  }
};

TEST_F(JoiningTest, AJoinAndGrantSignedByTheHeadIsApprovedAndTheRepresentativeLogsInBySignature) {
  person("head", "7A01", "31234567", "3000000001", "Директор");
  person("rep", "7A02", "31234567", "3000000002");
  const json doc = {{"kinds", {"join", "grant"}},
                    {"organisation", {{"code", "31234567"}, {"kind", "system_owner"}, {"name", "ТОВ «Інформаційна система»"}}},
                    {"representatives",
                     {{{"name", "Петренко Петро"}, {"tin", "3000000002"}, {"role", "operator"}},
                      {{"name", "Іваненко Іван"}, {"tin", "3000000003"}, {"role", "viewer"}, {"certificate", der_b64("rep")}}}}};
  // The second representative's certificate names 3000000002, not 3000000003: refused.
  HttpReply wrong = file(signed_doc(doc, "head", "mismatch"));
  EXPECT_EQ(wrong.status, 400) << wrong.raw;
  EXPECT_EQ(error_code(wrong), "certificate_not_of_representative");

  json fixed = doc;
  fixed["representatives"][1].erase("certificate");
  fixed["representatives"][0]["certificate"] = der_b64("rep");
  const std::string p7s = signed_doc(fixed, "head", "join");
  HttpReply r = file(p7s);
  ASSERT_EQ(r.status, 201) << r.raw;
  const std::string number = r.body.value("number", ""), secret = r.body.value("secret", "");
  EXPECT_EQ(number, "JA-000001");
  EXPECT_GE(secret.size(), 24U);
  EXPECT_EQ(r.body.value("state", ""), "pending");
  EXPECT_EQ(r.body["signer"].value("title", ""), "Директор") << r.raw;
  EXPECT_EQ(r.body["signer"].value("organisation", ""), "NTRUA-31234567");

  // Followed by number and secret, without an account; a wrong secret is "not found".
  HttpReply st = status(number, secret);
  ASSERT_EQ(st.status, 200) << st.raw;
  EXPECT_EQ(st.body.value("state", ""), "pending");
  EXPECT_EQ(st.body["organisation"].value("code", ""), "31234567");
  EXPECT_EQ(error_code(status(number, secret + "x")), "application_not_found");
  EXPECT_EQ(status(number, secret + "x").status, 404);
  EXPECT_EQ(error_code(status("JA-000099", secret)), "application_not_found");

  // The queue is the central body's: a QTSP's operator is refused.
  HttpReply q_a = http_call("GET", daemon_.url() + "/api/v1/joining/applications", token_a_);
  EXPECT_EQ(q_a.status, 403);
  EXPECT_EQ(error_code(q_a), "central_body_only");
  HttpReply queue = http_call("GET", daemon_.url() + "/api/v1/joining/applications?state=pending", daemon_.token());
  ASSERT_EQ(queue.status, 200) << queue.raw;
  ASSERT_EQ(queue.body["applications"].size(), 1U);
  EXPECT_EQ(queue.body["applications"][0].value("number", ""), number);
  HttpReply rec = http_call("GET", daemon_.url() + "/api/v1/joining/applications/" + number, daemon_.token());
  ASSERT_EQ(rec.status, 200) << rec.raw;
  EXPECT_TRUE(rec.body["check_now"].value("ok", false)) << rec.raw;
  EXPECT_EQ(rec.body["document"]["representatives"].size(), 2U);
  EXPECT_EQ(rec.body["signer"].value("issuer", ""), "demo-ec");

  // The signed bytes as filed: identical, and openssl gives back the signed document.
  const std::string kept = dir_ + "/kept.p7s";
  auto got = sh("curl -s -o " + q(kept) + " -H " + q("Authorization: Bearer " + daemon_.token()) + " " +
                q(daemon_.url() + "/api/v1/joining/applications/" + number + "/signed"));
  ASSERT_EQ(got.exit_code, 0);
  EXPECT_EQ(sh("cmp " + q(kept) + " " + q(p7s)).exit_code, 0);
  EXPECT_EQ(sh("openssl cms -verify -noverify -binary -inform DER -in " + q(kept) + " -out " + q(dir_ + "/back.json") +
               " && cmp " + q(dir_ + "/back.json") + " " + q(dir_ + "/join.json"))
                .exit_code,
            0);

  // Only the central body's administrator decides.
  HttpReply by_qtsp = decide(number, "approve", "", token_a_);
  EXPECT_EQ(by_qtsp.status, 403);
  HttpReply approved = decide(number, "approve");
  ASSERT_EQ(approved.status, 200) << approved.raw;
  EXPECT_EQ(approved.body.value("state", ""), "approved");
  const auto participant = approved.body.value("participant", 0U);
  ASSERT_NE(participant, 0U);
  ASSERT_EQ(approved.body["representatives"].size(), 2U);
  EXPECT_EQ(approved.body["representatives"][0]["credentials"].size(), 2U);  // identifier + certificate
  EXPECT_EQ(decide(number, "approve").status, 409);
  EXPECT_EQ(error_code(decide(number, "reject", "late")), "application_closed");

  // The queue exports as CSV for the record.
  HttpReply csv = http_call("GET", daemon_.url() + "/api/v1/joining/applications?format=csv", daemon_.token());
  ASSERT_EQ(csv.status, 200) << csv.raw;
  EXPECT_NE(csv.raw.find("number,state,filed,kinds"), std::string::npos) << csv.raw;
  EXPECT_NE(csv.raw.find("JA-000001,approved,"), std::string::npos) << csv.raw;
  EXPECT_NE(csv.raw.find("join+grant,31234567"), std::string::npos) << csv.raw;

  HttpReply after = status(number, secret);
  EXPECT_EQ(after.body.value("state", ""), "approved");
  EXPECT_EQ(after.body.value("participant", 0U), participant);

  // The register has the participant and its representatives; every step is audited.
  auto p = ctl("participant list");
  EXPECT_NE(p.first.dump().find("ТОВ «Інформаційна система»"), std::string::npos) << p.first.dump();
  HttpReply audit = http_call("GET", daemon_.url() + "/api/v1/admin/audit?action=credential.identifier_bind", daemon_.token());
  ASSERT_EQ(audit.status, 200) << audit.raw;
  EXPECT_NE(audit.raw.find("JA-000001"), std::string::npos) << audit.raw;
  EXPECT_NE(audit.raw.find("TINUA-3000000003"), std::string::npos) << audit.raw;

  // The representative logs in with their own qualified signature, as a representative.
  const std::string jar = new_jar();
  HttpReply in = login("rep", jar);
  ASSERT_EQ(in.status, 200) << in.raw;
  EXPECT_EQ(in.body["as"].value("as", ""), "representative") << in.raw;
  HttpReply me = http_call("GET", daemon_.url() + "/api/v1/me", "", "", "-b " + q(jar));
  ASSERT_EQ(me.status, 200) << me.raw;
  EXPECT_NE(me.raw.find("Інформаційна"), std::string::npos) << me.raw;
  EXPECT_EQ(me.raw.find("\"holder\":{"), std::string::npos) << me.raw;

  // The same signed document again is a duplicate.
  HttpReply again = file(p7s);
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(error_code(again), "application_duplicate");
}

TEST_F(JoiningTest, SignersWhoCannotSpeakForTheOrganisationAndBrokenDocumentsAreRefused) {
  person("head", "7B01", "32222222", "3100000001");
  person("other", "7B02", "39999999", "3100000002");
  person("revoked", "7B03", "32222222", "3100000003");
  person("unknown", "7B04", "32222222", "3100000004", "", false);
  const json doc = {{"kinds", {"join"}},
                    {"organisation", {{"code", "32222222"}, {"kind", "tool_developer"}, {"name", "Розробник"}}}};

  // Someone of another organisation.
  HttpReply other = file(signed_doc(doc, "other", "other"));
  EXPECT_EQ(other.status, 403) << other.raw;
  EXPECT_EQ(error_code(other), "signer_not_of_organisation");
  // A revoked signer.
  HttpReply rev = http_call("POST", daemon_.url() + "/api/v1/revocations", token_a_,
                            json{{"issuer", "demo-ec"}, {"serial", "7B03"}, {"reason", "keyCompromise"}}.dump());
  ASSERT_EQ(rev.status, 200) << rev.raw;
  HttpReply revoked = file(signed_doc(doc, "revoked", "revoked"));
  EXPECT_EQ(revoked.status, 403);
  EXPECT_EQ(error_code(revoked), "certificate_revoked");
  // A certificate trustmon never saw.
  EXPECT_EQ(error_code(file(signed_doc(doc, "unknown", "unknown"))), "certificate_unknown");
  // A tampered signed document (one letter of the name changed).
  const std::string good = signed_doc(doc, "head", "good"), tampered = dir_ + "/tampered.p7s";
  ASSERT_EQ(sh("python3 -c " + q("import sys; d=open(sys.argv[1],'rb').read(); "
                                 "open(sys.argv[2],'wb').write(d.replace(b'tool_developer', b'tool_devel0per'))") +
               " " + q(good) + " " + q(tampered))
                .exit_code,
            0);
  HttpReply bad = file(tampered);
  EXPECT_EQ(bad.status, 422) << bad.raw;
  EXPECT_EQ(error_code(bad), "signature_invalid");
  // Not canonical (openssl cms over a pretty-printed document), and stale.
  const std::string pretty = dir_ + "/pretty.json", pretty_p7s = dir_ + "/pretty.p7s";
  json dated = doc;
  dated["date"] = format_rfc3339(std::time(nullptr));
  dated["format"] = "trustmon-joining/1";
  std::ofstream(pretty, std::ios::trunc) << dated.dump(2);
  ASSERT_EQ(sh("openssl cms -sign -nodetach -binary -outform DER -in " + q(pretty) + " -signer " + q(cert("head")) +
               " -inkey " + q(key("head")) + " -out " + q(pretty_p7s))
                .exit_code,
            0);
  EXPECT_EQ(error_code(file(pretty_p7s)), "document_not_canonical");
  json old = doc;
  old["date"] = "2026-01-01T00:00:00Z";
  EXPECT_EQ(error_code(file(signed_doc(old, "head", "old"))), "document_stale");
  // The kinds must fit the register: a grant for an organisation that has not joined.
  const json grant = {{"kinds", {"grant"}},
                      {"organisation", {{"code", "32222222"}}},
                      {"representatives", {{{"name", "Хтось"}, {"tin", "3100000009"}, {"role", "viewer"}}}}};
  HttpReply nojoin = file(signed_doc(grant, "head", "grant"));
  EXPECT_EQ(nojoin.status, 404);
  EXPECT_EQ(error_code(nojoin), "participant_not_found");
  HttpReply ninth = file(dir_ + "/good.p7s");
  EXPECT_EQ(ninth.status, 201) << ninth.raw;
  // Eight filings so far; the 10th from this address in the hour is the last one taken.
  int taken = 8;
  HttpReply last;
  for (int i = 0; i < 5; ++i) {
    last = file(dir_ + "/good.p7s");
    if (last.status == 429) break;
    EXPECT_EQ(error_code(last), "application_duplicate") << last.raw;
    ++taken;
  }
  EXPECT_EQ(taken, 10);
  EXPECT_EQ(last.status, 429) << last.raw;
  EXPECT_FALSE(last.header("Retry-After").empty());
  // Nothing reached the register before a decision.
  EXPECT_EQ(ctl("participant list").first.dump().find("Розробник"), std::string::npos);
}

TEST_F(JoiningTest, AnApprovedBlockApplicationEndsTheRepresentativesStreamWithinASecond) {
  person("head", "7C01", "33333333", "3200000001");
  person("rep", "7C02", "33333333", "3200000002");
  joined("33333333", "head", "3200000002");
  const std::string jar = new_jar();
  ASSERT_EQ(login("rep", jar).status, 200);
  const std::string events = dir_ + "/events";
  sh("(curl -s -N -b " + q(jar) + " " + q(daemon_.url() + "/api/v1/me/events") + " > " + q(events) +
     " 2>/dev/null &) ; sleep 0.3");
  ASSERT_TRUE(wait_until([&] { return read_text(events).find("event: session") != std::string::npos; },
                         std::chrono::seconds(5)));
  const json block = {{"kinds", {"block"}},
                      {"organisation", {{"code", "33333333"}}},
                      {"block", {{"tin", "3200000002"}, {"reason", "звільнений"}}}};
  HttpReply r = file(signed_doc(block, "head", "block"));
  ASSERT_EQ(r.status, 201) << r.raw;
  // Filing alone blocks nothing.
  EXPECT_EQ(http_call("GET", daemon_.url() + "/api/v1/me", "", "", "-b " + q(jar)).status, 200);
  const auto t0 = std::chrono::steady_clock::now();
  HttpReply ok = decide(r.body.value("number", ""), "approve");
  ASSERT_EQ(ok.status, 200) << ok.raw;
  EXPECT_NE(ok.body.value("blocked_representative", 0U), 0U);
  ASSERT_TRUE(wait_until([&] { return read_text(events).find("event: ended") != std::string::npos; },
                         std::chrono::seconds(5)))
      << read_text(events);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1500));
  HttpReply me = http_call("GET", daemon_.url() + "/api/v1/me", "", "", "-b " + q(jar));
  EXPECT_EQ(me.status, 403);
  EXPECT_EQ(error_code(me), "representative_blocked");
  // A new signature login is refused too.
  HttpReply again = login("rep", new_jar());
  EXPECT_EQ(again.status, 403) << again.raw;
  EXPECT_EQ(error_code(again), "representative_blocked");
  // A block naming someone who is not the organisation's representative.
  const json stranger = {{"kinds", {"block"}},
                         {"organisation", {{"code", "33333333"}}},
                         {"block", {{"tin", "3200000099"}, {"reason", "x"}}}};
  EXPECT_EQ(error_code(file(signed_doc(stranger, "head", "stranger"))), "representative_not_found");
}

TEST_F(JoiningTest, AQtspJoinsWithItsCaAndARejectionCarriesItsReason) {
  // demo-rsa is set free for the newcomer.
  ASSERT_EQ(ctl("participant issuer-remove " + std::to_string(qtsp_b_) + " demo-rsa").second, 0);
  person("head", "7D01", "34444444", "3300000001");
  const std::string rsa_ca = dir_ + "/rsa-ca.der";
  ASSERT_EQ(sh("openssl x509 -in " + q(demo_pki().ca("demo-rsa")) + " -outform DER -out " + q(rsa_ca)).exit_code, 0);
  const std::string rsa_b64 = trim(sh("base64 -w0 " + q(rsa_ca)).out);
  json doc = {{"kinds", {"join"}},
              {"organisation", {{"code", "34444444"}, {"kind", "qtsp"}, {"name", "Новий надавач"}}},
              {"issuers", {rsa_b64}}};
  // A QTSP without its CAs, or with one trustmon does not serve, is refused.
  json none = doc;
  none.erase("issuers");
  EXPECT_EQ(error_code(file(signed_doc(none, "head", "none"))), "document_invalid");
  json foreign = doc;
  foreign["issuers"] = {der_b64("head")};
  EXPECT_EQ(error_code(file(signed_doc(foreign, "head", "foreign"))), "issuer_unknown");

  HttpReply r = file(signed_doc(doc, "head", "qtsp"));
  ASSERT_EQ(r.status, 201) << r.raw;
  HttpReply ok = decide(r.body.value("number", ""), "approve");
  ASSERT_EQ(ok.status, 200) << ok.raw;
  auto list = ctl("participant list");
  bool operates = false;
  for (const auto& p : list.first.value("participants", json::array()))
    if (p.value("code", "") == "34444444") operates = p.value("issuer_ids", json::array()).size() == 1;
  EXPECT_TRUE(operates) << list.first.dump();

  // A grant that the central body rejects: the reason is what the applicant reads.
  const json grant = {{"kinds", {"grant"}},
                      {"organisation", {{"code", "34444444"}}},
                      {"representatives", {{{"name", "Хтось"}, {"tin", "3300000009"}, {"role", "operator"}}}}};
  HttpReply g = file(signed_doc(grant, "head", "grant"));
  ASSERT_EQ(g.status, 201) << g.raw;
  EXPECT_EQ(error_code(decide(g.body.value("number", ""), "reject")), "reason_required");
  HttpReply no = decide(g.body.value("number", ""), "reject", "немає довіреності");
  ASSERT_EQ(no.status, 200) << no.raw;
  HttpReply st = status(g.body.value("number", ""), g.body.value("secret", ""));
  EXPECT_EQ(st.body.value("state", ""), "rejected");
  EXPECT_EQ(st.body.value("reason", ""), "немає довіреності");
}

TEST_F(JoiningTest, TrustmonctlFilesAnApplicationAndTheCentralBodyDecidesFromATerminal) {
  person("head", "7E01", "35555555", "3400000001");
  const std::string doc = dir_ + "/ctl.json", kept = dir_ + "/ctl.p7s";
  std::ofstream(doc, std::ios::trunc) << json{{"kinds", {"join"}},
                                              {"organisation", {{"code", "35555555"}, {"kind", "system_owner"}, {"name", "ТОВ «Термінал»"}}}}
                                             .dump(2);
  // Filing needs no token (the CLI without --token-file).
  const std::string anonymous = q(trustmonctl_path()) + " --server " + q(daemon_.url());
  auto filed = sh(anonymous + " joining file --doc " + q(doc) + " --key " + q(key("head")) + " --cert " + q(cert("head")) +
                  " --out " + q(kept));
  ASSERT_EQ(filed.exit_code, 0) << filed.out;
  const json answer = json::parse(filed.out, nullptr, false);
  const std::string number = answer.value("number", ""), secret = answer.value("secret", "");
  ASSERT_FALSE(number.empty()) << filed.out;
  // The kept bytes are what the server holds; openssl reads the canonical document back.
  ASSERT_EQ(sh("openssl cms -verify -noverify -binary -inform DER -in " + q(kept) + " -out " + q(dir_ + "/ctl.back")).exit_code, 0);
  const std::string content = read_text(dir_ + "/ctl.back");
  EXPECT_EQ(content.rfind("{\"date\":", 0), 0U) << content;
  EXPECT_EQ(content.find('\n'), std::string::npos) << content;
  auto st = sh(anonymous + " joining status " + number + " --secret " + q(secret));
  EXPECT_EQ(st.exit_code, 0) << st.out;
  EXPECT_NE(st.out.find("\"pending\""), std::string::npos) << st.out;
  EXPECT_EQ(sh(anonymous + " joining status " + number + " --secret wrong").exit_code, 1);
  // The central body's queue and decision from a terminal.
  auto listed = ctl("joining list --state pending");
  EXPECT_EQ(listed.second, 0);
  EXPECT_EQ(listed.first["applications"][0].value("number", ""), number) << listed.first.dump();
  EXPECT_EQ(ctl("joining show " + number).first.value("state", ""), "pending");
  auto approved = ctl("joining approve " + number);
  EXPECT_EQ(approved.second, 0) << approved.first.dump();
  EXPECT_EQ(approved.first.value("state", ""), "approved");
  EXPECT_NE(approved.first.value("participant", 0U), 0U);
}

TEST_F(JoiningTest, OnceThereIsATrustedListTheSignersCaMustBeOnIt) {
  person("head", "7F01", "36666666", "3500000001");
  const json doc = {{"kinds", {"join"}},
                    {"organisation", {{"code", "36666666"}, {"kind", "system_owner"}, {"name", "ТОВ «Список»"}}}};
  const std::string list = std::string(TRUSTMON_SOURCE_DIR) + "/tests/data/tl-samples/tl-ua.xml";
  // The Ukrainian list as published names other CAs, not demo-ec.
  ASSERT_EQ(ctl("tl import " + q(list)).second, 0);
  HttpReply off = file(signed_doc(doc, "head", "off"));
  EXPECT_EQ(off.status, 403) << off.raw;
  EXPECT_EQ(error_code(off), "issuer_not_listed");
  // The next list names demo-ec in place of the first CA/QC service's certificate (granted).
  const std::string edited = dir_ + "/tl-demo.xml";
  auto made = sh("python3 -c " +
                 q("import re,subprocess,sys\n"
                   "xml=open(sys.argv[1],encoding='utf-8').read()\n"
                   "ca=subprocess.run(['openssl','x509','-in',sys.argv[2],'-outform','DER'],capture_output=True).stdout\n"
                   "import base64\n"
                   "b64=base64.b64encode(ca).decode()\n"
                   "at=xml.index('Svctype/CA/QC</ServiceTypeIdentifier>')\n"
                   "m=re.compile(r'<X509Certificate>[^<]*</X509Certificate>').search(xml,at)\n"
                   "xml=xml[:m.start()]+'<X509Certificate>'+b64+'</X509Certificate>'+xml[m.end():]\n"
                   "xml=re.sub(r'<TSLSequenceNumber>\\d+</TSLSequenceNumber>','<TSLSequenceNumber>40</TSLSequenceNumber>',xml,1)\n"
                   "open(sys.argv[3],'w',encoding='utf-8').write(xml)\n") +
                 " " + q(list) + " " + q(demo_pki().ca("demo-ec")) + " " + q(edited));
  ASSERT_EQ(made.exit_code, 0) << made.out;
  auto imported = ctl("tl import " + q(edited));
  ASSERT_EQ(imported.second, 0) << imported.first.dump();
  HttpReply on = file(signed_doc(doc, "head", "on"));
  ASSERT_EQ(on.status, 201) << on.raw;
  const json tl = on.body["signer"]["trusted_list"];
  EXPECT_TRUE(tl.value("listed", false)) << on.raw;
  EXPECT_NE(tl.value("status", "").find("/granted"), std::string::npos) << on.raw;
}

}  // namespace
}  // namespace trustmon::itest

namespace trustmon::itest {
namespace {

// The test bed on: its cloud key store signs applications through a QR link, and its test
// CAs' certificates may sign ([joining] test_issuers) or not.
class JoiningByCloudKeyTest : public JoiningTest {
 protected:
  void configure() override {
    daemon_.set_config("enabled", "true");
    daemon_.set_config("qr_lifetime", "\"10s\"");
    daemon_.set_config("test_issuers", accept_test_issuers_ ? "true" : "false");
  }
  void wait_for_key_store() {
    ASSERT_TRUE(wait_until([&] {
      HttpReply r = http_call("GET", daemon_.url() + "/testbed/ksp/identities");
      return r.status == 200 && r.body.contains("identities") && r.body["identities"].size() >= 12;
    }, std::chrono::seconds(60)));
  }
  // The canonical document (python), base64.
  std::string canonical_b64(json doc, const std::string& tag) {
    if (!doc.contains("date")) doc["date"] = format_rfc3339(std::time(nullptr));
    doc["format"] = "trustmon-joining/1";
    const std::string raw = dir_ + "/" + tag + ".raw.json", canon = dir_ + "/" + tag + ".json";
    std::ofstream(raw, std::ios::trunc) << doc.dump(2);
    auto r = sh(tool() + " canonical " + q(raw) + " " + q(canon) + " && base64 -w0 " + q(canon));
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return trim(r.out);
  }
  // Starts a QR signing of `b64` in a new browser jar, the phone (holder `rnokpp`) approves,
  // and the browser's long poll answers.
  HttpReply sign_by_phone(const std::string& b64, const std::string& rnokpp, HttpReply* started_out = nullptr) {
    const std::string jar = new_jar();
    HttpReply started = http_call("POST", daemon_.url() + "/api/v1/auth/qr", "",
                                  json{{"provider", "testksp"}, {"sign", {{"purpose", "joining"}, {"document", b64}}}}.dump(),
                                  "-b " + q(jar) + " -c " + q(jar));
    if (started_out) *started_out = started;
    if (started.status != 200) return started;
    HttpReply pending = http_call("GET", started.body.value("link", ""), "", "", "-L -H " + q("X-Testbed-Phone: " + rnokpp));
    EXPECT_EQ(pending.status, 200) << pending.raw;
    EXPECT_EQ(pending.body.value("vc", ""), started.body.value("vc", ""));
    HttpReply d = http_call("POST", daemon_.url() + "/testbed/ksp/approvals/" + pending.body.value("pending", ""), "",
                            json{{"action", "approve"}, {"vc", started.body.value("vc", "")}, {"pin", "1234"}}.dump());
    EXPECT_EQ(d.status, 200) << d.raw;
    http_call("GET", d.body.value("redirect", ""));
    return http_call("GET", daemon_.url() + "/api/v1/auth/qr/" + started.body.value("id", "") + "?wait=10", "", "",
                     "-b " + q(jar) + " -c " + q(jar));
  }
  bool accept_test_issuers_ = true;
};

class JoiningRefusesTestBedSignersTest : public JoiningByCloudKeyTest {
 public:
  JoiningRefusesTestBedSignersTest() { accept_test_issuers_ = false; }
};

TEST_F(JoiningByCloudKeyTest, TheHeadSignsTheApplicationWithACloudKeyThroughAQrLink) {
  wait_for_key_store();
  const json doc = {{"kinds", {"join", "grant"}},
                    {"organisation", {{"code", "55500012"}, {"kind", "tool_developer"}, {"name", "ТОВ «Тестова організація»"}}},
                    {"representatives", {{{"name", "Тестовий Підписувач 10"}, {"tin", "5550000010"}, {"role", "operator"}}}}};
  const std::string b64 = canonical_b64(doc, "cloud");
  // A document that is not canonical is refused before the phone is asked.
  HttpReply bad = http_call("POST", daemon_.url() + "/api/v1/auth/qr", "",
                            json{{"provider", "testksp"},
                                 {"sign", {{"purpose", "joining"}, {"document", trim(sh("printf '%s' " + q(doc.dump(2)) + " | base64 -w0").out)}}}}
                                .dump());
  EXPECT_EQ(bad.status, 400) << bad.raw;
  EXPECT_EQ(error_code(bad), "document_not_canonical");

  // A person of no organisation signs: the filing is refused, and the browser hears why.
  HttpReply nobody = sign_by_phone(b64, "5550000001");
  EXPECT_EQ(nobody.status, 403) << nobody.raw;
  EXPECT_EQ(error_code(nobody), "signer_not_of_organisation");

  // The organisation's head signs on the phone: the application is filed.
  HttpReply done = sign_by_phone(b64, "5550000012");
  ASSERT_EQ(done.status, 200) << done.raw;
  EXPECT_EQ(done.body.value("state", ""), "decided");
  const json filed = done.body["result"];
  const std::string number = filed.value("number", "");
  ASSERT_FALSE(number.empty()) << done.raw;
  EXPECT_FALSE(filed.value("secret", "").empty());
  EXPECT_EQ(filed["signer"].value("organisation", ""), "NTRUA-55500012");
  EXPECT_TRUE(filed["signer"].value("test_issuer", false));
  // What trustmon keeps is a CMS SignedData openssl verifies, over exactly the document.
  const std::string kept = dir_ + "/cloud.p7s";
  ASSERT_EQ(sh("curl -s -o " + q(kept) + " -H " + q("Authorization: Bearer " + daemon_.token()) + " " +
               q(daemon_.url() + "/api/v1/joining/applications/" + number + "/signed"))
                .exit_code,
            0);
  auto verified = sh("openssl cms -verify -noverify -binary -inform DER -in " + q(kept) + " -out " + q(dir_ + "/cloud.back") +
                     " && cmp " + q(dir_ + "/cloud.back") + " " + q(dir_ + "/cloud.json") + " && openssl cms -cmsout -print -inform DER -in " +
                     q(kept) + " | grep -c signingTime");
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
  HttpReply ok = decide(number, "approve");
  ASSERT_EQ(ok.status, 200) << ok.raw;
  EXPECT_EQ(ok.body["representatives"].size(), 1U);
}

TEST_F(JoiningRefusesTestBedSignersTest, ATestBedCertificateCannotSpeakForAnOrganisationByDefault) {
  wait_for_key_store();
  const json doc = {{"kinds", {"join"}},
                    {"organisation", {{"code", "55500012"}, {"kind", "tool_developer"}, {"name", "ТОВ «Тестова організація»"}}}};
  HttpReply refused = sign_by_phone(canonical_b64(doc, "refused"), "5550000012");
  EXPECT_EQ(refused.status, 403) << refused.raw;
  EXPECT_EQ(error_code(refused), "untrusted_issuer");
}

}  // namespace
}  // namespace trustmon::itest
