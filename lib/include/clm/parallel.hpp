// One small parallel loop for the work the tools spread over threads.
#pragma once

#include <cstddef>
#include <functional>

namespace clm {

// Run f(i) once for every i in [0, n), handed out in increasing order to up to jobs
// threads (the calling thread is one of them; jobs 0 counts as 1). Once an f throws,
// no further i is started; after every thread has stopped, the first exception is
// rethrown in the caller.
void parallel_for(std::size_t n, std::size_t jobs, const std::function<void(std::size_t)>& f);

}  // namespace clm
