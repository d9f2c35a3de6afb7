// TWINE-80/128, the 64-bit lightweight block cipher of Suzaki, Minematsu, Morioka and
// Kobayashi (SAC 2012), written from the paper: 36 rounds of a type-2 generalized Feistel
// network over 16 nibbles. Used by the OTR engine (otr.hpp) for the TWINE-OTR profile.
// Table-driven: lookups are indexed by secret data, so it is not hardened against cache-timing
// attackers sharing the CPU.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace clm {

class Twine {
public:
  static constexpr std::size_t k_block_size = 8;
  static constexpr std::size_t k_rounds = 36;

  // Take a 10-byte (TWINE-80) or 16-byte (TWINE-128) key and expand it once;
  // throw Error(bad_parameter) for any other size.
  explicit Twine(std::string_view key);
  ~Twine();
  Twine(const Twine&) = delete;
  Twine& operator=(const Twine&) = delete;

  // Encrypt one 8-byte block; in and out may be the same buffer.
  void encrypt_block(const std::uint8_t in[k_block_size], std::uint8_t out[k_block_size]) const;

  // Decrypt one 8-byte block; in and out may be the same buffer.
  void decrypt_block(const std::uint8_t in[k_block_size], std::uint8_t out[k_block_size]) const;

  // Encrypt count consecutive blocks (ECB) from in to out, several at a time, which is
  // faster than one encrypt_block call per block; in and out may be the same buffer.
  void encrypt_blocks(const std::uint8_t* in, std::uint8_t* out, std::size_t count) const;

  // Decrypt count consecutive blocks (ECB) from in to out; in and out may be the same buffer.
  void decrypt_blocks(const std::uint8_t* in, std::uint8_t* out, std::size_t count) const;

  // Return the 32-bit round key of round 1..36 (RK_round, nibble 0 in the top bits), a debugging aid.
  std::uint32_t round_key(std::size_t round) const;

  // Return the key size in bytes (10 or 16).
  std::size_t key_size() const { return m_key_size; }

private:
  // RK_1..RK_36, nibble 0 in the top bits.
  std::array<std::uint32_t, k_rounds> m_round_keys{};
  // Round key r spread over the even nibbles of a 64-bit state.
  std::array<std::uint64_t, k_rounds> m_key_masks{};
  // Per-step constants that undo the key on the even nibbles after the shuffle and add the
  // next step's key, in the order the steps run: rounds 1..35 (encryption), 36..2 (decryption).
  std::array<std::uint64_t, k_rounds - 1> m_enc_links{};
  std::array<std::uint64_t, k_rounds - 1> m_dec_links{};
  std::size_t m_key_size = 0;
};

}  // namespace clm
