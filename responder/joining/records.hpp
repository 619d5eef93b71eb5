// Joining applications as stored, their numbers and states, and their index.
//
//   join_applications  be64 number -> Application (format byte, field codec)
//   join_index         u8 kind || key -> be64 number:
//     kByDocument  || SHA-256 of the signed document  -> the application that filed it (kept)
//     kPending     || EDRPOU (8 ASCII) || be64 number -> empty while the application is pending
//
// Numbers: JA-000001 (common/document_number.hpp), allocated in the Writer as the table's
// last number + 1. States: pending -approve-> approved, pending -reject-> rejected; both
// are final. The signed bytes, the document text, what was known of the signer at filing
// and what approval created stay in the record for good (evidence).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"

namespace trustmon::joining {

using Number = std::uint64_t;

enum class State : std::uint8_t { pending = 1, approved = 2, rejected = 3 };
const char* state_name(State s);
std::optional<State> state_from_name(std::string_view name);

std::string format_number(Number n);               // JA-000001
std::optional<Number> parse_number(std::string_view text);

struct Application {
  Number number = 0;
  State state = State::pending;
  UnixTime filed = 0;
  UnixTime changed = 0;
  std::string address;      // the filing client's address
  std::string filed_by;     // Actor::label() of the signer (holder:<identifier>)
  Sha256 secret_hash{};     // SHA-256 of the status secret (the secret is shown once)
  Bytes signed_bytes;       // the CMS SignedData as filed (DER)
  std::string document;     // the signed document (canonical JSON text)
  std::string code;         // the organisation's EDRPOU
  nlohmann::json signer;    // what the signer's certificate said at filing (docs/joining.md)
  // The decision: who (Actor::label()), when, why; empty while pending.
  std::string decided_by;
  UnixTime decided_at = 0;
  std::string reason;
  nlohmann::json outcome;   // approval: participant, representatives, blocked_representative
};

Bytes number_key(Number n);  // be64
std::optional<Number> decode_number_key(ByteView key);
Bytes encode_application(const Application& a);
// "storage_corrupt" for another format, a wrong length, an unknown state or JSON that does
// not parse.
Result<Application> decode_application(ByteView value);

enum IndexKind : std::uint8_t { kByDocument = 1, kPending = 2 };
Bytes document_key(const Sha256& document_sha256);
Bytes pending_prefix(std::string_view code);  // kPending || code
Bytes pending_key(std::string_view code, Number n);

}  // namespace trustmon::joining
