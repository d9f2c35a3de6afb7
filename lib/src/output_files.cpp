#include <clm/error.hpp>
#include <clm/output_files.hpp>
#include <clm/util/errno_error.hpp>
#include <clm/util/hex.hpp>

namespace clm {

namespace fs = std::filesystem;

void check_out_dir(const fs::path& dir, std::size_t name_bytes, const std::string& option)
{
  const std::string s = dir.string();
  if (s.empty() || s.front() != '/') {
    throw Error(ExitCode::bad_parameter, option + ": '" + s + "' is not an absolute path");
  }
  // Characters first: the length check below counts the file name in.
  if (field_problem(Field::out_dir, Side::tool, s.substr(0, k_max_out_dir_bytes))) {
    throw Error(ExitCode::bad_parameter,
                option + ": only printable ASCII without spaces and ; & ` ( ) $ < > * ? { } [ ] ! is allowed");
  }
  if (s.size() + name_bytes > k_max_out_dir_bytes) {
    throw Error(ExitCode::bad_parameter, option + ": the directory and file name together exceed "
                                           + std::to_string(k_max_out_dir_bytes) + " bytes");
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error(ExitCode::file_write, option + ": " + s + " is not an existing directory");
  }
}

void check_file_name(const std::string& name, const std::string& option)
{
  if (name.empty() || name.size() > k_max_file_name_bytes) {
    throw Error(ExitCode::bad_parameter,
                option + ": a file name needs 1.." + std::to_string(k_max_file_name_bytes) + " bytes");
  }
  if (name.find('/') != std::string::npos || name == "." || name == "..") {
    throw Error(ExitCode::bad_parameter, option + ": '" + name + "' is a path; give a file name without '/'");
  }
  if (field_problem(Field::file_name, Side::tool, name)) {
    throw Error(ExitCode::bad_parameter, option + ": only printable ASCII without spaces is allowed");
  }
}

}  // namespace clm
