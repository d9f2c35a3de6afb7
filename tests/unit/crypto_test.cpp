// Tests of the cryptographic helpers: randomness, base64,
// SHA-256, constant-time comparison and the AES-256-GCM SecretBox.
#include "test_support.hpp"

#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/util/hex.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>

namespace {

using clm::ExitCode;
using clm::SecretBox;
using clm::test::all_byte_values;

// Return success when f throws clm::Error with code, else a failure describing what happened.
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
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw a non-clm exception (" << e.what() << "), expected clm::Error "
                                         << static_cast<int>(code);
  } catch (...) {
    return ::testing::AssertionFailure() << "threw an unknown exception, expected clm::Error "
                                         << static_cast<int>(code);
  }
  return ::testing::AssertionFailure() << "did not throw, expected clm::Error " << static_cast<int>(code);
}

std::string test_key(char fill = 'k')
{
  return std::string(SecretBox::k_key_size, fill);
}

constexpr std::size_t k_nonce_bytes = 12;
constexpr std::size_t k_tag_bytes = 16;

struct Base64Vector {
  const char* plain;
  const char* encoded;
};

// RFC 4648 section 10.
constexpr Base64Vector k_rfc4648[] = {
  {"", ""},          {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
  {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

// ---- random_bytes ----------------------------------------------------------

TEST(RandomBytes, returns_the_requested_length)
{
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{16}, std::size_t{32}, std::size_t{1000}}) {
    EXPECT_EQ(clm::random_bytes(n).size(), n);
  }
}

TEST(RandomBytes, successive_calls_differ)
{
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(seen.insert(clm::random_bytes(32)).second) << "32 random bytes repeated";
  }
}

TEST(RandomBytes, uses_every_byte_value_eventually)
{
  const std::string data = clm::random_bytes(1 << 16);
  std::set<unsigned char> values;
  for (const char c : data) {
    values.insert(static_cast<unsigned char>(c));
  }
  EXPECT_EQ(values.size(), 256u);
}

// ---- random_string ---------------------------------------------------------

TEST(RandomString, returns_the_requested_length)
{
  EXPECT_EQ(clm::random_string(0, "abc"), "");
  EXPECT_EQ(clm::random_string(1, "abc").size(), 1u);
  EXPECT_EQ(clm::random_string(100, "abc").size(), 100u);
}

TEST(RandomString, uses_only_the_alphabet_and_covers_it)
{
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const std::string s = clm::random_string(20000, alphabet);
  ASSERT_EQ(s.size(), 20000u);
  std::set<char> used;
  for (const char c : s) {
    EXPECT_NE(alphabet.find(c), std::string::npos) << "character '" << c << "' is not in the alphabet";
    used.insert(c);
  }
  EXPECT_EQ(used.size(), alphabet.size()) << "not every alphabet character appeared";
}

TEST(RandomString, single_character_alphabet_repeats_it)
{
  EXPECT_EQ(clm::random_string(10, "x"), "xxxxxxxxxx");
}

TEST(RandomString, successive_calls_differ)
{
  EXPECT_NE(clm::random_string(32, "abcdefghijklmnopqrstuvwxyz"), clm::random_string(32, "abcdefghijklmnopqrstuvwxyz"));
}

TEST(RandomString, has_no_modulo_bias)
{
  // 200 symbols: plain "byte % 200" would make the first 56 symbols twice as likely.
  std::string alphabet;
  for (int i = 0; i < 200; ++i) {
    alphabet.push_back(static_cast<char>(i));
  }
  constexpr std::size_t n = 200000;
  const std::string s = clm::random_string(n, alphabet);
  std::array<std::size_t, 256> counts{};
  for (const char c : s) {
    ++counts[static_cast<unsigned char>(c)];
  }
  double low = 0;
  double high = 0;
  for (std::size_t i = 0; i < 200; ++i) {
    (i < 56 ? low : high) += static_cast<double>(counts[i]);
  }
  const double low_mean = low / 56.0;
  const double high_mean = high / 144.0;
  EXPECT_NEAR(low_mean / high_mean, 1.0, 0.1) << "symbols 0..55 drawn " << low_mean << " times on average, others "
                                              << high_mean;
  for (std::size_t i = 200; i < 256; ++i) {
    EXPECT_EQ(counts[i], 0u) << "byte " << i << " is not in the alphabet";
  }
}

TEST(RandomString, empty_alphabet_is_refused)
{
  EXPECT_THROW(clm::random_string(4, ""), clm::Error);
}

// ---- base64 ----------------------------------------------------------------

TEST(Base64, encode_matches_rfc4648_vectors)
{
  for (const auto& v : k_rfc4648) {
    EXPECT_EQ(clm::base64_encode(v.plain), v.encoded) << "plain '" << v.plain << "'";
  }
}

TEST(Base64, decode_matches_rfc4648_vectors)
{
  for (const auto& v : k_rfc4648) {
    EXPECT_EQ(clm::base64_decode(v.encoded), v.plain) << "encoded '" << v.encoded << "'";
  }
}

TEST(Base64, round_trips_every_byte_value)
{
  const std::string data = all_byte_values();
  const std::string encoded = clm::base64_encode(data);
  EXPECT_EQ(encoded.find_first_of("\r\n"), std::string::npos) << "encoding holds a line break";
  EXPECT_EQ(clm::base64_decode(encoded), data);
}

TEST(Base64, round_trips_every_length_up_to_64)
{
  const std::string data = all_byte_values();
  for (std::size_t n = 0; n <= 64; ++n) {
    const std::string part = data.substr(100, n);
    EXPECT_EQ(clm::base64_decode(clm::base64_encode(part)), part) << "length " << n;
  }
}

TEST(Base64, decode_rejects_length_not_multiple_of_four)
{
  for (const char* text : {"Z", "Zg", "Zg=", "Zm9vY", "Zm9v\n"}) {
    EXPECT_TRUE(throws_error([&] { clm::base64_decode(text); }, ExitCode::bad_file_format)) << "'" << text << "'";
  }
}

TEST(Base64, decode_rejects_characters_outside_the_alphabet)
{
  for (const char* text : {"Zm9!", "Zm 9", "Zm9v*ZmE", "Zm\x80v", "@@@@"}) {
    EXPECT_TRUE(throws_error([&] { clm::base64_decode(text); }, ExitCode::bad_file_format)) << "'" << text << "'";
  }
}

TEST(Base64, decode_rejects_padding_only)
{
  EXPECT_TRUE(throws_error([] { clm::base64_decode("===="); }, ExitCode::bad_file_format));
}

TEST(Base64, decode_rejects_too_much_padding)
{
  for (const char* text : {"Z===", "Zm9v====", "Zg==Zg=="}) {
    EXPECT_TRUE(throws_error([&] { clm::base64_decode(text); }, ExitCode::bad_file_format)) << "'" << text << "'";
  }
}

TEST(Base64, decode_rejects_padding_before_data)
{
  for (const char* text : {"Zg=a", "=Zm8", "Z=m8"}) {
    EXPECT_TRUE(throws_error([&] { clm::base64_decode(text); }, ExitCode::bad_file_format)) << "'" << text << "'";
  }
}

// ---- SHA-256 -------------------------------------------------------

TEST(Sha256, abc_matches_the_fips_vector)
{
  EXPECT_EQ(clm::util::hex_encode(clm::sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, empty_input_matches_the_known_digest)
{
  EXPECT_EQ(clm::util::hex_encode(clm::sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, two_block_message_matches_the_fips_vector)
{
  EXPECT_EQ(clm::util::hex_encode(clm::sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, digest_is_32_raw_bytes)
{
  EXPECT_EQ(clm::sha256("anything").size(), 32u);
}

// ---- constant_time_equal ---------------------------------------------------

TEST(ConstantTimeEqual, equal_strings_are_equal)
{
  EXPECT_TRUE(clm::constant_time_equal("secret", "secret"));
  EXPECT_TRUE(clm::constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
}

TEST(ConstantTimeEqual, empty_strings_are_equal)
{
  EXPECT_TRUE(clm::constant_time_equal("", ""));
}

TEST(ConstantTimeEqual, different_content_is_unequal)
{
  EXPECT_FALSE(clm::constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(clm::constant_time_equal("secret", "Secret"));
  EXPECT_FALSE(clm::constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST(ConstantTimeEqual, different_lengths_are_unequal)
{
  EXPECT_FALSE(clm::constant_time_equal("secret", "secret1"));
  EXPECT_FALSE(clm::constant_time_equal("secret", "secre"));
  EXPECT_FALSE(clm::constant_time_equal("", "a"));
  EXPECT_FALSE(clm::constant_time_equal("a", ""));
}

// ---- SecretBox -------------------------------------------------------------

TEST(SecretBox, round_trips_plaintext)
{
  const SecretBox box(test_key());
  const std::string sealed = box.seal("my password", "ids/1");
  EXPECT_EQ(box.open(sealed, "ids/1"), "my password");
}

TEST(SecretBox, round_trips_empty_plaintext)
{
  const SecretBox box(test_key());
  EXPECT_EQ(box.open(box.seal("", "ad"), "ad"), "");
}

TEST(SecretBox, round_trips_binary_plaintext)
{
  const SecretBox box(test_key());
  const std::string data = all_byte_values() + all_byte_values();
  EXPECT_EQ(box.open(box.seal(data, ""), ""), data);
}

TEST(SecretBox, sealed_text_is_nonce_ciphertext_and_tag)
{
  const SecretBox box(test_key());
  const std::string plain = "0123456789";
  const std::string sealed = box.seal(plain, "ad");
  EXPECT_EQ(sealed.size(), k_nonce_bytes + plain.size() + k_tag_bytes);
  EXPECT_EQ(sealed.find(plain), std::string::npos) << "plaintext visible in the sealed text";
}

TEST(SecretBox, sealing_twice_gives_different_text)
{
  const SecretBox box(test_key());
  const std::string a = box.seal("same", "ad");
  const std::string b = box.seal("same", "ad");
  EXPECT_NE(a, b);
  EXPECT_NE(a.substr(0, k_nonce_bytes), b.substr(0, k_nonce_bytes)) << "nonce reused";
}

TEST(SecretBox, wrong_associated_data_is_tampered)
{
  const SecretBox box(test_key());
  const std::string sealed = box.seal("my password", "ids/1");
  EXPECT_TRUE(throws_error([&] { box.open(sealed, "ids/2"); }, ExitCode::tampered));
  EXPECT_TRUE(throws_error([&] { box.open(sealed, ""); }, ExitCode::tampered));
}

TEST(SecretBox, flipped_byte_anywhere_is_tampered)
{
  const SecretBox box(test_key());
  const std::string sealed = box.seal("my password", "ids/1");
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_TRUE(throws_error([&] { box.open(bad, "ids/1"); }, ExitCode::tampered)) << "byte " << i << " flipped";
  }
}

TEST(SecretBox, other_key_is_tampered)
{
  const SecretBox box(test_key('k'));
  const SecretBox other(test_key('o'));
  const std::string sealed = box.seal("my password", "ids/1");
  EXPECT_TRUE(throws_error([&] { other.open(sealed, "ids/1"); }, ExitCode::tampered));
}

TEST(SecretBox, wrong_key_size_is_bad_parameter)
{
  for (const std::size_t n : {std::size_t{0}, std::size_t{16}, std::size_t{31}, std::size_t{33}, std::size_t{64}}) {
    EXPECT_TRUE(throws_error([&] { const SecretBox box(std::string(n, 'k')); }, ExitCode::bad_parameter))
      << n << "-byte key";
  }
}

TEST(SecretBox, truncated_input_is_tampered)
{
  const SecretBox box(test_key());
  const std::string sealed = box.seal("my password", "ids/1");
  EXPECT_TRUE(throws_error([&] { box.open(sealed.substr(0, sealed.size() - 1), "ids/1"); }, ExitCode::tampered));
  EXPECT_TRUE(throws_error([&] { box.open(sealed.substr(1), "ids/1"); }, ExitCode::tampered));
  EXPECT_TRUE(throws_error([&] { box.open(sealed.substr(0, k_nonce_bytes + k_tag_bytes - 1), "ids/1"); },
                           ExitCode::tampered));
  EXPECT_TRUE(throws_error([&] { box.open("", "ids/1"); }, ExitCode::tampered));
}

TEST(SecretBox, extended_input_is_tampered)
{
  const SecretBox box(test_key());
  const std::string sealed = box.seal("my password", "ids/1");
  EXPECT_TRUE(throws_error([&] { box.open(sealed + "x", "ids/1"); }, ExitCode::tampered));
}

TEST(SecretBox, minimum_size_forgery_is_tampered)
{
  const SecretBox box(test_key());
  EXPECT_TRUE(throws_error([&] { box.open(std::string(k_nonce_bytes + k_tag_bytes, '\0'), "ids/1"); },
                           ExitCode::tampered));
}

}  // namespace
