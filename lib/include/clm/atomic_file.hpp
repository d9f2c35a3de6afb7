// Crash-safe file writing: a reader sees the old file or the new one, never a torn one.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace clm {

// Write data to path through a temporary file in the same directory: write, fsync,
// chmod to mode, rename over path, fsync the directory. On failure the temporary
// file is removed, path is untouched, and Error(file_write) names the path.
void write_file_atomic(const std::filesystem::path& path, std::string_view data, mode_t mode);

// Return the whole contents of path; throw Error(file_read) naming it on failure.
std::string read_file(const std::filesystem::path& path);

// Return the first line of path without its line ending (for secrets kept in files);
// throw Error(file_read) when it cannot be read or Error(bad_file_format) when it is empty.
std::string read_secret_file(const std::filesystem::path& path);

}  // namespace clm
