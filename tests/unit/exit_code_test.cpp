// Tests of the exit codes: the numbers are part of the command-line interface
// (table 6.1 of the command reference), so they must never be renumbered, and the
// man page section listing them must stay in step with the enum.
#include <clm/exit_code.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

namespace {

using clm::ExitCode;

struct NumberedCode {
  ExitCode code;
  int value;
  const char* label;
};

// The command reference's table 6.1, written out by hand on purpose: a renumbered
// enumerator must fail here rather than silently follow the header.
constexpr NumberedCode k_reference_table[] = {
  {ExitCode::ok, 0, "ok"},
  {ExitCode::bad_parameter, 1, "bad_parameter"},
  {ExitCode::file_read, 2, "file_read"},
  {ExitCode::bad_config, 3, "bad_config"},
  {ExitCode::missing_parameter, 4, "missing_parameter"},
  {ExitCode::bad_syntax, 5, "bad_syntax"},
  {ExitCode::already_running, 6, "already_running"},
  {ExitCode::file_write, 8, "file_write"},
  {ExitCode::tampered, 15, "tampered"},
  {ExitCode::socket, 20, "socket"},
  {ExitCode::not_verified, 31, "not_verified"},
  {ExitCode::bad_file_format, 32, "bad_file_format"},
  {ExitCode::external_command, 33, "external_command"},
  {ExitCode::network, 40, "network"},
  {ExitCode::connect_timeout, 101, "connect_timeout"},
  {ExitCode::connection_refused, 102, "connection_refused"},
  {ExitCode::http_error, 200, "http_error"},
  {ExitCode::internal, 255, "internal"},
};

int value_of(ExitCode code)
{
  return static_cast<int>(code);
}

// Return whether text holds value as a number on its own ("1" is not found in "101" or "15").
bool mentions_number(const std::string& text, int value)
{
  const std::string digits = std::to_string(value);
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  for (auto pos = text.find(digits); pos != std::string::npos; pos = text.find(digits, pos + 1)) {
    const bool starts = pos == 0 || !is_digit(text[pos - 1]);
    const std::size_t end = pos + digits.size();
    const bool ends = end == text.size() || !is_digit(text[end]);
    if (starts && ends) {
      return true;
    }
  }
  return false;
}

bool is_listed(int value)
{
  return std::any_of(std::begin(k_reference_table), std::end(k_reference_table),
                     [&](const NumberedCode& c) { return c.value == value; });
}

TEST(ExitCode, values_match_the_command_reference)
{
  for (const auto& c : k_reference_table) {
    EXPECT_EQ(value_of(c.code), c.value) << "ExitCode::" << c.label << " was renumbered";
  }
}

TEST(ExitCode, values_are_distinct)
{
  std::set<int> seen;
  for (const auto& c : k_reference_table) {
    EXPECT_TRUE(seen.insert(value_of(c.code)).second) << "ExitCode::" << c.label << " reuses a value";
  }
}

TEST(ExitCode, values_fit_in_a_process_exit_status)
{
  for (const auto& c : k_reference_table) {
    EXPECT_GE(value_of(c.code), 0) << c.label;
    EXPECT_LE(value_of(c.code), 255) << c.label;
  }
}

TEST(ExitCode, every_code_has_a_distinct_name)
{
  std::set<std::string_view> names;
  for (const auto& c : k_reference_table) {
    const std::string_view name = clm::exit_code_name(c.code);
    EXPECT_FALSE(name.empty()) << c.label;
    EXPECT_NE(name, "unknown") << c.label;
    EXPECT_TRUE(names.insert(name).second) << "ExitCode::" << c.label << " shares its name '" << name << "'";
  }
}

TEST(ExitCode, values_outside_the_table_are_named_unknown)
{
  for (int v = 0; v <= 255; ++v) {
    if (!is_listed(v)) {
      EXPECT_EQ(clm::exit_code_name(static_cast<ExitCode>(v)), "unknown") << "value " << v;
    }
  }
}

TEST(ExitCode, number_search_needs_the_number_on_its_own)
{
  EXPECT_TRUE(mentions_number("*1*  bad parameter", 1));
  EXPECT_TRUE(mentions_number("exit 255", 255));
  EXPECT_FALSE(mentions_number("*101* *15*", 1));
  EXPECT_FALSE(mentions_number("2000", 200));
}

TEST(ExitCode, man_page_mentions_every_code)
{
  const std::filesystem::path page = std::filesystem::path(CLM_SOURCE_DIR) / "man" / "common" / "exit-status.scd";
  std::error_code ec;
  if (!std::filesystem::exists(page, ec)) {
    GTEST_SKIP() << page << " does not exist yet";
  }
  std::ifstream in(page);
  ASSERT_TRUE(in) << "cannot open " << page;
  std::ostringstream text;
  text << in.rdbuf();
  const std::string contents = text.str();
  for (const auto& c : k_reference_table) {
    EXPECT_TRUE(mentions_number(contents, c.value))
      << page << " does not mention exit status " << c.value << " (ExitCode::" << c.label << ")";
  }
}

}  // namespace
