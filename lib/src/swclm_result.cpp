#include <clm/swclm_result.hpp>

#include <cstdio>

namespace clm {

std::string format_swclm_block(const SwclmBlock& block)
{
  char status[32];
  std::snprintf(status, sizeof status, "%03ld", block.http_status);
  std::string out = "HTTP/1.1 " + std::string(status) + ".\n";
  for (const std::string* line : {&block.message, &block.server_message}) {
    if (!line->empty()) {
      out += *line + '\n';
    }
  }
  out += "errorcode: " + std::to_string(block.errorcode) + '\n';
  out += "retcode: " + std::to_string(block.retcode) + '\n';
  return out;
}

SwclmBlock swclm_block_of(const ApiResult& result, int retcode, std::string message)
{
  SwclmBlock block;
  block.http_status = result.http_status;
  block.message = std::move(message);
  if (const auto it = result.body.find("errormessage"); it != result.body.end() && it->is_string()) {
    block.server_message = it->get<std::string>();
  }
  const int code = result.errorcode();
  block.errorcode = code < 0 ? 0 : code;
  block.retcode = retcode;
  return block;
}

}  // namespace clm
