// What the registry needs to keep the cube in its Writer jobs: the calendar, the rules,
// and the key storage the trusted list states per issuer (a certificate without QcSSCD
// takes its issuer's; the daemon refreshes it whenever a list is published or imported).
// Shared by every preparation thread and the Writer; thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "responder/pki/cert_view.hpp"
#include "responder/stats/anomaly.hpp"
#include "responder/stats/cube.hpp"
#include "responder/stats/profile.hpp"
#include "storage/records.hpp"

namespace trustmon::stats {

class Counting {
 public:
  explicit Counting(Calendar cal, AnomalyOptions anomaly = {})
      : cal_(std::move(cal)), rules_(cal_), anomaly_(anomaly) {}

  const Calendar& calendar() const { return cal_; }
  const Transition& rules() const { return rules_; }
  // Issuers whose certificates are never counted (the test bed's); set before the first use.
  void exclude_issuers(std::vector<storage::IssuerId> issuers) { rules_.exclude(std::move(issuers)); }
  const AnomalyOptions& anomaly() const { return anomaly_; }

  // The profile a certificate of `issuer` gets at ingest.
  Profile profile(const pki::CertParts& parts, storage::IssuerId issuer) const;
  void set_issuer_storage(std::map<storage::IssuerId, Storage> by_issuer);
  Storage issuer_storage(storage::IssuerId issuer) const;

 private:
  Calendar cal_;
  Transition rules_;
  AnomalyOptions anomaly_;
  mutable std::mutex mu_;
  std::shared_ptr<const std::map<storage::IssuerId, Storage>> storage_by_issuer_ =
      std::make_shared<const std::map<storage::IssuerId, Storage>>();
};

// The facts of a stored record; `profile` when the record carries none (read from its
// DER by the caller, who has the DER store).
CertFacts facts_of(storage::IssuerId issuer, const storage::CertRecord& record, Profile der_profile = {});

}  // namespace trustmon::stats
