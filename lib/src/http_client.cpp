#include <clm/api_error.hpp>
#include <clm/error.hpp>
#include <clm/http_client.hpp>

#include <curl/curl.h>

#include <memory>
#include <mutex>
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

std::string url_for(const Connection& conn, const std::string& path)
{
  const bool ipv6 = conn.host.find(':') != std::string::npos;
  return "https://" + (ipv6 ? "[" + conn.host + "]" : conn.host) + ":" + std::to_string(conn.port) + path;
}

[[noreturn]] void throw_transport(CURLcode rc, const char* errbuf, const Connection& conn)
{
  std::string where = conn.host + ":" + std::to_string(conn.port);
  if (!conn.proxy.empty()) {
    where += " via proxy " + conn.proxy.substr(conn.proxy.find("//") + 2);
  }
  const std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
  switch (rc) {
  case CURLE_OPERATION_TIMEDOUT:
    throw Error(ExitCode::connect_timeout, where + ": timed out: " + detail);
  case CURLE_COULDNT_CONNECT:
    throw Error(ExitCode::connection_refused, where + ": connection refused: " + detail);
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
    throw Error(ExitCode::network,
                where + ": server certificate not trusted (check --cacert/CLM_CACERT): " + detail);
  default:
    throw Error(ExitCode::network, where + ": " + detail);
  }
}

void set(CURL* h, CURLoption opt, auto value)
{
  if (curl_easy_setopt(h, opt, value) != CURLE_OK) {
    throw Error(ExitCode::internal, "curl_easy_setopt failed");
  }
}

}  // namespace

HttpResponse http_request(const Connection& conn, const std::string& path, const std::string& body)
{
  global_init();
  if (!conn.cacert.empty() && ::access(conn.cacert.c_str(), R_OK) != 0) {
    throw Error(ExitCode::file_read, conn.cacert + ": cannot read CA certificate file");
  }
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> handle(curl_easy_init(), &curl_easy_cleanup);
  if (!handle) {
    throw Error(ExitCode::internal, "curl_easy_init failed");
  }
  CURL* h = handle.get();
  char errbuf[CURL_ERROR_SIZE] = {};
  HttpResponse resp;
  const std::string url = url_for(conn, path);

  set(h, CURLOPT_URL, url.c_str());
  set(h, CURLOPT_PROTOCOLS_STR, "https");
  set(h, CURLOPT_NOSIGNAL, 1L);
  set(h, CURLOPT_ERRORBUFFER, errbuf);
  set(h, CURLOPT_WRITEFUNCTION, &on_body);
  set(h, CURLOPT_WRITEDATA, &resp.body);
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

  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    throw_transport(rc, errbuf, conn);
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.status);
  return resp;
}

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
  const HttpResponse resp = http_request(conn, path, request.is_null() ? std::string() : dump_json(request));
  return api_result_of(resp.status, resp.body);
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
