// The replay of certificate events into a fresh cube (stats_rebuild.hpp).
#include "responder/registry/stats_rebuild.hpp"

#include <nlohmann/json.hpp>

#include "common/time.hpp"
#include "responder/registry/serial_hex.hpp"
#include "responder/registry/stats_facts.hpp"
#include "storage/event_log.hpp"
#include "storage/records.hpp"
#include "storage/scan.hpp"

namespace trustmon::registry {

struct StatsRebuild::State {
  const pki::IssuerSet& issuers;
  const stats::Counting& counting;
  const std::atomic<bool>* cancel;
  std::uint64_t last_seq = 0;
  std::unordered_map<std::string, stats::CertFacts> certs;  // by certs key
  stats::Deltas cells;
  StatsRebuildReport report;
};

StatsRebuild::StatsRebuild(const pki::IssuerSet& issuers, const stats::Counting& counting,
                           const std::atomic<bool>* cancel)
    : state_(std::make_unique<State>(State{issuers, counting, cancel, 0, {}, {}, {}})) {}
StatsRebuild::~StatsRebuild() = default;

namespace {

struct CertEvent {
  storage::IssuerId issuer = 0;
  std::string key;  // certs key
  UnixTime revocation_time = 0;
  int reason = storage::kNoReason;
};

// The issuer and serial every certificate event names; nullopt when the event cannot be
// placed (an issuer no longer configured, an unreadable payload).
std::optional<CertEvent> place(const pki::IssuerSet& issuers, const nlohmann::json& payload) {
  if (!payload.is_object()) return std::nullopt;
  const auto issuer = payload.find("issuer");
  const auto serial = payload.find("serial");
  if (issuer == payload.end() || serial == payload.end() || !issuer->is_string() || !serial->is_string())
    return std::nullopt;
  const pki::Issuer* found = issuers.find_by_name(issuer->get<std::string>());
  const auto bytes = serial_from_hex(serial->get<std::string>());
  if (!found || !bytes) return std::nullopt;
  const Bytes key = storage::encode_cert_key(found->id, *bytes);
  CertEvent e;
  e.issuer = found->id;
  e.key.assign(key.begin(), key.end());
  return e;
}

}  // namespace

template <class Txn>
Status StatsRebuild::replay_events(const Txn& txn) {
  State& st = *state_;
  const stats::Transition& rules = st.counting.rules();
  std::uint8_t from[8];
  put_be64(from, st.last_seq + 1);
  return storage::for_each_from(txn, storage::Table::events, ByteView(from, sizeof from),
                                [&](ByteView k, ByteView v) -> Status {
    if (st.cancel != nullptr && st.cancel->load(std::memory_order_relaxed))
      return make_error(ErrorKind::unavailable, "cancelled", "the statistics rebuild was cancelled");
    auto event = storage::decode_event(k, v);
    if (!event) return std::move(event).error();
    st.last_seq = event->seq;
    const bool issued = event->type == "certificate.issued";
    const bool revoked = event->type == "certificate.revoked";
    const bool released = event->type == "certificate.released";
    if (!issued && !revoked && !released) return {};
    const auto payload = nlohmann::json::parse(event->payload, nullptr, false);
    auto placed = place(st.issuers, payload);
    if (!placed) {
      ++st.report.skipped;
      return {};
    }
    ++st.report.events;
    const auto known = st.certs.find(placed->key);
    std::optional<stats::CertFacts> before;
    if (known != st.certs.end()) before = known->second;
    if (issued) {
      auto raw = txn.get(storage::Table::certs, as_bytes(placed->key));
      if (!raw) return std::move(raw).error();
      if (!*raw) {
        ++st.report.skipped;
        return {};
      }
      auto record = storage::decode_cert(**raw);
      if (!record) return std::move(record).error();
      auto facts = stats_facts(txn, st.counting, placed->issuer, *record);
      if (!facts) return std::move(facts).error();
      stats::CertFacts after = *facts;
      after.known = true;
      after.status = before ? before->status : storage::CertStatus::good;
      after.revocation_time = before ? before->revocation_time : 0;
      after.reason = before ? before->reason : storage::kNoReason;
      rules.issued(st.cells, after, before);
      st.certs[placed->key] = after;
    } else if (revoked) {
      const auto time = payload.find("revocation_time");
      const auto reason = payload.find("reason");
      const std::optional<UnixTime> at =
          time != payload.end() && time->is_string() ? parse_rfc3339(time->get<std::string>()) : std::nullopt;
      if (!at || reason == payload.end() || !reason->is_string()) {
        ++st.report.skipped;
        return {};
      }
      stats::CertFacts after = before.value_or(stats::CertFacts{});
      if (!before) after.issuer = placed->issuer;
      after.status = storage::CertStatus::revoked;
      after.revocation_time = *at;
      after.reason = storage::reason_from_name(reason->get<std::string>()).value_or(storage::kNoReason);
      rules.revoked(st.cells, before, after);
      st.certs[placed->key] = after;
    } else {
      if (!before) {
        ++st.report.skipped;
        return {};
      }
      rules.released(st.cells, *before, event->time);
      stats::CertFacts after = *before;
      after.status = storage::CertStatus::good;
      after.revocation_time = 0;
      after.reason = storage::kNoReason;
      st.certs[placed->key] = after;
    }
    return {};
  });
}

Status StatsRebuild::replay(const storage::ReadTxn& txn) { return replay_events(txn); }
Status StatsRebuild::replay(const storage::WriteTxn& txn) { return replay_events(txn); }

Result<StatsRebuildReport> StatsRebuild::store(storage::WriteTxn& txn) {
  State& st = *state_;
  StatsRebuildReport report = st.report;
  // The replayed cells without zeros, in key order, merged with the stored ones.
  std::vector<std::pair<Bytes, std::int64_t>> want;
  for (const auto& [cell, n] : st.cells.cells())
    if (n != 0) want.emplace_back(stats::encode_cell_key(cell), n);
  std::sort(want.begin(), want.end());
  report.cells = want.size();
  std::vector<Bytes> remove;
  std::vector<std::pair<Bytes, std::int64_t>> put;
  std::size_t next = 0;
  const auto value_of = [](ByteView v) {
    return v.size() == 8 ? static_cast<std::int64_t>(get_be64(v.data())) : std::int64_t{0};
  };
  Status walked = storage::for_each(txn, storage::Table::stats_cells, [&](ByteView k, ByteView v) {
    const Bytes key(k.begin(), k.end());
    while (next < want.size() && want[next].first < key) put.push_back(want[next++]);
    if (next < want.size() && want[next].first == key) {
      if (value_of(v) != want[next].second || v.size() != 8) put.push_back(want[next]);
      ++next;
    } else {
      remove.push_back(key);
    }
  });
  if (!walked) return std::move(walked).error();
  while (next < want.size()) put.push_back(want[next++]);
  report.differing = put.size() + remove.size();
  for (const Bytes& k : remove) {
    auto gone = txn.del(storage::Table::stats_cells, k);
    if (!gone) return std::move(gone).error();
  }
  for (const auto& [k, n] : put) {
    std::uint8_t buf[8];
    put_be64(buf, static_cast<std::uint64_t>(n));
    if (Status s = txn.put(storage::Table::stats_cells, k, ByteView(buf, sizeof buf)); !s) return std::move(s).error();
  }
  if (Status s = txn.put(storage::Table::meta, as_bytes(kMetaStatsBuilt), as_bytes("1")); !s) return std::move(s).error();
  return report;
}

Result<StatsRebuildReport> rebuild_stats(storage::Env& env, storage::Writer& writer, const pki::IssuerSet& issuers,
                                         const stats::Counting& counting, const std::atomic<bool>* cancel) {
  auto rebuild = std::make_shared<StatsRebuild>(issuers, counting, cancel);
  {
    auto txn = storage::ReadTxn::begin(env);
    if (!txn) return std::move(txn).error();
    storage::ReadScope scope(*txn);
    if (!scope.status()) return scope.status().error();
    if (Status s = rebuild->replay(*txn); !s) return s.error();
  }
  StatsRebuildReport report;
  Status s = writer.run_sync([&](storage::WriteTxn& txn) -> Status {
    // The job may run again after map growth: the events a failed run replayed stay in
    // the replay's state, and store() compares with the table afresh.
    if (Status r = rebuild->replay(txn); !r) return r;
    auto stored = rebuild->store(txn);
    if (!stored) return std::move(stored).error();
    report = *stored;
    return {};
  });
  if (!s) return s.error();
  return report;
}

Result<bool> stats_built(const storage::ReadTxn& txn) {
  auto got = txn.get(storage::Table::meta, as_bytes(kMetaStatsBuilt));
  if (!got) return std::move(got).error();
  return got->has_value();
}

}  // namespace trustmon::registry
