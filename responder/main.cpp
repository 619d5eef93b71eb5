// trustmond: configuration -> storage -> services -> routes -> event loops. Wiring only;
// every behaviour lives in a library. Start-up errors are fatal (exit 1 with a message);
// SIGTERM/SIGINT stop the server, then the refresher, then the Writer (which finishes
// every accepted write), so an acknowledged write is always committed.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <functional>
#include <thread>

#include "common/clock.hpp"
#include "common/log.hpp"
#include "responder/config/config.hpp"
#include "responder/http/server.hpp"
#include "responder/ocsp/refresher.hpp"
#include "responder/ocsp/responder.hpp"
#include "responder/pki/issuer_sync.hpp"
#include "responder/registry/registry.hpp"
#include "responder/access/authenticator.hpp"
#include "responder/access/rate_limiter.hpp"
#include "responder/access/service.hpp"
#include "responder/csr/csr_service.hpp"
#include "responder/csr/sweeper.hpp"
#include "responder/feed/feed.hpp"
#include "responder/routes/admin_routes.hpp"
#include "responder/routes/api_context.hpp"
#include "responder/routes/api_routes.hpp"
#include "responder/routes/csr_routes.hpp"
#include "responder/routes/tl_routes.hpp"
#include "responder/routes/application_routes.hpp"
#include "responder/applications/applications.hpp"
#include "tsl/service.hpp"
#include "responder/routes/events_routes.hpp"
#include "responder/routes/ocsp_routes.hpp"
#include "responder/routes/watch_routes.hpp"
#include "responder/routes/worker_state.hpp"
#include "responder/watch/dispatcher.hpp"
#include "responder/watch/service.hpp"
#include "storage/writer.hpp"

namespace trustmon {
namespace {

int fail(const std::string& what, const Error& e) {
  std::fprintf(stderr, "trustmond: %s: %s (%s)\n", what.c_str(), e.message.c_str(), e.code.c_str());
  log().error("{}: {} ({})", what, e.message, e.code);
  spdlog::shutdown();
  return 1;
}

ocsp::OcspOptions ocsp_options(const config::Config& c) {
  ocsp::OcspOptions o;
  o.validity = c.ocsp_validity;
  o.refresh_margin = c.ocsp_refresh_margin;
  o.echo_nonce = c.ocsp_nonce == "echo";
  o.unknown_as_revoked = c.ocsp_unknown == "revoked";
  o.max_certids = c.ocsp_max_certids;
  o.max_request_bytes = c.ocsp_max_request_bytes;
  o.live_signatures_per_second = c.ocsp_live_rate;
  return o;
}

int run(const config::Config& cfg) {
  if (Status s = init_logging({cfg.log_level, cfg.log_file, cfg.access_log}); !s) {
    std::fprintf(stderr, "trustmond: %s\n", s.error().message.c_str());
    return 1;
  }
  const Clock& clock = SystemClock::instance();

  storage::EnvOptions env_options;
  env_options.path = cfg.storage_path;
  env_options.initial_map_size = cfg.map_size_mb << 20;
  auto env = storage::Env::open(env_options);
  if (!env) return fail("cannot open storage " + cfg.storage_path, env.error());

  storage::Writer writer(**env, {cfg.writer_max_batch, std::chrono::microseconds(cfg.writer_max_delay_us)});
  // Every durable commit wakes the event feed (streams and long polls).
  feed::Feed feed(**env, clock, [](const storage::ReadTxn& txn, const Actor& actor, UnixTime now) {
    return access::refusal_now(txn, actor, now);
  });
  // Certificate watches: the match index and the webhook dispatcher, also woken by commits.
  watch::WatchService watch_service(**env, writer, clock, cfg.watch_max_per_participant);
  watch::DispatcherOptions dispatcher_options;
  dispatcher_options.shards = cfg.watch_dispatchers;
  dispatcher_options.max_failures = cfg.watch_max_failures;
  dispatcher_options.backoff.initial = std::chrono::milliseconds(cfg.watch_backoff_initial_ms);
  dispatcher_options.backoff.cap = std::chrono::seconds(cfg.watch_backoff_max);
  dispatcher_options.timeout = std::chrono::seconds(cfg.watch_timeout);
  dispatcher_options.ca_file = cfg.watch_ca_file;
  watch::Dispatcher dispatcher(**env, watch_service, clock, dispatcher_options);
  watch_service.set_on_change([&dispatcher] { dispatcher.notify(); });
  writer.set_on_commit([&feed, &dispatcher] {
    feed.notify();
    dispatcher.notify();
  });
  writer.start();
  feed.start();
  if (Status s = watch_service.load(); !s) return fail("cannot load the watches", s.error());

  ocsp::ResponderTable responders;  // each issuer's OCSP responder, filled as the issuers load
  auto issuers = pki::load_issuers(cfg.issuers, **env, writer, clock.now(),
                                   std::bind_front(&ocsp::ResponderTable::add, &responders));
  if (!issuers) return fail("cannot load issuers", issuers.error());
  if (issuers->empty()) log().warn("no [[issuer]] configured: every OCSP request will be answered unauthorized");

  ocsp::OcspOptions options = ocsp_options(cfg);
  if (Status s = ocsp::validate(options); !s) return fail("invalid [ocsp] settings", s.error());
  ocsp::Responder responder(responders, options, clock);
  csr::CsrPolicy csr_policy;
  csr_policy.default_ttl = cfg.csr_default_ttl;
  csr_policy.max_ttl = cfg.csr_max_ttl;
  for (const auto& ic : cfg.issuers)
    if (ic.allow_key_renewal)
      if (const pki::Issuer* k = issuers->find_by_name(ic.name)) csr_policy.renewal_issuers.push_back(k->id);
  csr::CsrService csr_service(**env, writer, clock, csr_policy);
  csr::ExpirySweeper csr_sweeper(csr_service, std::chrono::seconds(cfg.csr_sweep_interval));
  registry::RegistryOptions registry_options;
  registry_options.key_ledger = &csr_service;
  for (const auto& ic : cfg.issuers)
    if (ic.accept_unverified_signatures) registry_options.accept_unverified_issuers.push_back(ic.name);
  registry::Registry registry(writer, *issuers, responders, options, clock, registry_options);
  ocsp::RefresherOptions refresher_options;
  refresher_options.interval = std::chrono::seconds(cfg.ocsp_refresh_interval);
  refresher_options.max_per_second = cfg.ocsp_refresh_rate;
  ocsp::Refresher refresher(**env, writer, responders, options, clock, refresher_options);

  http::ServerOptions server_options;
  server_options.listen = cfg.listen;
  server_options.workers = cfg.workers;
  server_options.max_body_bytes = cfg.max_body_bytes;
  server_options.max_header_bytes = cfg.max_header_bytes;
  server_options.read_timeout_seconds = static_cast<int>(cfg.read_timeout);
  server_options.access_log = cfg.access_log != "off";
  server_options.metrics = cfg.metrics;
  if (!cfg.tls_listen.empty())
    server_options.tls = http::TlsOptions{cfg.tls_listen, cfg.tls_cert, cfg.tls_key, cfg.tls_client_ca};

  access::AccessService access_service(writer, clock);
  access::RateLimiter limiter({static_cast<double>(cfg.access_rate_per_second), static_cast<double>(cfg.access_rate_burst)});
  routes::ApiContext api{access_service, limiter, feed, *issuers, clock, {}};

  routes::OcspCounters ocsp_counters;
  http::Router router;
  routes::add_ocsp_routes(router, responder, options.max_request_bytes, clock, ocsp_counters);
  registry::CertificateSearch search(*issuers, clock);
  routes::add_api_routes(router, registry, search, api);
  routes::add_admin_routes(router, api);
  auto csr_routes = routes::add_csr_routes(router, csr_service, api);

  // Trusted list: checker (ETSI schemas), optional signer, the workflow thread.
  if (!tsl::valid_list_name(cfg.tl_name)) return fail("invalid [tl] name", make_error(ErrorKind::invalid, "config_invalid", cfg.tl_name));
  auto tl_checker = tsl::TlChecker::create(cfg.tl_schema_dir.empty() ? tsl::default_schema_dir() : cfg.tl_schema_dir);
  if (!tl_checker) return fail("cannot load the trusted-list schemas", tl_checker.error());
  std::optional<tsl::TlSigner> tl_signer;
  if (!cfg.tl_signer_cert.empty()) {
    tsl::KeySource key{cfg.tl_signer_key, cfg.tl_pkcs11_module, ""};
    if (!cfg.tl_pin_file.empty()) {
      auto pin = read_file(cfg.tl_pin_file);
      if (!pin) return fail("cannot read [tl] pin_file", pin.error());
      while (!pin->empty() && (pin->back() == '\n' || pin->back() == '\r' || pin->back() == ' ')) pin->pop_back();
      key.pin = std::move(*pin);
    }
    auto signer = tsl::TlSigner::create(key, cfg.tl_signer_cert);
    if (!signer) return fail("cannot load the trusted-list signer", signer.error());
    for (const auto& w : signer->warnings()) log().warn("trusted-list signer: {}", w);
    tl_signer = std::move(*signer);
  } else {
    log().warn("no [tl] signer configured: stored trusted lists are served, publishing is refused");
  }
  tsl::TlServiceOptions tl_options;
  tl_options.default_list = cfg.tl_name;
  tl_options.publish.version = cfg.tl_version;
  tl_options.publish.period = cfg.tl_next_update;
  tl_options.reissue_margin = cfg.tl_reissue_margin;
  tl_options.check_interval = std::chrono::seconds(cfg.tl_reissue_interval);
  tsl::TlService tl_service(**env, writer, *tl_checker, tl_signer ? &*tl_signer : nullptr, clock, tl_options);
  routes::add_tl_routes(router, api, tl_service);
  applications::ApplicationService application_service(writer, clock);
  routes::add_application_routes(router, api, application_service);
  routes::add_events_routes(router, api, &watch_service);
  routes::add_watch_routes(router, api, watch_service, dispatcher);

  http::Server server(server_options, std::move(router));
  storage::Env& env_ref = **env;
  server.on_worker_start([&env_ref](http::Worker& w) {
    auto txn = storage::ReadTxn::begin(env_ref);
    if (!txn) throw std::runtime_error("cannot begin a read transaction: " + txn.error().message);
    w.set_user(new routes::WorkerState(std::move(*txn)));
  });
  server.on_worker_stop([](http::Worker& w) {
    delete w.user_as<routes::WorkerState>();
    w.set_user(nullptr);
  });
  server.on_stop([&feed] { feed.stop(); });
  server.set_readiness([&issuers](nlohmann::json& body) {
    body["issuers"] = issuers->size();
    return true;
  });
  server.add_metrics_source([&ocsp_counters, &writer, &api, &feed](std::string& out) {
    out += ocsp_counters.metrics_text();
    out += api.counters.metrics_text();
    out += "# TYPE trustmon_feed_subscriptions gauge\ntrustmon_feed_subscriptions " +
           std::to_string(feed.subscriptions()) + "\n";
    auto s = writer.stats();
    out += "# TYPE trustmon_writer_commits_total counter\ntrustmon_writer_commits_total " +
           std::to_string(s.commits) + "\n# TYPE trustmon_writer_jobs_total counter\ntrustmon_writer_jobs_total " +
           std::to_string(s.jobs) + "\n";
    out += "# TYPE trustmon_writer_busy_seconds_total counter\ntrustmon_writer_busy_seconds_total " +
           std::to_string(static_cast<double>(s.busy_us) / 1e6) +
           "\n# TYPE trustmon_writer_commit_seconds_total counter\ntrustmon_writer_commit_seconds_total " +
           std::to_string(static_cast<double>(s.commit_us) / 1e6) + "\n";
  });

  if (Status s = server.start(); !s) return fail("cannot listen on " + cfg.listen, s.error());
  if (Status s = server.handle_signals(); !s) return fail("cannot install signal handlers", s.error());
  refresher.start();
  csr_sweeper.start();
  dispatcher.start();
  tl_service.start();
  log().info("trustmond listening on {}:{} with {} workers, {} issuers, storage {}", cfg.listen.substr(0, cfg.listen.rfind(':')),
             server.port(), server.worker_count(), issuers->size(), cfg.storage_path);
  std::fprintf(stderr, "trustmond: listening on port %u\n", static_cast<unsigned>(server.port()));
  if (server.tls_port() != 0) {
    log().info("HTTPS (client certificates) on port {}", server.tls_port());
    std::fprintf(stderr, "trustmond: https on port %u\n", static_cast<unsigned>(server.tls_port()));
  }

  server.run();
  log().info("stopping: draining the writer");
  feed.stop();
  dispatcher.stop();  // stores its delivery progress through the Writer, so before writer.stop()
  csr_sweeper.stop();
  tl_service.stop();
  refresher.stop();
  writer.stop();
  log().info("stopped");
  spdlog::shutdown();
  return 0;
}

}  // namespace
}  // namespace trustmon

int main(int argc, char** argv) {
  CLI::App app{"trustmond: OCSP responder and registry of the trust-services monitoring tool"};
  std::string config_path;
  bool check_only = false;
  app.add_option("-c,--config", config_path, "Configuration file (TOML)")->required();
  app.add_flag("--check-config", check_only, "Validate the configuration and exit");
  CLI11_PARSE(app, argc, argv);

  auto cfg = trustmon::config::load(config_path);
  if (!cfg) {
    std::fprintf(stderr, "trustmond: %s\n", cfg.error().message.c_str());
    return 2;
  }
  if (check_only) {
    std::printf("configuration OK: %zu issuers\n", cfg->issuers.size());
    return 0;
  }
  try {
    return trustmon::run(*cfg);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trustmond: fatal: %s\n", e.what());
    return 1;
  }
}
