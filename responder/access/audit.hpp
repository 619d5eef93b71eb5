// Reading the audit trail: the hash-chained event log filtered by actor, action and time,
// in sequence order, with cursor pagination.
//
// Policy: a page scans at most kScanBudget events; when the budget runs out before the
// page is full, the page ends early with a cursor, so one request never walks a huge log.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "storage/event_log.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::access {

struct AuditQuery {
  // Exact actor label, or a prefix ending at a '/' boundary: "p3" matches "p3/r7/c12".
  std::string actor;
  // Exact event type, or a family: "participant.*" matches "participant.block".
  std::string action;
  UnixTime since = 0;   // inclusive; 0 = no bound
  UnixTime until = 0;   // exclusive; 0 = no bound
  std::uint64_t after = 0;  // cursor: events with a larger sequence
  std::size_t limit = 100;
};
inline constexpr std::size_t kMaxAuditLimit = 1000;
inline constexpr std::size_t kScanBudget = 100000;

struct AuditPage {
  nlohmann::json events = nlohmann::json::array();
  std::optional<std::uint64_t> next;  // cursor for the next page, when there may be more
};

bool actor_matches(std::string_view filter, std::string_view label);
bool action_matches(std::string_view filter, std::string_view type);
// A stored event payload as the events and audit APIs serve it: always a JSON object.
// Payloads are written as JSON objects; one that is not (an old payload with ill-formed
// UTF-8 or a spliced "<discarded>", see reliability review D4) is served as
// {"unparsed": "<the stored text, ill-formed UTF-8 replaced by U+FFFD>"} plus
// "unparsed_hex" (the stored octets) when the text was not valid UTF-8. The hash chain
// covers the stored octets, never this form.
nlohmann::json payload_json(std::string_view stored);
// {"seq", "time", "type", "actor", "payload" (payload_json), "prev_hash"}; every string
// valid UTF-8, so it always dumps.
nlohmann::json event_json(const storage::EventRecord& e);

Result<AuditPage> audit_query(const storage::ReadTxn& txn, const AuditQuery& query);

}  // namespace trustmon::access
