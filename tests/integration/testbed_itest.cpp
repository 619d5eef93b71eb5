// The test bed against the real daemon ([testbed] enabled): test certificates issued with the
// Ukrainian profiles and found by search, answered by `openssl ocsp` at the URL of their own
// AIA, listed on the CRL of their own CDP after revocation (`openssl verify -crl_check`);
// scenarios and deterministic identities; every OCSP and CRL fault seen by openssl as the
// broken answer it claims and gone when its count runs out; time travel; a production issuer
// that cannot be faulted; test certificates absent from the statistics and production
// watches; authorisation per role.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "tests/integration/daemon.hpp"
#include "tests/integration/providers_fixture.hpp"

namespace trustmon::itest {
namespace {

using nlohmann::json;

class TestbedTest : public ProvidersTest {
 protected:
  void configure() override {
    daemon_.set_config("enabled", "true");
    daemon_.set_config("rebuild_after", "\"1s\"");
  }

  Reply put_json(const std::string& path, const std::string& token, const json& body) {
    const std::string file = dir_ + "/put.json";
    EXPECT_EQ(sh("printf '%s' " + q(body.dump()) + " > " + q(file)).exit_code, 0);
    const std::string out = dir_ + "/reply";
    auto r = sh("curl -s -X PUT -o " + q(out) + " -w '%{http_code}' -H " + q("Authorization: Bearer " + token) +
                " -H 'Content-Type: application/json' --data-binary @" + q(file) + " " + q(daemon_.url() + path));
    return Reply{std::atoi(r.out.c_str()), read_text(out)};
  }

  // Issues a test certificate; writes cert.pem, ca.pem, root.pem (and key.pem) under `name`.
  json issue(const json& request, const std::string& name, const std::string& token = "") {
    const Reply r = post_text("/api/v1/testca/certificates", token.empty() ? daemon_.token() : token, request.dump(),
                              "application/json");
    EXPECT_EQ(r.status, 201) << r.body;
    json j = r.json_body();
    if (r.status != 201) return j;
    const std::string d = dir_ + "/" + name;
    sh("mkdir -p " + q(d));
    write(d + "/cert.pem", j["certificate"].get<std::string>());
    write(d + "/ca.pem", j["chain"][0].get<std::string>());
    if (j["chain"].size() > 1) write(d + "/root.pem", j["chain"][1].get<std::string>());
    if (j.contains("private_key")) write(d + "/key.pem", j["private_key"].get<std::string>());
    return j;
  }
  json natural(const std::string& rnokpp, const std::string& ca = "test-ecdsa") {
    return {{"ca", ca}, {"profile", "ua-qes-natural"}, {"ids", {{"rnokpp", rnokpp}}}, {"key", {{"generate", "ec-p256"}}}};
  }
  void write(const std::string& path, const std::string& text) {
    ASSERT_EQ(sh("printf '%s' " + q(text) + " > " + q(path)).exit_code, 0);
  }
  // `openssl ocsp` for the certificate under `name`, at the URL of its own AIA.
  CommandResult ocsp(const std::string& name, const std::string& extra = "", const std::string& url_suffix = "") {
    const std::string d = dir_ + "/" + name;
    const std::string url = trim(sh("openssl x509 -noout -ocsp_uri -in " + q(d + "/cert.pem")).out);
    return sh("openssl ocsp -issuer " + q(d + "/ca.pem") + " -cert " + q(d + "/cert.pem") + " -CAfile " +
              q(d + "/root.pem") + " -url " + q(url + url_suffix) + " " + extra + " 2>&1");
  }
  // Every event the token may see, page after page.
  json all_events(const std::string& token) {
    std::string after = "0";
    json out = json::array();
    for (int i = 0; i < 100; ++i) {
      const json page = get("/api/v1/events?after=" + after + "&wait=0", token).json_body();
      if (!page.contains("events") || page["events"].empty()) break;
      for (const auto& e : page["events"]) out.push_back(e);
      after = page["next"].get<std::string>();
    }
    return out;
  }
  Reply fault(const json& spec, const std::string& token = "") {
    return put_json("/api/v1/testca/faults", token.empty() ? daemon_.token() : token, spec);
  }
  Reply revoke(const std::string& issuer, const std::string& serial, const std::string& token,
               const std::string& reason = "keyCompromise", const std::string& time = "") {
    json item = {{"issuer", issuer}, {"serial", serial}, {"reason", reason}};
    if (!time.empty()) item["revocation_time"] = time;
    return post_text("/api/v1/revocations", token, json{{"revocations", json::array({item})}}.dump(),
                     "application/json");
  }
};

TEST_F(TestbedTest, TestCasAreListedAndMarkedTest) {
  const Reply r = get("/api/v1/testca/cas", "");
  ASSERT_EQ(r.status, 200) << r.body;
  const json cas = r.json_body()["cas"];
  ASSERT_EQ(cas.size(), 2U);
  EXPECT_EQ(cas[0]["name"], "test-ecdsa");
  EXPECT_EQ(cas[0]["algorithm"], "ec-p256");
  EXPECT_EQ(cas[1]["algorithm"], "rsa-2048");
  for (const auto& ca : cas) {
    write(dir_ + "/c.pem", ca["certificate"].get<std::string>());
    EXPECT_NE(sh("openssl x509 -noout -subject -in " + q(dir_ + "/c.pem")).out.find("CN = TEST "), std::string::npos);
  }
  const Reply der = get("/testca/test-rsa.cer", "");
  EXPECT_EQ(der.status, 200);
  EXPECT_EQ(get("/testca/none.cer", "").json_body()["error"]["code"], "testca_unknown");
}

TEST_F(TestbedTest, TestTrustedListNamesTheTestCasAndVerifies) {
  const std::string xml = dir_ + "/TL-UA-TEST.xml";
  ASSERT_EQ(sh("curl -sf -o " + q(xml) + " " + q(daemon_.url() + "/testca/TL-UA-TEST.xml")).exit_code, 0);
  const std::string schemas = std::string(TRUSTMON_SOURCE_DIR) + "/tsl/schemas";
  auto lint = sh("xmllint --nonet --noout --schema " + q(schemas + "/tl-v6-all.xsd") + " " + q(xml) + " 2>&1");
  EXPECT_EQ(lint.exit_code, 0) << lint.out;
  // Signed by the test list signer, whose certificate the list's signature carries.
  const std::string signer = dir_ + "/tl-signer.pem";
  ASSERT_EQ(sh("cp " + q(daemon_.data_dir() + "/testbed/tl-signer.pem") + " " + q(signer)).exit_code, 0);
  auto verified = sh("xmlsec1 --verify --pubkey-cert-pem " + q(signer) +
                     " --enabled-key-data key-name --enabled-reference-uris empty,same-doc " + q(xml) + " 2>&1");
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
  const std::string text = read_text(xml);
  EXPECT_NE(text.find(daemon_.url() + "/crl/test-ecdsa.crl"), std::string::npos);
  EXPECT_NE(text.find("http://uri.etsi.org/TrstSvc/Svctype/TSA/QTST"), std::string::npos);
  // The p7b holds the test CAs and the TSA; CAs.Test.json lists them with hrefs that resolve.
  const std::string p7b = dir_ + "/ca.p7b";
  ASSERT_EQ(sh("curl -sf -o " + q(p7b) + " " + q(daemon_.url() + "/testca/CACertificates.Test.p7b")).exit_code, 0);
  const std::string subjects = sh("openssl pkcs7 -inform DER -print_certs -noout -in " + q(p7b)).out;
  EXPECT_NE(subjects.find("TEST Trustmon Qualified CA ECDSA"), std::string::npos) << subjects;
  EXPECT_NE(subjects.find("TEST Trustmon Qualified CA RSA"), std::string::npos) << subjects;
  const json cas = get("/testca/CAs.Test.json", "").json_body();
  ASSERT_EQ(cas["cas"].size(), 2U) << cas.dump();  // the CA services (the TSA is not a CA)
  EXPECT_EQ(get(cas["cas"][0]["href"].get<std::string>(), "").status, 200);
  // The production list's CA bundle never names a test CA.
  EXPECT_EQ(get("/certs/CAs.json", "").body.find("TEST Trustmon"), std::string::npos);
}

TEST_F(TestbedTest, IssuedCertificateIsSearchedAnsweredAndRevokedOnItsOwnCrl) {
  json j = issue({{"ca", "test-rsa"},
                  {"profile", "ua-qes-representative"},
                  {"ids", {{"rnokpp", "2345678901"}, {"edrpou", "12345678"}, {"unzr", "19900101-00011"}}},
                  {"subject", {{"given", "Олена"}, {"sn", "Тестенко"}}},
                  {"key", {{"generate", "rsa-2048"}}}},
                 "rep");
  const std::string serial = j["serial"];
  const std::string d = dir_ + "/rep";
  const std::string text = sh("openssl x509 -noout -text -in " + q(d + "/cert.pem")).out;
  EXPECT_NE(text.find("serialNumber = TINUA-2345678901"), std::string::npos) << text;
  EXPECT_NE(text.find("organizationIdentifier = NTRUA-12345678"), std::string::npos) << text;
  EXPECT_NE(text.find("qcStatements"), std::string::npos);
  EXPECT_NE(text.find("Subject Directory Attributes"), std::string::npos);
  EXPECT_NE(text.find("Policy: 1.2.804.2.1.1.1.2.2"), std::string::npos);
  // The key returned once is the certificate's.
  EXPECT_EQ(sh("openssl x509 -noout -pubkey -in " + q(d + "/cert.pem")).out,
            sh("openssl pkey -pubout -in " + q(d + "/key.pem")).out);
  // Search sees it at once, by each identifier.
  for (const char* query : {"serial_number=TINUA-2345678901", "drfo=2345678901", "edrpou=12345678",
                                   "unzr=19900101-00011"}) {
    const Reply found = get(std::string("/api/v1/certificates?") + query, daemon_.token());
    ASSERT_EQ(found.status, 200) << found.body;
    EXPECT_EQ(found.json_body()["certificates"].size(), 1U) << query << " " << found.body;
  }
  auto good = ocsp("rep");
  EXPECT_NE(good.out.find("Response verify OK"), std::string::npos) << good.out;
  EXPECT_NE(good.out.find(": good"), std::string::npos) << good.out;
  // Revoked through the production revocation API by a QTSP operator (the test bed's issuers
  // are everyone's).
  const Reply rev = revoke("test-rsa", serial, token_b_);
  ASSERT_EQ(rev.status, 200) << rev.body;
  EXPECT_NE(ocsp("rep").out.find(": revoked"), std::string::npos);
  // The CRL at the certificate's own CDP lists it within the rebuild interval.
  const std::string cdp_text = sh("openssl x509 -noout -ext crlDistributionPoints -in " + q(d + "/cert.pem")).out;
  const auto at = cdp_text.find("URI:");
  ASSERT_NE(at, std::string::npos) << cdp_text;
  const std::string cdp = trim(cdp_text.substr(at + 4));
  std::string verdict;
  for (int i = 0; i < 50; ++i) {
    sh("curl -s -o " + q(d + "/crl.der") + " " + q(cdp));
    sh("openssl crl -inform DER -in " + q(d + "/crl.der") + " -out " + q(d + "/crl.pem"));
    verdict = sh("cat " + q(d + "/root.pem") + " " + q(d + "/ca.pem") + " > " + q(d + "/trust.pem") +
                 " && openssl verify -crl_check -CAfile " + q(d + "/trust.pem") + " -CRLfile " + q(d + "/crl.pem") +
                 " " + q(d + "/cert.pem") + " 2>&1")
                  .out;
    if (verdict.find("certificate revoked") != std::string::npos) break;
    sh("sleep 0.2");
  }
  EXPECT_NE(verdict.find("certificate revoked"), std::string::npos) << verdict;
}

TEST_F(TestbedTest, ScenariosComeOutAsAsked) {
  json revoked = natural("1111111111");
  revoked["scenario"] = "revoked";
  issue(revoked, "revoked");
  EXPECT_NE(ocsp("revoked").out.find(": revoked"), std::string::npos);
  json held = natural("1111111112");
  held["scenario"] = "on_hold";
  issue(held, "held");
  EXPECT_NE(ocsp("held").out.find("Reason: certificateHold"), std::string::npos) << ocsp("held").out;
  json expired = natural("1111111113");
  expired["scenario"] = "expired";
  issue(expired, "expired");
  EXPECT_NE(sh("openssl x509 -checkend 0 -noout -in " + q(dir_ + "/expired/cert.pem")).out.find("will expire"),
            std::string::npos);
  json wrong_ku = natural("1111111114");
  wrong_ku["scenario"] = "wrong_key_usage";
  issue(wrong_ku, "wku");
  const std::string ku = sh("openssl x509 -noout -ext keyUsage -in " + q(dir_ + "/wku/cert.pem")).out;
  EXPECT_NE(ku.find("Key Encipherment"), std::string::npos);
  EXPECT_EQ(ku.find("Digital Signature"), std::string::npos);
  json no_qc = natural("1111111115");
  no_qc["scenario"] = "no_qcstatements";
  issue(no_qc, "noqc");
  EXPECT_EQ(sh("openssl x509 -noout -text -in " + q(dir_ + "/noqc/cert.pem")).out.find("qcStatements"),
            std::string::npos);
  json dup = natural("1111111116");
  dup["scenario"] = "duplicate_key";
  const json d = issue(dup, "dup");
  ASSERT_TRUE(d.contains("duplicate_of"));
  write(dir_ + "/dup/first.pem", d["duplicate_of"]["certificate"].get<std::string>());
  EXPECT_EQ(sh("openssl x509 -noout -pubkey -in " + q(dir_ + "/dup/first.pem")).out,
            sh("openssl x509 -noout -pubkey -in " + q(dir_ + "/dup/cert.pem")).out);
  // The second certificate over the key raised certificate.key_reused in the event log.
  bool reused = false;
  for (const auto& e : all_events(daemon_.token()))
    reused = reused || (e["type"] == "certificate.key_reused" && e["payload"]["serial"] == d["serial"]);
  EXPECT_TRUE(reused);
  json untrusted = natural("1111111117");
  untrusted["scenario"] = "untrusted_issuer";
  const json u = issue(untrusted, "untrusted");
  EXPECT_EQ(u["stored"], false);
  EXPECT_NE(sh("openssl x509 -noout -issuer -in " + q(dir_ + "/untrusted/cert.pem")).out.find("Untrusted"),
            std::string::npos);
}

TEST_F(TestbedTest, DeterministicIdentitiesAlwaysGiveTheirScenario) {
  const json table = get("/api/v1/testca/identities", "").json_body();
  ASSERT_TRUE(table.contains("version"));
  std::string revoked_tin;
  for (const auto& i : table["identities"])
    if (i["scenario"] == "revoked") revoked_tin = i["rnokpp"];
  ASSERT_FALSE(revoked_tin.empty());
  const json j = issue(natural(revoked_tin), "ident");
  EXPECT_EQ(j["scenario"], "revoked");
  EXPECT_NE(ocsp("ident").out.find(": revoked"), std::string::npos);
  json conflict = natural(revoked_tin);
  conflict["scenario"] = "valid";
  const Reply r = post_text("/api/v1/testca/certificates", daemon_.token(), conflict.dump(), "application/json");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.json_body()["error"]["code"], "identity_scenario_conflict");
}

TEST_F(TestbedTest, EachOcspFaultIsSeenByOpensslAndEndsWithItsCount) {
  const json j = issue(natural("4444444444"), "f");
  const std::string serial = j["serial"];
  struct Case {
    const char* fault;
    const char* seen;  // what openssl ocsp prints
  };
  const Case cases[] = {
      {"unsigned", "Response Verify Failure"},
      {"wrong_signer", "Response Verify Failure"},
      {"wrong_certid", "No Status found"},
      {"stale_next_update", "Status times invalid"},
      {"future_this_update", "Status times invalid"},
      {"nonce_missing", "WARNING: no nonce in response"},
      {"nonce_wrong", "Nonce Verify error"},
      {"try_later", "Responder Error: trylater (3)"},
      {"internal_error", "Responder Error: internalerror (2)"},
      {"unauthorized", "Responder Error: unauthorized (6)"},
      {"truncated", "Error querying OCSP responder"},
  };
  for (const Case& c : cases) {
    const Reply put = fault({{"target", "ocsp"}, {"issuer", "test-ecdsa"}, {"serial", serial}, {"fault", c.fault},
                             {"count", 1}});
    ASSERT_EQ(put.status, 201) << put.body;
    const auto broken = ocsp("f");
    EXPECT_NE(broken.out.find(c.seen), std::string::npos) << c.fault << ": " << broken.out;
    // Its one request is used: the next answer is sound again.
    const auto after = ocsp("f");
    EXPECT_NE(after.out.find(": good"), std::string::npos) << c.fault << " after: " << after.out;
    EXPECT_NE(after.out.find("Response verify OK"), std::string::npos) << c.fault << " after: " << after.out;
  }
  // A delay holds the answer; a time-limited fault ends by itself.
  ASSERT_EQ(fault({{"target", "ocsp"}, {"issuer", "test-ecdsa"}, {"fault", "delay"}, {"ms", 1500}, {"count", 1}}).status,
            201);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_NE(ocsp("f").out.find(": good"), std::string::npos);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1400));
  // Whole seconds: a 3-second fault put at x.999 still has 2 s left for the next request.
  ASSERT_EQ(fault({{"target", "ocsp"}, {"issuer", "test-ecdsa"}, {"fault", "try_later"}, {"seconds", 3}}).status, 201);
  EXPECT_NE(ocsp("f").out.find("trylater"), std::string::npos);
  sh("sleep 4.1");
  EXPECT_NE(ocsp("f").out.find(": good"), std::string::npos);
  EXPECT_EQ(get("/api/v1/testca/faults", daemon_.token()).json_body()["faults"].size(), 0U);
}

TEST_F(TestbedTest, ProductionIssuersCannotBeFaulted) {
  const Reply r = fault({{"target", "ocsp"}, {"issuer", "demo-ec"}, {"fault", "try_later"}, {"count", 5}});
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.json_body()["error"]["code"], "issuer_not_test");
  const Reply unknown = fault({{"target", "ocsp"}, {"issuer", "test-ecdsa"}, {"fault", "explode"}, {"count", 1}});
  EXPECT_EQ(unknown.json_body()["error"]["code"], "fault_unknown");
}

TEST_F(TestbedTest, TimeTravelAnswersAsOfThen) {
  json j = natural("5555555555");
  j["scenario"] = "revoked";
  j["revocation"] = {{"time", "2026-01-01T00:00:00Z"}, {"reason", "keyCompromise"}};
  issue(j, "tt");
  EXPECT_NE(ocsp("tt").out.find(": revoked"), std::string::npos);
  // -validity_period: openssl would otherwise call a year-old answer expired.
  const std::string old_ok = "-validity_period 99999999";
  const auto before = ocsp("tt", old_ok, "?at=2025-12-31T00:00:00Z");
  EXPECT_NE(before.out.find(": good"), std::string::npos) << before.out;
  EXPECT_NE(before.out.find("This Update: Dec 31 00:00:00 2025"), std::string::npos) << before.out;
  const auto after = ocsp("tt", old_ok, "?at=2026-01-02T00:00:00Z");
  EXPECT_NE(after.out.find(": revoked"), std::string::npos) << after.out;
  // The CRL as of before the revocation does not list it; as of after, it does.
  const std::string d = dir_ + "/tt";
  const std::string serial = j.value("serial", std::string());
  sh("curl -s -o " + q(d + "/old.crl") + " " + q(daemon_.url() + "/crl/test-ecdsa.crl?at=2025-12-31T00:00:00Z"));
  sh("curl -s -o " + q(d + "/new.crl") + " " + q(daemon_.url() + "/crl/test-ecdsa.crl?at=2026-01-02T00:00:00Z"));
  const std::string old_text = sh("openssl crl -inform DER -noout -text -in " + q(d + "/old.crl")).out;
  const std::string new_text = sh("openssl crl -inform DER -noout -text -in " + q(d + "/new.crl")).out;
  EXPECT_NE(old_text.find("Last Update: Dec 31 00:00:00 2025"), std::string::npos) << old_text;
  EXPECT_NE(new_text.find("Serial Number: " + serial), std::string::npos) << new_text;
  EXPECT_NE(old_text.find("No Revoked Certificates"), std::string::npos) << old_text;
  EXPECT_EQ(get("/crl/test-ecdsa.crl?at=yesterday", "").status, 400);
}

TEST_F(TestbedTest, CrlFaultsAreSeenByOpenssl) {
  issue(natural("6666666666"), "crl");
  const std::string d = dir_ + "/crl";
  sh("cat " + q(d + "/root.pem") + " " + q(d + "/ca.pem") + " > " + q(d + "/trust.pem"));
  const auto verify_with_crl = [&] {
    sh("curl -s -o " + q(d + "/c.der") + " " + q(daemon_.url() + "/crl/test-ecdsa.crl"));
    sh("openssl crl -inform DER -in " + q(d + "/c.der") + " -out " + q(d + "/c.pem"));
    return sh("openssl verify -crl_check -CAfile " + q(d + "/trust.pem") + " -CRLfile " + q(d + "/c.pem") + " " +
              q(d + "/cert.pem") + " 2>&1")
        .out;
  };
  // Published CRLs come once the publisher's first round ran.
  std::string ok;
  for (int i = 0; i < 50 && ok.find(": OK") == std::string::npos; ++i, sh("sleep 0.2")) ok = verify_with_crl();
  EXPECT_NE(ok.find(": OK"), std::string::npos) << ok;
  ASSERT_EQ(fault({{"target", "crl"}, {"issuer", "test-ecdsa"}, {"fault", "expired_next_update"}, {"count", 1}}).status,
            201);
  EXPECT_NE(verify_with_crl().find("CRL has expired"), std::string::npos);
  ASSERT_EQ(fault({{"target", "crl"}, {"issuer", "test-ecdsa"}, {"fault", "bad_signature"}, {"count", 1}}).status, 201);
  const std::string bad = verify_with_crl();
  EXPECT_NE(bad.find("CRL signature failure"), std::string::npos) << bad;
  EXPECT_NE(verify_with_crl().find(": OK"), std::string::npos);
}

TEST_F(TestbedTest, TestCertificatesStayOutOfStatisticsAndProductionWatches) {
  // A watch on a taxpayer number (any issuer), and one on the test issuer.
  const Reply prod = post_text("/api/v1/watches", token_a_,
                               R"({"values":[{"kind":"serial_number","value":"TINUA-7777777777"}],"delivery":"stream"})",
                               "application/json");
  ASSERT_EQ(prod.status, 201) << prod.body;
  const Reply test = post_text(
      "/api/v1/watches", token_a_,
      R"({"issuer":"test-ecdsa","values":[{"kind":"serial_number","value":"TINUA-7777777777"}],"delivery":"stream"})",
      "application/json");
  ASSERT_EQ(test.status, 201) << test.body;
  const auto prod_id = prod.json_body()["id"].get<std::uint32_t>();
  const auto test_id = test.json_body()["id"].get<std::uint32_t>();
  issue(natural("7777777777"), "stat");
  std::vector<json> matches;
  for (int i = 0; i < 30 && matches.empty(); ++i) {
    const Reply poll = get("/api/v1/events?after=0&wait=1", token_a_);
    const json body = poll.json_body();
    if (body.contains("events"))
      for (const auto& e : body["events"])
        if (e.value("type", std::string()) == "watch.match") matches.push_back(e);
  }
  ASSERT_FALSE(matches.empty());
  for (const auto& m : matches) {
    const std::string text = m.dump();
    EXPECT_EQ(text.find("\"watch\":" + std::to_string(prod_id) + ","), std::string::npos) << text;
    EXPECT_NE(text.find(std::to_string(test_id)), std::string::npos) << text;
  }
  // The central body's series count no test certificate.
  const Reply series = get("/api/v1/stats/series?metric=certs_issued&freq=month&by=issuer", daemon_.token());
  ASSERT_EQ(series.status, 200) << series.body;
  EXPECT_EQ(series.body.find("test-ecdsa"), std::string::npos) << series.body;
}

TEST_F(TestbedTest, TimeStampsVerifyWithOpensslTsAndFaultsBreakThem) {
  const std::string d = dir_ + "/tsa";
  sh("mkdir -p " + q(d) + " && printf 'a document to stamp' > " + q(d + "/doc.txt"));
  ASSERT_EQ(sh("curl -sf -o " + q(d + "/chain.pem") + " " + q(daemon_.url() + "/testca/tsa.pem")).exit_code, 0);
  ASSERT_EQ(sh("cp " + q(daemon_.data_dir() + "/testbed/root.pem") + " " + q(d + "/root.pem")).exit_code, 0);
  const auto stamp = [&](const std::string& name, const std::string& query_args, const std::string& suffix = "") {
    sh("openssl ts -query -data " + q(d + "/doc.txt") + " " + query_args + " -out " + q(d + "/" + name + ".tsq"));
    return sh("curl -s -o " + q(d + "/" + name + ".tsr") + " -w '%{http_code}' -H 'Content-Type: application/timestamp-query' "
              "--data-binary @" + q(d + "/" + name + ".tsq") + " " + q(daemon_.url() + "/testca/tsa" + suffix))
        .out;
  };
  const auto verify = [&](const std::string& name) {
    return sh("openssl ts -verify -queryfile " + q(d + "/" + name + ".tsq") + " -in " + q(d + "/" + name + ".tsr") +
              " -CAfile " + q(d + "/root.pem") + " -untrusted " + q(d + "/chain.pem") + " 2>&1");
  };
  for (const std::string alg : {"-sha256", "-sha384", "-sha512"}) {
    EXPECT_EQ(stamp("ok", alg + " -cert"), "200");
    auto v = verify("ok");
    EXPECT_EQ(v.exit_code, 0) << alg << ": " << v.out;
  }
  // A fault on the TSA: the next token's imprint is another document's.
  ASSERT_EQ(fault({{"target", "tsa"}, {"fault", "wrong_imprint"}, {"count", 1}}).status, 201);
  stamp("bad", "-sha256 -cert");
  EXPECT_NE(verify("bad").exit_code, 0);
  stamp("good", "-sha256 -cert");
  EXPECT_EQ(verify("good").exit_code, 0) << verify("good").out;
  // Time travel: genTime as asked.
  stamp("old", "-sha256 -cert", "?at=2025-06-01T12:00:00Z");
  const std::string text = sh("openssl ts -reply -in " + q(d + "/old.tsr") + " -text").out;
  EXPECT_NE(text.find("Jun  1 12:00:00 2025"), std::string::npos) << text;
}

TEST_F(TestbedTest, SeededCasesAreRegisteredOnceAndTheirCertificatesAreLive) {
  json cases;
  for (int i = 0; i < 100; ++i, sh("sleep 0.1")) {
    cases = get("/api/v1/testbed/cases?limit=100", "").json_body()["cases"];
    if (cases.size() >= 23) break;
  }
  ASSERT_EQ(cases.size(), 23U);
  std::string revoked_sha;
  std::set<std::string> kinds;
  for (const auto& c : cases) {
    kinds.insert(c["kind"].get<std::string>());
    EXPECT_EQ(c["state"], "accepted");
    if (c["title"] == "A certificate revoked before the validation time") {
      EXPECT_EQ(c["expected"]["sub"], "urn:etsi:019102:subindication:REVOKED");
      for (const auto& in : c["inputs"])
        if (in["role"] == "signer-certificate") revoked_sha = in["sha256"];
    }
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"certificate", "protocol_exchange", "tsl"}));
  // The seeded revoked certificate is revoked in the status data: openssl ocsp says so.
  ASSERT_FALSE(revoked_sha.empty());
  const std::string d = dir_ + "/seed";
  sh("mkdir -p " + q(d));
  ASSERT_EQ(sh("curl -sf -o " + q(d + "/cert.der") + " " + q(daemon_.url() + "/api/v1/testbed/blobs/" + revoked_sha)).exit_code, 0);
  sh("openssl x509 -inform DER -in " + q(d + "/cert.der") + " -out " + q(d + "/cert.pem"));
  sh("cp " + q(daemon_.data_dir() + "/testbed/test-ecdsa/ca.pem") + " " + q(d + "/ca.pem") + " && cp " +
     q(daemon_.data_dir() + "/testbed/root.pem") + " " + q(d + "/root.pem"));
  EXPECT_NE(ocsp("seed").out.find(": revoked"), std::string::npos) << ocsp("seed").out;
  // A restart registers nothing twice.
  daemon_.stop();
  daemon_.start();
  sh("sleep 1");
  EXPECT_EQ(get("/api/v1/testbed/cases?limit=100", "").json_body()["cases"].size(), 23U);
}

TEST_F(TestbedTest, TrustmonctlIssuesAndFaults) {
  const std::string out = dir_ + "/ctl";
  auto issued = sh(daemon_.ctl() + " testbed issue --ca test-rsa --rnokpp 9999999990 --key rsa-2048 --out " + q(out));
  ASSERT_EQ(issued.exit_code, 0) << issued.out;
  EXPECT_EQ(issued.out.find("PRIVATE KEY"), std::string::npos);  // written to the file, not printed
  EXPECT_EQ(sh("openssl x509 -noout -pubkey -in " + q(out + "/cert.pem")).out,
            sh("openssl pkey -pubout -in " + q(out + "/key.pem")).out);
  EXPECT_EQ(sh("stat -c %a " + q(out + "/key.pem")).out, "600\n");
  const json answer = json::parse(issued.out, nullptr, false);
  auto faulted = sh(daemon_.ctl() + " testbed fault --issuer test-rsa --fault try_later --count 1 --serial " +
                    answer.value("serial", std::string()));
  ASSERT_EQ(faulted.exit_code, 0) << faulted.out;
  auto listed = sh(daemon_.ctl() + " testbed faults");
  EXPECT_NE(listed.out.find("try_later"), std::string::npos) << listed.out;
  auto refused = sh(daemon_.ctl() + " testbed fault --issuer demo-ec --fault try_later --count 1");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.out.find("issuer_not_test"), std::string::npos) << refused.out;
  EXPECT_NE(sh(daemon_.ctl() + " testbed identities").out.find("3000000002"), std::string::npos);
}

TEST_F(TestbedTest, AuthorisationPerRole) {
  const auto dev = id_of(ctl("participant add --kind tool_developer --name 'Dev' --code 33333333"));
  const std::string dev_token = token_for(dev, "operator");
  const std::string viewer = token_for(qtsp_a_, "viewer");
  // A viewer may not issue; nobody anonymous may.
  EXPECT_EQ(post_text("/api/v1/testca/certificates", viewer, natural("8888888888").dump(), "application/json")
                .json_body()["error"]["code"],
            "role_insufficient");
  EXPECT_EQ(post_text("/api/v1/testca/certificates", "nope", natural("8888888888").dump(), "application/json").status,
            401);
  // A developer issues and revokes test certificates, but never a production one.
  const json j = issue(natural("8888888888"), "dev", dev_token);
  EXPECT_EQ(revoke("test-ecdsa", j["serial"], dev_token).status, 200);
  const std::string prod_serial = demo_pki().serials("demo-ec").front();
  EXPECT_EQ(revoke("demo-ec", prod_serial, dev_token).json_body()["error"]["code"], "issuer_not_operated");
  // A whole issuer is faulted by the central body only; a serial also by who asked for it.
  const json mine = issue(natural("8888888889"), "dev2", dev_token);
  EXPECT_EQ(fault({{"target", "ocsp"}, {"issuer", "test-ecdsa"}, {"fault", "try_later"}, {"count", 1}}, dev_token)
                .json_body()["error"]["code"],
            "fault_not_permitted");
  EXPECT_EQ(fault({{"target", "ocsp"}, {"issuer", "test-ecdsa"}, {"serial", mine["serial"]}, {"fault", "try_later"},
                   {"count", 1}},
                  dev_token)
                .status,
            201);
  EXPECT_EQ(fault({{"target", "ocsp"}, {"issuer", "test-ecdsa"}, {"serial", mine["serial"]}, {"fault", "try_later"},
                   {"count", 1}},
                  token_a_)
                .json_body()["error"]["code"],
            "fault_not_permitted");
}

}  // namespace
}  // namespace trustmon::itest
