#include "test_support.hpp"

#include <clm/batch_files.hpp>
#include <clm/error.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

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

TEST_F(BatchFilesTest, TheFirstBatchRemovesStagingLeftByAKilledRunButNotALiveOne)
{
  const auto now = fs::file_time_type::clock::now();
  for (const char* name : {".clm-batch.killed", ".clm-batch.livexx"}) {
    fs::create_directory(dir() / name);
    write_plain(dir() / name / "dev_1", "half");
  }
  fs::last_write_time(dir() / ".clm-batch.killed", now - std::chrono::hours(1));
  fs::last_write_time(dir() / ".clm-batch.livexx", now + std::chrono::hours(1));
  clm::BatchWriter batch(dir());
  batch.add("a", "alpha", 0600);
  batch.commit();
  EXPECT_FALSE(fs::exists(dir() / ".clm-batch.killed"));
  EXPECT_TRUE(fs::exists(dir() / ".clm-batch.livexx" / "dev_1"));
}

TEST_F(BatchFilesTest, AStagingDirectoryALiveRunHoldsIsKeptHoweverOld)
{
  const fs::path live = dir() / ".clm-batch.heldxx";
  fs::create_directory(live);
  write_plain(live / "dev_1", "in flight");
  fs::last_write_time(live, fs::file_time_type::clock::now() - std::chrono::hours(1));
  const int fd = ::open(live.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  clm::BatchWriter batch(dir());
  batch.add("a", "alpha", 0600);
  batch.commit();
  ::close(fd);
  EXPECT_TRUE(fs::exists(live / "dev_1"));
}

TEST_F(BatchFilesTest, BatchesOfSeveralThreadsInOneFreshDirectoryAllLand)
{
  for (int round = 0; round < 20; ++round) {
    const fs::path out = dir() / ("round" + std::to_string(round));
    fs::create_directory(out);
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 6; ++t) {
      threads.emplace_back([&, t] {
        try {
          clm::BatchWriter batch(out);
          for (int i = 0; i < 3; ++i) {
            batch.add("t" + std::to_string(t) + "_" + std::to_string(i), "key", 0600);
          }
          batch.commit();
        } catch (const clm::Error&) {
          ++failures;
        }
      });
    }
    for (auto& th : threads) {
      th.join();
    }
    EXPECT_EQ(failures.load(), 0) << "round " << round;
    EXPECT_EQ(std::distance(fs::directory_iterator(out), fs::directory_iterator()), 18) << "round " << round;
  }
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

TEST_F(BatchFilesTest, ReplacesAnExistingFileAndASymlinkWithoutFollowingIt)
{
  write_plain(dir() / "a", "old");
  write_plain(dir() / "elsewhere", "untouched");
  fs::create_symlink(dir() / "elsewhere", dir() / "b");
  clm::BatchWriter batch(dir());
  batch.add("a", "new", 0600);
  batch.add("b", "mine", 0600);
  batch.commit();
  EXPECT_EQ(read_plain(dir() / "a"), "new");
  EXPECT_FALSE(fs::is_symlink(dir() / "b"));
  EXPECT_EQ(read_plain(dir() / "b"), "mine");
  EXPECT_EQ(read_plain(dir() / "elsewhere"), "untouched");
}

TEST_F(BatchFilesTest, StagesInOnePrivateDirectoryThatIsGoneAfterward)
{
  {
    clm::BatchWriter batch(dir());
    EXPECT_EQ(std::distance(fs::directory_iterator(dir()), fs::directory_iterator()), 0);
    batch.add("a", "alpha", 0600);
    batch.add("b", "beta", 0600);
    std::vector<fs::path> entries{fs::directory_iterator(dir()), fs::directory_iterator()};
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].filename().string().rfind(".clm-batch.", 0), 0u);
    EXPECT_EQ(mode_of(entries[0]) & 0777, 0700u);
    batch.commit();
    batch.add("c", "gamma", 0600);  // a second batch in the same staging directory
    batch.commit();
  }
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir())) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(BatchFilesTest, RefusesANameThatIsNotAPlainFileName)
{
  clm::BatchWriter batch(dir());
  for (const char* name : {"", ".", "..", "sub/x", "../x"}) {
    const auto e = error_of([&] { batch.add(name, "x", 0600); });
    ASSERT_TRUE(e) << name;
    EXPECT_EQ(e->code(), clm::ExitCode::file_write);
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir()), fs::directory_iterator()), 0);
}

TEST_F(BatchFilesTest, AModeTheUmaskWouldStripIsStillSet)
{
  struct UmaskGuard {
    mode_t old = ::umask(0277);  // even the owner's write bit
    ~UmaskGuard() { ::umask(old); }
  } guard;
  clm::BatchWriter batch(dir());
  batch.add("shared", "x", 0644);
  batch.commit();
  // Created 0400 under this umask, then set to the mode asked for.
  EXPECT_EQ(mode_of(dir() / "shared") & 0777, 0644u);
}

}  // namespace
