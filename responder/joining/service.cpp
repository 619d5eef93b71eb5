// Joining applications (see service.hpp).
#include "responder/joining/service.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <algorithm>
#include <utility>

#include "common/csv.hpp"
#include "common/time.hpp"
#include "responder/access/service.hpp"
#include "responder/pki/cms.hpp"
#include "storage/scan.hpp"
#include "tsl/certificates.hpp"
#include "tsl/store.hpp"

namespace trustmon::joining {
namespace {

using nlohmann::json;
using storage::Table;
using storage::WriteTxn;

constexpr std::string_view kFiledType = "joining.filed";
constexpr std::string_view kRefusedType = "joining.refused";

Error refused(ErrorKind kind, std::string code, std::string message) {
  return make_error(kind, std::move(code), std::move(message));
}

Error not_found() {
  return refused(ErrorKind::not_found, "application_not_found", "no application with this number and secret");
}

Error duplicate(ByteView number_value) {
  const auto n = decode_number_key(number_value);
  return refused(ErrorKind::conflict, "application_duplicate",
                 "this signed document was filed before" + (n ? " as " + format_number(*n) : std::string()));
}

// Where the document's kinds meet the register (read in `txn`): the participant for a
// grant or block (nullopt for a join), the representative a block names.
struct RegisterFit {
  std::optional<access::ParticipantRecord> participant;
  std::optional<access::RepresentativeRecord> blocked;
};

template <typename Txn>
Result<std::optional<access::ParticipantRecord>> participant_by_code(const Txn& txn, const std::string& code) {
  if constexpr (std::is_same_v<Txn, WriteTxn>) {
    return access::steps::participant_by_code(txn, code);
  } else {
    return access::participant_by_code(txn, code);
  }
}

// The active identifier credential of a person, and the representative it stands for.
template <typename Txn>
Result<std::optional<access::CredentialRecord>> identifier_credential(const Txn& txn, const std::string& rnokpp) {
  auto c = access::credential_by_hash(txn, access::CredentialKind::identifier,
                                      access::identifier_hash(access::rnokpp_identifier(rnokpp)));
  if (!c) return std::move(c).error();
  if (*c && (*c)->revoked != 0) return std::optional<access::CredentialRecord>{};
  return c;
}

template <typename Txn>
Result<std::optional<access::RepresentativeRecord>> representative(const Txn& txn, std::uint32_t id) {
  auto got = txn.get(Table::representatives, access::id_key(id));
  if (!got) return std::move(got).error();
  if (!*got) return std::optional<access::RepresentativeRecord>{};
  auto r = access::decode_representative(**got);
  if (!r) return std::move(r).error();
  return std::optional<access::RepresentativeRecord>(std::move(*r));
}

template <typename Txn>
Result<RegisterFit> fit(const Txn& txn, const Document& doc) {
  RegisterFit out;
  auto p = participant_by_code(txn, doc.code);
  if (!p) return std::move(p).error();
  if (doc.join) {
    if (*p)
      return refused(ErrorKind::conflict, "participant_exists",
                     "participant " + std::to_string((*p)->id) + " is registered with code " + doc.code);
    return out;
  }
  if (!*p) return refused(ErrorKind::not_found, "participant_not_found", "no participant is registered with code " + doc.code);
  out.participant = std::move(**p);
  if (doc.blocked) {
    auto c = identifier_credential(txn, doc.blocked->rnokpp);
    if (!c) return std::move(c).error();
    std::optional<access::RepresentativeRecord> r;
    if (*c) {
      auto got = representative(txn, (*c)->representative);
      if (!got) return std::move(got).error();
      r = std::move(*got);
    }
    if (!r || r->participant != out.participant->id)
      return refused(ErrorKind::not_found, "representative_not_found",
                     "no representative of this participant has RNOKPP " + doc.blocked->rnokpp);
    out.blocked = std::move(*r);
  }
  return out;
}

Result<std::size_t> count_prefix(const WriteTxn& txn, ByteView prefix, std::size_t cap) {
  std::size_t n = 0;
  Status s = storage::for_each_prefix(txn, Table::join_index, prefix, [&](ByteView, ByteView) -> bool {
    return ++n < cap;
  });
  if (!s) return std::move(s).error();
  return n;
}

Result<std::string> new_secret() {
  unsigned char raw[24];
  if (RAND_bytes(raw, sizeof raw) != 1) return make_error(ErrorKind::internal, "internal_error", "no randomness for a secret");
  std::string b64 = base64_encode(ByteView(raw, sizeof raw));
  OPENSSL_cleanse(raw, sizeof raw);
  for (char& c : b64) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return b64;
}

Sha256 secret_hash(std::string_view secret) { return sha256(as_bytes("joining:" + std::string(secret))); }

// One step of an approval, as its own event in the same commit.
Status step_event(WriteTxn& txn, const std::string& actor, std::string action, json target, UnixTime now,
                  Number number) {
  storage::AuditEvent ev = storage::action_event(actor, std::move(action), std::move(target), now);
  ev.details = {{"application", format_number(number)}};
  return storage::append_audit(txn, ev);
}

json grant_json(const Grant& g) {
  json j = {{"name", g.name}, {"tin", g.rnokpp}, {"role", access::role_name(g.role)}};
  if (!g.certificate.empty()) j["certificate_subject"] = g.certificate_subject;
  return j;
}

}  // namespace

JoiningService::JoiningService(storage::Writer& writer, const pki::IssuerSet& issuers, const Clock& clock,
                               JoiningOptions options)
    : audited_(writer), issuers_(issuers), clock_(clock), options_(options) {}

Result<std::vector<std::uint32_t>> JoiningService::issuer_ids(const Document& doc) const {
  std::vector<std::uint32_t> ids;
  for (std::size_t i = 0; i < doc.issuers.size(); ++i) {
    const pki::Issuer* found = nullptr;
    for (const pki::Issuer* issuer : issuers_.all())
      if (!issuer->test && x509_der(issuer->ca.get()) == doc.issuers[i]) found = issuer;
    if (found == nullptr)
      return refused(ErrorKind::unprocessable, "issuer_unknown",
                     "issuers[" + std::to_string(i) + "] is not one of the CAs trustmon serves and lists");
    if (std::find(ids.begin(), ids.end(), found->id) == ids.end()) ids.push_back(found->id);
  }
  return ids;
}

Result<json> JoiningService::issuer_standing(const storage::ReadTxn& txn, const pki::Issuer& issuer) const {
  if (issuer.test) {
    if (!options_.accept_test_issuers)
      return refused(ErrorKind::forbidden, "untrusted_issuer",
                     "the signer's certificate comes from a test-bed CA, which cannot sign for an organisation");
    return json{{"test_bed", true}};
  }
  auto model = tsl::load_model(txn, options_.trusted_list);
  if (!model) return std::move(model).error();
  if (!*model) return json{{"published", false}};
  const auto cas = tsl::ca_certificates(**model);
  const auto entries = tsl::entries_of(cas, issuer.ca.get());
  if (entries.empty())
    return refused(ErrorKind::forbidden, "issuer_not_listed",
                   "the signer's CA (" + issuer.name + ") is not on the trusted list");
  for (const tsl::CaCertificate* e : entries)
    if (tsl::status_active(*e))
      return json{{"listed", true}, {"provider", e->provider_name}, {"service", e->service_name}, {"status", e->status}};
  return refused(ErrorKind::forbidden, "issuer_not_listed",
                 "the signer's CA (" + issuer.name + ") is on the trusted list with the status " + entries.front()->status);
}

Result<Checked> JoiningService::check(const storage::ReadTxn& txn, ByteView signed_bytes, std::string address) const {
  if (signed_bytes.size() > kMaxSignedBytes)
    return refused(ErrorKind::too_large, "body_too_large", "a signed application is at most 256 KiB");
  const UnixTime now = clock_.now();
  auto cms = pki::verify_cms(signed_bytes);
  if (!cms) return std::move(cms).error();
  auto issuer = pki::check_signer(txn, issuers_, cms->signer.get(), now);
  if (!issuer) return std::move(issuer).error();
  auto standing = issuer_standing(txn, **issuer);
  if (!standing) return std::move(standing).error();
  if (Status usage = pki::check_signing_usage(cms->signer.get()); !usage) return std::move(usage).error();
  if (cms->content.size() > kMaxDocumentBytes)
    return refused(ErrorKind::too_large, "document_too_large", "the document is larger than 64 KiB");
  const std::string text(reinterpret_cast<const char*>(cms->content.data()), cms->content.size());
  auto doc = parse_document(text, now);
  if (!doc) return std::move(doc).error();

  const auto codes = organisation_codes(cms->signer_der);
  if (std::find(codes.begin(), codes.end(), doc->code) == codes.end())
    return refused(ErrorKind::forbidden, "signer_not_of_organisation",
                   "the signer's certificate does not carry NTRUA-" + doc->code +
                       " (organizationIdentifier) or the EDRPOU code " + doc->code);
  if (auto ids = issuer_ids(*doc); !ids) return std::move(ids).error();
  auto before = txn.get(Table::join_index, document_key(sha256(as_bytes(text))));
  if (!before) return std::move(before).error();
  if (*before) return duplicate(**before);
  if (auto f = fit(txn, *doc); !f) return std::move(f).error();

  Checked c;
  X509* signer = cms->signer.get();
  const X509_NAME* subject = X509_get_subject_name(signer);
  const auto persons = person_identifiers(cms->signer_der);
  json ids = json::array();
  for (const auto& p : persons) ids.push_back({{"kind", "serialNumber"}, {"value", p}});
  ids.push_back({{"kind", "organizationIdentifier"}, {"value", "NTRUA-" + doc->code}});
  const Sha256 fingerprint = sha256(cms->signer_der);
  c.signer = {{"subject", x509_name_text(subject)},
              {"name", x509_name_entry_utf8(subject, NID_commonName)},
              {"issuer", (*issuer)->name},
              {"issuer_id", (*issuer)->id},
              {"test_issuer", (*issuer)->test},
              {"serial", hex_encode(serial_bytes(X509_get0_serialNumber(signer)), true)},
              {"sha256", hex_encode(ByteView(fingerprint.data(), fingerprint.size()))},
              {"organisation", "NTRUA-" + doc->code},
              {"identifiers", std::move(ids)}};
  if (std::string title = x509_name_entry_utf8(subject, NID_title); !title.empty()) c.signer["title"] = title;
  if (cms->signing_time) c.signer["signing_time"] = format_rfc3339(*cms->signing_time);
  c.signer["trusted_list"] = std::move(*standing);
  c.filed_by = "holder:" + (persons.empty() ? "NTRUA-" + doc->code : persons.front());
  c.document = std::move(*doc);
  c.document_text = text;
  c.signed_bytes = std::move(cms->cms_der);
  c.address = std::move(address);
  return c;
}

void JoiningService::file(Checked checked, Done<Filed> done) {
  auto secret = new_secret();
  if (!secret) {
    done(std::move(secret).error());
    return;
  }
  json target = {{"organisation", checked.document.code}, {"kinds", checked.document.kinds()},
                 {"signer", checked.signer.value("subject", "")}, {"address", checked.address}};
  storage::AuditEvent event = storage::action_event(checked.filed_by, "joining.file", std::move(target), 0);
  event.type = kFiledType;
  event.refused_type = kRefusedType;
  event.outcome = "pending";
  auto apply = [this, checked = std::move(checked), secret = *secret](WriteTxn& txn,
                                                                     storage::AuditEvent& ev) -> Result<Filed> {
    const UnixTime now = clock_.now();
    ev.time = now;
    const Sha256 doc_hash = sha256(as_bytes(checked.document_text));
    auto before = txn.get(Table::join_index, document_key(doc_hash));
    if (!before) return std::move(before).error();
    if (*before) return duplicate(**before);
    auto mine = count_prefix(txn, pending_prefix(checked.document.code), kMaxPendingPerOrganisation);
    if (!mine) return std::move(mine).error();
    if (*mine >= kMaxPendingPerOrganisation)
      return refused(ErrorKind::rate_limited, "applications_pending",
                     "this organisation has " + std::to_string(kMaxPendingPerOrganisation) +
                         " applications waiting for a decision");
    const Bytes any_pending{kPending};
    auto all = count_prefix(txn, any_pending, kMaxPending);
    if (!all) return std::move(all).error();
    if (*all >= kMaxPending)
      return refused(ErrorKind::unavailable, "applications_busy", "too many applications are waiting; try later");
    if (auto f = fit(txn, checked.document); !f) return std::move(f).error();
    auto number = storage::next_number(txn, Table::join_applications);
    if (!number) return std::move(number).error();
    Application a;
    a.number = *number;
    a.state = State::pending;
    a.filed = a.changed = now;
    a.address = checked.address;
    a.filed_by = checked.filed_by;
    a.secret_hash = secret_hash(secret);
    a.signed_bytes = checked.signed_bytes;
    a.document = checked.document_text;
    a.code = checked.document.code;
    a.signer = checked.signer;
    Status s = txn.put(Table::join_applications, number_key(a.number), encode_application(a));
    if (s) s = txn.put(Table::join_index, document_key(doc_hash), number_key(a.number));
    if (s) s = txn.put(Table::join_index, pending_key(a.code, a.number), ByteView());
    if (!s) return std::move(s).error();
    ev.target["number"] = format_number(a.number);
    return Filed{std::move(a), secret};
  };
  audited_.run<Filed>(std::move(event), std::move(apply), std::move(done));
}

json JoiningService::check_now(const storage::ReadTxn& txn, const Application& a) const {
  auto cms = pki::verify_cms(a.signed_bytes);
  if (!cms) return {{"ok", false}, {"code", cms.error().code}, {"message", cms.error().message}};
  auto issuer = pki::check_signer(txn, issuers_, cms->signer.get(), clock_.now());
  if (!issuer) return {{"ok", false}, {"code", issuer.error().code}, {"message", issuer.error().message}};
  auto standing = issuer_standing(txn, **issuer);
  if (!standing) return {{"ok", false}, {"code", standing.error().code}, {"message", standing.error().message}};
  return {{"ok", true}, {"trusted_list", std::move(*standing)}};
}

void JoiningService::decide(Number number, Decision decision, std::string reason, Actor admin,
                            Done<Application> done) {
  const bool approve = decision == Decision::approve;
  const std::string label = admin.label();
  json target = {{"application", format_number(number)}};
  if (!reason.empty()) target["reason"] = reason;
  storage::AuditEvent event =
      storage::action_event(label, approve ? "joining.approve" : "joining.reject", std::move(target), 0);
  event.type = approve ? "joining.approved" : "joining.rejected";
  event.refused_type = "joining.decision_refused";
  auto apply = [this, number, approve, reason = std::move(reason), label](WriteTxn& txn,
                                                                          storage::AuditEvent& ev) -> Result<Application> {
    const UnixTime now = clock_.now();
    ev.time = now;
    if (reason.size() > kMaxReasonBytes) return refused(ErrorKind::invalid, "reason_too_long", "the reason is longer than 1024 bytes");
    if (!approve && reason.empty()) return refused(ErrorKind::invalid, "reason_required", "a rejection needs a reason");
    auto got = txn.get(Table::join_applications, number_key(number));
    if (!got) return std::move(got).error();
    if (!*got) return refused(ErrorKind::not_found, "application_not_found", "no application " + format_number(number));
    auto rec = decode_application(**got);
    if (!rec) return std::move(rec).error();
    Application a = std::move(*rec);
    if (a.state != State::pending)
      return refused(ErrorKind::conflict, "application_closed",
                     format_number(number) + " was " + state_name(a.state) + " already");
    ev.target["organisation"] = a.code;

    if (approve) {
      auto doc = parse_document(a.document, std::nullopt);
      if (!doc) return std::move(doc).error();
      auto ids = issuer_ids(*doc);
      if (!ids) return std::move(ids).error();
      auto fitted = fit(txn, *doc);
      if (!fitted) return std::move(fitted).error();
      json outcome = json::object();
      std::uint32_t participant = 0;
      if (doc->join) {
        auto p = access::steps::add_participant(txn, now, doc->kind, doc->name, doc->code);
        if (!p) return std::move(p).error();
        participant = p->id;
        if (Status s = step_event(txn, label, "participant.add",
                                  {{"kind", access::kind_name(doc->kind)}, {"name", doc->name}, {"code", doc->code}, {"id", participant}},
                                  now, number);
            !s)
          return std::move(s).error();
        for (std::uint32_t issuer : *ids) {
          auto attached = access::steps::attach_issuer(txn, participant, issuer);
          if (!attached) return std::move(attached).error();
          const pki::Issuer* i = issuers_.find_by_id(issuer);
          if (Status s = step_event(txn, label, "participant.issuer_add",
                                    {{"participant", participant}, {"issuer", i ? i->name : std::to_string(issuer)}}, now, number);
              !s)
            return std::move(s).error();
        }
      } else {
        participant = fitted->participant->id;
      }
      outcome["participant"] = participant;

      if (doc->grant) {
        json granted = json::array();
        for (const Grant& g : doc->representatives) {
          auto existing = identifier_credential(txn, g.rnokpp);
          if (!existing) return std::move(existing).error();
          std::uint32_t rep_id = 0;
          json credentials = json::array();
          if (*existing) {
            auto r = representative(txn, (*existing)->representative);
            if (!r) return std::move(r).error();
            if (!*r || (*r)->participant != participant)
              return refused(ErrorKind::conflict, "identifier_already_bound",
                             "RNOKPP " + g.rnokpp + " already stands for a representative of another participant");
            auto updated = access::steps::update_representative(txn, (*r)->id, g.name, g.role);
            if (!updated) return std::move(updated).error();
            rep_id = updated->id;
            if (Status s = step_event(txn, label, "representative.update",
                                      {{"representative", rep_id}, {"name", g.name}, {"role", access::role_name(g.role)}}, now, number);
                !s)
              return std::move(s).error();
            if (updated->status == access::EntityStatus::blocked) {
              auto active = access::steps::set_representative_status(txn, now, rep_id, access::EntityStatus::active, "");
              if (!active) return std::move(active).error();
              if (Status s = step_event(txn, label, "representative.unblock", {{"representative", rep_id}}, now, number); !s)
                return std::move(s).error();
            }
            credentials.push_back((*existing)->id);
          } else {
            auto added = access::steps::add_representative(txn, now, participant, g.name, g.role);
            if (!added) return std::move(added).error();
            rep_id = added->id;
            if (Status s = step_event(txn, label, "representative.add",
                                      {{"participant", participant}, {"name", g.name}, {"role", access::role_name(g.role)}, {"id", rep_id}},
                                      now, number);
                !s)
              return std::move(s).error();
            access::CredentialRecord c;
            c.representative = rep_id;
            c.kind = access::CredentialKind::identifier;
            c.subject = access::rnokpp_identifier(g.rnokpp);
            c.hash = access::identifier_hash(c.subject);
            c.label = format_number(number);
            auto stored = access::steps::store_credential(txn, c, now);
            if (!stored) return std::move(stored).error();
            credentials.push_back(stored->id);
            if (Status s = step_event(txn, label, "credential.identifier_bind",
                                      {{"representative", rep_id}, {"identifier", c.subject}, {"credential", stored->id}}, now, number);
                !s)
              return std::move(s).error();
          }
          if (!g.certificate.empty()) {
            const Sha256 h = sha256(g.certificate);
            auto bound = access::credential_by_hash(txn, access::CredentialKind::certificate, h);
            if (!bound) return std::move(bound).error();
            if (!*bound || (*bound)->revoked != 0 || (*bound)->representative != rep_id) {
              access::CredentialRecord c;
              c.representative = rep_id;
              c.kind = access::CredentialKind::certificate;
              c.hash = h;
              c.subject = g.certificate_subject;
              c.label = format_number(number);
              auto stored = access::steps::store_credential(txn, c, now);
              if (!stored) return std::move(stored).error();
              credentials.push_back(stored->id);
              if (Status s = step_event(txn, label, "credential.certificate_bind",
                                        {{"representative", rep_id}, {"sha256", hex_encode(h)}, {"credential", stored->id}},
                                        now, number);
                  !s)
                return std::move(s).error();
            }
          }
          json one = grant_json(g);
          one["id"] = rep_id;
          one["credentials"] = std::move(credentials);
          granted.push_back(std::move(one));
        }
        outcome["representatives"] = std::move(granted);
      }

      if (doc->blocked) {
        const std::uint32_t rep_id = fitted->blocked->id;
        const std::string why = format_number(number) + ": " + doc->blocked->reason;
        auto blocked = access::steps::set_representative_status(txn, now, rep_id, access::EntityStatus::blocked,
                                                                why.substr(0, 1024));
        if (!blocked) return std::move(blocked).error();
        if (Status s = step_event(txn, label, "representative.block", {{"representative", rep_id}, {"reason", doc->blocked->reason}},
                                  now, number);
            !s)
          return std::move(s).error();
        outcome["blocked_representative"] = rep_id;
      }
      a.outcome = std::move(outcome);
      a.state = State::approved;
      ev.details = a.outcome;
    } else {
      a.state = State::rejected;
    }
    a.changed = a.decided_at = now;
    a.decided_by = label;
    a.reason = reason;
    Status s = txn.put(Table::join_applications, number_key(a.number), encode_application(a));
    if (s) {
      auto erased = txn.del(Table::join_index, pending_key(a.code, a.number));
      if (!erased) s = std::move(erased).error();
    }
    if (!s) return std::move(s).error();
    return a;
  };
  audited_.run<Application>(std::move(event), std::move(apply), std::move(done));
}

Result<std::optional<Application>> JoiningService::get(const storage::ReadTxn& txn, Number number) {
  auto got = txn.get(Table::join_applications, number_key(number));
  if (!got) return std::move(got).error();
  if (!*got) return std::optional<Application>{};
  auto a = decode_application(**got);
  if (!a) return std::move(a).error();
  return std::optional<Application>(std::move(*a));
}

Result<storage::Page<Application>> JoiningService::list(const storage::ReadTxn& txn, std::optional<State> state,
                                                        std::optional<Number> before, std::size_t limit) {
  if (limit == 0 || limit > kMaxPageLimit) limit = 50;
  return storage::newest_first<Application>(txn, Table::join_applications, before, limit, kListScan, decode_application,
                                            [&](const Application& a) { return !state || a.state == *state; });
}

Result<Application> JoiningService::status(const storage::ReadTxn& txn, std::string_view number_text,
                                           std::string_view secret) {
  const auto number = parse_number(number_text);
  const Sha256 presented = secret_hash(secret);
  if (!number || secret.empty() || secret.size() > 128) return not_found();
  auto a = get(txn, *number);
  if (!a) return std::move(a).error();
  if (!*a || CRYPTO_memcmp(presented.data(), (*a)->secret_hash.data(), presented.size()) != 0) return not_found();
  return std::move(**a);
}

json JoiningService::record_json(const Application& a, const storage::ReadTxn* txn) const {
  json doc = json::parse(a.document, nullptr, false);
  json j = {{"number", format_number(a.number)},
            {"state", state_name(a.state)},
            {"filed", format_rfc3339(a.filed)},
            {"changed", format_rfc3339(a.changed)},
            {"address", a.address},
            {"filed_by", a.filed_by},
            {"organisation", doc.is_object() ? doc.value("organisation", json::object()) : json::object()},
            {"kinds", doc.is_object() ? doc.value("kinds", json::array()) : json::array()},
            {"document", doc.is_discarded() ? json(nullptr) : doc},
            {"signer", a.signer},
            {"signed_bytes", a.signed_bytes.size()}};
  if (a.state != State::pending)
    j["decision"] = {{"by", a.decided_by}, {"at", format_rfc3339(a.decided_at)}, {"reason", a.reason}};
  if (a.outcome.is_object())
    for (const auto& [k, v] : a.outcome.items()) j[k] = v;
  if (txn != nullptr) j["check_now"] = check_now(*txn, a);
  return j;
}

json JoiningService::status_json(const Application& a) {
  json doc = json::parse(a.document, nullptr, false);
  json j = {{"number", format_number(a.number)},
            {"state", state_name(a.state)},
            {"filed", format_rfc3339(a.filed)},
            {"kinds", doc.is_object() ? doc.value("kinds", json::array()) : json::array()},
            {"organisation", doc.is_object() ? doc.value("organisation", json::object()) : json::object()}};
  if (a.state != State::pending) {
    j["decided"] = format_rfc3339(a.decided_at);
    if (!a.reason.empty()) j["reason"] = a.reason;
  }
  if (a.outcome.is_object()) {
    if (a.outcome.contains("participant")) j["participant"] = a.outcome["participant"];
    if (a.outcome.contains("representatives")) {
      json reps = json::array();
      for (const auto& r : a.outcome["representatives"])
        reps.push_back({{"name", r.value("name", "")}, {"role", r.value("role", "")}, {"id", r.value("id", 0)}});
      j["representatives"] = std::move(reps);
    }
    if (a.outcome.contains("blocked_representative")) j["blocked_representative"] = a.outcome["blocked_representative"];
  }
  return j;
}

std::string JoiningService::applications_csv(const std::vector<Application>& items) {
  std::string out =
      "number,state,filed,kinds,organisation_code,organisation_name,signer,signer_identifiers,decided,decided_by,"
      "reason,participant\r\n";
  for (const Application& a : items) {
    const json doc = json::parse(a.document, nullptr, false);
    const json org = doc.is_object() ? doc.value("organisation", json::object()) : json::object();
    std::string kinds, ids;
    if (doc.is_object())
      for (const auto& k : doc.value("kinds", json::array())) kinds += (kinds.empty() ? "" : "+") + k.get<std::string>();
    for (const auto& i : a.signer.value("identifiers", json::array()))
      ids += (ids.empty() ? "" : ";") + i.value("value", std::string());
    const std::string fields[] = {format_number(a.number),
                                  state_name(a.state),
                                  format_rfc3339(a.filed),
                                  kinds,
                                  a.code,
                                  org.value("name", std::string()),
                                  a.signer.value("subject", std::string()),
                                  ids,
                                  a.state == State::pending ? std::string() : format_rfc3339(a.decided_at),
                                  a.decided_by,
                                  a.reason,
                                  a.outcome.is_object() && a.outcome.contains("participant")
                                      ? std::to_string(a.outcome["participant"].get<std::uint32_t>())
                                      : std::string()};
    append_csv_row(out, fields);
  }
  return out;
}

}  // namespace trustmon::joining
