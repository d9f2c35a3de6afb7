#include <clm/atomic_file.hpp>
#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/file_digest.hpp>
#include <clm/util/directory.hpp>
#include <clm/util/errno_error.hpp>
#include <clm/util/fd.hpp>
#include <clm/util/hex.hpp>
#include <clm/util/openssl.hpp>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace clm {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void throw_read(const std::string& path, const std::string& what, int err)
{
  util::throw_errno(ExitCode::file_read, path, what, err);
}

// read(2) up to n bytes into buf, retrying on EINTR; Error(file_read) naming path on failure.
std::size_t read_some(int fd, void* buf, std::size_t n, const char* path)
{
  for (;;) {
    const ssize_t got = ::read(fd, buf, n);
    if (got >= 0) {
      return static_cast<std::size_t>(got);
    }
    if (errno != EINTR) {
      throw_read(path, "read", errno);
    }
  }
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

}  // namespace

void read_fd_bounded(int fd, const char* path, std::size_t size_hint, std::size_t limit, std::string& out)
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
    const std::size_t n = read_some(fd, out.data() + done, out.size() - done, path);
    if (n == 0) {
      break;
    }
    done += n;
    if (done < out.size() && done >= size_hint) {
      break;  // a short read of a regular file at its size is its end: spare the read that returns 0
    }
  }
  if (done > limit) {
    throw Error(ExitCode::file_read, std::string(path) + ": larger than " + std::to_string(limit) + " bytes");
  }
  out.resize(done);
}

void read_regular_file(const char* path, std::size_t limit, std::string& out)
{
  struct stat st {};
  const util::UniqueFd fd(open_regular(path, st));
  read_fd_bounded(fd.get(), path, static_cast<std::size_t>(st.st_size), limit, out);
}

const char* digest_name(DigestKind kind)
{
  return kind == DigestKind::sha256 ? "SHA-256" : "HMAC-SHA256";
}

// ---------------------------------------------------------------------------------
// FileDigester

struct FileDigester::Impl {
  DigestKind kind;
  util::EvpMdPtr md;
  util::EvpMdCtxPtr md_ctx;
  util::EvpMacPtr mac;
  util::EvpMacCtxPtr mac_ctx;
  std::unique_ptr<unsigned char[]> buffer;  // allocated on the first file, then reused
  std::string hex;

  void begin()
  {
    if (kind == DigestKind::sha256) {
      if (EVP_DigestInit_ex2(md_ctx.get(), md.get(), nullptr) != 1) {
        throw_openssl_error("EVP_DigestInit_ex2(SHA-256)");
      }
    } else if (EVP_MAC_init(mac_ctx.get(), nullptr, 0, nullptr) != 1) {
      // A null key restarts HMAC with the key set in the constructor (no re-hashing of the key).
      throw_openssl_error("EVP_MAC_init(HMAC)");
    }
  }

  void update(const void* data, std::size_t n)
  {
    const int rc = kind == DigestKind::sha256
                     ? EVP_DigestUpdate(md_ctx.get(), data, n)
                     : EVP_MAC_update(mac_ctx.get(), static_cast<const unsigned char*>(data), n);
    if (rc != 1) {
      throw_openssl_error(std::string(digest_name(kind)) + " update");
    }
  }

  std::string finish()
  {
    unsigned char digest[EVP_MAX_MD_SIZE];
    std::size_t n = 0;
    if (kind == DigestKind::sha256) {
      unsigned int len = 0;
      if (EVP_DigestFinal_ex(md_ctx.get(), digest, &len) != 1) {
        throw_openssl_error("EVP_DigestFinal_ex(SHA-256)");
      }
      n = len;
    } else if (EVP_MAC_final(mac_ctx.get(), digest, &n, sizeof digest) != 1) {
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
    m_impl->md.reset(EVP_MD_fetch(nullptr, "SHA256", nullptr));
    m_impl->md_ctx.reset(EVP_MD_CTX_new());
    if (m_impl->md == nullptr || m_impl->md_ctx == nullptr) {
      throw_openssl_error("SHA-256 setup");
    }
    return;
  }
  m_impl->mac.reset(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  m_impl->mac_ctx.reset(m_impl->mac ? EVP_MAC_CTX_new(m_impl->mac.get()) : nullptr);
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
  if (EVP_MAC_init(m_impl->mac_ctx.get(), key_bytes, key.size(), params) != 1) {
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
  const util::UniqueFd fd(open_regular(path, st));
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
    const std::size_t n = read_some(fd.get(), m_impl->buffer.get(), k_digest_chunk_bytes, path);
    if (n == 0) {
      break;
    }
    m_impl->update(m_impl->buffer.get(), n);
    done += n;
    if (n < k_digest_chunk_bytes && done >= size) {
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


}  // namespace clm
