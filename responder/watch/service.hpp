// WatchService: certificate watches of participants and of certificate holders. Owns the watch records (create,
// delete, replay, test record, delivery progress), the shared in-memory match index, and
// the stream side of delivery (notifications for a participant's stream watches, asked
// by the event feed for every committed event).
//
// Policy:
//  * every change is one audited write (storage/audited.hpp) that re-reads what it changes
//    and appends an event (watch.create, watch.delete, watch.replay, watch.test; actor =
//    Actor::label(); payload {action, outcome, target, code?, details}) in the same commit;
//    a refusal (a watch of another participant, a limit) is recorded too, with outcome
//    "refused" and its code. The webhook secret never reaches an event or a listing:
//    create() returns it once;
//  * a participant's representatives see and change only their participant's watches;
//    a certificate holder (Actor::holder) only the watches they created (at most
//    kMaxPerHolder); a central-body administrator (and the bootstrap token) sees all.
//    Another owner's watch is "watch_not_found", so ids reveal nothing;
//  * the index is replaced (copy on write) after each durable change, on the Writer
//    thread before any later commit is made, so an event committed after a watch's
//    creation is always matched against an index holding the watch;
//  * delivery progress from the webhook dispatcher is written in batches and applies only
//    to the epoch it was computed for (a replay in between wins). Progress writes append
//    no event (they would themselves be events to scan); a watch entering dead_letter
//    appends `watch.dead_letter` (actor "dispatcher").
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/actor.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "responder/watch/matcher.hpp"
#include "responder/watch/record.hpp"
#include "storage/audited.hpp"
#include "storage/writer.hpp"

namespace trustmon::watch {

struct NewWatch {
  std::string name;
  std::vector<WatchedValue> values;  // normalised (parse_values)
  std::string issuer;                // "" = any
  std::uint8_t kinds = kAllKinds;
  Delivery delivery = Delivery::stream;
  std::string url;                   // webhook: a valid http:// URL
  std::optional<std::uint64_t> replay_from;
};

// Parses [{"kind": "...", "value": "..."}] (or "kind=value" strings) with the registry's
// normalisation. Errors: watch_invalid (shape, count), query_kind_unknown,
// query_value_invalid.
Result<std::vector<WatchedValue>> parse_values(const nlohmann::json& values);

// What the dispatcher learnt about one webhook watch since its last write.
struct Progress {
  WatchId id = 0;
  std::uint32_t epoch = 0;
  std::uint64_t cursor = 0;
  std::uint32_t failures = 0;
  std::string last_error;
  UnixTime last_attempt = 0;
  UnixTime last_delivery = 0;
  std::uint64_t delivered = 0;  // delivered since the last write (added)
  bool dead_letter = false;
  std::uint64_t dead_letter_seq = 0;
};

// A certificate holder has at most this many watches (a participant: the configured limit).
inline constexpr std::size_t kMaxPerHolder = 16;

class WatchService {
 public:
  // Called on the Writer thread after the commit: the result JSON, a refusal (recorded)
  // or a storage error.
  using Done = std::function<void(Result<nlohmann::json>)>;

  WatchService(storage::Env& env, storage::Writer& writer, const Clock& clock, std::size_t max_per_participant = 1000);
  WatchService(const WatchService&) = delete;
  WatchService& operator=(const WatchService&) = delete;

  // Builds the index from the table (at start, before serving).
  Status load();
  std::shared_ptr<const WatchIndex> index() const;
  // Grows after every committed watch change (the dispatcher reloads its watches then).
  std::uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }
  // Runs on the Writer thread after each committed change (e.g. wake the dispatcher).
  void set_on_change(std::function<void()> listener) { on_change_ = std::move(listener); }

  // Result {"id", "watch": {...}, "secret" (webhook only, base64url, shown once)}.
  // Refusals: watch_limit_reached, replay_invalid.
  void create(const Actor& actor, NewWatch watch, Done done);
  // `see_all`: the caller is a central-body administrator. Refusal: watch_not_found.
  void remove(const Actor& actor, bool see_all, WatchId id, Done done);
  // Replaces what watch `id` looks for (name, values, issuer, kinds, and a webhook's url),
  // keeping its cursor, secret and delivery state (action watch.update). The delivery kind
  // is fixed at creation: another one is 409 watch_delivery_fixed; `replay_from` is unused.
  void update(const Actor& actor, bool see_all, WatchId id, NewWatch watch, Done done);
  // Back to active from `from` (default: the dead-lettered event, else the cursor).
  // Refusals: watch_not_found, replay_invalid (after the event head).
  void replay(const Actor& actor, bool see_all, WatchId id, std::optional<std::uint64_t> from, Done done);
  // Records a test delivery and its outcome (for stream watches the event itself is the
  // delivery: the owner's streams get a watch.test notification).
  void record_test(const Actor& actor, bool see_all, WatchId id, nlohmann::json outcome, Done done);
  // Dispatcher progress, one job for the batch.
  void store_progress(std::vector<Progress> progress, std::function<void(Status)> done);

  // Read side, in an active transaction. `owner` nullopt = every watch.
  static Result<std::vector<WatchRecord>> list(const storage::ReadTxn& txn, std::optional<std::uint32_t> owner);
  // A certificate holder's watches.
  static Result<std::vector<WatchRecord>> list_holder(const storage::ReadTxn& txn, const std::string& holder);
  static Result<std::optional<WatchRecord>> get(const storage::ReadTxn& txn, WatchId id);
  // The record as the API shows it (never the secret).
  static nlohmann::json to_json(const WatchRecord& r);

  // The notifications `owner`'s stream watches get for `event` (appended to `out`).
  // Runs on the feed thread inside its snapshot; facts and matches are computed once per
  // event and index, whatever the number of subscribers.
  void stream_notifications(const storage::ReadTxn& txn, const storage::EventRecord& event, std::uint32_t owner,
                            std::vector<nlohmann::json>& out) const;
  // The same for a certificate holder's stream watches (WatchRecord::holder).
  void holder_notifications(const storage::ReadTxn& txn, const storage::EventRecord& event, const std::string& holder,
                            std::vector<nlohmann::json>& out) const;

 private:
  using Apply = std::function<Result<nlohmann::json>(storage::WriteTxn&, UnixTime now,
                                                     std::optional<WatchRecord>& changed, bool& removed)>;
  // What an applied change leaves for the completion (the index is updated from it).
  struct Change {
    nlohmann::json result;
    std::optional<WatchRecord> changed;
    bool removed = false;
  };
  void run(const Actor& actor, std::string action, nlohmann::json target, Apply apply, Done done);
  // Appends the stream notifications of `event` whose match `mine` accepts.
  void notify(const storage::ReadTxn& txn, const storage::EventRecord& event,
              const std::shared_ptr<const WatchIndex>& idx, const std::function<bool(const Match&)>& mine,
              std::vector<nlohmann::json>& out) const;
  void changed(const std::optional<WatchRecord>& record, bool removed, WatchId id);

  // stream_notifications' memo: facts and matches of recent events under one index,
  // computed once per event for every subscriber. The feed thread is its only user; the
  // lock keeps another caller safe.
  struct EventMatches {
    std::optional<CertFacts> facts;
    std::vector<Match> matches;
    bool described = false;
  };
  struct MatchMemo {
    std::mutex mu;
    std::shared_ptr<const WatchIndex> index;
    std::map<std::uint64_t, EventMatches> events;
  };
  static constexpr std::size_t kMemoEvents = 4096;

  storage::Env& env_;
  storage::Writer& writer_;  // progress writes (no event per write)
  storage::AuditedWrite audited_;
  const Clock& clock_;
  std::size_t max_per_participant_;
  mutable std::mutex mu_;
  std::shared_ptr<const WatchIndex> index_;
  std::atomic<std::uint64_t> generation_{1};
  std::function<void()> on_change_;
  mutable MatchMemo memo_;
};

}  // namespace trustmon::watch
