#include <clm/text.hpp>

namespace clm {

std::string trim(std::string_view s)
{
  constexpr std::string_view k_blank = " \t\r\n";
  const auto b = s.find_first_not_of(k_blank);
  if (b == std::string_view::npos) {
    return {};
  }
  return std::string(s.substr(b, s.find_last_not_of(k_blank) - b + 1));
}

std::string log_safe(std::string_view text)
{
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) {
      out += "\\x";
      out.push_back(k_hex[b >> 4]);
      out.push_back(k_hex[b & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace clm
