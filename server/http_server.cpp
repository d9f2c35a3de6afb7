#include "http_server.hpp"

#include "cred_service.hpp"
#include "device_service.hpp"
#include "id_service.hpp"
#include "key_service.hpp"

#include <clm/atomic_file.hpp>
#include <clm/config.hpp>
#include <clm/crypto.hpp>
#include <clm/error.hpp>

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <pthread.h>
#include <thread>

namespace clm::server {

namespace {

using SteadyClock = std::chrono::steady_clock;

thread_local SteadyClock::time_point t_request_start;
thread_local std::string t_request_detail;  // why a request was refused, for the log only
thread_local std::optional<int> t_errorcode;  // of the JSON answer sent, for the log line

constexpr const char* k_json = "application/json";

void send(httplib::Response& res, const ApiResponse& r)
{
  res.status = r.status;
  res.set_content(dump_json(r.body), k_json);
  // Kept here so the log line need not parse a batch answer of hundreds of kilobytes again.
  if (const auto it = r.body.find("errorcode"); it != r.body.end() && it->is_number_integer()) {
    t_errorcode = it->get<int>();
  }
}

// Run body, which fills res, turning every failure into the spec's errorcode response.
template <typename F>
void guarded(httplib::Response& res, F&& body)
{
  try {
    body();
  } catch (const ApiError& e) {
    send(res, error_response(e.errorcode));
    t_request_detail = e.detail;
  } catch (const StoreError& e) {
    std::cerr << "clm-server: store: " << e.what() << '\n';
    send(res, error_response(e.errorcode()));
  } catch (const Error& e) {
    // A sealed secret that fails authentication is the spec's decryption error.
    const int code = e.code() == ExitCode::tampered ? 2003 : 9901;
    std::cerr << "clm-server: error " << code << ": " << e.what() << '\n';
    send(res, error_response(code));
  } catch (const std::exception& e) {
    std::cerr << "clm-server: internal error: " << e.what() << '\n';
    send(res, error_response(9901));
  }
}

// Run a handler returning an ApiResponse, as guarded.
template <typename F>
void handle(httplib::Response& res, F&& handler)
{
  guarded(res, [&] { send(res, handler()); });
}

bool license_ok(const httplib::Request& req, const std::string& license)
{
  const std::string auth = req.get_header_value("Authorization");
  constexpr std::string_view k_basic = "Basic ";
  if (auth.size() <= k_basic.size() || auth.compare(0, k_basic.size(), k_basic) != 0) {
    return false;
  }
  std::string decoded;
  try {
    decoded = base64_decode(std::string_view(auth).substr(k_basic.size()));
  } catch (const Error&) {
    return false;
  }
  const std::string expected = std::string(k_license_user) + ":" + license;
  return constant_time_equal(decoded, expected);
}

std::string utc_now()
{
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

// One line per request: never the body, never the query string, never a header value.
void log_request(const httplib::Request& req, const httplib::Response& res)
{
  const double ms = std::chrono::duration<double, std::milli>(SteadyClock::now() - t_request_start).count();
  const std::string errorcode = t_errorcode ? std::to_string(*t_errorcode) : "-";
  char line[512];
  std::snprintf(line, sizeof line, "%s %s %s %s %d errorcode=%s %.1fms", utc_now().c_str(),
                req.remote_addr.c_str(), req.method.c_str(), req.path.substr(0, 200).c_str(), res.status,
                errorcode.c_str(), ms);
  std::string out = std::string("clm-server: ") + line;
  if (!t_request_detail.empty()) {
    out += " (" + t_request_detail + ")";
  }
  std::cerr << out + "\n";
}

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

BioPtr mem_bio(const std::string& pem)
{
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Configure the TLS context: TLS 1.2+, the identity's leaf, the rest of its chain, its key.
bool setup_tls(SSL_CTX& ctx, const TlsIdentity& identity)
{
  SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
  const BioPtr chain = mem_bio(identity.chain_pem);
  X509Ptr leaf(PEM_read_bio_X509(chain.get(), nullptr, nullptr, nullptr));
  PkeyPtr key(PEM_read_bio_PrivateKey(mem_bio(identity.key_pem).get(), nullptr, nullptr, nullptr));
  if (!leaf || !key || SSL_CTX_use_certificate(&ctx, leaf.get()) != 1) {
    return false;
  }
  while (X509Ptr cert{PEM_read_bio_X509(chain.get(), nullptr, nullptr, nullptr)}) {
    if (SSL_CTX_add1_chain_cert(&ctx, cert.get()) != 1) {
      return false;
    }
  }
  ERR_clear_error();  // the end of the chain text
  return SSL_CTX_use_PrivateKey(&ctx, key.get()) == 1 && SSL_CTX_check_private_key(&ctx) == 1;
}

}  // namespace

void parse_listen(const std::string& text, ServeOptions& opts)
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
    throw Error(ExitCode::bad_parameter, "--listen: '" + text + "' is not HOST:PORT (PORT 0 picks a free one)");
  }
  opts.host = host;
  opts.port = n;
}

void serve(const ServeOptions& opts, OpenDataDir& data)
{
  // Signals are taken by one thread with sigwait, so stopping is not done in a handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  const TlsIdentity identity = load_tls_identity(data, TlsSource{opts.tls_cert, opts.tls_key});
  httplib::SSLServer server([&](SSL_CTX& ctx) { return setup_tls(ctx, identity); });
  if (!server.is_valid()) {
    throw Error(ExitCode::internal, "cannot set up TLS with the server's certificate and key");
  }
  server.set_tcp_nodelay(true);  // without it keep-alive answers wait on Nagle + delayed ACK
  server.set_read_timeout(30);
  server.set_payload_max_length(1 << 20);

  IdService ids(*data.store, *data.box, data.settings.id_policy, system_clock_ms());
  CredService creds(*data.store, *data.box, ids, data.settings.cert_policy, system_clock_ms());
  KeyService keys(*data.store, *data.box, ids, data.settings.key_policy, system_clock_ms());
  DeviceService devices(*data.store, ids, system_clock_ms());
  const std::string license = opts.license_key;

  server.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    t_request_start = SteadyClock::now();
    t_request_detail.clear();
    t_errorcode.reset();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // The license is checked inside the route, after the body was read: refusing earlier
  // would leave the body on the connection to be parsed as the next request.
  auto licensed = [&](auto handler) {
    return [&, handler](const httplib::Request& req, httplib::Response& res) {
      if (!license_ok(req, license)) {
        res.status = 401;
        res.set_header("WWW-Authenticate", "Basic realm=\"clm\"");
        res.set_content(R"({"error":"license key missing or wrong"})", k_json);
        return;
      }
      handler(req, res);
    };
  };
  server.set_logger([](const httplib::Request& req, const httplib::Response& res) { log_request(req, res); });

  server.Post("/SWCLM/IDInfo", licensed([&](const httplib::Request& req, httplib::Response& res) {
    handle(res, [&] { return ids.post(req.body); });
  }));
  server.Get("/SWCLM/IDInfo", licensed([&](const httplib::Request& req, httplib::Response& res) {
    handle(res, [&] {
      std::optional<std::string> keyid;
      if (req.has_param("keyid")) {
        keyid = req.get_param_value("keyid");
      }
      return ids.get(keyid);
    });
  }));
  server.Post("/SWCLM/CredInfo", licensed([&](const httplib::Request& req, httplib::Response& res) {
    handle(res, [&] { return creds.post(req.body); });
  }));
  server.Post("/SWCLM/KeyInfo", licensed([&](const httplib::Request& req, httplib::Response& res) {
    handle(res, [&] { return keys.post(req.body); });
  }));
  // Our extension: the keys each named device can fetch (mode getkeylist).
  server.Post("/SWCLM/DeviceInfo", licensed([&](const httplib::Request& req, httplib::Response& res) {
    handle(res, [&] { return devices.post(req.body); });
  }));
  // Our extension: the CRL of ca1. No license, like SystemStatus: a CRL is public by
  // design, and relying parties that check certificates hold no license key.
  server.Get("/SWCLM/CRL", [&](const httplib::Request& req, httplib::Response& res) {
    guarded(res, [&] {
      std::optional<std::string> catype;
      if (req.has_param("catype")) {
        catype = req.get_param_value("catype");
      }
      res.status = 200;
      res.set_content(creds.crl(catype), "application/x-pem-file");
    });
  });
  // SystemStatus is the health check of load balancers: no license (chapter 1 lists none).
  server.Get("/SWCLM/SystemStatus", [&](const httplib::Request&, httplib::Response& res) {
    handle(res, [&] {
      data.store->check_health();
      return ApiResponse{200, json{{"errorcode", 0}}};
    });
  });

  int port = opts.port;
  if (port == 0) {
    port = server.bind_to_any_port(opts.host);
    if (port < 0) {
      throw Error(ExitCode::socket, "cannot listen on " + opts.host + ":0");
    }
  } else if (!server.bind_to_port(opts.host, port)) {
    throw Error(ExitCode::socket, "cannot listen on " + opts.host + ":" + std::to_string(port) +
                                    " (address in use, or not an address of this host)");
  }
  if (opts.port_file) {
    write_file_atomic(*opts.port_file, std::to_string(port) + "\n", 0644);
  }
  std::cerr << "clm-server: listening on https://" << (opts.host.find(':') != std::string::npos ? "[" + opts.host + "]" : opts.host)
            << ":" << port << "\n";

  std::thread stopper([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    server.stop();
  });
  const bool ok = server.listen_after_bind();
  // Wake the stopper if listening ended for another reason.
  pthread_kill(stopper.native_handle(), SIGTERM);
  stopper.join();
  if (!ok) {
    throw Error(ExitCode::socket, "server stopped listening unexpectedly");
  }
  std::cerr << "clm-server: stopped\n";
}

}  // namespace clm::server
