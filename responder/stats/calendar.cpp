// Local days of the statistics' zone, on Howard Hinnant's date library (tz.h with the
// system tz database), and the SDMX period labels.
#include "responder/stats/calendar.hpp"

#include <charconv>
#include <date/date.h>
#include <date/tz.h>

namespace trustmon::stats {
namespace {

date::year_month_day ymd_of(Day d) { return date::year_month_day{date::sys_days{date::days{d}}}; }
Day day_from(date::year_month_day ymd) { return static_cast<Day>(date::sys_days{ymd}.time_since_epoch().count()); }

Error bad_period(std::string_view text) {
  return make_error(ErrorKind::invalid, "period_invalid",
                    "\"" + std::string(text) + "\" is not a period (YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY)");
}

bool digits(std::string_view s, int& out) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string pad(int v, int width) {
  std::string s = std::to_string(v);
  if (static_cast<int>(s.size()) < width) s.insert(0, static_cast<std::size_t>(width) - s.size(), '0');
  return s;
}

}  // namespace

std::string_view freq_name(Freq f) {
  switch (f) {
    case Freq::day: return "day";
    case Freq::month: return "month";
    case Freq::quarter: return "quarter";
    case Freq::year: return "year";
  }
  return "day";
}

char freq_sdmx(Freq f) {
  switch (f) {
    case Freq::day: return 'D';
    case Freq::month: return 'M';
    case Freq::quarter: return 'Q';
    case Freq::year: return 'A';
  }
  return 'D';
}

Result<Freq> parse_freq(std::string_view name) {
  if (name == "day" || name == "D") return Freq::day;
  if (name == "month" || name == "M") return Freq::month;
  if (name == "quarter" || name == "Q") return Freq::quarter;
  if (name == "year" || name == "A") return Freq::year;
  return make_error(ErrorKind::invalid, "freq_invalid",
                    "freq must be day, month, quarter or year (or D, M, Q, A)");
}

Period period_containing(Freq f, Day d) {
  const auto ymd = ymd_of(d);
  const date::year y = ymd.year();
  const unsigned m = static_cast<unsigned>(ymd.month());
  switch (f) {
    case Freq::day: return {f, d, d + 1};
    case Freq::month: {
      const date::year_month_day first{y, ymd.month(), date::day{1}};
      const date::year_month_day next = first + date::months{1};
      return {f, day_from(first), day_from(next)};
    }
    case Freq::quarter: {
      const unsigned qm = (m - 1) / 3 * 3 + 1;
      const date::year_month_day first{y, date::month{qm}, date::day{1}};
      return {f, day_from(first), day_from(first + date::months{3})};
    }
    case Freq::year: {
      const date::year_month_day first{y, date::January, date::day{1}};
      return {f, day_from(first), day_from(first + date::years{1})};
    }
  }
  return {f, d, d + 1};
}

Period next_period(const Period& p) { return period_containing(p.freq, p.end); }

bool is_first_of(Freq f, Day d) { return period_containing(f, d).first == d; }

std::string date_text(Day d) {
  const auto ymd = ymd_of(d);
  return pad(static_cast<int>(ymd.year()), 4) + "-" + pad(static_cast<int>(static_cast<unsigned>(ymd.month())), 2) +
         "-" + pad(static_cast<int>(static_cast<unsigned>(ymd.day())), 2);
}

Result<Day> parse_date(std::string_view text) {
  int y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !digits(text.substr(0, 4), y) ||
      !digits(text.substr(5, 2), m) || !digits(text.substr(8, 2), d))
    return make_error(ErrorKind::invalid, "date_invalid", "\"" + std::string(text) + "\" is not a date (YYYY-MM-DD)");
  const date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(m)},
                                 date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || y < 1970)
    return make_error(ErrorKind::invalid, "date_invalid", "\"" + std::string(text) + "\" is not a date");
  return day_from(ymd);
}

std::string period_label(const Period& p) {
  const auto ymd = ymd_of(p.first);
  const std::string year = pad(static_cast<int>(ymd.year()), 4);
  const unsigned m = static_cast<unsigned>(ymd.month());
  switch (p.freq) {
    case Freq::day: return date_text(p.first);
    case Freq::month: return year + "-" + pad(static_cast<int>(m), 2);
    case Freq::quarter: return year + "-Q" + std::to_string((m - 1) / 3 + 1);
    case Freq::year: return year;
  }
  return date_text(p.first);
}

Result<Period> parse_period_label(std::string_view label) {
  int y = 0;
  if (label.size() < 4 || !digits(label.substr(0, 4), y) || y < 1970) return bad_period(label);
  const date::year year{y};
  if (label.size() == 4) return period_containing(Freq::year, day_from({year, date::January, date::day{1}}));
  if (label.size() == 7 && label[4] == '-' && label[5] == 'Q') {
    int q = 0;
    if (!digits(label.substr(6, 1), q) || q < 1 || q > 4) return bad_period(label);
    return period_containing(Freq::quarter,
                             day_from({year, date::month{static_cast<unsigned>(q * 3 - 2)}, date::day{1}}));
  }
  if (label.size() == 7 && label[4] == '-') {
    int m = 0;
    if (!digits(label.substr(5, 2), m) || m < 1 || m > 12) return bad_period(label);
    return period_containing(Freq::month, day_from({year, date::month{static_cast<unsigned>(m)}, date::day{1}}));
  }
  if (label.size() == 10) {
    auto d = parse_date(label);
    if (!d) return bad_period(label);
    return period_containing(Freq::day, *d);
  }
  return bad_period(label);
}

Result<Calendar> Calendar::load(const std::string& zone) {
  try {
    const date::time_zone* tz = date::locate_zone(zone);
    return Calendar(tz, zone);
  } catch (const std::exception& e) {
    return make_error(ErrorKind::invalid, "unknown_time_zone",
                      "time zone \"" + zone + "\" is not in the system tz database: " + e.what());
  }
}

Day Calendar::day_of(UnixTime t) const {
  const date::sys_seconds s{std::chrono::seconds{t}};
  const auto local = tz_->to_local(s);
  return static_cast<Day>(date::floor<date::days>(local).time_since_epoch().count());
}

UnixTime Calendar::start_of(Day d) const {
  const date::local_seconds midnight{date::local_days{date::days{d}}};
  // A midnight skipped by a transition starts the day at the transition (earliest).
  const auto info = tz_->get_info(midnight);
  date::sys_seconds s;
  switch (info.result) {
    case date::local_info::unique: s = date::sys_seconds{midnight.time_since_epoch() - info.first.offset}; break;
    case date::local_info::ambiguous: s = date::sys_seconds{midnight.time_since_epoch() - info.first.offset}; break;
    case date::local_info::nonexistent: s = info.second.begin; break;
  }
  return static_cast<UnixTime>(s.time_since_epoch().count());
}

}  // namespace trustmon::stats
