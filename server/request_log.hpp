// The one log line clm-server writes per request. Everything in it that a client chose
// is bounded and escaped, so a request can neither forge a line nor flood the log.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace clm::server {

// The longest request-derived field a log line carries, in bytes before escaping.
inline constexpr std::size_t k_log_field_max = 64;

// Return text cut to max bytes ("..." marks a cut) with every byte outside printable
// ASCII, and the backslash, written as \xNN.
std::string log_field(std::string_view text, std::size_t max = k_log_field_max);

// What one log line says about a request.
struct RequestLogEntry {
  std::string remote;  // peer address
  std::string method;
  std::string path;    // percent-decoded, without the query
  unsigned status = 0;
  std::optional<int> errorcode;
  double milliseconds = 0;
  std::string detail;  // why a request was refused; may quote request fields
};

// Return the log line of entry, without the trailing newline.
std::string format_request_log(const RequestLogEntry& entry);

}  // namespace clm::server
