// FreshnessMonitor: whether each configured issuer's published complete CRL is still current,
// for the central body. A CRL is stale once its nextUpdate has passed and no newer one was
// published (uploaded by the provider, or built here); trustmon then records crl.stale once,
// and crl.fresh once a current CRL is published again.
//
// Policy:
//  * the state is stored (meta key "crl_stale:<issuer id>" = the number of the CRL that went
//    stale), so each transition is recorded exactly once, across restarts and kill -9; the
//    transition and its event are one Writer job, which checks the state again inside;
//  * an issuer without a published CRL, or whose CRL has no nextUpdate, is never stale;
//  * one check of every issuer per tick (default 5 s) on the monitor's own thread; the
//    events are ordinary event-log entries: the event feed, watches of kind "crl" and
//    /metrics (trustmon_crl_stale, trustmon_crl_next_update_timestamp_seconds) see them.
//  Events: crl.stale {"issuer","number","next_update"}; crl.fresh {"issuer","number"
//  [,"next_update"]} (the CRL that ended it).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "responder/pki/issuer_set.hpp"
#include "storage/lmdb.hpp"
#include "storage/writer.hpp"

namespace trustmon::crl {

struct FreshnessOptions {
  std::chrono::milliseconds tick{5000};
};

class FreshnessMonitor {
 public:
  // All references must outlive the monitor; `writer` must be started.
  FreshnessMonitor(storage::Env& env, storage::Writer& writer, const pki::IssuerSet& issuers, const Clock& clock,
                   FreshnessOptions options = {});
  ~FreshnessMonitor();  // stop()
  FreshnessMonitor(const FreshnessMonitor&) = delete;
  FreshnessMonitor& operator=(const FreshnessMonitor&) = delete;

  void start();
  void stop();
  // One check of every issuer on the calling thread (tests with a fixed clock).
  Status run_once();

  // Prometheus text: per issuer with a published CRL, trustmon_crl_stale{issuer} (0/1) and
  // trustmon_crl_next_update_timestamp_seconds{issuer}; trustmon_crl_stale_events_total.
  std::string metrics_text() const;

 private:
  struct Seen {
    std::string issuer;
    bool stale = false;
    UnixTime next_update = 0;
  };
  void loop();

  storage::Env& env_;
  storage::Writer& writer_;
  const pki::IssuerSet& issuers_;
  const Clock& clock_;
  FreshnessOptions options_;

  std::mutex run_mu_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  std::vector<Seen> seen_;          // under mu_
  std::uint64_t transitions_ = 0;   // under mu_
};

}  // namespace trustmon::crl
