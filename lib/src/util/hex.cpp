#include <clm/error.hpp>
#include <clm/util/hex.hpp>

namespace clm::util {

namespace {

constexpr char k_lower_digits[] = "0123456789abcdef";
constexpr char k_upper_digits[] = "0123456789ABCDEF";

}  // namespace

void hex_encode_into(std::string_view data, std::string& out)
{
  out.resize(2 * data.size());
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto b = static_cast<unsigned char>(data[i]);
    out[2 * i] = k_lower_digits[b >> 4];
    out[2 * i + 1] = k_lower_digits[b & 0xf];
  }
}

std::string hex_encode(std::string_view data)
{
  std::string out;
  hex_encode_into(data, out);
  return out;
}

std::string hex_encode_upper(std::string_view data, std::string_view separator)
{
  std::string out;
  out.reserve(data.size() * (2 + separator.size()));
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (i > 0) {
      out += separator;
    }
    const auto b = static_cast<unsigned char>(data[i]);
    out += k_upper_digits[b >> 4];
    out += k_upper_digits[b & 0xf];
  }
  return out;
}

int hex_digit_value(char c)
{
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

std::string hex_decode(std::string_view text)
{
  if (text.size() % 2 != 0) {
    throw Error(ExitCode::bad_file_format, "not hexadecimal: odd number of digits");
  }
  auto digit = [](char c) -> int {
    const int v = hex_digit_value(c);
    if (v < 0) {
      throw Error(ExitCode::bad_file_format, "not hexadecimal");
    }
    return v;
  };
  std::string out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    out.push_back(static_cast<char>(digit(text[i]) << 4 | digit(text[i + 1])));
  }
  return out;
}

}  // namespace clm::util
