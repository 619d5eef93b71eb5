// Certificate search over the attribute index: the read side of the registry, for
// GET /api/v1/certificates?... and GET /api/v1/certificates/{sha256}.
//
// Search plan (one read transaction, no locks beyond the caller's ReadScope):
//  1. candidates, in cert-key order (issuer id, serial length, serial):
//     - an indexed attribute (spki_sha256 and sha256 included): the DUPSORT values of
//       its attr_index key (index_key in attributes.hpp), merged across the epochs
//       (attr_index.hpp IndexWalk); issuer_serial: the one certs key;
//     - no attribute: the certs table (only the issuer's range when an issuer is given);
//     - with an issuer filter, the walk starts at that issuer's first key
//       (MDB_GET_BOTH_RANGE / MDB_SET_RANGE) and stops after its last;
//  2. each candidate's certs record is read and the filters applied (status at `at`,
//     notBefore range); records without a certificate (a revocation of a serial never
//     ingested) are not results;
//  3. a result's subject and issuer DN come from its DER (cert_der), parsed only for
//     the records returned.
// Pagination: the cursor is opaque (base64url of a version octet and the last cert key
// looked at); the next page resumes strictly after that key, so pages are stable while
// certificates are added (a new certificate appears on a later page if its key sorts
// after the cursor) and never repeat or skip a certificate. One call looks at no more
// than kMaxScan candidates: when the filters reject that many, the page may hold fewer
// than `limit` results (even none) with a next_cursor to continue from.
// Status at time T: revoked if revoked at or before T; else expired if notAfter < T;
// else not_yet_valid if T < notBefore; else valid.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"
#include "responder/pki/issuer_set.hpp"
#include "responder/registry/attributes.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::registry {

enum class StatusFilter { any, valid, revoked, expired, not_yet_valid };
// "any", "valid", "revoked", "expired", "not_yet_valid"; nullopt for anything else.
std::optional<StatusFilter> status_filter_from_name(std::string_view name);

inline constexpr std::size_t kDefaultSearchLimit = 100;
inline constexpr std::size_t kMaxSearchLimit = 1000;
inline constexpr std::size_t kMaxScan = 20000;

struct SearchQuery {
  std::optional<Attribute> attribute;   // parse_attribute_query; none = list
  std::optional<std::string> issuer;    // issuer name as configured
  StatusFilter status = StatusFilter::any;
  UnixTime at = 0;                      // the time statuses are computed for; 0 = now
  std::optional<UnixTime> issued_after;   // notBefore >= issued_after
  std::optional<UnixTime> issued_before;  // notBefore < issued_before
  std::string cursor;                   // from a previous page; empty = first page
  std::size_t limit = kDefaultSearchLimit;  // 1..kMaxSearchLimit (0 = default)
};

struct CertificateSummary {
  std::string subject;     // RFC 2253 order and escaping, UTF-8 kept
  std::string common_name; // the subject's first commonName, UTF-8 ("" when none)
  std::string issuer;      // issuer name as configured
  std::string issuer_dn;   // the certificate's issuer DN, same form as subject
  std::string serial_hex;  // upper-case hex
  std::string sha256_hex;  // lower-case hex
  UnixTime not_before = 0;
  UnixTime not_after = 0;
  const char* status = "valid";  // at the query's time: valid, revoked, expired, not_yet_valid
  bool revoked = false;          // revoked at any time (revocation fields below are set)
  UnixTime revocation_time = 0;
  int reason = -1;               // storage::kNoReason when absent
  UnixTime invalidity_date = 0;  // 0 = absent
  std::uint32_t participant = 0;
  bool signature_checked = true;
  std::string matched;     // "cn=..." (the attribute that matched), empty for a listing
  // The holder's identifiers, as indexed (kind name -> value, first of each kind):
  // serial_number (TINUA-…), organization_identifier (NTRUA-…), drfo, edrpou, unzr.
  std::vector<std::pair<std::string, std::string>> identifiers;
};

struct SearchPage {
  std::vector<CertificateSummary> items;
  std::string next_cursor;  // empty: no more results
};

struct CertificateDetail {
  CertificateSummary summary;
  Bytes der;
  Bytes cert_key;  // its certs key (issuer id, serial): where its status and history are
};

// Stable JSON for one result: {"subject","issuer","issuer_dn","serial","sha256",
// "not_before","not_after" (RFC 3339),"status","revocation":{"time","reason",
// "invalidity_date"}|null,"participant","signature_checked","matched","identifiers":{kind: value}}.
nlohmann::json to_json(const CertificateSummary& s);

class CertificateSearch {
 public:
  // `issuers` and `clock` must outlive the search. Thread-safe (const).
  CertificateSearch(const pki::IssuerSet& issuers, const Clock& clock);

  // `txn` must be active (inside a ReadScope). Errors: query_invalid (bad cursor,
  // limit, unknown issuer, a query-only kind misused), storage errors.
  Result<SearchPage> search(const storage::ReadTxn& txn, const SearchQuery& query) const;

  // The certificate with this SHA-256 (record summary as of now, plus its DER); nullopt
  // when not held.
  Result<std::optional<CertificateDetail>> get_by_sha256(const storage::ReadTxn& txn, const Sha256& sha) const;

 private:
  Result<std::optional<CertificateSummary>> summarise(const storage::ReadTxn& txn, ByteView cert_key,
                                                      ByteView record_value, const SearchQuery& query,
                                                      UnixTime at, Bytes* der_out) const;

  const pki::IssuerSet& issuers_;
  const Clock& clock_;
};

}  // namespace trustmon::registry
