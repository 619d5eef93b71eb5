#include "common/time.hpp"

#include <gtest/gtest.h>

namespace trustmon {
namespace {

TEST(Rfc3339, FormatAndParse) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(1795238977), "2026-11-21T05:29:37Z");
  EXPECT_EQ(parse_rfc3339("2026-11-21T05:29:37Z"), 1795238977);
  EXPECT_EQ(parse_rfc3339("2026-11-21T07:29:37+02:00"), 1795238977);
  EXPECT_EQ(parse_rfc3339("2026-11-21T05:29:37.123Z"), 1795238977);
  EXPECT_EQ(parse_rfc3339("2024-02-29T00:00:00Z"), 1709164800);
}

TEST(Rfc3339, RejectsMalformed) {
  EXPECT_FALSE(parse_rfc3339("2026-11-21"));
  EXPECT_FALSE(parse_rfc3339("2026-11-21T05:29:37"));
  EXPECT_FALSE(parse_rfc3339("2026-02-31T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-13-01T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-11-21T05:29:37Zjunk"));
}

TEST(HttpDate, RoundTrip) {
  EXPECT_EQ(format_http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_FALSE(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"));
  for (UnixTime t : {UnixTime{0}, UnixTime{951782400}, UnixTime{1795238977}, UnixTime{4102444799}})
    EXPECT_EQ(parse_http_date(format_http_date(t)), t) << t;
  EXPECT_EQ(format_http_date(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
}

TEST(Duration, Units) {
  EXPECT_EQ(parse_duration("90"), 90);
  EXPECT_EQ(parse_duration("15m"), 900);
  EXPECT_EQ(parse_duration("12h"), 43200);
  EXPECT_EQ(parse_duration("7d"), 604800);
  EXPECT_FALSE(parse_duration("7w"));
  EXPECT_FALSE(parse_duration(""));
}

}  // namespace
}  // namespace trustmon
