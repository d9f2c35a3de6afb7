// Digests of files: SHA-256 and HMAC-SHA256 of files streamed in chunks (or of strings),
// and the bounded whole-file reads the sidecar and key code share.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace clm {

inline constexpr std::size_t k_digest_chunk_bytes = std::size_t{1} << 20;  // read size when streaming a file

enum class DigestKind { sha256, hmac_sha256 };

// Return the name of kind's algorithm for messages: "SHA-256" or "HMAC-SHA256".
const char* digest_name(DigestKind kind);

// Streams files (or strings) through SHA-256 or HMAC-SHA256 and returns lower-case hex.
// One object reuses one 1 MiB buffer and one OpenSSL context for every file, so checking
// many small files allocates nothing per file.
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

// Read all of the open file fd (size_hint: its size, when known) into out, reusing
// out's capacity; Error(file_read) naming path when it fails or holds more than limit bytes.
void read_fd_bounded(int fd, const char* path, std::size_t size_hint, std::size_t limit, std::string& out);

// Read the regular file path (at most limit bytes) into out, reusing out's capacity.
// A FIFO or device planted at path is refused without blocking. Error(file_read)
// naming path when it is not a regular file, cannot be read, or is larger than limit.
void read_regular_file(const char* path, std::size_t limit, std::string& out);

}  // namespace clm
