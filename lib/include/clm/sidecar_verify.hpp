// The offline check clm-verify runs: files against their .sha256 and .hmac sidecars,
// the sidecars of a directory spread over the cores.
#pragma once

#include <clm/exit_code.hpp>
#include <clm/file_digest.hpp>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace clm {

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
// twice is checked once. A file that matches its pending sidecar (SIDECAR.pending)
// passes: its write was interrupted before the sidecar was renamed. Nothing is thrown
// for the files checked; results say it all.
VerifySummary verify_paths(const std::vector<std::string>& paths, const VerifyOptions& options,
                           const std::function<void(const FileCheck&)>& report);

// Check file against its sidecars before a tool uses it (renews or verifies what it
// holds): a file without a .sha256 or .hmac sidecar passes (no clm tool wrote it); one
// that does not match a sidecar, or whose sidecar is malformed, is Error(tampered) naming
// both; a sidecar (or, for a .hmac one, the HMAC key at hmac_key_file) that cannot be
// read is Error(file_read). So a changed file is refused before anything is sent.
void check_untampered(const std::filesystem::path& file, const std::filesystem::path& hmac_key_file);

}  // namespace clm
