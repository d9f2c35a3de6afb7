// Tests of clm-server seed at the library level (seed_store): device names, the requests
// it makes through IdService and KeyService, one transaction, option checks; and the
// time a 1000-device getkeylist and getlist take over a seeded store (printed, not asserted).
#include "device_service.hpp"
#include "id_service.hpp"
#include "key_service.hpp"
#include "seed.hpp"
#include "store/sqlite_store.hpp"
#include "test_support.hpp"

#include <clm/crypto.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace {

using clm::json;
using clm::SecretBox;
using clm::server::DeviceService;
using clm::server::IdPolicy;
using clm::server::IdService;
using clm::server::KeyPolicy;
using clm::server::KeyService;
using clm::server::SeedOptions;
using clm::server::SqliteStore;

constexpr std::int64_t k_now_ms = 1'750'000'000'000;

class SeedTest : public clm::test::TempDirTest {
protected:
  SeedTest() : TempDirTest("clm-seed") {}

  void SetUp() override
  {
    ASSERT_NO_FATAL_FAILURE(TempDirTest::SetUp());
    m_store = std::make_unique<SqliteStore>(dir() / "clm.db");
    m_box = std::make_unique<SecretBox>(std::string(SecretBox::k_key_size, '\x5a'));
    m_ids = std::make_unique<IdService>(*m_store, *m_box, IdPolicy{}, [] { return k_now_ms; });
    m_keys = std::make_unique<KeyService>(*m_store, *m_box, *m_ids, KeyPolicy{}, [] { return k_now_ms; });
    m_devices = std::make_unique<DeviceService>(*m_store, *m_ids, [] { return k_now_ms; });
  }
  void TearDown() override
  {
    m_devices.reset();
    m_keys.reset();
    m_ids.reset();
    m_store.reset();
    TempDirTest::TearDown();
  }

  clm::server::SeedResult seed(const SeedOptions& opts, std::int64_t* last_progress = nullptr)
  {
    return clm::server::seed_store(*m_store, *m_ids, *m_keys, opts, [&](std::int64_t done) {
      if (last_progress) {
        *last_progress = done;
      }
    });
  }

  std::unique_ptr<SqliteStore> m_store;
  std::unique_ptr<SecretBox> m_box;
  std::unique_ptr<IdService> m_ids;
  std::unique_ptr<KeyService> m_keys;
  std::unique_ptr<DeviceService> m_devices;
};

TEST(SeedName, is_the_prefix_and_a_zero_padded_index)
{
  EXPECT_EQ(clm::server::seed_devicename("dev", 1), "dev000001");
  EXPECT_EQ(clm::server::seed_devicename("gw-", 123456), "gw-123456");
  EXPECT_EQ(clm::server::seed_devicename("x", 1234567), "x1234567");
}

TEST_F(SeedTest, creates_an_id_and_devices_with_their_keys)
{
  SeedOptions opts;
  opts.devices = 3;
  opts.keys = 2;
  opts.prefix = "gw";
  opts.keytype = "TWINE";
  opts.keylength = 80;
  std::int64_t progress = 0;
  const auto result = seed(opts, &progress);
  EXPECT_EQ(progress, 3);
  EXPECT_EQ(result.devicenames, (std::vector<std::string>{"gw000001", "gw000002", "gw000003"}));
  EXPECT_NO_THROW(m_ids->authenticate(result.keyid, result.key));
  const auto id = m_store->find_id(std::stoll(result.keyid));
  ASSERT_TRUE(id);
  EXPECT_EQ(id->tenantid, "seed");
  EXPECT_EQ(id->alias, "seed");
  EXPECT_TRUE(m_store->has_fleet_grant(id->keyid)) << "the batch puller may run as this ID or be granted";
  EXPECT_EQ(m_store->find_device_by_name(result.devicenames[0])->owner_keyid, id->keyid);

  json req{{"mode", "getkeylist"}, {"keyid", result.keyid}, {"key", result.key}, {"deviceinfo", json::array()}};
  for (const auto& name : result.devicenames) {
    req["deviceinfo"].push_back(json{{"devicename", name}});
  }
  const json list = m_devices->post(clm::dump_json(req), clm::server::Caller::client).body;
  ASSERT_EQ(list.at("errorcode"), 0) << list;
  for (std::size_t i = 0; i < result.devicenames.size(); ++i) {
    const json& dev = list.at("deviceinfo")[i];
    ASSERT_EQ(dev.at("keynumber").size(), 2u) << dev;
    const std::string& name = result.devicenames[i];
    for (std::size_t j = 0; j < 2; ++j) {
      const auto key = m_store->find_key(std::stoll(dev.at("keynumber")[j].get<std::string>()));
      ASSERT_TRUE(key);
      EXPECT_EQ(key->alias, name + "-k" + std::to_string(j + 1));
      EXPECT_EQ(key->keytype, "TWINE");
      EXPECT_EQ(key->keylength, 80);
      EXPECT_EQ(key->deviceid, dev.at("deviceid"));
      EXPECT_EQ(m_store->find_binding(key->keynumber, key->deviceid),
                "/seed/" + name + "/cmkey" + std::to_string(j + 1));
    }
  }
}

TEST_F(SeedTest, a_refused_seed_keeps_nothing)
{
  SeedOptions opts;
  opts.devices = 2;
  seed(opts);
  opts.devices = 3;  // dev000001 is registered already: 1702
  const auto e = clm::test::error_of([&] { seed(opts); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), clm::ExitCode::bad_parameter);
  EXPECT_NE(std::string(e->what()).find("1702"), std::string::npos) << e->what();
  EXPECT_FALSE(m_store->find_device_by_name("dev000003"));
  EXPECT_EQ(m_store->valid_ids(k_now_ms).size(), 1u) << "the second ID was rolled back";
}

TEST_F(SeedTest, options_are_checked)
{
  const auto code_of = [&](auto change) {
    SeedOptions opts;
    opts.devices = 1;
    change(opts);
    const auto e = clm::test::error_of([&] { clm::server::check_seed_options(opts); });
    return e ? static_cast<int>(e->code()) : 0;
  };
  EXPECT_EQ(code_of([](SeedOptions&) {}), 0);
  EXPECT_EQ(code_of([](SeedOptions& o) { o.devices = 0; }), 1);
  EXPECT_EQ(code_of([](SeedOptions& o) { o.keys = 0; }), 1);
  EXPECT_EQ(code_of([](SeedOptions& o) { o.prefix = std::string(60, 'p'); }), 1);
  EXPECT_EQ(code_of([](SeedOptions& o) { o.prefix = "a b"; }), 1);
  EXPECT_EQ(code_of([](SeedOptions& o) { o.keytype = "aes"; }), 1);
  EXPECT_EQ(code_of([](SeedOptions& o) { o.keylength = 80; }), 1);
  EXPECT_EQ(code_of([](SeedOptions& o) { o.keytype = "TWINE"; o.keylength = 80; }), 0);
}

// Not a pass/fail test: prints what a 1000-device batch costs the server.
TEST_F(SeedTest, timing_of_a_1000_device_getkeylist_and_getlist)
{
  using Clock = std::chrono::steady_clock;
  SeedOptions opts;
  opts.devices = 1000;
  auto t0 = Clock::now();
  const auto result = seed(opts);
  const double seed_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();

  json req{{"mode", "getkeylist"}, {"keyid", result.keyid}, {"key", result.key}, {"deviceinfo", json::array()}};
  for (const auto& name : result.devicenames) {
    req["deviceinfo"].push_back(json{{"devicename", name}});
  }
  const std::string list_body = clm::dump_json(req);
  t0 = Clock::now();
  const json list = m_devices->post(list_body, clm::server::Caller::client).body;
  const double list_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  ASSERT_EQ(list.at("errorcode"), 0);

  json get{{"mode", "getlist"}, {"keyid", result.keyid}, {"key", result.key}, {"deviceinfo", json::array()}};
  for (const json& dev : list.at("deviceinfo")) {
    get["deviceinfo"].push_back(json{{"deviceid", dev.at("deviceid")},
                                     {"devicename", dev.at("devicename")},
                                     {"keynumber", dev.at("keynumber")}});
  }
  const std::string get_body = clm::dump_json(get);
  t0 = Clock::now();
  const json keys = m_keys->post(get_body).body;
  const std::string answer = clm::dump_json(keys);
  const double get_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  ASSERT_EQ(keys.at("errorcode"), 0);
  ASSERT_EQ(keys.at("deviceinfo").size(), 1000u);
  std::cout << "[ timing   ] seed 1000 devices: " << seed_ms << " ms; getkeylist 1000: " << list_ms
            << " ms; getlist 1000 (request " << get_body.size() << " B, answer " << answer.size()
            << " B, parse + serialize included): " << get_ms << " ms\n";
}

}  // namespace
