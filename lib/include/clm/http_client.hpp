// The HTTPS client every network tool uses (libcurl), and the mapping of its
// failures to exit codes: refused 102, timed out 101, anything else 40. Each call
// tries the connection's hosts in turn under the retry policy of <clm/retry.hpp>.
#pragma once

#include <clm/config.hpp>
#include <clm/json_io.hpp>
#include <clm/transport.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace clm {

// The server's answer to a WebAPI call.
struct ApiResult {
  long http_status = 0;
  json body;  // the server's JSON object; empty object when it sent none

  // Return the errorcode of the body (0 when absent and the status is 2xx, -1 when absent otherwise).
  int errorcode() const;

  // Return whether the call succeeded: 2xx status and errorcode 0.
  bool ok() const;
};

// Return the answer an HTTP status and body make: the body's JSON object (an empty
// object when it is none); Error(network) for a 2xx status without a JSON object.
ApiResult api_result_of(long http_status, std::string_view body);

// POST request (a JSON object) to path, or GET when request is null, through transport
// (by default the calling thread's, so a thread's calls share one connection); return
// the answer. A failed attempt is made again, to the next host, up to conn.retry times when
// should_retry allows it, after a backoff_delay. When no attempt got an answer, throw
// Error with the exit code of the last failure (101/102/40), naming the hosts tried
// and the number of attempts.
ApiResult call_api(const Connection& conn, const std::string& path, const json& request,
                   Transport& transport = thread_transport());

// How a WebAPI call is made: call_api over a connection, or a stand-in in tests and fuzzers.
using ApiCaller = std::function<ApiResult(const std::string& path, const json& request)>;

// Return an ApiCaller that sends through call_api over conn (which must outlive it), by
// transport when given, else by the transport of whichever thread makes the call.
ApiCaller api_caller(const Connection& conn, Transport* transport = nullptr);

// Return body with "http_status" added when the call failed, as tools print it.
json api_output(const ApiResult& result);

// Throw Error(http_error) explaining a failed call (HTTP status, errorcode and its meaning).
[[noreturn]] void throw_api_failure(const ApiResult& result, const std::string& what);

}  // namespace clm
