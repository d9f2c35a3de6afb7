#include <clm/atomic_file.hpp>
#include <clm/batch_files.hpp>
#include <clm/error.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace clm {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void throw_write(const std::string& path, const char* step, int err)
{
  throw Error(ExitCode::file_write, path + ": " + step + ": " + std::strerror(err));
}

}  // namespace

BatchWriter::BatchWriter(fs::path dir) : m_dir(std::move(dir)) {}

BatchWriter::~BatchWriter()
{
  for (const auto& [tmp, final] : m_pending) {
    ::unlink(tmp.c_str());
  }
}

void BatchWriter::add(const std::string& name, std::string_view data, mode_t mode)
{
  const std::string final = (m_dir / name).string();
  const std::string tmp = (m_dir / ("." + name + ".tmp")).string();
  // A leftover of an interrupted run is truncated (never followed: O_NOFOLLOW) and its
  // mode set below; a new file is created with mode from the start.
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) {
    throw_write(final, "create temporary file", errno);
  }
  if (m_names.insert(name).second) {
    m_pending.emplace_back(tmp, final);  // a name added twice is written once more, renamed once
  }
  write_all_or_close(fd, data, final);
  if (::fchmod(fd, mode) != 0 || ::close(fd) != 0) {
    throw_write(final, "close", errno);
  }
}

std::vector<std::string> BatchWriter::commit()
{
  std::vector<std::string> written;
  if (m_pending.empty()) {
    return written;
  }
  const int dirfd = ::open(m_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) {
    throw_write(m_dir.string(), "open directory", errno);
  }
  // One syncfs flushes every file of the batch (they share the directory's file system).
  const int rc = ::syncfs(dirfd);
  const int err = errno;
  ::close(dirfd);
  if (rc != 0) {
    throw_write(m_dir.string(), "syncfs", err);
  }
  written.reserve(m_pending.size());
  for (const auto& [tmp, final] : m_pending) {
    if (::rename(tmp.c_str(), final.c_str()) != 0) {
      throw_write(final, "rename", errno);
    }
    written.push_back(final);
  }
  m_pending.clear();
  m_names.clear();
  sync_directory(m_dir);
  return written;
}

}  // namespace clm
