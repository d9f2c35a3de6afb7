// An exclusive advisory lock (flock(2)) on a file, held as long as the object lives.
#pragma once

#include <clm/util/fd.hpp>

#include <filesystem>
#include <optional>
#include <string_view>

namespace clm::util {

class LockFile {
public:
  // Open path (creating it 0600) and take its exclusive lock without waiting. Return
  // nullopt when another open file holds the lock; throw Error(file_write,
  // "PATH: OPEN_STEP: reason") when path cannot be opened and "PATH: LOCK_STEP: reason"
  // when flock fails otherwise (an empty step leaves its part out).
  static std::optional<LockFile> try_lock(const std::filesystem::path& path, std::string_view open_step,
                                          std::string_view lock_step);

  // Return the path of the locked file.
  const std::filesystem::path& path() const { return m_path; }

private:
  LockFile(std::filesystem::path path, UniqueFd fd) : m_path(std::move(path)), m_fd(std::move(fd)) {}

  std::filesystem::path m_path;
  UniqueFd m_fd;  // closing it releases the lock
};

}  // namespace clm::util
