// Request accessors and the reply path. The hot path (handler answers on the loop thread)
// allocates nothing of its own: headers are NUL-terminated on the stack for evhttp, the body
// is copied once into the evhttp output buffer, the access line is formatted by spdlog.
// Only a reply from another thread copies the reply into a posted task.
#include "responder/http/request.hpp"

#include <fmt/format.h>

#include "common/utf8.hpp"
#include "common/access_log.hpp"

#include <event2/buffer.h>
#include <openssl/ssl.h>
#include <event2/keyvalq_struct.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <span>
#include <new>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "common/log.hpp"
#include "responder/http/gate.hpp"
#include "responder/http/server.hpp"
#include "responder/http/worker.hpp"

namespace trustmon::http {
namespace {

Method method_of(evhttp_cmd_type cmd) noexcept {
  switch (cmd) {
    case EVHTTP_REQ_GET:
      return Method::Get;
    case EVHTTP_REQ_HEAD:
      return Method::Head;
    case EVHTTP_REQ_POST:
      return Method::Post;
    case EVHTTP_REQ_PUT:
      return Method::Put;
    case EVHTTP_REQ_DELETE:
      return Method::Delete;
    case EVHTTP_REQ_PATCH:
      return Method::Patch;
    case EVHTTP_REQ_OPTIONS:
      return Method::Options;
    default:
      return Method::Other;
  }
}

char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }

// Header names are ASCII tokens; compare them case-insensitively against evhttp's C string.
bool iequals(std::string_view a, const char* b) noexcept {
  for (char c : a) {
    const char d = *b++;
    if (d == '\0' || ascii_lower(c) != ascii_lower(d)) return false;
  }
  return *b == '\0';
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding of one query component.
std::optional<std::string> form_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// evhttp wants NUL-terminated strings; small headers are terminated on the stack.
void add_header(evkeyvalq* headers, std::string_view name, std::string_view value) noexcept {
  char stack[512];
  std::unique_ptr<char[]> heap;
  const std::size_t need = name.size() + value.size() + 2;
  char* buf = stack;
  if (need > sizeof stack) {
    heap.reset(new (std::nothrow) char[need]);
    if (!heap) return;
    buf = heap.get();
  }
  std::memcpy(buf, name.data(), name.size());
  buf[name.size()] = '\0';
  char* v = buf + name.size() + 1;
  std::memcpy(v, value.data(), value.size());
  v[value.size()] = '\0';
  // evhttp refuses CR/LF in names and values (header injection); that is all we need.
  if (evhttp_add_header(headers, buf, v) != 0) {
    trustmon::log().debug("http: dropped response header {:.64}", std::string_view(name));
  }
}

}  // namespace

std::int64_t steady_now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Request::OwnedReply {
  int status = 0;
  std::string content_type;
  Bytes body;
  std::vector<std::string> header_text;  // name, value, name, value...
};

Request::Request(evhttp_request* req, Worker* worker) noexcept : req_(req), worker_(worker) {
  method_ = method_of(evhttp_request_get_command(req));
  const char* uri = evhttp_request_get_uri(req);
  std::string_view u = uri ? std::string_view(uri) : std::string_view();
  if (!u.empty() && u.front() == '/') {
    // origin-form, the normal case: split by hand, it is cheaper than another parse.
    const std::size_t end = u.find('#');
    if (end != std::string_view::npos) u = u.substr(0, end);
    const std::size_t q = u.find('?');
    path_ = u.substr(0, q);
    if (q != std::string_view::npos) query_ = u.substr(q + 1);
  } else if (const evhttp_uri* parsed = evhttp_request_get_evhttp_uri(req)) {
    // absolute-form ("http://host/path?q") as a proxy would send it
    if (const char* p = evhttp_uri_get_path(parsed)) path_ = p;
    if (const char* q = evhttp_uri_get_query(parsed)) query_ = q;
  }
}

Request::Request(FastExchange* fast, Worker* worker, Method method, std::string_view path,
                 std::string_view query) noexcept
    : fast_(fast), worker_(worker), path_(path), query_(query), method_(method) {}

void Request::reset_from(Request& o) noexcept {
  req_ = std::exchange(o.req_, nullptr);
  fast_ = std::exchange(o.fast_, nullptr);
  worker_ = o.worker_;
  path_ = o.path_;
  query_ = o.query_;
  params_ = o.params_;
  body_data_ = o.body_data_;
  body_size_ = o.body_size_;
  body_ready_ = o.body_ready_;
  start_ns_ = o.start_ns_;
  method_ = o.method_;
  replied_ = o.replied_;
  notes_len_ = o.notes_len_;
  std::memcpy(notes_, o.notes_, notes_len_);
}

Request::Request(Request&& other) noexcept { reset_from(other); }

Request& Request::operator=(Request&& other) noexcept {
  if (this != &other) {
    if (pending()) {
      try {
        reply_error(500, "internal_error", "the request was not answered");
      } catch (...) {
        req_ = nullptr;
        fast_ = nullptr;
      }
    }
    reset_from(other);
  }
  return *this;
}

Request::~Request() {
  if (!pending()) return;
  try {
    char path_buf[kLogPathBuffer];
    trustmon::log().error("http: no reply for {} {}; answering 500", to_string(method_), log_path(path_buf));
    reply_error(500, "internal_error", "the request was not answered");
  } catch (...) {
    // Could not even copy the reply: give the request up rather than throw from a destructor.
    req_ = nullptr;
    fast_ = nullptr;
  }
}

std::optional<std::string> Request::query(std::string_view name) const {
  std::string_view q = query_;
  while (!q.empty()) {
    const std::size_t amp = q.find('&');
    const std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    bool match = false;
    if (key.find_first_of("%+") == std::string_view::npos) {
      match = key == name;
    } else {
      const auto decoded = form_decode(key);
      match = decoded && *decoded == name;
    }
    if (match) return form_decode(value);
  }
  return std::nullopt;
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  if (fast_ != nullptr) {
    // The gate checked the lines (gate.hpp): `name: value` with CRLF, no folding.
    std::string_view rest = fast_->head;
    while (!rest.empty()) {
      const std::size_t end = rest.find("\r\n");
      const std::string_view line = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
      const std::size_t colon = line.find(':');
      if (colon != name.size()) continue;
      bool same = true;
      for (std::size_t i = 0; same && i < colon; ++i) same = ascii_lower(line[i]) == ascii_lower(name[i]);
      if (!same) continue;
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
      return value;
    }
    return std::nullopt;
  }
  if (req_ == nullptr) return std::nullopt;
  const evkeyvalq* headers = evhttp_request_get_input_headers(req_);
  for (const evkeyval* kv = headers->tqh_first; kv != nullptr; kv = kv->next.tqe_next) {
    if (iequals(name, kv->key)) return std::string_view(kv->value);
  }
  return std::nullopt;
}

ByteView Request::body() {
  if (!body_ready_ && fast_ != nullptr) {
    body_ready_ = true;
    body_data_ = fast_->body.data();
    body_size_ = fast_->body.size();
  }
  if (!body_ready_ && req_ != nullptr) {
    body_ready_ = true;
    evbuffer* in = evhttp_request_get_input_buffer(req_);
    const std::size_t n = evbuffer_get_length(in);
    if (n > 0) {
      body_data_ = evbuffer_pullup(in, -1);
      body_size_ = body_data_ != nullptr ? n : 0;
    }
  }
  return ByteView(body_data_, body_size_);
}

std::string Request::peer() const {
  if (fast_ != nullptr) return std::string(fast_->peer);
  if (req_ == nullptr) return "-";
  evhttp_connection* conn = evhttp_request_get_connection(req_);
  if (conn == nullptr) return "-";
  char* address = nullptr;
  ev_uint16_t port = 0;
  evhttp_connection_get_peer(conn, &address, &port);
  return address != nullptr ? std::string(address) : std::string("-");
}

std::optional<Request::TlsPeer> Request::tls_peer() const {
  if (req_ == nullptr) return std::nullopt;
  evhttp_connection* conn = evhttp_request_get_connection(req_);
  if (conn == nullptr) return std::nullopt;
  // The gate of the connection holds its TLS session (gate.hpp).
  Worker* w = Worker::current();
  Gate* gate = w != nullptr ? w->gate_of(evhttp_connection_get_bufferevent(conn)) : nullptr;
  SSL* ssl = gate != nullptr ? gate->ssl() : nullptr;
  if (ssl == nullptr) return std::nullopt;
  TlsPeer peer;
  peer.certificate = SSL_get0_peer_certificate(ssl);
  peer.verify_result = SSL_get_verify_result(ssl);
  return peer;
}

void Request::note(std::string_view key, std::string_view value) noexcept {
  const std::size_t need = key.size() + value.size() + 2;
  if (notes_len_ + need > sizeof notes_) return;
  char* p = notes_ + notes_len_;
  *p++ = ' ';
  std::memcpy(p, key.data(), key.size());
  p += key.size();
  *p++ = '=';
  std::memcpy(p, value.data(), value.size());
  notes_len_ = static_cast<std::uint8_t>(notes_len_ + need);
}

void Request::reply(int status, std::string_view content_type, ByteView body, Headers headers) {
  respond(status, content_type, body, headers);
}

void Request::reply_shared(int status, std::string_view content_type, std::shared_ptr<const Bytes> body,
                           Headers headers) {
  if (req_ != nullptr && fast_ == nullptr && body && worker_->in_loop_thread()) {
    send(status, content_type, *body, headers, &body);
    return;
  }
  respond(status, content_type, body ? ByteView(*body) : ByteView{}, headers);
}

void Request::reply_json(int status, const nlohmann::json& body, Headers headers) {
  const std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  respond(status, "application/json", as_bytes(text), headers);
}

void Request::reply_error(int status, std::string_view code, std::string_view message, Headers headers) {
  std::string text;
  text.reserve(40 + code.size() + message.size());
  text += R"({"error":{"code":)";
  append_json_string(text, code);
  text += R"(,"message":)";
  append_json_string(text, message);
  text += "}}";
  respond(status, "application/json", as_bytes(text), headers);
}

void Request::reply_error(const Error& error, Headers headers) {
  reply_error(status_of(error.kind), error.code, error.message, headers);
}

int status_of(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::invalid: return 400;
    case ErrorKind::unauthenticated: return 401;
    case ErrorKind::forbidden: return 403;
    case ErrorKind::not_found: return 404;
    case ErrorKind::conflict: return 409;
    case ErrorKind::too_large: return 413;
    case ErrorKind::unsupported: return 415;
    case ErrorKind::unprocessable: return 422;
    case ErrorKind::rate_limited: return 429;
    case ErrorKind::unavailable: return 503;
    case ErrorKind::storage: return 500;
    case ErrorKind::internal: return 500;
    case ErrorKind::gone: return 410;
  }
  return 500;
}

void Request::reply_not_modified(Headers headers) { respond(304, {}, {}, headers); }

void Request::respond(int status, std::string_view content_type, ByteView body, Headers headers) {
  if (!pending()) {
    char path_buf[kLogPathBuffer];
    trustmon::log().debug("http: second reply ({}) to {} {} ignored", status, to_string(method_),
                          log_path(path_buf));
    return;
  }
  if (fast_ != nullptr) {
    // Fast routes answer on the loop thread before their handler returns (router.hpp).
    if (worker_->in_loop_thread()) {
      send_fast(status, content_type, body, headers);
    } else {
      trustmon::log().error("http: a fast-path request was answered off its worker's loop; dropped");
      fast_ = nullptr;
      replied_ = true;
    }
    return;
  }
  if (worker_->in_loop_thread()) {
    send(status, content_type, body, headers);
    return;
  }
  if (worker_->closed()) {
    // The loop is gone (shutdown); nothing can be sent any more. Give the request up.
    req_ = nullptr;
    replied_ = true;
    return;
  }
  OwnedReply owned;
  owned.status = status;
  owned.content_type = content_type;
  owned.body.assign(body.begin(), body.end());
  owned.header_text.reserve(headers.size() * 2);
  for (const Header& h : headers) {
    owned.header_text.emplace_back(h.name);
    owned.header_text.emplace_back(h.value);
  }
  Worker* worker = worker_;
  Request self(std::move(*this));
  replied_ = true;
  // If the worker shut down meanwhile, post() destroys the task here; the Request in it
  // then sees closed() and gives up instead of posting again.
  worker->post([self = std::move(self), owned = std::move(owned)]() mutable { self.send_owned(owned); });
}

void Request::send_owned(const OwnedReply& r) noexcept {
  if (req_ == nullptr) return;  // never a fast-path request (respond above)
  std::vector<Header> headers;
  try {
    headers.reserve(r.header_text.size() / 2);
    for (std::size_t i = 0; i + 1 < r.header_text.size(); i += 2)
      headers.push_back({r.header_text[i], r.header_text[i + 1]});
  } catch (...) {
    headers.clear();
  }
  send(r.status, r.content_type, r.body, headers);
}

namespace {

// Releases the reference a reply body held (evbuffer_add_reference's cleanup).
void release_shared_body(const void*, std::size_t, void* extra) noexcept {
  delete static_cast<std::shared_ptr<const Bytes>*>(extra);
}

// Statuses whose replies carry no body and no Content-Length (RFC 9110 §6.4.1).
constexpr bool is_bodiless(int status) noexcept { return status == 204 || status == 304 || (status >= 100 && status < 200); }

}  // namespace

void Request::send(int status, std::string_view content_type, ByteView body, Headers headers,
                   const std::shared_ptr<const Bytes>* shared) noexcept {
  evhttp_request* req = std::exchange(req_, nullptr);
  replied_ = true;
  Worker& w = *worker_;
  evkeyvalq* out = evhttp_request_get_output_headers(req);
  if (!content_type.empty()) add_header(out, "Content-Type", content_type);
  for (const Header& h : headers) add_header(out, h.name, h.value);

  std::size_t sent = 0;
  const bool bodiless_status = is_bodiless(status);
  if (bodiless_status) {
    // no body, no Content-Length
  } else if (method_ == Method::Head) {
    // HEAD: the length the GET would have, without the bytes.
    char digits[24];
    const auto res = std::to_chars(digits, digits + sizeof digits, body.size());
    add_header(out, "Content-Length", std::string_view(digits, static_cast<std::size_t>(res.ptr - digits)));
  } else if (!body.empty()) {
    evbuffer* buf = evhttp_request_get_output_buffer(req);
    auto* held = shared != nullptr ? new (std::nothrow) std::shared_ptr<const Bytes>(*shared) : nullptr;
    if (held != nullptr && evbuffer_add_reference(buf, body.data(), body.size(), &release_shared_body, held) == 0) {
      sent = body.size();
    } else {
      delete held;
      if (evbuffer_add(buf, body.data(), body.size()) == 0) sent = body.size();
    }
  }
  // While draining for shutdown, tell keep-alive clients to go elsewhere.
  if (w.stopping()) add_header(out, "Connection", "close");

  // Log before sending: evhttp may free the request inside evhttp_send_reply.
  if (start_ns_ != 0) {
    char* address = nullptr;
    ev_uint16_t port = 0;
    if (evhttp_connection* conn = evhttp_request_get_connection(req)) evhttp_connection_get_peer(conn, &address, &port);
    log_access(address != nullptr ? std::string_view(address) : std::string_view("-"), status, sent);
  }
  // A request whose client went away has no connection any more; evhttp frees it on send
  // and never reports completion, so only replies on live connections count as unwritten.
  bufferevent* bev = nullptr;
  if (evhttp_connection* conn = evhttp_request_get_connection(req)) {
    evhttp_request_set_on_complete_cb(req, &Worker::flushed_cb, &w);
    w.on_reply_queued(conn);
    bev = evhttp_connection_get_bufferevent(conn);
  }
  // The path and its parameters are views into the request, which evhttp may free from
  // here on (a gone client, or a gated connection whose reply the kick completes).
  path_ = {};
  params_.clear();
  evhttp_send_reply(req, status, nullptr, nullptr);
  w.on_reply_sent(status, sent);
  Gate::kick(bev);
}

namespace {

// libevent 2.1's reason phrases (evhttp_response_phrase_internal), so that a fast-path reply
// has the bytes evhttp would have written.
std::string_view reason_phrase(int status) noexcept {
  static constexpr std::string_view k1[] = {"Continue", "Switching Protocols"};
  static constexpr std::string_view k2[] = {"OK", "Created", "Accepted", "Non-Authoritative Information",
                                            "No Content", "Reset Content", "Partial Content"};
  static constexpr std::string_view k3[] = {"Multiple Choices", "Moved Permanently", "Found", "See Other",
                                            "Not Modified", "Use Proxy", "-", "Temporary Redirect"};
  static constexpr std::string_view k4[] = {
      "Bad Request", "Unauthorized", "Payment Required", "Forbidden", "Not Found", "Method Not Allowed",
      "Not Acceptable", "Proxy Authentication Required", "Request Time-out", "Conflict", "Gone",
      "Length Required", "Precondition Failed", "Request Entity Too Large", "Request-URI Too Large",
      "Unsupported Media Type", "Requested range not satisfiable", "Expectation Failed"};
  static constexpr std::string_view k5[] = {"Internal Server Error", "Not Implemented", "Bad Gateway",
                                            "Service Unavailable", "Gateway Time-out", "HTTP Version not supported"};
  static constexpr std::span<const std::string_view> kTables[] = {k1, k2, k3, k4, k5};
  const int klass = status / 100 - 1, sub = status % 100;
  if (klass < 0 || klass >= 5) return "Unknown Status Class";
  const auto table = kTables[klass];
  return static_cast<std::size_t>(sub) < table.size() ? table[static_cast<std::size_t>(sub)] : "Unknown Status Code";
}

// The Date header value, formatted once per second per thread (as evutil_date_rfc1123).
std::string_view http_date_now() noexcept {
  struct Cache {
    std::time_t second = -1;
    char text[40] = {};
    std::size_t len = 0;
  };
  thread_local Cache cache;
  const std::time_t now = std::time(nullptr);
  if (now != cache.second) {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    gmtime_r(&now, &tm);
    const int n = std::snprintf(cache.text, sizeof cache.text, "%s, %02d %s %4d %02d:%02d:%02d GMT",
                                kDays[tm.tm_wday % 7], tm.tm_mday, kMonths[tm.tm_mon % 12], 1900 + tm.tm_year,
                                tm.tm_hour, tm.tm_min, tm.tm_sec);
    cache.len = n > 0 ? std::min<std::size_t>(static_cast<std::size_t>(n), sizeof cache.text - 1) : 0;
    cache.second = now;
  }
  return std::string_view(cache.text, cache.len);
}

// Two memchr scans: string_view::find_first_of calls memchr once per character.
bool has_line_break(std::string_view v) noexcept {
  if (v.empty()) return false;
  return std::memchr(v.data(), '\r', v.size()) != nullptr || std::memchr(v.data(), '\n', v.size()) != nullptr;
}

bool same_name(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

}  // namespace

void Request::send_fast(int status, std::string_view content_type, ByteView body, Headers headers) noexcept {
  FastExchange* fx = std::exchange(fast_, nullptr);
  replied_ = true;
  Worker& w = *worker_;
  // One buffer per thread, reused: no allocation per reply once it has grown.
  thread_local std::string out;
  out.clear();
  std::size_t sent = 0;
  try {
    const bool bodiless_status = is_bodiless(status);
    char digits[24];
    auto res = std::to_chars(digits, digits + sizeof digits, status);
    out.append("HTTP/1.1 ").append(digits, res.ptr).append(" ").append(reason_phrase(status)).append("\r\n");
    bool have_date = false, have_length = false;
    auto add = [&](std::string_view name, std::string_view value) {
      if (name.empty() || has_line_break(name) || has_line_break(value)) return;  // as evhttp_add_header
      have_date = have_date || same_name(name, "Date");
      have_length = have_length || same_name(name, "Content-Length") || same_name(name, "Transfer-Encoding");
      out.append(name).append(": ").append(value).append("\r\n");
    };
    if (!content_type.empty()) add("Content-Type", content_type);
    for (const Header& h : headers) add(h.name, h.value);
    if (w.stopping()) add("Connection", "close");
    if (!have_date) add("Date", http_date_now());
    if (!bodiless_status && !have_length) {
      res = std::to_chars(digits, digits + sizeof digits, body.size());
      add("Content-Length", std::string_view(digits, static_cast<std::size_t>(res.ptr - digits)));
    }
    out.append("\r\n");
    if (!bodiless_status && !body.empty()) {
      out.append(reinterpret_cast<const char*>(body.data()), body.size());
      sent = body.size();
    }
  } catch (...) {
    out.clear();  // out of memory: the gate closes the connection instead
  }
  if (start_ns_ != 0) log_access(fx->peer, status, sent);
  path_ = {};
  params_.clear();
  fx->gate->write_reply(out, fx->started_ns);
  if (out.capacity() > (256u << 10)) std::string().swap(out);
  w.on_reply_sent(status, sent);
}

evhttp_request* Request::take_for_stream(int status) noexcept {
  evhttp_request* req = std::exchange(req_, nullptr);
  replied_ = true;
  if (start_ns_ != 0) {
    char* address = nullptr;
    ev_uint16_t port = 0;
    if (evhttp_connection* conn = evhttp_request_get_connection(req)) evhttp_connection_get_peer(conn, &address, &port);
    log_access(address != nullptr ? std::string_view(address) : std::string_view("-"), status, 0);
  }
  worker_->on_reply_sent(status, 0);
  return req;
}

std::string_view Request::log_path(char* buf) const noexcept {
  const std::size_t n = std::min(path_.size(), kLoggedPathChars);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(path_[i]);
    buf[i] = (c > 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  std::size_t len = n;
  if (path_.size() > kLoggedPathChars) {
    std::memcpy(buf + len, "...", 3);
    len += 3;
  }
  return std::string_view(buf, len);
}

void Request::log_access(std::string_view peer, int status, std::size_t bytes) const {
  if (!trustmon::access_log_enabled()) return;
  try {
    const std::int64_t us = (steady_now_ns() - start_ns_) / 1000;
    char path_buf[kLogPathBuffer];
    const std::string_view path = log_path(path_buf);
    fmt::memory_buffer line;
    fmt::format_to(std::back_inserter(line), "method={} path={} status={} bytes={} us={} peer={}{}",
                   to_string(method_), path, status, bytes, us, peer, std::string_view(notes_, notes_len_));
    trustmon::access_log_line(std::string_view(line.data(), line.size()));
  } catch (...) {
    // logging never takes a request down
  }
}

}  // namespace trustmon::http
