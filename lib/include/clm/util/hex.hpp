// Hexadecimal text of bytes, both ways.
#pragma once

#include <string>
#include <string_view>

namespace clm::util {

// Return the lower-case hexadecimal encoding of data.
std::string hex_encode(std::string_view data);

// Put the lower-case hex of data into out (its capacity reused: no allocation when it suffices).
void hex_encode_into(std::string_view data, std::string& out);

// Return the upper-case hexadecimal encoding of data, separator between two bytes'
// digits ("AB:CD" for separator ":").
std::string hex_encode_upper(std::string_view data, std::string_view separator = {});

// Return the bytes hexadecimal text (either case) encodes; throw Error(bad_file_format)
// when it is not an even number of hex digits.
std::string hex_decode(std::string_view text);

// Return the value of the hexadecimal digit c (either case), or -1 when c is none.
int hex_digit_value(char c);

// Return whether c is a hexadecimal digit (either case).
inline bool is_hex_digit(char c)
{
  return hex_digit_value(c) >= 0;
}

}  // namespace clm::util
