// Stale and fresh CRLs; see freshness.hpp.
#include "responder/crl/freshness.hpp"

#include <exception>

#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/time.hpp"
#include "common/utf8.hpp"
#include "storage/crls.hpp"
#include "storage/event_log.hpp"

namespace trustmon::crl {

namespace {

std::string state_key(storage::IssuerId id) { return "crl_stale:" + std::to_string(id); }

bool is_stale(const std::optional<storage::CrlView>& latest, UnixTime now) {
  return latest && latest->next_update != 0 && now >= latest->next_update;
}

std::string payload(const std::string& issuer, const storage::CrlView& crl) {
  std::string out = "{\"issuer\":";
  append_json_string(out, issuer);
  out += ",\"number\":";
  append_json_string(out, storage::crl_number_decimal(crl.number));
  if (crl.next_update != 0) {
    out += ",\"next_update\":";
    append_json_string(out, format_rfc3339(crl.next_update));
  }
  out += '}';
  return out;
}

}  // namespace

FreshnessMonitor::FreshnessMonitor(storage::Env& env, storage::Writer& writer, const pki::IssuerSet& issuers,
                                   const Clock& clock, FreshnessOptions options)
    : env_(env), writer_(writer), issuers_(issuers), clock_(clock), options_(options) {}

FreshnessMonitor::~FreshnessMonitor() { stop(); }

void FreshnessMonitor::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { loop(); });
}

void FreshnessMonitor::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FreshnessMonitor::loop() {
  for (;;) {
    try {
      if (Status s = run_once(); !s) log().warn("crl freshness: {}", s.error().message);
    } catch (const std::exception& e) {
      try {
        log().error("crl freshness: check threw: {}", e.what());
      } catch (...) {
      }
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, options_.tick, [this] { return stopping_; })) return;
  }
}

Status FreshnessMonitor::run_once() {
  std::lock_guard<std::mutex> run(run_mu_);
  const UnixTime now = clock_.now();
  std::vector<Seen> seen;
  std::vector<const pki::Issuer*> changed;
  {
    auto txn = storage::ReadTxn::begin(env_);
    if (!txn) return std::move(txn).error();
    storage::ReadScope scope(*txn);
    if (!scope.status()) return scope.status();
    for (const pki::Issuer* issuer : issuers_.all()) {
      auto latest = storage::latest_crl(*txn, issuer->id);
      if (!latest) return std::move(latest).error();
      auto marked = txn->get(storage::Table::meta, as_bytes(state_key(issuer->id)));
      if (!marked) return std::move(marked).error();
      const bool stale = is_stale(*latest, now);
      if (stale != marked->has_value()) changed.push_back(issuer);
      if (*latest) seen.push_back({issuer->name, stale, (*latest)->next_update});
    }
  }
  Status first;
  for (const pki::Issuer* issuer : changed) {
    const storage::IssuerId id = issuer->id;
    const std::string name = issuer->name;
    bool transition = false;
    bool went_stale = false;
    Status s = writer_.run_sync([&, id, name](storage::WriteTxn& txn) -> Status {
      transition = false;
      auto latest = storage::latest_crl(txn, id);
      if (!latest) return std::move(latest).error();
      const std::string key = state_key(id);
      auto marked = txn.get(storage::Table::meta, as_bytes(key));
      if (!marked) return std::move(marked).error();
      const bool stale = is_stale(*latest, now);
      if (stale == marked->has_value()) return {};  // someone else recorded it
      if (stale) {
        if (Status p = txn.put(storage::Table::meta, as_bytes(key), (*latest)->number); !p) return p;
      } else {
        auto gone = txn.del(storage::Table::meta, as_bytes(key));
        if (!gone) return std::move(gone).error();
      }
      // A fresh issuer has a CRL: only a stale one is ever marked, and CRLs are never deleted.
      auto seq = storage::append_event(
          txn, {stale ? "crl.stale" : "crl.fresh", "crl-monitor", payload(name, **latest), now});
      if (!seq) return std::move(seq).error();
      transition = true;
      went_stale = stale;
      return {};
    });
    if (!s && first) first = std::move(s);
    if (s && transition) {
      if (went_stale)
        log().warn("crl: the published CRL of issuer \"{}\" is past its nextUpdate and nothing newer came", name);
      else
        log().info("crl: issuer \"{}\" has a current CRL again", name);
      std::lock_guard<std::mutex> lock(mu_);
      ++transitions_;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  seen_ = std::move(seen);
  return first;
}

std::string FreshnessMonitor::metrics_text() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  MetricsText m(out);
  m.header("trustmon_crl_stale", "gauge", "1 while the issuer's published CRL is past its nextUpdate with no newer one.");
  for (const Seen& s : seen_) m.sample("trustmon_crl_stale", "issuer", s.issuer, s.stale ? 1 : 0);
  m.header("trustmon_crl_next_update_timestamp_seconds", "gauge", "nextUpdate of the issuer's published CRL.");
  for (const Seen& s : seen_) m.sample("trustmon_crl_next_update_timestamp_seconds", "issuer", s.issuer, s.next_update);
  m.counter("trustmon_crl_freshness_events_total", "crl.stale and crl.fresh events recorded by this process.",
            transitions_);
  return out;
}

}  // namespace trustmon::crl
