#include <clm/util/errno_error.hpp>

#include <cstring>

namespace clm::util {

std::string errno_text(int err)
{
  return std::strerror(err);
}

std::string errno_message(std::string_view path, std::string_view step, int err)
{
  std::string out(path);
  out += ": ";
  if (!step.empty()) {
    out += step;
    out += ": ";
  }
  out += errno_text(err);
  return out;
}

void throw_errno(ExitCode code, std::string_view path, std::string_view step, int err)
{
  throw Error(code, errno_message(path, step, err));
}

}  // namespace clm::util
