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

}  // namespace clm
