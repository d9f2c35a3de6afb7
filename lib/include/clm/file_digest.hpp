// Digests of files and the sidecars that record them: SHA-256 and HMAC-SHA256 of
// files streamed in chunks, the sha256sum line format both sidecar kinds share
// ("<64 hex>  <name>"), the per-host HMAC key, and the offline check clm-verify runs.
#pragma once

#include <clm/exit_code.hpp>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clm {

inline constexpr std::size_t k_digest_chunk_bytes = std::size_t{1} << 20;  // read size when streaming a file
inline constexpr std::size_t k_hmac_key_bytes = 32;
inline constexpr const char* k_hmac_key_file_name = "hmac.key";
inline constexpr std::string_view k_sha256_sidecar_ext = ".sha256";
inline constexpr std::string_view k_hmac_sidecar_ext = ".hmac";
// A sidecar's new text waits under SIDECAR.pending while its file is replaced (see
// ARCHITECTURE.md, "A file and its sidecar"): one that matches the file says the
// file is new and the sidecar not yet renamed, and a check accepts it.
inline constexpr std::string_view k_pending_sidecar_ext = ".pending";

enum class DigestKind { sha256, hmac_sha256 };

// Streams files (or strings) through SHA-256 or HMAC-SHA256 and returns lower-case hex.
// One object reuses one 1 MiB buffer and one OpenSSL context for every file, so checking
// many small files allocates nothing per file.
// Return whether SIDECAR.pending gives file name (as the sidecar names it) the digest
// hex (what the file has now; compared in constant time): the file was replaced and
// its sidecar not yet.
bool pending_sidecar_confirms(const std::string& sidecar, std::string_view name, std::string_view hex);

class FileDigester {
public:
  // Digest with SHA-256; key is ignored. With hmac_sha256, key is the HMAC key (raw bytes).
  explicit FileDigester(DigestKind kind, std::string_view key = {});
  ~FileDigester();
  FileDigester(const FileDigester&) = delete;
  FileDigester& operator=(const FileDigester&) = delete;

  // Return the hex digest of the file at path, read in 1 MiB chunks; throw
  // Error(file_read) naming path (and the system's reason) when it cannot be read.
  std::string hex_of_file(const char* path);

  // Return the hex digest of data.
  std::string hex_of(std::string_view data);

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Return the lower-case hex SHA-256 of the file at path (Error(file_read) when unreadable).
std::string sha256_file_hex(const std::filesystem::path& path);

// Return the lower-case hex HMAC-SHA256 of data under key.
std::string hmac_sha256_hex(std::string_view data, std::string_view key);

// One line of a sidecar: the digest and the name of the file it is for.
struct SidecarLine {
  std::string hex;   // 64 hex digits, lower-cased
  std::string name;  // unescaped; relative to the sidecar's directory unless absolute
  bool binary = false;  // written as "<hex> *<name>" (sha256sum --binary)
};

// Return the parts of one sidecar line without its newline: "<64 hex>  <name>" or
// "<64 hex> *<name>", hex in either case, and sha256sum's escaped form (a leading
// backslash, then \\ and \n in the name); nullopt when the line is malformed.
std::optional<SidecarLine> parse_sidecar_line(std::string_view line);

// Return the .hmac sidecar line for data stored under file name name: the .sha256
// format with the HMAC-SHA256 of data under key as the hex.
std::string hmac_sidecar_line(std::string_view data, std::string_view key, const std::string& name);

// Return the path of the per-host HMAC key in state_dir.
std::filesystem::path hmac_key_path(const std::filesystem::path& state_dir);

// Return the per-host HMAC key of state_dir (its hmac.key), first creating it when
// missing: 32 random bytes, mode 0600, written atomically (the directory is created
// 0700 if needed). Error(file_read) when it exists but cannot be read,
// Error(bad_file_format) when it is empty, Error(file_write) when it cannot be made.
std::string load_or_create_hmac_key(const std::filesystem::path& state_dir);

// An HMAC key read from a file, and whether users other than the owner may read it.
struct HmacKeyFile {
  std::string key;
  bool exposed = false;  // the file's group or other read bit is set
};

// Return the raw bytes of the key file path, or nullopt when it does not exist.
// Error(file_read) when it exists but cannot be read, Error(bad_file_format) when empty.
std::optional<HmacKeyFile> read_hmac_key(const std::filesystem::path& path);

// ---------------------------------------------------------------------------------
// Checking files against their sidecars

enum class CheckStatus {
  ok,
  mismatch,    // the file's digest differs from the sidecar's: tampered
  malformed,   // the sidecar is not in sidecar format (or names another file): tampered
  unreadable,  // a file, a sidecar or the HMAC key is missing or cannot be read
};

// The result of checking one file against one sidecar.
struct FileCheck {
  std::string file;     // the file checked (for a malformed sidecar: the file it stands beside)
  std::string sidecar;  // the sidecar's path; empty when none was found
  std::optional<DigestKind> kind;  // nullopt when no sidecar was found
  CheckStatus status = CheckStatus::ok;
  std::string error;  // why the check failed; empty when status is ok
};

enum class Recursive { no, yes };

struct VerifyOptions {
  std::optional<std::string> hmac_key;  // needed only when a .hmac sidecar is met
  std::string hmac_key_problem;         // why there is no key (said in .hmac results)
  Recursive recursive = Recursive::no;
};

// What a run of verify_paths found.
struct VerifySummary {
  std::size_t checked = 0;
  std::size_t tampered = 0;    // mismatch or malformed
  std::size_t unreadable = 0;

  // Return the exit code: file_read when anything was unreadable (it wins, because a
  // missing file may hide anything), else tampered when anything differed, else ok.
  ExitCode exit_code() const;
};

// Check paths against their sidecars and call report once per result, in order. A
// path ending in .sha256 or .hmac is a sidecar: every file it names is checked. Any
// other file X is checked against X.sha256 and X.hmac beside it (unreadable when
// neither exists). A directory is read for its sidecars (files without one are
// skipped), with Recursive::yes also those of its subdirectories. A sidecar reached
// twice is checked once. Nothing is thrown for the files checked; results say it all.
VerifySummary verify_paths(const std::vector<std::string>& paths, const VerifyOptions& options,
                           const std::function<void(const FileCheck&)>& report);

}  // namespace clm
