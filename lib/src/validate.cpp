#include <clm/validate.hpp>

#include <cstdio>

namespace clm {

namespace {

// Characters the command reference excludes from aliases and similar values,
// because SWCLMCLIENT passed them through a shell.
constexpr std::string_view k_shell_specials = ";&`()$<>*?{}[]!";

std::optional<std::string> name_problem(std::string_view s, std::size_t max_bytes)
{
  if (s.empty()) {
    return "is empty";
  }
  if (s.size() > max_bytes) {
    return "is longer than " + std::to_string(max_bytes) + " bytes (" + std::to_string(s.size()) + ")";
  }
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x21 || b > 0x7e) {
      return "holds a character outside printable ASCII (spaces and control characters are not allowed)";
    }
    if (k_shell_specials.find(c) != std::string_view::npos) {
      return std::string("holds the character '") + c + "', which is not allowed (none of ; & ` ( ) $ < > * ? { } [ ] !)";
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> alias_problem(std::string_view s)
{
  return name_problem(s, k_max_alias_bytes);
}

std::optional<std::string> tenantid_problem(std::string_view s)
{
  return name_problem(s, k_max_tenantid_bytes);
}

std::optional<std::string> keyid_problem(std::string_view s)
{
  if (s.empty()) {
    return "is empty";
  }
  if (s.size() > k_keyid_digits) {
    return "is longer than " + std::to_string(k_keyid_digits) + " digits";
  }
  for (const char c : s) {
    if (c < '0' || c > '9') {
      return "is not a decimal number";
    }
  }
  return std::nullopt;
}

std::optional<std::string> password_problem(std::string_view s)
{
  if (s.empty()) {
    return "is empty";
  }
  if (s.size() > k_max_password_bytes) {
    return "is longer than " + std::to_string(k_max_password_bytes) + " bytes";
  }
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x21 || b > 0x7e) {
      return "holds a character outside printable ASCII";
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
