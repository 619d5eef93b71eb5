// The webhook dispatcher: delivers the notifications of webhook watches by HTTP POST,
// at least once and in order per watch, from a cursor that survives restarts.
//
// Policy:
//  * `shards` threads; watch id % shards picks the thread, so a slow or dead receiver
//    holds up only the watches of its shard. Each thread has its own read transaction;
//    it wakes on notify() (every Writer commit and every watch change), at the nearest
//    retry time, and at least every `idle_flush`;
//  * a round reads the events after the lowest scanned position of its watches once (at
//    most `batch` per round, in one short snapshot), matches them with the service's
//    index and queues each watch's notifications (at most kMaxQueued per watch: a watch
//    that falls further behind is rescanned later). Nothing is held in a transaction
//    while posting;
//  * each notification is POSTed with X-Trustmon-Signature (HMAC-SHA256 of the body with
//    the watch secret), Idempotency-Key "<watch>-<seq>" (the same for every attempt and
//    after a restart) and X-Trustmon-Delivery (unique per attempt). 2xx = delivered: the
//    cursor moves past it. Anything else: the watch waits backoff_delay(failures) and
//    retries the same notification; after `max_failures` consecutive failures it enters
//    dead_letter (visible to the owner, left by replay);
//  * cursors, failure counts and errors are written through the Writer in one job per
//    round that delivered or failed (and for watches that only moved past non-matching
//    events, at most every `idle_flush`). A cursor never passes an undelivered
//    notification, so after a restart the first undelivered one is posted again; a
//    notification delivered but not yet recorded is posted again with the same
//    Idempotency-Key;
//  * test deliveries (the test call) are posted by the watch's shard between rounds.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "responder/watch/service.hpp"
#include "responder/watch/webhook.hpp"

namespace trustmon::watch {

struct DispatcherOptions {
  std::size_t shards = 2;
  std::uint32_t max_failures = 8;
  BackoffPolicy backoff;
  std::chrono::milliseconds timeout{5000};  // one whole POST exchange
  std::string ca_file;                       // PEM CAs for https:// receivers; empty = the system store
  std::chrono::milliseconds idle_flush{5000};
  std::size_t batch = 1000;  // events read per round
};

inline constexpr std::size_t kMaxQueued = 1000;

struct DispatcherStats {
  std::uint64_t delivered = 0;
  std::uint64_t failed = 0;
  std::uint64_t dead_letters = 0;
};

// One delivery attempt of a webhook watch, for its delivery log.
struct DeliveryAttempt {
  UnixTime time = 0;
  std::uint64_t seq = 0;     // the event delivered
  int status = 0;            // HTTP status; 0 when the exchange failed
  std::string error;         // why it failed ("" when delivered)
  std::uint32_t millis = 0;  // how long the POST took
  bool delivered = false;
};
inline constexpr std::size_t kDeliveryLogSize = 100;

class Dispatcher {
 public:
  // `service` and `clock` must outlive the dispatcher.
  Dispatcher(storage::Env& env, WatchService& service, const Clock& clock, DispatcherOptions options = {});
  ~Dispatcher();  // stop()
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void start();
  // Finishes the POST in progress, writes the progress (waits for the Writer, which must
  // still run), and joins.
  void stop();
  void notify();

  // Posts a test notification for webhook watch `record` on its shard; `done` gets
  // {"delivered", "status", "error"} on the dispatcher thread.
  void test(const WatchRecord& record, std::function<void(nlohmann::json)> done);

  DispatcherStats stats() const;
  // The last kDeliveryLogSize attempts of watch `id`, oldest first. Held in memory only:
  // the log starts empty at every start (the watch record keeps the durable summary).
  std::vector<DeliveryAttempt> deliveries(WatchId id) const;

 private:
  struct Pending {
    std::uint64_t seq = 0;
    std::string body;
  };
  struct Slot {
    WatchRecord record;  // as last loaded (url, secret, epoch)
    HttpUrl url;
    bool url_ok = false;
    bool active = true;
    std::uint64_t cursor = 0;   // every notification up to here is delivered
    std::uint64_t scanned = 0;  // events up to here are matched into `queue`
    std::uint64_t stored_cursor = 0;
    std::deque<Pending> queue;
    std::uint32_t failures = 0;
    std::string last_error;
    UnixTime last_attempt = 0, last_delivery = 0;
    std::uint64_t delivered_unstored = 0;
    std::chrono::steady_clock::time_point next_attempt{};
    bool dirty = false;
    bool dead = false;
  };
  struct TestJob {
    WatchRecord record;
    std::function<void(nlohmann::json)> done;
  };
  struct Shard {
    std::size_t index = 0;
    std::thread thread;
    std::map<WatchId, Slot> slots;
    std::uint64_t loaded_generation = 0;
    std::deque<TestJob> tests;  // guarded by mu_
    std::mt19937_64 rng{std::random_device{}()};
    std::chrono::steady_clock::time_point last_flush = std::chrono::steady_clock::now();
  };

  void loop(Shard& shard);
  void reload(Shard& shard, storage::ReadTxn& txn);
  void scan(Shard& shard, storage::ReadTxn& txn);
  bool deliver(Shard& shard);  // true when something was attempted
  void flush(Shard& shard, bool wait);
  void run_tests(Shard& shard);
  PostResult post(const Slot& slot, WatchId id, std::uint64_t seq, const std::string& body);
  bool stopping() const;

  storage::Env& env_;
  WatchService& service_;
  const Clock& clock_;
  DispatcherOptions options_;
  std::vector<std::unique_ptr<Shard>> shards_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t wakeups_ = 0;
  bool stopping_ = false;
  bool started_ = false;
  DispatcherStats stats_;
  std::map<WatchId, std::deque<DeliveryAttempt>> deliveries_;  // guarded by mu_
};

}  // namespace trustmon::watch
