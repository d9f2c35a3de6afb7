#include "test_support.hpp"

#include <clm/batch_files.hpp>
#include <clm/error.hpp>
#include <clm/keyget.hpp>

#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;

using clm::test::error_of;
using clm::test::mode_of;
using clm::test::read_plain;
using clm::test::TempDirTest;
using clm::test::write_plain;

class BatchFilesTest : public TempDirTest {
public:
  BatchFilesTest() : TempDirTest("batch-files") {}
};

TEST_F(BatchFilesTest, NothingAppearsBeforeCommitAndEverythingAfter)
{
  clm::BatchWriter batch(dir());
  batch.add("a", "alpha", 0600);
  batch.add("b", "beta", 0644);
  EXPECT_FALSE(fs::exists(dir() / "a"));
  EXPECT_FALSE(fs::exists(dir() / "b"));
  const auto written = batch.commit();
  EXPECT_EQ(written, (std::vector<std::string>{(dir() / "a").string(), (dir() / "b").string()}));
  EXPECT_EQ(read_plain(dir() / "a"), "alpha");
  EXPECT_EQ(read_plain(dir() / "b"), "beta");
  EXPECT_EQ(mode_of(dir() / "a") & 0777, 0600u);
  EXPECT_EQ(mode_of(dir() / "b") & 0777, 0644u);
  // Only the final names are left.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir()), fs::directory_iterator()), 2);
}

TEST_F(BatchFilesTest, ANameAddedTwiceIsWrittenOnceWithTheLastData)
{
  clm::BatchWriter batch(dir());
  batch.add("k", "first", 0600);
  batch.add("k", "second", 0600);
  EXPECT_EQ(batch.commit().size(), 1u);
  EXPECT_EQ(read_plain(dir() / "k"), "second");
}

TEST_F(BatchFilesTest, AnUncommittedBatchLeavesNothingBehind)
{
  {
    clm::BatchWriter batch(dir());
    batch.add("a", "alpha", 0600);
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir()), fs::directory_iterator()), 0);
}

TEST_F(BatchFilesTest, ReplacesAnExistingFileAndRefusesASymlinkedTemporary)
{
  write_plain(dir() / "a", "old");
  fs::create_symlink(dir() / "elsewhere", dir() / ".b.tmp");
  clm::BatchWriter batch(dir());
  batch.add("a", "new", 0600);
  batch.commit();
  EXPECT_EQ(read_plain(dir() / "a"), "new");
  const auto e = error_of([&] { batch.add("b", "x", 0600); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), clm::ExitCode::file_write);
  EXPECT_FALSE(fs::exists(dir() / "elsewhere"));
}

TEST_F(BatchFilesTest, DeviceListSkipsBlankLinesAndTrims)
{
  write_plain(dir() / "list", "dev1\n\n  dev2 \r\n\t\ndev3");
  EXPECT_EQ(clm::read_device_list(dir() / "list"), (std::vector<std::string>{"dev1", "dev2", "dev3"}));
  const auto e = error_of([&] { clm::read_device_list(dir() / "missing"); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), clm::ExitCode::file_read);
}

TEST(KeyGet, ReservedDirectories)
{
  for (const char* d : {"/", "/etc", "/etc/", "/usr", "/var/../etc", "/usr/bin", "/proc"}) {
    EXPECT_TRUE(clm::is_reserved_dir(d)) << d;
  }
  for (const char* d : {"/srv/keys", "/tmp", "/home/x", "/etc/clm", "/var/lib/clm"}) {
    EXPECT_FALSE(clm::is_reserved_dir(d)) << d;
  }
}

}  // namespace
