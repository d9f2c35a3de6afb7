#include <clm/parallel.hpp>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace clm {

void parallel_for(std::size_t n, std::size_t jobs, const std::function<void(std::size_t)>& f)
{
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;
  std::exception_ptr first_failure;
  auto work = [&] {
    for (std::size_t i = next++; i < n && !failed; i = next++) {
      try {
        f(i);
      } catch (...) {
        const std::lock_guard lock(mutex);
        if (!first_failure) {
          first_failure = std::current_exception();  // rethrown below, on the calling thread
        }
        failed = true;
      }
    }
  };
  const std::size_t threads = std::min(n, std::max<std::size_t>(jobs, 1));
  std::vector<std::thread> pool;
  pool.reserve(threads > 0 ? threads - 1 : 0);
  for (std::size_t t = 1; t < threads; ++t) {
    try {
      pool.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no more threads to be had: those running still take every i
    }
  }
  work();
  for (auto& th : pool) {
    th.join();
  }
  if (first_failure) {
    std::rethrow_exception(first_failure);
  }
}

}  // namespace clm
