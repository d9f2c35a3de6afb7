// Small cryptographic helpers on OpenSSL 3: randomness, encodings, hashing and
// authenticated encryption of secrets at rest.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace clm {

// Throw Error(internal) with what and the reason at the head of OpenSSL's error queue,
// then clear the queue.
[[noreturn]] void throw_openssl_error(const std::string& what);

// Return n bytes from the operating system's CSPRNG (OpenSSL RAND_bytes).
std::string random_bytes(std::size_t n);

// Return a string of n characters drawn uniformly from alphabet (no modulo bias).
std::string random_string(std::size_t n, std::string_view alphabet);

// Return the standard base64 encoding of data, without line breaks.
std::string base64_encode(std::string_view data);

// Return the bytes base64 text encodes; throw Error(bad_file_format) when it is not base64.
std::string base64_decode(std::string_view text);

// Return the SHA-256 digest of data (32 raw bytes).
std::string sha256(std::string_view data);

// Return whether a and b are equal, taking time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

// AES-256-GCM with a random 96-bit nonce. Sealed text is nonce || ciphertext || tag.
// The associated data binds a sealed secret to the record it belongs to.
class SecretBox {
public:
  static constexpr std::size_t k_key_size = 32;

  // Take a 32-byte key; throw Error(bad_parameter) for any other size.
  explicit SecretBox(std::string key);
  ~SecretBox();
  SecretBox(const SecretBox&) = delete;
  SecretBox& operator=(const SecretBox&) = delete;

  // Return plaintext encrypted and authenticated together with associated.
  std::string seal(std::string_view plaintext, std::string_view associated) const;

  // Return the plaintext of sealed; throw Error(tampered) when authentication fails.
  std::string open(std::string_view sealed, std::string_view associated) const;

private:
  std::string m_key;
};

}  // namespace clm
