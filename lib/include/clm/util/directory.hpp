// Directories made for the tools and the server: the parents created as needed, the
// last one with a given mode.
#pragma once

#include <filesystem>
#include <string_view>
#include <sys/types.h>

namespace clm::util {

// The mode of a directory only its owner may enter.
constexpr mode_t k_private_dir_mode = 0700;

// Create dir with mode (subject to the umask) unless it exists, creating its parents as
// needed; throw Error(file_write, "DIR: STEP: reason") when dir cannot be made.
void make_directory(const std::filesystem::path& dir, mode_t mode, std::string_view step);

// Create dir 0700 unless it exists, as make_directory does.
void make_private_directory(const std::filesystem::path& dir, std::string_view step);

}  // namespace clm::util
