#include <clm/api_error.hpp>
#include <clm/error.hpp>
#include <clm/http_client.hpp>
#include <clm/transport.hpp>
#include <clm/retry.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <optional>
#include <random>
#include <thread>
#include <vector>
#include <unistd.h>

namespace clm {

namespace {

// Throw the Error for a call whose last attempt failed in transport: its exit code,
// the attempts made and the hosts they went to, and why the last one failed.
[[noreturn]] void throw_transport(const Exchange& last, int attempts, const std::vector<std::string>& tried,
                                  const Connection& conn, const std::string& note)
{
  std::string where;
  for (const auto& t : tried) {
    where += (where.empty() ? "" : ", ") + t;
  }
  if (!conn.proxy.empty()) {
    where += " via proxy " + conn.proxy.substr(conn.proxy.find("//") + 2);
  }
  const std::string head =
    std::to_string(attempts) + (attempts == 1 ? " attempt to " : " attempts to ") + where + " failed: ";
  const std::string detail = last.error + note;
  switch (last.curl_code) {
  case CURLE_OPERATION_TIMEDOUT:
    throw Error(ExitCode::connect_timeout, head + "timed out: " + detail);
  case CURLE_COULDNT_CONNECT:
    throw Error(ExitCode::connection_refused, head + "connection refused: " + detail);
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
    throw Error(ExitCode::network, head + "server certificate not trusted (check --cacert/CLM_CACERT): " + detail);
  default:
    throw Error(ExitCode::network, head + detail);
  }
}

}  // namespace

int ApiResult::errorcode() const
{
  return int_field(body, "errorcode", http_status >= 200 && http_status < 300 ? 0 : -1);
}

bool ApiResult::ok() const
{
  return http_status >= 200 && http_status < 300 && errorcode() == 0;
}

ApiResult api_result_of(long http_status, std::string_view body)
{
  ApiResult result{http_status, json::object()};
  if (auto j = parse_json(body); j && j->is_object()) {
    result.body = std::move(*j);
  } else if (http_status >= 200 && http_status < 300) {
    throw Error(ExitCode::network, "server answered HTTP " + std::to_string(http_status) + " without a JSON object");
  }
  return result;
}

ApiResult call_api(const Connection& conn, const std::string& path, const json& request, Transport& transport)
{
  if (conn.endpoints.empty()) {
    throw Error(ExitCode::internal, "no clm-server host to connect to");
  }
  if (!conn.cacert.empty() && ::access(conn.cacert.c_str(), R_OK) != 0) {
    throw Error(ExitCode::file_read, conn.cacert + ": cannot read CA certificate file");
  }
  const std::string body = request.is_null() ? std::string() : dump_json(request);
  const RequestKind kind = request_kind(request);
  std::vector<std::string> tried;
  // Seeded at the first retry only: making a random_device costs tens of microseconds
  // on a virtual machine (it probes the CPU, which traps), and most requests never retry.
  std::optional<std::mt19937_64> random;
  for (int n = 0;; ++n) {
    const Endpoint& target = conn.endpoints[static_cast<std::size_t>(n) % conn.endpoints.size()];
    if (std::find(tried.begin(), tried.end(), target.text()) == tried.end()) {
      tried.push_back(target.text());
    }
    const Exchange a = transport.exchange(conn, target, path, body);
    const bool retryable = should_retry(a.curl_code, a.status, kind, a.sent);
    if (!retryable || n >= conn.retry) {
      if (a.curl_code == CURLE_OK) {
        return api_result_of(a.status, a.body);
      }
      // Say why a failure that a read would have retried was not, so nobody wonders.
      const bool held_back = n < conn.retry && should_retry(a.curl_code, a.status, RequestKind::read_only, a.sent);
      throw_transport(a, n + 1, tried, conn,
                      held_back ? "; not sent again: the request changes state and may have reached the server" : "");
    }
    if (!random) {
      random.emplace(std::random_device{}());
    }
    std::this_thread::sleep_for(backoff_delay(static_cast<unsigned>(n), (*random)()));
  }
}

ApiCaller api_caller(const Connection& conn, Transport* transport)
{
  return [&conn, transport](const std::string& path, const json& request) {
    return call_api(conn, path, request, transport ? *transport : thread_transport());
  };
}

json api_output(const ApiResult& result)
{
  json out = result.body;
  if (!result.ok()) {
    if (!out.contains("errorcode")) {
      out["errorcode"] = nullptr;
    }
    out["http_status"] = result.http_status;
  }
  return out;
}

void throw_api_failure(const ApiResult& result, const std::string& what)
{
  std::string msg = what + ": server answered HTTP " + std::to_string(result.http_status);
  const int code = result.errorcode();
  if (code > 0) {
    msg += ", errorcode " + std::to_string(code);
    if (const auto info = find_api_error(code)) {
      msg += " (" + std::string(info->text) + ")";
    }
  } else if (result.http_status == 401) {
    msg += " (license key missing or wrong; check --license-key-file or CLM_LICENSE_KEY_FILE)";
  } else if (const auto it = result.body.find("error"); it != result.body.end() && it->is_string()) {
    // Refusals without an errorcode say why in "error" (403: the admin license key is needed).
    msg += " (" + it->get<std::string>().substr(0, 200) + ")";
  }
  throw Error(ExitCode::http_error, msg);
}

}  // namespace clm
