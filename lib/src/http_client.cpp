#include <clm/api_error.hpp>
#include <clm/error.hpp>
#include <clm/http_client.hpp>
#include <clm/retry.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>
#include <unistd.h>

namespace clm {

namespace {

constexpr std::size_t k_max_body = 256u << 20;  // refuse answers larger than 256 MiB

void global_init()
{
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user)
{
  auto* body = static_cast<std::string*>(user);
  const std::size_t len = size * n;
  if (body->size() + len > k_max_body) {
    return 0;  // makes curl fail with CURLE_WRITE_ERROR
  }
  body->append(data, len);
  return len;
}

std::string url_for(const Endpoint& target, const std::string& path)
{
  return "https://" + target.text() + path;
}

// What one attempt came to.
struct Attempt {
  CURLcode rc = CURLE_OK;
  std::string error;  // libcurl's message when rc is not CURLE_OK
  RequestSent sent = RequestSent::maybe;
  long status = 0;
  std::string body;
};

void set(CURL* h, CURLoption opt, auto value)
{
  if (curl_easy_setopt(h, opt, value) != CURLE_OK) {
    throw Error(ExitCode::internal, "curl_easy_setopt failed");
  }
}

// Perform one request to https://TARGET<path>: GET when body is empty, else POST with
// Content-Type: application/json. Transport failures are returned, not thrown.
Attempt perform(const Connection& conn, const Endpoint& target, const std::string& path, const std::string& body)
{
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> handle(curl_easy_init(), &curl_easy_cleanup);
  if (!handle) {
    throw Error(ExitCode::internal, "curl_easy_init failed");
  }
  CURL* h = handle.get();
  char errbuf[CURL_ERROR_SIZE] = {};
  Attempt a;
  const std::string url = url_for(target, path);

  set(h, CURLOPT_URL, url.c_str());
  set(h, CURLOPT_PROTOCOLS_STR, "https");
  set(h, CURLOPT_NOSIGNAL, 1L);
  set(h, CURLOPT_ERRORBUFFER, errbuf);
  set(h, CURLOPT_WRITEFUNCTION, &on_body);
  set(h, CURLOPT_WRITEDATA, &a.body);
  set(h, CURLOPT_TIMEOUT, conn.timeout);
  set(h, CURLOPT_CONNECTTIMEOUT, conn.connect_timeout);
  set(h, CURLOPT_USERAGENT, "clm/" CLM_VERSION);
  // An empty proxy string also stops curl from taking one from https_proxy.
  set(h, CURLOPT_PROXY, conn.proxy.c_str());
  if (conn.insecure) {
    set(h, CURLOPT_SSL_VERIFYPEER, 0L);
    set(h, CURLOPT_SSL_VERIFYHOST, 0L);
  } else if (!conn.cacert.empty()) {
    set(h, CURLOPT_CAINFO, conn.cacert.c_str());
  }
  if (conn.license_key) {
    set(h, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    set(h, CURLOPT_USERNAME, k_license_user);
    set(h, CURLOPT_PASSWORD, conn.license_key->c_str());
  }
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr, &curl_slist_free_all);
  if (!body.empty()) {
    headers.reset(curl_slist_append(nullptr, "Content-Type: application/json"));
    set(h, CURLOPT_HTTPHEADER, headers.get());
    set(h, CURLOPT_POSTFIELDS, body.c_str());
    set(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }

  a.rc = curl_easy_perform(h);
  if (a.rc != CURLE_OK) {
    a.error = errbuf[0] ? errbuf : curl_easy_strerror(a.rc);
  }
  // Whether a byte of the request may have left. libcurl stamps the pre-transfer time
  // once the TCP connection, a proxy's CONNECT tunnel and the TLS handshake are all
  // done, just before it writes the request; REQUEST_SIZE counts request bytes
  // written. The handle is new for every attempt, so no reused connection carries an
  // old stamp. Both zero: the attempt failed while connecting, and the server cannot
  // have seen the request. Either set, or unreadable: it may have.
  curl_off_t pretransfer = 0;
  long request_size = 0;
  if (curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pretransfer) == CURLE_OK
      && curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &request_size) == CURLE_OK && pretransfer == 0
      && request_size == 0) {
    a.sent = RequestSent::no;
  }
  if (a.rc == CURLE_OK) {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a.status);
  }
  return a;
}

// Throw the Error for a call whose last attempt failed in transport: its exit code,
// the attempts made and the hosts they went to, and why the last one failed.
[[noreturn]] void throw_transport(const Attempt& last, int attempts, const std::vector<std::string>& tried,
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
  switch (last.rc) {
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

ApiResult call_api(const Connection& conn, const std::string& path, const json& request)
{
  global_init();
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
    const Attempt a = perform(conn, target, path, body);
    const bool retryable = should_retry(a.rc, a.status, kind, a.sent);
    if (!retryable || n >= conn.retry) {
      if (a.rc == CURLE_OK) {
        return api_result_of(a.status, a.body);
      }
      // Say why a failure that a read would have retried was not, so nobody wonders.
      const bool held_back = n < conn.retry && should_retry(a.rc, a.status, RequestKind::read_only, a.sent);
      throw_transport(a, n + 1, tried, conn,
                      held_back ? "; not sent again: the request changes state and may have reached the server" : "");
    }
    if (!random) {
      random.emplace(std::random_device{}());
    }
    std::this_thread::sleep_for(backoff_delay(static_cast<unsigned>(n), (*random)()));
  }
}

ApiCaller api_caller(const Connection& conn)
{
  return [&conn](const std::string& path, const json& request) { return call_api(conn, path, request); };
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
