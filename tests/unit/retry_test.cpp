// Tests of the client's retry policy: the table of which failed attempt is made again,
// which requests count as changing state, and the bounds of the backoff with full jitter.
#include <clm/retry.hpp>

#include <curl/curl.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>

namespace {

using clm::RequestKind;
using clm::RequestSent;
using clm::should_retry;
using namespace std::chrono_literals;

constexpr auto k_read = RequestKind::read_only;
constexpr auto k_change = RequestKind::changes_state;
constexpr auto k_unsent = RequestSent::no;
constexpr auto k_maybe = RequestSent::maybe;

// One row of the decision table: the attempt's outcome and what each kind of request
// does with it, by whether the request may have been sent.
struct Row {
  int curl_code;
  long http_status;
  bool read_unsent, read_maybe, change_unsent, change_maybe;
};

TEST(RetryPolicy, decision_table)
{
  const Row rows[] = {
    // Answered: only a gateway's 502/503/504 is retried, and only for a read.
    {CURLE_OK, 200, false, false, false, false},
    {CURLE_OK, 201, false, false, false, false},
    {CURLE_OK, 400, false, false, false, false},
    {CURLE_OK, 401, false, false, false, false},
    {CURLE_OK, 404, false, false, false, false},
    {CURLE_OK, 500, false, false, false, false},
    {CURLE_OK, 502, true, true, false, false},
    {CURLE_OK, 503, true, true, false, false},
    {CURLE_OK, 504, true, true, false, false},
    // Never connected: nothing can have been sent, so a change is retried too.
    {CURLE_COULDNT_CONNECT, 0, true, true, true, true},
    {CURLE_COULDNT_RESOLVE_HOST, 0, true, true, true, true},
    {CURLE_COULDNT_RESOLVE_PROXY, 0, true, true, true, true},
    // Transient: a change only when it is known not to have been sent.
    {CURLE_OPERATION_TIMEDOUT, 0, true, true, true, false},
    {CURLE_SSL_CONNECT_ERROR, 0, true, true, true, false},
    {CURLE_SEND_ERROR, 0, true, true, true, false},
    {CURLE_RECV_ERROR, 0, true, true, true, false},
    {CURLE_GOT_NOTHING, 0, true, true, true, false},
    {CURLE_PARTIAL_FILE, 0, true, true, true, false},
    // Failing the same way every time: never retried.
    {CURLE_PEER_FAILED_VERIFICATION, 0, false, false, false, false},
    {CURLE_SSL_CACERT_BADFILE, 0, false, false, false, false},
    {CURLE_WRITE_ERROR, 0, false, false, false, false},
    {CURLE_UNSUPPORTED_PROTOCOL, 0, false, false, false, false},
    {CURLE_URL_MALFORMAT, 0, false, false, false, false},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE("curl " + std::to_string(r.curl_code) + " (" + curl_easy_strerror(static_cast<CURLcode>(r.curl_code))
                 + "), HTTP " + std::to_string(r.http_status));
    EXPECT_EQ(should_retry(r.curl_code, r.http_status, k_read, k_unsent), r.read_unsent);
    EXPECT_EQ(should_retry(r.curl_code, r.http_status, k_read, k_maybe), r.read_maybe);
    EXPECT_EQ(should_retry(r.curl_code, r.http_status, k_change, k_unsent), r.change_unsent);
    EXPECT_EQ(should_retry(r.curl_code, r.http_status, k_change, k_maybe), r.change_maybe);
  }
}

TEST(RetryPolicy, reads_are_get_and_the_read_modes)
{
  EXPECT_EQ(clm::request_kind(nullptr), k_read);
  for (const char* mode : {"get", "getlist", "getkeylist", "auth", "search", "due", "report", "summary", "groupget",
                           "grouplist"}) {
    EXPECT_EQ(clm::request_kind({{"mode", mode}, {"keyid", "1"}}), k_read) << mode;
  }
}

TEST(RetryPolicy, every_other_request_changes_state)
{
  for (const char* mode : {"create", "update", "delete", "revoke", "disable", "enable", "groupset", "groupdelete",
                           "Get", "", "getsomething"}) {
    EXPECT_EQ(clm::request_kind({{"mode", mode}}), k_change) << mode;
  }
  EXPECT_EQ(clm::request_kind(clm::json::object()), k_change);
  EXPECT_EQ(clm::request_kind({{"mode", 1}}), k_change);
  EXPECT_EQ(clm::request_kind({{"mode", nullptr}}), k_change);
}

TEST(RetryBackoff, ceiling_doubles_from_base_up_to_cap)
{
  EXPECT_EQ(clm::backoff_ceiling(0), 250ms);
  EXPECT_EQ(clm::backoff_ceiling(1), 500ms);
  EXPECT_EQ(clm::backoff_ceiling(2), 1000ms);
  EXPECT_EQ(clm::backoff_ceiling(4), 4000ms);
  EXPECT_EQ(clm::backoff_ceiling(5), 8000ms);
  EXPECT_EQ(clm::backoff_ceiling(6), 8000ms);
  EXPECT_EQ(clm::backoff_ceiling(10), 8000ms);
  EXPECT_EQ(clm::backoff_ceiling(63), 8000ms);
  EXPECT_EQ(clm::backoff_ceiling(std::numeric_limits<unsigned>::max()), 8000ms);
}

TEST(RetryBackoff, full_jitter_spans_zero_to_ceiling)
{
  for (unsigned n = 0; n <= 12; ++n) {
    const auto ceiling = clm::backoff_ceiling(n);
    EXPECT_EQ(clm::backoff_delay(n, 0), 0ms) << n;
    EXPECT_EQ(clm::backoff_delay(n, static_cast<std::uint64_t>(ceiling.count())), ceiling) << n;
    EXPECT_LE(clm::backoff_delay(n, std::numeric_limits<std::uint64_t>::max()), ceiling) << n;
  }
}

TEST(RetryBackoff, random_delays_stay_in_bounds_and_use_the_range)
{
  std::mt19937_64 random(42);
  for (unsigned n = 0; n <= 10; ++n) {
    const auto ceiling = clm::backoff_ceiling(n);
    auto low = ceiling;
    auto high = 0ms;
    for (int i = 0; i < 2000; ++i) {
      const auto d = clm::backoff_delay(n, random());
      ASSERT_GE(d, 0ms);
      ASSERT_LE(d, ceiling);
      low = std::min(low, d);
      high = std::max(high, d);
    }
    // Full jitter: the draws cover the bottom and the top tenth of the range.
    EXPECT_LT(low, ceiling / 10) << n;
    EXPECT_GT(high, ceiling * 9 / 10) << n;
  }
}

}  // namespace
