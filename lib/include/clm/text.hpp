// Small text helpers shared by the tools and the server.
#pragma once

#include <string>
#include <string_view>

namespace clm {

// Return s without the spaces, tabs, carriage returns and newlines at either end.
std::string trim(std::string_view s);

// Return text with each control character (below 0x20, and 0x7f) written as \xHH, so
// that a name from a user or a server stays on one line of a log or of stderr.
std::string log_safe(std::string_view text);

}  // namespace clm
