// The registry's refusal of an item for an issuer the actor does not operate, shared by
// ingest, revocation and CRL upload: one error, one audit target, one event in the batch's
// commit (refusals are audited like writes). Internal to trustmon_registry.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/result.hpp"
#include "common/time.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::registry {

// issuer_not_operated (kind forbidden).
Error not_operated_error(const std::string& issuer);
// {"issuer", "serial"}: the target an access.denied event names.
nlohmann::json denied_target(const std::string& issuer, const std::string& serial_hex);
// Appends the access.denied event for `action` on (issuer, serial) inside `txn`.
Status record_denial(storage::WriteTxn& txn, const std::string& actor_label, const char* action,
                     const std::string& issuer, const std::string& serial_hex, UnixTime now);

}  // namespace trustmon::registry
