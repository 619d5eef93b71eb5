// trustmonctl's administration commands: each maps to the documented admin API call, and
// the exit code and output follow the server's answer.
#include "tools/cmd_admin.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "tools/commands.hpp"

namespace trustmon::tools {
namespace {

using nlohmann::json;

// Answers every request with a fixed reply and remembers what it was asked.
class ScriptedApi final : public HttpTransport {
 public:
  int status = 200;
  std::string body = R"({"id": 7})";
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

TEST(AdminCommands, CallsMapToTheAdminApi) {
  struct Case {
    AdminCall call;
    const char* method;
    const char* target;
    const char* body;  // "" = none
  };
  const Case cases[] = {
      {participant_add("qtsp", "Org", "123"), "POST", "/api/v1/admin/participants",
       R"({"code":"123","kind":"qtsp","name":"Org"})"},
      {participant_update(3, "New", ""), "PATCH", "/api/v1/admin/participants/3", R"({"name":"New"})"},
      {participant_issuer_add(3, "demo-ec"), "POST", "/api/v1/admin/participants/3/issuers", R"({"issuer":"demo-ec"})"},
      {participant_issuer_remove(3, "my ca"), "DELETE", "/api/v1/admin/participants/3/issuers/my%20ca", ""},
      {participant_block(3, "why"), "POST", "/api/v1/admin/participants/3/block", R"({"reason":"why"})"},
      {participant_unblock(3), "POST", "/api/v1/admin/participants/3/unblock", "{}"},
      {representative_add(3, "Ann", "viewer"), "POST", "/api/v1/admin/participants/3/representatives",
       R"({"name":"Ann","role":"viewer"})"},
      {representative_list(0), "GET", "/api/v1/admin/representatives", ""},
      {representative_list(3), "GET", "/api/v1/admin/representatives?participant=3", ""},
      {representative_block(5, "left"), "POST", "/api/v1/admin/representatives/5/block", R"({"reason":"left"})"},
      {token_issue(5, "2030-01-01T00:00:00Z", 2.5, ""), "POST", "/api/v1/admin/representatives/5/tokens",
       R"({"expires":"2030-01-01T00:00:00Z","rate_per_second":2.5})"},
      {credential_revoke(9), "POST", "/api/v1/admin/credentials/9/revoke", "{}"},
      {audit_list({"p3/r1", "participant.*", "", "", "10", 5}), "GET",
       "/api/v1/admin/audit?actor=p3%2Fr1&action=participant.%2A&after=10&limit=5", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.target);
    ScriptedApi api;
    std::ostringstream out, err;
    EXPECT_EQ(cmd_admin(api, c.call, out, err), kExitOk);
    ASSERT_EQ(api.requests.size(), 1U);
    EXPECT_EQ(api.requests[0].method, c.method);
    EXPECT_EQ(api.requests[0].target, c.target);
    if (*c.body) {
      EXPECT_EQ(json::parse(api.requests[0].body), json::parse(c.body));
    } else {
      EXPECT_TRUE(api.requests[0].body.empty());
    }
    EXPECT_EQ(json::parse(out.str())["id"], 7);
  }
}

TEST(AdminCommands, RefusalPrintsTheErrorObjectAndExitsOne) {
  ScriptedApi api;
  api.status = 404;
  api.body = R"({"error":{"code":"participant_not_found","message":"no participant 9"}})";
  std::ostringstream out, err;
  EXPECT_EQ(cmd_admin(api, participant_block(9, "x"), out, err), kExitRefused);
  EXPECT_EQ(json::parse(out.str())["error"]["code"], "participant_not_found");
  EXPECT_NE(err.str().find("participant_not_found"), std::string::npos);

  ScriptedApi down;
  down.fail_transport = true;
  std::ostringstream out2, err2;
  EXPECT_EQ(cmd_admin(down, participant_list(), out2, err2), kExitFailed);
  EXPECT_TRUE(out2.str().empty());
}

TEST(AdminCommands, AuditVerifyExitCodeFollowsTheChain) {
  ScriptedApi ok;
  ok.body = R"({"ok": true, "events": 12})";
  std::ostringstream out, err;
  EXPECT_EQ(cmd_audit_verify(ok, out, err), kExitOk);
  EXPECT_EQ(json::parse(out.str())["events"], 12);
  EXPECT_EQ(ok.requests.at(0).target, "/api/v1/admin/audit/verify");

  ScriptedApi broken;
  broken.body = R"({"ok": false, "events": 12, "first_broken": 5, "reason": "prev_hash mismatch"})";
  std::ostringstream out2, err2;
  EXPECT_EQ(cmd_audit_verify(broken, out2, err2), kExitRefused);
  EXPECT_NE(err2.str().find("broken at event 5"), std::string::npos);
}

}  // namespace
}  // namespace trustmon::tools
