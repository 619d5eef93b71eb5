// JSON forms of the CSR service's results for the HTTP routes (the wire format is the
// routes' business, not the service's) (nlohmann::json): hashes
// as lower-case hex, times as RFC 3339, states and codes as their stable names.
#pragma once

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "responder/csr/service.hpp"

namespace trustmon::routes {

using csr::CheckResult;
using csr::Reservation;
using csr::ReserveOutcome;


// {"id","participant","csr_sha256","spki_sha256","issuer","state","origin","created",
//  "expires","changed","certificate_sha256","pop_verified","first_seen"}; `state` is the
// effective state at `now`. The subject hash is left out (it identifies a person).
nlohmann::json to_json(const Reservation& r, UnixTime now);
// {"unique", "csr_sha256", "spki_sha256", "pop_verified", "renewal"} and, when not
// unique, "code", "message" and "holder": {"participant", "state", "origin",
// "first_seen", "reservation" (only for the holder itself)}.
nlohmann::json to_json(const CheckResult& c);
// {"reservation": ...} when reserved, else the refusal as an error body with details.
nlohmann::json to_json(const ReserveOutcome& o, UnixTime now);
// {"error": {"code", "message", "kind"}}, with "details" for a refusal that has them.
nlohmann::json error_json(const Error& e);
nlohmann::json error_json(const CheckResult& refusal);

}  // namespace trustmon::routes
