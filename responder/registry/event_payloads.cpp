#include "responder/registry/event_payloads.hpp"

#include <utility>

#include "common/utf8.hpp"

namespace trustmon::registry {

std::string certificate_fields(const IssuedFields& f) {
  const std::size_t n = f.attributes ? f.attributes->size() : 0;
  std::string out;
  out.reserve(200 + 40 * n);
  out += "{\"issuer\":";
  append_json_string(out, f.issuer);
  out += ",\"serial\":\"" + f.serial_hex + "\",\"sha256\":\"" + f.sha256_hex + "\",\"spki_sha256\":\"" +
         hex_encode(f.spki) + "\"";
  if (!f.signature_checked) out += ",\"signature_checked\":false";
  if (f.test) out += ",\"test\":true";
  out += ",\"attributes\":";
  append_attributes_json(out, f.attributes ? *f.attributes : std::vector<Attribute>{});
  return out;
}

std::string issued_payload(const std::string& fields, std::uint32_t participant) {
  return fields + ",\"participant\":" + std::to_string(participant) + "}";
}

std::string key_reused_payload(const std::string& fields, std::uint32_t participant, bool renewal) {
  return fields + ",\"participant\":" + std::to_string(participant) +
         ",\"renewal\":" + (renewal ? "true" : "false") + "}";
}

std::string revoked_payload(const RevokedFields& f) {
  std::string out = "{";
  const auto key = [&out](const char* name) {
    if (out.size() > 1) out.push_back(',');
    out += '"';
    out += name;
    out += "\":";
  };
  if (f.attributes) {
    key("attributes");
    append_attributes_json(out, *f.attributes);
  }
  if (f.invalidity_date) {
    key("invalidity_date");
    append_json_string(out, format_rfc3339(f.invalidity_date));
  }
  key("issuer");
  append_json_string(out, f.issuer);
  key("reason");
  append_json_string(out, f.reason);
  key("revocation_time");
  append_json_string(out, format_rfc3339(f.revocation_time));
  key("serial");
  append_json_string(out, f.serial_hex);
  if (f.sha256_hex) {
    key("sha256");
    append_json_string(out, *f.sha256_hex);
  }
  if (f.spki) {
    key("spki_sha256");
    append_json_string(out, hex_encode(*f.spki));
  }
  if (f.test) {
    key("test");
    out += "true";
  }
  out.push_back('}');
  return out;
}

std::string released_payload(std::string_view issuer, std::string_view serial_hex,
                             const std::optional<std::string>& sha256_hex, bool test) {
  std::string out = "{\"issuer\":";
  append_json_string(out, issuer);
  out += ",\"serial\":";
  append_json_string(out, serial_hex);
  if (sha256_hex) {
    out += ",\"sha256\":";
    append_json_string(out, *sha256_hex);
  }
  if (test) out += ",\"test\":true";
  out += '}';
  return out;
}

std::string crl_published_payload(const CrlPublishedFields& f) {
  std::string out = "{\"issuer\":";
  append_json_string(out, f.issuer);
  out += ",\"number\":";
  append_json_string(out, f.number_decimal);
  out += ",\"source\":";
  append_json_string(out, f.source);
  out += ",\"this_update\":";
  append_json_string(out, format_rfc3339(f.this_update));
  if (f.next_update != 0) {
    out += ",\"next_update\":";
    append_json_string(out, format_rfc3339(f.next_update));
  }
  out += ",\"entries\":" + std::to_string(f.entries) + ",\"sha256\":";
  append_json_string(out, f.sha256_hex);
  if (!f.scope.empty()) {
    out += ",\"scope\":";
    append_json_string(out, f.scope);
  }
  if (f.shard >= 0) out += ",\"shard\":" + std::to_string(f.shard);
  if (!f.base_decimal.empty()) {
    out += ",\"base\":";
    append_json_string(out, f.base_decimal);
  }
  out += '}';
  return out;
}

void append_comparison_members(std::string& out, const CrlComparison& c) {
  out += ",\"agrees\":";
  out += c.agrees() ? "true" : "false";
  out += ",\"entries\":" + std::to_string(c.entries) + ",\"skipped\":" + std::to_string(c.skipped);
  const std::pair<const char*, const SerialList*> lists[] = {{"missing_from_crl", &c.missing_from_crl},
                                                             {"unknown_here", &c.unknown_here},
                                                             {"good_here", &c.good_here},
                                                             {"reason_differs", &c.reason_differs},
                                                             {"revoked_after", &c.revoked_after}};
  for (const auto& [name, list] : lists) {
    out += ",\"";
    out += name;
    out += "\":{\"count\":" + std::to_string(list->count) + ",\"serials\":[";
    for (std::size_t i = 0; i < list->serials.size(); ++i) {
      if (i != 0) out += ',';
      append_json_string(out, list->serials[i]);
    }
    out += "],\"truncated\":";
    out += list->truncated() ? "true" : "false";
    out += '}';
  }
}

std::string crl_discrepancy_payload(std::string_view issuer, std::string_view number_decimal,
                                    const CrlComparison& c) {
  std::string out = "{\"issuer\":";
  append_json_string(out, issuer);
  if (!number_decimal.empty()) {
    out += ",\"number\":";
    append_json_string(out, number_decimal);
  }
  out += ",\"this_update\":";
  append_json_string(out, format_rfc3339(c.this_update));
  append_comparison_members(out, c);
  out += '}';
  return out;
}

}  // namespace trustmon::registry
