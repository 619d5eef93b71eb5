// Server: the listening socket, worker creation, lifecycle (start/run/stop/signals), the
// built-in routes and the metrics text.
#include "responder/http/server.hpp"

#include <arpa/inet.h>
#include <event2/thread.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <system_error>

#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/ossl.hpp"

namespace trustmon::http {
namespace {

std::string errno_text(int err) { return std::error_code(err, std::system_category()).message(); }

// libevent's own diagnostics. In evhttp they are mostly about bad client input, so they go
// to debug/info, not warn (errors are for faults of the server).
void libevent_log(int severity, const char* msg) noexcept {
  try {
    switch (severity) {
      case EVENT_LOG_DEBUG:
        trustmon::log().debug("libevent: {}", msg);
        break;
      case EVENT_LOG_MSG:
      case EVENT_LOG_WARN:
        trustmon::log().info("libevent: {}", msg);
        break;
      default:
        trustmon::log().error("libevent: {}", msg);
        break;
    }
  } catch (...) {
  }
}

void init_libevent_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Makes event_base locks real, so event_active() from other threads (Worker::post,
    // Server::stop) is safe. Must precede every event_base_new.
    evthread_use_pthreads();
    event_set_log_callback(&libevent_log);
  });
}

void ignore_sigpipe() {
  struct sigaction sa {};
  sa.sa_handler = SIG_IGN;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGPIPE, &sa, nullptr);
}

unsigned usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<unsigned>(n);
  }
  const unsigned hc = std::thread::hardware_concurrency();
  return hc > 0 ? hc : 1;
}

Result<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  if (text.empty() || text.size() > 5) return make_error(ErrorKind::invalid, "listen_invalid", "listen port must be 0..65535");
  const auto res = std::from_chars(text.data(), text.data() + text.size(), value);
  if (res.ec != std::errc() || res.ptr != text.data() + text.size() || value > 65535) {
    return make_error(ErrorKind::invalid, "listen_invalid", "listen port must be 0..65535");
  }
  return static_cast<std::uint16_t>(value);
}

// Verification of client certificates is recorded, not enforced, in the handshake: the
// request then gets a JSON 401 that says why (expired, unknown CA...), which a client can
// act on, instead of a bare TLS alert. Requests without a verified binding never pass
// authentication (responder/access).
int accept_any_client_cert(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) { return 1; }

}  // namespace

Result<std::pair<detail::Fd, std::uint16_t>> Server::bind_listen(const std::string& listen, std::uint16_t port_override,
                                                                  bool reuse_port, bool probe) {
  auto addr = parse_listen(listen);
  if (!addr) return addr.error();
  if (port_override != 0) addr->port = port_override;

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port_text = std::to_string(addr->port);
  const int gai =
      ::getaddrinfo(addr->host.empty() ? nullptr : addr->host.c_str(), port_text.c_str(), &hints, &found);
  if (gai != 0 || found == nullptr) {
    return make_error(ErrorKind::invalid, "listen_resolve", "cannot resolve listen address " + listen + ": " + gai_strerror(gai));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(found, &::freeaddrinfo);

  detail::Fd fd(
      ::socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, found->ai_protocol));
  if (!fd) return make_error(ErrorKind::unavailable, "listen_failed", "socket: " + errno_text(errno));
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    return make_error(ErrorKind::unsupported, "reuse_port_unsupported", "SO_REUSEPORT: " + errno_text(errno));
  }
  // Linux hands TCP_NODELAY down to accepted sockets; replies are one write each anyway,
  // this only keeps Nagle from holding back the last segment of a larger one.
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::bind(fd.get(), found->ai_addr, found->ai_addrlen) != 0) {
    const int err = errno;
    return make_error(ErrorKind::unavailable, err == EADDRINUSE ? "address_in_use" : "listen_failed", "bind " + listen + ": " + errno_text(err));
  }
  if (!probe && ::listen(fd.get(), SOMAXCONN) != 0) return make_error(ErrorKind::unavailable, "listen_failed", "listen: " + errno_text(errno));
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
    return make_error(ErrorKind::unavailable, "listen_failed", "getsockname: " + errno_text(errno));
  }
  const std::uint16_t port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                               : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return std::make_pair(std::move(fd), port);
}

Result<std::shared_ptr<SSL_CTX>> Server::make_tls_context(const TlsOptions& tls) {
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), &SSL_CTX_free);
  if (!ctx) return ossl_error(ErrorKind::invalid, "tls_config_invalid", "SSL_CTX_new");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert_file.c_str()) != 1)
    return ossl_error(ErrorKind::invalid, "tls_config_invalid", "server certificate " + tls.cert_file);
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    return ossl_error(ErrorKind::invalid, "tls_config_invalid", "server key file");  // no path: it names a secret's place only
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    return ossl_error(ErrorKind::invalid, "tls_config_invalid", "the server key does not match its certificate");
  if (!tls.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), tls.client_ca_file.c_str(), nullptr) != 1)
      return ossl_error(ErrorKind::invalid, "tls_config_invalid", "client CA file " + tls.client_ca_file);
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str());
    if (names != nullptr) SSL_CTX_set_client_CA_list(ctx.get(), names);  // takes ownership
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, &accept_any_client_cert);
    SSL_CTX_set_verify_depth(ctx.get(), 8);
  }
  // Client certificates are looked at per request; session resumption would hide a
  // changed binding only until the next full handshake, which is acceptable, but keep it
  // simple and exact: no session cache.
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
  ossl_errors();
  return ctx;
}

Result<ListenAddress> parse_listen(std::string_view text) {
  ListenAddress out;
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close == 1 || close + 1 >= text.size() || text[close + 1] != ':') {
      return make_error(ErrorKind::invalid, "listen_invalid", "expected [address]:port");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return make_error(ErrorKind::invalid, "listen_invalid", "expected host:port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return make_error(ErrorKind::invalid, "listen_invalid", "an IPv6 address must be written in brackets: [address]:port");
    }
    if (host == "*") host = {};
  }
  for (char c : host) {
    if (c <= ' ' || c == '/' || c == '[' || c == ']' || static_cast<unsigned char>(c) >= 0x7f) {
      return make_error(ErrorKind::invalid, "listen_invalid", "invalid character in listen host");
    }
  }
  auto p = parse_port(port);
  if (!p) return p.error();
  out.host = std::string(host);
  out.port = *p;
  return out;
}

Server::Server(ServerOptions options, Router router)
    : options_(std::move(options)), router_(std::move(router)) {
  log_access_ = options_.access_log;
}

Server::~Server() {
  stop();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

Status Server::start() {
  if (started_) return make_error(ErrorKind::internal, "already_started", "the server was already started");
  init_libevent_once();
  ignore_sigpipe();

  const unsigned n = options_.workers > 0 ? options_.workers : usable_cpus();
  // The probe: a plain bind fails if anything listens on the address already.
  {
    auto probe = bind_listen(options_.listen, 0, false, true);
    if (!probe) return std::move(probe).error();
    port_ = probe->second;
  }
  std::vector<detail::Fd> fds;
  for (unsigned i = 0; i < n; ++i) {
    auto bound = bind_listen(options_.listen, port_, true);
    if (!bound && i == 0 && bound.error().code == "reuse_port_unsupported") {
      bound = bind_listen(options_.listen, port_);  // one socket, shared by the workers
      if (!bound) return std::move(bound).error();
      fds.push_back(std::move(bound->first));
      break;
    }
    if (!bound) return std::move(bound).error();
    fds.push_back(std::move(bound->first));
  }
  detail::Fd tls_fd;
  if (options_.tls) {
    auto ctx = make_tls_context(*options_.tls);
    if (!ctx) return std::move(ctx).error();
    tls_ctx_ = std::move(*ctx);
    auto bound = bind_listen(options_.tls->listen);
    if (!bound) return std::move(bound).error();
    tls_fd = std::move(bound->first);
    tls_port_ = bound->second;
  }

  detail::Fd stop_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!stop_fd) return make_error(ErrorKind::internal, "event_init_failed", "eventfd: " + errno_text(errno));

  add_builtin_routes();
  connections_.configure(options_.max_connections, options_.max_connections_per_address,
                         options_.reserved_connections);

  std::vector<std::unique_ptr<Worker>> workers;
  workers.reserve(n);
  for (unsigned i = 0; i < n; ++i) {
    workers.push_back(std::unique_ptr<Worker>(new Worker(*this, i)));
    const int fd = fds[i < fds.size() ? i : 0].get();
    if (Status s = workers.back()->init(fd, tls_fd ? tls_fd.get() : -1); !s) return s;
  }
  Worker& first = *workers.front();
  first.wake_ev_.reset(event_new(first.base(), stop_fd.get(), EV_READ | EV_PERSIST, &Server::wake_cb, this));
  if (!first.wake_ev_ || event_add(first.wake_ev_.get(), nullptr) != 0) {
    return make_error(ErrorKind::internal, "event_init_failed", "cannot watch the stop eventfd");
  }

  listen_fds_ = std::move(fds);
  tls_listen_fd_ = std::move(tls_fd);
  stop_fd_ = std::move(stop_fd);
  workers_ = std::move(workers);
  started_ = true;
  // A stop() that came before start() finished had no eventfd to write to.
  if (stop_requested()) stop();
  return {};
}

Status Server::handle_signals() {
  if (!started_) return make_error(ErrorKind::internal, "not_started", "handle_signals needs start() first");
  Worker& first = *workers_.front();
  for (int sig : {SIGTERM, SIGINT}) {
    detail::EventPtr ev(evsignal_new(first.base(), sig, &Server::signal_cb, this));
    if (!ev || event_add(ev.get(), nullptr) != 0) {
      return make_error(ErrorKind::internal, "event_init_failed", "cannot watch signal " + std::to_string(sig));
    }
    first.signal_evs_.push_back(std::move(ev));
  }
  return {};
}

void Server::run() {
  if (!started_ || ran_) return;
  ran_ = true;
  try {
    threads_.reserve(workers_.size());
    for (auto& w : workers_) {
      Worker* worker = w.get();
      threads_.emplace_back([worker] { worker->thread_main(); });
    }
  } catch (const std::exception& e) {
    trustmon::log().error("http: cannot start worker threads: {}", e.what());
    stop();
  }
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void Server::stop() noexcept {
  const int saved_errno = errno;
  stop_requested_.store(true, std::memory_order_release);
  if (stop_fd_) {
    const std::uint64_t one = 1;
    const ssize_t r = ::write(stop_fd_.get(), &one, sizeof one);
    (void)r;  // EAGAIN: the counter is already non-zero, a wake-up is pending anyway
  }
  errno = saved_errno;
}

void Server::wake_cb(evutil_socket_t fd, short, void* arg) noexcept {
  std::uint64_t value = 0;
  const ssize_t r = ::read(fd, &value, sizeof value);
  (void)r;
  static_cast<Server*>(arg)->stop_all_workers();
}

void Server::signal_cb(evutil_socket_t sig, short, void* arg) noexcept {
  trustmon::log().info("http: signal {} received, stopping", static_cast<int>(sig));
  static_cast<Server*>(arg)->stop();
}

void Server::stop_all_workers() noexcept {
  if (stop_begin_hook_ && !stop_hook_ran_) {
    stop_hook_ran_ = true;
    try {
      stop_begin_hook_();
    } catch (const std::exception& e) {
      trustmon::log().error("http: stop hook failed: {}", e.what());
    } catch (...) {
      trustmon::log().error("http: stop hook failed");
    }
  }
  for (auto& w : workers_) event_active(w->stop_ev_.get(), EV_READ, 0);
}

void Server::add_builtin_routes() {
  if (!router_.has_exact(Method::Get, "/healthz")) {
    router_.add(Method::Get, "/healthz", [this](Request& req) {
      nlohmann::json body = {{"status", "ok"}};
      bool ready = true;
      if (readiness_) {
        try {
          ready = readiness_(body);
        } catch (const std::exception& e) {
          trustmon::log().error("http: readiness check threw: {}", e.what());
          ready = false;
        }
      }
      if (!ready) body["status"] = "unavailable";
      req.reply_json(ready ? 200 : 503, body, {{"Cache-Control", "no-store"}});
    }, kEssentialRoute);
  }
  if (options_.metrics && !router_.has_exact(Method::Get, options_.metrics_path)) {
    router_.add(Method::Get, options_.metrics_path, [this](Request& req) {
      const std::string text = metrics_text();
      req.reply(200, "text/plain; version=0.0.4; charset=utf-8", text, {{"Cache-Control", "no-store"}});
    });
  }
}

std::string Server::metrics_text() const {
  std::uint64_t requests = 0, bytes = 0;
  std::uint64_t by_class[6] = {};
  std::int64_t in_flight = 0, unwritten = 0;
  for (const auto& w : workers_) {
    const Worker::Counters& c = w->counters();
    requests += c.requests.load(std::memory_order_relaxed);
    bytes += c.body_bytes.load(std::memory_order_relaxed);
    in_flight += c.in_flight.load(std::memory_order_relaxed);
    unwritten += c.unwritten.load(std::memory_order_relaxed);
    for (int i = 0; i < 6; ++i) by_class[i] += c.by_class[i].load(std::memory_order_relaxed);
  }
  std::string out;
  out.reserve(1024);
  MetricsText m(out);
  m.counter("trustmon_http_requests_total", "Requests answered through the router.", requests);
  m.header("trustmon_http_responses_total", "counter", "Responses by status class.");
  static constexpr const char* kClass[6] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
  for (int i = 1; i < 6; ++i) m.sample("trustmon_http_responses_total", "class", kClass[i], by_class[i]);
  if (by_class[0] != 0) m.sample("trustmon_http_responses_total", "class", kClass[0], by_class[0]);
  m.counter("trustmon_http_response_body_bytes_total", "Response body bytes sent.", bytes);
  m.gauge("trustmon_http_requests_in_flight", "Requests dispatched and not answered yet.", in_flight);
  m.gauge("trustmon_http_replies_unwritten", "Replies handed to a connection and not fully written yet.", unwritten);
  m.gauge("trustmon_http_workers", "Worker threads.", static_cast<std::int64_t>(workers_.size()));
  m.gauge("trustmon_http_connections", "Open client connections.", static_cast<std::int64_t>(connections_.total()));
  m.counter("trustmon_http_connections_refused_total", "Connections answered 503 at a connection cap.",
            connections_.refused());
  // One sample per worker of a counter in Worker::Counters.
  const auto per_worker = [&](const char* name, const char* help, auto field) {
    m.header(name, "counter", help);
    for (const auto& w : workers_) {
      char index[16];
      const auto res = std::to_chars(index, index + sizeof index, w->index());
      m.sample(name, "worker", std::string_view(index, static_cast<std::size_t>(res.ptr - index)),
               (w->counters().*field).load(std::memory_order_relaxed));
    }
  };
  per_worker("trustmon_http_connections_accepted_total", "Connections accepted, by worker.",
             &Worker::Counters::connections);
  per_worker("trustmon_http_fast_requests_total",
             "Requests answered by the connection gate's fast path (OCSP), by worker.", &Worker::Counters::fast);
  per_worker("trustmon_http_fast_turns_total",
             "Loop turns whose fast-path replies were sent together, by worker (fast requests / turns = replies per turn).",
             &Worker::Counters::fast_turns);
  for (const MetricsSource& source : metrics_sources_) {
    try {
      source(out);
    } catch (const std::exception& e) {
      trustmon::log().error("http: metrics source threw: {}", e.what());
    }
  }
  return out;
}

}  // namespace trustmon::http
