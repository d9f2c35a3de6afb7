// Tests of the value checks the tools and clm-server share: aliases, tenant IDs,
// keyids and passwords, and the ten-digit keyid format.
#include <clm/error.hpp>
#include <clm/validate.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// ---- certificate API values ------------------------------------------------------

using clm::SubjectEntry;

TEST(DevicenameProblem, follows_the_alias_rules)
{
  EXPECT_EQ(clm::devicename_problem("nec-edge-0001"), std::nullopt);
  EXPECT_EQ(clm::devicename_problem(std::string(64, 'd')), std::nullopt);
  EXPECT_NE(clm::devicename_problem(std::string(65, 'd')), std::nullopt);
  EXPECT_NE(clm::devicename_problem(""), std::nullopt);
  EXPECT_NE(clm::devicename_problem("dev 1"), std::nullopt);
  EXPECT_NE(clm::devicename_problem("dev$1"), std::nullopt);
}

TEST(DeviceidProblem, accepts_up_to_64_alias_characters)
{
  EXPECT_EQ(clm::deviceid_problem("0000000001"), std::nullopt);
  EXPECT_EQ(clm::deviceid_problem("1234567890abcdefghijklmnopqrstuvwxyxz"), std::nullopt);
  EXPECT_NE(clm::deviceid_problem(std::string(65, '1')), std::nullopt);
  EXPECT_NE(clm::deviceid_problem(""), std::nullopt);
}

TEST(PassphraseProblem, accepts_1_to_128_bytes_of_0x21_to_0x7e)
{
  EXPECT_EQ(clm::passphrase_problem("!"), std::nullopt);
  EXPECT_EQ(clm::passphrase_problem(std::string(128, '~')), std::nullopt);
  EXPECT_EQ(clm::passphrase_problem("a;b&c$d"), std::nullopt) << "shell specials are printable ASCII";
  EXPECT_NE(clm::passphrase_problem(""), std::nullopt);
  EXPECT_NE(clm::passphrase_problem(std::string(129, 'p')), std::nullopt);
  EXPECT_NE(clm::passphrase_problem("a b"), std::nullopt);
  EXPECT_NE(clm::passphrase_problem("caf\xc3\xa9"), std::nullopt);
  EXPECT_NE(clm::passphrase_problem("a\x7f"), std::nullopt);
}

TEST(FilepathProblem, accepts_up_to_1024_bytes_without_control_characters)
{
  EXPECT_EQ(clm::filepath_problem("/etc/opt/nec/swclm/keyfile/clcert.pem"), std::nullopt);
  EXPECT_EQ(clm::filepath_problem("C:\\Program Files\\clm\\cert.pem"), std::nullopt);
  EXPECT_EQ(clm::filepath_problem("/data/証明書.pem"), std::nullopt);
  EXPECT_EQ(clm::filepath_problem(std::string(1024, 'p')), std::nullopt);
  EXPECT_NE(clm::filepath_problem(std::string(1025, 'p')), std::nullopt);
  EXPECT_NE(clm::filepath_problem(""), std::nullopt);
  EXPECT_NE(clm::filepath_problem("/tmp/a\nb"), std::nullopt);
  EXPECT_NE(clm::filepath_problem(std::string("/tmp/a\0b", 8)), std::nullopt);
}

TEST(IpAddressProblem, accepts_ipv4_and_ipv6_text)
{
  for (const char* ok : {"192.168.0.1", "0.0.0.0", "::1", "fe80::1", "2001:db8::7", "::ffff:192.0.2.1"}) {
    EXPECT_EQ(clm::ip_address_problem(ok), std::nullopt) << ok;
  }
  for (const char* bad : {"", "256.0.0.1", "192.168.0", "host.example", "fe80::1%eth0", " 10.0.0.1", "1.2.3.4/24"}) {
    EXPECT_NE(clm::ip_address_problem(bad), std::nullopt) << bad;
  }
  EXPECT_NE(clm::ip_address_problem(std::string("10.0.0.1\0x", 10)), std::nullopt);
}

TEST(MacAddressProblem, accepts_the_three_spec_forms)
{
  for (const char* ok : {"12:34:56:78:90:12", "12-34-56-78-90-12", "123456789012", "aa:BB:cc:DD:ee:FF", "AABBCCDDEEFF"}) {
    EXPECT_EQ(clm::mac_address_problem(ok), std::nullopt) << ok;
  }
  for (const char* bad : {"", "12:34:56:78:90", "12:34:56:78:90:12:34", "12:34-56:78:90:12", "12.34.56.78.90.12",
                          "1234567890123", "12345678901g", "12:34:56:78:90:1", "1:234:56:78:90:12"}) {
    EXPECT_NE(clm::mac_address_problem(bad), std::nullopt) << bad;
  }
}

TEST(NormalizeMacAddress, gives_lower_case_colon_form)
{
  EXPECT_EQ(clm::normalize_mac_address("12-34-56-78-9A-BC"), "12:34:56:78:9a:bc");
  EXPECT_EQ(clm::normalize_mac_address("123456789ABC"), "12:34:56:78:9a:bc");
  EXPECT_EQ(clm::normalize_mac_address("aa:bb:cc:dd:ee:ff"), "aa:bb:cc:dd:ee:ff");
}

TEST(KeynumberProblem, accepts_1_to_10_digits)
{
  EXPECT_EQ(clm::keynumber_problem("1"), std::nullopt);
  EXPECT_EQ(clm::keynumber_problem("0000000054"), std::nullopt);
  EXPECT_NE(clm::keynumber_problem(""), std::nullopt);
  EXPECT_NE(clm::keynumber_problem("12345678901"), std::nullopt);
  EXPECT_NE(clm::keynumber_problem("-1"), std::nullopt);
  EXPECT_NE(clm::keynumber_problem("5a"), std::nullopt);
}

TEST(CertserialProblem, accepts_1_to_40_hex_digits)
{
  EXPECT_EQ(clm::certserial_problem("863542E528A7233F"), std::nullopt);
  EXPECT_EQ(clm::certserial_problem("deadbeef"), std::nullopt);
  EXPECT_EQ(clm::certserial_problem(std::string(40, 'F')), std::nullopt);
  EXPECT_NE(clm::certserial_problem(std::string(41, 'F')), std::nullopt);
  EXPECT_NE(clm::certserial_problem(""), std::nullopt);
  EXPECT_NE(clm::certserial_problem("86:35:42"), std::nullopt);
  EXPECT_NE(clm::certserial_problem("0x86"), std::nullopt);
}

TEST(NormalizeCertserial, prints_like_openssl)
{
  EXPECT_EQ(clm::normalize_certserial("863542e528a7233f"), "863542E528A7233F");
  EXPECT_EQ(clm::normalize_certserial("00863542E528A7233F"), "863542E528A7233F");
  EXPECT_EQ(clm::normalize_certserial("a1b"), "0A1B");
  EXPECT_EQ(clm::normalize_certserial("0A1B"), "0A1B");
  EXPECT_EQ(clm::normalize_certserial("000"), "00");
}

TEST(HostnameProblem, accepts_dns_names_wildcards_and_addresses)
{
  for (const char* ok : {"gw.example.com", "localhost", "gw-01.example", "*.example.com", "host_1.lan", "10.0.0.1",
                         "::1", "xn--bcher-kva.example"}) {
    EXPECT_EQ(clm::hostname_problem(ok), std::nullopt) << ok;
  }
  for (const char* bad : {"", "my gateway", "-gw.example", "gw-.example", "gw..example", "gw.example.", "*.", "a.*.b",
                          "gw/1", "caf\xc3\xa9.example"}) {
    EXPECT_NE(clm::hostname_problem(bad), std::nullopt) << bad;
  }
  EXPECT_NE(clm::hostname_problem(std::string(64, 'a') + ".example"), std::nullopt);
  EXPECT_EQ(clm::hostname_problem(std::string(63, 'a') + ".example"), std::nullopt);
}

TEST(SubjectProblem, accepts_the_spec_form_and_any_subset_with_cn)
{
  for (const char* ok : {"/C=JP/ST=Tokyo/L=Minato/O=NEC/OU=IoT/CN=AP1", "/CN=AP1", "/CN=AP1/O=NEC", "/C=jp/CN=a b",
                         "/CN=caf\xc3\xa9", "/CN=a\\/b", "/O=a=b/CN=c"}) {
    EXPECT_EQ(clm::subject_problem(ok), std::nullopt) << ok;
  }
}

TEST(SubjectProblem, names_what_is_wrong)
{
  const std::vector<std::pair<std::string, std::string>> cases{
    {"", "empty"},
    {"CN=a", "start with '/'"},
    {"/O=NEC", "no CN"},
    {"/CN=a/CN=b", "more than once"},
    {"/E=x@y/CN=a", "only C, ST, L, O, OU and CN"},
    {"/cn=a", "only C, ST, L, O, OU and CN"},
    {"/CN", "no '='"},
    {"/CN=", "CN is empty"},
    {"/CN=a//O=b", "empty attribute"},
    {"/CN=a/", "empty attribute"},
    {"/C=JPN/CN=a", "two-letter"},
    {"/C=J1/CN=a", "two-letter"},
    {"/CN=" + std::string(65, 'c'), "longer than 64 characters"},
    {"/O=" + std::string(65, 'o') + "/CN=a", "longer than 64 characters"},
    {"/L=" + std::string(129, 'l') + "/CN=a", "longer than 128 characters"},
    {"/CN=a\tb", "control character"},
    {"/CN=\xff", "UTF-8"},
    {"/CN=\xc0\xaf", "UTF-8"},
    {"/CN=\xed\xa0\x80", "UTF-8"},
    {"/CN=\xe3\x81", "UTF-8"},
    {"/CN=a\\", "lone backslash"},
    {"/CN=" + std::string(600, 'c'), "longer than 512 bytes"},
  };
  for (const auto& [subject, part] : cases) {
    const auto problem = clm::subject_problem(subject);
    ASSERT_TRUE(problem.has_value()) << subject;
    EXPECT_NE(problem->find(part), std::string::npos) << subject << ": " << *problem;
  }
}

TEST(SubjectProblem, counts_characters_not_bytes_against_the_bounds)
{
  std::string cn;
  for (int i = 0; i < 64; ++i) {
    cn += "\xe8\xa8\xbc";  // 証, three bytes
  }
  EXPECT_EQ(clm::subject_problem("/CN=" + cn), std::nullopt);
  EXPECT_NE(clm::subject_problem("/CN=" + cn + "x"), std::nullopt);
}

TEST(ParseSubject, returns_entries_in_order_with_escapes_resolved)
{
  EXPECT_EQ(clm::parse_subject("/C=JP/O=NEC/CN=AP1"),
            (std::vector<SubjectEntry>{{"C", "JP"}, {"O", "NEC"}, {"CN", "AP1"}}));
  EXPECT_EQ(clm::parse_subject("/OU=a\\/b/CN=c\\\\d/O=x\\=y"),
            (std::vector<SubjectEntry>{{"OU", "a/b"}, {"CN", "c\\d"}, {"O", "x=y"}}));
}

TEST(ParseSubject, throws_bad_parameter_for_an_invalid_subject)
{
  try {
    clm::parse_subject("/O=NEC");
    FAIL() << "no exception";
  } catch (const clm::Error& e) {
    EXPECT_EQ(e.code(), clm::ExitCode::bad_parameter);
    EXPECT_NE(std::string(e.what()).find("no CN"), std::string::npos) << e.what();
  }
}

TEST(FormatSubject, round_trips_through_parse_subject)
{
  const std::vector<SubjectEntry> entries{{"C", "JP"}, {"O", "a/b\\c"}, {"CN", "x=y"}};
  EXPECT_EQ(clm::format_subject(entries), "/C=JP/O=a\\/b\\\\c/CN=x=y");
  EXPECT_EQ(clm::parse_subject(clm::format_subject(entries)), entries);
}

}  // namespace
