// Value checks shared by the tools (before a request is sent) and clm-server
// (when a request arrives), so both refuse exactly the same values.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// ---- certificate API (/SWCLM/CredInfo) values, shared by clm-server and clm-cert ----

namespace clm {

inline constexpr std::size_t k_max_devicename_bytes = 64;
inline constexpr std::size_t k_max_deviceid_bytes = 64;
inline constexpr std::size_t k_max_passphrase_bytes = 128;
inline constexpr std::size_t k_max_filepath_bytes = 1024;
inline constexpr std::size_t k_max_subject_bytes = 512;
inline constexpr std::size_t k_max_ext_data_name_bytes = 128;
inline constexpr std::size_t k_max_ext_data_value_bytes = 256;
inline constexpr std::size_t k_max_keynumber_digits = 10;
inline constexpr std::size_t k_max_certserial_digits = 40;  // 20 octets, RFC 5280 4.1.2.2

// Return why s is not a valid device name, or nullopt (same rules as an alias: 1..64 bytes).
std::optional<std::string> devicename_problem(std::string_view s);

// Return why s is not a well-formed device ID (1..64 bytes, alias characters), or nullopt.
std::optional<std::string> deviceid_problem(std::string_view s);

// Return why s is not a passphrase (1..128 bytes of ASCII 0x21..0x7E), or nullopt.
std::optional<std::string> passphrase_problem(std::string_view s);

// Return why s is not a file path the API records (1..1024 bytes, no control characters), or nullopt.
std::optional<std::string> filepath_problem(std::string_view s);

// Return why s is not an IPv4 or IPv6 address in text form, or nullopt.
std::optional<std::string> ip_address_problem(std::string_view s);

// Return why s is not a MAC address written 12:34:56:78:90:ab, 12-34-56-78-90-ab or
// 1234567890ab (either case), or nullopt.
std::optional<std::string> mac_address_problem(std::string_view s);

// Return the MAC address s (valid per mac_address_problem) as lower-case aa:bb:cc:dd:ee:ff.
std::string normalize_mac_address(std::string_view s);

// Return why s is not a key number (1..10 decimal digits), or nullopt.
std::optional<std::string> keynumber_problem(std::string_view s);

// Return why s is not a certificate serial number (1..40 hexadecimal digits), or nullopt.
std::optional<std::string> certserial_problem(std::string_view s);

// Return the serial s (valid per certserial_problem) the way OpenSSL prints it: upper case,
// no leading zero bytes, an even number of digits ("0a1b" -> "0A1B", "00ff" -> "FF").
std::string normalize_certserial(std::string_view s);

// Return why s is not a host name a server certificate can carry (an IP address, or DNS
// labels of letters, digits, '-' and '_', optionally behind "*."), or nullopt.
std::optional<std::string> hostname_problem(std::string_view s);

// One attribute of a certificate subject: C, ST, L, O, OU or CN and its value.
struct SubjectEntry {
  std::string key;
  std::string value;
  bool operator==(const SubjectEntry&) const = default;
};

// Return why s is not a subject "/C=JP/ST=../L=../O=../OU=../CN=name", or nullopt.
// Any subset of the six keys in any order, each at most once, CN required, at most
// 512 bytes; values are UTF-8 without control characters, within the X.520 bounds
// (C two letters; ST, L up to 128 characters; O, OU, CN up to 64); a backslash
// escapes the next character (so "\/" is a slash inside a value).
std::optional<std::string> subject_problem(std::string_view s);

// Return the entries of subject s in order; throw Error(bad_parameter) with the
// subject_problem text when s is not valid.
std::vector<SubjectEntry> parse_subject(std::string_view s);

// Return entries written as a subject string that parse_subject reads back.
std::string format_subject(const std::vector<SubjectEntry>& entries);

}  // namespace clm

// ---- common key API (/SWCLM/KeyInfo) values, shared by clm-server and clm-key ----

namespace clm {

// Return why s is not a key type ("AES" or "TWINE"), or nullopt.
std::optional<std::string> keytype_problem(std::string_view s);

// Return why length (bits, decimal) is not a key length for keytype (AES: 128 or 256;
// TWINE: 80 or 128), or nullopt.
std::optional<std::string> keylength_problem(std::string_view keytype, std::string_view length);

}  // namespace clm
