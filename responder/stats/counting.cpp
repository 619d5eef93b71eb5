// The registry's view of the statistics (counting.hpp).
#include "responder/stats/counting.hpp"

namespace trustmon::stats {

Profile Counting::profile(const pki::CertParts& parts, storage::IssuerId issuer) const {
  return derive_profile(parts, issuer_storage(issuer));
}

void Counting::set_issuer_storage(std::map<storage::IssuerId, Storage> by_issuer) {
  auto next = std::make_shared<const std::map<storage::IssuerId, Storage>>(std::move(by_issuer));
  std::lock_guard lock(mu_);
  storage_by_issuer_ = std::move(next);
}

Storage Counting::issuer_storage(storage::IssuerId issuer) const {
  std::shared_ptr<const std::map<storage::IssuerId, Storage>> map;
  {
    std::lock_guard lock(mu_);
    map = storage_by_issuer_;
  }
  const auto it = map->find(issuer);
  return it == map->end() ? Storage::unknown : it->second;
}

CertFacts facts_of(storage::IssuerId issuer, const storage::CertRecord& record, Profile der_profile) {
  CertFacts f;
  f.issuer = issuer;
  f.known = record.has_der;
  f.not_before = record.not_before;
  f.not_after = record.not_after;
  f.profile = record.stats_profile ? Profile::unpack(*record.stats_profile) : der_profile;
  f.status = record.status;
  f.revocation_time = record.revocation_time;
  f.reason = record.reason;
  return f;
}

}  // namespace trustmon::stats
