// Fuzz the HTTP request path of clm-server without a socket: the bytes of one request
// go through Beast's parser with the server's limits, the head check (license, admin
// key, encoding, declared length), the body limit, the routing to the services over a
// real data directory, and the log line. Anything but a clean answer is a finding.
#include "data_dir.hpp"
#include "request_log.hpp"
#include "router.hpp"

#include <clm/config.hpp>

#include <boost/asio/buffer.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

namespace {

namespace http = boost::beast::http;
using namespace clm::server;

// One data directory and one set of services for the whole run.
struct Fixture {
  Fixture()
  {
    std::string tmpl = (std::filesystem::temp_directory_path() / "clm-fuzz-http-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::abort();
    }
    dir = tmpl;
    InitOptions init;
    init.data_dir = dir / "data";
    init.key_type = KeyType::ec_p256;
    init_data_dir(init);
    data = std::make_unique<OpenDataDir>(open_data_dir(init.data_dir));
    services = std::make_unique<ApiServices>(*data);
    // The seed corpus authenticates with these keys (Basic c2VjdXJld2FyZS1jbG06Q0xJRU5U / ...QURNSU4=).
    router = std::make_unique<Router>(services->services(), Licenses{"CLIENT", "ADMIN"});
  }

  ~Fixture()
  {
    router.reset();
    services.reset();
    data.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

  std::filesystem::path dir;
  std::unique_ptr<OpenDataDir> data;
  std::unique_ptr<ApiServices> services;
  std::unique_ptr<Router> router;
};

void log(const RequestParser& parser, const Answer& a)
{
  RequestLogEntry e;
  e.remote = "127.0.0.1";
  if (parser.is_header_done()) {
    e.method = std::string(parser.get().method_string());
    e.path = target_path(parser.get().target());
  }
  e.status = a.response.result_int();
  e.errorcode = a.errorcode;
  e.detail = a.detail;
  const std::string line = format_request_log(e);
  if (line.find('\n') != std::string::npos || line.size() > 600) {
    std::abort();  // a request must never forge or flood a log line
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size)
{
  static Fixture fixture;
  std::string_view input(reinterpret_cast<const char*>(bytes), size);
  RequestParser parser;
  limit_head(parser);  // not eager: the head is parsed and checked before any body byte
  boost::beast::error_code ec;
  bool head_checked = false;
  while (!parser.is_done()) {
    if (parser.is_header_done() && !head_checked) {
      head_checked = true;
      if (auto refusal = fixture.router->check_head(parser.get())) {
        log(parser, *refusal);
        return 0;
      }
      limit_body(parser);
      parser.eager(true);
    }
    if (input.empty()) {
      parser.put_eof(ec);
      if (ec || !parser.is_done()) {
        return 0;  // the peer went away before a whole request: nothing is answered
      }
      break;
    }
    const std::size_t used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
    input.remove_prefix(used);
    if (ec == http::error::need_more) {
      if (used == 0) {
        parser.put_eof(ec);
        return 0;
      }
      ec = {};
      continue;
    }
    if (ec) {
      log(parser, Router::refuse_unreadable(ec, 11));
      return 0;
    }
  }
  if (!head_checked) {
    if (auto refusal = fixture.router->check_head(parser.get())) {
      log(parser, *refusal);
      return 0;
    }
  }
  const Answer a = fixture.router->handle(parser.get());
  log(parser, a);
  return 0;
}
