// Refresher: due and full passes, signing outside transactions, stores with a re-check
// (see refresher.hpp).
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
  const ResponderKeys* issuer = nullptr;
  Bytes key;                      // cert key (issuer id || serial length || serial)
  HashAlg alg = kPresignHashAlg;  // the CertID hash of the response
  storage::CertRecord record;     // what was read, and signed from
  std::optional<storage::OcspResponseRecord> response;  // once signed
};

// One Writer job's worth of work.
struct Refresher::Batch {
  std::vector<Due> due;         // to sign and store
  std::vector<Bytes> drop;      // ocsp_due entries that belong to no response
  std::vector<Bytes> index;     // ocsp_due entries to write (building the work list)
  bool empty() const { return due.empty() && drop.empty() && index.empty(); }
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

void Refresher::count_fault(const Error& e) {
  log().error("ocsp refresher: {}", e.message);
  std::lock_guard lock(mu_);
  ++stats_.failures;
}

bool Refresher::stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

void Refresher::loop() {
  for (;;) {
    try {
      pass(Pass::automatic);
    } catch (const std::exception& e) {
      log().error("ocsp refresher: pass failed: {}", e.what());
    }
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, ropts_.interval, [this] { return stopping_; })) return;
  }
}

std::size_t Refresher::run_once(Pass kind) {
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  return pass(kind);
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

bool Refresher::due_built() {
  if (due_built_) return true;
  auto txn = storage::ReadTxn::begin(env_);
  if (!txn) return false;
  storage::ReadScope scope(*txn);
  if (!scope.status()) return false;
  auto got = txn->get(storage::Table::meta, as_bytes(storage::kMetaOcspDueBuilt));
  due_built_ = got && got->has_value();
  return due_built_;
}

std::size_t Refresher::pass(Pass kind) {
  std::lock_guard pass_lock(pass_mu_);
  const auto now = std::chrono::steady_clock::now();
  const bool full = kind == Pass::full ||
                    (kind == Pass::automatic &&
                     (!due_built() || !last_full_ || now - *last_full_ >= ropts_.full_pass_interval));
  const std::size_t stored = full ? full_pass() : due_pass();
  std::lock_guard lock(mu_);
  ++stats_.passes;
  if (full) ++stats_.full_passes;
  return stored;
}

// ------------------------------------------------------------------------ due pass

std::size_t Refresher::due_pass() {
  auto txn = storage::ReadTxn::begin(env_);
  if (!txn) {
    count_fault(txn.error());
    return 0;
  }
  std::size_t stored = 0;
  Bytes resume;              // next key to look at (inclusive); empty: the first
  bool skip_resume = false;  // resume is the last key seen: skip it
  for (;;) {
    if (stopping()) return stored;
    Batch batch;
    bool finished = false;
    std::uint64_t scanned = 0, failures = 0;
    {
      storage::ReadScope scope(*txn);
      if (!scope.status()) {
        count_fault(scope.status().error());
        return stored;
      }
      const UnixTime now = clock_.now();
      const UnixTime bound = now + options_.refresh_margin;
      auto cur = storage::Cursor::open(*txn, storage::Table::ocsp_due);
      if (!cur) {
        count_fault(cur.error());
        return stored;
      }
      auto at = resume.empty() ? cur->first() : cur->seek(resume);
      if (at && *at && skip_resume && std::ranges::equal(cur->key(), resume)) at = cur->next();
      std::size_t looked = 0;
      finished = true;
      for (; at && *at; at = cur->next()) {
        if (batch.due.size() >= ropts_.batch_size || looked >= kScanChunk) {
          finished = false;
          break;
        }
        const ByteView key = cur->key();
        const auto entry = decode_due_key(key);
        if (entry && entry->next_update > bound) break;  // the rest is not due yet
        ++looked;
        ++scanned;
        resume.assign(key.begin(), key.end());
        const auto cert_key = entry ? cert_key_of_response(entry->response_key) : std::nullopt;
        const auto alg = cert_key ? response_key_alg(entry->response_key, cert_key->size()) : std::nullopt;
        const auto decoded = cert_key ? storage::decode_cert_key(*cert_key) : std::nullopt;
        if (!alg || !decoded) {
          batch.drop.emplace_back(key.begin(), key.end());
          continue;
        }
        const ResponderKeys* issuer = issuers_.find_by_id(decoded->issuer);
        if (issuer == nullptr) continue;  // an issuer not served now: its entries wait
        auto cert = txn->get(storage::Table::certs, *cert_key);
        if (!cert) {
          ++failures;
          continue;
        }
        if (!cert->has_value()) {
          batch.drop.emplace_back(key.begin(), key.end());
          continue;
        }
        auto record = storage::decode_cert(**cert);
        if (!record) {
          ++failures;
          continue;
        }
        auto existing = txn->get(storage::Table::ocsp_responses, entry->response_key);
        if (!existing) {
          ++failures;
          continue;
        }
        if (existing->has_value()) {
          auto view = storage::view_ocsp_response(**existing);
          // An entry other than the response's own (a "not signed yet" mark left by a
          // store, or a response replaced without its entry): dropped; the response's
          // own entry says when it is due.
          if (view && view->next_update != entry->next_update) {
            batch.drop.emplace_back(key.begin(), key.end());
            continue;
          }
          if (view && view->next_update - options_.refresh_margin > now && presigned_matches(*view, *record)) continue;
        } else if (*alg != kPresignHashAlg) {
          // Responses in other hashes are made on request only: nothing to keep fresh.
          batch.drop.emplace_back(key.begin(), key.end());
          continue;
        }
        batch.due.push_back(Due{issuer, Bytes(cert_key->begin(), cert_key->end()), *alg, *record, std::nullopt});
      }
      if (!at) {
        log().error("ocsp refresher: {}", at.error().message);
        ++failures;
        finished = true;
      }
      skip_resume = true;
    }  // read transaction reset here: signing happens outside it
    if (!end_chunk(batch, scanned, failures, stored) || finished) return stored;
  }
}

// ----------------------------------------------------------------------- full pass

std::size_t Refresher::full_pass() {
  auto txn = storage::ReadTxn::begin(env_);
  if (!txn) {
    count_fault(txn.error());
    return 0;
  }
  const bool build_index = !due_built();
  std::uint64_t failures_before = 0;
  {
    std::lock_guard lock(mu_);
    failures_before = stats_.failures;
  }
  std::size_t stored = 0;
  for (const ResponderKeys* issuer : issuers_.all()) {
    if (stopping()) return stored;
    stored += refresh_issuer(*issuer, *txn, build_index);
  }
  if (stopping()) return stored;
  last_full_ = std::chrono::steady_clock::now();
  if (build_index) {
    {
      std::lock_guard lock(mu_);
      if (stats_.failures != failures_before) return stored;  // not complete: the next pass builds again
    }
    Status st = writer_.run_sync([](storage::WriteTxn& w) {
      return w.put(storage::Table::meta, as_bytes(storage::kMetaOcspDueBuilt), as_bytes("1"));
    });
    if (st) {
      due_built_ = true;
      log().info("ocsp refresher: the work list of every stored response is built");
    }
  }
  return stored;
}

std::size_t Refresher::refresh_issuer(const ResponderKeys& issuer, storage::ReadTxn& txn, bool build_index) {
  const Bytes prefix = storage::encode_issuer_key(issuer.id);
  Bytes resume = prefix;  // next key to look at (inclusive)
  bool skip_resume = false;  // resume is the last key seen: skip it
  std::size_t stored = 0;
  for (;;) {
    Batch batch;
    bool finished = false;
    std::uint64_t scanned = 0, failures = 0;
    {
      storage::ReadScope scope(txn);
      if (!scope.status()) {
        count_fault(scope.status().error());
        return stored;
      }
      const UnixTime now = clock_.now();
      auto cur = storage::Cursor::open(txn, storage::Table::certs);
      if (!cur) {
        count_fault(cur.error());
        return stored;
      }
      auto at = cur->seek(resume);
      if (at && *at && skip_resume && std::ranges::equal(cur->key(), resume)) at = cur->next();
      // The stored responses are walked alongside: a certificate's are at its key (SHA-1)
      // and right after it (its key || hash octet), before the next certificate's.
      auto responses = storage::Cursor::open(txn, storage::Table::ocsp_responses);
      if (!responses) {
        count_fault(responses.error());
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
        if (batch.due.size() >= ropts_.batch_size || looked >= kScanChunk) {
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
        bool has_presigned = false;
        for (; response_valid() && has_prefix(responses->key(), key); rat = responses->next()) {
          const auto alg = response_key_alg(responses->key(), key.size());
          if (!alg) continue;
          if (*alg == kPresignHashAlg) has_presigned = true;
          auto view = storage::view_ocsp_response(responses->value());
          if (!view || view->next_update - options_.refresh_margin <= now || !presigned_matches(*view, *record)) {
            batch.due.push_back(Due{&issuer, Bytes(key.begin(), key.end()), *alg, *record, std::nullopt});
          } else if (build_index) {
            batch.index.push_back(due_key(view->next_update, responses->key()));
          }
        }
        if (!has_presigned)
          batch.due.push_back(Due{&issuer, Bytes(key.begin(), key.end()), kPresignHashAlg, *record, std::nullopt});
        return true;
      });
      if (!walked) {
        log().error("ocsp refresher: {}", walked.error().message);
        ++failures;
      }
      finished = !full;
      skip_resume = true;
    }  // read transaction reset here: signing happens outside it
    if (!end_chunk(batch, scanned, failures, stored) || finished) return stored;
  }
}

// -------------------------------------------------------------------------- store

bool Refresher::end_chunk(Batch& batch, std::uint64_t scanned, std::uint64_t failures, std::size_t& stored) {
  {
    std::lock_guard lock(mu_);
    stats_.scanned += scanned;
    stats_.failures += failures;
  }
  if (batch.empty()) return true;
  const std::size_t n = store(batch);
  if (n == SIZE_MAX) return false;  // stopping or the Writer is gone
  stored += n;
  return true;
}

std::size_t Refresher::store(Batch& batch) {
  std::uint64_t signed_count = 0, failures = 0;
  auto work = std::make_shared<Batch>();
  work->due.reserve(batch.due.size());
  work->drop = std::move(batch.drop);
  work->index = std::move(batch.index);
  bool aborted = false;
  for (Due& d : batch.due) {
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
    auto rec = presign(*d.issuer, key->serial, d.record, options_, now, d.alg);
    if (!rec) {
      ++failures;
      log().error("ocsp refresher: signing for issuer {} failed: {}", d.issuer->name, rec.error().message);
      continue;
    }
    ++signed_count;
    d.response = std::move(*rec);
    work->due.push_back(std::move(d));
  }
  struct Outcome {
    std::uint64_t stored = 0, skipped = 0, dropped = 0;
  };
  auto outcome = std::make_shared<Outcome>();
  Status st;
  if (!work->due.empty() && ropts_.before_store) ropts_.before_store();
  if (!work->empty()) {
    st = writer_.run_sync([work, outcome](storage::WriteTxn& wtxn) -> Status {
      *outcome = Outcome{};  // the Writer may run a job twice (map growth)
      for (const Due& d : work->due) {
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
          if (view && view->produced_at > d.response->produced_at) {
            ++outcome->skipped;
            continue;
          }
        }
        if (Status put = put_response(wtxn, response, *d.response); !put) return put;
        ++outcome->stored;
      }
      for (const Bytes& k : work->drop) {
        auto gone = wtxn.del(storage::Table::ocsp_due, k);
        if (!gone) return std::move(gone).error();
        if (*gone) ++outcome->dropped;
      }
      for (const Bytes& k : work->index)
        if (Status put = wtxn.put(storage::Table::ocsp_due, k, ByteView{}); !put) return put;
      return {};
    });
    if (!st) {
      ++failures;
      log().warn("ocsp refresher: storing {} responses failed: {}", work->due.size(), st.error().message);
    }
  }
  std::lock_guard lock(mu_);
  stats_.signed_count += signed_count;
  stats_.failures += failures;
  if (st) {
    stats_.stored += outcome->stored;
    stats_.skipped_changed += outcome->skipped;
    stats_.dropped += outcome->dropped;
  }
  if (aborted || (!st && st.error().code == "shutting_down")) return SIZE_MAX;
  return st ? outcome->stored : 0;
}

}  // namespace trustmon::ocsp
