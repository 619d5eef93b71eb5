#include "responder/watch/dispatcher.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <future>
#include <set>

#include "common/log.hpp"
#include "common/time.hpp"
#include "storage/event_tail.hpp"

namespace trustmon::watch {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

std::string delivery_id() {
  std::uint8_t raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) return "unknown";
  return hex_encode(ByteView(raw, sizeof raw));
}

}  // namespace

Dispatcher::Dispatcher(storage::Env& env, WatchService& service, const Clock& clock, DispatcherOptions options)
    : env_(env), service_(service), clock_(clock), options_(options) {
  if (options_.shards == 0) options_.shards = 1;
  if (options_.max_failures == 0) options_.max_failures = 1;
  for (std::size_t i = 0; i < options_.shards; ++i) {
    auto shard = std::make_unique<Shard>();
    shard->index = i;
    shards_.push_back(std::move(shard));
  }
}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return;
  started_ = true;
  for (auto& shard : shards_) {
    Shard* s = shard.get();
    s->thread = std::thread([this, s] { loop(*s); });
  }
}

void Dispatcher::stop() {
  std::vector<TestJob> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& shard : shards_)
    if (shard->thread.joinable()) shard->thread.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& shard : shards_)
      for (auto& t : shard->tests) left.push_back(std::move(t));
  }
  for (auto& t : left) t.done(json{{"delivered", false}, {"status", 0}, {"error", "the server is stopping"}});
}

void Dispatcher::notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++wakeups_;
  }
  cv_.notify_all();
}

bool Dispatcher::stopping() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stopping_;
}

std::vector<DeliveryAttempt> Dispatcher::deliveries(WatchId id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = deliveries_.find(id);
  if (it == deliveries_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

DispatcherStats Dispatcher::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void Dispatcher::test(const WatchRecord& record, std::function<void(json)> done) {
  bool refused = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || !started_) {
      refused = true;
    } else {
      shards_[record.id % shards_.size()]->tests.push_back({record, std::move(done)});
    }
  }
  if (refused) {
    done(json{{"delivered", false}, {"status", 0}, {"error", "the dispatcher is not running"}});
    return;
  }
  cv_.notify_all();
}

PostResult Dispatcher::post(const Slot& slot, WatchId id, std::uint64_t seq, const std::string& body) {
  if (!slot.url_ok) return PostResult{0, "the webhook URL is not usable"};
  std::vector<PostHeader> headers = {
      {"X-Trustmon-Signature", signature_header(slot.record.secret, body)},
      {"Idempotency-Key", std::to_string(id) + "-" + std::to_string(seq)},
      {"X-Trustmon-Delivery", delivery_id()},
      {"X-Trustmon-Watch", std::to_string(id)},
  };
  return http_post(slot.url, headers, body, options_.timeout, options_.ca_file);
}

void Dispatcher::loop(Shard& shard) {
  auto txn = storage::ReadTxn::begin(env_);
  if (!txn) {
    log().error("watch dispatcher: cannot begin a read transaction: {}", txn.error().message);
    return;
  }
  std::uint64_t seen = ~std::uint64_t{0};
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      auto wake_at = SteadyClock::now() + options_.idle_flush;
      for (const auto& [id, slot] : shard.slots)
        if (slot.active && !slot.dead && !slot.queue.empty() && slot.next_attempt < wake_at) wake_at = slot.next_attempt;
      cv_.wait_until(lock, wake_at, [&] { return stopping_ || wakeups_ != seen || !shard.tests.empty(); });
      if (stopping_) break;
      seen = wakeups_;
    }
    try {
      run_tests(shard);
      if (service_.generation() != shard.loaded_generation) reload(shard, *txn);
      // Catch up: a round reads at most `batch` events per watch queue refill.
      for (int round = 0; round < 64 && !stopping(); ++round) {
        std::uint64_t scanned_before = 0, scanned_after = 0;
        for (const auto& [id, slot] : shard.slots) scanned_before += slot.scanned;
        scan(shard, *txn);
        for (const auto& [id, slot] : shard.slots) scanned_after += slot.scanned;
        const bool attempted = deliver(shard);
        if (!attempted && scanned_after == scanned_before) break;
      }
      flush(shard, false);
    } catch (const std::exception& e) {
      log().error("watch dispatcher: round failed: {}", e.what());
    } catch (...) {
      log().error("watch dispatcher: round failed");
    }
  }
  try {
    flush(shard, true);
  } catch (...) {
    log().error("watch dispatcher: cannot store the final progress");
  }
}

void Dispatcher::run_tests(Shard& shard) {
  for (;;) {
    TestJob job;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (shard.tests.empty()) return;
      job = std::move(shard.tests.front());
      shard.tests.pop_front();
    }
    Slot slot;
    slot.record = job.record;
    auto url = parse_http_url(job.record.url);
    slot.url_ok = url.ok();
    if (url) slot.url = std::move(*url);
    const json body = {{"type", "watch.test"},
                       {"seq", 0},
                       {"watch", job.record.id},
                       {"time", format_rfc3339(clock_.now())}};
    std::uint8_t raw[8];
    RAND_bytes(raw, sizeof raw);
    // A test has no event: its Idempotency-Key is "<watch>-test-<random>".
    std::vector<PostHeader> headers;
    const std::string text = body.dump();
    PostResult r;
    if (!slot.url_ok) {
      r.error = "the webhook URL is not usable";
    } else {
      headers = {{"X-Trustmon-Signature", signature_header(slot.record.secret, text)},
                 {"Idempotency-Key", std::to_string(job.record.id) + "-test-" + hex_encode(ByteView(raw, sizeof raw))},
                 {"X-Trustmon-Delivery", delivery_id()},
                 {"X-Trustmon-Watch", std::to_string(job.record.id)}};
      r = http_post(slot.url, headers, text, options_.timeout, options_.ca_file);
    }
    job.done(json{{"delivered", r.delivered()},
                  {"status", r.status},
                  {"error", r.delivered() ? json(nullptr) : json(r.failure())}});
  }
}

void Dispatcher::reload(Shard& shard, storage::ReadTxn& txn) {
  const std::uint64_t generation = service_.generation();
  std::vector<WatchRecord> records;
  {
    storage::ReadScope scope(txn);
    if (!scope.status()) return;
    auto list = WatchService::list(txn, std::nullopt);
    if (!list) {
      log().error("watch dispatcher: cannot read the watches: {}", list.error().message);
      return;
    }
    records = std::move(*list);
  }
  std::set<WatchId> present;
  for (auto& r : records) {
    if (r.delivery != Delivery::webhook || r.id % shards_.size() != shard.index) continue;
    present.insert(r.id);
    auto it = shard.slots.find(r.id);
    if (it != shard.slots.end() && it->second.record.epoch == r.epoch) {
      if (r.state != WatchState::active && !it->second.dead) it->second.active = false;
      continue;
    }
    Slot slot;
    auto url = parse_http_url(r.url);
    slot.url_ok = url.ok();
    if (url) slot.url = std::move(*url);
    slot.cursor = slot.scanned = slot.stored_cursor = r.cursor;
    slot.failures = r.failures;
    slot.last_error = r.last_error;
    slot.dead = r.state == WatchState::dead_letter;
    slot.active = r.state == WatchState::active;
    slot.record = std::move(r);
    shard.slots[slot.record.id] = std::move(slot);
  }
  std::erase_if(shard.slots, [&present](const auto& kv) { return present.count(kv.first) == 0; });
  shard.loaded_generation = generation;
}

void Dispatcher::scan(Shard& shard, storage::ReadTxn& txn) {
  std::uint64_t from = ~std::uint64_t{0};
  for (const auto& [id, slot] : shard.slots)
    if (slot.active && !slot.dead && slot.queue.size() < kMaxQueued) from = std::min(from, slot.scanned);
  if (from == ~std::uint64_t{0}) return;
  const std::shared_ptr<const WatchIndex> idx = service_.index();
  std::set<WatchId> full;  // queues that filled up in this round: they stop before that event
  std::uint64_t upto = 0;
  {
    storage::ReadScope scope(txn);
    if (!scope.status()) return;
    const storage::EventTail tail(options_.batch);
    auto read = tail.read(txn, from, [&](const storage::EventRecord& e) {
      upto = e.seq;
      if (!watched_event(e.type)) return;
      auto facts = facts_of(txn, e);
      if (!facts) {
        log().warn("watch dispatcher: cannot read the facts of event {}: {}", e.seq, facts.error().message);
        return;
      }
      if (!*facts) return;
      bool described = false;
      for (const Match& m : idx->match(**facts)) {
        if (m.delivery != Delivery::webhook) continue;
        auto it = shard.slots.find(m.watch);
        if (it == shard.slots.end()) continue;
        Slot& slot = it->second;
        if (!slot.active || slot.dead || full.count(m.watch) || slot.scanned >= e.seq) continue;
        if (slot.queue.size() >= kMaxQueued) {
          full.insert(m.watch);
          slot.scanned = e.seq - 1;
          continue;
        }
        if (!described) {
          describe(txn, **facts);
          described = true;
        }
        slot.queue.push_back({e.seq, notification_json(m, **facts).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
      }
    });
    if (!read) log().error("watch dispatcher: {}", read.error().message);
  }
  if (upto == 0) return;
  for (auto& [id, slot] : shard.slots) {
    if (!slot.active || slot.dead || full.count(id)) continue;
    slot.scanned = std::max(slot.scanned, upto);
    if (slot.queue.empty() && slot.cursor != slot.scanned) {
      slot.cursor = slot.scanned;
      slot.dirty = true;
    }
  }
}

bool Dispatcher::deliver(Shard& shard) {
  bool attempted = false;
  for (auto& [id, slot] : shard.slots) {
    if (!slot.active || slot.dead || slot.queue.empty() || SteadyClock::now() < slot.next_attempt) continue;
    while (!slot.queue.empty() && !stopping()) {
      attempted = true;
      const Pending& front = slot.queue.front();
      const auto started = SteadyClock::now();
      PostResult r = post(slot, id, front.seq, front.body);
      slot.last_attempt = clock_.now();
      slot.dirty = true;
      const std::string error = r.failure();
      {
        DeliveryAttempt a;
        a.time = slot.last_attempt;
        a.seq = front.seq;
        a.status = r.status;
        a.error = error;
        a.millis = static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started).count());
        a.delivered = r.delivered();
        std::lock_guard<std::mutex> lock(mu_);
        auto& log = deliveries_[id];
        log.push_back(std::move(a));
        while (log.size() > kDeliveryLogSize) log.pop_front();
      }
      if (r.delivered()) {
        slot.queue.pop_front();
        slot.failures = 0;
        slot.last_error.clear();
        slot.last_delivery = slot.last_attempt;
        ++slot.delivered_unstored;
        slot.cursor = slot.queue.empty() ? slot.scanned : slot.queue.front().seq - 1;
        std::lock_guard<std::mutex> lock(mu_);
        ++stats_.delivered;
        continue;
      }
      ++slot.failures;
      slot.last_error = error;
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++stats_.failed;
      }
      if (slot.failures >= options_.max_failures) {
        slot.dead = true;
        slot.record.dead_letter_seq = front.seq;
        slot.queue.clear();
        log().info("watch {}: dead letter after {} failures at event {}: {}", id, slot.failures,
                   slot.record.dead_letter_seq, slot.last_error);
        std::lock_guard<std::mutex> lock(mu_);
        ++stats_.dead_letters;
      } else {
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        slot.next_attempt = SteadyClock::now() + backoff_delay(options_.backoff, slot.failures, unit(shard.rng));
      }
      break;
    }
  }
  return attempted;
}

void Dispatcher::flush(Shard& shard, bool wait) {
  const auto now = SteadyClock::now();
  bool urgent = wait;
  bool any = false;
  for (const auto& [id, slot] : shard.slots) {
    if (!slot.dirty) continue;
    any = true;
    if (slot.delivered_unstored > 0 || slot.failures > 0 || slot.dead) urgent = true;
  }
  if (!any || (!urgent && now - shard.last_flush < options_.idle_flush)) return;
  std::vector<Progress> batch;
  for (auto& [id, slot] : shard.slots) {
    if (!slot.dirty) continue;
    Progress p;
    p.id = id;
    p.epoch = slot.record.epoch;
    p.cursor = slot.cursor;
    p.failures = slot.failures;
    p.last_error = slot.last_error;
    p.last_attempt = slot.last_attempt;
    p.last_delivery = slot.last_delivery;
    p.delivered = slot.delivered_unstored;
    p.dead_letter = slot.dead;
    p.dead_letter_seq = slot.record.dead_letter_seq;
    batch.push_back(std::move(p));
    slot.dirty = false;
    slot.stored_cursor = slot.cursor;
    slot.delivered_unstored = 0;
    if (slot.dead) slot.active = false;  // stays dead until a replay (a new epoch) reloads it
  }
  shard.last_flush = now;
  if (!wait) {
    service_.store_progress(std::move(batch), [](Status s) {
      if (!s) log().warn("watch dispatcher: cannot store delivery progress: {}", s.error().message);
    });
    return;
  }
  auto done = std::make_shared<std::promise<Status>>();
  auto future = done->get_future();
  service_.store_progress(std::move(batch), [done](Status s) { done->set_value(std::move(s)); });
  if (Status s = future.get(); !s) log().warn("watch dispatcher: cannot store delivery progress: {}", s.error().message);
}

}  // namespace trustmon::watch
