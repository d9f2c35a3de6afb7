// Tests of the text helpers.
#include <clm/text.hpp>

#include <gtest/gtest.h>

namespace {

TEST(Text, TrimTakesBlanksFromBothEndsOnly)
{
  EXPECT_EQ(clm::trim("  a b\t\r\n"), "a b");
  EXPECT_EQ(clm::trim("\tkey = value \r"), "key = value");
  EXPECT_EQ(clm::trim("x"), "x");
}

TEST(Text, TrimOfNothingButBlanksIsEmpty)
{
  EXPECT_EQ(clm::trim(""), "");
  EXPECT_EQ(clm::trim(" \t\r\n "), "");
}

}  // namespace
