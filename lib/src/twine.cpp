#include <clm/error.hpp>
#include <clm/twine.hpp>
#include <clm/util/endian.hpp>

#include <openssl/crypto.h>

#include <algorithm>
#include <string>

namespace clm {

namespace {

// The state is one 64-bit word, nibble X0 in the top four bits (the high nibble of byte 0).
//
// A round is F (X[2j+1] ^= S(X[2j] ^ RK[j]) for j = 0..7) followed by the nibble shuffle.
// Both work on byte j = X[2j]‖X[2j+1] alone, so one table per byte position maps that byte,
// with the round key already XORed into its high nibble, to its two output nibbles at their
// shuffled places; a round is eight lookups. The even nibble comes out still keyed; a
// per-round constant removes that key and adds the next round's in the same XOR.

constexpr std::array<std::uint8_t, 16> k_sbox = {0xC, 0x0, 0xF, 0xA, 0x2, 0xB, 0x9, 0x5,
                                                 0x8, 0x3, 0xD, 0x7, 0x1, 0xE, 0x6, 0x4};

// Encryption moves nibble h to k_shuffle[h]; decryption moves it to k_unshuffle[h].
constexpr std::array<std::uint8_t, 16> k_shuffle = {5, 0, 1, 4, 7, 12, 3, 8, 13, 6, 9, 2, 15, 10, 11, 14};
constexpr std::array<std::uint8_t, 16> k_unshuffle = {1, 2, 11, 6, 3, 0, 9, 4, 7, 10, 13, 14, 5, 8, 15, 12};

constexpr bool are_inverse(const std::array<std::uint8_t, 16>& p, const std::array<std::uint8_t, 16>& q)
{
  for (std::size_t h = 0; h < 16; ++h) {
    if (q[p[h]] != h) {
      return false;
    }
  }
  return true;
}
static_assert(are_inverse(k_shuffle, k_unshuffle), "the TWINE shuffle tables must be inverse permutations");

// CON_1..CON_35 of the key schedule (6 bits each).
constexpr std::array<std::uint8_t, Twine::k_rounds - 1> k_round_constants = {
  0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x03, 0x06, 0x0C, 0x18, 0x30, 0x23, 0x05, 0x0A, 0x14, 0x28, 0x13, 0x26,
  0x0F, 0x1E, 0x3C, 0x3B, 0x35, 0x29, 0x11, 0x22, 0x07, 0x0E, 0x1C, 0x38, 0x33, 0x25, 0x09, 0x12, 0x24};

// Key nibbles that form RK_r, for 80- and 128-bit keys.
constexpr std::array<std::size_t, 8> k_rk_nibbles_80 = {1, 3, 4, 6, 13, 14, 15, 16};
constexpr std::array<std::size_t, 8> k_rk_nibbles_128 = {2, 3, 12, 15, 17, 18, 28, 31};

constexpr unsigned nibble_shift(std::size_t i)
{
  return static_cast<unsigned>(60 - 4 * i);
}

using RoundTable = std::array<std::array<std::uint64_t, 256>, 8>;

// Build the F-plus-shuffle tables for a shuffle that moves nibble h to dest[h].
constexpr RoundTable make_round_table(const std::array<std::uint8_t, 16>& dest)
{
  RoundTable t{};
  for (std::size_t j = 0; j < 8; ++j) {
    for (std::size_t y = 0; y < 256; ++y) {
      const std::uint64_t even = y >> 4;  // X[2j] ^ RK[j]
      const std::uint64_t odd = (y & 0xF) ^ k_sbox[y >> 4];
      t[j][y] = (even << nibble_shift(dest[2 * j])) | (odd << nibble_shift(dest[2 * j + 1]));
    }
  }
  return t;
}

// The last F layer, which has no shuffle: byte X[2j]‖X[2j+1] (even nibble keyed) → F output.
constexpr std::array<std::uint8_t, 256> make_final_table()
{
  std::array<std::uint8_t, 256> t{};
  for (std::size_t y = 0; y < 256; ++y) {
    t[y] = static_cast<std::uint8_t>(y ^ k_sbox[y >> 4]);
  }
  return t;
}

constexpr RoundTable k_encrypt_table = make_round_table(k_shuffle);
constexpr RoundTable k_decrypt_table = make_round_table(k_unshuffle);
constexpr std::array<std::uint8_t, 256> k_final_table = make_final_table();

inline std::uint64_t round_step(const RoundTable& t, std::uint64_t s)
{
  // A tree rather than a chain of XORs: the lookups of one round do not wait for each other.
  return ((t[0][s >> 56] ^ t[1][(s >> 48) & 0xFF]) ^ (t[2][(s >> 40) & 0xFF] ^ t[3][(s >> 32) & 0xFF]))
         ^ ((t[4][(s >> 24) & 0xFF] ^ t[5][(s >> 16) & 0xFF]) ^ (t[6][(s >> 8) & 0xFF] ^ t[7][s & 0xFF]));
}

inline std::uint64_t final_step(std::uint64_t s)
{
  const auto& t = k_final_table;
  return (std::uint64_t{t[s >> 56]} << 56) | (std::uint64_t{t[(s >> 48) & 0xFF]} << 48)
         | (std::uint64_t{t[(s >> 40) & 0xFF]} << 40) | (std::uint64_t{t[(s >> 32) & 0xFF]} << 32)
         | (std::uint64_t{t[(s >> 24) & 0xFF]} << 24) | (std::uint64_t{t[(s >> 16) & 0xFF]} << 16)
         | (std::uint64_t{t[(s >> 8) & 0xFF]} << 8) | std::uint64_t{t[s & 0xFF]};
}


// Return round key nibble j (0..7) of a 32-bit round key.
constexpr std::uint64_t rk_nibble(std::uint32_t rk, std::size_t j)
{
  return (rk >> (28 - 4 * j)) & 0xF;
}

// Return rk placed on the even nibbles X[2j] of a state, where F XORs it in.
std::uint64_t key_mask(std::uint32_t rk)
{
  std::uint64_t m = 0;
  for (std::size_t j = 0; j < 8; ++j) {
    m |= rk_nibble(rk, j) << nibble_shift(2 * j);
  }
  return m;
}

// Return rk placed where the shuffle dest puts the even nibbles X[2j].
std::uint64_t shuffled_key_mask(std::uint32_t rk, const std::array<std::uint8_t, 16>& dest)
{
  std::uint64_t m = 0;
  for (std::size_t j = 0; j < 8; ++j) {
    m |= rk_nibble(rk, j) << nibble_shift(dest[2 * j]);
  }
  return m;
}

// Run all 36 rounds over W blocks side by side (independent work the CPU can overlap):
// key in, 35 table steps each followed by its link constant, the last F layer, key out.
template <std::size_t W>
inline void crypt_lanes(const RoundTable& table, std::uint64_t first_mask,
                        const std::array<std::uint64_t, Twine::k_rounds - 1>& links, std::uint64_t last_mask,
                        const std::uint8_t* in, std::uint8_t* out)
{
  std::array<std::uint64_t, W> s;
  for (std::size_t w = 0; w < W; ++w) {
    s[w] = util::load_be64(in + 8 * w) ^ first_mask;
  }
  for (const std::uint64_t link : links) {
    for (std::size_t w = 0; w < W; ++w) {
      s[w] = round_step(table, s[w]) ^ link;
    }
  }
  for (std::size_t w = 0; w < W; ++w) {
    util::store_be64(final_step(s[w]) ^ last_mask, out + 8 * w);
  }
}

// Blocks run side by side by encrypt_blocks and decrypt_blocks.
constexpr std::size_t k_lanes = 8;

void crypt_many(const RoundTable& table, std::uint64_t first_mask,
                const std::array<std::uint64_t, Twine::k_rounds - 1>& links, std::uint64_t last_mask,
                const std::uint8_t* in, std::uint8_t* out, std::size_t count)
{
  std::size_t i = 0;
  for (; i + k_lanes <= count; i += k_lanes) {
    crypt_lanes<k_lanes>(table, first_mask, links, last_mask, in + 8 * i, out + 8 * i);
  }
  for (; i < count; ++i) {
    crypt_lanes<1>(table, first_mask, links, last_mask, in + 8 * i, out + 8 * i);
  }
}

}  // namespace

Twine::Twine(std::string_view key) : m_key_size(key.size())
{
  if (key.size() != 10 && key.size() != 16) {
    throw Error(ExitCode::bad_parameter, "TWINE key must be 10 or 16 bytes, not " + std::to_string(key.size()));
  }
  const bool long_key = key.size() == 16;
  const std::size_t nibbles = 2 * key.size();
  const auto& rk_nibbles = long_key ? k_rk_nibbles_128 : k_rk_nibbles_80;

  std::array<std::uint8_t, 32> wk{};
  for (std::size_t i = 0; i < key.size(); ++i) {
    const auto b = static_cast<std::uint8_t>(key[i]);
    wk[2 * i] = static_cast<std::uint8_t>(b >> 4);
    wk[2 * i + 1] = static_cast<std::uint8_t>(b & 0xF);
  }
  const auto extract = [&] {
    std::uint32_t rk = 0;
    for (const std::size_t n : rk_nibbles) {
      rk = (rk << 4) | wk[n];
    }
    return rk;
  };
  for (std::size_t r = 0; r + 1 < k_rounds; ++r) {
    m_round_keys[r] = extract();
    wk[1] ^= k_sbox[wk[0]];
    wk[4] ^= k_sbox[wk[16]];
    if (long_key) {
      wk[23] ^= k_sbox[wk[30]];
    }
    wk[7] ^= static_cast<std::uint8_t>(k_round_constants[r] >> 3);
    wk[19] ^= static_cast<std::uint8_t>(k_round_constants[r] & 7);
    std::rotate(wk.begin(), wk.begin() + 1, wk.begin() + 4);
    std::rotate(wk.begin(), wk.begin() + 4, wk.begin() + static_cast<std::ptrdiff_t>(nibbles));
  }
  m_round_keys[k_rounds - 1] = extract();
  OPENSSL_cleanse(wk.data(), wk.size());

  for (std::size_t r = 0; r < k_rounds; ++r) {
    m_key_masks[r] = key_mask(m_round_keys[r]);
  }
  for (std::size_t r = 0; r + 1 < k_rounds; ++r) {
    m_enc_links[r] = shuffled_key_mask(m_round_keys[r], k_shuffle) ^ m_key_masks[r + 1];
    // Decryption runs rounds 36..2 as F then the inverse shuffle, and round 1's F alone.
    const std::size_t round = k_rounds - 1 - r;
    m_dec_links[r] = shuffled_key_mask(m_round_keys[round], k_unshuffle) ^ m_key_masks[round - 1];
  }
}

Twine::~Twine()
{
  OPENSSL_cleanse(m_round_keys.data(), sizeof m_round_keys);
  OPENSSL_cleanse(m_key_masks.data(), sizeof m_key_masks);
  OPENSSL_cleanse(m_enc_links.data(), sizeof m_enc_links);
  OPENSSL_cleanse(m_dec_links.data(), sizeof m_dec_links);
}

void Twine::encrypt_block(const std::uint8_t in[k_block_size], std::uint8_t out[k_block_size]) const
{
  crypt_lanes<1>(k_encrypt_table, m_key_masks[0], m_enc_links, m_key_masks[k_rounds - 1], in, out);
}

void Twine::decrypt_block(const std::uint8_t in[k_block_size], std::uint8_t out[k_block_size]) const
{
  crypt_lanes<1>(k_decrypt_table, m_key_masks[k_rounds - 1], m_dec_links, m_key_masks[0], in, out);
}

void Twine::encrypt_blocks(const std::uint8_t* in, std::uint8_t* out, std::size_t count) const
{
  crypt_many(k_encrypt_table, m_key_masks[0], m_enc_links, m_key_masks[k_rounds - 1], in, out, count);
}

void Twine::decrypt_blocks(const std::uint8_t* in, std::uint8_t* out, std::size_t count) const
{
  crypt_many(k_decrypt_table, m_key_masks[k_rounds - 1], m_dec_links, m_key_masks[0], in, out, count);
}

std::uint32_t Twine::round_key(std::size_t round) const
{
  if (round < 1 || round > k_rounds) {
    throw Error(ExitCode::bad_parameter, "TWINE round must be 1..36, not " + std::to_string(round));
  }
  return m_round_keys[round - 1];
}

}  // namespace clm
