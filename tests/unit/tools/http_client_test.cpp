// HttpClient against a tiny canned HTTP/1.1 server on 127.0.0.1 (a raw socket thread):
// status, headers and body come back, the connection is reused, closed connections
// are re-opened, and transport failures are clean errors.
#include "tools/http_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/ossl.hpp"
#include "tests/support/scratch_dir.hpp"

namespace trustmon::tools {
namespace {

// One connection at a time; every request gets the next canned reply (the last one
// repeats). After a reply, `close_after_reply` makes the server drop the connection
// without saying so (a kept-alive connection that died while idle); `silent` makes it
// never answer.
class CannedServer {
 public:
  explicit CannedServer(std::vector<std::string> replies) : replies_(std::move(replies)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 8);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~CannedServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_; }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  bool close_after_reply = false;
  bool silent = false;

 private:
  bool wait_readable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      int rc = ::poll(&p, 1, 20);
      if (rc > 0) return true;
      if (rc < 0) return false;
    }
    return false;
  }

  void loop() {
    while (wait_readable(fd_)) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      ++connections_;
      serve(c);
      ::close(c);
    }
  }

  void serve(int c) {
    std::string buf;
    for (;;) {
      // Read one request: headers, then Content-Length bytes of body.
      std::size_t header_end;
      while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (!read_more(c, buf)) return;
      }
      std::size_t body_len = 0;
      std::string head = buf.substr(0, header_end);
      for (std::string key : {"Content-Length: ", "content-length: "}) {
        auto p = head.find(key);
        if (p != std::string::npos) body_len = std::stoul(head.substr(p + key.size()));
      }
      while (buf.size() < header_end + 4 + body_len) {
        if (!read_more(c, buf)) return;
      }
      std::string request = buf.substr(0, header_end + 4 + body_len);
      buf.erase(0, request.size());
      std::string reply;
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(request);
        reply = replies_[std::min(requests_.size() - 1, replies_.size() - 1)];
      }
      if (silent) {
        while (read_more(c, buf)) {
        }
        return;
      }
      std::size_t off = 0;
      while (off < reply.size()) {
        ssize_t n = ::send(c, reply.data() + off, reply.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return;
        off += static_cast<std::size_t>(n);
      }
      if (close_after_reply || reply.find("Connection: close") != std::string::npos) return;
    }
  }

  bool read_more(int c, std::string& buf) {
    if (!wait_readable(c)) return false;
    char tmp[4096];
    ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf.append(tmp, static_cast<std::size_t>(n));
    return true;
  }

  std::vector<std::string> replies_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

std::string reply(int status, const std::string& reason, const std::string& body, const std::string& extra = "") {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Type: application/json\r\n" + extra +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::unique_ptr<HttpClient> client_for(const std::string& url, const std::string& token = "", int timeout = 10) {
  HttpClientOptions o;
  o.base_url = url;
  o.bearer_token = token;
  o.timeout_seconds = timeout;
  auto c = HttpClient::create(o);
  EXPECT_TRUE(c.ok()) << c.error().message;
  return c.ok() ? std::move(*c) : nullptr;
}

TEST(HttpClient, ReturnsStatusHeadersAndBody) {
  CannedServer server({reply(201, "Created", "{\"ok\":true}", "X-Test: yes\r\n")});
  auto c = client_for(server.url(), "tm_secret");
  ASSERT_NE(c, nullptr);
  HttpRequest req;
  req.method = "POST";
  req.target = "/api/v1/certificates";
  req.headers = {{"Content-Type", "application/json"}};
  req.body = "{\"certificates\":[]}";
  auto r = c->send(req);
  ASSERT_TRUE(r.ok()) << r.error().code << ": " << r.error().message;
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "{\"ok\":true}");
  ASSERT_NE(r->header("x-test"), nullptr);
  EXPECT_EQ(*r->header("X-TEST"), "yes");
  EXPECT_EQ(r->header("x-missing"), nullptr);

  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].rfind("POST /api/v1/certificates HTTP/1.1\r\n", 0), 0u) << reqs[0];
  EXPECT_NE(reqs[0].find("Authorization: Bearer tm_secret\r\n"), std::string::npos);
  EXPECT_NE(reqs[0].find("Host: 127.0.0.1:" + std::to_string(server.port()) + "\r\n"), std::string::npos);
  EXPECT_NE(reqs[0].find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_EQ(reqs[0].substr(reqs[0].size() - req.body.size()), req.body);
}

TEST(HttpClient, ErrorStatusesAreResponsesNotErrors) {
  CannedServer server({reply(503, "Service Unavailable", "{\"error\":{\"code\":\"busy\",\"message\":\"later\"}}")});
  auto c = client_for(server.url());
  ASSERT_NE(c, nullptr);
  HttpRequest req;
  req.target = "/healthz";
  auto r = c->send(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].find("Authorization:"), std::string::npos);  // no token, no header
}

TEST(HttpClient, ReusesTheConnectionForBatches) {
  CannedServer server({reply(200, "OK", "{}")});
  auto c = client_for(server.url());
  ASSERT_NE(c, nullptr);
  for (int i = 0; i < 5; ++i) {
    HttpRequest req;
    req.method = "POST";
    req.target = "/x";
    req.body = std::string(100000, 'a');  // bigger than one socket read
    auto r = c->send(req);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(server.requests().size(), 5u);
  EXPECT_EQ(server.connections(), 1);
}

TEST(HttpClient, ReconnectsWhenTheServerClosesTheConnection) {
  CannedServer server({reply(200, "OK", "{\"n\":1}", "Connection: close\r\n")});
  auto c = client_for(server.url());
  ASSERT_NE(c, nullptr);
  HttpRequest req;
  req.target = "/healthz";
  for (int i = 0; i < 3; ++i) {
    auto r = c->send(req);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->body, "{\"n\":1}");
  }
  EXPECT_EQ(server.connections(), 3);
}

TEST(HttpClient, RetriesOnceWhenAKeptAliveConnectionDiedSilently) {
  CannedServer server({reply(200, "OK", "{}")});
  server.close_after_reply = true;  // keep-alive promised, then dropped
  auto c = client_for(server.url());
  ASSERT_NE(c, nullptr);
  HttpRequest req;
  req.target = "/healthz";
  for (int i = 0; i < 3; ++i) {
    auto r = c->send(req);
    ASSERT_TRUE(r.ok()) << i << ": " << r.error().message;
  }
  EXPECT_EQ(server.connections(), 3);
}

TEST(HttpClient, PathOfTheBaseUrlPrefixesTargets) {
  CannedServer server({reply(200, "OK", "{}")});
  auto c = client_for(server.url() + "/trustmon/");
  ASSERT_NE(c, nullptr);
  HttpRequest req;
  req.target = "/healthz";
  ASSERT_TRUE(c->send(req).ok());
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].rfind("GET /trustmon/healthz HTTP/1.1\r\n", 0), 0u) << reqs[0];
}

TEST(HttpClient, ConnectionRefusedIsACleanError) {
  // A port that was just free: bind, read it, close.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(fd);

  auto c = client_for("http://127.0.0.1:" + std::to_string(port));
  ASSERT_NE(c, nullptr);
  HttpRequest req;
  req.target = "/healthz";
  for (int i = 0; i < 2; ++i) {  // and the client stays usable after a failure
    auto r = c->send(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "connection_failed");
    EXPECT_NE(r.error().message.find("refused"), std::string::npos) << r.error().message;
  }
}

TEST(HttpClient, SilentServerTimesOut) {
  CannedServer server({reply(200, "OK", "{}")});
  server.silent = true;
  auto c = client_for(server.url(), "", 1);
  ASSERT_NE(c, nullptr);
  HttpRequest req;
  req.target = "/healthz";
  auto r = c->send(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "http_timeout");
}

TEST(HttpClient, RejectsUnsupportedUrlsAndRequests) {
  for (const char* url : {"https://127.0.0.1:8443", "ftp://x", "not a url", "http://", "http://h/p?q=1"}) {
    HttpClientOptions o;
    o.base_url = url;
    auto c = HttpClient::create(o);
    ASSERT_FALSE(c.ok()) << url;
    EXPECT_EQ(c.error().code, "url_invalid") << url;
  }
  HttpClientOptions o;
  o.base_url = "http://127.0.0.1:1";
  o.bearer_token = "a\r\nX-Evil: 1";
  auto c = HttpClient::create(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "token_invalid");

  auto ok = client_for("http://127.0.0.1:1");
  ASSERT_NE(ok, nullptr);
  HttpRequest bad;
  bad.target = "relative";
  EXPECT_FALSE(ok->send(bad).ok());
  bad.target = "/x";
  bad.method = "BREW";
  EXPECT_FALSE(ok->send(bad).ok());
}

TEST(PostJson, ParsesSuccessAndMapsErrorBodies) {
  CannedServer server({reply(200, "OK", "{\"stored\":1}"),
                       reply(401, "Unauthorized", "{\"error\":{\"code\":\"unauthorized\",\"message\":\"bad token\"}}"),
                       reply(500, "Internal Server Error", "oops"), reply(200, "OK", "not json")});
  auto c = client_for(server.url());
  ASSERT_NE(c, nullptr);
  auto a = post_json(*c, "/api/v1/certificates", {{"certificates", nlohmann::json::array()}});
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ((*a)["stored"], 1);
  auto b = post_json(*c, "/api/v1/certificates", nlohmann::json::object());
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, "unauthorized");
  EXPECT_NE(b.error().message.find("401"), std::string::npos);
  EXPECT_NE(b.error().message.find("bad token"), std::string::npos);
  auto d = post_json(*c, "/x", nlohmann::json::object());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, "http_500");
  auto e = post_json(*c, "/x", nlohmann::json::object());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, "bad_response");
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_NE(reqs[0].find("{\"certificates\":[]}"), std::string::npos);
}

TEST(TokenFile, IsTrimmedAndMustNotBeEmpty) {
  ScratchDir dir;
  std::string path = dir / "token";
  ASSERT_TRUE(write_file(path, "  tm_abc\n\n", 0600).ok());
  auto t = read_token_file(path);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "tm_abc");
  ASSERT_TRUE(write_file(path, " \n", 0600).ok());
  t = read_token_file(path);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, "token_invalid");
  ASSERT_TRUE(write_file(path, "a\nb", 0600).ok());
  EXPECT_FALSE(read_token_file(path).ok());
  EXPECT_FALSE(read_token_file(dir / "missing").ok());
}

}  // namespace
}  // namespace trustmon::tools
