// Tests of the TWINE block cipher: the known answers of the paper and a public test suite,
// the derived round-key debugging aids, round trips and key-size checks.
#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/twine.hpp>
#include <clm/util/hex.hpp>

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using clm::ExitCode;
using clm::Twine;
using clm::test::error_of;

using Block = std::array<std::uint8_t, Twine::k_block_size>;

Block block_of(std::string_view raw)
{
  Block b{};
  for (std::size_t i = 0; i < b.size() && i < raw.size(); ++i) {
    b[i] = static_cast<std::uint8_t>(raw[i]);
  }
  return b;
}

std::string hex_of(const Block& b)
{
  return clm::util::hex_encode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

struct KnownAnswer {
  const char* key;
  const char* plaintext;
  const char* ciphertext;
};

// twine-otr.md: the paper's Table 1 and the all-zero TWINE-80 answer of a public test suite.
constexpr KnownAnswer k_known_answers[] = {
  {"00112233445566778899", "0123456789abcdef", "7c1f0f80b1df9c28"},
  {"00112233445566778899aabbccddeeff", "0123456789abcdef", "979ff9b379b5a9b8"},
  {"00000000000000000000", "0000000000000000", "7393c133cde3f8db"},
};

TEST(Twine, encrypts_the_known_answers)
{
  for (const auto& v : k_known_answers) {
    const Twine twine(clm::util::hex_decode(v.key));
    const Block in = block_of(clm::util::hex_decode(v.plaintext));
    Block out{};
    twine.encrypt_block(in.data(), out.data());
    EXPECT_EQ(hex_of(out), v.ciphertext) << "key " << v.key;
  }
}

TEST(Twine, decrypts_the_known_answers)
{
  for (const auto& v : k_known_answers) {
    const Twine twine(clm::util::hex_decode(v.key));
    const Block in = block_of(clm::util::hex_decode(v.ciphertext));
    Block out{};
    twine.decrypt_block(in.data(), out.data());
    EXPECT_EQ(hex_of(out), v.plaintext) << "key " << v.key;
  }
}

TEST(Twine, works_in_place)
{
  const auto& v = k_known_answers[1];
  const Twine twine(clm::util::hex_decode(v.key));
  Block b = block_of(clm::util::hex_decode(v.plaintext));
  twine.encrypt_block(b.data(), b.data());
  EXPECT_EQ(hex_of(b), v.ciphertext);
  twine.decrypt_block(b.data(), b.data());
  EXPECT_EQ(hex_of(b), v.plaintext);
}

TEST(Twine, round_keys_match_the_debugging_aids)
{
  const Twine t80(clm::util::hex_decode("00112233445566778899"));
  EXPECT_EQ(t80.round_key(1), 0x01236778u);
  EXPECT_EQ(t80.round_key(2), 0x2345898cu);
  EXPECT_EQ(t80.round_key(36), 0x3532006eu);
  const Twine t128(clm::util::hex_decode("00112233445566778899aabbccddeeff"));
  EXPECT_EQ(t128.round_key(1), 0x116789efu);
  EXPECT_EQ(t128.round_key(2), 0x3388abc0u);
  EXPECT_EQ(t128.round_key(36), 0x65aea007u);
}

TEST(Twine, round_key_outside_1_to_36_is_bad_parameter)
{
  const Twine twine(std::string(16, 'k'));
  for (const std::size_t r : {std::size_t{0}, std::size_t{37}, std::size_t{1000}}) {
    const auto e = error_of([&] { static_cast<void>(twine.round_key(r)); });
    ASSERT_TRUE(e.has_value()) << "round " << r;
    EXPECT_EQ(e->code(), ExitCode::bad_parameter);
  }
}

TEST(Twine, reports_its_key_size)
{
  EXPECT_EQ(Twine(std::string(10, 'k')).key_size(), 10u);
  EXPECT_EQ(Twine(std::string(16, 'k')).key_size(), 16u);
}

TEST(Twine, random_blocks_round_trip_for_both_key_sizes)
{
  for (const std::size_t key_size : {std::size_t{10}, std::size_t{16}}) {
    for (int i = 0; i < 200; ++i) {
      const Twine twine(clm::random_bytes(key_size));
      const Block plain = block_of(clm::random_bytes(Twine::k_block_size));
      Block cipher{};
      Block back{};
      twine.encrypt_block(plain.data(), cipher.data());
      twine.decrypt_block(cipher.data(), back.data());
      EXPECT_NE(cipher, plain) << key_size << "-byte key";
      EXPECT_EQ(back, plain) << key_size << "-byte key";
    }
  }
}

TEST(Twine, decryption_inverts_random_ciphertexts)
{
  const Twine twine(clm::random_bytes(16));
  for (int i = 0; i < 200; ++i) {
    const Block cipher = block_of(clm::random_bytes(Twine::k_block_size));
    Block plain{};
    Block again{};
    twine.decrypt_block(cipher.data(), plain.data());
    twine.encrypt_block(plain.data(), again.data());
    EXPECT_EQ(again, cipher);
  }
}

TEST(Twine, many_blocks_at_once_match_one_at_a_time)
{
  for (const std::size_t key_size : {std::size_t{10}, std::size_t{16}}) {
    const Twine twine(clm::random_bytes(key_size));
    for (std::size_t count = 0; count <= 20; ++count) {
      const std::string plain = clm::random_bytes(count * Twine::k_block_size);
      const auto* in = reinterpret_cast<const std::uint8_t*>(plain.data());
      std::string one(plain.size(), '\0');
      auto* one_out = reinterpret_cast<std::uint8_t*>(one.data());
      for (std::size_t i = 0; i < count; ++i) {
        twine.encrypt_block(in + i * Twine::k_block_size, one_out + i * Twine::k_block_size);
      }
      std::string many(plain.size(), '\0');
      twine.encrypt_blocks(in, reinterpret_cast<std::uint8_t*>(many.data()), count);
      EXPECT_EQ(many, one) << key_size << "-byte key, " << count << " blocks";

      // In place, both directions.
      std::string buffer = plain;
      auto* io = reinterpret_cast<std::uint8_t*>(buffer.data());
      twine.encrypt_blocks(io, io, count);
      EXPECT_EQ(buffer, one) << key_size << "-byte key, " << count << " blocks";
      twine.decrypt_blocks(io, io, count);
      EXPECT_EQ(buffer, plain) << key_size << "-byte key, " << count << " blocks";
    }
  }
}

TEST(Twine, many_blocks_at_once_give_the_known_answers)
{
  for (const auto& v : k_known_answers) {
    const Twine twine(clm::util::hex_decode(v.key));
    std::string text;
    for (int i = 0; i < 11; ++i) {
      text += clm::util::hex_decode(v.plaintext);
    }
    auto* io = reinterpret_cast<std::uint8_t*>(text.data());
    twine.encrypt_blocks(io, io, 11);
    for (std::size_t i = 0; i < 11; ++i) {
      EXPECT_EQ(clm::util::hex_encode(text.substr(i * 8, 8)), v.ciphertext) << "key " << v.key << ", block " << i;
    }
  }
}

TEST(Twine, one_key_bit_changes_the_ciphertext)
{
  for (const std::size_t key_size : {std::size_t{10}, std::size_t{16}}) {
    const std::string key(key_size, '\0');
    const Block plain{};
    Block reference{};
    Twine(key).encrypt_block(plain.data(), reference.data());
    for (std::size_t bit = 0; bit < 8 * key_size; ++bit) {
      std::string other = key;
      other[bit / 8] = static_cast<char>(other[bit / 8] ^ (0x80 >> (bit % 8)));
      Block out{};
      Twine(other).encrypt_block(plain.data(), out.data());
      EXPECT_NE(out, reference) << key_size << "-byte key, bit " << bit;
    }
  }
}

TEST(Twine, key_sizes_other_than_10_or_16_are_bad_parameter)
{
  for (const std::size_t n : {0, 1, 8, 9, 11, 12, 15, 17, 20, 24, 32}) {
    const auto e = error_of([&] { const Twine twine(std::string(n, 'k')); });
    ASSERT_TRUE(e.has_value()) << n << "-byte key accepted";
    EXPECT_EQ(e->code(), ExitCode::bad_parameter) << n << "-byte key: " << e->what();
  }
}

}  // namespace
