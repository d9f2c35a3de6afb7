// Tests of parallel_for: every index once, on up to the jobs asked for, the first
// exception rethrown in the caller and no index started after it.
#include <clm/error.hpp>
#include <clm/parallel.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

TEST(ParallelFor, RunsEveryIndexExactlyOnce)
{
  for (const std::size_t jobs : {0u, 1u, 3u, 16u}) {
    for (const std::size_t n : {0u, 1u, 2u, 1000u}) {
      std::vector<std::atomic<int>> runs(n);
      clm::parallel_for(n, jobs, [&](std::size_t i) { ++runs[i]; });
      for (std::size_t i = 0; i < n; ++i) {
        EXPECT_EQ(runs[i].load(), 1) << "n " << n << " jobs " << jobs << " i " << i;
      }
    }
  }
}

TEST(ParallelFor, UsesNoMoreThreadsThanJobsAndTheCallerIsOne)
{
  std::mutex mutex;
  std::set<std::thread::id> threads;
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  clm::parallel_for(64, 3, [&](std::size_t) {
    const int now = ++running;
    for (int seen = most.load(); seen < now && !most.compare_exchange_weak(seen, now);) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    --running;
    const std::lock_guard lock(mutex);
    threads.insert(std::this_thread::get_id());
  });
  EXPECT_LE(most.load(), 3);
  EXPECT_LE(threads.size(), 3u);
  // One job: everything on the calling thread, in order.
  const auto caller = std::this_thread::get_id();
  std::vector<std::size_t> order;
  clm::parallel_for(5, 1, [&](std::size_t i) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    order.push_back(i);
  });
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2, 3, 4}));
}

TEST(ParallelFor, RethrowsTheFirstExceptionAndStartsNothingAfterIt)
{
  std::atomic<int> started{0};
  try {
    clm::parallel_for(1000, 1, [&](std::size_t i) {
      ++started;
      if (i == 10) {
        throw clm::Error(clm::ExitCode::file_write, "index 10");
      }
    });
    FAIL() << "no exception";
  } catch (const clm::Error& e) {
    EXPECT_EQ(e.code(), clm::ExitCode::file_write);
    EXPECT_STREQ(e.what(), "index 10");
  }
  EXPECT_EQ(started.load(), 11);

  // With several jobs: the exception of the one that threw reaches the caller, and the
  // others stop taking indices (each finishes the one it has). The other indices take a
  // millisecond each, so however the jobs are scheduled, those not stopped could not
  // all run before index 3 (one of the first four taken) has thrown.
  started = 0;
  EXPECT_THROW(clm::parallel_for(100000, 4,
                                 [&](std::size_t i) {
                                   ++started;
                                   if (i == 3) {
                                     throw std::runtime_error("three");
                                   }
                                   std::this_thread::sleep_for(std::chrono::milliseconds(1));
                                 }),
               std::runtime_error);
  EXPECT_LT(started.load(), 100000);
}

}  // namespace
