#include "responder/access/service.hpp"

#include <openssl/x509.h>

#include <algorithm>

#include "common/ossl.hpp"
#include "common/time.hpp"
#include "storage/scan.hpp"

namespace trustmon::access {
namespace {

using nlohmann::json;
using storage::Table;

constexpr std::size_t kMaxNameBytes = 512;
constexpr std::size_t kMaxReasonBytes = 1024;
constexpr std::string_view kMetaLastSession = "last_session_id";  // be64


// Next id of a table keyed by be32 ids: last + 1 (the Writer is the only writer).
Result<std::uint32_t> next_id(const storage::WriteTxn& txn, Table t) {
  auto last = storage::last_entry(txn, t);
  if (!last) return std::move(last).error();
  if (!*last) return 1U;
  if ((*last)->key.size() != 4) return make_error(ErrorKind::storage, "storage_corrupt", "access table key is not a be32 id");
  return get_be32((*last)->key.data()) + 1;
}

template <typename Record, typename Decode>
Result<std::optional<Record>> read_record(const auto& txn, Table t, std::uint32_t id, Decode decode) {
  auto got = txn.get(t, id_key(id));
  if (!got) return std::move(got).error();
  if (!*got) return std::optional<Record>{};
  auto rec = decode(**got);
  if (!rec) return std::move(rec).error();
  return std::optional<Record>(std::move(*rec));
}

Result<ParticipantRecord> need_participant(const storage::WriteTxn& txn, std::uint32_t id) {
  auto r = read_record<ParticipantRecord>(txn, Table::participants, id, decode_participant);
  if (!r) return std::move(r).error();
  if (!*r) return make_error(ErrorKind::not_found, "participant_not_found", "no participant " + std::to_string(id));
  return std::move(**r);
}

Result<RepresentativeRecord> need_representative(const storage::WriteTxn& txn, std::uint32_t id) {
  auto r = read_record<RepresentativeRecord>(txn, Table::representatives, id, decode_representative);
  if (!r) return std::move(r).error();
  if (!*r) return make_error(ErrorKind::not_found, "representative_not_found", "no representative " + std::to_string(id));
  return std::move(**r);
}

Status check_text(std::string_view what, std::string_view value, std::size_t max, bool required) {
  if (required && value.empty()) return make_error(ErrorKind::invalid, "invalid_argument", std::string(what) + " must not be empty");
  if (value.size() > max)
    return make_error(ErrorKind::invalid, "invalid_argument", std::string(what) + " is longer than " + std::to_string(max) + " bytes");
  return {};
}

Status code_free(const storage::WriteTxn& txn, const std::string& code, std::uint32_t except) {
  return storage::for_each(txn, Table::participants, [&](ByteView, ByteView value) -> Status {
    auto p = decode_participant(value);
    if (!p) return std::move(p).error();
    if (p->id != except && p->code == code)
      return make_error(ErrorKind::conflict, "participant_code_taken", "participant " + std::to_string(p->id) + " has this registration code");
    return {};
  });
}

template <typename Txn>
Result<std::optional<ParticipantRecord>> find_by_code(const Txn& txn, const std::string& code) {
  std::optional<ParticipantRecord> found;
  Status s = storage::for_each(txn, Table::participants, [&](ByteView, ByteView value) -> Status {
    auto p = decode_participant(value);
    if (!p) return std::move(p).error();
    if (!found && p->code == code) found = std::move(*p);
    return {};
  });
  if (!s) return std::move(s).error();
  return found;
}

template <typename Txn>
Result<std::optional<CredentialRecord>> find_credential(const Txn& txn, CredentialKind kind, const Sha256& hash) {
  auto got = txn.get(Table::credential_lookup, lookup_key(kind, hash));
  if (!got) return std::move(got).error();
  if (!*got) return std::optional<CredentialRecord>{};
  if ((*got)->size() != 4) return make_error(ErrorKind::storage, "storage_corrupt", "credential lookup value is not a be32 id");
  return read_record<CredentialRecord>(txn, Table::credentials, get_be32((*got)->data()), decode_credential);
}

Status validate_rate(double rate) {
  if (!(rate >= 0 && rate <= 1e6)) return make_error(ErrorKind::invalid, "invalid_argument", "rate must be between 0 and 1000000 per second");
  return {};
}

}  // namespace

void AccessService::run(const Actor& actor, std::string action, json target, Apply apply, Done done) {
  storage::AuditEvent event = storage::action_event(actor.label(), std::move(action), std::move(target), clock_.now());
  audited_.run<json>(
      std::move(event),
      [apply = std::move(apply)](storage::WriteTxn& txn, storage::AuditEvent& ev) -> Result<json> {
        Result<json> applied = apply(txn, ev.time);
        if (applied && applied->is_object()) ev.details = *applied;  // the token is stripped there
        return applied;
      },
      std::move(done));
}

void AccessService::record_denial(const Actor& actor, std::string action, json target, const Error& why,
                                  std::function<void(Status)> done) {
  audited_.record_denial(actor.label(), std::move(action), std::move(target), why, clock_.now(), std::move(done));
}

void AccessService::add_participant(const Actor& actor, ParticipantKind kind, std::string name, std::string code,
                                    Done done) {
  json target = {{"kind", kind_name(kind)}, {"name", name}, {"code", code}};
  run(actor, "participant.add", std::move(target),
      [kind, name, code](storage::WriteTxn& txn, UnixTime now) -> Result<json> {
        auto r = steps::add_participant(txn, now, kind, name, code);
        if (!r) return std::move(r).error();
        return json{{"id", r->id}};
      },
      std::move(done));
}

void AccessService::update_participant(const Actor& actor, std::uint32_t id, std::optional<std::string> name,
                                       std::optional<std::string> code, Done done) {
  json target = {{"participant", id}};
  run(actor, "participant.update", std::move(target),
      [id, name, code](storage::WriteTxn& txn, UnixTime) -> Result<json> {
        auto r = need_participant(txn, id);
        if (!r) return std::move(r).error();
        if (name) {
          if (Status s = check_text("name", *name, kMaxNameBytes, true); !s) return std::move(s).error();
          r->name = *name;
        }
        if (code) {
          if (Status s = check_text("code", *code, kMaxNameBytes, true); !s) return std::move(s).error();
          if (Status s = code_free(txn, *code, id); !s) return std::move(s).error();
          r->code = *code;
        }
        if (Status s = txn.put(Table::participants, id_key(id), encode_participant(*r)); !s)
          return std::move(s).error();
        return to_json(*r);
      },
      std::move(done));
}

void AccessService::attach_issuer(const Actor& actor, std::uint32_t participant, std::uint32_t issuer,
                                  std::string issuer_name, Done done) {
  json target = {{"participant", participant}, {"issuer", issuer_name}};
  run(actor, "participant.issuer_add", std::move(target),
      [participant, issuer](storage::WriteTxn& txn, UnixTime) -> Result<json> {
        auto r = steps::attach_issuer(txn, participant, issuer);
        if (!r) return std::move(r).error();
        return to_json(*r);
      },
      std::move(done));
}

void AccessService::detach_issuer(const Actor& actor, std::uint32_t participant, std::uint32_t issuer,
                                  std::string issuer_name, Done done) {
  json target = {{"participant", participant}, {"issuer", issuer_name}};
  run(actor, "participant.issuer_remove", std::move(target),
      [participant, issuer](storage::WriteTxn& txn, UnixTime) -> Result<json> {
        auto r = need_participant(txn, participant);
        if (!r) return std::move(r).error();
        std::erase(r->issuers, issuer);
        if (Status s = txn.put(Table::participants, id_key(participant), encode_participant(*r)); !s)
          return std::move(s).error();
        return to_json(*r);
      },
      std::move(done));
}

void AccessService::set_participant_status(const Actor& actor, std::uint32_t id, EntityStatus status,
                                           std::string reason, Done done) {
  json target = {{"participant", id}};
  if (!reason.empty()) target["reason"] = reason;
  run(actor, status == EntityStatus::blocked ? "participant.block" : "participant.unblock", std::move(target),
      [id, status, reason](storage::WriteTxn& txn, UnixTime now) -> Result<json> {
        if (Status s = check_text("reason", reason, kMaxReasonBytes, status == EntityStatus::blocked); !s)
          return std::move(s).error();
        auto r = need_participant(txn, id);
        if (!r) return std::move(r).error();
        if (r->status != status) {
          r->status = status;
          r->status_changed = now;
        }
        r->block_reason = status == EntityStatus::blocked ? reason : std::string();
        if (Status s = txn.put(Table::participants, id_key(id), encode_participant(*r)); !s)
          return std::move(s).error();
        return to_json(*r);
      },
      std::move(done));
}

void AccessService::add_representative(const Actor& actor, std::uint32_t participant, std::string name, Role role,
                                       Done done) {
  json target = {{"participant", participant}, {"name", name}, {"role", role_name(role)}};
  run(actor, "representative.add", std::move(target),
      [participant, name, role](storage::WriteTxn& txn, UnixTime now) -> Result<json> {
        auto r = steps::add_representative(txn, now, participant, name, role);
        if (!r) return std::move(r).error();
        return json{{"id", r->id}};
      },
      std::move(done));
}

void AccessService::update_representative(const Actor& actor, std::uint32_t id, std::optional<std::string> name,
                                          std::optional<Role> role, Done done) {
  json target = {{"representative", id}};
  run(actor, "representative.update", std::move(target),
      [id, name, role](storage::WriteTxn& txn, UnixTime) -> Result<json> {
        auto r = steps::update_representative(txn, id, name, role);
        if (!r) return std::move(r).error();
        return to_json(*r);
      },
      std::move(done));
}

void AccessService::set_representative_status(const Actor& actor, std::uint32_t id, EntityStatus status,
                                              std::string reason, Done done) {
  json target = {{"representative", id}};
  if (!reason.empty()) target["reason"] = reason;
  run(actor, status == EntityStatus::blocked ? "representative.block" : "representative.unblock", std::move(target),
      [id, status, reason](storage::WriteTxn& txn, UnixTime now) -> Result<json> {
        auto r = steps::set_representative_status(txn, now, id, status, reason);
        if (!r) return std::move(r).error();
        return to_json(*r);
      },
      std::move(done));
}

void AccessService::issue_token(const Actor& actor, std::uint32_t representative, UnixTime expires,
                                double rate_per_second, std::string label, Done done) {
  auto token = generate_token();
  if (!token) {
    done(std::move(token).error());
    return;
  }
  CredentialRecord c;
  c.representative = representative;
  c.kind = CredentialKind::token;
  c.hash = token_hash(*token);
  c.expires = expires;
  c.rate_per_second = rate_per_second;
  c.label = std::move(label);
  json target = {{"representative", representative}};
  // The token travels in the result only (the audited write strips it from the event).
  run(actor, "credential.token_issue", std::move(target),
      [c, secret = *token](storage::WriteTxn& txn, UnixTime now) -> Result<json> {
        auto stored = steps::store_credential(txn, c, now);
        if (!stored) return std::move(stored).error();
        json j = to_json(*stored);
        j["token"] = secret;
        return j;
      },
      std::move(done));
}

void AccessService::open_session(const Actor& actor, SessionRecord draft, json details, Done done) {
  json target = {{"credential", draft.credential}, {"address", draft.address}};
  if (details.is_object())
    for (auto& [k, v] : details.items()) target[k] = std::move(v);
  run(actor, "auth.login", std::move(target),
      [draft = std::move(draft)](storage::WriteTxn& txn, UnixTime now) mutable -> Result<json> {
        // One pass: expired sessions go, the credential's live ones are counted.
        std::vector<Bytes> expired;
        std::vector<std::pair<UnixTime, std::uint64_t>> mine;  // (created, id)
        std::size_t live = 0;
        Status scanned = storage::for_each(txn, Table::sessions, [&](ByteView key, ByteView value) -> Status {
          auto rec = decode_session(value);
          if (!rec) return std::move(rec).error();
          if (rec->expires <= now) {
            expired.emplace_back(key.begin(), key.end());
          } else {
            ++live;
            const bool same_holder = !draft.holder() ||
                                     (rec->certificate && draft.certificate && rec->certificate->sha256 == draft.certificate->sha256);
            if (rec->credential == draft.credential && rec->bootstrap == draft.bootstrap && same_holder)
              mine.emplace_back(rec->created, rec->id);
          }
          return {};
        });
        if (!scanned) return std::move(scanned).error();
        for (const Bytes& k : expired)
          if (auto d = txn.del(Table::sessions, k); !d) return std::move(d).error();
        std::sort(mine.begin(), mine.end());
        std::size_t ended = 0;
        while (mine.size() - ended >= kMaxSessionsPerCredential) {
          if (auto d = txn.del(Table::sessions, session_key(mine[ended].second)); !d) return std::move(d).error();
          ++ended;
          --live;
        }
        if (live >= kMaxSessions)
          return make_error(ErrorKind::unavailable, "sessions_full", "too many open cabinet sessions; try later");
        // Ids are never reused (a stream checks its session by id): the last one is in meta.
        auto stored_last = txn.get(Table::meta, as_bytes(kMetaLastSession));
        if (!stored_last) return std::move(stored_last).error();
        const std::uint64_t last = *stored_last && (*stored_last)->size() == 8 ? get_be64((*stored_last)->data()) : 0;
        draft.id = last + 1;
        draft.created = now;
        if (Status st = txn.put(Table::meta, as_bytes(kMetaLastSession), session_key(draft.id)); !st)
          return std::move(st).error();
        if (Status st = txn.put(Table::sessions, session_key(draft.id), encode_session(draft)); !st)
          return std::move(st).error();
        return json{{"session", draft.id}, {"expires", format_rfc3339(draft.expires)},
                    {"purged", expired.size()}, {"ended", ended}};
      },
      std::move(done));
}

void AccessService::close_session(const Actor& actor, std::uint64_t id, Done done) {
  run(actor, "auth.logout", json{{"session", id}},
      [id](storage::WriteTxn& txn, UnixTime) -> Result<json> {
        auto d = txn.del(Table::sessions, session_key(id));
        if (!d) return std::move(d).error();
        return json{{"session", id}, {"ended", *d}};
      },
      std::move(done));
}

void AccessService::bind_certificate(const Actor& actor, std::uint32_t representative, Bytes certificate_der,
                                     UnixTime expires, double rate_per_second, std::string label, Done done) {
  json target = {{"representative", representative}};
  auto cert = x509_from_der(certificate_der);
  if (!cert) {
    // Validation before the job: still recorded as a refused action.
    run(actor, "credential.certificate_bind", std::move(target),
        [](storage::WriteTxn&, UnixTime) -> Result<json> {
          return make_error(ErrorKind::invalid, "invalid_argument", "the certificate is not a DER or PEM X.509 certificate");
        },
        std::move(done));
    return;
  }
  CredentialRecord c;
  c.representative = representative;
  c.kind = CredentialKind::certificate;
  c.hash = sha256(certificate_der);
  c.expires = expires;
  c.rate_per_second = rate_per_second;
  c.label = std::move(label);
  c.subject = x509_name_text(X509_get_subject_name(cert->get()));
  target["sha256"] = hex_encode(c.hash);
  run(actor, "credential.certificate_bind", std::move(target),
      [c](storage::WriteTxn& txn, UnixTime now) -> Result<json> {
        auto stored = steps::store_credential(txn, c, now);
        if (!stored) return std::move(stored).error();
        return to_json(*stored);
      },
      std::move(done));
}

void AccessService::revoke_credential(const Actor& actor, std::uint32_t id, Done done) {
  json target = {{"credential", id}};
  run(actor, "credential.revoke", std::move(target),
      [id](storage::WriteTxn& txn, UnixTime now) -> Result<json> {
        auto r = read_record<CredentialRecord>(txn, Table::credentials, id, decode_credential);
        if (!r) return std::move(r).error();
        if (!*r) return make_error(ErrorKind::not_found, "credential_not_found", "no credential " + std::to_string(id));
        CredentialRecord c = std::move(**r);
        if (c.revoked == 0) c.revoked = now;
        if (Status s = txn.put(Table::credentials, id_key(id), encode_credential(c)); !s) return std::move(s).error();
        return to_json(c);
      },
      std::move(done));
}

namespace steps {

Result<ParticipantRecord> add_participant(storage::WriteTxn& txn, UnixTime now, ParticipantKind kind,
                                          const std::string& name, const std::string& code) {
  if (Status s = check_text("name", name, kMaxNameBytes, true); !s) return std::move(s).error();
  if (Status s = check_text("code", code, kMaxNameBytes, true); !s) return std::move(s).error();
  if (Status s = code_free(txn, code, 0); !s) return std::move(s).error();
  auto id = next_id(txn, Table::participants);
  if (!id) return std::move(id).error();
  ParticipantRecord r;
  r.id = *id;
  r.kind = kind;
  r.name = name;
  r.code = code;
  r.created = r.status_changed = now;
  if (Status s = txn.put(Table::participants, id_key(r.id), encode_participant(r)); !s) return std::move(s).error();
  return r;
}

Result<ParticipantRecord> attach_issuer(storage::WriteTxn& txn, std::uint32_t participant, std::uint32_t issuer) {
  auto r = need_participant(txn, participant);
  if (!r) return std::move(r).error();
  if (r->kind != ParticipantKind::qtsp)
    return make_error(ErrorKind::invalid, "invalid_argument", "only a QTSP participant operates issuers");
  // One operator per issuer: a CA belongs to one provider.
  Status sole = storage::for_each(txn, Table::participants, [&](ByteView, ByteView value) -> Status {
    auto other = decode_participant(value);
    if (!other) return std::move(other).error();
    if (other->id != participant && std::find(other->issuers.begin(), other->issuers.end(), issuer) != other->issuers.end())
      return make_error(ErrorKind::conflict, "issuer_already_operated",
                        "participant " + std::to_string(other->id) + " already operates this issuer");
    return {};
  });
  if (!sole) return std::move(sole).error();
  if (std::find(r->issuers.begin(), r->issuers.end(), issuer) == r->issuers.end()) {
    r->issuers.push_back(issuer);
    std::sort(r->issuers.begin(), r->issuers.end());
    if (Status s = txn.put(Table::participants, id_key(participant), encode_participant(*r)); !s)
      return std::move(s).error();
  }
  return std::move(*r);
}

Result<RepresentativeRecord> add_representative(storage::WriteTxn& txn, UnixTime now, std::uint32_t participant,
                                                const std::string& name, Role role) {
  if (Status s = check_text("name", name, kMaxNameBytes, true); !s) return std::move(s).error();
  auto p = need_participant(txn, participant);
  if (!p) return std::move(p).error();
  if (role == Role::admin && p->kind != ParticipantKind::central_body)
    return make_error(ErrorKind::invalid, "role_not_allowed", "the admin role belongs to the central body's representatives only");
  auto id = next_id(txn, Table::representatives);
  if (!id) return std::move(id).error();
  RepresentativeRecord r;
  r.id = *id;
  r.participant = participant;
  r.name = name;
  r.role = role;
  r.created = r.status_changed = now;
  if (Status s = txn.put(Table::representatives, id_key(r.id), encode_representative(r)); !s)
    return std::move(s).error();
  return r;
}

Result<RepresentativeRecord> update_representative(storage::WriteTxn& txn, std::uint32_t id,
                                                   const std::optional<std::string>& name, std::optional<Role> role) {
  auto r = need_representative(txn, id);
  if (!r) return std::move(r).error();
  if (name) {
    if (Status s = check_text("name", *name, kMaxNameBytes, true); !s) return std::move(s).error();
    r->name = *name;
  }
  if (role) {
    auto p = need_participant(txn, r->participant);
    if (!p) return std::move(p).error();
    if (*role == Role::admin && p->kind != ParticipantKind::central_body)
      return make_error(ErrorKind::invalid, "role_not_allowed", "the admin role belongs to the central body's representatives only");
    r->role = *role;
  }
  if (Status s = txn.put(Table::representatives, id_key(id), encode_representative(*r)); !s) return std::move(s).error();
  return std::move(*r);
}

Result<RepresentativeRecord> set_representative_status(storage::WriteTxn& txn, UnixTime now, std::uint32_t id,
                                                       EntityStatus status, const std::string& reason) {
  if (Status s = check_text("reason", reason, kMaxReasonBytes, status == EntityStatus::blocked); !s)
    return std::move(s).error();
  auto r = need_representative(txn, id);
  if (!r) return std::move(r).error();
  if (r->status != status) {
    r->status = status;
    r->status_changed = now;
  }
  r->block_reason = status == EntityStatus::blocked ? reason : std::string();
  if (Status s = txn.put(Table::representatives, id_key(id), encode_representative(*r)); !s) return std::move(s).error();
  return std::move(*r);
}

Result<CredentialRecord> store_credential(storage::WriteTxn& txn, CredentialRecord c, UnixTime now) {
  auto rep = need_representative(txn, c.representative);
  if (!rep) return std::move(rep).error();
  if (c.expires != 0 && c.expires <= now)
    return make_error(ErrorKind::invalid, "credential_expiry_invalid", "the expiry must be in the future");
  if (Status s = validate_rate(c.rate_per_second); !s) return std::move(s).error();
  if (Status s = check_text("label", c.label, kMaxNameBytes, false); !s) return std::move(s).error();
  auto id = next_id(txn, Table::credentials);
  if (!id) return std::move(id).error();
  c.id = *id;
  c.created = now;
  const Bytes key = lookup_key(c.kind, c.hash);
  auto added = txn.put_if_absent(Table::credential_lookup, key, id_key(c.id));
  if (!added) return std::move(added).error();
  if (!*added) {
    // A revoked credential gives its certificate or identifier up to a new one.
    auto before = find_credential(txn, c.kind, c.hash);
    if (!before) return std::move(before).error();
    if (*before && (*before)->revoked != 0) {
      if (Status s = txn.put(Table::credential_lookup, key, id_key(c.id)); !s) return std::move(s).error();
      *added = true;
    }
  }
  if (!*added) {
    switch (c.kind) {
      case CredentialKind::certificate:
        return make_error(ErrorKind::conflict, "certificate_already_bound", "this certificate is already bound to a representative");
      case CredentialKind::identifier:
        return make_error(ErrorKind::conflict, "identifier_already_bound",
                          c.subject + " already stands for a representative");
      case CredentialKind::token:
        break;
    }
    return make_error(ErrorKind::invalid, "invalid_argument", "token collision; issue again");
  }
  if (Status s = txn.put(Table::credentials, id_key(c.id), encode_credential(c)); !s) return std::move(s).error();
  return c;
}

Result<std::optional<ParticipantRecord>> participant_by_code(const storage::WriteTxn& txn, const std::string& code) {
  return find_by_code(txn, code);
}

}  // namespace steps

Result<std::optional<ParticipantRecord>> get_participant(const storage::ReadTxn& txn, std::uint32_t id) {
  return read_record<ParticipantRecord>(txn, Table::participants, id, decode_participant);
}
Result<std::optional<RepresentativeRecord>> get_representative(const storage::ReadTxn& txn, std::uint32_t id) {
  return read_record<RepresentativeRecord>(txn, Table::representatives, id, decode_representative);
}
Result<std::optional<CredentialRecord>> get_credential(const storage::ReadTxn& txn, std::uint32_t id) {
  return read_record<CredentialRecord>(txn, Table::credentials, id, decode_credential);
}

Result<std::vector<ParticipantRecord>> list_participants(const storage::ReadTxn& txn) {
  return storage::collect(txn, Table::participants, decode_participant);
}

Result<std::vector<RepresentativeRecord>> list_representatives(const storage::ReadTxn& txn,
                                                               std::uint32_t participant) {
  return storage::collect(txn, Table::representatives, decode_representative,
                          [participant](const auto& r) { return participant == 0 || r.participant == participant; });
}

Result<std::vector<CredentialRecord>> list_credentials(const storage::ReadTxn& txn, std::uint32_t representative) {
  return storage::collect(txn, Table::credentials, decode_credential,
                          [representative](const auto& r) { return r.representative == representative; });
}

Result<std::optional<ParticipantRecord>> participant_by_code(const storage::ReadTxn& txn, const std::string& code) {
  return find_by_code(txn, code);
}
Result<std::optional<CredentialRecord>> credential_by_hash(const storage::ReadTxn& txn, CredentialKind kind,
                                                           const Sha256& hash) {
  return find_credential(txn, kind, hash);
}
Result<std::optional<CredentialRecord>> credential_by_hash(const storage::WriteTxn& txn, CredentialKind kind,
                                                           const Sha256& hash) {
  return find_credential(txn, kind, hash);
}

json to_json(const ParticipantRecord& r) {
  json j = {{"id", r.id},           {"kind", kind_name(r.kind)},     {"name", r.name},
            {"code", r.code},       {"status", status_name(r.status)}, {"issuer_ids", r.issuers},
            {"created", format_rfc3339(r.created)}, {"status_changed", format_rfc3339(r.status_changed)}};
  if (r.status == EntityStatus::blocked) j["block_reason"] = r.block_reason;
  return j;
}

json to_json(const RepresentativeRecord& r) {
  json j = {{"id", r.id},
            {"participant", r.participant},
            {"name", r.name},
            {"role", role_name(r.role)},
            {"status", status_name(r.status)},
            {"created", format_rfc3339(r.created)},
            {"status_changed", format_rfc3339(r.status_changed)}};
  if (r.status == EntityStatus::blocked) j["block_reason"] = r.block_reason;
  return j;
}

json to_json(const CredentialRecord& r) {
  json j = {{"id", r.id},
            {"representative", r.representative},
            {"kind", credential_kind_name(r.kind)},
            {"created", format_rfc3339(r.created)},
            {"expires", r.expires ? json(format_rfc3339(r.expires)) : json(nullptr)},
            {"revoked", r.revoked ? json(format_rfc3339(r.revoked)) : json(nullptr)}};
  if (r.rate_per_second > 0) j["rate_per_second"] = r.rate_per_second;
  if (!r.label.empty()) j["label"] = r.label;
  if (r.kind == CredentialKind::certificate) {
    j["sha256"] = hex_encode(r.hash);
    j["subject"] = r.subject;
  }
  if (r.kind == CredentialKind::identifier) j["identifier"] = r.subject;
  return j;
}

}  // namespace trustmon::access
