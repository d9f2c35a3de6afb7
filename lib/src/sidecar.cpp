#include <clm/atomic_file.hpp>
#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/sidecar.hpp>
#include <clm/util/hex.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace clm {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_hex_bytes = 64;  // a SHA-256 in hex

char lower(char c)
{
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool ends_with(std::string_view s, std::string_view tail)
{
  return s.size() > tail.size() && s.substr(s.size() - tail.size()) == tail;
}

}  // namespace

std::string_view sidecar_ext(DigestKind kind)
{
  return kind == DigestKind::sha256 ? k_sha256_sidecar_ext : k_hmac_sidecar_ext;
}

fs::path sidecar_path(const fs::path& file, DigestKind kind)
{
  return file.string() + std::string(sidecar_ext(kind));
}

fs::path pending_sidecar_path(const fs::path& sidecar)
{
  return sidecar.string() + std::string(k_pending_sidecar_ext);
}

std::optional<DigestKind> sidecar_kind(std::string_view name)
{
  if (ends_with(name, k_sha256_sidecar_ext)) {
    return DigestKind::sha256;
  }
  if (ends_with(name, k_hmac_sidecar_ext)) {
    return DigestKind::hmac_sha256;
  }
  return std::nullopt;
}

std::optional<SidecarLine> parse_sidecar_line(std::string_view line)
{
  // sha256sum writes a name holding a backslash, newline or carriage return escaped,
  // and marks the line with a leading backslash.
  const bool escaped = !line.empty() && line.front() == '\\';
  if (escaped) {
    line.remove_prefix(1);
  }
  if (line.size() < k_hex_bytes + 3 || line[k_hex_bytes] != ' '
      || (line[k_hex_bytes + 1] != ' ' && line[k_hex_bytes + 1] != '*')) {
    return std::nullopt;
  }
  SidecarLine out;
  out.hex.resize(k_hex_bytes);
  for (std::size_t i = 0; i < k_hex_bytes; ++i) {
    if (!util::is_hex_digit(line[i])) {
      return std::nullopt;
    }
    out.hex[i] = lower(line[i]);
  }
  out.binary = line[k_hex_bytes + 1] == '*';
  const std::string_view name = line.substr(k_hex_bytes + 2);
  if (!escaped) {
    if (name.find('\n') != std::string_view::npos) {
      return std::nullopt;
    }
    out.name = name;
    return out;
  }
  out.name.reserve(name.size());
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] != '\\') {
      out.name.push_back(name[i]);
      continue;
    }
    if (++i == name.size()) {
      return std::nullopt;
    }
    switch (name[i]) {
    case '\\': out.name.push_back('\\'); break;
    case 'n': out.name.push_back('\n'); break;
    case 'r': out.name.push_back('\r'); break;
    default: return std::nullopt;
    }
  }
  return out;
}

bool pending_sidecar_confirms(const std::string& sidecar, std::string_view name, std::string_view hex)
{
  const std::string pending = sidecar + std::string(k_pending_sidecar_ext);
  std::string text;
  try {
    read_regular_file(pending.c_str(), k_max_sidecar_bytes, text);
  } catch (const Error&) {
    return false;  // none (the usual case), or unreadable: it confirms nothing
  }
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    const auto parsed = parse_sidecar_line(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    if (parsed && parsed->name == name && constant_time_equal(parsed->hex, hex)) {
      return true;
    }
  }
  return false;
}

std::string format_sidecar_line(std::string_view hex, std::string_view name)
{
  if (name.find_first_of("\\\n\r") == std::string_view::npos) {
    std::string line;
    line.reserve(hex.size() + name.size() + 3);
    line.append(hex).append("  ").append(name).push_back('\n');
    return line;
  }
  std::string line = "\\";
  line.append(hex).append("  ");
  for (const char c : name) {
    switch (c) {
    case '\\': line += "\\\\"; break;
    case '\n': line += "\\n"; break;
    case '\r': line += "\\r"; break;
    default: line.push_back(c);
    }
  }
  line.push_back('\n');
  return line;
}

std::string sidecar_line(std::string_view data, std::string_view name)
{
  return format_sidecar_line(util::hex_encode(sha256(data)), name);
}

std::string hmac_sidecar_line(std::string_view data, std::string_view key, std::string_view name)
{
  return format_sidecar_line(hmac_sha256_hex(data, key), name);
}

void settle_sidecar(const fs::path& path, const fs::path& sidecar)
{
  const fs::path pending = pending_sidecar_path(sidecar);
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

namespace {

// Replace path and its sidecar in the three steps of write_with_sidecar, with place()
// putting the file holding data at path (the second step).
template <typename Place>
std::vector<std::string> replace_with_sidecar(const fs::path& path, std::string_view data, mode_t mode, Place place)
{
  // The new sidecar first, under its pending name; then the file; then the sidecar.
  // A crash between two steps leaves the old pair, or the new file with a pending
  // sidecar that matches it, which checks accept and the next write settles.
  const fs::path sidecar = sidecar_path(path, DigestKind::sha256);
  const fs::path pending = pending_sidecar_path(sidecar);
  settle_sidecar(path, sidecar);
  write_file_atomic(pending, sidecar_line(data, path.filename().string()), mode);
  place();
  if (::rename(pending.c_str(), sidecar.c_str()) != 0) {
    throw Error(ExitCode::file_write, sidecar.string() + ": cannot rename " + pending.filename().string()
                                        + " over it: " + std::strerror(errno));
  }
  sync_directory(sidecar.parent_path());
  return {path.string(), sidecar.string()};
}

}  // namespace

std::vector<std::string> write_with_sidecar(const fs::path& path, std::string_view data, mode_t mode)
{
  return replace_with_sidecar(path, data, mode, [&] { write_file_atomic(path, data, mode); });
}

std::vector<std::string> install_with_sidecar(const fs::path& written, const fs::path& path, std::string_view data,
                                              mode_t mode)
{
  return replace_with_sidecar(path, data, mode, [&] { install_file(written, path, mode); });
}

}  // namespace clm
