// Tests of the value checks the tools and clm-server share: aliases, tenant IDs,
// keyids and passwords, and the ten-digit keyid format.
#include <clm/validate.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

namespace {

using clm::alias_problem;
using clm::format_keyid;
using clm::keyid_problem;
using clm::password_problem;
using clm::tenantid_problem;

constexpr std::string_view k_forbidden = ";&`()$<>*?{}[]!";

// Every printable ASCII character an alias may hold.
std::string allowed_alias_characters()
{
  std::string s;
  for (int c = 0x21; c <= 0x7e; ++c) {
    if (k_forbidden.find(static_cast<char>(c)) == std::string_view::npos) {
      s.push_back(static_cast<char>(c));
    }
  }
  return s;
}

// ---- alias -----------------------------------------------------------------

TEST(AliasProblem, single_character_is_valid)
{
  EXPECT_EQ(alias_problem("a"), std::nullopt);
}

TEST(AliasProblem, typical_host_name_is_valid)
{
  EXPECT_EQ(alias_problem("web-01.example.com"), std::nullopt);
}

TEST(AliasProblem, sixty_four_bytes_is_valid)
{
  EXPECT_EQ(alias_problem(std::string(64, 'a')), std::nullopt);
}

TEST(AliasProblem, sixty_five_bytes_is_refused)
{
  const auto problem = alias_problem(std::string(65, 'a'));
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("64"), std::string::npos) << *problem;
}

TEST(AliasProblem, empty_is_refused)
{
  EXPECT_TRUE(alias_problem("").has_value());
}

TEST(AliasProblem, every_allowed_printable_character_is_valid)
{
  const std::string allowed = allowed_alias_characters();
  ASSERT_EQ(allowed.size(), 94u - k_forbidden.size());
  for (const char c : allowed) {
    EXPECT_EQ(alias_problem(std::string(1, c)), std::nullopt) << "character '" << c << "'";
  }
  // And all of them together, in chunks within the length limit.
  for (std::size_t i = 0; i < allowed.size(); i += 64) {
    EXPECT_EQ(alias_problem(allowed.substr(i, 64)), std::nullopt);
  }
}

TEST(AliasProblem, each_shell_special_character_is_refused)
{
  for (const char c : k_forbidden) {
    EXPECT_TRUE(alias_problem(std::string(1, c)).has_value()) << "character '" << c << "' alone";
    EXPECT_TRUE(alias_problem(std::string("host") + c + "01").has_value()) << "character '" << c << "' inside";
  }
}

TEST(AliasProblem, space_is_refused)
{
  EXPECT_TRUE(alias_problem(" ").has_value());
  EXPECT_TRUE(alias_problem("host 01").has_value());
  EXPECT_TRUE(alias_problem("host01 ").has_value());
}

TEST(AliasProblem, tab_and_control_characters_are_refused)
{
  EXPECT_TRUE(alias_problem("host\t01").has_value());
  EXPECT_TRUE(alias_problem("host\n").has_value());
  EXPECT_TRUE(alias_problem("host\r").has_value());
  EXPECT_TRUE(alias_problem(std::string_view("host\0" "01", 7)).has_value());
  EXPECT_TRUE(alias_problem("host\x7f").has_value());
}

TEST(AliasProblem, non_ascii_is_refused)
{
  EXPECT_TRUE(alias_problem("h\xc3\xa9te").has_value());  // "héte" in UTF-8
  EXPECT_TRUE(alias_problem("\x80").has_value());
  EXPECT_TRUE(alias_problem("\xff").has_value());
}

TEST(AliasProblem, sixty_four_multibyte_characters_are_refused)
{
  // The limit is in bytes, and non-ASCII is refused anyway.
  std::string s;
  for (int i = 0; i < 32; ++i) {
    s += "\xc3\xa9";
  }
  EXPECT_TRUE(alias_problem(s).has_value());
}

// ---- tenant ID -------------------------------------------------------------

TEST(TenantidProblem, default_tenant_is_valid)
{
  EXPECT_EQ(tenantid_problem("TenantA"), std::nullopt);
}

TEST(TenantidProblem, length_limit_is_64_bytes)
{
  EXPECT_EQ(tenantid_problem(std::string(64, 't')), std::nullopt);
  EXPECT_TRUE(tenantid_problem(std::string(65, 't')).has_value());
}

TEST(TenantidProblem, empty_is_refused)
{
  EXPECT_TRUE(tenantid_problem("").has_value());
}

TEST(TenantidProblem, shell_specials_and_spaces_are_refused)
{
  for (const char c : k_forbidden) {
    EXPECT_TRUE(tenantid_problem(std::string("Tenant") + c).has_value()) << "character '" << c << "'";
  }
  EXPECT_TRUE(tenantid_problem("Tenant A").has_value());
  EXPECT_TRUE(tenantid_problem("Tenant\tA").has_value());
  EXPECT_TRUE(tenantid_problem("Ten\xc3\xa4nt").has_value());
}

// ---- keyid -----------------------------------------------------------------

TEST(KeyidProblem, one_to_ten_digits_are_valid)
{
  for (const char* s : {"0", "1", "42", "0000000001", "9999999999", "123456789"}) {
    EXPECT_EQ(keyid_problem(s), std::nullopt) << "'" << s << "'";
  }
}

TEST(KeyidProblem, empty_is_refused)
{
  EXPECT_TRUE(keyid_problem("").has_value());
}

TEST(KeyidProblem, eleven_digits_are_refused)
{
  EXPECT_TRUE(keyid_problem("12345678901").has_value());
  EXPECT_TRUE(keyid_problem("00000000001").has_value());
}

TEST(KeyidProblem, non_digits_are_refused)
{
  for (const char* s : {"abc", "1a", "a1", "-1", "+1", " 1", "1 ", "1.0", "0x1", "1e3", "\xef\xbc\x91"}) {
    EXPECT_TRUE(keyid_problem(s).has_value()) << "'" << s << "'";
  }
}

// ---- password --------------------------------------------------------------

TEST(PasswordProblem, issued_style_password_is_valid)
{
  EXPECT_EQ(password_problem("Ab3dEf6hIj9kLm2n"), std::nullopt);
}

TEST(PasswordProblem, length_limit_is_128_bytes)
{
  EXPECT_EQ(password_problem("x"), std::nullopt);
  EXPECT_EQ(password_problem(std::string(128, 'x')), std::nullopt);
  EXPECT_TRUE(password_problem(std::string(129, 'x')).has_value());
}

TEST(PasswordProblem, empty_is_refused)
{
  EXPECT_TRUE(password_problem("").has_value());
}

TEST(PasswordProblem, every_printable_ascii_character_is_valid)
{
  // Unlike aliases, passwords may hold the shell specials.
  for (int c = 0x21; c <= 0x7e; ++c) {
    EXPECT_EQ(password_problem(std::string(1, static_cast<char>(c))), std::nullopt) << "character " << c;
  }
}

TEST(PasswordProblem, spaces_controls_and_non_ascii_are_refused)
{
  for (const char* s : {"pass word", " ", "pass\tword", "pass\n", "pass\x7f", "p\xc3\xa4ss", "\x80"}) {
    EXPECT_TRUE(password_problem(s).has_value()) << "'" << s << "'";
  }
}

// ---- format_keyid ----------------------------------------------------------

TEST(FormatKeyid, pads_to_ten_digits)
{
  EXPECT_EQ(format_keyid(1), "0000000001");
  EXPECT_EQ(format_keyid(0), "0000000000");
  EXPECT_EQ(format_keyid(42), "0000000042");
  EXPECT_EQ(format_keyid(1234567890), "1234567890");
  EXPECT_EQ(format_keyid(9999999999LL), "9999999999");
}

TEST(FormatKeyid, result_is_a_valid_keyid)
{
  for (const long long n : {0LL, 1LL, 99LL, 100000LL, 9999999999LL}) {
    EXPECT_EQ(keyid_problem(format_keyid(n)), std::nullopt) << n;
  }
}

}  // namespace
