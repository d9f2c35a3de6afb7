#include <clm/error.hpp>
#include <clm/transport.hpp>

#include <curl/curl.h>

#include <array>
#include <memory>
#include <mutex>

namespace clm {

namespace {

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user)
{
  auto* body = static_cast<std::string*>(user);
  const std::size_t len = size * n;
  if (body->size() + len > k_max_answer_bytes) {
    return 0;  // makes curl fail with CURLE_WRITE_ERROR
  }
  body->append(data, len);
  return len;
}

void set(CURL* h, CURLoption opt, auto value)
{
  if (curl_easy_setopt(h, opt, value) != CURLE_OK) {
    throw Error(ExitCode::internal, "curl_easy_setopt failed");
  }
}

// What the threads of a process share: TLS sessions (so a new connection resumes
// one another thread negotiated) and resolved names. Connections stay per thread.
class Share {
public:
  Share() : m_share(curl_share_init())
  {
    if (!m_share || curl_share_setopt(m_share, CURLSHOPT_LOCKFUNC, &Share::lock) != CURLSHE_OK
        || curl_share_setopt(m_share, CURLSHOPT_UNLOCKFUNC, &Share::unlock) != CURLSHE_OK
        || curl_share_setopt(m_share, CURLSHOPT_USERDATA, this) != CURLSHE_OK
        || curl_share_setopt(m_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK
        || curl_share_setopt(m_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK) {
      throw Error(ExitCode::internal, "curl_share_init failed");
    }
  }
  Share(const Share&) = delete;
  Share& operator=(const Share&) = delete;

  CURLSH* get() const { return m_share; }

private:
  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* self)
  {
    static_cast<Share*>(self)->m_locks.at(static_cast<std::size_t>(data)).lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* self)
  {
    static_cast<Share*>(self)->m_locks.at(static_cast<std::size_t>(data)).unlock();
  }

  CURLSH* m_share;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> m_locks;
};

// The process's Share, made once after curl_global_init. It is never freed: handles of
// threads still exiting may use it, and the process's end reclaims it.
CURLSH* process_share()
{
  static Share* share = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return new Share;
  }();
  return share->get();
}

// The libcurl transport of one thread: one easy handle, reset before each request so
// no option of an earlier one carries over, while its live connection and TLS session
// cache survive the reset and serve the next request.
class CurlTransport final : public Transport {
public:
  CurlTransport() : m_handle(nullptr, &curl_easy_cleanup)
  {
    CURLSH* share = process_share();
    m_handle.reset(curl_easy_init());
    if (!m_handle) {
      throw Error(ExitCode::internal, "curl_easy_init failed");
    }
    // curl_easy_reset keeps the share, as it keeps connections and cached sessions.
    set(m_handle.get(), CURLOPT_SHARE, share);
  }

  Exchange exchange(const Connection& conn, const Endpoint& target, const std::string& path,
                    const std::string& body) override
  {
    CURL* h = m_handle.get();
    curl_easy_reset(h);
    char errbuf[CURL_ERROR_SIZE] = {};
    Exchange x;
    const std::string url = "https://" + target.text() + path;

    set(h, CURLOPT_URL, url.c_str());
    set(h, CURLOPT_PROTOCOLS_STR, "https");
    set(h, CURLOPT_NOSIGNAL, 1L);
    set(h, CURLOPT_ERRORBUFFER, errbuf);
    set(h, CURLOPT_WRITEFUNCTION, &on_body);
    set(h, CURLOPT_WRITEDATA, &x.body);
    set(h, CURLOPT_TIMEOUT, conn.timeout);
    set(h, CURLOPT_CONNECTTIMEOUT, conn.connect_timeout);
    set(h, CURLOPT_MAXAGE_CONN, k_max_idle_reuse_seconds);
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
    x.curl_code = rc;
    if (rc != CURLE_OK) {
      x.error = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    }
    // Whether a byte of the request may have left. libcurl stamps the pre-transfer
    // time once the TCP connection, a proxy's CONNECT tunnel and the TLS handshake are
    // all done (at once for a reused connection), just before it writes the request;
    // REQUEST_SIZE counts request bytes written. Both are this transfer's own: perform
    // starts them afresh. Both zero: the attempt failed while connecting, and the server
    // cannot have seen the request. Either set, or unreadable: it may have. (A reused
    // connection the server had closed is noticed by libcurl, which connects anew by
    // itself before a byte is sent.)
    curl_off_t pretransfer = 0;
    long request_size = 0;
    if (curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pretransfer) == CURLE_OK
        && curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &request_size) == CURLE_OK && pretransfer == 0
        && request_size == 0) {
      x.sent = RequestSent::no;
    }
    if (rc == CURLE_OK) {
      curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x.status);
    }
    // Nothing of the request's license key or body stays set on the idle handle.
    curl_easy_reset(h);
    return x;
  }

private:
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> m_handle;
};

}  // namespace

Transport& thread_transport()
{
  thread_local CurlTransport transport;
  return transport;
}

}  // namespace clm
