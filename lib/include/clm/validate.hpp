// Value checks shared by the tools (before a request is sent) and clm-server
// (when a request arrives), so both refuse exactly the same values.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace clm {

// Limits from the WebAPI and command references.
inline constexpr std::size_t k_max_alias_bytes = 64;
inline constexpr std::size_t k_max_tenantid_bytes = 64;
inline constexpr std::size_t k_keyid_digits = 10;
inline constexpr std::size_t k_max_password_bytes = 128;

// Return why s is not a valid alias ("longer than 64 bytes", ...), or nullopt when it is.
// An alias is 1..64 printable ASCII characters except ; & ` ( ) $ < > * ? { } [ ] ! and space.
std::optional<std::string> alias_problem(std::string_view s);

// Return why s is not a valid tenant ID, or nullopt when it is (same rules as an alias).
std::optional<std::string> tenantid_problem(std::string_view s);

// Return why s is not a keyid (1..10 decimal digits), or nullopt when it is.
std::optional<std::string> keyid_problem(std::string_view s);

// Return why s is not a password as the server issues them (1..128 printable ASCII), or nullopt.
std::optional<std::string> password_problem(std::string_view s);

// Return a keyid number in the spec's style: ten digits, zero-padded ("0000000001").
std::string format_keyid(long long number);

}  // namespace clm
