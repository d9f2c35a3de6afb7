// Tests of util/lock_file: one holder of a lock at a time, the lock freed with its holder.
#include "test_support.hpp"

#include <clm/util/lock_file.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

namespace {

namespace fs = std::filesystem;
using clm::ExitCode;
using clm::test::error_of;
using clm::test::mode_of;
using clm::util::LockFile;

class UtilLockFile : public clm::test::TempDirTest {};

TEST_F(UtilLockFile, creates_the_file_0600_and_holds_the_lock)
{
  const fs::path path = dir() / "lock";
  const auto lock = LockFile::try_lock(path, "open", "flock");
  ASSERT_TRUE(lock);
  EXPECT_EQ(lock->path(), path);
  EXPECT_EQ(mode_of(path), 0600u);
}

TEST_F(UtilLockFile, second_holder_is_refused_until_the_first_goes)
{
  const fs::path path = dir() / "lock";
  {
    const auto first = LockFile::try_lock(path, "open", "flock");
    ASSERT_TRUE(first);
    // flock locks belong to the open file: a second open in the same process competes.
    EXPECT_FALSE(LockFile::try_lock(path, "open", "flock"));
  }
  EXPECT_TRUE(LockFile::try_lock(path, "open", "flock"));
}

TEST_F(UtilLockFile, moved_lock_stays_held)
{
  const fs::path path = dir() / "lock";
  auto first = LockFile::try_lock(path, "open", "flock");
  ASSERT_TRUE(first);
  const std::optional<LockFile> moved = std::move(first);
  first.reset();
  EXPECT_FALSE(LockFile::try_lock(path, "open", "flock"));
}

TEST_F(UtilLockFile, open_failure_is_file_write_with_the_open_step)
{
  const fs::path path = dir() / "missing" / "lock";
  const auto e = error_of([&] { LockFile::try_lock(path, "cannot open lock file", "flock"); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ExitCode::file_write);
  EXPECT_EQ(std::string(e->what()), path.string() + ": cannot open lock file: " + std::strerror(ENOENT));
}

TEST_F(UtilLockFile, empty_open_step_leaves_its_part_out)
{
  const fs::path path = dir() / "missing" / "lock";
  const auto e = error_of([&] { LockFile::try_lock(path, "", ""); });
  ASSERT_TRUE(e);
  EXPECT_EQ(std::string(e->what()), path.string() + ": " + std::strerror(ENOENT));
}

}  // namespace
