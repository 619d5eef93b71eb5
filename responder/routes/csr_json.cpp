// JSON forms of the CSR service's results (see csr_json.hpp).
#include "responder/routes/csr_json.hpp"

#include <algorithm>

#include "common/time.hpp"

namespace trustmon::routes {

using namespace csr;  // NOLINT(google-build-using-namespace): the forms name every csr type

namespace {

bool is_zero(const Sha256& h) {
  return std::all_of(h.begin(), h.end(), [](std::uint8_t b) { return b == 0; });
}

nlohmann::json holder_json(const Holder& h) {
  nlohmann::json j = {{"participant", h.participant},
                      {"state", state_name(h.state)},
                      {"origin", origin_name(h.origin)},
                      {"first_seen", format_rfc3339(h.first_seen)}};
  if (h.reservation) j["reservation"] = *h.reservation;
  return j;
}

}  // namespace

nlohmann::json to_json(const Reservation& r, UnixTime now) {
  nlohmann::json j = {{"id", r.id},
                      {"participant", r.participant},
                      {"spki_sha256", hex_encode(r.spki_sha256)},
                      {"state", state_name(effective_state(r, now))},
                      {"origin", origin_name(r.origin)},
                      {"created", format_rfc3339(r.created)},
                      {"changed", format_rfc3339(r.changed)},
                      {"pop_verified", r.pop_verified},
                      {"first_seen", format_rfc3339(r.first_seen)}};
  if (!is_zero(r.csr_sha256)) j["csr_sha256"] = hex_encode(r.csr_sha256);
  if (r.issuer != 0) j["issuer"] = r.issuer;
  if (r.origin == Origin::request) j["expires"] = format_rfc3339(r.expires);
  if (!is_zero(r.cert_sha256)) j["certificate_sha256"] = hex_encode(r.cert_sha256);
  return j;
}

nlohmann::json to_json(const CheckResult& c) {
  nlohmann::json j = {{"unique", c.unique},
                      {"csr_sha256", hex_encode(c.csr_sha256)},
                      {"spki_sha256", hex_encode(c.spki_sha256)},
                      {"pop_verified", c.pop_verified},
                      {"renewal", c.renewal}};
  if (!c.unique) {
    j["code"] = c.code;
    j["message"] = c.message;
    if (c.holder) j["holder"] = holder_json(*c.holder);
  }
  return j;
}

nlohmann::json to_json(const ReserveOutcome& o, UnixTime now) {
  if (o.reservation) return {{"reservation", to_json(*o.reservation, now)}};
  return error_json(o.check);
}

nlohmann::json error_json(const Error& e) {
  return {{"error", {{"code", e.code}, {"message", e.message}, {"kind", error_kind_name(e.kind)}}}};
}

nlohmann::json error_json(const CheckResult& refusal) {
  nlohmann::json details = {{"csr_sha256", hex_encode(refusal.csr_sha256)},
                            {"spki_sha256", hex_encode(refusal.spki_sha256)}};
  if (refusal.holder) details["holder"] = holder_json(*refusal.holder);
  return {{"error",
           {{"code", refusal.code},
            {"message", refusal.message},
            {"kind", error_kind_name(CheckResult::kind)},
            {"details", std::move(details)}}}};
}

}  // namespace trustmon::routes
