#include <array>

#include "common/result.hpp"

namespace trustmon {

const char* error_kind_name(ErrorKind kind) noexcept {
  static constexpr std::array<const char*, 12> kNames = {
      "invalid",      "unauthenticated", "forbidden", "not_found",   "conflict", "too_large",
      "unsupported",  "unprocessable",   "rate_limited", "unavailable", "storage", "internal"};
  const auto i = static_cast<std::size_t>(kind);
  return i < kNames.size() ? kNames[i] : "internal";
}

}  // namespace trustmon

namespace trustmon {

ErrorKind infer_error_kind(std::string_view c) noexcept {
  auto in = [c](std::initializer_list<std::string_view> list) {
    for (std::string_view x : list)
      if (x == c) return true;
    return false;
  };
  if (in({"shutting_down", "storage_unavailable", "storage_map_full", "storage_readers_full",
          "tl_signer_not_configured"}))
    return ErrorKind::unavailable;
  if (c.starts_with("storage_")) return ErrorKind::storage;
  if (in({"internal_error", "tl_sign_failed", "tl_bundle_failed", "tl_key_unavailable"})) return ErrorKind::internal;
  if (c.ends_with("_not_found")) return ErrorKind::not_found;
  if (in({"participant_code_taken", "certificate_already_bound", "issuer_already_operated", "tl_notice_not_pending",
          "tl_publish_conflict", "watch_limit_reached", "application_transition_invalid", "csr_already_processed",
          "key_already_used", "csr_duplicate_in_batch", "reservation_expired", "reservation_released",
          "reservation_already_committed"}))
    return ErrorKind::conflict;
  if (in({"tl_notice_forbidden", "reservation_not_yours", "issuer_not_operated"})) return ErrorKind::forbidden;
  if (c == "tl_check_failed") return ErrorKind::unprocessable;
  if (c == "unsupported_media_type") return ErrorKind::unsupported;
  if (c == "batch_too_large") return ErrorKind::too_large;
  if (c == "rate_limited") return ErrorKind::rate_limited;
  return ErrorKind::invalid;
}

}  // namespace trustmon
