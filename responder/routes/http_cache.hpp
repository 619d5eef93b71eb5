// Conditional GET for the static-like answers (OCSP GET, CRLs): strong ETags written
// without allocation and the If-None-Match comparison (RFC 9110 §13.1.2).
#pragma once

#include <array>
#include <string_view>

#include "common/bytes.hpp"

namespace trustmon::routes {

// A strong ETag ("\"<hex>\"") of at most the last 16 octets of `source`, written into `out`.
inline constexpr std::size_t kEtagMax = 2 + 2 * 16;
std::string_view format_etag(ByteView source, std::array<char, kEtagMax>& out) noexcept;

// Whether an If-None-Match header (one or more entity tags, or *) matches `etag`; weak
// tags compare equal for a GET (weak comparison).
bool etag_matches(std::string_view header, std::string_view etag);

}  // namespace trustmon::routes
