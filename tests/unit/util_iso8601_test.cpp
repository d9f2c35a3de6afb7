// Tests of the ISO 8601 UTC text of util/iso8601, both ways.
#include <clm/util/iso8601.hpp>

#include <gtest/gtest.h>

#include <cstdint>

namespace {

namespace util = clm::util;

constexpr std::int64_t k_day_ms = 24LL * 3600 * 1000;

TEST(Iso8601Utc, writes_the_epoch_and_a_known_instant)
{
  EXPECT_EQ(util::iso8601_utc(0), "1970-01-01T00:00:00Z");
  // date -u -d 2026-12-01T10:00:00Z +%s -> 1796119200
  EXPECT_EQ(util::iso8601_utc(1796119200000), "2026-12-01T10:00:00Z");
}

TEST(Iso8601Utc, drops_the_milliseconds_towards_the_past)
{
  EXPECT_EQ(util::iso8601_utc(1796119200999), "2026-12-01T10:00:00Z");
  EXPECT_EQ(util::iso8601_utc(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(util::iso8601_utc(-k_day_ms), "1969-12-31T00:00:00Z");
}

TEST(Iso8601Utc, knows_leap_days)
{
  // date -u -d 2028-02-29T23:59:59Z +%s -> 1835481599
  EXPECT_EQ(util::iso8601_utc(1835481599000), "2028-02-29T23:59:59Z");
  EXPECT_EQ(util::iso8601_utc(1835481600000), "2028-03-01T00:00:00Z");
}

TEST(Iso8601Date, is_the_utc_day)
{
  EXPECT_EQ(util::iso8601_date(1796119200000), "2026-12-01");
  EXPECT_EQ(util::iso8601_date(1796119200000 - 11 * 3600 * 1000), "2026-11-30");
}

TEST(ParseIso8601, a_date_is_its_utc_midnight)
{
  EXPECT_EQ(util::parse_iso8601("1970-01-01"), 0);
  // date -u -d 2027-01-31 +%s -> 1801353600
  EXPECT_EQ(util::parse_iso8601("2027-01-31"), 1801353600000);
}

TEST(ParseIso8601, a_time_is_taken_to_the_second)
{
  EXPECT_EQ(util::parse_iso8601("2027-01-31T12:00:00Z"), 1801353600000 + 12 * 3600 * 1000);
  EXPECT_EQ(util::parse_iso8601("2026-12-01T10:00:00Z"), 1796119200000);
  EXPECT_EQ(util::parse_iso8601("9999-12-31T23:59:59Z"), 253402300799000);
}

TEST(ParseIso8601, round_trips_with_iso8601_utc)
{
  for (const std::int64_t ms : {std::int64_t{0}, std::int64_t{951782400000}, std::int64_t{1835481599000}}) {
    EXPECT_EQ(util::parse_iso8601(util::iso8601_utc(ms)), ms) << ms;
  }
}

TEST(ParseIso8601, refuses_what_is_not_one_of_the_two_forms)
{
  for (const char* bad : {"", "2027", "2027-1-31", "2027-01-31T12:00:00", "2027-01-31T12:00Z", "2027-01-31 12:00:00Z",
                          "2027-01-31t12:00:00z", "2027-01-31T12:00:00.000Z", "2027-01-31T12:00:00+01:00",
                          "+2027-01-31", "2027/01/31", "27-01-31xx", "2027-01-3a", " 2027-01-31"}) {
    EXPECT_FALSE(util::parse_iso8601(bad).has_value()) << bad;
  }
}

TEST(ParseIso8601, refuses_impossible_dates_and_times)
{
  for (const char* bad : {"2027-02-29", "2027-02-30", "2027-13-01", "2027-00-10", "2027-04-31", "2027-01-00",
                          "2027-01-31T24:00:00Z", "2027-01-31T12:60:00Z", "2027-01-31T12:00:60Z", "1969-12-31"}) {
    EXPECT_FALSE(util::parse_iso8601(bad).has_value()) << bad;
  }
  EXPECT_TRUE(util::parse_iso8601("2028-02-29").has_value());
}

}  // namespace
