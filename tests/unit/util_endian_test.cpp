// Tests of the big-endian loads and stores of util/endian.
#include <clm/util/endian.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace {

namespace util = clm::util;

constexpr std::array<std::uint8_t, 8> k_bytes{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};

TEST(Endian, loads_the_first_byte_as_the_most_significant)
{
  EXPECT_EQ(util::load_be64(k_bytes.data()), 0x0123456789abcdefULL);
  EXPECT_EQ(util::load_be32(k_bytes.data()), 0x01234567U);
  EXPECT_EQ(util::load_be32(k_bytes.data() + 4), 0x89abcdefU);
  EXPECT_EQ(util::load_be16(k_bytes.data() + 6), 0xcdefU);
}

TEST(Endian, store_be64_is_the_inverse_of_load_be64)
{
  std::array<std::uint8_t, 8> out{};
  util::store_be64(0x0123456789abcdefULL, out.data());
  EXPECT_EQ(out, k_bytes);
  for (const std::uint64_t v : {0ULL, 1ULL, 0x8000000000000000ULL, 0xffffffffffffffffULL}) {
    util::store_be64(v, out.data());
    EXPECT_EQ(util::load_be64(out.data()), v);
  }
}

TEST(Endian, high_bits_do_not_sign_extend)
{
  constexpr std::array<std::uint8_t, 8> ones{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(util::load_be16(ones.data()), 0xffffU);
  EXPECT_EQ(util::load_be32(ones.data()), 0xffffffffU);
  EXPECT_EQ(util::load_be64(ones.data()), 0xffffffffffffffffULL);
}

}  // namespace
