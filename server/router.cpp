#include "router.hpp"

#include "metrics.hpp"

#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/util/hex.hpp>

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <iostream>
#include <span>

namespace clm::server {

namespace {

constexpr const char* k_json = "application/json";

// Who may take a route: page is admin for the dashboard's HTML pages, whose refusals
// are pages too.
enum class Access { open, licensed, admin, page };

enum class Endpoint {
  id_post,
  id_get,
  cred_post,
  key_post,
  device_post,
  crl,
  system_status,
  admin_root,
  admin_overview,
  admin_device,
  admin_change_device,
  metrics
};

struct Route {
  http::verb method;
  std::string_view path;
  Access access;
  Endpoint endpoint;
};

// SystemStatus is the health check of load balancers and the CRL is public by design
// (relying parties hold no license key): both are open. Listing IDs hands out
// passwords: admin only.
constexpr Route k_routes[] = {
  {http::verb::post, "/SWCLM/IDInfo", Access::licensed, Endpoint::id_post},
  {http::verb::get, "/SWCLM/IDInfo", Access::admin, Endpoint::id_get},
  {http::verb::post, "/SWCLM/CredInfo", Access::licensed, Endpoint::cred_post},
  {http::verb::post, "/SWCLM/KeyInfo", Access::licensed, Endpoint::key_post},
  {http::verb::post, "/SWCLM/DeviceInfo", Access::licensed, Endpoint::device_post},  // our extension
  {http::verb::get, "/SWCLM/CRL", Access::open, Endpoint::crl},                      // our extension
  {http::verb::get, "/SWCLM/SystemStatus", Access::open, Endpoint::system_status},
  // The operator's dashboard (our extension): HTML pages over DeviceInfo's operator modes.
  {http::verb::get, "/admin", Access::page, Endpoint::admin_root},
  {http::verb::get, "/admin/", Access::page, Endpoint::admin_overview},
  {http::verb::get, "/admin/device", Access::page, Endpoint::admin_device},
  {http::verb::post, "/admin/device", Access::page, Endpoint::admin_change_device},
  // Prometheus metrics (our extension): fleet-wide counts, so the admin license key.
  {http::verb::get, "/metrics", Access::admin, Endpoint::metrics},
};

// The listener of --metrics-listen: its address is the access control.
constexpr Route k_metrics_routes[] = {
  {http::verb::get, "/metrics", Access::open, Endpoint::metrics},
};

// Return the routes of table.
std::span<const Route> routes_of(RouteTable table)
{
  return table == RouteTable::api ? std::span<const Route>(k_routes) : std::span<const Route>(k_metrics_routes);
}

// Return whether path is one of the dashboard's pages among routes.
bool is_page_path(std::span<const Route> routes, std::string_view path)
{
  return std::any_of(routes.begin(), routes.end(),
                     [&](const Route& r) { return r.path == path && r.access == Access::page; });
}

// Return text with %XX decoded (and + as space in a query); a bad escape stays as it is.
std::string percent_decode(std::string_view text, bool plus_is_space)
{
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = util::hex_digit_value(text[i + 1]);
      const int lo = util::hex_digit_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += plus_is_space && text[i] == '+' ? ' ' : text[i];
  }
  return out;
}

HttpResponse make_response(http::status status, unsigned version, std::string body, const char* content_type)
{
  HttpResponse res{status, version};
  res.set(http::field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

// A refusal that is no WebAPI answer (no errorcode): {"error": message}; the connection closes.
Answer refusal(http::status status, unsigned version, const char* message)
{
  Answer a{make_response(status, version, dump_json(json{{"error", message}}), k_json), std::nullopt, message};
  a.response.keep_alive(false);
  return a;
}

// A refusal of a dashboard page: the same status and log reason, as an HTML page.
Answer page_refusal(http::status status, unsigned version, const char* title, const char* message)
{
  Answer a{make_response(status, version, render_message(title, message), "text/html"), std::nullopt, message};
  set_page_headers(a.response);
  a.response.keep_alive(false);
  return a;
}

Answer page_answer(Page p, unsigned version)
{
  Answer a{make_response(static_cast<http::status>(p.status), version, std::move(p.html), "text/html"), p.errorcode,
           std::move(p.detail)};
  set_page_headers(a.response);
  if (!p.location.empty()) {
    a.response.set(http::field::location, p.location);
  }
  return a;
}

// Return the page body makes, a failure of the store or the server as a 500 page (logged
// as guarded logs it).
template <typename F>
Answer guarded_page(unsigned version, F&& body)
{
  const auto failed = [&](int code) {
    return page_answer(Page{500, render_message("Server error", "The server could not answer (errorcode "
                                                                  + std::to_string(code) + "); see its log."),
                            {}, code, {}},
                       version);
  };
  try {
    return body();
  } catch (const ApiError& e) {
    std::cerr << "clm-server: dashboard: errorcode " + std::to_string(e.errorcode) + ": " + e.detail + "\n";
    return failed(e.errorcode);
  } catch (const StoreError& e) {
    std::cerr << std::string("clm-server: store: ") + e.what() + "\n";
    return failed(e.errorcode());
  } catch (const std::exception& e) {
    std::cerr << std::string("clm-server: dashboard: internal error: ") + e.what() + "\n";
    return failed(9901);
  }
}

// Return the dashboard's page for a request to endpoint.
Page dashboard_page(const Dashboard& dashboard, Endpoint endpoint, const HttpRequest& req)
{
  switch (endpoint) {
  case Endpoint::admin_overview:
    return dashboard.overview(req.target());
  case Endpoint::admin_device:
    return dashboard.device(req.target());
  case Endpoint::admin_change_device:
    return dashboard.change_device(PagePost{req[http::field::content_type], req[http::field::origin],
                                            req["Sec-Fetch-Site"], req[http::field::host], req.body()});
  default:
    break;
  }
  Page p;
  p.status = 301;
  p.location = "/admin/";
  p.html = render_message("Moved", "The dashboard is at /admin/.");
  return p;
}

Answer json_answer(const ApiResponse& r, unsigned version)
{
  Answer a{make_response(static_cast<http::status>(r.status), version, dump_json(r.body), k_json), std::nullopt, {}};
  // Taken here, so the log line need not parse a batch answer of hundreds of kilobytes.
  if (const auto it = r.body.find("errorcode"); it != r.body.end() && it->is_number_integer()) {
    a.errorcode = it->get<int>();
  }
  return a;
}

// Return the answer of body, turning every failure into the spec's errorcode answer.
template <typename F>
Answer guarded(unsigned version, F&& body)
{
  try {
    return body();
  } catch (const ApiError& e) {
    Answer a = json_answer(error_response(e.errorcode), version);
    a.detail = e.detail;
    return a;
  } catch (const StoreError& e) {
    std::cerr << std::string("clm-server: store: ") + e.what() + "\n";
    return json_answer(error_response(e.errorcode()), version);
  } catch (const Error& e) {
    // A sealed secret that fails authentication is the spec's decryption error.
    const int code = e.code() == ExitCode::tampered ? 2003 : 9901;
    std::cerr << "clm-server: error " + std::to_string(code) + ": " + e.what() + "\n";
    return json_answer(error_response(code), version);
  } catch (const std::exception& e) {
    std::cerr << std::string("clm-server: internal error: ") + e.what() + "\n";
    return json_answer(error_response(9901), version);
  }
}

}  // namespace

void limit_head(RequestParser& parser)
{
  parser.header_limit(k_header_limit);
  parser.body_limit(boost::none);
}

void limit_body(RequestParser& parser)
{
  parser.body_limit(k_body_limit);
}

std::string target_path(std::string_view target)
{
  return percent_decode(target.substr(0, target.find('?')), false);
}

std::optional<std::string> query_param(std::string_view target, std::string_view name)
{
  const auto q = target.find('?');
  if (q == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (percent_decode(pair.substr(0, eq), true) == name) {
      return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), true);
    }
    if (amp == std::string_view::npos) {
      break;
    }
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

ApiServices::ApiServices(OpenDataDir& data, const Clock& clock)
  : m_store(*data.store),
    m_ids(*data.store, *data.box, data.settings.id_policy, clock),
    m_creds(*data.store, *data.box, m_ids, data.settings.cert_policy, clock),
    m_keys(*data.store, *data.box, m_ids, data.settings.key_policy, clock),
    m_devices(*data.store, m_ids, clock)
{
}

std::vector<std::string> route_paths()
{
  std::vector<std::string> out;
  for (const Route& r : k_routes) {
    if (std::find(out.begin(), out.end(), r.path) == out.end()) {
      out.emplace_back(r.path);
    }
  }
  return out;
}

Router::Router(Services services, Licenses licenses, Metrics* metrics, RouteTable table)
  : m_services(services),
    m_licenses(std::move(licenses)),
    m_metrics(metrics),
    m_table(table),
    m_dashboard(services.devices, CsrfTokens(random_bytes(32), m_licenses.admin, system_clock_ms()))
{
}

std::optional<Answer> Router::check_head(const http::request_header<>& head) const
{
  const unsigned version = head.version();
  const std::string path = target_path(head.target());
  const bool page = is_page_path(routes_of(m_table), path);
  const auto refuse = [&](http::status status, const char* message) {
    return page ? page_refusal(status, version, "Refused", message) : refusal(status, version, message);
  };
  const Route* route = nullptr;
  bool path_known = false;
  for (const Route& r : routes_of(m_table)) {
    if (r.path == path) {
      path_known = true;
      if (r.method == head.method()) {
        route = &r;
      }
    }
  }
  if (!path_known) {
    return refusal(http::status::not_found, version, "no such endpoint");
  }
  if (!route) {
    Answer a = refuse(http::status::method_not_allowed, "method not allowed here");
    std::string allow;
    for (const Route& r : routes_of(m_table)) {
      if (r.path == path) {
        allow += (allow.empty() ? "" : ", ") + std::string(http::to_string(r.method));
      }
    }
    a.response.set(http::field::allow, allow);
    return a;
  }
  if (route->access != Access::open) {
    const Caller caller = caller_of(head[http::field::authorization], m_licenses.client, m_licenses.admin);
    if (caller == Caller::none) {
      Answer a = page ? page_refusal(http::status::unauthorized, version, "Sign in",
                                     "The dashboard needs the admin license key: user secureware-clm, the "
                                     "server's admin.key as password.")
                      : refusal(http::status::unauthorized, version, "license key missing or wrong");
      a.detail = "license key missing or wrong";
      a.response.set(http::field::www_authenticate, page ? "Basic realm=\"clm admin\"" : "Basic realm=\"clm\"");
      return a;
    }
    if ((route->access == Access::admin || route->access == Access::page) && caller != Caller::admin) {
      Answer a = page ? page_refusal(http::status::forbidden, version, "Forbidden",
                                     "The dashboard needs the admin license key; the client license key is not "
                                     "enough.")
                      : refusal(http::status::forbidden, version, "this request needs the admin license key");
      a.detail = "this request needs the admin license key";
      return a;
    }
  }
  if (const auto encoding = head[http::field::content_encoding];
      !encoding.empty() && !boost::beast::iequals(encoding, "identity")) {
    return refuse(http::status::unsupported_media_type, "Content-Encoding is not accepted");
  }
  if (const auto length = head[http::field::content_length]; !length.empty()) {
    // The parser has checked it is a number; one too long to convert is over the limit too.
    std::uint64_t n = 0;
    bool over = length.size() > 19;
    for (std::size_t i = 0; !over && i < length.size(); ++i) {
      n = n * 10 + static_cast<std::uint64_t>(length[i] - '0');
    }
    if (over || n > k_body_limit) {
      return refuse(http::status::payload_too_large, "request body over 1 MiB");
    }
    if (page && n > k_form_limit) {
      return refuse(http::status::payload_too_large, "form over 8 KiB");
    }
  }
  return std::nullopt;
}

Answer Router::handle(const HttpRequest& req) const
{
  const unsigned version = req.version();
  const std::string path = target_path(req.target());
  Endpoint endpoint = Endpoint::system_status;
  bool found = false;
  for (const Route& r : routes_of(m_table)) {
    if (r.path == path && r.method == req.method()) {
      endpoint = r.endpoint;
      found = true;
    }
  }
  Answer a = [&] {
    if (!found) {
      return refusal(http::status::not_found, version, "no such endpoint");
    }
    return guarded(version, [&]() -> Answer {
      switch (endpoint) {
      case Endpoint::id_post:
        return json_answer(m_services.ids.post(req.body()), version);
      case Endpoint::id_get:
        return json_answer(m_services.ids.get(query_param(req.target(), "keyid")), version);
      case Endpoint::cred_post:
        return json_answer(m_services.creds.post(req.body()), version);
      case Endpoint::key_post:
        return json_answer(m_services.keys.post(req.body()), version);
      case Endpoint::device_post:
        return json_answer(m_services.devices.post(req.body(), caller_of(req[http::field::authorization],
                                                                           m_licenses.client, m_licenses.admin)),
                           version);
      case Endpoint::crl:
        return Answer{make_response(http::status::ok, version,
                                    m_services.creds.crl(query_param(req.target(), "catype")),
                                    "application/x-pem-file"),
                      std::nullopt,
                      {}};
      case Endpoint::metrics:
        if (!m_metrics) {
          return refusal(http::status::not_found, version, "no such endpoint");
        }
        return Answer{make_response(http::status::ok, version, m_metrics->render(), k_metrics_content_type),
                      std::nullopt,
                      {}};
      case Endpoint::system_status:
        break;
      case Endpoint::admin_root:
      case Endpoint::admin_overview:
      case Endpoint::admin_device:
      case Endpoint::admin_change_device:
        return guarded_page(version, [&] { return page_answer(dashboard_page(m_dashboard, endpoint, req), version); });
      }
      m_services.store.check_health();
      return json_answer(ApiResponse{200, json{{"errorcode", 0}}}, version);
    });
  }();
  if (found) {
    a.response.keep_alive(req.keep_alive());
  }
  return a;
}

Answer Router::refuse_unreadable(const boost::system::error_code& error, unsigned version)
{
  if (error == http::error::body_limit) {
    return refusal(http::status::payload_too_large, version, "request body over 1 MiB");
  }
  if (error == http::error::header_limit) {
    return refusal(http::status::request_header_fields_too_large, version, "request head over 16 KiB");
  }
  return refusal(http::status::bad_request, version, "malformed HTTP request");
}

}  // namespace clm::server
