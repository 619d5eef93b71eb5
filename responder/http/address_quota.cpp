#include "responder/http/address_quota.hpp"

#include <algorithm>

namespace trustmon::http {

std::optional<UnixTime> AddressQuota::take(std::string_view address, UnixTime now) {
  std::lock_guard lock(mu_);
  auto it = windows_.find(std::string(address));
  if (it == windows_.end()) {
    if (windows_.size() >= max_addresses_)
      std::erase_if(windows_, [&](const auto& kv) { return kv.second.start + window_ <= now; });
    if (windows_.size() >= max_addresses_) return window_;
    it = windows_.emplace(std::string(address), Window{now, 0}).first;
  }
  Window& w = it->second;
  if (w.start + window_ <= now) w = Window{now, 0};
  if (w.used >= limit_) return std::max<UnixTime>(1, w.start + window_ - now);
  ++w.used;
  return std::nullopt;
}

}  // namespace trustmon::http
