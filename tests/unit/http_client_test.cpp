// Tests of call_api over a scripted transport: what is sent, which failures are tried
// again and where, and what reaches the caller (answers, exit codes, messages).
#include "fake_transport.hpp"
#include "test_support.hpp"

#include <clm/error.hpp>
#include <clm/http_client.hpp>

#include <gtest/gtest.h>

#include <thread>

namespace {

using clm::ExitCode;
using clm::json;
using clm::RequestSent;
using clm::test::answered;
using clm::test::error_of;
using clm::test::failed;
using clm::test::FakeTransport;

clm::Connection two_hosts(int retry)
{
  clm::Connection conn;
  conn.endpoints = {{"a.example", 8443}, {"b.example", 9443}};
  conn.retry = retry;
  return conn;
}

const json k_read = {{"mode", "get"}, {"keyid", "0000000001"}};
const json k_change = {{"mode", "create"}, {"tenantid", "TenantA"}, {"alias", "gw"}};

TEST(CallApi, PostsTheRequestAsJsonAndReturnsTheAnswer)
{
  FakeTransport transport({answered(200, R"({"errorcode":0,"keyid":"0000000001"})")});
  const auto r = clm::call_api(two_hosts(2), "/SWCLM/IDInfo", k_change, transport);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.body.at("keyid"), "0000000001");
  const auto sent = transport.sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].target, "a.example:8443");
  EXPECT_EQ(sent[0].path, "/SWCLM/IDInfo");
  EXPECT_EQ(json::parse(sent[0].body), k_change);
}

TEST(CallApi, ANullRequestIsAGetWithoutABody)
{
  FakeTransport transport({answered(200, R"({"errorcode":0})")});
  clm::call_api(two_hosts(0), "/SWCLM/IDInfo?keyid=0000000001", nullptr, transport);
  ASSERT_EQ(transport.sent().size(), 1u);
  EXPECT_TRUE(transport.sent()[0].body.empty());
}

TEST(CallApi, AnErrorAnswerIsReturnedNotRetried)
{
  FakeTransport transport({answered(400, R"({"errorcode":1104})")});
  const auto r = clm::call_api(two_hosts(2), "/SWCLM/IDInfo", k_read, transport);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.errorcode(), 1104);
  EXPECT_EQ(transport.sent().size(), 1u);
}

TEST(CallApi, ARefusedConnectionIsTriedOnTheNextHostAndAnswered)
{
  FakeTransport transport({failed(CURLE_COULDNT_CONNECT, RequestSent::no), answered(200, R"({"errorcode":0})")});
  EXPECT_TRUE(clm::call_api(two_hosts(2), "/SWCLM/IDInfo", k_change, transport).ok());
  const auto sent = transport.sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].target, "a.example:8443");
  EXPECT_EQ(sent[1].target, "b.example:9443");
}

TEST(CallApi, WhenEveryAttemptIsRefusedTheErrorNamesHostsAndAttempts)
{
  FakeTransport transport([](const clm::test::SentRequest&) { return failed(CURLE_COULDNT_CONNECT, RequestSent::no); });
  const auto e = error_of([&] { clm::call_api(two_hosts(1), "/SWCLM/IDInfo", k_read, transport); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ExitCode::connection_refused);
  EXPECT_NE(std::string(e->what()).find("2 attempts to a.example:8443, b.example:9443 failed"), std::string::npos)
    << e->what();
  EXPECT_EQ(transport.sent().size(), 2u);
}

TEST(CallApi, AChangeThatMayHaveBeenSentIsNotSentAgain)
{
  FakeTransport transport({failed(CURLE_RECV_ERROR, RequestSent::maybe)});
  const auto e = error_of([&] { clm::call_api(two_hosts(2), "/SWCLM/IDInfo", k_change, transport); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ExitCode::network);
  EXPECT_NE(std::string(e->what()).find("not sent again"), std::string::npos) << e->what();
  EXPECT_EQ(transport.sent().size(), 1u);
}

TEST(CallApi, AChangeWhoseHandshakeFailedIsSentAgain)
{
  FakeTransport transport({failed(CURLE_SSL_CONNECT_ERROR, RequestSent::no), answered(200, R"({"errorcode":0})")});
  EXPECT_TRUE(clm::call_api(two_hosts(2), "/SWCLM/IDInfo", k_change, transport).ok());
  EXPECT_EQ(transport.sent().size(), 2u);
}

TEST(CallApi, AReadCutOffMidAnswerIsSentAgain)
{
  FakeTransport transport({failed(CURLE_RECV_ERROR, RequestSent::maybe), answered(200, R"({"errorcode":0})")});
  EXPECT_TRUE(clm::call_api(two_hosts(2), "/SWCLM/IDInfo", k_read, transport).ok());
  EXPECT_EQ(transport.sent().size(), 2u);
}

TEST(CallApi, AGatewayErrorIsRetriedForAReadAndReturnedForAChange)
{
  FakeTransport reads({answered(503, ""), answered(200, R"({"errorcode":0})")});
  EXPECT_TRUE(clm::call_api(two_hosts(2), "/SWCLM/IDInfo", k_read, reads).ok());
  FakeTransport changes({answered(503, "")});
  const auto r = clm::call_api(two_hosts(2), "/SWCLM/IDInfo", k_change, changes);
  EXPECT_EQ(r.http_status, 503);
  EXPECT_EQ(changes.sent().size(), 1u);
}

TEST(CallApi, TransportFailuresMapToTheirExitCodes)
{
  const std::vector<std::pair<CURLcode, ExitCode>> cases = {
    {CURLE_OPERATION_TIMEDOUT, ExitCode::connect_timeout},
    {CURLE_COULDNT_CONNECT, ExitCode::connection_refused},
    {CURLE_PEER_FAILED_VERIFICATION, ExitCode::network},
    {CURLE_WRITE_ERROR, ExitCode::network},
  };
  for (const auto& [code, exit] : cases) {
    FakeTransport transport({failed(code, RequestSent::no)});
    const auto e = error_of([&] { clm::call_api(two_hosts(0), "/SWCLM/IDInfo", k_read, transport); });
    ASSERT_TRUE(e) << code;
    EXPECT_EQ(e->code(), exit) << code;
    if (code == CURLE_PEER_FAILED_VERIFICATION) {
      EXPECT_NE(std::string(e->what()).find("not trusted"), std::string::npos) << e->what();
    }
  }
}

TEST(CallApi, ASuccessWithoutAJsonObjectIsANetworkError)
{
  for (const char* body : {"", "[1,2]", "<html>", "{\"errorcode\":"}) {
    FakeTransport transport({answered(200, body)});
    const auto e = error_of([&] { clm::call_api(two_hosts(0), "/SWCLM/IDInfo", k_read, transport); });
    ASSERT_TRUE(e) << body;
    EXPECT_EQ(e->code(), ExitCode::network) << body;
  }
}

TEST(CallApi, AnApiCallerSendsThroughTheTransportItWasGiven)
{
  FakeTransport transport({answered(200, R"({"errorcode":0,"deviceinfo":[]})")});
  const clm::Connection conn = two_hosts(0);
  const clm::ApiCaller call = clm::api_caller(conn, &transport);
  EXPECT_TRUE(call("/SWCLM/DeviceInfo", json{{"mode", "getkeylist"}}).ok());
  EXPECT_EQ(transport.sent().size(), 1u);
}

TEST(ThreadTransport, IsOnePerThreadAndKeptForTheThreadsLife)
{
  clm::Transport* first = &clm::thread_transport();
  EXPECT_EQ(first, &clm::thread_transport());
  clm::Transport* other = nullptr;
  std::thread([&] { other = &clm::thread_transport(); }).join();
  EXPECT_NE(first, other);
}

}  // namespace
