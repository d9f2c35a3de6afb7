// Errors of system calls: the reason errno names, and the one message form
// "PATH: STEP: reason" every failed file operation is reported in.
#pragma once

#include <clm/error.hpp>

#include <string>
#include <string_view>

namespace clm::util {

// Return the text strerror gives for err.
std::string errno_text(int err);

// Return "PATH: STEP: reason of err", or "PATH: reason of err" when step is empty.
std::string errno_message(std::string_view path, std::string_view step, int err);

// Throw Error(code, errno_message(path, step, err)).
[[noreturn]] void throw_errno(ExitCode code, std::string_view path, std::string_view step, int err);

}  // namespace clm::util
