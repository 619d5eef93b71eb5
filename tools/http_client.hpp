// A small blocking HTTP/1.1 client for trustmonctl over libevent's evhttp client API.
//
// Policy: one connection per client, kept alive between requests so a batch import
// reuses it; every request has a timeout; only http:// URLs for now. Transport
// failures (connection refused, timeout, reset, malformed reply) are Errors with a
// stable code; any HTTP status, 4xx and 5xx included, is a response, not an error.
// Commands are written against the one-method HttpTransport interface so tests can
// drive them with a fake.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/result.hpp"

struct event_base;
struct evhttp_connection;

namespace trustmon::tools {

struct HttpHeader {
  std::string name;
  std::string value;
};

struct HttpRequest {
  std::string method = "GET";  // GET, POST, PUT, DELETE, HEAD
  std::string target;          // path and query, e.g. "/api/v1/certificates"
  std::vector<HttpHeader> headers;
  std::string body;
  // First header with this name (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const;
};

struct HttpResponse {
  int status = 0;
  std::vector<HttpHeader> headers;
  std::string body;
  // First header with this name (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

struct HttpClientOptions {
  std::string base_url = "http://127.0.0.1:8080";  // a path in it prefixes every target
  std::string bearer_token;                         // "" = no Authorization header
  int timeout_seconds = 120;                        // connect, and each read or write
  std::size_t max_response_bytes = std::size_t{256} << 20;
};

// Error codes: "url_invalid", "connection_failed", "http_timeout", "http_failed".
class HttpClient final : public HttpTransport {
 public:
  // Parses the URL and prepares the connection; nothing is sent until send().
  static Result<std::unique_ptr<HttpClient>> create(const HttpClientOptions& options);
  ~HttpClient() override = default;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Result<HttpResponse> send(const HttpRequest& request) override;

  const std::string& host() const noexcept { return host_; }
  int port() const noexcept { return port_; }

 private:
  HttpClient() = default;
  Result<HttpResponse> send_once(const HttpRequest& request, bool* retryable);

  HttpClientOptions options_;
  std::string host_;         // for connecting (IPv6 without brackets)
  std::string host_header_;  // as written in the URL, with the port when not 80
  int port_ = 80;
  std::string path_prefix_;  // base URL path without a trailing '/'
  struct EventBaseDeleter {
    void operator()(event_base* b) const noexcept;
  };
  struct ConnectionDeleter {
    void operator()(evhttp_connection* c) const noexcept;
  };
  Status open_connection();

  // Declared base first: the connection must be freed before its event_base.
  std::unique_ptr<event_base, EventBaseDeleter> base_;
  std::unique_ptr<evhttp_connection, ConnectionDeleter> conn_;
  bool used_ = false;  // a request completed on the current connection
};

// Reads a bearer token from a file and trims surrounding whitespace ("token_invalid"
// when empty, "file_unreadable"). The token is never printed.
Result<std::string> read_token_file(const std::string& path);

// POSTs `body` as JSON to `target` and returns the parsed reply. A non-2xx status
// becomes an Error with the server's {"error":{"code","message"}} (code "http_<status>"
// when the body has none); a reply that is not JSON is "bad_response".
Result<nlohmann::json> post_json(HttpTransport& http, const std::string& target, const nlohmann::json& body);
// A request that accepts JSON and, with `body`, sends it (application/json; invalid UTF-8
// replaced).
HttpRequest json_request(const std::string& method, const std::string& target, const std::optional<nlohmann::json>& body);
// Same as post_json for any method; `body` nullopt sends none.
Result<nlohmann::json> request_json(HttpTransport& http, const std::string& method, const std::string& target,
                                    const std::optional<nlohmann::json>& body);
// Sends `request` (any body, e.g. a PEM bundle) and reads the reply as post_json does
// (the same errors); the request can be sent again, e.g. after a rate_limited reply.
Result<nlohmann::json> exchange_json(HttpTransport& http, const HttpRequest& request);

}  // namespace trustmon::tools
