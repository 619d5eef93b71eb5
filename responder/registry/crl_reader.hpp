// Reading an uploaded CRL (DER, or the first PEM "X509 CRL" block): the CRL itself, for
// pki::IssuerSet::issuer_of, and its entries as revocations. Nothing here knows issuers
// or storage; the registry (revocation.cpp) finds the issuer, checks the actor and stores.
//
// Policy: a whole upload that is not one CRL is crl_malformed (trailing bytes included).
// Each entry is read on its own: an entry whose serial is not positive or longer than 32
// octets is serial_invalid, whose date is unreadable or more than `max_skew` after `now`
// is time_invalid, whose reason is removeFromCRL (a delta-CRL instruction, not a
// revocation) or malformed is reason_invalid, and whose invalidity date is unreadable or
// after the revocation is time_invalid; the other entries stand. Unknown reason codes are
// stored as "no reason". The CRL number, delta indicator and update times are read for
// publication (storage/crls.hpp); the registry decides what a missing one means.
#pragma once

#include <optional>
#include <vector>

#include "common/bytes.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"
#include "common/time.hpp"
#include "storage/records.hpp"

namespace trustmon::registry {

struct CrlEntry {
  Bytes serial;  // big-endian magnitude
  UnixTime time = 0;
  int reason = storage::kNoReason;
  UnixTime invalidity_date = 0;  // 0 = none
  std::optional<Error> error;  // the entry is refused alone
};

struct CrlUpload {
  X509CrlPtr crl;
  Bytes der;                      // the CRL's DER (a PEM upload decoded)
  std::optional<Bytes> number;    // cRLNumber (big-endian magnitude), when present and not negative
  bool delta = false;             // carries a Delta CRL Indicator
  UnixTime this_update = 0;
  UnixTime next_update = 0;       // 0: none
  std::vector<CrlEntry> entries;  // in CRL order
};

// Errors: crl_malformed.
Result<CrlUpload> read_crl(const Bytes& input, UnixTime now, UnixTime max_skew);

}  // namespace trustmon::registry
