// Text forms of time: RFC 3339 (API, config, CLI) and IMF-fixdate (HTTP headers).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"

namespace trustmon {

// Proleptic Gregorian calendar arithmetic over std::chrono::year_month_day / sys_days,
// exact for any int64 day count, with no time-zone or locale state. A day past the end of
// its month counts on into the next (31 Feb = 3 Mar), as sys_days does; month is 1..12.
struct CivilDate {
  std::int64_t year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) noexcept;  // days since 1970-01-01
CivilDate civil_from_days(std::int64_t days) noexcept;

std::string format_rfc3339(UnixTime t);                       // 2026-11-21T05:29:37Z
std::optional<UnixTime> parse_rfc3339(std::string_view text);  // Z or ±hh:mm offsets, optional fraction (dropped)
std::string format_http_date(UnixTime t);                     // Sat, 21 Nov 2026 05:29:37 GMT
// The same into a caller's buffer, no allocation (hot path); years outside 0..9999 clamp.
inline constexpr std::size_t kHttpDateLength = 29;
void format_http_date_to(UnixTime t, char (&out)[kHttpDateLength + 1]) noexcept;
std::optional<UnixTime> parse_http_date(std::string_view text);
std::optional<UnixTime> parse_duration(std::string_view text);  // "90s", "15m", "12h", "7d", or plain seconds

}  // namespace trustmon
