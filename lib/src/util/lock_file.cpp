#include <clm/util/errno_error.hpp>
#include <clm/util/lock_file.hpp>

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>

namespace clm::util {

std::optional<LockFile> LockFile::try_lock(const std::filesystem::path& path, std::string_view open_step,
                                           std::string_view lock_step)
{
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    throw_errno(ExitCode::file_write, path.native(), open_step, errno);
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return std::nullopt;
    }
    throw_errno(ExitCode::file_write, path.native(), lock_step, errno);
  }
  return LockFile(path, std::move(fd));
}

}  // namespace clm::util
