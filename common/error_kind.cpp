#include <array>

#include "common/result.hpp"

namespace trustmon {

const char* error_kind_name(ErrorKind kind) noexcept {
  static constexpr std::array<const char*, 13> kNames = {
      "invalid",      "unauthenticated", "forbidden",    "not_found",   "conflict", "too_large", "unsupported",
      "unprocessable", "rate_limited",   "unavailable", "storage",     "internal", "gone"};
  const auto i = static_cast<std::size_t>(kind);
  return i < kNames.size() ? kNames[i] : "internal";
}

}  // namespace trustmon

