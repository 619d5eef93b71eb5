// "My certificates": every certificate that carries one of a holder's identifiers, across
// every issuer and provider, grouped by what the holder can do with it, with its lineage.
//
// Policy:
//  * one exact attribute search per identifier (registry::CertificateSearch, the same
//    query path as GET /api/v1/certificates), pages followed to the end, the union kept
//    once per certificate; at most kMaxHolderCertificates, then `truncated`;
//  * groups: `held` (revoked with reason certificateHold), `revoked`, `expired`, `valid`
//    (not yet valid counts as valid; its status says so), by the status at `now`;
//  * lineage from issued renewals (holder_index): `replaced_by` names the certificate a
//    renewal issued for this one, `replaces` the one it was issued to replace; the open
//    renewal and revocation request of a certificate are named too;
//  * order: valid, held, revoked, expired; within a group the newest notBefore first.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "responder/holder/records.hpp"
#include "responder/pki/issuer_set.hpp"
#include "responder/registry/search.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::holder {

inline constexpr std::size_t kMaxHolderCertificates = 5000;

// A certificate named by issuer name and serial (upper-case hex).
struct CertName {
  std::string issuer;
  std::string serial;
};

struct HolderCertificate {
  registry::CertificateSummary summary;
  const char* group = "valid";  // valid, held, revoked, expired
  std::optional<CertName> replaces;
  std::optional<CertName> replaced_by;
  std::optional<RequestNumber> open_renewal;
  std::optional<RequestNumber> open_revocation_request;
};

struct HolderCertificates {
  std::vector<HolderCertificate> items;
  bool truncated = false;
};

// The group of a search result: "held", "revoked", "expired" or "valid".
const char* group_of(const registry::CertificateSummary& s);

// `txn` must be active. `cap` is for tests (default kMaxHolderCertificates).
Result<HolderCertificates> holder_certificates(const storage::ReadTxn& txn, const registry::CertificateSearch& search,
                                               const pki::IssuerSet& issuers,
                                               const std::vector<HolderIdentifier>& identifiers,
                                               std::size_t cap = kMaxHolderCertificates);

// CSV (RFC 4180, header line first): group, issuer, serial, common_name, subject,
// identifiers (kind=value separated by ';'), not_before, not_after, status,
// revocation_time, revocation_reason, replaces, replaced_by (issuer:serial). A field that
// a spreadsheet would read as a formula (starting with = + - @ or a tab) gets a leading '.
std::string holder_certificates_csv(const HolderCertificates& list);

}  // namespace trustmon::holder
