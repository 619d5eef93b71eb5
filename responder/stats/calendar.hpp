// Days and periods in the statistics' time zone (`[stats] time_zone`, default
// Europe/Kyiv). A figure "for a day" counts what happened between two local midnights
// of that zone, so a certificate whose notBefore is 23:30 UTC on 31 October counts in
// November in Kyiv. The zone rules come from the system tz database through Howard
// Hinnant's date library (Debian's libhowardhinnant-date-dev, USE_OS_TZDB).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/time.hpp"

namespace date {
class time_zone;
}

namespace trustmon::stats {

// A local calendar date as days since 1970-01-01 (proleptic Gregorian).
using Day = std::int32_t;

enum class Freq : std::uint8_t { day, month, quarter, year };
std::string_view freq_name(Freq f);                     // "day", "month", "quarter", "year"
Result<Freq> parse_freq(std::string_view name);          // those, or SDMX "D", "M", "Q", "A"
char freq_sdmx(Freq f);                                  // 'D', 'M', 'Q', 'A'

// A period: [first, end) in days, aligned to its frequency.
struct Period {
  Freq freq = Freq::day;
  Day first = 0;
  Day end = 0;
  bool operator==(const Period&) const = default;
};
Period period_containing(Freq f, Day d);
Period next_period(const Period& p);
// "2026-11-05", "2026-11", "2026-Q4", "2026" (SDMX TIME_PERIOD forms).
std::string period_label(const Period& p);
// Parses any of those labels (the frequency follows from the form).
Result<Period> parse_period_label(std::string_view label);

// "YYYY-MM-DD" <-> Day.
std::string date_text(Day d);
Result<Day> parse_date(std::string_view text);
bool is_first_of(Freq f, Day d);  // d starts a period of f

class Calendar {
 public:
  // `zone`: an IANA name ("Europe/Kyiv", "UTC"); unknown_time_zone when the tz database
  // does not have it.
  static Result<Calendar> load(const std::string& zone);

  Day day_of(UnixTime t) const;        // the local date at t
  UnixTime start_of(Day d) const;      // the Unix time of the local midnight that starts d
  const std::string& zone() const { return name_; }

 private:
  Calendar(const date::time_zone* tz, std::string name) : tz_(tz), name_(std::move(name)) {}
  const date::time_zone* tz_;
  std::string name_;
};

}  // namespace trustmon::stats
