// The test-case exchange through the real daemon, driven by curl: a case with an artefact
// whose bytes come back by SHA-256; a new version beside the old one; three products of
// two vendors contradicting the expected verdict dispute the case, and the owner's watch
// of kind testcases sees testcase.disputed by long poll; the matrix as JSON and CSV;
// visibility and role refusals with their stable codes; oversize artefacts refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/bytes.hpp"
#include "tests/integration/providers_fixture.hpp"

namespace trustmon::itest {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
}

const std::string kPassed = "urn:etsi:019102:mainindication:total-passed";
const std::string kFailed = "urn:etsi:019102:mainindication:total-failed";
const std::string kRevoked = "urn:etsi:019102:subindication:REVOKED";

class TestcasesTest : public ProvidersTest {
 protected:
  void SetUp() override {
    ProvidersTest::SetUp();
    dev_ = id_of(ctl("participant add --kind tool_developer --name 'Dev C' --code 33333333"));
    token_dev_ = token_for(dev_, "operator");
    token_dev_viewer_ = token_for(dev_, "viewer");
    owner_ = id_of(ctl("participant add --kind system_owner --name 'Owner D' --code 44444444"));
    token_owner_ = token_for(owner_, "operator");
  }

  // curl with any method and a JSON body from a file (large bodies do not fit a command line).
  Reply call(const std::string& method, const std::string& path, const std::string& token, const std::string& body = "") {
    const std::string out = dir_ + "/reply";
    std::string cmd = "curl -s -o " + q(out) + " -w '%{http_code}' -X " + method + " ";
    if (!token.empty()) cmd += "-H " + q("Authorization: Bearer " + token) + " ";
    if (!body.empty()) {
      const std::string file = dir_ + "/body.json";
      write_text(file, body);
      cmd += "-H 'Content-Type: application/json' --data-binary @" + q(file) + " ";
    }
    auto r = sh(cmd + q(daemon_.url() + path));
    return Reply{std::atoi(r.out.c_str()), read_text(out)};
  }

  static json case_body(const std::string& content_b64, const std::string& visibility = "participants") {
    return json{{"kind", "cades"},
                {"polarity", "negative"},
                {"title", "signer revoked before signing"},
                {"refs", {"EN 319 102-1 §5.2.6"}},
                {"tags", {"revocation"}},
                {"visibility", visibility},
                {"params", {{"trust_anchor", "TEST Root"}, {"validation_time", "2026-12-01T00:00:00Z"}}},
                {"expected", {{"main", kFailed}, {"sub", kRevoked}}},
                {"inputs", {{{"role", "signature"}, {"media_type", "application/pkcs7-signature"}, {"content", content_b64}}}}};
  }

  std::uint64_t product(const std::string& token, const std::string& vendor, const std::string& name) {
    Reply r = call("POST", "/api/v1/testbed/products", token, json{{"vendor", vendor}, {"name", name}, {"version", "1.0"}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json_body().value("id", std::uint64_t{0});
  }
  Reply submit(const std::string& token, std::uint64_t prod, std::uint64_t case_id, const json& observed) {
    return call("POST", "/api/v1/testbed/submissions", token,
                json{{"product", prod}, {"case", case_id}, {"observed", observed}}.dump());
  }

  std::uint32_t dev_ = 0, owner_ = 0;
  std::string token_dev_, token_dev_viewer_, token_owner_;
};

TEST_F(TestcasesTest, CaseArtefactVersionDisputeWatchAndMatrix) {
  // A case with an artefact, by a tool developer; the bytes come back by SHA-256.
  std::string artefact;
  for (int i = 0; i < 3000; ++i) artefact.push_back(static_cast<char>((i * 7919) & 0xff));
  const std::string b64 = base64_encode(as_bytes(artefact));
  Reply created = call("POST", "/api/v1/testbed/cases", token_dev_, case_body(b64).dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const json c = created.json_body();
  const std::uint64_t id = c["id"];
  EXPECT_EQ(c["version"], 1);
  EXPECT_EQ(c["state"], "draft");
  EXPECT_EQ(c["owner"], dev_);
  const std::string sha = c["inputs"][0]["sha256"];
  ASSERT_EQ(sha.size(), 64u);
  const std::string blob_file = dir_ + "/blob";
  auto fetched = sh("curl -s -o " + q(blob_file) + " -w '%{http_code}' -H " + q("Authorization: Bearer " + token_a_) + " " +
                    q(daemon_.url() + "/api/v1/testbed/blobs/" + sha));
  EXPECT_EQ(fetched.out, "200");
  EXPECT_EQ(read_text(blob_file), artefact);
  EXPECT_EQ(sh("sha256sum " + q(blob_file) + " | cut -c1-64").out.substr(0, 64), sha);
  // Not public: anonymous readers get neither the case nor its artefact.
  EXPECT_EQ(call("GET", "/api/v1/testbed/cases/" + std::to_string(id), "").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/testbed/blobs/" + sha, "").status, 404);

  // A new version; the old one stays readable.
  json v2body = case_body(b64);
  v2body["title"] = "signer revoked before signing (v2)";
  Reply v2 = call("PUT", "/api/v1/testbed/cases/" + std::to_string(id), token_dev_, v2body.dump());
  ASSERT_EQ(v2.status, 200) << v2.body;
  EXPECT_EQ(v2.json_body()["version"], 2);
  Reply latest = call("GET", "/api/v1/testbed/cases/" + std::to_string(id), token_b_);
  ASSERT_EQ(latest.status, 200) << latest.body;
  EXPECT_EQ(latest.json_body()["title"], "signer revoked before signing (v2)");
  EXPECT_EQ(latest.json_body()["latest_version"], 2);
  Reply old = call("GET", "/api/v1/testbed/cases/" + std::to_string(id) + "?version=1", token_b_);
  ASSERT_EQ(old.status, 200);
  EXPECT_EQ(old.json_body()["title"], "signer revoked before signing");
  EXPECT_EQ(call("GET", "/api/v1/testbed/cases/" + std::to_string(id) + "?version=9", token_b_).status, 404);

  // Proposed by the owner, accepted by the central body (not by the owner).
  const std::string state = "/api/v1/testbed/cases/" + std::to_string(id) + "/state";
  ASSERT_EQ(call("POST", state, token_dev_, R"({"state":"proposed"})").status, 200);
  Reply self = call("POST", state, token_dev_, R"({"state":"accepted"})");
  EXPECT_EQ(self.status, 403);
  EXPECT_EQ(self.json_body()["error"]["code"], "testcase_not_permitted");
  ASSERT_EQ(call("POST", state, daemon_.token(), R"({"state":"accepted"})").status, 200);

  // The owner watches its test cases and long-polls its events.
  Reply w = call("POST", "/api/v1/watches", token_dev_, R"({"name":"my cases","kinds":["testcases"]})");
  ASSERT_EQ(w.status, 201) << w.body;
  const std::string poll_file = dir_ + "/poll";
  sh("curl -s --max-time 25 -H " + q("Authorization: Bearer " + token_dev_viewer_) + " '" + daemon_.url() +
     "/api/v1/events?wait=20' > " + q(poll_file) + " 2>&1 & echo $!");
  std::this_thread::sleep_for(500ms);

  // Products: two of vendor A (QTSP A), two of vendor B (QTSP B).
  const auto a1 = product(token_a_, "Vendor A", "validator one");
  const auto a2 = product(token_a_, "Vendor A", "validator two");
  const auto b1 = product(token_b_, "Vendor B", "checker");
  const auto b2 = product(token_b_, "Vendor B", "checker pro");
  Reply foreign = submit(token_b_, a1, id, {{"main", kPassed}});
  EXPECT_EQ(foreign.status, 403);
  EXPECT_EQ(foreign.json_body()["error"]["code"], "testcase_not_permitted");
  Reply agree = submit(token_b_, b1, id, {{"main", kFailed}, {"sub", kRevoked}});
  ASSERT_EQ(agree.status, 201) << agree.body;
  EXPECT_TRUE(agree.json_body()["agrees"].get<bool>());
  EXPECT_EQ(agree.json_body()["case_version"], 2);
  ASSERT_EQ(submit(token_a_, a1, id, {{"main", kPassed}}).json_body()["disputed"], false);
  ASSERT_EQ(submit(token_a_, a2, id, {{"main", kPassed}}).json_body()["disputed"], false);
  Reply tip = submit(token_b_, b2, id, {{"main", kPassed}});
  ASSERT_EQ(tip.status, 201) << tip.body;
  EXPECT_FALSE(tip.json_body()["agrees"].get<bool>());
  EXPECT_TRUE(tip.json_body()["disputed"].get<bool>());
  EXPECT_EQ(call("GET", "/api/v1/testbed/cases/" + std::to_string(id), token_a_).json_body()["state"], "disputed");

  ASSERT_TRUE(wait_until([&] { return read_text(poll_file).find("testcase.disputed") != std::string::npos; }, 15s))
      << read_text(poll_file);
  const json poll = json::parse(read_text(poll_file), nullptr, false);
  ASSERT_TRUE(poll.is_object()) << read_text(poll_file);
  ASSERT_EQ(poll["events"].size(), 1u) << poll.dump();
  EXPECT_EQ(poll["events"][0]["type"], "watch.match");
  EXPECT_EQ(poll["events"][0]["kind"], "testcases");
  EXPECT_EQ(poll["events"][0]["event"]["type"], "testcase.disputed");
  EXPECT_EQ(poll["events"][0]["event"]["case"], id);
  EXPECT_EQ(poll["events"][0]["event"]["vendors"], 2);
  // Another participant's events do not carry it.
  Reply others = call("GET", "/api/v1/events?wait=0", token_a_);
  EXPECT_EQ(others.body.find("testcase.disputed"), std::string::npos) << others.body;

  // The matrix: no producing product named, four validators.
  Reply m = call("GET", "/api/v1/testbed/matrix", token_a_);
  ASSERT_EQ(m.status, 200) << m.body;
  const json mj = m.json_body();
  ASSERT_EQ(mj["cells"].size(), 4u) << m.body;
  std::map<std::uint64_t, json> by_validator;
  for (const auto& cell : mj["cells"]) by_validator[cell["validator"].get<std::uint64_t>()] = cell;
  EXPECT_EQ(by_validator[b1]["agree"], 1);
  EXPECT_EQ(by_validator[a1]["disagree"], 1);
  EXPECT_EQ(by_validator[b2]["disagree"], 1);
  EXPECT_TRUE(by_validator[b2]["producer"].is_null());
  EXPECT_EQ(mj["products"][std::to_string(b2)]["vendor"], "Vendor B");
  Reply csv = call("GET", "/api/v1/testbed/matrix?format=csv&kind=cades", token_a_);
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.body.substr(0, csv.body.find("\r\n")),
            "producer,producer_name,validator,validator_name,agree,disagree,indeterminate");
  EXPECT_NE(csv.body.find("," + std::to_string(b1) + ",Vendor B checker 1.0,1,0,0\r\n"), std::string::npos) << csv.body;
  EXPECT_EQ(std::count(csv.body.begin(), csv.body.end(), '\n'), 5);
  Reply filtered = call("GET", "/api/v1/testbed/matrix?format=csv&kind=xades", token_a_);
  EXPECT_EQ(std::count(filtered.body.begin(), filtered.body.end(), '\n'), 1) << filtered.body;
  // Anonymous: the matrix over public cases only (this one is for participants).
  Reply anon = call("GET", "/api/v1/testbed/matrix", "");
  ASSERT_EQ(anon.status, 200);
  EXPECT_TRUE(anon.json_body()["cells"].empty()) << anon.body;

  // Submissions list, paged.
  Reply subs = call("GET", "/api/v1/testbed/submissions?case=" + std::to_string(id) + "&limit=2", token_a_);
  ASSERT_EQ(subs.status, 200) << subs.body;
  EXPECT_EQ(subs.json_body()["submissions"].size(), 2u);
  EXPECT_FALSE(subs.json_body()["next"].is_null());
}

TEST_F(TestcasesTest, VisibilityRolesAndCaps) {
  const std::string b64 = base64_encode(as_bytes(std::string("private artefact")));
  Reply priv = call("POST", "/api/v1/testbed/cases", token_dev_, case_body(b64, "private").dump());
  ASSERT_EQ(priv.status, 201) << priv.body;
  const std::uint64_t id = priv.json_body()["id"];
  const std::string sha = priv.json_body()["inputs"][0]["sha256"];
  // Another participant: 403 with a stable code for the case, 404 for its artefact.
  Reply other = call("GET", "/api/v1/testbed/cases/" + std::to_string(id), token_a_);
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(other.json_body()["error"]["code"], "testcase_not_permitted");
  EXPECT_EQ(call("GET", "/api/v1/testbed/blobs/" + sha, token_a_).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/testbed/cases/" + std::to_string(id), daemon_.token()).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/testbed/blobs/" + sha, daemon_.token()).status, 200);
  Reply listed = call("GET", "/api/v1/testbed/cases", token_a_);
  ASSERT_EQ(listed.status, 200);
  EXPECT_TRUE(listed.json_body()["cases"].empty()) << listed.body;
  EXPECT_EQ(call("GET", "/api/v1/testbed/cases", token_dev_).json_body()["cases"].size(), 1u);
  Reply edit = call("PUT", "/api/v1/testbed/cases/" + std::to_string(id), token_a_, case_body(b64).dump());
  EXPECT_EQ(edit.status, 403);
  EXPECT_EQ(edit.json_body()["error"]["code"], "testcase_not_permitted");

  // A public case is read without a credential, with its artefact.
  Reply pub = call("POST", "/api/v1/testbed/cases", token_dev_, case_body(b64, "public").dump());
  ASSERT_EQ(pub.status, 201) << pub.body;
  EXPECT_EQ(call("GET", "/api/v1/testbed/cases/" + pub.json_body()["id"].dump(), "").status, 200);
  EXPECT_EQ(call("GET", "/api/v1/testbed/blobs/" + sha, "").status, 200);  // shared with the public case now
  Reply anon_list = call("GET", "/api/v1/testbed/cases", "");
  ASSERT_EQ(anon_list.status, 200);
  EXPECT_EQ(anon_list.json_body()["cases"].size(), 1u) << anon_list.body;
  EXPECT_EQ(call("GET", "/api/v1/testbed/products", "").status, 401);

  // Roles: a viewer cannot write; a system owner's operator is not a test-case writer.
  Reply viewer = call("POST", "/api/v1/testbed/cases", token_dev_viewer_, case_body(b64).dump());
  EXPECT_EQ(viewer.status, 403);
  EXPECT_EQ(viewer.json_body()["error"]["code"], "role_insufficient");
  Reply owner = call("POST", "/api/v1/testbed/products", token_owner_, R"({"vendor":"v","name":"n","version":"1"})");
  EXPECT_EQ(owner.status, 403);
  EXPECT_EQ(owner.json_body()["error"]["code"], "testcase_not_permitted");
  Reply audit = call("GET", "/api/v1/admin/audit?action=access.denied", daemon_.token());
  EXPECT_NE(audit.body.find("testcase_not_permitted"), std::string::npos) << audit.body;
  EXPECT_NE(audit.body.find("testcase.product.create"), std::string::npos) << audit.body;
  Reply created = call("GET", "/api/v1/admin/audit?action=testcase.*", daemon_.token());
  EXPECT_NE(created.body.find("testcase.case.created"), std::string::npos) << created.body;

  // Malformed verdicts and oversize artefacts.
  json bad = case_body(b64);
  bad["expected"] = {{"main", "TOTAL_FAILED"}};
  Reply verdict = call("POST", "/api/v1/testbed/cases", token_dev_, bad.dump());
  EXPECT_EQ(verdict.status, 400);
  EXPECT_EQ(verdict.json_body()["error"]["code"], "verdict_invalid");
  const std::string big(5u << 20, 'z');
  Reply too_big = call("POST", "/api/v1/testbed/cases", token_dev_, case_body(base64_encode(as_bytes(big))).dump());
  EXPECT_EQ(too_big.status, 413) << too_big.body.substr(0, 200);
  EXPECT_EQ(too_big.json_body()["error"]["code"], "artefact_too_large");
  const std::string huge(10u << 20, 'z');
  Reply body_cap = call("POST", "/api/v1/testbed/cases", token_dev_, case_body(base64_encode(as_bytes(huge))).dump());
  EXPECT_EQ(body_cap.status, 413);
}

// trustmonctl testbed: a case from a JSON file and an artefact file, a product, a
// submission, the matrix as CSV (the central body's bootstrap token).
TEST_F(TestcasesTest, TrustmonctlTestbedCommands) {
  write_text(dir_ + "/case.json", json{{"kind", "crl"},
                                       {"polarity", "positive"},
                                       {"title", "a fresh CRL"},
                                       {"visibility", "public"},
                                       {"params", {{"trust_anchor", "TEST Root"}}},
                                       {"expected", {{"main", kPassed}}}}
                                      .dump());
  write_text(dir_ + "/test.crl", "crl bytes from a file");
  auto created = ctl("testbed cases create " + q(dir_ + "/case.json") + " --artefact " +
                     q("crl:application/pkix-crl:" + dir_ + "/test.crl"));
  ASSERT_EQ(created.second, 0) << created.first.dump();
  const std::uint64_t id = created.first["id"];
  EXPECT_EQ(created.first["inputs"][0]["size"], 21);
  EXPECT_EQ(ctl("testbed cases state " + std::to_string(id) + " proposed").second, 0);
  EXPECT_EQ(ctl("testbed cases state " + std::to_string(id) + " accepted").first["state"], "accepted");
  const auto prod = ctl("testbed products add --vendor CB --name checker --version 3");
  ASSERT_EQ(prod.second, 0);
  const std::uint64_t pid = prod.first["id"];
  auto sub = ctl("testbed submit --product " + std::to_string(pid) + " --case " + std::to_string(id) + " --main " + kFailed);
  ASSERT_EQ(sub.second, 0) << sub.first.dump();
  EXPECT_FALSE(sub.first["agrees"].get<bool>());
  auto bad = ctl("testbed submit --product " + std::to_string(pid) + " --case 999 --main " + kFailed);
  EXPECT_EQ(bad.second, 1);
  EXPECT_EQ(bad.first["error"]["code"], "case_not_found");
  auto csv = sh(daemon_.ctl() + " testbed matrix --csv --kind crl 2>/dev/null");
  ASSERT_EQ(csv.exit_code, 0) << csv.out;
  EXPECT_NE(csv.out.find("," + std::to_string(pid) + ",CB checker 3,0,1,0\r\n"), std::string::npos) << csv.out;
  EXPECT_EQ(ctl("testbed cases show " + std::to_string(id) + " --version 1").first["title"], "a fresh CRL");

  // Campaigns (ACVP sessions) of QTSP A's product: a normal one hides the expected
  // verdicts from the product's participant, a sample one shows them.
  const auto mine = product(token_a_, "Vendor A", "crl checker");
  const std::string expires = "2099-01-01T00:00:00Z";
  Reply normal = call("POST", "/api/v1/testbed/campaigns", token_a_,
                      json{{"product", mine}, {"selector", {{"kind", "crl"}}}, {"expires", expires}}.dump());
  ASSERT_EQ(normal.status, 201) << normal.body;
  EXPECT_EQ(normal.json_body()["cases"], 1);
  const std::string normal_path = "/api/v1/testbed/campaigns/" + normal.json_body()["id"].dump();
  Reply view = call("GET", normal_path, token_a_);
  ASSERT_EQ(view.status, 200) << view.body;
  ASSERT_EQ(view.json_body()["cases"].size(), 1u);
  EXPECT_EQ(view.json_body()["cases"][0]["disposition"], "unreceived");
  EXPECT_FALSE(view.json_body()["cases"][0].contains("expected")) << view.body;
  ASSERT_EQ(submit(token_a_, mine, id, {{"main", kPassed}}).status, 201);
  view = call("GET", normal_path, token_a_);
  EXPECT_EQ(view.json_body()["cases"][0]["disposition"], "passed") << view.body;
  EXPECT_TRUE(view.json_body()["passed"].get<bool>());
  EXPECT_EQ(call("GET", normal_path, token_b_).status, 403);
  EXPECT_TRUE(call("GET", normal_path, daemon_.token()).json_body()["cases"][0].contains("expected"));
  Reply sample = call("POST", "/api/v1/testbed/campaigns", token_a_,
                      json{{"product", mine}, {"sample", true}, {"expires", expires}}.dump());
  ASSERT_EQ(sample.status, 201) << sample.body;
  Reply sample_view = call("GET", "/api/v1/testbed/campaigns/" + sample.json_body()["id"].dump(), token_a_);
  EXPECT_EQ(sample_view.json_body()["cases"][0]["expected"]["main"], kPassed) << sample_view.body;
}

}  // namespace
}  // namespace trustmon::itest
