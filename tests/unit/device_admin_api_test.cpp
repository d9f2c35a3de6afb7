// Tests of the operator's device API on the client (clm-device): names from stdin, paged
// reads, bulk requests, outcomes and the answers as printed.
#include "test_support.hpp"

#include <clm/device_admin_api.hpp>
#include <clm/keylist_api.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using clm::ApiResult;
using clm::ExitCode;
using clm::json;
using clm::test::error_of;

// ---- names on stdin ----------------------------------------------------------

TEST(ReadDeviceNames, takes_one_name_per_line_and_skips_blank_lines)
{
  EXPECT_EQ(clm::read_device_names("gw01\n\n  gw02 \r\n\t\ngw03"), (std::vector<std::string>{"gw01", "gw02", "gw03"}));
  EXPECT_TRUE(clm::read_device_names("").empty());
  EXPECT_TRUE(clm::read_device_names("\n \n").empty());
}

TEST(ReadDeviceNames, takes_the_devicename_of_json_lines)
{
  const std::string text = R"({"devicename":"gw01","status":"valid","errorcode":0}
{"status":"disabled", "devicename":"gw 02"}
plain03
)";
  EXPECT_EQ(clm::read_device_names(text), (std::vector<std::string>{"gw01", "gw 02", "plain03"}));
}

TEST(ReadDeviceNames, a_json_line_without_a_devicename_string_names_its_line)
{
  for (const char* bad : {"gw01\n{\"deviceid\":\"1\"}\n", "gw01\n{\"devicename\":7}\n", "gw01\n{not json\n",
                          "gw01\n{\"devicename\":\"\"}\n"}) {
    const auto err = error_of([&] { clm::read_device_names(bad); });
    ASSERT_TRUE(err) << bad;
    EXPECT_EQ(err->code(), ExitCode::bad_parameter);
    EXPECT_NE(std::string(err->what()).find("stdin line 2"), std::string::npos) << err->what();
  }
}

TEST(ReadDeviceNames, refuses_a_name_the_server_could_not_hold)
{
  const auto err = error_of([] { clm::read_device_names("ok\n" + std::string(65, 'x') + "\n"); });
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code(), ExitCode::bad_parameter);
  EXPECT_NE(std::string(err->what()).find("stdin line 2"), std::string::npos) << err->what();
  EXPECT_TRUE(error_of([] { clm::check_device_name(std::string("a\x01") + "b", "NAME"); }));
  EXPECT_FALSE(error_of([] { clm::check_device_name("iotgatewaytest cmkey", "NAME"); }));
}

// ---- paged reads --------------------------------------------------------------

// A server of n items named item000.. that pages as the real one does, keeping every request.
struct PagedServer {
  int items = 0;
  std::vector<json> requests;

  ApiResult operator()(const std::string& path, const json& req)
  {
    EXPECT_EQ(path, clm::k_deviceinfo_path);
    requests.push_back(req);
    const std::string after = req.value("after", "");
    const std::size_t limit = std::stoul(req.at("limit").get<std::string>());
    json page = json::array();
    std::string last;
    for (int i = 0; i < items && page.size() < limit; ++i) {
      char name[16];
      std::snprintf(name, sizeof name, "item%03d", i);
      if (name > after) {
        page.push_back(json{{"devicename", name}});
        last = name;
      }
    }
    return ApiResult{200, json{{"errorcode", 0}, {"deviceinfo", page}, {"next", page.size() == limit ? last : ""}}};
  }
};

std::vector<std::string> read_all(PagedServer& server, std::optional<std::size_t> limit, std::size_t page_size)
{
  std::vector<std::string> got;
  const auto failed = clm::read_pages(
    [&](const std::string& path, const json& req) { return server(path, req); },
    clm::PagedRead{json{{"mode", "search"}, {"status", "valid"}}, "deviceinfo", limit, page_size},
    [&](const json& item) { got.push_back(item.at("devicename").get<std::string>()); });
  EXPECT_FALSE(failed.has_value());
  return got;
}

TEST(ReadPages, follows_next_until_it_is_empty)
{
  PagedServer server{7, {}};
  const auto got = read_all(server, std::nullopt, 3);
  ASSERT_EQ(got.size(), 7u);
  EXPECT_EQ(got.front(), "item000");
  EXPECT_EQ(got.back(), "item006");
  ASSERT_EQ(server.requests.size(), 3u);
  EXPECT_FALSE(server.requests[0].contains("after"));
  EXPECT_EQ(server.requests[1].at("after"), "item002");
  EXPECT_EQ(server.requests[2].at("after"), "item005");
  for (const json& req : server.requests) {
    EXPECT_EQ(req.at("mode"), "search");
    EXPECT_EQ(req.at("status"), "valid");
    EXPECT_EQ(req.at("limit"), "3");
  }
}

TEST(ReadPages, a_full_last_page_costs_one_empty_page_more)
{
  PagedServer server{6, {}};
  EXPECT_EQ(read_all(server, std::nullopt, 3).size(), 6u);
  EXPECT_EQ(server.requests.size(), 3u);
}

TEST(ReadPages, stops_at_the_limit_and_asks_for_no_more_than_it_needs)
{
  PagedServer server{50, {}};
  const auto got = read_all(server, 5, 3);
  EXPECT_EQ(got.size(), 5u);
  ASSERT_EQ(server.requests.size(), 2u);
  EXPECT_EQ(server.requests[1].at("limit"), "2");
  PagedServer big{50, {}};
  EXPECT_EQ(read_all(big, std::nullopt, 5000).size(), 50u);
  EXPECT_EQ(big.requests[0].at("limit"), "1000");  // the server's cap
}

TEST(ReadPages, a_refused_page_is_returned_after_the_items_before_it)
{
  int calls = 0;
  std::vector<json> got;
  const auto failed = clm::read_pages(
    [&](const std::string&, const json&) {
      if (++calls == 1) {
        return ApiResult{200, json{{"errorcode", 0}, {"due", {{{"devicename", "a"}}}}, {"next", "a"}}};
      }
      return ApiResult{403, json{{"error", "this request needs the admin license key"}}};
    },
    clm::PagedRead{json{{"mode", "due"}}, "due", std::nullopt, 1}, [&](const json& item) { got.push_back(item); });
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->http_status, 403);
  EXPECT_EQ(got.size(), 1u);
}

TEST(ReadPages, a_bad_answer_is_an_http_error_naming_the_field)
{
  auto run = [](json answer) {
    return error_of([&] {
      clm::read_pages([&](const std::string&, const json&) { return ApiResult{200, answer}; },
                      clm::PagedRead{json{{"mode", "search"}}, "deviceinfo", std::nullopt, 10}, [](const json&) {});
    });
  };
  const auto no_items = run(json{{"errorcode", 0}, {"next", ""}});
  ASSERT_TRUE(no_items);
  EXPECT_EQ(no_items->code(), ExitCode::http_error);
  EXPECT_NE(std::string(no_items->what()).find("deviceinfo"), std::string::npos);
  const auto no_next = run(json{{"errorcode", 0}, {"deviceinfo", json::array()}});
  ASSERT_TRUE(no_next);
  EXPECT_NE(std::string(no_next->what()).find("next"), std::string::npos);
  // A server that hands back the cursor it was given would keep the client for ever.
  int calls = 0;
  const auto loop = error_of([&] {
    clm::read_pages(
      [&](const std::string&, const json&) {
        ++calls;
        return ApiResult{200, json{{"errorcode", 0}, {"deviceinfo", {{{"devicename", "x"}}}}, {"next", "x"}}};
      },
      clm::PagedRead{json{{"mode", "search"}}, "deviceinfo", std::nullopt, 10}, [](const json&) {});
  });
  ASSERT_TRUE(loop);
  EXPECT_EQ(calls, 2);
}

// ---- bulk requests --------------------------------------------------------------

TEST(SendBulk, splits_the_devices_into_requests_of_the_batch_size)
{
  std::vector<json> entries;
  for (int i = 0; i < 25000; ++i) {
    entries.push_back(json{{"devicename", "d" + std::to_string(i)}});
  }
  std::vector<std::size_t> sizes;
  std::vector<std::string> answered;
  const auto failed = clm::send_bulk(
    [&](const std::string& path, const json& req) {
      EXPECT_EQ(path, clm::k_deviceinfo_path);
      EXPECT_EQ(req.at("mode"), "disable");
      json answers = json::array();
      for (const json& e : req.at("deviceinfo")) {
        answers.push_back(json{{"errorcode", 0}, {"devicename", e.at("devicename")}, {"status", "disabled"}});
      }
      sizes.push_back(answers.size());
      return ApiResult{200, json{{"errorcode", 0}, {"deviceinfo", answers}}};
    },
    "disable", entries, clm::k_max_bulk_devices,
    [&](const json& entry, const json& answer) {
      EXPECT_EQ(entry.at("devicename"), answer.at("devicename"));
      answered.push_back(entry.at("devicename").get<std::string>());
    });
  EXPECT_FALSE(failed.has_value());
  EXPECT_EQ(sizes, (std::vector<std::size_t>{10000, 10000, 5000}));
  ASSERT_EQ(answered.size(), 25000u);
  EXPECT_EQ(answered[1234], "d1234");
}

TEST(SendBulk, a_request_ends_before_its_entries_pass_k_max_bulk_bytes)
{
  // 64-byte names of quotes escape to 128 bytes, with a 64-byte group: 10,000 of them
  // would be about 2.2 MB, twice the server's body limit.
  std::vector<json> entries;
  for (int i = 0; i < 10000; ++i) {
    entries.push_back(json{{"devicename", std::to_string(i) + std::string(60, '"')}, {"group", std::string(64, 'g')}});
  }
  std::size_t answered = 0;
  std::vector<std::size_t> sizes;
  const auto failed = clm::send_bulk(
    [&](const std::string&, const json& req) {
      EXPECT_LE(req.dump().size(), clm::k_max_bulk_bytes + 100);
      json answers = json::array();
      for (const json& e : req.at("deviceinfo")) {
        answers.push_back(json{{"errorcode", 0}, {"devicename", e.at("devicename")}});
      }
      sizes.push_back(answers.size());
      return ApiResult{200, json{{"errorcode", 0}, {"deviceinfo", answers}}};
    },
    "update", entries, clm::k_max_bulk_devices,
    [&](const json& entry, const json& answer) {
      EXPECT_EQ(entry.at("devicename"), answer.at("devicename"));
      ++answered;
    });
  EXPECT_FALSE(failed.has_value());
  EXPECT_EQ(answered, entries.size());
  EXPECT_GE(sizes.size(), 3u);
  // One entry larger than the limit still goes, alone.
  sizes.clear();
  const std::vector<json> big{json{{"devicename", "a"}, {"ext_data", std::string(clm::k_max_bulk_bytes, 'x')}},
                              json{{"devicename", "b"}}};
  clm::send_bulk(
    [&](const std::string&, const json& req) {
      sizes.push_back(req.at("deviceinfo").size());
      json answers = json::array();
      for (const json& e : req.at("deviceinfo")) {
        answers.push_back(json{{"errorcode", 0}, {"devicename", e.at("devicename")}});
      }
      return ApiResult{200, json{{"errorcode", 0}, {"deviceinfo", answers}}};
    },
    "update", big, clm::k_max_bulk_devices, [](const json&, const json&) {});
  EXPECT_EQ(sizes, (std::vector<std::size_t>{1, 1}));
}

TEST(SendBulk, per_device_errors_are_answers_and_an_http_error_refuses_the_request)
{
  const std::vector<json> entries{json{{"devicename", "a"}}, json{{"devicename", "b"}}};
  int seen = 0;
  auto none = clm::send_bulk(
    [](const std::string&, const json&) {
      // The answer's own errorcode is the last device's error: not a refusal.
      return ApiResult{200, json{{"errorcode", 1706},
                                 {"deviceinfo", {{{"errorcode", 0}, {"devicename", "a"}},
                                                 {{"errorcode", 1706}, {"devicename", "b"}}}}}};
    },
    "enable", entries, 10, [&](const json&, const json&) { ++seen; });
  EXPECT_FALSE(none.has_value());
  EXPECT_EQ(seen, 2);
  auto refused = clm::send_bulk(
    [](const std::string&, const json&) { return ApiResult{403, json{{"error", "no"}}}; }, "enable", entries, 10,
    [&](const json&, const json&) { ++seen; });
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->http_status, 403);
  EXPECT_EQ(seen, 2);
}

TEST(SendBulk, an_answer_without_one_object_per_device_is_a_bad_answer)
{
  const std::vector<json> entries{json{{"devicename", "a"}}, json{{"devicename", "b"}}};
  for (const json& answer : {json{{"errorcode", 0}},
                             json{{"errorcode", 0}, {"deviceinfo", {{{"errorcode", 0}}}}},
                             json{{"errorcode", 0}, {"deviceinfo", {{{"errorcode", 0}}, "b"}}},
                             json{{"errorcode", 0}, {"deviceinfo", {{{"errorcode", 0}}, {{"devicename", "b"}}}}}}) {
    const auto err = error_of([&] {
      clm::send_bulk([&](const std::string&, const json&) { return ApiResult{200, answer}; }, "get", entries, 10,
                     [](const json&, const json&) {});
    });
    ASSERT_TRUE(err) << answer;
    EXPECT_EQ(err->code(), ExitCode::http_error);
  }
}

// ---- outcomes -------------------------------------------------------------------

TEST(ChangeOutcome, success_is_changed)
{
  const auto out = clm::change_outcome(
    "disable", json{{"errorcode", 0}, {"devicename", "a"}, {"status", "disabled"}, {"expires", ""}, {"created", "0"}});
  EXPECT_FALSE(out.failed);
  EXPECT_EQ(out.line.at("changed"), true);
  EXPECT_EQ(out.line.at("status"), "disabled");
  EXPECT_EQ(out.line.at("created"), "1970-01-01T00:00:00Z");
  EXPECT_TRUE(out.line.at("expires").is_null());
}

TEST(ChangeOutcome, already_so_is_no_failure_for_its_own_mode_only)
{
  const std::vector<std::pair<const char*, int>> already{{"disable", 1708}, {"enable", 1709}, {"delete", 1710}};
  for (const auto& [mode, code] : already) {
    EXPECT_EQ(clm::already_errorcode(mode), code);
    const auto out = clm::change_outcome(mode, json{{"errorcode", code}, {"devicename", "a"}});
    EXPECT_FALSE(out.failed) << mode;
    EXPECT_EQ(out.line.at("changed"), false);
    EXPECT_EQ(out.line.at("errorcode"), code);
  }
  EXPECT_EQ(clm::change_outcome("delete", json{{"errorcode", 1710}, {"devicename", "a"}}).line.at("status"), "deleted");
  EXPECT_EQ(clm::change_outcome("enable", json{{"errorcode", 1709}, {"devicename", "a"}}).line.at("status"), "valid");
  // Disabling a deleted device is a failure, so is any update of one.
  EXPECT_TRUE(clm::change_outcome("disable", json{{"errorcode", 1710}, {"devicename", "a"}}).failed);
  EXPECT_TRUE(clm::change_outcome("update", json{{"errorcode", 1710}, {"devicename", "a"}}).failed);
  EXPECT_TRUE(clm::change_outcome("enable", json{{"errorcode", 1708}, {"devicename", "a"}}).failed);
  const auto unknown = clm::change_outcome("disable", json{{"errorcode", 1706}, {"devicename", "a"}});
  EXPECT_TRUE(unknown.failed);
  EXPECT_EQ(unknown.line.at("changed"), false);
  EXPECT_FALSE(unknown.line.contains("status"));
  EXPECT_EQ(clm::already_errorcode("update"), 0);
}

TEST(DeviceFailureText, names_the_device_and_the_errorcode)
{
  EXPECT_EQ(clm::device_failure_text("disable", "gw01", 1706), "disable gw01: errorcode 1706 (device not found)");
  EXPECT_EQ(clm::device_failure_text("get", "x", 9999), "get x: errorcode 9999");
}

TEST(ThrowAdminFailure, says_what_a_403_and_a_401_mean)
{
  const auto forbidden = error_of([] {
    clm::throw_admin_failure(ApiResult{403, json{{"error", "this request needs the admin license key"}}}, "search");
  });
  ASSERT_TRUE(forbidden);
  EXPECT_EQ(forbidden->code(), ExitCode::http_error);
  EXPECT_STREQ(forbidden->what(), "the server refused: this request needs the admin license key");
  const auto unauthorized = error_of([] { clm::throw_admin_failure(ApiResult{401, json::object()}, "search"); });
  ASSERT_TRUE(unauthorized);
  EXPECT_NE(std::string(unauthorized->what()).find("--admin-key-file"), std::string::npos);
  const auto other = error_of([] { clm::throw_admin_failure(ApiResult{400, json{{"errorcode", 1104}}}, "due"); });
  ASSERT_TRUE(other);
  EXPECT_NE(std::string(other->what()).find("errorcode 1104"), std::string::npos);
}

// ---- answers as printed -----------------------------------------------------------

TEST(DeviceOutput, times_become_iso_8601_and_the_rest_stays)
{
  const json wire{{"errorcode", 0},          {"deviceid", "0000000007"}, {"devicename", "gw01"},
                  {"status", "valid"},       {"ext_data", {{"os", "x"}}}, {"group", ""},
                  {"expires", "1796119200000"}, {"created", "1796119200999"}, {"owner", "0000000001"},
                  {"events", {{{"at", "0"}, {"api", "KeyInfo"}, {"mode", "get"}, {"keynumber", "12"}, {"by", "admin"}}}}};
  const json out = clm::device_output(wire);
  EXPECT_EQ(out.at("expires"), "2026-12-01T10:00:00Z");
  EXPECT_EQ(out.at("created"), "2026-12-01T10:00:00Z");
  EXPECT_EQ(out.at("events")[0].at("at"), "1970-01-01T00:00:00Z");
  EXPECT_EQ(out.at("events")[0].at("keynumber"), "12");  // an identifier stays a string
  EXPECT_EQ(out.at("deviceid"), "0000000007");
  EXPECT_EQ(out.at("ext_data"), (json{{"os", "x"}}));
  EXPECT_TRUE(clm::device_output(json{{"expires", ""}}).at("expires").is_null());
}

TEST(DeviceOutput, a_time_that_is_not_digits_is_a_bad_answer_naming_it)
{
  for (const json& bad : {json{{"expires", "soon"}}, json{{"created", 5}}, json{{"created", "-1"}},
                          json{{"events", {{{"at", "x"}}}}}, json{{"events", "x"}}, json("x")}) {
    const auto err = error_of([&] { clm::device_output(bad); });
    ASSERT_TRUE(err) << bad;
    EXPECT_EQ(err->code(), ExitCode::http_error) << bad;
  }
}

TEST(GroupOutput, counts_and_days_become_numbers)
{
  const json out = clm::group_output(json{{"errorcode", 0},     {"group", "cameras"}, {"rotate_days", "30"},
                                          {"renew_days", ""},   {"created", "0"},     {"devices", "12"}});
  EXPECT_EQ(out.at("rotate_days"), 30);
  EXPECT_TRUE(out.at("renew_days").is_null());
  EXPECT_EQ(out.at("devices"), 12);
  EXPECT_EQ(out.at("created"), "1970-01-01T00:00:00Z");
  EXPECT_EQ(out.at("group"), "cameras");
  EXPECT_TRUE(error_of([] { clm::group_output(json{{"devices", "-1"}}); }));
}

TEST(DueAndCredentialOutput, times_and_days_left)
{
  const json due = clm::due_output(json{{"devicename", "a"}, {"kind", "key"}, {"keynumber", "7"},
                                        {"due", "1796119200000"}, {"expires", "0"}});
  EXPECT_EQ(due.at("due"), "2026-12-01T10:00:00Z");
  EXPECT_EQ(due.at("expires"), "1970-01-01T00:00:00Z");
  EXPECT_EQ(due.at("keynumber"), "7");
  const json cred = clm::credential_output(
    json{{"devicename", "a"}, {"kind", "certificate"}, {"expires", "1796119200000"}, {"days_left", "-3"}, {"bucket", "expired"}});
  EXPECT_EQ(cred.at("days_left"), -3);
  EXPECT_EQ(cred.at("expires"), "2026-12-01T10:00:00Z");
  EXPECT_EQ(cred.at("bucket"), "expired");
}

TEST(SummaryOutput, every_count_becomes_a_number)
{
  const json out = clm::summary_output(json{
    {"errorcode", 0},
    {"devices", {{"valid", "3"}, {"disabled", "1"}, {"deleted", "0"}, {"expired", "2"}}},
    {"credentials", {{"expired", "1"}, {"15", "0"}, {"30", "4"}, {"60", "0"}, {"90", "0"}, {"later", "9"}}},
    {"per_day", {{{"day", "2026-11-30"}, {"issued", "5"}, {"rotated", "2"}}}}});
  EXPECT_EQ(out.at("devices"), (json{{"valid", 3}, {"disabled", 1}, {"deleted", 0}, {"expired", 2}}));
  EXPECT_EQ(out.at("credentials").at("30"), 4);
  EXPECT_EQ(out.at("credentials").at("later"), 9);
  EXPECT_EQ(out.at("per_day")[0], (json{{"day", "2026-11-30"}, {"issued", 5}, {"rotated", 2}}));
  EXPECT_TRUE(error_of([] { clm::summary_output(json{{"devices", "3"}}); }));
}

// ---- tables -----------------------------------------------------------------------

TEST(AlignedTable, pads_each_column_to_its_widest_cell)
{
  EXPECT_EQ(clm::aligned_table({{"A", "BB", "C"}, {"long", "x", ""}, {"", "yyy", "z"}}),
            "A     BB   C\n"
            "long  x\n"
            "      yyy  z\n");
  EXPECT_EQ(clm::aligned_table({}), "");
}

TEST(ReportTable, lists_the_credentials_and_counts_each_bucket)
{
  const std::vector<json> items{
    clm::credential_output(json{{"devicename", "cam01"}, {"kind", "key"}, {"keynumber", "12"}, {"alias", "video"},
                                {"expires", "1796119200000"}, {"days_left", "-3"}, {"bucket", "expired"}}),
    clm::credential_output(json{{"devicename", "gw1"}, {"kind", "certificate"}, {"keynumber", "7"},
                                {"serial", "1A2B"}, {"expires", "1801353600000"}, {"days_left", "61"},
                                {"bucket", "90"}}),
  };
  EXPECT_EQ(clm::report_table(items),
            "DEVICE  KIND         KEYNUMBER  NAME   EXPIRES     DAYS  BUCKET\n"
            "cam01   key          12         video  2026-12-01  -3    expired\n"
            "gw1     certificate  7          1A2B   2027-01-31  61    90\n"
            "2 credentials: 1 expired, 0 within 15 days, 0 within 30 days, 0 within 60 days, 1 within 90 days, 0 later\n");
  EXPECT_EQ(clm::report_table({}),
            "DEVICE  KIND  KEYNUMBER  NAME  EXPIRES  DAYS  BUCKET\n"
            "0 credentials: 0 expired, 0 within 15 days, 0 within 30 days, 0 within 60 days, 0 within 90 days, 0 later\n");
}

TEST(ReportTable, keeps_what_the_server_wrote_on_its_line)
{
  const std::string table = clm::report_table(
    {json{{"devicename", "evil\nname"}, {"kind", "key"}, {"bucket", "later"}, {"days_left", 400}}});
  EXPECT_NE(table.find("evil\\x0aname"), std::string::npos) << table;
}

}  // namespace
