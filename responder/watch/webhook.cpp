#include "responder/watch/webhook.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <utility>

namespace trustmon::watch {
namespace {

using Clock = std::chrono::steady_clock;

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

struct AddrInfoDeleter {
  void operator()(addrinfo* a) const noexcept { freeaddrinfo(a); }
};

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 60000));
}

// Waits for `events` on fd until the deadline; false on timeout or error.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const int ms = remaining_ms(deadline);
    if (ms == 0) return false;
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, ms);
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

// Connects to the first address that answers before the deadline; -1 with `error`.
int connect_to(const HttpUrl& url, Clock::time_point deadline, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  const std::string port = std::to_string(url.port);
  if (int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &raw); rc != 0) {
    error = std::string("cannot resolve host: ") + gai_strerror(rc);
    return -1;
  }
  std::unique_ptr<addrinfo, AddrInfoDeleter> list(raw);
  error = "connection failed";
  for (addrinfo* a = list.get(); a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    Socket guard(fd);
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno != EINPROGRESS) {
      error = std::string("connect: ") + std::strerror(errno);
      continue;
    }
    if (rc != 0) {
      if (!wait_for(fd, POLLOUT, deadline)) {
        error = "connect timed out";
        continue;
      }
      int so_error = 0;
      socklen_t len = sizeof so_error;
      if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0 || so_error != 0) {
        error = std::string("connect: ") + std::strerror(so_error ? so_error : errno);
        continue;
      }
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return guard.release();
  }
  return -1;
}

bool valid_header_text(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

}  // namespace

std::string hmac_sha256_hex(ByteView key, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(body.data()),
           body.size(), mac, &len) == nullptr)
    return std::string();
  return hex_encode(ByteView(mac, len));
}

std::string signature_header(ByteView key, std::string_view body) { return "sha256=" + hmac_sha256_hex(key, body); }

std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, std::uint32_t failures, double unit_random) {
  if (failures == 0) return std::chrono::milliseconds(0);
  const double initial = static_cast<double>(policy.initial.count());
  const double cap = static_cast<double>(policy.cap.count());
  const double exponent = std::min<double>(failures - 1, 62);
  const double full = std::min(cap, initial * std::pow(2.0, exponent));
  const double r = std::clamp(unit_random, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(full / 2 + full / 2 * r));
}

Result<HttpUrl> parse_http_url(std::string_view url) {
  auto invalid = [](const char* why) { return make_error(ErrorKind::invalid, "url_invalid", std::string("webhook URL: ") + why); };
  constexpr std::string_view kScheme = "http://";
  if (url.size() > 2048) return invalid("longer than 2048 characters");
  if (url.size() < kScheme.size() || url.substr(0, kScheme.size()) != kScheme)
    return invalid("only http:// URLs are supported");
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return invalid("spaces or control characters");
  std::string_view rest = url.substr(kScheme.size());
  const std::size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  HttpUrl out;
  if (slash != std::string_view::npos) {
    std::string_view target = rest.substr(slash);
    if (const std::size_t hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
    out.target = target.empty() ? "/" : std::string(target);
    if (out.target[0] == '?') out.target = "/" + out.target;
  }
  if (authority.find('@') != std::string_view::npos) return invalid("user information is not allowed");
  std::string_view host = authority;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid("malformed IPv6 address");
    host = authority.substr(1, close - 1);
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() != ':') return invalid("malformed host");
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    authority.remove_prefix(colon);
  } else {
    authority = {};
  }
  if (host.empty()) return invalid("no host");
  if (!authority.empty()) {
    std::string_view port = authority.substr(1);
    unsigned v = 0;
    auto r = std::from_chars(port.data(), port.data() + port.size(), v);
    if (port.empty() || r.ec != std::errc() || r.ptr != port.data() + port.size() || v == 0 || v > 65535)
      return invalid("bad port");
    out.port = static_cast<std::uint16_t>(v);
  }
  out.host = std::string(host);
  return out;
}

PostResult http_post(const HttpUrl& url, const std::vector<PostHeader>& headers, std::string_view body,
                     std::chrono::milliseconds timeout) {
  PostResult result;
  const auto deadline = Clock::now() + timeout;
  std::string error;
  const int fd = connect_to(url, deadline, error);
  if (fd < 0) {
    result.error = error;
    return result;
  }
  Socket sock(fd);
  std::string request;
  request.reserve(512 + body.size());
  request += "POST " + url.target + " HTTP/1.1\r\nHost: " + url.host;
  if (url.port != 80) request += ":" + std::to_string(url.port);
  request += "\r\nUser-Agent: trustmon-webhook\r\nContent-Type: application/json\r\nConnection: close\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  for (const auto& h : headers) {
    if (!valid_header_text(h.name) || !valid_header_text(h.value)) continue;
    request += h.name + ": " + h.value + "\r\n";
  }
  request += "\r\n";
  request.append(body);

  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(fd, POLLOUT, deadline)) {
        result.error = "send timed out";
        return result;
      }
      continue;
    }
    result.error = std::string("send: ") + std::strerror(errno);
    return result;
  }

  // Read until the status line and header block are complete (the body is not needed).
  std::string response;
  char buf[4096];
  while (response.find("\r\n\r\n") == std::string::npos && response.size() < kMaxResponseBytes) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      response.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!wait_for(fd, POLLIN, deadline)) {
        result.error = "response timed out";
        return result;
      }
      continue;
    }
    result.error = std::string("recv: ") + std::strerror(errno);
    return result;
  }
  // "HTTP/1.x SSS ..."
  if (response.size() < 12 || response.compare(0, 7, "HTTP/1.") != 0 || response[8] != ' ') {
    result.error = response.empty() ? "connection closed without a response" : "malformed response";
    return result;
  }
  int status = 0;
  auto r = std::from_chars(response.data() + 9, response.data() + 12, status);
  if (r.ec != std::errc() || r.ptr != response.data() + 12 || status < 100) {
    result.error = "malformed status line";
    return result;
  }
  result.status = status;
  return result;
}

}  // namespace trustmon::watch
