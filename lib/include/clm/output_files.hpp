// Where the tools put what the server hands out: checked names in a checked
// directory, each file written atomically with a sha256sum-format sidecar.
#pragma once

#include <clm/validate.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace clm {

inline constexpr std::size_t k_max_file_name_bytes = field_rule(Field::file_name).tool_max_bytes;
inline constexpr std::size_t k_max_out_dir_bytes = field_rule(Field::out_dir).tool_max_bytes;  // with the file name
inline constexpr mode_t k_secret_mode = 0600;
inline constexpr mode_t k_public_mode = 0644;

// Throw Error(bad_parameter) naming option unless dir is an absolute path of printable
// ASCII without shell specials, short enough for name_bytes more; Error(file_write)
// when it is not an existing directory.
void check_out_dir(const std::filesystem::path& dir, std::size_t name_bytes, const std::string& option);

// Throw Error(bad_parameter) naming option unless name is 1..242 bytes of printable
// ASCII without '/' (a file name, not a path; ".." and "." are refused too).
void check_file_name(const std::string& name, const std::string& option);

// Write data to path atomically with mode, and PATH.sha256 ("<hex>  <name>\n", so
// `sha256sum -c` run in the directory checks it), so that a crash at any point leaves
// the old pair or the new one (ARCHITECTURE.md, "A file and its sidecar"); first
// settle what a crash left of an earlier write. Return both paths, file first.
std::vector<std::string> write_with_sidecar(const std::filesystem::path& path, std::string_view data, mode_t mode);

// Finish or undo what a crash left of a write of path and its sidecar: a pending
// sidecar (SIDECAR.pending) that matches path is renamed over the sidecar, one that
// does not is removed. Error(file_write) when the rename fails.
void settle_sidecar(const std::filesystem::path& path, const std::filesystem::path& sidecar);

// Return the sha256sum-format line for data stored under file name name.
std::string sidecar_line(std::string_view data, const std::string& name);

}  // namespace clm
