// Tests of where the tools may put files: the output directory (absolute, printable,
// no shell specials, short enough with the file name, existing) and the file name (a
// name, not a path), each failure with its exit code and the option named.
#include "test_support.hpp"

#include <clm/error.hpp>
#include <clm/output_files.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

using clm::ExitCode;
using clm::test::error_of;
using clm::test::write_plain;

class OutputFilesTest : public clm::test::TempDirTest {
protected:
  OutputFilesTest() : TempDirTest("clm-output-files") {}
};

// The error check_out_dir(dir, name_bytes, "--out") throws, or nullopt.
std::optional<clm::Error> out_dir_error(const fs::path& dir, std::size_t name_bytes = 5)
{
  return error_of([&] { clm::check_out_dir(dir, name_bytes, "--out"); });
}

std::optional<clm::Error> file_name_error(const std::string& name)
{
  return error_of([&] { clm::check_file_name(name, "--name"); });
}

TEST_F(OutputFilesTest, an_existing_absolute_directory_is_accepted)
{
  EXPECT_FALSE(out_dir_error(dir()));
  EXPECT_FALSE(out_dir_error(dir() / "."));
}

TEST_F(OutputFilesTest, a_relative_or_empty_directory_is_a_bad_parameter_naming_the_option)
{
  for (const char* d : {"", "out", "./out", "~/out"}) {
    const auto err = out_dir_error(d);
    ASSERT_TRUE(err) << d;
    EXPECT_EQ(err->code(), ExitCode::bad_parameter) << d;
    EXPECT_EQ(std::string(err->what()), "--out: '" + std::string(d) + "' is not an absolute path");
  }
}

TEST_F(OutputFilesTest, shell_specials_spaces_and_control_characters_are_refused)
{
  for (const std::string bad : {" x", ";x", "&x", "`x", "(x", ")x", "$x", "<x", ">x", "*x", "?x", "{x", "}x", "[x",
                                "]x", "!x", "\nx", "\x7fx", "\xc3\xa9x"}) {
    const auto err = out_dir_error(dir() / bad);
    ASSERT_TRUE(err) << bad;
    EXPECT_EQ(err->code(), ExitCode::bad_parameter) << bad;
    EXPECT_NE(std::string(err->what()).find("--out: only printable ASCII"), std::string::npos) << err->what();
  }
}

TEST_F(OutputFilesTest, the_directory_and_the_file_name_together_are_bounded)
{
  const std::string d = dir().string();
  ASSERT_LT(d.size(), clm::k_max_out_dir_bytes);
  EXPECT_FALSE(out_dir_error(dir(), clm::k_max_out_dir_bytes - d.size()));
  const auto err = out_dir_error(dir(), clm::k_max_out_dir_bytes - d.size() + 1);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code(), ExitCode::bad_parameter);
  EXPECT_NE(std::string(err->what()).find("together exceed " + std::to_string(clm::k_max_out_dir_bytes)),
            std::string::npos)
    << err->what();
}

TEST_F(OutputFilesTest, a_missing_directory_or_a_file_is_a_write_error)
{
  write_plain(dir() / "file", "x");
  for (const fs::path& d : {dir() / "missing", dir() / "file"}) {
    const auto err = out_dir_error(d);
    ASSERT_TRUE(err) << d;
    EXPECT_EQ(err->code(), ExitCode::file_write) << d;
    EXPECT_EQ(std::string(err->what()), "--out: " + d.string() + " is not an existing directory");
  }
}

TEST_F(OutputFilesTest, file_names_of_1_to_the_limit_printable_bytes_are_accepted)
{
  for (const std::string& good : std::vector<std::string>{"a", "cmkey", "client.pem", ".hidden", "a..b",
                                                          std::string(clm::k_max_file_name_bytes, 'n')}) {
    EXPECT_FALSE(file_name_error(good)) << good;
  }
}

TEST_F(OutputFilesTest, paths_dots_empty_long_and_unprintable_names_are_refused)
{
  struct Case {
    std::string name;
    std::string message_part;
  };
  for (const Case& c : {Case{"", "1.." + std::to_string(clm::k_max_file_name_bytes) + " bytes"},
                        Case{std::string(clm::k_max_file_name_bytes + 1, 'n'), "bytes"},
                        Case{"a/b", "is a path"}, Case{"/etc/passwd", "is a path"}, Case{".", "is a path"},
                        Case{"..", "is a path"}, Case{"a b", "printable ASCII"}, Case{"a\nb", "printable ASCII"},
                        Case{"\xc3\xa9", "printable ASCII"}}) {
    const auto err = file_name_error(c.name);
    ASSERT_TRUE(err) << c.name;
    EXPECT_EQ(err->code(), ExitCode::bad_parameter) << c.name;
    EXPECT_EQ(std::string(err->what()).rfind("--name: ", 0), 0u) << err->what();
    EXPECT_NE(std::string(err->what()).find(c.message_part), std::string::npos) << err->what();
  }
}

}  // namespace
