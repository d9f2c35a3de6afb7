// The transport-free half of clm-server's HTTP front: which route a request takes, who
// may take it, the limits a request head must meet before its body is read, and the
// answer the API services give. The socket half (http_server) only moves bytes; this
// half is tested and fuzzed without a socket.
#pragma once

#include "cred_service.hpp"
#include "dashboard.hpp"
#include "data_dir.hpp"
#include "device_service.hpp"
#include "id_service.hpp"
#include "key_service.hpp"
#include "license.hpp"
#include "store.hpp"

#include <boost/beast/http.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clm::server {

namespace http = boost::beast::http;

// The largest request head (request line and headers) read, in bytes.
inline constexpr std::uint32_t k_header_limit = 16 * 1024;
// The largest request body read, whatever its transfer encoding, in bytes.
inline constexpr std::uint64_t k_body_limit = 1024 * 1024;

using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;
using RequestParser = http::request_parser<http::string_body>;

// Set the limits a parser reads a request head with: the header limit, and no body
// limit yet (check_head decides on the declared length, so that a request without a
// license is answered 401 whatever length it claims).
void limit_head(RequestParser& parser);

// Set the body limit a parser reads an accepted request's body with.
void limit_body(RequestParser& parser);

// The services requests are handed to.
struct Services {
  IdService& ids;
  CredService& creds;
  KeyService& keys;
  DeviceService& devices;
  Store& store;
};

// The API services of an opened data directory, each made with its settings.
class ApiServices {
public:
  explicit ApiServices(OpenDataDir& data, const Clock& clock = system_clock_ms());

  // Return the services, for a Router.
  Services services() { return Services{m_ids, m_creds, m_keys, m_devices, m_store}; }

private:
  Store& m_store;
  IdService m_ids;
  CredService m_creds;
  KeyService m_keys;
  DeviceService m_devices;
};

// The license keys requests authenticate with.
struct Licenses {
  std::string client;
  std::string admin;
};

class Metrics;

// Which routes a Router takes: the WebAPI's, the dashboard's and GET /metrics (admin
// license key), or GET /metrics alone without a license (the --metrics-listen listener).
enum class RouteTable { api, metrics_only };

// Return the distinct paths of the routes of RouteTable::api, in table order.
std::vector<std::string> route_paths();

// An answer, with what the log line says about it.
struct Answer {
  HttpResponse response;
  std::optional<int> errorcode;  // of a JSON answer
  std::string detail;            // why a request was refused (log only)
};

class Router {
public:
  // Route the requests of table to services, GET /metrics to metrics (404 without);
  // the dashboard's forms get tokens under a random secret of this Router.
  Router(Services services, Licenses licenses, Metrics* metrics = nullptr, RouteTable table = RouteTable::api);

  // Return the refusal of a request with this head (unknown path 404, wrong method 405,
  // no or a wrong license key 401, admin key needed 403, a Content-Encoding 415, a
  // declared body over the limit 413), or nullopt when its body may be read. A refusal
  // closes the connection: the body is never read. Refusals of the dashboard's pages
  // (/admin/) are HTML pages, their 401 asks for the admin key (realm "clm admin").
  std::optional<Answer> check_head(const http::request_header<>& head) const;

  // Return the answer to a whole request whose head check_head accepted.
  Answer handle(const HttpRequest& req) const;

  // Return the answer to a request the parser refused with error (a head or body over
  // its limit, malformed HTTP); it closes the connection.
  static Answer refuse_unreadable(const boost::system::error_code& error, unsigned version);

private:
  Services m_services;
  Licenses m_licenses;
  Metrics* m_metrics;
  RouteTable m_table;
  Dashboard m_dashboard;
};

// Return the path of a request target, percent-decoded, without its query.
std::string target_path(std::string_view target);

// Return the percent-decoded value of the query parameter name of target, or nullopt.
std::optional<std::string> query_param(std::string_view target, std::string_view name);

}  // namespace clm::server
