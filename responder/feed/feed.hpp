// Feed: delivers committed events to open subscriptions (event streams and long polls)
// as they are committed, and ends subscriptions whose credential stopped being valid.
//
// Policy:
//  * one feed thread; it wakes on notify() (the Writer's commit listener), at the
//    revalidation interval, and at the nearest long-poll deadline;
//  * each subscription has a cursor (the last event sequence it has examined); the
//    thread reads the events after the lowest cursor once per round, in short read
//    transactions of at most `batch` events, and offers each event to every
//    subscription whose cursor is behind it. `match` decides what (if anything) the
//    subscriber gets for an event, in the same snapshot; `deliver` receives the matched
//    notifications in sequence order with the new cursor;
//  * every `revalidate_interval` (and at once after revalidate_now()) each subscription's
//    actor is re-checked with the validator; a refused one is ended with the validator's
//    error (e.g. participant_blocked) through `closed`, so blocking a participant ends its
//    streams within the interval;
//  * a long poll (`one_shot`) ends after its first non-empty delivery, or at its deadline
//    with `closed("timeout")`;
//  * the callbacks run on the feed thread: keep them short (post to an event loop).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/actor.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "storage/event_log.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::feed {

struct Subscription {
  Actor actor;
  std::uint64_t cursor = 0;  // deliver events with a larger sequence
  // Appends what the subscriber gets for an event (nothing, one or several notifications,
  // e.g. one per matching watch). Runs on the feed thread inside its read snapshot, so it
  // may look records up in `txn`.
  std::function<void(const storage::ReadTxn& txn, const storage::EventRecord& event, std::vector<nlohmann::json>& out)>
      match;
  // Returns false when the subscriber is gone (the subscription then ends silently).
  std::function<bool(std::vector<nlohmann::json>&& notifications, std::uint64_t cursor)> deliver;
  // The feed ended the subscription: code "timeout" (long poll deadline), "shutting_down",
  // or the validator's refusal. `cursor` is the last examined sequence.
  std::function<void(const Error& why, std::uint64_t cursor)> closed;
  bool one_shot = false;
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

struct FeedOptions {
  std::chrono::milliseconds revalidate_interval{500};
  std::size_t batch = 1000;
};

class Feed {
 public:
  // Returns the refusal when `actor` may no longer receive events.
  using Validator = std::function<std::optional<Error>(const storage::ReadTxn&, const Actor&, UnixTime now)>;

  Feed(storage::Env& env, const Clock& clock, Validator validator, FeedOptions options = {});
  ~Feed();  // stop()
  Feed(const Feed&) = delete;
  Feed& operator=(const Feed&) = delete;

  void start();
  // Ends every subscription with "shutting_down" and joins the thread.
  void stop();

  std::uint64_t subscribe(Subscription subscription);
  // Ends a subscription without callbacks (the subscriber went away). Safe to call from
  // a callback.
  void unsubscribe(std::uint64_t id);
  void notify();
  void revalidate_now();

  std::size_t subscriptions() const;
  // Prometheus text: trustmon_feed_subscriptions (gauge).
  std::string metrics_text() const;
  // The sequence of the newest committed event the feed has seen (0 before any).
  std::uint64_t head() const;

 private:
  struct Entry {
    Subscription sub;
  };
  void loop();
  void deliver_new(storage::ReadTxn& txn);
  void revalidate(storage::ReadTxn& txn);
  void expire_deadlines();
  void end(std::uint64_t id, const Error& why);

  storage::Env& env_;
  const Clock& clock_;
  Validator validator_;
  FeedOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::uint64_t, std::shared_ptr<Entry>> subs_;
  std::uint64_t next_id_ = 1;
  bool notified_ = false;
  bool revalidate_ = false;
  bool stopping_ = false;
  bool started_ = false;
  std::uint64_t head_ = 0;
  std::thread thread_;
};

}  // namespace trustmon::feed
