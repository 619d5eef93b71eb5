// Gate: the strict head parser, the body accounting and the connection bookkeeping in front
// of evhttp. Runs on the worker's loop thread only; every callback is noexcept and catches.
#include "responder/http/gate.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <event2/buffer.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <new>

#include "common/log.hpp"
#include "responder/http/request.hpp"
#include "responder/http/router.hpp"
#include "responder/http/server.hpp"
#include "responder/http/worker.hpp"

namespace trustmon::http {
namespace {

constexpr std::size_t kMaxChunkLine = 1024;  // a size line with its extensions

bool is_tchar(unsigned char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool iequal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if ((x | 0x20) != (y | 0x20) || ((x | 0x20) < 'a' && x != y)) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view v) noexcept {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

Method method_named(std::string_view m) noexcept {
  if (m == "GET") return Method::Get;
  if (m == "HEAD") return Method::Head;
  if (m == "POST") return Method::Post;
  if (m == "PUT") return Method::Put;
  if (m == "DELETE") return Method::Delete;
  if (m == "PATCH") return Method::Patch;
  if (m == "OPTIONS") return Method::Options;
  return Method::Other;
}

// The path of a request target: origin-form up to '?'/'#', or the path of absolute-form.
std::string_view path_of(std::string_view target) noexcept {
  if (!target.empty() && target.front() != '/') {
    const std::size_t scheme = target.find("://");
    if (scheme == std::string_view::npos) return target;
    const std::size_t slash = target.find('/', scheme + 3);
    if (slash == std::string_view::npos) return "/";
    target.remove_prefix(slash);
  }
  std::size_t end = 0;  // a loop: find_first_of calls memchr once per character
  while (end < target.size() && target[end] != '?' && target[end] != '#') ++end;
  return target.substr(0, end);
}

GateRefusal bad(const char* code, const char* message) { return GateRefusal{400, code, message, true, 0}; }

}  // namespace

ConnectionTable::Admit ConnectionTable::open(const std::string& address) {
  const std::size_t total = total_.fetch_add(1, std::memory_order_relaxed) + 1;
  std::uint32_t mine = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    mine = ++per_address_[address];
  }
  if ((max_per_address_ > 0 && mine > max_per_address_) || (max_total_ > 0 && total > max_total_)) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    return Admit::refused;
  }
  if (max_total_ > 0 && reserve_ > 0 && total > max_total_ - reserve_) return Admit::reserve_only;
  return Admit::ok;
}

void ConnectionTable::close(const std::string& address) noexcept {
  total_.fetch_sub(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = per_address_.find(address);
  if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
}

Gate::Gate(Worker& worker, bufferevent* underlying, bool tls) noexcept
    : worker_(&worker), underlying_(underlying), tls_(tls) {}

bufferevent* Gate::wrap(Worker& worker, bufferevent* underlying, bool tls) noexcept {
  if (underlying == nullptr) return nullptr;
  Gate* gate = new (std::nothrow) Gate(worker, underlying, tls);
  if (gate == nullptr) {
    bufferevent_free(underlying);
    return nullptr;
  }
  bufferevent* filter =
      bufferevent_filter_new(underlying, &Gate::filter_in, &Gate::filter_out, BEV_OPT_CLOSE_ON_FREE, &Gate::free_ctx, gate);
  if (filter == nullptr) {
    delete gate;
    bufferevent_free(underlying);
    return nullptr;
  }
  gate->filter_ = filter;
  if (tls) {
    // The session on memory BIOs: the gate moves ciphertext between them and the socket.
    SSL_CTX* ctx = worker.server().tls_context();
    gate->ssl_.reset(ctx != nullptr ? SSL_new(ctx) : nullptr);
    gate->plain_in_.reset(evbuffer_new());
    BIO* rbio = BIO_new(BIO_s_mem());
    BIO* wbio = BIO_new(BIO_s_mem());
    if (!gate->ssl_ || !gate->plain_in_ || rbio == nullptr || wbio == nullptr) {
      BIO_free(rbio);
      BIO_free(wbio);
      ERR_clear_error();
      bufferevent_free(filter);  // frees the gate and `underlying`
      return nullptr;
    }
    BIO_set_mem_eof_return(rbio, -1);  // empty = wait for more, not the end
    SSL_set_bio(gate->ssl_.get(), rbio, wbio);
    SSL_set_accept_state(gate->ssl_.get());
    gate->rbio_ = rbio;
    gate->wbio_ = wbio;
  }
  // The filter's handling of the end of input goes through the gate (half-close, D9).
  bufferevent_data_cb r = nullptr, w = nullptr;
  bufferevent_getcb(underlying, &r, &w, &gate->saved_event_cb_, &gate->saved_event_arg_);
  bufferevent_setcb(underlying, r, w, &Gate::underlying_event_cb, gate->saved_event_arg_);
  event_base* base = worker.base();
  gate->admit_ev_.reset(event_new(base, -1, 0, &Gate::admit_cb, gate));
  gate->deadline_ev_.reset(evtimer_new(base, &Gate::deadline_cb, gate));
  gate->eof_ev_.reset(event_new(base, -1, 0, &Gate::eof_cb, gate));
  if (tls) gate->tls_end_ev_.reset(event_new(base, -1, 0, &Gate::tls_end_cb, gate));
  gate->output_cb_ = evbuffer_add_cb(bufferevent_get_output(underlying), &Gate::output_cb, gate);
  worker.gates_[filter] = gate;
  worker.gates_[underlying] = gate;
  // evhttp sets the descriptor after this returns; admission runs once it has.
  if (gate->admit_ev_) event_active(gate->admit_ev_.get(), EV_READ, 0);
  return filter;
}

Gate::~Gate() {
  if (counted_) worker_->server().connections_.close(address_);
  if (output_cb_ != nullptr) evbuffer_remove_cb_entry(bufferevent_get_output(underlying_), output_cb_);
  if (flush_queued_) worker_->unqueue_flush(this);
  if (fast_unwritten_) worker_->on_flushed();  // the connection died with the reply
  // A connection closed after a refusal may still be receiving the refused request: it ends
  // in a lingering close (linger.hpp) on a second descriptor of the socket, which stays open
  // when evhttp closes the first one (the reply is in the kernel by now).
  // Over TLS the reply ended with close_notify (tls_out) and the lingering close drops ciphertext.
  if (state_ == State::discard && worker_->lingering_) {
    const evutil_socket_t fd = bufferevent_getfd(underlying_);
    if (fd >= 0) worker_->lingering_->adopt(detail::Fd(::fcntl(fd, F_DUPFD_CLOEXEC, 0)));
  }
  worker_->gates_.erase(filter_);
  worker_->gates_.erase(underlying_);
}

void Gate::free_ctx(void* ctx) noexcept { delete static_cast<Gate*>(ctx); }

// Flushes at once: the reply may complete here and evhttp free the request and the
// connection (Request::send forgets its views into the request before this). Deferring
// the flush to the loop's next turn was tried: the daemon then crashed inside libevent
// under parallel test load (a segfault in bufferevent_disable from an event callback).
void Gate::kick(bufferevent* bev) noexcept {
  Worker* w = Worker::current();
  if (bev == nullptr || w == nullptr || w->gate_of(bev) == nullptr) return;
  if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) return;
  if (!(bufferevent_get_enabled(bev) & EV_WRITE)) return;
  bufferevent_flush(bev, EV_WRITE, BEV_NORMAL);  // may free the gate and the connection
}

// Output: straight to the socket as far as the kernel takes it. The filter reports a reply
// written when its own buffer empties, and evhttp may then close at once; so when the kernel
// is full, all but the last byte go to the socket bufferevent, and that byte is written
// (directly again) only once the socket bufferevent has drained and calls back.
bufferevent_filter_result Gate::filter_out(evbuffer* src, evbuffer* dst, ev_ssize_t /*limit*/,
                                           bufferevent_flush_mode /*mode*/, void* ctx) noexcept {
  auto* g = static_cast<Gate*>(ctx);
  if (g->tls_) return g->tls_out(src, dst);
  g->flush_pending();  // fast-path replies waiting for the turn's end go first
  const std::size_t before = evbuffer_get_length(src);
  if (before == 0) return BEV_NEED_MORE;
  const evutil_socket_t fd = bufferevent_getfd(g->underlying_);
  if (evbuffer_get_length(dst) == 0 && fd >= 0) {
    while (evbuffer_get_length(src) > 0) {
      if (evbuffer_write(src, fd) <= 0) break;
    }
  }
  const std::size_t left = evbuffer_get_length(src);
  if (left > 1) {
    evbuffer_remove_buffer(src, dst, left - 1);
  } else if (left == 1 && evbuffer_get_length(dst) == 0) {
    // The socket would not take one byte with nothing queued before it: queue it.
    evbuffer_remove_buffer(src, dst, 1);
  }
  return evbuffer_get_length(src) < before ? BEV_OK : BEV_NEED_MORE;
}

void Gate::admit_cb(evutil_socket_t, short, void* arg) noexcept { static_cast<Gate*>(arg)->admit(); }

void Gate::admit() noexcept {
  if (admitted_) return;
  admitted_ = true;
  try {
    const evutil_socket_t fd = bufferevent_getfd(underlying_);
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    char text[INET6_ADDRSTRLEN] = "-";
    if (fd >= 0 && ::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
      if (ss.ss_family == AF_INET)
        ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, text, sizeof text);
      else if (ss.ss_family == AF_INET6)
        ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, text, sizeof text);
    }
    address_ = text;
    const ConnectionTable::Admit admit = worker_->server().connections_.open(address_);
    counted_ = true;
    if (admit == ConnectionTable::Admit::refused) {
      if (tls_) {
        // TLS: the answer needs the session; it goes out once the handshake is complete
        // (tls_in), and the head deadline bounds the wait.
        tls_refuse_pending_ = true;
        state_ = State::discard;
        arm_deadline();
        return;
      }
      // Answer at once through evhttp (a stand-in request), then close.
      refuse_connection(bufferevent_get_input(filter_));
      bufferevent_trigger(filter_, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
      return;
    }
    reserve_only_ = admit == ConnectionTable::Admit::reserve_only;
    arm_deadline();
  } catch (const std::exception& e) {
    trustmon::log().error("http: connection admission failed: {}", e.what());
  }
}

// The stand-in request evhttp answers with the connection cap's 503, then closes.
void Gate::refuse_connection(evbuffer* filter_input) {
  verdicts_.push_back(GateRefusal{503, "too_many_connections", "too many connections; retry later", true, 5});
  ++forwarded_;
  state_ = State::discard;
  evbuffer_add_printf(filter_input, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
}

void Gate::arm_deadline() noexcept {
  if (deadline_armed_ || !deadline_ev_) return;
  const int seconds = worker_->server().options().head_timeout_seconds;
  if (seconds <= 0) return;
  const timeval tv{seconds, 0};
  event_add(deadline_ev_.get(), &tv);
  deadline_armed_ = true;
}

void Gate::deadline_cb(evutil_socket_t, short, void* arg) noexcept {
  auto* g = static_cast<Gate*>(arg);
  g->deadline_armed_ = false;
  if (g->state_ != State::head && !g->tls_refuse_pending_) return;
  if (g->forwarded_ > g->finished_ || g->fast_unwritten_) {  // a request is still being answered: its turn first
    g->arm_deadline();
    return;
  }
  trustmon::log().debug("http: request head not complete within the head timeout from {}; closing", g->address_);
  // evhttp frees the connection (and this gate) on the end of input.
  bufferevent_trigger_event(g->filter_, BEV_EVENT_EOF | BEV_EVENT_READING, 0);
}

bool Gate::has_client_certificate() const noexcept {
  return ssl_ && SSL_get0_peer_certificate(ssl_.get()) != nullptr;
}

void Gate::underlying_event_cb(bufferevent* bev, short what, void* /*arg: the filter's*/) noexcept {
  Worker* w = Worker::current();
  Gate* g = w != nullptr ? w->gate_of(bev) : nullptr;
  if (g == nullptr) return;
  if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && !g->streaming_ && g->state_ != State::discard) {
    // Pass on what was read before the end, then hold the end back until every request
    // handed to evhttp has been answered, and every fast-path reply written.
    bufferevent_flush(g->filter_, EV_READ, BEV_FLUSH);
    if (g->forwarded_ > g->finished_ || g->fast_unwritten_) {
      g->eof_pending_ = true;
      g->saved_what_ = what;
      return;
    }
  }
  g->saved_event_cb_(bev, what, g->saved_event_arg_);
}

void Gate::maybe_deliver_eof() noexcept {
  if (eof_pending_ && finished_ >= forwarded_ && !fast_unwritten_ && eof_ev_) event_active(eof_ev_.get(), EV_READ, 0);
}

void Gate::eof_cb(evutil_socket_t, short, void* arg) noexcept {
  auto* g = static_cast<Gate*>(arg);
  if (!g->eof_pending_) return;
  g->eof_pending_ = false;
  // May free this gate.
  g->saved_event_cb_(g->underlying_, g->saved_what_, g->saved_event_arg_);
}

std::optional<GateRefusal> Gate::take_verdict() noexcept {
  if (verdicts_.empty()) return std::nullopt;
  std::optional<GateRefusal> v = verdicts_.front();
  verdicts_.pop_front();
  return v;
}

void Gate::on_reply_finished() noexcept {
  ++finished_;
  maybe_deliver_eof();
}

void Gate::on_stream() noexcept {
  streaming_ = true;
  ++finished_;
  if (eof_pending_) maybe_deliver_eof();
}

bufferevent_filter_result Gate::filter_in(evbuffer* src, evbuffer* dst, ev_ssize_t /*limit*/,
                                          bufferevent_flush_mode /*mode*/, void* ctx) noexcept {
  auto* g = static_cast<Gate*>(ctx);
  if (g->tls_) return g->tls_in(src, dst);
  bool progress = false;
  try {
    if (!g->admitted_) g->admit();
    while (evbuffer_get_length(src) > 0 && g->step(src, dst)) progress = true;
  } catch (const std::exception& e) {
    trustmon::log().error("http: request gate failed: {}", e.what());
    g->state_ = State::discard;
    evbuffer_drain(src, evbuffer_get_length(src));
    if (g->eof_ev_) {
      g->eof_pending_ = true;
      g->saved_what_ = BEV_EVENT_EOF | BEV_EVENT_READING;
      event_active(g->eof_ev_.get(), EV_READ, 0);
    }
  }
  return progress ? BEV_OK : BEV_NEED_MORE;
}

void Gate::refuse(evbuffer* src, evbuffer* dst, std::size_t head_len, std::string_view method,
                  std::string_view target, GateRefusal why) {
  // `method` and `target` point into `src`: the stand-in is built before the head is drained.
  // The stand-in evhttp dispatches: the same method and target (for the access log), no body.
  bool plain = !method.empty() && !target.empty() && target.size() < 8192 && method_named(method) != Method::Other;
  for (char c : target) plain = plain && static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
  std::string head;
  head.reserve(64 + target.size());
  if (plain) {
    head.append(method).append(" ").append(target);
  } else {
    head.append("GET /");
  }
  head.append(" HTTP/1.1\r\n");
  if (why.close) head.append("Connection: close\r\n");
  head.append("\r\n");
  evbuffer_drain(src, head_len);
  evbuffer_add(dst, head.data(), head.size());
  verdicts_.push_back(why);
  ++forwarded_;
  if (why.close) state_ = State::discard;
}

void Gate::fail_body(evbuffer* dst, GateRefusal why) {
  if (!skip_) {
    // evhttp is inside a chunked body, at a chunk boundary: end it, and answer the verdict.
    evbuffer_add(dst, "\r\n0\r\n\r\n", 7);
    if (!verdicts_.empty()) verdicts_.back() = why;
    state_ = State::discard;
    return;
  }
  // The 401 was answered already: just end the connection.
  state_ = State::discard;
  eof_pending_ = true;
  saved_what_ = BEV_EVENT_EOF | BEV_EVENT_READING;
  if (eof_ev_) event_active(eof_ev_.get(), EV_READ, 0);
}

// Up to left_ body bytes of the n in `src`: forwarded to evhttp, or dropped when the body
// is skipped (401); `next` once the body or chunk is complete.
void Gate::pass_body(evbuffer* src, evbuffer* dst, std::size_t n, State next) {
  const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(left_, n));
  if (skip_) {
    evbuffer_drain(src, take);
  } else {
    evbuffer_remove_buffer(src, dst, take);
  }
  left_ -= take;
  if (left_ == 0) state_ = next;
}

bool Gate::step(evbuffer* src, evbuffer* dst) {
  const std::size_t n = evbuffer_get_length(src);
  const ServerOptions& opt = worker_->server().options();
  switch (state_) {
    case State::discard:
      evbuffer_drain(src, n);
      return true;

    case State::head: {
      // Empty lines between requests are allowed (RFC 9112 2.2).
      const auto* first = evbuffer_pullup(src, std::min<std::size_t>(n, 2));
      if (first[0] == '\r' && n >= 2 && first[1] == '\n') {
        evbuffer_drain(src, 2);
        return true;
      }
      arm_deadline();
      const std::size_t cap = opt.max_header_bytes;
      const std::size_t avail = std::min(n, cap + 4);
      const auto* p = evbuffer_pullup(src, static_cast<ev_ssize_t>(avail));
      if (p == nullptr) return false;
      for (std::size_t i = 0; i < avail; ++i) {
        if (p[i] == '\n') {
          if (i == 0 || p[i - 1] != '\r') {
            refuse(src, dst, n, {}, {}, bad("bare_lf", "request head lines must end with CRLF"));
            return true;
          }
          if (i >= 3 && p[i - 2] == '\n' && p[i - 3] == '\r') return on_head(src, dst, i + 1);
        }
      }
      if (n > cap) {
        refuse(src, dst, n, {}, {}, bad("headers_too_large", "the request head is too large"));
        return true;
      }
      return false;
    }

    case State::body:
      pass_body(src, dst, n, State::head);
      return true;

    case State::chunk_size: {
      const std::size_t avail = std::min(n, kMaxChunkLine);
      const auto* p = evbuffer_pullup(src, static_cast<ev_ssize_t>(avail));
      const void* nl = std::memchr(p, '\n', avail);
      if (nl == nullptr) {
        if (n >= kMaxChunkLine) fail_body(dst, bad("chunk_size_invalid", "malformed chunk size line"));
        return n >= kMaxChunkLine;
      }
      const std::size_t line_len = static_cast<std::size_t>(static_cast<const unsigned char*>(nl) - p);
      if (line_len == 0 || p[line_len - 1] != '\r') {
        fail_body(dst, bad("chunk_size_invalid", "chunk size lines must end with CRLF"));
        return true;
      }
      std::uint64_t size = 0;
      std::size_t i = 0;
      for (; i < line_len - 1; ++i) {
        const unsigned char c = p[i];
        int v = -1;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        if (v < 0) break;
        if (i >= 15) {  // more than 60 bits: larger than any cap
          fail_body(dst, GateRefusal{413, "body_too_large", "request body too large for this resource", true, 0});
          return true;
        }
        size = size * 16 + static_cast<unsigned>(v);
      }
      // After the digits: nothing, or chunk extensions (`;name[=value]`, optional whitespace).
      std::size_t j = i;
      while (j < line_len - 1 && (p[j] == ' ' || p[j] == '\t')) ++j;
      bool ok = i > 0 && (j == line_len - 1 || p[j] == ';');
      for (std::size_t k = j; ok && k < line_len - 1; ++k) ok = (p[k] >= 0x20 && p[k] != 0x7f) || p[k] == '\t';
      if (!ok) {
        fail_body(dst, bad("chunk_size_invalid", "malformed chunk size"));
        return true;
      }
      if (size > max_body_ || total_ + size > max_body_) {
        fail_body(dst, GateRefusal{413, "body_too_large", "request body too large for this resource", true, 0});
        return true;
      }
      evbuffer_drain(src, line_len + 1);
      total_ += size;
      if (!skip_) evbuffer_add_printf(dst, "%llx\r\n", static_cast<unsigned long long>(size));
      if (size == 0) {
        state_ = State::trailer;
        trailer_bytes_ = 0;
      } else {
        left_ = size;
        state_ = State::chunk_data;
      }
      return true;
    }

    case State::chunk_data:
      pass_body(src, dst, n, State::chunk_crlf);
      return true;

    case State::chunk_crlf: {
      if (n < 2) return false;
      const auto* p = evbuffer_pullup(src, 2);
      if (p[0] != '\r' || p[1] != '\n') {
        fail_body(dst, bad("chunk_invalid", "chunk data must end with CRLF"));
        return true;
      }
      evbuffer_drain(src, 2);
      if (!skip_) evbuffer_add(dst, "\r\n", 2);
      state_ = State::chunk_size;
      return true;
    }

    case State::trailer: {
      // Trailer fields are read and dropped (trustmon uses none); CRLF line ends, capped.
      const std::size_t avail = std::min(n, opt.max_header_bytes + 2);
      const auto* p = evbuffer_pullup(src, static_cast<ev_ssize_t>(avail));
      const void* nl = std::memchr(p, '\n', avail);
      if (nl == nullptr) {
        if (trailer_bytes_ + n > opt.max_header_bytes) {
          fail_body(dst, bad("headers_too_large", "the chunked trailer is too large"));
          return true;
        }
        return false;
      }
      const std::size_t line_len = static_cast<std::size_t>(static_cast<const unsigned char*>(nl) - p);
      if (line_len == 0 || p[line_len - 1] != '\r') {
        fail_body(dst, bad("bare_lf", "trailer lines must end with CRLF"));
        return true;
      }
      trailer_bytes_ += line_len + 1;
      if (trailer_bytes_ > opt.max_header_bytes) {
        fail_body(dst, bad("headers_too_large", "the chunked trailer is too large"));
        return true;
      }
      evbuffer_drain(src, line_len + 1);
      if (line_len == 1) {  // the empty line: the request is complete
        if (!skip_) evbuffer_add(dst, "\r\n", 2);
        state_ = State::head;
      }
      return true;
    }
  }
  return false;
}

// A complete head of `head_len` bytes (ending in CRLF CRLF) is at the front of `src`.
bool Gate::on_head(evbuffer* src, evbuffer* dst, std::size_t head_len) {
  if (deadline_armed_) {
    event_del(deadline_ev_.get());
    deadline_armed_ = false;
  }
  const auto* bytes = evbuffer_pullup(src, static_cast<ev_ssize_t>(head_len));
  const std::string_view head(reinterpret_cast<const char*>(bytes), head_len - 2);  // each line keeps its CRLF
  const ServerOptions& opt = worker_->server().options();

  // Request line.
  const std::size_t eol = head.find("\r\n");
  const std::string_view line = head.substr(0, eol);
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    refuse(src, dst, head_len, {}, {}, bad("request_line_invalid", "malformed request line"));
    return true;
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  bool method_ok = !method.empty();
  for (char c : method) method_ok = method_ok && is_tchar(static_cast<unsigned char>(c));
  bool target_ok = !target.empty();
  for (char c : target) target_ok = target_ok && static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
  if (!method_ok || !target_ok || (version != "HTTP/1.1" && version != "HTTP/1.0")) {
    refuse(src, dst, head_len, {}, {}, bad("request_line_invalid", "malformed request line"));
    return true;
  }
  const Method m = method_named(method);
  if (m == Method::Other) {
    refuse(src, dst, head_len, {}, {},
           GateRefusal{501, "not_implemented", "method not implemented", true, 0});
    return true;
  }

  // Header fields.
  bool keep_alive_only = true;  // no Connection header, or exactly keep-alive
  bool conn_close = false, conn_keep_alive = false;  // the Connection options named
  bool have_length = false, chunked = false, te_seen = false, bearer = false, expect_continue = false;
  std::uint64_t length = 0;
  std::string te;
  std::size_t pos = eol + 2;
  while (pos < head.size()) {
    const std::size_t end = head.find("\r\n", pos);
    const std::string_view field = head.substr(pos, end - pos);
    pos = end + 2;
    if (field.front() == ' ' || field.front() == '\t') {
      refuse(src, dst, head_len, method, target, bad("obs_fold", "folded header lines are not accepted"));
      return true;
    }
    const std::size_t colon = field.find(':');
    bool name_ok = colon != std::string_view::npos && colon > 0;
    for (std::size_t i = 0; name_ok && i < colon; ++i) name_ok = is_tchar(static_cast<unsigned char>(field[i]));
    if (!name_ok) {
      refuse(src, dst, head_len, method, target, bad("header_invalid", "malformed header field"));
      return true;
    }
    const std::string_view name = field.substr(0, colon);
    const std::string_view value = trim_ows(field.substr(colon + 1));
    for (char c : value) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && u != '\t') || u == 0x7f) {
        refuse(src, dst, head_len, method, target, bad("header_invalid", "control character in a header value"));
        return true;
      }
    }
    if (iequal(name, "Content-Length")) {
      // "n" or a list of identical "n, n": anything else is ambiguous framing.
      std::string_view rest = value;
      while (true) {
        const std::size_t comma = rest.find(',');
        const std::string_view item = trim_ows(rest.substr(0, comma));
        if (item.empty() || item.size() > 18 ||
            !std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; })) {
          if (item.size() > 18 && std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            refuse(src, dst, head_len, method, target,
                   GateRefusal{413, "body_too_large", "request body too large for this resource", true, 0});
          } else {
            refuse(src, dst, head_len, method, target, bad("content_length_invalid", "invalid Content-Length"));
          }
          return true;
        }
        std::uint64_t v = 0;
        for (char c : item) v = v * 10 + static_cast<unsigned>(c - '0');
        if (have_length && v != length) {
          refuse(src, dst, head_len, method, target,
                 bad("content_length_conflict", "conflicting Content-Length values"));
          return true;
        }
        have_length = true;
        length = v;
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    } else if (iequal(name, "Transfer-Encoding")) {
      if (te_seen) te += ",";
      te.append(value);
      te_seen = true;
    } else if (iequal(name, "Connection")) {
      keep_alive_only = keep_alive_only && iequal(value, "keep-alive");
      std::string_view rest = value;
      while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        const std::string_view option = trim_ows(rest.substr(0, comma));
        conn_close = conn_close || iequal(option, "close");
        conn_keep_alive = conn_keep_alive || iequal(option, "keep-alive");
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    } else if (iequal(name, "Authorization")) {
      bearer = bearer || (value.size() > 7 && value.substr(0, 7) == "Bearer ");
    } else if (iequal(name, "Cookie")) {
      // A cabinet session (responder/access/session.hpp) is a credential too.
      bearer = bearer || value.find("tm_session=") != std::string_view::npos;
    } else if (iequal(name, "Expect")) {
      if (!iequal(value, "100-continue")) {
        refuse(src, dst, head_len, method, target,
               GateRefusal{417, "expectation_failed", "only Expect: 100-continue is supported", true, 0});
        return true;
      }
      expect_continue = true;
    }
  }
  if (te_seen) {
    if (!iequal(trim_ows(te), "chunked") || version == "HTTP/1.0" || have_length) {
      refuse(src, dst, head_len, method, target,
             bad("transfer_encoding_invalid", "Transfer-Encoding must be exactly chunked, without Content-Length"));
      return true;
    }
    chunked = true;
  }
  const bool has_body = chunked || (have_length && length > 0);
  if (m == Method::Head && has_body) {
    refuse(src, dst, head_len, method, target, bad("body_not_allowed", "HEAD requests carry no body"));
    return true;
  }

  const Router::Match match = worker_->server().router_.find(m, path_of(target));
  const RouteLimits limits = match.limits;
  if (reserve_only_ && !limits.essential) {
    refuse(src, dst, head_len, method, target,
           GateRefusal{503, "too_many_connections", "the server is at its connection limit; retry later", true, 5});
    return true;
  }
  switch (limits.body) {
    case BodyClass::small:
      max_body_ = opt.max_small_body_bytes;
      break;
    case BodyClass::json:
      max_body_ = opt.max_json_body_bytes;
      break;
    case BodyClass::bulk:
      max_body_ = opt.max_body_bytes;
      break;
  }
  max_body_ = std::min<std::uint64_t>(max_body_, opt.max_body_bytes);  // the ceiling of every class
  if (have_length && length > max_body_) {
    refuse(src, dst, head_len, method, target,
           GateRefusal{413, "body_too_large", "request body too large for this resource", true, 0});
    return true;
  }
  skip_ = false;
  total_ = 0;
  if (has_body && limits.credential && !bearer && !has_client_certificate()) {
    const GateRefusal why{401, "unauthenticated", "a credential is required (Authorization: Bearer, a session cookie or a TLS client certificate)",
                          expect_continue, 0};
    refuse(src, dst, head_len, method, target, why);
    if (!why.close) {
      skip_ = true;
      left_ = length;
      state_ = chunked ? State::chunk_size : State::body;
    }
    return true;
  }
  if (limits.fast && match.kind == Router::Match::Kind::found && (m == Method::Get || m == Method::Post) &&
      !tls_ && opt.fast_path && version == "HTTP/1.1" && !chunked && !expect_continue && keep_alive_only &&
      target.front() == '/' && forwarded_ == finished_ && verdicts_.empty() && !streaming_ && !worker_->stopping() &&
      evbuffer_get_length(src) - head_len >= length) {
    serve_fast(src, head_len, static_cast<std::size_t>(target.data() - head.data()), target.size(), eol + 2,
               static_cast<std::size_t>(length), m, head.data(), match);
    return true;
  }
  evbuffer_remove_buffer(src, dst, head_len);
  verdicts_.emplace_back(std::nullopt);
  ++forwarded_;
  // TLS: evhttp closes the connection after answering this request; its reply ends the
  // session with close_notify (tls_out).
  if (tls_ && close_at_ == 0 && (conn_close || (version == "HTTP/1.0" && !conn_keep_alive))) close_at_ = forwarded_;
  if (chunked) {
    state_ = State::chunk_size;
  } else if (has_body) {
    left_ = length;
    state_ = State::body;
  }
  return true;
}

}  // namespace trustmon::http

namespace trustmon::http {

// The whole request (head_len + body_len bytes) is at the front of `src`; answers it and
// drains it. Offsets are into the head, which the pullup below may move: then the route
// is found again (on_head's match holds views into the old place).
void Gate::serve_fast(evbuffer* src, std::size_t head_len, std::size_t target_at, std::size_t target_len,
                      std::size_t fields_at, std::size_t body_len, Method method, const void* head_at,
                      const Router::Match& match) {
  const std::size_t total = head_len + body_len;
  const auto* p = evbuffer_pullup(src, static_cast<ev_ssize_t>(total));  // no copy when contiguous
  if (p == nullptr) throw std::bad_alloc();
  const std::string_view all(reinterpret_cast<const char*>(p), total);
  std::string_view target = all.substr(target_at, target_len);
  target = target.substr(0, target.find('#'));
  const std::size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  const bool moved = static_cast<const void*>(p) != head_at;
  FastExchange exchange;
  exchange.gate = this;
  exchange.head = all.substr(fields_at, head_len - 2 - fields_at);
  exchange.body = ByteView(p + head_len, body_len);
  exchange.peer = address_;
  exchange.started_ns = steady_now_ns();
  worker_->dispatch_fast(exchange, method, path, query, moved ? worker_->server().router_.find(method, path) : match);
  evbuffer_drain(src, total);
}

void Gate::write_reply(std::string_view bytes, std::int64_t started_ns) noexcept {
  if (bytes.empty() || tls_) {  // never plaintext onto a TLS connection (no fast path there)
    end_connection();
    return;
  }
  const bool slow = started_ns != 0 && steady_now_ns() - started_ns >= worker_->server().options().fast_hold_after_ns;
  if (fast_pending_.empty() && !slow) {  // made quickly, nothing held before it: out at once
    const std::size_t done = send_now(bytes);
    if (done < bytes.size()) queue_rest(bytes.substr(done));
    return;
  }
  try {
    fast_pending_.append(bytes);
  } catch (...) {
    end_connection();
    return;
  }
  mark_unwritten();
  if (fast_pending_.size() >= kFlushAtOnce) {
    flush_pending();
  } else if (!flush_queued_) {
    flush_queued_ = worker_->queue_flush(this);
    if (!flush_queued_) flush_pending();
  }
}

// Straight to the socket while nothing waits in the socket bufferevent; the bytes taken.
std::size_t Gate::send_now(std::string_view bytes) noexcept {
  evbuffer* out = bufferevent_get_output(underlying_);
  const evutil_socket_t fd = bufferevent_getfd(underlying_);
  std::size_t done = 0;
  if (evbuffer_get_length(out) == 0 && fd >= 0) {
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        break;  // full (the socket bufferevent writes the rest) or failed (it reports the error)
      }
    }
  }
  return done;
}

// What the kernel did not take goes to the socket bufferevent, which writes it in order;
// the reply counts as unwritten until that buffer drains (output_cb).
void Gate::queue_rest(std::string_view rest) noexcept {
  if (evbuffer_add(bufferevent_get_output(underlying_), rest.data(), rest.size()) != 0) {
    end_connection();
    return;
  }
  mark_unwritten();
}

void Gate::mark_unwritten() noexcept {
  if (fast_unwritten_) return;
  fast_unwritten_ = true;
  worker_->on_unflushed();
}

void Gate::flush_pending() noexcept {
  if (fast_pending_.empty()) return;
  const std::size_t done = send_now(fast_pending_);
  const bool partial = done < fast_pending_.size();
  if (partial) queue_rest(std::string_view(fast_pending_).substr(done));
  fast_pending_.clear();  // keeps its capacity for the next turn, within bounds
  if (fast_pending_.capacity() > 2 * kFlushAtOnce) std::string().swap(fast_pending_);
  if (partial) return;
  // All in the kernel, and nothing older waits in the socket bufferevent: written.
  if (fast_unwritten_ && evbuffer_get_length(bufferevent_get_output(underlying_)) == 0) {
    fast_unwritten_ = false;
    worker_->on_flushed();
    maybe_deliver_eof();
  }
}

// The socket bufferevent's output changed: once it is empty, every fast-path reply is out.
void Gate::output_cb(evbuffer* /*buf*/, const evbuffer_cb_info* info, void* arg) noexcept {
  auto* g = static_cast<Gate*>(arg);
  if (!g->fast_unwritten_ || info->n_deleted == 0 || info->orig_size + info->n_added != info->n_deleted) return;
  g->fast_unwritten_ = false;
  g->worker_->on_flushed();
  g->maybe_deliver_eof();
}

// Ends the connection as an end of input would (evhttp frees it, and this gate).
void Gate::end_connection() noexcept {
  state_ = State::discard;
  eof_pending_ = true;
  saved_what_ = BEV_EVENT_EOF | BEV_EVENT_READING;
  if (eof_ev_) event_active(eof_ev_.get(), EV_READ, 0);
}

}  // namespace trustmon::http

namespace trustmon::http {

// TLS input: the ciphertext the socket bufferevent read goes to the session, what it
// decrypts is parsed as on plain HTTP (step), a chunk at a time so at most one chunk and an
// incomplete head wait here. What SSL writes meanwhile (the handshake, alerts, a key update)
// goes to the socket at once.
bufferevent_filter_result Gate::tls_in(evbuffer* src, evbuffer* dst) {
  constexpr std::size_t kChunk = 16384;
  bool progress = false;
  try {
    if (!admitted_) admit();
    if (tls_done_) {
      evbuffer_drain(src, evbuffer_get_length(src));
      return BEV_NEED_MORE;
    }
    while (evbuffer_get_length(src) > 0) {
      const std::size_t n = std::min<std::size_t>(evbuffer_get_contiguous_space(src), 1u << 20);
      const auto* p = evbuffer_pullup(src, static_cast<ev_ssize_t>(n));
      if (p == nullptr || BIO_write(rbio_, p, static_cast<int>(n)) != static_cast<int>(n)) throw std::bad_alloc();
      evbuffer_drain(src, n);
    }
    const bool was_finished = SSL_is_init_finished(ssl_.get()) == 1;
    while (!tls_done_) {
      evbuffer_iovec vec{};
      if (evbuffer_reserve_space(plain_in_.get(), static_cast<ev_ssize_t>(kChunk), &vec, 1) < 1) throw std::bad_alloc();
      const int r = SSL_read(ssl_.get(), vec.iov_base, static_cast<int>(std::min(vec.iov_len, kChunk)));
      if (r > 0) {
        vec.iov_len = static_cast<std::size_t>(r);
        evbuffer_commit_space(plain_in_.get(), &vec, 1);
      } else {
        evbuffer_commit_space(plain_in_.get(), &vec, 0);
        const int err = SSL_get_error(ssl_.get(), r);
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
          // close_notify: the client's end of input; anything else: the session failed.
          const bool clean = err == SSL_ERROR_ZERO_RETURN;
          if (!clean) trustmon::log().debug("http: TLS connection from {} failed", address_);
          ERR_clear_error();
          tls_send(bufferevent_get_output(underlying_));  // an alert, if any
          tls_fail(clean ? BEV_EVENT_EOF | BEV_EVENT_READING : BEV_EVENT_ERROR | BEV_EVENT_READING);
        }
      }
      tls_send(bufferevent_get_output(underlying_));
      if (!was_finished && tls_refuse_pending_ && SSL_is_init_finished(ssl_.get()) == 1) {
        tls_refuse_pending_ = false;
        if (deadline_armed_) {
          event_del(deadline_ev_.get());
          deadline_armed_ = false;
        }
        refuse_connection(dst);
        progress = true;
      }
      while (evbuffer_get_length(plain_in_.get()) > 0 && step(plain_in_.get(), dst)) progress = true;
      if (r <= 0) break;
    }
  } catch (const std::exception& e) {
    trustmon::log().error("http: request gate failed: {}", e.what());
    state_ = State::discard;
    evbuffer_drain(src, evbuffer_get_length(src));
    tls_fail(BEV_EVENT_EOF | BEV_EVENT_READING);
  }
  return progress ? BEV_OK : BEV_NEED_MORE;
}

// The end of input (close_notify) or a failed session, delivered on the loop's next turn as
// the socket bufferevent would deliver it (underlying_event_cb: the end waits for answers).
void Gate::tls_fail(short what) noexcept {
  if (tls_done_) return;
  tls_done_ = true;
  tls_what_ = what;
  if (tls_end_ev_) event_active(tls_end_ev_.get(), EV_READ, 0);
}

void Gate::tls_end_cb(evutil_socket_t, short, void* arg) noexcept {
  auto* g = static_cast<Gate*>(arg);
  underlying_event_cb(g->underlying_, g->tls_what_, nullptr);  // may free this gate
}

// Encrypts the first n bytes of `src` (SSL writes whole records into the memory BIO) and
// drains them.
bool Gate::tls_encrypt(evbuffer* src, std::size_t n) noexcept {
  while (n > 0) {
    const std::size_t k = std::min<std::size_t>({evbuffer_get_contiguous_space(src), n, 1u << 20});
    const auto* p = evbuffer_pullup(src, static_cast<ev_ssize_t>(k));
    if (p == nullptr || SSL_write(ssl_.get(), p, static_cast<int>(k)) != static_cast<int>(k)) {
      ERR_clear_error();
      return false;
    }
    evbuffer_drain(src, k);
    n -= k;
  }
  return true;
}

// What SSL wrote goes straight to the socket while nothing is queued before it, the rest to
// the socket bufferevent (`dst`, its output), which writes it in order.
void Gate::tls_send(evbuffer* dst) noexcept {
  char* data = nullptr;
  const long len = BIO_get_mem_data(wbio_, &data);
  if (len <= 0 || data == nullptr) return;
  const auto total = static_cast<std::size_t>(len);
  std::size_t done = 0;
  const evutil_socket_t fd = bufferevent_getfd(underlying_);
  if (evbuffer_get_length(dst) == 0 && fd >= 0) {
    while (done < total) {
      const ssize_t n = ::send(fd, data + done, total - done, MSG_NOSIGNAL);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        break;  // full (the socket bufferevent writes the rest) or failed (it reports the error)
      }
    }
  }
  if (done < total && evbuffer_add(dst, data + done, total - done) != 0) tls_fail(BEV_EVENT_ERROR | BEV_EVENT_WRITING);
  (void)BIO_reset(wbio_);
}

// TLS output: as filter_out, over records. Everything but a reply's last byte is encrypted
// and sent; the last byte is encrypted only when nothing is queued in the socket bufferevent,
// and reported written (drained from `src`, after which evhttp may close) only when its
// record is in the kernel: at once, or when the socket bufferevent has drained and calls
// back. A reply that ends a refused connection ends with close_notify.
bufferevent_filter_result Gate::tls_out(evbuffer* src, evbuffer* dst) {
  const std::size_t before = evbuffer_get_length(src);
  if (before == 0) return BEV_NEED_MORE;
  if (tls_done_ && (tls_what_ & BEV_EVENT_ERROR)) {
    evbuffer_drain(src, before);  // nothing can be written any more; evhttp frees the connection
    return BEV_OK;
  }
  if (SSL_is_init_finished(ssl_.get()) != 1) return BEV_NEED_MORE;  // nothing to answer yet
  if (tls_tail_) {
    if (evbuffer_get_length(dst) > 0) return BEV_NEED_MORE;
    evbuffer_drain(src, 1);  // its record is in the kernel now
    tls_tail_ = false;
  }
  std::size_t left = evbuffer_get_length(src);
  if (left > 1) {
    if (!tls_encrypt(src, left - 1)) {
      evbuffer_drain(src, evbuffer_get_length(src));
      tls_fail(BEV_EVENT_ERROR | BEV_EVENT_WRITING);
      return BEV_OK;
    }
    tls_send(dst);
    left = 1;
  }
  if (left == 1 && evbuffer_get_length(dst) == 0) {
    unsigned char last = 0;
    evbuffer_copyout(src, &last, 1);
    if (SSL_write(ssl_.get(), &last, 1) != 1) {
      ERR_clear_error();
      evbuffer_drain(src, 1);
      tls_fail(BEV_EVENT_ERROR | BEV_EVENT_WRITING);
      return BEV_OK;
    }
    // The last reply of a connection that closes (after a refusal, or as the request asked):
    // end the session properly.
    if ((state_ == State::discard && forwarded_ <= finished_ + 1) || (close_at_ != 0 && finished_ + 1 == close_at_)) {
      (void)SSL_shutdown(ssl_.get());
      ERR_clear_error();
    }
    tls_send(dst);
    if (evbuffer_get_length(dst) == 0) {
      evbuffer_drain(src, 1);
    } else {
      tls_tail_ = true;  // drained when the socket bufferevent has written it (above)
    }
  }
  return evbuffer_get_length(src) < before ? BEV_OK : BEV_NEED_MORE;
}

}  // namespace trustmon::http
