// The admin routes in-process (route_fixture.hpp): participants and representatives are
// created, listed, read, changed and blocked through the real router and server over a
// temporary LMDB; unknown and malformed ids are 404 with their stable codes; a wrong
// method is 405 with the Allow of the matched pattern; a block applies to the next request.
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/routes/route_fixture.hpp"

namespace trustmon::routes::testing {
namespace {

using nlohmann::json;

const std::string kAdmin = "/api/v1/admin";

class AdminRoutesTest : public RoutesTest {
 protected:
  void SetUp() override {
    RoutesTest::SetUp();
    start();
  }
  static std::string participant(std::uint32_t id, const std::string& rest = "") {
    return kAdmin + "/participants/" + std::to_string(id) + rest;
  }
  static std::string representative(std::uint32_t id, const std::string& rest = "") {
    return kAdmin + "/representatives/" + std::to_string(id) + rest;
  }
};

TEST_F(AdminRoutesTest, ParticipantsAreCreatedListedReadAndChanged) {
  Reply created = call("POST", kAdmin + "/participants", kBootstrapToken,
                       json{{"kind", "qtsp"}, {"name", "Diia"}, {"code", "43395033"}});
  ASSERT_EQ(created.status, 201) << created.raw;
  const std::uint32_t id = created.body["id"].get<std::uint32_t>();
  EXPECT_GT(id, 0u);

  Reply list = call("GET", kAdmin + "/participants");
  ASSERT_EQ(list.status, 200) << list.raw;
  ASSERT_EQ(list.body["participants"].size(), 1u);
  EXPECT_EQ(list.body["participants"][0]["code"], "43395033");
  EXPECT_EQ(list.body["participants"][0]["kind"], "qtsp");
  EXPECT_EQ(call("GET", kAdmin + "/participants/").body, list.body);  // one trailing slash: the same list

  Reply got = call("GET", participant(id));
  ASSERT_EQ(got.status, 200) << got.raw;
  EXPECT_EQ(got.body["id"], id);
  EXPECT_EQ(got.body["name"], "Diia");
  EXPECT_EQ(got.body["status"], "active");
  EXPECT_EQ(got.body["representatives"], json::array());
  EXPECT_EQ(got.body["issuers"], json::array());

  Reply patched = call("PATCH", participant(id), kBootstrapToken, json{{"name", "Diia 2"}});
  ASSERT_EQ(patched.status, 200) << patched.raw;
  EXPECT_EQ(call("GET", participant(id)).body["name"], "Diia 2");

  // Stable refusals of the body.
  Reply bad_kind = call("POST", kAdmin + "/participants", kBootstrapToken, json{{"kind", "bank"}, {"name", "x"}});
  EXPECT_EQ(bad_kind.status, 400);
  EXPECT_EQ(bad_kind.code(), "kind_invalid");
  Reply taken = call("POST", kAdmin + "/participants", kBootstrapToken,
                     json{{"kind", "qtsp"}, {"name", "Other"}, {"code", "43395033"}});
  EXPECT_EQ(taken.status, 409);
  EXPECT_EQ(taken.code(), "participant_code_taken");
}

TEST_F(AdminRoutesTest, UnknownAndMalformedIdsAre404) {
  Reply unknown = call("GET", participant(999));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.code(), "participant_not_found");
  Reply word = call("GET", kAdmin + "/participants/abc");
  EXPECT_EQ(word.status, 404);
  EXPECT_EQ(word.code(), "not_found");
  EXPECT_EQ(call("GET", kAdmin + "/participants/0").code(), "not_found");
  EXPECT_EQ(call("GET", kAdmin + "/participants/%35").code(), "not_found");  // ids are not decoded
  Reply blocked_unknown = call("POST", participant(999, "/block"), kBootstrapToken, json{{"reason", "x"}});
  EXPECT_EQ(blocked_unknown.status, 404);
  EXPECT_EQ(blocked_unknown.code(), "participant_not_found");
  Reply rep = call("GET", representative(999));
  EXPECT_EQ(rep.status, 404);
  EXPECT_EQ(rep.code(), "representative_not_found");
  Reply nothing = call("GET", kAdmin + "/participants/1/nothing");
  EXPECT_EQ(nothing.status, 404);
  EXPECT_EQ(nothing.code(), "not_found");
  EXPECT_EQ(call("GET", kAdmin + "/nothing").status, 404);
}

TEST_F(AdminRoutesTest, WrongMethodIs405WithTheAllowOfThePattern) {
  const std::uint32_t id = admin_create_participant("qtsp", "1");
  struct Case {
    const char* method;
    std::string path;
    const char* allow;
  };
  const Case cases[] = {
      {"PUT", kAdmin + "/participants", "GET, HEAD, POST"},
      {"DELETE", participant(id), "GET, HEAD, PATCH"},
      {"OPTIONS", participant(id), "GET, HEAD, PATCH"},
      {"POST", participant(99), "GET, HEAD, PATCH"},  // the path decides, not whether the id exists
      {"GET", participant(id, "/block"), "POST"},
      {"GET", participant(id, "/issuers"), "POST"},
      {"GET", participant(id, "/issuers/ec"), "DELETE"},
      {"POST", kAdmin + "/representatives", "GET, HEAD"},
      {"DELETE", representative(id), "GET, HEAD, PATCH"},
      {"GET", representative(id, "/tokens"), "POST"},
      {"GET", kAdmin + "/credentials/1/revoke", "POST"},
      {"POST", kAdmin + "/audit", "GET, HEAD"},
  };
  for (const Case& c : cases) {
    Reply r = call(c.method, c.path);
    EXPECT_EQ(r.status, 405) << c.method << " " << c.path;
    EXPECT_EQ(r.allow, c.allow) << c.method << " " << c.path;
    EXPECT_EQ(r.code(), "method_not_allowed") << c.method << " " << c.path;
  }
}

TEST_F(AdminRoutesTest, RepresentativesAndTheirCredentials) {
  const std::uint32_t p = admin_create_participant("qtsp", "2");
  Reply added = call("POST", participant(p, "/representatives"), kBootstrapToken,
                     json{{"name", "Olena"}, {"role", "operator"}});
  ASSERT_EQ(added.status, 201) << added.raw;
  const std::uint32_t rep = added.body["id"].get<std::uint32_t>();
  Reply bad_role = call("POST", participant(p, "/representatives"), kBootstrapToken,
                        json{{"name", "X"}, {"role", "owner"}});
  EXPECT_EQ(bad_role.status, 400);
  EXPECT_EQ(bad_role.code(), "role_invalid");

  Reply list = call("GET", kAdmin + "/representatives?participant=" + std::to_string(p));
  ASSERT_EQ(list.status, 200) << list.raw;
  ASSERT_EQ(list.body["representatives"].size(), 1u);
  EXPECT_EQ(list.body["representatives"][0]["name"], "Olena");
  EXPECT_EQ(list.body["representatives"][0]["role"], "operator");
  EXPECT_EQ(call("GET", kAdmin + "/representatives?participant=x").code(), "invalid_argument");
  EXPECT_EQ(call("GET", participant(p)).body["representatives"].size(), 1u);

  Reply token = call("POST", representative(rep, "/tokens"), kBootstrapToken, json{{"label", "ci"}});
  ASSERT_EQ(token.status, 201) << token.raw;
  const std::string secret = token.body["token"].get<std::string>();
  Reply got = call("GET", representative(rep));
  ASSERT_EQ(got.status, 200) << got.raw;
  ASSERT_EQ(got.body["credentials"].size(), 1u);
  EXPECT_EQ(got.body["credentials"][0]["label"], "ci");
  EXPECT_EQ(got.raw.find(secret), std::string::npos);  // never the secret again

  Reply me = call("GET", "/api/v1/me", secret);
  ASSERT_EQ(me.status, 200) << me.raw;
  EXPECT_EQ(me.body["representative"], rep);
  EXPECT_EQ(me.body["role"], "operator");

  Reply patched = call("PATCH", representative(rep), kBootstrapToken, json{{"role", "viewer"}});
  ASSERT_EQ(patched.status, 200) << patched.raw;
  EXPECT_EQ(call("GET", "/api/v1/me", secret).body["role"], "viewer");
  // An operator's token is not an administrator's.
  EXPECT_EQ(call("GET", kAdmin + "/participants", secret).status, 403);
}

TEST_F(AdminRoutesTest, BlockingAppliesToTheNextRequest) {
  const std::uint32_t p = admin_create_participant("qtsp", "3");
  const std::uint32_t rep = admin_create_representative(p, "operator");
  const std::string secret = admin_issue_token(rep);
  ASSERT_EQ(call("GET", "/api/v1/me", secret).status, 200);

  Reply blocked = call("POST", representative(rep, "/block"), kBootstrapToken, json{{"reason", "left"}});
  ASSERT_EQ(blocked.status, 200) << blocked.raw;
  EXPECT_EQ(blocked.body["status"], "blocked");
  Reply refused = call("GET", "/api/v1/me", secret);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.code(), "representative_blocked");
  ASSERT_EQ(call("POST", representative(rep, "/unblock")).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/me", secret).status, 200);

  Reply no_reason = call("POST", participant(p, "/block"), kBootstrapToken, json::object());
  EXPECT_EQ(no_reason.status, 400);
  Reply pblocked = call("POST", participant(p, "/block"), kBootstrapToken, json{{"reason", "audit"}});
  ASSERT_EQ(pblocked.status, 200) << pblocked.raw;
  EXPECT_EQ(pblocked.body["status"], "blocked");
  EXPECT_EQ(pblocked.body["block_reason"], "audit");
  EXPECT_EQ(call("GET", participant(p)).body["status"], "blocked");
  EXPECT_EQ(call("GET", "/api/v1/me", secret).code(), "participant_blocked");
}

TEST_F(AdminRoutesTest, IssuersAreAttachedAndDetachedByName) {
  const std::uint32_t p = admin_create_participant("qtsp", "4");
  Reply attached = call("POST", participant(p, "/issuers"), kBootstrapToken, json{{"issuer", "ec"}});
  ASSERT_EQ(attached.status, 200) << attached.raw;
  EXPECT_EQ(call("GET", participant(p)).body["issuers"], json::array({"ec"}));
  Reply unknown = call("POST", participant(p, "/issuers"), kBootstrapToken, json{{"issuer", "nope"}});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.code(), "issuer_not_found");

  // The name is a path parameter: percent-decoded, a malformed escape names nothing.
  Reply missing = call("DELETE", participant(p, "/issuers/n%6Fpe"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.code(), "issuer_not_found");
  EXPECT_NE(missing.raw.find("\\\"nope\\\""), std::string::npos) << missing.raw;
  Reply malformed = call("DELETE", participant(p, "/issuers/e%zz"));
  EXPECT_EQ(malformed.status, 404);
  EXPECT_EQ(malformed.code(), "not_found");
  Reply detached = call("DELETE", participant(p, "/issuers/%65c"));  // "ec"
  ASSERT_EQ(detached.status, 200) << detached.raw;
  EXPECT_EQ(call("GET", participant(p)).body["issuers"], json::array());
}

TEST_F(AdminRoutesTest, EveryRouteAsksForAnAdministrator) {
  const std::uint32_t p = admin_create_participant("qtsp", "5");
  for (const std::string& path : {kAdmin + "/participants", participant(p), kAdmin + "/representatives",
                                  kAdmin + "/audit", kAdmin + "/audit/verify"}) {
    Reply r = call("GET", path, "");
    EXPECT_EQ(r.status, 401) << path;
    EXPECT_EQ(r.code(), "unauthenticated") << path;
  }
  Reply verify = call("GET", kAdmin + "/audit/verify");
  ASSERT_EQ(verify.status, 200) << verify.raw;
  EXPECT_EQ(verify.body["ok"], true);
  EXPECT_GE(verify.body["events"].get<int>(), 1);
  Reply audit = call("GET", kAdmin + "/audit?action=participant.add");
  ASSERT_EQ(audit.status, 200) << audit.raw;
  ASSERT_EQ(audit.body["events"].size(), 1u);
}

}  // namespace
}  // namespace trustmon::routes::testing
