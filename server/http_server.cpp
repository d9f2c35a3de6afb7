#include "http_server.hpp"

#include "metrics.hpp"
#include "request_log.hpp"
#include "router.hpp"
#include "service_manager.hpp"
#include "store/cached_store.hpp"

#include <clm/atomic_file.hpp>
#include <clm/error.hpp>
#include <clm/util/openssl.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <csignal>
#include <memory>
#include <mutex>
#include <sys/resource.h>
#include <thread>
#include <vector>

namespace clm::server {

namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// Deadlines per connection: a client that is slow or silent costs a socket for this
// long at most, and never a worker.
constexpr auto k_head_timeout = 10s;      // TLS handshake + first request head; each later head
constexpr auto k_body_timeout = 30s;      // a request body
constexpr auto k_idle_timeout = 60s;      // keep-alive: waiting for the next request
constexpr auto k_write_timeout = 30s;     // an answer
constexpr auto k_shutdown_timeout = 5s;   // TLS close_notify, or draining an unread body after a refusal
// How often each I/O thread looks for connections past their deadline: a deadline is
// kept to within this much, and setting one costs no system call.
constexpr auto k_sweep_interval = 500ms;

// TLS 1.2 with forward secrecy and AEAD only; TLS 1.3 suites are all of that kind.
constexpr const char* k_tls12_ciphers =
  "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
  "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// Return a TLS server context for identity: TLS 1.2 (ECDHE + AEAD) and 1.3, no
// compression, no renegotiation, the leaf, its chain and its key.
std::shared_ptr<ssl::context> make_tls_context(const TlsIdentity& identity)
{
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* c = ctx->native_handle();
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle connections give their record buffers back: a thousand of them cost little.
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(c, k_tls12_ciphers) != 1 || SSL_CTX_set1_groups_list(c, "X25519:P-256:P-384") != 1) {
    throw Error(ExitCode::internal, "TLS: cannot set the cipher suites");
  }
  util::BioPtr bio(BIO_new_mem_buf(identity.chain_pem.data(), static_cast<int>(identity.chain_pem.size())));
  util::X509Ptr leaf(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!leaf || SSL_CTX_use_certificate(c, leaf.get()) != 1) {
    throw Error(ExitCode::bad_file_format, "TLS: the certificate chain holds no usable certificate");
  }
  while (util::X509Ptr extra{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
    if (SSL_CTX_add1_chain_cert(c, extra.get()) != 1) {
      throw Error(ExitCode::bad_file_format, "TLS: cannot add a chain certificate");
    }
  }
  ERR_clear_error();  // the end of the chain is a "no start line" error
  util::BioPtr key_bio(BIO_new_mem_buf(identity.key_pem.data(), static_cast<int>(identity.key_pem.size())));
  util::EvpPkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key || SSL_CTX_use_PrivateKey(c, key.get()) != 1 || SSL_CTX_check_private_key(c) != 1) {
    throw Error(ExitCode::bad_file_format, "TLS: the private key is unusable or does not match the certificate");
  }
  return ctx;
}

// The TLS context new connections get; replaced on SIGHUP, while connections already
// open keep the one they started with.
class TlsContexts {
public:
  explicit TlsContexts(std::shared_ptr<ssl::context> first) : m_current(std::move(first)) {}

  std::shared_ptr<ssl::context> current() const
  {
    std::lock_guard lock(m_mutex);
    return m_current;
  }

  void replace(std::shared_ptr<ssl::context> next)
  {
    std::lock_guard lock(m_mutex);
    m_current = std::move(next);
  }

private:
  mutable std::mutex m_mutex;
  std::shared_ptr<ssl::context> m_current;
};

class Session;

// The connections of one I/O thread and their deadlines. Each connection stores its
// deadline as a time point; a timer per thread closes those past theirs every
// k_sweep_interval. (A timer per operation would re-arm the kernel's timer once or
// twice per request.) Used on its I/O thread only.
class DeadlineSweeper {
public:
  explicit DeadlineSweeper(net::io_context& ioc) : m_timer(ioc) {}

  void add(std::weak_ptr<Session> session) { m_sessions.push_back(std::move(session)); }
  void start();
  void stop() { m_timer.cancel(); }

private:
  void sweep();

  net::steady_timer m_timer;
  std::vector<std::weak_ptr<Session>> m_sessions;
};

// An I/O thread's context: connections stay on the thread that accepted them, so
// their handlers never run concurrently and need no strand.
struct IoThread {
  net::io_context ioc{1};
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};  // runs until stopped
  DeadlineSweeper sweeper{ioc};
};

// What every connection of one listener shares.
struct ServerState {
  LogWriter& log;
  const Router& router;
  net::thread_pool& workers;
  TlsContexts* tls;               // nullptr: plain HTTP (the metrics listener)
  ConnectionCounts& connections;  // open ones, checked against its cap; also read by /metrics
  RequestMetrics& requests;
  std::string_view cap_name;      // where the cap comes from, for the log
  std::atomic<bool> at_cap{false};  // to say so once per episode, not once per refused connection
};

// One client connection: TLS handshake (unless the listener is plain HTTP), then
// requests one after another (keep-alive), each head read and checked before its body,
// each answer computed on a worker. Plain and TLS connections run the same code: only
// the stream differs (with_stream).
class Session : public std::enable_shared_from_this<Session> {
public:
  Session(tcp::socket&& socket, std::shared_ptr<ssl::context> ctx, ServerState& state, DeadlineSweeper& sweeper)
    : m_ctx(std::move(ctx)), m_state(state), m_sweeper(sweeper)
  {
    boost::system::error_code ec;
    const auto endpoint = socket.remote_endpoint(ec);
    m_remote = ec ? "-" : endpoint.address().to_string();
    m_tcp.emplace(std::move(socket));
  }
  ~Session() { --m_state.connections.open; }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Wait for the client's first bytes, then make the TLS stream and hand them to its
  // handshake: a silent connection costs a socket and this object, not TLS buffers.
  void run()
  {
    net::dispatch(m_tcp->get_executor(), [self = shared_from_this()] {
      self->m_sweeper.add(self);
      self->set_deadline(k_head_timeout);
      if (!self->m_ctx) {
        return self->read_head(true);  // plain HTTP: the head is the first thing to read
      }
      self->m_tcp->async_read_some(self->m_buffer.prepare(1024), [self](beast::error_code ec, std::size_t n) {
        self->m_buffer.commit(n);
        if (ec) {
          return self->close();
        }
        self->m_stream.emplace(std::move(*self->m_tcp), *self->m_ctx);
        self->m_tcp.reset();
        self->m_stream->async_handshake(ssl::stream_base::server, self->m_buffer.data(),
                                        // The default argument satisfies Boost 1.81's check of this
                                        // handler against the unbuffered signature.
                                        [self](beast::error_code e, std::size_t used = 0) {
                                          self->m_buffer.consume(used);
                                          if (e) {
                                            return self->close();
                                          }
                                          self->read_head(true);
                                        });
      });
    });
  }

private:
  // Read the next request head. The first one shares the handshake's deadline; later
  // ones may wait k_idle_timeout for a first byte, then have k_head_timeout for the rest.
  void read_head(bool first)
  {
    m_parser.emplace();
    limit_head(*m_parser);
    if (first || m_buffer.size() > 0) {
      if (!first) {
        set_deadline(k_head_timeout);
      }
      return read_rest_of_head();
    }
    set_deadline(k_idle_timeout);
    with_stream([&](auto& stream) {
      stream.async_read_some(m_buffer.prepare(1024), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
        self->m_buffer.commit(n);
        if (ec) {
          return self->close();
        }
        self->set_deadline(k_head_timeout);
        self->read_rest_of_head();
      });
    });
  }

  void read_rest_of_head()
  {
    with_stream([&](auto& stream) {
      http::async_read_header(stream, m_buffer, *m_parser,
                              [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_head(ec); });
    });
  }

  void on_head(beast::error_code ec)
  {
    m_start = SteadyClock::now();
    if (ec) {
      return refuse_unreadable(ec);
    }
    const auto& head = m_parser->get();
    m_method = std::string(head.method_string());
    m_path = target_path(head.target());
    if (auto refusal = m_state.router.check_head(head)) {
      return answer(std::move(*refusal));
    }
    if (m_parser->is_done()) {
      return dispatch_to_worker();  // no body
    }
    limit_body(*m_parser);
    if (beast::iequals(head[http::field::expect], "100-continue")) {
      m_continue.emplace(http::status::continue_, head.version());
      set_deadline(k_write_timeout);
      return with_stream([&](auto& stream) {
        http::async_write(stream, *m_continue, [self = shared_from_this()](beast::error_code e, std::size_t) {
          if (e) {
            return self->close();
          }
          self->read_body();
        });
      });
    }
    read_body();
  }

  void read_body()
  {
    set_deadline(k_body_timeout);
    with_stream([&](auto& stream) {
      http::async_read(stream, m_buffer, *m_parser, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) {
          return self->refuse_unreadable(ec);
        }
        self->dispatch_to_worker();
      });
    });
  }

  // Run the request on a worker, so a slow store call or key generation never holds an
  // I/O thread; the answer is written back on this connection's I/O thread.
  void dispatch_to_worker()
  {
    m_deadline = SteadyClock::time_point::max();
    net::post(m_state.workers, [self = shared_from_this(), req = m_parser->release()]() mutable {
      Answer a = self->m_state.router.handle(req);
      net::post(self->socket().get_executor(),
                [self, a = std::move(a)]() mutable { self->answer(std::move(a)); });
    });
  }

  // Answer a request the parser could not read; nothing at all when the peer went away
  // or ran out of time before sending a whole head.
  void refuse_unreadable(beast::error_code ec)
  {
    const bool parse_error = &ec.category() == &http::make_error_code(http::error::bad_target).category()
                             && ec != http::error::end_of_stream && ec != http::error::partial_message
                             && ec != http::error::short_read;
    if (!parse_error) {
      return close();
    }
    const unsigned version = m_parser->is_header_done() ? m_parser->get().version() : 11;
    answer(Router::refuse_unreadable(ec, version));
  }

  void answer(Answer a)
  {
    RequestLogEntry entry;
    entry.remote = m_remote;
    entry.method = m_method.empty() ? "-" : m_method;
    entry.path = m_path.empty() ? "-" : m_path;
    entry.status = a.response.result_int();
    entry.errorcode = a.errorcode;
    const std::chrono::duration<double> took = SteadyClock::now() - m_start;
    entry.milliseconds = took.count() * 1000;
    entry.detail = std::move(a.detail);
    m_state.log.line(format_request_log(entry));
    m_state.requests.record(m_method, m_path, entry.status, entry.errorcode, took.count());

    m_response = std::make_unique<HttpResponse>(std::move(a.response));
    m_response->prepare_payload();
    // A request refused before its end leaves bytes in flight that must not be read as
    // the next request, nor turn the close into a reset that loses this answer.
    const bool unread = !m_parser || !m_parser->is_done();
    if (unread) {
      m_response->keep_alive(false);
    }
    set_deadline(k_write_timeout);
    with_stream([&](auto& stream) {
      http::async_write(stream, *m_response, [self = shared_from_this(), unread](beast::error_code ec, std::size_t) {
        const bool keep = self->m_response->keep_alive();
        self->m_response.reset();
        if (ec) {
          return self->close();
        }
        if (unread) {
          return self->linger();
        }
        if (!keep) {
          return self->shutdown();
        }
        self->m_method.clear();
        self->m_path.clear();
        self->read_head(false);
      });
    });
  }

  void shutdown()
  {
    if (!m_stream) {
      return close();  // plain HTTP: nothing to say before the close
    }
    set_deadline(k_shutdown_timeout);
    m_stream->async_shutdown([self = shared_from_this()](beast::error_code) { self->close(); });
  }

  // Say close_notify without waiting for the client's, stop sending, then read and
  // drop what the client still sends until it closes or k_shutdown_timeout passes (a
  // lingering close, as web servers do): the answer is not lost to a reset, and the
  // client sees a clean TLS end rather than a truncation.
  void linger()
  {
    set_deadline(k_shutdown_timeout);
    const auto stop_sending = [self = shared_from_this()] {
      beast::error_code ignored;
      self->socket().shutdown(tcp::socket::shutdown_send, ignored);
      self->m_buffer.clear();
      self->drain();
    };
    if (!m_stream) {
      return stop_sending();
    }
    SSL_set_shutdown(m_stream->native_handle(), SSL_RECEIVED_SHUTDOWN);
    m_stream->async_shutdown([stop_sending](beast::error_code) { stop_sending(); });
  }

  void drain()
  {
    socket().async_read_some(
      m_buffer.prepare(16 * 1024), [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) {
          return self->close();
        }
        self->drain();
      });
  }

  // Close the socket; an operation in progress ends with an error, whose handler
  // finds nothing more to do. Safe to call more than once.
  void close()
  {
    beast::error_code ec;
    socket().shutdown(tcp::socket::shutdown_both, ec);
    socket().close(ec);
    m_deadline = SteadyClock::time_point::max();
  }

  void set_deadline(SteadyClock::duration timeout) { m_deadline = SteadyClock::now() + timeout; }

  // Return the connection's socket.
  tcp::socket& socket() { return m_stream ? m_stream->next_layer() : *m_tcp; }
  const tcp::socket& socket() const { return m_stream ? m_stream->next_layer() : *m_tcp; }

  // Call f with the stream requests travel on: the TLS stream once the handshake has
  // begun, else (plain HTTP) the socket.
  template <typename F>
  void with_stream(F&& f)
  {
    if (m_stream) {
      f(*m_stream);
    } else {
      f(*m_tcp);
    }
  }

public:
  // For the sweeper: close the connection if its deadline passed; false once closed.
  bool check_deadline(SteadyClock::time_point now)
  {
    if (!socket().is_open()) {
      return false;
    }
    if (now >= m_deadline) {
      close();
      return false;
    }
    return true;
  }

private:
  std::shared_ptr<ssl::context> m_ctx;  // before m_stream, which uses it; null: plain HTTP
  std::optional<tcp::socket> m_tcp;  // TLS: until the first bytes arrive; plain HTTP: throughout
  std::optional<beast::ssl_stream<tcp::socket>> m_stream;  // TLS: from then on
  ServerState& m_state;
  DeadlineSweeper& m_sweeper;
  SteadyClock::time_point m_deadline = SteadyClock::time_point::max();
  beast::flat_buffer m_buffer;
  std::optional<RequestParser> m_parser;
  std::optional<http::response<http::empty_body>> m_continue;
  std::unique_ptr<HttpResponse> m_response;
  std::string m_remote;
  std::string m_method;
  std::string m_path;
  SteadyClock::time_point m_start = SteadyClock::now();
};

void DeadlineSweeper::start()
{
  m_timer.expires_after(k_sweep_interval);
  m_timer.async_wait([this](beast::error_code ec) {
    if (!ec) {
      sweep();
      start();
    }
  });
}

void DeadlineSweeper::sweep()
{
  const auto now = SteadyClock::now();
  std::erase_if(m_sessions, [now](const std::weak_ptr<Session>& weak) {
    const auto session = weak.lock();
    return !session || !session->check_deadline(now);
  });
}

// Accept connections; beyond the cap close them at once, so a flood of idle sockets
// costs file descriptors up to a bound and nothing else.
class Listener : public std::enable_shared_from_this<Listener> {
public:
  // Listen on endpoint; Error(socket) when that cannot be done.
  Listener(std::vector<std::unique_ptr<IoThread>>& threads, const tcp::endpoint& endpoint, ServerState& state)
    : m_threads(threads), m_acceptor(threads.front()->ioc), m_state(state), m_retry(threads.front()->ioc)
  {
    beast::error_code ec;
    m_acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
      m_acceptor.set_option(net::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
      m_acceptor.bind(endpoint, ec);
    }
    if (!ec) {
      m_acceptor.listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      throw Error(ExitCode::socket, "cannot listen on " + endpoint.address().to_string() + ":"
                                      + std::to_string(endpoint.port()) + ": " + ec.message());
    }
  }

  // Return the port listened on (the one picked when 0 was asked for).
  int port() const { return m_acceptor.local_endpoint().port(); }

  // Accept the next connection onto the next I/O thread in turn.
  void accept()
  {
    m_next = (m_next + 1) % m_threads.size();
    m_acceptor.async_accept(m_threads[m_next]->ioc,
                            [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                              self->on_accept(ec, std::move(socket));
                            });
  }

private:
  void on_accept(beast::error_code ec, tcp::socket socket)
  {
    if (ec == net::error::operation_aborted || !m_acceptor.is_open()) {
      return;
    }
    if (ec) {
      // Out of file descriptors: give connections in progress a moment to end.
      if (ec == net::error::no_descriptors || ec == net::error::no_buffer_space) {
        m_state.log.line(std::string("clm-server: accept: ") + ec.message() + "; pausing 100 ms");
        m_retry.expires_after(100ms);
        m_retry.async_wait([self = shared_from_this()](beast::error_code) { self->accept(); });
        return;
      }
      return accept();
    }
    ConnectionCounts& connections = m_state.connections;
    if (connections.open.load() >= connections.max) {
      ++connections.refused;
      if (!m_state.at_cap.exchange(true)) {
        m_state.log.line("clm-server: " + std::to_string(connections.max) + " connections open ("
                         + std::string(m_state.cap_name) + "); closing new ones at once");
      }
      beast::error_code ignored;
      socket.close(ignored);
      return accept();
    }
    m_state.at_cap = false;
    ++connections.open;
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // answers must not wait on Nagle + delayed ACK
    std::make_shared<Session>(std::move(socket), m_state.tls ? m_state.tls->current() : nullptr, m_state,
                              m_threads[m_next]->sweeper)
      ->run();
    accept();
  }

  std::vector<std::unique_ptr<IoThread>>& m_threads;
  std::size_t m_next = 0;
  tcp::acceptor m_acceptor;
  ServerState& m_state;
  net::steady_timer m_retry;
};

// Raise the soft limit on open files to what the connection cap needs, as far as the hard limit allows.
void raise_file_limit(std::size_t max_connections)
{
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    return;
  }
  const rlim_t wanted = static_cast<rlim_t>(max_connections) + 256;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < wanted) {
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, rl.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

// Return the endpoint of the option listen: an address, or a host name's first address.
tcp::endpoint resolve_listen_address(const ListenAddress& listen, std::string_view option)
{
  const auto port = static_cast<unsigned short>(listen.port);
  beast::error_code ec;
  const auto address = net::ip::make_address(listen.host, ec);
  if (!ec) {
    return {address, port};
  }
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  const auto results = resolver.resolve(listen.host, std::to_string(port), ec);
  if (ec || results.empty()) {
    throw Error(ExitCode::socket, std::string(option) + ": cannot resolve '" + listen.host + "'"
                                    + (ec ? ": " + ec.message() : ""));
  }
  return results.begin()->endpoint();
}

// Return the text of a listening address: host:port, [v6]:port.
std::string host_port(const std::string& host, int port)
{
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

bool is_loopback_or_private(const std::string& text)
{
  beast::error_code ec;
  net::ip::address address = net::ip::make_address(text, ec);
  if (ec) {
    return false;
  }
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6());
  }
  if (address.is_loopback()) {
    return true;
  }
  if (address.is_v4()) {
    const auto b = address.to_v4().to_bytes();
    return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168);
  }
  return (address.to_v6().to_bytes()[0] & 0xfe) == 0xfc;
}

namespace {

// Return the endpoint of --metrics-listen once it is known to be a loopback or private
// address: the one checked is the one bound (a name resolved twice could differ).
tcp::endpoint checked_metrics_endpoint(const ListenAddress& listen)
{
  const tcp::endpoint endpoint = resolve_listen_address(listen, "--metrics-listen");
  const std::string address = endpoint.address().to_string();
  // Plain HTTP without a license key: only where the network itself is private.
  if (!is_loopback_or_private(address)) {
    throw Error(ExitCode::bad_parameter,
                "--metrics-listen: " + address
                  + " is not a loopback or private address (it serves /metrics in plain HTTP without the license "
                    "key); scrape GET /metrics on --listen with the admin license key instead");
  }
  return endpoint;
}

}  // namespace

void check_metrics_listen(const ListenAddress& listen)
{
  checked_metrics_endpoint(listen);
}

ListenAddress parse_listen(const std::string& text, std::string_view option)
{
  const auto colon = text.rfind(':');
  std::string host = colon == std::string::npos ? "" : text.substr(0, colon);
  const std::string port = colon == std::string::npos ? "" : text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int n = -1;
  const auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
  if (host.empty() || ec != std::errc() || p != port.data() + port.size() || n < 0 || n > 65535) {
    throw Error(ExitCode::bad_parameter,
                std::string(option) + ": '" + text + "' is not HOST:PORT (PORT 0 picks a free one)");
  }
  return ListenAddress{host, n};
}

void serve(const ServeOptions& opts, OpenDataDir& data)
{
  const tcp::endpoint endpoint = resolve_listen_address(opts.listen, "--listen");
  std::optional<tcp::endpoint> metrics_endpoint;
  if (opts.metrics_listen) {
    metrics_endpoint = checked_metrics_endpoint(*opts.metrics_listen);
  }
  const TlsSource tls_source{opts.tls_cert, opts.tls_key};
  TlsContexts tls(make_tls_context(load_tls_identity(data, tls_source)));

  if (opts.cache_rows > 0) {
    data.store = std::make_unique<CachedStore>(std::move(data.store), opts.cache_rows);
  }
  Metrics metrics(route_paths(), [&store = *data.store](std::int64_t now_ms) {
    store.check_health();
    return store.credential_counts(now_ms);
  });
  ApiServices services(data);
  const Router router(services.services(), Licenses{opts.license_key, data.admin_key}, &metrics);
  const Router metrics_router(services.services(), Licenses{}, &metrics, RouteTable::metrics_only);

  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const unsigned io_threads = std::min(2u, cores);
  // With SQLite, requests are CPU work (TLS aside, which the I/O threads do) and writes
  // take turns in the store: workers beyond the cores mostly add thread switches. With
  // PostgreSQL a request mostly waits for the database's answers: more workers keep
  // more requests in flight (each holds one connection of the pool).
  const unsigned default_workers = data.shared_store ? std::max(8u, 4 * cores) : std::max(2u, cores);
  const unsigned worker_threads = opts.workers != 0 ? opts.workers : default_workers;
  data.store->set_concurrency(worker_threads);
  metrics.api_connections().max = opts.max_connections;
  if (metrics_endpoint) {
    metrics.metrics_connections().max = std::min(k_metrics_max_connections, opts.max_connections);
  }
  raise_file_limit(opts.max_connections + metrics.metrics_connections().max);

  // Destroyed in reverse: the io_context (and the connections it still holds) before
  // the state they use, the workers last.
  LogWriter log;
  net::thread_pool workers(worker_threads);
  ServerState state{log, router, workers, &tls, metrics.api_connections(), metrics.requests(), "--max-connections"};
  ServerState metrics_state{log, metrics_router, workers, nullptr, metrics.metrics_connections(), metrics.requests(),
                            "the metrics listener's cap"};
  std::vector<std::unique_ptr<IoThread>> threads;
  for (unsigned i = 0; i < io_threads; ++i) {
    threads.push_back(std::make_unique<IoThread>());
    threads.back()->sweeper.start();
  }
  net::io_context& ioc = threads.front()->ioc;
  const auto listener = std::make_shared<Listener>(threads, endpoint, state);
  std::shared_ptr<Listener> metrics_listener;
  if (metrics_endpoint) {
    metrics_listener = std::make_shared<Listener>(threads, *metrics_endpoint, metrics_state);
  }
  const int port = listener->port();
  if (opts.port_file) {
    write_file_atomic(*opts.port_file, std::to_string(port) + "\n", 0644);
  }
  const std::string listening = "listening on https://" + host_port(opts.listen.host, port);
  log.line("clm-server: " + listening);
  if (metrics_listener) {
    log.line("clm-server: serving GET /metrics on http://" + host_port(opts.metrics_listen->host, metrics_listener->port())
             + "/metrics (plain HTTP, no license key)");
    metrics_listener->accept();
  }

  listener->accept();

  // SIGHUP rereads the TLS identity: new connections get it, open ones keep theirs.
  net::signal_set signals(ioc, SIGINT, SIGTERM, SIGHUP);
  std::function<void(beast::error_code, int)> on_signal = [&](beast::error_code e, int sig) {
    if (e) {
      return;
    }
    if (sig == SIGHUP) {
      notify_reloading();
      try {
        tls.replace(make_tls_context(load_tls_identity(data, tls_source)));
        metrics.tls_reloaded(TlsReload::success);
        log.line("clm-server: SIGHUP: reloaded the TLS certificate and key");
      } catch (const std::exception& x) {
        metrics.tls_reloaded(TlsReload::failure);
        log.line(std::string("clm-server: SIGHUP: kept the TLS identity in use: ") + x.what());
      }
      notify_ready(listening);
      signals.async_wait(on_signal);
      return;
    }
    notify_stopping();
    for (auto& t : threads) {
      t->ioc.stop();
    }
  };
  signals.async_wait(on_signal);
  notify_ready(listening);

  std::vector<std::thread> io;
  for (unsigned i = 1; i < io_threads; ++i) {
    io.emplace_back([&ctx = threads[i]->ioc] { ctx.run(); });
  }
  ioc.run();
  for (auto& t : io) {
    t.join();
  }
  // Requests already on a worker finish their store work before the store closes.
  workers.join();
  log.line("clm-server: stopped");
}

}  // namespace clm::server
