// Tests of the value checks the tools and clm-server share: aliases, tenant IDs,
// keyids and passwords, the ten-digit keyid format, and the field table: which side
// (tool or server) takes which value, and what the tools take from a server answer.
#include <clm/error.hpp>
#include <clm/validate.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using clm::Field;
using clm::format_keyid;
using clm::Side;

// Return why the tools refuse s as a value of field, or nullopt.
std::optional<std::string> tool_problem(Field field, std::string_view s)
{
  return clm::field_problem(field, Side::tool, s);
}

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
  EXPECT_EQ(tool_problem(Field::alias, "a"), std::nullopt);
}

TEST(AliasProblem, typical_host_name_is_valid)
{
  EXPECT_EQ(tool_problem(Field::alias, "web-01.example.com"), std::nullopt);
}

TEST(AliasProblem, sixty_four_bytes_is_valid)
{
  EXPECT_EQ(tool_problem(Field::alias, std::string(64, 'a')), std::nullopt);
}

TEST(AliasProblem, sixty_five_bytes_is_refused)
{
  const auto problem = tool_problem(Field::alias, std::string(65, 'a'));
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("64"), std::string::npos) << *problem;
}

TEST(AliasProblem, empty_is_refused)
{
  EXPECT_TRUE(tool_problem(Field::alias, "").has_value());
}

TEST(AliasProblem, every_allowed_printable_character_is_valid)
{
  const std::string allowed = allowed_alias_characters();
  ASSERT_EQ(allowed.size(), 94u - k_forbidden.size());
  for (const char c : allowed) {
    EXPECT_EQ(tool_problem(Field::alias, std::string(1, c)), std::nullopt) << "character '" << c << "'";
  }
  // And all of them together, in chunks within the length limit.
  for (std::size_t i = 0; i < allowed.size(); i += 64) {
    EXPECT_EQ(tool_problem(Field::alias, allowed.substr(i, 64)), std::nullopt);
  }
}

TEST(AliasProblem, each_shell_special_character_is_refused)
{
  for (const char c : k_forbidden) {
    EXPECT_TRUE(tool_problem(Field::alias, std::string(1, c)).has_value()) << "character '" << c << "' alone";
    EXPECT_TRUE(tool_problem(Field::alias, std::string("host") + c + "01").has_value()) << "character '" << c << "' inside";
  }
}

TEST(AliasProblem, space_is_refused)
{
  EXPECT_TRUE(tool_problem(Field::alias, " ").has_value());
  EXPECT_TRUE(tool_problem(Field::alias, "host 01").has_value());
  EXPECT_TRUE(tool_problem(Field::alias, "host01 ").has_value());
}

TEST(AliasProblem, tab_and_control_characters_are_refused)
{
  EXPECT_TRUE(tool_problem(Field::alias, "host\t01").has_value());
  EXPECT_TRUE(tool_problem(Field::alias, "host\n").has_value());
  EXPECT_TRUE(tool_problem(Field::alias, "host\r").has_value());
  EXPECT_TRUE(tool_problem(Field::alias, std::string_view("host\0" "01", 7)).has_value());
  EXPECT_TRUE(tool_problem(Field::alias, "host\x7f").has_value());
}

TEST(AliasProblem, non_ascii_is_refused)
{
  EXPECT_TRUE(tool_problem(Field::alias, "h\xc3\xa9te").has_value());  // "héte" in UTF-8
  EXPECT_TRUE(tool_problem(Field::alias, "\x80").has_value());
  EXPECT_TRUE(tool_problem(Field::alias, "\xff").has_value());
}

TEST(AliasProblem, sixty_four_multibyte_characters_are_refused)
{
  // The limit is in bytes, and non-ASCII is refused anyway.
  std::string s;
  for (int i = 0; i < 32; ++i) {
    s += "\xc3\xa9";
  }
  EXPECT_TRUE(tool_problem(Field::alias, s).has_value());
}

// ---- tenant ID -------------------------------------------------------------

TEST(TenantidProblem, default_tenant_is_valid)
{
  EXPECT_EQ(tool_problem(Field::tenantid, "TenantA"), std::nullopt);
}

TEST(TenantidProblem, length_limit_is_64_bytes)
{
  EXPECT_EQ(tool_problem(Field::tenantid, std::string(64, 't')), std::nullopt);
  EXPECT_TRUE(tool_problem(Field::tenantid, std::string(65, 't')).has_value());
}

TEST(TenantidProblem, empty_is_refused)
{
  EXPECT_TRUE(tool_problem(Field::tenantid, "").has_value());
}

TEST(TenantidProblem, shell_specials_and_spaces_are_refused)
{
  for (const char c : k_forbidden) {
    EXPECT_TRUE(tool_problem(Field::tenantid, std::string("Tenant") + c).has_value()) << "character '" << c << "'";
  }
  EXPECT_TRUE(tool_problem(Field::tenantid, "Tenant A").has_value());
  EXPECT_TRUE(tool_problem(Field::tenantid, "Tenant\tA").has_value());
  EXPECT_TRUE(tool_problem(Field::tenantid, "Ten\xc3\xa4nt").has_value());
}

// ---- keyid -----------------------------------------------------------------

TEST(KeyidProblem, one_to_ten_digits_are_valid)
{
  for (const char* s : {"0", "1", "42", "0000000001", "9999999999", "123456789"}) {
    EXPECT_EQ(tool_problem(Field::keyid, s), std::nullopt) << "'" << s << "'";
  }
}

TEST(KeyidProblem, empty_is_refused)
{
  EXPECT_TRUE(tool_problem(Field::keyid, "").has_value());
}

TEST(KeyidProblem, eleven_digits_are_refused)
{
  EXPECT_TRUE(tool_problem(Field::keyid, "12345678901").has_value());
  EXPECT_TRUE(tool_problem(Field::keyid, "00000000001").has_value());
}

TEST(KeyidProblem, non_digits_are_refused)
{
  for (const char* s : {"abc", "1a", "a1", "-1", "+1", " 1", "1 ", "1.0", "0x1", "1e3", "\xef\xbc\x91"}) {
    EXPECT_TRUE(tool_problem(Field::keyid, s).has_value()) << "'" << s << "'";
  }
}

// ---- password --------------------------------------------------------------

TEST(PasswordProblem, issued_style_password_is_valid)
{
  EXPECT_EQ(tool_problem(Field::password, "Ab3dEf6hIj9kLm2n"), std::nullopt);
}

TEST(PasswordProblem, length_limit_is_128_bytes)
{
  EXPECT_EQ(tool_problem(Field::password, "x"), std::nullopt);
  EXPECT_EQ(tool_problem(Field::password, std::string(128, 'x')), std::nullopt);
  EXPECT_TRUE(tool_problem(Field::password, std::string(129, 'x')).has_value());
}

TEST(PasswordProblem, empty_is_refused)
{
  EXPECT_TRUE(tool_problem(Field::password, "").has_value());
}

TEST(PasswordProblem, every_printable_ascii_character_is_valid)
{
  // Unlike aliases, passwords may hold the shell specials.
  for (int c = 0x21; c <= 0x7e; ++c) {
    EXPECT_EQ(tool_problem(Field::password, std::string(1, static_cast<char>(c))), std::nullopt) << "character " << c;
  }
}

TEST(PasswordProblem, spaces_controls_and_non_ascii_are_refused)
{
  for (const char* s : {"pass word", " ", "pass\tword", "pass\n", "pass\x7f", "p\xc3\xa4ss", "\x80"}) {
    EXPECT_TRUE(tool_problem(Field::password, s).has_value()) << "'" << s << "'";
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
    EXPECT_EQ(tool_problem(Field::keyid, format_keyid(n)), std::nullopt) << n;
  }
}

// ---- certificate API values ------------------------------------------------------

using clm::SubjectEntry;

TEST(DevicenameProblem, follows_the_alias_rules)
{
  EXPECT_EQ(tool_problem(Field::devicename, "nec-edge-0001"), std::nullopt);
  EXPECT_EQ(tool_problem(Field::devicename, std::string(64, 'd')), std::nullopt);
  EXPECT_NE(tool_problem(Field::devicename, std::string(65, 'd')), std::nullopt);
  EXPECT_NE(tool_problem(Field::devicename, ""), std::nullopt);
  EXPECT_NE(tool_problem(Field::devicename, "dev 1"), std::nullopt);
  EXPECT_NE(tool_problem(Field::devicename, "dev$1"), std::nullopt);
}

TEST(DeviceidProblem, accepts_up_to_64_alias_characters)
{
  EXPECT_EQ(tool_problem(Field::deviceid, "0000000001"), std::nullopt);
  EXPECT_EQ(tool_problem(Field::deviceid, "1234567890abcdefghijklmnopqrstuvwxyxz"), std::nullopt);
  EXPECT_NE(tool_problem(Field::deviceid, std::string(65, '1')), std::nullopt);
  EXPECT_NE(tool_problem(Field::deviceid, ""), std::nullopt);
}

TEST(PassphraseProblem, accepts_1_to_128_bytes_of_0x21_to_0x7e)
{
  EXPECT_EQ(tool_problem(Field::passphrase, "!"), std::nullopt);
  EXPECT_EQ(tool_problem(Field::passphrase, std::string(128, '~')), std::nullopt);
  EXPECT_EQ(tool_problem(Field::passphrase, "a;b&c$d"), std::nullopt) << "shell specials are printable ASCII";
  EXPECT_NE(tool_problem(Field::passphrase, ""), std::nullopt);
  EXPECT_NE(tool_problem(Field::passphrase, std::string(129, 'p')), std::nullopt);
  EXPECT_NE(tool_problem(Field::passphrase, "a b"), std::nullopt);
  EXPECT_NE(tool_problem(Field::passphrase, "caf\xc3\xa9"), std::nullopt);
  EXPECT_NE(tool_problem(Field::passphrase, "a\x7f"), std::nullopt);
}

TEST(FilepathProblem, accepts_up_to_1024_bytes_without_control_characters)
{
  EXPECT_EQ(clm::field_problem(Field::filepath, Side::server, "/etc/opt/nec/swclm/keyfile/clcert.pem"), std::nullopt);
  EXPECT_EQ(clm::field_problem(Field::filepath, Side::server, "C:\\Program Files\\clm\\cert.pem"), std::nullopt);
  EXPECT_EQ(clm::field_problem(Field::filepath, Side::server, "/data/証明書.pem"), std::nullopt);
  EXPECT_EQ(clm::field_problem(Field::filepath, Side::server, std::string(1024, 'p')), std::nullopt);
  EXPECT_NE(clm::field_problem(Field::filepath, Side::server, std::string(1025, 'p')), std::nullopt);
  EXPECT_NE(clm::field_problem(Field::filepath, Side::server, ""), std::nullopt);
  EXPECT_NE(clm::field_problem(Field::filepath, Side::server, "/tmp/a\nb"), std::nullopt);
  EXPECT_NE(clm::field_problem(Field::filepath, Side::server, std::string("/tmp/a\0b", 8)), std::nullopt);
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
  EXPECT_EQ(tool_problem(Field::keynumber, "1"), std::nullopt);
  EXPECT_EQ(tool_problem(Field::keynumber, "0000000054"), std::nullopt);
  EXPECT_NE(tool_problem(Field::keynumber, ""), std::nullopt);
  EXPECT_NE(tool_problem(Field::keynumber, "12345678901"), std::nullopt);
  EXPECT_NE(tool_problem(Field::keynumber, "-1"), std::nullopt);
  EXPECT_NE(tool_problem(Field::keynumber, "5a"), std::nullopt);
}

TEST(CertserialProblem, accepts_1_to_40_hex_digits)
{
  EXPECT_EQ(tool_problem(Field::certserial, "863542E528A7233F"), std::nullopt);
  EXPECT_EQ(tool_problem(Field::certserial, "deadbeef"), std::nullopt);
  EXPECT_EQ(tool_problem(Field::certserial, std::string(40, 'F')), std::nullopt);
  EXPECT_NE(tool_problem(Field::certserial, std::string(41, 'F')), std::nullopt);
  EXPECT_NE(tool_problem(Field::certserial, ""), std::nullopt);
  EXPECT_NE(tool_problem(Field::certserial, "86:35:42"), std::nullopt);
  EXPECT_NE(tool_problem(Field::certserial, "0x86"), std::nullopt);
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

TEST(SubjectProblem, takes_repeated_ou_and_email_address_up_to_512_bytes)
{
  EXPECT_EQ(clm::subject_problem("/O=NEC/OU=IoT/OU=Edge/emailAddress=a@example.com/emailAddress=b@example.com/CN=gw"),
            std::nullopt);
  std::string subject;
  for (int i = 0; i < 7; ++i) {
    subject += "/OU=" + std::string(63, 'u') + std::to_string(i);  // 68 bytes each
  }
  subject += "/CN=" + std::string(32, 'c');
  ASSERT_EQ(subject.size(), 512u);
  EXPECT_EQ(clm::subject_problem(subject), std::nullopt) << subject;
  EXPECT_NE(clm::subject_problem(subject + "w"), std::nullopt);
}

TEST(SubjectProblem, names_what_is_wrong)
{
  const std::vector<std::pair<std::string, std::string>> cases{
    {"", "empty"},
    {"CN=a", "start with '/'"},
    {"/O=NEC", "no CN"},
    {"/CN=a/CN=b", "more than once"},
    {"/O=a/O=b/CN=c", "more than once"},
    {"/E=x@y/CN=a", "only C, ST, L, O, OU, CN and emailAddress"},
    {"/cn=a", "only C, ST, L, O, OU, CN and emailAddress"},
    {"/emailAddress=" + std::string(129, 'e') + "/CN=a", "longer than 128 characters"},
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

// ---- the field table ------------------------------------------------------------

namespace {

using clm::AnswerUse;
using clm::Chars;
using clm::FieldRule;
using clm::ToolStricter;

TEST(FieldRules, rows_are_in_the_order_of_field_so_field_rule_finds_each)
{
  for (const FieldRule& rule : clm::k_field_rules) {
    EXPECT_EQ(&clm::field_rule(rule.field), &rule) << rule.name;
  }
}

TEST(FieldRules, a_row_not_marked_stricter_gives_both_sides_one_rule)
{
  for (const FieldRule& rule : clm::k_field_rules) {
    if (rule.tool_stricter == ToolStricter::no) {
      EXPECT_EQ(rule.tool_max_bytes, rule.server_max_bytes) << rule.name;
      EXPECT_EQ(rule.tool_chars, rule.server_chars) << rule.name;
    } else {
      EXPECT_LE(rule.tool_max_bytes, rule.server_max_bytes) << rule.name;
      EXPECT_NE(rule.tool_chars, rule.server_chars) << rule.name;
    }
    EXPECT_FALSE(rule.reference.empty()) << rule.name;
  }
}

TEST(FieldRules, the_command_reference_is_stricter_for_aliases_tenant_ids_and_device_names)
{
  for (const Field f : {Field::alias, Field::tenantid, Field::devicename}) {
    EXPECT_EQ(clm::field_rule(f).tool_stricter, ToolStricter::yes) << clm::field_rule(f).name;
    EXPECT_EQ(clm::field_rule(f).tool_chars, Chars::name);
    EXPECT_EQ(clm::field_rule(f).server_chars, Chars::text);
  }
}

TEST(FieldProblem, the_server_takes_the_webapi_references_own_alias_example)
{
  EXPECT_EQ(clm::field_problem(Field::alias, Side::server, "iotgatewaytest cmkey"), std::nullopt);
  EXPECT_EQ(clm::field_problem(Field::alias, Side::server, "a;b&c$(d)"), std::nullopt);
  EXPECT_EQ(clm::field_problem(Field::alias, Side::server, "h\xc3\xa9te"), std::nullopt);
  EXPECT_EQ(clm::field_problem(Field::devicename, Side::server, "edge gw 1"), std::nullopt);
  EXPECT_EQ(clm::field_problem(Field::tenantid, Side::server, "Tenant A"), std::nullopt);
  EXPECT_EQ(clm::field_problem(Field::alias, Side::server, std::string(64, ' ')), std::nullopt);
}

TEST(FieldProblem, the_server_refuses_control_characters_and_more_than_64_bytes)
{
  EXPECT_EQ(clm::field_problem(Field::alias, Side::server, "a\tb"), "holds a control character");
  EXPECT_EQ(clm::field_problem(Field::alias, Side::server, "a\x7f"), "holds a control character");
  EXPECT_EQ(clm::field_problem(Field::alias, Side::server, std::string(65, 'a')), "is longer than 64 bytes (65)");
  EXPECT_EQ(clm::field_problem(Field::alias, Side::server, ""), "is empty");
  // 22 three-byte characters are 66 bytes.
  std::string wide;
  for (int i = 0; i < 22; ++i) {
    wide += "\xe3\x81\x82";
  }
  EXPECT_EQ(clm::field_problem(Field::devicename, Side::server, wide), "is longer than 64 bytes (66)");
}

TEST(FieldProblem, the_tools_refuse_a_space_with_the_message_they_always_gave)
{
  EXPECT_EQ(tool_problem(Field::alias, "iotgatewaytest cmkey"),
            "holds a character outside printable ASCII (spaces and control characters are not allowed)");
  EXPECT_EQ(tool_problem(Field::alias, "a$b"),
            "holds the character '$', which is not allowed (none of ; & ` ( ) $ < > * ? { } [ ] !)");
}

TEST(FieldProblem, file_names_hold_no_slash)
{
  EXPECT_EQ(tool_problem(Field::file_name, "cmkey;1"), std::nullopt);
  EXPECT_EQ(tool_problem(Field::file_name, "a/b"), "holds '/' (a file name, not a path)");
  EXPECT_NE(tool_problem(Field::file_name, std::string(243, 'f')), std::nullopt);
  EXPECT_NE(tool_problem(Field::out_dir, "/tmp/a b"), std::nullopt);
  EXPECT_NE(tool_problem(Field::out_dir, "/tmp/a!b"), std::nullopt);
}

TEST(AnswerValueProblem, takes_what_the_server_takes)
{
  EXPECT_EQ(clm::answer_value_problem(Field::alias, "iotgatewaytest cmkey", AnswerUse::value), std::nullopt);
  EXPECT_EQ(clm::answer_value_problem(Field::devicename, "a/b", AnswerUse::value), std::nullopt);
  EXPECT_EQ(clm::answer_value_problem(Field::keynumber, "12", AnswerUse::value), std::nullopt);
  EXPECT_EQ(clm::answer_value_problem(Field::keynumber, "1x", AnswerUse::value), "is not a decimal number");
  EXPECT_EQ(clm::answer_value_problem(Field::devicename, "a\nb", AnswerUse::value), "holds a control character");
  EXPECT_EQ(clm::answer_value_problem(Field::certserial, "", AnswerUse::value), "is empty");
}

TEST(AnswerValueProblem, a_file_name_part_holds_no_slash_and_no_leading_dot)
{
  EXPECT_EQ(clm::answer_value_problem(Field::devicename, "edge-1", AnswerUse::file_name_part), std::nullopt);
  EXPECT_EQ(clm::answer_value_problem(Field::devicename, "a.b", AnswerUse::file_name_part), std::nullopt);
  EXPECT_EQ(clm::answer_value_problem(Field::devicename, "../x", AnswerUse::file_name_part),
            "holds '/', so it cannot be part of a file name");
  EXPECT_EQ(clm::answer_value_problem(Field::devicename, "..", AnswerUse::file_name_part),
            "starts with '.', so it cannot be part of a file name");
  EXPECT_EQ(clm::answer_value_problem(Field::devicename, ".hidden", AnswerUse::file_name_part),
            "starts with '.', so it cannot be part of a file name");
  EXPECT_EQ(clm::answer_value_problem(Field::devicename, std::string(65, 'd'), AnswerUse::file_name_part),
            "is longer than 64 bytes (65)");
}

}  // namespace
