// The holder's requests (see service.hpp).
#include "responder/holder/service.hpp"

#include <openssl/x509.h>

#include <algorithm>
#include <utility>

#include "responder/access/model.hpp"
#include "responder/holder/subject.hpp"
#include "responder/pki/cert_view.hpp"
#include "responder/pki/cms.hpp"
#include "responder/pki/csr_der.hpp"
#include "responder/pki/key_fingerprint.hpp"
#include "responder/registry/attributes.hpp"
#include "responder/registry/der_store.hpp"
#include "responder/registry/serial_hex.hpp"
#include "storage/pages.hpp"
#include "storage/records.hpp"
#include "storage/scan.hpp"

namespace trustmon::holder {
namespace {

using nlohmann::json;
using storage::Table;
using storage::WriteTxn;

Error refused(ErrorKind kind, std::string code, std::string message) {
  return make_error(kind, std::move(code), std::move(message));
}

Error not_yours() {
  return refused(ErrorKind::forbidden, "not_your_certificate",
                 "the certificate carries none of the identifiers of this session's holder");
}

bool contains(const std::vector<std::uint32_t>& ids, std::uint32_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// Does a certificate (its DER) carry one of the holder's identifiers?
bool carries(ByteView der, const std::vector<HolderIdentifier>& identifiers) {
  auto attrs = registry::extract_attributes(der);
  if (!attrs) return false;
  for (const registry::Attribute& a : *attrs) {
    const HolderIdentifier id{registry::attribute_name(a), a.value};
    if (std::find(identifiers.begin(), identifiers.end(), id) != identifiers.end()) return true;
  }
  return false;
}

// What the signature of a holder's request establishes.
struct Signed {
  pki::CmsVerified cms;
  CertRef signer;
};

// The CMS verifies, its signer is good in trustmon and is the holder's.
Result<Signed> verify_signed(const storage::ReadTxn& txn, const pki::IssuerSet& issuers, ByteView request,
                             const HolderRef& holder, UnixTime now) {
  if (request.size() > kMaxSignedRequestBytes)
    return refused(ErrorKind::too_large, "request_too_large", "a signed request is at most 256 KiB");
  auto cms = pki::verify_cms(request);
  if (!cms) return std::move(cms).error();
  auto issuer = pki::check_signer(txn, issuers, cms->signer.get(), now);
  if (!issuer) return std::move(issuer).error();
  if (!carries(cms->signer_der, holder.identifiers)) return not_yours();
  Signed out;
  out.signer.issuer = (*issuer)->id;
  out.signer.serial = serial_bytes(X509_get0_serialNumber(cms->signer.get()));
  out.signer.sha256 = sha256(cms->signer_der);
  out.cms = std::move(*cms);
  return out;
}

// The participant operating `issuer`: an active QTSP whose issuers name it (the first).
Result<std::optional<std::uint32_t>> provider_of(const WriteTxn& txn, std::uint32_t issuer) {
  std::optional<std::uint32_t> found;
  Status walked = storage::for_each(txn, Table::participants, [&](ByteView, ByteView value) -> Result<bool> {
    auto p = access::decode_participant(value);
    if (!p) return std::move(p).error();
    if (p->kind == access::ParticipantKind::qtsp && p->status == access::EntityStatus::active &&
        contains(p->issuers, issuer)) {
      found = p->id;
      return false;
    }
    return true;
  });
  if (!walked) return std::move(walked).error();
  return found;
}

template <typename Txn>
Result<std::optional<RequestNumber>> indexed_number(const Txn& txn, IndexKind kind, ByteView key) {
  auto got = txn.get(Table::holder_index, index_key(kind, key));
  if (!got) return std::move(got).error();
  if (!*got) return std::optional<RequestNumber>{};
  auto n = decode_number_key(**got);
  if (!n) return make_error(ErrorKind::storage, "storage_corrupt", "holder index: value is not a request number");
  return std::optional<RequestNumber>(*n);
}


template <typename Txn, typename Record, typename Decode>
Result<std::optional<Record>> load(const Txn& txn, Table t, RequestNumber n, Decode decode) {
  auto got = txn.get(t, number_key(n));
  if (!got) return std::move(got).error();
  if (!*got) return std::optional<Record>{};
  auto rec = decode(**got);
  if (!rec) return std::move(rec).error();
  return std::optional<Record>(std::move(*rec));
}

Bytes cert_key_of(const CertRef& c) { return storage::encode_cert_key(c.issuer, c.serial); }

Status put_number(WriteTxn& txn, IndexKind kind, ByteView key, RequestNumber n) {
  return txn.put(Table::holder_index, index_key(kind, key), number_key(n));
}

Status drop_index(WriteTxn& txn, IndexKind kind, ByteView key) {
  auto gone = txn.del(Table::holder_index, index_key(kind, key));
  if (!gone) return std::move(gone).error();
  return {};
}

// Pages through `t` newest first (below `before`), keeping what `keep` accepts.
template <typename Record, typename Decode, typename Keep>
Result<Page<Record>> page_of(const storage::ReadTxn& txn, Table t, std::optional<RequestNumber> before,
                             std::size_t limit, Decode decode, Keep keep) {
  if (limit == 0 || limit > kMaxPageLimit) limit = 50;
  return storage::newest_first<Record>(txn, t, before, limit, kListScan, decode, keep);
}

// The identifiers a record keeps: the session's, at most kMaxIdentifiers (what the codec reads back).
std::vector<HolderIdentifier> kept_identifiers(const std::vector<HolderIdentifier>& ids) {
  const std::size_t n = std::min(ids.size(), kMaxIdentifiers);
  return std::vector<HolderIdentifier>(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n));
}

const char* const kRenewalRefused = "renewal.refused";
const char* const kRequestRefused = "revocation.request_refused";

}  // namespace

json identifiers_json(const std::vector<HolderIdentifier>& ids) {
  json out = json::array();
  for (const auto& id : ids) out.push_back({{"kind", id.kind}, {"value", id.value}});
  return out;
}

json cert_json(const pki::IssuerSet& issuers, const CertRef& c) {
  if (c.empty()) return nullptr;
  const pki::Issuer* issuer = issuers.find_by_id(c.issuer);
  return {{"issuer", issuer ? issuer->name : "#" + std::to_string(c.issuer)},
          {"serial", hex_encode(c.serial, true)},
          {"sha256", hex_encode(c.sha256)}};
}

bool Reviewer::covers(std::uint32_t issuer) const { return central || contains(issuers, issuer); }

bool Viewer::sees(std::uint32_t issuer, const std::vector<HolderIdentifier>& filed) const {
  return central || contains(issuers, issuer) || (!identifiers.empty() && shares_identifier(filed, identifiers));
}

RequestService::RequestService(storage::Writer& writer, const pki::IssuerSet& issuers, const csr::CsrService& csr,
                               const Clock& clock)
    : audited_(writer), issuers_(issuers), csr_(csr), clock_(clock) {}

Result<RenewalDraft> RequestService::check_renewal(const storage::ReadTxn& txn, ByteView signed_request,
                                                   const HolderRef& holder, json* details) const {
  auto sig = verify_signed(txn, issuers_, signed_request, holder, clock_.now());
  if (!sig) return std::move(sig).error();
  auto csr = csr::parse_csr(sig->cms.content);
  if (!csr) return std::move(csr).error();
  pki::CsrParts parts;
  auto view = pki::parse_cert_view(sig->cms.signer_der);
  if (!view || !pki::split_certification_request(csr->der, parts))
    return refused(ErrorKind::invalid, "csr_malformed", "the request or the signer's certificate does not parse");
  auto change = compare_subjects(view->subject, parts.subject);
  if (!change) return std::move(change).error();
  if (*change) {
    const SubjectChange& c = **change;
    if (details != nullptr)
      *details = {{"position", c.position},
                  {"attribute", c.attribute.empty() ? json(nullptr) : json(c.attribute)},
                  {"requested", c.requested.empty() ? json(nullptr) : json(c.requested)}};
    const std::string where = c.attribute.empty() ? c.requested : c.attribute;
    return refused(ErrorKind::unprocessable, "subject_changed",
                   "the request's subject differs from the certificate's at " + where + " (attribute " +
                       std::to_string(c.position + 1) +
                       "); a change of data needs the provider, not a renewal without changes");
  }
  auto current_key = pki::key_fingerprint(*view);
  if (current_key == csr->spki_sha256)
    return refused(ErrorKind::conflict, "key_reused", "the request's key is the current certificate's key");
  RenewalDraft draft;
  draft.current = std::move(sig->signer);
  draft.csr = std::move(*csr);
  draft.signed_request = std::move(sig->cms.cms_der);
  return draft;
}

void RequestService::file_renewal(RenewalDraft draft, HolderRef holder, Done<RenewalRecord> done) {
  const std::string label = holder.actor.label();
  json target = {{"certificate", cert_json(issuers_, draft.current)},
                 {"identifiers", identifiers_json(holder.identifiers)},
                 {"spki_sha256", hex_encode(draft.csr.spki_sha256)}};
  if (const pki::Issuer* i = issuers_.find_by_id(draft.current.issuer)) target["issuer"] = i->name;
  storage::AuditEvent event = storage::action_event(label, "renewal.request", target, 0);
  event.type = "renewal.requested";
  event.refused_type = kRenewalRefused;
  event.outcome = "submitted";
  auto apply = [this, draft = std::move(draft), holder = std::move(holder), label](
                   WriteTxn& txn, storage::AuditEvent& ev) -> Result<RenewalRecord> {
    const UnixTime now = clock_.now();
    ev.time = now;
    auto provider = provider_of(txn, draft.current.issuer);
    if (!provider) return std::move(provider).error();
    if (!*provider)
      return refused(ErrorKind::conflict, "no_provider", "no provider operates this certificate's issuer in trustmon");
    ev.target["participant"] = **provider;
    const Bytes current_key = cert_key_of(draft.current);
    auto pending = indexed_number(txn, kRenewalByCurrent, current_key);
    if (!pending) return std::move(pending).error();
    if (*pending) {
      ev.details = {{"pending", renewal_number(**pending)}};
      return refused(ErrorKind::conflict, "renewal_pending",
                     "renewal " + renewal_number(**pending) + " of this certificate is still open");
    }
    auto reserved = csr_.reserve_in(txn, draft.csr, **provider, draft.current.issuer, 0, now, label);
    if (!reserved) return std::move(reserved).error();
    if (!reserved->reservation) return refused(ErrorKind::conflict, reserved->check.code, reserved->check.message);
    auto number = storage::next_number(txn, Table::renewals);
    if (!number) return std::move(number).error();
    RenewalRecord r;
    r.number = *number;
    r.state = RenewalState::submitted;
    r.created = r.changed = now;
    r.filed_by = label;
    r.holder_name = holder.name;
    r.identifiers = kept_identifiers(holder.identifiers);
    r.current = draft.current;
    r.participant = **provider;
    r.reservation = reserved->reservation->id;
    r.csr_der = draft.csr.der;
    r.csr_sha256 = draft.csr.csr_sha256;
    r.spki_sha256 = draft.csr.spki_sha256;
    r.pop_verified = draft.csr.pop_verified;
    r.signed_request = draft.signed_request;
    Status s = txn.put(Table::renewals, number_key(r.number), encode_renewal(r));
    if (s) s = put_number(txn, kRenewalByKey, r.spki_sha256, r.number);
    if (s) s = put_number(txn, kRenewalByCurrent, current_key, r.number);
    if (!s) return std::move(s).error();
    ev.target["number"] = renewal_number(r.number);
    ev.target["reservation"] = r.reservation;
    return r;
  };
  audited_.run<RenewalRecord>(std::move(event), std::move(apply), std::move(done));
}

Result<RevocationDraft> RequestService::check_revocation_request(const storage::ReadTxn& txn,
                                                                 ByteView signed_request,
                                                                 const HolderRef& holder) const {
  auto sig = verify_signed(txn, issuers_, signed_request, holder, clock_.now());
  if (!sig) return std::move(sig).error();
  const Bytes& content = sig->cms.content;
  const auto invalid = [](std::string why) { return refused(ErrorKind::invalid, "document_invalid", std::move(why)); };
  if (content.size() > kMaxRevocationDocumentBytes) return invalid("the signed document is larger than 4 KiB");
  const json doc = json::parse(content.begin(), content.end(), nullptr, false);
  if (!doc.is_object()) return invalid("the signed document must be a JSON object {\"issuer\",\"serial\",\"reason\"}");
  const auto text = [&doc](const char* name) -> std::optional<std::string> {
    auto it = doc.find(name);
    if (it == doc.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  const auto issuer_name = text("issuer");
  const auto serial_hex = text("serial");
  const auto reason_name = text("reason");
  if (!issuer_name || !serial_hex || !reason_name)
    return invalid("the signed document needs \"issuer\", \"serial\" and \"reason\" strings");
  const pki::Issuer* issuer = issuers_.find_by_name(*issuer_name);
  if (issuer == nullptr)
    return refused(ErrorKind::not_found, "issuer_not_found", "no configured issuer is named \"" + *issuer_name + "\"");
  auto serial = registry::serial_from_hex(*serial_hex);
  if (!serial || serial->size() > storage::kMaxSerialBytes) return invalid("\"serial\" must be a hexadecimal serial number");
  const auto reason = storage::reason_from_name(*reason_name);
  // What a holder may state: not the CA-level reasons, not the delta-CRL instruction.
  if (!reason || *reason == 2 || *reason == 10 || *reason == storage::kReasonRemoveFromCrl)
    return refused(ErrorKind::invalid, "reason_invalid",
                   "\"reason\" is an RFC 5280 reason a holder may give: unspecified, keyCompromise, affiliationChanged, "
                   "superseded, cessationOfOperation, certificateHold or privilegeWithdrawn");
  const Bytes key = storage::encode_cert_key(issuer->id, *serial);
  auto value = txn.get(Table::certs, key);
  if (!value) return std::move(value).error();
  std::optional<storage::CertRecord> record;
  if (*value) {
    auto rec = storage::decode_cert(**value);
    if (!rec) return std::move(rec).error();
    if (rec->has_der) record = std::move(*rec);
  }
  if (!record) return refused(ErrorKind::not_found, "certificate_not_found", "trustmon holds no such certificate");
  auto der = registry::stored_der(txn, *record);
  if (!der) return std::move(der).error();
  if (!*der || !carries(**der, holder.identifiers)) return not_yours();
  if (record->status == storage::CertStatus::revoked) {
    if (record->reason != storage::kReasonCertificateHold)
      return refused(ErrorKind::conflict, "already_revoked", "the certificate is already revoked");
    if (*reason == storage::kReasonCertificateHold)
      return refused(ErrorKind::conflict, "already_held", "the certificate is already on hold");
  }
  RevocationDraft draft;
  draft.target = CertRef{issuer->id, std::move(*serial), record->cert_sha256};
  draft.reason = *reason;
  draft.signer = std::move(sig->signer);
  draft.signed_request = std::move(sig->cms.cms_der);
  return draft;
}

void RequestService::file_revocation_request(RevocationDraft draft, HolderRef holder,
                                             Done<RevocationRequestRecord> done) {
  const std::string label = holder.actor.label();
  json target = {{"certificate", cert_json(issuers_, draft.target)},
                 {"reason", storage::reason_name(draft.reason)},
                 {"identifiers", identifiers_json(holder.identifiers)}};
  if (const pki::Issuer* i = issuers_.find_by_id(draft.target.issuer)) target["issuer"] = i->name;
  storage::AuditEvent event = storage::action_event(label, "revocation_request.file", target, 0);
  event.type = "revocation.requested";
  event.refused_type = kRequestRefused;
  event.outcome = "submitted";
  auto apply = [this, draft = std::move(draft), holder = std::move(holder), label](
                   WriteTxn& txn, storage::AuditEvent& ev) -> Result<RevocationRequestRecord> {
    const UnixTime now = clock_.now();
    ev.time = now;
    auto provider = provider_of(txn, draft.target.issuer);
    if (!provider) return std::move(provider).error();
    if (!*provider)
      return refused(ErrorKind::conflict, "no_provider", "no provider operates this certificate's issuer in trustmon");
    ev.target["participant"] = **provider;
    auto pending = indexed_number(txn, kRequestByTarget, draft.target.sha256);
    if (!pending) return std::move(pending).error();
    if (*pending) {
      ev.details = {{"pending", revocation_request_number(**pending)}};
      return refused(ErrorKind::conflict, "request_pending",
                     "revocation request " + revocation_request_number(**pending) + " for this certificate is still open");
    }
    // Revoked since the check (the Writer is the one place that knows).
    auto value = txn.get(Table::certs, cert_key_of(draft.target));
    if (!value) return std::move(value).error();
    if (*value) {
      auto rec = storage::decode_cert(**value);
      if (!rec) return std::move(rec).error();
      if (rec->status == storage::CertStatus::revoked && rec->reason != storage::kReasonCertificateHold)
        return refused(ErrorKind::conflict, "already_revoked", "the certificate is already revoked");
    }
    auto number = storage::next_number(txn, Table::revocation_requests);
    if (!number) return std::move(number).error();
    RevocationRequestRecord r;
    r.number = *number;
    r.state = RevocationRequestState::submitted;
    r.created = r.changed = now;
    r.filed_by = label;
    r.holder_name = holder.name;
    r.identifiers = kept_identifiers(holder.identifiers);
    r.target = draft.target;
    r.reason = draft.reason;
    r.signer = draft.signer;
    r.participant = **provider;
    r.signed_request = draft.signed_request;
    Status s = txn.put(Table::revocation_requests, number_key(r.number), encode_revocation_request(r));
    if (s) s = put_number(txn, kRequestByTarget, r.target.sha256, r.number);
    if (!s) return std::move(s).error();
    ev.target["number"] = revocation_request_number(r.number);
    return r;
  };
  audited_.run<RevocationRequestRecord>(std::move(event), std::move(apply), std::move(done));
}

void RequestService::decide_renewal(RequestNumber number, Decide decision, std::string reason, Reviewer reviewer,
                                    Done<RenewalRecord> done) {
  if (reason.size() > kMaxReasonBytes) {
    done(refused(ErrorKind::invalid, "reason_too_long", "a reason is at most 1000 bytes"));
    return;
  }
  const bool accept = decision == Decide::accept;
  const std::string label = reviewer.actor.label();
  storage::AuditEvent event = storage::action_event(label, "renewal.decide", {{"number", renewal_number(number)}}, 0);
  event.type = accept ? "renewal.accepted" : "renewal.rejected";
  event.refused_type = kRenewalRefused;
  event.outcome = accept ? "accepted" : "rejected";
  if (!reason.empty()) event.details = {{"reason", reason}};
  auto apply = [this, number, accept, reason = std::move(reason), reviewer = std::move(reviewer), label](
                   WriteTxn& txn, storage::AuditEvent& ev) -> Result<RenewalRecord> {
    const UnixTime now = clock_.now();
    ev.time = now;
    auto rec = load<WriteTxn, RenewalRecord>(txn, Table::renewals, number, decode_renewal);
    if (!rec) return std::move(rec).error();
    if (!*rec || !reviewer.covers((*rec)->current.issuer))
      return refused(ErrorKind::not_found, "renewal_not_found", "no renewal " + renewal_number(number));
    RenewalRecord r = std::move(**rec);
    ev.target["issuer"] = cert_json(issuers_, r.current)["issuer"];
    ev.target["participant"] = r.participant;
    const RenewalState wanted = accept ? RenewalState::accepted : RenewalState::rejected;
    if (r.state == wanted) {
      ev.recorded = false;  // the same decision again: nothing changes
      return r;
    }
    auto next = after(r.state, accept ? RenewalStep::accept : RenewalStep::reject);
    if (!next)
      return refused(ErrorKind::conflict, "renewal_closed",
                     "renewal " + renewal_number(number) + " is " + state_name(r.state) + " already");
    r.state = *next;
    r.changed = now;
    r.decision = Decision{label, now, reason};
    Status s = txn.put(Table::renewals, number_key(r.number), encode_renewal(r));
    if (s && !accept) {
      // Rejected: the new key is free again and the certificate may be renewed anew.
      s = csr_.release_in(txn, r.reservation, now, label);
      if (s) s = drop_index(txn, kRenewalByKey, r.spki_sha256);
      if (s) s = drop_index(txn, kRenewalByCurrent, cert_key_of(r.current));
    }
    if (!s) return std::move(s).error();
    return r;
  };
  audited_.run<RenewalRecord>(std::move(event), std::move(apply), std::move(done));
}

void RequestService::reject_revocation_request(RequestNumber number, std::string reason, Reviewer reviewer,
                                               Done<RevocationRequestRecord> done) {
  if (reason.size() > kMaxReasonBytes) {
    done(refused(ErrorKind::invalid, "reason_too_long", "a reason is at most 1000 bytes"));
    return;
  }
  const std::string label = reviewer.actor.label();
  storage::AuditEvent event = storage::action_event(label, "revocation_request.decide",
                                                    {{"number", revocation_request_number(number)}}, 0);
  event.type = "revocation.request_rejected";
  event.refused_type = kRequestRefused;
  event.outcome = "rejected";
  if (!reason.empty()) event.details = {{"reason", reason}};
  auto apply = [this, number, reason = std::move(reason), reviewer = std::move(reviewer), label](
                   WriteTxn& txn, storage::AuditEvent& ev) -> Result<RevocationRequestRecord> {
    const UnixTime now = clock_.now();
    ev.time = now;
    auto rec = load<WriteTxn, RevocationRequestRecord>(txn, Table::revocation_requests, number,
                                                       decode_revocation_request);
    if (!rec) return std::move(rec).error();
    if (!*rec || !reviewer.covers((*rec)->target.issuer))
      return refused(ErrorKind::not_found, "request_not_found", "no revocation request " + revocation_request_number(number));
    RevocationRequestRecord r = std::move(**rec);
    ev.target["issuer"] = cert_json(issuers_, r.target)["issuer"];
    ev.target["participant"] = r.participant;
    if (r.state == RevocationRequestState::rejected) {
      ev.recorded = false;
      return r;
    }
    auto next = after(r.state, RevocationRequestStep::reject);
    if (!next)
      return refused(ErrorKind::conflict, "request_closed",
                     "revocation request " + revocation_request_number(number) + " is " + state_name(r.state) + " already");
    r.state = *next;
    r.changed = now;
    r.decision = Decision{label, now, reason};
    Status s = txn.put(Table::revocation_requests, number_key(r.number), encode_revocation_request(r));
    if (s) s = drop_index(txn, kRequestByTarget, r.target.sha256);
    if (!s) return std::move(s).error();
    return r;
  };
  audited_.run<RevocationRequestRecord>(std::move(event), std::move(apply), std::move(done));
}

Result<std::optional<RenewalRecord>> RequestService::renewal(const storage::ReadTxn& txn, RequestNumber number) {
  return load<storage::ReadTxn, RenewalRecord>(txn, Table::renewals, number, decode_renewal);
}

Result<std::optional<RevocationRequestRecord>> RequestService::revocation_request(const storage::ReadTxn& txn,
                                                                                  RequestNumber number) {
  return load<storage::ReadTxn, RevocationRequestRecord>(txn, Table::revocation_requests, number,
                                                         decode_revocation_request);
}

Result<Page<RenewalRecord>> RequestService::renewals(const storage::ReadTxn& txn, const Viewer& viewer,
                                                     std::optional<RenewalState> state,
                                                     std::optional<RequestNumber> before, std::size_t limit) {
  return page_of<RenewalRecord>(txn, Table::renewals, before, limit, decode_renewal, [&](const RenewalRecord& r) {
    return (!state || r.state == *state) && viewer.sees(r.current.issuer, r.identifiers);
  });
}

Result<Page<RevocationRequestRecord>> RequestService::revocation_requests(
    const storage::ReadTxn& txn, const Viewer& viewer, std::optional<RevocationRequestState> state,
    std::optional<RequestNumber> before, std::size_t limit) {
  return page_of<RevocationRequestRecord>(
      txn, Table::revocation_requests, before, limit, decode_revocation_request,
      [&](const RevocationRequestRecord& r) {
        return (!state || r.state == *state) && viewer.sees(r.target.issuer, r.identifiers);
      });
}

}  // namespace trustmon::holder
