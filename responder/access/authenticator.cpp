#include "responder/access/authenticator.hpp"

#include <openssl/crypto.h>

#include "responder/access/service.hpp"
#include "responder/access/session.hpp"
#include "storage/cert_standing.hpp"
#include "storage/records.hpp"

namespace trustmon::access {
namespace {

AuthOutcome refuse(int status, std::string code, std::string message, std::optional<Actor> actor = std::nullopt) {
  AuthOutcome out;
  out.status = status;
  const ErrorKind kind = status == 401   ? ErrorKind::unauthenticated
                         : status == 429 ? ErrorKind::rate_limited
                                         : ErrorKind::forbidden;
  out.error = make_error(kind, std::move(code), std::move(message));
  out.actor = std::move(actor);
  return out;
}

AuthOutcome storage_failure(const Error& e) {
  AuthOutcome out;
  out.status = 503;
  out.error = make_error(ErrorKind::unavailable, "storage_unavailable", "cannot read credentials: " + e.code);
  return out;
}

// Resolves a stored credential to a principal, checking every state on the way. With
// `session_created` (a cabinet session's creation time), a block, unblock or other status
// change of the participant or representative after it ends the session.
AuthOutcome resolve(const storage::ReadTxn& txn, std::uint32_t credential_id, UnixTime now,
                    std::optional<UnixTime> session_created = std::nullopt) {
  auto cred = get_credential(txn, credential_id);
  if (!cred) return storage_failure(cred.error());
  if (!*cred) return refuse(401, "unauthenticated", "the credential is not valid");
  const CredentialRecord& c = **cred;
  auto rep = get_representative(txn, c.representative);
  if (!rep) return storage_failure(rep.error());
  if (!*rep) return refuse(401, "unauthenticated", "the credential is not valid");
  const RepresentativeRecord& r = **rep;
  auto part = get_participant(txn, r.participant);
  if (!part) return storage_failure(part.error());
  if (!*part) return refuse(401, "unauthenticated", "the credential is not valid");
  const ParticipantRecord& p = **part;

  Actor actor;
  actor.participant = p.id;
  actor.representative = r.id;
  actor.credential = c.id;
  if (p.kind == ParticipantKind::qtsp) actor.issuers = p.issuers;  // others: see authorize

  if (c.revoked != 0) return refuse(401, "credential_revoked", "the credential was revoked", actor);
  if (c.expires != 0 && c.expires <= now) return refuse(401, "credential_expired", "the credential has expired", actor);
  if (p.status == EntityStatus::blocked)
    return refuse(403, "participant_blocked", "the participant is blocked: " + p.block_reason, actor);
  if (r.status == EntityStatus::blocked)
    return refuse(403, "representative_blocked", "the representative is blocked: " + r.block_reason, actor);
  if (session_created && (p.status_changed > *session_created || r.status_changed > *session_created))
    return refuse(401, "session_ended", "the session ended when access was changed; log in again", actor);

  Principal principal;
  principal.actor = std::move(actor);
  principal.kind = p.kind;
  principal.role = r.role;
  principal.participant_name = p.name;
  principal.rate_per_second = c.rate_per_second;
  AuthOutcome out;
  out.principal = std::move(principal);
  out.actor = out.principal->actor;
  return out;
}

Result<std::optional<std::uint32_t>> lookup(const storage::ReadTxn& txn, CredentialKind kind, const Sha256& hash) {
  auto got = txn.get(storage::Table::credential_lookup, lookup_key(kind, hash));
  if (!got) return std::move(got).error();
  if (!*got) return std::optional<std::uint32_t>{};
  if ((*got)->size() != 4) return make_error(ErrorKind::storage, "storage_corrupt", "credential lookup value is not a be32 id");
  return std::optional<std::uint32_t>(get_be32((*got)->data()));
}

Principal holder_principal(const SessionRecord& rec) {
  Principal p;
  p.actor.holder = rec.identifiers.empty() ? std::string("?") : rec.identifiers.front().value;
  p.actor.issuers = std::vector<std::uint32_t>{};
  p.role = Role::viewer;
  p.participant_name = rec.holder_name;
  HolderIdentity h;
  h.name = rec.holder_name;
  h.identifiers = rec.identifiers;
  if (rec.certificate) h.certificate = *rec.certificate;
  p.holder = std::move(h);
  return p;
}

Principal bootstrap_principal() {
  Principal p;
  p.actor = Actor::bootstrap();
  p.kind = ParticipantKind::central_body;
  p.role = Role::admin;
  p.participant_name = "bootstrap";
  p.bootstrap = true;
  return p;
}

Result<std::optional<SessionRecord>> read_session(const storage::ReadTxn& txn, std::uint64_t id) {
  auto got = txn.get(storage::Table::sessions, session_key(id));
  if (!got) return std::move(got).error();
  if (!*got) return std::optional<SessionRecord>{};
  auto rec = decode_session(**got);
  if (!rec) return std::move(rec).error();
  return std::optional<SessionRecord>(std::move(*rec));
}

// The session's own state: present, the secret matches (when one is presented: the feed's
// re-checks of an open stream have none), not expired.
AuthOutcome session_state(const storage::ReadTxn& txn, std::uint64_t id, const SessionSecret* verifier, UnixTime now,
                          SessionRecord& out) {
  auto rec = read_session(txn, id);
  if (!rec) return storage_failure(rec.error());
  if (!*rec) return refuse(401, "session_ended", "the session has ended; log in again");
  if (verifier != nullptr) {
    const Sha256 presented = verifier_hash(*verifier);
    if (CRYPTO_memcmp(presented.data(), (*rec)->verifier_hash.data(), presented.size()) != 0)
      return refuse(401, "session_ended", "the session has ended; log in again");
  }
  if ((*rec)->expires <= now) return refuse(401, "session_expired", "the session has expired; log in again");
  if (const auto& cert = (*rec)->certificate) {
    if (cert->not_after != 0 && now > cert->not_after)
      return refuse(401, "certificate_expired", "the session ended: the login certificate has expired");
    Status standing = storage::check_standing(txn, cert->issuer, cert->serial, now);
    if (!standing) {
      if (standing.error().kind != ErrorKind::forbidden) return storage_failure(standing.error());
      return refuse(401, standing.error().code, "the session ended: " + standing.error().message);
    }
  }
  out = std::move(**rec);
  return AuthOutcome{};
}

}  // namespace

AuthOutcome authenticate(const storage::ReadTxn& txn, std::optional<std::string_view> bearer,
                         const ClientCertificate* certificate, UnixTime now) {
  if (bearer) {
    const Sha256 presented = token_hash(*bearer);
    auto stored = txn.get(storage::Table::meta, as_bytes(storage::kMetaBootstrapTokenSha256));
    if (!stored) return storage_failure(stored.error());
    if (*stored && (*stored)->size() == presented.size() &&
        CRYPTO_memcmp((*stored)->data(), presented.data(), presented.size()) == 0) {
      AuthOutcome out;
      out.principal = bootstrap_principal();
      out.actor = out.principal->actor;
      return out;
    }
    auto id = lookup(txn, CredentialKind::token, presented);
    if (!id) return storage_failure(id.error());
    if (!*id) return refuse(401, "unauthenticated", "the token is not valid");
    return resolve(txn, **id, now);
  }
  if (certificate != nullptr) {
    auto id = lookup(txn, CredentialKind::certificate, certificate->fingerprint);
    if (!id) return storage_failure(id.error());
    if (!*id) return refuse(401, "unauthenticated", "the client certificate is not bound to a representative");
    AuthOutcome out = resolve(txn, **id, now);
    if (!certificate->chain_ok)
      return refuse(401, "client_certificate_invalid",
                    "the client certificate did not verify: " + certificate->chain_error, out.actor);
    if (certificate->revoked)
      return refuse(401, "client_certificate_revoked", "the client certificate is revoked", out.actor);
    return out;
  }
  return refuse(401, "unauthenticated", "a bearer token or a client certificate is required");
}

AuthOutcome authenticate_identifier(const storage::ReadTxn& txn, const std::vector<std::string>& identifiers,
                                    UnixTime now) {
  for (const std::string& identifier : identifiers) {
    auto id = lookup(txn, CredentialKind::identifier, identifier_hash(identifier));
    if (!id) return storage_failure(id.error());
    if (*id) return resolve(txn, **id, now);
  }
  return refuse(401, "unauthenticated", "no representative stands for these identifiers");
}

AuthOutcome authenticate_session(const storage::ReadTxn& txn, std::string_view cookie_text, UnixTime now) {
  auto cookie = parse_session_cookie(cookie_text);
  if (!cookie) return refuse(401, "session_ended", "the session has ended; log in again");
  SessionRecord rec;
  AuthOutcome state = session_state(txn, cookie->id, &cookie->verifier, now, rec);
  if (state.status != 0) return state;
  AuthOutcome out;
  if (rec.bootstrap) {
    out.principal = bootstrap_principal();
  } else if (rec.holder()) {
    out.principal = holder_principal(rec);
  } else {
    out = resolve(txn, rec.credential, now, rec.created);
    if (!out.principal) return out;
  }
  out.principal->actor.session = rec.id;
  out.principal->csrf = rec.csrf;
  out.principal->session_expires = rec.expires;
  out.principal->method = rec.method;
  out.principal->certificate = rec.certificate;
  out.actor = out.principal->actor;
  return out;
}

AuthOutcome authorize(Principal principal, Need need) {
  if (principal.holder && need != Need::holder)
    return refuse(403, "holder_not_allowed", "a certificate holder's session may not use this endpoint", principal.actor);
  bool allowed = false;
  switch (need) {
    case Need::holder:
    case Need::read: allowed = true; break;
    case Need::write: allowed = principal.role == Role::admin || principal.role == Role::operator_; break;
    case Need::admin:
      allowed = principal.role == Role::admin && principal.kind == ParticipantKind::central_body;
      break;
  }
  if (!allowed) {
    return refuse(403, "role_insufficient",
                  std::string("the ") + role_name(principal.role) + " role may not do this", principal.actor);
  }
  AuthOutcome out;
  out.actor = principal.actor;
  out.principal = std::move(principal);
  return out;
}

std::optional<Error> refusal_now(const storage::ReadTxn& txn, const Actor& actor, UnixTime now) {
  std::optional<UnixTime> session_created;
  if (actor.session != 0) {
    SessionRecord rec;
    AuthOutcome state = session_state(txn, actor.session, nullptr, now, rec);
    if (state.status == 503) return std::nullopt;
    if (state.status != 0) return state.error;
    if (rec.holder()) return std::nullopt;
    session_created = rec.created;
  }
  if (actor.is_holder()) return std::nullopt;  // a holder acts only through a session
  if (actor.credential == 0 && actor.participant == 0) return std::nullopt;
  AuthOutcome out = resolve(txn, actor.credential, now, session_created);
  if (out.status == 503 || out.principal) return std::nullopt;
  return out.error;
}

}  // namespace trustmon::access
