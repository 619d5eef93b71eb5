// The watch routes in-process over the real WatchService: a watch is created, read,
// tested, replayed and deleted by {id}; another participant's watch is 404; ids that are
// not numbers are 404; the item routes answer a wrong method with 405 and their Allow.
#include "responder/routes/watch_routes.hpp"

#include <gtest/gtest.h>

#include "responder/watch/dispatcher.hpp"
#include "responder/watch/service.hpp"
#include "tests/unit/routes/route_fixture.hpp"

namespace trustmon::routes::testing {
namespace {

using nlohmann::json;

class WatchRoutesTest : public RoutesTest {
 protected:
  void SetUp() override {
    RoutesTest::SetUp();
    service_ = std::make_unique<watch::WatchService>(*env_, *writer_, clock_);
    ASSERT_TRUE(service_->load().ok());
    dispatcher_ = std::make_unique<watch::Dispatcher>(*env_, *service_, clock_);
    start([this](http::Router& r) { add_watch_routes(r, *ctx_, *service_, *dispatcher_); });
    a_operator_ = token_for("qtsp", "100", "operator");
    b_operator_ = token_for("qtsp", "200", "operator");
  }
  void TearDown() override {
    stop_server();
    dispatcher_.reset();
    RoutesTest::TearDown();
  }
  std::uint32_t create(const std::string& token) {
    Reply r = call("POST", "/api/v1/watches", token,
                   json{{"name", "mine"}, {"values", {"edrpou=12345678"}}, {"kinds", {"revoked"}}});
    EXPECT_EQ(r.status, 201) << r.raw;
    return r.body.value("id", 0u);
  }

  std::unique_ptr<watch::WatchService> service_;
  std::unique_ptr<watch::Dispatcher> dispatcher_;
  std::string a_operator_, b_operator_;
};

TEST_F(WatchRoutesTest, AWatchIsCreatedReadTestedReplayedAndDeleted) {
  const std::uint32_t id = create(a_operator_);
  ASSERT_GT(id, 0u);
  const std::string item = "/api/v1/watches/" + std::to_string(id);

  Reply got = call("GET", item, a_operator_);
  ASSERT_EQ(got.status, 200) << got.raw;
  EXPECT_EQ(got.body["id"], id);
  EXPECT_EQ(got.body["name"], "mine");
  EXPECT_EQ(call("GET", item + "/", a_operator_).body, got.body);  // one trailing slash: the same watch

  Reply list = call("GET", "/api/v1/watches", a_operator_);
  ASSERT_EQ(list.status, 200) << list.raw;
  ASSERT_EQ(list.body["watches"].size(), 1u);
  EXPECT_EQ(list.body["watches"][0]["id"], id);
  EXPECT_EQ(call("GET", "/api/v1/watches", b_operator_).body["watches"].size(), 0u);

  Reply tested = call("POST", item + "/test", a_operator_);
  ASSERT_EQ(tested.status, 200) << tested.raw;
  EXPECT_EQ(tested.body["id"], id);
  EXPECT_EQ(tested.body["delivered"], true);
  EXPECT_EQ(tested.body["delivery"], "stream");

  Reply replayed = call("POST", item + "/replay", a_operator_, json{{"from", 0}});
  ASSERT_EQ(replayed.status, 200) << replayed.raw;
  EXPECT_EQ(replayed.body["cursor"], 0);
  EXPECT_EQ(replayed.body["state"], "active");
  Reply bad_from = call("POST", item + "/replay", a_operator_, json{{"from", "x"}});
  EXPECT_EQ(bad_from.status, 400);
  EXPECT_EQ(bad_from.code(), "watch_invalid");

  Reply deleted = call("DELETE", item, a_operator_);
  ASSERT_EQ(deleted.status, 200) << deleted.raw;
  EXPECT_EQ(deleted.body["deleted"], true);
  Reply gone = call("GET", item, a_operator_);
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.code(), "watch_not_found");
}

TEST_F(WatchRoutesTest, AWatchIsChangedInPlaceKeepingItsIdAndCursor) {
  const std::uint32_t id = create(a_operator_);
  const std::string item = "/api/v1/watches/" + std::to_string(id);
  const auto cursor = call("GET", item, a_operator_).body["cursor"];
  Reply changed = call("PUT", item, a_operator_,
                       json{{"name", "renamed"}, {"values", {"drfo=1234567890"}}, {"kinds", {"issued", "revoked"}}});
  ASSERT_EQ(changed.status, 200) << changed.raw;
  Reply got = call("GET", item, a_operator_);
  EXPECT_EQ(got.body["id"], id);
  EXPECT_EQ(got.body["name"], "renamed");
  EXPECT_EQ(got.body["cursor"], cursor);
  EXPECT_NE(got.raw.find("1234567890"), std::string::npos) << got.raw;
  EXPECT_EQ(got.raw.find("12345678\""), std::string::npos) << got.raw;
  EXPECT_EQ(call("GET", "/api/v1/watches", a_operator_).body["watches"].size(), 1u);
  // The delivery kind stays; replay has its own route; another provider cannot touch it.
  Reply hook = call("PUT", item, a_operator_,
                    json{{"values", {"drfo=1234567890"}}, {"delivery", "webhook"}, {"url", "http://127.0.0.1:9/x"}});
  EXPECT_EQ(hook.status, 409) << hook.raw;
  EXPECT_EQ(hook.code(), "watch_delivery_fixed");
  EXPECT_EQ(call("PUT", item, a_operator_, json{{"values", {"drfo=1234567890"}}, {"replay_from", 0}}).status, 400);
  EXPECT_EQ(call("PUT", item, a_operator_, json{{"values", json::array()}}).code(), "watch_invalid");
  EXPECT_EQ(call("PUT", item, b_operator_, json{{"values", {"drfo=1234567890"}}}).code(), "watch_not_found");
  // No webhook attempts yet: an empty delivery log, and none for another provider.
  Reply log = call("GET", item + "/deliveries", a_operator_);
  ASSERT_EQ(log.status, 200) << log.raw;
  EXPECT_TRUE(log.body["deliveries"].empty());
  EXPECT_EQ(call("GET", item + "/deliveries", b_operator_).code(), "watch_not_found");
}

TEST_F(WatchRoutesTest, AnotherParticipantsWatchIsNotFound) {
  const std::string item = "/api/v1/watches/" + std::to_string(create(a_operator_));
  for (const auto& [method, path] : {std::pair<const char*, std::string>{"GET", item},
                                     {"DELETE", item},
                                     {"POST", item + "/test"},
                                     {"POST", item + "/replay"}}) {
    Reply r = call(method, path, b_operator_, std::string_view(std::string_view(method) == "POST" ? "{}" : ""));
    EXPECT_EQ(r.status, 404) << method << " " << path << " " << r.raw;
    EXPECT_EQ(r.code(), "watch_not_found") << method << " " << path;
  }
  EXPECT_EQ(call("GET", item, a_operator_).status, 200);  // still there
}

TEST_F(WatchRoutesTest, BadIdsAre404AndWrongMethodsAre405WithAllow) {
  EXPECT_EQ(call("GET", "/api/v1/watches/abc", a_operator_).code(), "not_found");
  EXPECT_EQ(call("POST", "/api/v1/watches/-1/test", a_operator_).code(), "not_found");
  EXPECT_EQ(call("GET", "/api/v1/watches/1/other", a_operator_).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/watches/1/test/x", a_operator_).status, 404);
  struct Case {
    const char* method;
    const char* path;
    const char* allow;
  };
  for (const Case& c : {Case{"PUT", "/api/v1/watches", "GET, HEAD, POST"},
                        Case{"POST", "/api/v1/watches/1", "GET, HEAD, PUT, DELETE"},
                        Case{"PATCH", "/api/v1/watches/1/", "GET, HEAD, PUT, DELETE"},
                        Case{"POST", "/api/v1/watches/1/deliveries", "GET, HEAD"},
                        Case{"GET", "/api/v1/watches/1/test", "POST"},
                        Case{"DELETE", "/api/v1/watches/1/replay", "POST"}}) {
    Reply r = call(c.method, c.path, a_operator_);
    EXPECT_EQ(r.status, 405) << c.method << " " << c.path;
    EXPECT_EQ(r.allow, c.allow) << c.method << " " << c.path;
    EXPECT_EQ(r.code(), "method_not_allowed");
  }
}

// The object bodies of these routes are parsed on the worker's loop: over 1 MiB is 413
// before parsing, a container over 10,000 items is 413 at the first item too many, deeper
// than 16 levels is 400, and a body that is not an object is 400; none creates a watch.
TEST_F(WatchRoutesTest, ObjectBodiesAreCappedBeforeAndWhileParsing) {
  const std::string too_big = "{\"name\":\"" + std::string((1 << 20) + 1, 'a') + "\"}";
  Reply big = call("POST", "/api/v1/watches", a_operator_, std::string_view(too_big));
  EXPECT_EQ(big.status, 413) << big.raw;
  EXPECT_EQ(big.code(), "body_too_large");

  std::string many = "{\"values\":[";
  for (int i = 0; i <= 10000; ++i) many += i == 0 ? "1" : ",1";
  many += "]}";
  Reply items = call("POST", "/api/v1/watches", a_operator_, std::string_view(many));
  EXPECT_EQ(items.status, 413) << items.raw;
  EXPECT_EQ(items.code(), "body_too_large");

  const std::string deep = "{\"a\":" + std::string(20, '[') + std::string(20, ']') + "}";
  Reply nested = call("POST", "/api/v1/watches", a_operator_, std::string_view(deep));
  EXPECT_EQ(nested.status, 400) << nested.raw;
  EXPECT_EQ(nested.code(), "json_malformed");

  Reply array = call("POST", "/api/v1/watches", a_operator_, std::string_view("[1,2]"));
  EXPECT_EQ(array.status, 400) << array.raw;
  EXPECT_EQ(array.code(), "json_malformed");

  EXPECT_EQ(call("GET", "/api/v1/watches", a_operator_).body["watches"].size(), 0u);
}

}  // namespace
}  // namespace trustmon::routes::testing
