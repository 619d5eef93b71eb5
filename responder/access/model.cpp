// Codecs of the access records: u8 format, then fields (storage/field_codec.hpp).
#include "responder/access/model.hpp"

#include <openssl/rand.h>

#include <cstring>

#include "common/enum_names.hpp"
#include "storage/field_codec.hpp"

namespace trustmon::access {
namespace {

constexpr std::uint8_t kFormat = 1;
using storage::FieldReader;
using storage::FieldWriter;

Error corrupt(const char* what) { return make_error(ErrorKind::storage, "storage_corrupt", std::string(what) + " record is damaged"); }

bool valid_kind(std::uint8_t k) { return k >= 1 && k <= 4; }
bool valid_role(std::uint8_t r) { return r >= 1 && r <= 3; }
bool valid_status(std::uint8_t s) { return s == 1 || s == 2; }

// Wire names (JSON, audit events); the literals make name(...).data() NUL-terminated.
constexpr EnumNames<ParticipantKind, 4> kParticipantKinds({{{ParticipantKind::central_body, "central_body"},
                                                             {ParticipantKind::qtsp, "qtsp"},
                                                             {ParticipantKind::tool_developer, "tool_developer"},
                                                             {ParticipantKind::system_owner, "system_owner"}}});
constexpr EnumNames<Role, 3> kRoles({{{Role::admin, "admin"}, {Role::operator_, "operator"}, {Role::viewer, "viewer"}}});
constexpr EnumNames<EntityStatus, 2> kEntityStatuses({{{EntityStatus::active, "active"}, {EntityStatus::blocked, "blocked"}}});
constexpr EnumNames<CredentialKind, 3> kCredentialKinds({{{CredentialKind::token, "token"},
                                                           {CredentialKind::certificate, "certificate"},
                                                           {CredentialKind::identifier, "identifier"}}});

}  // namespace

const char* kind_name(ParticipantKind k) { return kParticipantKinds.name(k).data(); }
std::optional<ParticipantKind> kind_from_name(std::string_view name) { return kParticipantKinds.parse(name); }
const char* role_name(Role r) { return kRoles.name(r).data(); }
std::optional<Role> role_from_name(std::string_view name) { return kRoles.parse(name); }
const char* status_name(EntityStatus s) { return kEntityStatuses.name(s).data(); }
const char* credential_kind_name(CredentialKind k) { return kCredentialKinds.name(k).data(); }

Bytes encode_participant(const ParticipantRecord& r) {
  FieldWriter w(64 + r.name.size() + r.code.size() + r.block_reason.size() + 4 * r.issuers.size());
  w.u8(kFormat);
  w.be32(r.id);
  w.u8(static_cast<std::uint8_t>(r.kind));
  w.str(r.name);
  w.str(r.code);
  w.u8(static_cast<std::uint8_t>(r.status));
  w.str(r.block_reason);
  w.time(r.status_changed);
  w.time(r.created);
  w.be32(static_cast<std::uint32_t>(r.issuers.size()));
  for (std::uint32_t i : r.issuers) w.be32(i);
  return w.take();
}

Result<ParticipantRecord> decode_participant(ByteView v) {
  FieldReader rd(v);
  if (rd.u8() != kFormat) return corrupt("participant");
  ParticipantRecord r;
  r.id = rd.be32();
  const std::uint8_t kind = rd.u8();
  r.name = rd.str();
  r.code = rd.str();
  const std::uint8_t status = rd.u8();
  r.block_reason = rd.str();
  r.status_changed = rd.time();
  r.created = rd.time();
  const std::uint32_t n = rd.be32();
  if (!rd.ok() || !valid_kind(kind) || !valid_status(status) || !rd.has(std::size_t{n} * 4))
    return corrupt("participant");
  r.kind = static_cast<ParticipantKind>(kind);
  r.status = static_cast<EntityStatus>(status);
  r.issuers.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) r.issuers.push_back(rd.be32());
  if (!rd.done()) return corrupt("participant");
  return r;
}

Bytes encode_representative(const RepresentativeRecord& r) {
  FieldWriter w(64 + r.name.size() + r.block_reason.size());
  w.u8(kFormat);
  w.be32(r.id);
  w.be32(r.participant);
  w.str(r.name);
  w.u8(static_cast<std::uint8_t>(r.role));
  w.u8(static_cast<std::uint8_t>(r.status));
  w.str(r.block_reason);
  w.time(r.status_changed);
  w.time(r.created);
  return w.take();
}

Result<RepresentativeRecord> decode_representative(ByteView v) {
  FieldReader rd(v);
  if (rd.u8() != kFormat) return corrupt("representative");
  RepresentativeRecord r;
  r.id = rd.be32();
  r.participant = rd.be32();
  r.name = rd.str();
  const std::uint8_t role = rd.u8();
  const std::uint8_t status = rd.u8();
  r.block_reason = rd.str();
  r.status_changed = rd.time();
  r.created = rd.time();
  if (!rd.done() || !valid_role(role) || !valid_status(status)) return corrupt("representative");
  r.role = static_cast<Role>(role);
  r.status = static_cast<EntityStatus>(status);
  return r;
}

Bytes encode_credential(const CredentialRecord& r) {
  FieldWriter w(96 + r.label.size() + r.subject.size());
  w.u8(kFormat);
  w.be32(r.id);
  w.be32(r.representative);
  w.u8(static_cast<std::uint8_t>(r.kind));
  w.raw(r.hash);
  w.time(r.created);
  w.time(r.expires);
  w.time(r.revoked);
  // rate in thousandths per second: integers keep the record format exact
  w.be64(static_cast<std::uint64_t>(r.rate_per_second * 1000.0));
  w.str(r.label);
  w.str(r.subject);
  return w.take();
}

Result<CredentialRecord> decode_credential(ByteView v) {
  FieldReader rd(v);
  if (rd.u8() != kFormat) return corrupt("credential");
  CredentialRecord r;
  r.id = rd.be32();
  r.representative = rd.be32();
  const std::uint8_t kind = rd.u8();
  rd.sha256(r.hash);
  r.created = rd.time();
  r.expires = rd.time();
  r.revoked = rd.time();
  r.rate_per_second = static_cast<double>(rd.be64()) / 1000.0;
  r.label = rd.str();
  r.subject = rd.str();
  if (!rd.done() || kind < 1 || kind > 3) return corrupt("credential");
  r.kind = static_cast<CredentialKind>(kind);
  return r;
}

Bytes id_key(std::uint32_t id) {
  Bytes k(4);
  put_be32(k.data(), id);
  return k;
}

Bytes lookup_key(CredentialKind kind, const Sha256& hash) {
  Bytes k;
  k.reserve(1 + hash.size());
  k.push_back(static_cast<std::uint8_t>(kind));
  k.insert(k.end(), hash.begin(), hash.end());
  return k;
}

Result<std::string> generate_token() {
  std::uint8_t raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) return make_error(ErrorKind::internal, "internal_error", "no randomness for a token");
  std::string b64 = base64_encode(ByteView(raw, sizeof raw));
  OPENSSL_cleanse(raw, sizeof raw);
  std::string token = "tmk_";
  for (char c : b64) {
    if (c == '=') break;
    token += c == '+' ? '-' : c == '/' ? '_' : c;
  }
  return token;
}

Sha256 token_hash(std::string_view token) { return sha256(as_bytes(token)); }

std::string rnokpp_identifier(std::string_view rnokpp) { return "TINUA-" + std::string(rnokpp); }
// Domain-separated from token hashes (the lookup key's kind octet separates them too).
Sha256 identifier_hash(std::string_view identifier) { return sha256(as_bytes("identifier:" + std::string(identifier))); }

}  // namespace trustmon::access
