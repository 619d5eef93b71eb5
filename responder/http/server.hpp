// Server: the libevent HTTP server of trustmond. N worker threads, each with its own
// event_base + evhttp and its own listening socket on the one address (SO_REUSEPORT: the
// kernel spreads connections over the workers; without that option one socket is shared),
// routing through one read-only Router.
//
// Policy:
// - Before the workers' sockets are bound, a plain bind of the address checks that nothing
//   listens there yet (SO_REUSEPORT would otherwise let a second server of the same user
//   join the group): address_in_use as before.
// - Fast routes (the OCSP routes) on plain connections are answered by the Gate itself
//   when the whole request is read (gate.hpp, "fast path"); ServerOptions::fast_path.
// - Every connection passes the Gate (gate.hpp) before evhttp: strict request heads, body
//   caps per route, the credential check before a body is read, the head deadline and the
//   connection caps; its refusals are answered as JSON errors through the access log and the
//   metrics. What evhttp itself still rejects (a URI it cannot parse) is answered by libevent
//   with a small HTML page and Connection: close. The idle keep-alive and body read timeout
//   is read_timeout_seconds.
// - Errors of the API are JSON: {"error":{"code":"...","message":"..."}}; 404 not_found and
//   405 method_not_allowed (with Allow) come from the router.
// - Built-in routes: GET /healthz (200 {"status":"ok"}, or 503 when the readiness check
//   says so) and, when enabled, GET /metrics (Prometheus text).
// - Lifecycle: start() (bind; errors come back) → run() (blocks) ... stop() from anywhere
//   → run() returns once every worker has answered its in-flight requests and written the
//   replies (bounded by shutdown_grace_seconds). The server is one-shot: no restart.
// - start() ignores SIGPIPE for the process: a write to a client that went away must be an
//   error code, not a signal.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <openssl/ssl.h>

#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/result.hpp"
#include "responder/http/event_owners.hpp"
#include "responder/http/gate.hpp"
#include "responder/http/request.hpp"
#include "responder/http/router.hpp"
#include "responder/http/worker.hpp"

namespace trustmon::http {

// An HTTPS listener beside the plain one: same routes, plus client certificates.
struct TlsOptions {
  std::string listen;          // host:port (port 0 = any free port)
  std::string cert_file;       // PEM: server certificate (and chain)
  std::string key_file;        // PEM: its private key
  std::string client_ca_file;  // PEM: CAs whose client certificates are requested; "" = none asked
};

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";  // host:port, [v6]:port, *:port; port 0 = any free port
  unsigned workers = 0;                   // 0 = the CPUs this process may run on
  // Body caps by route class (router.hpp BodyClass): bulk, JSON APIs, everything else;
  // max_body_bytes is also the ceiling of the other two.
  std::size_t max_body_bytes = 10 << 20;
  std::size_t max_json_body_bytes = 1 << 20;
  std::size_t max_small_body_bytes = 64 << 10;
  std::size_t max_header_bytes = 16 << 10;
  int read_timeout_seconds = 30;  // also the idle keep-alive timeout
  int head_timeout_seconds = 10;  // a request head must be complete this long after its first byte; 0 = off
  // After a refusal that closes the connection, what the client still sends is read and
  // dropped this long before the socket closes (linger.hpp); 0 = close at once.
  int linger_timeout_seconds = 5;
  std::size_t max_lingering_per_worker = 256;
  // Connection caps (gate.hpp): 0 = no cap. `reserved_connections` below max_connections
  // serve only essential routes (OCSP, /healthz).
  std::size_t max_connections = 0;
  std::size_t max_connections_per_address = 0;
  std::size_t reserved_connections = 0;
  bool access_log = true;         // one line per request to trustmon::access_log()
  bool metrics = false;           // serve metrics_text() at metrics_path
  std::string metrics_path = "/metrics";
  int shutdown_grace_seconds = 10;  // longest wait for in-flight replies on stop()
  std::optional<TlsOptions> tls;    // the HTTPS listener, when set
  // Fast routes (router.hpp) answered by the connection gate on plain connections
  // (gate.hpp); false = every request goes through evhttp (tests compare the two).
  bool fast_path = true;
  // A fast-path reply that took longer than this to make is held until the loop turn's
  // other ready callbacks have run (gate.hpp, "Replies of one turn"). A pre-signed OCSP
  // answer takes ~1-3 µs, a live P-256 one ~21 µs.
  std::int64_t fast_hold_after_ns = 10'000;
};

struct ListenAddress {
  std::string host;  // "" = any address
  std::uint16_t port = 0;
};
// Parses `host:port`, `[v6]:port`, `*:port` or `:port`. Errors: listen_invalid.
Result<ListenAddress> parse_listen(std::string_view text);

class Server {
 public:
  using WorkerHook = std::function<void(Worker&)>;
  // Adds fields to the /healthz body; returns false when not ready (→ 503).
  using ReadinessCheck = std::function<bool(nlohmann::json& body)>;
  // Appends Prometheus text lines to `out`.
  using MetricsSource = std::function<void(std::string& out)>;

  Server(ServerOptions options, Router router);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  // Must not run while run() is still running on another thread: stop() and join first.
  ~Server();

  // Configuration; call before start().
  Router& router() noexcept { return router_; }
  // Run on each worker thread before its loop starts / after it ended (e.g. to open and to
  // close that worker's LMDB read transaction). A start hook that throws stops the server.
  void on_worker_start(WorkerHook hook) { start_hook_ = std::move(hook); }
  void on_worker_stop(WorkerHook hook) { stop_hook_ = std::move(hook); }
  void set_readiness(ReadinessCheck check) { readiness_ = std::move(check); }
  // Runs once when stopping begins, on worker 0's loop, before the workers drain (e.g. to
  // answer long polls and end streams so the drain does not wait for them).
  void on_stop(std::function<void()> hook) { stop_begin_hook_ = std::move(hook); }
  void add_metrics_source(MetricsSource source) { metrics_sources_.push_back(std::move(source)); }

  // Binds and listens, creates the workers' loops. Errors: listen_invalid, listen_resolve,
  // address_in_use, listen_failed, event_init_failed, already_started.
  Status start();
  // After start(): SIGTERM and SIGINT call stop() (through worker 0's loop). Before run().
  Status handle_signals();
  // The bound port (useful with port 0); 0 before start().
  std::uint16_t port() const noexcept { return port_; }
  // The HTTPS listener's port; 0 without one.
  std::uint16_t tls_port() const noexcept { return tls_port_; }
  SSL_CTX* tls_context() const noexcept { return tls_ctx_.get(); }
  unsigned worker_count() const noexcept { return static_cast<unsigned>(workers_.size()); }
  Worker& worker(unsigned index) { return *workers_.at(index); }
  const ServerOptions& options() const noexcept { return options_; }

  // Runs the worker threads; returns after stop() once all of them have finished.
  void run();
  // Thread-safe and async-signal-safe (an atomic store and a write(2) to an eventfd); may
  // be called before run() (run() then returns at once) and more than once, but not while
  // start() runs on another thread.
  void stop() noexcept;
  bool stop_requested() const noexcept { return stop_requested_.load(std::memory_order_acquire); }

  // Prometheus text: request counts by status class, body bytes, in-flight, connections
  // accepted and fast-path requests per worker, then the owner's metrics sources.
  std::string metrics_text() const;

 private:
  friend class Worker;
  friend class Request;
  friend class Gate;

  void add_builtin_routes();
  // Binds (and listens unless `probe`) on `listen`, on `port` instead of its own when not 0,
  // with SO_REUSEPORT when asked (error reuse_port_unsupported when the system has none).
  static Result<std::pair<detail::Fd, std::uint16_t>> bind_listen(const std::string& listen, std::uint16_t port = 0,
                                                                   bool reuse_port = false, bool probe = false);
  // Errors: tls_config_invalid.
  static Result<std::shared_ptr<SSL_CTX>> make_tls_context(const TlsOptions& tls);
  void stop_all_workers() noexcept;  // on worker 0's loop
  static void wake_cb(evutil_socket_t fd, short, void* arg) noexcept;
  static void signal_cb(evutil_socket_t, short, void* arg) noexcept;

  ServerOptions options_;
  Router router_;
  WorkerHook start_hook_;
  WorkerHook stop_hook_;
  ReadinessCheck readiness_;
  std::function<void()> stop_begin_hook_;
  bool stop_hook_ran_ = false;  // worker 0's loop only
  std::vector<MetricsSource> metrics_sources_;
  ConnectionTable connections_;

  bool log_access_ = true;  // options_.access_log, read on every request
  std::shared_ptr<SSL_CTX> tls_ctx_;  // outlives the workers (declared before them)
  std::vector<detail::Fd> listen_fds_;  // one per worker (or one shared), closed here after them
  detail::Fd tls_listen_fd_;
  detail::Fd stop_fd_;      // eventfd written by stop(), watched by worker 0
  std::uint16_t port_ = 0;
  std::uint16_t tls_port_ = 0;
  std::vector<std::unique_ptr<Worker>> workers_;  // destroyed before listen_fds_ close
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_requested_{false};
  bool started_ = false;
  bool ran_ = false;
};

}  // namespace trustmon::http
