// Webhook delivery pieces: the body signature (HMAC-SHA256 with the watch's secret), the
// retry schedule (exponential backoff with a cap and jitter), and a blocking HTTP/1.1 POST
// client on libcurl (URL parsing, name resolution, IPv4/IPv6, TLS).
//
// Policy:
//  * http:// and https:// URLs only (host, optional port, path and query; no user
//    information), at most kMaxUrlLength characters; libcurl is limited to those two
//    protocols, follows no redirects and uses no proxy (the environment's proxy
//    variables are ignored);
//  * https:// receivers are verified (certificate chain and host name, TLS 1.2 or later)
//    against `ca_file` when one is given (then only it), else the system trust store;
//  * one connection per request (Connection: close), HTTP/1.1, no Expect: 100-continue,
//    with one deadline over the whole exchange (resolve, connect, TLS handshake, send,
//    response headers); the response is read up to the end of its header block and at
//    most kMaxResponseBytes, the body is never read;
//  * any 2xx status is a delivery; everything else (other statuses, refused connection,
//    timeout, TLS failure, malformed response) is a failure with a short reason for
//    last_error.
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

inline constexpr std::size_t kMaxUrlLength = 2048;

struct HttpUrl {
  bool tls = false;          // https://
  std::string host;          // an IPv6 address without its brackets
  std::uint16_t port = 80;   // 80 or 443 when the URL names none
  std::string target = "/";  // path and query
  std::string text;          // the URL as libcurl parsed it, without the fragment
};
// Errors: "url_invalid" (not http:// or https://, no host, bad port, user information,
// spaces or control characters, longer than kMaxUrlLength).
Result<HttpUrl> parse_http_url(std::string_view url);

struct PostHeader {
  std::string name;
  std::string value;
};

struct PostResult {
  int status = 0;  // HTTP status; 0 when the exchange failed
  std::string error;  // "" when a status was read
  bool delivered() const noexcept { return status >= 200 && status < 300; }
  // Why it was not delivered ("" when it was): the exchange's error, else the status.
  std::string failure() const { return delivered() ? std::string() : error.empty() ? "HTTP status " + std::to_string(status) : error; }
};

inline constexpr std::size_t kMaxResponseBytes = 64 * 1024;

// POSTs `body` as application/json. Headers whose name or value holds CR, LF or NUL are
// dropped. `ca_file` (PEM) replaces the system trust store for https:// when not empty.
// Never throws; transport failures are in `error`.
PostResult http_post(const HttpUrl& url, const std::vector<PostHeader>& headers, std::string_view body,
                     std::chrono::milliseconds timeout, const std::string& ca_file = {});

}  // namespace trustmon::watch
