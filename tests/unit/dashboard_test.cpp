// Tests of the operator's dashboard (server/dashboard): HTML escaping with hostile
// names, URL encoding, the strict form parser, the CSRF tokens and the cross-site check,
// pages rendered from canned operator answers, and the pages through the router over a
// real data directory (admin key, headers, a disable by form with and without a token).
#include "dashboard.hpp"
#include "router_fixture.hpp"

#include <clm/config.hpp>
#include <clm/crypto.hpp>
#include <clm/json_io.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace {

using clm::json;
using clm::server::CsrfTokens;
using clm::server::FormError;
using clm::server::html_escape;
using clm::server::parse_form;
using clm::server::url_encode;
namespace http = boost::beast::http;

constexpr const char* k_hostile = R"(<script>alert("x")</script> 'q' & co)";
constexpr std::int64_t k_day_ms = 24LL * 3600 * 1000;

// Return how often needle occurs in haystack.
std::size_t count_of(const std::string& haystack, const std::string& needle)
{
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

TEST(HtmlEscape, writes_the_five_special_characters_as_references_and_keeps_everything_else)
{
  EXPECT_EQ(html_escape(k_hostile),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &#39;q&#39; &amp; co");
  EXPECT_EQ(html_escape("&amp;"), "&amp;amp;");
  EXPECT_EQ(html_escape(""), "");
  std::string plain;
  for (const char c : clm::test::all_byte_values()) {
    if (c != '&' && c != '<' && c != '>' && c != '"' && c != '\'') {
      plain += c;
    }
  }
  EXPECT_EQ(html_escape(plain), plain);
  const std::string escaped = html_escape(clm::test::all_byte_values());
  EXPECT_EQ(escaped.find_first_of("<>\"'"), std::string::npos);
}

TEST(UrlEncode, keeps_unreserved_characters_and_escapes_every_other_byte)
{
  EXPECT_EQ(url_encode("dev-01_a.b~c"), "dev-01_a.b~c");
  EXPECT_EQ(url_encode("a b/c?d=e&f+g%"), "a%20b%2Fc%3Fd%3De%26f%2Bg%25");
  EXPECT_EQ(url_encode(std::string("\r\n\0\xff", 4)), "%0D%0A%00%FF");
  const std::string encoded = url_encode(clm::test::all_byte_values());
  EXPECT_EQ(encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%"),
            std::string::npos);
}

TEST(ParseForm, reads_fields_with_plus_as_space_and_percent_escapes)
{
  const auto f = parse_form("name=dev%3Cone%3E+two&action=disable&csrf=ab12&empty=");
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f.at("name"), "dev<one> two");
  EXPECT_EQ(f.at("action"), "disable");
  EXPECT_EQ(f.at("csrf"), "ab12");
  EXPECT_EQ(f.at("empty"), "");
  EXPECT_TRUE(parse_form("").empty());
  EXPECT_EQ(parse_form("a%2Bb=c%2bd").at("a+b"), "c+d");
}

TEST(ParseForm, round_trips_every_byte_value_through_url_encode)
{
  const std::string bytes = clm::test::all_byte_values();
  const auto f = parse_form("v=" + url_encode(bytes) + "&" + url_encode("n a&m=e") + "=x");
  EXPECT_EQ(f.at("v"), bytes);
  EXPECT_EQ(f.at("n a&m=e"), "x");
}

TEST(ParseForm, refuses_malformed_and_oversized_forms)
{
  for (const char* bad : {"a", "=b", "a=1&", "&", "&a=1", "a=1&&b=2", "a=%4", "a=%", "a=%zz", "a=%g0", "%=1",
                          "a=1&a=2", "a=1&b=2&a=3"}) {
    EXPECT_THROW(parse_form(bad), FormError) << bad;
  }
  std::string many;
  for (std::size_t i = 0; i <= clm::server::k_form_fields; ++i) {
    many += (i ? "&f" : "f") + std::to_string(i) + "=1";
  }
  EXPECT_THROW(parse_form(many), FormError);
  EXPECT_NO_THROW(parse_form(many.substr(0, many.rfind('&'))));
  EXPECT_NO_THROW(parse_form("v=" + std::string(clm::server::k_form_value_max, 'x')));
  EXPECT_THROW(parse_form("v=" + std::string(clm::server::k_form_value_max + 1, 'x')), FormError);
  EXPECT_THROW(parse_form(std::string(65, 'n') + "=1"), FormError);
  EXPECT_THROW(parse_form("v=" + std::string(clm::server::k_form_limit, 'x')), FormError);
  try {
    parse_form("a=%zz");
  } catch (const FormError& e) {
    EXPECT_NE(std::string(e.what()).find("two hex digits"), std::string::npos);
  }
}

TEST(CsrfTokens, accept_todays_and_yesterdays_token_only_for_the_same_secret_and_admin_key)
{
  std::int64_t now = 20000 * k_day_ms + 5;
  const auto clock = [&] { return now; };
  const CsrfTokens tokens("secret-0123456789abcdef0123456789", "ADMIN-KEY", clock);
  const std::string today = tokens.token();
  EXPECT_EQ(today.size(), 64u);
  EXPECT_EQ(today.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_TRUE(tokens.check(today));
  EXPECT_FALSE(tokens.check(""));
  EXPECT_FALSE(tokens.check(today.substr(0, 63)));
  std::string flipped = today;
  flipped[10] = flipped[10] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(tokens.check(flipped));
  EXPECT_FALSE(CsrfTokens("another-secret", "ADMIN-KEY", clock).check(today));
  EXPECT_FALSE(CsrfTokens("secret-0123456789abcdef0123456789", "OTHER-KEY", clock).check(today));
  now += k_day_ms;  // the next day: yesterday's token still works
  EXPECT_NE(tokens.token(), today);
  EXPECT_TRUE(tokens.check(today));
  now += k_day_ms;  // two days on: it does not
  EXPECT_FALSE(tokens.check(today));
}

TEST(CrossSite, refuses_another_origin_or_a_cross_site_fetch_and_lets_header_less_posts_through)
{
  using clm::server::cross_site_problem;
  EXPECT_FALSE(cross_site_problem("", "", "127.0.0.1:8443"));
  EXPECT_FALSE(cross_site_problem("https://127.0.0.1:8443", "same-origin", "127.0.0.1:8443"));
  EXPECT_FALSE(cross_site_problem("", "none", ""));
  EXPECT_TRUE(cross_site_problem("https://evil.example", "", "127.0.0.1:8443"));
  EXPECT_TRUE(cross_site_problem("http://127.0.0.1:8443", "", "127.0.0.1:8443"));
  EXPECT_TRUE(cross_site_problem("https://127.0.0.1:9443", "", "127.0.0.1:8443"));
  EXPECT_TRUE(cross_site_problem("null", "", "127.0.0.1:8443"));
  EXPECT_TRUE(cross_site_problem("null", "none", "127.0.0.1:8443"));
  // What Chromium sends with a form of a page under Referrer-Policy no-referrer.
  EXPECT_FALSE(cross_site_problem("null", "same-origin", "127.0.0.1:8443"));
  EXPECT_TRUE(cross_site_problem("https://evil.example", "same-origin", "127.0.0.1:8443"));
  EXPECT_TRUE(cross_site_problem("https://127.0.0.1:8443", "", ""));
  EXPECT_TRUE(cross_site_problem("", "cross-site", "127.0.0.1:8443"));
  EXPECT_TRUE(cross_site_problem("", "same-site", "127.0.0.1:8443"));
}

json canned_summary()
{
  return json::parse(R"({"errorcode":0,
    "devices":{"valid":"1234","disabled":"56","deleted":"7","expired":"3"},
    "credentials":{"expired":"2","15":"11","30":"0","60":"40","90":"5","later":"900"},
    "per_day":[{"day":"2026-11-01","issued":"10","rotated":"2"},{"day":"2026-11-02","issued":"0","rotated":"0"},
               {"day":"2026-11-03","issued":"25","rotated":"25"}]})");
}

json canned_search()
{
  json d1{{"devicename", k_hostile}, {"deviceid", "D1"}, {"status", "valid"}, {"group", "<g>"},
          {"expires", ""}, {"created", "1767225600000"}, {"owner", "0000000001"}};
  json d2{{"devicename", "plain-02"}, {"deviceid", "D2"}, {"status", "disabled"}, {"group", ""},
          {"expires", "1798761600000"}, {"created", "1767225600000"}, {"owner", ""}};
  return json{{"errorcode", 0}, {"deviceinfo", json::array({d1, d2})}, {"next", "plain-02 & <more>"}};
}

TEST(RenderOverview, shows_the_counts_charts_and_rows_with_every_value_escaped)
{
  clm::server::DeviceQuery q;
  q.prefix = "p\"><script>";
  const std::string html = clm::server::render_overview(canned_summary(), canned_search(), q);
  EXPECT_NE(html.find(R"(id="count-total">1297<)"), std::string::npos);
  EXPECT_NE(html.find(R"(id="count-valid">1234<)"), std::string::npos);
  EXPECT_NE(html.find(R"(id="count-disabled">56<)"), std::string::npos);
  EXPECT_NE(html.find(R"(id="count-deleted">7<)"), std::string::npos);
  EXPECT_NE(html.find(R"(id="count-expired">3<)"), std::string::npos);
  EXPECT_NE(html.find(R"(id="bucket-later">900<)"), std::string::npos);
  EXPECT_NE(html.find(R"(id="bucket-15">11<)"), std::string::npos);
  EXPECT_NE(html.find(R"(id="issued-total">35<)"), std::string::npos);
  EXPECT_NE(html.find(R"(id="rotated-total">27<)"), std::string::npos);
  EXPECT_EQ(count_of(html, "<svg"), 2u);
  // The hostile name and prefix appear only escaped; the only tags are the page's own.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("alert(\"x\")"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &#39;q&#39; &amp; co</a>"), std::string::npos);
  EXPECT_NE(html.find("value=\"p&quot;&gt;&lt;script&gt;\""), std::string::npos);
  EXPECT_NE(html.find("<td>&lt;g&gt;</td>"), std::string::npos);
  // Links carry URL-encoded values (then HTML-escaped: no '&' without "amp;").
  EXPECT_NE(html.find("href=\"/admin/device?name=%3Cscript%3Ealert%28%22x%22%29%3C%2Fscript%3E%20%27q%27%20%26%20co\""),
            std::string::npos);
  EXPECT_NE(html.find("id=\"next-page\" href=\"/admin/?prefix=p%22%3E%3Cscript%3E&amp;after=plain-02%20%26%20%3Cmore%3E\""),
            std::string::npos);
  EXPECT_NE(html.find("2026-01-01 00:00 UTC"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

TEST(RenderOverview, shows_what_the_summary_lacks_as_unknown_and_survives_odd_answers)
{
  const json devices_only{{"devices", {{"valid", "2"}, {"disabled", "1"}, {"deleted", "0"}}}};
  const std::string html = clm::server::render_overview(devices_only, json::object(), {});
  EXPECT_NE(html.find(R"(id="count-total">3<)"), std::string::npos);
  EXPECT_NE(html.find(R"(id="count-expired">?<)"), std::string::npos);
  EXPECT_NE(html.find("id=\"buckets-missing\""), std::string::npos);
  EXPECT_NE(html.find("id=\"per-day-missing\""), std::string::npos);
  EXPECT_NE(html.find("No device matches."), std::string::npos);
  // Wrong types anywhere are shown as unknown, never thrown.
  const json odd = json::parse(R"({"devices":{"valid":5,"disabled":"x"},"credentials":[],"per_day":[1,{"day":7}]})");
  EXPECT_NO_THROW(clm::server::render_overview(odd, json::parse(R"({"deviceinfo":[1,"x",{"devicename":3}]})"), {}));
  EXPECT_NO_THROW(clm::server::render_overview(json(), json(), {}, "error <b>"));
  EXPECT_NE(clm::server::render_overview(json(), json(), {}, "error <b>").find("error &lt;b&gt;"), std::string::npos);
}

TEST(RenderDevice, shows_facts_trail_and_the_form_for_the_state_with_the_token)
{
  json device = canned_search()["deviceinfo"][0];
  device["ext_data"] = json{{"note", "</code><script>"}};
  device["events"] = json::parse(R"([
    {"at":"1767225600000","api":"KeyInfo","mode":"create","keynumber":"12","by":"0000000001"},
    {"at":"1767225700000","api":"CredInfo","mode":"create","keynumber":"9","by":"0000000001"},
    {"at":"1767225800000","api":"KeyInfo","mode":"update","keynumber":"12","by":"0000000001"},
    {"at":"1767225900000","api":"DeviceInfo","mode":"disable","by":"admin"}])");
  const std::string html = clm::server::render_device(device, "tok\"en", "done <now>");
  EXPECT_NE(html.find("id=\"device-status\" class=\"st-valid\">valid<"), std::string::npos);
  EXPECT_NE(html.find("id=\"disable-button\""), std::string::npos);
  EXPECT_EQ(html.find("id=\"enable-button\""), std::string::npos);
  EXPECT_NE(html.find("name=\"csrf\" value=\"tok&quot;en\""), std::string::npos);
  EXPECT_NE(html.find("name=\"name\" value=\"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &#39;q&#39; &amp; co\""),
            std::string::npos);
  EXPECT_NE(html.find("<p class=\"notice\" id=\"notice\">done &lt;now&gt;</p>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  // Key 9 a certificate, key 12 a key whose last call was its update; newest event first.
  EXPECT_NE(html.find("<tr><td>9</td><td>certificate</td><td>create</td>"), std::string::npos);
  EXPECT_NE(html.find("<tr><td>12</td><td>key</td><td>update</td>"), std::string::npos);
  EXPECT_LT(html.find("<td>disable</td>"), html.find("<td>create</td><td>12</td>"));

  device["status"] = "disabled";
  EXPECT_NE(clm::server::render_device(device, "t").find("id=\"enable-button\""), std::string::npos);
  device["status"] = "deleted";
  EXPECT_EQ(clm::server::render_device(device, "t").find("<form"), std::string::npos);
  EXPECT_NO_THROW(clm::server::render_device(json::parse(R"({"events":[1,{"keynumber":5}],"ext_data":"x"})"), ""));
}

// The pages through the router, over a real data directory and its services.
class DashboardRouterTest : public clm::test::RouterFixture {
protected:
  DashboardRouterTest() : RouterFixture("clm-dashboard") {}

  void SetUp() override
  {
    ASSERT_NO_FATAL_FAILURE(RouterFixture::SetUp());
    // One device with a hostile name, registered by a key create.
    const json id = json::parse(call(http::verb::post, "/SWCLM/IDInfo", "CLIENT-KEY",
                                     R"({"mode":"create","tenantid":"t","alias":"a"})")
                                  .response.body());
    json create{{"mode", "create"}, {"keyid", id["keyid"]}, {"key", id["key"]}, {"devicename", k_hostile},
                {"alias", "k"}, {"keytype", "AES"}, {"keyfilepath", "/k"}, {"commonkeyfilepath", "/k"}};
    ASSERT_EQ(call(http::verb::post, "/SWCLM/KeyInfo", "CLIENT-KEY", create.dump()).response.result_int(), 201u);
  }

  clm::server::Answer call(http::verb method, const std::string& target, const std::string& key,
                           const std::string& body = "", const std::string& content_type = "application/json",
                           const std::string& origin = "") const
  {
    clm::server::HttpRequest req{method, target, 11};
    req.set(http::field::host, "127.0.0.1:8443");
    if (!key.empty()) {
      req.set(http::field::authorization, basic(key));
    }
    if (!origin.empty()) {
      req.set(http::field::origin, origin);
    }
    if (!body.empty()) {
      req.set(http::field::content_type, content_type);
    }
    req.body() = body;
    req.prepare_payload();
    if (auto refusal = m_router->check_head(req.base())) {
      return std::move(*refusal);
    }
    return m_router->handle(req);
  }

  // Return the device's status as the operator's API says.
  std::string status() const
  {
    json get{{"mode", "get"}, {"devicename", k_hostile}};
    return json::parse(call(http::verb::post, "/SWCLM/DeviceInfo", "ADMIN-KEY", get.dump()).response.body())["status"];
  }

  // Return the token of the device page's form.
  std::string page_token() const
  {
    const std::string html = call(http::verb::get, "/admin/device?name=" + url_encode(k_hostile), "ADMIN-KEY")
                               .response.body();
    const std::string mark = "name=\"csrf\" value=\"";
    const auto at = html.find(mark);
    return at == std::string::npos ? std::string() : html.substr(at + mark.size(), 64);
  }

  static void expect_page_headers(const clm::server::Answer& a)
  {
    EXPECT_EQ(a.response[http::field::content_type], "text/html; charset=utf-8");
    EXPECT_EQ(a.response["Content-Security-Policy"],
              "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
              "frame-ancestors 'none'");
    EXPECT_EQ(a.response["X-Content-Type-Options"], "nosniff");
    EXPECT_EQ(a.response["Referrer-Policy"], "no-referrer");
    EXPECT_EQ(a.response[http::field::cache_control], "no-store");
  }

};

TEST_F(DashboardRouterTest, pages_need_the_admin_key_and_carry_the_page_headers)
{
  const auto none = call(http::verb::get, "/admin/", "");
  EXPECT_EQ(none.response.result_int(), 401u);
  EXPECT_EQ(none.response[http::field::www_authenticate], "Basic realm=\"clm admin\"");
  expect_page_headers(none);
  const auto client = call(http::verb::get, "/admin/", "CLIENT-KEY");
  EXPECT_EQ(client.response.result_int(), 403u);
  expect_page_headers(client);
  const auto admin = call(http::verb::get, "/admin/", "ADMIN-KEY");
  EXPECT_EQ(admin.response.result_int(), 200u);
  expect_page_headers(admin);
  EXPECT_EQ(call(http::verb::get, "/admin", "ADMIN-KEY").response[http::field::location], "/admin/");
  const auto put = call(http::verb::put, "/admin/device", "ADMIN-KEY");
  EXPECT_EQ(put.response.result_int(), 405u);
  EXPECT_EQ(put.response[http::field::allow], "GET, POST");
  expect_page_headers(put);
}

TEST_F(DashboardRouterTest, the_overview_counts_and_lists_the_device_escaped)
{
  const std::string html = call(http::verb::get, "/admin/", "ADMIN-KEY").response.body();
  EXPECT_NE(html.find(R"(id="count-valid">1<)"), std::string::npos);
  EXPECT_NE(html.find(R"(id="count-disabled">0<)"), std::string::npos);
  // The summary's charts: the one key, issued today, a year from its end.
  EXPECT_NE(html.find(R"(id="bucket-later">1<)"), std::string::npos);
  EXPECT_NE(html.find(R"(id="bucket-expired">0<)"), std::string::npos);
  EXPECT_NE(html.find(R"(id="issued-total">1<)"), std::string::npos);
  EXPECT_EQ(count_of(html, "<svg"), 2u);
  EXPECT_NE(html.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(call(http::verb::get, "/admin/?state=bogus", "ADMIN-KEY").response.result_int(), 400u);
  EXPECT_EQ(call(http::verb::get, "/admin/?prefix=%zz", "ADMIN-KEY").response.result_int(), 400u);
  EXPECT_EQ(call(http::verb::get, "/admin/device?name=nobody", "ADMIN-KEY").response.result_int(), 404u);
  EXPECT_EQ(call(http::verb::get, "/admin/device", "ADMIN-KEY").response.result_int(), 400u);
}

TEST_F(DashboardRouterTest, a_disable_needs_the_pages_token_and_this_site)
{
  const std::string form = "name=" + url_encode(k_hostile) + "&action=disable&csrf=";
  const std::string type = "application/x-www-form-urlencoded";
  EXPECT_EQ(call(http::verb::post, "/admin/device", "ADMIN-KEY", form, type).response.result_int(), 403u);
  EXPECT_EQ(call(http::verb::post, "/admin/device", "ADMIN-KEY", form + std::string(64, 'a'), type)
              .response.result_int(),
            403u);
  EXPECT_EQ(status(), "valid");
  const std::string token = page_token();
  ASSERT_EQ(token.size(), 64u);
  EXPECT_EQ(call(http::verb::post, "/admin/device", "ADMIN-KEY", form + token, type, "https://evil.example")
              .response.result_int(),
            403u);
  EXPECT_EQ(call(http::verb::post, "/admin/device", "ADMIN-KEY", form + token, "text/plain").response.result_int(),
            415u);
  EXPECT_EQ(call(http::verb::post, "/admin/device", "CLIENT-KEY", form + token, type).response.result_int(), 403u);
  EXPECT_EQ(status(), "valid");

  const auto done = call(http::verb::post, "/admin/device", "ADMIN-KEY", form + token, type, "https://127.0.0.1:8443");
  EXPECT_EQ(done.response.result_int(), 303u);
  EXPECT_EQ(done.response[http::field::location], "/admin/device?name=" + url_encode(k_hostile) + "&done=disable");
  EXPECT_EQ(done.errorcode, 0);
  EXPECT_EQ(status(), "disabled");
  const auto again = call(http::verb::post, "/admin/device", "ADMIN-KEY", form + token, type);
  EXPECT_EQ(again.response[http::field::location], "/admin/device?name=" + url_encode(k_hostile) + "&refused=1708");
  const std::string page = call(http::verb::get, std::string(again.response[http::field::location]), "ADMIN-KEY")
                             .response.body();
  EXPECT_NE(page.find("disabled already (errorcode 1708)"), std::string::npos);
  EXPECT_NE(page.find("id=\"enable-button\""), std::string::npos);
  EXPECT_NE(page.find("<td>disable</td>"), std::string::npos);
}

TEST_F(DashboardRouterTest, a_form_over_8_kib_is_refused_from_the_head)
{
  const std::string big(clm::server::k_form_limit + 1, 'x');
  const auto a = call(http::verb::post, "/admin/device", "ADMIN-KEY", big, "application/x-www-form-urlencoded");
  EXPECT_EQ(a.response.result_int(), 413u);
  EXPECT_FALSE(a.response.keep_alive());
}

}  // namespace
