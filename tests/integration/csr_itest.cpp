// CSR and key uniqueness against the real daemon: requests made with `openssl req`, a
// DSTU-style request built with `openssl asn1parse -genconf`, checks and reservations
// with curl, two providers racing for the same request, expiry, release, restart, and a
// reservation committed by the ingest of the certificate issued from it.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tests/integration/daemon.hpp"

namespace trustmon::itest {
namespace {

using nlohmann::json;

class CsrTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = make_temp_dir("trustmon-csr");
    daemon_ = new Daemon();
    daemon_->start();
    qtsp_a_ = add("participant add --kind qtsp --name 'QTSP A' --code 10000001");
    qtsp_b_ = add("participant add --kind qtsp --name 'QTSP B' --code 10000002");
    const std::uint32_t tools = add("participant add --kind tool_developer --name 'Tools' --code 10000003");
    sh(daemon_->ctl() + " participant issuer-add " + std::to_string(qtsp_a_) + " demo-ec");
    sh(daemon_->ctl() + " participant issuer-add " + std::to_string(qtsp_b_) + " demo-rsa");
    a_operator_ = token(qtsp_a_, "operator");
    a_viewer_ = token(qtsp_a_, "viewer");
    b_operator_ = token(qtsp_b_, "operator");
    tool_operator_ = token(tools, "operator");
  }
  static void TearDownTestSuite() {
    daemon_->stop();
    delete daemon_;
  }
  static std::uint32_t add(const std::string& args) {
    auto r = sh(daemon_->ctl() + " " + args + " 2>/dev/null");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return json::parse(r.out, nullptr, false).value("id", 0U);
  }
  static std::string token(std::uint32_t participant, const std::string& role) {
    const std::uint32_t rep =
        add("representative add " + std::to_string(participant) + " --name person --role " + role);
    auto r = sh(daemon_->ctl() + " token issue " + std::to_string(rep) + " 2>/dev/null");
    return json::parse(r.out, nullptr, false).value("token", std::string());
  }
  // A new EC key and a CSR for it; returns the CSR path (key at PATH.key).
  static std::string new_csr(const std::string& name) {
    const std::string path = dir_ + "/" + name + ".csr";
    auto r = sh("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj " +
                q("/CN=" + name + "/serialNumber=TINUA-1234567890") + " -keyout " + q(path + ".key") + " -out " +
                q(path) + " 2>&1");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return path;
  }
  // Another CSR for the key of `csr`.
  static std::string same_key_csr(const std::string& csr, const std::string& name) {
    const std::string path = dir_ + "/" + name + ".csr";
    auto r = sh("openssl req -new -key " + q(csr + ".key") + " -subj " + q("/CN=" + name) + " -out " + q(path));
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return path;
  }
  struct Reply {
    int status = 0;
    json body;
    std::string raw;
  };
  static Reply post(const std::string& path, const std::string& token, const json& body) {
    const std::string out = make_temp_dir("trustmon-csr-call") + "/body";
    auto r = sh("curl -s -o " + q(out) + " -w '%{http_code}' -H " + q("Authorization: Bearer " + token) +
                " -H 'Content-Type: application/json' --data " + q(body.dump()) + " " + q(daemon_->url() + path));
    Reply reply{std::atoi(r.out.c_str()), json(), read_text(out)};
    reply.body = json::parse(reply.raw, nullptr, false);
    return reply;
  }
  static json csr_body(const std::string& csr, const json& extra = json::object()) {
    json j = extra;
    j["csr"] = read_text(csr);
    return j;
  }
  static std::string code_of(const Reply& r) {
    return r.body.is_object() && r.body.contains("error") ? r.body["error"].value("code", std::string()) : "";
  }

  static Daemon* daemon_;
  static std::string dir_, a_operator_, a_viewer_, b_operator_, tool_operator_;
  static std::uint32_t qtsp_a_, qtsp_b_;
};
Daemon* CsrTest::daemon_ = nullptr;
std::string CsrTest::dir_, CsrTest::a_operator_, CsrTest::a_viewer_, CsrTest::b_operator_, CsrTest::tool_operator_;
std::uint32_t CsrTest::qtsp_a_ = 0, CsrTest::qtsp_b_ = 0;

TEST_F(CsrTest, UniqueThenProcessedAcrossProviders) {
  const std::string csr = new_csr("first");
  Reply check = post("/api/v1/csr/check", a_viewer_, csr_body(csr));
  ASSERT_EQ(check.status, 200) << check.raw;
  EXPECT_EQ(check.body["unique"], true);
  EXPECT_EQ(check.body["pop_verified"], true);

  Reply reserved = post("/api/v1/csr/reservations", a_operator_, csr_body(csr, {{"issuer", "demo-ec"}}));
  ASSERT_EQ(reserved.status, 201) << reserved.raw;
  EXPECT_EQ(reserved.body["reservation"]["state"], "reserved");

  // Another provider: not unique, and who holds it (no personal data).
  Reply other = post("/api/v1/csr/check", b_operator_, csr_body(csr));
  ASSERT_EQ(other.status, 200);
  EXPECT_EQ(other.body["unique"], false);
  EXPECT_EQ(other.body["code"], "csr_already_processed");
  EXPECT_EQ(other.body["holder"]["participant"], qtsp_a_);
  EXPECT_FALSE(other.body["holder"].contains("reservation"));
  EXPECT_EQ(other.raw.find("TINUA"), std::string::npos);
  Reply refused = post("/api/v1/csr/reservations", b_operator_, csr_body(csr));
  EXPECT_EQ(refused.status, 409) << refused.raw;
  EXPECT_EQ(code_of(refused), "csr_already_processed");

  // Same key, different request.
  Reply key = post("/api/v1/csr/reservations", b_operator_, csr_body(same_key_csr(csr, "same-key")));
  EXPECT_EQ(key.status, 409) << key.raw;
  EXPECT_EQ(code_of(key), "key_already_used");

  // Batch check: the processed one, a new one, and a repeat within the batch.
  const std::string fresh = new_csr("fresh");
  Reply batch = post("/api/v1/csr/check", a_viewer_, {{"csrs", {read_text(csr), read_text(fresh), read_text(fresh)}}});
  ASSERT_EQ(batch.status, 200) << batch.raw;
  ASSERT_EQ(batch.body["results"].size(), 3U);
  EXPECT_EQ(batch.body["results"][0]["unique"], false);
  EXPECT_EQ(batch.body["results"][1]["unique"], true);
  EXPECT_EQ(batch.body["results"][2]["code"], "csr_duplicate_in_batch");
}

TEST_F(CsrTest, OnlyQtspOperatorsReserveAndViewersMayCheck) {
  const std::string csr = new_csr("roles");
  EXPECT_EQ(post("/api/v1/csr/check", a_viewer_, csr_body(csr)).status, 200);
  Reply viewer = post("/api/v1/csr/reservations", a_viewer_, csr_body(csr));
  EXPECT_EQ(viewer.status, 403);
  EXPECT_EQ(code_of(viewer), "role_insufficient");
  Reply tool = post("/api/v1/csr/reservations", tool_operator_, csr_body(csr));
  EXPECT_EQ(tool.status, 403);
  EXPECT_EQ(code_of(tool), "participant_kind_not_allowed");
  Reply none = post("/api/v1/csr/check", "", csr_body(csr));
  EXPECT_EQ(none.status, 401);
  // A provider reserving for an issuer it does not operate.
  Reply foreign = post("/api/v1/csr/reservations", a_operator_, csr_body(csr, {{"issuer", "demo-rsa"}}));
  EXPECT_EQ(foreign.status, 403) << foreign.raw;
  EXPECT_EQ(code_of(foreign), "issuer_not_operated");
}

TEST_F(CsrTest, TwoProvidersRacingExactlyOneWinsEveryRound) {
  constexpr int kRounds = 40;
  // Requests made up front, then each round fires both providers at once.
  sh("cd " + q(dir_) + " && for i in $(seq 1 " + std::to_string(kRounds) +
     "); do openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=race$i -keyout race$i.key "
     "-out race$i.csr 2>/dev/null; done");
  int rounds_ok = 0;
  for (int i = 1; i <= kRounds; ++i) {
    const std::string csr = dir_ + "/race" + std::to_string(i) + ".csr";
    const std::string body = dir_ + "/race" + std::to_string(i) + ".json";
    std::ofstream(body) << csr_body(csr).dump();
    auto curl = [&](const std::string& token) {
      return "curl -s -o /dev/null -w '%{http_code}\\n' -H " + q("Authorization: Bearer " + token) +
             " -H 'Content-Type: application/json' --data @" + q(body) + " " +
             q(daemon_->url() + "/api/v1/csr/reservations");
    };
    auto r = sh("(" + curl(a_operator_) + " & " + curl(b_operator_) + " & wait) | sort | tr '\\n' ' '");
    if (r.out == "201 409 ") ++rounds_ok;
    else ADD_FAILURE() << "round " << i << ": " << r.out;
  }
  EXPECT_EQ(rounds_ok, kRounds);
}

TEST_F(CsrTest, ReleaseAndExpiryFreeTheRequest) {
  const std::string csr = new_csr("release");
  Reply r1 = post("/api/v1/csr/reservations", a_operator_, csr_body(csr));
  ASSERT_EQ(r1.status, 201) << r1.raw;
  const std::string id = std::to_string(r1.body["reservation"]["id"].get<std::uint64_t>());
  // Only the holder releases.
  Reply not_yours = post("/api/v1/csr/reservations/" + id + "/release", b_operator_, json::object());
  EXPECT_EQ(not_yours.status, 403) << not_yours.raw;
  Reply released = post("/api/v1/csr/reservations/" + id + "/release", a_operator_, json::object());
  ASSERT_EQ(released.status, 200) << released.raw;
  EXPECT_EQ(released.body["reservation"]["state"], "released");
  EXPECT_EQ(post("/api/v1/csr/reservations", b_operator_, csr_body(csr)).status, 201);

  const std::string short_lived = new_csr("ttl");
  // Expiry times are whole seconds (now + ttl, now rounded down), so a reservation lives
  // between ttl - 1 and ttl seconds: ttl 3 leaves at least 2 s for the first check, and
  // 4.1 s later it has expired for sure.
  Reply r2 = post("/api/v1/csr/reservations", a_operator_, csr_body(short_lived, {{"ttl", 3}}));
  ASSERT_EQ(r2.status, 201) << r2.raw;
  EXPECT_EQ(post("/api/v1/csr/check", b_operator_, csr_body(short_lived)).body["unique"], false);
  std::this_thread::sleep_for(std::chrono::milliseconds(4100));
  EXPECT_EQ(post("/api/v1/csr/check", b_operator_, csr_body(short_lived)).body["unique"], true);
  EXPECT_EQ(post("/api/v1/csr/reservations", b_operator_, csr_body(short_lived)).status, 201);
}

TEST_F(CsrTest, BrokenSignatureAndDstuRequest) {
  const std::string csr = new_csr("broken");
  // Flip one byte near the end of the DER (inside the signature).
  sh("openssl req -in " + q(csr) + " -outform DER -out " + q(csr + ".der"));
  std::string der = read_text(csr + ".der");
  der[der.size() - 3] = static_cast<char>(der[der.size() - 3] ^ 0x01);
  std::ofstream(csr + ".bad.der", std::ios::binary) << der;
  auto r = sh("base64 -w0 " + q(csr + ".bad.der"));
  Reply broken = post("/api/v1/csr/check", a_operator_, {{"csr", trim(r.out)}});
  EXPECT_EQ(broken.status, 400) << broken.raw;
  EXPECT_EQ(code_of(broken), "csr_signature_invalid");

  // A request in DSTU 4145 (OIDs under 1.2.804.2.1.1.1.1.3.1.1), which OpenSSL cannot
  // verify: still tracked by its hashes.
  const std::string conf = dir_ + "/dstu.cnf";
  std::ofstream(conf) << "asn1 = SEQUENCE:req\n"
                         "[req]\ninfo = SEQUENCE:info\nalg = SEQUENCE:alg\nsig = FORMAT:HEX,BITSTRING:"
                         "0440aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0011223344"
                         "5566778899aabbccddeeff0011223344\n"
                         "[info]\nversion = INTEGER:0\nsubject = SEQUENCE:subject\nspki = SEQUENCE:spki\n"
                         "attrs = IMPLICIT:0C,SEQUENCE:empty\n"
                         "[subject]\nrdn = SET:rdn\n[rdn]\natv = SEQUENCE:atv\n"
                         "[atv]\noid = OID:2.5.4.3\nvalue = UTF8String:DSTU subject\n"
                         "[spki]\nalg = SEQUENCE:keyalg\nkey = FORMAT:HEX,BITSTRING:"
                         "0421b1c2d3e4f5061728394a5b6c7d8e9fa0b1c2d3e4f5061728394a5b6c7d8e9fa001\n"
                         "[keyalg]\noid = OID:1.2.804.2.1.1.1.1.3.1.1\nparams = SEQUENCE:curve\n"
                         "[curve]\nnamed = OID:1.2.804.2.1.1.1.1.3.1.1.2.6\n"
                         "[alg]\noid = OID:1.2.804.2.1.1.1.1.3.1.1\n"
                         "[empty]\n";
  auto gen = sh("openssl asn1parse -genconf " + q(conf) + " -out " + q(dir_ + "/dstu.der") + " -noout 2>&1");
  ASSERT_EQ(gen.exit_code, 0) << gen.out;
  auto b64 = sh("base64 -w0 " + q(dir_ + "/dstu.der"));
  Reply dstu = post("/api/v1/csr/reservations", a_operator_, {{"csr", trim(b64.out)}});
  ASSERT_EQ(dstu.status, 201) << dstu.raw;
  EXPECT_EQ(dstu.body["reservation"]["pop_verified"], false);
  Reply again = post("/api/v1/csr/check", b_operator_, {{"csr", trim(b64.out)}});
  EXPECT_EQ(again.body["unique"], false) << again.raw;
  EXPECT_EQ(again.body["code"], "csr_already_processed");
}

TEST_F(CsrTest, IngestOfTheIssuedCertificateCommitsTheReservation) {
  const std::string csr = new_csr("issued");
  Reply reserved = post("/api/v1/csr/reservations", a_operator_, csr_body(csr, {{"issuer", "demo-ec"}}));
  ASSERT_EQ(reserved.status, 201) << reserved.raw;
  const std::string id = std::to_string(reserved.body["reservation"]["id"].get<std::uint64_t>());
  // The CA (demo-ec, operated by QTSP A) issues the certificate from the request.
  const DemoPki& pki = demo_pki();
  auto signed_cert = sh("openssl x509 -req -in " + q(csr) + " -CA " + q(pki.ca("demo-ec")) + " -CAkey " +
                        q(pki.dir + "/demo-ec/ca.key") + " -set_serial 0x5EED01 -days 30 -out " + q(csr + ".pem") +
                        " 2>&1");
  ASSERT_EQ(signed_cert.exit_code, 0) << signed_cert.out;
  auto ingest = sh("curl -s -w '\\n%{http_code}' -H " + q("Authorization: Bearer " + a_operator_) +
                   " -H 'Content-Type: application/x-pem-file' --data-binary @" + q(csr + ".pem") + " " +
                   q(daemon_->url() + "/api/v1/certificates"));
  ASSERT_NE(ingest.out.find("\n200"), std::string::npos) << ingest.out;
  // The reservation is now issued; the request is processed for good.
  auto got = sh("curl -s -H " + q("Authorization: Bearer " + a_operator_) + " " +
                q(daemon_->url() + "/api/v1/csr/reservations/" + id));
  json j = json::parse(got.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << got.out;
  EXPECT_EQ(j["reservation"]["state"], "issued") << got.out;
  Reply release = post("/api/v1/csr/reservations/" + id + "/release", a_operator_, json::object());
  EXPECT_NE(release.status, 200);
  EXPECT_EQ(post("/api/v1/csr/check", b_operator_, csr_body(csr)).body["holder"]["state"], "issued");
}

TEST_F(CsrTest, ACertificateWithAnAlreadyUsedKeyRaisesKeyReused) {
  const std::string csr = new_csr("reused");
  const DemoPki& pki = demo_pki();
  std::string certs;
  for (const char* serial : {"0x5EED10", "0x5EED11"}) {
    const std::string out = csr + serial + ".pem";
    auto r = sh("openssl x509 -req -in " + q(csr) + " -CA " + q(pki.ca("demo-ec")) + " -CAkey " +
                q(pki.dir + "/demo-ec/ca.key") + " -set_serial " + serial + " -days 30 -out " + q(out) + " 2>&1");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    auto ingest = sh("curl -s -w '\n%{http_code}' -H " + q("Authorization: Bearer " + a_operator_) +
                     " -H 'Content-Type: application/x-pem-file' --data-binary @" + q(out) + " " +
                     q(daemon_->url() + "/api/v1/certificates"));
    ASSERT_NE(ingest.out.find("\n200"), std::string::npos) << ingest.out;
  }
  auto audit = sh("curl -s -H " + q("Authorization: Bearer " + daemon_->token()) + " " +
                  q(daemon_->url() + "/api/v1/admin/audit?action=certificate.key_reused&limit=1000"));
  json events = json::parse(audit.out, nullptr, false);
  ASSERT_TRUE(events.is_object()) << audit.out;
  bool found = false;
  for (const auto& e : events["events"])
    if (e["payload"]["serial"] == "5EED11") {
      found = true;
      EXPECT_EQ(e["payload"]["renewal"], false);
      EXPECT_EQ(e["payload"]["issuer"], "demo-ec");
    }
  EXPECT_TRUE(found) << audit.out;
  // The key is now used: a new request for it is refused.
  Reply again = post("/api/v1/csr/check", b_operator_, csr_body(same_key_csr(csr, "reused-again")));
  EXPECT_EQ(again.body["unique"], false) << again.raw;
  EXPECT_EQ(again.body["code"], "key_already_used");
}

TEST_F(CsrTest, ReservationsSurviveARestart) {
  const std::string csr = new_csr("restart");
  ASSERT_EQ(post("/api/v1/csr/reservations", a_operator_, csr_body(csr)).status, 201);
  // A refusal and a release as well, for the audit trail below.
  EXPECT_EQ(post("/api/v1/csr/reservations", b_operator_, csr_body(csr)).status, 409);
  const std::string other = new_csr("restart-released");
  Reply r = post("/api/v1/csr/reservations", a_operator_, csr_body(other));
  ASSERT_EQ(r.status, 201);
  ASSERT_EQ(post("/api/v1/csr/reservations/" + std::to_string(r.body["reservation"]["id"].get<std::uint64_t>()) +
                     "/release",
                 a_operator_, json::object())
                .status,
            200);
  daemon_->stop();
  daemon_->start();
  Reply after = post("/api/v1/csr/check", b_operator_, csr_body(csr));
  ASSERT_EQ(after.status, 200) << after.raw;
  EXPECT_EQ(after.body["unique"], false);
  EXPECT_EQ(after.body["holder"]["state"], "reserved");
  // Every step is in the audit trail, by the providers' actors.
  auto audit = sh("curl -s -H " + q("Authorization: Bearer " + daemon_->token()) + " " +
                  q(daemon_->url() + "/api/v1/admin/audit?action=csr.*&limit=1000"));
  json events = json::parse(audit.out, nullptr, false);
  ASSERT_TRUE(events.is_object()) << audit.out;
  std::set<std::string> types;
  for (const auto& e : events["events"]) types.insert(e["type"].get<std::string>());
  for (const char* t : {"csr.reserved", "csr.refused", "csr.released"}) EXPECT_TRUE(types.count(t)) << t;
}

}  // namespace
}  // namespace trustmon::itest
