#include "request_log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace clm::server {

namespace {

// Room for a refusal reason: our own words plus the (already shortened) field it names.
constexpr std::size_t k_detail_max = 160;

std::string utc_now()
{
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

std::string log_field(std::string_view text, std::size_t max)
{
  const bool cut = text.size() > max;
  if (cut) {
    text = text.substr(0, max);
  }
  std::string out;
  out.reserve(text.size() + 3);
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7e || c == '\\') {
      char esc[5];
      std::snprintf(esc, sizeof esc, "\\x%02x", c);
      out += esc;
    } else {
      out += ch;
    }
  }
  if (cut) {
    out += "...";
  }
  return out;
}

std::string format_request_log(const RequestLogEntry& e)
{
  std::string line = "clm-server: " + utc_now() + " " + log_field(e.remote) + " " + log_field(e.method) + " "
                     + log_field(e.path) + " " + std::to_string(e.status) + " errorcode="
                     + (e.errorcode ? std::to_string(*e.errorcode) : "-");
  char ms[32];
  std::snprintf(ms, sizeof ms, " %.1fms", e.milliseconds);
  line += ms;
  if (!e.detail.empty()) {
    line += " (" + log_field(e.detail, k_detail_max) + ")";
  }
  return line;
}

}  // namespace clm::server
