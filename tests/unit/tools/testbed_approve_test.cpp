// `trustmonctl testbed approve`: the scripted phone lists the holder's pending approvals,
// decides the newest with the code it shows (or the one given), follows the redirect on
// its own connection, and reports refusals of the key store with their OAuth codes.
#include <gtest/gtest.h>

#include <functional>
#include <sstream>

#include "tools/cmd_testbed.hpp"
#include "tools/commands.hpp"

namespace trustmon::tools {
namespace {

using nlohmann::json;

// Answers each request with `answer(request)` and records it.
class ScriptedHttp final : public HttpTransport {
 public:
  explicit ScriptedHttp(std::function<HttpResponse(const HttpRequest&)> answer) : answer_(std::move(answer)) {}
  Result<HttpResponse> send(const HttpRequest& req) override {
    requests.push_back(req);
    return answer_(req);
  }
  std::vector<HttpRequest> requests;

 private:
  std::function<HttpResponse(const HttpRequest&)> answer_;
};

HttpResponse reply(int status, const json& body) { return HttpResponse{status, {}, body.dump()}; }

const json kPending = {{"pending",
                        json::array({{{"id", "newest"}, {"vc", "4821"}, {"rp_name", "trustmon"}},
                                     {{"id", "older"}, {"vc", "1111"}, {"rp_name", "trustmon"}}})}};

struct Outcome {
  int code = 0;
  json out;
  std::string err;
};

Outcome approve(ScriptedHttp& ksp, const TestbedApproveOptions& o, ScriptedHttp* callback = nullptr,
            std::string* opened = nullptr) {
  const OpenTransport open = [callback, opened](const std::string& base) -> Result<std::unique_ptr<HttpTransport>> {
    if (opened) *opened = base;
    if (callback == nullptr) return make_error(ErrorKind::unavailable, "connection_failed", "no listener");
    // A transport that forwards to the test's scripted one (which outlives the command).
    struct Forward final : HttpTransport {
      explicit Forward(ScriptedHttp& t) : to(t) {}
      Result<HttpResponse> send(const HttpRequest& r) override { return to.send(r); }
      ScriptedHttp& to;
    };
    return std::unique_ptr<HttpTransport>(std::make_unique<Forward>(*callback));
  };
  std::ostringstream out, err;
  Outcome r;
  r.code = cmd_testbed_approve(ksp, o, open, out, err);
  r.out = json::parse(out.str(), nullptr, false);
  r.err = err.str();
  return r;
}

TEST(TestbedApprove, DecidesTheNewestWithTheShownCodeAndFollowsTheRedirect) {
  ScriptedHttp ksp([](const HttpRequest& req) {
    if (req.method == "GET") return reply(200, kPending);
    return reply(200, {{"redirect", "http://127.0.0.1:9/api/v1/auth/qr/cb?code=abc&state=s%201"}});
  });
  ScriptedHttp callback([](const HttpRequest&) { return reply(302, json::object()); });
  std::string opened;
  TestbedApproveOptions o;
  o.rnokpp = "5550000001";
  const Outcome r = approve(ksp, o, &callback, &opened);
  EXPECT_EQ(r.code, kExitOk) << r.err;
  ASSERT_EQ(ksp.requests.size(), 2U);
  EXPECT_EQ(ksp.requests[0].target, "/testbed/ksp/pending?rnokpp=5550000001");
  EXPECT_EQ(ksp.requests[1].target, "/testbed/ksp/approvals/newest");
  EXPECT_EQ(json::parse(ksp.requests[1].body), (json{{"action", "approve"}, {"vc", "4821"}, {"pin", "0000"}}));
  EXPECT_EQ(opened, "http://127.0.0.1:9");
  ASSERT_EQ(callback.requests.size(), 1U);
  EXPECT_EQ(callback.requests[0].target, "/api/v1/auth/qr/cb?code=abc&state=s%201");
  EXPECT_EQ(r.out["outcome"], "approved");
  EXPECT_EQ(r.out["pending"], "newest");
  EXPECT_EQ(r.out["callback"]["status"], 302);
}

TEST(TestbedApprove, RefusesOrTypesAnotherCodeAndReportsTheRefusal) {
  ScriptedHttp ksp([](const HttpRequest& req) {
    if (req.method == "GET") return reply(200, kPending);
    return reply(200, {{"redirect", "https://rp.example/cb?error=access_denied&error_description=user_refused"}});
  });
  TestbedApproveOptions o;
  o.rnokpp = "5550000002";
  o.refuse = true;
  o.vc = "9999";
  const Outcome r = approve(ksp, o);
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(json::parse(ksp.requests[1].body)["action"], "refuse");
  EXPECT_EQ(json::parse(ksp.requests[1].body)["vc"], "9999");
  EXPECT_EQ(r.out["outcome"], "user_refused");
  EXPECT_EQ(r.out["callback"]["skipped"], "only http:// redirects are followed");
}

TEST(TestbedApprove, TheStoresRefusalsAndUnfollowableRedirects) {
  ScriptedHttp timeout([](const HttpRequest& req) {
    if (req.method == "GET") return reply(200, kPending);
    return reply(409, {{"error", "timeout"}, {"error_description", "the phone does not answer"}});
  });
  TestbedApproveOptions o;
  o.rnokpp = "5550000003";
  Outcome r = approve(timeout, o);
  EXPECT_EQ(r.code, kExitRefused);
  EXPECT_EQ(r.out["error"]["code"], "timeout");

  ScriptedHttp empty([](const HttpRequest&) { return reply(200, {{"pending", json::array()}}); });
  r = approve(empty, o);
  EXPECT_EQ(r.code, kExitRefused);
  EXPECT_EQ(r.out["error"]["code"], "no_pending");
  EXPECT_EQ(empty.requests.size(), 1U);

  ScriptedHttp approved([](const HttpRequest& req) {
    if (req.method == "GET") return reply(200, kPending);
    return reply(200, {{"redirect", "http://127.0.0.1:9/cb?code=abc"}});
  });
  r = approve(approved, o);  // nothing listens at the redirect
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_EQ(r.out["outcome"], "approved");
  EXPECT_EQ(r.out["callback"]["error"], "connection_failed");
  o.follow = false;
  r = approve(approved, o);
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out["callback"]["skipped"], "--no-follow");

  o.rnokpp = "55500";
  r = approve(approved, o);
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_NE(r.err.find("usage_invalid"), std::string::npos);
}

}  // namespace
}  // namespace trustmon::tools
