// The audited write (see audited.hpp).
#include "storage/audited.hpp"

#include <algorithm>

#include "storage/event_log.hpp"

namespace trustmon::storage {
namespace {

using nlohmann::json;

bool is_secret(std::string_view name) {
  return std::find(kSecretFields.begin(), kSecretFields.end(), name) != kSecretFields.end();
}

// Removes every secret member of `j`, at any depth.
void strip_secrets(json& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end();) {
      if (is_secret(it.key())) {
        it = j.erase(it);
      } else {
        strip_secrets(*it);
        ++it;
      }
    }
  } else if (j.is_array()) {
    for (json& e : j) strip_secrets(e);
  }
}

// A failure that must fail the job rather than be recorded as a refusal: a fault by
// kind, or any error once the transaction has failed (it cannot commit the event, and a
// full map must reach the Writer so it grows the map and runs the job again).
bool is_fault(const Error& e, const WriteTxn& txn) {
  return !e.is_refusal() || !txn.sticky().ok() || txn.map_full();
}

}  // namespace

AuditEvent action_event(std::string actor, std::string action, json target, UnixTime now) {
  AuditEvent e;
  e.actor = std::move(actor);
  e.time = now;
  e.action = std::move(action);
  e.target = std::move(target);
  return e;
}

AuditEvent denial_event(std::string actor, std::string action, json target, const Error& why, UnixTime now) {
  AuditEvent e = action_event(std::move(actor), std::move(action), std::move(target), now);
  e.type = std::string(kDeniedType);
  e.outcome = "refused";
  e.code = why.code;
  return e;
}

std::string audit_payload(const AuditEvent& event) {
  json payload = json::object();
  if (event.legacy.is_object()) payload = event.legacy;
  payload["action"] = event.action;
  payload["outcome"] = event.outcome;
  payload["target"] = event.target.is_null() ? json::object() : event.target;
  if (!event.code.empty()) payload["code"] = event.code;
  if (!event.details.is_null() && !(event.details.is_object() && event.details.empty()))
    payload["details"] = event.details;
  strip_secrets(payload);
  if (payload.contains("details") && payload["details"].is_object() && payload["details"].empty())
    payload.erase("details");
  return payload.dump(-1, ' ', false, json::error_handler_t::replace);
}

Status append_audit(WriteTxn& txn, const AuditEvent& event) {
  const std::string& type = event.type.empty() ? event.action : event.type;
  auto seq = append_event(txn, {type, event.actor, audit_payload(event), event.time});
  if (!seq) return std::move(seq).error();
  return {};
}

namespace detail {

Status settle(WriteTxn& parent, WriteTxn& child, const Error* error, AuditEvent& event) {
  if (error == nullptr) {
    if (Status c = child.commit(); !c) return c;
  } else {
    const bool fault = is_fault(*error, child);
    child.abort();
    if (fault) return *error;
    event.outcome = "refused";
    event.code = error->code;
    if (!event.refused_type.empty()) event.type = event.refused_type;
  }
  if (!event.recorded) return {};
  return append_audit(parent, event);
}

Error no_result() { return make_error(ErrorKind::internal, "internal_error", "the action produced no result"); }

}  // namespace detail

void AuditedWrite::record_denial(std::string actor, std::string action, json target, const Error& why, UnixTime now,
                                 std::function<void(Status)> done) {
  writer_.submit(
      [event = denial_event(std::move(actor), std::move(action), std::move(target), why, now)](WriteTxn& txn) {
        return append_audit(txn, event);
      },
      std::move(done));
}

}  // namespace trustmon::storage
