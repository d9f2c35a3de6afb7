#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/parallel.hpp>
#include <clm/sidecar.hpp>
#include <clm/sidecar_verify.hpp>
#include <clm/state.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <unordered_set>

namespace clm {

namespace {

// Return s up to and including its last '/', or "" when it has none.
std::string_view dir_part(std::string_view s)
{
  const auto slash = s.rfind('/');
  return slash == std::string_view::npos ? std::string_view{} : s.substr(0, slash + 1);
}

std::string_view base_part(std::string_view s)
{
  const auto slash = s.rfind('/');
  return slash == std::string_view::npos ? s : s.substr(slash + 1);
}

std::string join(std::string_view dir, std::string_view name)
{
  std::string out(dir);
  if (!out.empty() && out.back() != '/') {
    out.push_back('/');
  }
  out.append(name);
  return out;
}

}  // namespace

ExitCode VerifySummary::exit_code() const
{
  if (unreadable > 0) {
    return ExitCode::file_read;
  }
  return tampered > 0 ? ExitCode::tampered : ExitCode::ok;
}

namespace {

// Checks sidecars and collects the results in out; one per thread, each with its own
// digesters and buffers.
class SidecarChecker {
public:
  explicit SidecarChecker(const VerifyOptions& options) : m_options(options) {}

  // Check every file sidecar names, appending one result per file to out. With
  // for_file (the file X whose sidecar this is), a sidecar that does not name X is
  // malformed: it may have been swapped for another.
  void check(const std::string& sidecar, DigestKind kind, const std::string* for_file, std::vector<FileCheck>& out)
  {
    const std::string beside = sidecar.substr(0, sidecar.size() - sidecar_ext(kind).size());
    auto emit = [&](const std::string& file, CheckStatus status, std::string error) {
      out.push_back(FileCheck{file, sidecar, kind, status, std::move(error)});
    };
    try {
      read_regular_file(sidecar.c_str(), k_max_sidecar_bytes, m_text);
    } catch (const Error& e) {
      emit(beside, CheckStatus::unreadable, std::string("cannot read the sidecar: ") + e.what());
      return;
    }
    if (m_text.empty()) {
      emit(beside, CheckStatus::malformed, "the sidecar is empty");
      return;
    }
    FileDigester* digester = digester_for(kind);
    const std::string_view dir = dir_part(sidecar);
    bool named = for_file == nullptr;
    std::string_view rest = m_text;
    for (std::size_t number = 1; !rest.empty(); ++number) {
      const auto nl = rest.find('\n');
      const std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
      const auto parsed = parse_sidecar_line(line);
      if (!parsed) {
        emit(beside, CheckStatus::malformed,
             "line " + std::to_string(number) + " of the sidecar is not '<64 hex digits>  <file name>'");
        continue;
      }
      const std::string file = parsed->name.front() == '/' ? parsed->name : std::string(dir) + parsed->name;
      if (for_file != nullptr && (file == *for_file || parsed->name == base_part(*for_file))) {
        named = true;
      }
      if (digester == nullptr) {
        emit(file, CheckStatus::unreadable, "no HMAC key: " + m_options.hmac_key_problem);
        continue;
      }
      std::string actual;
      try {
        actual = digester->hex_of_file(file.c_str());
      } catch (const Error& e) {
        emit(file, CheckStatus::unreadable, e.what());
        continue;
      }
      const bool same = kind == DigestKind::sha256 ? actual == parsed->hex : constant_time_equal(actual, parsed->hex);
      if (same || pending_sidecar_confirms(sidecar, parsed->name, actual)) {
        // Or the file was replaced and a crash came before its sidecar was.
        emit(file, CheckStatus::ok, "");
      } else {
        emit(file, CheckStatus::mismatch, std::string(digest_name(kind)) + " of the file differs from the sidecar's");
      }
    }
    if (!named) {
      emit(*for_file, CheckStatus::malformed, "the sidecar names no file " + std::string(base_part(*for_file)));
    }
  }

private:
  // Return the digester for kind, or nullptr for HMAC without a key.
  FileDigester* digester_for(DigestKind kind)
  {
    if (kind == DigestKind::sha256) {
      return &m_sha256;
    }
    if (!m_options.hmac_key) {
      return nullptr;
    }
    if (!m_hmac) {
      m_hmac = std::make_unique<FileDigester>(DigestKind::hmac_sha256, *m_options.hmac_key);
    }
    return m_hmac.get();
  }

  const VerifyOptions& m_options;
  FileDigester m_sha256{DigestKind::sha256};
  std::unique_ptr<FileDigester> m_hmac;
  std::string m_text;  // the sidecar being read; its capacity is reused
};

class Verifier {
public:
  Verifier(const VerifyOptions& options, const std::function<void(const FileCheck&)>& report)
    : m_options(options), m_report(report)
  {
    m_checkers.push_back(std::make_unique<SidecarChecker>(options));
  }

  void check_path(const std::string& path)
  {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      const int err = errno;
      emit(FileCheck{path, "", std::nullopt, CheckStatus::unreadable, std::string("cannot read: ") + std::strerror(err)});
      return;
    }
    if (S_ISDIR(st.st_mode)) {
      check_dir(path);
    } else if (const auto kind = sidecar_kind(path)) {
      check_sidecar(path, *kind, nullptr);
    } else {
      check_plain_file(path);
    }
  }

  const VerifySummary& summary() const { return m_summary; }

private:
  void emit(const FileCheck& check)
  {
    ++m_summary.checked;
    if (check.status == CheckStatus::mismatch || check.status == CheckStatus::malformed) {
      ++m_summary.tampered;
    } else if (check.status == CheckStatus::unreadable) {
      ++m_summary.unreadable;
    }
    m_report(check);
  }

  void emit_all(std::vector<FileCheck>& checks)
  {
    for (const auto& c : checks) {
      emit(c);
    }
    checks.clear();
  }

  void check_sidecar(const std::string& sidecar, DigestKind kind, const std::string* for_file)
  {
    if (m_seen.insert(sidecar).second) {
      m_checkers.front()->check(sidecar, kind, for_file, m_results);
      emit_all(m_results);
    }
  }

  // X (not a sidecar): its X.sha256 and X.hmac, of which at least one must exist.
  void check_plain_file(const std::string& path)
  {
    bool any = false;
    for (const auto kind : {DigestKind::sha256, DigestKind::hmac_sha256}) {
      const std::string sidecar = sidecar_path(path, kind).string();
      if (::access(sidecar.c_str(), F_OK) == 0) {
        any = true;
        check_sidecar(sidecar, kind, &path);
      }
    }
    if (!any) {
      emit(FileCheck{path, "", std::nullopt, CheckStatus::unreadable,
                     "no sidecar: neither " + path + ".sha256 nor " + path + ".hmac exists"});
    }
  }

  void check_dir(const std::string& dir)
  {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      const int err = errno;
      emit(FileCheck{dir, "", std::nullopt, CheckStatus::unreadable,
                     dir + ": cannot read directory: " + std::strerror(err)});
      return;
    }
    std::vector<std::string> sidecars;
    std::vector<std::string> subdirs;
    while (const dirent* e = ::readdir(d)) {
      const std::string_view name = e->d_name;
      if (name == "." || name == "..") {
        continue;
      }
      const bool sidecar_name = sidecar_kind(name).has_value();
      const bool want_dir = m_options.recursive == Recursive::yes;
      if (!sidecar_name && !want_dir) {
        continue;
      }
      unsigned char type = e->d_type;
      if (type == DT_UNKNOWN || (type == DT_LNK && sidecar_name)) {
        // The file system does not say, or a link to a sidecar: ask, following links
        // for sidecars only (a linked directory is not descended into).
        struct stat st {};
        const std::string full = join(dir, name);
        if ((sidecar_name ? ::stat(full.c_str(), &st) : ::lstat(full.c_str(), &st)) != 0) {
          continue;
        }
        type = S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : DT_UNKNOWN;
      }
      if (type == DT_REG && sidecar_name) {
        std::string full = join(dir, name);
        if (!m_seen.count(full)) {
          sidecars.push_back(std::move(full));
        }
      } else if (type == DT_DIR && want_dir) {
        subdirs.emplace_back(name);
      }
    }
    ::closedir(d);
    std::sort(sidecars.begin(), sidecars.end());
    std::sort(subdirs.begin(), subdirs.end());
    check_many(sidecars);
    for (const auto& name : subdirs) {
      check_dir(join(dir, name));
    }
  }

  // Check the sidecars of a directory, in blocks spread over the cores (small files
  // cost system calls, not hashing, and the kernel serves them on every core at once);
  // results are reported in the order of sidecars.
  void check_many(const std::vector<std::string>& sidecars)
  {
    for (const auto& s : sidecars) {
      m_seen.insert(s);
    }
    const std::size_t threads = sidecars.size() < k_parallel_threshold ? 1 : m_max_threads;
    while (m_checkers.size() < threads) {
      m_checkers.push_back(std::make_unique<SidecarChecker>(m_options));
    }
    std::vector<std::vector<FileCheck>> results(threads);
    for (std::size_t first = 0; first < sidecars.size(); first += k_block) {
      const std::size_t last = std::min(sidecars.size(), first + k_block);
      const std::size_t share = (last - first + threads - 1) / threads;
      // Share t of the block goes to checker t: each share runs once, so no checker is
      // used by two threads at a time.
      parallel_for(threads, threads, [&](std::size_t t) {
        const std::size_t b = std::min(last, first + t * share);
        const std::size_t e = std::min(last, b + share);
        for (std::size_t i = b; i < e; ++i) {
          m_checkers[t]->check(sidecars[i], *sidecar_kind(sidecars[i]), nullptr, results[t]);
        }
      });
      for (auto& r : results) {
        emit_all(r);
      }
    }
  }

  static constexpr std::size_t k_parallel_threshold = 64;
  static constexpr std::size_t k_block = 4096;

  const VerifyOptions& m_options;
  const std::function<void(const FileCheck&)>& m_report;
  const std::size_t m_max_threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 8);
  VerifySummary m_summary;
  std::vector<std::unique_ptr<SidecarChecker>> m_checkers;  // [0] also for single sidecars
  std::vector<FileCheck> m_results;
  std::unordered_set<std::string> m_seen;
};

}  // namespace

VerifySummary verify_paths(const std::vector<std::string>& paths, const VerifyOptions& options,
                           const std::function<void(const FileCheck&)>& report)
{
  Verifier v(options, report);
  for (const auto& path : paths) {
    v.check_path(path);
  }
  return v.summary();
}

void check_untampered(const std::filesystem::path& file, const std::filesystem::path& hmac_key_file)
{
  std::error_code ec;
  const bool has_sha256 = std::filesystem::exists(sidecar_path(file, DigestKind::sha256), ec);
  const bool has_hmac = std::filesystem::exists(sidecar_path(file, DigestKind::hmac_sha256), ec);
  if (!has_sha256 && !has_hmac) {
    return;
  }
  VerifyOptions options;
  if (has_hmac) {
    if (auto key = read_hmac_key(hmac_key_file)) {
      options.hmac_key = std::move(key->key);
    } else {
      options.hmac_key_problem = hmac_key_file.string() + " does not exist";
    }
  }
  std::optional<Error> failure;
  verify_paths({file.string()}, options, [&](const FileCheck& c) {
    if (failure || c.status == CheckStatus::ok) {
      return;
    }
    const std::string against = c.sidecar.empty() ? std::string() : " (sidecar " + c.sidecar + ")";
    if (c.status == CheckStatus::unreadable) {
      failure.emplace(ExitCode::file_read, "cannot check " + c.file + against + ": " + c.error);
    } else {
      failure.emplace(ExitCode::tampered, "tampered: " + c.file + " does not match its sidecar" + against
                                            + (c.error.empty() ? "" : ": " + c.error) + "; nothing was sent");
    }
  });
  if (failure) {
    throw *failure;
  }
}

}  // namespace clm
