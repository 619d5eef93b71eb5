// The CSR routes in-process over the real CsrService: a QTSP operator reserves a request,
// reads the reservation by {id}, and commits it with {id}/commit (the route that used to
// parse its path by hand); another QTSP cannot; bad ids are 404 and wrong methods 405
// with Allow.
#include "responder/routes/csr_routes.hpp"

#include <gtest/gtest.h>

#include "tests/unit/csr/test_csr.hpp"
#include "tests/unit/routes/route_fixture.hpp"

namespace trustmon::routes::testing {
namespace {

using nlohmann::json;

class CsrRoutesTest : public RoutesTest {
 protected:
  void SetUp() override {
    RoutesTest::SetUp();
    service_ = std::make_unique<csr::CsrService>(*env_, *writer_, clock_);
    start([this](http::Router& r) { routes_ = add_csr_routes(r, *service_, *ctx_); });
    holder_ = token_for("qtsp", "500", "operator");
    other_ = token_for("qtsp", "600", "operator");
  }
  void TearDown() override {
    stop_server();
    routes_.reset();
    RoutesTest::TearDown();
  }
  // A reservation of a fresh P-256 request made by holder_; its id.
  std::uint64_t reserve(const std::string& challenge) {
    csr::testing::CsrOptions o;
    o.challenge = challenge;
    const Bytes der = csr::testing::make_csr(csr::testing::shared_key(csr::testing::KeyKind::p256), o);
    Reply r = call("POST", "/api/v1/csr/reservations", holder_, json{{"csr", base64_encode(der)}});
    EXPECT_EQ(r.status, 201) << r.raw;
    return r.body["reservation"].value("id", std::uint64_t{0});
  }

  std::unique_ptr<csr::CsrService> service_;
  std::shared_ptr<CsrRoutes> routes_;
  std::string holder_, other_;
};

TEST_F(CsrRoutesTest, AReservationIsReadAndCommittedByItsId) {
  const std::uint64_t id = reserve("one");
  ASSERT_GT(id, 0u);
  const std::string item = "/api/v1/csr/reservations/" + std::to_string(id);
  Reply got = call("GET", item, holder_);
  ASSERT_EQ(got.status, 200) << got.raw;
  EXPECT_EQ(got.body["reservation"]["id"], id);
  EXPECT_EQ(got.body["reservation"]["state"], "reserved");
  Reply hidden = call("GET", item, other_);
  EXPECT_EQ(hidden.status, 404);
  EXPECT_EQ(hidden.code(), "reservation_not_found");

  const std::string cert_hash(64, 'a');
  Reply not_yours = call("POST", item + "/commit", other_, json{{"certificate_sha256", cert_hash}});
  EXPECT_EQ(not_yours.status, 403);
  EXPECT_EQ(not_yours.code(), "reservation_not_yours");
  Reply bad_body = call("POST", item + "/commit", holder_, json{{"certificate_sha256", "abc"}});
  EXPECT_EQ(bad_body.status, 400);
  EXPECT_EQ(bad_body.code(), "invalid_argument");
  Reply no_body = call("POST", item + "/commit", holder_, json::object());
  EXPECT_EQ(no_body.status, 400);
  EXPECT_EQ(no_body.code(), "invalid_argument");

  Reply committed = call("POST", item + "/commit", holder_, json{{"certificate_sha256", cert_hash}});
  ASSERT_EQ(committed.status, 200) << committed.raw;
  EXPECT_EQ(committed.body["reservation"]["id"], id);
  EXPECT_EQ(committed.body["reservation"]["state"], "issued");
  EXPECT_EQ(committed.body["reservation"]["certificate_sha256"], cert_hash);
  EXPECT_EQ(call("GET", item, holder_).body["reservation"]["state"], "issued");
  Reply again = call("POST", item + "/commit", holder_, json{{"certificate_sha256", std::string(64, 'b')}});
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.code(), "reservation_already_committed");
  Reply unknown = call("POST", "/api/v1/csr/reservations/999/commit", holder_, json{{"certificate_sha256", cert_hash}});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.code(), "reservation_not_found");
}

TEST_F(CsrRoutesTest, AReservationIsReleasedByItsId) {
  const std::string item = "/api/v1/csr/reservations/" + std::to_string(reserve("two"));
  Reply released = call("POST", item + "/release", holder_, json::object());
  ASSERT_EQ(released.status, 200) << released.raw;
  EXPECT_EQ(released.body["reservation"]["state"], "released");
}

TEST_F(CsrRoutesTest, AHolderListsItsOwnReservationsNewestFirstByPageAndState) {
  const std::uint64_t first = reserve("first");
  ASSERT_EQ(call("POST", "/api/v1/csr/reservations/" + std::to_string(first) + "/release", holder_, json::object()).status,
            200);
  const std::uint64_t second = reserve("second");
  ASSERT_GT(second, first);
  Reply all = call("GET", "/api/v1/csr/reservations", holder_);
  ASSERT_EQ(all.status, 200) << all.raw;
  ASSERT_EQ(all.body["reservations"].size(), 2u) << all.raw;
  EXPECT_EQ(all.body["reservations"][0]["id"], second);
  EXPECT_EQ(all.body["reservations"][0]["state"], "reserved");
  EXPECT_EQ(all.body["reservations"][1]["id"], first);
  EXPECT_EQ(all.body["reservations"][1]["state"], "released");
  EXPECT_TRUE(all.body["next"].is_null());

  Reply released = call("GET", "/api/v1/csr/reservations?state=released", holder_);
  ASSERT_EQ(released.body["reservations"].size(), 1u) << released.raw;
  EXPECT_EQ(released.body["reservations"][0]["id"], first);

  Reply page = call("GET", "/api/v1/csr/reservations?limit=1", holder_);
  ASSERT_EQ(page.body["reservations"].size(), 1u);
  EXPECT_EQ(page.body["reservations"][0]["id"], second);
  ASSERT_TRUE(page.body["next"].is_string()) << page.raw;
  Reply rest = call("GET", "/api/v1/csr/reservations?limit=1&before=" + page.body["next"].get<std::string>(), holder_);
  ASSERT_EQ(rest.body["reservations"].size(), 1u) << rest.raw;
  EXPECT_EQ(rest.body["reservations"][0]["id"], first);

  // Another provider sees none of them; bad parameters are refused.
  EXPECT_TRUE(call("GET", "/api/v1/csr/reservations", other_).body["reservations"].empty());
  EXPECT_EQ(call("GET", "/api/v1/csr/reservations?limit=0", holder_).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/csr/reservations?limit=501", holder_).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/csr/reservations?before=x", holder_).status, 400);
}

TEST_F(CsrRoutesTest, BadIdsAre404AndWrongMethodsAre405WithAllow) {
  for (const char* path : {"/api/v1/csr/reservations/abc", "/api/v1/csr/reservations/0"}) {
    Reply r = call("GET", path, holder_);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.code(), "not_found") << path;
  }
  EXPECT_EQ(call("POST", "/api/v1/csr/reservations/x/commit", holder_, json::object()).code(), "not_found");
  EXPECT_EQ(call("POST", "/api/v1/csr/reservations/1/other", holder_, json::object()).status, 404);
  struct Case {
    const char* method;
    const char* path;
    const char* allow;
  };
  for (const Case& c : {Case{"DELETE", "/api/v1/csr/reservations/1", "GET, HEAD"},
                        Case{"POST", "/api/v1/csr/reservations/1", "GET, HEAD"},
                        Case{"GET", "/api/v1/csr/reservations/1/commit", "POST"},
                        Case{"PUT", "/api/v1/csr/reservations/1/release", "POST"},
                        Case{"PUT", "/api/v1/csr/reservations", "GET, HEAD, POST"},
                        Case{"GET", "/api/v1/csr/check", "POST"}}) {
    Reply r = call(c.method, c.path, holder_);
    EXPECT_EQ(r.status, 405) << c.method << " " << c.path;
    EXPECT_EQ(r.allow, c.allow) << c.method << " " << c.path;
    EXPECT_EQ(r.code(), "method_not_allowed") << c.method << " " << c.path;
  }
}

}  // namespace
}  // namespace trustmon::routes::testing
