// Watch records: what a participant watches (attribute values, an issuer), for which
// event kinds, how the notifications are delivered (the caller's event stream, or a
// signed webhook), and the delivery state the webhook dispatcher keeps (cursor, failures,
// dead letter). Table::watches: be32 watch id -> record (own codec, leading format byte).
//
// Policy:
//  * attribute values are stored normalised exactly as the registry indexes them
//    (registry::parse_attribute_query), as (name, value) text pairs such as
//    ("serial_number", "TINUA-1234567890") or ("drfo", "1234567890");
//  * `cursor` is the last event sequence handled: for a webhook, every notification up to
//    it was delivered (2xx); for a stream watch it is where the watch starts (events after
//    it are matched). A new watch starts at the event head unless replay_from is given;
//  * `epoch` grows with every replay, so a dispatcher write based on an older reading of
//    the record is discarded instead of undoing the replay;
//  * the webhook secret (32 random octets, HMAC-SHA256 key) is returned once at creation
//    and never shown again; it has to be stored as is, because signing needs it;
//  * a watch belongs to a participant or, with `holder` set, to a certificate holder
//    (responder/holder: a holder watches their own identifiers).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"

namespace trustmon::watch {

using WatchId = std::uint32_t;

// Event kinds a watch asks for (bit set). The issuer-level kinds, kCrl (the issuer's
// crl.stale, crl.fresh and crl.discrepancy events) and kStats (stats.anomaly: an issuer's
// daily issuance far above its trailing median), are only delivered to watches that name
// them; the default set is the certificate kinds. kTestcases (testcase.disputed: one of
// the watch owner's test cases was disputed, responder/testcases) and kRequests
// (renewal.requested, revocation.requested: a certificate holder asked the provider of
// an issuer, responder/holder) reach only the watches of the participant the event names.
// kLogin (auth.login: a login by signature with a certificate carrying one of the watch's
// values) is matched on the identifiers the login event names.
enum EventKind : std::uint8_t {
  kIssued = 1,
  kRevoked = 2,
  kKeyReused = 4,
  kCrl = 8,
  kStats = 16,
  kTestcases = 32,
  kRequests = 64,
  kLogin = 128,
};
inline constexpr std::uint8_t kAllKinds = kIssued | kRevoked | kKeyReused;
inline constexpr std::uint8_t kKnownKinds = kAllKinds | kCrl | kStats | kTestcases | kRequests | kLogin;
// "issued", "revoked", "key_reused", "crl", "stats", "testcases", "requests", "login"
const char* kind_name(EventKind k);
std::optional<EventKind> kind_from_name(std::string_view name);

enum class Delivery : std::uint8_t { stream = 1, webhook = 2 };
const char* delivery_name(Delivery d);
std::optional<Delivery> delivery_from_name(std::string_view name);

enum class WatchState : std::uint8_t { active = 1, dead_letter = 2, disabled = 3 };
const char* state_name(WatchState s);

struct WatchedValue {
  std::string kind;   // registry attribute name: serial_number, drfo, sda:7.1, spki_sha256, ...
  std::string value;  // normalised
  bool operator==(const WatchedValue&) const = default;
};

inline constexpr std::size_t kMaxWatchedValues = 32;
inline constexpr std::size_t kMaxUrlBytes = 2048;
inline constexpr std::size_t kSecretBytes = 32;

struct WatchRecord {
  WatchId id = 0;
  std::uint32_t owner = 0;           // participant (0 = the bootstrap administrator, or a holder's)
  // A certificate holder's watch (format 2): the holder (Actor::holder, the first
  // identifier of their login certificate) owns it, not a participant. "" = a participant's.
  std::string holder;
  std::uint32_t representative = 0;  // who created it
  std::string created_by;            // Actor::label() of the creator
  UnixTime created = 0;
  std::string name;                  // free text label
  std::vector<WatchedValue> values;  // empty: every certificate of `issuer`
  std::string issuer;                // issuer name filter; "" = any issuer
  std::uint8_t kinds = kAllKinds;
  Delivery delivery = Delivery::stream;
  std::string url;                   // webhook only
  Bytes secret;                      // webhook only (kSecretBytes)
  WatchState state = WatchState::active;
  std::uint64_t cursor = 0;
  std::uint32_t epoch = 0;
  std::uint32_t failures = 0;        // consecutive failed attempts
  std::string last_error;
  UnixTime last_attempt = 0;
  UnixTime last_delivery = 0;
  std::uint64_t dead_letter_seq = 0; // the event whose delivery failed for good (dead_letter)
  std::uint64_t delivered = 0;       // notifications delivered (webhook)
  bool operator==(const WatchRecord&) const = default;
};

Bytes encode_watch_key(WatchId id);  // be32
// Format 2 (format 1 and the holder as a last field); format 1 records decode with no holder.
Bytes encode_watch(const WatchRecord& r);
// "storage_corrupt" for a value of another format or the wrong length.
Result<WatchRecord> decode_watch(ByteView value);

}  // namespace trustmon::watch
