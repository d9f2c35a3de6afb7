#include <clm/swclm_result.hpp>

#include <gtest/gtest.h>

namespace {

TEST(SwclmResult, success_is_three_lines_as_in_the_reference)
{
  const clm::ApiResult r{200, clm::json{{"errorcode", 0}}};
  EXPECT_EQ(clm::format_swclm_block(clm::swclm_block_of(r, 0, "")), "HTTP/1.1 200.\nerrorcode: 0\nretcode: 0\n");
}

TEST(SwclmResult, failure_carries_the_message_and_the_server_message)
{
  const clm::ApiResult r{403, clm::json{{"errorcode", 1201}, {"errormessage", "password mismatch"}}};
  EXPECT_EQ(clm::format_swclm_block(clm::swclm_block_of(r, 200, "Error: idverify failed")),
            "HTTP/1.1 403.\nError: idverify failed\npassword mismatch\nerrorcode: 1201\nretcode: 200\n");
}

TEST(SwclmResult, no_answer_is_status_000_and_errorcode_0)
{
  clm::SwclmBlock b;
  b.message = "Error: connection refused";
  b.retcode = 102;
  EXPECT_EQ(clm::format_swclm_block(b), "HTTP/1.1 000.\nError: connection refused\nerrorcode: 0\nretcode: 102\n");
}

TEST(SwclmResult, an_errorcode_missing_from_a_failed_answer_prints_0)
{
  const clm::ApiResult r{502, clm::json::object()};
  const auto b = clm::swclm_block_of(r, 200, "x");
  EXPECT_EQ(b.errorcode, 0);
  EXPECT_EQ(b.http_status, 502);
}

}  // namespace
