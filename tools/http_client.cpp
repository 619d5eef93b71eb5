// Blocking HTTP/1.1 client: each send() queues one evhttp request on the kept-alive
// connection and runs the client's own event_base until the request's callback breaks
// the loop. libevent callbacks are noexcept trampolines that only copy data out.
#include "tools/http_client.hpp"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/ossl.hpp"

namespace trustmon::tools {
namespace {

struct EvhttpUriDeleter {
  void operator()(evhttp_uri* u) const noexcept { evhttp_uri_free(u); }
};
using EvhttpUriPtr = std::unique_ptr<evhttp_uri, EvhttpUriDeleter>;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::optional<evhttp_cmd_type> method_type(std::string_view m) {
  if (m == "GET") return EVHTTP_REQ_GET;
  if (m == "POST") return EVHTTP_REQ_POST;
  if (m == "PUT") return EVHTTP_REQ_PUT;
  if (m == "DELETE") return EVHTTP_REQ_DELETE;
  if (m == "HEAD") return EVHTTP_REQ_HEAD;
  if (m == "PATCH") return EVHTTP_REQ_PATCH;
  return std::nullopt;
}

// Header values must not smuggle a line break into the request.
bool header_safe(std::string_view s) {
  return s.find_first_of("\r\n") == std::string_view::npos;
}

// State of one request, shared with the callbacks through the void* argument.
struct Pending {
  event_base* base = nullptr;
  bool done = false;
  bool copy_failed = false;
  bool no_status = false;  // done with a request but no response: see on_request_done
  std::optional<evhttp_request_error> error;
  int saved_errno = 0;
  HttpResponse response;
};

void on_request_error(evhttp_request_error error, void* arg) noexcept {
  auto* p = static_cast<Pending*>(arg);
  p->error = error;
  p->saved_errno = EVUTIL_SOCKET_ERROR();
}

void on_request_done(evhttp_request* req, void* arg) noexcept {
  auto* p = static_cast<Pending*>(arg);
  p->done = true;
  // A null request, or one without a status, is how evhttp reports a failed exchange;
  // the error callback, if any, said why. libevent 2.1 reports a refused connect
  // differently from other failures: the request itself, without a status and without
  // the error callback (and errno is already overwritten by then).
  if (req != nullptr && evhttp_request_get_response_code(req) == 0) p->no_status = true;
  if (req != nullptr && evhttp_request_get_response_code(req) != 0) {
    try {
      p->response.status = evhttp_request_get_response_code(req);
      evkeyvalq* headers = evhttp_request_get_input_headers(req);
      for (evkeyval* kv = headers->tqh_first; kv != nullptr; kv = kv->next.tqe_next)
        p->response.headers.push_back(HttpHeader{kv->key, kv->value});
      evbuffer* in = evhttp_request_get_input_buffer(req);
      std::size_t n = evbuffer_get_length(in);
      p->response.body.resize(n);
      if (n > 0 && evbuffer_copyout(in, p->response.body.data(), n) != static_cast<ev_ssize_t>(n))
        p->copy_failed = true;
    } catch (...) {
      p->copy_failed = true;
    }
  }
  event_base_loopbreak(p->base);
}

}  // namespace

namespace {

const std::string* find_header(const std::vector<HttpHeader>& headers, std::string_view name) {
  for (const auto& h : headers)
    if (iequals(h.name, name)) return &h.value;
  return nullptr;
}

}  // namespace

const std::string* HttpRequest::header(std::string_view name) const { return find_header(headers, name); }
const std::string* HttpResponse::header(std::string_view name) const { return find_header(headers, name); }

Result<std::unique_ptr<HttpClient>> HttpClient::create(const HttpClientOptions& options) {
  EvhttpUriPtr uri(evhttp_uri_parse_with_flags(options.base_url.c_str(), 0));
  if (!uri) return make_error(ErrorKind::invalid, "url_invalid", "cannot parse server URL '" + options.base_url + "'");
  const char* scheme = evhttp_uri_get_scheme(uri.get());
  if (scheme == nullptr || !iequals(scheme, "http")) {
    return make_error(ErrorKind::invalid, "url_invalid", "server URL must start with http:// (https is not supported yet): '" +
                                         options.base_url + "'");
  }
  const char* host = evhttp_uri_get_host(uri.get());
  if (host == nullptr || *host == '\0') return make_error(ErrorKind::invalid, "url_invalid", "server URL has no host: '" + options.base_url + "'");
  if (evhttp_uri_get_query(uri.get()) != nullptr || evhttp_uri_get_fragment(uri.get()) != nullptr)
    return make_error(ErrorKind::invalid, "url_invalid", "server URL must not have a query or fragment: '" + options.base_url + "'");
  if (!header_safe(options.bearer_token)) return make_error(ErrorKind::invalid, "token_invalid", "the token contains a line break");

  std::unique_ptr<HttpClient> c(new HttpClient());
  c->options_ = options;
  c->host_ = host;
  // evhttp keeps IPv6 literals bracketed; the resolver wants them bare.
  if (c->host_.size() > 2 && c->host_.front() == '[' && c->host_.back() == ']')
    c->host_ = c->host_.substr(1, c->host_.size() - 2);
  int port = evhttp_uri_get_port(uri.get());
  c->port_ = port < 0 ? 80 : port;
  if (c->port_ <= 0 || c->port_ > 65535) return make_error(ErrorKind::invalid, "url_invalid", "bad port in server URL");
  c->host_header_ = host;
  if (c->port_ != 80) c->host_header_ += ":" + std::to_string(c->port_);
  const char* path = evhttp_uri_get_path(uri.get());
  c->path_prefix_ = path == nullptr ? "" : path;
  while (!c->path_prefix_.empty() && c->path_prefix_.back() == '/') c->path_prefix_.pop_back();

  c->base_.reset(event_base_new());
  if (!c->base_) return make_error(ErrorKind::unavailable, "http_failed", "event_base_new failed");
  if (auto st = c->open_connection(); !st) return std::move(st).error();
  return c;
}

void HttpClient::EventBaseDeleter::operator()(event_base* b) const noexcept { event_base_free(b); }
void HttpClient::ConnectionDeleter::operator()(evhttp_connection* c) const noexcept { evhttp_connection_free(c); }

Status HttpClient::open_connection() {
  conn_.reset();
  used_ = false;
  // No DNS base: the name is resolved with a blocking getaddrinfo, fine for a CLI.
  conn_.reset(evhttp_connection_base_new(base_.get(), nullptr, host_.c_str(), static_cast<unsigned short>(port_)));
  if (!conn_) return make_error(ErrorKind::unavailable, "http_failed", "evhttp_connection_base_new failed");
  timeval tv{};
  tv.tv_sec = options_.timeout_seconds > 0 ? options_.timeout_seconds : 120;
  evhttp_connection_set_timeout_tv(conn_.get(), &tv);
  evhttp_connection_set_retries(conn_.get(), 0);
  evhttp_connection_set_max_body_size(conn_.get(), static_cast<ev_ssize_t>(options_.max_response_bytes));
  evhttp_connection_set_max_headers_size(conn_.get(), 64 * 1024);
  return {};
}

Result<HttpResponse> HttpClient::send(const HttpRequest& request) {
  bool retryable = false;
  auto r = send_once(request, &retryable);
  // A kept-alive connection the server closed while idle fails the next request before
  // any reply. Our write APIs are idempotent (duplicates and unchanged revocations are
  // reported as such), so one retry on a fresh connection is safe.
  if (!r.ok() && retryable) return send_once(request, &retryable);
  return r;
}

Result<HttpResponse> HttpClient::send_once(const HttpRequest& request, bool* retryable) {
  *retryable = false;
  auto type = method_type(request.method);
  if (!type) return make_error(ErrorKind::unavailable, "http_failed", "unsupported HTTP method " + request.method);
  if (request.target.empty() || request.target.front() != '/' || !header_safe(request.target))
    return make_error(ErrorKind::unavailable, "http_failed", "request target must start with '/'");
  std::string target = path_prefix_ + request.target;

  Pending pending;
  pending.base = base_.get();
  evhttp_request* req = evhttp_request_new(&on_request_done, &pending);
  if (req == nullptr) return make_error(ErrorKind::unavailable, "http_failed", "evhttp_request_new failed");
  evhttp_request_set_error_cb(req, &on_request_error);
  evkeyvalq* out = evhttp_request_get_output_headers(req);
  evhttp_add_header(out, "Host", host_header_.c_str());
  evhttp_add_header(out, "User-Agent", "trustmonctl/0.1");
  if (!options_.bearer_token.empty())
    evhttp_add_header(out, "Authorization", ("Bearer " + options_.bearer_token).c_str());
  for (const auto& h : request.headers) {
    if (!header_safe(h.name) || !header_safe(h.value)) {
      evhttp_request_free(req);
      return make_error(ErrorKind::unavailable, "http_failed", "header with a line break");
    }
    evhttp_add_header(out, h.name.c_str(), h.value.c_str());
  }
  if (!request.body.empty() && evbuffer_add(evhttp_request_get_output_buffer(req), request.body.data(), request.body.size()) != 0) {
    evhttp_request_free(req);
    return make_error(ErrorKind::unavailable, "http_failed", "cannot buffer the request body");
  }

  const bool reused = used_;
  errno = 0;
  // From here libevent owns `req` and frees it after the done callback.
  if (evhttp_make_request(conn_.get(), req, *type, target.c_str()) != 0) {
    std::string why = std::strerror(errno);
    // The request may still sit in the connection's queue pointing at `pending`:
    // start over with a fresh connection.
    (void)open_connection();
    return make_error(ErrorKind::unavailable, "connection_failed", "cannot connect to " + host_header_ + ": " + why);
  }
  while (!pending.done) {
    if (event_base_loop(base_.get(), 0) != 0 && !pending.done) {
      (void)open_connection();  // drops the request that still refers to `pending`
      return make_error(ErrorKind::unavailable, "http_failed", "event loop ended before the reply from " + host_header_);
    }
  }

  if (pending.response.status != 0) {
    if (pending.copy_failed) return make_error(ErrorKind::unavailable, "http_failed", "cannot copy the reply body");
    used_ = true;
    return std::move(pending.response);
  }
  used_ = false;
  if (pending.error == EVREQ_HTTP_TIMEOUT)
    return make_error(ErrorKind::unavailable, "http_timeout", "no reply from " + host_header_ + " within " +
                                          std::to_string(options_.timeout_seconds) + " s");
  if (pending.error == EVREQ_HTTP_DATA_TOO_LONG)
    return make_error(ErrorKind::unavailable, "http_failed", "reply from " + host_header_ + " is larger than the limit");
  if (pending.error == EVREQ_HTTP_INVALID_HEADER)
    return make_error(ErrorKind::unavailable, "http_failed", "malformed reply from " + host_header_);
  *retryable = reused;
  bool refused = pending.saved_errno == ECONNREFUSED || (pending.no_status && !pending.error);
  std::string why = refused                                ? "connection refused"
                    : pending.error == EVREQ_HTTP_EOF      ? "connection closed before a complete reply"
                    : pending.saved_errno != 0             ? std::strerror(pending.saved_errno)
                                                           : "no reply";
  return make_error(ErrorKind::unavailable, "connection_failed", "cannot reach " + host_header_ + ": " + why);
}

Result<std::string> read_token_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) return std::move(text).error();
  std::string_view t(*text);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front())) != 0) t.remove_prefix(1);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back())) != 0) t.remove_suffix(1);
  if (t.empty()) return make_error(ErrorKind::invalid, "token_invalid", "the token file " + path + " is empty");
  if (!header_safe(t)) return make_error(ErrorKind::invalid, "token_invalid", "the token file " + path + " holds more than one line");
  return std::string(t);
}

Result<nlohmann::json> post_json(HttpTransport& http, const std::string& target, const nlohmann::json& body) {
  return request_json(http, "POST", target, body);
}

Result<nlohmann::json> exchange_json(HttpTransport& http, const HttpRequest& req) {
  auto resp = http.send(req);
  if (!resp) return std::move(resp).error();
  const std::string& target = req.target;
  auto parsed = nlohmann::json::parse(resp->body, nullptr, false);
  bool success = resp->status >= 200 && resp->status < 300;
  if (success) {
    if (parsed.is_discarded() || !parsed.is_object())
      return make_error(ErrorKind::invalid, "bad_response", "server reply to " + target + " is not a JSON object");
    return parsed;
  }
  std::string status = std::to_string(resp->status);
  if (!parsed.is_discarded() && parsed.is_object() && parsed.contains("error") && parsed["error"].is_object()) {
    const auto& e = parsed["error"];
    std::string code = e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "http_" + status;
    std::string message = e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "";
    const ErrorKind kind = resp->status >= 500 ? ErrorKind::unavailable : ErrorKind::invalid;
    return make_error(kind, code, "HTTP " + status + ": " + message);
  }
  return make_error(ErrorKind::invalid, "http_" + status, "HTTP " + status + " from " + target);
}

HttpRequest json_request(const std::string& method, const std::string& target, const std::optional<nlohmann::json>& body) {
  HttpRequest req;
  req.method = method;
  req.target = target;
  req.headers = {{"Accept", "application/json"}};
  if (body) {
    req.headers.push_back({"Content-Type", "application/json"});
    req.body = body->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return req;
}

Result<nlohmann::json> request_json(HttpTransport& http, const std::string& method, const std::string& target,
                                    const std::optional<nlohmann::json>& body) {
  return exchange_json(http, json_request(method, target, body));
}

}  // namespace trustmon::tools
