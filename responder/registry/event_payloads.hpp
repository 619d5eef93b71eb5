// The payloads of the registry's events, written as JSON text in one place (no JSON tree
// per certificate; a payload is built on a preparation thread or inside a Writer job and
// appended to the hash-chained log as is).
//
//   certificate.issued      {"issuer","serial","sha256","spki_sha256"[,"signature_checked":false],
//                            "attributes":[[name,value],...],"participant"}
//   certificate.key_reused  the issued fields, "participant", "renewal"
//   certificate.revoked     {["attributes"],["invalidity_date"],"issuer","reason","revocation_time",
//                            "serial"[,"sha256"[,"spki_sha256"]]}   (keys in this order)
//   certificate.released    {"issuer","serial"[,"sha256"]}   (a hold released)
//   (the certificate events of a test bed issuer end with "test":true)
//   crl.published           {"issuer","number","source","this_update"[,"next_update"],"entries","sha256"
//                            [,"scope"[,"shard"][,"base"]]}
//   crl.discrepancy         {"issuer"[,"number"],"this_update",<comparison members>}   (an uploaded
//                            CRL that does not agree with the status data, crl_check.hpp)
//   <comparison members>    "agrees","entries","skipped", then per category ("missing_from_crl",
//                            "unknown_here","good_here","reason_differs","revoked_after")
//                            {"count","serials":[hex...],"truncated"}
//
// Policy: every string goes through append_json_string (common/utf8.hpp), so a payload is
// JSON whatever a certificate carries; the revoked payload keeps the key order events
// stored before this module had, so equal revocations give equal text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/time.hpp"
#include "responder/registry/attributes.hpp"
#include "responder/registry/crl_check.hpp"

namespace trustmon::registry {

// What a certificate.issued event says of the certificate (without the participant).
struct IssuedFields {
  std::string issuer;
  std::string serial_hex;
  std::string sha256_hex;
  Sha256 spki{};
  bool signature_checked = true;
  const std::vector<Attribute>* attributes = nullptr;  // without the sha256 attribute
  bool test = false;  // a test bed issuer's: "test":true (kept out of production watches)
};

// The certificate's fields as an unterminated JSON object ("{...", no closing brace): the
// prepared part of the issued and key_reused payloads, finished by the two below.
std::string certificate_fields(const IssuedFields& f);
std::string issued_payload(const std::string& fields, std::uint32_t participant);
std::string key_reused_payload(const std::string& fields, std::uint32_t participant, bool renewal);

// What a certificate.revoked event says.
struct RevokedFields {
  std::string issuer;
  std::string serial_hex;
  std::string reason;  // RFC 5280 name
  UnixTime revocation_time = 0;
  UnixTime invalidity_date = 0;           // 0: none
  std::optional<std::string> sha256_hex;  // when the certificate is known
  // When the certificate's DER is stored and walks: its key fingerprint and attributes.
  std::optional<Sha256> spki;
  const std::vector<Attribute>* attributes = nullptr;
  bool test = false;  // a test bed issuer's: "test":true last
};
std::string revoked_payload(const RevokedFields& f);

// What a certificate.released event says (a certificateHold lifted).
std::string released_payload(std::string_view issuer, std::string_view serial_hex,
                             const std::optional<std::string>& sha256_hex, bool test = false);

// What a crl.published event says (number in decimal, source "uploaded" or "built").
struct CrlPublishedFields {
  std::string_view issuer;
  std::string_view number_decimal;
  std::string_view source;
  UnixTime this_update = 0;
  UnixTime next_update = 0;  // 0: omitted
  std::uint64_t entries = 0;
  std::string_view sha256_hex;
  std::string_view scope;         // "complete", "delta" or "shard"; empty: omitted (uploads)
  int shard = -1;                 // a shard CRL's number; -1: omitted
  std::string_view base_decimal;  // a delta's base CRL number; empty: omitted
};
std::string crl_published_payload(const CrlPublishedFields& f);

// The comparison's members (",\"agrees\":...", no braces): the part the crl.discrepancy
// payload and the check API's reply share.
void append_comparison_members(std::string& out, const CrlComparison& c);
// What a crl.discrepancy event says (number in decimal; empty: omitted, for a CRL without one).
std::string crl_discrepancy_payload(std::string_view issuer, std::string_view number_decimal,
                                    const CrlComparison& c);

}  // namespace trustmon::registry
