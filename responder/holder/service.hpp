// RequestService: what a certificate holder asks of the provider that issued their
// certificate, through trustmon: a renewal without changes in the data (a new key for the
// same subject) and a revocation request. docs/login.md "The holder's pages" is the contract.
//
// Policy:
//  * a request is a CMS SignedData the holder signed with a certificate that is good in
//    trustmon's own index (pki::check_signer) and carries one of the session's identifiers
//    (not_your_certificate); the signed bytes are kept in the record as evidence;
//  * a renewal's request encapsulates the new PKCS#10 request: it must parse with its proof
//    of possession (csr module codes), keep the current certificate's subject exactly
//    (holder/subject.hpp: subject_changed), use a new key (key_reused), and pass the
//    national uniqueness check (csr module: csr_already_processed, key_already_used);
//  * a revocation request encapsulates {"issuer", "serial", "reason"}: the certificate must
//    be held by trustmon, carry one of the holder's identifiers and not be revoked
//    already (already_revoked; a hold asked of a held certificate: already_held);
//  * the checks that need no write run on the caller's snapshot (check_*); filing is ONE
//    audited Writer job that finds the participant operating the issuer (no_provider),
//    refuses a second open request for the same certificate (renewal_pending,
//    request_pending), reserves a renewal's CSR for that participant (csr::CsrService::
//    reserve_in, for the CSR policy's longest TTL), allocates the number and stores the
//    record with its index entries. The event (renewal.requested, revocation.requested)
//    names the issuer and the participant, so it reaches that provider's watches of kind
//    `requests` (responder/watch). Refusals decided in the job are recorded too
//    (renewal.refused, revocation.request_refused), with the holder as actor;
//  * decisions belong to the participant operating the request's issuer or to the central
//    body (Reviewer); a renewal is accepted or rejected (a rejection releases the CSR
//    reservation), a revocation request rejected; the same decision twice changes nothing,
//    a closed request refuses others (renewal_closed, request_closed). Issuance and the
//    revocation itself close requests from the registry's own jobs (holder/ledger.hpp);
//  * who sees a request: a holder those filed with one of their identifiers, a QTSP those
//    for its issuers, the central body all (Viewer); anything else is *_not_found.
// The service must outlive every job it submitted (stop the Writer first).
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
#include "responder/csr/service.hpp"
#include "responder/holder/records.hpp"
#include "responder/pki/issuer_set.hpp"
#include "storage/audited.hpp"
#include "storage/lmdb.hpp"
#include "storage/pages.hpp"
#include "storage/writer.hpp"

namespace trustmon::holder {

// A signed request (CMS DER) is at most this large; its encapsulated document too.
inline constexpr std::size_t kMaxSignedRequestBytes = 256 * 1024;
inline constexpr std::size_t kMaxRevocationDocumentBytes = 4096;
inline constexpr std::size_t kMaxPageLimit = 500;
inline constexpr std::size_t kListScan = 20000;  // records a list page looks at, at most

// The holder acting, as the session names them.
struct HolderRef {
  Actor actor;  // actor.holder is set
  std::string name;
  std::vector<HolderIdentifier> identifiers;
};

// Who reviews providers' requests: the central body (every issuer) or a QTSP (its own).
struct Reviewer {
  Actor actor;
  bool central = false;
  std::vector<std::uint32_t> issuers;
  bool covers(std::uint32_t issuer) const;
};

// Who reads requests: a holder (those sharing an identifier) or a reviewer.
struct Viewer {
  std::vector<HolderIdentifier> identifiers;
  bool central = false;
  std::vector<std::uint32_t> issuers;
  bool sees(std::uint32_t issuer, const std::vector<HolderIdentifier>& filed) const;
};

// A renewal that passed the read-side checks, ready to be filed.
struct RenewalDraft {
  CertRef current;
  csr::ParsedCsr csr;
  Bytes signed_request;
};

struct RevocationDraft {
  CertRef target;
  int reason = 0;
  CertRef signer;
  Bytes signed_request;
};

template <typename T>
using Page = storage::Page<T>;

enum class Decide : std::uint8_t { accept, reject };

class RequestService {
 public:
  template <typename T>
  using Done = std::function<void(Result<T>)>;

  RequestService(storage::Writer& writer, const pki::IssuerSet& issuers, const csr::CsrService& csr,
                 const Clock& clock);
  RequestService(const RequestService&) = delete;
  RequestService& operator=(const RequestService&) = delete;

  // The read-side checks of a renewal, in `txn` (active). `details` receives what a client
  // can act on for a refusal (subject_changed: {position, attribute, requested}). Codes:
  // cms_malformed, signature_invalid, the check_signer codes, not_your_certificate,
  // csr_malformed, csr_signature_invalid, subject_changed (422), key_reused (409).
  Result<RenewalDraft> check_renewal(const storage::ReadTxn& txn, ByteView signed_request, const HolderRef& holder,
                                     nlohmann::json* details = nullptr) const;
  // Files it (one Writer job; `done` on the Writer thread after the commit). Refusals:
  // no_provider, renewal_pending, csr_already_processed, key_already_used (409).
  void file_renewal(RenewalDraft draft, HolderRef holder, Done<RenewalRecord> done);

  // The read-side checks of a revocation request. Codes: as a renewal's signature, then
  // document_invalid (400), issuer_not_found, certificate_not_found (404),
  // not_your_certificate (403), already_revoked, already_held (409).
  Result<RevocationDraft> check_revocation_request(const storage::ReadTxn& txn, ByteView signed_request,
                                                   const HolderRef& holder) const;
  // Refusals: no_provider, request_pending (409), already_revoked (revoked meanwhile).
  void file_revocation_request(RevocationDraft draft, HolderRef holder, Done<RevocationRequestRecord> done);

  // A provider's decision. Refusals: renewal_not_found (also when not the reviewer's),
  // renewal_closed (409), reason_too_long (400).
  void decide_renewal(RequestNumber number, Decide decision, std::string reason, Reviewer reviewer,
                      Done<RenewalRecord> done);
  void reject_revocation_request(RequestNumber number, std::string reason, Reviewer reviewer,
                                 Done<RevocationRequestRecord> done);

  // Read side, in an active transaction.
  static Result<std::optional<RenewalRecord>> renewal(const storage::ReadTxn& txn, RequestNumber number);
  static Result<std::optional<RevocationRequestRecord>> revocation_request(const storage::ReadTxn& txn,
                                                                           RequestNumber number);
  // Newest first, below `before` when given; at most `limit` items and kListScan records looked at.
  static Result<Page<RenewalRecord>> renewals(const storage::ReadTxn& txn, const Viewer& viewer,
                                              std::optional<RenewalState> state,
                                              std::optional<RequestNumber> before, std::size_t limit);
  static Result<Page<RevocationRequestRecord>> revocation_requests(const storage::ReadTxn& txn, const Viewer& viewer,
                                                                   std::optional<RevocationRequestState> state,
                                                                   std::optional<RequestNumber> before,
                                                                   std::size_t limit);

  UnixTime now() const noexcept { return clock_.now(); }
  const pki::IssuerSet& issuers() const noexcept { return issuers_; }

 private:
  storage::AuditedWrite audited_;
  const pki::IssuerSet& issuers_;
  const csr::CsrService& csr_;
  const Clock& clock_;
};

// The JSON of a certificate reference in events and answers: {"issuer" (name), "serial"
// (upper-case hex), "sha256"}.
nlohmann::json cert_json(const pki::IssuerSet& issuers, const CertRef& c);
nlohmann::json identifiers_json(const std::vector<HolderIdentifier>& ids);

}  // namespace trustmon::holder
