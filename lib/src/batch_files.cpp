#include <clm/atomic_file.hpp>
#include <clm/batch_files.hpp>
#include <clm/error.hpp>
#include <clm/util/errno_error.hpp>

#include <cerrno>
#include <fcntl.h>
#include <fstream>
#include <mutex>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace clm {

namespace fs = std::filesystem;

namespace {

// The process's umask, read without changing it (umask(2) can only set it, which would
// race with other threads creating files). When it cannot be read, assume it strips
// every bit, so modes are always set explicitly.
mode_t process_umask()
{
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Umask:", 0) == 0) {
      return static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
    }
  }
  return 0777;
}

constexpr std::string_view k_staging_prefix = ".clm-batch.";  // and mkdtemp's six characters

// Remove the staging directories a killed run left in dir, once per directory and
// process; a thread staging in dir waits until that is done.
void remove_stale_staging(const fs::path& dir)
{
  static std::mutex mutex;
  static std::set<std::string> cleaned;
  const std::lock_guard lock(mutex);
  if (cleaned.insert(dir.string()).second) {
    remove_stale_entries(dir, k_staging_prefix, fs::file_type::directory);
  }
}

}  // namespace

BatchWriter::BatchWriter(fs::path dir) : m_dir(std::move(dir)) {}

BatchWriter::~BatchWriter()
{
  close_staging();
}

void BatchWriter::close_staging() noexcept
{
  if (!m_stagefd.valid()) {
    return;
  }
  for (const auto& name : m_pending) {
    ::unlinkat(m_stagefd.get(), name.c_str(), 0);
  }
  ::rmdir(m_stage.c_str());
  m_stagefd.close();
  m_pending.clear();
  m_names.clear();
}

void BatchWriter::open_staging()
{
  if (!m_dirfd.valid()) {
    m_dirfd.reset(::open(m_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!m_dirfd.valid()) {
      util::throw_errno(ExitCode::file_write, m_dir.native(), "open directory", errno);
    }
  }
  m_umask = process_umask();
  remove_stale_staging(m_dir);
  LockedTempDir stage = make_locked_temp_dir(m_dir, k_staging_prefix, "create staging directory");
  m_stage = std::move(stage.path);
  m_stagefd = std::move(stage.fd);
}

void BatchWriter::add(const std::string& name, std::string_view data, mode_t mode)
{
  const fs::path final = m_dir / name;
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    throw Error(ExitCode::file_write, final.string() + ": not a plain file name");
  }
  if (!m_stagefd.valid()) {
    open_staging();
  }
  // The staging directory is private (0700, made by mkdtemp), so nothing else can have
  // put a file or a symlink there. A new file gets mode from open unless the umask
  // strips some of its bits; a name added again is set to mode explicitly.
  const bool fresh = m_names.insert(name).second;
  util::UniqueFd fd(
    ::openat(m_stagefd.get(), name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd.valid()) {
    const int err = errno;
    if (fresh) {
      m_names.erase(name);
    }
    util::throw_errno(ExitCode::file_write, final.native(), "create staged file", err);
  }
  if (fresh) {
    m_pending.push_back(name);
  }
  write_all(fd.get(), data, final);
  if ((!fresh || (mode & m_umask) != 0) && ::fchmod(fd.get(), mode) != 0) {
    util::throw_errno(ExitCode::file_write, final.native(), "chmod", errno);
  }
  if (const int err = fd.close(); err != 0) {
    util::throw_errno(ExitCode::file_write, final.native(), "close", err);
  }
}

std::vector<std::string> BatchWriter::commit()
{
  std::vector<std::string> written;
  if (m_pending.empty()) {
    return written;
  }
  // One syncfs flushes every file of the batch (they share the directory's file system).
  if (::syncfs(m_stagefd.get()) != 0) {
    util::throw_errno(ExitCode::file_write, m_dir.native(), "syncfs", errno);
  }
  written.reserve(m_pending.size());
  std::size_t moved = 0;
  for (; moved < m_pending.size(); ++moved) {
    const std::string& name = m_pending[moved];
    if (::renameat(m_stagefd.get(), name.c_str(), m_dirfd.get(), name.c_str()) != 0) {
      const int err = errno;
      const fs::path failed = m_dir / name;
      // What was renamed is in place; the rest stays staged and is removed with it.
      m_pending.erase(m_pending.begin(), m_pending.begin() + static_cast<std::ptrdiff_t>(moved));
      util::throw_errno(ExitCode::file_write, failed.native(), "rename", err);
    }
    written.push_back((m_dir / name).string());
  }
  m_pending.clear();
  close_staging();
  if (::fsync(m_dirfd.get()) != 0) {
    util::throw_errno(ExitCode::file_write, m_dir.native(), "fsync directory", errno);
  }
  return written;
}

}  // namespace clm
