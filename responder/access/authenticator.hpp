// Authentication and authorisation of API requests.
//
// Policy:
//  * a request presents a bearer token (Authorization: Bearer ...) or, on the HTTPS
//    listener, a TLS client certificate; a token wins when both are present;
//  * the bootstrap token written by `trustmonctl init` (meta record, SHA-256 only) is the
//    installation's first administrator (Actor::bootstrap(), central-body admin);
//  * every other credential must exist, not be revoked or expired, and belong to an active
//    representative of an active participant. The check reads the current committed
//    state on every request, so a block or a revocation applies to the very next request;
//  * a client certificate must also have passed TLS chain and validity verification and
//    must not be revoked according to trustmon's own status data where its issuer is one
//    of trustmon's issuers (the caller supplies that check);
//  * comparisons of secrets are by SHA-256 lookups (the token never appears in a key we
//    compare byte by byte with attacker-chosen prefixes) and constant time for the
//    bootstrap hash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/actor.hpp"
#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"
#include "responder/access/model.hpp"
#include "responder/access/session.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::access {

// A certificate holder logged in by signature (docs/login.md): what they own is what
// carries these identifiers.
struct HolderIdentity {
  std::string name;                          // the login certificate's subject CN
  std::vector<HolderIdentifier> identifiers;  // at least one
  LoginCertificate certificate;
};

struct Principal {
  Actor actor;
  ParticipantKind kind = ParticipantKind::central_body;
  Role role = Role::admin;
  std::string participant_name;
  double rate_per_second = 0;  // credential override; 0 = configured default
  bool bootstrap = false;
  // Set when the request came through a cabinet session (actor.session != 0).
  SessionSecret csrf{};
  UnixTime session_expires = 0;
  SessionMethod method = SessionMethod::token;
  std::optional<LoginCertificate> certificate;  // a signature session's login certificate
  // Set for a certificate holder (actor.holder names them): no participant, role viewer,
  // refused by every endpoint that does not ask for Need::holder.
  std::optional<HolderIdentity> holder;
};

// What the TLS layer learnt about the client certificate.
struct ClientCertificate {
  Sha256 fingerprint{};         // SHA-256 of the DER
  bool chain_ok = false;        // chain and validity verified by the TLS layer
  std::string chain_error;      // why not (e.g. "certificate has expired")
  bool revoked = false;         // revoked according to trustmon's own status data
};

// Endpoint classes, from least to most privileged. `holder` admits certificate holders too
// (the endpoint itself limits them to their own data); the others refuse holders
// (403 holder_not_allowed). For anyone else `holder` is `read`.
enum class Need { holder, read, write, admin };

struct AuthOutcome {
  std::optional<Principal> principal;  // set when authenticated (and authorised, see authorize)
  int status = 0;                      // 401 / 403 when refused
  Error error;                         // stable code + message when refused
  std::optional<Actor> actor;          // who was refused, when the credential was recognised
};

// Codes: unauthenticated (401: nothing presented, unknown token or certificate),
// credential_expired, credential_revoked, client_certificate_invalid (401),
// client_certificate_revoked (401), participant_blocked, representative_blocked (403).
AuthOutcome authenticate(const storage::ReadTxn& txn, std::optional<std::string_view> bearer,
                         const ClientCertificate* certificate, UnixTime now);

// A person logging in by signature whose certificate carries `identifiers` (the texts of
// its personal identifiers, e.g. TINUA-1234567890): the representative an identifier
// credential names (docs/joining.md), resolved as a token's. Not found: status 401
// unauthenticated and no actor.
AuthOutcome authenticate_identifier(const storage::ReadTxn& txn, const std::vector<std::string>& identifiers,
                                    UnixTime now);
// A cabinet session (session.hpp), by the cookie's value: the session must exist, match the
// cookie's verifier and not be expired; then the credential behind it is resolved as above
// (a bootstrap session is the bootstrap principal), and a status change of the participant
// or representative after the session was created ends it. The principal carries the
// session id (in its actor), the CSRF secret and the expiry.
// A signature session's login certificate must still stand (storage/cert_standing.hpp:
// certificate_revoked, certificate_held, certificate_expired, certificate_unknown, here
// 401); a holder session's principal is the holder it names.
// Codes: session_ended (also for a value that is not a session cookie), session_expired
// (401), and those of a token.
AuthOutcome authenticate_session(const storage::ReadTxn& txn, std::string_view cookie_text, UnixTime now);

// Role check: read = any role; write = operator or admin; admin = admin of the central
// body. Refusal: 403 role_insufficient.
AuthOutcome authorize(Principal principal, Need need);

// For open streams: why the credential behind `actor` is no longer valid now (revoked,
// expired, representative or participant blocked; for a session also ended, expired or
// opened before a status change), or nullopt while it is. Storage errors
// count as valid (a stream is not cut because of a transient read failure); the bootstrap
// actor always is.
std::optional<Error> refusal_now(const storage::ReadTxn& txn, const Actor& actor, UnixTime now);

}  // namespace trustmon::access
