// In-process fixture for the route tests: a temporary LMDB environment with its Writer,
// the access services every API route needs (AccessService, RateLimiter, Feed, the OCSP
// tests' issuers "ec" and "rsa", a fixed clock), and a real http::Server on a loopback
// port with one worker whose read transaction is set up as trustmond's Daemon does. A test
// registers the routes it exercises with start(), then calls them over a socket with
// call(). The bootstrap administrator's token is kBootstrapToken; admin_create_*() make
// participants, representatives and tokens through the admin routes themselves.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "common/clock.hpp"
#include "responder/access/authenticator.hpp"
#include "responder/access/rate_limiter.hpp"
#include "responder/access/service.hpp"
#include "responder/feed/feed.hpp"
#include "responder/http/server.hpp"
#include "responder/routes/admin_routes.hpp"
#include "responder/routes/api_context.hpp"
#include "responder/routes/auth_routes.hpp"
#include "responder/routes/worker_state.hpp"
#include "storage/records.hpp"
#include "storage/writer.hpp"
#include "tests/unit/http/test_client.hpp"
#include "tests/support/test_issuers.hpp"
#include "tests/support/temp_env.hpp"

namespace trustmon::routes::testing {

inline constexpr std::string_view kBootstrapToken = "routes-test-bootstrap-token";
inline constexpr UnixTime kNow = 1'800'000'000;

struct Reply {
  int status = 0;
  std::string allow;         // the Allow header, "" when absent
  nlohmann::json body;       // parsed JSON (discarded value when not JSON)
  std::string raw;
  std::string code() const {  // error.code, "" when none
    if (!body.is_object() || !body.contains("error")) return {};
    return body["error"].value("code", std::string());
  }
};

class RoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = storage::testing::open_env(dir_.path(), std::size_t{64} << 20);
    ASSERT_TRUE(env_);
    {
      auto txn = storage::WriteTxn::begin(*env_);
      ASSERT_TRUE(txn.ok());
      const Sha256 digest = sha256(as_bytes(kBootstrapToken));
      ASSERT_TRUE(txn->put(storage::Table::meta, as_bytes(storage::kMetaBootstrapTokenSha256), digest).ok());
      ASSERT_TRUE(txn->commit().ok());
    }
    storage::WriterOptions wo;
    wo.max_delay = std::chrono::microseconds(200);
    writer_ = std::make_unique<storage::Writer>(*env_, wo);
    writer_->start();
    feed_ = std::make_unique<feed::Feed>(*env_, clock_, [](const storage::ReadTxn& txn, const Actor& actor, UnixTime now) {
      return access::refusal_now(txn, actor, now);
    });
    access_ = std::make_unique<access::AccessService>(*writer_, clock_);
    limiter_ = std::make_unique<access::RateLimiter>(access::RateLimit{0, 0});
    // ApiContext holds atomics (not movable): built in place.
    ctx_.reset(new ApiContext{*access_, *limiter_, *feed_, trustmon::testing::shared_issuers(), clock_, {}});
  }

  void TearDown() override {
    stop_server();
    if (writer_) writer_->stop();
  }

  // Starts the server with the admin and auth routes (every test needs them to make
  // credentials and ask who it is) and whatever `add` registers.
  void start(const std::function<void(http::Router&)>& add = {}) {
    http::Router router;
    add_admin_routes(router, *ctx_);
    add_auth_routes(router, *ctx_, AuthOptions{});
    if (add) add(router);
    http::ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.workers = 1;
    o.access_log = false;
    server_ = std::make_unique<http::Server>(o, std::move(router));
    worker_states_ = std::make_unique<WorkerStates>(*env_);
    worker_states_->attach(*server_);
    const Status s = server_->start();
    ASSERT_TRUE(s.ok()) << s.error().message;
    runner_ = std::thread([this] { server_->run(); });
  }

  void stop_server() {
    if (server_) server_->stop();
    if (runner_.joinable()) runner_.join();
    server_.reset();
  }

  Reply call(std::string_view method, std::string_view path, std::string_view token = kBootstrapToken,
             std::string_view body = {}) {
    http::test::Client client(server_->port());
    std::string headers;
    if (!token.empty()) headers += "Authorization: Bearer " + std::string(token) + "\r\n";
    if (!body.empty()) headers += "Content-Type: application/json\r\n";
    auto r = client.request(method, path, body, headers);
    Reply out;
    if (!r) {
      ADD_FAILURE() << "no reply to " << method << " " << path;
      return out;
    }
    out.status = r->status;
    out.allow = r->header("allow");
    out.raw = r->body;
    out.body = nlohmann::json::parse(r->body, nullptr, false);
    return out;
  }
  Reply call(std::string_view method, std::string_view path, std::string_view token, const nlohmann::json& body) {
    return call(method, path, token, std::string_view(body.dump()));
  }

  // Made through the routes, as an administrator would; each returns the new id.
  std::uint32_t admin_create_participant(const std::string& kind, const std::string& code) {
    Reply r = call("POST", "/api/v1/admin/participants", kBootstrapToken,
                   nlohmann::json{{"kind", kind}, {"name", "Org " + code}, {"code", code}});
    EXPECT_EQ(r.status, 201) << r.raw;
    return r.body.value("id", 0u);
  }
  std::uint32_t admin_create_representative(std::uint32_t participant, const std::string& role) {
    Reply r = call("POST", "/api/v1/admin/participants/" + std::to_string(participant) + "/representatives",
                   kBootstrapToken, nlohmann::json{{"name", "Person"}, {"role", role}});
    EXPECT_EQ(r.status, 201) << r.raw;
    return r.body.value("id", 0u);
  }
  std::string admin_issue_token(std::uint32_t representative) {
    Reply r = call("POST", "/api/v1/admin/representatives/" + std::to_string(representative) + "/tokens",
                   kBootstrapToken, nlohmann::json{{"label", "test"}});
    EXPECT_EQ(r.status, 201) << r.raw;
    return r.body.value("token", std::string());
  }
  // A token of a new representative with `role` of a new participant of `kind`.
  std::string token_for(const std::string& kind, const std::string& code, const std::string& role) {
    return admin_issue_token(admin_create_representative(admin_create_participant(kind, code), role));
  }

  storage::testing::TempDir dir_;
  FixedClock clock_{kNow};
  std::unique_ptr<storage::Env> env_;
  std::unique_ptr<storage::Writer> writer_;
  std::unique_ptr<feed::Feed> feed_;
  std::unique_ptr<access::AccessService> access_;
  std::unique_ptr<access::RateLimiter> limiter_;
  std::unique_ptr<ApiContext> ctx_;
  std::unique_ptr<WorkerStates> worker_states_;  // outlives the server's workers
  std::unique_ptr<http::Server> server_;
  std::thread runner_;
};

}  // namespace trustmon::routes::testing
