// Tests of certificate answers turned into files: which parts are written where, in
// which format and mode, with sidecars; a bad answer (a field of the wrong type or value)
// fails naming the field and writes nothing; what clm-cert prints.
#include "test_support.hpp"

#include <clm/cert_files.hpp>
#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/http_client.hpp>
#include <clm/output_files.hpp>
#include <clm/sidecar.hpp>

#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;

using clm::ExitCode;
using clm::json;
using clm::test::error_of;
using clm::test::mode_of;
using clm::test::read_plain;

class CertFilesTest : public clm::test::TempDirTest {
protected:
  CertFilesTest() : TempDirTest("clm-cert-files") {}

  clm::CertFiles names(const std::string& cert_format = "pem") const
  {
    clm::CertFiles f;
    f.dir = dir();
    f.ca_name = "ca";
    f.cert_name = "client";
    f.cert_format = cert_format;
    f.key_name = "client-key";
    return f;
  }

  std::size_t entries() const
  {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir()), fs::directory_iterator()));
  }
};

const std::string k_ca_pem = "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----";
const std::string k_cert_pem = "-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n";
const std::string k_key_pem = "-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n";

TEST(CertFilePath, IsDirNameDotFormat)
{
  EXPECT_EQ(clm::cert_file_path("/out", "client", "der"), fs::path("/out/client.der"));
}

TEST(CheckFormat, AcceptsTheListedFormatsOnly)
{
  clm::check_format("pem", "pem|der", "--ca-format");
  clm::check_format("der", "pem|der", "--ca-format");
  for (const char* bad : {"", "p12", "pem|der", "PEM", "pe"}) {
    const auto e = error_of([&] { clm::check_format(bad, "pem|der", "--ca-format"); });
    ASSERT_TRUE(e) << bad;
    EXPECT_EQ(e->code(), ExitCode::bad_parameter);
    EXPECT_NE(std::string(e->what()).find("--ca-format"), std::string::npos);
  }
}

TEST_F(CertFilesTest, EveryPartIsWrittenWithItsModeAndSidecar)
{
  const json body = {{"cacert", k_ca_pem}, {"clientcert", k_cert_pem}, {"privatekey", k_key_pem}};
  const auto files = clm::write_cert_answer(body, names());
  EXPECT_EQ(files.size(), 6u);
  EXPECT_EQ(read_plain(dir() / "ca.pem"), k_ca_pem + "\n") << "PEM ends in a newline";
  EXPECT_EQ(read_plain(dir() / "client.pem"), k_cert_pem);
  EXPECT_EQ(read_plain(dir() / "client-key.pem"), k_key_pem);
  EXPECT_EQ(mode_of(dir() / "ca.pem"), 0644u);
  EXPECT_EQ(mode_of(dir() / "client.pem"), 0644u);
  EXPECT_EQ(mode_of(dir() / "client-key.pem"), 0600u);
  for (const char* name : {"ca.pem", "client.pem", "client-key.pem"}) {
    EXPECT_EQ(read_plain(dir() / (std::string(name) + ".sha256")), clm::sidecar_line(read_plain(dir() / name), name));
  }
}

TEST_F(CertFilesTest, DerAndPkcs12AreDecodedAndPkcs12IsPrivate)
{
  const std::string der("\x30\x03\x02\x01\x05", 5);
  clm::CertFiles f = names("p12");
  f.ca_format = "der";
  f.key_name.clear();
  clm::write_cert_answer({{"cacert", clm::base64_encode(der)}, {"clientcert", clm::base64_encode("P12")}}, f);
  EXPECT_EQ(read_plain(dir() / "ca.der"), der);
  EXPECT_EQ(read_plain(dir() / "client.p12"), "P12");
  EXPECT_EQ(mode_of(dir() / "client.p12"), 0600u);
}

TEST_F(CertFilesTest, APartWithoutANameOrMissingFromTheAnswerIsNotWritten)
{
  clm::CertFiles f = names();
  f.ca_name.clear();
  const auto files = clm::write_cert_answer({{"cacert", k_ca_pem}, {"clientcert", k_cert_pem}}, f);
  EXPECT_EQ(files, (std::vector<std::string>{(dir() / "client.pem").string(), (dir() / "client.pem.sha256").string()}));
  EXPECT_EQ(entries(), 2u);
}

TEST_F(CertFilesTest, ABadPartFailsTheAnswerBeforeAnyFileIsWritten)
{
  const std::vector<json> bad = {
    {{"cacert", k_ca_pem}, {"clientcert", "no pem here"}},
    {{"cacert", k_ca_pem}, {"clientcert", 42}},
    {{"cacert", k_ca_pem}, {"clientcert", k_cert_pem}, {"privatekey", nullptr}},
  };
  for (const json& body : bad) {
    const auto e = error_of([&] { clm::write_cert_answer(body, names()); });
    ASSERT_TRUE(e) << body;
    EXPECT_EQ(e->code(), ExitCode::http_error) << body;
    EXPECT_EQ(entries(), 0u) << body;
  }
  clm::CertFiles der = names("der");
  const auto e = error_of([&] { clm::write_cert_answer({{"clientcert", "%%% not base64"}}, der); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ExitCode::http_error);
  EXPECT_EQ(entries(), 0u);
}

TEST(CertOutput, DropsMaterialAndNamesTheCertificateUnderRequestFieldNames)
{
  clm::ApiResult client{200, {{"errorcode", 0}, {"clientkeynumber", "7"}, {"clientserial", "0A1B"}, {"cacert", "x"},
                              {"clientcert", "x"}, {"privatekey", "x"}, {"devicekey", "x"}}};
  const json out = clm::cert_output(client, "gw", {"/o/client.pem"});
  for (const char* gone : {"cacert", "clientcert", "privatekey", "devicekey"}) {
    EXPECT_FALSE(out.contains(gone)) << gone;
  }
  EXPECT_EQ(out.at("keynumber"), "7");
  EXPECT_EQ(out.at("certserial"), "0A1B");
  EXPECT_EQ(out.at("devicename"), "gw");
  EXPECT_EQ(out.at("changed"), true);
  clm::ApiResult ca{200, {{"errorcode", 0}, {"cakeynumber", "1"}, {"caserial", "01"}}};
  EXPECT_EQ(clm::cert_output(ca, "gw", {}).at("certserial"), "01");
  clm::ApiResult refused{400, {{"errorcode", 1301}}};
  const json no = clm::cert_output(refused, "gw", {});
  EXPECT_EQ(no.at("changed"), false);
  EXPECT_EQ(no.at("http_status"), 400);
}

const std::string k_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

class CertAnswerTest : public clm::test::TempDirTest {
protected:
  CertAnswerTest() : TempDirTest("clm-cert-answer") {}

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

TEST_F(CertAnswerTest, good_answer_writes_the_certificates)
{
  const auto written = clm::write_cert_answer(good(), files());
  EXPECT_EQ(written.size(), 4u);  // two files, two sidecars
  EXPECT_TRUE(fs::exists(dir() / "clcert.pem"));
}

TEST_F(CertAnswerTest, a_field_of_the_wrong_type_or_value_is_a_bad_answer_and_writes_nothing)
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
    EXPECT_EQ(e->code(), clm::ExitCode::http_error) << e->what();
    EXPECT_NE(std::string(e->what()).find("server answer: " + field), std::string::npos) << e->what();
    EXPECT_TRUE(fs::is_empty(dir())) << body;
  }
}

TEST_F(CertAnswerTest, cert_output_names_the_certificate_and_refuses_a_bad_serial)
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
