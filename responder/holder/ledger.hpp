// RequestLedger: the registry's key ledger (registry::KeyLedger) with the holder's
// requests behind it. It forwards every call to the CSR service's ledger first, then,
// INSIDE the same registry job (so the change is in the commit that stores or revokes the
// certificate, and durable with it):
//  * a stored certificate whose key is an open renewal's new key, for that renewal's
//    issuer, makes the renewal `issued`: the new certificate is recorded, the old one is
//    `replaced_by` it (holder_index lineage entries both ways), the renewal's index entries
//    go, and `renewal.issued` is appended (actor: who ingested the certificate);
//  * a revoked certificate with an open revocation request closes it (`done`, with the
//    revocation time): a permanent revocation always, a hold only when a hold was asked
//    for; `revocation.request_done` is appended.
// A returned error is a storage fault and fails the registry's batch, as the CSR ledger's.
#pragma once

#include "responder/pki/issuer_set.hpp"
#include "responder/registry/key_ledger.hpp"

namespace trustmon::holder {

class RequestLedger final : public registry::KeyLedger {
 public:
  // `inner` (the CSR service) and `issuers` must outlive the ledger.
  RequestLedger(const registry::KeyLedger& inner, const pki::IssuerSet& issuers) : inner_(inner), issuers_(issuers) {}

  Result<registry::KeyReuse> certificate_stored(storage::WriteTxn& txn, const registry::StoredKey& key, UnixTime now,
                                                std::string_view actor_label) const override;
  Status certificate_revoked(storage::WriteTxn& txn, const Sha256& spki_sha256, const Sha256& cert_sha256,
                             UnixTime now, std::string_view actor_label) const override;
  Status certificate_released(storage::WriteTxn& txn, const Sha256& spki_sha256, const Sha256& cert_sha256,
                              UnixTime now, std::string_view actor_label) const override;

 private:
  const registry::KeyLedger& inner_;
  const pki::IssuerSet& issuers_;
};

}  // namespace trustmon::holder
