// Participants, representatives and credentials: the records of the access tables, their
// codecs and keys, and the names used by the API.
//
// A participant is an organisation of one kind (central body, QTSP, tool developer,
// system owner) with a status (active / blocked) and, for a QTSP, the issuers it operates.
// A representative acts for one participant with one role (admin: central body only;
// operator: writes for its own participant; viewer: reads). A credential belongs to one
// representative: a bearer token (stored only as the SHA-256 of the token text), a TLS
// client certificate (bound by the SHA-256 of its DER), or a person's identifier
// (TINUA-<RNOKPP>, by the SHA-256 of its text): any good qualified certificate carrying it
// logs in as the representative by signature (docs/joining.md). One identifier, like one
// certificate, stands for one representative. Ids are be32, allocated as the
// table's last id + 1 inside the Writer (one writer, so allocation is race-free).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"

namespace trustmon::access {

enum class ParticipantKind : std::uint8_t { central_body = 1, qtsp = 2, tool_developer = 3, system_owner = 4 };
enum class Role : std::uint8_t { admin = 1, operator_ = 2, viewer = 3 };
enum class EntityStatus : std::uint8_t { active = 1, blocked = 2 };
enum class CredentialKind : std::uint8_t { token = 1, certificate = 2, identifier = 3 };

const char* kind_name(ParticipantKind k);
std::optional<ParticipantKind> kind_from_name(std::string_view name);
const char* role_name(Role r);
std::optional<Role> role_from_name(std::string_view name);
const char* status_name(EntityStatus s);
const char* credential_kind_name(CredentialKind k);

struct ParticipantRecord {
  std::uint32_t id = 0;
  ParticipantKind kind = ParticipantKind::qtsp;
  std::string name;
  std::string code;  // registration code (e.g. EDRPOU), unique
  EntityStatus status = EntityStatus::active;
  std::string block_reason;
  UnixTime status_changed = 0;
  UnixTime created = 0;
  std::vector<std::uint32_t> issuers;  // issuer ids operated (QTSP)
};

struct RepresentativeRecord {
  std::uint32_t id = 0;
  std::uint32_t participant = 0;
  std::string name;
  Role role = Role::viewer;
  EntityStatus status = EntityStatus::active;
  std::string block_reason;
  UnixTime status_changed = 0;
  UnixTime created = 0;
};

struct CredentialRecord {
  std::uint32_t id = 0;
  std::uint32_t representative = 0;
  CredentialKind kind = CredentialKind::token;
  Sha256 hash{};          // SHA-256 of the token text, or of the client certificate's DER
  UnixTime created = 0;
  UnixTime expires = 0;   // 0 = no expiry
  UnixTime revoked = 0;   // 0 = not revoked
  double rate_per_second = 0;  // 0 = the configured default
  std::string label;      // free text, e.g. what the token is for; never the secret
  std::string subject;    // certificates: the subject DN; identifiers: the identifier text
};

Bytes encode_participant(const ParticipantRecord& r);
Result<ParticipantRecord> decode_participant(ByteView v);
Bytes encode_representative(const RepresentativeRecord& r);
Result<RepresentativeRecord> decode_representative(ByteView v);
Bytes encode_credential(const CredentialRecord& r);
Result<CredentialRecord> decode_credential(ByteView v);

Bytes id_key(std::uint32_t id);  // be32
// credential_lookup key: u8 kind || SHA-256.
Bytes lookup_key(CredentialKind kind, const Sha256& hash);

// Bearer tokens: "tmk_" + base64url(32 random bytes) (256 bits), shown once.
Result<std::string> generate_token();
Sha256 token_hash(std::string_view token);
// The identifier credential of a person with RNOKPP `rnokpp` (10 digits): "TINUA-<rnokpp>",
// and the hash its credential_lookup key carries.
std::string rnokpp_identifier(std::string_view rnokpp);
Sha256 identifier_hash(std::string_view identifier);

}  // namespace trustmon::access
