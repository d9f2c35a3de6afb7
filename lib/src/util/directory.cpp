#include <clm/util/directory.hpp>
#include <clm/util/errno_error.hpp>

#include <cerrno>
#include <sys/stat.h>

namespace clm::util {

namespace fs = std::filesystem;

void make_directory(const fs::path& dir, mode_t mode, std::string_view step)
{
  std::error_code ec;
  if (dir.has_parent_path()) {
    // A parent that cannot be made shows in the mkdir below, with its reason.
    fs::create_directories(dir.parent_path(), ec);
  }
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) {
    throw_errno(ExitCode::file_write, dir.native(), step, errno);
  }
}

void make_private_directory(const fs::path& dir, std::string_view step)
{
  make_directory(dir, k_private_dir_mode, step);
}

}  // namespace clm::util
