#include <clm/validate.hpp>
#include <clm/util/hex.hpp>

#include <clm/error.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdio>

namespace clm {

namespace {

// Characters the command reference excludes from names, because SWCLMCLIENT passed
// them through a shell.
constexpr std::string_view k_shell_specials = ";&`()$<>*?{}[]!";

constexpr std::string_view k_outside_printable =
  "holds a character outside printable ASCII (spaces and control characters are not allowed)";

bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

bool is_graphic(char c)
{
  const auto b = static_cast<unsigned char>(c);
  return b >= 0x21 && b <= 0x7e;
}

// Return why the characters of s are not of class chars, or nullopt.
std::optional<std::string> chars_problem(Chars chars, std::string_view s)
{
  switch (chars) {
  case Chars::text:
    for (const char c : s) {
      const auto b = static_cast<unsigned char>(c);
      if (b < 0x20 || b == 0x7f) {
        return "holds a control character";
      }
    }
    return std::nullopt;
  case Chars::graphic:
  case Chars::name:
  case Chars::file_name:
    for (const char c : s) {
      if (!is_graphic(c)) {
        return std::string(k_outside_printable);
      }
      if (chars == Chars::name && k_shell_specials.find(c) != std::string_view::npos) {
        return std::string("holds the character '") + c
               + "', which is not allowed (none of ; & ` ( ) $ < > * ? { } [ ] !)";
      }
      if (chars == Chars::file_name && c == '/') {
        return "holds '/' (a file name, not a path)";
      }
    }
    return std::nullopt;
  case Chars::digits:
    if (!std::all_of(s.begin(), s.end(), is_digit)) {
      return "is not a decimal number";
    }
    return std::nullopt;
  case Chars::hex:
    if (!std::all_of(s.begin(), s.end(), util::is_hex_digit)) {
      return "is not a hexadecimal number";
    }
    return std::nullopt;
  }
  return "has an unknown character class";
}

// Return why s is not min_bytes..max_bytes of class chars, or nullopt.
std::optional<std::string> rule_problem(std::size_t min_bytes, std::size_t max_bytes, Chars chars, std::string_view s)
{
  if (s.empty() && min_bytes > 0) {
    return "is empty";
  }
  if (s.size() > max_bytes) {
    if (chars == Chars::digits) {
      return "is longer than " + std::to_string(max_bytes) + " digits";
    }
    if (chars == Chars::hex) {
      return "is longer than " + std::to_string(max_bytes) + " hexadecimal digits";
    }
    return "is longer than " + std::to_string(max_bytes) + " bytes (" + std::to_string(s.size()) + ")";
  }
  return chars_problem(chars, s);
}

}  // namespace

// field_rule indexes the table by Field.
static_assert([] {
  for (std::size_t i = 0; i < k_field_rules.size(); ++i) {
    if (static_cast<std::size_t>(k_field_rules[i].field) != i) {
      return false;
    }
  }
  return true;
}());

std::optional<std::string> field_problem(Field field, Side side, std::string_view s)
{
  const FieldRule& r = field_rule(field);
  return side == Side::tool ? rule_problem(r.min_bytes, r.tool_max_bytes, r.tool_chars, s)
                            : rule_problem(r.min_bytes, r.server_max_bytes, r.server_chars, s);
}

std::optional<std::string> answer_value_problem(Field field, std::string_view s, AnswerUse use)
{
  if (auto problem = field_problem(field, Side::server, s)) {
    return problem;
  }
  if (use == AnswerUse::file_name_part) {
    if (s.find('/') != std::string_view::npos) {
      return std::string("holds '/', so it cannot be part of a file name");
    }
    if (s.front() == '.') {
      return std::string("starts with '.', so it cannot be part of a file name");
    }
  }
  return std::nullopt;
}

std::string format_keyid(long long number)
{
  char buf[32];
  std::snprintf(buf, sizeof buf, "%010lld", number);
  return buf;
}

}  // namespace clm

// ---- certificate API values ------------------------------------------------

namespace clm {

namespace {

char upper(char c)
{
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

char lower(char c)
{
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Return the number of code points of s, or nullopt when s is not valid UTF-8
// (overlong forms, surrogates and values above U+10FFFF included).
std::optional<std::size_t> utf8_length(std::string_view s)
{
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); ++count) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    char32_t cp = 0;
    if (b < 0x80) {
      ++i;
      continue;
    }
    if ((b & 0xe0) == 0xc0) {
      n = 1;
      cp = b & 0x1f;
    } else if ((b & 0xf0) == 0xe0) {
      n = 2;
      cp = b & 0x0f;
    } else if ((b & 0xf8) == 0xf0) {
      n = 3;
      cp = b & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + n >= s.size()) {
      return std::nullopt;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xc0) != 0x80) {
        return std::nullopt;
      }
      cp = (cp << 6) | (c & 0x3f);
    }
    constexpr std::array<char32_t, 4> k_min{0, 0x80, 0x800, 0x10000};
    if (cp < k_min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return std::nullopt;
    }
    i += n + 1;
  }
  return count;
}

struct SubjectRule {
  std::string_view key;
  std::size_t max_chars;
};

// X.520 upper bounds (RFC 5280 appendix A), which OpenSSL enforces when it builds the name.
constexpr std::array<SubjectRule, 7> k_subject_rules{{
  {"C", 2},
  {"ST", 128},
  {"L", 128},
  {"O", 64},
  {"OU", 64},
  {"CN", 64},
  {"emailAddress", 128},
}};

// Return whether a subject may hold key more than once (several units, several addresses).
bool repeatable(std::string_view key)
{
  return key == "OU" || key == "emailAddress";
}

// Parse s into out (when not null); return why it is not a subject, or nullopt.
std::optional<std::string> parse_subject_into(std::string_view s, std::vector<SubjectEntry>* out)
{
  if (s.empty()) {
    return "is empty";
  }
  if (s.size() > k_max_subject_bytes) {
    return "is longer than " + std::to_string(k_max_subject_bytes) + " bytes (" + std::to_string(s.size()) + ")";
  }
  if (s.front() != '/') {
    return "does not start with '/' (expected the form /C=JP/O=Example/CN=name)";
  }
  // Refused up front: the splitting below uses a control character as its escape mark.
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) {
      return "holds a control character";
    }
  }
  // Split at unescaped slashes, resolving the escapes.
  std::vector<std::string> parts;
  std::string current;
  for (std::size_t i = 1; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\\') {
      if (i + 1 == s.size()) {
        return std::string("ends with a lone backslash");
      }
      current.push_back('\x01');  // marks the next character as literal
      current.push_back(s[++i]);
    } else if (c == '/') {
      parts.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  parts.push_back(std::move(current));

  std::vector<SubjectEntry> entries;
  for (const std::string& part : parts) {
    if (part.empty()) {
      return std::string("has an empty attribute (two slashes in a row, or a trailing slash)");
    }
    // The key ends at the first '=' that is not escaped.
    SubjectEntry entry;
    bool in_value = false;
    for (std::size_t i = 0; i < part.size(); ++i) {
      const bool literal = part[i] == '\x01';
      const char c = literal ? part[++i] : part[i];
      if (!in_value && !literal && c == '=') {
        in_value = true;
      } else {
        (in_value ? entry.value : entry.key).push_back(c);
      }
    }
    if (!in_value) {
      return "attribute '" + entry.key + "' has no '='";
    }
    const auto* rule = std::find_if(k_subject_rules.begin(), k_subject_rules.end(),
                                    [&](const SubjectRule& r) { return r.key == entry.key; });
    if (rule == k_subject_rules.end()) {
      return "has the attribute '" + entry.key + "'; only C, ST, L, O, OU, CN and emailAddress are allowed";
    }
    if (!repeatable(entry.key) && std::any_of(entries.begin(), entries.end(), [&](const SubjectEntry& e) { return e.key == entry.key; })) {
      return "has " + entry.key + " more than once";
    }
    if (entry.value.empty()) {
      return entry.key + " is empty";
    }
    const auto chars = utf8_length(entry.value);
    if (!chars) {
      return entry.key + " is not valid UTF-8";
    }
    if (rule->key == "C") {
      const bool letters = std::all_of(entry.value.begin(), entry.value.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
      });
      if (entry.value.size() != 2 || !letters) {
        return "C must be a two-letter country code";
      }
    } else if (*chars > rule->max_chars) {
      return entry.key + " is longer than " + std::to_string(rule->max_chars) + " characters";
    }
    entries.push_back(std::move(entry));
  }
  if (std::none_of(entries.begin(), entries.end(), [](const SubjectEntry& e) { return e.key == "CN"; })) {
    return std::string("has no CN (a common name is required)");
  }
  if (out) {
    *out = std::move(entries);
  }
  return std::nullopt;
}

// Return whether label is 1..63 letters, digits, '-' or '_', not starting or ending with '-'.
bool is_dns_label(std::string_view label)
{
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
    return false;
  }
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

}  // namespace

std::optional<std::string> ip_address_problem(std::string_view s)
{
  const std::string text(s);  // inet_pton needs a terminated string
  std::array<unsigned char, 16> buf{};
  if (text.size() == s.size() && text.find('\0') == std::string::npos
      && (inet_pton(AF_INET, text.c_str(), buf.data()) == 1 || inet_pton(AF_INET6, text.c_str(), buf.data()) == 1)) {
    return std::nullopt;
  }
  return "is not an IPv4 or IPv6 address";
}

std::optional<std::string> mac_address_problem(std::string_view s)
{
  const std::string_view k_formats = "12:34:56:78:90:ab, 12-34-56-78-90-ab or 1234567890ab";
  auto hex_at = [&](std::size_t i) { return util::is_hex_digit(s[i]) && util::is_hex_digit(s[i + 1]); };
  if (s.size() == 12) {
    for (std::size_t i = 0; i < 12; i += 2) {
      if (!hex_at(i)) {
        return "is not a MAC address (" + std::string(k_formats) + ")";
      }
    }
    return std::nullopt;
  }
  if (s.size() == 17 && (s[2] == ':' || s[2] == '-')) {
    const char sep = s[2];
    for (std::size_t i = 0; i < 17; i += 3) {
      if (!hex_at(i) || (i + 2 < 17 && s[i + 2] != sep)) {
        return "is not a MAC address (" + std::string(k_formats) + "; one separator throughout)";
      }
    }
    return std::nullopt;
  }
  return "is not a MAC address (" + std::string(k_formats) + ")";
}

std::string normalize_mac_address(std::string_view s)
{
  std::string digits;
  for (const char c : s) {
    if (util::is_hex_digit(c)) {
      digits.push_back(lower(c));
    }
  }
  std::string out;
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    if (i > 0) {
      out.push_back(':');
    }
    out.append(digits, i, 2);
  }
  return out;
}

std::string normalize_certserial(std::string_view s)
{
  const auto first = s.find_first_not_of('0');
  std::string out;
  for (const char c : s.substr(first == std::string_view::npos ? s.size() : first)) {
    out.push_back(upper(c));
  }
  if (out.empty()) {
    return "00";
  }
  if (out.size() % 2 != 0) {
    out.insert(out.begin(), '0');
  }
  return out;
}

std::optional<std::string> hostname_problem(std::string_view s)
{
  if (s.empty()) {
    return "is empty";
  }
  if (!ip_address_problem(s)) {
    return std::nullopt;
  }
  std::string_view rest = s;
  if (rest.substr(0, 2) == "*.") {
    rest.remove_prefix(2);
  }
  if (rest.empty() || rest.size() > 253) {
    return "is not a host name (at most 253 characters)";
  }
  for (;;) {
    const auto dot = rest.find('.');
    if (!is_dns_label(rest.substr(0, dot))) {
      return "is not a host name (labels of letters, digits, '-' or '_', separated by dots) or an IP address";
    }
    if (dot == std::string_view::npos) {
      return std::nullopt;
    }
    rest.remove_prefix(dot + 1);
  }
}

std::optional<std::string> subject_problem(std::string_view s)
{
  return parse_subject_into(s, nullptr);
}

std::vector<SubjectEntry> parse_subject(std::string_view s)
{
  std::vector<SubjectEntry> entries;
  if (const auto problem = parse_subject_into(s, &entries)) {
    throw Error(ExitCode::bad_parameter, "subject " + *problem);
  }
  return entries;
}

std::string format_subject(const std::vector<SubjectEntry>& entries)
{
  std::string out;
  for (const SubjectEntry& e : entries) {
    out += '/';
    out += e.key;
    out += '=';
    for (const char c : e.value) {
      if (c == '/' || c == '\\') {
        out += '\\';
      }
      out += c;
    }
  }
  return out;
}

}  // namespace clm

namespace clm {

std::optional<std::string> keytype_problem(std::string_view s)
{
  if (s != "AES" && s != "TWINE") {
    return "is not AES or TWINE";
  }
  return std::nullopt;
}

std::optional<std::string> keylength_problem(std::string_view keytype, std::string_view length)
{
  if (keytype == "AES" && (length == "128" || length == "256")) {
    return std::nullopt;
  }
  if (keytype == "TWINE" && (length == "80" || length == "128")) {
    return std::nullopt;
  }
  return "is not a key length of " + std::string(keytype) + " (AES: 128 or 256; TWINE: 80 or 128)";
}

}  // namespace clm
