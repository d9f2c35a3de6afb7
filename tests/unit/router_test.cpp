// Tests of the transport-free HTTP front (router): routes, license and admin checks on
// the request head, limits decided before a body is read, query and path decoding —
// over a real data directory, without a socket.
#include "router_fixture.hpp"

#include <clm/config.hpp>
#include <clm/crypto.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace {

using clm::server::Answer;
using clm::server::HttpRequest;
using clm::server::Router;
namespace http = boost::beast::http;

class RouterTest : public clm::test::RouterFixture {
protected:
  RouterTest() : RouterFixture("clm-router") {}

  static HttpRequest request(http::verb method, const std::string& target, const std::string& key = "",
                             const std::string& body = "")
  {
    HttpRequest req{method, target, 11};
    if (!key.empty()) {
      req.set(http::field::authorization, basic(key));
    }
    req.body() = body;
    req.prepare_payload();
    return req;
  }

  // Return the head check's refusal status, or 0 when the body may be read.
  unsigned head_status(const HttpRequest& req) const
  {
    const auto refusal = m_router->check_head(req.base());
    return refusal ? refusal->response.result_int() : 0;
  }

};

TEST_F(RouterTest, open_routes_need_no_license)
{
  EXPECT_EQ(head_status(request(http::verb::get, "/SWCLM/SystemStatus")), 0u);
  EXPECT_EQ(head_status(request(http::verb::get, "/SWCLM/CRL?catype=ca1")), 0u);
  const Answer a = m_router->handle(request(http::verb::get, "/SWCLM/SystemStatus"));
  EXPECT_EQ(a.response.result_int(), 200u);
  EXPECT_EQ(a.response.body(), R"({"errorcode":0})");
  EXPECT_EQ(a.errorcode, 0);
}

TEST_F(RouterTest, licensed_routes_refuse_a_missing_or_wrong_key_with_401_and_close)
{
  for (const char* path : {"/SWCLM/IDInfo", "/SWCLM/CredInfo", "/SWCLM/KeyInfo", "/SWCLM/DeviceInfo"}) {
    for (const std::string key : {"", "WRONG"}) {
      const auto refusal = m_router->check_head(request(http::verb::post, path, key, "{}").base());
      ASSERT_TRUE(refusal) << path;
      EXPECT_EQ(refusal->response.result_int(), 401u) << path;
      EXPECT_EQ(refusal->response[http::field::www_authenticate], "Basic realm=\"clm\"");
      EXPECT_FALSE(refusal->response.keep_alive());
    }
    EXPECT_EQ(head_status(request(http::verb::post, path, "CLIENT-KEY", "{}")), 0u) << path;
    EXPECT_EQ(head_status(request(http::verb::post, path, "ADMIN-KEY", "{}")), 0u) << path;
  }
}

TEST_F(RouterTest, listing_ids_needs_the_admin_key)
{
  EXPECT_EQ(head_status(request(http::verb::get, "/SWCLM/IDInfo")), 401u);
  EXPECT_EQ(head_status(request(http::verb::get, "/SWCLM/IDInfo", "CLIENT-KEY")), 403u);
  EXPECT_EQ(head_status(request(http::verb::get, "/SWCLM/IDInfo?keyid=0000000001", "CLIENT-KEY")), 403u);
  EXPECT_EQ(head_status(request(http::verb::get, "/SWCLM/IDInfo", "ADMIN-KEY")), 0u);
  const Answer a = m_router->handle(request(http::verb::get, "/SWCLM/IDInfo", "ADMIN-KEY"));
  EXPECT_EQ(a.response.result_int(), 200u);
}

TEST_F(RouterTest, unknown_paths_are_404_and_other_methods_405_with_allow)
{
  EXPECT_EQ(head_status(request(http::verb::get, "/nothing")), 404u);
  const auto refusal = m_router->check_head(request(http::verb::delete_, "/SWCLM/IDInfo").base());
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->response.result_int(), 405u);
  EXPECT_EQ(refusal->response[http::field::allow], "POST, GET");
}

TEST_F(RouterTest, a_content_encoding_is_415_after_the_license_check)
{
  HttpRequest req = request(http::verb::post, "/SWCLM/KeyInfo", "CLIENT-KEY", "{}");
  req.set(http::field::content_encoding, "gzip");
  EXPECT_EQ(head_status(req), 415u);
  req.set(http::field::authorization, "Basic nope");
  EXPECT_EQ(head_status(req), 401u);
  req = request(http::verb::post, "/SWCLM/KeyInfo", "CLIENT-KEY", "{}");
  req.set(http::field::content_encoding, "identity");
  EXPECT_EQ(head_status(req), 0u);
}

TEST_F(RouterTest, a_declared_length_over_one_mib_is_413_from_the_head)
{
  HttpRequest req = request(http::verb::post, "/SWCLM/KeyInfo", "CLIENT-KEY");
  req.set(http::field::content_length, std::to_string(clm::server::k_body_limit + 1));
  EXPECT_EQ(head_status(req), 413u);
  req.set(http::field::content_length, std::to_string(clm::server::k_body_limit));
  EXPECT_EQ(head_status(req), 0u);
  req.set(http::field::content_length, "99999999999999999999999");
  EXPECT_EQ(head_status(req), 413u);
}

TEST_F(RouterTest, service_errors_become_errorcode_answers_with_the_detail_for_the_log)
{
  Answer a = m_router->handle(request(http::verb::post, "/SWCLM/KeyInfo", "CLIENT-KEY", "not json"));
  EXPECT_EQ(a.response.result_int(), 400u);
  EXPECT_EQ(a.errorcode, 1101);
  a = m_router->handle(request(http::verb::post, "/SWCLM/KeyInfo", "CLIENT-KEY", R"({"mode":"nope"})"));
  EXPECT_EQ(a.errorcode, 1103);
  EXPECT_NE(a.detail.find("nope"), std::string::npos);
}

TEST_F(RouterTest, keep_alive_follows_the_request)
{
  HttpRequest req = request(http::verb::get, "/SWCLM/SystemStatus");
  EXPECT_TRUE(m_router->handle(req).response.keep_alive());
  req.keep_alive(false);
  EXPECT_FALSE(m_router->handle(req).response.keep_alive());
}

TEST(RouterTarget, path_is_decoded_and_query_params_are_found)
{
  EXPECT_EQ(clm::server::target_path("/SWCLM/%49DInfo?keyid=1"), "/SWCLM/IDInfo");
  EXPECT_EQ(clm::server::target_path("/a%0ab"), "/a\nb");
  EXPECT_EQ(clm::server::target_path("/bad%zz%4"), "/bad%zz%4");
  EXPECT_EQ(clm::server::query_param("/x?keyid=0000000001", "keyid"), "0000000001");
  EXPECT_EQ(clm::server::query_param("/x?a=1&keyid=%30%31", "keyid"), "01");
  EXPECT_EQ(clm::server::query_param("/x?keyid", "keyid"), "");
  EXPECT_EQ(clm::server::query_param("/x?other=1", "keyid"), std::nullopt);
  EXPECT_EQ(clm::server::query_param("/x", "keyid"), std::nullopt);
}

}  // namespace
