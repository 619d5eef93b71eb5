// Local days in the statistics' zone and the SDMX period labels.
#include <gtest/gtest.h>

#include "common/time.hpp"
#include "responder/stats/calendar.hpp"

namespace trustmon::stats {
namespace {

UnixTime at(const char* rfc3339) { return *parse_rfc3339(rfc3339); }

TEST(Calendar, KyivCountsLateEveningUtcInTheNextLocalDay) {
  auto kyiv = Calendar::load("Europe/Kyiv");
  ASSERT_TRUE(kyiv.ok()) << kyiv.error().message;
  // 23:30 UTC on the last day of October is 01:30 (EET, +02) on 1 November in Kyiv.
  const Day d = kyiv->day_of(at("2026-10-31T23:30:00Z"));
  EXPECT_EQ(date_text(d), "2026-11-01");
  EXPECT_EQ(period_label(period_containing(Freq::month, d)), "2026-11");
  // In summer (EEST, +03) the day starts at 21:00 UTC.
  EXPECT_EQ(date_text(kyiv->day_of(at("2026-07-31T20:59:59Z"))), "2026-07-31");
  EXPECT_EQ(date_text(kyiv->day_of(at("2026-07-31T21:00:00Z"))), "2026-08-01");
  EXPECT_EQ(kyiv->start_of(*parse_date("2026-08-01")), at("2026-07-31T21:00:00Z"));
  EXPECT_EQ(kyiv->start_of(*parse_date("2026-11-01")), at("2026-10-31T22:00:00Z"));
  auto utc = Calendar::load("UTC");
  ASSERT_TRUE(utc.ok());
  EXPECT_EQ(date_text(utc->day_of(at("2026-10-31T23:30:00Z"))), "2026-10-31");
}

TEST(Calendar, UnknownZoneIsRefused) {
  auto cal = Calendar::load("Mars/Olympus_Mons");
  ASSERT_FALSE(cal.ok());
  EXPECT_EQ(cal.error().code, "unknown_time_zone");
}

TEST(Calendar, PeriodsAndLabels) {
  const Day d = *parse_date("2026-11-17");
  EXPECT_EQ(period_label(period_containing(Freq::day, d)), "2026-11-17");
  EXPECT_EQ(period_label(period_containing(Freq::quarter, d)), "2026-Q4");
  EXPECT_EQ(period_label(period_containing(Freq::year, d)), "2026");
  const Period q = period_containing(Freq::quarter, d);
  EXPECT_EQ(date_text(q.first), "2026-10-01");
  EXPECT_EQ(date_text(q.end), "2027-01-01");
  EXPECT_EQ(period_label(next_period(q)), "2027-Q1");
  for (const char* label : {"2026-11-17", "2026-11", "2026-Q4", "2026", "2024-02-29"}) {
    auto p = parse_period_label(label);
    ASSERT_TRUE(p.ok()) << label;
    EXPECT_EQ(period_label(*p), label);
  }
  for (const char* bad : {"2026-13", "2026-Q5", "2025-02-29", "26-11", "2026-1", "", "1969"})
    EXPECT_FALSE(parse_period_label(bad).ok()) << bad;
  EXPECT_TRUE(is_first_of(Freq::month, *parse_date("2026-11-01")));
  EXPECT_FALSE(is_first_of(Freq::quarter, *parse_date("2026-11-01")));
  EXPECT_EQ(*parse_freq("M"), Freq::month);
  EXPECT_EQ(*parse_freq("quarter"), Freq::quarter);
  EXPECT_FALSE(parse_freq("week").ok());
}

}  // namespace
}  // namespace trustmon::stats
