// The holder's requests closed from the registry's jobs (see ledger.hpp).
#include "responder/holder/ledger.hpp"

#include "responder/holder/records.hpp"
#include "responder/holder/service.hpp"
#include "storage/audited.hpp"
#include "storage/records.hpp"

namespace trustmon::holder {
namespace {

using nlohmann::json;
using storage::Table;
using storage::WriteTxn;

Result<std::optional<RequestNumber>> open_number(const WriteTxn& txn, IndexKind kind, ByteView key) {
  auto got = txn.get(Table::holder_index, index_key(kind, key));
  if (!got) return std::move(got).error();
  if (!*got) return std::optional<RequestNumber>{};
  auto n = decode_number_key(**got);
  if (!n) return make_error(ErrorKind::storage, "storage_corrupt", "holder index: value is not a request number");
  return std::optional<RequestNumber>(*n);
}

Status drop(WriteTxn& txn, IndexKind kind, ByteView key) {
  auto gone = txn.del(Table::holder_index, index_key(kind, key));
  if (!gone) return std::move(gone).error();
  return {};
}

Status renewal_issued(WriteTxn& txn, const pki::IssuerSet& issuers, const registry::StoredKey& key, UnixTime now,
                      std::string_view actor_label) {
  auto number = open_number(txn, kRenewalByKey, key.spki_sha256);
  if (!number) return std::move(number).error();
  if (!*number) return {};
  auto value = txn.get(Table::renewals, number_key(**number));
  if (!value) return std::move(value).error();
  if (!*value) return make_error(ErrorKind::storage, "storage_corrupt", "holder index names a missing renewal");
  auto rec = decode_renewal(**value);
  if (!rec) return std::move(rec).error();
  RenewalRecord r = std::move(*rec);
  // Another issuer's certificate over the key is not this renewal's (the key registry
  // reports it as a reused key).
  if (r.current.issuer != key.issuer) return {};
  auto next = after(r.state, RenewalStep::issue);
  if (!next) return {};
  auto cert_key = storage::decode_cert_key(key.cert_key);
  if (!cert_key) return {};
  r.state = *next;
  r.changed = now;
  r.issued = CertRef{cert_key->issuer, to_bytes(cert_key->serial), key.cert_sha256};
  const Bytes old_key = storage::encode_cert_key(r.current.issuer, r.current.serial);
  Status s = txn.put(Table::renewals, number_key(r.number), encode_renewal(r));
  if (s) s = drop(txn, kRenewalByKey, key.spki_sha256);
  if (s) s = drop(txn, kRenewalByCurrent, old_key);
  if (s) s = txn.put(Table::holder_index, index_key(kReplacedBy, old_key), key.cert_key);
  if (s) s = txn.put(Table::holder_index, index_key(kReplaces, key.cert_key), old_key);
  if (!s) return s;
  storage::AuditEvent e = storage::action_event(std::string(actor_label), "renewal.issue",
                                                {{"number", renewal_number(r.number)},
                                                 {"issuer", cert_json(issuers, r.issued)["issuer"]},
                                                 {"participant", r.participant},
                                                 {"certificate", cert_json(issuers, r.issued)},
                                                 {"replaces", cert_json(issuers, r.current)}},
                                                now);
  e.type = "renewal.issued";
  e.outcome = "issued";
  return storage::append_audit(txn, e);
}

Status request_done(WriteTxn& txn, const pki::IssuerSet& issuers, const Sha256& cert_sha256, UnixTime now,
                    std::string_view actor_label) {
  auto number = open_number(txn, kRequestByTarget, cert_sha256);
  if (!number) return std::move(number).error();
  if (!*number) return {};
  auto value = txn.get(Table::revocation_requests, number_key(**number));
  if (!value) return std::move(value).error();
  if (!*value) return make_error(ErrorKind::storage, "storage_corrupt", "holder index names a missing request");
  auto rec = decode_revocation_request(**value);
  if (!rec) return std::move(rec).error();
  RevocationRequestRecord r = std::move(*rec);
  // The registry stored the certificate's new status before calling: read it.
  auto cert = txn.get(Table::certs, storage::encode_cert_key(r.target.issuer, r.target.serial));
  if (!cert) return std::move(cert).error();
  if (!*cert) return {};
  auto status = storage::decode_cert(**cert);
  if (!status) return std::move(status).error();
  if (status->status != storage::CertStatus::revoked) return {};
  const bool hold = status->reason == storage::kReasonCertificateHold;
  if (hold && r.reason != storage::kReasonCertificateHold) return {};  // held, not yet revoked as asked
  auto next = after(r.state, RevocationRequestStep::revoked);
  if (!next) return {};
  r.state = *next;
  r.changed = now;
  r.revoked_at = status->revocation_time;
  r.done_by = std::string(actor_label);
  Status s = txn.put(Table::revocation_requests, number_key(r.number), encode_revocation_request(r));
  if (s) s = drop(txn, kRequestByTarget, cert_sha256);
  if (!s) return s;
  storage::AuditEvent e = storage::action_event(std::string(actor_label), "revocation_request.close",
                                                {{"number", revocation_request_number(r.number)},
                                                 {"issuer", cert_json(issuers, r.target)["issuer"]},
                                                 {"participant", r.participant},
                                                 {"certificate", cert_json(issuers, r.target)},
                                                 {"reason", storage::reason_name(status->reason)}},
                                                now);
  e.type = "revocation.request_done";
  e.outcome = "done";
  return storage::append_audit(txn, e);
}

}  // namespace

Result<registry::KeyReuse> RequestLedger::certificate_stored(WriteTxn& txn, const registry::StoredKey& key,
                                                             UnixTime now, std::string_view actor_label) const {
  auto reuse = inner_.certificate_stored(txn, key, now, actor_label);
  if (!reuse) return reuse;
  if (Status s = renewal_issued(txn, issuers_, key, now, actor_label); !s) return std::move(s).error();
  return reuse;
}

Status RequestLedger::certificate_revoked(WriteTxn& txn, const Sha256& spki_sha256, const Sha256& cert_sha256,
                                          UnixTime now, std::string_view actor_label) const {
  if (Status s = inner_.certificate_revoked(txn, spki_sha256, cert_sha256, now, actor_label); !s) return s;
  return request_done(txn, issuers_, cert_sha256, now, actor_label);
}

Status RequestLedger::certificate_released(WriteTxn& txn, const Sha256& spki_sha256, const Sha256& cert_sha256,
                                           UnixTime now, std::string_view actor_label) const {
  return inner_.certificate_released(txn, spki_sha256, cert_sha256, now, actor_label);
}

}  // namespace trustmon::holder
