// Tests of turning a CredInfo answer into files and output: an answer whose fields are
// of the wrong type or value fails naming the field, before any file is written.
#include <clm/cert_files.hpp>
#include <clm/error.hpp>
#include <clm/http_client.hpp>

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;

using clm::json;
using clm::test::error_of;
using clm::test::TempDirTest;

const std::string k_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

class CertFilesTest : public TempDirTest {
protected:
  CertFilesTest() : TempDirTest("clm-cert-files-test") {}

  clm::CertFiles files() const
  {
    clm::CertFiles f;
    f.dir = dir();
    f.ca_name = "ca";
    f.cert_name = "clcert";
    return f;
  }

  json good() const
  {
    return json{{"errorcode", 0},        {"cacert", k_pem},     {"clientcert", k_pem},
                {"clientkeynumber", "5"}, {"clientserial", "0A"}, {"deviceid", "0000000001"}};
  }
};

TEST_F(CertFilesTest, good_answer_writes_the_certificates)
{
  const auto written = clm::write_cert_answer(good(), files());
  EXPECT_EQ(written.size(), 4u);  // two files, two sidecars
  EXPECT_TRUE(fs::exists(dir() / "clcert.pem"));
}

TEST_F(CertFilesTest, a_field_of_the_wrong_type_or_value_is_bad_file_format_and_writes_nothing)
{
  const std::vector<std::pair<std::string, json>> cases{
    {"cacert", 7},
    {"clientcert", json::array({k_pem})},
    {"clientkeynumber", 5},
    {"clientkeynumber", "5/6"},
    {"clientserial", json::object()},
    {"clientserial", "xyz"},
    {"cakeynumber", true},
    {"caserial", "0A\n"},
  };
  for (const auto& [field, value] : cases) {
    json body = good();
    body[field] = value;
    const auto e = error_of([&] { (void)clm::write_cert_answer(body, files()); });
    ASSERT_TRUE(e) << body;
    EXPECT_EQ(e->code(), clm::ExitCode::bad_file_format) << e->what();
    EXPECT_NE(std::string(e->what()).find("server answer: " + field), std::string::npos) << e->what();
    EXPECT_TRUE(fs::is_empty(dir())) << body;
  }
}

TEST_F(CertFilesTest, cert_output_names_the_certificate_and_refuses_a_bad_serial)
{
  const clm::ApiResult ok = clm::api_result_of(201, clm::dump_json(good()));
  const json out = clm::cert_output(ok, "dev01", {});
  EXPECT_EQ(out.at("keynumber"), "5");
  EXPECT_EQ(out.at("certserial"), "0A");
  EXPECT_FALSE(out.contains("cacert"));
  json bad = good();
  bad["clientserial"] = 10;
  const auto e = error_of([&] { (void)clm::cert_output(clm::api_result_of(201, clm::dump_json(bad)), "dev01", {}); });
  ASSERT_TRUE(e);
  EXPECT_EQ(std::string(e->what()), "server answer: clientserial is not a string but number");
}

}  // namespace
