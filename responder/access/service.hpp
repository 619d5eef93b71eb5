// AccessService: the administration of participants, representatives and credentials,
// and the audit record of every such action.
//
// Policy:
//  * every action is one audited write (storage/audited.hpp): it re-reads what it changes,
//    applies it, and appends an event (type = the action, actor = Actor::label(), payload
//    {action, outcome, target, code?, details}) in the same durable commit; the callback
//    runs after the commit;
//  * a refused action (unknown id, invalid value, conflict) changes nothing but is still
//    recorded, as an event with outcome "refused" and the refusal code; faults (storage,
//    internal) fail the job and record nothing (the caller gets the error);
//  * secrets never reach a record or an event: a token is generated here, returned once
//    to the caller, and only its SHA-256 is stored (the audited write strips "token");
//  * record_denial() records refusals decided elsewhere (authentication, roles, blocked
//    participants) as `access.denied` events.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/actor.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "responder/access/model.hpp"
#include "responder/access/session.hpp"
#include "storage/audited.hpp"
#include "storage/lmdb.hpp"
#include "storage/writer.hpp"

namespace trustmon::access {

// Refusal codes of admin actions (the routes map them to HTTP statuses):
//   participant_not_found, representative_not_found, credential_not_found (404)
//   invalid_argument, role_not_allowed, credential_expiry_invalid (400)
//   participant_code_taken, certificate_already_bound (409)
class AccessService {
 public:
  // Called on the Writer thread once the action is durable (the JSON result), refused
  // (the refusal, also durable as an event) or failed (a storage error).
  using Done = std::function<void(Result<nlohmann::json>)>;
  // Applies an action inside the job's transaction. Returns the result, or an Error: a
  // refusal (Error::is_refusal()) is recorded, a fault fails the job.
  using Apply = std::function<Result<nlohmann::json>(storage::WriteTxn&, UnixTime now)>;

  AccessService(storage::Writer& writer, const Clock& clock) : audited_(writer), clock_(clock) {}

  // Runs `apply` as action `action` on `target` and records it.
  void run(const Actor& actor, std::string action, nlohmann::json target, Apply apply, Done done);
  // Records a refusal decided before any action ran. `done` gets the storage status.
  void record_denial(const Actor& actor, std::string action, nlohmann::json target, const Error& why,
                     std::function<void(Status)> done);

  void add_participant(const Actor& actor, ParticipantKind kind, std::string name, std::string code, Done done);
  // Empty optionals leave the field unchanged.
  void update_participant(const Actor& actor, std::uint32_t id, std::optional<std::string> name,
                          std::optional<std::string> code, Done done);
  void attach_issuer(const Actor& actor, std::uint32_t participant, std::uint32_t issuer, std::string issuer_name,
                     Done done);
  void detach_issuer(const Actor& actor, std::uint32_t participant, std::uint32_t issuer, std::string issuer_name,
                     Done done);
  void set_participant_status(const Actor& actor, std::uint32_t id, EntityStatus status, std::string reason,
                              Done done);
  void add_representative(const Actor& actor, std::uint32_t participant, std::string name, Role role, Done done);
  void update_representative(const Actor& actor, std::uint32_t id, std::optional<std::string> name,
                             std::optional<Role> role, Done done);
  void set_representative_status(const Actor& actor, std::uint32_t id, EntityStatus status, std::string reason,
                                 Done done);
  // Result: {"id": credential id, "token": the token (the only time it is shown), ...}.
  void issue_token(const Actor& actor, std::uint32_t representative, UnixTime expires, double rate_per_second,
                   std::string label, Done done);
  // Binds a client certificate (DER) to a representative by its SHA-256.
  void bind_certificate(const Actor& actor, std::uint32_t representative, Bytes certificate_der,
                        UnixTime expires, double rate_per_second, std::string label, Done done);
  void revoke_credential(const Actor& actor, std::uint32_t id, Done done);
  // Opens the cabinet session `draft` (id allocated here) for `actor` (action auth.login):
  // result {"session": id, "expires": RFC3339}. Purges expired sessions first and ends the
  // oldest of the credential's sessions beyond kMaxSessionsPerCredential. Refusal:
  // sessions_full (503) when kMaxSessions live sessions exist.
  // `details` join the event's target (a signature login: method, provider, certificate,
  // identifiers; watches of kind login match on them). A holder's sessions (credential 0)
  // are counted per login certificate.
  void open_session(const Actor& actor, SessionRecord draft, nlohmann::json details, Done done);
  // Ends session `id` (action auth.logout); ending one that is gone is not an error.
  void close_session(const Actor& actor, std::uint64_t id, Done done);

 private:
  storage::AuditedWrite audited_;
  const Clock& clock_;
};

// The changes above as steps inside a caller's write transaction, for a service that
// composes several in one commit (responder/joining: an approved application). They check
// what the actions check and return the record as written; the caller records the events.
namespace steps {
// Refusals: invalid_argument, participant_code_taken.
Result<ParticipantRecord> add_participant(storage::WriteTxn& txn, UnixTime now, ParticipantKind kind,
                                          const std::string& name, const std::string& code);
// Refusals: participant_not_found, invalid_argument (not a QTSP), issuer_already_operated.
Result<ParticipantRecord> attach_issuer(storage::WriteTxn& txn, std::uint32_t participant, std::uint32_t issuer);
// Refusals: invalid_argument, participant_not_found, role_not_allowed.
Result<RepresentativeRecord> add_representative(storage::WriteTxn& txn, UnixTime now, std::uint32_t participant,
                                                const std::string& name, Role role);
Result<RepresentativeRecord> update_representative(storage::WriteTxn& txn, std::uint32_t id,
                                                   const std::optional<std::string>& name,
                                                   std::optional<Role> role);
Result<RepresentativeRecord> set_representative_status(storage::WriteTxn& txn, UnixTime now, std::uint32_t id,
                                                       EntityStatus status, const std::string& reason);
// Stores `draft` (id and creation time allocated here); a revoked credential of the same
// certificate or identifier gives its lookup up to the new one. Refusals: representative_not_found,
// credential_expiry_invalid, invalid_argument, certificate_already_bound,
// identifier_already_bound.
Result<CredentialRecord> store_credential(storage::WriteTxn& txn, CredentialRecord draft, UnixTime now);
// The participant registered with `code`, if any.
Result<std::optional<ParticipantRecord>> participant_by_code(const storage::WriteTxn& txn, const std::string& code);
}  // namespace steps

// Reads (any thread, inside a ReadScope).
Result<std::optional<ParticipantRecord>> get_participant(const storage::ReadTxn& txn, std::uint32_t id);
Result<std::optional<RepresentativeRecord>> get_representative(const storage::ReadTxn& txn, std::uint32_t id);
Result<std::optional<CredentialRecord>> get_credential(const storage::ReadTxn& txn, std::uint32_t id);
Result<std::vector<ParticipantRecord>> list_participants(const storage::ReadTxn& txn);
// participant == 0: every representative.
Result<std::vector<RepresentativeRecord>> list_representatives(const storage::ReadTxn& txn,
                                                               std::uint32_t participant);
Result<std::vector<CredentialRecord>> list_credentials(const storage::ReadTxn& txn, std::uint32_t representative);
Result<std::optional<ParticipantRecord>> participant_by_code(const storage::ReadTxn& txn, const std::string& code);
// The credential of `kind` whose lookup hash is `hash` (whatever its state), if any.
Result<std::optional<CredentialRecord>> credential_by_hash(const storage::ReadTxn& txn, CredentialKind kind,
                                                           const Sha256& hash);
Result<std::optional<CredentialRecord>> credential_by_hash(const storage::WriteTxn& txn, CredentialKind kind,
                                                           const Sha256& hash);

// JSON views (no secrets).
nlohmann::json to_json(const ParticipantRecord& r);
nlohmann::json to_json(const RepresentativeRecord& r);
nlohmann::json to_json(const CredentialRecord& r);

}  // namespace trustmon::access
