#include <clm/atomic_file.hpp>
#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/file_digest.hpp>
#include <clm/util/directory.hpp>
#include <clm/util/errno_error.hpp>
#include <clm/util/hex.hpp>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <exception>
#include <fcntl.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <unordered_set>

namespace clm {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_sha256_bytes = 32;
constexpr std::size_t k_hex_bytes = 2 * k_sha256_bytes;
constexpr std::size_t k_max_sidecar_bytes = std::size_t{64} << 20;  // a SHA256SUMS of ~800,000 files
constexpr std::size_t k_max_key_bytes = std::size_t{1} << 20;

// Closes a file descriptor on every path out of a scope.
class Fd {
public:
  explicit Fd(int fd) : m_fd(fd) {}
  ~Fd()
  {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return m_fd; }

private:
  int m_fd;
};

std::string system_reason(int err)
{
  return util::errno_text(err);
}

[[noreturn]] void throw_read(const std::string& path, const std::string& what, int err)
{
  util::throw_errno(ExitCode::file_read, path, what, err);
}

// Open path for reading and make sure it is a regular file. O_NONBLOCK keeps a FIFO
// planted where a file should be from hanging the run; it changes nothing for files.
int open_regular(const char* path, struct stat& st)
{
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    throw_read(path, "cannot open", errno);
  }
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw_read(path, "cannot stat", err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(ExitCode::file_read, std::string(path) + ": not a regular file");
  }
  return fd;
}

// Read all of fd (at most limit bytes) into out, reusing its capacity.
void read_all(int fd, const char* path, std::size_t size_hint, std::size_t limit, std::string& out)
{
  out.clear();
  out.resize(std::min(size_hint, limit) + 1);
  std::size_t done = 0;
  for (;;) {
    if (done == out.size()) {
      if (out.size() > limit) {
        throw Error(ExitCode::file_read, std::string(path) + ": larger than " + std::to_string(limit) + " bytes");
      }
      out.resize(std::min(2 * out.size(), limit + 1));
    }
    const ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_read(path, "read", errno);
    }
    if (n == 0) {
      break;
    }
    done += static_cast<std::size_t>(n);
    if (done < out.size() && done >= size_hint) {
      break;  // a short read of a regular file at its size is its end: spare the read that returns 0
    }
  }
  if (done > limit) {
    throw Error(ExitCode::file_read, std::string(path) + ": larger than " + std::to_string(limit) + " bytes");
  }
  out.resize(done);
}

bool is_hex(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char lower(char c)
{
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool ends_with(std::string_view s, std::string_view tail)
{
  return s.size() > tail.size() && s.substr(s.size() - tail.size()) == tail;
}

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

const char* kind_word(DigestKind kind)
{
  return kind == DigestKind::sha256 ? "SHA-256" : "HMAC-SHA256";
}

}  // namespace

// ---------------------------------------------------------------------------------
// FileDigester

struct FileDigester::Impl {
  DigestKind kind;
  EVP_MD* md = nullptr;
  EVP_MD_CTX* md_ctx = nullptr;
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* mac_ctx = nullptr;
  std::unique_ptr<unsigned char[]> buffer;  // allocated on the first file, then reused
  std::string hex;

  ~Impl()
  {
    EVP_MD_CTX_free(md_ctx);
    EVP_MD_free(md);
    EVP_MAC_CTX_free(mac_ctx);
    EVP_MAC_free(mac);
  }

  void begin()
  {
    if (kind == DigestKind::sha256) {
      if (EVP_DigestInit_ex2(md_ctx, md, nullptr) != 1) {
        throw_openssl_error("EVP_DigestInit_ex2(SHA-256)");
      }
    } else if (EVP_MAC_init(mac_ctx, nullptr, 0, nullptr) != 1) {
      // A null key restarts HMAC with the key set in the constructor (no re-hashing of the key).
      throw_openssl_error("EVP_MAC_init(HMAC)");
    }
  }

  void update(const void* data, std::size_t n)
  {
    const int rc = kind == DigestKind::sha256
                     ? EVP_DigestUpdate(md_ctx, data, n)
                     : EVP_MAC_update(mac_ctx, static_cast<const unsigned char*>(data), n);
    if (rc != 1) {
      throw_openssl_error(std::string(kind_word(kind)) + " update");
    }
  }

  std::string finish()
  {
    unsigned char digest[EVP_MAX_MD_SIZE];
    std::size_t n = 0;
    if (kind == DigestKind::sha256) {
      unsigned int len = 0;
      if (EVP_DigestFinal_ex(md_ctx, digest, &len) != 1) {
        throw_openssl_error("EVP_DigestFinal_ex(SHA-256)");
      }
      n = len;
    } else if (EVP_MAC_final(mac_ctx, digest, &n, sizeof digest) != 1) {
      throw_openssl_error("EVP_MAC_final(HMAC)");
    }
    util::hex_encode_into(std::string_view(reinterpret_cast<const char*>(digest), n), hex);
    return hex;
  }
};

FileDigester::FileDigester(DigestKind kind, std::string_view key) : m_impl(std::make_unique<Impl>())
{
  m_impl->kind = kind;
  if (kind == DigestKind::sha256) {
    // Fetch once: an implicit fetch per EVP_DigestInit costs a lookup per file.
    m_impl->md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    m_impl->md_ctx = EVP_MD_CTX_new();
    if (m_impl->md == nullptr || m_impl->md_ctx == nullptr) {
      throw_openssl_error("SHA-256 setup");
    }
    return;
  }
  m_impl->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  m_impl->mac_ctx = m_impl->mac ? EVP_MAC_CTX_new(m_impl->mac) : nullptr;
  if (m_impl->mac_ctx == nullptr) {
    throw_openssl_error("HMAC setup");
  }
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
    OSSL_PARAM_construct_end(),
  };
  static const unsigned char k_no_key = 0;
  const auto* key_bytes = key.empty() ? &k_no_key : reinterpret_cast<const unsigned char*>(key.data());
  if (EVP_MAC_init(m_impl->mac_ctx, key_bytes, key.size(), params) != 1) {
    throw_openssl_error("EVP_MAC_init(HMAC-SHA256)");
  }
}

FileDigester::~FileDigester() = default;

std::string FileDigester::hex_of(std::string_view data)
{
  m_impl->begin();
  m_impl->update(data.data(), data.size());
  return m_impl->finish();
}

std::string FileDigester::hex_of_file(const char* path)
{
  struct stat st {};
  const Fd fd(open_regular(path, st));
  if (static_cast<std::size_t>(st.st_size) > k_digest_chunk_bytes) {
    ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);  // a hint: its failure changes nothing
  }
  if (!m_impl->buffer) {
    m_impl->buffer = std::make_unique<unsigned char[]>(k_digest_chunk_bytes);
  }
  m_impl->begin();
  const auto size = static_cast<std::size_t>(st.st_size);
  std::size_t done = 0;
  for (;;) {
    const ssize_t n = ::read(fd.get(), m_impl->buffer.get(), k_digest_chunk_bytes);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_read(path, "read", errno);
    }
    if (n == 0) {
      break;
    }
    m_impl->update(m_impl->buffer.get(), static_cast<std::size_t>(n));
    done += static_cast<std::size_t>(n);
    if (static_cast<std::size_t>(n) < k_digest_chunk_bytes && done >= size) {
      // A short read of a regular file that reached the size fstat gave is its end:
      // for many small files, the read that would return 0 is a fifth of the syscalls.
      break;
    }
  }
  return m_impl->finish();
}

std::string sha256_file_hex(const fs::path& path)
{
  FileDigester d(DigestKind::sha256);
  return d.hex_of_file(path.c_str());
}

std::string hmac_sha256_hex(std::string_view data, std::string_view key)
{
  FileDigester d(DigestKind::hmac_sha256, key);
  return d.hex_of(data);
}

// ---------------------------------------------------------------------------------
// Sidecar lines and the HMAC key

std::optional<SidecarLine> parse_sidecar_line(std::string_view line)
{
  // sha256sum writes a name holding a backslash or newline escaped, and marks the line
  // with a leading backslash.
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
    if (!is_hex(line[i])) {
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
    struct stat st {};
    const Fd fd(open_regular(pending.c_str(), st));
    read_all(fd.get(), pending.c_str(), static_cast<std::size_t>(st.st_size), k_max_sidecar_bytes, text);
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

std::string hmac_sidecar_line(std::string_view data, std::string_view key, const std::string& name)
{
  return hmac_sha256_hex(data, key) + "  " + name + "\n";
}

fs::path hmac_key_path(const fs::path& state_dir)
{
  return state_dir / k_hmac_key_file_name;
}

std::optional<HmacKeyFile> read_hmac_key(const fs::path& path)
{
  const int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (raw < 0) {
    if (errno == ENOENT) {
      return std::nullopt;
    }
    throw_read(path.string(), "cannot open HMAC key", errno);
  }
  const Fd fd(raw);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    throw_read(path.string(), "cannot stat HMAC key", errno);
  }
  if (!S_ISREG(st.st_mode)) {
    throw Error(ExitCode::file_read, path.string() + ": the HMAC key is not a regular file");
  }
  HmacKeyFile out;
  read_all(fd.get(), path.c_str(), static_cast<std::size_t>(st.st_size), k_max_key_bytes, out.key);
  if (out.key.empty()) {
    throw Error(ExitCode::bad_file_format, path.string() + ": the HMAC key file is empty");
  }
  out.exposed = (st.st_mode & 0044) != 0;
  return out;
}

std::string load_or_create_hmac_key(const fs::path& state_dir)
{
  const fs::path path = hmac_key_path(state_dir);
  if (auto existing = read_hmac_key(path)) {
    return std::move(existing->key);
  }
  util::make_private_directory(state_dir, "cannot create state directory");
  // Write the new key under a private name, then link it into place: link() never
  // replaces an existing file, so when two first runs race, both end up with the
  // one key that won, and no .hmac file is ever written under a key that was lost.
  const fs::path fresh = state_dir / ("." + std::string(k_hmac_key_file_name) + "." + util::hex_encode(random_bytes(8)));
  write_file_atomic(fresh, random_bytes(k_hmac_key_bytes), 0600);
  const int rc = ::link(fresh.c_str(), path.c_str());
  const int err = errno;
  ::unlink(fresh.c_str());
  if (rc != 0 && err != EEXIST) {
    throw Error(ExitCode::file_write, path.string() + ": cannot create HMAC key: " + system_reason(err));
  }
  sync_directory(state_dir);
  auto key = read_hmac_key(path);
  if (!key) {
    throw Error(ExitCode::file_read, path.string() + ": the HMAC key vanished after it was created");
  }
  return std::move(key->key);
}

// ---------------------------------------------------------------------------------
// verify_paths

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
    const std::string_view ext = kind == DigestKind::sha256 ? k_sha256_sidecar_ext : k_hmac_sidecar_ext;
    const std::string beside = sidecar.substr(0, sidecar.size() - ext.size());
    auto emit = [&](const std::string& file, CheckStatus status, std::string error) {
      out.push_back(FileCheck{file, sidecar, kind, status, std::move(error)});
    };
    try {
      struct stat st {};
      const Fd fd(open_regular(sidecar.c_str(), st));
      read_all(fd.get(), sidecar.c_str(), static_cast<std::size_t>(st.st_size), k_max_sidecar_bytes, m_text);
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
        emit(file, CheckStatus::mismatch, std::string(kind_word(kind)) + " of the file differs from the sidecar's");
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

DigestKind kind_of_sidecar(std::string_view name)
{
  return ends_with(name, k_sha256_sidecar_ext) ? DigestKind::sha256 : DigestKind::hmac_sha256;
}

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
      emit(FileCheck{path, "", std::nullopt, CheckStatus::unreadable, "cannot read: " + system_reason(err)});
      return;
    }
    if (S_ISDIR(st.st_mode)) {
      check_dir(path);
    } else if (ends_with(path, k_sha256_sidecar_ext) || ends_with(path, k_hmac_sidecar_ext)) {
      check_sidecar(path, kind_of_sidecar(path), nullptr);
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
      std::string sidecar = path;
      sidecar += kind == DigestKind::sha256 ? k_sha256_sidecar_ext : k_hmac_sidecar_ext;
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
                     dir + ": cannot read directory: " + system_reason(err)});
      return;
    }
    std::vector<std::string> sidecars;
    std::vector<std::string> subdirs;
    while (const dirent* e = ::readdir(d)) {
      const std::string_view name = e->d_name;
      if (name == "." || name == "..") {
        continue;
      }
      const bool sidecar_name = ends_with(name, k_sha256_sidecar_ext) || ends_with(name, k_hmac_sidecar_ext);
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
    std::vector<std::exception_ptr> failures(threads);
    for (std::size_t first = 0; first < sidecars.size(); first += k_block) {
      const std::size_t last = std::min(sidecars.size(), first + k_block);
      const std::size_t share = (last - first + threads - 1) / threads;
      auto work = [&](std::size_t t) {
        try {
          const std::size_t b = std::min(last, first + t * share);
          const std::size_t e = std::min(last, b + share);
          for (std::size_t i = b; i < e; ++i) {
            m_checkers[t]->check(sidecars[i], kind_of_sidecar(sidecars[i]), nullptr, results[t]);
          }
        } catch (...) {
          failures[t] = std::current_exception();  // rethrown below, on the calling thread
        }
      };
      std::vector<std::thread> pool;
      for (std::size_t t = 1; t < threads; ++t) {
        pool.emplace_back(work, t);
      }
      work(0);
      for (auto& th : pool) {
        th.join();
      }
      for (std::size_t t = 0; t < threads; ++t) {
        if (failures[t]) {
          std::rethrow_exception(failures[t]);
        }
        emit_all(results[t]);
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

}  // namespace clm
