// Tests of the request log line: every request-derived field bounded and escaped.
#include "request_log.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fcntl.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using clm::server::format_request_log;
using clm::server::log_field;
using clm::server::LogWriter;
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

// Read fd to its end.
std::string read_all(int fd)
{
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) {
      return out;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
}

std::vector<std::string> split_lines(const std::string& text)
{
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  EXPECT_EQ(start, text.size()) << "the last line has no newline";
  return lines;
}

TEST(LogWriter, writes_every_line_whole_and_in_order_before_it_is_gone)
{
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  std::string text;
  std::thread reader([&] { text = read_all(p[0]); });
  {
    LogWriter log(p[1]);
    for (int i = 0; i < 20000; ++i) {
      log.line("line " + std::to_string(i));
    }
  }
  ::close(p[1]);
  reader.join();
  ::close(p[0]);
  const auto lines = split_lines(text);
  ASSERT_EQ(lines.size(), 20000u);
  for (int i = 0; i < 20000; ++i) {
    ASSERT_EQ(lines[static_cast<std::size_t>(i)], "line " + std::to_string(i));
  }
}

TEST(LogWriter, a_blocked_log_drops_whole_lines_past_its_bound_and_says_how_many)
{
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  ASSERT_GT(::fcntl(p[1], F_SETPIPE_SZ, 4096), 0);
  const std::string payload(1000, 'x');
  constexpr int total = 200;
  std::string text;
  std::thread reader;
  {
    LogWriter log(p[1], 8 * 1024);
    for (int i = 0; i < total; ++i) {
      log.line(std::to_string(i) + " " + payload);
    }
    // Nobody has read: the pipe holds 4 KiB, the writer's batch and queue 8 KiB each,
    // so most of the 200 KB was dropped. Now the log drains.
    reader = std::thread([&] { text = read_all(p[0]); });
  }
  ::close(p[1]);
  reader.join();
  ::close(p[0]);
  // The count comes with the batch after the drops; lines accepted once the queue had
  // room again may follow it, so it is found wherever it is, and may come more than once.
  std::vector<std::string> lines;
  int dropped = 0;
  for (const auto& line : split_lines(text)) {
    int n = 0;
    if (std::sscanf(line.c_str(), "clm-server: %d log lines dropped: the log is not keeping up", &n) == 1) {
      dropped += n;
    } else {
      lines.push_back(line);
    }
  }
  EXPECT_GT(dropped, 0);
  EXPECT_EQ(static_cast<int>(lines.size()) + dropped, total);
  int previous = -1;
  for (const auto& line : lines) {
    const int n = std::stoi(line);
    EXPECT_GT(n, previous);
    EXPECT_EQ(line, std::to_string(n) + " " + payload);
    previous = n;
  }
}

TEST(LogWriter, a_reader_that_went_away_does_not_end_the_process)
{
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  ::close(p[0]);
  {
    LogWriter log(p[1]);
    log.line("nobody reads this");  // EPIPE, and SIGPIPE stays pending on the writer's thread
  }
  ::close(p[1]);
  SUCCEED();  // a SIGPIPE delivered to the process would have ended it
}

}  // namespace
