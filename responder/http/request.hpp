// Request: one HTTP request received by a worker, and the only way to answer it.
//
// Policy: every request gets exactly one reply. The first reply* call wins; later ones are
// ignored (logged at debug). A Request destroyed without a reply answers
// 500 {"error":{"code":"internal_error",...}} from its destructor, so a handler that forgets
// to reply, or throws, still answers.
//
// A Request is move-only. A handler that wants to answer later (after the storage Writer
// commits, say) moves it out of the `Request&` it was given; the server then leaves it
// alone. reply*, note() and the destructor may be called from any thread: off the worker's
// loop thread the reply is copied and posted to the loop, which sends it. The accessors
// (path, header, body...) read libevent's request object and are meant for the handler
// before it hands the request to another thread; they stay valid until the reply.
//
// A Request must not outlive the Server that produced it.
#pragma once

#include <event2/http.h>
#include <openssl/x509.h>

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json_fwd.hpp>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "responder/http/method.hpp"
#include "responder/http/path_params.hpp"

namespace trustmon::http {

// The one mapping from an error's kind to an HTTP status (400, 401, 403, 404, 409, 413,
// 415, 422, 429, 503; storage and internal faults 500).
int status_of(ErrorKind kind) noexcept;

class Worker;
class Gate;

// A request the connection gate answers itself (gate.hpp, fast path): views into the
// gate's input buffer, valid while the handler runs.
// The steady clock in nanoseconds (request durations, the fast path's hold decision).
std::int64_t steady_now_ns() noexcept;

struct FastExchange {
  Gate* gate = nullptr;
  std::int64_t started_ns = 0;  // when the gate had the whole request (steady_now_ns)
  std::string_view head;  // the header lines after the request line, each ending in CRLF
  ByteView body;
  std::string_view peer;  // the client's address
};

// A response header. Both views must stay valid for the duration of the reply* call only
// (they are copied into libevent, or into the posted reply when off the loop thread).
struct Header {
  std::string_view name;
  std::string_view value;
};
using Headers = std::span<const Header>;

class Request {
 public:
  Request(Request&& other) noexcept;
  Request& operator=(Request&& other) noexcept;  // an unanswered target answers 500 first
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  ~Request();

  // True while this object holds a request that has not been answered.
  bool pending() const noexcept { return req_ != nullptr || fast_ != nullptr; }
  bool replied() const noexcept { return replied_; }

  Method method() const noexcept { return method_; }
  // The path as sent, without query or fragment, not percent-decoded.
  std::string_view path() const noexcept { return path_; }
  // The `{name}` segment of the route pattern that matched (router.hpp), as sent: not
  // percent-decoded, like path(). Empty when the route has no such parameter. Free text
  // is read with path_params().decoded(name) (path_params.hpp has the rules).
  std::string_view path_param(std::string_view name) const noexcept { return params_.get(name); }
  const PathParams& path_params() const noexcept { return params_; }
  // The raw query string (after '?', before '#'), not decoded; empty if none.
  std::string_view raw_query() const noexcept { return query_; }
  // The first value of query parameter `name`, percent- and '+'-decoded. nullopt if absent
  // or malformed.
  std::optional<std::string> query(std::string_view name) const;
  // The first request header `name` (case-insensitive).
  std::optional<std::string_view> header(std::string_view name) const;
  // The request body, made contiguous once. Empty for a request without body.
  ByteView body();
  // The client's address ("-" when unknown, e.g. the client went away).
  std::string peer() const;
  Worker& worker() const noexcept { return *worker_; }

  // The TLS side of the connection, when the request came over the HTTPS listener.
  struct TlsPeer {
    X509* certificate = nullptr;  // the client's certificate (borrowed; valid until the reply), or null
    long verify_result = 0;       // X509_V_OK or the chain verification error
  };
  std::optional<TlsPeer> tls_peer() const;

  // Adds ` key=value` to this request's access-log line. Short tokens only (no spaces);
  // what does not fit in the small inline buffer is dropped.
  void note(std::string_view key, std::string_view value) noexcept;

  void reply(int status, std::string_view content_type, ByteView body, Headers headers = {});
  // The same with a body the reply references instead of copying (large bodies served to
  // many clients, such as CRLs): the bytes stay alive until the kernel has taken them. Off
  // the loop thread the body is copied, as reply() does.
  void reply_shared(int status, std::string_view content_type, std::shared_ptr<const Bytes> body,
                    Headers headers = {});
  void reply(int status, std::string_view content_type, ByteView body,
             std::initializer_list<Header> headers) {
    reply(status, content_type, body, Headers(headers.begin(), headers.size()));
  }
  void reply(int status, std::string_view content_type, std::string_view body, Headers headers = {}) {
    reply(status, content_type, as_bytes(body), headers);
  }
  void reply(int status, std::string_view content_type, std::string_view body,
             std::initializer_list<Header> headers) {
    reply(status, content_type, as_bytes(body), Headers(headers.begin(), headers.size()));
  }
  // application/json; the body is dumped compactly (invalid UTF-8 is replaced, never thrown).
  void reply_json(int status, const nlohmann::json& body, Headers headers = {});
  void reply_json(int status, const nlohmann::json& body, std::initializer_list<Header> headers) {
    reply_json(status, body, Headers(headers.begin(), headers.size()));
  }
  // {"error":{"code":"...","message":"..."}} with Content-Type: application/json.
  void reply_error(int status, std::string_view code, std::string_view message, Headers headers = {});
  // {"error":{code,message}} with the status of the error's kind (status_of below).
  void reply_error(const Error& error, Headers headers = {});
  void reply_error(const Error& error, std::initializer_list<Header> headers) {
    reply_error(error, Headers(headers.begin(), headers.size()));
  }
  void reply_error(int status, std::string_view code, std::string_view message,
                   std::initializer_list<Header> headers) {
    reply_error(status, code, message, Headers(headers.begin(), headers.size()));
  }
  // 304 without body (ETag, Cache-Control... go in `headers`).
  void reply_not_modified(Headers headers = {});
  void reply_not_modified(std::initializer_list<Header> headers) {
    reply_not_modified(Headers(headers.begin(), headers.size()));
  }

 private:
  friend class Worker;
  friend class Stream;
  struct OwnedReply;
  // Hands the libevent request to a Stream: counts as the reply (access log, counters).
  evhttp_request* take_for_stream(int status) noexcept;

  Request(evhttp_request* req, Worker* worker) noexcept;
  // A fast-path request (gate.hpp): `path` and `query` view the request target.
  Request(FastExchange* fast, Worker* worker, Method method, std::string_view path, std::string_view query) noexcept;

  // Answers on the loop thread, or copies and posts when called from another thread.
  void respond(int status, std::string_view content_type, ByteView body, Headers headers);
  // Loop thread only: hands the reply to libevent. After it, req_ is gone.
  void send(int status, std::string_view content_type, ByteView body, Headers headers,
            const std::shared_ptr<const Bytes>* shared = nullptr) noexcept;
  void send_owned(const OwnedReply& r) noexcept;
  // The fast path's send: the reply is formatted once into a per-thread buffer (the same
  // bytes evhttp would write) and handed to the gate, which writes it to the socket.
  void send_fast(int status, std::string_view content_type, ByteView body, Headers headers) noexcept;
  void log_access(std::string_view peer, int status, std::size_t bytes) const;
  // The path cut to kLoggedPathChars (plus "...") with non-printable bytes as '?', so a
  // client cannot forge or split log lines. `buf` must hold kLogPathBuffer chars.
  static constexpr std::size_t kLoggedPathChars = 128;
  static constexpr std::size_t kLogPathBuffer = kLoggedPathChars + 3;
  std::string_view log_path(char* buf) const noexcept;
  void reset_from(Request& other) noexcept;

  evhttp_request* req_ = nullptr;
  FastExchange* fast_ = nullptr;  // instead of req_ on the fast path
  Worker* worker_ = nullptr;
  std::string_view path_;
  std::string_view query_;
  PathParams params_;  // views into path_, set by the worker from the router's match
  const std::uint8_t* body_data_ = nullptr;
  std::size_t body_size_ = 0;
  std::int64_t start_ns_ = 0;  // steady clock at dispatch, 0 when the access log is off
  Method method_ = Method::Other;
  bool body_ready_ = false;
  bool replied_ = false;
  std::uint8_t notes_len_ = 0;
  char notes_[96];
};

}  // namespace trustmon::http
