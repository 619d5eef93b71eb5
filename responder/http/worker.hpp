// Worker: one event loop thread of the server, with its own event_base and evhttp accepting
// on its own listening socket (SO_REUSEPORT: the kernel spreads new connections over the
// workers; where that option is missing, every worker accepts on one shared socket).
// Requests reach it from evhttp (on_request) or, for fast routes on plain connections,
// straight from the connection gate (dispatch_fast, gate.hpp); both count, log and drain
// the same way.
//
// Policy: everything that touches a worker's libevent objects runs on that worker's loop
// thread. Other threads reach it through post(), a mutex-protected queue plus an event
// activated with event_active (safe across threads because the server calls
// evthread_use_pthreads before creating any base). A worker shuts down in three steps:
// it stops accepting, waits until every request it dispatched has been answered and every
// reply has been written (or a grace period ends), then leaves its loop, runs what is still
// queued, and refuses later tasks (they are destroyed on the posting thread).
#pragma once

#include <event2/event.h>
#include <event2/http.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common/result.hpp"
#include "responder/http/event_owners.hpp"
#include "responder/http/linger.hpp"
#include "responder/http/router.hpp"
#include "responder/http/task.hpp"

namespace trustmon::http {

class Server;
class Stream;
class Gate;
struct FastExchange;

class Worker {
 public:
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker();

  unsigned index() const noexcept { return index_; }
  event_base* base() const noexcept { return base_.get(); }
  Server& server() const noexcept { return *server_; }
  // True on this worker's loop thread (while it runs).
  bool in_loop_thread() const noexcept;
  // The worker whose loop runs on the calling thread, or null.
  static Worker* current() noexcept;

  // Runs `task` on this worker's loop thread, in posting order. Thread-safe. Returns false
  // (and destroys the task on the calling thread) once the worker has shut down.
  bool post(Task task);

  // Open streams of this worker (responder/http/stream.hpp); loop thread only.
  std::size_t open_streams() const noexcept { return streams_.size(); }

  // A slot for the owner's per-worker state (e.g. a reusable LMDB read transaction), set
  // from the server's worker start hook and read by handlers through Request::worker().
  void set_user(void* user) noexcept { user_ = user; }
  void* user() const noexcept { return user_; }
  template <typename T>
  T* user_as() const noexcept {
    return static_cast<T*>(user_);
  }

  // Counters read by Server::metrics_text(); one writer (the loop thread) per worker.
  struct alignas(64) Counters {
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> by_class[6]{};  // [0] = other, [1..5] = 1xx..5xx
    std::atomic<std::uint64_t> body_bytes{0};
    std::atomic<std::int64_t> in_flight{0};  // dispatched, not answered
    std::atomic<std::int64_t> unwritten{0};  // answered, not fully written to the socket
    std::atomic<std::uint64_t> connections{0};  // connections this worker accepted
    std::atomic<std::uint64_t> fast{0};         // of the requests, answered by the gate's fast path
    std::atomic<std::uint64_t> fast_turns{0};   // loop turns whose fast-path replies were sent together
  };
  const Counters& counters() const noexcept { return counters_; }

 private:
  friend class Server;
  friend class Request;
  friend class Stream;
  friend class Gate;

  Worker(Server& server, unsigned index);
  // The gate of a connection's bufferevent (the filter evhttp holds, or the one below it).
  Gate* gate_of(const bufferevent* bev) const noexcept {
    auto it = gates_.find(bev);
    return it == gates_.end() ? nullptr : it->second;
  }
  Gate* gate_of(evhttp_request* req) const noexcept;

  // Creates the base, the evhttp with the server's limits, and binds the shared socket;
  // with tls_fd >= 0 also a second evhttp whose connections speak TLS.
  Status init(int listen_fd, int tls_fd);
  Status configure(evhttp* http);
  void thread_main();  // the worker thread's body: start hook, loop, drain, stop hook

  // Loop-thread entry points.
  void on_request(evhttp_request* req) noexcept;
  // A request the gate answers itself (gate.hpp): dispatched as on_request does, answered
  // before this returns.
  void dispatch_fast(FastExchange& exchange, Method method, std::string_view path, std::string_view query,
                     const Router::Match& match) noexcept;
  void run_handler(Request& req, const Router::Match& m) noexcept;
  void on_reply_sent(int status, std::size_t body_bytes) noexcept;
  void on_reply_queued(evhttp_connection* conn) noexcept;
  void on_unflushed() noexcept;  // one more reply not yet in the kernel (on_flushed: one fewer)
  void on_flushed() noexcept;
  // Fast-path replies of this turn (gate.hpp, "Replies of one turn"): the gate's waiting
  // replies are sent once the callbacks ready with it have run. False: cannot queue (the
  // gate sends at once).
  bool queue_flush(Gate* gate) noexcept;
  void unqueue_flush(Gate* gate) noexcept;  // the gate goes away before its turn
  static void flush_cb(evutil_socket_t, short, void* arg) noexcept;
  void begin_stop() noexcept;
  void maybe_finish() noexcept;
  void run_posted() noexcept;
  bool closed() const noexcept { return closed_flag_.load(std::memory_order_acquire); }
  bool stopping() const noexcept { return stopping_; }
  void add_stream(std::shared_ptr<Stream> stream);
  void remove_stream(Stream* stream) noexcept;

  static void request_cb(evhttp_request* req, void* arg) noexcept;
  static bufferevent* tls_bev_cb(event_base* base, void* arg) noexcept;
  static bufferevent* plain_bev_cb(event_base* base, void* arg) noexcept;
  void trim_memory_soon() noexcept;
  static void trim_cb(evutil_socket_t, short, void* arg) noexcept;
  static void sweep_cb(evutil_socket_t, short, void* arg) noexcept;
  static void flushed_cb(evhttp_request* req, void* arg) noexcept;
  static void conn_closed_cb(evhttp_connection* conn, void* arg) noexcept;
  static void post_cb(evutil_socket_t, short, void* arg) noexcept;
  static void stop_cb(evutil_socket_t, short, void* arg) noexcept;
  static void grace_cb(evutil_socket_t, short, void* arg) noexcept;
  static void accept_error_cb(evconnlistener* listener, void* arg) noexcept;
  static void accept_resume_cb(evutil_socket_t, short, void* arg) noexcept;
  static void log_flush_cb(evutil_socket_t, short, void* arg) noexcept;

  Server* server_;
  unsigned index_;
  void* user_ = nullptr;

  // Member order = reverse destruction order: the base goes last.
  detail::EventBasePtr base_;
  // Before the evhttps: a gate freed with its connection when an evhttp goes unregisters here.
  std::unordered_map<const bufferevent*, Gate*> gates_;  // each gate under its two bufferevents
  std::vector<Gate*> flush_queue_;  // gates with fast-path replies waiting for the turn's end
  std::unique_ptr<LingeringCloses> lingering_;  // outlives the evhttps, whose connections feed it
  detail::EvhttpPtr http_;
  detail::EvhttpPtr https_;  // null without a TLS listener
  detail::EventPtr post_ev_;
  detail::EventPtr stop_ev_;
  detail::EventPtr grace_ev_;
  detail::EventPtr accept_resume_ev_;
  detail::EventPtr log_flush_ev_;
  detail::EventPtr trim_ev_;
  detail::EventPtr flush_ev_;  // sends the fast-path replies of a turn (queue_flush)
  detail::EventPtr sweep_ev_;  // backstop for replies evhttp queued itself (gate.hpp kick)  // malloc_trim after large bodies, at most once a second
  detail::EventPtr wake_ev_;                  // worker 0 only: the server's stop eventfd
  std::vector<detail::EventPtr> signal_evs_;  // worker 0 only: see Server::handle_signals
  evhttp_bound_socket* bound_ = nullptr;      // owned by http_; null once accepting stopped
  evhttp_bound_socket* bound_tls_ = nullptr;  // owned by https_; idem

  // Cross-thread queue.
  std::mutex mu_;
  std::vector<Task> queue_;
  bool wake_armed_ = false;
  bool closed_ = false;  // under mu_
  std::atomic<bool> closed_flag_{false};

  // Loop-thread state.
  bool stopping_ = false;
  std::size_t pending_ = 0;    // dispatched, not yet answered
  std::size_t unflushed_ = 0;  // answered on a live connection, not yet fully written
  std::vector<std::shared_ptr<Stream>> streams_;  // open streams (few per worker)
  bool trim_armed_ = false;

  Counters counters_;
};

}  // namespace trustmon::http
