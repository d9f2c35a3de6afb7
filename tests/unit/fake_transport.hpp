// A transport that plays a scripted server: the unit tests' seam for everything that
// talks to clm-server through clm::call_api, with nothing on the network.
#pragma once

#include <clm/transport.hpp>

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace clm::test {

// One request as the transport received it.
struct SentRequest {
  std::string target;  // HOST:PORT
  std::string path;
  std::string body;    // empty for a GET
};

// Return an exchange in which the server answered status with body.
inline Exchange answered(long status, std::string body)
{
  Exchange x;
  x.status = status;
  x.body = std::move(body);
  return x;
}

// Return an exchange that failed with libcurl result code, with or without a byte sent.
inline Exchange failed(CURLcode code, RequestSent sent = RequestSent::maybe)
{
  Exchange x;
  x.curl_code = code;
  x.error = curl_easy_strerror(code);
  x.sent = sent;
  return x;
}

// Answers each request with the next scripted exchange, or by a handler once the
// script is used up (a test failure when there is none); remembers every request.
class FakeTransport final : public Transport {
public:
  using Handler = std::function<Exchange(const SentRequest&)>;

  FakeTransport() = default;
  explicit FakeTransport(std::vector<Exchange> script) : m_script(script.begin(), script.end()) {}
  explicit FakeTransport(Handler handler) : m_handler(std::move(handler)) {}

  Exchange exchange(const Connection&, const Endpoint& target, const std::string& path,
                    const std::string& body) override
  {
    SentRequest r{target.text(), path, body};
    std::unique_lock lock(m_mutex);
    m_sent.push_back(r);
    if (!m_script.empty()) {
      Exchange x = std::move(m_script.front());
      m_script.pop_front();
      return x;
    }
    lock.unlock();
    if (!m_handler) {
      ADD_FAILURE() << "unscripted request to " << r.target << r.path;
      return failed(CURLE_COULDNT_CONNECT, RequestSent::no);
    }
    return m_handler(r);
  }

  // Return the requests received so far, in order.
  std::vector<SentRequest> sent() const
  {
    std::lock_guard lock(m_mutex);
    return m_sent;
  }

private:
  mutable std::mutex m_mutex;
  std::deque<Exchange> m_script;
  Handler m_handler;
  std::vector<SentRequest> m_sent;
};

}  // namespace clm::test
