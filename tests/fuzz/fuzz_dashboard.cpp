// Fuzz what the operator's dashboard reads and writes (server/dashboard): the strict
// form parser (POST bodies and page queries), HTML escaping, URL encoding, the cross-site
// check, and the pages rendered from any JSON. Properties beyond "does not crash": a
// form the parser accepts is within its bounds and re-encodes to the same fields;
// escaping leaves no markup character and is undone exactly; every byte string
// survives url_encode and parse_form; a page rendered from hostile JSON holds no
// element the dashboard does not write itself.
#include "dashboard.hpp"

#include <clm/json_io.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using clm::json;
using namespace clm::server;

void require(bool ok, const char* what)
{
  if (!ok) {
    std::fprintf(stderr, "fuzz_dashboard: property failed: %s\n", what);
    std::abort();
  }
}

// Return text with the five references html_escape writes turned back into characters.
std::string unescape(std::string_view text)
{
  static constexpr std::pair<std::string_view, char> k_refs[] = {
    {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    bool matched = false;
    for (const auto& [ref, c] : k_refs) {
      if (text.substr(i, ref.size()) == ref) {
        out += c;
        i += ref.size();
        matched = true;
        break;
      }
    }
    if (!matched) {
      out += text[i++];
    }
  }
  return out;
}

void fuzz_form(std::string_view s)
{
  FormFields fields;
  try {
    fields = parse_form(s);
  } catch (const FormError& e) {
    require(*e.what() != '\0', "FormError without a message");
    return;
  }
  require(s.size() <= k_form_limit, "a form over the limit was accepted");
  require(fields.size() <= k_form_fields, "more fields than the limit were accepted");
  std::string again;
  for (const auto& [name, value] : fields) {
    require(!name.empty() && name.size() <= 64, "a name out of bounds was accepted");
    require(value.size() <= k_form_value_max, "a value over the limit was accepted");
    again += (again.empty() ? "" : "&") + url_encode(name) + "=" + url_encode(value);
  }
  if (again.size() <= k_form_limit) {
    require(parse_form(again) == fields, "re-encoded fields parse to other fields");
  }
}

void fuzz_encoders(std::string_view s)
{
  const std::string escaped = html_escape(s);
  require(escaped.find_first_of("<>\"'") == std::string::npos, "html_escape left a markup character");
  require(unescape(escaped) == s, "html_escape is not undone by its references");
  const std::string encoded = url_encode(s);
  if (s.size() <= k_form_value_max) {
    require(parse_form("v=" + encoded).at("v") == s, "url_encode and parse_form do not round-trip");
  }
  // The cross-site check on the input split in three at NUL bytes.
  const auto a = s.find('\0');
  const auto b = a == std::string_view::npos ? a : s.find('\0', a + 1);
  if (b != std::string_view::npos) {
    (void)cross_site_problem(s.substr(0, a), s.substr(a + 1, b - a - 1), s.substr(b + 1));
  }
}

// A page from hostile JSON holds only the dashboard's own elements (none of them a
// script or a frame): every '<' of a value was escaped.
void check_page(const std::string& html)
{
  require(html.find("<script") == std::string::npos, "a page holds a script element");
  require(html.find("<iframe") == std::string::npos, "a page holds an iframe");
  require(html.find("<img") == std::string::npos, "a page holds an img element");
}

void fuzz_pages(std::string_view s)
{
  const auto j = clm::parse_json(s);
  const json value = j ? *j : json(std::string(s));
  DeviceQuery q;
  q.prefix = std::string(s.substr(0, 64));
  q.after = std::string(s.substr(0, 64));
  check_page(render_overview(value, value, q));
  check_page(render_overview(json{{"devices", value}, {"credentials", value}, {"per_day", value}},
                             json{{"deviceinfo", json::array({value, json{{"devicename", value}}})}, {"next", value}},
                             q, s));
  check_page(render_device(value, s, s));
  json device{{"devicename", value}, {"status", value}, {"events", json::array({value})}, {"ext_data", value}};
  if (j && j->is_string()) {
    device["status"] = "valid";
    device["devicename"] = *j;
    device["events"] = json::array({json{{"keynumber", *j}, {"api", "KeyInfo"}, {"mode", *j}, {"at", *j}}});
  }
  check_page(render_device(device, s, s));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  fuzz_form(s);
  fuzz_encoders(s);
  fuzz_pages(s);
  return 0;
}
