// Webhook delivery pieces: the body signature (HMAC-SHA256 with the watch's secret), the
// retry schedule (exponential backoff with a cap and jitter), and a small blocking
// HTTP/1.1 POST client.
//
// Policy:
//  * only http:// URLs (host, optional port, path); no TLS, no redirects, no proxies.
//    A receiver that needs TLS sits behind a local terminating proxy;
//  * one connection per request (Connection: close), with a deadline over the whole
//    exchange (connect, send, read) enforced with poll(); the response is read up to
//    its header block and at most kMaxResponseBytes, the body is ignored;
//  * any 2xx status is a delivery; everything else (other statuses, refused connection,
//    timeout, malformed response) is a failure with a short reason for last_error.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace trustmon::watch {

// Lower-case hex of HMAC-SHA256(key, body).
std::string hmac_sha256_hex(ByteView key, std::string_view body);
// "sha256=<hex>": the X-Trustmon-Signature header value.
std::string signature_header(ByteView key, std::string_view body);

struct BackoffPolicy {
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds cap{std::chrono::minutes(5)};
};
// The wait before retry number `failures` (1 = after the first failure):
// min(cap, initial * 2^(failures-1)), then "equal jitter": half of it fixed and half
// scaled by `unit_random` in [0, 1), so retries of many watches spread out.
std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, std::uint32_t failures, double unit_random);

struct HttpUrl {
  std::string host;
  std::uint16_t port = 80;
  std::string target = "/";  // path and query
};
// Errors: "url_invalid" (not http://, no host, bad port, spaces or control characters).
Result<HttpUrl> parse_http_url(std::string_view url);

struct PostHeader {
  std::string name;
  std::string value;
};

struct PostResult {
  int status = 0;  // HTTP status; 0 when the exchange failed
  std::string error;  // "" when a status was read
  bool delivered() const noexcept { return status >= 200 && status < 300; }
};

inline constexpr std::size_t kMaxResponseBytes = 64 * 1024;

// POSTs `body` as application/json. Never throws; transport failures are in `error`.
PostResult http_post(const HttpUrl& url, const std::vector<PostHeader>& headers, std::string_view body,
                     std::chrono::milliseconds timeout);

}  // namespace trustmon::watch
