// Crash-safe file writing: a reader sees the old file or the new one, never a torn one.
#pragma once

#include <clm/util/fd.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace clm {

// Write data to path through a temporary file in the same directory: write, fsync,
// chmod to mode, rename over path, fsync the directory. On failure the temporary
// file is removed, path is untouched, and Error(file_write) names the path.
void write_file_atomic(const std::filesystem::path& path, std::string_view data, mode_t mode);

// Remove the entries of dir named prefix and six more characters (what mkstemp and
// mkdtemp make) of the given type that were last changed before this process started
// and that no process holds an flock on: what a killed run left, not what a live one
// (this process's other threads included) is writing. Errors are ignored.
void remove_stale_entries(const std::filesystem::path& dir, std::string_view prefix, std::filesystem::file_type type);

// A private directory for files that are not ready to be seen: DIR/PREFIX and six
// characters, made by mkdtemp, mode 0700 whatever the umask, and flock'ed through fd for
// as long as fd is open, so that remove_stale_entries in another run leaves it alone.
struct LockedTempDir {
  std::filesystem::path path;
  util::UniqueFd fd;
};

// Make a LockedTempDir in dir; on failure nothing is left and Error(file_write) says
// "DIR: STEP: reason".
LockedTempDir make_locked_temp_dir(const std::filesystem::path& dir, std::string_view prefix, std::string_view step);

// Remove the temporaries write_file_atomic left beside path when killed (.NAME.tmp.XXXXXX).
void remove_stale_temporaries(const std::filesystem::path& path);

// Make written (a file another program just wrote, in path's directory) mode, fsync
// it, rename it over path and fsync the directory. Error(file_write) on failure.
void install_file(const std::filesystem::path& written, const std::filesystem::path& path, mode_t mode);

// Remove path (a missing file is not an error) and fsync its directory.
void remove_file_durable(const std::filesystem::path& path);

// fsync the directory dir, so renames and removals in it survive a crash.
void sync_directory(const std::filesystem::path& dir);

// Write all of data to fd, retrying on EINTR; return 0, or the errno that stopped it.
int write_fully(int fd, std::string_view data);

// Write all of data to the open file fd (short writes and EINTR retried); on failure
// throw Error(file_write) naming path, fd left open.
void write_all(int fd, std::string_view data, const std::filesystem::path& path);

// Return the whole contents of path; throw Error(file_read) naming it on failure.
std::string read_file(const std::filesystem::path& path);

// Return the first line of path without its line ending (for secrets kept in files);
// throw Error(file_read) when it cannot be read or Error(bad_file_format) when it is empty.
std::string read_secret_file(const std::filesystem::path& path);

}  // namespace clm
