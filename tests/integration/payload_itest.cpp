// Review D4 against the real daemon: a certificate signed by the demo EC CA whose SAN
// dNSName holds the octets F7 97 8B (not UTF-8: F7 is never a lead octet) is ingested
// and revoked. The certificate.issued and certificate.revoked payloads, read through the
// audit and events APIs, are JSON objects that python3's strict json module parses from
// the raw bytes, and the attribute reads '#' + the hex of its octets; search by that
// hex form finds the certificate.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/integration/daemon.hpp"

namespace trustmon::itest {
namespace {

using nlohmann::json;

// "a.example.y" F7 97 8B "tp://x" (23 octets) as SubjectAltName ::= SEQUENCE { dNSName [2] }.
constexpr const char* kBadDns = "612e6578616d706c652e79f7978b74703a2f2f78";
const std::string kSanDer = std::string("3016") + "8214" + kBadDns;

// Fetches `url` with curl and runs python3 over the raw body: strict UTF-8 decoding, strict
// JSON (no NaN), then `check` (python expression over `j`, prints what it finds).
CommandResult strict_json(const std::string& dir, const std::string& token, const std::string& url,
                          const std::string& check) {
  const std::string body = dir + "/body.json";
  const std::string py = dir + "/check.py";
  std::ofstream(py) << "import json, sys\n"
                       "raw = open(sys.argv[1], 'rb').read()\n"
                       "def bad(x): raise ValueError('not strict JSON: ' + x)\n"
                       "j = json.loads(raw.decode('utf-8', errors='strict'), parse_constant=bad)\n"
                    << "print(" << check << ")\n";
  auto got = sh("curl -s -f -o " + q(body) + " -H " + q("Authorization: Bearer " + token) + " " + q(url));
  if (got.exit_code != 0) return got;
  return sh("python3 " + q(py) + " " + q(body) + " 2>&1");
}

TEST(PayloadDaemon, InvalidUtf8SanBecomesHexAndPayloadsStayStrictJson) {
  const std::string dir = make_temp_dir("trustmon-payload");
  const DemoPki& pki = demo_pki();
  std::ofstream(dir + "/ext.cnf") << "2.5.29.17 = DER:" << kSanDer << "\n";
  auto made = sh("cd " + q(dir) +
                 " && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout bad.key -out bad.csr"
                 " -subj '/CN=Bad SAN/serialNumber=TINUA-0000000404' 2>&1"
                 " && openssl x509 -req -in bad.csr -CA " + q(pki.ca("demo-ec")) + " -CAkey " +
                 q(pki.dir + "/demo-ec/ca.key") + " -set_serial 0x5AD404 -days 365 -extfile ext.cnf -out bad.pem 2>&1");
  ASSERT_EQ(made.exit_code, 0) << made.out;

  Daemon daemon;
  daemon.start();
  const std::string token = daemon.token();
  const std::string auth = q("Authorization: Bearer " + token);
  auto ingest = sh("curl -s -H " + auth + " -H 'Content-Type: application/x-pem-file' --data-binary @" +
                   q(dir + "/bad.pem") + " " + q(daemon.url() + "/api/v1/certificates"));
  const json stored = json::parse(ingest.out, nullptr, false);
  ASSERT_TRUE(stored.is_object()) << ingest.out;
  EXPECT_EQ(stored["results"][0]["status"], "stored") << ingest.out;
  auto revoke = sh("curl -s -w ' %{http_code}' -H " + auth + " -H 'Content-Type: application/json' --data " +
                   q(R"({"issuer":"demo-ec","serial":"5AD404","reason":"keyCompromise"})") + " " +
                   q(daemon.url() + "/api/v1/revocations"));
  EXPECT_EQ(revoke.out.substr(revoke.out.size() - 3), "200") << revoke.out;

  const std::string hex = std::string("#") + kBadDns;
  // Both payloads through the audit API: objects, the attribute in hex form.
  for (const std::string type : {"certificate.issued", "certificate.revoked"}) {
    SCOPED_TRACE(type);
    auto r = strict_json(dir, token, daemon.url() + "/api/v1/admin/audit?action=" + type,
                         "len(j['events']), all(isinstance(e['payload'], dict) for e in j['events']), "
                         "[v for e in j['events'] for k, v in e['payload'].get('attributes', []) if k == 'san_dns']");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(trim(r.out), "1 True ['" + hex + "']") << r.out;
  }
  // The events API (everything since the start) serves objects only, as strict JSON.
  auto events = strict_json(dir, token, daemon.url() + "/api/v1/events?after=0&wait=0",
                            "len(j['events']) > 0, all(isinstance(e['payload'], dict) for e in j['events'] "
                            "if 'payload' in e)");
  EXPECT_EQ(events.exit_code, 0) << events.out;
  EXPECT_EQ(trim(events.out), "True True") << events.out;
  // Search by the hex form (upper case works too; '#' is %23 in a query).
  auto found = strict_json(dir, token,
                           daemon.url() + "/api/v1/certificates?status=any&san_dns=%23612E6578616D706C652E79F7978B74703A2F2F78",
                           "[(c['serial'], c['status']) for c in j['certificates']]");
  EXPECT_EQ(found.exit_code, 0) << found.out;
  EXPECT_EQ(trim(found.out), "[('5AD404', 'revoked')]") << found.out;
  // The chain still verifies.
  daemon.stop();
  auto verify = sh(trustmonctl_path() + " audit verify --storage " + q(daemon.data_dir() + "/db") + " 2>&1");
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
}

}  // namespace
}  // namespace trustmon::itest
