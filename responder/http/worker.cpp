// Worker: loop setup, request dispatch, the cross-thread task queue and the graceful stop.
// Every libevent callback here is a noexcept trampoline that catches what it calls.
#include "responder/http/worker.hpp"

#include <event2/buffer.h>
#include <event2/listener.h>
#include <malloc.h>
#include <openssl/ssl.h>
#include <sys/time.h>

#include <cerrno>
#include <charconv>
#include <optional>
#include <chrono>
#include <exception>
#include <system_error>
#include <utility>

#include "common/log.hpp"
#include "responder/http/gate.hpp"
#include "responder/http/request.hpp"
#include "responder/http/server.hpp"
#include "responder/http/stream.hpp"

namespace trustmon::http {
namespace {

thread_local Worker* t_current_worker = nullptr;

constexpr ev_uint16_t kAllowedMethods = EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                        EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS;
// After accept() fails for lack of descriptors, pause accepting this long instead of spinning
// on a listening socket that stays readable.
constexpr timeval kAcceptPause{0, 200 * 1000};

// One writer per counter: a relaxed load+store is enough and avoids a locked add.
template <typename T, typename U>
void bump(std::atomic<T>& counter, U by) noexcept {
  counter.store(counter.load(std::memory_order_relaxed) + static_cast<T>(by), std::memory_order_relaxed);
}

}  // namespace

Worker::Worker(Server& server, unsigned index) : server_(&server), index_(index) {}

Worker::~Worker() {
  // Tasks never run (the loop never started, or they came too late) hold Requests; mark the
  // worker closed first so those give up instead of posting back into this queue.
  std::vector<Task> leftover;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    closed_flag_.store(true, std::memory_order_release);
    leftover.swap(queue_);
  }
  leftover.clear();
  trustmon::flush_access_log();
}

bool Worker::in_loop_thread() const noexcept { return t_current_worker == this; }

Worker* Worker::current() noexcept { return t_current_worker; }

Gate* Worker::gate_of(evhttp_request* req) const noexcept {
  evhttp_connection* conn = req != nullptr ? evhttp_request_get_connection(req) : nullptr;
  return conn != nullptr ? gate_of(evhttp_connection_get_bufferevent(conn)) : nullptr;
}

Status Worker::configure(evhttp* http) {
  const ServerOptions& opt = server_->options();
  // The gate enforces the cap of each route (max_body_bytes is the ceiling of them all);
  // this is evhttp's backstop on both listeners.
  evhttp_set_max_body_size(http, static_cast<ev_ssize_t>(opt.max_body_bytes));
  evhttp_set_max_headers_size(http, static_cast<ev_ssize_t>(opt.max_header_bytes));
  evhttp_set_timeout(http, opt.read_timeout_seconds);
  evhttp_set_allowed_methods(http, kAllowedMethods);
  evhttp_set_default_content_type(http, nullptr);
  evhttp_set_gencb(http, &Worker::request_cb, this);
  evhttp_set_bevcb(http, &Worker::plain_bev_cb, this);
  return {};
}

// A TLS connection: a socket bufferevent (evhttp sets the fd later) under the gate, which
// holds the connection's TLS session from the server's context (gate.hpp).
bufferevent* Worker::tls_bev_cb(event_base* base, void* arg) noexcept {
  auto* w = static_cast<Worker*>(arg);
  bump(w->counters_.connections, 1);
  if (w->server_->tls_context() == nullptr) return nullptr;
  return Gate::wrap(*w, bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE), true);
}

// A plain connection: a socket bufferevent (evhttp sets the fd later) under the gate.
bufferevent* Worker::plain_bev_cb(event_base* base, void* arg) noexcept {
  auto* w = static_cast<Worker*>(arg);
  bump(w->counters_.connections, 1);
  return Gate::wrap(*w, bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE), false);
}

// Large bodies leave freed heap pages with the allocator; hand them back to the system a
// little later, at most once a second per worker.
void Worker::trim_memory_soon() noexcept {
  if (trim_armed_ || !trim_ev_) return;
  trim_armed_ = true;
  const timeval tv{1, 0};
  event_add(trim_ev_.get(), &tv);
}

void Worker::sweep_cb(evutil_socket_t, short, void* arg) noexcept {
  auto* w = static_cast<Worker*>(arg);
  std::vector<bufferevent*> pending;
  for (const auto& [bev, gate] : w->gates_) {
    auto* b = const_cast<bufferevent*>(bev);
    if (bufferevent_get_underlying(b) != nullptr && evbuffer_get_length(bufferevent_get_output(b)) > 0)
      pending.push_back(b);
  }
  for (bufferevent* b : pending) Gate::kick(b);  // kick re-checks that the gate still exists
}

void Worker::trim_cb(evutil_socket_t, short, void* arg) noexcept {
  static_cast<Worker*>(arg)->trim_armed_ = false;
  ::malloc_trim(0);
}

Status Worker::init(int listen_fd, int tls_fd) {
  {
    // evhttp flips a connection between reading and writing on every request (read off
    // while the handler runs, write on for the reply, then back). The epoll changelist
    // folds the flips of one loop iteration into one epoll_ctl: 2 per request instead of 4,
    // which is most of the syscall difference to a static-file server. Its caveat (one
    // file description registered through dup()ed fds in one epoll set) does not apply:
    // each base has its own epoll set and the shared listening fd is never dup()ed.
    std::unique_ptr<event_config, decltype(&event_config_free)> cfg(event_config_new(), &event_config_free);
    if (!cfg) return make_error(ErrorKind::internal, "event_init_failed", "event_config_new failed");
    event_config_set_flag(cfg.get(), EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    base_.reset(event_base_new_with_config(cfg.get()));
  }
  if (!base_) return make_error(ErrorKind::internal, "event_init_failed", "event_base_new failed");
  lingering_ = std::make_unique<LingeringCloses>(
      base_.get(), server_->options().max_lingering_per_worker,
      std::chrono::seconds(std::max(0, server_->options().linger_timeout_seconds)));
  http_.reset(evhttp_new(base_.get()));
  if (!http_) return make_error(ErrorKind::internal, "event_init_failed", "evhttp_new failed");
  if (Status st = configure(http_.get()); !st) return st;
  auto bind = [this](evhttp* http, int fd) -> Result<evhttp_bound_socket*> {
    // Our own listener without LEV_OPT_CLOSE_ON_FREE: evhttp frees the listener it is
    // given, and the Server closes the descriptors (one per worker, or one shared) last.
    evconnlistener* listener = evconnlistener_new(base_.get(), nullptr, nullptr, LEV_OPT_CLOSE_ON_EXEC, 0, fd);
    if (listener == nullptr) return make_error(ErrorKind::internal, "event_init_failed", "evconnlistener_new failed");
    evhttp_bound_socket* bound = evhttp_bind_listener(http, listener);
    if (bound == nullptr) {
      evconnlistener_free(listener);
      return make_error(ErrorKind::internal, "event_init_failed", "evhttp_bind_listener failed");
    }
    evconnlistener_set_error_cb(listener, &Worker::accept_error_cb);
    return bound;
  };
  auto plain = bind(http_.get(), listen_fd);
  if (!plain) return std::move(plain).error();
  bound_ = *plain;
  if (tls_fd >= 0) {
    https_.reset(evhttp_new(base_.get()));
    if (!https_) return make_error(ErrorKind::internal, "event_init_failed", "evhttp_new failed");
    if (Status st = configure(https_.get()); !st) return st;
    evhttp_set_bevcb(https_.get(), &Worker::tls_bev_cb, this);
    auto tls = bind(https_.get(), tls_fd);
    if (!tls) return std::move(tls).error();
    bound_tls_ = *tls;
  }

  post_ev_.reset(event_new(base_.get(), -1, 0, &Worker::post_cb, this));
  stop_ev_.reset(event_new(base_.get(), -1, 0, &Worker::stop_cb, this));
  grace_ev_.reset(evtimer_new(base_.get(), &Worker::grace_cb, this));
  accept_resume_ev_.reset(evtimer_new(base_.get(), &Worker::accept_resume_cb, this));
  log_flush_ev_.reset(event_new(base_.get(), -1, EV_PERSIST, &Worker::log_flush_cb, this));
  trim_ev_.reset(evtimer_new(base_.get(), &Worker::trim_cb, this));
  sweep_ev_.reset(event_new(base_.get(), -1, EV_PERSIST, &Worker::sweep_cb, this));
  flush_ev_.reset(event_new(base_.get(), -1, 0, &Worker::flush_cb, this));
  if (!post_ev_ || !stop_ev_ || !grace_ev_ || !accept_resume_ev_ || !log_flush_ev_ || !trim_ev_ || !sweep_ev_ ||
      !flush_ev_) {
    return make_error(ErrorKind::internal, "event_init_failed", "event_new failed");
  }
  // Access-log lines are buffered per thread (common/access_log.hpp); this bounds how long
  // a line waits on an idle worker.
  const timeval flush_every{0, 200 * 1000};
  event_add(log_flush_ev_.get(), &flush_every);
  // The gates' backstop: replies queued on a gated connection that nothing flushed.
  const timeval sweep_every{0, 50 * 1000};
  event_add(sweep_ev_.get(), &sweep_every);
  return {};
}

void Worker::log_flush_cb(evutil_socket_t, short, void*) noexcept { trustmon::flush_access_log(); }

void Worker::thread_main() {
  t_current_worker = this;
  if (server_->start_hook_) {
    try {
      server_->start_hook_(*this);
    } catch (const std::exception& e) {
      trustmon::log().error("http: worker {} start hook failed: {}; stopping", index_, e.what());
      server_->stop();
    } catch (...) {
      trustmon::log().error("http: worker {} start hook failed; stopping", index_);
      server_->stop();
    }
  }
  event_base_loop(base_.get(), EVLOOP_NO_EXIT_ON_EMPTY);

  // Replies posted before the loop ended are still sent (they also free requests whose
  // client left); later tasks are refused.
  for (int round = 0; round < 8; ++round) {
    bool any = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      any = !queue_.empty();
    }
    if (!any) break;
    run_posted();
  }
  std::vector<Task> leftover;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    closed_flag_.store(true, std::memory_order_release);
    leftover.swap(queue_);
  }
  leftover.clear();

  if (server_->stop_hook_) {
    try {
      server_->stop_hook_(*this);
    } catch (const std::exception& e) {
      trustmon::log().error("http: worker {} stop hook failed: {}", index_, e.what());
    } catch (...) {
      trustmon::log().error("http: worker {} stop hook failed", index_);
    }
  }
  t_current_worker = nullptr;
}

bool Worker::post(Task task) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!closed_) {
      queue_.push_back(std::move(task));
      if (!wake_armed_) wake = wake_armed_ = true;
    }
  }
  if (task) {
    task = Task();  // refused: destroyed here, outside the lock
    return false;
  }
  if (wake) event_active(post_ev_.get(), EV_READ, 0);
  return true;
}

void Worker::run_posted() noexcept {
  std::vector<Task> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(queue_);
    wake_armed_ = false;
  }
  for (Task& task : batch) {
    try {
      task();
    } catch (const std::exception& e) {
      trustmon::log().error("http: worker {} task failed: {}", index_, e.what());
    } catch (...) {
      trustmon::log().error("http: worker {} task failed", index_);
    }
  }
}

void Worker::request_cb(evhttp_request* req, void* arg) noexcept {
  static_cast<Worker*>(arg)->on_request(req);
}

void Worker::on_request(evhttp_request* raw) noexcept {
  ++pending_;
  bump(counters_.in_flight, 1);
  Request req(raw, this);
  if (server_->log_access_ && trustmon::access_log_enabled()) req.start_ns_ = steady_now_ns();
  std::optional<GateRefusal> refusal;
  if (Gate* gate = gate_of(raw)) refusal = gate->take_verdict();
  if (refusal) {
    try {
      char seconds[16];
      Header headers[2];
      std::size_t n = 0;
      if (refusal->close) headers[n++] = {"Connection", "close"};
      if (refusal->retry_after > 0) {
        const auto res = std::to_chars(seconds, seconds + sizeof seconds, refusal->retry_after);
        headers[n++] = {"Retry-After", std::string_view(seconds, static_cast<std::size_t>(res.ptr - seconds))};
      } else if (refusal->status == 401) {
        headers[n++] = {"WWW-Authenticate", "Bearer"};
      }
      req.note("gate", refusal->code);
      req.reply_error(refusal->status, refusal->code, refusal->message, Headers(headers, n));
    } catch (...) {
    }
    return;
  }
  if (evbuffer_get_length(evhttp_request_get_input_buffer(raw)) >= (1u << 20)) trim_memory_soon();
  run_handler(req, server_->router_.find(req.method(), req.path()));
  // Leaving scope: a request neither answered nor kept by the handler answers 500 here.
}

void Worker::dispatch_fast(FastExchange& exchange, Method method, std::string_view path, std::string_view query,
                           const Router::Match& match) noexcept {
  ++pending_;
  bump(counters_.in_flight, 1);
  bump(counters_.fast, 1);
  Request req(&exchange, this, method, path, query);
  if (server_->log_access_ && trustmon::access_log_enabled()) req.start_ns_ = exchange.started_ns;  // the gate's clock read
  run_handler(req, match);
  // Leaving scope: a handler that did not answer gets the 500 here, still on the fast path.
}

void Worker::run_handler(Request& req, const Router::Match& m) noexcept {
  try {
    switch (m.kind) {
      case Router::Match::Kind::found:
        req.params_ = m.params;
        (*m.handler)(req);
        break;
      case Router::Match::Kind::not_found:
        req.reply_error(404, "not_found", "no such resource");
        break;
      case Router::Match::Kind::method_not_allowed:
        req.reply_error(405, "method_not_allowed", "method not allowed for this resource",
                        {{"Allow", m.allow}});
        break;
    }
  } catch (const std::exception& e) {
    char path_buf[Request::kLogPathBuffer];
    trustmon::log().error("http: handler for {} {} threw: {}", to_string(req.method()),
                          req.log_path(path_buf), e.what());
    if (req.pending()) req.reply_error(500, "internal_error", "internal error");
  } catch (...) {
    char path_buf[Request::kLogPathBuffer];
    trustmon::log().error("http: handler for {} {} threw", to_string(req.method()), req.log_path(path_buf));
    if (req.pending()) req.reply_error(500, "internal_error", "internal error");
  }
}

void Worker::on_reply_sent(int status, std::size_t body_bytes) noexcept {
  if (pending_ > 0) --pending_;
  bump(counters_.requests, 1);
  const int cls = status / 100;
  bump(counters_.by_class[(cls >= 1 && cls <= 5) ? cls : 0], 1);
  bump(counters_.body_bytes, body_bytes);
  bump(counters_.in_flight, -1);
  if (stopping_) maybe_finish();
}

// A reply is "unwritten" from evhttp_send_reply until evhttp reports it written (the
// request's on-complete callback) or its connection dies first (evhttp then frees the
// request without that callback, but calls the connection's close callback). The close
// callback is set only while a reply is unwritten, so it doubles as the per-connection mark.
void Worker::on_reply_queued(evhttp_connection* conn) noexcept {
  evhttp_connection_set_closecb(conn, &Worker::conn_closed_cb, this);
  on_unflushed();
}

void Worker::on_unflushed() noexcept {
  ++unflushed_;
  bump(counters_.unwritten, 1);
}

void Worker::flushed_cb(evhttp_request* req, void* arg) noexcept {
  if (evhttp_connection* conn = evhttp_request_get_connection(req)) {
    evhttp_connection_set_closecb(conn, nullptr, nullptr);
    if (Gate* gate = static_cast<Worker*>(arg)->gate_of(evhttp_connection_get_bufferevent(conn)))
      gate->on_reply_finished();
  }
  static_cast<Worker*>(arg)->on_flushed();
}

void Worker::conn_closed_cb(evhttp_connection* /*conn*/, void* arg) noexcept {
  static_cast<Worker*>(arg)->on_flushed();
}

void Worker::on_flushed() noexcept {
  if (unflushed_ > 0) {
    --unflushed_;
    bump(counters_.unwritten, -1);
  }
  if (stopping_) maybe_finish();
}

// The event is activated by the turn's first fast-path reply; libevent runs it after the
// callbacks already active in this turn (one priority, appended to the active queue).
bool Worker::queue_flush(Gate* gate) noexcept {
  if (!flush_ev_) return false;
  try {
    flush_queue_.push_back(gate);
  } catch (...) {
    return false;
  }
  if (flush_queue_.size() == 1) event_active(flush_ev_.get(), EV_READ, 0);
  return true;
}

void Worker::unqueue_flush(Gate* gate) noexcept {
  for (Gate*& g : flush_queue_) {
    if (g == gate) g = nullptr;
  }
}

// Sending never frees a gate here (an ended connection goes on the loop's next turn), so
// the queue cannot change under the walk; an entry cleared by unqueue_flush is skipped.
void Worker::flush_cb(evutil_socket_t, short, void* arg) noexcept {
  auto* w = static_cast<Worker*>(arg);
  bump(w->counters_.fast_turns, 1);
  for (std::size_t i = 0; i < w->flush_queue_.size(); ++i) {
    Gate* g = w->flush_queue_[i];
    if (g == nullptr) continue;
    g->flush_queued_ = false;
    g->flush_pending();
  }
  w->flush_queue_.clear();
}

void Worker::post_cb(evutil_socket_t, short, void* arg) noexcept { static_cast<Worker*>(arg)->run_posted(); }

void Worker::stop_cb(evutil_socket_t, short, void* arg) noexcept { static_cast<Worker*>(arg)->begin_stop(); }

void Worker::begin_stop() noexcept {
  if (stopping_) return;
  stopping_ = true;
  if (bound_ != nullptr) {
    evhttp_del_accept_socket(http_.get(), bound_);  // frees our listener, leaves the fd open
    bound_ = nullptr;
  }
  if (bound_tls_ != nullptr) {
    evhttp_del_accept_socket(https_.get(), bound_tls_);
    bound_tls_ = nullptr;
  }
  event_del(accept_resume_ev_.get());
  if (lingering_) lingering_->stop();
  // Streams never end by themselves: end them now (each removes itself from streams_).
  std::vector<std::shared_ptr<Stream>> open = streams_;
  for (auto& stream : open) stream->end_now();
  const int grace = server_->options().shutdown_grace_seconds;
  const timeval tv{grace > 0 ? grace : 0, 0};
  event_add(grace_ev_.get(), &tv);
  maybe_finish();
}

void Worker::add_stream(std::shared_ptr<Stream> stream) { streams_.push_back(std::move(stream)); }

void Worker::remove_stream(Stream* stream) noexcept {
  std::erase_if(streams_, [stream](const std::shared_ptr<Stream>& s) { return s.get() == stream; });
}

void Worker::maybe_finish() noexcept {
  if (pending_ == 0 && unflushed_ == 0) event_base_loopexit(base_.get(), nullptr);
}

void Worker::grace_cb(evutil_socket_t, short, void* arg) noexcept {
  auto* w = static_cast<Worker*>(arg);
  trustmon::log().warn(
      "http: worker {} stopping with {} unanswered and {} unwritten replies after the grace period",
      w->index_, w->pending_, w->unflushed_);
  event_base_loopbreak(w->base_.get());
}

void Worker::accept_error_cb(evconnlistener* listener, void* arg) noexcept {
  // evhttp binds the listener with itself as the callback argument; find our worker
  // through the thread instead.
  (void)arg;
  const int err = EVUTIL_SOCKET_ERROR();
  Worker* w = t_current_worker;
  trustmon::log().warn("http: accept failed: {}; pausing accepts",
                       std::error_code(err, std::system_category()).message());
  evconnlistener_disable(listener);
  if (w != nullptr) event_add(w->accept_resume_ev_.get(), &kAcceptPause);
}

void Worker::accept_resume_cb(evutil_socket_t, short, void* arg) noexcept {
  auto* w = static_cast<Worker*>(arg);
  if (w->stopping_) return;
  if (w->bound_ != nullptr) evconnlistener_enable(evhttp_bound_socket_get_listener(w->bound_));
  if (w->bound_tls_ != nullptr) evconnlistener_enable(evhttp_bound_socket_get_listener(w->bound_tls_));
}

}  // namespace trustmon::http
