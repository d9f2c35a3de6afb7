#include <clm/util/iso8601.hpp>

#include <chrono>
#include <cstdio>

namespace clm::util {

namespace {

using namespace std::chrono;

constexpr std::int64_t k_day_ms = 24LL * 3600 * 1000;

// Return the days since 1970 of ms and the milliseconds into that day, both floored.
std::pair<std::int64_t, std::int64_t> split_day(std::int64_t ms)
{
  std::int64_t days = ms / k_day_ms;
  std::int64_t rest = ms % k_day_ms;
  if (rest < 0) {
    --days;
    rest += k_day_ms;
  }
  return {days, rest};
}

year_month_day date_of(std::int64_t days)
{
  return year_month_day{sys_days{std::chrono::days{days}}};
}

// Return the number of the digits text[pos, pos + n), or -1 when one of them is not a digit.
int digits(std::string_view text, std::size_t pos, std::size_t n)
{
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return -1;
    }
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

}  // namespace

std::string iso8601_utc(std::int64_t ms)
{
  const auto [days, rest] = split_day(ms);
  const year_month_day d = date_of(days);
  const std::int64_t s = rest / 1000;
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(d.year()),
                static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()), static_cast<int>(s / 3600),
                static_cast<int>(s / 60 % 60), static_cast<int>(s % 60));
  return text;
}

std::string iso8601_date(std::int64_t ms)
{
  return iso8601_utc(ms).substr(0, 10);
}

std::optional<std::int64_t> parse_iso8601(std::string_view text)
{
  // YYYY-MM-DD, optionally followed by THH:MM:SSZ.
  if ((text.size() != 10 && text.size() != 20) || text[4] != '-' || text[7] != '-') {
    return std::nullopt;
  }
  const int y = digits(text, 0, 4);
  const int m = digits(text, 5, 2);
  const int d = digits(text, 8, 2);
  if (y < 1970 || m < 0 || d < 0) {
    return std::nullopt;
  }
  const year_month_day date{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
  if (!date.ok()) {
    return std::nullopt;
  }
  std::int64_t seconds = 0;
  if (text.size() == 20) {
    if (text[10] != 'T' || text[13] != ':' || text[16] != ':' || text[19] != 'Z') {
      return std::nullopt;
    }
    const int hh = digits(text, 11, 2);
    const int mm = digits(text, 14, 2);
    const int ss = digits(text, 17, 2);
    if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59) {
      return std::nullopt;
    }
    seconds = hh * 3600 + mm * 60 + ss;
  }
  const std::int64_t days = sys_days{date}.time_since_epoch().count();
  return days * k_day_ms + seconds * 1000;
}

}  // namespace clm::util
