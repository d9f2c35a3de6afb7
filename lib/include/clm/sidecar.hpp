// The .sha256 and .hmac sidecars: the digest of a file F kept beside it in F.sha256
// (or in F.hmac, the same line with an HMAC-SHA256), in sha256sum's format so that
// `sha256sum -c` checks them too. This module owns their names, their line format, and
// the protocol that replaces a file and its sidecar so that a crash never leaves a pair
// that disagrees (ARCHITECTURE.md, "A file and its sidecar").
#pragma once

#include <clm/file_digest.hpp>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace clm {

inline constexpr std::string_view k_sha256_sidecar_ext = ".sha256";
inline constexpr std::string_view k_hmac_sidecar_ext = ".hmac";
// A sidecar's new text waits under SIDECAR.pending while its file is replaced: one that
// matches the file says the file is new and the sidecar not yet renamed, and a check
// accepts it.
inline constexpr std::string_view k_pending_sidecar_ext = ".pending";
inline constexpr std::size_t k_max_sidecar_bytes = std::size_t{64} << 20;  // a SHA256SUMS of ~800,000 files

// Return the extension of kind's sidecars: ".sha256" or ".hmac".
std::string_view sidecar_ext(DigestKind kind);

// Return the path of file's sidecar of kind: FILE.sha256 or FILE.hmac.
std::filesystem::path sidecar_path(const std::filesystem::path& file, DigestKind kind);

// Return the path sidecar's new text waits under while its file is replaced: SIDECAR.pending.
std::filesystem::path pending_sidecar_path(const std::filesystem::path& sidecar);

// Return the kind of sidecar name names by its extension (.sha256 or .hmac after at
// least one more character), or nullopt when it is no sidecar's name.
std::optional<DigestKind> sidecar_kind(std::string_view name);

// One line of a sidecar: the digest and the name of the file it is for.
struct SidecarLine {
  std::string hex;   // 64 hex digits, lower-cased
  std::string name;  // unescaped; relative to the sidecar's directory unless absolute
  bool binary = false;  // written as "<hex> *<name>" (sha256sum --binary)
};

// Return the parts of one sidecar line without its newline: "<64 hex>  <name>" or
// "<64 hex> *<name>", hex in either case, and sha256sum's escaped form (a leading
// backslash, then \\, \n and \r in the name); nullopt when the line is malformed.
std::optional<SidecarLine> parse_sidecar_line(std::string_view line);

// Return the sidecar line "<hex>  <name>\n" as sha256sum writes it: a name holding a
// backslash, newline or carriage return is escaped and the line marked with a leading
// backslash, so the line stays one line and names exactly that file.
std::string format_sidecar_line(std::string_view hex, std::string_view name);

// Return the .sha256 sidecar line for data stored under file name name.
std::string sidecar_line(std::string_view data, std::string_view name);

// Return the .hmac sidecar line for data stored under file name name: the .sha256
// format with the HMAC-SHA256 of data under key as the hex.
std::string hmac_sidecar_line(std::string_view data, std::string_view key, std::string_view name);

// Return whether SIDECAR.pending gives file name (as the sidecar names it) the digest
// hex (what the file has now; compared in constant time): the file was replaced and
// its sidecar not yet.
bool pending_sidecar_confirms(const std::string& sidecar, std::string_view name, std::string_view hex);

// Write data to path atomically with mode, and PATH.sha256 (so `sha256sum -c` run in the
// directory checks it), in three durable steps: the new sidecar as SIDECAR.pending, the
// file, the pending sidecar renamed over the sidecar. A crash at any point leaves the
// old pair, the new file with a pending sidecar that matches it, or the new pair; first
// settle what a crash left of an earlier write. Return both paths, file first.
std::vector<std::string> write_with_sidecar(const std::filesystem::path& path, std::string_view data, mode_t mode);

// Like write_with_sidecar, for a file another program wrote: written (holding data, on
// path's file system) is made mode, synced and renamed over path in the second step.
std::vector<std::string> install_with_sidecar(const std::filesystem::path& written, const std::filesystem::path& path,
                                              std::string_view data, mode_t mode);

// Finish or undo what a crash left of a write of path and its sidecar: a pending
// sidecar (SIDECAR.pending) that matches path is renamed over the sidecar, one that
// does not is removed, and the temporaries of killed writes of the three are deleted.
// Error(file_write) when the rename fails.
void settle_sidecar(const std::filesystem::path& path, const std::filesystem::path& sidecar);

}  // namespace clm
