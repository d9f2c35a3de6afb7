// How one HTTPS exchange with clm-server is carried, apart from what it means: the
// libcurl transport the tools use, which keeps one connection per thread, and the
// seam through which unit tests put a scripted server in its place.
#pragma once

#include <clm/config.hpp>
#include <clm/retry.hpp>

#include <string>

namespace clm {

// What came of one attempt to send a request.
struct Exchange {
  int curl_code = 0;   // 0: the server answered with status and body; else the libcurl result that ended it
  std::string error;   // why, in libcurl's words, when curl_code is not 0
  RequestSent sent = RequestSent::maybe;  // whether a byte of the request may have left
  long status = 0;
  std::string body;
};

// Carries requests to clm-server.
class Transport {
public:
  virtual ~Transport() = default;

  // Send body to https://TARGET<path> (GET when body is empty, else a POST of
  // application/json) under conn's trust, proxy, timeouts and license key, and
  // return what came of it. Failures on the way are returned, not thrown.
  virtual Exchange exchange(const Connection& conn, const Endpoint& target, const std::string& path,
                            const std::string& body) = 0;
};

// Answers larger than this are refused (the exchange fails with CURLE_WRITE_ERROR).
inline constexpr std::size_t k_max_answer_bytes = 256u << 20;

// A connection idle longer than this is not reused; clm-server closes keep-alive
// connections after 60 s idle, and a request must not race that close.
inline constexpr long k_max_idle_reuse_seconds = 45;

// Return the calling thread's libcurl transport. It keeps one handle for the life of
// the thread, so the thread's requests share one connection (kept alive between them,
// never after k_max_idle_reuse_seconds idle) and its TLS session; TLS sessions are shared
// among the threads, so a job that has to connect again resumes one.
Transport& thread_transport();

}  // namespace clm
