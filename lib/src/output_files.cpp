#include <clm/atomic_file.hpp>
#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/file_digest.hpp>
#include <clm/output_files.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>

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

std::string sidecar_line(std::string_view data, const std::string& name)
{
  return hex_encode(sha256(data)) + "  " + name + "\n";
}

void settle_sidecar(const fs::path& path, const fs::path& sidecar)
{
  const fs::path pending = sidecar.string() + std::string(k_pending_sidecar_ext);
  for (const fs::path& p : {path, sidecar, pending}) {
    remove_stale_temporaries(p);
  }
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(pending, ec))) {
    return;
  }
  std::string hex;
  try {
    hex = sha256_file_hex(path);
  } catch (const Error&) {
    // No file to confirm it: the pending sidecar belongs to nothing.
  }
  if (!hex.empty() && pending_sidecar_confirms(sidecar.string(), path.filename().string(), hex)) {
    if (::rename(pending.c_str(), sidecar.c_str()) != 0) {
      throw Error(ExitCode::file_write, sidecar.string() + ": cannot finish an interrupted update: "
                                          + std::strerror(errno));
    }
    sync_directory(sidecar.parent_path());
  } else {
    remove_file_durable(pending);
  }
}

std::vector<std::string> write_with_sidecar(const fs::path& path, std::string_view data, mode_t mode)
{
  // The new sidecar first, under its pending name; then the file; then the sidecar.
  // A crash between two steps leaves the old pair, or the new file with a pending
  // sidecar that matches it, which checks accept and the next write settles.
  const fs::path sidecar = path.string() + std::string(k_sha256_sidecar_ext);
  const fs::path pending = sidecar.string() + std::string(k_pending_sidecar_ext);
  settle_sidecar(path, sidecar);
  write_file_atomic(pending, sidecar_line(data, path.filename().string()), mode);
  write_file_atomic(path, data, mode);
  if (::rename(pending.c_str(), sidecar.c_str()) != 0) {
    throw Error(ExitCode::file_write, sidecar.string() + ": cannot rename " + pending.filename().string()
                                        + " over it: " + std::strerror(errno));
  }
  sync_directory(sidecar.parent_path());
  return {path.string(), sidecar.string()};
}

}  // namespace clm
