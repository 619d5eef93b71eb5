// The connection gate's fast path (gate.hpp): fast routes answered without evhttp on plain
// connections. A Server on port 0 with OCSP-like fast routes and ordinary routes beside
// them; raw sockets check pipelining order, Connection: close, 304, split requests, the
// exact bytes against the evhttp path (fast_path = false), the counters and the drain.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/access_log.hpp"
#include "common/log.hpp"
#include "responder/http/server.hpp"
#include "test_client.hpp"

namespace trustmon::http {
namespace {

using test::Client;
using namespace std::chrono_literals;

constexpr std::string_view kMalformed = "\x30\x03\x0a\x01\x01";  // OCSPResponse malformedRequest

Router fast_routes() {
  Router r;
  auto post = [](Request& req) {
    const ByteView body = req.body();
    const std::string text(reinterpret_cast<const char*>(body.data()), body.size());
    req.note("ocsp", text == "bad" ? "malformed" : "cache");
    if (text == "bad") {
      req.reply(200, "application/ocsp-response", kMalformed);
      return;
    }
    req.reply(200, "application/ocsp-response", "answer:" + text);
  };
  r.add(Method::Post, "/ocsp", post, kFastEssentialRoute);
  r.add(Method::Post, "/", post, kFastEssentialRoute);
  r.add_prefix(Method::Get, "/ocsp/", [](Request& req) {
    const std::string name(req.path().substr(6));
    if (name.rfind("sleep", 0) == 0) std::this_thread::sleep_for(30ms);  // a slow reply, holding the loop's turn
    const std::string etag = "\"" + name + "\"";
    const Header headers[] = {{"Cache-Control", "max-age=60, public, no-transform, must-revalidate"},
                              {"Last-Modified", "Sun, 06 Dec 2026 10:00:00 GMT"},
                              {"Expires", "Sun, 13 Dec 2026 10:00:00 GMT"},
                              {"ETag", etag}};
    if (auto inm = req.header("if-none-match"); inm && *inm == etag) {
      req.reply_not_modified(headers);
      return;
    }
    req.reply(200, "application/ocsp-response", "get:" + name, headers);
  }, kFastEssentialRoute);
  r.add(Method::Get, "/api/slow", [](Request& req) {
    // Answered later from another thread: a fast request behind it must wait its turn.
    std::thread([kept = std::move(req)]() mutable {
      std::this_thread::sleep_for(50ms);
      kept.reply(200, "text/plain", std::string_view("slow"));
    }).detach();
  });
  r.add(Method::Get, "/api/now", [](Request& req) { req.reply(200, "text/plain", std::string_view("now")); });
  return r;
}

ServerOptions options(bool fast) {
  ServerOptions o;
  o.listen = "127.0.0.1:0";
  o.workers = 2;
  o.access_log = false;
  o.metrics = true;
  o.shutdown_grace_seconds = 30;
  o.fast_path = fast;
  return o;
}

class FastPath : public ::testing::Test {
 protected:
  void start(bool fast = true) {
    server_ = std::make_unique<Server>(options(fast), fast_routes());
    const Status s = server_->start();
    ASSERT_TRUE(s.ok()) << s.error().code;
    runner_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (runner_.joinable()) runner_.join();
    server_.reset();
  }
  std::uint64_t fast_count() const {
    std::uint64_t n = 0;
    for (unsigned i = 0; i < server_->worker_count(); ++i) n += server_->worker(i).counters().fast.load();
    return n;
  }
  std::uint16_t port() const { return server_->port(); }

  std::unique_ptr<Server> server_;
  std::thread runner_;
};

// The raw bytes of one response on a new connection.
std::string raw_response(std::uint16_t port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    char buf[4096];
    while (true) {
      const std::size_t end = out.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t want = end + 4;
        const std::size_t cl = out.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) want += std::stoul(out.substr(cl + 16));
        if (out.size() >= want) break;
      }
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  // The Date value changes with the second: compare everything else.
  const std::size_t date = out.find("\r\nDate: ");
  if (date != std::string::npos) out.replace(date + 8, 29, "<date>");
  return out;
}

TEST_F(FastPath, PipelinedPostAndGetAreAnsweredInOrder) {
  start();
  Client c(port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send_all(Client::build("POST", "/ocsp", "one") + Client::build("GET", "/ocsp/two") +
                         Client::build("POST", "/", "three", "Content-Type: application/ocsp-request\r\n")));
  for (const char* want : {"answer:one", "get:two", "answer:three"}) {
    auto r = c.read_response();
    ASSERT_TRUE(r) << want;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, want);
    EXPECT_EQ(r->header("content-type"), "application/ocsp-response");
  }
  EXPECT_EQ(fast_count(), 3u);
  // The connection stays usable, for fast and ordinary routes alike.
  auto r = c.request("GET", "/api/now");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "now");
}

TEST_F(FastPath, GetThenApiThenGetKeepTheirOrder) {
  start();
  Client c(port());
  ASSERT_TRUE(c.send_all(Client::build("GET", "/ocsp/first") + Client::build("GET", "/api/slow") +
                         Client::build("GET", "/ocsp/third")));
  for (const char* want : {"get:first", "slow", "get:third"}) {
    auto r = c.read_response();
    ASSERT_TRUE(r) << want;
    EXPECT_EQ(r->body, want);
  }
  EXPECT_GE(fast_count(), 1u);
  // Once the evhttp request is answered, the fast path serves the connection again.
  const std::uint64_t before = fast_count();
  auto r = c.request("GET", "/ocsp/fourth");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "get:fourth");
  EXPECT_EQ(fast_count(), before + 1);
}

TEST_F(FastPath, ConnectionCloseIsHonoured) {
  start();
  Client c(port());
  auto r = c.request("GET", "/ocsp/x", {}, "Connection: close\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "get:x");
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(c.wait_readable(5s));
  EXPECT_TRUE(c.peer_closed());
}

TEST_F(FastPath, MalformedBodyGetsTheOcspErrorResponse) {
  start();
  Client c(port());
  auto r = c.request("POST", "/ocsp", "bad");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, std::string(kMalformed));
  EXPECT_EQ(fast_count(), 1u);
}

TEST_F(FastPath, IfNoneMatchGives304AndTheConnectionGoesOn) {
  start();
  Client c(port());
  auto r = c.request("GET", "/ocsp/e", {}, "If-None-Match: \"e\"\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 304);
  EXPECT_EQ(r->header("etag"), "\"e\"");
  EXPECT_FALSE(r->has_header("content-length"));
  EXPECT_TRUE(r->body.empty());
  r = c.request("GET", "/ocsp/e", {}, "If-None-Match: \"other\"\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "get:e");
  EXPECT_EQ(fast_count(), 2u);
}

TEST_F(FastPath, ARequestSplitOverWritesIsStillAnswered) {
  start();
  Client c(port());
  const std::string req = Client::build("POST", "/ocsp", "split-body");
  ASSERT_TRUE(c.send_all(req.substr(0, 20)));
  std::this_thread::sleep_for(30ms);
  ASSERT_TRUE(c.send_all(req.substr(20, req.size() - 25)));
  std::this_thread::sleep_for(30ms);
  ASSERT_TRUE(c.send_all(req.substr(req.size() - 5)));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "answer:split-body");
}

// Fast-path traffic keeps the connection alive: evhttp's idle timeout (read_timeout) counts
// from the last request the gate answered, not from the last one evhttp saw.
// Replies of one turn (gate.hpp): slow replies (past fast_hold_after_ns) to requests read in
// the same loop turn leave together after the turn's handlers ran; quick ones go at once;
// each connection still gets its answers in order.
TEST(FastPathTurns, SlowRepliesOfOneTurnLeaveTogether) {
  ServerOptions o = options(true);
  o.workers = 1;                     // every connection on one loop
  o.fast_hold_after_ns = 5'000'000;  // slow = the 30 ms handlers, in every build (sanitizers too)
  Server server(o, fast_routes());
  ASSERT_TRUE(server.start().ok());
  std::thread runner([&] { server.run(); });
  const auto turns = [&] { return server.worker(0).counters().fast_turns.load(); };

  // Quick replies are not held.
  Client q(server.port());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(q.request("GET", "/ocsp/quick" + std::to_string(i)));
  EXPECT_EQ(turns(), 0u);

  // Pipelined in one write, a slow request first: it is held, the quick ones behind it are
  // held with it (order), and all three leave in one turn.
  Client p(server.port());
  ASSERT_TRUE(p.send_all(Client::build("GET", "/ocsp/sleep-a") + Client::build("POST", "/ocsp", "b") +
                         Client::build("GET", "/ocsp/c")));
  for (const char* want : {"get:sleep-a", "answer:b", "get:c"}) {
    auto r = p.read_response();
    ASSERT_TRUE(r) << want;
    EXPECT_EQ(r->body, want);
  }
  EXPECT_EQ(turns(), 1u);

  // Across connections: while the loop is held by a slow handler, slow requests arrive on
  // two more connections; the next turn reads both and sends both answers together.
  Client a(server.port()), b(server.port()), c(server.port());
  ASSERT_TRUE(a.request("GET", "/ocsp/warm-a") && b.request("GET", "/ocsp/warm-b") && c.request("GET", "/ocsp/warm-c"));
  const std::uint64_t before = turns();
  ASSERT_TRUE(a.send_all(Client::build("GET", "/ocsp/sleep-1")));
  std::this_thread::sleep_for(10ms);  // the handler now holds the loop for 30 ms
  ASSERT_TRUE(b.send_all(Client::build("GET", "/ocsp/sleep-2")));
  ASSERT_TRUE(c.send_all(Client::build("GET", "/ocsp/sleep-3")));
  const std::vector<std::pair<Client*, std::string>> expected = {
      {&a, "get:sleep-1"}, {&b, "get:sleep-2"}, {&c, "get:sleep-3"}};
  for (const auto& [client, want] : expected) {
    auto r = client->read_response();
    ASSERT_TRUE(r) << want;
    EXPECT_EQ(r->body, want);
  }
  EXPECT_EQ(turns() - before, 2u) << "the first slow request's turn, then one turn for the two that waited";
  server.stop();
  runner.join();
}

TEST(FastPathTimeout, FastRequestsKeepTheConnectionAlive) {
  ServerOptions o = options(true);
  o.read_timeout_seconds = 1;
  Server server(o, fast_routes());
  ASSERT_TRUE(server.start().ok());
  std::thread runner([&] { server.run(); });
  Client c(server.port());
  for (int i = 0; i < 10; ++i) {  // 2.5 s of requests, 0.25 s apart
    auto r = c.request("GET", "/ocsp/t" + std::to_string(i));
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->body, "get:t" + std::to_string(i));
    std::this_thread::sleep_for(250ms);
  }
  // Idle past the timeout: closed.
  EXPECT_TRUE(c.wait_readable(5s));
  EXPECT_TRUE(c.peer_closed());
  server.stop();
  runner.join();
}

// The fast path writes what evhttp writes: status line, header order, Date, Content-Length.
TEST(FastPathBytes, SameBytesAsTheEvhttpPath) {
  const std::vector<std::string> requests = {
      Client::build("POST", "/ocsp", "abc"),
      Client::build("POST", "/ocsp", "bad"),
      Client::build("GET", "/ocsp/name"),
      Client::build("GET", "/ocsp/name", {}, "If-None-Match: \"name\"\r\n"),
  };
  std::vector<std::string> fast, plain;
  for (bool use_fast : {true, false}) {
    Server server(options(use_fast), fast_routes());
    ASSERT_TRUE(server.start().ok());
    std::thread runner([&] { server.run(); });
    for (const std::string& req : requests) (use_fast ? fast : plain).push_back(raw_response(server.port(), req));
    std::uint64_t n = 0;
    for (unsigned i = 0; i < server.worker_count(); ++i) n += server.worker(i).counters().fast.load();
    EXPECT_EQ(n, use_fast ? requests.size() : 0u);
    server.stop();
    runner.join();
  }
  ASSERT_EQ(fast.size(), plain.size());
  for (std::size_t i = 0; i < fast.size(); ++i) {
    EXPECT_FALSE(fast[i].empty());
    EXPECT_EQ(fast[i], plain[i]) << "request " << i;
  }
}

TEST_F(FastPath, MetricsCountRequestsAndConnectionsPerWorker) {
  start();
  for (int i = 0; i < 8; ++i) {
    Client c(port());
    auto r = c.request("GET", "/ocsp/m");
    ASSERT_TRUE(r);
  }
  // The request counter is bumped just after the reply is handed to the socket.
  std::string text;
  EXPECT_TRUE(test::wait_until([&] {
    text = server_->metrics_text();
    return text.find("trustmon_http_requests_total 8\n") != std::string::npos;
  })) << text;
  EXPECT_NE(text.find("trustmon_http_connections_accepted_total{worker=\"0\"}"), std::string::npos);
  EXPECT_NE(text.find("trustmon_http_connections_accepted_total{worker=\"1\"}"), std::string::npos);
  EXPECT_NE(text.find("trustmon_http_fast_requests_total{worker=\"0\"}"), std::string::npos);
  std::uint64_t accepted = 0;
  for (unsigned i = 0; i < server_->worker_count(); ++i) accepted += server_->worker(i).counters().connections.load();
  EXPECT_EQ(accepted, 8u);
  EXPECT_EQ(fast_count(), 8u);
}

// A fast-path request gets the access-log line an evhttp one gets (Request::log_access).
TEST(FastPathLog, TheAccessLogLineIsTheEvhttpOne) {
  const std::string path = "/tmp/trustmon-fastpath-access-" + std::to_string(::getpid()) + ".log";
  std::filesystem::remove(path);
  LogOptions lo;
  lo.level = "warn";
  lo.access_file = path;
  ASSERT_TRUE(init_logging(lo).ok());
  for (bool use_fast : {true, false}) {
    ServerOptions o = options(use_fast);
    o.access_log = true;
    Server server(o, fast_routes());
    ASSERT_TRUE(server.start().ok());
    std::thread runner([&] { server.run(); });
    Client c(server.port());
    ASSERT_TRUE(c.request("POST", "/ocsp", use_fast ? "fast" : "slow"));
    server.stop();
    runner.join();
  }
  flush_access_log();
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  lo.access_file = "off";
  ASSERT_TRUE(init_logging(lo).ok());
  std::filesystem::remove(path);
  // Same fields in the same order; only the body size differs (answer:fast / answer:slow).
  EXPECT_NE(text.find("method=POST path=/ocsp status=200 bytes=11 us="), std::string::npos) << text;
  EXPECT_NE(text.find(" peer=127.0.0.1 ocsp=cache\n"), std::string::npos) << text;
  std::size_t lines = 0, matching = 0;
  for (std::size_t at = 0; (at = text.find('\n', at)) != std::string::npos; ++at) ++lines;
  for (std::size_t at = 0; (at = text.find("method=POST path=/ocsp status=200 bytes=11 us=", at)) != std::string::npos; ++at)
    ++matching;
  EXPECT_EQ(lines, 2u) << text;
  EXPECT_EQ(matching, 2u) << text;
}

}  // namespace
}  // namespace trustmon::http
