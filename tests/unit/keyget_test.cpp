// Tests of the batch key pull against a stand-in server (an ApiCaller): the files of a
// good answer, and answers a broken or hostile server could send — wrong types, numbers
// out of range, key numbers that would make file names, undecodable keys — which mark
// devices failed instead of throwing out of the run. Also the device list, reserved
// output directories, and the answer field readers.
#include <clm/error.hpp>
#include <clm/http_client.hpp>
#include <clm/json_io.hpp>
#include <clm/key_files.hpp>
#include <clm/keyget.hpp>

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;

using clm::json;
using clm::test::error_of;
using clm::test::read_plain;
using clm::test::TempDirTest;
using clm::test::write_plain;

class KeyGetTest : public TempDirTest {
protected:
  KeyGetTest() : TempDirTest("clm-keyget-test") {}

  clm::KeyGetOptions options() const
  {
    clm::KeyGetOptions opts;
    opts.out_dir = dir();
    return opts;
  }

  // Pull deviceinfo against a server that answers getlist with answer (HTTP 200).
  std::vector<clm::DeviceOutcome> pull(const json& deviceinfo, const json& answer)
  {
    const clm::ApiCaller call = [&](const std::string&, const json&) {
      return clm::api_result_of(200, clm::dump_json(answer));
    };
    return clm::pull_deviceinfo(call, {"0000000001", "cGFzc3dv"}, deviceinfo, options());
  }

  std::vector<std::string> names() const
  {
    std::vector<std::string> n;
    for (const auto& e : fs::directory_iterator(dir())) {
      n.push_back(e.path().filename().string());
    }
    std::sort(n.begin(), n.end());
    return n;
  }
};

const json k_request = json::array({json{{"deviceid", "0000000001"}, {"devicename", "d1"}, {"keynumber", {"4"}}}});

TEST_F(KeyGetTest, GoodAnswerWritesOneHexFilePerKey)
{
  const auto out = pull(k_request, json{{"errorcode", 0},
                                        {"deviceinfo", {{{"errorcode", 0},
                                                         {"devicename", "d1"},
                                                         {"keyinfo", {{{"keynumber", 4}, {"commonkey", "AAECAw=="}}}}}}}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].failure);
  EXPECT_EQ(read_plain(dir() / "d1_4"), "00010203\n");
}

TEST_F(KeyGetTest, KeyNumbersThatAreNotDigitsFailTheDeviceAndNameNoFile)
{
  for (const json& keynumber : {json("../../x"), json(""), json(-4), json("4/5"), json(nullptr)}) {
    const auto out = pull(k_request, json{{"deviceinfo", {{{"devicename", "d1"},
                                                           {"keyinfo", {{{"keynumber", keynumber},
                                                                         {"commonkey", "AAECAw=="}}}}}}}});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].failure, clm::KeyGetExit::key_fetch) << keynumber;
    EXPECT_TRUE(out[0].files.empty());
    EXPECT_TRUE(names().empty()) << keynumber;
  }
}

TEST_F(KeyGetTest, DeviceTheAnswerLeavesOutOrRepeatsIsFailedOrAnsweredOnce)
{
  const json request = json::array({json{{"devicename", "d1"}, {"keynumber", {"4"}}},
                                    json{{"devicename", "d2"}, {"keynumber", {"5"}}}});
  const json d1 = {{"devicename", "d1"}, {"keyinfo", {{{"keynumber", "4"}, {"commonkey", "AAECAw=="}}}}};
  const json d1_again = {{"devicename", "d1"}, {"keyinfo", {{{"keynumber", "9"}, {"commonkey", "AAECAw=="}}}}};
  const auto out = pull(request, json{{"deviceinfo", {d1, d1_again}}});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FALSE(out[0].failure);
  EXPECT_EQ(out[1].failure, clm::KeyGetExit::key_fetch);
  ASSERT_EQ(out[1].messages.size(), 1u);
  EXPECT_EQ(out[1].messages[0], "Error: cmkeybatget error: the server did not answer for this device");
  EXPECT_EQ(names(), std::vector<std::string>{"d1_4"});
}

TEST_F(KeyGetTest, UndecodableKeyFailsOnlyItsDevice)
{
  const json request = json::array({json{{"devicename", "d1"}, {"keynumber", {"4"}}},
                                    json{{"devicename", "d2"}, {"keynumber", {"5"}}}});
  const auto out = pull(request, json{{"deviceinfo", {{{"devicename", "d1"},
                                                       {"keyinfo", {{{"keynumber", "4"}, {"commonkey", "!!"}}}}},
                                                      {{"devicename", "d2"},
                                                       {"keyinfo", {{{"keynumber", "5"}, {"commonkey", "AAECAw=="}}}}}}}});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].failure, clm::KeyGetExit::key_fetch);
  EXPECT_FALSE(out[1].failure);
  EXPECT_EQ(names(), std::vector<std::string>{"d2_5"});
}

TEST_F(KeyGetTest, WrongTypesAnywhereInTheAnswerDoNotThrow)
{
  // Each of these threw nlohmann::type_error out of the pull (exit 255) before.
  const std::vector<json> answers{
    json{{"deviceinfo", {3, "x", nullptr}}},
    json{{"deviceinfo", {{{"devicename", json::array({"d1"})}}}}},
    json{{"deviceinfo", {{{"devicename", "d1"}, {"errorcode", "1506"}}}}},
    json{{"deviceinfo", {{{"devicename", "d1"}, {"errorcode", 1e300}}}}},
    json{{"deviceinfo", {{{"devicename", "d1"}, {"keyinfo", {7, "k", nullptr}}}}}},
    json{{"deviceinfo", {{{"devicename", "d1"}, {"keyinfo", {{{"keynumber", "4"}, {"commonkey", 12}}}}}}}},
    json{{"errorcode", 18446744073709551615ULL}, {"deviceinfo", json::array()}},
  };
  for (const auto& answer : answers) {
    std::vector<clm::DeviceOutcome> out;
    EXPECT_NO_THROW(out = pull(k_request, answer)) << answer;
    for (const auto& o : out) {
      (void)clm::dump_json(o.to_json());
    }
  }
}

TEST_F(KeyGetTest, GetkeylistAnswerWithWrongTypesMarksDevicesFailed)
{
  int calls = 0;
  const clm::ApiCaller call = [&](const std::string&, const json&) {
    ++calls;
    return clm::api_result_of(200, R"({"deviceinfo": [5, {"devicename": "d1", "errorcode": "x", "deviceid": 7,
                                       "keynumber": "4"}]})");
  };
  std::vector<clm::DeviceOutcome> out;
  ASSERT_NO_THROW(out = clm::pull_batch(call, {"0000000001", "k"}, {"d1", "d2"}, options()));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(calls, 1);  // no device has keys: no getlist
  EXPECT_EQ(out[1].failure, clm::KeyGetExit::device_lookup);
}

TEST_F(KeyGetTest, DeviceListSkipsBlankLinesAndTrims)
{
  write_plain(dir() / "list", "dev1\n\n  dev2 \r\n\t\ndev3");
  EXPECT_EQ(clm::read_device_list(dir() / "list"), (std::vector<std::string>{"dev1", "dev2", "dev3"}));
  const auto e = error_of([&] { clm::read_device_list(dir() / "missing"); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), clm::ExitCode::file_read);
}

TEST(KeyGet, ReservedDirectories)
{
  for (const char* d : {"/", "/etc", "/etc/", "/usr", "/var/../etc", "/usr/bin", "/proc"}) {
    EXPECT_TRUE(clm::is_reserved_dir(d)) << d;
  }
  for (const char* d : {"/srv/keys", "/tmp", "/home/x", "/etc/clm", "/var/lib/clm"}) {
    EXPECT_FALSE(clm::is_reserved_dir(d)) << d;
  }
}

// Return whether one message of o holds text.
bool has_message(const clm::DeviceOutcome& o, const std::string& text)
{
  return std::any_of(o.messages.begin(), o.messages.end(),
                     [&](const std::string& m) { return m.find(text) != std::string::npos; });
}

TEST_F(KeyGetTest, GetlistFieldOfTheWrongTypeFailsTheDeviceNamingTheField)
{
  const std::vector<std::pair<json, std::string>> cases{
    {json{{"deviceinfo", {{{"devicename", "d1"}, {"errorcode", "0"}, {"keyinfo", json::array()}}}}},
     "server answer: errorcode is not an integer but string"},
    {json{{"deviceinfo", {{{"devicename", "d1"}, {"errorcode", 1e300}}}}}, "server answer: errorcode is not an integer"},
    {json{{"deviceinfo", {{{"devicename", "d1"}, {"keyinfo", "AAECAw=="}}}}}, "server answer: keyinfo is not an array"},
    {json{{"deviceinfo", {{{"devicename", "d1"}, {"keyinfo", {{"keynumber", "4"}}}}}}}, "server answer: keyinfo is not an array"},
    {json{{"deviceinfo", {{{"devicename", "d1"}, {"errorkeylist", "4"}}}}}, "server answer: errorkeylist is not an array"},
    {json{{"deviceinfo", {{{"devicename", "d1"}, {"keyinfo", {{{"keynumber", "4"}, {"commonkey", 12}}}}}}}},
     "server answer: commonkey is not a string but number"},
  };
  for (const auto& [answer, message] : cases) {
    const auto out = pull(k_request, answer);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].failure, clm::KeyGetExit::key_fetch) << answer;
    EXPECT_TRUE(has_message(out[0], message)) << answer << ": " << clm::dump_json(out[0].to_json());
    EXPECT_TRUE(names().empty());
  }
}

TEST_F(KeyGetTest, DeviceinfoOfTheWrongTypeFailsEveryDeviceNamingTheField)
{
  const auto out = pull(k_request, json{{"errorcode", 0}, {"deviceinfo", "d1"}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].failure, clm::KeyGetExit::key_fetch);
  EXPECT_TRUE(has_message(out[0], "HTTP 200, errorcode 0; server answer: deviceinfo is not an array but string"))
    << clm::dump_json(out[0].to_json());
  const clm::ApiCaller call = [&](const std::string&, const json&) {
    return clm::api_result_of(200, R"({"deviceinfo": {"devicename": "d1"}})");
  };
  const auto looked_up = clm::pull_batch(call, {"0000000001", "k"}, {"d1"}, options());
  ASSERT_EQ(looked_up.size(), 1u);
  EXPECT_EQ(looked_up[0].failure, clm::KeyGetExit::device_lookup);
  EXPECT_TRUE(has_message(looked_up[0], "server answer: deviceinfo is not an array but object"));
}

TEST_F(KeyGetTest, DeviceNamesThatCannotBeFileNamePartsAreSkipped)
{
  for (const std::string name : {".hidden", "..", "a/b", "a\tb"}) {
    const json request = json::array({json{{"devicename", name}, {"keynumber", {"4"}}}});
    const auto out = pull(request, json{{"deviceinfo", {{{"devicename", name},
                                                         {"keyinfo", {{{"keynumber", "4"}, {"commonkey", "AAECAw=="}}}}}}}});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].failure, clm::KeyGetExit::key_fetch) << name;
    EXPECT_TRUE(names().empty()) << name;
  }
}

TEST_F(KeyGetTest, GetkeylistFieldOfTheWrongTypeFailsTheDeviceNamingTheField)
{
  const std::vector<std::pair<std::string, std::string>> cases{
    {R"({"devicename": "d1", "errorcode": "0", "keynumber": ["4"]})", "server answer: errorcode is not an integer"},
    {R"({"devicename": "d1", "deviceid": 7, "keynumber": ["4"]})", "server answer: deviceid is not a string"},
    {R"({"devicename": "d1", "deviceid": "a\nb", "keynumber": ["4"]})", "server answer: deviceid holds"},
    {R"({"devicename": "d1", "deviceid": "1", "keynumber": "4"})", "server answer: keynumber is not an array"},
  };
  for (const auto& [device, message] : cases) {
    int calls = 0;
    const clm::ApiCaller call = [&](const std::string&, const json&) {
      ++calls;
      return clm::api_result_of(200, R"({"deviceinfo": [)" + device + "]}");
    };
    std::vector<clm::DeviceOutcome> out;
    ASSERT_NO_THROW(out = clm::pull_batch(call, {"0000000001", "k"}, {"d1"}, options()));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(calls, 1) << device;
    EXPECT_EQ(out[0].failure, clm::KeyGetExit::device_lookup) << device;
    EXPECT_TRUE(has_message(out[0], message)) << device << ": " << clm::dump_json(out[0].to_json());
  }
}

TEST(AnswerFields, StringAndIntFieldsReadOnlyTheRightTypes)
{
  const json j{{"s", "text"}, {"n", 42}, {"big", 1LL << 40}, {"neg", -3}, {"f", 1.5}, {"u", 18446744073709551615ULL}};
  EXPECT_EQ(clm::string_field(j, "s"), "text");
  EXPECT_EQ(clm::string_field(j, "n"), "");
  EXPECT_EQ(clm::string_field(j, "missing"), "");
  EXPECT_EQ(clm::string_field(json::array({1}), "s"), "");
  EXPECT_EQ(clm::int_field(j, "n", 0), 42);
  EXPECT_EQ(clm::int_field(j, "neg", 0), -3);
  EXPECT_EQ(clm::int_field(j, "big", 7), 7);
  EXPECT_EQ(clm::int_field(j, "u", 7), 7);
  EXPECT_EQ(clm::int_field(j, "f", 7), 7);
  EXPECT_EQ(clm::int_field(j, "s", 7), 7);
  EXPECT_EQ(clm::int_field(json("x"), "n", 7), 7);
}

TEST(AnswerFields, ErrorcodeOutOfIntRangeIsNotTruncated)
{
  const clm::ApiResult r = clm::api_result_of(400, R"({"errorcode": 4294968302})");
  EXPECT_EQ(r.errorcode(), -1);
}

TEST(ApiResultOf, TwoHundredWithoutAnObjectIsANetworkError)
{
  const auto e = error_of([] { (void)clm::api_result_of(200, "[1]"); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), clm::ExitCode::network);
  EXPECT_EQ(clm::api_result_of(502, "<html>").body, json::object());
}

}  // namespace
