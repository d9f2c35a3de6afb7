// Small text helpers shared by the tools and the server.
#pragma once

#include <string>
#include <string_view>

namespace clm {

// Return s without the spaces, tabs, carriage returns and newlines at either end.
std::string trim(std::string_view s);

}  // namespace clm
