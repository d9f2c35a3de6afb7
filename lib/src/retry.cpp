#include <clm/retry.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <string>

namespace clm {

namespace {

// Modes that only read (the last six: the operator's DeviceInfo reads). Anything else
// is treated as changing state, so a mode added later is never resent blindly before
// someone decides it is safe.
constexpr std::array<std::string_view, 10> k_read_modes{
  "get", "getlist", "getkeylist", "auth", "search", "due", "report", "summary", "groupget", "grouplist"};

// Failures that mean no connection to the server was made, so no byte of the
// request can have reached it whatever else is known.
bool never_connected(int curl_code)
{
  switch (curl_code) {
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:  // refused, unreachable, or the TCP connect timed out
    return true;
  default:
    return false;
  }
}

// Failures of the path to the server that a later attempt may not meet: a timeout,
// a TLS handshake cut off (a server restarting), a connection reset while sending or
// receiving, or closed without an answer. Certificate failures, unreadable files and
// answers too large are not among them: they fail the same way every time.
bool transient(int curl_code)
{
  switch (curl_code) {
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
    return true;
  default:
    return false;
  }
}

}  // namespace

RequestKind request_kind(const json& request)
{
  if (request.is_null()) {
    return RequestKind::read_only;
  }
  const auto it = request.find("mode");
  if (it != request.end() && it->is_string()
      && std::find(k_read_modes.begin(), k_read_modes.end(), it->get<std::string>()) != k_read_modes.end()) {
    return RequestKind::read_only;
  }
  return RequestKind::changes_state;
}

bool should_retry(int curl_code, long http_status, RequestKind kind, RequestSent sent)
{
  if (curl_code == CURLE_OK) {
    // 502/503/504 may come from a load balancer or proxy after it forwarded the
    // request, and from the client we cannot tell whether the backend applied it: a
    // request that changes state is never resent on them. A read is.
    const bool gateway = http_status == 502 || http_status == 503 || http_status == 504;
    return gateway && kind == RequestKind::read_only;
  }
  if (never_connected(curl_code)) {
    return true;
  }
  if (!transient(curl_code)) {
    return false;
  }
  // A read may be repeated after any transient failure. A change only when the
  // caller knows not one byte of it was written (the TLS handshake or connect
  // failed or timed out first): after that, the server may have applied it even
  // though no answer came back, and sending it again could issue twice.
  return kind == RequestKind::read_only || sent == RequestSent::no;
}

std::chrono::milliseconds backoff_ceiling(unsigned retry_index)
{
  // Doubling past the cap's exponent would only overflow; the cap holds anyway.
  const unsigned shift = std::min(retry_index, 20u);
  return std::min(k_retry_cap, k_retry_base * (std::int64_t{1} << shift));
}

std::chrono::milliseconds backoff_delay(unsigned retry_index, std::uint64_t random)
{
  const auto ceiling = static_cast<std::uint64_t>(backoff_ceiling(retry_index).count());
  return std::chrono::milliseconds(static_cast<std::int64_t>(random % (ceiling + 1)));
}

}  // namespace clm
