// The trusted-list routes in-process over the real TlService (ETSI schemas, no signer):
// the admin routes take the list {name} (checked), the notice routes a numeric {id};
// publishing without a signer is refused by the service thread with its stable code; a
// wrong method is 405 with Allow where it used to be a hand-made 405 without one.
#include "responder/routes/tl_routes.hpp"

#include <gtest/gtest.h>

#include "tests/unit/routes/route_fixture.hpp"
#include "tsl/checker.hpp"
#include "tsl/service.hpp"

namespace trustmon::routes::testing {
namespace {

using nlohmann::json;

class TlRoutesTest : public RoutesTest {
 protected:
  void SetUp() override {
    RoutesTest::SetUp();
    auto checker = tsl::TlChecker::create(std::string(TRUSTMON_SOURCE_DIR) + "/tsl/schemas");
    ASSERT_TRUE(checker.ok()) << checker.error().message;
    checker_ = std::make_unique<tsl::TlChecker>(std::move(*checker));
    tsl::TlServiceOptions options;
    options.default_list = "ua";
    service_ = std::make_unique<tsl::TlService>(*env_, *writer_, *checker_, nullptr, clock_, options);
    service_->start();
    start([this](http::Router& r) { add_tl_routes(r, *ctx_, *service_); });
  }
  void TearDown() override {
    stop_server();
    service_->stop();
    RoutesTest::TearDown();
  }

  std::unique_ptr<tsl::TlChecker> checker_;
  std::unique_ptr<tsl::TlService> service_;
};

TEST_F(TlRoutesTest, AdminRoutesTakeTheListName) {
  Reply versions = call("GET", "/api/v1/admin/tl/ua/versions");
  ASSERT_EQ(versions.status, 200) << versions.raw;
  EXPECT_EQ(versions.body["list"], "ua");
  EXPECT_EQ(versions.body["versions"], json::array());
  Reply other = call("GET", "/api/v1/admin/tl/ua-test.v2/versions");
  ASSERT_EQ(other.status, 200) << other.raw;
  EXPECT_EQ(other.body["list"], "ua-test.v2");

  Reply bad = call("GET", "/api/v1/admin/tl/a%20b/versions");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.code(), "tl_invalid_name");
  EXPECT_EQ(call("POST", "/api/v1/admin/tl/a%20b/publish").code(), "tl_invalid_name");

  EXPECT_EQ(call("GET", "/api/v1/admin/tl/ua/issuers").code(), "tl_not_published");

  // Publishing runs on the service thread, which refuses without a signer.
  Reply publish = call("POST", "/api/v1/admin/tl/ua/publish");
  EXPECT_EQ(publish.status, 503);
  EXPECT_EQ(publish.code(), "tl_signer_not_configured");

  EXPECT_EQ(call("GET", "/api/v1/admin/tl/ua/versions", "").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/admin/tl/ua/other").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/admin/tl/ua").status, 404);
}

TEST_F(TlRoutesTest, NoticeRoutesTakeANumericId) {
  Reply list = call("GET", "/api/v1/tl/notices");
  ASSERT_EQ(list.status, 200) << list.raw;
  EXPECT_EQ(list.body["notices"], json::array());
  Reply unknown = call("GET", "/api/v1/tl/notices/999");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.code(), "tl_notice_not_found");
  // Approving needs the signer before anything else; rejecting finds the notice missing.
  EXPECT_EQ(call("POST", "/api/v1/tl/notices/999/approve").code(), "tl_signer_not_configured");
  Reply reject = call("POST", "/api/v1/tl/notices/999/reject", kBootstrapToken, json{{"reason", "no"}});
  EXPECT_EQ(reject.status, 404);
  EXPECT_EQ(reject.code(), "tl_notice_not_found");
  EXPECT_EQ(call("POST", "/api/v1/tl/notices/999/reject", kBootstrapToken, json::object()).code(), "tl_notice_invalid");
  EXPECT_EQ(call("GET", "/api/v1/tl/notices/abc").code(), "not_found");
  EXPECT_EQ(call("POST", "/api/v1/tl/notices/0/reject", kBootstrapToken, json::object()).code(), "not_found");
  EXPECT_EQ(call("POST", "/api/v1/tl/notices/1/other").status, 404);
}

TEST_F(TlRoutesTest, WrongMethodsAre405WithAllow) {
  struct Case {
    const char* method;
    const char* path;
    const char* allow;
  };
  for (const Case& c : {Case{"GET", "/api/v1/admin/tl/ua/publish", "POST"},
                        Case{"GET", "/api/v1/admin/tl/ua/import", "POST"},
                        Case{"POST", "/api/v1/admin/tl/ua/versions", "GET, HEAD"},
                        Case{"DELETE", "/api/v1/admin/tl/ua/issuers", "GET, HEAD"},
                        Case{"DELETE", "/api/v1/tl/notices", "GET, HEAD, POST"},
                        Case{"POST", "/api/v1/tl/notices/1", "GET, HEAD"},
                        Case{"GET", "/api/v1/tl/notices/1/approve", "POST"},
                        Case{"GET", "/api/v1/tl/notices/1/reject", "POST"},
                        Case{"POST", "/tl/ua.xml", "GET, HEAD"}}) {
    Reply r = call(c.method, c.path);
    EXPECT_EQ(r.status, 405) << c.method << " " << c.path;
    EXPECT_EQ(r.allow, c.allow) << c.method << " " << c.path;
    EXPECT_EQ(r.code(), "method_not_allowed") << c.method << " " << c.path;
  }
}

TEST_F(TlRoutesTest, PublicFilesAreStillPrefixRoutes) {
  Reply list = call("GET", "/tl/ua.xml", "");
  EXPECT_EQ(list.status, 404);
  EXPECT_EQ(list.code(), "tl_not_published");
  EXPECT_EQ(call("GET", "/tl/whatever", "").code(), "not_found");
  EXPECT_EQ(call("GET", "/certs/CAs.json", "").code(), "tl_not_published");
}

}  // namespace
}  // namespace trustmon::routes::testing
