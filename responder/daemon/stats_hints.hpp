// The key storage the trusted list states for each of our issuers' services, as the
// statistics' default for certificates without a QcSSCD statement (stats/counting.hpp).
// A service is an issuer's when one of its digital identities is the issuer's CA
// certificate or its subject key identifier. Its qualifiers (the Qualifications
// extension, TS 119 612 5.5.9.2, URIs under .../SvcInfoExt/) decide: QCQSCDManagedOnBehalf
// says qscd_remote, QCWithQSCD or QCWithSSCD qscd, QCNoQSCD or QCNoSSCD no_qscd. A service
// stating more than one of these (they then apply to certificates chosen by criteria the
// certificate alone does not tell) or none gives unknown.
#pragma once

#include <map>

#include "responder/pki/issuer_set.hpp"
#include "responder/stats/codes.hpp"
#include "tsl/model.hpp"

namespace trustmon::daemon {

std::map<storage::IssuerId, stats::Storage> storage_hints(const tsl::TrustedList& list, const pki::IssuerSet& issuers);

}  // namespace trustmon::daemon
