// Tests of util/directory: directories made with their parents and a given mode.
#include "test_support.hpp"

#include <clm/util/directory.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using clm::ExitCode;
using clm::test::error_of;
using clm::test::mode_of;
namespace util = clm::util;

class UtilDirectory : public clm::test::TempDirTest {};

TEST_F(UtilDirectory, private_directory_is_0700_with_its_parents_made)
{
  const mode_t old = ::umask(022);
  const fs::path d = dir() / "a" / "b" / "state";
  util::make_private_directory(d, "cannot create state directory");
  ::umask(old);
  EXPECT_TRUE(fs::is_directory(d));
  EXPECT_EQ(mode_of(d), 0700u);
}

TEST_F(UtilDirectory, existing_directory_is_left_as_it_is)
{
  const fs::path d = dir() / "there";
  fs::create_directory(d);
  ::chmod(d.c_str(), 0750);
  util::make_directory(d, 0700, "cannot create directory");
  EXPECT_EQ(mode_of(d), 0750u);
}

TEST_F(UtilDirectory, mode_is_subject_to_the_umask)
{
  const mode_t old = ::umask(077);
  const fs::path d = dir() / "tls";
  util::make_directory(d, 0755, "cannot create directory");
  ::umask(old);
  EXPECT_EQ(mode_of(d), 0700u);
}

TEST_F(UtilDirectory, failure_is_file_write_naming_directory_and_step)
{
  const fs::path file = dir() / "file";
  clm::test::write_plain(file, "x");
  const fs::path d = file / "sub";
  const auto e = error_of([&] { util::make_private_directory(d, "cannot create state directory"); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ExitCode::file_write);
  EXPECT_EQ(std::string(e->what()), d.string() + ": cannot create state directory: " + std::strerror(ENOTDIR));
}

}  // namespace
