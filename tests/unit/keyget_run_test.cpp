// Tests of a whole clm-keyget run against a stand-in server (an ApiCaller answering
// /SWCLM/DeviceInfo getkeylist and /SWCLM/KeyInfo getlist from a table of devices):
// batching, skip-and-continue, the exit codes of table 6.3, hostile answers, several
// jobs against one, and the argument checks and error log around the run.
#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/http_client.hpp>
#include <clm/json_io.hpp>
#include <clm/keyget.hpp>
#include <clm/keyget_run.hpp>
#include <clm/keylist_api.hpp>
#include <clm/sidecar.hpp>
#include <clm/sidecar_verify.hpp>
#include <clm/util/hex.hpp>

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

using clm::json;
using clm::KeyGetExit;
using clm::test::error_of;
using clm::test::read_plain;
using clm::test::TempDirTest;
using clm::test::write_plain;

// A server that knows devices (name → key numbers) and answers the two batch APIs.
class FakeServer {
public:
  std::map<std::string, std::vector<std::string>> devices;
  std::vector<std::string> fail_lookup;  // getkeylist answers these with errorcode 1706
  std::vector<std::string> fail_fetch;   // getlist answers these with errorcode 1506
  std::vector<std::string> db_error;     // getkeylist answers these with errorcode 1602
  bool refuse_getlist = false;           // getlist answers HTTP 500
  int refuse_getkeylist = 0;             // when set, getkeylist answers HTTP 500 with this errorcode

  // Return the caller tests pull through; it records every request.
  clm::ApiCaller caller()
  {
    return [this](const std::string& path, const json& request) { return answer(path, request); };
  }

  // Return the requests seen, in order: path and the device names of each.
  std::vector<std::pair<std::string, std::vector<std::string>>> requests() const
  {
    const std::lock_guard lock(m_mutex);
    return m_requests;
  }

  static std::string key_of(const std::string& name, const std::string& number)
  {
    return clm::sha256(name + "/" + number).substr(0, 16);
  }

private:
  clm::ApiResult answer(const std::string& path, const json& request)
  {
    std::vector<std::string> names;
    for (const json& d : request.at("deviceinfo")) {
      names.push_back(d.at("devicename").get<std::string>());
    }
    {
      const std::lock_guard lock(m_mutex);
      m_requests.emplace_back(path, names);
    }
    json out = json::array();
    if (path == clm::k_deviceinfo_path) {
      EXPECT_EQ(request.at("mode"), "getkeylist");
      if (refuse_getkeylist) {
        return clm::api_result_of(500, clm::dump_json(json{{"errorcode", refuse_getkeylist}}));
      }
      for (const auto& name : names) {
        const auto it = devices.find(name);
        if (std::count(db_error.begin(), db_error.end(), name)) {
          out.push_back(json{{"devicename", name}, {"errorcode", 1602}, {"errormessage", "database access"}});
        } else if (it == devices.end() || std::count(fail_lookup.begin(), fail_lookup.end(), name)) {
          out.push_back(json{{"devicename", name}, {"errorcode", 1706}});
        } else {
          out.push_back(json{{"devicename", name}, {"deviceid", "id-" + name}, {"errorcode", 0},
                             {"keynumber", it->second}});
        }
      }
      return clm::api_result_of(200, clm::dump_json(json{{"errorcode", 0}, {"deviceinfo", out}}));
    }
    EXPECT_EQ(request.at("mode"), "getlist");
    if (refuse_getlist) {
      return clm::api_result_of(500, R"({"errorcode": 1})");
    }
    for (const json& d : request.at("deviceinfo")) {
      const std::string name = d.at("devicename").get<std::string>();
      if (std::count(fail_fetch.begin(), fail_fetch.end(), name)) {
        out.push_back(json{{"devicename", name}, {"errorcode", 1506}, {"errorkeylist", d.at("keynumber")}});
        continue;
      }
      json keys = json::array();
      for (const json& k : d.at("keynumber")) {
        const std::string number = k.get<std::string>();
        keys.push_back(json{{"keynumber", number}, {"commonkey", clm::base64_encode(key_of(name, number))}});
      }
      out.push_back(json{{"devicename", name}, {"errorcode", 0}, {"keyinfo", keys}});
    }
    return clm::api_result_of(200, clm::dump_json(json{{"errorcode", 0}, {"deviceinfo", out}}));
  }

  mutable std::mutex m_mutex;
  std::vector<std::pair<std::string, std::vector<std::string>>> m_requests;
};

class KeyGetRunTest : public TempDirTest {
protected:
  KeyGetRunTest() : TempDirTest("clm-keyget-run") {}

  clm::KeyGetOptions options(const fs::path& out) const
  {
    clm::KeyGetOptions opts;
    opts.out_dir = out;
    return opts;
  }

  // Run over names with schedule into out (made if needed); keep what was reported.
  KeyGetExit run(const clm::ApiCaller& call, const clm::KeyGetInput& input, const clm::KeyGetSchedule& schedule,
                 const fs::path& out, clm::KeyGetOptions opts = {})
  {
    fs::create_directories(out);
    opts.out_dir = out;
    log.clear();
    outcomes.clear();
    batches = 0;
    clm::KeyGetReport report;
    report.log = [&](const std::string& line) { log.push_back(line); };
    report.outcomes = [&](const std::vector<clm::DeviceOutcome>& batch) {
      ++batches;
      outcomes.insert(outcomes.end(), batch.begin(), batch.end());
    };
    report.progress = [&](std::size_t done, std::size_t total) {
      EXPECT_EQ(done, outcomes.size());
      EXPECT_LE(done, total);
    };
    return clm::run_keyget(call, {"0000000001", "cGFzc3dv"}, input, opts, schedule, report);
  }

  static clm::KeyGetInput names(std::vector<std::string> n)
  {
    clm::KeyGetInput input;
    input.names = std::move(n);
    return input;
  }

  // Return the names in dir (hidden ones too), sorted.
  static std::vector<std::string> files_in(const fs::path& dir)
  {
    std::vector<std::string> n;
    for (const auto& e : fs::directory_iterator(dir)) {
      n.push_back(e.path().filename().string());
    }
    std::sort(n.begin(), n.end());
    return n;
  }

  std::vector<std::string> log;
  std::vector<clm::DeviceOutcome> outcomes;
  int batches = 0;
};

TEST_F(KeyGetRunTest, NDevicesInBatchesOfBMakeCeilNOverBRequestsOfEachKindInInputOrder)
{
  FakeServer server;
  std::vector<std::string> list;
  for (int i = 0; i < 7; ++i) {
    list.push_back("d" + std::to_string(i));
    server.devices[list.back()] = {std::to_string(10 + i)};
  }
  EXPECT_EQ(run(server.caller(), names(list), {1, 3}, dir() / "out"), KeyGetExit::ok);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 6u);  // 3 batches: getkeylist then getlist each
  const std::vector<std::vector<std::string>> expected{{"d0", "d1", "d2"}, {"d3", "d4", "d5"}, {"d6"}};
  for (std::size_t b = 0; b < 3; ++b) {
    EXPECT_EQ(requests[2 * b].first, clm::k_deviceinfo_path);
    EXPECT_EQ(requests[2 * b].second, expected[b]);
    EXPECT_EQ(requests[2 * b + 1].second, expected[b]);
  }
  EXPECT_EQ(batches, 3);
  ASSERT_EQ(outcomes.size(), 7u);
  for (std::size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(outcomes[i].devicename, list[i]);
    EXPECT_EQ(read_plain(dir() / "out" / (list[i] + "_" + std::to_string(10 + i))),
              clm::util::hex_encode(FakeServer::key_of(list[i], std::to_string(10 + i))) + "\n");
  }
  EXPECT_TRUE(log.empty());
}

TEST_F(KeyGetRunTest, ADeviceThatFailsIsLoggedAndTheOthersArePulled)
{
  FakeServer server;
  server.devices = {{"a", {"1"}}, {"b", {"2"}}, {"c", {"3"}}, {"e", {"5"}}};
  server.fail_fetch = {"c"};
  // "nobody" is unknown (lookup, 5), "c" fails its fetch (6), in the middle of a batch.
  EXPECT_EQ(run(server.caller(), names({"a", "nobody", "b", "c", "e"}), {2, 2}, dir() / "out"),
            KeyGetExit::key_fetch);
  EXPECT_EQ(files_in(dir() / "out"), (std::vector<std::string>{"a_1", "b_2", "e_5"}));
  ASSERT_EQ(outcomes.size(), 5u);
  EXPECT_EQ(outcomes[1].failure, KeyGetExit::device_lookup);
  EXPECT_EQ(outcomes[3].failure, KeyGetExit::key_fetch);
  EXPECT_FALSE(outcomes[4].failure);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].rfind("nobody: Error: devgetkeylist error (200): HTTP 200, errorcode 1706", 0), 0u) << log[0];
  EXPECT_EQ(log[1].rfind("c: Error: cmkeybatget error (200): HTTP 200, errorcode 1506", 0), 0u) << log[1];
}

TEST_F(KeyGetRunTest, ExitCodesOfTable63AndWhichWins)
{
  FakeServer server;
  server.devices = {{"a", {"1"}}, {"b", {"2"}}, {"nokey", {}}};
  // A device without keys is a warning, not a failure.
  EXPECT_EQ(run(server.caller(), names({"a", "nokey"}), {1, 10}, dir() / "o1"), KeyGetExit::ok);
  EXPECT_EQ(log, std::vector<std::string>{"nokey: Warn : no commonkey"});
  EXPECT_EQ(run(server.caller(), names({"a", "nobody"}), {1, 10}, dir() / "o2"), KeyGetExit::device_lookup);
  server.fail_fetch = {"b"};
  EXPECT_EQ(run(server.caller(), names({"b"}), {1, 10}, dir() / "o3"), KeyGetExit::key_fetch);
  // 6 wins over 5, in whichever order and batch they come.
  EXPECT_EQ(run(server.caller(), names({"b", "nobody"}), {2, 1}, dir() / "o4"), KeyGetExit::key_fetch);
  EXPECT_EQ(run(server.caller(), names({"nobody", "b"}), {2, 1}, dir() / "o5"), KeyGetExit::key_fetch);
  // A getlist refused as a whole fails every device of its batch with 6.
  server.fail_fetch.clear();
  server.refuse_getlist = true;
  EXPECT_EQ(run(server.caller(), names({"a", "b"}), {1, 10}, dir() / "o6"), KeyGetExit::key_fetch);
  EXPECT_TRUE(files_in(dir() / "o6").empty());
  // A transport failure on the lookup: 5, with the transport's code in the message.
  const clm::ApiCaller refused = [](const std::string&, const json&) -> clm::ApiResult {
    throw clm::Error(clm::ExitCode::connection_refused, "127.0.0.1:1: connection refused");
  };
  EXPECT_EQ(run(refused, names({"a"}), {1, 10}, dir() / "o7"), KeyGetExit::device_lookup);
  EXPECT_EQ(log, std::vector<std::string>{"a: Error: devgetkeylist error (102): 127.0.0.1:1: connection refused"});
  // Nothing to pull at all is success.
  EXPECT_EQ(run(server.caller(), names({}), {4, 10}, dir() / "o8"), KeyGetExit::ok);
  EXPECT_TRUE(outcomes.empty());
}

TEST_F(KeyGetRunTest, HostileAnswersAreRefusedWithNoFileAndNoSidecarLineInjected)
{
  // The stand-in answers getlist with whatever names and key numbers the test gives,
  // for the device names the run asked about.
  struct Case {
    std::string devicename;
    json keynumber;
  };
  const std::vector<Case> cases{
    {"d", "../x"},       {"d", "4/5"},          {"d", ".4"},          {"d", "4\n5"},
    {"d", "4\r"},        {"d", json::array()},  {"d", 4.5},           {"d", json{{"k", 1}}},
    {"../d", "4"},       {"a/b", "4"},          {".hidden", "4"},     {"..", "4"},
    {"x\ny", "4"},       {"t\tab", "4"},        {"esc\x1b", "4"},
  };
  for (const auto& c : cases) {
    const fs::path out = dir() / "out";
    fs::remove_all(out);
    const clm::ApiCaller call = [&](const std::string&, const json&) {
      const json answer{{"deviceinfo", {{{"devicename", c.devicename},
                                         {"errorcode", 0},
                                         {"keyinfo", {{{"keynumber", c.keynumber}, {"commonkey", "AAECAw=="}}}}}}}};
      return clm::api_result_of(200, clm::dump_json(answer));
    };
    clm::KeyGetInput input;
    input.deviceinfo = json::array({json{{"deviceid", "1"}, {"devicename", c.devicename}, {"keynumber", {"4"}}}});
    clm::KeyGetOptions opts;
    opts.sha256 = true;
    opts.binary = true;
    opts.hmac_key = "k";
    const std::string what = clm::dump_json(json{{"devicename", c.devicename}, {"keynumber", c.keynumber}});
    EXPECT_EQ(run(call, input, {1, 10}, out, opts), KeyGetExit::key_fetch) << what;
    EXPECT_TRUE(files_in(out).empty()) << what;
    ASSERT_EQ(outcomes.size(), 1u) << what;
    EXPECT_TRUE(outcomes[0].files.empty()) << what;
    for (const auto& line : log) {
      EXPECT_EQ(line.find_first_of("\n\r"), std::string::npos) << what << ": " << line;
    }
  }
}

TEST_F(KeyGetRunTest, WrongJsonTypesInAnswersFailTheirDevicesWithoutStoppingTheRun)
{
  for (const std::string& body : {std::string(R"({"deviceinfo": 5})"), std::string(R"({"deviceinfo": [5, "x"]})"),
                                  std::string(R"({"deviceinfo": [{"devicename": 7, "keynumber": ["1"]}]})"),
                                  std::string(R"({"deviceinfo": [{"devicename": "a", "keynumber": "1"}]})"),
                                  std::string(R"({"deviceinfo": [{"devicename": "a", "errorcode": "0"}]})")}) {
    const clm::ApiCaller call = [&](const std::string&, const json&) { return clm::api_result_of(200, body); };
    KeyGetExit code = KeyGetExit::ok;
    EXPECT_NO_THROW(code = run(call, names({"a", "b"}), {2, 1}, dir() / "out")) << body;
    EXPECT_NE(code, KeyGetExit::ok) << body;
    EXPECT_EQ(outcomes.size(), 2u) << body;
    EXPECT_TRUE(files_in(dir() / "out").empty()) << body;
  }
}

TEST_F(KeyGetRunTest, SeveralJobsGiveTheSameFilesAndOutputAsOne)
{
  FakeServer server;
  std::vector<std::string> list;
  for (int i = 0; i < 40; ++i) {
    list.push_back("dev" + std::to_string(i));
    server.devices[list.back()] = {std::to_string(100 + i), std::to_string(200 + i)};
  }
  server.fail_fetch = {"dev7", "dev31"};
  list.push_back("nobody");
  clm::KeyGetOptions opts;
  opts.sha256 = true;
  opts.binary = true;
  opts.hmac_key = "per-host key";
  EXPECT_EQ(run(server.caller(), names(list), {1, 1000}, dir() / "one", opts), KeyGetExit::key_fetch);
  const auto one_log = log;
  std::vector<json> one_out;
  for (const auto& o : outcomes) {
    one_out.push_back(o.to_json());
  }
  EXPECT_EQ(run(server.caller(), names(list), {8, 3}, dir() / "many", opts), KeyGetExit::key_fetch);
  std::vector<json> many_out;
  for (const auto& o : outcomes) {
    json j = o.to_json();
    for (auto& f : j["files"]) {
      f = (dir() / "one" / fs::path(f.get<std::string>()).filename()).string();
    }
    many_out.push_back(j);
  }
  EXPECT_EQ(many_out, one_out);
  EXPECT_EQ(log, one_log);
  const auto files = files_in(dir() / "one");
  EXPECT_EQ(files, files_in(dir() / "many"));
  EXPECT_EQ(files.size(), 38u * 2 * 4);
  for (const auto& f : files) {
    EXPECT_EQ(read_plain(dir() / "one" / f), read_plain(dir() / "many" / f)) << f;
  }
  // Every file checks against its sidecar.
  clm::VerifyOptions v;
  v.hmac_key = opts.hmac_key;
  EXPECT_EQ(clm::verify_paths({(dir() / "many").string()}, v, [](const clm::FileCheck&) {}).exit_code(),
            clm::ExitCode::ok);
}

TEST_F(KeyGetRunTest, AFileErrorStopsTheRunReportsWhatWasPulledAndExits6)
{
  FakeServer server;
  server.devices = {{"a", {"1"}}, {"b", {"2"}}, {"c", {"3"}}};
  const fs::path out = dir() / "out";
  fs::create_directories(out / "b_2" / "full");  // a non-empty directory cannot be renamed over
  EXPECT_EQ(run(server.caller(), names({"a", "b", "c"}), {1, 1}, out), KeyGetExit::key_fetch);
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.back().rfind("Error: " + (out / "b_2").string() + ": rename", 0), 0u) << log.back();
  ASSERT_EQ(outcomes.size(), 1u);  // a, before the failing batch; c never started
  EXPECT_EQ(outcomes[0].devicename, "a");
  EXPECT_TRUE(fs::exists(out / "a_1"));
  EXPECT_FALSE(fs::exists(out / "c_3"));
}

TEST_F(KeyGetRunTest, ArgumentsAreCheckedInTheReferencesOrder)
{
  write_plain(dir() / "list", "a\n");
  const auto message = [](const clm::KeyGetPaths& p, clm::StdinTerminal t) -> std::string {
    try {
      clm::check_keyget_paths(p, t);
    } catch (const clm::KeyGetArgumentError& e) {
      EXPECT_EQ(e.code(), clm::ExitCode::bad_parameter);
      return e.what();
    }
    return "";
  };
  const std::string list = (dir() / "list").string();
  const std::string out = dir().string();
  using clm::StdinTerminal;
  EXPECT_EQ(message({std::nullopt, std::nullopt, std::nullopt}, StdinTerminal::yes), "Error: infile not specified");
  EXPECT_EQ(message({std::nullopt, std::nullopt, std::nullopt}, StdinTerminal::no), "Error: outdir not specified");
  EXPECT_EQ(message({list, out, std::nullopt}, StdinTerminal::yes), "Error: errorfile not specified");
  EXPECT_EQ(message({list + "x", "/nowhere", "e"}, StdinTerminal::yes), "Error: infile not found");
  EXPECT_EQ(message({list, "/nowhere", "e"}, StdinTerminal::yes), "Error: outdir not found");
  EXPECT_EQ(message({list, "/etc", "e"}, StdinTerminal::yes),
            "Error : outdir is reserved word. Please specify another directory.");
  EXPECT_EQ(message({list, out, "e"}, StdinTerminal::yes), "");
  EXPECT_EQ(message({std::nullopt, out, "e"}, StdinTerminal::no), "");
}

TEST_F(KeyGetRunTest, InputIsTheListFileOrAGetlistDeviceinfoArrayOnStdin)
{
  write_plain(dir() / "list", " a \n\nb\n");
  auto input = clm::read_keyget_input((dir() / "list").string(), "ignored");
  EXPECT_EQ(input.names, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(input.deviceinfo);
  const json info = json::array({json{{"devicename", "a"}, {"keynumber", {"1"}}}});
  EXPECT_EQ(*clm::read_keyget_input(std::nullopt, clm::dump_json(info)).deviceinfo, info);
  EXPECT_EQ(*clm::read_keyget_input(std::nullopt, clm::dump_json(json{{"deviceinfo", info}})).deviceinfo, info);
  for (const char* bad : {"", "{}", "[1", R"({"deviceinfo": 5})", "7"}) {
    const auto err = error_of([&] { clm::read_keyget_input(std::nullopt, bad); });
    ASSERT_TRUE(err) << bad;
    EXPECT_EQ(std::string(err->what()),
              "Error: infile not specified (and no getlist deviceinfo JSON on standard input)");
  }
  const auto err = error_of([&] { clm::read_keyget_input((dir() / "none").string(), ""); });
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code(), clm::ExitCode::file_read);
}

TEST_F(KeyGetRunTest, TheLogIsTruncatedPrivateEchoedAndNeverFollowsASymlink)
{
  const fs::path path = dir() / "err.log";
  write_plain(path, "old text\n");
  std::ostringstream echo;
  {
    clm::KeyGetLog error_log(path.string(), echo, "clm-keyget: ");
    error_log.line("d: Warn : no commonkey");
  }
  EXPECT_EQ(read_plain(path), "d: Warn : no commonkey\n");
  EXPECT_EQ(echo.str(), "clm-keyget: d: Warn : no commonkey\n");
  fs::remove(path);
  {
    clm::KeyGetLog error_log(path.string(), echo, "");
  }
  EXPECT_EQ(clm::test::mode_of(path) & 0077, 0u);
  fs::remove(path);
  write_plain(dir() / "victim", "precious\n");
  fs::create_symlink(dir() / "victim", path);
  const auto err = error_of([&] { clm::KeyGetLog error_log(path.string(), echo, ""); });
  ASSERT_TRUE(err);
  EXPECT_EQ(std::string(err->what()), "Error: errorfile cannot be written: " + path.string());
  EXPECT_EQ(read_plain(dir() / "victim"), "precious\n");
}

// What SWCLMKEYGET printed for a run: its exit code, stdout, stderr and error log.
struct SwclmRun {
  KeyGetExit exit = KeyGetExit::ok;
  std::string out;
  std::string err;
  std::string log;
};

class SwclmKeyGetTest : public KeyGetRunTest {
protected:
  // Run names through call as SWCLMKEYGET does (or report a failure before the first
  // call when not_started is given) and keep what it printed.
  SwclmRun swclm(const clm::ApiCaller& call, const std::vector<std::string>& list, const clm::KeyGetSchedule& schedule,
                 const fs::path& out, const clm::Error* not_started = nullptr)
  {
    fs::create_directories(out);
    std::ostringstream o;
    std::ostringstream e;
    const fs::path log_path = dir() / "errorlog";
    SwclmRun r;
    {
      clm::KeyGetLog error_log(log_path.string(), e, "");
      clm::SwclmKeyGetOutput output(o, e, error_log);
      if (not_started) {
        output.not_started(*not_started);
      } else {
        clm::run_keyget(call, {"0000000001", "cGFzc3dv"}, names(list), options(out), schedule, output.report());
      }
      r.exit = output.exit_code();
    }
    r.out = o.str();
    r.err = e.str();
    r.log = read_plain(log_path);
    return r;
  }
};

const std::string k_ok_block = "HTTP/1.1 200.\nerrorcode: 0\nretcode: 0\n";

TEST_F(SwclmKeyGetTest, ASuccessfulRunIsTheReferencesTwoBlocksPerBatchAndAnEmptyLog)
{
  FakeServer server;
  server.devices = {{"a", {"1"}}, {"b", {"2", "3"}}};
  auto r = swclm(server.caller(), {"a", "b"}, {1, 10}, dir() / "out");
  EXPECT_EQ(r.exit, KeyGetExit::ok);
  EXPECT_EQ(r.out, k_ok_block + k_ok_block);
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.log, "");
  EXPECT_EQ(files_in(dir() / "out"), (std::vector<std::string>{"a_1", "b_2", "b_3"}));
  // Two batches: two blocks each, in input order whatever the jobs.
  r = swclm(server.caller(), {"a", "b"}, {2, 1}, dir() / "out2");
  EXPECT_EQ(r.out, k_ok_block + k_ok_block + k_ok_block + k_ok_block);
}

TEST_F(SwclmKeyGetTest, ADeviceFailureIsItsBlockOnStdoutItsMessageOnStderrAndTheWholeBlockInTheLog)
{
  FakeServer server;
  server.devices = {{"a", {"1"}}, {"nokey", {}}};
  const auto r = swclm(server.caller(), {"a", "nobody", "nokey"}, {1, 10}, dir() / "out");
  EXPECT_EQ(r.exit, KeyGetExit::device_reference);
  EXPECT_EQ(r.out, k_ok_block + "HTTP/1.1 200.\nerrorcode: 1706\nretcode: 200\n" + k_ok_block);
  EXPECT_EQ(r.err,
            "Error: device not found\nError: devgetkeylist error (200): nobody\nWarn : no commonkey: nokey\n");
  EXPECT_EQ(r.log,
            "HTTP/1.1 200.\nError: device not found\nerrorcode: 1706\nretcode: 200\n"
            "Error: devgetkeylist error (200): nobody\nWarn : no commonkey: nokey\n");
}

TEST_F(SwclmKeyGetTest, ExitCodesOfTable63AndTheLargestWins)
{
  FakeServer server;
  server.devices = {{"a", {"1"}}, {"b", {"2"}}, {"c", {"3"}}};
  server.fail_fetch = {"b"};
  server.db_error = {"c"};
  // 2: the lookup answered, a device's entry an error.
  EXPECT_EQ(swclm(server.caller(), {"a", "nobody"}, {1, 10}, dir() / "o1").exit, KeyGetExit::device_reference);
  // 3: getlist answered, a device's keys an error; it wins over 2.
  auto r = swclm(server.caller(), {"nobody", "b"}, {1, 10}, dir() / "o2");
  EXPECT_EQ(r.exit, KeyGetExit::key_reference);
  EXPECT_NE(r.log.find("HTTP/1.1 200.\nError: new key has expired; keys not returned: 2\nerrorcode: 1506\nretcode: "
                       "200\nError: cmkeybatget error (200): b\n"),
            std::string::npos)
    << r.log;
  // 4: a database error, with the server's errormessage in the block.
  r = swclm(server.caller(), {"b", "c"}, {1, 10}, dir() / "o3");
  EXPECT_EQ(r.exit, KeyGetExit::trail_reference);
  EXPECT_NE(r.log.find("Error: server database access failed\ndatabase access\nerrorcode: 1602\n"), std::string::npos)
    << r.log;
  // 5: getkeylist failed as a whole (no answer, or an HTTP error), once per call.
  const clm::ApiCaller refused = [](const std::string&, const json&) -> clm::ApiResult {
    throw clm::Error(clm::ExitCode::connection_refused, "127.0.0.1:1: connection refused");
  };
  r = swclm(refused, {"a", "b"}, {1, 10}, dir() / "o4");
  EXPECT_EQ(r.exit, KeyGetExit::device_lookup);
  EXPECT_EQ(r.out, "HTTP/1.1 000.\nerrorcode: 0\nretcode: 102\n");
  EXPECT_EQ(r.err, "Error: 127.0.0.1:1: connection refused\nError: devgetkeylist error (102): a\n"
                   "Error: devgetkeylist error (102): b\n");
  EXPECT_EQ(r.log, "HTTP/1.1 000.\nError: 127.0.0.1:1: connection refused\nerrorcode: 0\nretcode: 102\n"
                   "Error: devgetkeylist error (102): a\nError: devgetkeylist error (102): b\n");
  server.refuse_getkeylist = 1103;
  r = swclm(server.caller(), {"a"}, {1, 10}, dir() / "o5");
  EXPECT_EQ(r.exit, KeyGetExit::device_lookup);
  EXPECT_EQ(r.out, "HTTP/1.1 500.\nerrorcode: 1103\nretcode: 200\n");
  // 4 again: the whole lookup answered with a database error.
  server.refuse_getkeylist = 1601;
  EXPECT_EQ(swclm(server.caller(), {"a"}, {1, 10}, dir() / "o6").exit, KeyGetExit::trail_reference);
  // 6: getlist failed as a whole; it wins over everything.
  server.refuse_getkeylist = 0;
  server.refuse_getlist = true;
  r = swclm(server.caller(), {"nobody", "c", "a"}, {1, 10}, dir() / "o7");
  EXPECT_EQ(r.exit, KeyGetExit::key_fetch);
  EXPECT_NE(r.err.find("Error: cmkeybatget error (200): a\n"), std::string::npos) << r.err;
  EXPECT_TRUE(files_in(dir() / "o7").empty());
}

TEST_F(SwclmKeyGetTest, AFailureBeforeTheFirstCallIsADevgetkeylistErrorNamingNoDevice)
{
  const clm::Error no_id(clm::ExitCode::not_verified, "no verified ID/password in /s; run 'clm-id verify' first");
  const auto r = swclm({}, {}, {1, 10}, dir() / "out", &no_id);
  EXPECT_EQ(r.exit, KeyGetExit::device_lookup);
  EXPECT_EQ(r.out, "HTTP/1.1 000.\nerrorcode: 0\nretcode: 31\n");
  EXPECT_EQ(r.err, "Error: no verified ID/password in /s; run 'clm-id verify' first\nError: devgetkeylist error (31)\n");
  EXPECT_EQ(r.log, "HTTP/1.1 000.\nError: no verified ID/password in /s; run 'clm-id verify' first\nerrorcode: 0\n"
                   "retcode: 31\nError: devgetkeylist error (31)\n");
}

TEST_F(SwclmKeyGetTest, AFileErrorStopsTheRunWithACmkeybatgetErrorForTheBatchsDevices)
{
  FakeServer server;
  server.devices = {{"a", {"1"}}, {"b", {"2"}}, {"c", {"3"}}};
  const fs::path out = dir() / "out";
  fs::create_directories(out / "b_2" / "full");  // a non-empty directory cannot be renamed over
  const auto r = swclm(server.caller(), {"a", "b", "c"}, {1, 1}, out);
  EXPECT_EQ(r.exit, KeyGetExit::key_fetch);
  // a's two blocks, b's two calls, then the error block of the write.
  EXPECT_EQ(r.out.rfind(k_ok_block + k_ok_block + k_ok_block + k_ok_block + "HTTP/1.1 200.\nerrorcode: 0\nretcode: 8\n",
                        0),
            0u)
    << r.out;
  EXPECT_NE(r.log.find("Error: cmkeybatget error (8): b\n"), std::string::npos) << r.log;
  EXPECT_EQ(r.log.find(": a\n"), std::string::npos) << r.log;
}

TEST_F(SwclmKeyGetTest, ServerTextCannotForgeLines)
{
  const clm::ApiCaller call = [](const std::string&, const json& request) {
    json out = json::array();
    for (const json& d : request.at("deviceinfo")) {
      out.push_back(json{{"devicename", d.at("devicename")}, {"errorcode", 1706}, {"errormessage", "x\nretcode: 0"}});
    }
    return clm::api_result_of(200, clm::dump_json(json{{"errorcode", 0}, {"deviceinfo", out}}));
  };
  const auto r = swclm(call, {"a"}, {1, 10}, dir() / "out");
  EXPECT_EQ(r.out, k_ok_block + "HTTP/1.1 200.\nx\\x0aretcode: 0\nerrorcode: 1706\nretcode: 200\n");
}

TEST(LogSafe, WritesControlCharactersAsHexAndLeavesTheRest)
{
  EXPECT_EQ(clm::log_safe("plain-name_1"), "plain-name_1");
  EXPECT_EQ(clm::log_safe("a\nb\r\x1b\x7f"), "a\\x0ab\\x0d\\x1b\\x7f");
  EXPECT_EQ(clm::log_safe("caf\xc3\xa9"), "caf\xc3\xa9");
}

}  // namespace
