// ISO 8601 UTC text of instants given as milliseconds since 1970, both ways.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace clm::util {

// Return ms (milliseconds since 1970 UTC) as "2026-12-01T10:00:00Z", to the second
// (the milliseconds are dropped, rounding towards the past).
std::string iso8601_utc(std::int64_t ms);

// Return the UTC date of ms as "2026-12-01".
std::string iso8601_date(std::int64_t ms);

// Return the milliseconds since 1970 of text, a UTC date "2027-01-31" (its midnight)
// or a UTC time "2027-01-31T12:00:00Z", years 1970 to 9999; nullopt for anything else,
// an impossible date (2027-02-30) included.
std::optional<std::int64_t> parse_iso8601(std::string_view text);

}  // namespace clm::util
