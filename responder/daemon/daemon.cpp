#include "responder/daemon/daemon.hpp"

#include "responder/daemon/stats_hints.hpp"
#include "responder/registry/stats_rebuild.hpp"
#include "tsl/store.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <utility>

#include "common/log.hpp"
#include "responder/access/authenticator.hpp"
#include "responder/daemon/options.hpp"
#include "responder/pki/issuer_sync.hpp"
#include "responder/routes/admin_routes.hpp"
#include "responder/routes/api_routes.hpp"
#include "responder/routes/auth_routes.hpp"
#include "responder/routes/application_routes.hpp"
#include "responder/routes/crl_routes.hpp"
#include "responder/routes/events_routes.hpp"
#include "responder/routes/ksp_routes.hpp"
#include "responder/routes/status_routes.hpp"
#include "responder/routes/tl_routes.hpp"
#include "responder/routes/web_routes.hpp"
#include "responder/routes/watch_routes.hpp"
#include "responder/testbed/ksp_seed.hpp"
#include "tsl/key_source.hpp"
#include "tsl/store.hpp"

namespace trustmon::daemon {
namespace {

// The test TSA: the test PKI's TSA certificate and key, its chain above (test-ecdsa, root).
Result<std::unique_ptr<testbed::Tsa>> make_tsa(const testbed::TestPki& pki, const Clock& clock) {
  testbed::TsaConfig config;
  X509_up_ref(pki.tsa().cert.get());
  config.certificate.reset(pki.tsa().cert.get());
  EVP_PKEY_up_ref(pki.tsa().key.get());
  config.key.reset(pki.tsa().key.get());
  if (const testbed::TestCa* ca = pki.find("test-ecdsa"))
    for (const X509* x : pki.chain_of(*ca)) {
      X509* mutable_x = const_cast<X509*>(x);  // X509_up_ref takes a non-const pointer
      X509_up_ref(mutable_x);
      config.chain.emplace_back(mutable_x);
    }
  return testbed::Tsa::create(std::move(config), clock);
}

// The login routes' options: the session lifetime, the QR logins' providers (secrets read
// from their files; a provider whose secret cannot be read is left out, with an error in the
// log) and, with the test bed, its own key store ("testksp", docs/testbed.md).
routes::LoginRouteOptions login_options(const config::Config& c, const std::string& ksp_client_secret) {
  routes::LoginRouteOptions o;
  o.auth.session_lifetime = c.web_session_lifetime;
  o.qr.base_url = crl_options(c).base_url;
  o.qr.lifetime = c.login_qr_lifetime;
  for (const auto& p : c.login_providers) {
    auto secret = read_file(p.client_secret_file);
    if (!secret) {
      log().error("login provider {} is left out: cannot read its client_secret_file: {}", p.name, secret.error().message);
      continue;
    }
    while (!secret->empty() && (secret->back() == '\n' || secret->back() == '\r' || secret->back() == ' ')) secret->pop_back();
    login::ProviderConfig q;
    q.name = p.name;
    q.title = p.title;
    q.adapter = p.adapter;
    q.authorize_url = p.authorize_url;
    q.token_url = p.token_url;
    q.csc_url = p.csc_url;
    q.client_id = p.client_id;
    q.client_secret = std::move(*secret);
    q.ca_file = p.ca_file;
    o.qr.providers.push_back(std::move(q));
  }
  if (c.testbed_enabled && !ksp_client_secret.empty()) {
    const std::string base = o.qr.base_url + "/testbed/ksp";
    login::ProviderConfig q;
    q.name = "testksp";
    q.title = "Тестове хмарне сховище ключів (test bed)";
    q.authorize_url = base + "/oauth2/authorize";
    q.token_url = base + "/oauth2/token";
    q.csc_url = base + "/csc/v2";
    q.client_id = "trustmon";
    q.client_secret = ksp_client_secret;
    o.qr.providers.push_back(std::move(q));
  }
  return o;
}

// [testbed] dir, or "testbed" beside the storage folder.
std::string testbed_dir(const config::Config& c) {
  if (!c.testbed_dir.empty()) return c.testbed_dir;
  return (std::filesystem::path(c.storage_path).parent_path() / "testbed").string();
}

// `e` with what failed in front of its message; the code and kind stay.
Error failed(const std::string& what, Error e) {
  e.message = what + ": " + e.message;
  return e;
}

// The [tl] signer, or none when no signer certificate is configured.
Result<std::optional<tsl::TlSigner>> load_tl_signer(const config::Config& c) {
  if (c.tl_signer_cert.empty()) {
    log().warn("no [tl] signer configured: stored trusted lists are served, publishing is refused");
    return std::optional<tsl::TlSigner>();
  }
  auto key = tsl::KeySource::from_pin_file(c.tl_signer_key, c.tl_pkcs11_module, c.tl_pin_file);
  if (!key) return failed("cannot read [tl] pin_file", std::move(key).error());
  auto signer = tsl::TlSigner::create(*key, c.tl_signer_cert);
  if (!signer) return failed("cannot load the trusted-list signer", std::move(signer).error());
  for (const auto& w : signer->warnings()) log().warn("trusted-list signer: {}", w);
  return std::optional<tsl::TlSigner>(std::move(*signer));
}

// The signers of the issuers whose CRLs are built here ([[issuer]] crl_key).
Result<std::vector<crl::CrlSigner>> load_crl_signers(const config::Config& c, const pki::IssuerSet& issuers) {
  std::vector<crl::CrlSigner> signers;
  for (const auto& ic : c.issuers) {
    if (ic.crl_key.empty()) continue;
    const pki::Issuer* issuer = issuers.find_by_name(ic.name);
    if (issuer == nullptr) continue;
    const std::string what = "cannot load the CRL key of issuer \"" + ic.name + "\"";
    auto source = tsl::KeySource::from_pin_file(ic.crl_key, c.crl_pkcs11_module, c.crl_pin_file);
    if (!source) return failed(what, std::move(source).error());
    auto key = tsl::load_signing_key(*source);
    if (!key) return failed(what, std::move(key).error());
    X509Ptr cert;
    if (!ic.crl_cert.empty()) {
      auto loaded = load_cert_file(ic.crl_cert);
      if (!loaded) return failed(what, std::move(loaded).error());
      cert = std::move(*loaded);
    }
    auto signer = crl::make_signer(*issuer, key->get(), cert.get());
    if (!signer) return failed(what, std::move(signer).error());
    signers.push_back(std::move(*signer));
  }
  return signers;
}

}  // namespace

Result<std::unique_ptr<Daemon>> Daemon::open(const config::Config& given, const Clock& clock) {
  auto env = storage::Env::open(env_options(given));
  if (!env) return failed("cannot open storage " + given.storage_path, std::move(env).error());
  std::unique_ptr<Daemon> d(new Daemon(given, clock, std::move(*env)));
  // The test bed's CAs join the configured issuers (made at the first start).
  d->config_ = given;
  TestBed test_bed;
  if (given.testbed_enabled) {
    auto made = testbed::TestPki::open(testbed_dir(given), clock.now());
    if (!made) return failed("cannot open the test bed's PKI", std::move(made).error());
    test_bed.pki = std::make_unique<testbed::TestPki>(std::move(*made));
    for (auto& ic : test_bed.pki->issuer_configs()) d->config_.issuers.push_back(std::move(ic));
    auto list = testbed::make_test_list(*test_bed.pki, crl_options(d->config_).base_url, clock.now());
    if (!list) return failed("cannot make the test trusted list", std::move(list).error());
    test_bed.list = std::move(*list);
    auto tsa = make_tsa(*test_bed.pki, clock);
    if (!tsa) return failed("cannot start the test TSA", std::move(tsa).error());
    test_bed.tsa = std::move(*tsa);
    auto ksp = testbed::open_ksp(test_bed.pki->dir(), testbed::KspOptions{}, clock);
    if (!ksp) return failed("cannot open the test key store", std::move(ksp).error());
    test_bed.ksp = std::move(*ksp);
    log().warn("the test bed is enabled ([testbed]): test CAs in {}", test_bed.pki->dir());
  }
  const config::Config& c = d->config_;
  // From here on a failure returns through ~Daemon, which stops what the store stage started.
  if (Status s = d->watches_.load(); !s) return failed("cannot load the watches", std::move(s).error());
  ocsp::ResponderTable responders;  // filled as the issuers load
  auto issuers = pki::load_issuers(c.issuers, *d->env_, d->writer_, clock.now(),
                                   std::bind_front(&ocsp::ResponderTable::add, &responders));
  if (!issuers) return failed("cannot load issuers", std::move(issuers).error());
  if (issuers->empty()) log().warn("no [[issuer]] configured: every OCSP request will be answered unauthorized");
  const ocsp::OcspOptions ocsp_settings = ocsp_options(c);
  if (Status s = ocsp::validate(ocsp_settings); !s) return failed("invalid [ocsp] settings", std::move(s).error());
  if (!tsl::valid_list_name(c.tl_name))
    return failed("invalid [tl] name", make_error(ErrorKind::invalid, "config_invalid", c.tl_name));
  auto tl_checker = tsl::TlChecker::create(c.tl_schema_dir.empty() ? tsl::default_schema_dir() : c.tl_schema_dir);
  if (!tl_checker) return failed("cannot load the trusted-list schemas", std::move(tl_checker).error());
  auto tl_signer = load_tl_signer(c);
  if (!tl_signer) return std::move(tl_signer).error();
  // Signers point into the issuer set, whose Issuers keep their addresses when it moves.
  auto crl_signers = load_crl_signers(c, *issuers);
  if (!crl_signers) return std::move(crl_signers).error();
  auto calendar = stats::Calendar::load(c.stats_time_zone);
  if (!calendar) return failed("stats.time_zone", std::move(calendar).error());
  stats::CodeLists code_lists = stats::CodeLists::builtin();
  if (!c.stats_code_lists.empty()) {
    auto text = read_file(c.stats_code_lists);
    if (!text) return failed("cannot read [stats] code_lists", std::move(text).error());
    auto parsed = stats::CodeLists::parse(*text);
    if (!parsed) return failed("[stats] code_lists", std::move(parsed).error());
    code_lists = std::move(*parsed);
  }
  d->services_ = std::make_unique<Services>(*d, c, std::move(*issuers), std::move(responders), ocsp_settings,
                                            std::move(*crl_signers), std::move(*tl_checker), std::move(*tl_signer),
                                            std::move(*calendar), std::move(code_lists), std::move(test_bed));
  return d;
}

Daemon::Daemon(const config::Config& c, const Clock& clock, std::unique_ptr<storage::Env> env)
    : listen_(c.listen),
      storage_path_(c.storage_path),
      clock_(clock),
      env_(std::move(env)),
      writer_(*env_, writer_options(c)),
      feed_(*env_, clock,
            [](const storage::ReadTxn& txn, const Actor& actor, UnixTime now) {
              return access::refusal_now(txn, actor, now);
            }),
      watches_(*env_, writer_, clock, c.watch_max_per_participant),
      dispatcher_(*env_, watches_, clock, dispatcher_options(c)) {
  watches_.set_on_change([this] { dispatcher_.notify(); });
  // Every durable commit wakes the event feed (streams and long polls) and the webhooks.
  writer_.set_on_commit([this] {
    feed_.notify();
    dispatcher_.notify();
  });
  writer_.start();
  feed_.start();
}

Daemon::Services::Services(Daemon& d, const config::Config& c, pki::IssuerSet issuer_set,
                           ocsp::ResponderTable responder_table, ocsp::OcspOptions ocsp_options,
                           std::vector<crl::CrlSigner> crl_signers, tsl::TlChecker checker,
                           std::optional<tsl::TlSigner> signer, stats::Calendar calendar,
                           stats::CodeLists code_list_set, TestBed test_bed)
    : issuers(std::move(issuer_set)),
      responders(std::move(responder_table)),
      ocsp_settings(ocsp_options),
      answer_keeper(d.writer_),
      responder(responders, ocsp_settings, d.clock_, &answer_keeper),
      csr_service(*d.env_, d.writer_, d.clock_, csr_policy(c, issuers)),
      csr_sweeper(csr_service, std::chrono::seconds(c.csr_sweep_interval)),
      request_ledger(csr_service, issuers),
      crl_comparer(*d.env_),
      counting(std::move(calendar), stats::AnomalyOptions{c.stats_anomaly_factor, c.stats_anomaly_minimum,
                                                          c.stats_anomaly_window}),
      cert_registry(d.writer_, issuers, responders, ocsp_settings, d.clock_,
                    [&] {
                      registry::RegistryOptions o = registry_options(c);
                      o.key_ledger = &request_ledger;
                      o.crl_checker = &crl_comparer;
                      o.stats = &counting;
                      return o;
                    }()),
      refresher(*d.env_, d.writer_, responders, ocsp_settings, d.clock_, refresher_options(c)),
      crl_publisher(*d.env_, d.writer_, std::move(crl_signers), d.clock_, crl_options(c)),
      crl_freshness(*d.env_, d.writer_, issuers, d.clock_),
      search(issuers, d.clock_),
      holder_requests(d.writer_, issuers, csr_service, d.clock_),
      joining_service(d.writer_, issuers, d.clock_, joining::JoiningOptions{c.joining_test_issuers, c.tl_name}),
      tl_checker(std::move(checker)),
      tl_signer(std::move(signer)),
      tl_service(*d.env_, d.writer_, tl_checker, tl_signer ? &*tl_signer : nullptr, d.clock_,
                 [&] {
                   tsl::TlServiceOptions o = tl_options(c);
                   if (test_bed.pki) {  // the production list never names the test bed (test_pki is set later)
                     for (const auto& ca : test_bed.pki->cas())
                       o.publish.excluded_certificates.push_back(x509_der(ca.ca.cert.get()));
                     o.publish.excluded_certificates.push_back(x509_der(test_bed.pki->tsa().cert.get()));
                     o.publish.excluded_certificates.push_back(x509_der(test_bed.pki->root().cert.get()));
                   }
                   // The statistics' key-storage default per issuer follows the list.
                   o.on_change = [this, &env = *d.env_, name = c.tl_name] {
                     auto txn = storage::ReadTxn::begin(env);
                     if (!txn) return;
                     storage::ReadScope scope(*txn);
                     if (!scope.status()) return;
                     auto model = tsl::load_model(*txn, name);
                     if (model && *model) counting.set_issuer_storage(storage_hints(**model, issuers));
                   };
                   return o;
                 }()),
      application_service(d.writer_, d.clock_),
      code_lists(std::move(code_list_set)),
      report_service(d.writer_, d.clock_, counting.calendar(), code_lists,
                     [this] {
                       std::map<std::string, std::uint32_t, std::less<>> names;
                       for (const pki::Issuer* issuer : issuers.all()) names.emplace(issuer->name, issuer->id);
                       return names;
                     }()),
      access_service(d.writer_, d.clock_),
      limiter(rate_limit(c)),
      api{access_service, limiter, d.feed_, issuers, d.clock_, {}},
      worker_states(*d.env_),
      test_pki(std::move(test_bed.pki)),
      test_list(std::move(test_bed.list)),
      tsa(std::move(test_bed.tsa)),
      ksp(std::move(test_bed.ksp)),
      faults(test_pki ? std::make_unique<testbed::FaultBoard>(issuers, responders) : nullptr),
      delayed_replies(test_pki ? std::make_unique<routes::DelayedReplies>() : nullptr),
      testcase_service(d.writer_, d.clock_),
      server(server_options(c), http::Router{}) {
  http::Router& router = server.router();
  counting.exclude_issuers(issuers.test_ids());  // test certificates never count
  responder.set_special(faults.get());
  routes::add_ocsp_routes(router, responder, ocsp_settings.max_request_bytes, d.clock_, ocsp_counters,
                          delayed_replies.get());
  routes::SpecialCrl special_crl;
  if (faults) {
    special_crl = [this, &clock = d.clock_](const pki::Issuer& issuer,
                                            std::optional<UnixTime> at) -> std::optional<Result<Bytes>> {
      const UnixTime now = clock.now();
      const testbed::CrlFault fault = faults->draw_crl(issuer.id, now);
      if (fault == testbed::CrlFault::none && !at) return std::nullopt;
      auto der = crl_publisher.build_special(issuer.id, at.value_or(now), fault == testbed::CrlFault::expired_next_update);
      if (der && fault == testbed::CrlFault::bad_signature && !der->empty()) der->back() ^= 0x01;  // the signature's last octet
      return der;
    };
  }
  routes::add_crl_routes(router, issuers, d.clock_, std::move(special_crl));
  api_routes = routes::add_api_routes(router, cert_registry, search, api);
  crl_check_routes = routes::add_crl_check_routes(router, api, *d.env_);
  stats_routes = routes::add_stats_routes(router, api, *d.env_, d.writer_, counting,
                                          routes::StatsRouteOptions{c.stats_public_threshold});
  routes::add_admin_routes(router, api);
  csr_routes = routes::add_csr_routes(router, csr_service, api);
  holder_routes = routes::add_holder_routes(router, api, *d.env_, holder_requests, search, d.watches_, cert_registry);
  joining_routes = routes::add_joining_routes(router, api, *d.env_, joining_service);
  routes::add_tl_routes(router, api, tl_service);
  routes::add_application_routes(router, api, application_service);
  stats_report_routes = routes::add_stats_report_routes(router, api, *d.env_, report_service);
  testcase_routes = routes::add_testcase_routes(router, api, *d.env_, testcase_service);
  routes::add_events_routes(router, api, &d.watches_);
  routes::add_watch_routes(router, api, d.watches_, d.dispatcher_);
  routes::add_auth_routes(router, api, routes::AuthOptions{c.web_session_lifetime});
  routes::add_status_routes(router, issuers, crl_options(c).base_url);
  if (ksp) ksp_client_secret = ksp->client_secret();  // the login is the test key store's relying party
  {
    routes::LoginRouteOptions o = login_options(c, ksp_client_secret);
    o.documents.emplace("joining", routes::joining_document_sink(*d.env_, joining_service));
    login_routes = routes::add_login_routes(router, api, *d.env_, std::move(o));
  }
  if (c.web_enabled) {
    const std::string dir = c.web_dir.empty() ? webui::default_web_dir() : c.web_dir;
    auto site = webui::StaticSite::load(dir);
    if (site) {
      log().info("the cabinet is served at / from {} ({} assets)", dir, site->asset_count());
      routes::add_web_routes(router, std::make_shared<const webui::StaticSite>(std::move(*site)));
    } else {
      log().warn("the cabinet is not served: {}", site.error().message);
      routes::add_web_unavailable(router, site.error().message);
    }
  }
  if (test_pki) {
    testca_routes = routes::add_testca_routes(router, api, d.writer_, cert_registry, *test_pki, *faults, test_list,
                                              crl_options(c).base_url);
    routes::add_tsa_routes(
        router, *tsa,
        [this, &clock = d.clock_](const http::Request&) { return testbed::tsa_options(faults->draw_tsa(clock.now())); },
        tsa_counters);
    routes::add_ksp_routes(router, *ksp, crl_options(c).base_url);
  }

  worker_states.attach(server);
  // Streams and long polls end when stopping begins, so the drain does not wait for them.
  server.on_stop([&d] { d.feed_.stop(); });
  server.set_readiness([this](nlohmann::json& body) {
    body["issuers"] = issuers.size();
    return true;
  });
  server.add_metrics_source([this, &d](std::string& out) {
    out += ocsp_counters.metrics_text();
    out += answer_keeper.metrics_text();
    out += api.counters.metrics_text();
    out += d.feed_.metrics_text();
    out += d.writer_.stats().metrics_text();
    out += cert_registry.metrics_text();
    if (!crl_publisher.empty()) out += crl_publisher.metrics_text();
    out += crl_freshness.metrics_text();
    if (tsa) out += tsa_counters.metrics_text();
  });
}

Daemon::~Daemon() { stop(); }

void Daemon::start_stats_rebuild() {
  auto txn = storage::ReadTxn::begin(*env_);
  if (!txn) {
    log().error("statistics: cannot read the store: {}", txn.error().message);
    return;
  }
  Result<bool> built = [&]() -> Result<bool> {
    storage::ReadScope scope(*txn);
    if (!scope.status()) return scope.status().error();
    return registry::stats_built(*txn);
  }();
  if (built && *built) return;
  if (!built) {
    log().error("statistics: cannot read meta {}: {}", registry::kMetaStatsBuilt, built.error().message);
    return;
  }
  stats_rebuild_ = std::thread([this] {
    log().info("statistics: building the counters from the event log");
    Services& s = *services_;
    auto report = registry::rebuild_stats(*env_, writer_, s.issuers, s.counting, &stats_cancel_);
    if (!report) {
      if (report.error().code != "shutting_down" && report.error().code != "cancelled")
        log().error("statistics: rebuild failed: {}: {}", report.error().code, report.error().message);
      return;
    }
    log().info("statistics: {} certificate events counted into {} cells", report->events, report->cells);
  });
}

void Daemon::start_testbed_seed() {
  if (!services_->test_pki) return;
  testbed_seed_ = std::thread([this] {
    Services& s = *services_;
    auto report = testbed::seed_test_cases(*env_, writer_, s.cert_registry, *s.test_pki, s.test_list,
                                           crl_options(config_).base_url, clock_, stats_cancel_);
    if (!report) {
      if (report.error().code != "shutting_down" && report.error().code != "cancelled")
        log().error("test bed: seeding the test cases failed: {}: {}", report.error().code, report.error().message);
    } else if (!report->skipped) {
      log().info("test bed: {} seeded test cases ({} new)", report->cases, report->created);
    }
    // The key store's holders: made at the first start, loaded at later ones.
    auto keys = testbed::seed_ksp(*s.ksp, *env_, writer_, s.cert_registry, *s.test_pki, crl_options(config_).base_url,
                                  clock_, stats_cancel_);
    if (!keys) {
      if (keys.error().code != "shutting_down" && keys.error().code != "cancelled")
        log().error("test bed: the key store's holders failed: {}: {}", keys.error().code, keys.error().message);
      return;
    }
    log().info("test bed: the key store holds {} holders ({} made now)", keys->loaded + keys->made, keys->made);
  });
}

Status Daemon::run() {
  Services& s = *services_;
  if (Status st = s.server.start(); !st) return failed("cannot listen on " + listen_, std::move(st).error());
  if (Status st = s.server.handle_signals(); !st) return failed("cannot install signal handlers", std::move(st).error());
  dispatcher_.start();
  s.csr_sweeper.start();
  s.refresher.start();
  s.crl_publisher.start();
  s.crl_freshness.start();
  s.tl_service.start();
  start_stats_rebuild();
  start_testbed_seed();
  log().info("trustmond listening on {}:{} with {} workers, {} issuers, storage {}", listen_.substr(0, listen_.rfind(':')),
             s.server.port(), s.server.worker_count(), s.issuers.size(), storage_path_);
  std::fprintf(stderr, "trustmond: listening on port %u\n", static_cast<unsigned>(s.server.port()));
  if (s.server.tls_port() != 0) {
    log().info("HTTPS (client certificates) on port {}", s.server.tls_port());
    std::fprintf(stderr, "trustmond: https on port %u\n", static_cast<unsigned>(s.server.tls_port()));
  }

  s.server.run();
  log().info("stopping: draining the writer");
  stop();
  log().info("stopped");
  return {};
}

void Daemon::stop() {
  if (stopped_) return;
  stopped_ = true;
  bool tl_stopped = true;
  if (services_) {
    tl_stopped = services_->tl_service.stop();  // bounded: never waits on a stuck job
    services_->crl_publisher.stop();
    services_->crl_freshness.stop();
    services_->refresher.stop();
    services_->csr_sweeper.stop();
  }
  stats_cancel_.store(true);  // also ends the test bed's seeding
  if (stats_rebuild_.joinable()) stats_rebuild_.join();
  if (testbed_seed_.joinable()) testbed_seed_.join();
  dispatcher_.stop();  // stores its delivery progress through the Writer, so before it
  feed_.stop();        // already stopped by the server's stop hook when run() served
  writer_.stop();      // finishes every accepted write
  if (services_) {
    // The routes' parsing pools finish their queued tasks now, while the server they reply
    // through still exists (it is destroyed first); work they hand on is refused as
    // shutting_down by the stopped Writer.
    services_->api_routes.reset();
    services_->csr_routes.reset();
    services_->holder_routes.reset();
    services_->joining_routes.reset();
    services_->crl_check_routes.reset();
    services_->stats_routes.reset();
    services_->testca_routes.reset();
    services_->login_routes.reset();
    if (services_->delayed_replies) services_->delayed_replies->stop();
  }
  if (!tl_stopped) {
    // A trusted-list job outlived its grace and still uses the storage and the services:
    // every accepted write is committed now, so end the process here rather than destroy
    // what that job is using.
    log().error("stopped with a trusted-list job still running; exiting");
    log().flush();
    std::_Exit(EXIT_FAILURE);
  }
}

}  // namespace trustmon::daemon
