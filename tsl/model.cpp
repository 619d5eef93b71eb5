// See model.hpp.
#include "tsl/model.hpp"

namespace trustmon::tsl {

std::size_t service_count(const TrustedList& list) {
  std::size_t n = 0;
  for (const auto& p : list.providers) n += p.services.size();
  return n;
}

}  // namespace trustmon::tsl
