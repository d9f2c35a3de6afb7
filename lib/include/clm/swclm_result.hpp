// The result block the original commands print after each WebAPI call (command
// reference 3 "実行結果" and 5 "実行結果"), shared by SWCLMCLIENT and SWCLMKEYGET:
//
//   HTTP/1.1 200.
//   <the command's message>            (only when there is one)
//   <the server's error message>       (only when the server sent one)
//   errorcode: 0
//   retcode: 0
//
// A call that got no HTTP answer (refused, timed out) shows status 000, as curl does.
#pragma once

#include <clm/http_client.hpp>

#include <string>

namespace clm {

struct SwclmBlock {
  long http_status = 0;        // 0: no HTTP answer
  std::string message;         // the command's own line; empty for none
  std::string server_message;  // the answer's "errormessage"; empty for none
  int errorcode = 0;           // the answer's errorcode; 0 when there was no answer
  int retcode = 0;             // the command's exit code (table 6.1)
};

// Return the block as the reference prints it, each line ending in '\n'.
std::string format_swclm_block(const SwclmBlock& block);

// Return the block of an answer: its status, errorcode and errormessage (when a string),
// with retcode and message as given.
SwclmBlock swclm_block_of(const ApiResult& result, int retcode, std::string message);

}  // namespace clm
