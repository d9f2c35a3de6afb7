// The operator's dashboard under /admin/: HTML pages rendered on the server (no
// JavaScript, no external assets; charts are inline SVG) over the operator's DeviceInfo
// modes. Every figure and row comes from DeviceService::post(body, Caller::admin), the
// same call the API makes, so the pages share its validation, audit trail and paging
// and add no store query of their own. Transport-free like the services: the router
// hands in the target, the few headers a POST is judged by and the body, and gets a
// Page back.
#pragma once

#include "api.hpp"
#include "device_service.hpp"

#include <boost/beast/http/fields.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace clm::server {

// The largest form body or page query accepted, in bytes.
inline constexpr std::size_t k_form_limit = 8 * 1024;
// The most fields a form or page query may hold.
inline constexpr std::size_t k_form_fields = 16;
// The longest field value after decoding, in bytes (a device name is 64).
inline constexpr std::size_t k_form_value_max = 1024;
// Devices on one page of the device table.
inline constexpr std::size_t k_dashboard_page = 100;

// Return text with & < > " ' written as character references: safe as HTML text and
// as a quoted attribute value.
std::string html_escape(std::string_view text);

// Return text percent-encoded as a URL query value: every byte but A-Z a-z 0-9 - . _ ~
// as %XX.
std::string url_encode(std::string_view text);

// A form body or query string the strict parser refuses.
class FormError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// The fields of a form, by name.
using FormFields = std::map<std::string, std::string, std::less<>>;

// Return the fields of an application/x-www-form-urlencoded text (name=value pairs
// joined by '&', '+' a space, %XX a byte; also a query string). Throw FormError for
// text over k_form_limit, more than k_form_fields fields, an empty pair or name, a pair
// without '=', a '%' not followed by two hex digits, a name given twice, a name over 64
// bytes or a value over k_form_value_max bytes once decoded. "" has no fields.
FormFields parse_form(std::string_view text);

// The anti-CSRF tokens of the dashboard's forms: the hex HMAC-SHA256, under a secret
// of this process, of "csrf|<SHA-256 of the admin key>|<UTC day>". A page's token is
// accepted on its day and the next, so a page loaded before midnight still works;
// a restart (new secret) or another admin key makes old pages' tokens fail.
class CsrfTokens {
public:
  // Take the secret (random bytes; 32 from random_bytes in a server), the admin key the
  // forms act with, and the clock that says the day.
  CsrfTokens(std::string secret, std::string_view admin_key, Clock clock);

  // Return today's token.
  std::string token() const;

  // Return whether token is today's or yesterday's, compared in constant time.
  bool check(std::string_view token) const;

private:
  std::string token_of_day(std::int64_t day) const;

  std::string m_secret;
  std::string m_key_digest;  // hex SHA-256 of the admin key
  Clock m_clock;
};

// Return why a POST whose headers say this comes from another site (Sec-Fetch-Site
// cross-site or same-site; an Origin other than https://HOST; Origin null, which a
// browser sends under Referrer-Policy no-referrer, unless Sec-Fetch-Site says
// same-origin), or nullopt: a POST without either header (curl) is judged by its token
// alone.
std::optional<std::string> cross_site_problem(std::string_view origin, std::string_view sec_fetch_site,
                                              std::string_view host);

// Set the headers every /admin/ answer carries: text/html in UTF-8, a Content-Security-
// Policy allowing no script, no external anything and no framing, nosniff, no referrer,
// no caching.
void set_page_headers(boost::beast::http::fields& fields);

// Return a whole page saying title and text (refusals and errors).
std::string render_message(std::string_view title, std::string_view text);

// What the overview's search form asks for; after is the last name of the page before.
struct DeviceQuery {
  std::string prefix;
  std::string state;  // "", valid, disabled or deleted
  std::string group;  // "" for any group
  std::string after;
};

// Return the overview page: the fleet's counts and charts from summary (the answer of
// mode summary; what it lacks is shown as unknown), and the device table from search
// (the answer of mode search for query), or error (a refusal of that search) in its
// place.
std::string render_overview(const json& summary, const json& search, const DeviceQuery& query,
                            std::string_view error = {});

// Return one device's page from device (the answer of mode get): its facts, the keys
// and certificates its trail names, the trail, and the form that disables or enables
// it carrying csrf_token; notice, when set, is said at the top.
std::string render_device(const json& device, std::string_view csrf_token, std::string_view notice = {});

// A dashboard answer, before HTTP.
struct Page {
  unsigned status = 200;
  std::string html;
  std::string location;          // for a redirect (303)
  std::optional<int> errorcode;  // of the API answer behind the page (log only)
  std::string detail;            // why a request was refused (log only)
};

// What of a POST the dashboard judges.
struct PagePost {
  std::string_view content_type;
  std::string_view origin;
  std::string_view sec_fetch_site;
  std::string_view host;
  std::string_view body;
};

class Dashboard {
public:
  // Serve the pages over devices' operator modes; forms carry tokens of csrf.
  Dashboard(DeviceService& devices, CsrfTokens csrf);

  // Answer GET /admin/?prefix=&state=&group=&after= (target: the request target).
  Page overview(std::string_view target) const;

  // Answer GET /admin/device?name=N[&done=MODE|&refused=ERRORCODE].
  Page device(std::string_view target) const;

  // Answer POST /admin/device (fields name, action disable or enable, csrf): 303 to the
  // device's page, or a refusal page (403 another site or a bad token, 400 a bad form,
  // 415 another body type) that changes nothing.
  Page change_device(const PagePost& post) const;

private:
  // Return the answer of the operator's request; throw ApiError as the API answers.
  json call(const json& request) const;

  DeviceService& m_devices;
  CsrfTokens m_csrf;
};

}  // namespace clm::server
