// Tests of /metrics: the text format (escaping, values, histograms), labels bounded to
// fixed sets whatever requests come, the store's counts read once per interval, the
// routes that serve it, and the addresses --metrics-listen accepts.
#include "http_server.hpp"
#include "metrics.hpp"
#include "router_fixture.hpp"

#include <clm/error.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using clm::Exposition;
using clm::Label;
using clm::server::Metrics;
using clm::server::RequestMetrics;
using clm::server::StateCount;
using clm::server::StoreMetrics;
namespace http = boost::beast::http;

constexpr std::int64_t k_now = 1'700'000'000'000;

std::vector<std::string> lines_of(const std::string& text)
{
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

// Return the lines of text that are samples of metric name (name{... or name value).
std::vector<std::string> samples_of(const std::string& text, const std::string& name)
{
  std::vector<std::string> out;
  for (const std::string& line : lines_of(text)) {
    if (line.rfind(name + "{", 0) == 0 || line.rfind(name + " ", 0) == 0) {
      out.push_back(line);
    }
  }
  return out;
}

// Return the problems of text as exposition format 0.0.4: each line a HELP, a TYPE or
// a sample of the family whose TYPE came last (its _bucket/_sum/_count for a
// histogram), names and labels by the grammar, values numbers, a series never twice,
// a family never declared twice, the text ending in a newline.
std::vector<std::string> exposition_problems(const std::string& text)
{
  static const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*)");
  static const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
  static const std::regex sample(
    R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\\\|\\"|\\n)*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\\\|\\"|\\n)*")*\})? (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|[-+]Inf|NaN))");
  std::vector<std::string> problems;
  if (text.empty() || text.back() != '\n') {
    problems.push_back("does not end in a newline");
  }
  std::string family;
  std::string family_type;
  std::set<std::string> families;
  std::set<std::string> series;
  for (const std::string& line : lines_of(text)) {
    std::smatch m;
    if (std::regex_match(line, m, help)) {
      continue;
    }
    if (std::regex_match(line, m, type)) {
      family = m[1];
      family_type = m[2];
      if (!families.insert(family).second) {
        problems.push_back("family declared twice: " + line);
      }
      continue;
    }
    if (!std::regex_match(line, m, sample)) {
      problems.push_back("not a sample: " + line);
      continue;
    }
    const std::string name = m[1];
    bool ours = name == family;
    if (family_type == "histogram") {
      ours = name == family + "_bucket" || name == family + "_sum" || name == family + "_count";
    }
    if (!ours) {
      problems.push_back("sample outside its family " + family + ": " + line);
    }
    if (!series.insert(line.substr(0, line.rfind(' '))).second) {
      problems.push_back("series twice: " + line);
    }
  }
  return problems;
}

// Return the value of the sample line "series value" of text, or NaN when there is none.
double value_of(const std::string& text, const std::string& series)
{
  for (const std::string& line : lines_of(text)) {
    if (line.rfind(series + " ", 0) == 0) {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nan("");
}

TEST(MetricsText, label_values_escape_backslash_quote_and_newline_only)
{
  EXPECT_EQ(clm::escape_label_value("a\\b\"c\nd\te/é"), "a\\\\b\\\"c\\nd\te/é");
  EXPECT_EQ(clm::escape_label_value(""), "");
}

TEST(MetricsText, help_escapes_backslash_and_newline_but_not_quotes)
{
  EXPECT_EQ(clm::escape_help("say \"x\\y\"\nnext"), "say \"x\\\\y\"\\nnext");
}

TEST(MetricsText, sample_values_are_integers_shortest_decimals_or_the_special_words)
{
  using clm::format_sample_value;
  EXPECT_EQ(format_sample_value(0), "0");
  EXPECT_EQ(format_sample_value(1), "1");
  EXPECT_EQ(format_sample_value(-3), "-3");
  EXPECT_EQ(format_sample_value(1e15), "1000000000000000");
  EXPECT_EQ(format_sample_value(0.5), "0.5");
  EXPECT_EQ(format_sample_value(0.0025), "0.0025");
  EXPECT_EQ(format_sample_value(0.1), "0.1") << "shortest text that reads back as the double";
  EXPECT_EQ(std::stod(format_sample_value(1e-9)), 1e-9);
  EXPECT_EQ(std::stod(format_sample_value(1.5e300)), 1.5e300);
  EXPECT_EQ(format_sample_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_sample_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_sample_value(std::nan("")), "NaN");
}

TEST(MetricsText, a_family_is_help_type_then_samples_with_escaped_labels)
{
  Exposition out;
  out.family("x_total", "counter", "Things\\counted\nhere.");
  out.sample("x_total", {Label{"path", "/a\"b"}, Label{"k", "v"}}, std::uint64_t{18446744073709551615u});
  out.sample("x_total", {}, 2.5);
  EXPECT_EQ(out.text(), "# HELP x_total Things\\\\counted\\nhere.\n"
                        "# TYPE x_total counter\n"
                        "x_total{path=\"/a\\\"b\",k=\"v\"} 18446744073709551615\n"
                        "x_total 2.5\n");
  EXPECT_TRUE(exposition_problems(out.text()).empty());
}

TEST(MetricsText, a_histogram_has_cumulative_buckets_inf_sum_and_count)
{
  Exposition out;
  out.family("h_seconds", "histogram", "H.");
  const std::vector<double> bounds{0.1, 1};
  const std::vector<std::uint64_t> counts{2, 3, 4};
  const std::vector<Label> labels{{"path", "/x"}};
  out.histogram("h_seconds", labels, bounds, counts, 7.5);
  EXPECT_EQ(out.text(), "# HELP h_seconds H.\n"
                        "# TYPE h_seconds histogram\n"
                        "h_seconds_bucket{path=\"/x\",le=\"0.1\"} 2\n"
                        "h_seconds_bucket{path=\"/x\",le=\"1\"} 5\n"
                        "h_seconds_bucket{path=\"/x\",le=\"+Inf\"} 9\n"
                        "h_seconds_sum{path=\"/x\"} 7.5\n"
                        "h_seconds_count{path=\"/x\"} 9\n");
  EXPECT_TRUE(exposition_problems(out.text()).empty());
}

TEST(MetricsText, the_checker_of_these_tests_finds_what_is_wrong)
{
  EXPECT_FALSE(exposition_problems("x 1").empty()) << "no final newline";
  EXPECT_FALSE(exposition_problems("# TYPE x gauge\nx{a=\"b} 1\n").empty());
  EXPECT_FALSE(exposition_problems("# TYPE x gauge\nx 1\nx 2\n").empty());
  EXPECT_FALSE(exposition_problems("# TYPE x gauge\ny 1\n").empty());
  EXPECT_FALSE(exposition_problems("# TYPE x gauge\nx one\n").empty());
  EXPECT_FALSE(exposition_problems("# TYPE x gauge\n# TYPE x gauge\n").empty());
  EXPECT_TRUE(exposition_problems("# TYPE x gauge\nx{a=\"\\\\\"} -1.5e-3\n").empty());
}

class RequestMetricsTest : public ::testing::Test {
protected:
  RequestMetrics m_metrics{{"/SWCLM/KeyInfo", "/SWCLM/IDInfo", "/metrics", "other"}};

  std::string text() const
  {
    Exposition out;
    m_metrics.write(out);
    return out.text();
  }
};

TEST_F(RequestMetricsTest, known_paths_keep_their_label_any_other_is_other)
{
  EXPECT_EQ(m_metrics.path_label("/SWCLM/KeyInfo"), "/SWCLM/KeyInfo");
  EXPECT_EQ(m_metrics.path_label("/metrics"), "/metrics");
  for (const char* path : {"/SWCLM/KeyInfo/", "/swclm/keyinfo", "", "/", "/metrics?x", "other", "/random/1"}) {
    EXPECT_EQ(m_metrics.path_label(path), "other") << path;
  }
}

TEST_F(RequestMetricsTest, requests_are_counted_by_path_method_status_and_errorcode)
{
  for (int i = 0; i < 3; ++i) {
    m_metrics.record("POST", "/SWCLM/KeyInfo", 200, 0, 0.002);
  }
  m_metrics.record("POST", "/SWCLM/KeyInfo", 404, 1501, 0.002);
  m_metrics.record("GET", "/SWCLM/IDInfo", 401, std::nullopt, 0.0001);
  const std::string t = text();
  EXPECT_EQ(samples_of(t, "clm_http_requests_total"),
            (std::vector<std::string>{
              R"(clm_http_requests_total{path="/SWCLM/KeyInfo",method="POST",status="200",errorcode="0"} 3)",
              R"(clm_http_requests_total{path="/SWCLM/KeyInfo",method="POST",status="404",errorcode="1501"} 1)",
              R"(clm_http_requests_total{path="/SWCLM/IDInfo",method="GET",status="401",errorcode="none"} 1)"}));
  EXPECT_TRUE(exposition_problems(t).empty());
}

TEST_F(RequestMetricsTest, a_thousand_random_paths_methods_statuses_and_errorcodes_make_one_series)
{
  m_metrics.record("GET", "/SWCLM/IDInfo", 200, 0, 0.001);
  const std::size_t lines_before = lines_of(text()).size();
  for (int i = 0; i < 1000; ++i) {
    const std::string n = std::to_string(i);
    m_metrics.record("M" + n, "/random/" + n, 100u + static_cast<unsigned>(i % 7), 100000 + i, 0.001 * i);
  }
  const std::string t = text();
  EXPECT_EQ(lines_of(t).size(), lines_before + 1) << "one series: other, other, other, other";
  const auto series = samples_of(t, "clm_http_requests_total");
  EXPECT_NE(std::find(series.begin(), series.end(),
                      R"(clm_http_requests_total{path="other",method="other",status="other",errorcode="other"} 1000)"),
            series.end());
  EXPECT_EQ(value_of(t, R"(clm_http_request_duration_seconds_count{path="other"})"), 1000);
}

TEST_F(RequestMetricsTest, every_path_has_a_histogram_from_the_start)
{
  const std::string t = text();
  EXPECT_TRUE(samples_of(t, "clm_http_requests_total").empty());
  for (const char* path : {"/SWCLM/KeyInfo", "/SWCLM/IDInfo", "/metrics", "other"}) {
    const std::string labels = std::string("{path=\"") + path + "\"}";
    EXPECT_EQ(value_of(t, "clm_http_request_duration_seconds_count" + labels), 0) << path;
    EXPECT_EQ(value_of(t, "clm_http_request_duration_seconds_sum" + labels), 0) << path;
  }
  EXPECT_EQ(samples_of(t, "clm_http_request_duration_seconds_bucket").size(),
            4 * (clm::server::k_latency_bounds.size() + 1));
  EXPECT_TRUE(exposition_problems(t).empty());
}

TEST_F(RequestMetricsTest, latencies_fall_in_the_first_bucket_at_or_above_them_cumulatively)
{
  for (const double s : {0.0005, 0.001, 0.003, 20.0, -1.0}) {
    m_metrics.record("POST", "/SWCLM/KeyInfo", 200, 0, s);
  }
  const std::string t = text();
  const auto bucket = [&](const char* le) {
    return value_of(t, std::string(R"(clm_http_request_duration_seconds_bucket{path="/SWCLM/KeyInfo",le=")") + le
                         + "\"}");
  };
  EXPECT_EQ(bucket("0.001"), 3) << "0.0005, 0.001 (a bound is inclusive), -1 counted as 0";
  EXPECT_EQ(bucket("0.0025"), 3);
  EXPECT_EQ(bucket("0.005"), 4);
  EXPECT_EQ(bucket("10"), 4);
  EXPECT_EQ(bucket("+Inf"), 5);
  EXPECT_EQ(value_of(t, R"(clm_http_request_duration_seconds_count{path="/SWCLM/KeyInfo"})"), 5);
  EXPECT_NEAR(value_of(t, R"(clm_http_request_duration_seconds_sum{path="/SWCLM/KeyInfo"})"), 20.0045, 1e-9);
  // Buckets never decrease.
  double last = 0;
  for (const std::string& line : samples_of(t, "clm_http_request_duration_seconds_bucket")) {
    if (line.find("/SWCLM/KeyInfo") == std::string::npos) {
      continue;
    }
    const double v = std::stod(line.substr(line.rfind(' ') + 1));
    EXPECT_GE(v, last) << line;
    last = v;
  }
}

TEST_F(RequestMetricsTest, answers_with_a_database_errorcode_are_store_errors)
{
  for (const int code : {1601, 1602, 1603, 1604, 1605, 1101, 0}) {
    m_metrics.record("POST", "/SWCLM/KeyInfo", 500, code, 0.001);
  }
  EXPECT_EQ(m_metrics.store_errors(), 4u);
  const auto series = samples_of(text(), "clm_http_requests_total");
  EXPECT_NE(std::find(series.begin(), series.end(),
                      R"(clm_http_requests_total{path="/SWCLM/KeyInfo",method="POST",status="500",errorcode="other"} 1)"),
            series.end())
    << "1605 is no errorcode of the spec";
}

// A store reading that counts its calls, answers counts or fails, on a clock the test moves.
class StoreMetricsTest : public ::testing::Test {
protected:
  std::int64_t m_now = k_now;
  int m_queries = 0;
  bool m_fail = false;
  std::vector<StateCount> m_counts{{"certificate", "valid", 2}, {"certificate", "revoked", 1}, {"key", "valid", 5},
                                   {"device", "valid", 3},      {"id", "valid", 1},          {"id", "weird", 9}};
  StoreMetrics m_store{[this](std::int64_t now_ms) {
                         ++m_queries;
                         EXPECT_EQ(now_ms, m_now);
                         if (m_fail) {
                           throw clm::server::StoreError(1601, "cannot reach the database");
                         }
                         return m_counts;
                       },
                       [this] { return m_now; }};

  std::string scrape(std::uint64_t request_errors = 0)
  {
    Exposition out;
    m_store.write(out, request_errors);
    return out.text();
  }
};

TEST_F(StoreMetricsTest, credentials_are_listed_for_every_kind_and_state_zero_included_unknown_ones_left_out)
{
  const std::string t = scrape();
  EXPECT_EQ(value_of(t, "clm_store_up"), 1);
  EXPECT_EQ(value_of(t, R"(clm_credentials{kind="certificate",state="valid"})"), 2);
  EXPECT_EQ(value_of(t, R"(clm_credentials{kind="certificate",state="revoked"})"), 1);
  EXPECT_EQ(value_of(t, R"(clm_credentials{kind="certificate",state="expired"})"), 0);
  EXPECT_EQ(value_of(t, R"(clm_credentials{kind="certificate",state="updated"})"), 0);
  EXPECT_EQ(value_of(t, R"(clm_credentials{kind="key",state="valid"})"), 5);
  EXPECT_EQ(value_of(t, R"(clm_credentials{kind="key",state="deleted"})"), 0);
  EXPECT_EQ(value_of(t, R"(clm_credentials{kind="device",state="disabled"})"), 0);
  EXPECT_EQ(value_of(t, R"(clm_credentials{kind="id",state="valid"})"), 1);
  EXPECT_EQ(samples_of(t, "clm_credentials").size(), 15u) << "4 + 4 + 4 + 3 states; not id/weird";
  EXPECT_EQ(value_of(t, "clm_credentials_age_seconds"), 0);
  EXPECT_EQ(value_of(t, "clm_store_errors_total"), 0);
  EXPECT_TRUE(exposition_problems(t).empty());
}

TEST_F(StoreMetricsTest, the_store_is_read_once_per_fifteen_seconds_however_many_scrapes)
{
  scrape();
  m_counts[0].count = 7;
  for (int i = 0; i < 100; ++i) {
    m_now += 100;
    EXPECT_EQ(value_of(scrape(), R"(clm_credentials{kind="certificate",state="valid"})"), 2);
  }
  EXPECT_EQ(m_queries, 1);
  EXPECT_EQ(value_of(scrape(), "clm_credentials_age_seconds"), 10) << "the age shows how old the counts are";
  m_now = k_now + 14'999;
  scrape();
  EXPECT_EQ(m_queries, 1);
  m_now = k_now + 15'000;
  const std::string t = scrape();
  EXPECT_EQ(m_queries, 2);
  EXPECT_EQ(value_of(t, R"(clm_credentials{kind="certificate",state="valid"})"), 7);
  EXPECT_EQ(value_of(t, "clm_credentials_age_seconds"), 0);
}

TEST_F(StoreMetricsTest, a_clock_gone_back_reads_the_store_again)
{
  scrape();
  m_now -= 1000;
  scrape();
  EXPECT_EQ(m_queries, 2);
}

TEST_F(StoreMetricsTest, a_failed_reading_is_store_up_0_an_error_and_keeps_the_last_counts_aging)
{
  scrape();
  m_fail = true;
  m_now += 15'000;
  std::string t = scrape(3);
  EXPECT_EQ(value_of(t, "clm_store_up"), 0);
  EXPECT_EQ(value_of(t, "clm_store_errors_total"), 4) << "3 requests and this reading";
  EXPECT_EQ(value_of(t, R"(clm_credentials{kind="key",state="valid"})"), 5);
  EXPECT_EQ(value_of(t, "clm_credentials_age_seconds"), 15);
  // A failure too is remembered for the interval: a scrape storm on a store that is
  // down costs one attempt per interval.
  m_now += 1000;
  scrape(3);
  EXPECT_EQ(m_queries, 2);
  m_fail = false;
  m_now += 14'000;
  t = scrape(3);
  EXPECT_EQ(m_queries, 3);
  EXPECT_EQ(value_of(t, "clm_store_up"), 1);
  EXPECT_EQ(value_of(t, "clm_store_errors_total"), 4);
  EXPECT_EQ(value_of(t, "clm_credentials_age_seconds"), 0);
  EXPECT_TRUE(exposition_problems(t).empty());
}

TEST_F(StoreMetricsTest, a_store_never_read_shows_up_0_and_no_counts)
{
  m_fail = true;
  const std::string t = scrape();
  EXPECT_EQ(value_of(t, "clm_store_up"), 0);
  EXPECT_EQ(value_of(t, "clm_store_errors_total"), 1);
  EXPECT_TRUE(samples_of(t, "clm_credentials").empty());
  EXPECT_TRUE(samples_of(t, "clm_credentials_age_seconds").empty());
  EXPECT_TRUE(exposition_problems(t).empty());
}

// /metrics through the router, over a real data directory and its store.
class MetricsRouteTest : public clm::test::RouterFixture {
protected:
  MetricsRouteTest() : RouterFixture("clm-metrics") {}

  void SetUp() override
  {
    ASSERT_NO_FATAL_FAILURE(RouterFixture::SetUp());
    m_metrics = std::make_unique<Metrics>(clm::server::route_paths(), [this](std::int64_t now_ms) {
      m_data->store->check_health();
      return m_data->store->credential_counts(now_ms);
    });
    m_api = std::make_unique<clm::server::Router>(m_services->services(),
                                                  clm::server::Licenses{"CLIENT-KEY", "ADMIN-KEY"}, m_metrics.get());
    m_metrics_only = std::make_unique<clm::server::Router>(m_services->services(), clm::server::Licenses{},
                                                           m_metrics.get(), clm::server::RouteTable::metrics_only);
  }

  static clm::server::HttpRequest request(http::verb method, const std::string& target, const std::string& key = "")
  {
    clm::server::HttpRequest req{method, target, 11};
    if (!key.empty()) {
      req.set(http::field::authorization, basic(key));
    }
    req.prepare_payload();
    return req;
  }

  static unsigned head_status(const clm::server::Router& router, const clm::server::HttpRequest& req)
  {
    const auto refusal = router.check_head(req.base());
    return refusal ? refusal->response.result_int() : 0;
  }

  std::unique_ptr<Metrics> m_metrics;
  std::unique_ptr<clm::server::Router> m_api;
  std::unique_ptr<clm::server::Router> m_metrics_only;
};

TEST_F(MetricsRouteTest, the_api_listener_serves_metrics_to_the_admin_key_only)
{
  EXPECT_EQ(head_status(*m_api, request(http::verb::get, "/metrics")), 401u);
  EXPECT_EQ(head_status(*m_api, request(http::verb::get, "/metrics", "WRONG")), 401u);
  EXPECT_EQ(head_status(*m_api, request(http::verb::get, "/metrics", "CLIENT-KEY")), 403u);
  EXPECT_EQ(head_status(*m_api, request(http::verb::post, "/metrics", "ADMIN-KEY")), 405u);
  EXPECT_EQ(head_status(*m_api, request(http::verb::get, "/metrics", "ADMIN-KEY")), 0u);
  const auto a = m_api->handle(request(http::verb::get, "/metrics", "ADMIN-KEY"));
  EXPECT_EQ(a.response.result_int(), 200u);
  EXPECT_EQ(a.response[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_FALSE(a.errorcode.has_value());
  const std::string& body = a.response.body();
  EXPECT_EQ(exposition_problems(body), std::vector<std::string>{});
  EXPECT_EQ(value_of(body, "clm_store_up"), 1);
  EXPECT_EQ(value_of(body, R"(clm_credentials{kind="id",state="valid"})"), 0);
  EXPECT_EQ(value_of(body, R"(clm_tls_reloads_total{result="success"})"), 0);
  EXPECT_FALSE(samples_of(body, "clm_build_info").empty());
  EXPECT_FALSE(samples_of(body, "clm_process_start_time_seconds").empty());
}

TEST_F(MetricsRouteTest, the_metrics_listener_serves_metrics_without_a_key_and_nothing_else)
{
  EXPECT_EQ(head_status(*m_metrics_only, request(http::verb::get, "/metrics")), 0u);
  EXPECT_EQ(m_metrics_only->handle(request(http::verb::get, "/metrics")).response.result_int(), 200u);
  EXPECT_EQ(m_metrics_only->handle(request(http::verb::get, "/metrics?x=1")).response.result_int(), 200u);
  for (const char* path : {"/SWCLM/SystemStatus", "/SWCLM/IDInfo", "/admin/", "/SWCLM/CRL", "/"}) {
    EXPECT_EQ(head_status(*m_metrics_only, request(http::verb::get, path, "ADMIN-KEY")), 404u) << path;
  }
  const auto refusal = m_metrics_only->check_head(request(http::verb::post, "/metrics").base());
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->response.result_int(), 405u);
  EXPECT_EQ(refusal->response[http::field::allow], "GET");
}

TEST_F(MetricsRouteTest, a_router_without_metrics_answers_404)
{
  EXPECT_EQ(m_router->handle(request(http::verb::get, "/metrics", "ADMIN-KEY")).response.result_int(), 404u);
}

TEST_F(MetricsRouteTest, every_route_path_is_counted_once_and_metrics_among_them)
{
  const auto paths = clm::server::route_paths();
  EXPECT_EQ(std::set<std::string>(paths.begin(), paths.end()).size(), paths.size());
  for (const char* p : {"/SWCLM/IDInfo", "/SWCLM/KeyInfo", "/SWCLM/SystemStatus", "/admin/", "/metrics"}) {
    EXPECT_NE(std::find(paths.begin(), paths.end(), p), paths.end()) << p;
  }
}

TEST_F(MetricsRouteTest, tls_reloads_and_connections_are_reported)
{
  m_metrics->api_connections().max = 100;
  m_metrics->api_connections().open = 3;
  m_metrics->tls_reloaded(clm::server::TlsReload::success);
  m_metrics->tls_reloaded(clm::server::TlsReload::failure);
  m_metrics->tls_reloaded(clm::server::TlsReload::success);
  std::string t = m_metrics->render();
  EXPECT_EQ(value_of(t, R"(clm_tls_reloads_total{result="success"})"), 2);
  EXPECT_EQ(value_of(t, R"(clm_tls_reloads_total{result="failure"})"), 1);
  EXPECT_EQ(value_of(t, R"(clm_http_connections_open{listener="api"})"), 3);
  EXPECT_EQ(value_of(t, R"(clm_http_connections_max{listener="api"})"), 100);
  EXPECT_TRUE(samples_of(t, R"(clm_http_connections_open{listener="metrics"})").empty()) << "no metrics listener";
  m_metrics->metrics_connections().max = 64;
  t = m_metrics->render();
  EXPECT_EQ(value_of(t, R"(clm_http_connections_max{listener="metrics"})"), 64);
  EXPECT_EQ(exposition_problems(t), std::vector<std::string>{});
}

TEST(MetricsListen, loopback_and_private_addresses_only)
{
  using clm::server::is_loopback_or_private;
  for (const char* a : {"127.0.0.1", "127.8.9.10", "::1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                        "fd00::1", "fc00::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(is_loopback_or_private(a)) << a;
  }
  for (const char* a : {"0.0.0.0", "::", "172.32.0.1", "172.15.255.255", "8.8.8.8", "192.169.0.1", "11.0.0.1",
                        "2001:db8::1", "fe80::1", "::ffff:8.8.8.8", "localhost", ""}) {
    EXPECT_FALSE(is_loopback_or_private(a)) << a;
  }
}

TEST(MetricsListen, host_and_port_are_parsed_and_a_bad_one_names_the_option)
{
  const auto a = clm::server::parse_listen("127.0.0.1:0", "--metrics-listen");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 0);
  const auto b = clm::server::parse_listen("[::1]:9100", "--metrics-listen");
  EXPECT_EQ(b.host, "::1");
  EXPECT_EQ(b.port, 9100);
  for (const char* bad : {"9100", ":9100", "host:", "host:65536", "host:-1", "host:9x"}) {
    try {
      clm::server::parse_listen(bad, "--metrics-listen");
      ADD_FAILURE() << bad;
    } catch (const clm::Error& e) {
      EXPECT_EQ(e.code(), clm::ExitCode::bad_parameter) << bad;
      EXPECT_EQ(std::string(e.what()).rfind("--metrics-listen: ", 0), 0u) << e.what();
    }
  }
}

}  // namespace
