#include "dashboard.hpp"

#include <clm/crypto.hpp>
#include <clm/file_digest.hpp>
#include <clm/util/hex.hpp>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <utility>
#include <vector>

namespace clm::server {

namespace http = boost::beast::http;

namespace {

constexpr std::int64_t k_day_ms = 24LL * 3600 * 1000;
constexpr std::size_t k_form_name_max = 64;

// The expiry buckets of mode summary, in the order the chart shows them.
struct Bucket {
  const char* key;
  const char* label;
  const char* color;
};
constexpr std::array<Bucket, 6> k_buckets{{{"expired", "expired", "#b42318"},
                                           {"15", "15 days", "#e8590c"},
                                           {"30", "30 days", "#f59f00"},
                                           {"60", "60 days", "#74b816"},
                                           {"90", "90 days", "#37b24d"},
                                           {"later", "later", "#1c7ed6"}}};

constexpr const char* k_style = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2433;background:#f6f7f9}
header{background:#1d2433;color:#fff;padding:10px 24px}
header a{color:#fff;text-decoration:none;font-weight:600}
main{padding:16px 24px;max-width:1100px}
h1{font-size:22px;margin:8px 0 16px}h2{font-size:17px;margin:24px 0 8px}
.tiles{display:flex;gap:12px;flex-wrap:wrap}
.tile{background:#fff;border:1px solid #d9dde3;border-radius:6px;padding:10px 16px;min-width:110px}
.tile .n{display:block;font-size:24px;font-weight:600}.tile .l{color:#5c6370}
table{border-collapse:collapse;background:#fff;width:100%}
th,td{border:1px solid #d9dde3;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef0f3}
td.st-valid{color:#2b8a3e}td.st-disabled{color:#e8590c}td.st-deleted{color:#b42318}
.notice{background:#e7f5ff;border:1px solid #74c0fc;padding:8px 12px;border-radius:4px}
.error{background:#fff5f5;border:1px solid #ffa8a8;padding:8px 12px;border-radius:4px}
form.search{margin:8px 0;display:flex;gap:8px;align-items:end;flex-wrap:wrap}
form.search label{display:flex;flex-direction:column;font-size:12px;color:#5c6370}
.pager{margin:8px 0;display:flex;gap:16px}
svg text{font:11px system-ui,sans-serif;fill:#1d2433}
code{font-size:12px;word-break:break-all}
button{font:inherit;padding:4px 12px}
)";

// Return the string field key of j, or "" when j is no object or the field is no string.
std::string text_of(const json& j, const char* key)
{
  if (!j.is_object()) {
    return {};
  }
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Return whether text is 1..18 decimal digits (a count or a time the API wrote).
bool is_digits(std::string_view text)
{
  return !text.empty() && text.size() <= 18 && text.find_first_not_of("0123456789") == std::string_view::npos;
}

// Return the count the field key of j holds (a string of digits, as the API writes
// numbers), or nullopt when it holds none.
std::optional<std::int64_t> count_of(const json& j, const char* key)
{
  const std::string text = text_of(j, key);
  if (!is_digits(text)) {
    return std::nullopt;
  }
  return std::stoll(text);
}

// Return a time the API wrote (milliseconds since 1970 as digits) as "YYYY-MM-DD
// HH:MM UTC", "" for none, or the text itself when it is no such time.
std::string format_time(const std::string& ms)
{
  if (!is_digits(ms) || ms.size() > 15) {
    return ms;
  }
  const std::time_t t = static_cast<std::time_t>(std::stoll(ms) / 1000);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) {
    return ms;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d UTC", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min);
  return buf;
}

// Return the page around body: head (title, inline style) and the header bar.
std::string page(std::string_view title, const std::string& body)
{
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                    "<title>clm: ";
  out += html_escape(title);
  out += "</title><style>";
  out += k_style;
  out += "</style></head>\n<body><header><a href=\"/admin/\">clm fleet dashboard</a></header>\n<main>\n";
  out += body;
  out += "</main></body></html>\n";
  return out;
}

// Return the link to the overview for query with after replaced.
std::string overview_link(const DeviceQuery& q, std::string_view after)
{
  std::string link = "/admin/";
  char sep = '?';
  auto add = [&](const char* name, std::string_view value) {
    if (!value.empty()) {
      link += sep;
      link += name;
      link += '=';
      link += url_encode(value);
      sep = '&';
    }
  };
  add("prefix", q.prefix);
  add("state", q.state);
  add("group", q.group);
  add("after", after);
  return link;
}

std::string device_link(std::string_view name)
{
  return "/admin/device?name=" + url_encode(name);
}

// Return a count tile; id names the element holding the number.
std::string tile(const char* id, const std::optional<std::int64_t>& n, const char* label)
{
  return std::string("<div class=\"tile\"><span class=\"n\" id=\"") + id + "\">"
         + (n ? std::to_string(*n) : std::string("?")) + "</span><span class=\"l\">" + label + "</span></div>\n";
}

// Return the bar chart of credentials by expiry bucket, or a line saying it is not available.
std::string bucket_chart(const json& credentials)
{
  if (!credentials.is_object()) {
    return "<p id=\"buckets-missing\">Not in the fleet summary.</p>\n";
  }
  constexpr int k_width = 560, k_top = 22, k_plot = 150, k_slot = 90, k_bar = 56;
  std::array<std::int64_t, k_buckets.size()> values{};
  std::int64_t max = 1, total = 0;
  for (std::size_t i = 0; i < k_buckets.size(); ++i) {
    values[i] = count_of(credentials, k_buckets[i].key).value_or(0);
    max = std::max(max, values[i]);
    total += values[i];
  }
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(k_width)
                    + "\" height=\"210\" viewBox=\"0 0 " + std::to_string(k_width)
                    + " 210\" role=\"img\" aria-label=\"valid keys and certificates by time left until they expire\">\n";
  for (std::size_t i = 0; i < k_buckets.size(); ++i) {
    const std::int64_t v = values[i];
    const int h = v == 0 ? 0 : std::max(1, static_cast<int>(v * k_plot / max));
    const int x = 10 + static_cast<int>(i) * k_slot + (k_slot - k_bar) / 2;
    const int y = k_top + k_plot - h;
    const int cx = x + k_bar / 2;
    svg += "<rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y) + "\" width=\"" + std::to_string(k_bar)
           + "\" height=\"" + std::to_string(h) + "\" fill=\"" + k_buckets[i].color + "\"><title>"
           + k_buckets[i].label + ": " + std::to_string(v) + "</title></rect>\n";
    svg += "<text x=\"" + std::to_string(cx) + "\" y=\"" + std::to_string(y - 4)
           + "\" text-anchor=\"middle\" id=\"bucket-" + k_buckets[i].key + "\">" + std::to_string(v) + "</text>\n";
    svg += "<text x=\"" + std::to_string(cx) + "\" y=\"" + std::to_string(k_top + k_plot + 18)
           + "\" text-anchor=\"middle\">" + (i == 0 || i + 1 == k_buckets.size() ? "" : "&#8804; ")
           + k_buckets[i].label + "</text>\n";
  }
  svg += "<line x1=\"10\" x2=\"" + std::to_string(k_width - 10) + "\" y1=\"" + std::to_string(k_top + k_plot)
         + "\" y2=\"" + std::to_string(k_top + k_plot) + "\" stroke=\"#5c6370\"/>\n</svg>\n";
  return svg + "<p>" + std::to_string(total)
         + " valid keys and certificates, by time left until they expire.</p>\n";
}

// Return the chart of keys and certificates issued and rotated per day, or a line saying
// it is not available.
std::string per_day_chart(const json& per_day)
{
  if (!per_day.is_array()) {
    return "<p id=\"per-day-missing\">Not in the fleet summary.</p>\n";
  }
  constexpr int k_left = 44, k_top = 24, k_plot = 150, k_slot = 22;
  const std::size_t days = std::min<std::size_t>(per_day.size(), 60);
  std::int64_t max = 1, issued_total = 0, rotated_total = 0;
  for (std::size_t i = 0; i < days; ++i) {
    max = std::max({max, count_of(per_day[i], "issued").value_or(0), count_of(per_day[i], "rotated").value_or(0)});
  }
  const int width = k_left + static_cast<int>(days) * k_slot + 10;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width)
                    + "\" height=\"215\" viewBox=\"0 0 " + std::to_string(width)
                    + " 215\" role=\"img\" aria-label=\"keys and certificates issued and rotated per day\">\n";
  const int base = k_top + k_plot;
  svg += "<text x=\"" + std::to_string(k_left - 4) + "\" y=\"" + std::to_string(k_top + 4)
         + "\" text-anchor=\"end\">" + std::to_string(max) + "</text>\n";
  svg += "<text x=\"" + std::to_string(k_left - 4) + "\" y=\"" + std::to_string(base)
         + "\" text-anchor=\"end\">0</text>\n";
  svg += "<rect x=\"" + std::to_string(k_left) + "\" y=\"4\" width=\"10\" height=\"10\" fill=\"#1c7ed6\"/>"
         "<text x=\"" + std::to_string(k_left + 14) + "\" y=\"13\">issued</text>"
         "<rect x=\"" + std::to_string(k_left + 70) + "\" y=\"4\" width=\"10\" height=\"10\" fill=\"#f59f00\"/>"
         "<text x=\"" + std::to_string(k_left + 84) + "\" y=\"13\">of them rotations</text>\n";
  for (std::size_t i = 0; i < days; ++i) {
    const json& d = per_day[i];
    const std::string day = text_of(d, "day");
    const std::int64_t issued = count_of(d, "issued").value_or(0);
    const std::int64_t rotated = count_of(d, "rotated").value_or(0);
    issued_total += issued;
    rotated_total += rotated;
    const int x = k_left + static_cast<int>(i) * k_slot;
    const std::string tip = html_escape(day) + ": " + std::to_string(issued) + " issued, "
                            + std::to_string(rotated) + " rotated";
    const std::pair<std::int64_t, const char*> bars[] = {{issued, "#1c7ed6"}, {rotated, "#f59f00"}};
    for (int b = 0; b < 2; ++b) {
      const std::int64_t v = bars[b].first;
      const int h = v == 0 ? 0 : std::max(1, static_cast<int>(v * k_plot / max));
      svg += "<rect x=\"" + std::to_string(x + 2 + b * 9) + "\" y=\"" + std::to_string(base - h)
             + "\" width=\"9\" height=\"" + std::to_string(h) + "\" fill=\"" + bars[b].second + "\"><title>" + tip
             + "</title></rect>\n";
    }
    if (i % 5 == 0 || i + 1 == days) {
      // Month and day of YYYY-MM-DD.
      const std::string label = day.size() == 10 ? day.substr(5) : day.substr(0, 10);
      svg += "<text x=\"" + std::to_string(x + 11) + "\" y=\"" + std::to_string(base + 16)
             + "\" text-anchor=\"middle\">" + html_escape(label) + "</text>\n";
    }
  }
  svg += "<line x1=\"" + std::to_string(k_left) + "\" x2=\"" + std::to_string(width - 10) + "\" y1=\""
         + std::to_string(base) + "\" y2=\"" + std::to_string(base) + "\" stroke=\"#5c6370\"/>\n</svg>\n";
  return svg + "<p><span id=\"issued-total\">" + std::to_string(issued_total)
         + "</span> keys and certificates issued in these " + std::to_string(days) + " days (UTC), <span id=\"rotated-total\">"
         + std::to_string(rotated_total) + "</span> of them by a rotation.</p>\n";
}

std::string option(std::string_view value, std::string_view label, std::string_view selected)
{
  return "<option value=\"" + html_escape(value) + "\"" + (value == selected ? " selected" : "") + ">"
         + html_escape(label) + "</option>";
}

std::string device_table(const json& search, const DeviceQuery& q)
{
  const json empty = json::array();
  const json* devices = &empty;
  if (search.is_object()) {
    if (const auto it = search.find("deviceinfo"); it != search.end() && it->is_array()) {
      devices = &*it;
    }
  }
  std::string out = "<table id=\"devices\"><thead><tr><th>Device name</th><th>State</th><th>Group</th>"
                    "<th>Registration expires</th><th>Registered</th><th>Owner ID</th></tr></thead><tbody>\n";
  for (const json& d : *devices) {
    const std::string name = text_of(d, "devicename");
    const std::string status = text_of(d, "status");
    out += "<tr><td><a href=\"" + html_escape(device_link(name)) + "\">" + html_escape(name) + "</a></td>"
           + "<td class=\"st-" + html_escape(status) + "\">" + html_escape(status) + "</td><td>"
           + html_escape(text_of(d, "group")) + "</td><td>" + html_escape(format_time(text_of(d, "expires")))
           + "</td><td>" + html_escape(format_time(text_of(d, "created"))) + "</td><td>"
           + html_escape(text_of(d, "owner")) + "</td></tr>\n";
  }
  if (devices->empty()) {
    out += "<tr><td colspan=\"6\">No device matches.</td></tr>\n";
  }
  out += "</tbody></table>\n<div class=\"pager\">";
  if (!q.after.empty()) {
    out += "<a id=\"first-page\" href=\"" + html_escape(overview_link(q, "")) + "\">First page</a>";
  }
  const std::string next = text_of(search, "next");
  if (!next.empty()) {
    out += "<a id=\"next-page\" href=\"" + html_escape(overview_link(q, next)) + "\">Next "
           + std::to_string(k_dashboard_page) + " devices</a>";
  }
  out += "</div>\n";
  return out;
}

// Return the page of a refusal or failure.
Page message_page(unsigned status, std::string_view title, std::string_view text, std::string detail = {})
{
  Page p;
  p.status = status;
  p.html = render_message(title, text);
  p.detail = std::move(detail);
  return p;
}

// Return the query string of target ("" when it has none).
std::string_view query_of(std::string_view target)
{
  const auto q = target.find('?');
  return q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
}

std::string field(const FormFields& fields, std::string_view name)
{
  const auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

// Return what the device page says about an operator's change that was refused.
std::string refusal_text(const std::string& errorcode)
{
  if (errorcode == "1706") {
    return "No device has this name (errorcode 1706).";
  }
  if (errorcode == "1708") {
    return "Not changed: the device is disabled already (errorcode 1708).";
  }
  if (errorcode == "1709") {
    return "Not changed: the device is enabled already (errorcode 1709).";
  }
  if (errorcode == "1710") {
    return "Not changed: the device is deleted (errorcode 1710).";
  }
  return "Not changed (errorcode " + errorcode + ").";
}

}  // namespace

std::string html_escape(std::string_view text)
{
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

std::string url_encode(std::string_view text)
{
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
        || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += k_hex[c >> 4];
      out += k_hex[c & 0xf];
    }
  }
  return out;
}

namespace {

// Return the form-decoded text ('+' a space, %XX a byte); throw FormError on a bad
// escape or a result over max bytes.
std::string form_decode(std::string_view text, std::size_t max, const char* what)
{
  std::string out;
  out.reserve(std::min(text.size(), max));
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      const bool room = i + 2 < text.size();
      const int hi = room ? util::hex_digit_value(text[i + 1]) : -1;
      const int lo = room ? util::hex_digit_value(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        throw FormError(std::string("a '%' in a field ") + what + " is not followed by two hex digits");
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c == '+' ? ' ' : c;
    }
    if (out.size() > max) {
      throw FormError(std::string("a field ") + what + " is longer than " + std::to_string(max) + " bytes");
    }
  }
  return out;
}

}  // namespace

FormFields parse_form(std::string_view text)
{
  if (text.size() > k_form_limit) {
    throw FormError("the form is longer than " + std::to_string(k_form_limit) + " bytes");
  }
  FormFields fields;
  if (text.empty()) {
    return fields;
  }
  for (;;) {
    const auto amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.empty() || eq == std::string_view::npos || eq == 0) {
      throw FormError("the form holds a field that is not NAME=VALUE");
    }
    if (fields.size() == k_form_fields) {
      throw FormError("the form holds more than " + std::to_string(k_form_fields) + " fields");
    }
    std::string name = form_decode(pair.substr(0, eq), k_form_name_max, "name");
    std::string value = form_decode(pair.substr(eq + 1), k_form_value_max, "value");
    if (!fields.emplace(std::move(name), std::move(value)).second) {
      throw FormError("the form names a field twice");
    }
    if (amp == std::string_view::npos) {
      return fields;
    }
    text.remove_prefix(amp + 1);
  }
}

CsrfTokens::CsrfTokens(std::string secret, std::string_view admin_key, Clock clock)
  : m_secret(std::move(secret)), m_key_digest(util::hex_encode(sha256(admin_key))), m_clock(std::move(clock))
{
}

std::string CsrfTokens::token_of_day(std::int64_t day) const
{
  return hmac_sha256_hex("csrf|" + m_key_digest + "|" + std::to_string(day), m_secret);
}

std::string CsrfTokens::token() const
{
  return token_of_day(m_clock() / k_day_ms);
}

bool CsrfTokens::check(std::string_view token) const
{
  const std::int64_t today = m_clock() / k_day_ms;
  // Both days are compared, whichever matches, so the time taken says nothing.
  const bool now = constant_time_equal(token, token_of_day(today));
  const bool before = constant_time_equal(token, token_of_day(today - 1));
  return now || before;
}

std::optional<std::string> cross_site_problem(std::string_view origin, std::string_view sec_fetch_site,
                                              std::string_view host)
{
  if (!sec_fetch_site.empty() && sec_fetch_site != "same-origin" && sec_fetch_site != "none") {
    return "Sec-Fetch-Site says " + std::string(sec_fetch_site.substr(0, 32));
  }
  if (origin.empty()) {
    return std::nullopt;
  }
  // Under the pages' Referrer-Policy no-referrer a browser sends "Origin: null" with the
  // form; then its Sec-Fetch-Site, which a page cannot set, says whose form it was.
  if (origin == "null") {
    return sec_fetch_site == "same-origin" ? std::nullopt
                                           : std::optional<std::string>("Origin null without Sec-Fetch-Site same-origin");
  }
  if (host.empty() || origin != "https://" + std::string(host)) {
    return "Origin " + std::string(origin.substr(0, 64)) + " is not this server";
  }
  return std::nullopt;
}

void set_page_headers(http::fields& fields)
{
  fields.set(http::field::content_type, "text/html; charset=utf-8");
  fields.set("Content-Security-Policy",
             "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
             "frame-ancestors 'none'");
  fields.set("X-Content-Type-Options", "nosniff");
  fields.set("Referrer-Policy", "no-referrer");
  fields.set(http::field::cache_control, "no-store");
}

std::string render_message(std::string_view title, std::string_view text)
{
  return page(title, "<h1>" + html_escape(title) + "</h1>\n<p class=\"error\" id=\"message\">" + html_escape(text)
                       + "</p>\n<p><a href=\"/admin/\">Back to the fleet</a></p>\n");
}

std::string render_overview(const json& summary, const json& search, const DeviceQuery& query, std::string_view error)
{
  const json none;
  const json& devices = summary.is_object() && summary.contains("devices") ? summary["devices"] : none;
  const json& credentials = summary.is_object() && summary.contains("credentials") ? summary["credentials"] : none;
  const json& per_day = summary.is_object() && summary.contains("per_day") ? summary["per_day"] : none;
  const auto valid = count_of(devices, "valid");
  const auto disabled = count_of(devices, "disabled");
  const auto deleted = count_of(devices, "deleted");
  std::optional<std::int64_t> total;
  if (valid && disabled && deleted) {
    total = *valid + *disabled + *deleted;
  }
  std::string body = "<h1>Fleet</h1>\n<section class=\"tiles\">\n";
  body += tile("count-total", total, "devices");
  body += tile("count-valid", valid, "valid");
  body += tile("count-disabled", disabled, "disabled");
  body += tile("count-deleted", deleted, "deleted");
  body += tile("count-expired", count_of(devices, "expired"), "valid, registration expired");
  body += "</section>\n<h2>Keys and certificates by expiry</h2>\n";
  body += bucket_chart(credentials);
  body += "<h2>Issued per day, last 30 days</h2>\n";
  body += per_day_chart(per_day);
  body += "<h2>Devices</h2>\n<form class=\"search\" method=\"get\" action=\"/admin/\">"
          "<label>Name starts with<input name=\"prefix\" id=\"search-prefix\" maxlength=\"64\" value=\""
          + html_escape(query.prefix) + "\"></label><label>State<select name=\"state\" id=\"search-state\">"
          + option("", "any", query.state) + option("valid", "valid", query.state)
          + option("disabled", "disabled", query.state) + option("deleted", "deleted", query.state)
          + "</select></label><label>Group<input name=\"group\" id=\"search-group\" maxlength=\"64\" value=\""
          + html_escape(query.group) + "\"></label><button type=\"submit\">Search</button></form>\n";
  if (!error.empty()) {
    body += "<p class=\"error\" id=\"message\">" + html_escape(error) + "</p>\n";
  } else {
    body += device_table(search, query);
  }
  return page("fleet", body);
}

std::string render_device(const json& device, std::string_view csrf_token, std::string_view notice)
{
  const std::string name = text_of(device, "devicename");
  const std::string status = text_of(device, "status");
  std::string body = "<p><a href=\"/admin/\">Fleet</a></p>\n<h1>Device <span id=\"device-name\">" + html_escape(name)
                     + "</span></h1>\n";
  if (!notice.empty()) {
    body += "<p class=\"notice\" id=\"notice\">" + html_escape(notice) + "</p>\n";
  }
  std::string ext = "{}";
  if (device.is_object() && device.contains("ext_data")) {
    ext = dump_json(device["ext_data"]);
  }
  auto row = [](const char* label, const std::string& value, const char* id = nullptr, const std::string& cls = {}) {
    return std::string("<tr><th>") + label + "</th><td" + (id ? std::string(" id=\"") + id + "\"" : std::string())
           + (cls.empty() ? std::string() : " class=\"" + html_escape(cls) + "\"") + ">" + html_escape(value)
           + "</td></tr>\n";
  };
  body += "<table class=\"facts\">\n";
  body += row("State", status, "device-status", "st-" + status);
  body += row("Device ID", text_of(device, "deviceid"), "device-id");
  body += row("Group", text_of(device, "group"));
  body += row("IP address", text_of(device, "ipaddress"));
  body += row("MAC address", text_of(device, "macaddress"));
  body += row("Registration expires", format_time(text_of(device, "expires")));
  body += row("Registered", format_time(text_of(device, "created")));
  body += row("Owner ID", text_of(device, "owner"));
  body += "<tr><th>ext_data</th><td><code>" + html_escape(ext) + "</code></td></tr>\n</table>\n";

  // Disable or enable: a POST form carrying the token; a deleted device takes neither.
  const char* action = status == "valid" ? "disable" : status == "disabled" ? "enable" : nullptr;
  if (action) {
    body += std::string("<form method=\"post\" action=\"/admin/device\"><input type=\"hidden\" name=\"name\" value=\"")
            + html_escape(name) + "\"><input type=\"hidden\" name=\"action\" value=\"" + action
            + "\"><input type=\"hidden\" name=\"csrf\" value=\"" + html_escape(csrf_token) + "\"><p><button type=\"submit\" id=\""
            + action + "-button\">" + (status == "valid" ? "Disable this device" : "Enable this device")
            + "</button></p></form>\n";
  }

  const json none = json::array();
  const json& events = device.is_object() && device.contains("events") && device["events"].is_array()
                         ? device["events"]
                         : none;
  // The keys and certificates the trail names, by key number: the kind, and the newest event.
  struct Seen {
    std::string kind;
    std::string mode;
    std::string at;
  };
  std::vector<std::pair<std::string, Seen>> seen;
  for (const json& e : events) {
    const std::string keynumber = text_of(e, "keynumber");
    if (keynumber.empty()) {
      continue;
    }
    const std::string api = text_of(e, "api");
    const std::string mode = text_of(e, "mode");
    std::string kind = api == "KeyInfo" ? "key" : api == "CredInfo" ? "certificate" : "";
    if (api == "DeviceInfo") {
      kind = mode == "revoke" ? "certificate" : mode == "delete" ? "key" : "";
    }
    auto it = std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == keynumber; });
    if (it == seen.end()) {
      seen.push_back({keynumber, Seen{kind, mode, text_of(e, "at")}});
    } else {
      it->second.mode = mode;
      it->second.at = text_of(e, "at");
      if (it->second.kind.empty()) {
        it->second.kind = kind;
      }
    }
  }
  std::sort(seen.begin(), seen.end(), [](const auto& a, const auto& b) {
    return a.first.size() != b.first.size() ? a.first.size() < b.first.size() : a.first < b.first;
  });
  body += "<h2>Keys and certificates in its trail</h2>\n<table id=\"credentials\"><thead><tr><th>Key number</th>"
          "<th>Kind</th><th>Last call</th><th>At</th></tr></thead><tbody>\n";
  for (const auto& [keynumber, s] : seen) {
    body += "<tr><td>" + html_escape(keynumber) + "</td><td>" + html_escape(s.kind) + "</td><td>"
            + html_escape(s.mode) + "</td><td>" + html_escape(format_time(s.at)) + "</td></tr>\n";
  }
  if (seen.empty()) {
    body += "<tr><td colspan=\"4\">None in the events shown below.</td></tr>\n";
  }
  body += "</tbody></table>\n<h2>Audit trail, newest first</h2>\n<table id=\"trail\"><thead><tr><th>At</th>"
          "<th>API</th><th>Mode</th><th>Key number</th><th>By</th></tr></thead><tbody>\n";
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    body += "<tr><td>" + html_escape(format_time(text_of(*it, "at"))) + "</td><td>" + html_escape(text_of(*it, "api"))
            + "</td><td>" + html_escape(text_of(*it, "mode")) + "</td><td>" + html_escape(text_of(*it, "keynumber"))
            + "</td><td>" + html_escape(text_of(*it, "by")) + "</td></tr>\n";
  }
  if (events.empty()) {
    body += "<tr><td colspan=\"5\">No events.</td></tr>\n";
  }
  body += "</tbody></table>\n<p>The trail shows the device's newest " + std::to_string(events.size())
          + " events (the API answers at most 100).</p>\n";
  return page("device " + name, body);
}

Dashboard::Dashboard(DeviceService& devices, CsrfTokens csrf) : m_devices(devices), m_csrf(std::move(csrf)) {}

json Dashboard::call(const json& request) const
{
  ApiResponse r = m_devices.post(dump_json(request), Caller::admin);
  if (r.status != 200) {
    throw ApiError{9901, "the operator's request was answered HTTP " + std::to_string(r.status)};
  }
  return std::move(r.body);
}

Page Dashboard::overview(std::string_view target) const
{
  DeviceQuery q;
  try {
    const FormFields f = parse_form(query_of(target));
    q.prefix = field(f, "prefix");
    q.state = field(f, "state");
    q.group = field(f, "group");
    q.after = field(f, "after");
  } catch (const FormError& e) {
    return message_page(400, "Bad request", std::string("The query is refused: ") + e.what() + ".", e.what());
  }
  const json counts = call(json{{"mode", "summary"}});
  json request{{"mode", "search"}, {"limit", std::to_string(k_dashboard_page)}};
  for (const auto& [name, value] : {std::pair<const char*, const std::string&>{"prefix", q.prefix},
                                    {"status", q.state}, {"group", q.group}, {"after", q.after}}) {
    if (!value.empty()) {
      request[name] = value;
    }
  }
  Page p;
  try {
    p.html = render_overview(counts, call(request), q);
    p.errorcode = 0;
  } catch (const ApiError& e) {
    if (e.errorcode != 1104) {
      throw;
    }
    p.status = 400;
    p.errorcode = e.errorcode;
    p.detail = e.detail;
    p.html = render_overview(counts, json(), q, "The search is refused (errorcode 1104): " + e.detail + ".");
  }
  return p;
}

Page Dashboard::device(std::string_view target) const
{
  FormFields f;
  try {
    f = parse_form(query_of(target));
  } catch (const FormError& e) {
    return message_page(400, "Bad request", std::string("The query is refused: ") + e.what() + ".", e.what());
  }
  const std::string name = field(f, "name");
  if (name.empty()) {
    return message_page(400, "Bad request", "Which device? The query names none (name=).", "no name");
  }
  std::string notice;
  if (const std::string done = field(f, "done"); done == "disable") {
    notice = "Disabled: every request for this device now fails with errorcode 1704 until it is enabled.";
  } else if (done == "enable") {
    notice = "Enabled: the device's requests are served again.";
  } else if (const std::string refused = field(f, "refused"); is_digits(refused) && refused.size() <= 4) {
    notice = refusal_text(refused);
  }
  Page p;
  try {
    p.html = render_device(call(json{{"mode", "get"}, {"devicename", name}}), m_csrf.token(), notice);
    p.errorcode = 0;
  } catch (const ApiError& e) {
    if (e.errorcode == 1706) {
      Page missing = message_page(404, "No such device", "No device is named " + name + ".", e.detail);
      missing.errorcode = e.errorcode;
      return missing;
    }
    if (e.errorcode != 1104) {
      throw;
    }
    Page bad = message_page(400, "Bad request", "That is not a device name: " + e.detail + ".", e.detail);
    bad.errorcode = e.errorcode;
    return bad;
  }
  return p;
}

Page Dashboard::change_device(const PagePost& post) const
{
  if (const auto problem = cross_site_problem(post.origin, post.sec_fetch_site, post.host)) {
    return message_page(403, "Refused", "This form was sent from another site; nothing was changed.", *problem);
  }
  const std::string_view type = post.content_type.substr(0, post.content_type.find(';'));
  if (!boost::beast::iequals(type, "application/x-www-form-urlencoded")) {
    return message_page(415, "Refused", "The form must be sent as application/x-www-form-urlencoded.",
                        "Content-Type is not a form");
  }
  FormFields f;
  try {
    f = parse_form(post.body);
  } catch (const FormError& e) {
    return message_page(400, "Bad request", std::string("The form is refused: ") + e.what() + ".", e.what());
  }
  if (!m_csrf.check(field(f, "csrf"))) {
    return message_page(403, "Refused",
                        "The form's token is missing or out of date; nothing was changed. Load the device's page "
                        "again and repeat.",
                        "CSRF token missing or wrong");
  }
  const std::string name = field(f, "name");
  const std::string action = field(f, "action");
  if (name.empty() || (action != "disable" && action != "enable")) {
    return message_page(400, "Bad request", "The form needs a device name and the action disable or enable.",
                        "no name or no action");
  }
  Page p;
  p.status = 303;
  try {
    call(json{{"mode", action}, {"devicename", name}});
    p.errorcode = 0;
    p.location = device_link(name) + "&done=" + action;
  } catch (const ApiError& e) {
    if (e.errorcode < 1706 || e.errorcode > 1710) {
      Page bad = message_page(400, "Bad request", "The device cannot be changed: " + e.detail + ".", e.detail);
      bad.errorcode = e.errorcode;
      return bad;
    }
    p.errorcode = e.errorcode;
    p.detail = e.detail;
    p.location = device_link(name) + "&refused=" + std::to_string(e.errorcode);
  }
  p.html = render_message("See the device", "The device's page is at " + p.location + ".");
  return p;
}

}  // namespace clm::server
