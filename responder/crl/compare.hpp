// Comparing a complete CRL with trustmon's own status data: the entries of one CRL (read
// with registry::read_crl) against the `certs` records of its issuer in one LMDB read
// snapshot. The result (registry/crl_check.hpp) feeds the crl.discrepancy event of an
// upload, GET /api/v1/crls/{issuer}/check and `trustmonctl crl check`.
//
// The categories, for a CRL with thisUpdate T (a serial is in at most one of them):
//  * missing_from_crl: a record here is revoked (certificateHold included) with a
//    revocation time <= T, its certificate not expired at T (notAfter >= T, or no notAfter
//    known: a serial never ingested), and the CRL does not list the serial. This is the
//    rule trustmon's own complete CRLs are built by (publisher.hpp; with
//    expired_certs_on_crl they list expired entries too, which is no difference), so a
//    CRL built here has none;
//  * unknown_here: the CRL lists the serial but no certificate with it was ever ingested
//    here: there is no record, or only a bare status record (has_der false: a revocation
//    or CRL entry for a serial whose certificate never arrived; such a record has no DER,
//    no validity and no hash). Since an upload stores its entries first, every serial it
//    lists has at least a bare record by the time its comparison runs;
//  * good_here: the CRL lists the serial and an ingested certificate with it is good here
//    (never revoked, or its hold released);
//  * reason_differs: the CRL lists the serial, an ingested certificate with it is revoked
//    here, and the reasons differ. No reasonCode and unspecified (0) are the same reason
//    (RFC 5280 5.3.1 wants unspecified written as an absent reasonCode); a hold here
//    against a permanent reason on the CRL, or the reverse, differs;
//  * revoked_after (informative, not a discrepancy): revoked here with a revocation time
//    after T, not expired at T, and not listed: a CRL made before the revocation rightly
//    lacks it.
// Revocation times, invalidity dates and expired entries the CRL still lists are not
// compared. Entries the reader refused (unreadable serial, date or reason) and repeats of
// a serial already seen are counted in `skipped` and compared no further. `agrees` means
// the first four categories are empty.
//
// Cost: the CRL's serials are sorted once (key order: length, then bytes) and merged with
// one cursor walk over the issuer's records, so the work is linear in the records plus
// n log n in the entries, with no lookup per entry; only the capped lists are copied out.
#pragma once

#include <vector>

#include "responder/registry/crl_check.hpp"
#include "responder/registry/crl_reader.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::crl {

// Compares in the caller's snapshot (an active ReadTxn). Errors: storage faults.
Result<registry::CrlComparison> compare_crl(const storage::ReadTxn& txn, storage::IssuerId issuer,
                                            UnixTime this_update,
                                            const std::vector<registry::CrlEntry>& entries);

// registry::CrlChecker over an environment: each compare() opens its own snapshot.
class StatusComparer final : public registry::CrlChecker {
 public:
  explicit StatusComparer(storage::Env& env) : env_(env) {}
  Result<registry::CrlComparison> compare(storage::IssuerId issuer, UnixTime this_update,
                                          const std::vector<registry::CrlEntry>& entries) const override;

 private:
  storage::Env& env_;
};

}  // namespace trustmon::crl
