// Tests of /SWCLM/KeyInfo modes create, get, update, delete, auth and getlist (WebAPI
// reference 5.1-5.6) and of /SWCLM/DeviceInfo mode getkeylist (our extension) at the
// service level: field validation, key types and lengths, key numbers shared with certificates, keys sealed at rest, alias lookups, expiry, bindings of
// devices to keys, every errorcode 1501-1510 and 1513, TWINE-OTR proofs, the audit
// trail and the key_lifetime setting — over a real SQLite store and a fake clock.
#include "cred_service.hpp"
#include "data_dir.hpp"
#include "device_service.hpp"
#include "id_service.hpp"
#include "key_service.hpp"
#include "store/sqlite_store.hpp"
#include "test_support.hpp"

#include <clm/crypto.hpp>
#include <clm/otr.hpp>

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;

using clm::json;
using clm::SecretBox;
using clm::server::ApiError;
using clm::server::ApiResponse;
using clm::server::IdPolicy;
using clm::server::IdService;
using clm::server::KeyPolicy;
using clm::server::KeyRecord;
using clm::server::KeyService;
using clm::server::KeyStatus;
using clm::server::SqliteStore;
using clm::test::read_plain;
using clm::test::TempDirTest;
using clm::test::write_plain;

using namespace std::chrono_literals;

constexpr std::int64_t k_start_ms = 1'750'000'000'000;
constexpr std::int64_t k_day_ms = 86'400'000;
constexpr const char* k_cmkey_path = "/etc/opt/nec/swclm/keyfile/cmkey";

// A device as the key API knows it after its first create.
struct Device {
  std::string deviceid;
  std::string devicename;
};

// A key as an answer of create, get or update gave it.
struct Key {
  Device device;
  std::string keynumber;
  std::string commonkey;  // raw bytes
  std::string alias;
  json body;
};

class KeyServiceTest : public TempDirTest {
protected:
  KeyServiceTest() : TempDirTest("clm-keysvc") {}

  void SetUp() override
  {
    ASSERT_NO_FATAL_FAILURE(TempDirTest::SetUp());
    m_store = std::make_unique<SqliteStore>(db_path());
    m_box = std::make_unique<SecretBox>(std::string(SecretBox::k_key_size, '\x5a'));
    m_ids = std::make_unique<IdService>(*m_store, *m_box, IdPolicy{}, [this] { return m_now; });
    rebuild();
    const ApiResponse id = m_ids->post(clm::dump_json(json{{"mode", "create"}, {"tenantid", "T"}, {"alias", "a"}}));
    ASSERT_EQ(id.status, 201);
    m_keyid = id.body.at("keyid").get<std::string>();
    m_key = id.body.at("key").get<std::string>();
  }
  void TearDown() override
  {
    m_service.reset();
    m_ids.reset();
    m_store.reset();
    TempDirTest::TearDown();
  }

  // Rebuild the service with m_policy (the store and its contents stay).
  void rebuild()
  {
    m_service = std::make_unique<KeyService>(*m_store, *m_box, *m_ids, m_policy, [this] { return m_now; });
  }

  SqliteStore& store() { return *m_store; }
  const SecretBox& box() const { return *m_box; }
  IdService& ids() { return *m_ids; }
  fs::path db_path() const { return dir() / "clm.db"; }
  std::int64_t lifetime_ms() const
  {
    return std::chrono::duration_cast<std::chrono::milliseconds>(m_policy.lifetime).count();
  }

  json base(const std::string& mode) const { return json{{"mode", mode}, {"keyid", m_keyid}, {"key", m_key}}; }

  // Return a complete create request; device.deviceid empty registers the name.
  json create_request(const Device& device, const std::string& keytype = "AES", const std::string& alias = "cmkey",
                      const std::optional<std::string>& keylength = std::nullopt) const
  {
    json j = base("create");
    if (!device.deviceid.empty()) {
      j["deviceid"] = device.deviceid;
    }
    j["devicename"] = device.devicename;
    j["alias"] = alias;
    j["keytype"] = keytype;
    if (keylength) {
      j["keylength"] = *keylength;
    }
    j["keyfilepath"] = "/tmp/key";
    j["commonkeyfilepath"] = k_cmkey_path;
    return j;
  }

  // Return a get/update/delete/auth request of device for key number keynumber (omitted when empty).
  json request(const std::string& mode, const Device& device, const std::string& keynumber,
               const std::string& filepath = k_cmkey_path) const
  {
    json j = base(mode);
    j["deviceid"] = device.deviceid;
    j["devicename"] = device.devicename;
    if (!keynumber.empty()) {
      j["keynumber"] = keynumber;
    }
    j["filepath"] = filepath;
    return j;
  }

  // Return a delete or auth request proving key with its bytes.
  json proof(const std::string& mode, const Key& key, const std::string& filepath = k_cmkey_path) const
  {
    json j = request(mode, key.device, key.keynumber, filepath);
    j["commonkey"] = clm::base64_encode(key.commonkey);
    return j;
  }

  ApiResponse post(const json& req) { return m_service->post(clm::dump_json(req)); }

  // Return the errorcode of req (0 on success) and the refusal's log detail in detail.
  int errorcode(const json& req, std::string* detail = nullptr)
  {
    try {
      return post(req).body.value("errorcode", -1);
    } catch (const ApiError& e) {
      if (detail) {
        *detail = e.detail;
      }
      return e.errorcode;
    }
  }

  // Return req with field set to value, or removed when value is null.
  static json with(json req, const std::string& field, const json& value)
  {
    if (value.is_null()) {
      req.erase(field);
    } else {
      req[field] = value;
    }
    return req;
  }

  // Return the key of a successful answer; fail the test for another status.
  static Key key_of(const ApiResponse& r, int status, Device device)
  {
    EXPECT_EQ(r.status, status) << r.body;
    Key k;
    device.deviceid = r.body.value("deviceid", device.deviceid);
    k.device = std::move(device);
    k.keynumber = r.body.value("keynumber", "");
    k.commonkey = clm::base64_decode(r.body.value("commonkey", ""));
    k.alias = r.body.value("alias", "");
    k.body = r.body;
    return k;
  }

  // Create a key for devicename, registering the device at its first key.
  Key create(const std::string& devicename = "dev01", const std::string& keytype = "AES",
             const std::string& alias = "cmkey", const std::optional<std::string>& keylength = std::nullopt)
  {
    Device d{"", devicename};
    if (const auto known = store().find_device_by_name(devicename)) {
      d.deviceid = known->deviceid;
    }
    return key_of(post(create_request(d, keytype, alias, keylength)), 201, d);
  }

  // Fetch key number keynumber for device.
  Key get(const Device& device, const std::string& keynumber, const std::string& filepath = k_cmkey_path)
  {
    return key_of(post(request("get", device, keynumber, filepath)), 200, device);
  }

  // Return the stored key with this number; fail the test when there is none.
  KeyRecord record_of(const std::string& keynumber)
  {
    const auto r = store().find_key(std::stoll(keynumber));
    EXPECT_TRUE(r.has_value()) << keynumber;
    return r.value_or(KeyRecord{});
  }

  // Register a device that holds no key yet, by a key of an alias nobody else uses.
  Device device(const std::string& devicename) { return create(devicename, "AES", "setup-" + devicename).device; }

  std::int64_t m_now = k_start_ms;
  KeyPolicy m_policy;

private:
  std::unique_ptr<SqliteStore> m_store;
  std::unique_ptr<SecretBox> m_box;
  std::unique_ptr<IdService> m_ids;
  std::unique_ptr<KeyService> m_service;
  std::string m_keyid;
  std::string m_key;
};

// Return the number of rows query (one integer column) counts in the database at path.
std::int64_t count_rows(const fs::path& path, const std::string& query)
{
  sqlite3* db = nullptr;
  std::int64_t n = -1;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, query.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
      n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return n;
}

// ---- body, mode and ID/password ---------------------------------------------------

TEST_F(KeyServiceTest, bad_body_mode_or_id_is_refused)
{
  EXPECT_EQ(errorcode(json::array()), 1101);
  EXPECT_EQ(errorcode(with(create_request({"", "dev01"}), "mode", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(create_request({"", "dev01"}), "mode", "revoke")), 1103);
  EXPECT_EQ(errorcode(with(create_request({"", "dev01"}), "mode", "list")), 1103);
  EXPECT_EQ(errorcode(with(create_request({"", "dev01"}), "keyid", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(create_request({"", "dev01"}), "key", "WrongPassword1")), 1201);
  EXPECT_EQ(errorcode(with(create_request({"", "dev01"}), "keyid", "0000000099")), 1204);
  EXPECT_FALSE(store().find_device_by_name("dev01")) << "a refused create registered the device";
}

// ---- create ------------------------------------------------------------------------

TEST_F(KeyServiceTest, create_answers_201_with_the_key)
{
  const ApiResponse r = post(create_request({"", "nec-edge-0001"}, "AES", "iotgatewaytest_cmkey", "128"));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.body.value("errorcode", -1), 0);
  EXPECT_EQ(r.body.value("deviceid", ""), "0000000001");
  EXPECT_EQ(r.body.value("devicekey", "").size(), 32u);
  EXPECT_EQ(r.body.value("keynumber", ""), "1");
  EXPECT_EQ(r.body.value("alias", ""), "iotgatewaytest_cmkey");
  EXPECT_EQ(r.body.value("expiration", ""), std::to_string(k_start_ms + 365 * k_day_ms));
  EXPECT_EQ(clm::base64_decode(r.body.value("commonkey", "")).size(), 16u);
  for (const char* field : {"keynumber", "expiration", "commonkey", "deviceid", "devicekey", "alias"}) {
    EXPECT_TRUE(r.body.at(field).is_string()) << field;
  }

  // A second key for the registered device: no devicekey, the next number, another key.
  json again = create_request({r.body.value("deviceid", ""), "nec-edge-0001"});
  const ApiResponse r2 = post(again);
  ASSERT_EQ(r2.status, 201) << r2.body;
  EXPECT_FALSE(r2.body.contains("devicekey"));
  EXPECT_EQ(r2.body.value("keynumber", ""), "2");
  EXPECT_NE(r2.body.value("commonkey", ""), r.body.value("commonkey", ""));
}

TEST_F(KeyServiceTest, create_makes_keys_of_every_type_and_length)
{
  const std::vector<std::tuple<std::string, std::optional<std::string>, std::size_t, int>> cases{
    {"AES", "128", 16, 128},   {"AES", "256", 32, 256},   {"AES", std::nullopt, 16, 128},
    {"TWINE", "80", 10, 80},   {"TWINE", "128", 16, 128}, {"TWINE", std::nullopt, 16, 128},
  };
  for (const auto& [type, length, bytes, bits] : cases) {
    const Key k = create("dev01", type, "k", length);
    EXPECT_EQ(k.commonkey.size(), bytes) << type << " " << length.value_or("default");
    const KeyRecord rec = record_of(k.keynumber);
    EXPECT_EQ(rec.keytype, type);
    EXPECT_EQ(rec.keylength, bits);
  }
}

TEST_F(KeyServiceTest, create_refuses_every_bad_type_and_length_with_1104)
{
  const std::vector<std::pair<std::string, std::string>> bad{
    {"AES", "80"},     {"AES", "192"},   {"AES", "64"},  {"TWINE", "256"}, {"TWINE", "64"}, {"TWINE", "192"},
    {"AES", "0128"},   {"AES", "128 "},  {"AES", ""},    {"AES", "abc"},   {"aes", "128"},  {"twine", "80"},
    {"DES", "128"},    {"", "128"},      {"AES128", "128"},
  };
  for (const auto& [type, length] : bad) {
    EXPECT_EQ(errorcode(create_request({"", "dev01"}, type, "k", length)), 1104) << type << "/" << length;
  }
  EXPECT_EQ(errorcode(with(create_request({"", "dev01"}, "TWINE"), "keylength", 128)), 1103)
    << "keylength is a string, as in the reference";
  EXPECT_EQ(errorcode(with(create_request({"", "dev01"}), "keytype", nullptr)), 1102);
  EXPECT_EQ(store().allocate_keynumber("probe"), 1) << "a refused create used a key number";
}

TEST_F(KeyServiceTest, create_takes_the_webapi_references_own_alias_example_with_a_space)
{
  const Key k = create("dev 01", "AES", "iotgatewaytest cmkey");
  EXPECT_EQ(k.alias, "iotgatewaytest cmkey");
  EXPECT_EQ(record_of(k.keynumber).alias, "iotgatewaytest cmkey");
}

TEST_F(KeyServiceTest, create_fields_are_validated)
{
  const json good = create_request({"", "dev01"});
  EXPECT_EQ(errorcode(with(good, "alias", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(good, "alias", 7)), 1103);
  EXPECT_EQ(errorcode(with(good, "alias", std::string(65, 'a'))), 1104);
  EXPECT_EQ(errorcode(with(good, "alias", "a\tb")), 1104);
  EXPECT_EQ(errorcode(with(good, "alias", "a\x7f")), 1104);
  EXPECT_EQ(errorcode(with(good, "alias", "")), 1104);
  EXPECT_EQ(errorcode(with(good, "keyfilepath", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(good, "commonkeyfilepath", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(good, "commonkeyfilepath", std::string(1025, 'p'))), 1104);
  EXPECT_EQ(errorcode(with(good, "commonkeyfilepath", "/etc/a\nb")), 1104);
  EXPECT_EQ(errorcode(with(good, "devicename", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(good, "macaddress", "12:34")), 1104);
  EXPECT_EQ(errorcode(with(good, "ext_data", "x")), 1103);
  EXPECT_EQ(errorcode(with(good, "alias", std::string(64, 'a'))), 0);
  const Device dev01{store().find_device_by_name("dev01").value().deviceid, "dev01"};
  EXPECT_EQ(errorcode(with(create_request(dev01), "keyfilepath", "any value at all")), 0)
    << "keyfilepath is required, not checked";
}

TEST_F(KeyServiceTest, create_registers_and_checks_the_device)
{
  json first = create_request({"", "gw"});
  first["ipaddress"] = "192.168.0.1";
  first["macaddress"] = "AA-BB-CC-DD-EE-FF";
  first["ext_data"] = json{{"osname", "Debian"}};
  const Key k = key_of(post(first), 201, {"", "gw"});
  const auto dev = store().find_device_by_name("gw");
  ASSERT_TRUE(dev);
  EXPECT_EQ(dev->deviceid, k.device.deviceid);
  EXPECT_EQ(dev->macaddress, "aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(dev->ipaddress, "192.168.0.1");
  EXPECT_EQ(errorcode(create_request({"", "gw"})), 1702);
  EXPECT_EQ(errorcode(create_request({"0000000099", "gw"})), 1701);
  EXPECT_EQ(errorcode(create_request({"0000000001", "unknown"})), 1706);
}

TEST_F(KeyServiceTest, created_key_is_stored_bound_and_sealed)
{
  const Key k = create("dev01", "TWINE", "tw", "128");
  const KeyRecord rec = record_of(k.keynumber);
  EXPECT_EQ(rec.alias, "tw");
  EXPECT_EQ(rec.status, KeyStatus::valid);
  EXPECT_EQ(rec.deviceid, k.device.deviceid);
  EXPECT_EQ(rec.created_ms, m_now);
  EXPECT_EQ(rec.expiration_ms, m_now + lifetime_ms());
  EXPECT_FALSE(rec.replaced_by);
  EXPECT_EQ(store().find_binding(rec.keynumber, k.device.deviceid), std::optional<std::string>(k_cmkey_path));
  EXPECT_EQ(rec.sealed_key.find(k.commonkey), std::string::npos);
  EXPECT_EQ(box().open(rec.sealed_key, "keys/" + k.keynumber), k.commonkey) << "sealed for its own row";
}

TEST_F(KeyServiceTest, keys_are_sealed_at_rest)
{
  std::vector<std::string> keys;
  for (const char* type : {"AES", "TWINE"}) {
    for (const char* length : {"128", "256", "80"}) {
      if (std::string(type) == "AES" ? std::string(length) != "80" : std::string(length) != "256") {
        keys.push_back(create("dev01", type, "k", std::string(length)).commonkey);
      }
    }
  }
  for (const char* suffix : {"", "-wal"}) {
    const fs::path p = db_path().string() + suffix;
    if (!fs::exists(p)) {
      continue;
    }
    const std::string bytes = read_plain(p);
    for (const std::string& key : keys) {
      EXPECT_EQ(bytes.find(key), std::string::npos) << "a raw key is in " << p;
      EXPECT_EQ(bytes.find(clm::base64_encode(key)), std::string::npos) << "a base64 key is in " << p;
    }
  }
}

TEST_F(KeyServiceTest, key_lifetime_policy_sets_the_expiration)
{
  m_policy.lifetime = 30 * 24h;
  rebuild();
  const Key k = create();
  EXPECT_EQ(k.body.value("expiration", ""), std::to_string(m_now + 30 * k_day_ms));
}

// ---- key numbers -------------------------------------------------------------------

TEST_F(KeyServiceTest, key_numbers_are_shared_with_certificates)
{
  const auto ca = clm::server::create_ca(clm::server::KeyType::ec_p256);
  auto stored = [&](const std::string& name, const clm::server::KeyPair& kp) {
    return std::pair{name,
                     clm::server::StoredKeyPair{kp.cert_pem, box().seal(kp.key_pem, clm::server::key_pair_associated_data(name))}};
  };
  store().initialize({stored("CA", ca.root), stored("ca1", ca.issuing)});
  clm::server::CertPolicy cert_policy;
  cert_policy.key_type = clm::server::KeyType::ec_p256;
  clm::server::CredService certs(store(), box(), ids(), cert_policy, [this] { return m_now; });
  // CA and ca1 took 1 and 2 when the certificate service started.
  const Key k1 = create("dev01");
  json cert = base("create");
  cert.update(json{{"deviceid", k1.device.deviceid}, {"devicename", "dev01"}, {"certmode", "client"},
                   {"catype", "ca1"}, {"clientsubject", "/CN=dev01"}, {"keyfilepath", "/tmp/key"},
                   {"cafilepath", "/etc/ca.pem"}, {"clientfilepath", "/etc/cl.pem"}});
  const ApiResponse c = certs.post(clm::dump_json(cert));
  ASSERT_EQ(c.status, 201) << c.body;
  const Key k2 = create("dev01");
  EXPECT_EQ(k1.keynumber, "3");
  EXPECT_EQ(c.body.value("clientkeynumber", ""), "4");
  EXPECT_EQ(k2.keynumber, "5");
  // A certificate's number is no key's.
  EXPECT_EQ(errorcode(request("get", k1.device, "4")), 1501);
}

TEST_F(KeyServiceTest, key_numbers_are_unique_and_increasing)
{
  std::int64_t last = 0;
  for (int i = 0; i < 10; ++i) {
    const std::int64_t n = std::stoll(create("dev01", i % 2 ? "AES" : "TWINE").keynumber);
    EXPECT_GT(n, last);
    last = n;
  }
}

// ---- get ---------------------------------------------------------------------------

TEST_F(KeyServiceTest, get_by_keynumber_answers_the_key)
{
  const Key created = create("dev01", "AES", "cmkey", "256");
  const ApiResponse r = post(request("get", created.device, created.keynumber));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.value("errorcode", -1), 0);
  EXPECT_EQ(r.body.value("deviceid", ""), created.device.deviceid);
  EXPECT_EQ(r.body.value("keynumber", ""), created.keynumber);
  EXPECT_EQ(r.body.value("alias", ""), "cmkey");
  EXPECT_EQ(r.body.value("expiration", ""), created.body.value("expiration", "?"));
  EXPECT_EQ(r.body.value("commonkey", ""), created.body.value("commonkey", "?"));
  EXPECT_FALSE(r.body.contains("devicekey"));
}

TEST_F(KeyServiceTest, any_device_may_get_a_key_and_is_bound_to_it)
{
  const Key created = create("dev01");
  const Device other = device("dev02");
  EXPECT_FALSE(store().find_binding(std::stoll(created.keynumber), other.deviceid));
  const Key fetched = get(other, created.keynumber, "/var/keys/a");
  EXPECT_EQ(fetched.commonkey, created.commonkey);
  EXPECT_EQ(store().find_binding(std::stoll(created.keynumber), other.deviceid), std::optional<std::string>("/var/keys/a"));
  // Getting again to another file moves the binding; one row per key and device.
  get(other, created.keynumber, "/var/keys/b");
  EXPECT_EQ(store().find_binding(std::stoll(created.keynumber), other.deviceid), std::optional<std::string>("/var/keys/b"));
  EXPECT_EQ(count_rows(db_path(), "SELECT COUNT(*) FROM key_bindings WHERE keynumber = " + created.keynumber), 2);
  EXPECT_EQ(store().find_binding(std::stoll(created.keynumber), created.device.deviceid),
            std::optional<std::string>(k_cmkey_path))
    << "the creator's binding stays";
}

TEST_F(KeyServiceTest, get_by_alias_answers_the_largest_valid_number)
{
  const Key a = create("dev01", "AES", "shared");
  const Key b = create("dev02", "TWINE", "shared");
  create("dev01", "AES", "other");
  const Device reader = device("dev03");
  json req = with(request("get", reader, ""), "alias", "shared");
  EXPECT_EQ(key_of(post(req), 200, reader).keynumber, b.keynumber);
  // Once b is replaced by a key under another alias, a is the largest valid one.
  json upd = with(request("update", b.device, b.keynumber), "alias", "renamed");
  ASSERT_EQ(post(upd).status, 200);
  EXPECT_EQ(key_of(post(req), 200, reader).keynumber, a.keynumber);
  EXPECT_EQ(errorcode(with(req, "alias", "nobody")), 1501);
}

TEST_F(KeyServiceTest, get_keynumber_wins_over_alias)
{
  const Key a = create("dev01", "AES", "first");
  create("dev01", "AES", "second");
  json req = with(request("get", a.device, a.keynumber), "alias", "second");
  EXPECT_EQ(key_of(post(req), 200, a.device).keynumber, a.keynumber);
  EXPECT_EQ(errorcode(with(req, "alias", "no\tsuch alias")), 1104) << "the alias is still checked for form";
}

TEST_F(KeyServiceTest, get_fields_are_validated)
{
  const Key k = create();
  const json good = request("get", k.device, k.keynumber);
  EXPECT_EQ(errorcode(with(good, "keynumber", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(good, "keynumber", "12a")), 1104);
  EXPECT_EQ(errorcode(with(good, "keynumber", "12345678901")), 1104);
  EXPECT_EQ(errorcode(with(good, "keynumber", 1)), 1103);
  EXPECT_EQ(errorcode(with(with(good, "keynumber", nullptr), "alias", "a\nb")), 1104);
  EXPECT_EQ(errorcode(with(good, "filepath", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(good, "filepath", "")), 1104);
  EXPECT_EQ(errorcode(with(good, "deviceid", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(good, "deviceid", "0000000042")), 1701);
  EXPECT_EQ(errorcode(with(good, "devicename", "nobody")), 1706);
  for (const json& bad : {json("yes"), json(1), json("TRUE"), json::array()}) {
    EXPECT_EQ(errorcode(with(good, "expiredkey", bad)), 1103) << bad;
  }
  for (const json& ok : {json(true), json(false), json("true"), json("false")}) {
    EXPECT_EQ(errorcode(with(good, "expiredkey", ok)), 0) << ok;
  }
}

TEST_F(KeyServiceTest, get_of_unknown_updated_or_deleted_key_is_1501_or_1509)
{
  const Key k = create();
  EXPECT_EQ(errorcode(request("get", k.device, "999")), 1501);
  const Key renewed = key_of(post(request("update", k.device, k.keynumber)), 200, k.device);
  EXPECT_EQ(errorcode(request("get", k.device, k.keynumber)), 1509);
  ASSERT_EQ(post(proof("delete", renewed)).status, 200);
  EXPECT_EQ(errorcode(request("get", k.device, renewed.keynumber)), 1509);
}

TEST_F(KeyServiceTest, expired_keys_are_hidden_unless_expiredkey)
{
  const Key older = create("dev01", "AES", "rot");
  m_policy.lifetime = 1h;
  rebuild();
  const Key newer = create("dev01", "AES", "rot");
  m_now += 2 * 3'600'000;  // newer has expired, older not

  const json by_number = request("get", newer.device, newer.keynumber);
  EXPECT_EQ(errorcode(by_number), 1510);
  EXPECT_EQ(errorcode(with(by_number, "expiredkey", false)), 1510);
  EXPECT_EQ(errorcode(with(by_number, "expiredkey", "false")), 1510);
  EXPECT_EQ(key_of(post(with(by_number, "expiredkey", true)), 200, newer.device).commonkey, newer.commonkey);
  EXPECT_EQ(errorcode(with(by_number, "expiredkey", "true")), 0);

  const json by_alias = with(request("get", newer.device, ""), "alias", "rot");
  EXPECT_EQ(key_of(post(by_alias), 200, newer.device).keynumber, older.keynumber);
  EXPECT_EQ(key_of(post(with(by_alias, "expiredkey", "true")), 200, newer.device).keynumber, newer.keynumber);

  m_now += 366 * k_day_ms;  // both have expired
  EXPECT_EQ(errorcode(by_alias), 1501);
  EXPECT_EQ(key_of(post(with(by_alias, "expiredkey", true)), 200, newer.device).keynumber, newer.keynumber);
}

TEST_F(KeyServiceTest, key_expires_at_its_expiration)
{
  const Key k = create();
  m_now = k_start_ms + lifetime_ms() - 1;
  EXPECT_EQ(errorcode(request("get", k.device, k.keynumber)), 0);
  m_now += 1;
  EXPECT_EQ(errorcode(request("get", k.device, k.keynumber)), 1510);
}

// ---- update ------------------------------------------------------------------------

TEST_F(KeyServiceTest, update_by_keynumber_issues_a_new_key)
{
  const Key old = create("dev01", "AES", "cmkey", "256");
  m_now += 1000;
  json req = with(request("update", old.device, old.keynumber), "newfilepath", "/etc/keys/cmkey_upd");
  const ApiResponse r = post(req);
  ASSERT_EQ(r.status, 200) << r.body;
  const Key renewed = key_of(r, 200, old.device);
  EXPECT_EQ(r.body.value("errorcode", -1), 0);
  EXPECT_EQ(r.body.value("deviceid", ""), old.device.deviceid);
  EXPECT_EQ(r.body.value("alias", ""), "cmkey") << "a new key keeps the old alias";
  EXPECT_EQ(r.body.value("expiration", ""), std::to_string(m_now + lifetime_ms()));
  EXPECT_FALSE(r.body.contains("devicekey"));
  EXPECT_GT(std::stoll(renewed.keynumber), std::stoll(old.keynumber));
  EXPECT_EQ(renewed.commonkey.size(), 16u) << "keylength defaults to 128, as in the reference";
  EXPECT_NE(renewed.commonkey, old.commonkey);

  const KeyRecord before = record_of(old.keynumber);
  EXPECT_EQ(before.status, KeyStatus::updated);
  EXPECT_EQ(before.replaced_by, std::stoll(renewed.keynumber));
  const KeyRecord after = record_of(renewed.keynumber);
  EXPECT_EQ(after.keytype, "AES");
  EXPECT_EQ(after.status, KeyStatus::valid);
  EXPECT_EQ(store().find_binding(after.keynumber, old.device.deviceid),
            std::optional<std::string>("/etc/keys/cmkey_upd"));
  // The old key is done with: no second update (1504), no get (1509).
  EXPECT_EQ(errorcode(req), 1504);
  EXPECT_EQ(errorcode(request("get", old.device, old.keynumber)), 1509);
}

TEST_F(KeyServiceTest, update_without_newfilepath_binds_to_filepath)
{
  const Key old = create();
  const Key renewed = key_of(post(request("update", old.device, old.keynumber)), 200, old.device);
  EXPECT_EQ(store().find_binding(std::stoll(renewed.keynumber), old.device.deviceid),
            std::optional<std::string>(k_cmkey_path));
}

TEST_F(KeyServiceTest, update_changes_the_length_within_the_type)
{
  const Key aes = create("dev01", "AES", "a", "128");
  const Key aes256 = key_of(post(with(request("update", aes.device, aes.keynumber), "keylength", "256")), 200, aes.device);
  EXPECT_EQ(aes256.commonkey.size(), 32u);
  EXPECT_EQ(record_of(aes256.keynumber).keylength, 256);

  const Key tw = create("dev01", "TWINE", "t", "128");
  const Key tw80 = key_of(post(with(request("update", tw.device, tw.keynumber), "keylength", "80")), 200, tw.device);
  EXPECT_EQ(tw80.commonkey.size(), 10u);
  EXPECT_EQ(record_of(tw80.keynumber).keytype, "TWINE");
  const Key tw128 = key_of(post(request("update", tw.device, tw80.keynumber)), 200, tw.device);
  EXPECT_EQ(tw128.commonkey.size(), 16u) << "the default 128 applies to TWINE as well";

  for (const auto& [key, length] : {std::pair{aes256, "80"}, std::pair{aes256, "192"}, std::pair{tw128, "256"},
                                    std::pair{tw128, "64"}, std::pair{tw128, "x"}}) {
    EXPECT_EQ(errorcode(with(request("update", key.device, key.keynumber), "keylength", length)), 1104) << length;
    EXPECT_EQ(record_of(key.keynumber).status, KeyStatus::valid) << "a refused update changed the old key";
  }
}

TEST_F(KeyServiceTest, update_alias_renames_the_result)
{
  const Key old = create("dev01", "AES", "before");
  const Key renewed = key_of(post(with(request("update", old.device, old.keynumber), "alias", "after")), 200, old.device);
  EXPECT_EQ(renewed.alias, "after");
  EXPECT_EQ(record_of(renewed.keynumber).alias, "after");
  EXPECT_EQ(record_of(old.keynumber).alias, "before");
  EXPECT_EQ(errorcode(with(request("update", old.device, renewed.keynumber), "alias", "bad\talias")), 1104);
}

TEST_F(KeyServiceTest, update_by_oldalias_picks_the_newest_key_bound_to_the_device)
{
  const Key mine = create("dev01", "AES", "rot");
  const Key mine_newer = create("dev01", "AES", "rot");
  const Key theirs = create("dev02", "AES", "rot");  // the largest number, but not dev01's
  json req = with(request("update", mine.device, ""), "oldalias", "rot");
  const Key renewed = key_of(post(req), 200, mine.device);
  EXPECT_EQ(record_of(mine_newer.keynumber).status, KeyStatus::updated);
  EXPECT_EQ(record_of(mine_newer.keynumber).replaced_by, std::stoll(renewed.keynumber));
  EXPECT_EQ(record_of(mine.keynumber).status, KeyStatus::valid);
  EXPECT_EQ(record_of(theirs.keynumber).status, KeyStatus::valid);
  // The renewed key carries the alias and is now dev01's newest; a device without one is 1501.
  const Key again = key_of(post(req), 200, mine.device);
  EXPECT_EQ(record_of(renewed.keynumber).replaced_by, std::stoll(again.keynumber));
  const Device stranger = device("dev03");
  EXPECT_EQ(errorcode(with(request("update", stranger, ""), "oldalias", "rot")), 1501);
  // A key fetched by get is bound, so it can be updated by alias too.
  get(stranger, theirs.keynumber);
  key_of(post(with(request("update", stranger, ""), "oldalias", "rot")), 200, stranger);
  EXPECT_EQ(record_of(theirs.keynumber).status, KeyStatus::updated);
}

TEST_F(KeyServiceTest, update_keynumber_wins_over_oldalias)
{
  const Key a = create("dev01", "AES", "a");
  const Key b = create("dev01", "AES", "b");
  json req = with(request("update", a.device, a.keynumber), "oldalias", "b");
  key_of(post(req), 200, a.device);
  EXPECT_EQ(record_of(a.keynumber).status, KeyStatus::updated);
  EXPECT_EQ(record_of(b.keynumber).status, KeyStatus::valid);
}

TEST_F(KeyServiceTest, update_checks_the_old_key)
{
  const Key k = create();
  const json good = request("update", k.device, k.keynumber);
  EXPECT_EQ(errorcode(with(good, "keynumber", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(good, "filepath", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(good, "newfilepath", std::string(1025, 'x'))), 1104);
  EXPECT_EQ(errorcode(with(good, "keynumber", "999")), 1501);
  // Bound to another device only: 1503 until this device has fetched it.
  const Device other = device("dev02");
  EXPECT_EQ(errorcode(request("update", other, k.keynumber)), 1503);
  // Expired: 1510 (the command reference: expired keys cannot be updated).
  m_now += lifetime_ms();
  EXPECT_EQ(errorcode(good), 1510);
  EXPECT_EQ(errorcode(with(with(good, "keynumber", nullptr), "oldalias", "cmkey")), 1510);
  EXPECT_EQ(record_of(k.keynumber).status, KeyStatus::valid);
}

TEST_F(KeyServiceTest, update_of_a_deleted_key_is_1504)
{
  const Key k = create();
  ASSERT_EQ(post(proof("delete", k)).status, 200);
  EXPECT_EQ(errorcode(request("update", k.device, k.keynumber)), 1504);
}

TEST_F(KeyServiceTest, update_adopts_a_key_by_newkeynumber)
{
  const Key old = create("dev01", "AES", "old", "128");
  const Key existing = create("dev02", "AES", "shared", "256");
  json req = with(request("update", old.device, old.keynumber), "newkeynumber", existing.keynumber);
  req["newfilepath"] = "/etc/keys/adopted";
  req["keylength"] = "not used when adopting";
  const Key adopted = key_of(post(req), 200, old.device);
  EXPECT_EQ(adopted.keynumber, existing.keynumber);
  EXPECT_EQ(adopted.commonkey, existing.commonkey) << "an AES-128 key may be replaced by an AES-256 one";
  EXPECT_EQ(adopted.alias, "shared");
  EXPECT_EQ(record_of(old.keynumber).status, KeyStatus::updated);
  EXPECT_EQ(record_of(old.keynumber).replaced_by, std::stoll(existing.keynumber));
  EXPECT_EQ(store().find_binding(std::stoll(existing.keynumber), old.device.deviceid),
            std::optional<std::string>("/etc/keys/adopted"));
  EXPECT_EQ(count_rows(db_path(), "SELECT COUNT(*) FROM keys"), 2) << "adopting issues no key";
}

TEST_F(KeyServiceTest, update_adopting_with_alias_renames_the_adopted_key)
{
  const Key old = create("dev01", "TWINE", "old");
  const Key existing = create("dev01", "TWINE", "spare");
  json req = with(request("update", old.device, old.keynumber), "newkeynumber", existing.keynumber);
  EXPECT_EQ(key_of(post(with(req, "alias", "live")), 200, old.device).alias, "live");
  EXPECT_EQ(record_of(existing.keynumber).alias, "live");
}

TEST_F(KeyServiceTest, update_adopting_checks_the_new_key)
{
  const Key old = create("dev01", "AES", "old");
  const json good = request("update", old.device, old.keynumber);
  EXPECT_EQ(errorcode(with(good, "newkeynumber", "999")), 1502);
  EXPECT_EQ(errorcode(with(good, "newkeynumber", "x")), 1104);
  EXPECT_EQ(errorcode(with(good, "newkeynumber", old.keynumber)), 1513);

  const Key deleted = create("dev01", "AES", "gone");
  ASSERT_EQ(post(proof("delete", deleted)).status, 200);
  EXPECT_EQ(errorcode(with(good, "newkeynumber", deleted.keynumber)), 1502);

  const Key replaced = create("dev01", "AES", "replaced");
  ASSERT_EQ(post(request("update", replaced.device, replaced.keynumber)).status, 200);
  EXPECT_EQ(errorcode(with(good, "newkeynumber", replaced.keynumber)), 1505);

  const Key twine = create("dev01", "TWINE", "tw");
  EXPECT_EQ(errorcode(with(good, "newkeynumber", twine.keynumber)), 1507);

  m_policy.lifetime = 1h;
  rebuild();
  const Key short_lived = create("dev01", "AES", "short");
  m_now += 2 * 3'600'000;
  EXPECT_EQ(errorcode(with(good, "newkeynumber", short_lived.keynumber)), 1506);
  EXPECT_EQ(record_of(old.keynumber).status, KeyStatus::valid) << "a refused update changed the old key";
}

TEST_F(KeyServiceTest, update_adopts_a_key_by_newalias)
{
  const Key old = create("dev01", "AES", "old");
  create("dev02", "AES", "pool");
  const Key newest = create("dev02", "AES", "pool");
  create("dev02", "TWINE", "twpool");
  const json good = request("update", old.device, old.keynumber);
  EXPECT_EQ(errorcode(with(good, "newalias", "nobody")), 1502);
  EXPECT_EQ(errorcode(with(good, "newalias", "old")), 1513);
  EXPECT_EQ(errorcode(with(good, "newalias", "twpool")), 1507);
  EXPECT_EQ(errorcode(with(good, "newalias", "bad\talias")), 1104);
  // newkeynumber wins over newalias.
  EXPECT_EQ(errorcode(with(with(good, "newalias", "pool"), "newkeynumber", old.keynumber)), 1513);
  const Key adopted = key_of(post(with(good, "newalias", "pool")), 200, old.device);
  EXPECT_EQ(adopted.keynumber, newest.keynumber);
  EXPECT_EQ(record_of(old.keynumber).replaced_by, std::stoll(newest.keynumber));
}

TEST_F(KeyServiceTest, update_is_one_transaction)
{
  const Key old = create("dev01", "AES", "old");
  const Key twine = create("dev01", "TWINE", "tw");
  const std::int64_t keys_before = count_rows(db_path(), "SELECT COUNT(*) FROM keys");
  EXPECT_EQ(errorcode(with(request("update", old.device, old.keynumber), "newkeynumber", twine.keynumber)), 1507);
  EXPECT_EQ(errorcode(with(request("update", old.device, old.keynumber), "keylength", "80")), 1104);
  EXPECT_EQ(count_rows(db_path(), "SELECT COUNT(*) FROM keys"), keys_before);
  EXPECT_EQ(record_of(old.keynumber).status, KeyStatus::valid);
  EXPECT_FALSE(record_of(old.keynumber).replaced_by);
}

// ---- delete ------------------------------------------------------------------------

TEST_F(KeyServiceTest, delete_marks_the_key_deleted_and_wipes_it)
{
  const Key k = create();
  const ApiResponse r = post(proof("delete", k));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, (json{{"errorcode", 0}, {"deviceid", k.device.deviceid}, {"keynumber", k.keynumber}}));
  const KeyRecord rec = record_of(k.keynumber);
  EXPECT_EQ(rec.status, KeyStatus::deleted);
  EXPECT_TRUE(rec.sealed_key.empty());
  EXPECT_EQ(errorcode(request("get", k.device, k.keynumber)), 1509);
  EXPECT_EQ(errorcode(proof("delete", k)), 1509);
  EXPECT_EQ(errorcode(proof("auth", k)), 1509);
  EXPECT_GT(std::stoll(create().keynumber), std::stoll(k.keynumber)) << "a deleted number is not issued again";
}

TEST_F(KeyServiceTest, delete_checks_in_the_documented_order)
{
  const Key k = create();
  const Device other = device("dev02");
  EXPECT_EQ(errorcode(with(proof("delete", k), "keynumber", "999")), 1501);
  EXPECT_EQ(errorcode(with(with(proof("delete", k), "deviceid", other.deviceid), "devicename", "dev02")), 1503);
  EXPECT_EQ(errorcode(proof("delete", k, "/another/path")), 1503);
  EXPECT_EQ(errorcode(with(proof("delete", k), "commonkey", clm::base64_encode(std::string(16, 'x')))), 1508);
  EXPECT_EQ(errorcode(with(proof("delete", k, "/another/path"), "commonkey", "AAAA")), 1503) << "1503 before 1508";
  EXPECT_EQ(errorcode(with(proof("delete", k), "commonkey", "not base64!")), 1103);
  EXPECT_EQ(errorcode(with(proof("delete", k), "commonkey", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(proof("delete", k), "keynumber", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(proof("delete", k), "filepath", nullptr)), 1102);
  EXPECT_EQ(record_of(k.keynumber).status, KeyStatus::valid);
}

TEST_F(KeyServiceTest, updated_and_expired_keys_may_be_deleted)
{
  const Key updated = create("dev01", "AES", "u");
  ASSERT_EQ(post(request("update", updated.device, updated.keynumber)).status, 200);
  EXPECT_EQ(errorcode(proof("delete", updated)), 0);
  const Key expiring = create("dev01", "AES", "e");
  m_now += lifetime_ms() + 1;
  EXPECT_EQ(errorcode(proof("delete", expiring)), 0);
  EXPECT_EQ(record_of(expiring.keynumber).status, KeyStatus::deleted);
}

TEST_F(KeyServiceTest, a_device_that_fetched_a_key_may_delete_it_from_its_path)
{
  const Key k = create();
  const Device other = device("dev02");
  Key fetched = get(other, k.keynumber, "/other/cmkey");
  EXPECT_EQ(errorcode(proof("delete", fetched)), 1503) << "dev02 keeps it elsewhere";
  EXPECT_EQ(errorcode(proof("delete", fetched, "/other/cmkey")), 0);
}

// ---- auth --------------------------------------------------------------------------

TEST_F(KeyServiceTest, auth_with_commonkey)
{
  const Key k = create("dev01", "TWINE", "tw", "80");
  const ApiResponse r = post(proof("auth", k));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, (json{{"errorcode", 0}, {"deviceid", k.device.deviceid}, {"keynumber", k.keynumber}}));
  std::string detail;
  const json wrong = with(proof("auth", k), "commonkey", clm::base64_encode(std::string(10, '\0')));
  EXPECT_EQ(errorcode(wrong, &detail), 1508);
  EXPECT_EQ(detail.find(clm::base64_encode(k.commonkey)), std::string::npos) << "key material in the log detail";
  EXPECT_EQ(detail.find(k.commonkey), std::string::npos);
  EXPECT_EQ(errorcode(with(proof("auth", k), "commonkey", "%%%%")), 1103);
  EXPECT_EQ(errorcode(with(proof("auth", k), "commonkey", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(proof("auth", k), "keynumber", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(proof("auth", k), "filepath", nullptr)), 1102);
}

TEST_F(KeyServiceTest, auth_checks_in_the_documented_order)
{
  const Key k = create();
  EXPECT_EQ(errorcode(with(proof("auth", k), "keynumber", "999")), 1501);
  EXPECT_EQ(errorcode(proof("auth", k, "/wrong/path")), 1503);
  const Device other = device("dev02");
  json foreign = proof("auth", k);
  foreign.update(json{{"deviceid", other.deviceid}, {"devicename", other.devicename}});
  EXPECT_EQ(errorcode(foreign), 1503);
  m_now += lifetime_ms();
  EXPECT_EQ(errorcode(proof("auth", k)), 1510);
  EXPECT_EQ(errorcode(with(proof("auth", k), "commonkey", "AAAA")), 1510) << "1510 before 1508";
  m_now = k_start_ms;
  ASSERT_EQ(post(request("update", k.device, k.keynumber)).status, 200);
  EXPECT_EQ(errorcode(proof("auth", k)), 1509);
}

TEST_F(KeyServiceTest, auth_with_encdata_of_the_device_name)
{
  const Key k = create("nec-edge-0001", "TWINE", "tw", "128");
  json req = with(request("auth", k.device, k.keynumber), "encdata",
                  clm::base64_encode(clm::twine_otr_seal(k.commonkey, "nec-edge-0001")));
  const ApiResponse r = post(req);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.value("keynumber", ""), k.keynumber);

  // Another plaintext, a forged tag, another key, text too short to hold nonce and tag: 1508.
  EXPECT_EQ(errorcode(with(req, "encdata", clm::base64_encode(clm::twine_otr_seal(k.commonkey, "nec-edge-0002")))),
            1508);
  std::string forged = clm::twine_otr_seal(k.commonkey, "nec-edge-0001");
  forged.back() = static_cast<char>(forged.back() ^ 1);
  EXPECT_EQ(errorcode(with(req, "encdata", clm::base64_encode(forged))), 1508);
  std::string flipped = clm::twine_otr_seal(k.commonkey, "nec-edge-0001");
  flipped[clm::k_twine_otr_nonce_size] = static_cast<char>(flipped[clm::k_twine_otr_nonce_size] ^ 0x80);
  EXPECT_EQ(errorcode(with(req, "encdata", clm::base64_encode(flipped))), 1508);
  EXPECT_EQ(errorcode(with(req, "encdata", clm::base64_encode(clm::twine_otr_seal(std::string(16, 'k'), "nec-edge-0001")))),
            1508);
  EXPECT_EQ(errorcode(with(req, "encdata", clm::base64_encode("short"))), 1508);
  EXPECT_EQ(errorcode(with(req, "encdata", "")), 1508);
  EXPECT_EQ(errorcode(with(req, "encdata", "not base64")), 1103);
}

TEST_F(KeyServiceTest, encdata_needs_a_twine_128_key)
{
  for (const auto& [type, length] : {std::pair{"AES", "128"}, std::pair{"AES", "256"}, std::pair{"TWINE", "80"}}) {
    const Key k = create("dev01", type, "k", std::string(length));
    const std::string sealed = clm::twine_otr_seal(std::string(16, 'k'), "dev01");
    EXPECT_EQ(errorcode(with(request("auth", k.device, k.keynumber), "encdata", clm::base64_encode(sealed))), 1103)
      << type << "-" << length;
  }
}

TEST_F(KeyServiceTest, auth_with_commonkey_and_encdata_checks_both)
{
  const Key k = create("dev01", "TWINE", "tw", "128");
  const std::string good_enc = clm::base64_encode(clm::twine_otr_seal(k.commonkey, "dev01"));
  const std::string bad_enc = clm::base64_encode(clm::twine_otr_seal(k.commonkey, "dev02"));
  EXPECT_EQ(errorcode(with(proof("auth", k), "encdata", good_enc)), 0);
  EXPECT_EQ(errorcode(with(proof("auth", k), "encdata", bad_enc)), 1508);
  const json wrong_key = with(proof("auth", k), "commonkey", clm::base64_encode(std::string(16, 'w')));
  EXPECT_EQ(errorcode(with(wrong_key, "encdata", good_enc)), 1508);
}

// ---- audit trail -------------------------------------------------------------------

TEST_F(KeyServiceTest, every_successful_call_is_recorded)
{
  const Key k = create();
  get(k.device, k.keynumber, "/etc/keys/got");
  const Key renewed = key_of(post(with(request("update", k.device, k.keynumber, "/etc/keys/got"), "newfilepath",
                                       "/etc/keys/new")),
                             200, k.device);
  ASSERT_EQ(post(proof("auth", renewed, "/etc/keys/new")).status, 200);
  ASSERT_EQ(post(proof("delete", renewed, "/etc/keys/new")).status, 200);
  EXPECT_EQ(errorcode(request("get", k.device, k.keynumber)), 1509);  // refused: not recorded

  const auto events = store().device_events(k.device.deviceid);
  const std::int64_t old_number = std::stoll(k.keynumber);
  const std::int64_t new_number = std::stoll(renewed.keynumber);
  const std::vector<std::tuple<std::string, std::int64_t, std::string>> expected{
    {"create", old_number, k_cmkey_path},
    {"get", old_number, "/etc/keys/got"},
    {"update", new_number, "/etc/keys/new"},
    {"auth", new_number, "/etc/keys/new"},
    {"delete", new_number, "/etc/keys/new"},
  };
  ASSERT_EQ(events.size(), expected.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].api, "KeyInfo") << i;
    EXPECT_EQ(events[i].deviceid, k.device.deviceid) << i;
    EXPECT_EQ(events[i].mode, std::get<0>(expected[i])) << i;
    EXPECT_EQ(events[i].keynumber, std::get<1>(expected[i])) << i;
    EXPECT_EQ(events[i].filepath, std::get<2>(expected[i])) << i;
    EXPECT_EQ(events[i].at_ms, m_now) << i;
  }
}

// ---- getlist (5.6) -------------------------------------------------------------------

// Return a getlist deviceinfo entry of device asking for keynumbers.
json getlist_entry(const Device& device, const std::vector<std::string>& keynumbers)
{
  return json{{"deviceid", device.deviceid}, {"devicename", device.devicename}, {"keynumber", keynumbers}};
}

TEST_F(KeyServiceTest, getlist_answers_the_keys_of_every_device)
{
  const Key a1 = create("dev01", "AES", "a-one");
  const Key a2 = create("dev01", "TWINE", "a-two", "80");
  const Key b1 = create("dev02", "AES", "b-one", "256");
  json req = base("getlist");
  req["deviceinfo"] = json::array({getlist_entry(a1.device, {a1.keynumber, a2.keynumber}),
                                   getlist_entry(b1.device, {b1.keynumber})});
  const ApiResponse r = post(req);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.at("errorcode"), 0);
  const json& devices = r.body.at("deviceinfo");
  ASSERT_EQ(devices.size(), 2u) << r.body;
  const std::vector<std::pair<Device, std::vector<Key>>> expected{{a1.device, {a1, a2}}, {b1.device, {b1}}};
  for (std::size_t d = 0; d < expected.size(); ++d) {
    const json& dev = devices[d];
    EXPECT_EQ(dev.at("errorcode"), 0) << d;
    EXPECT_EQ(dev.at("deviceid"), expected[d].first.deviceid) << d;
    EXPECT_EQ(dev.at("devicename"), expected[d].first.devicename) << d;
    EXPECT_EQ(dev.at("errorkeylist"), json::array()) << d;
    ASSERT_EQ(dev.at("keyinfo").size(), expected[d].second.size()) << d;
    for (std::size_t k = 0; k < expected[d].second.size(); ++k) {
      const json& info = dev.at("keyinfo")[k];
      const Key& key = expected[d].second[k];
      EXPECT_TRUE(info.at("keynumber").is_number_integer()) << "a JSON number, as the reference's example";
      EXPECT_EQ(info.at("keynumber").get<std::int64_t>(), std::stoll(key.keynumber));
      EXPECT_EQ(clm::base64_decode(info.at("commonkey").get<std::string>()), key.commonkey);
      EXPECT_EQ(info.at("expiration"), std::to_string(m_now + lifetime_ms()));
      EXPECT_EQ(info.at("alias"), key.alias) << "the reference's example";
      EXPECT_EQ(info.at("keyalias"), key.alias) << "the reference's table";
    }
  }
}

TEST_F(KeyServiceTest, getlist_answers_a_repeated_keynumber_as_often_as_asked)
{
  const Key k = create();
  json req = base("getlist");
  req["deviceinfo"] = json::array({getlist_entry(k.device, {k.keynumber, k.keynumber, k.keynumber})});
  const json dev = post(req).body.at("deviceinfo").at(0);
  ASSERT_EQ(dev.at("keyinfo").size(), 3u) << dev;
  for (const json& info : dev.at("keyinfo")) {
    EXPECT_EQ(info.at("keynumber").get<std::int64_t>(), std::stoll(k.keynumber));
  }
}

TEST_F(KeyServiceTest, getlist_puts_every_unusable_key_in_errorkeylist)
{
  const Key valid = create("dev01", "AES", "v");
  const Key updated = create("dev01", "AES", "u");
  ASSERT_EQ(post(request("update", updated.device, updated.keynumber)).status, 200);
  const Key deleted = create("dev01", "AES", "d");
  ASSERT_EQ(post(proof("delete", deleted)).status, 200);
  const Key others = create("dev02", "AES", "o");
  m_policy.lifetime = 10s;
  rebuild();
  const Key short_lived = create("dev01", "AES", "s");
  m_now += 10'000;  // short_lived expires now; the others live on

  json req = base("getlist");
  req["deviceinfo"] = json::array({getlist_entry(
    valid.device, {"999999", valid.keynumber, others.keynumber, updated.keynumber, deleted.keynumber,
                   short_lived.keynumber, valid.keynumber})});
  const ApiResponse r = post(req);
  ASSERT_EQ(r.status, 200) << r.body;
  const json& dev = r.body.at("deviceinfo").at(0);
  EXPECT_EQ(dev.at("errorkeylist"), (json{"999999", others.keynumber, updated.keynumber, deleted.keynumber,
                                          short_lived.keynumber}));
  ASSERT_EQ(dev.at("keyinfo").size(), 2u) << dev;
  EXPECT_EQ(dev.at("errorcode"), 1510) << "the last error of the device";
  EXPECT_EQ(r.body.at("errorcode"), 1510);

  // Each error alone, to see its code.
  const std::vector<std::pair<std::string, int>> cases{{"999999", 1501},
                                                       {deleted.keynumber, 1501},
                                                       {others.keynumber, 1503},
                                                       {updated.keynumber, 1509},
                                                       {short_lived.keynumber, 1510}};
  for (const auto& [keynumber, code] : cases) {
    req["deviceinfo"] = json::array({getlist_entry(valid.device, {keynumber})});
    const ApiResponse one = post(req);
    EXPECT_EQ(one.body.at("errorcode"), code) << keynumber;
    EXPECT_EQ(one.body.at("deviceinfo").at(0).at("errorcode"), code) << keynumber;
    EXPECT_EQ(one.body.at("deviceinfo").at(0).at("errorkeylist"), json{keynumber});
    EXPECT_EQ(one.body.at("deviceinfo").at(0).at("keyinfo"), json::array());
  }
}

TEST_F(KeyServiceTest, getlist_by_keyalias_answers_the_newest_valid_key_of_the_device)
{
  const Key old_wifi = create("dev01", "AES", "wifi");
  const Key other = create("dev01", "AES", "vpn");
  const Key new_wifi = create("dev01", "AES", "wifi");
  const Key elsewhere = create("dev02", "AES", "wifi");  // newer, but another device's
  const Key only_dev02 = create("dev02", "AES", "dev02-only");
  json entry = getlist_entry(old_wifi.device, {other.keynumber});
  entry["keyalias"] = json{"wifi", "dev02-only", "nothing", "wifi"};
  json req = base("getlist");
  req["deviceinfo"] = json::array({entry});
  const ApiResponse r = post(req);
  ASSERT_EQ(r.status, 200) << r.body;
  const json& dev = r.body.at("deviceinfo").at(0);
  // Key numbers first, then aliases, each as often as asked.
  ASSERT_EQ(dev.at("keyinfo").size(), 3u) << dev;
  EXPECT_EQ(dev.at("keyinfo")[0].at("keynumber").get<std::int64_t>(), std::stoll(other.keynumber));
  EXPECT_EQ(dev.at("keyinfo")[1].at("keynumber").get<std::int64_t>(), std::stoll(new_wifi.keynumber));
  EXPECT_EQ(clm::base64_decode(dev.at("keyinfo")[1].at("commonkey").get<std::string>()), new_wifi.commonkey);
  EXPECT_EQ(dev.at("keyinfo")[1].at("keyalias"), "wifi");
  EXPECT_EQ(dev.at("keyinfo")[2].at("keynumber").get<std::int64_t>(), std::stoll(new_wifi.keynumber));
  EXPECT_EQ(dev.at("errorkeylist"), (json{"dev02-only", "nothing"}));
  EXPECT_EQ(dev.at("errorcode"), 1501) << "the last error of the device";
  (void)elsewhere;
  (void)only_dev02;

  // Each error alone, to see its code; keyalias alone needs no keynumber.
  m_policy.lifetime = 10s;
  rebuild();
  create("dev01", "AES", "brief");
  m_now += 10'000;
  const std::vector<std::pair<std::string, int>> cases{{"nothing", 1501}, {"dev02-only", 1503}, {"brief", 1510}};
  for (const auto& [alias, code] : cases) {
    json one = getlist_entry(old_wifi.device, {});
    one.erase("keynumber");
    one["keyalias"] = json{alias};
    req["deviceinfo"] = json::array({one});
    const json d = post(req).body.at("deviceinfo").at(0);
    EXPECT_EQ(d.at("errorcode"), code) << alias;
    EXPECT_EQ(d.at("errorkeylist"), json{alias}) << alias;
    EXPECT_EQ(d.at("keyinfo"), json::array()) << alias;
  }
}

TEST_F(KeyServiceTest, getlist_skips_a_failing_device_and_goes_on)
{
  const Key a = create("dev01");
  const Key b = create("dev02");
  const Device unknown{"0000009999", "nobody"};
  const Device wrong_id{"0000009999", "dev02"};
  const std::vector<std::pair<json, int>> bad_entries{
    {getlist_entry(unknown, {a.keynumber}), 1706},
    {getlist_entry(wrong_id, {b.keynumber}), 1701},
    {with(getlist_entry(a.device, {a.keynumber}), "devicename", nullptr), 1102},
    {with(getlist_entry(a.device, {a.keynumber}), "deviceid", nullptr), 1102},
    {with(getlist_entry(a.device, {a.keynumber}), "keynumber", nullptr), 1102},
    {with(getlist_entry(a.device, {a.keynumber}), "deviceid", 1), 1103},
    {with(getlist_entry(a.device, {a.keynumber}), "keynumber", a.keynumber), 1103},
    {with(getlist_entry(a.device, {a.keynumber}), "keynumber", json::array({1})), 1103},
    {with(getlist_entry(a.device, {a.keynumber}), "keynumber", json::array({"12x"})), 1104},
    {with(getlist_entry(a.device, {a.keynumber}), "devicename", std::string(65, 'd')), 1104},
    {with(getlist_entry(a.device, {a.keynumber}), "keyalias", "cmkey"), 1103},
    {with(getlist_entry(a.device, {a.keynumber}), "keyalias", json::array({7})), 1103},
    {with(getlist_entry(a.device, {a.keynumber}), "keyalias", json::array({"has\ttab"})), 1104},
    {with(getlist_entry(a.device, {a.keynumber}), "keyalias", json::array({std::string(65, 'a')})), 1104},
  };
  for (const auto& [entry, code] : bad_entries) {
    json req = base("getlist");
    req["deviceinfo"] = json::array({getlist_entry(a.device, {a.keynumber}), entry, getlist_entry(b.device, {b.keynumber})});
    const ApiResponse r = post(req);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body.at("errorcode"), code) << entry;
    const json& devices = r.body.at("deviceinfo");
    ASSERT_EQ(devices.size(), 3u);
    EXPECT_EQ(devices[0].at("errorcode"), 0);
    EXPECT_EQ(devices[0].at("keyinfo").size(), 1u);
    EXPECT_EQ(devices[1].at("errorcode"), code) << entry;
    EXPECT_EQ(devices[1].at("keyinfo"), json::array()) << entry;
    EXPECT_EQ(devices[1].at("errorkeylist"), json::array()) << entry;
    const auto name = entry.find("devicename");
    EXPECT_EQ(devices[1].at("devicename"), name != entry.end() && name->is_string() ? *name : json("")) << entry;
    EXPECT_EQ(devices[2].at("errorcode"), 0);
    EXPECT_EQ(devices[2].at("keyinfo").size(), 1u);
  }
}

TEST_F(KeyServiceTest, getlist_errorcode_is_the_last_error_of_all)
{
  const Key a = create("dev01");
  const Key b = create("dev02");
  json req = base("getlist");
  req["deviceinfo"] = json::array({getlist_entry(a.device, {b.keynumber, a.keynumber}),  // 1503
                                   getlist_entry({"0000009999", "nobody"}, {a.keynumber}),  // 1706
                                   getlist_entry(b.device, {b.keynumber})});
  ApiResponse r = post(req);
  EXPECT_EQ(r.body.at("errorcode"), 1706);
  EXPECT_EQ(r.body.at("deviceinfo")[0].at("errorcode"), 1503);
  EXPECT_EQ(r.body.at("deviceinfo")[2].at("errorcode"), 0);

  req["deviceinfo"] = json::array({getlist_entry({"0000009999", "nobody"}, {a.keynumber}),
                                   getlist_entry(a.device, {b.keynumber, a.keynumber}),
                                   getlist_entry(b.device, {b.keynumber})});
  r = post(req);
  EXPECT_EQ(r.body.at("errorcode"), 1503) << "a later success does not clear it";

  req["deviceinfo"] = json::array({getlist_entry(a.device, {a.keynumber}), getlist_entry(b.device, {b.keynumber})});
  EXPECT_EQ(post(req).body.at("errorcode"), 0);
  req["deviceinfo"] = json::array();
  EXPECT_EQ(post(req).body, (json{{"errorcode", 0}, {"deviceinfo", json::array()}}));
}

TEST_F(KeyServiceTest, getlist_request_errors_refuse_the_whole_request)
{
  const Key k = create();
  json req = base("getlist");
  req["deviceinfo"] = json::array({getlist_entry(k.device, {k.keynumber})});
  ASSERT_EQ(errorcode(req), 0);
  EXPECT_EQ(errorcode(with(req, "deviceinfo", nullptr)), 1102);
  EXPECT_EQ(errorcode(with(req, "deviceinfo", getlist_entry(k.device, {k.keynumber}))), 1103);
  EXPECT_EQ(errorcode(with(req, "deviceinfo", json::array({"dev01"}))), 1103);
  EXPECT_EQ(errorcode(with(req, "deviceinfo", json::array({getlist_entry(k.device, {k.keynumber}), 5}))), 1103);
  EXPECT_EQ(errorcode(with(req, "key", "WrongPassword1")), 1201);
  EXPECT_EQ(errorcode(with(req, "keyid", nullptr)), 1102);
}

TEST_F(KeyServiceTest, getlist_binds_nothing_and_records_one_event_per_device)
{
  const Key a = create("dev01");
  const Key b = create("dev02");
  const std::int64_t bindings = count_rows(db_path(), "SELECT COUNT(*) FROM key_bindings");
  json req = base("getlist");
  req["deviceinfo"] = json::array({getlist_entry(a.device, {a.keynumber, b.keynumber, a.keynumber}),
                                   getlist_entry(b.device, {a.keynumber}),
                                   getlist_entry({"0000009999", "nobody"}, {a.keynumber})});
  ASSERT_EQ(post(req).status, 200);
  EXPECT_EQ(count_rows(db_path(), "SELECT COUNT(*) FROM key_bindings"), bindings);
  EXPECT_FALSE(store().find_binding(std::stoll(a.keynumber), b.device.deviceid));
  EXPECT_EQ(post(req).body.at("deviceinfo")[1].at("errorcode"), 1503) << "still not bound after asking";
  for (const Device& d : {a.device, b.device}) {
    const auto events = store().device_events(d.deviceid);
    ASSERT_EQ(events.size(), 3u) << d.devicename;  // create, getlist, getlist
    EXPECT_EQ(events[1].api, "KeyInfo");
    EXPECT_EQ(events[1].mode, "getlist");
    EXPECT_FALSE(events[1].keynumber.has_value());
    EXPECT_EQ(events[1].at_ms, m_now);
  }
}

// ---- DeviceInfo getkeylist (our extension) -----------------------------------------

class DeviceServiceTest : public KeyServiceTest {
protected:
  void SetUp() override
  {
    ASSERT_NO_FATAL_FAILURE(KeyServiceTest::SetUp());
    m_devices = std::make_unique<clm::server::DeviceService>(store(), ids(), [this] { return m_now; });
  }
  void TearDown() override
  {
    m_devices.reset();
    KeyServiceTest::TearDown();
  }

  json getkeylist(const std::vector<json>& entries)
  {
    json req = base("getkeylist");
    req["deviceinfo"] = entries;
    return list_post(req).body;
  }
  ApiResponse list_post(const json& req) { return m_devices->post(clm::dump_json(req), clm::server::Caller::client); }
  int list_errorcode(const json& req)
  {
    try {
      return list_post(req).body.value("errorcode", -1);
    } catch (const ApiError& e) {
      return e.errorcode;
    }
  }

private:
  std::unique_ptr<clm::server::DeviceService> m_devices;
};

TEST_F(DeviceServiceTest, getkeylist_lists_the_bound_valid_unexpired_keys_in_order)
{
  const Key own = create("dev01", "AES", "own");
  const Key fetched = create("dev02", "AES", "fetched");
  get(own.device, fetched.keynumber);  // binds dev01 to it
  const Key old = create("dev01", "AES", "old");
  const Key renewed = key_of(post(request("update", old.device, old.keynumber)), 200, old.device);
  const Key deleted = create("dev01", "AES", "deleted");
  ASSERT_EQ(post(proof("delete", deleted)).status, 200);
  m_policy.lifetime = 10s;
  rebuild();
  create("dev01", "AES", "short");
  m_now += 10'000;

  const json body = getkeylist({json{{"devicename", "dev01"}}, json{{"devicename", "dev02"}}});
  EXPECT_EQ(body.at("errorcode"), 0);
  ASSERT_EQ(body.at("deviceinfo").size(), 2u) << body;
  EXPECT_EQ(body.at("deviceinfo")[0],
            (json{{"errorcode", 0},
                  {"devicename", "dev01"},
                  {"deviceid", own.device.deviceid},
                  {"keynumber", {own.keynumber, fetched.keynumber, renewed.keynumber}}}));
  EXPECT_EQ(body.at("deviceinfo")[1].at("keynumber"), json{fetched.keynumber});
  EXPECT_EQ(store().device_events(own.device.deviceid).back().mode, "getkeylist");
  EXPECT_EQ(store().device_events(own.device.deviceid).back().api, "DeviceInfo");
}

TEST_F(DeviceServiceTest, getkeylist_answers_1706_for_an_unknown_device_and_goes_on)
{
  const Key k = create("dev01");
  const json body = getkeylist({json{{"devicename", "nobody"}}, json{{"devicename", "dev01"}}, json::object(),
                                json{{"devicename", 7}}});
  EXPECT_EQ(body.at("errorcode"), 1103) << "the last error";
  const json& devices = body.at("deviceinfo");
  ASSERT_EQ(devices.size(), 4u);
  EXPECT_EQ(devices[0], (json{{"errorcode", 1706}, {"devicename", "nobody"}, {"keynumber", json::array()}}));
  EXPECT_EQ(devices[1].at("keynumber"), json{k.keynumber});
  EXPECT_EQ(devices[2].at("errorcode"), 1102);
  EXPECT_EQ(devices[3].at("errorcode"), 1103);
  EXPECT_EQ(getkeylist({json{{"devicename", "nobody"}}}).at("errorcode"), 1706);
}

TEST_F(DeviceServiceTest, getkeylist_request_errors_refuse_the_whole_request)
{
  json req = base("getkeylist");
  req["deviceinfo"] = json::array({json{{"devicename", "dev01"}}});
  EXPECT_EQ(list_errorcode(req), 1706) << "answered 200, the device unknown";
  EXPECT_EQ(list_errorcode(with(req, "mode", "getlist")), 1103);
  EXPECT_EQ(list_errorcode(with(req, "mode", nullptr)), 1102);
  EXPECT_EQ(list_errorcode(with(req, "deviceinfo", nullptr)), 1102);
  EXPECT_EQ(list_errorcode(with(req, "deviceinfo", "dev01")), 1103);
  EXPECT_EQ(list_errorcode(with(req, "deviceinfo", json::array({"dev01"}))), 1103);
  EXPECT_EQ(list_errorcode(with(req, "key", "WrongPassword1")), 1201);
}

// ---- store -------------------------------------------------------------------------

TEST_F(KeyServiceTest, alias_lookup_uses_an_index)
{
  create();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "EXPLAIN QUERY PLAN SELECT keynumber FROM keys WHERE alias = 'cmkey' AND "
                               "status = 'valid' AND (0 OR expiration_ms > 0) ORDER BY keynumber DESC LIMIT 1",
                               -1, &st, nullptr),
            SQLITE_OK);
  std::string plan;
  while (sqlite3_step(st) == SQLITE_ROW) {
    plan += reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
    plan += '\n';
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_NE(plan.find("keys_by_alias"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
}

TEST_F(KeyServiceTest, store_alias_lookup_filters_by_device_status_and_expiry)
{
  const Key a = create("dev01", "AES", "x");
  const Key b = create("dev02", "AES", "x");
  using clm::server::IncludeExpired;
  using clm::server::KeyScope;
  const KeyScope all = KeyScope::fleet();
  EXPECT_EQ(store().find_latest_key_by_alias("x", std::nullopt, all, m_now, IncludeExpired::no).value().keynumber,
            std::stoll(b.keynumber));
  EXPECT_EQ(store().find_latest_key_by_alias("x", a.device.deviceid, all, m_now, IncludeExpired::no).value().keynumber,
            std::stoll(a.keynumber));
  const std::int64_t later = m_now + lifetime_ms();
  EXPECT_FALSE(store().find_latest_key_by_alias("x", std::nullopt, all, later, IncludeExpired::no));
  EXPECT_TRUE(store().find_latest_key_by_alias("x", std::nullopt, all, later, IncludeExpired::yes));
  EXPECT_FALSE(store().find_latest_key_by_alias("y", std::nullopt, all, m_now, IncludeExpired::yes));
  // The owner's scope finds the same; another ID's scope finds nothing.
  const std::int64_t owner = store().find_device_by_name("dev01")->owner_keyid.value();
  EXPECT_EQ(store().find_latest_key_by_alias("x", std::nullopt, KeyScope::of(owner), m_now, IncludeExpired::no)
              .value()
              .keynumber,
            std::stoll(b.keynumber));
  EXPECT_FALSE(store().find_latest_key_by_alias("x", std::nullopt, KeyScope::of(owner + 1), m_now, IncludeExpired::no));
}

// ---- settings ----------------------------------------------------------------------

class KeyLifetimeSettingTest : public TempDirTest {
protected:
  KeyLifetimeSettingTest() : TempDirTest("clm-keylife") {}
};

TEST_F(KeyLifetimeSettingTest, new_settings_file_names_key_lifetime_365d)
{
  clm::server::InitOptions opts;
  opts.data_dir = dir() / "data";
  opts.key_type = clm::server::KeyType::ec_p256;
  ASSERT_TRUE(clm::server::init_data_dir(opts).created);
  const std::string conf = read_plain(opts.data_dir / "clm-server.conf");
  EXPECT_NE(conf.find("\nkey_lifetime = 365d\n"), std::string::npos) << conf;
  EXPECT_EQ(clm::server::read_server_settings(opts.data_dir).key_policy.lifetime, 365 * 24h);
  EXPECT_EQ(clm::server::open_data_dir(opts.data_dir).settings.key_policy.lifetime, 365 * 24h);
}

TEST_F(KeyLifetimeSettingTest, key_lifetime_is_read_and_checked)
{
  write_plain(dir() / "clm-server.conf", "cert_lifetime = 10d\nkey_lifetime = 90d\n");
  auto s = clm::server::read_server_settings(dir());
  EXPECT_EQ(s.key_policy.lifetime, 90 * 24h);
  EXPECT_EQ(s.cert_policy.lifetime, 10 * 24h) << "the two lifetimes are separate";
  write_plain(dir() / "clm-server.conf", "key_lifetime = 36h\n");
  EXPECT_EQ(clm::server::read_server_settings(dir()).key_policy.lifetime, 36h);
  write_plain(dir() / "clm-server.conf", "id_lifetime = 30d\n");
  EXPECT_EQ(clm::server::read_server_settings(dir()).key_policy.lifetime, 365 * 24h);
  for (const char* bad : {"key_lifetime = 0d\n", "key_lifetime = later\n", "key_lifetime = 2y\n"}) {
    write_plain(dir() / "clm-server.conf", bad);
    const auto e = clm::test::error_of([&] { clm::server::read_server_settings(dir()); });
    ASSERT_TRUE(e.has_value()) << bad;
    EXPECT_EQ(e->code(), clm::ExitCode::bad_config) << bad;
    EXPECT_NE(std::string(e->what()).find("key_lifetime"), std::string::npos) << e->what();
  }
}

}  // namespace
