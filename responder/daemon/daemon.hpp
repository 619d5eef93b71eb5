// Daemon: every service of trustmond, owned as a member, built in the order the members are
// declared below and stopped in the reverse order.
//
// open() builds two stages. The store stage (LMDB, the Writer, the event feed, the watches
// and their webhook dispatcher) starts the Writer at once: the configured issuers are bound
// to their stored ids through it. The service stage (issuers, OCSP, CSR, registry, trusted
// list, access, the routes and the HTTP server) is built on the store stage.
// run() listens, starts the background threads and serves until SIGTERM or SIGINT; when it
// returns the server has answered every in-flight request. stop() (run() ends with it, and
// the destructor calls it) then ends the background threads newest first and the Writer
// last, which finishes every accepted write: an acknowledged write is always committed.
// Members are destroyed only after every thread has ended.
//
// Policy: start-up errors are fatal. They are returned with what failed in front of the
// message (the caller prints them and exits 1), and nothing stays started after them.
#pragma once

#include <atomic>
#include <thread>
#include <memory>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "responder/access/rate_limiter.hpp"
#include "responder/access/service.hpp"
#include "responder/applications/applications.hpp"
#include "responder/config/config.hpp"
#include "responder/crl/compare.hpp"
#include "responder/crl/freshness.hpp"
#include "responder/crl/publisher.hpp"
#include "responder/csr/service.hpp"
#include "responder/csr/sweeper.hpp"
#include "responder/feed/feed.hpp"
#include "responder/holder/ledger.hpp"
#include "responder/holder/service.hpp"
#include "responder/joining/service.hpp"
#include "responder/http/server.hpp"
#include "responder/ocsp/options.hpp"
#include "responder/ocsp/refresher.hpp"
#include "responder/ocsp/responder.hpp"
#include "responder/ocsp/responder_keys.hpp"
#include "responder/pki/issuer_set.hpp"
#include "responder/registry/registry.hpp"
#include "responder/registry/search.hpp"
#include "responder/stats/counting.hpp"
#include "responder/stats/report_codes.hpp"
#include "responder/stats/report_store.hpp"
#include "responder/routes/api_context.hpp"
#include "responder/routes/api_routes.hpp"
#include "responder/routes/crl_check_routes.hpp"
#include "responder/routes/csr_routes.hpp"
#include "responder/routes/holder_routes.hpp"
#include "responder/routes/joining_routes.hpp"
#include "responder/routes/ocsp_routes.hpp"
#include "responder/routes/stats_report_routes.hpp"
#include "responder/routes/stats_routes.hpp"
#include "responder/routes/testcase_routes.hpp"
#include "responder/routes/delayed_replies.hpp"
#include "responder/routes/login_routes.hpp"
#include "responder/routes/testca_routes.hpp"
#include "responder/routes/tsa_routes.hpp"
#include "responder/testbed/seed.hpp"
#include "responder/testbed/tsa.hpp"
#include "responder/testbed/faults.hpp"
#include "responder/testbed/ksp.hpp"
#include "responder/testbed/test_list.hpp"
#include "responder/testbed/test_pki.hpp"
#include "responder/routes/worker_state.hpp"
#include "responder/watch/dispatcher.hpp"
#include "responder/watch/service.hpp"
#include "storage/lmdb.hpp"
#include "storage/writer.hpp"
#include "tsl/checker.hpp"
#include "tsl/service.hpp"
#include "tsl/signer.hpp"

namespace trustmon::daemon {

class Daemon {
 public:
  // Builds both stages from a loaded configuration. Nothing listens yet.
  static Result<std::unique_ptr<Daemon>> open(const config::Config& config, const Clock& clock);

  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  ~Daemon();  // stop()

  // Binds the listeners, starts the background threads and serves until SIGTERM or SIGINT,
  // then stop(). Call once. Errors (cannot listen, signal handlers): the caller exits.
  Status run();

  // Ends the background threads in reverse order of construction, the Writer last.
  // Idempotent; call after run() returned or without run() (the server must not be running).
  void stop();

 private:
  // What Daemon::open makes of [testbed] before the services (start-up errors stay fatal).
  struct TestBed {
    std::unique_ptr<testbed::TestPki> pki;
    testbed::TestListFiles list;
    std::unique_ptr<testbed::Tsa> tsa;
    std::unique_ptr<testbed::Ksp> ksp;
  };

  // The service stage, in construction order.
  struct Services {
    Services(Daemon& daemon, const config::Config& c, pki::IssuerSet issuer_set, ocsp::ResponderTable responder_table,
             ocsp::OcspOptions ocsp_options, std::vector<crl::CrlSigner> crl_signers,
             tsl::TlChecker checker, std::optional<tsl::TlSigner> signer, stats::Calendar calendar,
             stats::CodeLists code_lists, TestBed test_bed);

    pki::IssuerSet issuers;
    ocsp::ResponderTable responders;  // each issuer's OCSP responder keys, by issuer id
    ocsp::OcspOptions ocsp_settings;
    ocsp::AnswerKeeper answer_keeper;  // live answers until the Writer stored them
    ocsp::Responder responder;
    csr::CsrService csr_service;
    csr::ExpirySweeper csr_sweeper;          // thread
    holder::RequestLedger request_ledger;    // the registry's key ledger: csr_service, then holders' requests
    crl::StatusComparer crl_comparer;        // uploaded CRLs against the status data
    stats::Counting counting;                // the derived statistics' rules and calendar
    registry::Registry cert_registry;        // preparation threads
    ocsp::Refresher refresher;               // thread
    crl::Publisher crl_publisher;            // thread (issuers with a crl_key)
    crl::FreshnessMonitor crl_freshness;     // thread (every issuer's published CRL)
    registry::CertificateSearch search;
    holder::RequestService holder_requests;  // certificate holders' renewals and revocation requests
    joining::JoiningService joining_service;  // signed applications to join, grant and block access
    tsl::TlChecker tl_checker;
    std::optional<tsl::TlSigner> tl_signer;  // none: stored lists are served, publishing is refused
    tsl::TlService tl_service;               // thread
    applications::ApplicationService application_service;
    stats::CodeLists code_lists;             // report-only metrics ([stats] code_lists or the built-in file)
    stats::ReportService report_service;     // providers' statistics reports
    access::AccessService access_service;
    access::RateLimiter limiter;
    routes::ApiContext api;
    routes::OcspCounters ocsp_counters;
    routes::WorkerStates worker_states;       // outlives the server's workers
    std::shared_ptr<routes::ApiRoutes> api_routes;  // body parsing pool
    std::shared_ptr<routes::CsrRoutes> csr_routes;
    std::shared_ptr<routes::HolderRoutes> holder_routes;  // signed requests' checks, certificate lists
    std::shared_ptr<routes::JoiningRoutes> joining_routes;  // signed applications' checks
    std::shared_ptr<routes::CrlCheckRoutes> crl_check_routes;  // comparison thread
    std::shared_ptr<routes::StatsRoutes> stats_routes;         // query threads
    std::shared_ptr<routes::StatsReportRoutes> stats_report_routes;  // report parsing and reconciliation threads
    // The test bed ([testbed] enabled; all null otherwise).
    std::unique_ptr<testbed::TestPki> test_pki;
    testbed::TestListFiles test_list;  // served by the test CA routes, and the seeded cases' lists
    std::unique_ptr<testbed::Tsa> tsa;
    // The cloud key store (CSC v2 subset); its holders come from the seed thread. The login
    // module's client secret is ksp->client_secret().
    std::unique_ptr<testbed::Ksp> ksp;
    routes::TsaCounters tsa_counters;
    std::unique_ptr<testbed::FaultBoard> faults;
    std::unique_ptr<routes::DelayedReplies> delayed_replies;  // thread: the delay fault's answers
    std::shared_ptr<routes::TestcaRoutes> testca_routes;      // issuing threads
    std::string ksp_client_secret;  // the test key store's client secret for the login ([testbed])
    std::shared_ptr<routes::LoginRoutes> login_routes;  // challenges, QR logins, provider calls
    testcases::TestcaseService testcase_service;  // test cases, products, submissions, campaigns
    std::shared_ptr<routes::TestcaseRoutes> testcase_routes;  // test-case bodies, matrix and artefact threads
    http::Server server;                      // worker threads, run by run()
  };

  Daemon(const config::Config& c, const Clock& clock, std::unique_ptr<storage::Env> env);
  void start_stats_rebuild();
  void start_testbed_seed();

  std::string listen_;
  std::string storage_path_;
  // The configuration with the test bed's issuers added ([testbed] enabled).
  config::Config config_;
  const Clock& clock_;
  // The store stage, in construction order.
  std::unique_ptr<storage::Env> env_;
  storage::Writer writer_;          // thread; started by the constructor
  feed::Feed feed_;                 // thread; started by the constructor
  watch::WatchService watches_;
  watch::Dispatcher dispatcher_;    // threads, started by run()
  std::unique_ptr<Services> services_;
  // The first start on a store without statistics (meta stats_built) rebuilds them from
  // the event log in the background; stop() cancels and joins it before the Writer stops.
  std::thread stats_rebuild_;
  std::atomic<bool> stats_cancel_{false};
  // The test bed's first start registers its own test cases (testbed/seed.hpp) on this thread.
  std::thread testbed_seed_;
  bool stopped_ = false;
};

}  // namespace trustmon::daemon
