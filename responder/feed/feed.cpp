#include "responder/feed/feed.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "common/metrics.hpp"
#include "storage/event_tail.hpp"

namespace trustmon::feed {

Feed::Feed(storage::Env& env, const Clock& clock, Validator validator, FeedOptions options)
    : env_(env), clock_(clock), validator_(std::move(validator)), options_(options) {}

Feed::~Feed() { stop(); }

void Feed::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { loop(); });
}

void Feed::stop() {
  std::map<std::uint64_t, std::shared_ptr<Entry>> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    left.swap(subs_);
  }
  const Error why = make_error(ErrorKind::unavailable, "shutting_down", "the server is stopping");
  for (auto& [id, entry] : left) {
    if (entry->sub.closed) {
      try {
        entry->sub.closed(why, entry->sub.cursor);
      } catch (...) {
      }
    }
  }
}

std::uint64_t Feed::subscribe(Subscription subscription) {
  auto entry = std::make_shared<Entry>();
  entry->sub = std::move(subscription);
  std::uint64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = next_id_++;
    subs_.emplace(id, std::move(entry));
    notified_ = true;  // it may be behind already
  }
  cv_.notify_all();
  return id;
}

void Feed::unsubscribe(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  subs_.erase(id);
}

void Feed::notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
  }
  cv_.notify_all();
}

void Feed::revalidate_now() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    revalidate_ = true;
  }
  cv_.notify_all();
}

std::size_t Feed::subscriptions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return subs_.size();
}

std::string Feed::metrics_text() const {
  std::string out;
  MetricsText(out).gauge("trustmon_feed_subscriptions", "Open event streams and long polls.",
                         static_cast<std::int64_t>(subscriptions()));
  return out;
}

std::uint64_t Feed::head() const {
  std::lock_guard<std::mutex> lock(mu_);
  return head_;
}

void Feed::end(std::uint64_t id, const Error& why) {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = subs_.find(id);
    if (it == subs_.end()) return;
    entry = std::move(it->second);
    subs_.erase(it);
  }
  if (entry->sub.closed) entry->sub.closed(why, entry->sub.cursor);
}

void Feed::loop() {
  auto txn = storage::ReadTxn::begin(env_);
  if (!txn) {
    log().error("feed: cannot begin a read transaction: {}", txn.error().message);
    return;
  }
  auto next_revalidation = std::chrono::steady_clock::now() + options_.revalidate_interval;
  for (;;) {
    bool deliver = false, check = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      auto wake_at = next_revalidation;
      for (const auto& [id, e] : subs_)
        if (e->sub.deadline && *e->sub.deadline < wake_at) wake_at = *e->sub.deadline;
      cv_.wait_until(lock, wake_at, [this] { return stopping_ || notified_ || revalidate_; });
      if (stopping_) return;
      deliver = std::exchange(notified_, false);
      check = std::exchange(revalidate_, false) || std::chrono::steady_clock::now() >= next_revalidation;
    }
    try {
      if (check) {
        revalidate(*txn);
        next_revalidation = std::chrono::steady_clock::now() + options_.revalidate_interval;
      }
      if (deliver) deliver_new(*txn);
      expire_deadlines();
    } catch (const std::exception& e) {
      log().error("feed: round failed: {}", e.what());
    } catch (...) {
      log().error("feed: round failed");
    }
  }
}

void Feed::revalidate(storage::ReadTxn& txn) {
  std::vector<std::pair<std::uint64_t, Actor>> actors;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, e] : subs_) actors.emplace_back(id, e->sub.actor);
  }
  if (actors.empty() || !validator_) return;
  std::vector<std::pair<std::uint64_t, Error>> refused;
  {
    storage::ReadScope scope(txn);
    if (!scope.status()) return;
    const UnixTime now = clock_.now();
    for (const auto& [id, actor] : actors) {
      if (auto why = validator_(txn, actor, now)) refused.emplace_back(id, std::move(*why));
    }
  }
  for (const auto& [id, why] : refused) end(id, why);
}

void Feed::expire_deadlines() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::uint64_t> due;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, e] : subs_)
      if (e->sub.deadline && *e->sub.deadline <= now) due.push_back(id);
  }
  const Error timeout = make_error(ErrorKind::unavailable, "timeout", "no matching event before the deadline");
  for (std::uint64_t id : due) end(id, timeout);
}

void Feed::deliver_new(storage::ReadTxn& txn) {
  for (;;) {
    std::vector<std::pair<std::uint64_t, std::shared_ptr<Entry>>> entries;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& kv : subs_) entries.emplace_back(kv.first, kv.second);
    }
    // Read the events after the lowest cursor once, in a short transaction, and match
    // them in the same snapshot.
    storage::ReadScope scope(txn);
    if (!scope.status()) return;
    auto head = storage::last_event_seq(txn);
    if (!head) {
      log().error("feed: {}", head.error().message);
      return;
    }
    const std::uint64_t last = *head;
    std::uint64_t from = last;
    for (const auto& [id, e] : entries) from = std::min(from, e->sub.cursor);
    std::vector<storage::EventRecord> events;
    bool more = false;  // the slice ended before `last`: read the next one
    if (from < last) {
      const storage::EventTail tail(options_.batch);
      auto read = tail.read(txn, from, [&events](storage::EventRecord&& e) { events.push_back(std::move(e)); });
      if (read) {
        more = read->more;
      } else {
        log().error("feed: {}", read.error().message);
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      head_ = std::max(head_, last);
    }
    if (events.empty()) return;
    const std::uint64_t upto = events.back().seq;
    for (auto& [id, entry] : entries) {
      Subscription& sub = entry->sub;
      if (sub.cursor >= upto) continue;
      std::vector<nlohmann::json> out;
      for (const auto& e : events) {
        if (e.seq <= sub.cursor) continue;
        if (sub.match) sub.match(txn, e, out);
      }
      sub.cursor = upto;
      if (out.empty()) continue;
      const bool alive = sub.deliver && sub.deliver(std::move(out), upto);
      if (!alive || sub.one_shot) {
        std::lock_guard<std::mutex> lock(mu_);
        subs_.erase(id);
      }
    }
    if (!more) return;  // caught up (or stopped at an undecodable event)
  }
}

}  // namespace trustmon::feed
