// AnswerKeeper: live answers held until stored, and their stores (see answer_keeper.hpp).
#include "responder/ocsp/answer_keeper.hpp"

#include <mutex>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/metrics.hpp"
#include "responder/ocsp/presign.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::ocsp {
namespace {

using Steady = std::chrono::steady_clock;

struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

std::string_view as_text(ByteView b) noexcept { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

bool same_status(const KeptAnswer& a, const KeptAnswer& b) noexcept {
  return a.status == b.status && a.revocation_time == b.revocation_time;
}

using StoreBatch = std::vector<std::pair<Bytes, std::shared_ptr<const KeptAnswer>>>;

}  // namespace

struct AnswerKeeper::Shared {
  struct Entry {
    std::shared_ptr<const KeptAnswer> answer;
    std::optional<Steady::time_point> stored_at;  // when its store finished (whatever the result)
  };
  explicit Shared(std::size_t max) : max_entries(max) {}

  // Drops the entries whose store finished more than kGrace ago (mu held), at most once a second.
  void sweep(Steady::time_point now) {
    if (now - last_sweep < std::chrono::seconds(1)) return;
    last_sweep = now;
    std::erase_if(by_key, [&](const auto& kv) { return kv.second.stored_at && *kv.second.stored_at + kGrace < now; });
  }

  mutable std::mutex mu;
  std::unordered_map<std::string, Entry, KeyHash, std::equal_to<>> by_key;
  StoreBatch to_store;
  bool storing = false;  // a store job is with the Writer
  Steady::time_point last_sweep{};
  const std::size_t max_entries;
  AnswerKeeperStats stats;
};

AnswerKeeper::AnswerKeeper(storage::Writer& writer, std::size_t max_entries)
    : writer_(writer), shared_(std::make_shared<Shared>(max_entries == 0 ? 1 : max_entries)) {}

AnswerKeeper::~AnswerKeeper() = default;

std::shared_ptr<const KeptAnswer> AnswerKeeper::find(ByteView key) const {
  std::lock_guard lock(shared_->mu);
  auto it = shared_->by_key.find(as_text(key));
  if (it == shared_->by_key.end()) return nullptr;
  return it->second.answer;
}

std::shared_ptr<const KeptAnswer> AnswerKeeper::keep(ByteView key, std::shared_ptr<const KeptAnswer> answer,
                                                     UnixTime fresh_until) {
  bool start = false;
  {
    std::lock_guard lock(shared_->mu);
    Shared& s = *shared_;
    s.sweep(Steady::now());
    auto it = s.by_key.find(as_text(key));
    if (it != s.by_key.end()) {
      const KeptAnswer& before = *it->second.answer;
      if (same_status(before, *answer) && before.next_update > fresh_until) {
        ++s.stats.shared;
        return it->second.answer;
      }
      it->second = Shared::Entry{answer, std::nullopt};
    } else {
      if (s.by_key.size() >= s.max_entries) {
        ++s.stats.overflowed;
        return answer;
      }
      s.by_key.emplace(std::string(as_text(key)), Shared::Entry{answer, std::nullopt});
    }
    ++s.stats.kept;
    s.to_store.emplace_back(Bytes(key.begin(), key.end()), answer);
    if (!s.storing) start = s.storing = true;
  }
  if (start) submit_next(writer_, shared_);
  return answer;
}

void AnswerKeeper::submit_next(storage::Writer& writer, const std::shared_ptr<Shared>& shared) {
  auto batch = std::make_shared<StoreBatch>();
  {
    std::lock_guard lock(shared->mu);
    if (shared->to_store.empty()) {
      shared->storing = false;
      return;
    }
    batch->swap(shared->to_store);
  }
  struct Outcome {
    std::uint64_t stored = 0, skipped = 0;
  };
  auto outcome = std::make_shared<Outcome>();
  auto job = [batch, outcome](storage::WriteTxn& txn) -> Status {
    *outcome = Outcome{};  // the Writer may run a job twice (map growth)
    for (const auto& [key, answer] : *batch) {
      const auto cert_key = cert_key_of_response(key);
      if (!cert_key) {
        ++outcome->skipped;
        continue;
      }
      auto cert = txn.get(storage::Table::certs, *cert_key);
      if (!cert) return std::move(cert).error();
      if (!cert->has_value()) {
        ++outcome->skipped;
        continue;
      }
      auto record = storage::decode_cert(**cert);
      if (!record || !presigned_matches(*answer, *record)) {
        ++outcome->skipped;
        continue;
      }
      auto existing = txn.get(storage::Table::ocsp_responses, key);
      if (!existing) return std::move(existing).error();
      if (existing->has_value()) {
        auto view = storage::view_ocsp_response(**existing);
        if (view && view->produced_at > answer->produced_at) {
          ++outcome->skipped;
          continue;
        }
      }
      if (Status put = put_response(txn, key, *answer); !put) return put;
      ++outcome->stored;
    }
    return {};
  };
  // The done callback holds the shared state weakly: it may run after the keeper is
  // gone (the Daemon stops the Writer last). It submits the next batch itself, on the
  // Writer that is running it.
  std::weak_ptr<Shared> weak = shared;
  auto done = [weak, batch, outcome, &writer](Status st) {
    auto alive = weak.lock();
    if (!alive) return;
    {
      std::lock_guard lock(alive->mu);
      const auto now = Steady::now();
      for (const auto& [key, answer] : *batch) {
        auto it = alive->by_key.find(as_text(key));
        if (it != alive->by_key.end() && it->second.answer == answer) it->second.stored_at = now;
      }
      if (st) {
        alive->stats.stored += outcome->stored;
        alive->stats.skipped += outcome->skipped;
      } else {
        alive->stats.failed += batch->size();
      }
      alive->sweep(now);
    }
    submit_next(writer, alive);
  };
  writer.submit(std::move(job), std::move(done), Lane::normal, batch->size());
}

AnswerKeeperStats AnswerKeeper::stats() const {
  std::lock_guard lock(shared_->mu);
  AnswerKeeperStats s = shared_->stats;
  s.held = shared_->by_key.size();
  return s;
}

std::string AnswerKeeper::metrics_text() const {
  const AnswerKeeperStats s = stats();
  std::string out;
  MetricsText m(out);
  constexpr std::string_view kName = "trustmon_ocsp_kept_answers_total";
  m.header(kName, "counter", "Live OCSP answers kept for the next request and stored, by result.");
  m.sample(kName, "result", "kept", s.kept);
  m.sample(kName, "result", "shared", s.shared);
  m.sample(kName, "result", "stored", s.stored);
  m.sample(kName, "result", "skipped", s.skipped);
  m.sample(kName, "result", "failed", s.failed);
  m.sample(kName, "result", "overflowed", s.overflowed);
  m.header("trustmon_ocsp_kept_answers_held", "gauge", "Live OCSP answers held in memory now.");
  m.sample("trustmon_ocsp_kept_answers_held", s.held);
  return out;
}

}  // namespace trustmon::ocsp
