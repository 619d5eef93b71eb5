// Text forms of time: RFC 3339 (API, config, CLI) and IMF-fixdate (HTTP headers).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"

namespace trustmon {

std::string format_rfc3339(UnixTime t);                       // 2026-11-21T05:29:37Z
std::optional<UnixTime> parse_rfc3339(std::string_view text);  // Z or ±hh:mm offsets, optional fraction (dropped)
std::string format_http_date(UnixTime t);                     // Sat, 21 Nov 2026 05:29:37 GMT
std::optional<UnixTime> parse_http_date(std::string_view text);
std::optional<UnixTime> parse_duration(std::string_view text);  // "90s", "15m", "12h", "7d", or plain seconds

}  // namespace trustmon
