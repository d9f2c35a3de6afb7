// Where the tools put what the server hands out: checked names in a checked directory
// (each file is then written with its sidecar, see sidecar.hpp), and their modes.
#pragma once

#include <clm/validate.hpp>

#include <filesystem>
#include <string>
#include <sys/types.h>

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

}  // namespace clm
