// Participants, roles, credentials, blocking and the audit chain, against the real
// daemon: trustmonctl for administration, curl for everything else (bearer tokens,
// client certificates over the HTTPS listener, server-sent events, long polls).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/ossl.hpp"
#include "common/time.hpp"
#include "tests/integration/daemon.hpp"
#include "tests/support/test_pki.hpp"

namespace trustmon::itest {
namespace {

using nlohmann::json;
using Reply = HttpReply;

// A background client counts as ended once it is gone or a zombie (its parent shell has
// exited, so whoever adopted it reaps it whenever it gets to it).
bool process_alive(int pid) {
  if (::kill(pid, 0) != 0) return false;
  const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  const std::size_t close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] != 'Z';
}

class AccessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tls_dir_ = make_temp_dir("trustmon-tls");
    make_tls_material();
    daemon_ = new Daemon();
    tls_port_ = free_port();
    daemon_->set_config("tls_listen", "\"127.0.0.1:" + std::to_string(tls_port_) + "\"");
    daemon_->set_config("tls_cert", "\"" + tls_dir_ + "/server.pem\"");
    daemon_->set_config("tls_key", "\"" + tls_dir_ + "/server.key\"");
    daemon_->set_config("tls_client_ca", "\"" + tls_dir_ + "/client-ca.pem\"");
    daemon_->start();
    bootstrap_ = daemon_->token();

    // The cast: a central body, two QTSPs (one issuer each), a tool developer.
    central_ = id_of(ctl("participant add --kind central_body --name 'CZO' --code 00015622"));
    qtsp_a_ = id_of(ctl("participant add --kind qtsp --name 'QTSP A' --code 11111111"));
    qtsp_b_ = id_of(ctl("participant add --kind qtsp --name 'QTSP B' --code 22222222"));
    tooldev_ = id_of(ctl("participant add --kind tool_developer --name 'Tools Ltd' --code 33333333"));
    const std::uint32_t owner = id_of(ctl("participant add --kind system_owner --name 'Bank' --code 66666666"));
    EXPECT_EQ(ctl("participant issuer-add " + std::to_string(qtsp_a_) + " demo-ec").second, 0);
    EXPECT_EQ(ctl("participant issuer-add " + std::to_string(qtsp_b_) + " demo-rsa").second, 0);
    token_["cb-admin"] = token_for(central_, "admin");
    token_["cb-viewer"] = token_for(central_, "viewer");
    token_["a-operator"] = token_for(qtsp_a_, "operator");
    token_["a-viewer"] = token_for(qtsp_a_, "viewer");
    token_["b-operator"] = token_for(qtsp_b_, "operator");
    token_["tool-operator"] = token_for(tooldev_, "operator");
    token_["owner-viewer"] = token_for(owner, "viewer");
    token_["cb-operator"] = token_for(central_, "operator");
  }
  static void TearDownTestSuite() {
    daemon_->stop();
    delete daemon_;
  }

  // trustmonctl with the bootstrap token: {parsed stdout, exit code}.
  static std::pair<json, int> ctl(const std::string& args) {
    auto r = sh(daemon_->ctl() + " " + args + " 2>/dev/null");
    json j = json::parse(r.out, nullptr, false);
    return {j, r.exit_code};
  }
  static std::uint32_t id_of(const std::pair<json, int>& r) {
    EXPECT_EQ(r.second, 0) << r.first.dump();
    return r.first.value("id", 0U);
  }
  // A new representative with `role` and a token for it.
  static std::string token_for(std::uint32_t participant, const std::string& role,
                               std::uint32_t* representative = nullptr, std::uint32_t* credential = nullptr,
                               const std::string& token_args = "") {
    const std::uint32_t rep =
        id_of(ctl("representative add " + std::to_string(participant) + " --name " + q(role + " person") +
                  " --role " + role));
    auto issued = ctl("token issue " + std::to_string(rep) + " " + token_args);
    EXPECT_EQ(issued.second, 0) << issued.first.dump();
    if (representative) *representative = rep;
    if (credential) *credential = issued.first.value("id", 0U);
    return issued.first.value("token", std::string());
  }

  // curl: METHOD PATH with a bearer token (empty = none) and an optional JSON body.
  static Reply call(const std::string& method, const std::string& path, const std::string& token,
                    const std::string& body = "", const std::string& extra = "") {
    return http_call(method, daemon_->url() + path, token, body, extra);
  }
  static std::string code_of(const Reply& r) { return error_code(r); }

  // A revocation for one of an issuer's demo certificates (its first serial).
  static std::string revocation(const std::string& issuer, std::size_t index = 0) {
    const auto serials = demo_pki().serials(issuer);
    return json{{"issuer", issuer}, {"serial", serials.at(index)}, {"reason", "keyCompromise"}}.dump();
  }

  // Audit events of an action, through the admin API.
  static json audit(const std::string& query) {
    Reply r = call("GET", "/api/v1/admin/audit?" + query, bootstrap_);
    EXPECT_EQ(r.status, 200) << r.raw;
    return r.body.value("events", json::array());
  }

  // TLS material: a server certificate, and client certificates under the demo EC CA
  // (which is also one of the daemon's issuers, so revocation can be checked).
  static void make_tls_material() {
    using namespace trustmon::testing;
    const DemoPki& pki = demo_pki();
    auto ca = load_cert_file(pki.ca("demo-ec"));
    auto ca_key = load_key_file(pki.dir + "/demo-ec/ca.key");
    ASSERT_TRUE(ca && ca_key);
    auto write = [](const std::string& path, const std::string& text) { std::ofstream(path) << text; };

    auto server_key = generate_key(KeyType::p256);
    CertOptions so;
    so.common_name = "127.0.0.1";
    so.server_auth = true;
    X509Ptr server = issue_cert(so, server_key.get(), nullptr, nullptr);
    write(tls_dir_ + "/server.pem", cert_pem(server.get()));
    write(tls_dir_ + "/server.key", key_pem(server_key.get()));
    write(tls_dir_ + "/client-ca.pem", read_text(pki.ca("demo-ec")) + read_text(pki.root));

    const UnixTime now = SystemClock::instance().now();
    auto client = [&](const std::string& name, UnixTime nb, UnixTime na, Bytes serial) {
      auto key = generate_key(KeyType::p256);
      CertOptions co;
      co.common_name = name;
      co.not_before = nb;
      co.not_after = na;
      co.serial = std::move(serial);
      X509Ptr cert = issue_cert(co, key.get(), ca->get(), ca_key->get());
      write(tls_dir_ + "/" + name + ".pem", cert_pem(cert.get()));
      write(tls_dir_ + "/" + name + ".key", key_pem(key.get()));
    };
    client("good", now - 3600, now + 86400, {0x7a, 0x01});
    client("expired", now - 7 * 86400, now - 86400, {0x7a, 0x02});
    client("revoked", now - 3600, now + 86400, {0x7a, 0x03});
    client("unknown", now - 3600, now + 86400, {0x7a, 0x04});
  }

  // curl over the HTTPS listener with a client certificate.
  static Reply tls_call(const std::string& path, const std::string& client) {
    const std::string dir = make_temp_dir("trustmon-tls-call");
    std::string cmd = "curl -s -o " + q(dir + "/body") + " -w '%{http_code}' --cacert " + q(tls_dir_ + "/server.pem");
    if (!client.empty())
      cmd += " --cert " + q(tls_dir_ + "/" + client + ".pem") + " --key " + q(tls_dir_ + "/" + client + ".key");
    auto r = sh(cmd + " https://127.0.0.1:" + std::to_string(tls_port_) + path);
    Reply reply;
    reply.status = std::atoi(r.out.c_str());
    reply.raw = read_text(dir + "/body");
    reply.body = json::parse(reply.raw, nullptr, false);
    return reply;
  }

  static Daemon* daemon_;
  static std::string bootstrap_;
  static std::string tls_dir_;
  static int tls_port_;
  static std::uint32_t central_, qtsp_a_, qtsp_b_, tooldev_;
  static std::map<std::string, std::string> token_;
};
Daemon* AccessTest::daemon_ = nullptr;
std::string AccessTest::bootstrap_;
std::string AccessTest::tls_dir_;
int AccessTest::tls_port_ = 0;
std::uint32_t AccessTest::central_ = 0, AccessTest::qtsp_a_ = 0, AccessTest::qtsp_b_ = 0, AccessTest::tooldev_ = 0;
std::map<std::string, std::string> AccessTest::token_;

TEST_F(AccessTest, EveryRoleAgainstEveryEndpointClass) {
  struct Case {
    const char* who;  // "" = no credential
    int public_status, read_status, write_status, admin_status;
    const char* write_code;
  };
  const Case cases[] = {
      {"", 200, 401, 401, 401, "unauthenticated"},
      {"cb-admin", 200, 200, 200, 200, ""},
      {"cb-viewer", 200, 200, 403, 403, "role_insufficient"},
      {"a-operator", 200, 200, 200, 403, ""},
      {"a-viewer", 200, 200, 403, 403, "role_insufficient"},
      {"tool-operator", 200, 200, 403, 403, "participant_kind_not_allowed"},
      {"owner-viewer", 200, 200, 403, 403, "role_insufficient"},
      {"cb-operator", 200, 200, 200, 403, ""},
  };
  std::size_t serial_index = 10;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.who);
    const std::string token = *c.who ? token_.at(c.who) : std::string();
    EXPECT_EQ(call("GET", "/healthz", token).status, c.public_status);
    Reply me = call("GET", "/api/v1/me", token);
    EXPECT_EQ(me.status, c.read_status) << me.raw;
    Reply write = call("POST", "/api/v1/revocations", token, revocation("demo-ec", serial_index++));
    EXPECT_EQ(write.status, c.write_status) << write.raw;
    if (*c.write_code) {
      EXPECT_EQ(code_of(write), c.write_code);
    }
    Reply admin = call("GET", "/api/v1/admin/participants", token);
    EXPECT_EQ(admin.status, c.admin_status) << admin.raw;
  }
  // The role and participant the server sees.
  Reply me = call("GET", "/api/v1/me", token_.at("a-operator"));
  EXPECT_EQ(me.body["kind"], "qtsp");
  EXPECT_EQ(me.body["role"], "operator");
  EXPECT_EQ(me.body["issuers"], json::array({"demo-ec"}));
  // Refusals by known credentials are in the audit trail.
  json denied = audit("action=access.denied&actor=p" + std::to_string(tooldev_));
  std::set<std::string> codes;
  for (const auto& e : denied) codes.insert(e["payload"].value("code", std::string()));
  EXPECT_EQ(codes, (std::set<std::string>{"participant_kind_not_allowed", "role_insufficient"}));
}

TEST_F(AccessTest, QtspCannotWriteForAnotherQtspsIssuer) {
  Reply r = call("POST", "/api/v1/revocations", token_.at("a-operator"), revocation("demo-rsa", 1));
  EXPECT_EQ(r.status, 403) << r.raw;
  EXPECT_EQ(code_of(r), "issuer_not_operated");
  // Ingest too: a demo-rsa certificate posted by QTSP A.
  const auto serials = demo_pki().serials("demo-rsa");
  Reply ingest = call("POST", "/api/v1/certificates", token_.at("a-operator"), "",
                      "-H 'Content-Type: application/x-pem-file' --data-binary @" +
                          q(demo_pki().cert("demo-rsa", serials.at(2))));
  EXPECT_EQ(ingest.status, 403) << ingest.raw;
  EXPECT_EQ(code_of(ingest), "issuer_not_operated");
  // QTSP B may, for its own issuer.
  EXPECT_EQ(call("POST", "/api/v1/revocations", token_.at("b-operator"), revocation("demo-rsa", 1)).status, 200);
  // Both refusals recorded with QTSP A as actor.
  json denied = audit("action=access.denied&actor=p" + std::to_string(qtsp_a_));
  int revoke = 0, ingest_denied = 0;
  for (const auto& e : denied) {
    if (e["payload"]["code"] != "issuer_not_operated") continue;  // the viewer's role refusals
    if (e["payload"]["action"] == "certificate.revoke") ++revoke;
    if (e["payload"]["action"] == "certificate.ingest") ++ingest_denied;
    EXPECT_EQ(e["payload"]["target"]["issuer"], "demo-rsa");
  }
  EXPECT_GE(revoke, 1);
  EXPECT_GE(ingest_denied, 1);
}

TEST_F(AccessTest, TokenExpiresAndRevokedCredentialStopsWorking) {
  const std::string expires = format_rfc3339(SystemClock::instance().now() + 2);
  std::uint32_t cred = 0;
  const std::string token = token_for(qtsp_a_, "viewer", nullptr, &cred, "--expires " + expires);
  EXPECT_EQ(call("GET", "/api/v1/me", token).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(3100));
  Reply expired = call("GET", "/api/v1/me", token);
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(code_of(expired), "credential_expired");

  std::uint32_t cred2 = 0;
  const std::string token2 = token_for(qtsp_a_, "viewer", nullptr, &cred2);
  EXPECT_EQ(call("GET", "/api/v1/me", token2).status, 200);
  auto revoked = ctl("token revoke " + std::to_string(cred2));
  EXPECT_EQ(revoked.second, 0);
  EXPECT_FALSE(revoked.first["revoked"].is_null());
  Reply after = call("GET", "/api/v1/me", token2);
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(code_of(after), "credential_revoked");
  // An expiry in the past is refused.
  auto bad = ctl("token issue 1 --expires 2001-01-01T00:00:00Z");
  EXPECT_EQ(bad.second, 1);
  EXPECT_EQ(bad.first["error"]["code"], "credential_expiry_invalid");
}

// Opens an SSE stream and a long poll for `token` in the background; returns their pids
// and output files.
struct Background {
  int stream_pid = 0, poll_pid = 0;
  std::string stream_out, poll_out;
};

class BlockingTest : public AccessTest {
 protected:
  Background open_streams(const std::string& token) {
    Background b;
    const std::string dir = make_temp_dir("trustmon-streams");
    b.stream_out = dir + "/stream";
    b.poll_out = dir + "/poll";
    auto s = sh("curl -sN --max-time 30 -H " + q("Authorization: Bearer " + token) + " " + daemon_->url() +
                "/api/v1/events/stream > " + q(b.stream_out) + " 2>&1 & echo $!");
    b.stream_pid = std::atoi(s.out.c_str());
    auto p = sh("curl -s --max-time 30 -w '\\n%{http_code}' -H " + q("Authorization: Bearer " + token) + " '" +
                daemon_->url() + "/api/v1/events?wait=20' > " + q(b.poll_out) + " 2>&1 & echo $!");
    b.poll_pid = std::atoi(p.out.c_str());
    // Both are connected once the stream's preamble arrived (and the poll had as long).
    EXPECT_TRUE(wait_until([&] { return read_text(b.stream_out).find("event stream") != std::string::npos; },
                           std::chrono::seconds(5)));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_TRUE(process_alive(b.stream_pid));
    EXPECT_TRUE(process_alive(b.poll_pid));
    return b;
  }
  // Both must end within one second of `since` with the refusal code.
  void expect_closed(const Background& b, std::chrono::steady_clock::time_point since, const std::string& code) {
    EXPECT_TRUE(wait_until([&] { return !process_alive(b.stream_pid) && !process_alive(b.poll_pid); },
                           std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::milliseconds(1000) - (std::chrono::steady_clock::now() - since))))
        << "streams still open one second after the block";
    EXPECT_TRUE(wait_until([&] { return !process_alive(b.stream_pid) && !process_alive(b.poll_pid); },
                           std::chrono::seconds(5)));
    const std::string stream = read_text(b.stream_out);
    EXPECT_NE(stream.find("event: closed"), std::string::npos) << stream;
    EXPECT_NE(stream.find(code), std::string::npos) << stream;
    const std::string poll = read_text(b.poll_out);
    EXPECT_NE(poll.find(code), std::string::npos) << poll;
    EXPECT_NE(poll.find("\n403"), std::string::npos) << poll;
  }
};

TEST_F(BlockingTest, BlockedParticipantIsRefusedAtOnceAndItsStreamsClose) {
  const std::uint32_t qtsp = id_of(ctl("participant add --kind qtsp --name 'QTSP C' --code 44444444"));
  const std::string operator_token = token_for(qtsp, "operator");
  const std::string viewer_token = token_for(qtsp, "viewer");
  Background b = open_streams(viewer_token);

  const auto t0 = std::chrono::steady_clock::now();
  auto blocked = ctl("participant block " + std::to_string(qtsp) + " --reason 'licence suspended'");
  ASSERT_EQ(blocked.second, 0) << blocked.first.dump();
  EXPECT_EQ(blocked.first["status"], "blocked");
  // The very next request with any of its credentials.
  for (const std::string& token : {operator_token, viewer_token}) {
    Reply r = call("GET", "/api/v1/me", token);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(code_of(r), "participant_blocked");
  }
  expect_closed(b, t0, "participant_blocked");

  ASSERT_EQ(ctl("participant unblock " + std::to_string(qtsp)).second, 0);
  EXPECT_EQ(call("GET", "/api/v1/me", viewer_token).status, 200);
  json events = audit("action=participant.*&actor=bootstrap");
  bool saw_block = false;
  for (const auto& e : events)
    if (e["type"] == "participant.block" && e["payload"]["target"]["participant"] == qtsp) {
      saw_block = true;
      EXPECT_EQ(e["payload"]["target"]["reason"], "licence suspended");
      EXPECT_EQ(e["payload"]["outcome"], "ok");
    }
  EXPECT_TRUE(saw_block);
}

TEST_F(BlockingTest, BlockedRepresentativeAloneIsRefusedAndItsStreamsClose) {
  const std::uint32_t qtsp = id_of(ctl("participant add --kind qtsp --name 'QTSP D' --code 55555555"));
  std::uint32_t rep = 0;
  const std::string blocked_token = token_for(qtsp, "viewer", &rep);
  const std::string other_token = token_for(qtsp, "viewer");
  Background b = open_streams(blocked_token);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(ctl("representative block " + std::to_string(rep) + " --reason 'left the company'").second, 0);
  Reply r = call("GET", "/api/v1/me", blocked_token);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(code_of(r), "representative_blocked");
  EXPECT_EQ(call("GET", "/api/v1/me", other_token).status, 200);  // the colleague is unaffected
  expect_closed(b, t0, "representative_blocked");
}

TEST_F(AccessTest, StreamsDeliverTheCallersOwnEvents) {
  const std::string dir = make_temp_dir("trustmon-sse");
  const std::string token = token_.at("b-operator");
  auto s = sh("curl -sN --max-time 10 -H " + q("Authorization: Bearer " + token) + " " + daemon_->url() +
              "/api/v1/events/stream > " + q(dir + "/out") + " 2>&1 & echo $!");
  const int pid = std::atoi(s.out.c_str());
  ASSERT_TRUE(wait_until([&] { return read_text(dir + "/out").find("event stream") != std::string::npos; },
                         std::chrono::seconds(5)));
  // A long poll from now, in the background.
  auto p = sh("curl -s --max-time 10 -H " + q("Authorization: Bearer " + token) + " '" + daemon_->url() +
              "/api/v1/events?wait=8' > " + q(dir + "/poll") + " 2>&1 & echo $!");
  const int poll_pid = std::atoi(p.out.c_str());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(call("POST", "/api/v1/revocations", token, revocation("demo-rsa", 20)).status, 200);
  // Another participant's write is not visible to B.
  ASSERT_EQ(call("POST", "/api/v1/revocations", token_.at("a-operator"), revocation("demo-ec", 20)).status, 200);
  EXPECT_TRUE(wait_until([&] { return read_text(dir + "/out").find("certificate.revoked") != std::string::npos; },
                         std::chrono::seconds(3)));
  EXPECT_TRUE(wait_until([&] { return !process_alive(poll_pid); }, std::chrono::seconds(3)));
  ::kill(pid, SIGTERM);
  const std::string out = read_text(dir + "/out");
  EXPECT_NE(out.find("\"demo-rsa\""), std::string::npos) << out;
  EXPECT_EQ(out.find("\"demo-ec\""), std::string::npos) << out;
  json poll = json::parse(read_text(dir + "/poll"), nullptr, false);
  ASSERT_TRUE(poll.is_object()) << read_text(dir + "/poll");
  ASSERT_EQ(poll["events"].size(), 1U) << poll.dump();
  EXPECT_EQ(poll["events"][0]["type"], "certificate.revoked");
  EXPECT_EQ(poll["events"][0]["payload"]["issuer"], "demo-rsa");
}

TEST_F(AccessTest, ClientCertificatesGoodExpiredRevokedUnknown) {
  std::uint32_t rep = id_of(ctl("representative add " + std::to_string(qtsp_a_) + " --name 'cert person' --role operator"));
  for (const char* name : {"good", "expired", "revoked"}) {
    auto bound = ctl("certificate bind " + std::to_string(rep) + " --cert " + q(tls_dir_ + "/" + name + ".pem"));
    ASSERT_EQ(bound.second, 0) << bound.first.dump();
  }
  // The "revoked" client certificate is known to trustmon and revoked there.
  Reply ingest = call("POST", "/api/v1/certificates", bootstrap_, "",
                      "-H 'Content-Type: application/x-pem-file' --data-binary @" + q(tls_dir_ + "/revoked.pem"));
  ASSERT_EQ(ingest.status, 200) << ingest.raw;
  ASSERT_EQ(call("POST", "/api/v1/revocations", bootstrap_,
                 json{{"issuer", "demo-ec"}, {"serial", "7A03"}, {"reason", "keyCompromise"}}.dump())
                .status,
            200);

  Reply good = tls_call("/api/v1/me", "good");
  EXPECT_EQ(good.status, 200) << good.raw;
  EXPECT_EQ(good.body["participant"], qtsp_a_);
  EXPECT_EQ(good.body["representative"], rep);
  // Through the gate: a body to a credential route with only the client certificate is
  // passed to the route (not refused on its head), without either it is refused with 401.
  const std::string probe = std::string(TRUSTMON_SOURCE_DIR) + "/tests/integration/http_probe.py";
  const std::string post = q("POST /api/v1/watches HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\n"
                             "Content-Length: 2\\r\\n\\r\\n{}");
  const std::string ca_env = "HTTP_PROBE_TLS_CA=" + q(tls_dir_ + "/server.pem");
  auto with_cert = sh(ca_env + " HTTP_PROBE_TLS_CERT=" + q(tls_dir_ + "/good.pem") + " HTTP_PROBE_TLS_KEY=" +
                      q(tls_dir_ + "/good.key") + " python3 " + q(probe) + " one " + std::to_string(tls_port_) +
                      " 127.0.0.1 " + post);
  auto without = sh(ca_env + " python3 " + q(probe) + " one " + std::to_string(tls_port_) + " 127.0.0.1 " + post);
  const json with_j = json::parse(with_cert.out, nullptr, false), without_j = json::parse(without.out, nullptr, false);
  ASSERT_TRUE(with_j.is_object() && without_j.is_object()) << with_cert.out << without.out;
  EXPECT_NE(with_j["status"].get<int>(), 401) << with_cert.out;
  EXPECT_NE(with_j["status"].get<int>(), 0) << with_cert.out;
  EXPECT_EQ(without_j["status"].get<int>(), 401) << without.out;
  Reply expired = tls_call("/api/v1/me", "expired");
  EXPECT_EQ(expired.status, 401) << expired.raw;
  EXPECT_EQ(code_of(expired), "client_certificate_invalid");
  EXPECT_NE(expired.raw.find("expired"), std::string::npos) << expired.raw;
  Reply revoked = tls_call("/api/v1/me", "revoked");
  EXPECT_EQ(revoked.status, 401) << revoked.raw;
  EXPECT_EQ(code_of(revoked), "client_certificate_revoked");
  Reply unknown = tls_call("/api/v1/me", "unknown");
  EXPECT_EQ(unknown.status, 401) << unknown.raw;
  EXPECT_EQ(code_of(unknown), "unauthenticated");
  Reply none = tls_call("/api/v1/me", "");
  EXPECT_EQ(none.status, 401);
  // Public endpoints need nothing on the HTTPS listener either.
  EXPECT_EQ(tls_call("/healthz", "").status, 200);
  // A certificate can be bound once.
  auto again = ctl("certificate bind " + std::to_string(rep) + " --cert " + q(tls_dir_ + "/good.pem"));
  EXPECT_EQ(again.second, 1);
  EXPECT_EQ(again.first["error"]["code"], "certificate_already_bound");
}

// The HTTPS listener is behind the connection gate too: an over-cap body is refused on the
// head (413, and the answer arrives although the connection closes right after it), an
// anonymous body gets 401 before it is read, and the connection stays usable after a 401.
TEST_F(AccessTest, HttpsRequestsPassTheGateOnTheirHeads) {
  const std::string probe =
      "import socket, ssl, sys\n"
      "ctx = ssl.create_default_context(cafile=sys.argv[2])\n"
      "ctx.check_hostname = False  # the test server certificate names no IP address; its chain is still checked\n"
      "def ask(head):\n"
      "    s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10),"
      " server_hostname='127.0.0.1')\n"
      "    s.sendall(head.encode())\n"
      "    data = b''\n"
      "    while b'\\r\\n\\r\\n' not in data:\n"
      "        chunk = s.recv(65536)\n"
      "        if not chunk: break\n"
      "        data += chunk\n"
      "    return s, data\n"
      "s, big = ask('POST /api/v1/watches HTTP/1.1\\r\\nHost: x\\r\\nAuthorization: Bearer ' + sys.argv[3] +"
      " '\\r\\nContent-Length: 100000000\\r\\n\\r\\n')\n"
      "rest = b''\n"
      "try:\n"
      "    while True:\n"
      "        chunk = s.recv(65536)\n"
      "        if not chunk: break\n"
      "        rest += chunk\n"
      "except (ssl.SSLError, OSError):\n"
      "    pass\n"
      "print(big.split(b' ')[1].decode() if b' ' in big else 'none', b'body_too_large' in big + rest)\n"
      "s, anon = ask('POST /api/v1/certificates HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 8388608\\r\\n\\r\\n')\n"
      "print(anon.split(b' ')[1].decode() if b' ' in anon else 'none')\n"
      "s.sendall(b'x' * 8388608 + b'GET /healthz HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n')\n"
      "data = b''\n"
      "while b'HTTP/1.1 200' not in data:\n"
      "    chunk = s.recv(65536)\n"
      "    if not chunk: break\n"
      "    data += chunk\n"
      "print('healthz', b'HTTP/1.1 200' in data)\n";
  auto r = sh("python3 -c " + q(probe) + " " + std::to_string(tls_port_) + " " + q(tls_dir_ + "/server.pem") + " " +
              q(bootstrap_) + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "413 True\n401\nhealthz True\n");

  // Clients that send a request and close at once, before the answer, leave no reply
  // waiting to be written.
  const std::string hit_and_run =
      "import socket, ssl, sys\n"
      "ctx = ssl.create_default_context(cafile=sys.argv[2])\n"
      "ctx.check_hostname = False\n"
      "for i in range(20):\n"
      "    s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10),"
      " server_hostname='127.0.0.1')\n"
      "    s.sendall(b'GET /healthz HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n')\n"
      "    s.close()\n";
  auto gone = sh("python3 -c " + q(hit_and_run) + " " + std::to_string(tls_port_) + " " + q(tls_dir_ + "/server.pem") +
                 " 2>&1");
  ASSERT_EQ(gone.exit_code, 0) << gone.out;
  std::string unwritten;
  for (int i = 0; i < 100; ++i) {
    unwritten = sh("curl -s " + daemon_->url() + "/metrics | grep '^trustmon_http_replies_unwritten '").out;
    if (unwritten == "trustmon_http_replies_unwritten 0\n") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(unwritten, "trustmon_http_replies_unwritten 0\n");
}

TEST_F(AccessTest, RateLimitPerCredential) {
  std::uint32_t cred = 0;
  const std::string limited = token_for(qtsp_a_, "viewer", nullptr, &cred, "--rate 1");
  int ok = 0, limited_count = 0;
  std::string retry_after;
  for (int i = 0; i < 6; ++i) {
    Reply r = call("GET", "/api/v1/me", limited);
    if (r.status == 200) ++ok;
    if (r.status == 429) {
      ++limited_count;
      EXPECT_EQ(code_of(r), "rate_limited");
      auto pos = r.headers.find("Retry-After: ");
      ASSERT_NE(pos, std::string::npos) << r.headers;
      retry_after = trim(r.headers.substr(pos + 13, r.headers.find('\n', pos) - pos - 13));
    }
  }
  EXPECT_LE(ok, 3);  // burst of 2, plus at most one refill during the loop
  EXPECT_GE(limited_count, 3);
  EXPECT_EQ(retry_after, "1");
  // Another credential is not affected.
  EXPECT_EQ(call("GET", "/api/v1/me", token_.at("a-viewer")).status, 200);
}

TEST_F(AccessTest, AuditTrailFiltersPagesAndNeverHoldsSecrets) {
  // Everything the suite's set-up did is there, by the bootstrap actor.
  json added = audit("action=participant.add&actor=bootstrap&limit=2");
  ASSERT_EQ(added.size(), 2U);
  Reply page1 = call("GET", "/api/v1/admin/audit?action=participant.add&limit=2", bootstrap_);
  ASSERT_TRUE(page1.body["next"].is_string());
  Reply page2 = call("GET", "/api/v1/admin/audit?action=participant.add&limit=2&after=" +
                                page1.body["next"].get<std::string>(),
                     bootstrap_);
  ASSERT_FALSE(page2.body["events"].empty());
  EXPECT_GT(page2.body["events"][0]["seq"], page1.body["events"][1]["seq"]);
  // Time range: nothing before 2001.
  EXPECT_TRUE(audit("until=2001-01-01T00:00:00Z").empty());
  // Token issue events carry the credential id, never the token.
  json issued = audit("action=credential.token_issue&limit=1000");
  ASSERT_FALSE(issued.empty());
  for (const auto& e : issued) EXPECT_FALSE(e["payload"].contains("token")) << e.dump();
  const std::string everything = call("GET", "/api/v1/admin/audit?limit=1000", bootstrap_).raw;
  const std::string logs = daemon_->log() + read_text(daemon_->data_dir() + "/access.log") +
                           read_text(daemon_->data_dir() + "/stdout.log");
  for (const auto& [who, token] : token_) {
    EXPECT_EQ(everything.find(token), std::string::npos) << who;
    EXPECT_EQ(logs.find(token), std::string::npos) << who;
  }
  EXPECT_EQ(logs.find(bootstrap_), std::string::npos);
  // A refused admin action is recorded too.
  auto refused = ctl("participant block 999999 --reason test");
  EXPECT_EQ(refused.second, 1);
  EXPECT_EQ(refused.first["error"]["code"], "participant_not_found");
  json blocks = audit("action=participant.block");
  ASSERT_FALSE(blocks.empty());
  EXPECT_EQ(blocks.back()["payload"]["outcome"], "refused");
  EXPECT_EQ(blocks.back()["payload"]["code"], "participant_not_found");
  // The chain verifies through the server.
  auto verify = sh(daemon_->ctl() + " audit verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_NE(verify.out.find("\"ok\": true"), std::string::npos) << verify.out;
}

TEST(AuditChain, EditingAStoredEventIsCaughtByVerify) {
  Daemon d;
  d.start();
  for (int i = 0; i < 3; ++i) {
    auto r = sh(d.ctl() + " participant add --kind qtsp --name " + q("QTSP " + std::to_string(i)) + " --code " +
                std::to_string(90000000 + i));
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  auto ok = sh(d.ctl() + " audit verify");
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  json okj = json::parse(ok.out.substr(0, ok.out.rfind('}') + 1), nullptr, false);
  ASSERT_TRUE(okj.is_object()) << ok.out;
  const std::uint64_t events = okj["events"];
  ASSERT_GE(events, 3U);
  d.stop();

  // Behind the server's back: change one byte of the second-to-last event's value with
  // LMDB's own tools (mdb_dump / mdb_load), keeping the record's length.
  const std::string db = d.data_dir() + "/db";
  const std::string dump = d.data_dir() + "/events.dump";
  ASSERT_EQ(sh("mdb_dump -s events " + q(db) + " > " + q(dump)).exit_code, 0);
  std::string text = read_text(dump);
  // Data lines are " <hex>" pairs: key line then value line. Find the value of event N-1.
  std::vector<std::string> lines;
  {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }
  std::size_t first_data = 0;
  while (first_data < lines.size() && lines[first_data] != "HEADER=END") ++first_data;
  ++first_data;
  const std::size_t target = events - 1;  // 1-based sequence of the event to edit
  const std::size_t value_line = first_data + (target - 1) * 2 + 1;
  ASSERT_LT(value_line, lines.size());
  std::string& v = lines[value_line];
  // Flip the last hex digit (inside the payload text).
  char& c = v[v.size() - 1];
  c = c == '0' ? '1' : '0';
  std::ofstream out(dump, std::ios::trunc);
  for (const auto& line : lines) out << line << "\n";
  out.close();
  ASSERT_EQ(sh("mdb_load -s events -f " + q(dump) + " " + q(db)).exit_code, 0);

  auto offline = sh(q(trustmonctl_path()) + " audit verify --storage " + q(db));
  EXPECT_EQ(offline.exit_code, 1) << offline.out;
  EXPECT_NE(offline.out.find("\"first_broken\": " + std::to_string(target + 1)), std::string::npos) << offline.out;
  d.start();
  auto online = sh(d.ctl() + " audit verify");
  EXPECT_EQ(online.exit_code, 1) << online.out;
  EXPECT_NE(online.out.find("broken at event " + std::to_string(target + 1)), std::string::npos) << online.out;
  d.stop();
}

}  // namespace
}  // namespace trustmon::itest
