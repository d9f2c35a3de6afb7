// The WebAPI's errorcode table (appendix 7.1 of the WebAPI reference), shared by
// clm-server (to pick the HTTP status) and the tools (to explain a failure).
#pragma once

#include <optional>
#include <string_view>

namespace clm {

struct ApiErrorInfo {
  int errorcode;
  int http_status;
  std::string_view text;  // English summary of the spec's description
};

// Return the table entry for an errorcode, or nullopt when the code is unknown.
std::optional<ApiErrorInfo> find_api_error(int errorcode);

// Return the HTTP status the spec pairs with an errorcode (500 for unknown codes).
int http_status_for(int errorcode);

}  // namespace clm
