// Tests of the OTR engine: the AES-OTR v3 known answers (P and S mode) through
// AesBlockCipher, forgeries, parameter checks, and the TWINE-OTR profile of this project.
#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/otr.hpp>
#include <clm/util/hex.hpp>

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using clm::AesBlockCipher;
using clm::ExitCode;
using clm::OtrMode;
using clm::TwineBlockCipher;
using clm::test::error_of;

// Return 00 01 02 ... of length n.
std::string counting(std::size_t n)
{
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    s.push_back(static_cast<char>(i));
  }
  return s;
}

std::string flip_bit(std::string s, std::size_t bit)
{
  s[bit / 8] = static_cast<char>(s[bit / 8] ^ (1 << (bit % 8)));
  return s;
}

// Return success when f throws clm::Error with code, else a failure saying what happened.
template <typename F>
::testing::AssertionResult throws_error(F&& f, ExitCode code)
{
  try {
    f();
  } catch (const clm::Error& e) {
    if (e.code() == code) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "threw clm::Error with code " << static_cast<int>(e.code()) << " ("
                                         << e.what() << "), expected code " << static_cast<int>(code);
  }
  return ::testing::AssertionFailure() << "did not throw, expected clm::Error " << static_cast<int>(code);
}

// An AES block cipher that does not batch, to check the batched paths give the same answers.
class OneBlockAtATime final : public clm::BlockCipher {
public:
  explicit OneBlockAtATime(const clm::BlockCipher& inner) : m_inner(inner) {}
  std::size_t block_size() const override { return m_inner.block_size(); }
  void encrypt_block(const std::uint8_t* in, std::uint8_t* out) const override { m_inner.encrypt_block(in, out); }

private:
  const clm::BlockCipher& m_inner;
};

// A block cipher of a size OTR does not support.
class ThirtyTwoBitCipher final : public clm::BlockCipher {
public:
  std::size_t block_size() const override { return 4; }
  void encrypt_block(const std::uint8_t* in, std::uint8_t* out) const override
  {
    for (std::size_t i = 0; i < 4; ++i) {
      out[i] = static_cast<std::uint8_t>(in[i] ^ 0x5a);
    }
  }
};

const std::string k_aes_key = counting(16);
const std::string k_aes_nonce = counting(12);

struct AesOtrVector {
  OtrMode mode;
  std::size_t message_size;
  std::size_t associated_size;
  const char* ciphertext;
  const char* tag;
};

// AES-OTR v3, key 000102..0f, nonce 000102..0b, tau = 128 (twine-otr.md).
constexpr AesOtrVector k_aes_otr_vectors[] = {
  {OtrMode::parallel, 0, 0, "", "f780c1b3403b81e4a8bf86f3fd9dbacc"},
  {OtrMode::parallel, 1, 0, "0e", "452b880ce58e9a2b7013c6360f4a49ef"},
  {OtrMode::parallel, 16, 0, "0e6c6f4db9b3ed14edca1975f1693345", "9e1a2105bfe87fa5939f0569d3f1588f"},
  {OtrMode::parallel, 32, 0, "35affc6267bc57091a1628b8d846687c8407296eb1a15e543d8935d87446d708",
   "0fc75729887fb9c2d58e436723feb92e"},
  {OtrMode::parallel, 0, 1, "", "975741966272baea032d07631ef6e5b5"},
  {OtrMode::parallel, 16, 16, "0e6c6f4db9b3ed14edca1975f1693345", "a7a9369f38b688eea0d62746474e1012"},
  {OtrMode::serial, 0, 0, "", "30f794389e664ec2638b86ce9fb7861e"},
  {OtrMode::serial, 1, 0, "a7", "55d51fecce81fb108adecbd17b945068"},
  {OtrMode::serial, 16, 16, "15b73084a42d2d919ad589247592b00e", "453a1841ce94f31ccbcadb5c6a9491d7"},
};

std::string describe(const AesOtrVector& v)
{
  return std::string(v.mode == OtrMode::parallel ? "P" : "S") + " mode, |M|=" + std::to_string(v.message_size)
         + ", |A|=" + std::to_string(v.associated_size);
}

// ---- AES-OTR v3 known answers ---------------------------------------------

TEST(OtrAes, seal_matches_every_known_answer)
{
  const AesBlockCipher aes(k_aes_key);
  for (const auto& v : k_aes_otr_vectors) {
    const std::string sealed = clm::otr_seal(aes, v.mode, k_aes_nonce, counting(v.associated_size),
                                             counting(v.message_size), 16);
    EXPECT_EQ(clm::util::hex_encode(sealed), std::string(v.ciphertext) + v.tag) << describe(v);
  }
}

TEST(OtrAes, open_of_every_known_answer_returns_the_message)
{
  const AesBlockCipher aes(k_aes_key);
  for (const auto& v : k_aes_otr_vectors) {
    const std::string sealed = clm::util::hex_decode(std::string(v.ciphertext) + v.tag);
    EXPECT_EQ(clm::otr_open(aes, v.mode, k_aes_nonce, counting(v.associated_size), sealed, 16),
              counting(v.message_size))
      << describe(v);
  }
}

TEST(OtrAes, unbatched_cipher_gives_the_known_answers)
{
  const AesBlockCipher aes(k_aes_key);
  const OneBlockAtATime slow(aes);
  for (const auto& v : k_aes_otr_vectors) {
    const std::string sealed = clm::otr_seal(slow, v.mode, k_aes_nonce, counting(v.associated_size),
                                             counting(v.message_size), 16);
    EXPECT_EQ(clm::util::hex_encode(sealed), std::string(v.ciphertext) + v.tag) << describe(v);
  }
}

TEST(OtrAes, shorter_tag_is_a_different_tag_not_a_prefix)
{
  // tau enters Format(tau, N), so a 64-bit tag is not the first half of the 128-bit one.
  const AesBlockCipher aes(k_aes_key);
  const std::string full = clm::otr_seal(aes, OtrMode::parallel, k_aes_nonce, "", counting(16), 16);
  const std::string half = clm::otr_seal(aes, OtrMode::parallel, k_aes_nonce, "", counting(16), 8);
  ASSERT_EQ(half.size(), 24u);
  EXPECT_NE(half.substr(16), full.substr(16, 8));
  EXPECT_EQ(clm::otr_open(aes, OtrMode::parallel, k_aes_nonce, "", half, 8), counting(16));
}

// ---- forgeries -------------------------------------------------------------

TEST(OtrAes, flipped_bit_in_ciphertext_or_tag_is_tampered)
{
  const AesBlockCipher aes(k_aes_key);
  for (const auto& v : k_aes_otr_vectors) {
    const std::string sealed = clm::util::hex_decode(std::string(v.ciphertext) + v.tag);
    const std::string associated = counting(v.associated_size);
    for (std::size_t bit = 0; bit < 8 * sealed.size(); ++bit) {
      EXPECT_TRUE(throws_error([&] { clm::otr_open(aes, v.mode, k_aes_nonce, associated, flip_bit(sealed, bit), 16); },
                               ExitCode::tampered))
        << describe(v) << ", bit " << bit;
    }
  }
}

TEST(OtrAes, flipped_bit_in_nonce_is_tampered)
{
  const AesBlockCipher aes(k_aes_key);
  for (const auto& v : k_aes_otr_vectors) {
    const std::string sealed = clm::util::hex_decode(std::string(v.ciphertext) + v.tag);
    const std::string associated = counting(v.associated_size);
    for (std::size_t bit = 0; bit < 8 * k_aes_nonce.size(); ++bit) {
      EXPECT_TRUE(throws_error(
        [&] { clm::otr_open(aes, v.mode, flip_bit(k_aes_nonce, bit), associated, sealed, 16); }, ExitCode::tampered))
        << describe(v) << ", nonce bit " << bit;
    }
  }
}

TEST(OtrAes, flipped_bit_in_associated_data_is_tampered)
{
  const AesBlockCipher aes(k_aes_key);
  for (const auto& v : k_aes_otr_vectors) {
    const std::string sealed = clm::util::hex_decode(std::string(v.ciphertext) + v.tag);
    const std::string associated = counting(v.associated_size);
    for (std::size_t bit = 0; bit < 8 * associated.size(); ++bit) {
      EXPECT_TRUE(throws_error(
        [&] { clm::otr_open(aes, v.mode, k_aes_nonce, flip_bit(associated, bit), sealed, 16); }, ExitCode::tampered))
        << describe(v) << ", associated bit " << bit;
    }
    // Added, removed or extended associated data.
    EXPECT_TRUE(throws_error([&] { clm::otr_open(aes, v.mode, k_aes_nonce, associated + '\0', sealed, 16); },
                             ExitCode::tampered))
      << describe(v);
    if (!associated.empty()) {
      EXPECT_TRUE(throws_error([&] { clm::otr_open(aes, v.mode, k_aes_nonce, "", sealed, 16); }, ExitCode::tampered))
        << describe(v);
    }
  }
}

TEST(OtrAes, other_mode_or_key_is_tampered)
{
  const AesBlockCipher aes(k_aes_key);
  const AesBlockCipher other(std::string(16, 'o'));
  for (const auto& v : k_aes_otr_vectors) {
    const std::string sealed = clm::util::hex_decode(std::string(v.ciphertext) + v.tag);
    const std::string associated = counting(v.associated_size);
    const OtrMode wrong = v.mode == OtrMode::parallel ? OtrMode::serial : OtrMode::parallel;
    EXPECT_TRUE(throws_error([&] { clm::otr_open(aes, wrong, k_aes_nonce, associated, sealed, 16); },
                             ExitCode::tampered))
      << describe(v);
    EXPECT_TRUE(throws_error([&] { clm::otr_open(other, v.mode, k_aes_nonce, associated, sealed, 16); },
                             ExitCode::tampered))
      << describe(v);
  }
}

TEST(OtrAes, truncated_or_extended_sealed_text_is_tampered)
{
  const AesBlockCipher aes(k_aes_key);
  const std::string sealed = clm::otr_seal(aes, OtrMode::parallel, k_aes_nonce, "ad", counting(40), 16);
  EXPECT_TRUE(throws_error([&] { clm::otr_open(aes, OtrMode::parallel, k_aes_nonce, "ad", sealed.substr(1), 16); },
                           ExitCode::tampered));
  EXPECT_TRUE(throws_error(
    [&] { clm::otr_open(aes, OtrMode::parallel, k_aes_nonce, "ad", sealed.substr(0, sealed.size() - 1), 16); },
    ExitCode::tampered));
  EXPECT_TRUE(throws_error([&] { clm::otr_open(aes, OtrMode::parallel, k_aes_nonce, "ad", sealed + "x", 16); },
                           ExitCode::tampered));
  EXPECT_TRUE(throws_error([&] { clm::otr_open(aes, OtrMode::parallel, k_aes_nonce, "ad", sealed.substr(0, 15), 16); },
                           ExitCode::tampered));
  EXPECT_TRUE(
    throws_error([&] { clm::otr_open(aes, OtrMode::parallel, k_aes_nonce, "ad", "", 16); }, ExitCode::tampered));
}

// ---- generic engine: lengths, batching, both block sizes --------------------

TEST(OtrEngine, round_trips_every_length_in_both_modes_and_block_sizes)
{
  const AesBlockCipher aes(clm::random_bytes(32));
  const TwineBlockCipher twine(clm::random_bytes(10));
  for (const clm::BlockCipher* cipher : {static_cast<const clm::BlockCipher*>(&aes),
                                         static_cast<const clm::BlockCipher*>(&twine)}) {
    const std::size_t n = cipher->block_size();
    const std::string nonce = clm::random_bytes(n - 1);
    for (const OtrMode mode : {OtrMode::parallel, OtrMode::serial}) {
      for (std::size_t len = 0; len <= 5 * n + 1; ++len) {
        for (const std::size_t ad_len : {std::size_t{0}, std::size_t{1}, n - 1, n, n + 1, 3 * n, 3 * n + 5}) {
          const std::string plain = clm::random_bytes(len);
          const std::string associated = clm::random_bytes(ad_len);
          const std::string sealed = clm::otr_seal(*cipher, mode, nonce, associated, plain, n);
          ASSERT_EQ(sealed.size(), len + n);
          EXPECT_EQ(clm::otr_open(*cipher, mode, nonce, associated, sealed, n), plain)
            << n << "-byte block, |M|=" << len << ", |A|=" << ad_len;
        }
      }
    }
  }
}

TEST(OtrEngine, batched_and_unbatched_ciphers_agree_on_long_inputs)
{
  const AesBlockCipher aes(clm::random_bytes(16));
  const OneBlockAtATime slow(aes);
  for (const OtrMode mode : {OtrMode::parallel, OtrMode::serial}) {
    for (const std::size_t len : {std::size_t{1023}, std::size_t{1024}, std::size_t{1040}, std::size_t{5000}}) {
      const std::string plain = clm::random_bytes(len);
      const std::string associated = clm::random_bytes(len / 2 + 3);
      const std::string fast_sealed = clm::otr_seal(aes, mode, k_aes_nonce, associated, plain, 16);
      EXPECT_EQ(fast_sealed, clm::otr_seal(slow, mode, k_aes_nonce, associated, plain, 16)) << "|M|=" << len;
      EXPECT_EQ(clm::otr_open(slow, mode, k_aes_nonce, associated, fast_sealed, 16), plain) << "|M|=" << len;
    }
  }
}

TEST(OtrEngine, ciphertext_is_not_the_plaintext)
{
  const AesBlockCipher aes(k_aes_key);
  const std::string plain(64, 'p');
  const std::string sealed = clm::otr_seal(aes, OtrMode::parallel, k_aes_nonce, "", plain, 16);
  EXPECT_EQ(sealed.find("pppp"), std::string::npos);
}

TEST(OtrEngine, nonce_sizes_outside_1_to_n_minus_1_bytes_are_bad_parameter)
{
  const AesBlockCipher aes(k_aes_key);
  const TwineBlockCipher twine(std::string(16, 'k'));
  for (const std::size_t size : {std::size_t{0}, std::size_t{16}, std::size_t{17}}) {
    EXPECT_TRUE(throws_error(
      [&] { clm::otr_seal(aes, OtrMode::parallel, std::string(size, 'n'), "", "m", 16); }, ExitCode::bad_parameter))
      << "AES, " << size << "-byte nonce";
    EXPECT_TRUE(throws_error([&] { clm::otr_open(aes, OtrMode::parallel, std::string(size, 'n'), "", std::string(17, 'c'), 16); },
                             ExitCode::bad_parameter))
      << "AES, " << size << "-byte nonce";
  }
  for (const std::size_t size : {std::size_t{0}, std::size_t{8}, std::size_t{12}}) {
    EXPECT_TRUE(throws_error(
      [&] { clm::otr_seal(twine, OtrMode::parallel, std::string(size, 'n'), "", "m", 8); }, ExitCode::bad_parameter))
      << "TWINE, " << size << "-byte nonce";
  }
  // The largest nonces fit Format(tau, N) exactly.
  for (const std::size_t size : {std::size_t{1}, std::size_t{15}}) {
    const std::string nonce(size, 'n');
    const std::string sealed = clm::otr_seal(aes, OtrMode::parallel, nonce, "a", "message", 16);
    EXPECT_EQ(clm::otr_open(aes, OtrMode::parallel, nonce, "a", sealed, 16), "message");
  }
  const std::string sealed = clm::otr_seal(twine, OtrMode::parallel, std::string(7, 'n'), "a", "message", 8);
  EXPECT_EQ(clm::otr_open(twine, OtrMode::parallel, std::string(7, 'n'), "a", sealed, 8), "message");
}

TEST(OtrEngine, tag_sizes_outside_1_to_n_bytes_are_bad_parameter)
{
  const AesBlockCipher aes(k_aes_key);
  const TwineBlockCipher twine(std::string(16, 'k'));
  for (const std::size_t tag : {std::size_t{0}, std::size_t{17}, std::size_t{32}}) {
    EXPECT_TRUE(
      throws_error([&] { clm::otr_seal(aes, OtrMode::parallel, k_aes_nonce, "", "m", tag); }, ExitCode::bad_parameter))
      << "AES, " << tag << "-byte tag";
    EXPECT_TRUE(throws_error([&] { clm::otr_open(aes, OtrMode::serial, k_aes_nonce, "", std::string(40, 'c'), tag); },
                             ExitCode::bad_parameter))
      << "AES, " << tag << "-byte tag";
  }
  for (const std::size_t tag : {std::size_t{0}, std::size_t{9}, std::size_t{16}}) {
    EXPECT_TRUE(throws_error([&] { clm::otr_seal(twine, OtrMode::parallel, "nonce", "", "m", tag); },
                             ExitCode::bad_parameter))
      << "TWINE, " << tag << "-byte tag";
  }
  for (const std::size_t tag : {std::size_t{1}, std::size_t{4}, std::size_t{16}}) {
    const std::string sealed = clm::otr_seal(aes, OtrMode::parallel, k_aes_nonce, "", "message", tag);
    EXPECT_EQ(sealed.size(), 7 + tag);
    EXPECT_EQ(clm::otr_open(aes, OtrMode::parallel, k_aes_nonce, "", sealed, tag), "message");
  }
}

TEST(OtrEngine, block_sizes_other_than_64_or_128_bits_are_bad_parameter)
{
  const ThirtyTwoBitCipher cipher;
  EXPECT_TRUE(throws_error([&] { clm::otr_seal(cipher, OtrMode::parallel, "n", "", "m", 4); }, ExitCode::bad_parameter));
  EXPECT_TRUE(
    throws_error([&] { clm::otr_open(cipher, OtrMode::parallel, "n", "", "mtagg", 4); }, ExitCode::bad_parameter));
}

TEST(OtrEngine, aes_key_sizes_choose_the_variant_and_others_are_bad_parameter)
{
  for (const std::size_t size : {std::size_t{16}, std::size_t{24}, std::size_t{32}}) {
    const AesBlockCipher aes(std::string(size, 'k'));
    const std::string sealed = clm::otr_seal(aes, OtrMode::parallel, k_aes_nonce, "", "message", 16);
    EXPECT_EQ(clm::otr_open(aes, OtrMode::parallel, k_aes_nonce, "", sealed, 16), "message");
  }
  const std::string s128 = clm::otr_seal(AesBlockCipher(std::string(16, 'k')), OtrMode::parallel, k_aes_nonce, "", "m", 16);
  const std::string s256 = clm::otr_seal(AesBlockCipher(std::string(32, 'k')), OtrMode::parallel, k_aes_nonce, "", "m", 16);
  EXPECT_NE(s128, s256);
  for (const std::size_t size : {std::size_t{0}, std::size_t{10}, std::size_t{15}, std::size_t{17}, std::size_t{64}}) {
    EXPECT_TRUE(throws_error([&] { const AesBlockCipher aes(std::string(size, 'k')); }, ExitCode::bad_parameter))
      << size << "-byte AES key";
  }
}

// ---- the TWINE-OTR profile -------------------------------------------------

constexpr std::size_t k_overhead = clm::k_twine_otr_nonce_size + clm::k_twine_otr_tag_size;

TEST(OtrTwineProfile, round_trips_lengths_0_to_40_with_and_without_associated_data)
{
  const std::string key = clm::random_bytes(16);
  for (std::size_t len = 0; len <= 40; ++len) {
    const std::string plain = clm::random_bytes(len);
    for (const std::string& associated : {std::string(), std::string("ids/1"), clm::random_bytes(len + 3)}) {
      const std::string sealed = clm::twine_otr_seal(key, plain, associated);
      ASSERT_EQ(sealed.size(), k_overhead + len);
      EXPECT_EQ(clm::twine_otr_open(key, sealed, associated), plain) << "|M|=" << len << ", |A|=" << associated.size();
    }
  }
}

TEST(OtrTwineProfile, default_associated_data_is_empty)
{
  const std::string key(16, 'k');
  EXPECT_EQ(clm::twine_otr_open(key, clm::twine_otr_seal(key, "secret"), ""), "secret");
  EXPECT_EQ(clm::twine_otr_open(key, clm::twine_otr_seal(key, "secret", "")), "secret");
}

TEST(OtrTwineProfile, matches_the_generic_engine_with_the_profile_parameters)
{
  const std::string key = clm::random_bytes(16);
  const std::string sealed = clm::twine_otr_seal(key, "the message", "the header");
  const std::string nonce = sealed.substr(0, clm::k_twine_otr_nonce_size);
  const TwineBlockCipher twine(key);
  EXPECT_EQ(sealed.substr(clm::k_twine_otr_nonce_size),
            clm::otr_seal(twine, OtrMode::parallel, nonce, "the header", "the message", 8));
}

TEST(OtrTwineProfile, fresh_nonce_per_seal)
{
  const std::string key(16, 'k');
  const std::string a = clm::twine_otr_seal(key, "same");
  const std::string b = clm::twine_otr_seal(key, "same");
  EXPECT_NE(a, b);
  EXPECT_NE(a.substr(0, clm::k_twine_otr_nonce_size), b.substr(0, clm::k_twine_otr_nonce_size));
}

TEST(OtrTwineProfile, flipped_bit_anywhere_is_tampered)
{
  const std::string key = clm::random_bytes(16);
  for (std::size_t len = 0; len <= 40; ++len) {
    for (const std::string& associated : {std::string(), std::string("ids/1")}) {
      const std::string sealed = clm::twine_otr_seal(key, clm::random_bytes(len), associated);
      for (std::size_t bit = 0; bit < 8 * sealed.size(); ++bit) {
        EXPECT_TRUE(throws_error([&] { clm::twine_otr_open(key, flip_bit(sealed, bit), associated); },
                                 ExitCode::tampered))
          << "|M|=" << len << ", |A|=" << associated.size() << ", bit " << bit;
      }
    }
  }
}

TEST(OtrTwineProfile, wrong_key_or_associated_data_is_tampered)
{
  const std::string key(16, 'k');
  const std::string sealed = clm::twine_otr_seal(key, "my password", "ids/1");
  EXPECT_TRUE(throws_error([&] { clm::twine_otr_open(std::string(16, 'o'), sealed, "ids/1"); }, ExitCode::tampered));
  EXPECT_TRUE(throws_error([&] { clm::twine_otr_open(flip_bit(key, 127), sealed, "ids/1"); }, ExitCode::tampered));
  EXPECT_TRUE(throws_error([&] { clm::twine_otr_open(key, sealed, "ids/2"); }, ExitCode::tampered));
  EXPECT_TRUE(throws_error([&] { clm::twine_otr_open(key, sealed); }, ExitCode::tampered));
}

TEST(OtrTwineProfile, truncated_or_extended_text_is_tampered)
{
  const std::string key(16, 'k');
  const std::string sealed = clm::twine_otr_seal(key, "my password");
  EXPECT_TRUE(throws_error([&] { clm::twine_otr_open(key, sealed.substr(0, sealed.size() - 1)); }, ExitCode::tampered));
  EXPECT_TRUE(throws_error([&] { clm::twine_otr_open(key, sealed + "x"); }, ExitCode::tampered));
  EXPECT_TRUE(throws_error([&] { clm::twine_otr_open(key, sealed.substr(0, k_overhead)); }, ExitCode::tampered));
  EXPECT_TRUE(throws_error([&] { clm::twine_otr_open(key, std::string(k_overhead, '\0')); }, ExitCode::tampered));
}

TEST(OtrTwineProfile, text_shorter_than_nonce_and_tag_is_bad_file_format)
{
  const std::string key(16, 'k');
  for (std::size_t len = 0; len < k_overhead; ++len) {
    EXPECT_TRUE(throws_error([&] { clm::twine_otr_open(key, std::string(len, 's')); }, ExitCode::bad_file_format))
      << len << " bytes";
  }
}

TEST(OtrTwineProfile, key_sizes_other_than_16_are_bad_parameter)
{
  for (const std::size_t size : {std::size_t{0}, std::size_t{10}, std::size_t{15}, std::size_t{17}, std::size_t{32}}) {
    const std::string key(size, 'k');
    EXPECT_TRUE(throws_error([&] { clm::twine_otr_seal(key, "m"); }, ExitCode::bad_parameter)) << size << " bytes";
    EXPECT_TRUE(throws_error([&] { clm::twine_otr_open(key, std::string(40, 's')); }, ExitCode::bad_parameter))
      << size << " bytes";
  }
}

}  // namespace
