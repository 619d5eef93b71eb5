// The write API (certificates, revocations) of the real daemon, driven with curl and
// trustmonctl: authentication, the three body formats, per-item results, refusals that
// store nothing, JSON error bodies, and a bulk import killed (SIGKILL) half-way.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/integration/daemon.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/unit/registry/ua_certs.hpp"

namespace trustmon::itest {
namespace {

using nlohmann::json;

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    daemon_ = new Daemon();
    daemon_->start();
    token_ = daemon_->token();
  }
  static void TearDownTestSuite() {
    daemon_->stop();
    delete daemon_;
  }
  // curl with the bearer token; returns {http status, body}.
  static std::pair<std::string, std::string> post(const std::string& path, const std::string& content_type,
                                                  const std::string& data_arg, bool auth = true) {
    std::string dir = make_temp_dir("trustmon-api");
    std::string cmd = "curl -s -o " + q(dir + "/body") + " -w '%{http_code}' -H " +
                      q("Content-Type: " + content_type) + " " + data_arg + " ";
    if (auth) cmd += "-H " + q("Authorization: Bearer " + token_) + " ";
    auto r = sh(cmd + daemon_->url() + path);
    return {r.out, read_text(dir + "/body")};
  }
  static Daemon* daemon_;
  static std::string token_;
};
Daemon* ApiTest::daemon_ = nullptr;
std::string ApiTest::token_;

TEST_F(ApiTest, WritesNeedTheBearerToken) {
  auto [status, body] = post("/api/v1/certificates", "application/json", "--data '{\"certificates\":[]}'", false);
  EXPECT_EQ(status, "401");
  auto j = json::parse(body);
  EXPECT_EQ(j["error"]["code"], "unauthenticated");
  auto r = sh("curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer tm_wrong' -H "
              "'Content-Type: application/json' --data '{\"revocations\":[]}' " +
              daemon_->url() + "/api/v1/revocations");
  EXPECT_EQ(r.out, "401");
}

TEST_F(ApiTest, PemDerAndJsonBodies) {
  const auto& pki = demo_pki();
  auto serials = pki.serials("demo-ec");
  std::string pem = pki.cert("demo-ec", serials[0]);
  auto [s1, b1] = post("/api/v1/certificates", "application/x-pem-file", "--data-binary @" + q(pem));
  ASSERT_EQ(s1, "200") << b1;
  auto j1 = json::parse(b1);
  EXPECT_EQ(j1["stored"], 1);
  EXPECT_EQ(j1["results"][0]["issuer"], "demo-ec");
  EXPECT_EQ(j1["results"][0]["serial"], serials[0]);
  // The same certificate again is a duplicate, not an error.
  auto [s2, b2] = post("/api/v1/certificates", "application/x-pem-file", "--data-binary @" + q(pem));
  EXPECT_EQ(json::parse(b2)["duplicate"], 1) << b2;

  std::string dir = make_temp_dir("trustmon-der");
  ASSERT_EQ(sh("openssl x509 -in " + q(pki.cert("demo-ec", serials[1])) + " -outform DER -out " + q(dir + "/c.der"))
                .exit_code, 0);
  auto [s3, b3] = post("/api/v1/certificates", "application/pkix-cert", "--data-binary @" + q(dir + "/c.der"));
  EXPECT_EQ(json::parse(b3)["stored"], 1) << b3;

  std::string b64 = sh("openssl x509 -in " + q(pki.cert("demo-rsa", pki.serials("demo-rsa")[0])) +
                       " -outform DER | base64 -w0").out;
  auto [s4, b4] = post("/api/v1/certificates", "application/json",
                       "--data " + q("{\"certificates\":[\"" + b64 + "\"]}"));
  EXPECT_EQ(json::parse(b4)["stored"], 1) << b4;
  EXPECT_EQ(json::parse(b4)["results"][0]["issuer"], "demo-rsa") << b4;
}

TEST_F(ApiTest, RefusedItemsStoreNothingAndSayWhy) {
  const auto& pki = demo_pki();
  std::string dir = make_temp_dir("trustmon-bad");
  std::string good = pki.cert("demo-rsa", pki.serials("demo-rsa")[5]);
  // A certificate whose issuer is not configured (the CA certificate itself, issued by the root).
  std::string foreign = sh("openssl x509 -in " + q(pki.ca("demo-rsa")) + " -outform DER | base64 -w0").out;
  // A certificate with a broken signature: change one byte inside the signature value.
  std::string der = dir + "/t.der";
  ASSERT_EQ(sh("openssl x509 -in " + q(pki.cert("demo-ec", pki.serials("demo-ec")[7])) + " -outform DER -out " +
               q(der)).exit_code, 0);
  ASSERT_EQ(sh("off=$(($(stat -c%s " + q(der) + ")-3)); b=$(od -An -tu1 -j $off -N1 " + q(der) +
               " | tr -d ' '); printf \"\\\\$(printf %03o $(( (b + 1) % 256 )))\" | dd of=" + q(der) +
               " bs=1 seek=$off conv=notrunc 2>/dev/null")
                .exit_code, 0);
  std::string tampered = sh("base64 -w0 " + q(dir + "/t.der")).out;
  std::string ok = sh("openssl x509 -in " + q(good) + " -outform DER | base64 -w0").out;
  json body = {{"certificates", {ok, foreign, tampered, "bm90IGEgY2VydA=="}}};
  std::ofstream(dir + "/b.json") << body.dump();
  auto [status, text] = post("/api/v1/certificates", "application/json", "--data-binary @" + q(dir + "/b.json"));
  ASSERT_EQ(status, "200") << text;
  auto j = json::parse(text);
  EXPECT_EQ(j["stored"], 1);
  EXPECT_EQ(j["refused"], 3);
  EXPECT_EQ(j["results"][0]["status"], "stored");
  EXPECT_EQ(j["results"][1]["error"]["code"], "issuer_unknown");
  EXPECT_EQ(j["results"][2]["error"]["code"], "signature_invalid");
  EXPECT_EQ(j["results"][3]["error"]["code"], "certificate_malformed");
  // The same batch with ?results=refused: the counts, and only the refused items, with
  // their positions in the request.
  auto [status2, text2] =
      post("/api/v1/certificates?results=refused", "application/json", "--data-binary @" + q(dir + "/b.json"));
  ASSERT_EQ(status2, "200") << text2;
  auto j2 = json::parse(text2);
  EXPECT_EQ(j2["stored"], 0);
  EXPECT_EQ(j2["duplicate"], 1);
  EXPECT_EQ(j2["refused"], 3);
  ASSERT_EQ(j2["results"].size(), 3u) << text2;
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(j2["results"][i]["index"], i + 1);
    EXPECT_EQ(j2["results"][i]["status"], "refused");
  }
  EXPECT_EQ(j2["results"][1]["error"]["code"], "signature_invalid");
  auto [status3, text3] =
      post("/api/v1/certificates?results=some", "application/json", "--data-binary @" + q(dir + "/b.json"));
  EXPECT_EQ(status3, "400");
  EXPECT_EQ(json::parse(text3)["error"]["code"], "query_invalid");
  // The tampered certificate's serial must not have become known: OCSP still says unknown.
  std::string serial = pki.serials("demo-ec")[7];
  auto out = sh("openssl ocsp -url " + daemon_->url() + "/ocsp -issuer " + q(pki.ca("demo-ec")) + " -serial 0x" +
                serial + " -CAfile " + q(pki.root) + " -no_nonce").out;
  EXPECT_NE(out.find(": unknown"), std::string::npos) << out;
}

TEST_F(ApiTest, MalformedBodiesGetJsonErrors) {
  auto [s1, b1] = post("/api/v1/certificates", "application/json", "--data '{\"certificates\": ['");
  EXPECT_EQ(s1, "400");
  EXPECT_EQ(json::parse(b1)["error"]["code"], "json_malformed");
  auto [s2, b2] = post("/api/v1/certificates", "text/plain", "--data 'hello'");
  EXPECT_EQ(s2, "415");
  EXPECT_EQ(json::parse(b2)["error"]["code"], "unsupported_media_type");
  auto [s3, b3] = post("/api/v1/revocations", "application/json",
                       "--data '{\"issuer\":\"demo-ec\",\"serial\":\"zz\",\"reason\":\"keyCompromise\"}'");
  ASSERT_EQ(s3, "200") << b3;
  EXPECT_EQ(json::parse(b3)["results"][0]["error"]["code"], "serial_invalid");
  auto [s4, b4] = post("/api/v1/revocations", "application/json",
                       "--data '{\"issuer\":\"nope\",\"serial\":\"01\",\"reason\":\"keyCompromise\"}'");
  EXPECT_EQ(json::parse(b4)["results"][0]["error"]["code"], "issuer_unknown");
  auto [s5, b5] = post("/api/v1/revocations", "application/json",
                       "--data '{\"issuer\":\"demo-ec\",\"serial\":\"01\",\"reason\":\"badReason\"}'");
  EXPECT_EQ(json::parse(b5)["results"][0]["error"]["code"], "reason_invalid");
  auto [s6, b6] = post("/api/v1/revocations", "application/json",
                       "--data '{\"issuer\":\"demo-ec\",\"serial\":\"01\",\"reason\":\"keyCompromise\",\"time\":\"yesterday\"}'");
  EXPECT_EQ(json::parse(b6)["results"][0]["error"]["code"], "time_invalid");
  auto nf = sh("curl -s " + daemon_->url() + "/no/such/path");
  EXPECT_EQ(json::parse(nf.out)["error"]["code"], "not_found");
}

TEST_F(ApiTest, RevokingTwiceIsUnchanged) {
  const auto& pki = demo_pki();
  std::string serial = pki.serials("demo-rsa")[9];
  std::string body = "{\"issuer\":\"demo-rsa\",\"serial\":\"" + serial + "\",\"reason\":\"affiliationChanged\"," +
                     "\"time\":\"2026-01-02T03:04:05Z\",\"invalidity_date\":\"2025-12-31T00:00:00Z\"}";
  auto [s1, b1] = post("/api/v1/revocations", "application/json", "--data " + q(body));
  EXPECT_EQ(json::parse(b1)["revoked"], 1) << b1;
  auto [s2, b2] = post("/api/v1/revocations", "application/json", "--data " + q(body));
  EXPECT_EQ(json::parse(b2)["unchanged"], 1) << b2;
  auto out = sh("openssl ocsp -url " + daemon_->url() + "/ocsp -issuer " + q(pki.ca("demo-rsa")) + " -serial 0x" +
                serial + " -CAfile " + q(pki.root) + " -resp_text").out;
  EXPECT_NE(out.find("Reason: affiliationChanged"), std::string::npos) << out;
  EXPECT_NE(out.find("Revocation Time: Jan  2 03:04:05 2026 GMT"), std::string::npos) << out;
  EXPECT_NE(out.find("Invalidity Date"), std::string::npos) << out;
}

// Large JSON bodies (D6): parsed with their limits applied while parsing, and off the
// worker's loop. A deeply nested body is refused 400 and a huge array 413 (revocations and
// CSR checks alike) without parsing it all; and with one worker, an OCSP request sent after
// a large body that takes a while to parse is answered before that body's reply (on the
// loop, the OCSP request would wait for the whole parse). Ordering, not time.
TEST(LargeJsonBodies, RefusedEarlyAndParsedOffTheWorkersLoop) {
  Daemon d;
  d.set_config("workers", "1");
  d.start();
  const auto& pki = demo_pki();
  const std::string dir = make_temp_dir("trustmon-bigjson");
  const std::string req = dir + "/ocsp.req";
  ASSERT_EQ(sh("openssl ocsp -issuer " + q(pki.ca("demo-ec")) + " -serial 0x" + pki.serials("demo-ec")[0] +
               " -no_nonce -reqout " + q(req))
                .exit_code,
            0);
  const std::string script = dir + "/client.py";
  {
    std::ofstream py(script);
    py << R"PY(
import socket, sys, select, json
port, token, ocsp_file, case = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

def post(path, body, ctype="application/json"):
    s = socket.create_connection(("127.0.0.1", port))
    head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\nAuthorization: Bearer %s\r\n"
            "Content-Length: %d\r\nConnection: close\r\n\r\n" % (path, ctype, token, len(body))).encode()
    s.sendall(head + body)
    return s

def read_all(s):
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk

def status_and_code(data):
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    try:
        code = json.loads(body)["error"]["code"]
    except Exception:
        code = "-"
    return "%d %s" % (status, code)

if case == "nested":
    print(status_and_code(read_all(post("/api/v1/revocations", b"[" * 8000000))))
elif case == "items":
    body = b'{"revocations":[' + b",".join([b"{}"] * 1000000) + b"]}"
    print(status_and_code(read_all(post("/api/v1/revocations", body))))
elif case == "csrs":
    body = b'{"csrs":[' + b",".join([b'"x"'] * 1000000) + b"]}"
    print(status_and_code(read_all(post("/api/v1/csr/check", body))))
elif case == "order":
    # A body within the limits that takes a while to parse, invalid at its very end.
    big = post("/api/v1/revocations", b'{"revocations":[{"issuer":"' + b"a" * 8000000 + b'"}')
    ocsp = post("/ocsp", open(ocsp_file, "rb").read(), "application/ocsp-request")
    order, replies, pending = [], {}, {big: "big", ocsp: "ocsp"}
    buffers = {big: b"", ocsp: b""}
    while pending:
        ready, _, _ = select.select(list(pending), [], [], 60)
        if not ready:
            break
        for s in ready:
            chunk = s.recv(65536)
            if chunk and not buffers[s]:
                order.append(pending[s])
            buffers[s] += chunk
            if not chunk:
                replies[pending.pop(s)] = status_and_code(buffers[s])
    print(" ".join(order), "|", replies.get("ocsp"), "|", replies.get("big"))
)PY";
  }
  const std::string port = d.url().substr(d.url().rfind(':') + 1);
  auto client = [&](const std::string& which) {
    return trim(sh("python3 " + q(script) + " " + port + " " + q(d.token()) + " " + q(req) + " " + which).out);
  };
  EXPECT_EQ(client("nested"), "400 json_malformed");
  EXPECT_EQ(client("items"), "413 batch_too_large");
  EXPECT_EQ(client("csrs"), "413 csr_batch_too_large");
  EXPECT_EQ(client("order"), "ocsp big | 200 - | 400 json_malformed");
  // The worker is still there and answers.
  EXPECT_EQ(client("nested"), "400 json_malformed");
  d.stop();
}

// A bulk import cut by SIGKILL in the middle: after the restart the store opens, the
// event chain verifies, what was acknowledged is there, and importing the same files
// again converges to every certificate stored exactly once.
TEST(BulkImport, Kill9MidImportThenReimportConverges) {
  constexpr int kCerts = 5000;
  const DemoPki& pki = demo_pki();
  const std::string dir = make_temp_dir("trustmon-bulk");
  const std::string bundle = dir + "/bulk.pem";
  {
    auto ca = load_cert_file(pki.ca("demo-ec"));
    auto ca_key = load_key_file(pki.dir + "/demo-ec/ca.key");
    ASSERT_TRUE(ca.ok() && ca_key.ok());
    std::ofstream out(bundle);
    const UnixTime now = SystemClock::instance().now();
    for (int i = 0; i < kCerts; ++i) {
      testing::UaCertSpec spec;
      spec.serial = {0x6B, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
      spec.cn = "Bulk " + std::to_string(i);
      spec.serial_number = "TINUA-" + std::to_string(4000000000LL + i);
      spec.not_before = now - 3600;
      spec.not_after = now + 86400 * 365;
      EvpPkeyPtr key = testing::generate_key(testing::KeyType::p256);
      const Bytes der = testing::make_ua_cert(spec, ca->get(), ca_key->get(), key.get());
      out << "-----BEGIN CERTIFICATE-----\n" << base64_encode(der) << "\n-----END CERTIFICATE-----\n";
    }
  }
  Daemon d;
  d.start();
  auto commits = [&d] {
    auto m = sh("curl -s " + d.url() + "/metrics | grep '^trustmon_writer_commits_total '").out;
    return std::atol(m.substr(m.find(' ') + 1).c_str());
  };
  const long before = commits();
  // Small batches, two in flight: hundreds of durable commits, so the kill lands mid-way.
  sh("(" + d.ctl() + " import --batch 10 --parallel 2 " + q(bundle) + " > " + q(dir + "/first.json") +
     " 2>/dev/null &)");
  for (int i = 0; i < 3000 && commits() < before + 10; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_GE(commits(), before + 10);
  d.kill9();
  // The cut import ends on the lost connection and prints what the server acknowledged.
  json first;
  for (int i = 0; i < 300 && !first.is_object(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    first = json::parse(read_text(dir + "/first.json"), nullptr, false);
  }
  ASSERT_TRUE(first.is_object()) << read_text(dir + "/first.json");
  ASSERT_TRUE(first.contains("error")) << first.dump();  // it did not finish
  const int acknowledged = first["stored"].get<int>();
  ASSERT_GT(acknowledged, 0) << first.dump();
  d.start();

  auto verify = sh(d.ctl() + " audit verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_NE(verify.out.find("\"ok\": true"), std::string::npos) << verify.out;
  auto run_import = [&] {
    auto r = sh(d.ctl() + " import " + q(bundle) + " 2>/dev/null");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return json::parse(r.out, nullptr, false);
  };
  json second = run_import();
  ASSERT_TRUE(second.is_object());
  EXPECT_EQ(second["refused"], 0) << second.dump();
  EXPECT_EQ(second["stored"].get<int>() + second["duplicate"].get<int>(), kCerts) << second.dump();
  // Every certificate the server acknowledged before the kill is still there, and the
  // kill came before the end.
  EXPECT_GE(second["duplicate"].get<int>(), acknowledged) << second.dump() << " " << first.dump();
  EXPECT_GT(second["stored"].get<int>(), 0) << second.dump();
  json third = run_import();
  ASSERT_TRUE(third.is_object());
  EXPECT_EQ(third["duplicate"], kCerts) << third.dump();
  // Each certificate is indexed once.
  const std::string token = d.token();
  for (int i : {0, kCerts / 2, kCerts - 1}) {
    auto r = sh("curl -s -H " + q("Authorization: Bearer " + token) + " " +
                q(d.url() + "/api/v1/certificates?serial_number=TINUA-" + std::to_string(4000000000LL + i)));
    json page = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(page.is_object()) << r.out;
    EXPECT_EQ(page["certificates"].size(), 1U) << r.out;
  }
  verify = sh(d.ctl() + " audit verify");
  EXPECT_NE(verify.out.find("\"ok\": true"), std::string::npos) << verify.out;
  d.stop();
}

}  // namespace
}  // namespace trustmon::itest
