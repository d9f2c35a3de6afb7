// OTR authenticated encryption (Minematsu, EUROCRYPT 2014; the AES-OTR v3 CAESAR
// submission) over any 64- or 128-bit block cipher, with adapters for AES (OpenSSL) and
// TWINE (twine.hpp), and this project's TWINE-OTR profile.
//
// OTR uses only the forward direction of the block cipher. Sealed text is
// ciphertext || tag; the ciphertext is as long as the plaintext.
#pragma once

#include <clm/twine.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct evp_cipher_ctx_st;  // OpenSSL's EVP_CIPHER_CTX

namespace clm {

// The forward direction of an n-bit block cipher under a fixed key (n = 64 or 128 for OTR).
class BlockCipher {
public:
  virtual ~BlockCipher() = default;

  // Return the block size in bytes.
  virtual std::size_t block_size() const = 0;

  // Encrypt one block from in to out (they may be the same buffer).
  virtual void encrypt_block(const std::uint8_t* in, std::uint8_t* out) const = 0;

  // Encrypt count consecutive blocks from in to out (ECB); override when batching is faster.
  virtual void encrypt_blocks(const std::uint8_t* in, std::uint8_t* out, std::size_t count) const;

protected:
  BlockCipher() = default;
  BlockCipher(const BlockCipher&) = default;
  BlockCipher& operator=(const BlockCipher&) = default;
};

// How OTR processes the associated data: the P (parallel) or S (serial) mode of AES-OTR v3.
enum class OtrMode { parallel, serial };

// Return ciphertext || tag (tag_size bytes) of plaintext under cipher, nonce and associated.
// The nonce must be 1 .. n/8-1 bytes (|N| <= n-8 bits, so that Format(tau, N) fits one block)
// and tag_size 1 .. n/8; anything else, or a block size other than 8 or 16, throws
// Error(bad_parameter). Never seal two messages with the same key and nonce.
std::string otr_seal(const BlockCipher& cipher, OtrMode mode, std::string_view nonce, std::string_view associated,
                     std::string_view plaintext, std::size_t tag_size);

// Return the plaintext of sealed (ciphertext || tag); throw Error(tampered) when the tag does
// not match or sealed is shorter than the tag, releasing no plaintext. Parameters as otr_seal.
std::string otr_open(const BlockCipher& cipher, OtrMode mode, std::string_view nonce, std::string_view associated,
                     std::string_view sealed, std::size_t tag_size);

// AES-128/192/256 (OpenSSL EVP, ECB, no padding) as an OTR block cipher. One cipher context
// is set up per object; do not use one object from several threads at once.
class AesBlockCipher final : public BlockCipher {
public:
  // Take a 16-, 24- or 32-byte key, which chooses AES-128, -192 or -256; throw
  // Error(bad_parameter) for any other size.
  explicit AesBlockCipher(std::string_view key);

  std::size_t block_size() const override { return 16; }
  void encrypt_block(const std::uint8_t* in, std::uint8_t* out) const override;
  void encrypt_blocks(const std::uint8_t* in, std::uint8_t* out, std::size_t count) const override;

private:
  struct CtxFree {
    void operator()(evp_cipher_ctx_st* ctx) const;  // EVP_CIPHER_CTX_free, which wipes the key
  };
  std::unique_ptr<evp_cipher_ctx_st, CtxFree> m_ctx;
};

// TWINE-80/128 (twine.hpp) as an OTR block cipher (n = 64).
class TwineBlockCipher final : public BlockCipher {
public:
  // Take a 10- or 16-byte key; throw Error(bad_parameter) for any other size.
  explicit TwineBlockCipher(std::string_view key) : m_twine(key) {}

  std::size_t block_size() const override { return Twine::k_block_size; }
  void encrypt_block(const std::uint8_t* in, std::uint8_t* out) const override;
  void encrypt_blocks(const std::uint8_t* in, std::uint8_t* out, std::size_t count) const override;

private:
  Twine m_twine;
};

// The TWINE-OTR profile of this project — OUR OWN parameter choice, not claimed to be
// byte-compatible with NEC's lightcipher or any other TWINE-OTR: TWINE-128, n = 64
// (doubling constant 0x1B), P mode, tau = 64 bits, a fresh random 7-byte nonce per message.
// Sealed text is nonce(7) || ciphertext || tag(8). With a 64-bit block, keep the data sealed
// under one key far below 2^32 blocks (32 GiB).
inline constexpr std::size_t k_twine_otr_key_size = 16;
inline constexpr std::size_t k_twine_otr_nonce_size = 7;
inline constexpr std::size_t k_twine_otr_tag_size = 8;

// Return nonce(7) || ciphertext || tag(8) of plaintext and associated under a 16-byte key;
// throw Error(bad_parameter) for any other key size.
std::string twine_otr_seal(std::string_view key, std::string_view plaintext, std::string_view associated = {});

// Return the plaintext of what twine_otr_seal returned; throw Error(bad_parameter) for a key
// that is not 16 bytes, Error(bad_file_format) when sealed is shorter than 15 bytes (nonce and
// tag), and Error(tampered) when authentication fails (wrong key, associated data or text).
std::string twine_otr_open(std::string_view key, std::string_view sealed, std::string_view associated = {});

}  // namespace clm
