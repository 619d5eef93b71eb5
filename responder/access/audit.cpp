#include "responder/access/audit.hpp"

#include <algorithm>

#include "common/time.hpp"
#include "common/utf8.hpp"
#include "storage/event_tail.hpp"

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

nlohmann::json payload_json(std::string_view stored) {
  // nlohmann's parser refuses ill-formed UTF-8 inside strings, so a parsed payload always
  // dumps without throwing.
  nlohmann::json payload = nlohmann::json::parse(stored, nullptr, false);
  if (!payload.is_discarded() && payload.is_object()) return payload;
  if (utf8_valid(stored)) return {{"unparsed", stored}};
  return {{"unparsed", utf8_sanitize(stored)}, {"unparsed_hex", hex_encode(as_bytes(stored))}};
}

nlohmann::json event_json(const storage::EventRecord& e) {
  return {{"seq", e.seq},
          {"time", format_rfc3339(e.time)},
          {"type", utf8_sanitize(e.type)},
          {"actor", utf8_sanitize(e.actor)},
          {"payload", payload_json(e.payload)},
          {"prev_hash", hex_encode(e.prev_hash)}};
}

Result<AuditPage> audit_query(const storage::ReadTxn& txn, const AuditQuery& query) {
  AuditPage page;
  const std::size_t limit = std::clamp<std::size_t>(query.limit, 1, kMaxAuditLimit);
  const storage::EventTail tail(kScanBudget);
  auto read = tail.read(txn, query.after, [&](const storage::EventRecord& e) {
    const bool keep = actor_matches(query.actor, e.actor) && action_matches(query.action, e.type) &&
                      (query.since == 0 || e.time >= query.since) && (query.until == 0 || e.time < query.until);
    if (keep) page.events.push_back(event_json(e));
    return page.events.size() < limit;
  });
  if (!read) return std::move(read).error();
  if (read->more) page.next = read->last;
  return page;
}

}  // namespace trustmon::access
