// JoiningService: applications to join trustmon, to grant representatives access and to
// block a representative's access, signed by the organisation's head (docs/joining.md is
// the contract).
//
// Policy:
//  * filing needs no account: the signature is the applicant's credential. check() runs on
//    the caller's snapshot: the CMS verifies (pki::verify_cms), the signer is good in
//    trustmon's index with a signing key usage (pki::check_signer, check_signing_usage), is
//    not from a test-bed CA unless the options allow it (untrusted_issuer), its CA is on the
//    trusted list trustmon keeps with an active status once there is one
//    (issuer_not_listed; tsl::entries_of), carries the
//    organisation's code (signer_not_of_organisation), the document is canonical and
//    complete (document.hpp), a QTSP's CA certificates are trustmon's issuers
//    (issuer_unknown) and the kinds fit the register (participant_exists,
//    participant_not_found, representative_not_found);
//  * file() is ONE audited Writer job (joining.filed, actor holder:<signer's identifier>)
//    that checks the register again, refuses a document filed before
//    (application_duplicate), more than kMaxPendingPerOrganisation pending for one code
//    (applications_pending) or kMaxPending in all (applications_busy), allocates the number
//    and stores the record with its index entries; the status secret is generated here,
//    returned once and kept only as its SHA-256;
//  * decide() is ONE audited Writer job by a central-body administrator: a rejection
//    (reason required) closes the application; an approval applies every step in the same
//    commit through access::steps — participant (+ issuers), representatives with their
//    identifier credentials (TINUA-<rnokpp>) and certificate bindings, or the block — each
//    step its own audit event with {"application": number}, then joining.approved. Any
//    refusal leaves the register and the application unchanged (still pending). The
//    signer's standing at approval is the caller's to check first (check_now);
//  * status() answers an application's number and secret (constant-time comparison of the
//    hashes); an unknown number and a wrong secret are the same application_not_found.
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
#include "responder/joining/document.hpp"
#include "responder/joining/records.hpp"
#include "responder/pki/issuer_set.hpp"
#include "storage/audited.hpp"
#include "storage/lmdb.hpp"
#include "storage/pages.hpp"
#include "storage/writer.hpp"

namespace trustmon::joining {

inline constexpr std::size_t kMaxSignedBytes = 256 * 1024;
inline constexpr std::size_t kMaxPendingPerOrganisation = 5;
inline constexpr std::size_t kMaxPending = 10000;
inline constexpr std::size_t kMaxPageLimit = 200;
inline constexpr std::size_t kListScan = 20000;

struct JoiningOptions {
  // Signers whose certificates a test-bed CA issued may file (demo and test installations).
  bool accept_test_issuers = false;
  // The trusted list trustmon keeps ([tl] name): once it has one, the signer's CA must be on
  // it with an active status (issuer_not_listed).
  std::string trusted_list = "ua";
};

// A filing that passed the read-side checks.
struct Checked {
  Document document;
  std::string document_text;
  Bytes signed_bytes;
  nlohmann::json signer;
  std::string filed_by;  // holder:<identifier>
  std::string address;
};

struct Filed {
  Application record;
  std::string secret;  // shown once
};

enum class Decision : std::uint8_t { approve, reject };

class JoiningService {
 public:
  template <typename T>
  using Done = std::function<void(Result<T>)>;

  JoiningService(storage::Writer& writer, const pki::IssuerSet& issuers, const Clock& clock, JoiningOptions options);
  JoiningService(const JoiningService&) = delete;
  JoiningService& operator=(const JoiningService&) = delete;

  Result<Checked> check(const storage::ReadTxn& txn, ByteView signed_bytes, std::string address) const;
  void file(Checked checked, Done<Filed> done);
  // The signer's standing now: {"ok": true} or {"ok": false, "code", "message"}.
  nlohmann::json check_now(const storage::ReadTxn& txn, const Application& a) const;
  // Refusals: application_not_found (404), application_closed (409), reason_required,
  // reason_too_long (400), and those of the register (docs/joining.md).
  void decide(Number number, Decision decision, std::string reason, Actor admin, Done<Application> done);

  static Result<std::optional<Application>> get(const storage::ReadTxn& txn, Number number);
  static Result<storage::Page<Application>> list(const storage::ReadTxn& txn, std::optional<State> state,
                                                 std::optional<Number> before, std::size_t limit);
  static Result<Application> status(const storage::ReadTxn& txn, std::string_view number, std::string_view secret);

  // The whole record (central body), with check_now when `txn` is given.
  nlohmann::json record_json(const Application& a, const storage::ReadTxn* txn) const;
  // What the applicant sees by number and secret.
  static nlohmann::json status_json(const Application& a);
  // The queue as CSV (number, state, filed, kinds, organisation, signer, decision, what was
  // created), free text guarded for spreadsheets.
  static std::string applications_csv(const std::vector<Application>& items);

  UnixTime now() const noexcept { return clock_.now(); }

 private:
  Result<std::vector<std::uint32_t>> issuer_ids(const Document& doc) const;
  // Where the signer's CA stands: the test bed's (when allowed), or its entry on the trusted
  // list ({"published": false} before there is one). Refusals: untrusted_issuer,
  // issuer_not_listed.
  Result<nlohmann::json> issuer_standing(const storage::ReadTxn& txn, const pki::Issuer& issuer) const;

  storage::AuditedWrite audited_;
  const pki::IssuerSet& issuers_;
  const Clock& clock_;
  JoiningOptions options_;
};

}  // namespace trustmon::joining
