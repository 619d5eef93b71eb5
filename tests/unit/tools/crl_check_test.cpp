// `trustmonctl crl check`: the request it sends, the summary it prints, and the exit code
// from the server's answer (0 agrees, 3 differs, 1 refused, 2 no answer).
#include <gtest/gtest.h>

#include <sstream>

#include "tools/cmd_crl.hpp"
#include "tools/commands.hpp"

namespace trustmon::tools {
namespace {

using nlohmann::json;

class ScriptedApi final : public HttpTransport {
 public:
  int status = 200;
  std::string body;
  bool fail_transport = false;
  std::vector<HttpRequest> requests;
  Result<HttpResponse> send(const HttpRequest& req) override {
    requests.push_back(req);
    if (fail_transport) return make_error(ErrorKind::unavailable, "connection_failed", "refused");
    HttpResponse r;
    r.status = status;
    r.body = body;
    return r;
  }
};

json category(std::uint64_t count, std::vector<std::string> serials) {
  return {{"count", count}, {"serials", serials}, {"truncated", count > serials.size()}};
}

json answer(bool agrees) {
  return {{"issuer", "demo rsa"},
          {"number", "32"},
          {"source", "uploaded"},
          {"this_update", "2026-12-06T08:00:00Z"},
          {"agrees", agrees},
          {"entries", 2},
          {"skipped", 0},
          {"missing_from_crl", agrees ? category(0, {}) : category(1, {"1002"})},
          {"unknown_here", agrees ? category(0, {}) : category(30, {"0A", "0B"})},
          {"good_here", category(0, {})},
          {"reason_differs", category(0, {})},
          {"revoked_after", category(1, {"1003"})}};
}

TEST(CrlCheckCommand, DiffersPrintsTheSerialsAndExitsThree) {
  ScriptedApi api;
  api.body = answer(false).dump();
  std::ostringstream out, err;
  EXPECT_EQ(cmd_crl_check(api, {"demo rsa", false}, out, err), kExitDisagrees);
  ASSERT_EQ(api.requests.size(), 1u);
  EXPECT_EQ(api.requests[0].method, "GET");
  EXPECT_EQ(api.requests[0].target, "/api/v1/crls/demo%20rsa/check");
  const std::string text = out.str();
  EXPECT_NE(text.find("DIFFERS"), std::string::npos) << text;
  EXPECT_NE(text.find("missing_from_crl: 1"), std::string::npos) << text;
  EXPECT_NE(text.find("1002"), std::string::npos) << text;
  EXPECT_NE(text.find("unknown_here: 30"), std::string::npos) << text;
  EXPECT_NE(text.find("0A 0B (and 28 more)"), std::string::npos) << text;
  EXPECT_NE(text.find("revoked_after: 1"), std::string::npos) << text;
  EXPECT_TRUE(err.str().empty());
}

TEST(CrlCheckCommand, AgreesExitsZeroAndJsonPrintsTheAnswer) {
  ScriptedApi api;
  api.body = answer(true).dump();
  std::ostringstream out, err;
  EXPECT_EQ(cmd_crl_check(api, {"demo-ec", false}, out, err), kExitOk);
  EXPECT_NE(out.str().find("agrees with the status data"), std::string::npos) << out.str();
  std::ostringstream out2, err2;
  EXPECT_EQ(cmd_crl_check(api, {"demo-ec", true}, out2, err2), kExitOk);
  EXPECT_EQ(json::parse(out2.str()), answer(true));
}

TEST(CrlCheckCommand, RefusalExitsOneTransportTwo) {
  ScriptedApi api;
  api.status = 404;
  api.body = R"({"error":{"code":"crl_not_found","message":"no CRL"}})";
  std::ostringstream out, err;
  EXPECT_EQ(cmd_crl_check(api, {"demo-ec", false}, out, err), kExitRefused);
  EXPECT_EQ(json::parse(out.str())["error"]["code"], "crl_not_found");
  EXPECT_NE(err.str().find("crl_not_found"), std::string::npos);

  ScriptedApi down;
  down.fail_transport = true;
  std::ostringstream out2, err2;
  EXPECT_EQ(cmd_crl_check(down, {"demo-ec", false}, out2, err2), kExitFailed);
  EXPECT_TRUE(out2.str().empty());

  ScriptedApi odd;
  odd.body = R"({"issuer":"demo-ec"})";
  std::ostringstream out3, err3;
  EXPECT_EQ(cmd_crl_check(odd, {"demo-ec", false}, out3, err3), kExitFailed);
}

}  // namespace
}  // namespace trustmon::tools
