// Tests of the WebAPI errorcode table (appendix 7.1): the HTTP status paired
// with each errorcode, and the fallbacks for success and unknown codes.
#include <clm/api_error.hpp>

#include <gtest/gtest.h>

#include <set>

namespace {

using clm::find_api_error;
using clm::http_status_for;

struct Pairing {
  int errorcode;
  int http_status;
};

// Written out from the appendix, one or more per group of the table.
constexpr Pairing k_appendix[] = {
  {1001, 500}, {1002, 500},                                               // configuration
  {1101, 400}, {1102, 400}, {1103, 400}, {1104, 400},                     // request
  {1201, 403}, {1202, 403}, {1203, 403}, {1204, 404}, {1205, 500},        // ID/password
  {1301, 404}, {1302, 404}, {1304, 403}, {1305, 403}, {1309, 404}, {1310, 500},  // certificates
  {1401, 500},                                                            // certificate operation
  {1501, 404}, {1504, 403}, {1507, 400}, {1508, 400}, {1511, 500}, {1513, 404},  // keys
  {1601, 500}, {1602, 500}, {1603, 500}, {1604, 500},                     // database
  {1701, 400}, {1702, 400}, {1703, 403}, {1704, 403}, {1705, 403}, {1706, 404}, {1707, 500},  // devices
  {1901, 500}, {2001, 500}, {2005, 500}, {2201, 404}, {2205, 500},        // server internals
  {9901, 500},                                                            // system error
};

TEST(ApiError, http_status_follows_the_appendix)
{
  for (const auto& p : k_appendix) {
    EXPECT_EQ(http_status_for(p.errorcode), p.http_status) << "errorcode " << p.errorcode;
  }
}

TEST(ApiError, find_returns_the_entry_for_known_codes)
{
  for (const auto& p : k_appendix) {
    const auto info = find_api_error(p.errorcode);
    ASSERT_TRUE(info.has_value()) << "errorcode " << p.errorcode;
    EXPECT_EQ(info->errorcode, p.errorcode);
    EXPECT_EQ(info->http_status, p.http_status) << "errorcode " << p.errorcode;
    EXPECT_FALSE(info->text.empty()) << "errorcode " << p.errorcode;
  }
}

TEST(ApiError, success_is_http_200)
{
  EXPECT_EQ(http_status_for(0), 200);
}

TEST(ApiError, success_is_not_an_error_entry)
{
  EXPECT_FALSE(find_api_error(0).has_value());
}

TEST(ApiError, unknown_codes_are_http_500)
{
  for (const int code : {-1, 1, 200, 404, 1000, 1100, 1105, 1999, 9900, 9999, 100000}) {
    EXPECT_FALSE(find_api_error(code).has_value()) << "errorcode " << code;
    EXPECT_EQ(http_status_for(code), 500) << "errorcode " << code;
  }
}

TEST(ApiError, every_table_entry_is_consistent)
{
  std::set<int> statuses_seen;
  int entries = 0;
  for (int code = -10; code <= 20000; ++code) {
    const auto info = find_api_error(code);
    if (!info) {
      continue;
    }
    ++entries;
    EXPECT_EQ(info->errorcode, code);
    EXPECT_TRUE(info->http_status == 400 || info->http_status == 403 || info->http_status == 404
                || info->http_status == 500)
      << "errorcode " << code << " has HTTP status " << info->http_status;
    EXPECT_EQ(http_status_for(code), info->http_status) << "errorcode " << code;
    EXPECT_FALSE(info->text.empty()) << "errorcode " << code;
    statuses_seen.insert(info->http_status);
  }
  EXPECT_GE(entries, static_cast<int>(std::size(k_appendix)));
  EXPECT_EQ(statuses_seen, (std::set<int>{400, 403, 404, 500}));
}

TEST(ApiError, request_errors_are_all_client_errors)
{
  for (int code = 1101; code <= 1104; ++code) {
    EXPECT_EQ(http_status_for(code), 400) << "errorcode " << code;
  }
}

TEST(ApiError, database_errors_are_all_server_errors)
{
  for (int code = 1601; code <= 1604; ++code) {
    EXPECT_EQ(http_status_for(code), 500) << "errorcode " << code;
  }
}

}  // namespace
