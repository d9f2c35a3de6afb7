// Value checks shared by the tools (before a request is sent) and clm-server
// (when a request arrives). One table row per field says what each side accepts:
// where the WebAPI and command references agree both sides check the same rule;
// where the command reference is stricter the tools check its rule and the server
// the WebAPI reference's, so a client of the WebAPI is never refused a value the
// WebAPI reference allows.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clm {

// The characters a field may hold.
enum class Chars {
  text,       // any byte but the control characters 0x00..0x1F and 0x7F (spaces allowed)
  graphic,    // ASCII 0x21..0x7E
  name,       // ASCII 0x21..0x7E except ; & ` ( ) $ < > * ? { } [ ] ! (the command reference's
              // "英数記号", because SWCLMCLIENT passed these values through a shell)
  file_name,  // ASCII 0x21..0x7E except '/'
  digits,     // 0..9
  hex,        // 0..9, a..f, A..F
};

// Who checks a value: a tool before it sends it, or clm-server when it arrives.
enum class Side { tool, server };

// Whether the tools' rule for a field is stricter than the server's.
enum class ToolStricter { no, yes };

// The fields with a length and character rule.
enum class Field {
  alias,       // IDInfo alias; KeyInfo alias, oldalias, newalias, keyalias
  tenantid,    // IDInfo tenantid
  devicename,  // CredInfo, KeyInfo and DeviceInfo devicename
  deviceid,    // CredInfo, KeyInfo and DeviceInfo deviceid
  keyid,       // IDInfo keyid
  password,    // IDInfo key, devicekey: the passwords the server issues
  passphrase,  // CredInfo passphrase
  filepath,    // CredInfo and KeyInfo filepath, newfilepath, cafilepath, clientfilepath, commonkeyfilepath
  keynumber,   // keynumber, newkeynumber, clientkeynumber, cakeynumber
  certserial,  // certserial, newcertserial, clientserial, caserial
  out_dir,     // tools only: the directory a tool writes to or reads from (-outpath, -inpath)
  file_name,   // tools only: the file name in it (-certname, -cmkeyname, ...)
};

// One field's rule: what the server accepts (the WebAPI reference), what the tools accept.
struct FieldRule {
  Field field;
  std::string_view name;
  std::size_t min_bytes;
  std::size_t server_max_bytes;  // digits for Chars::digits and Chars::hex
  Chars server_chars;
  std::size_t tool_max_bytes;
  Chars tool_chars;
  ToolStricter tool_stricter;
  std::string_view reference;
};

// The rules. W: sections of the WebAPI reference; C: commands of the command reference.
inline constexpr std::array<FieldRule, 12> k_field_rules{{
  // alias: W "64byte" only (its own examples use "iotgatewaytest cmkey"); C adds the
  // 英数記号 class. Server: W. Tools: C (stricter).
  {Field::alias, "alias", 1, 64, Chars::text, 64, Chars::name, ToolStricter::yes,
   "W 3.1, 5.1-5.3; C idcreate, cmkeycreate, cmkeyupdate"},
  // tenantid: W and C only say "TenantA"; 64 bytes and the classes of an alias.
  // Server: as an alias. Tools: as an alias (stricter).
  {Field::tenantid, "tenantid", 1, 64, Chars::text, 64, Chars::name, ToolStricter::yes,
   "W 3.1; C idcreate (no limit given)"},
  // devicename: W "64byte" only; C adds the 英数記号 class. Server: W. Tools: C (stricter).
  {Field::devicename, "devicename", 1, 64, Chars::text, 64, Chars::name, ToolStricter::yes,
   "W 4.1-4.4, 5.1-5.6; C cert*, cmkey*"},
  // deviceid: neither reference limits it; the server issues it (ten digits) and the
  // tools send it back. One rule for both sides.
  {Field::deviceid, "deviceid", 1, 64, Chars::name, 64, Chars::name, ToolStricter::no,
   "W 4.1-4.4, 5.1-5.6 (no limit given)"},
  // keyid: ten digits, as the server issues it. One rule.
  {Field::keyid, "keyid", 1, 10, Chars::digits, 10, Chars::digits, ToolStricter::no, "W 3.2-3.4 (examples)"},
  // IDInfo key and devicekey: as the server issues them. One rule.
  {Field::password, "password", 1, 128, Chars::graphic, 128, Chars::graphic, ToolStricter::no, "W 3.1, 4.1 (answers)"},
  // passphrase: W "128byte, ASCII 0x21~0x7E"; C -passphrase is 50 bytes without the shell
  // specials, because SWCLMCLIENT took it on a command line. clm-cert reads it from a file
  // and never passes it through a shell, so the tools check W too.
  {Field::passphrase, "passphrase", 1, 128, Chars::graphic, 128, Chars::graphic, ToolStricter::no,
   "W 4.1-4.3 (C certcreate, certget, certupdate: 50 bytes, not applied)"},
  // filepath: W "1024byte" only. The tools build it from an out_dir and a file_name (below),
  // which C restricts further.
  {Field::filepath, "filepath", 1, 1024, Chars::text, 1024, Chars::graphic, ToolStricter::yes,
   "W 4.1-4.4, 5.1-5.5; C -outpath, -certname"},
  // keynumber: decimal, as the server issues them (at most ten digits). One rule.
  {Field::keynumber, "keynumber", 1, 10, Chars::digits, 10, Chars::digits, ToolStricter::no, "W 4.2-4.4, 5.2-5.6"},
  // certserial: hexadecimal, at most 20 octets (RFC 5280 4.1.2.2). One rule.
  {Field::certserial, "certserial", 1, 40, Chars::hex, 40, Chars::hex, ToolStricter::no, "W 4.2-4.4; RFC 5280"},
  // out_dir: C -outpath/-inpath: absolute (checked by check_out_dir), 1009 bytes minus the
  // file name, ASCII 0x21~0x7E without the shell specials. Tools only.
  {Field::out_dir, "out_dir", 1, 1009, Chars::name, 1009, Chars::name, ToolStricter::no,
   "C -outpath, -inpath, -newpath"},
  // file_name: C -certname/-cmkeyname: 242 bytes of ASCII 0x21~0x7E without '/'. Tools only.
  {Field::file_name, "file_name", 1, 242, Chars::file_name, 242, Chars::file_name, ToolStricter::no,
   "C -certname, -cmkeyname, -newfilename"},
}};

// Return the rule of field (the rows are in the order of Field).
constexpr const FieldRule& field_rule(Field field)
{
  return k_field_rules[static_cast<std::size_t>(field)];
}

// Return why s is not a value of field that side accepts ("is longer than 64 bytes (65)",
// "holds a control character", ...), or nullopt when it is.
std::optional<std::string> field_problem(Field field, Side side, std::string_view s);

// How a value taken from a server answer is used.
enum class AnswerUse { value, file_name_part };

// Return why s, a value of field in a server answer, is not one the tools take from a
// server, or nullopt: the server's rule for field, and with AnswerUse::file_name_part
// also no '/' and no leading '.' (so it names no file outside the directory).
std::optional<std::string> answer_value_problem(Field field, std::string_view s, AnswerUse use);

// Return a keyid number in the spec's style: ten digits, zero-padded ("0000000001").
std::string format_keyid(long long number);

}  // namespace clm

// ---- certificate API (/SWCLM/CredInfo) values, shared by clm-server and clm-cert ----

namespace clm {

inline constexpr std::size_t k_max_subject_bytes = 512;
inline constexpr std::size_t k_max_ext_data_name_bytes = 128;
inline constexpr std::size_t k_max_ext_data_value_bytes = 256;

// Return why s is not an IPv4 or IPv6 address in text form, or nullopt.
std::optional<std::string> ip_address_problem(std::string_view s);

// Return why s is not a MAC address written 12:34:56:78:90:ab, 12-34-56-78-90-ab or
// 1234567890ab (either case), or nullopt.
std::optional<std::string> mac_address_problem(std::string_view s);

// Return the MAC address s (valid per mac_address_problem) as lower-case aa:bb:cc:dd:ee:ff.
std::string normalize_mac_address(std::string_view s);

// Return the serial s (valid for Field::certserial) the way OpenSSL prints it: upper case,
// no leading zero bytes, an even number of digits ("0a1b" -> "0A1B", "00ff" -> "FF").
std::string normalize_certserial(std::string_view s);

// Return why s is not a host name a server certificate can carry (an IP address, or DNS
// labels of letters, digits, '-' and '_', optionally behind "*."), or nullopt.
std::optional<std::string> hostname_problem(std::string_view s);

// One attribute of a certificate subject: C, ST, L, O, OU or CN and its value.
struct SubjectEntry {
  std::string key;
  std::string value;
  bool operator==(const SubjectEntry&) const = default;
};

// Return why s is not a subject "/C=JP/ST=../L=../O=../OU=../CN=name", or nullopt.
// Any subset of the six keys in any order, each at most once, CN required, at most
// 512 bytes; values are UTF-8 without control characters, within the X.520 bounds
// (C two letters; ST, L up to 128 characters; O, OU, CN up to 64); a backslash
// escapes the next character (so "\/" is a slash inside a value).
std::optional<std::string> subject_problem(std::string_view s);

// Return the entries of subject s in order; throw Error(bad_parameter) with the
// subject_problem text when s is not valid.
std::vector<SubjectEntry> parse_subject(std::string_view s);

// Return entries written as a subject string that parse_subject reads back.
std::string format_subject(const std::vector<SubjectEntry>& entries);

}  // namespace clm

// ---- common key API (/SWCLM/KeyInfo) values, shared by clm-server and clm-key ----

namespace clm {

// Return why s is not a key type ("AES" or "TWINE"), or nullopt.
std::optional<std::string> keytype_problem(std::string_view s);

// Return why length (bits, decimal) is not a key length for keytype (AES: 128 or 256;
// TWINE: 80 or 128), or nullopt.
std::optional<std::string> keylength_problem(std::string_view keytype, std::string_view length);

}  // namespace clm
