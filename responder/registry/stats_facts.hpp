// The statistics' facts of a stored certificate record (stats/counting.hpp), with the
// profile read from the DER for a record stored before records carried one.
#pragma once

#include "responder/pki/cert_view.hpp"
#include "responder/registry/der_store.hpp"
#include "responder/stats/counting.hpp"

namespace trustmon::registry {

template <class Txn>
Result<stats::CertFacts> stats_facts(const Txn& txn, const stats::Counting& counting, storage::IssuerId issuer,
                                     const storage::CertRecord& record) {
  stats::Profile profile;
  if (!record.stats_profile && record.has_der) {
    auto der = stored_der(txn, record);
    if (!der) return std::move(der).error();
    if (*der) {
      if (auto parts = pki::parse_cert_parts(**der)) profile = counting.profile(*parts, issuer);
    }
  }
  return stats::facts_of(issuer, record, profile);
}

}  // namespace trustmon::registry
