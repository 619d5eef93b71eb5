// Webhook POSTs over https:// (webhook.cpp on libcurl) to a TLS receiver in this test,
// listening on loopback with a throw-away CA and server certificate made by the openssl
// command: the body and the signature header arrive when the CA file names that CA, and
// nothing is delivered when it names another CA. Also plain http:// over IPv6 loopback.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "responder/watch/webhook.hpp"

namespace trustmon::watch {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct SslCtxDeleter {
  void operator()(SSL_CTX* c) const noexcept { SSL_CTX_free(c); }
};
struct SslDeleter {
  void operator()(SSL* s) const noexcept { SSL_free(s); }
};

// A scratch folder with a CA, a server certificate for 127.0.0.1 and ::1 issued by it, and
// an unrelated CA, all made with the openssl command.
class Pki {
 public:
  Pki() {
    std::string tmpl = (fs::temp_directory_path() / "trustmon-webhook-XXXXXX").string();
    if (char* made = ::mkdtemp(tmpl.data())) dir_ = made;
    std::ofstream(dir_ + "/ext.cnf") << "subjectAltName = IP:127.0.0.1, IP:::1\n"
                                        "extendedKeyUsage = serverAuth\n";
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    ok_ = run("openssl req -x509" + ec + " -keyout " + path("ca.key") + " -out " + ca() +
              " -days 2 -subj /CN=webhook-test-ca") &&
          run("openssl req -x509" + ec + " -keyout " + path("other.key") + " -out " + other_ca() +
              " -days 2 -subj /CN=webhook-other-ca") &&
          run("openssl req" + ec + " -keyout " + key() + " -out " + path("server.csr") + " -subj /CN=127.0.0.1") &&
          run("openssl x509 -req -in " + path("server.csr") + " -CA " + ca() + " -CAkey " + path("ca.key") +
              " -set_serial 7 -days 2 -extfile " + path("ext.cnf") + " -out " + cert());
  }
  ~Pki() {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  bool ok() const { return ok_; }
  std::string ca() const { return path("ca.pem"); }
  std::string other_ca() const { return path("other.pem"); }
  std::string cert() const { return path("server.pem"); }
  std::string key() const { return path("server.key"); }

 private:
  std::string path(const char* name) const { return dir_ + "/" + name; }
  static bool run(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()) == 0; }
  std::string dir_;
  bool ok_ = false;
};

// A one-connection-at-a-time HTTP/1.1 receiver on loopback (TLS when given a certificate),
// answering 200 to every complete request and recording it.
class Receiver {
 public:
  struct Hit {
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
  };

  Receiver(int family, const std::string& cert, const std::string& key) {
    if (!cert.empty()) {
      ctx_.reset(SSL_CTX_new(TLS_server_method()));
      if (!ctx_ || SSL_CTX_use_certificate_chain_file(ctx_.get(), cert.c_str()) != 1 ||
          SSL_CTX_use_PrivateKey_file(ctx_.get(), key.c_str(), SSL_FILETYPE_PEM) != 1)
        return;
    }
    fd_ = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (family == AF_INET6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_loopback;
      len = sizeof *a;
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof *a;
    }
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd_, 16) != 0) return;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    port_ = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                     : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~Receiver() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  bool listening() const { return port_ != 0; }
  std::uint16_t port() const { return port_; }
  std::vector<Hit> hits() const {
    std::lock_guard<std::mutex> lock(mu_);
    return hits_;
  }
  std::atomic<int> answer{200};  // the status of every reply (with a Location header)

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      const timeval tv{2, 0};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      serve(c);
      ::close(c);
    }
  }
  void serve(int c) {
    std::unique_ptr<SSL, SslDeleter> ssl;
    if (ctx_) {
      ssl.reset(SSL_new(ctx_.get()));
      if (!ssl || SSL_set_fd(ssl.get(), c) != 1 || SSL_accept(ssl.get()) != 1) {
        ERR_clear_error();  // e.g. the client refused our certificate
        return;
      }
    }
    auto read_some = [&](char* buf, int size) {
      return ssl ? SSL_read(ssl.get(), buf, size) : static_cast<int>(::recv(c, buf, static_cast<std::size_t>(size), 0));
    };
    std::string in;
    char buf[4096];
    std::size_t need = std::string::npos;
    while (in.size() < need) {
      const int n = read_some(buf, sizeof buf);
      if (n <= 0) return;
      in.append(buf, static_cast<std::size_t>(n));
      const std::size_t end = in.find("\r\n\r\n");
      if (end == std::string::npos || need != std::string::npos) continue;
      need = end + 4;
      const std::size_t cl = in.find("Content-Length: ");
      if (cl != std::string::npos && cl < end) need += std::stoul(in.substr(cl + 16));
    }
    Hit hit;
    const std::size_t end = in.find("\r\n\r\n");
    for (std::size_t pos = in.find("\r\n") + 2; pos < end;) {
      const std::size_t eol = in.find("\r\n", pos);
      const std::string line = in.substr(pos, eol - pos);
      if (const std::size_t colon = line.find(':'); colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        hit.headers[name] = line.substr(colon + 2);
      }
      pos = eol + 2;
    }
    hit.body = in.substr(end + 4);
    {
      std::lock_guard<std::mutex> lock(mu_);
      hits_.push_back(std::move(hit));
    }
    const std::string reply = "HTTP/1.1 " + std::to_string(answer.load()) +
                              " X\r\nLocation: /elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    if (ssl) {
      SSL_write(ssl.get(), reply.data(), static_cast<int>(reply.size()));
      SSL_shutdown(ssl.get());
    } else {
      ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
    }
  }

  std::unique_ptr<SSL_CTX, SslCtxDeleter> ctx_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<Hit> hits_;
};

std::vector<PostHeader> signed_headers(std::string_view body) {
  return {{"X-Trustmon-Signature", signature_header(as_bytes("secret"), body)}, {"Idempotency-Key", "7-1"}};
}

TEST(WebhookTls, DeliversToAReceiverTrustedThroughTheCaFile) {
  Pki pki;
  ASSERT_TRUE(pki.ok()) << "the openssl command failed";
  Receiver receiver(AF_INET, pki.cert(), pki.key());
  ASSERT_TRUE(receiver.listening());
  auto url = parse_http_url("https://127.0.0.1:" + std::to_string(receiver.port()) + "/hooks/tls?x=1");
  ASSERT_TRUE(url.ok()) << url.error().message;
  EXPECT_TRUE(url->tls);
  const std::string body = R"({"type":"watch.test","seq":0})";
  // Proxies named by the environment are not used.
  ::setenv("https_proxy", "http://127.0.0.1:9", 1);
  ::setenv("HTTPS_PROXY", "http://127.0.0.1:9", 1);
  PostResult r = http_post(*url, signed_headers(body), body, 5000ms, pki.ca());
  ::unsetenv("https_proxy");
  ::unsetenv("HTTPS_PROXY");
  EXPECT_TRUE(r.delivered()) << r.error;
  EXPECT_EQ(r.status, 200);
  auto hits = receiver.hits();
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].body, body);
  EXPECT_EQ(hits[0].headers["x-trustmon-signature"], signature_header(as_bytes("secret"), body));
  EXPECT_EQ(hits[0].headers["idempotency-key"], "7-1");
  EXPECT_EQ(hits[0].headers["content-type"], "application/json");
  EXPECT_EQ(hits[0].headers["user-agent"], "trustmon-webhook");
  EXPECT_EQ(hits[0].headers.count("expect"), 0u);
}

TEST(WebhookTls, AnotherCaIsNotTrusted) {
  Pki pki;
  ASSERT_TRUE(pki.ok()) << "the openssl command failed";
  Receiver receiver(AF_INET, pki.cert(), pki.key());
  ASSERT_TRUE(receiver.listening());
  auto url = parse_http_url("https://127.0.0.1:" + std::to_string(receiver.port()) + "/hook");
  ASSERT_TRUE(url.ok());
  for (const std::string& ca : {pki.other_ca(), std::string()}) {  // a wrong CA file; the system store
    PostResult r = http_post(*url, signed_headers("{}"), "{}", 5000ms, ca);
    EXPECT_FALSE(r.delivered()) << ca;
    EXPECT_EQ(r.status, 0) << ca;
    EXPECT_FALSE(r.error.empty()) << ca;
  }
  EXPECT_TRUE(receiver.hits().empty());
}

TEST(WebhookTls, RedirectsAreNotFollowed) {
  Pki pki;
  ASSERT_TRUE(pki.ok()) << "the openssl command failed";
  Receiver receiver(AF_INET, pki.cert(), pki.key());
  ASSERT_TRUE(receiver.listening());
  receiver.answer = 307;
  auto url = parse_http_url("https://127.0.0.1:" + std::to_string(receiver.port()) + "/hook");
  ASSERT_TRUE(url.ok());
  PostResult r = http_post(*url, signed_headers("{}"), "{}", 5000ms, pki.ca());
  EXPECT_FALSE(r.delivered());
  EXPECT_EQ(r.status, 307);
  EXPECT_EQ(receiver.hits().size(), 1u);
}

TEST(WebhookTls, PlainHttpOverIpv6Loopback) {
  Receiver receiver(AF_INET6, "", "");
  if (!receiver.listening()) GTEST_SKIP() << "no IPv6 loopback here";
  auto url = parse_http_url("http://[::1]:" + std::to_string(receiver.port()) + "/v6");
  ASSERT_TRUE(url.ok()) << url.error().message;
  PostResult r = http_post(*url, signed_headers("[1]"), "[1]", 5000ms);
  EXPECT_TRUE(r.delivered()) << r.error;
  auto hits = receiver.hits();
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].body, "[1]");
  EXPECT_EQ(hits[0].headers["host"], "[::1]:" + std::to_string(receiver.port()));
}

}  // namespace
}  // namespace trustmon::watch
