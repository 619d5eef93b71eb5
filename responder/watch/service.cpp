#include "responder/watch/service.hpp"

#include <openssl/rand.h>

#include <map>

#include "common/log.hpp"
#include "common/time.hpp"
#include "responder/registry/attributes.hpp"
#include "storage/records.hpp"
#include "storage/scan.hpp"

namespace trustmon::watch {
namespace {

using nlohmann::json;

Error not_found(WatchId id) { return make_error(ErrorKind::not_found, "watch_not_found", "no watch " + std::to_string(id)); }

// The record `id` as `actor` may see it (a refusal otherwise).
Result<WatchRecord> owned(const storage::WriteTxn& txn, const Actor& actor, bool see_all, WatchId id) {
  auto got = txn.get(storage::Table::watches, encode_watch_key(id));
  if (!got) return std::move(got).error();
  if (!*got) return not_found(id);
  auto rec = decode_watch(**got);
  if (!rec) return std::move(rec).error();
  if (see_all) return rec;
  // A holder's watches are the holder's alone; a participant's, the participant's.
  const bool mine = actor.is_holder() ? rec->holder == actor.holder
                                      : rec->holder.empty() && rec->owner == actor.participant;
  if (!mine) return not_found(id);
  return rec;
}

json values_json(const std::vector<WatchedValue>& values) {
  json arr = json::array();
  for (const auto& v : values) arr.push_back({{"kind", v.kind}, {"value", v.value}});
  return arr;
}

json kinds_json(std::uint8_t kinds) {
  json arr = json::array();
  for (EventKind k : {kIssued, kRevoked, kKeyReused, kCrl, kStats, kTestcases, kRequests, kLogin})
    if (kinds & k) arr.push_back(kind_name(k));
  return arr;
}

}  // namespace

Result<std::vector<WatchedValue>> parse_values(const json& values) {
  if (values.is_null()) return std::vector<WatchedValue>();
  if (!values.is_array()) return make_error(ErrorKind::invalid, "watch_invalid", "\"values\" must be an array");
  if (values.size() > kMaxWatchedValues)
    return make_error(ErrorKind::invalid, "watch_invalid", "a watch has at most " + std::to_string(kMaxWatchedValues) + " values");
  std::vector<WatchedValue> out;
  for (const auto& v : values) {
    Result<registry::Attribute> a = make_error(ErrorKind::invalid, "watch_invalid", "");
    if (v.is_string()) {
      a = registry::parse_attribute_query(v.get<std::string>());
    } else if (v.is_object() && v.contains("kind") && v.contains("value") && v["kind"].is_string() &&
               v["value"].is_string()) {
      a = registry::parse_attribute_query(v["kind"].get<std::string>(), v["value"].get<std::string>());
    } else {
      return make_error(ErrorKind::invalid, "watch_invalid", "each value is {\"kind\": ..., \"value\": ...} or \"kind=value\"");
    }
    if (!a) return std::move(a).error();
    WatchedValue w{registry::attribute_name(*a), a->value};
    if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(std::move(w));
  }
  return out;
}

WatchService::WatchService(storage::Env& env, storage::Writer& writer, const Clock& clock,
                           std::size_t max_per_participant)
    : env_(env),
      writer_(writer),
      audited_(writer),
      clock_(clock),
      max_per_participant_(max_per_participant),
      index_(std::make_shared<WatchIndex>()) {}

Status WatchService::load() {
  auto txn = storage::ReadTxn::begin(env_);
  if (!txn) return std::move(txn).error();
  std::vector<IndexedWatch> all;
  {
    storage::ReadScope scope(*txn);
    if (!scope.status()) return scope.status();
    auto list = WatchService::list(*txn, std::nullopt);
    if (!list) return std::move(list).error();
    for (const auto& r : *list) all.push_back(indexed(r));
  }
  auto index = std::make_shared<WatchIndex>(std::move(all));
  std::lock_guard<std::mutex> lock(mu_);
  index_ = std::move(index);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return {};
}

std::shared_ptr<const WatchIndex> WatchService::index() const {
  std::lock_guard<std::mutex> lock(mu_);
  return index_;
}

void WatchService::changed(const std::optional<WatchRecord>& record, bool removed, WatchId id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (removed) {
      index_ = index_->without(id);
    } else if (record) {
      index_ = index_->with(indexed(*record));
    }
  }
  generation_.fetch_add(1, std::memory_order_acq_rel);
  if (on_change_) on_change_();
}

void WatchService::run(const Actor& actor, std::string action, json target, Apply apply, Done done) {
  const WatchId target_id = target.value("watch", WatchId{0});
  storage::AuditEvent event = storage::action_event(actor.label(), std::move(action), std::move(target), clock_.now());
  audited_.run<Change>(
      std::move(event),
      [apply = std::move(apply)](storage::WriteTxn& txn, storage::AuditEvent& ev) -> Result<Change> {
        Change c;
        auto applied = apply(txn, ev.time, c.changed, c.removed);
        if (!applied) return std::move(applied).error();
        if (applied->is_object()) {
          json details = *applied;
          details.erase("watch");  // the record is not repeated in the log (the secret is stripped there)
          ev.details = std::move(details);
        }
        c.result = std::move(*applied);
        return c;
      },
      [this, target_id, done = std::move(done)](Result<Change> c) {
        if (!c) return done(std::move(c).error());
        if (c->changed || c->removed) changed(c->changed, c->removed, c->changed ? c->changed->id : target_id);
        done(std::move(c->result));
      });
}

void WatchService::create(const Actor& actor, NewWatch watch, Done done) {
  Bytes secret;
  if (watch.delivery == Delivery::webhook) {
    secret.resize(kSecretBytes);
    if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) {
      done(make_error(ErrorKind::internal, "internal_error", "no randomness for a webhook secret"));
      return;
    }
  }
  json target = {{"owner", actor.participant},
                 {"holder", actor.is_holder() ? json(actor.holder) : json(nullptr)},
                 {"values", values_json(watch.values)},
                 {"issuer", watch.issuer.empty() ? json(nullptr) : json(watch.issuer)},
                 {"kinds", kinds_json(watch.kinds)},
                 {"delivery", delivery_name(watch.delivery)}};
  if (watch.delivery == Delivery::webhook) target["url"] = watch.url;
  const std::size_t limit = actor.is_holder() ? kMaxPerHolder : max_per_participant_;
  const bool webhook = watch.delivery == Delivery::webhook;
  auto shown = std::make_shared<std::string>(base64url_encode(secret));
  run(actor, "watch.create", std::move(target),
      [actor, watch = std::move(watch), secret = std::move(secret), limit](
          storage::WriteTxn& txn, UnixTime now, std::optional<WatchRecord>& changed, bool&) -> Result<json> {
        auto head = storage::last_event_seq(txn);
        if (!head) return std::move(head).error();
        if (watch.replay_from && *watch.replay_from > *head)
          return make_error(ErrorKind::invalid, "replay_invalid", "replay_from is after the newest event (" + std::to_string(*head) + ")");
        // Next id and the owner's count in one pass.
        WatchId last = 0;
        std::size_t owned_count = 0;
        Status walked = storage::for_each(txn, storage::Table::watches, [&](ByteView key, ByteView value) {
          if (key.size() == 4) last = std::max(last, get_be32(key.data()));
          auto r = decode_watch(value);
          if (!r) return;
          if (actor.is_holder() ? r->holder == actor.holder : (r->holder.empty() && r->owner == actor.participant))
            ++owned_count;
        });
        if (!walked) return std::move(walked).error();
        if (owned_count >= limit)
          return make_error(ErrorKind::conflict, "watch_limit_reached",
                            std::string(actor.is_holder() ? "a holder" : "a participant") + " has at most " +
                                std::to_string(limit) + " watches");
        WatchRecord r;
        r.id = last + 1;
        r.owner = actor.participant;
        r.holder = actor.holder;
        r.representative = actor.representative;
        r.created_by = actor.label();
        r.created = now;
        r.name = watch.name;
        r.values = watch.values;
        r.issuer = watch.issuer;
        r.kinds = watch.kinds;
        r.delivery = watch.delivery;
        r.url = watch.url;
        r.secret = secret;
        r.cursor = watch.replay_from.value_or(*head);
        if (Status s = txn.put(storage::Table::watches, encode_watch_key(r.id), encode_watch(r)); !s) return s.error();
        changed = r;
        return json{{"id", r.id}, {"cursor", r.cursor}};
      },
      [webhook, shown, done = std::move(done)](Result<json> result) {
        // The secret is shown this once; it never entered the event.
        if (result && webhook) (*result)["secret"] = *shown;
        done(std::move(result));
      });
}

void WatchService::remove(const Actor& actor, bool see_all, WatchId id, Done done) {
  run(actor, "watch.delete", json{{"watch", id}},
      [actor, see_all, id](storage::WriteTxn& txn, UnixTime, std::optional<WatchRecord>&, bool& removed) -> Result<json> {
        auto rec = owned(txn, actor, see_all, id);
        if (!rec) return std::move(rec).error();
        auto del = txn.del(storage::Table::watches, encode_watch_key(id));
        if (!del) return std::move(del).error();
        removed = true;
        return json{{"id", id}, {"deleted", true}, {"owner", rec->owner}};
      },
      std::move(done));
}

void WatchService::update(const Actor& actor, bool see_all, WatchId id, NewWatch watch, Done done) {
  json target = {{"watch", id},
                 {"values", values_json(watch.values)},
                 {"issuer", watch.issuer.empty() ? json(nullptr) : json(watch.issuer)},
                 {"kinds", kinds_json(watch.kinds)}};
  if (watch.delivery == Delivery::webhook) target["url"] = watch.url;
  run(actor, "watch.update", std::move(target),
      [actor, see_all, id, watch = std::move(watch)](storage::WriteTxn& txn, UnixTime,
                                                      std::optional<WatchRecord>& changed, bool&) -> Result<json> {
        auto rec = owned(txn, actor, see_all, id);
        if (!rec) return std::move(rec).error();
        if (rec->delivery != watch.delivery)
          return make_error(ErrorKind::conflict, "watch_delivery_fixed",
                            "a watch keeps the delivery it was created with; create another watch instead");
        WatchRecord r = std::move(*rec);
        r.name = watch.name;
        r.values = watch.values;
        r.issuer = watch.issuer;
        r.kinds = watch.kinds;
        if (r.delivery == Delivery::webhook) r.url = watch.url;
        if (Status s = txn.put(storage::Table::watches, encode_watch_key(r.id), encode_watch(r)); !s) return s.error();
        changed = r;
        return to_json(r);
      },
      std::move(done));
}

void WatchService::replay(const Actor& actor, bool see_all, WatchId id, std::optional<std::uint64_t> from, Done done) {
  json target = {{"watch", id}};
  if (from) target["from"] = *from;
  run(actor, "watch.replay", std::move(target),
      [actor, see_all, id, from](storage::WriteTxn& txn, UnixTime, std::optional<WatchRecord>& changed,
                                 bool&) -> Result<json> {
        auto rec = owned(txn, actor, see_all, id);
        if (!rec) return std::move(rec).error();
        auto head = storage::last_event_seq(txn);
        if (!head) return std::move(head).error();
        if (from && *from > *head)
          return make_error(ErrorKind::invalid, "replay_invalid", "from is after the newest event (" + std::to_string(*head) + ")");
        WatchRecord r = std::move(*rec);
        const std::uint64_t previous = r.cursor;
        if (from) {
          r.cursor = *from;
        } else if (r.state == WatchState::dead_letter && r.dead_letter_seq > 0) {
          r.cursor = r.dead_letter_seq - 1;
        }
        r.state = WatchState::active;
        r.failures = 0;
        r.last_error.clear();
        r.dead_letter_seq = 0;
        ++r.epoch;
        if (Status s = txn.put(storage::Table::watches, encode_watch_key(id), encode_watch(r)); !s) return s.error();
        changed = r;
        return json{{"id", id}, {"cursor", r.cursor}, {"previous_cursor", previous}, {"state", state_name(r.state)}};
      },
      std::move(done));
}

void WatchService::record_test(const Actor& actor, bool see_all, WatchId id, json outcome, Done done) {
  run(actor, "watch.test", json{{"watch", id}},
      [actor, see_all, id, outcome](storage::WriteTxn& txn, UnixTime, std::optional<WatchRecord>&,
                                    bool&) -> Result<json> {
        auto rec = owned(txn, actor, see_all, id);
        if (!rec) return std::move(rec).error();
        json result = outcome;
        result["id"] = id;
        result["owner"] = rec->owner;
        result["delivery"] = delivery_name(rec->delivery);
        return result;
      },
      std::move(done));
}

void WatchService::store_progress(std::vector<Progress> progress, std::function<void(Status)> done) {
  auto job = [progress = std::move(progress)](storage::WriteTxn& txn) -> Status {
    for (const Progress& p : progress) {
      auto got = txn.get(storage::Table::watches, encode_watch_key(p.id));
      if (!got) return std::move(got).error();
      if (!*got) continue;  // deleted meanwhile
      auto rec = decode_watch(**got);
      if (!rec) return std::move(rec).error();
      WatchRecord r = std::move(*rec);
      if (r.epoch != p.epoch || r.state != WatchState::active) continue;  // replayed or stopped meanwhile
      r.cursor = std::max(r.cursor, p.cursor);
      r.failures = p.failures;
      r.last_error = p.last_error;
      r.last_attempt = std::max(r.last_attempt, p.last_attempt);
      r.last_delivery = std::max(r.last_delivery, p.last_delivery);
      r.delivered += p.delivered;
      if (p.dead_letter) {
        r.state = WatchState::dead_letter;
        r.dead_letter_seq = p.dead_letter_seq;
      }
      if (Status s = txn.put(storage::Table::watches, encode_watch_key(p.id), encode_watch(r)); !s) return s;
      if (p.dead_letter) {
        storage::AuditEvent event = storage::action_event("dispatcher", "watch.dead_letter",
                                                          {{"watch", p.id}, {"owner", r.owner}}, p.last_attempt);
        event.details = {{"seq", p.dead_letter_seq}, {"failures", p.failures}, {"last_error", p.last_error}};
        if (Status s = storage::append_audit(txn, event); !s) return s;
      }
    }
    return {};
  };
  writer_.submit(std::move(job), std::move(done));
}

Result<std::vector<WatchRecord>> WatchService::list(const storage::ReadTxn& txn, std::optional<std::uint32_t> owner) {
  return storage::collect(txn, storage::Table::watches, decode_watch, [owner](const WatchRecord& r) {
    return !owner || (r.holder.empty() && r.owner == *owner);
  });
}

Result<std::vector<WatchRecord>> WatchService::list_holder(const storage::ReadTxn& txn, const std::string& holder) {
  return storage::collect(txn, storage::Table::watches, decode_watch,
                          [&holder](const WatchRecord& r) { return !holder.empty() && r.holder == holder; });
}

Result<std::optional<WatchRecord>> WatchService::get(const storage::ReadTxn& txn, WatchId id) {
  auto got = txn.get(storage::Table::watches, encode_watch_key(id));
  if (!got) return std::move(got).error();
  if (!*got) return std::optional<WatchRecord>();
  auto rec = decode_watch(**got);
  if (!rec) return std::move(rec).error();
  return std::optional<WatchRecord>(std::move(*rec));
}

json WatchService::to_json(const WatchRecord& r) {
  json j = {{"id", r.id},
            {"owner", r.owner},
            {"holder", r.holder.empty() ? json(nullptr) : json(r.holder)},
            {"representative", r.representative},
            {"created_by", r.created_by},
            {"created", format_rfc3339(r.created)},
            {"name", r.name},
            {"values", values_json(r.values)},
            {"issuer", r.issuer.empty() ? json(nullptr) : json(r.issuer)},
            {"kinds", kinds_json(r.kinds)},
            {"delivery", delivery_name(r.delivery)},
            {"state", state_name(r.state)},
            {"cursor", r.cursor}};
  if (r.delivery == Delivery::webhook) {
    j["url"] = r.url;
    j["failures"] = r.failures;
    j["last_error"] = r.last_error.empty() ? json(nullptr) : json(r.last_error);
    j["last_attempt"] = r.last_attempt ? json(format_rfc3339(r.last_attempt)) : json(nullptr);
    j["last_delivery"] = r.last_delivery ? json(format_rfc3339(r.last_delivery)) : json(nullptr);
    j["delivered"] = r.delivered;
    j["dead_letter"] = r.state == WatchState::dead_letter ? json{{"seq", r.dead_letter_seq}, {"failures", r.failures},
                                                                  {"last_error", r.last_error}}
                                                            : json(nullptr);
  }
  return j;
}

void WatchService::stream_notifications(const storage::ReadTxn& txn, const storage::EventRecord& event,
                                        std::uint32_t owner, std::vector<json>& out) const {
  const std::shared_ptr<const WatchIndex> idx = index();
  if (!idx->has_stream_watches(owner)) return;
  if (event.type == "watch.test") {
    json payload = json::parse(event.payload, nullptr, false);
    if (!payload.is_object() || payload.value("outcome", "") != "ok") return;
    const WatchId id = payload["target"].value("watch", WatchId{0});
    const IndexedWatch* w = idx->find(id);
    if (w && w->owner == owner && w->holder.empty() && w->delivery == Delivery::stream)
      out.push_back({{"type", "watch.test"}, {"seq", event.seq}, {"watch", id}, {"time", format_rfc3339(event.time)}});
    return;
  }
  notify(txn, event, idx, [owner](const Match& m) { return m.holder.empty() && m.owner == owner; }, out);
}

void WatchService::holder_notifications(const storage::ReadTxn& txn, const storage::EventRecord& event,
                                        const std::string& holder, std::vector<json>& out) const {
  const std::shared_ptr<const WatchIndex> idx = index();
  if (holder.empty() || !idx->has_holder_stream_watches(holder)) return;
  notify(txn, event, idx, [&holder](const Match& m) { return m.holder == holder; }, out);
}

void WatchService::notify(const storage::ReadTxn& txn, const storage::EventRecord& event,
                          const std::shared_ptr<const WatchIndex>& idx, const std::function<bool(const Match&)>& mine,
                          std::vector<json>& out) const {
  if (!watched_event(event.type)) return;
  // One computation per (index, event), shared by every subscriber. (The memo holds
  // its index, so the address cannot be reused by a newer one.)
  std::lock_guard<std::mutex> lock(memo_.mu);
  if (memo_.index != idx || memo_.events.size() > kMemoEvents) {
    memo_.events.clear();
    memo_.index = idx;
  }
  auto [it, fresh] = memo_.events.try_emplace(event.seq);
  EventMatches& em = it->second;
  if (fresh) {
    auto facts = facts_of(txn, event);
    if (!facts) {
      log().warn("watch: cannot read the facts of event {}: {}", event.seq, facts.error().message);
      memo_.events.erase(it);  // not remembered: the next subscriber reads it again
      return;
    }
    em.facts = std::move(*facts);
    if (em.facts) em.matches = idx->match(*em.facts);
  }
  if (!em.facts) return;
  for (const Match& m : em.matches) {
    if (m.delivery != Delivery::stream || !mine(m)) continue;
    if (!em.described) {
      describe(txn, *em.facts);
      em.described = true;
    }
    out.push_back(notification_json(m, *em.facts));
  }
}

}  // namespace trustmon::watch
