#include <clm/atomic_file.hpp>
#include <clm/error.hpp>
#include <clm/util/errno_error.hpp>
#include <clm/util/fd.hpp>

#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <fstream>
#include <ctime>
#include <sstream>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace clm {

namespace fs = std::filesystem;

namespace {

// When this process started, on the clock the kernel stamps files with (the coarse
// real-time clock, which may lag the precise one by a tick): whatever this process or
// one started later writes is stamped no earlier.
const fs::file_time_type k_run_start = [] {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  const auto since_epoch = std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  return std::chrono::file_clock::from_sys(
    std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch)));
}();

// Remove the temporary file unless released: the error path of write_file_atomic.
class TempFileGuard {
public:
  explicit TempFileGuard(std::string path) : m_path(std::move(path)) {}
  ~TempFileGuard()
  {
    if (!m_path.empty()) {
      ::unlink(m_path.c_str());
    }
  }
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  void release() { m_path.clear(); }

private:
  std::string m_path;
};

}  // namespace

void sync_directory(const fs::path& dir)
{
  const util::UniqueFd fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    util::throw_errno(ExitCode::file_write, dir.native(), "open directory", errno);
  }
  if (::fsync(fd.get()) != 0) {
    util::throw_errno(ExitCode::file_write, dir.native(), "fsync directory", errno);
  }
}

int write_fully(int fd, std::string_view data)
{
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno;
    }
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

void write_all(int fd, std::string_view data, const fs::path& path)
{
  if (const int err = write_fully(fd, data); err != 0) {
    util::throw_errno(ExitCode::file_write, path.native(), "write", err);
  }
}

void write_file_atomic(const fs::path& path, std::string_view data, mode_t mode)
{
  const fs::path dir = path.parent_path();
  std::string tmpl = (dir / ("." + path.filename().string() + ".tmp.XXXXXX")).string();
  // mkstemp creates the file 0600, so a secret is never readable by others, even briefly.
  util::UniqueFd fd(::mkostemp(tmpl.data(), O_CLOEXEC));
  if (!fd.valid()) {
    util::throw_errno(ExitCode::file_write, path.native(), "create temporary file", errno);
  }
  TempFileGuard guard(tmpl);
  write_all(fd.get(), data, path);
  if (::fchmod(fd.get(), mode) != 0 || ::fsync(fd.get()) != 0) {
    util::throw_errno(ExitCode::file_write, path.native(), "fsync", errno);
  }
  if (const int err = fd.close(); err != 0) {
    util::throw_errno(ExitCode::file_write, path.native(), "close", err);
  }
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    util::throw_errno(ExitCode::file_write, path.native(), "rename", errno);
  }
  guard.release();
  sync_directory(dir);
}

void remove_stale_entries(const fs::path& dir, std::string_view prefix, fs::file_type type)
{
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() != prefix.size() + 6 || name.compare(0, prefix.size(), prefix) != 0) {
      continue;
    }
    std::error_code stat_ec;
    if (it->symlink_status(stat_ec).type() != type || !(it->last_write_time(stat_ec) < k_run_start) || stat_ec) {
      continue;
    }
    // A writer holds an flock on what it is still writing; the lock is kept while removing.
    const int fd = ::open(it->path().c_str(),
                          O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (type == fs::file_type::directory ? O_DIRECTORY : 0));
    if (fd < 0) {
      continue;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      fs::remove_all(it->path(), stat_ec);
    }
    ::close(fd);
  }
}

LockedTempDir make_locked_temp_dir(const fs::path& dir, std::string_view prefix, std::string_view step)
{
  std::string tmpl = (dir / (std::string(prefix) + "XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    util::throw_errno(ExitCode::file_write, dir.native(), step, errno);
  }
  LockedTempDir made{tmpl, util::UniqueFd(::open(tmpl.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW))};
  // mkdtemp's 0700 is subject to the umask; one that takes the owner's write bit would
  // leave a directory nothing can be written in.
  if (!made.fd.valid() || ::flock(made.fd.get(), LOCK_EX) != 0 || ::fchmod(made.fd.get(), 0700) != 0) {
    const int err = errno;
    made.fd.close();
    ::rmdir(tmpl.c_str());
    util::throw_errno(ExitCode::file_write, dir.native(), step, err);
  }
  return made;
}

void remove_stale_temporaries(const fs::path& path)
{
  remove_stale_entries(path.parent_path(), "." + path.filename().string() + ".tmp.", fs::file_type::regular);
}

void install_file(const fs::path& written, const fs::path& path, mode_t mode)
{
  util::UniqueFd fd(::open(written.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) {
    util::throw_errno(ExitCode::file_write, written.native(), "open", errno);
  }
  if (::fchmod(fd.get(), mode) != 0 || ::fsync(fd.get()) != 0) {
    util::throw_errno(ExitCode::file_write, written.native(), "fsync", errno);
  }
  fd.close();
  if (::rename(written.c_str(), path.c_str()) != 0) {
    util::throw_errno(ExitCode::file_write, path.native(), "rename", errno);
  }
  sync_directory(path.parent_path());
}

void remove_file_durable(const fs::path& path)
{
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    util::throw_errno(ExitCode::file_write, path.native(), "remove", errno);
  }
  sync_directory(path.parent_path());
}

std::string read_file(const fs::path& path)
{
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    throw Error(ExitCode::file_read, path.string() + ": is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    util::throw_errno(ExitCode::file_read, path.native(), "cannot open", errno);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    throw Error(ExitCode::file_read, path.string() + ": read failed");
  }
  return ss.str();
}

std::string read_secret_file(const fs::path& path)
{
  std::string text = read_file(path);
  const auto eol = text.find_first_of("\r\n");
  if (eol != std::string::npos) {
    text.resize(eol);
  }
  if (text.empty()) {
    throw Error(ExitCode::bad_file_format, path.string() + ": the first line is empty");
  }
  return text;
}

}  // namespace clm
