// Refresher: scan, sign outside transactions, store with a re-check (see refresher.hpp).
#include "responder/ocsp/refresher.hpp"

#include <algorithm>
#include <memory>
#include <vector>

#include "common/log.hpp"
#include "common/thread_pool.hpp"
#include "responder/ocsp/presign.hpp"
#include "storage/records.hpp"
#include "storage/scan.hpp"

namespace trustmon::ocsp {

struct Refresher::Due {
  Bytes key;                  // cert key (issuer id || serial length || serial)
  HashAlg alg = kPresignHashAlg;  // the CertID hash of the response
  storage::CertRecord record;  // what was read, and signed from
  Bytes value;                // encoded OcspResponseRecord once signed
  UnixTime produced_at = 0;
};

namespace {

bool same_status(const storage::CertRecord& a, const storage::CertRecord& b) {
  return a.status == b.status && a.revocation_time == b.revocation_time && a.reason == b.reason &&
         a.invalidity_date == b.invalidity_date;
}

}  // namespace

Refresher::Refresher(storage::Env& env, storage::Writer& writer, const ResponderTable& issuers, OcspOptions options,
                     const Clock& clock, RefresherOptions refresher_options)
    : env_(env),
      writer_(writer),
      issuers_(issuers),
      options_(options),
      clock_(clock),
      ropts_(refresher_options) {
  if (ropts_.batch_size == 0) ropts_.batch_size = 1;
}

Refresher::~Refresher() { stop(); }

void Refresher::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    // Background signing: below the event loops that answer OCSP requests live.
    lower_thread_priority(10, "ocsp refresher");
    loop();
  });
}

void Refresher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

RefresherStats Refresher::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Refresher::loop() {
  for (;;) {
    try {
      pass();
    } catch (const std::exception& e) {
      log().error("ocsp refresher: pass failed: {}", e.what());
    }
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, ropts_.interval, [this] { return stopping_; })) return;
  }
}

std::size_t Refresher::run_once() {
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  return pass();
}

bool Refresher::pace() {
  std::unique_lock lock(mu_);
  if (stopping_) return false;
  if (ropts_.max_per_second <= 0) return true;
  const auto step = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / ropts_.max_per_second));
  const auto now = std::chrono::steady_clock::now();
  // Do not bank unused slots across idle time: a burst after a quiet hour is still paced.
  if (next_slot_ < now) next_slot_ = now;
  const auto slot = next_slot_;
  next_slot_ += step;
  if (slot > now && cv_.wait_until(lock, slot, [this] { return stopping_; })) return false;
  return true;
}

std::size_t Refresher::pass() {
  std::lock_guard pass_lock(pass_mu_);
  auto txn = storage::ReadTxn::begin(env_);
  if (!txn) {
    log().error("ocsp refresher: {}", txn.error().message);
    std::lock_guard lock(mu_);
    ++stats_.failures;
    return 0;
  }
  std::size_t stored = 0;
  for (const ResponderKeys* issuer : issuers_.all()) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
    }
    stored += refresh_issuer(*issuer, *txn);
  }
  std::lock_guard lock(mu_);
  ++stats_.passes;
  return stored;
}

std::size_t Refresher::refresh_issuer(const ResponderKeys& issuer, storage::ReadTxn& txn) {
  const Bytes prefix = storage::encode_issuer_key(issuer.id);
  Bytes resume = prefix;  // next key to look at (inclusive)
  bool skip_resume = false;  // resume is the last key seen: skip it
  std::size_t stored = 0;
  for (;;) {
    std::vector<Due> due;
    bool finished = false;
    std::uint64_t scanned = 0, failures = 0;
    {
      storage::ReadScope scope(txn);
      if (!scope.status()) {
        log().error("ocsp refresher: {}", scope.status().error().message);
        std::lock_guard lock(mu_);
        ++stats_.failures;
        return stored;
      }
      const UnixTime now = clock_.now();
      auto cur = storage::Cursor::open(txn, storage::Table::certs);
      if (!cur) {
        log().error("ocsp refresher: {}", cur.error().message);
        std::lock_guard lock(mu_);
        ++stats_.failures;
        return stored;
      }
      auto at = cur->seek(resume);
      if (at && *at && skip_resume && std::ranges::equal(cur->key(), resume)) at = cur->next();
      // The stored responses are walked alongside: a certificate's are at its key (SHA-1)
      // and right after it (its key || hash octet), before the next certificate's.
      auto responses = storage::Cursor::open(txn, storage::Table::ocsp_responses);
      if (!responses) {
        log().error("ocsp refresher: {}", responses.error().message);
        std::lock_guard lock(mu_);
        ++stats_.failures;
        return stored;
      }
      Result<bool> rat = responses->seek(resume);
      const auto response_valid = [&] {
        if (rat) return *rat;
        log().error("ocsp refresher: {}", rat.error().message);
        ++failures;
        rat = false;
        return false;
      };
      std::size_t looked = 0;
      bool full = false;  // the batch or the chunk filled: the issuer's range goes on
      Status walked = storage::for_each_prefix(*cur, std::move(at), prefix, [&](ByteView key, ByteView value) {
        if (due.size() >= ropts_.batch_size || looked >= kScanChunk) {
          full = true;
          return false;
        }
        ++looked;
        ++scanned;
        resume.assign(key.begin(), key.end());
        while (response_valid() && std::ranges::lexicographical_compare(responses->key(), key)) rat = responses->next();
        auto record = storage::decode_cert(value);
        if (!record) {
          ++failures;
          return true;
        }
        const auto is_due = [&](ByteView response) {
          auto view = storage::view_ocsp_response(response);
          return !view || view->next_update - options_.refresh_margin <= now || !presigned_matches(*view, *record);
        };
        bool has_presigned = false;
        for (; response_valid() && has_prefix(responses->key(), key); rat = responses->next()) {
          const auto alg = response_key_alg(responses->key(), key.size());
          if (!alg) continue;
          if (*alg == kPresignHashAlg) has_presigned = true;
          if (is_due(responses->value())) due.push_back(Due{Bytes(key.begin(), key.end()), *alg, *record, {}, 0});
        }
        if (!has_presigned) due.push_back(Due{Bytes(key.begin(), key.end()), kPresignHashAlg, *record, {}, 0});
        return true;
      });
      if (!walked) {
        log().error("ocsp refresher: {}", walked.error().message);
        ++failures;
      }
      finished = !full;
      skip_resume = true;
    }  // read transaction reset here: signing happens outside it
    {
      std::lock_guard lock(mu_);
      stats_.scanned += scanned;
      stats_.failures += failures;
    }
    if (!due.empty()) {
      const std::size_t n = store(issuer, due);
      if (n == SIZE_MAX) return stored;  // stopping or the Writer is gone
      stored += n;
    }
    if (finished) return stored;
  }
}

// Signs every due entry, then stores the batch in one Writer job. SIZE_MAX = abort the pass.
std::size_t Refresher::store(const ResponderKeys& issuer, std::vector<Due>& due) {
  std::uint64_t signed_count = 0, failures = 0;
  auto batch = std::make_shared<std::vector<Due>>();
  batch->reserve(due.size());
  bool aborted = false;
  for (Due& d : due) {
    if (!pace()) {
      aborted = true;
      break;
    }
    auto key = storage::decode_cert_key(d.key);
    if (!key) {
      ++failures;
      continue;
    }
    const UnixTime now = clock_.now();
    auto rec = presign(issuer, key->serial, d.record, options_, now, d.alg);
    if (!rec) {
      ++failures;
      log().error("ocsp refresher: signing for issuer {} failed: {}", issuer.name, rec.error().message);
      continue;
    }
    ++signed_count;
    d.produced_at = rec->produced_at;
    d.value = storage::encode_ocsp_response(*rec);
    batch->push_back(std::move(d));
  }
  struct Outcome {
    std::uint64_t stored = 0, skipped = 0;
  };
  auto outcome = std::make_shared<Outcome>();
  Status st;
  if (!batch->empty() && ropts_.before_store) ropts_.before_store();
  if (!batch->empty()) {
    st = writer_.run_sync([batch, outcome](storage::WriteTxn& wtxn) -> Status {
      *outcome = Outcome{};  // the Writer may run a job twice (map growth)
      for (const Due& d : *batch) {
        auto cur = wtxn.get(storage::Table::certs, d.key);
        if (!cur) return std::move(cur).error();
        if (!cur->has_value()) {
          ++outcome->skipped;
          continue;
        }
        auto record = storage::decode_cert(**cur);
        if (!record || !same_status(*record, d.record)) {
          ++outcome->skipped;
          continue;
        }
        const Bytes response = response_key(d.key, d.alg);
        auto existing = wtxn.get(storage::Table::ocsp_responses, response);
        if (!existing) return std::move(existing).error();
        if (existing->has_value()) {
          auto view = storage::view_ocsp_response(**existing);
          if (view && view->produced_at > d.produced_at) {
            ++outcome->skipped;
            continue;
          }
        }
        if (auto put = wtxn.put(storage::Table::ocsp_responses, response, d.value); !put) return put;
        ++outcome->stored;
      }
      return {};
    });
    if (!st) {
      ++failures;
      log().warn("ocsp refresher: storing {} responses for issuer {} failed: {}", batch->size(), issuer.name,
                 st.error().message);
    }
  }
  std::lock_guard lock(mu_);
  stats_.signed_count += signed_count;
  stats_.failures += failures;
  if (st) {
    stats_.stored += outcome->stored;
    stats_.skipped_changed += outcome->skipped;
  }
  if (aborted || (!st && st.error().code == "shutting_down")) return SIZE_MAX;
  return st ? outcome->stored : 0;
}

}  // namespace trustmon::ocsp
