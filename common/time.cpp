// RFC 3339 and HTTP date codecs built on std::chrono's calendar (year_month_day, sys_days),
// with no locale or time-zone state (timegm/gmtime_r are avoided for thread safety and speed).
#include "common/time.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace trustmon {
namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

constexpr std::array<const char*, 7> kWeekdays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b) < 0 ? 1 : 0); }

constexpr std::int64_t kDaysPerEra = 146097;  // 400 Gregorian years

}  // namespace

// std::chrono's calendar covers years -32767..32767; whole 400-year eras (146097 days,
// an exact cycle of the Gregorian calendar) are split off first so every int64 day count
// and year stays exact.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  const std::int64_t era = floor_div(y, 400);
  const auto ymd = std::chrono::year(static_cast<int>(y - era * 400)) / std::chrono::month(m) / std::chrono::day(d);
  return std::chrono::sys_days(ymd).time_since_epoch().count() + era * kDaysPerEra;
}

CivilDate civil_from_days(std::int64_t z) noexcept {
  const std::int64_t era = floor_div(z, kDaysPerEra);
  const std::chrono::year_month_day ymd{std::chrono::sys_days(std::chrono::days(z - era * kDaysPerEra))};
  return CivilDate{static_cast<int>(ymd.year()) + era * 400, static_cast<unsigned>(ymd.month()),
                   static_cast<unsigned>(ymd.day())};
}

std::string format_rfc3339(UnixTime t) {
  std::int64_t days = floor_div(t, 86400);
  std::int64_t secs = t - days * 86400;
  CivilDate c = civil_from_days(days);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(c.year), c.month, c.day,
                static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60));
  return buf;
}

std::optional<UnixTime> parse_rfc3339(std::string_view s) {
  int y, mo, d, h, mi, se;
  if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, h) ||
      s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  std::int64_t offset = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, om))
      return std::nullopt;
    if (oh > 23 || om > 59) return std::nullopt;
    offset = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  CivilDate back = civil_from_days(days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)));
  if (back.month != static_cast<unsigned>(mo) || back.day != static_cast<unsigned>(d)) return std::nullopt;  // 31 Feb
  std::int64_t t = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
                   mi * 60 + (se == 60 ? 59 : se);
  return t - offset;
}

void format_http_date_to(UnixTime t, char (&out)[kHttpDateLength + 1]) noexcept {
  std::int64_t days = floor_div(t, 86400);
  std::int64_t secs = t - days * 86400;
  CivilDate c = civil_from_days(days);
  std::int64_t year = c.year < 0 ? 0 : c.year > 9999 ? 9999 : c.year;
  auto put2 = [](char* p, std::int64_t v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
  };
  std::memcpy(out, kWeekdays[std::chrono::weekday(std::chrono::sys_days(std::chrono::days(days))).c_encoding()], 3);
  out[3] = ',';
  out[4] = ' ';
  put2(out + 5, c.day);
  out[7] = ' ';
  std::memcpy(out + 8, kMonths[c.month - 1], 3);
  out[11] = ' ';
  put2(out + 12, year / 100);
  put2(out + 14, year % 100);
  out[16] = ' ';
  put2(out + 17, secs / 3600);
  out[19] = ':';
  put2(out + 20, secs / 60 % 60);
  out[22] = ':';
  put2(out + 23, secs % 60);
  std::memcpy(out + 25, " GMT", 5);  // with the terminating NUL
}

std::string format_http_date(UnixTime t) {
  char buf[kHttpDateLength + 1];
  format_http_date_to(t, buf);
  return std::string(buf, kHttpDateLength);
}

std::optional<UnixTime> parse_http_date(std::string_view s) {
  // IMF-fixdate only: "Sun, 06 Nov 1994 08:49:37 GMT" (29 chars).
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT")
    return std::nullopt;
  int d, y, h, mi, se;
  if (!digits(s, 5, 2, d) || !digits(s, 12, 4, y) || !digits(s, 17, 2, h) || !digits(s, 20, 2, mi) ||
      !digits(s, 23, 2, se))
    return std::nullopt;
  unsigned m = 0;
  for (unsigned i = 0; i < 12; ++i)
    if (s.substr(8, 3) == kMonths[i]) m = i + 1;
  if (m == 0 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  return days_from_civil(y, m, static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 + se;
}

std::optional<UnixTime> parse_duration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::int64_t v = 0;
  std::size_t i = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    v = v * 10 + (s[i] - '0');
    if (v > (std::int64_t{1} << 40)) return std::nullopt;
  }
  if (i == 0) return std::nullopt;
  std::string_view unit = s.substr(i);
  if (unit.empty() || unit == "s") return v;
  if (unit == "m") return v * 60;
  if (unit == "h") return v * 3600;
  if (unit == "d") return v * 86400;
  return std::nullopt;
}

}  // namespace trustmon
