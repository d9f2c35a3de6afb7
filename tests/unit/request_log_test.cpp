// Tests of the request log line: every request-derived field bounded and escaped.
#include "request_log.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using clm::server::format_request_log;
using clm::server::log_field;
using clm::server::RequestLogEntry;

TEST(RequestLog, fields_escape_control_bytes_backslash_and_non_ascii)
{
  EXPECT_EQ(log_field("/SWCLM/IDInfo"), "/SWCLM/IDInfo");
  EXPECT_EQ(log_field("a\nb\r\x1b[0m"), "a\\x0ab\\x0d\\x1b[0m");
  EXPECT_EQ(log_field("back\\slash"), "back\\x5cslash");
  EXPECT_EQ(log_field("\xe3\x81\x82"), "\\xe3\\x81\\x82");
  EXPECT_EQ(log_field(std::string("nul\0byte", 8)), "nul\\x00byte");
}

TEST(RequestLog, fields_are_cut_at_64_bytes_before_escaping)
{
  const std::string long_text(500'000, 'm');
  EXPECT_EQ(log_field(long_text), std::string(64, 'm') + "...");
  EXPECT_EQ(log_field(std::string(64, 'x')), std::string(64, 'x'));
}

TEST(RequestLog, a_line_is_one_line_whatever_the_request_held)
{
  RequestLogEntry e;
  e.remote = "127.0.0.1";
  e.method = "GET";
  e.path = "/SWCLM/Sys\nclm-server: forged line";
  e.status = 404;
  e.detail = std::string(10'000, 'd') + "\n";
  const std::string line = format_request_log(e);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_LT(line.size(), 400u);
  EXPECT_NE(line.find(" 404 errorcode=- "), std::string::npos);
  EXPECT_NE(line.find("/SWCLM/Sys\\x0aclm-server: forged"), std::string::npos);
}

TEST(RequestLog, a_line_carries_status_errorcode_and_time)
{
  RequestLogEntry e;
  e.remote = "::1";
  e.method = "POST";
  e.path = "/SWCLM/KeyInfo";
  e.status = 400;
  e.errorcode = 1103;
  e.milliseconds = 1.25;
  e.detail = "mode 'x' is not create";
  const std::string line = format_request_log(e);
  EXPECT_EQ(line.rfind("clm-server: ", 0), 0u);
  EXPECT_NE(line.find(" ::1 POST /SWCLM/KeyInfo 400 errorcode=1103 1.2ms (mode 'x' is not create)"), std::string::npos)
    << line;
}

}  // namespace
