#include "responder/access/audit.hpp"

#include <algorithm>

#include "common/time.hpp"
#include "storage/records.hpp"

namespace trustmon::access {

bool actor_matches(std::string_view filter, std::string_view label) {
  if (filter.empty()) return true;
  if (label.size() < filter.size() || label.substr(0, filter.size()) != filter) return false;
  return label.size() == filter.size() || label[filter.size()] == '/';
}

bool action_matches(std::string_view filter, std::string_view type) {
  if (filter.empty()) return true;
  if (filter.size() >= 2 && filter.substr(filter.size() - 2) == ".*") {
    const std::string_view family = filter.substr(0, filter.size() - 1);  // keeps the '.'
    return type.size() > family.size() && type.substr(0, family.size()) == family;
  }
  return filter == type;
}

nlohmann::json event_json(const storage::EventRecord& e) {
  nlohmann::json payload = nlohmann::json::parse(e.payload, nullptr, false);
  if (payload.is_discarded()) payload = e.payload;
  return {{"seq", e.seq},       {"time", format_rfc3339(e.time)}, {"type", e.type},
          {"actor", e.actor},   {"payload", std::move(payload)}, {"prev_hash", hex_encode(e.prev_hash)}};
}

Result<AuditPage> audit_query(const storage::ReadTxn& txn, const AuditQuery& query) {
  AuditPage page;
  const std::size_t limit = std::clamp<std::size_t>(query.limit, 1, kMaxAuditLimit);
  auto cur = storage::Cursor::open(txn, storage::Table::events);
  if (!cur) return std::move(cur).error();
  auto at = cur->seek(storage::encode_event_key(query.after + 1));
  std::size_t scanned = 0;
  std::uint64_t last_seq = query.after;
  for (;; at = cur->next()) {
    if (!at) return std::move(at).error();
    if (!*at) return page;  // end of the log: no further page
    auto e = storage::decode_event(cur->key(), cur->value());
    if (!e) return std::move(e).error();
    last_seq = e->seq;
    ++scanned;
    const bool keep = actor_matches(query.actor, e->actor) && action_matches(query.action, e->type) &&
                      (query.since == 0 || e->time >= query.since) && (query.until == 0 || e->time < query.until);
    if (keep) {
      page.events.push_back(event_json(*e));
      if (page.events.size() >= limit) break;
    }
    if (scanned >= kScanBudget) break;
  }
  // Is there anything after last_seq?
  auto more = cur->next();
  if (!more) return std::move(more).error();
  if (*more) page.next = last_seq;
  return page;
}

}  // namespace trustmon::access
