// The application routes in-process over the real ApplicationService: submitted by a
// QTSP, read by {id} (not by another participant), moved through its states by the
// central body; bad ids are 404, wrong methods 405 with Allow.
#include "responder/routes/application_routes.hpp"

#include <gtest/gtest.h>

#include "responder/applications/applications.hpp"
#include "tests/unit/routes/route_fixture.hpp"

namespace trustmon::routes::testing {
namespace {

using nlohmann::json;

class ApplicationRoutesTest : public RoutesTest {
 protected:
  void SetUp() override {
    RoutesTest::SetUp();
    service_ = std::make_unique<applications::ApplicationService>(*writer_, clock_);
    start([this](http::Router& r) { add_application_routes(r, *ctx_, *service_); });
    qtsp_ = token_for("qtsp", "300", "operator");
    other_ = token_for("qtsp", "400", "operator");
  }

  std::unique_ptr<applications::ApplicationService> service_;
  std::string qtsp_, other_;
};

TEST_F(ApplicationRoutesTest, AnApplicationGoesThroughItsStatesByItsId) {
  Reply submitted = call("POST", "/api/v1/applications", qtsp_,
                         json{{"service", "ca_certificate"}, {"text", "a new CA"}});
  ASSERT_EQ(submitted.status, 201) << submitted.raw;
  const std::uint64_t id = submitted.body["id"].get<std::uint64_t>();
  EXPECT_EQ(submitted.body["state"], "submitted");
  const std::string item = "/api/v1/applications/" + std::to_string(id);

  Reply got = call("GET", item, qtsp_);
  ASSERT_EQ(got.status, 200) << got.raw;
  EXPECT_EQ(got.body["id"], id);
  EXPECT_EQ(got.body["service"], "ca_certificate");
  Reply hidden = call("GET", item, other_);
  EXPECT_EQ(hidden.status, 404);
  EXPECT_EQ(hidden.code(), "application_not_found");
  EXPECT_EQ(call("GET", "/api/v1/applications/999", qtsp_).code(), "application_not_found");
  EXPECT_EQ(call("GET", "/api/v1/applications", qtsp_).body["applications"].size(), 1u);
  EXPECT_EQ(call("GET", "/api/v1/applications", other_).body["applications"].size(), 0u);

  EXPECT_EQ(call("POST", item + "/status", qtsp_, json{{"state", "in_review"}}).status, 403);  // not the central body
  Reply bad_state = call("POST", item + "/status", kBootstrapToken, json{{"state", "submitted"}});
  EXPECT_EQ(bad_state.status, 400);
  EXPECT_EQ(bad_state.code(), "application_invalid");
  Reply review = call("POST", item + "/status", kBootstrapToken, json{{"state", "in_review"}, {"note", "looking"}});
  ASSERT_EQ(review.status, 200) << review.raw;
  EXPECT_EQ(review.body["state"], "in_review");
  Reply again = call("POST", item + "/status", kBootstrapToken, json{{"state", "in_review"}});
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.code(), "application_transition_invalid");
  EXPECT_EQ(call("GET", item, qtsp_).body["state"], "in_review");
}

TEST_F(ApplicationRoutesTest, BadIdsAre404AndWrongMethodsAre405WithAllow) {
  EXPECT_EQ(call("GET", "/api/v1/applications/0", qtsp_).code(), "not_found");
  EXPECT_EQ(call("GET", "/api/v1/applications/x", qtsp_).code(), "not_found");
  Reply bad = call("POST", "/api/v1/applications/1x/status", kBootstrapToken, json{{"state", "in_review"}});
  EXPECT_EQ(bad.status, 404);
  EXPECT_EQ(bad.code(), "not_found");
  EXPECT_EQ(call("GET", "/api/v1/applications/1/other", qtsp_).status, 404);
  Reply r = call("DELETE", "/api/v1/applications/1", qtsp_);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.allow, "GET, HEAD");
  r = call("GET", "/api/v1/applications/1/status", qtsp_);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.allow, "POST");
  r = call("PATCH", "/api/v1/applications", qtsp_);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.allow, "GET, HEAD, POST");
}

}  // namespace
}  // namespace trustmon::routes::testing
