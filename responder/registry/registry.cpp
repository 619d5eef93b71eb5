// The registry itself: construction, the preparation pool (parallel chunks) and the
// hand-over of a batch to the Writer; refusals shared by every kind of batch. Ingest is in
// ingest.cpp, revocations and CRLs in revocation.cpp, event payloads in event_payloads.cpp.
#include "responder/registry/registry.hpp"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "common/enum_names.hpp"
#include "common/metrics.hpp"
#include "responder/registry/refusals.hpp"
#include "storage/audited.hpp"

namespace trustmon::registry {

namespace {

// Items per preparation chunk: small enough to spread a batch over every core, large
// enough that queueing costs nothing next to the work.
constexpr std::size_t kMinChunk = 64;

// Preparation (parsing, verification, body decoding) runs below the event loops' and the
// Writer's priority: a bulk import then takes the CPU the OCSP answers leave idle instead
// of queueing them behind it (bench/README.md, ocsp_during_import.py).
constexpr int kPrepareNice = 10;
// Preparation threads that serve only the urgent lane (revocations): one is enough for a
// revocation not to wait for an import's chunk; revocations are small.
constexpr std::size_t kUrgentThreads = 1;

std::size_t default_threads(std::size_t requested) {
  if (requested != 0) return requested;
  return std::max<std::size_t>(1, std::thread::hardware_concurrency());
}

}  // namespace

Error not_operated_error(const std::string& issuer) {
  return make_error(ErrorKind::forbidden, "issuer_not_operated",
                    "the caller's participant does not operate the issuer \"" + issuer + "\"");
}

nlohmann::json denied_target(const std::string& issuer, const std::string& serial_hex) {
  return {{"issuer", issuer}, {"serial", serial_hex}};
}

Status record_denial(storage::WriteTxn& txn, const std::string& actor_label, const char* action,
                     const std::string& issuer, const std::string& serial_hex, UnixTime now) {
  return storage::append_audit(txn,
                               storage::denial_event(actor_label, action, denied_target(issuer, serial_hex),
                                                     not_operated_error(issuer), now));
}

const char* item_status_name(ItemStatus s) {
  // Wire names of batch items; the literals make name(...).data() NUL-terminated.
  static constexpr EnumNames<ItemStatus, 6> kNames({{{ItemStatus::stored, "stored"},
                                                     {ItemStatus::duplicate, "duplicate"},
                                                     {ItemStatus::revoked, "revoked"},
                                                     {ItemStatus::unchanged, "unchanged"},
                                                     {ItemStatus::refused, "refused"},
                                                     {ItemStatus::released, "released"}}});
  return kNames.name(s, "refused").data();
}

std::size_t BatchReport::count(ItemStatus s) const {
  std::size_t n = 0;
  for (const auto& i : items) n += i.status == s ? 1 : 0;
  return n;
}

Registry::Registry(storage::Writer& writer, const pki::IssuerSet& issuers,
                   const ocsp::ResponderTable& responders, ocsp::OcspOptions options, const Clock& clock,
                   RegistryOptions registry_options)
    : writer_(writer),
      audited_(writer),
      issuers_(issuers),
      responders_(responders),
      options_(options),
      clock_(clock),
      prepare_(default_threads(registry_options.prepare_threads), "ingest", kPrepareNice, kUrgentThreads) {
  for (const auto& name : registry_options.accept_unverified_issuers) {
    if (const pki::Issuer* k = issuers_.find_by_name(name)) unverified_ok_.push_back(k->id);
  }
  for (const auto& name : registry_options.crl_built_issuers) {
    if (const pki::Issuer* k = issuers_.find_by_name(name)) crl_built_.push_back(k->id);
  }
  key_ledger_ = registry_options.key_ledger;
  crl_checker_ = registry_options.crl_checker;
  stats_ = registry_options.stats;
  items_per_job_ = std::max<std::size_t>(1, registry_options.items_per_job);
  compactor_ = make_index_compactor(writer_);
}

std::string Registry::metrics_text() const {
  std::string out;
  MetricsText m(out);
  m.counter("trustmon_crl_discrepancies_total",
            "Uploaded CRLs that did not agree with the status data (crl.discrepancy events).",
            crl_discrepancies_.load(std::memory_order_relaxed));
  return out;
}

bool Registry::accepts_unverified(storage::IssuerId id) const {
  return std::find(unverified_ok_.begin(), unverified_ok_.end(), id) != unverified_ok_.end();
}

namespace {

// Joins a batch's Writer jobs (their Done calls run on the Writer thread, or on the
// submitting thread when the Writer is stopping).
struct JobJoin {
  std::mutex mu;
  std::size_t remaining = 0;
  std::shared_ptr<BatchReport> report;
  Registry::Callback done;
  std::optional<Error> error;
};

}  // namespace

void Registry::submit_jobs(std::size_t n, const MakeJob& make_job, std::shared_ptr<BatchReport> report,
                           Callback done, Lane lane, storage::Writer::Job first) {
  const std::size_t jobs = std::max<std::size_t>(1, (n + items_per_job_ - 1) / items_per_job_);
  auto join = std::make_shared<JobJoin>();
  join->remaining = jobs + (first ? 1 : 0);
  join->report = std::move(report);
  join->done = std::move(done);
  const auto joined = [join](Status s) {
    {
      std::lock_guard<std::mutex> lock(join->mu);
      if (!s && !join->error) join->error = std::move(s).error();
      if (--join->remaining != 0) return;
    }
    if (join->error) {
      join->done(std::move(*join->error));
    } else {
      join->done(std::move(*join->report));
    }
  };
  if (first) writer_.submit(std::move(first), joined, lane, 1);
  for (std::size_t j = 0; j < jobs; ++j) {
    const std::size_t begin = std::min(n, j * items_per_job_), end = std::min(n, begin + items_per_job_);
    writer_.submit(make_job(j, begin, end), joined, lane, std::max<std::size_t>(1, end - begin));
  }
}

void Registry::parallel(std::size_t n, std::function<void(std::size_t, std::size_t)> chunk,
                        std::function<void()> finish, Lane lane) {
  const std::size_t threads = prepare_.size() + (lane == Lane::urgent ? prepare_.urgent_threads() : 0);
  const std::size_t chunks = std::max<std::size_t>(1, std::min(threads, (n + kMinChunk - 1) / kMinChunk));
  const std::size_t per = (n + chunks - 1) / chunks;
  auto remaining = std::make_shared<std::atomic<std::size_t>>(chunks);
  auto shared_chunk = std::make_shared<std::function<void(std::size_t, std::size_t)>>(std::move(chunk));
  auto shared_finish = std::make_shared<std::function<void()>>(std::move(finish));
  for (std::size_t c = 0; c < chunks; ++c) {
    const std::size_t begin = std::min(n, c * per), end = std::min(n, begin + per);
    prepare_.submit(
        [remaining, shared_chunk, shared_finish, begin, end] {
          (*shared_chunk)(begin, end);
          if (remaining->fetch_sub(1, std::memory_order_acq_rel) == 1) (*shared_finish)();
        },
        lane);
  }
}

}  // namespace trustmon::registry
