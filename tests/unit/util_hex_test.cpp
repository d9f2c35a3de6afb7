// Tests of the hexadecimal encodings of util/hex.
#include "test_support.hpp"

#include <clm/util/hex.hpp>

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace {

using clm::ExitCode;
using clm::test::all_byte_values;
using clm::test::error_of;
namespace util = clm::util;

TEST(HexEncode, empty_is_empty)
{
  EXPECT_EQ(util::hex_encode(""), "");
}

TEST(HexEncode, encodes_lower_case_two_digits_per_byte)
{
  EXPECT_EQ(util::hex_encode(std::string_view("\x00\x01\x0f\x10\xab\xff", 6)), "00010f10abff");
}

TEST(HexEncode, encodes_every_byte_value)
{
  const std::string hex = util::hex_encode(all_byte_values());
  ASSERT_EQ(hex.size(), 512u);
  EXPECT_EQ(hex.substr(0, 8), "00010203");
  EXPECT_EQ(hex.substr(504), "fcfdfeff");
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(HexEncodeInto, replaces_what_out_held)
{
  std::string out = "something much longer than the answer";
  util::hex_encode_into("\x12\xef", out);
  EXPECT_EQ(out, "12ef");
  util::hex_encode_into("", out);
  EXPECT_EQ(out, "");
}

TEST(HexEncodeUpper, encodes_upper_case_without_separator)
{
  EXPECT_EQ(util::hex_encode_upper(std::string_view("\x00\xab\xff", 3)), "00ABFF");
}

TEST(HexEncodeUpper, puts_the_separator_between_bytes_only)
{
  EXPECT_EQ(util::hex_encode_upper(std::string_view("\x01\xab\xff", 3), ":"), "01:AB:FF");
  EXPECT_EQ(util::hex_encode_upper("\x7f", ":"), "7F");
  EXPECT_EQ(util::hex_encode_upper("", ":"), "");
}

TEST(HexDecode, round_trips_every_byte_value)
{
  const std::string bytes = all_byte_values();
  EXPECT_EQ(util::hex_decode(util::hex_encode(bytes)), bytes);
  EXPECT_EQ(util::hex_decode(util::hex_encode_upper(bytes)), bytes);
}

TEST(HexDecode, takes_either_case)
{
  EXPECT_EQ(util::hex_decode("aBcD"), "\xab\xcd");
  EXPECT_EQ(util::hex_decode(""), "");
}

TEST(HexDecode, odd_length_is_bad_file_format)
{
  const auto e = error_of([] { util::hex_decode("abc"); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ExitCode::bad_file_format);
  EXPECT_STREQ(e->what(), "not hexadecimal: odd number of digits");
}

TEST(HexDecode, non_digit_is_bad_file_format)
{
  for (const char* text : {"0g", "+1", " 1", "1-", "\xff\xff"}) {
    const auto e = error_of([&] { util::hex_decode(text); });
    ASSERT_TRUE(e) << text;
    EXPECT_EQ(e->code(), ExitCode::bad_file_format) << text;
    EXPECT_STREQ(e->what(), "not hexadecimal") << text;
  }
}

TEST(HexDigitValue, knows_every_digit_and_nothing_else)
{
  int digits = 0;
  for (int c = 0; c < 256; ++c) {
    const int v = util::hex_digit_value(static_cast<char>(c));
    EXPECT_EQ(v >= 0, util::is_hex_digit(static_cast<char>(c))) << c;
    if (v >= 0) {
      ++digits;
      EXPECT_LT(v, 16) << c;
    }
  }
  EXPECT_EQ(digits, 22);
  EXPECT_EQ(util::hex_digit_value('0'), 0);
  EXPECT_EQ(util::hex_digit_value('9'), 9);
  EXPECT_EQ(util::hex_digit_value('a'), 10);
  EXPECT_EQ(util::hex_digit_value('F'), 15);
}

}  // namespace
