// Tests of device ownership (device_registry) as every device-bound API sees it: a
// device belongs to the ID that registered it, and for any other ID it does not exist
// (1706 through CredInfo, KeyInfo and DeviceInfo alike; 1501/1502 for its keys, 1301 for
// its certificates); a device from before owners were recorded becomes the first acting
// ID's; the fleet read grant reads every device and writes none; the audit trail names
// the ID of each call. Over a real SQLite store, with two IDs holding the same license.
#include "cred_service.hpp"
#include "device_registry.hpp"
#include "device_service.hpp"
#include "fleet_reports.hpp"
#include "id_service.hpp"
#include "key_service.hpp"
#include "store/sqlite_store.hpp"
#include "sqlite_test_support.hpp"
#include "test_support.hpp"

#include <clm/crypto.hpp>

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

using clm::json;
using clm::SecretBox;
using clm::server::ApiError;
using clm::server::ApiResponse;
using clm::server::CaHierarchy;
using clm::server::CertPolicy;
using clm::server::CredService;
using clm::server::DeviceService;
using clm::server::IdPolicy;
using clm::server::IdService;
using clm::server::KeyPolicy;
using clm::server::KeyService;
using clm::server::KeyStatus;
using clm::server::SqliteStore;
using clm::server::StoredKeyPair;
using clm::test::TempDirTest;

constexpr std::int64_t k_start_ms = 1'750'000'000'000;
constexpr const char* k_cmkey = "/etc/clm/cmkey";
constexpr const char* k_clcert = "/etc/clm/clcert.pem";

const CaHierarchy& shared_ca()
{
  static const CaHierarchy ca = clm::server::create_ca(clm::server::KeyType::ec_p256);
  return ca;
}

// An ID/password as IDInfo create answered it.
struct Id {
  std::string keyid;
  std::string key;
  std::int64_t number = 0;
};

// A device with one key and one client certificate, as its owner registered it.
struct Owned {
  std::string devicename;
  std::string deviceid;
  std::string devicekey;
  std::string keynumber;  // its key
  std::string commonkey;  // the key's bytes
  std::string alias;
  std::string certnumber;  // its certificate
  std::string serial;
};

// What an API answered: the errorcode (0 for success) and the body or the refusal's detail.
struct Answer {
  int errorcode = -1;
  json body;
  std::string detail;
};

class OwnershipTest : public TempDirTest {
protected:
  OwnershipTest() : TempDirTest("clm-owner") {}

  void SetUp() override
  {
    ASSERT_NO_FATAL_FAILURE(TempDirTest::SetUp());
    m_store = std::make_unique<SqliteStore>(dir() / "clm.db");
    m_box = std::make_unique<SecretBox>(std::string(SecretBox::k_key_size, '\x21'));
    auto stored = [&](const std::string& name, const clm::server::KeyPair& kp) {
      return std::pair{name, StoredKeyPair{kp.cert_pem, m_box->seal(kp.key_pem, clm::server::key_pair_associated_data(name))}};
    };
    m_store->initialize({stored("CA", shared_ca().root), stored("ca1", shared_ca().issuing)});
    auto clock = [this] { return m_now; };
    m_ids = std::make_unique<IdService>(*m_store, *m_box, IdPolicy{}, clock);
    CertPolicy cert_policy;
    cert_policy.key_type = clm::server::KeyType::ec_p256;
    m_creds = std::make_unique<CredService>(*m_store, *m_box, *m_ids, cert_policy, clock);
    m_keys = std::make_unique<KeyService>(*m_store, *m_box, *m_ids, KeyPolicy{}, clock);
    m_devices = std::make_unique<DeviceService>(*m_store, *m_ids, clock);
    a = new_id();
    b = new_id();
  }
  void TearDown() override
  {
    m_devices.reset();
    m_keys.reset();
    m_creds.reset();
    m_ids.reset();
    m_store.reset();
    TempDirTest::TearDown();
  }

  Id new_id()
  {
    const ApiResponse r = m_ids->post(clm::dump_json(json{{"mode", "create"}, {"tenantid", "T"}, {"alias", "a"}}));
    EXPECT_EQ(r.status, 201);
    Id id{r.body.at("keyid").get<std::string>(), r.body.at("key").get<std::string>(), 0};
    id.number = std::stoll(id.keyid);
    return id;
  }

  template <typename F>
  static Answer answer_of(F&& f)
  {
    try {
      const ApiResponse r = f();
      return {r.body.value("errorcode", -1), r.body, ""};
    } catch (const ApiError& e) {
      return {e.errorcode, json(), e.detail};
    }
  }
  static json as(const Id& id, json req)
  {
    req["keyid"] = id.keyid;
    req["key"] = id.key;
    return req;
  }
  Answer key(const Id& id, const json& req) { return answer_of([&] { return m_keys->post(clm::dump_json(as(id, req))); }); }
  Answer cred(const Id& id, const json& req) { return answer_of([&] { return m_creds->post(clm::dump_json(as(id, req))); }); }
  // A DeviceInfo request of the operator (the admin license key), or of a client.
  Answer admin(const json& req, clm::server::Caller caller = clm::server::Caller::admin)
  {
    return answer_of([&] { return m_devices->post(clm::dump_json(req), caller); });
  }
  Answer device(const Id& id, const json& req)
  {
    return answer_of([&] { return m_devices->post(clm::dump_json(as(id, req)), clm::server::Caller::client); });
  }

  static json key_create(const std::string& devicename, const std::string& alias, const std::string& deviceid = "")
  {
    json j{{"mode", "create"}, {"devicename", devicename}, {"alias", alias}, {"keytype", "AES"},
           {"keyfilepath", "/tmp/key"}, {"commonkeyfilepath", k_cmkey}};
    if (!deviceid.empty()) {
      j["deviceid"] = deviceid;
    }
    return j;
  }
  static json cert_create(const std::string& devicename, const std::string& deviceid = "")
  {
    json j{{"mode", "create"},         {"devicename", devicename},     {"certmode", "client"},
           {"catype", "ca1"},          {"keyfilepath", "/tmp/key"},    {"cafilepath", "/etc/clm/cacert.pem"},
           {"clientsubject", "/CN=x"}, {"clientfilepath", k_clcert}};
    if (!deviceid.empty()) {
      j["deviceid"] = deviceid;
    }
    return j;
  }
  // A request of mode naming device d (deviceid and devicename) and keynumber (when not empty).
  static json on(const std::string& mode, const Owned& d, const std::string& keynumber)
  {
    json j{{"mode", mode}, {"deviceid", d.deviceid}, {"devicename", d.devicename}};
    if (!keynumber.empty()) {
      j["keynumber"] = keynumber;
    }
    return j;
  }
  static json key_on(const std::string& mode, const Owned& d, const std::string& keynumber)
  {
    json j = on(mode, d, keynumber);
    j["filepath"] = k_cmkey;
    return j;
  }
  static json key_proof(const std::string& mode, const Owned& d, const std::string& keynumber,
                        const std::string& commonkey)
  {
    json j = key_on(mode, d, keynumber);
    j["commonkey"] = clm::base64_encode(commonkey);
    return j;
  }
  static json cert_on(const std::string& mode, const Owned& d, const std::string& keynumber)
  {
    json j = on(mode, d, keynumber);
    j["catype"] = "ca1";
    if (mode != "revoke") {
      j["filepath"] = k_clcert;
    }
    if (mode == "update") {
      j["passphrase"] = "Update-Pass_1";  // a new key is made: 4.3 requires one
    }
    return j;
  }
  static json getlist(const Owned& d, const std::vector<std::string>& keynumbers)
  {
    return json{{"mode", "getlist"},
                {"deviceinfo", json::array({json{{"deviceid", d.deviceid}, {"devicename", d.devicename},
                                                 {"keynumber", keynumbers}}})}};
  }
  static json getkeylist(const std::string& devicename)
  {
    return json{{"mode", "getkeylist"}, {"deviceinfo", json::array({json{{"devicename", devicename}}})}};
  }

  // Register devicename for id with a key (alias) and a client certificate.
  Owned register_device(const Id& id, const std::string& devicename, const std::string& alias = "")
  {
    Owned d;
    d.devicename = devicename;
    d.alias = alias.empty() ? devicename + "-k" : alias;
    const Answer k = key(id, key_create(devicename, d.alias));
    EXPECT_EQ(k.errorcode, 0) << k.detail;
    d.deviceid = k.body.value("deviceid", "");
    d.devicekey = k.body.value("devicekey", "");
    d.keynumber = k.body.value("keynumber", "");
    d.commonkey = clm::base64_decode(k.body.value("commonkey", ""));
    const Answer c = cred(id, cert_create(devicename, d.deviceid));
    EXPECT_EQ(c.errorcode, 0) << c.detail;
    d.certnumber = c.body.value("clientkeynumber", "");
    d.serial = c.body.value("clientserial", "");
    return d;
  }

  // Forget the owner of every device, as a store from before owners were recorded has.
  void forget_owners()
  {
    clm::test::exec_sql(dir() / "clm.db", "UPDATE devices SET owner_keyid = NULL");
  }

  // Every device-bound request of one device's owner, for key keynumber and certificate certnumber.
  static std::vector<json> acting_requests(const Owned& d, const std::string& keynumber, const std::string& commonkey,
                                           const std::string& certnumber)
  {
    json adopt = key_on("update", d, keynumber);
    adopt["newkeynumber"] = keynumber;
    json by_alias = key_on("get", d, "");
    by_alias["alias"] = d.alias;
    json devicekey = key_on("get", d, keynumber);
    devicekey["devicekey"] = d.devicekey;
    return {key_create(d.devicename, "x", d.deviceid),
            key_on("get", d, keynumber),
            by_alias,
            devicekey,
            key_on("update", d, keynumber),
            adopt,
            key_proof("delete", d, keynumber, commonkey),
            key_proof("auth", d, keynumber, commonkey),
            cert_create(d.devicename, d.deviceid),
            cert_on("get", d, certnumber),
            cert_on("update", d, certnumber),
            cert_on("revoke", d, certnumber)};
  }

  // Send req through the API its mode and fields belong to.
  Answer send(const Id& id, const json& req)
  {
    return req.contains("certmode") || req.contains("catype") ? cred(id, req) : key(id, req);
  }

  SqliteStore& store() { return *m_store; }

  Id a;
  Id b;
  std::int64_t m_now = k_start_ms;

private:
  std::unique_ptr<SqliteStore> m_store;
  std::unique_ptr<SecretBox> m_box;
  std::unique_ptr<IdService> m_ids;
  std::unique_ptr<CredService> m_creds;
  std::unique_ptr<KeyService> m_keys;
  std::unique_ptr<DeviceService> m_devices;
};

TEST_F(OwnershipTest, another_ids_device_answers_exactly_as_an_unknown_one)
{
  const Owned gw = register_device(a, "gw");
  // The same requests for a name never registered: what B must not tell apart.
  Owned never = gw;
  never.devicename = "never";
  const auto attacks = acting_requests(gw, gw.keynumber, gw.commonkey, gw.certnumber);
  const auto unknown = acting_requests(never, gw.keynumber, gw.commonkey, gw.certnumber);
  const auto events_before = store().device_events(gw.deviceid).size();
  for (std::size_t i = 0; i < attacks.size(); ++i) {
    const Answer attack = send(b, attacks[i]);
    const Answer baseline = send(b, unknown[i]);
    EXPECT_EQ(attack.errorcode, 1706) << attacks[i];
    EXPECT_EQ(baseline.errorcode, 1706) << unknown[i];
    // The detail (logged only) differs by the name alone.
    EXPECT_EQ(attack.detail, "devicename gw is not registered") << attacks[i];
  }
  // Nothing changed for the owner: same events, key and certificate still valid.
  EXPECT_EQ(store().device_events(gw.deviceid).size(), events_before);
  EXPECT_EQ(store().find_key(std::stoll(gw.keynumber))->status, KeyStatus::valid);
  EXPECT_EQ(store().find_certificate(std::stoll(gw.certnumber))->status, clm::server::CertStatus::valid);
  // And every request still works for it.
  EXPECT_EQ(key(a, key_on("get", gw, gw.keynumber)).errorcode, 0);
  EXPECT_EQ(key(a, key_proof("auth", gw, gw.keynumber, gw.commonkey)).errorcode, 0);
  EXPECT_EQ(cred(a, cert_on("get", gw, gw.certnumber)).errorcode, 0);
  EXPECT_EQ(cred(a, cert_on("revoke", gw, gw.certnumber)).errorcode, 0);
  EXPECT_EQ(key(a, key_proof("delete", gw, gw.keynumber, gw.commonkey)).errorcode, 0);
}

TEST_F(OwnershipTest, batch_answers_for_another_ids_device_are_those_of_an_unknown_one)
{
  const Owned gw = register_device(a, "gw");
  Owned never = gw;
  never.devicename = "never";
  auto renamed = [](json body) {
    body["deviceinfo"][0]["devicename"] = "X";
    return body;
  };
  const Answer list = device(b, getkeylist("gw"));
  EXPECT_EQ(list.errorcode, 1706);
  EXPECT_EQ(renamed(list.body), renamed(device(b, getkeylist("never")).body));
  EXPECT_FALSE(list.body.at("deviceinfo")[0].contains("deviceid")) << list.body;
  const Answer keys = key(b, getlist(gw, {gw.keynumber}));
  EXPECT_EQ(keys.errorcode, 1706);
  EXPECT_EQ(renamed(keys.body), renamed(key(b, getlist(never, {gw.keynumber})).body));
  EXPECT_EQ(keys.body.at("deviceinfo")[0].at("keyinfo"), json::array());
  // The owner lists and reads them.
  EXPECT_EQ(device(a, getkeylist("gw")).body.at("deviceinfo")[0].at("keynumber"), json::array({gw.keynumber}));
  EXPECT_EQ(key(a, getlist(gw, {gw.keynumber})).body.at("deviceinfo")[0].at("keyinfo").size(), 1u);
}

TEST_F(OwnershipTest, a_name_another_id_registered_is_1702_without_deviceid)
{
  register_device(a, "gw");
  EXPECT_EQ(key(b, key_create("gw", "k")).errorcode, 1702);
  EXPECT_EQ(cred(b, cert_create("gw")).errorcode, 1702);
  EXPECT_EQ(store().find_device_by_name("gw")->owner_keyid, a.number);
}

TEST_F(OwnershipTest, keys_of_another_id_are_not_found_by_number_or_alias)
{
  const Owned gw = register_device(a, "gw", "shared-alias");
  const Owned mine = register_device(b, "b-gw", "b-alias");
  // By number from B's own device: no such key (1501), whatever the mode.
  EXPECT_EQ(key(b, key_on("get", mine, gw.keynumber)).errorcode, 1501);
  EXPECT_EQ(key(b, key_on("update", mine, gw.keynumber)).errorcode, 1501);
  EXPECT_EQ(key(b, key_proof("delete", mine, gw.keynumber, gw.commonkey)).errorcode, 1501);
  EXPECT_EQ(key(b, key_proof("auth", mine, gw.keynumber, gw.commonkey)).errorcode, 1501);
  // By alias: A's key is invisible; B's own older key with the alias is the answer.
  json by_alias = key_on("get", mine, "");
  by_alias["alias"] = "shared-alias";
  EXPECT_EQ(key(b, by_alias).errorcode, 1501);
  const Answer own = key(b, key_create("b-gw", "shared-alias", mine.deviceid));
  const Answer newer = key(a, key_create("gw", "shared-alias", gw.deviceid));
  ASSERT_GT(std::stoll(newer.body.value("keynumber", "0")), std::stoll(own.body.value("keynumber", "0")));
  EXPECT_EQ(key(b, by_alias).body.value("keynumber", ""), own.body.value("keynumber", "x"));
  // An update adopting A's key by number or alias: no such new key (1502).
  json adopt = key_on("update", mine, mine.keynumber);
  adopt["newkeynumber"] = gw.keynumber;
  EXPECT_EQ(key(b, adopt).errorcode, 1502);
  adopt.erase("newkeynumber");
  adopt["newalias"] = "a-only";
  key(a, key_create("gw", "a-only", gw.deviceid));
  EXPECT_EQ(key(b, adopt).errorcode, 1502);
  // getlist: A's key number is 1501 in errorkeylist; A's alias too (not 1503).
  const Answer listed = key(b, getlist(mine, {gw.keynumber, mine.keynumber}));
  EXPECT_EQ(listed.errorcode, 1501);
  EXPECT_EQ(listed.body.at("deviceinfo")[0].at("errorkeylist"), json::array({gw.keynumber}));
  json by_keyalias = getlist(mine, {});
  by_keyalias["deviceinfo"][0].erase("keynumber");
  by_keyalias["deviceinfo"][0]["keyalias"] = json::array({"a-only"});
  EXPECT_EQ(key(b, by_keyalias).errorcode, 1501);
  // A's key is untouched and still A's.
  EXPECT_EQ(store().find_key(std::stoll(gw.keynumber))->status, KeyStatus::valid);
  EXPECT_FALSE(store().find_binding(std::stoll(gw.keynumber), mine.deviceid));
}

TEST_F(OwnershipTest, keys_are_shared_among_the_devices_of_one_id)
{
  const Owned one = register_device(a, "gw1");
  const Owned two = register_device(a, "gw2");
  EXPECT_EQ(key(a, key_on("get", two, one.keynumber)).errorcode, 0);
  EXPECT_EQ(device(a, getkeylist("gw2")).body.at("deviceinfo")[0].at("keynumber"),
            json::array({one.keynumber, two.keynumber}));
}

TEST_F(OwnershipTest, a_key_another_id_got_before_owners_were_recorded_is_not_listed_or_read)
{
  const Owned gw = register_device(a, "gw");
  const Owned mine = register_device(b, "b-gw");
  // A binding across IDs, as the shared key lookup of older versions made them.
  store().bind_key(std::stoll(gw.keynumber), mine.deviceid, k_cmkey);
  EXPECT_EQ(device(b, getkeylist("b-gw")).body.at("deviceinfo")[0].at("keynumber"), json::array({mine.keynumber}));
  EXPECT_EQ(key(b, getlist(mine, {gw.keynumber})).errorcode, 1501);
  EXPECT_EQ(key(b, key_proof("auth", mine, gw.keynumber, gw.commonkey)).errorcode, 1501);
}

TEST_F(OwnershipTest, certificates_of_another_id_are_1301_and_ca_certificates_are_public)
{
  const Owned gw = register_device(a, "gw");
  const Owned mine = register_device(b, "b-gw");
  EXPECT_EQ(cred(b, cert_on("get", mine, gw.certnumber)).errorcode, 1301);
  json by_serial = cert_on("get", mine, "");
  by_serial["certserial"] = gw.serial;
  EXPECT_EQ(cred(b, by_serial).errorcode, 1301);
  EXPECT_EQ(cred(b, cert_on("revoke", mine, gw.certnumber)).errorcode, 1301);
  json adopt = cert_on("update", mine, mine.certnumber);
  adopt["newkeynumber"] = gw.certnumber;
  EXPECT_EQ(cred(b, adopt).errorcode, 1301);
  EXPECT_EQ(store().find_certificate(std::stoll(gw.certnumber))->status, clm::server::CertStatus::valid);
  // Another device of the same ID: the certificate exists, bound elsewhere (1303).
  const Owned other = register_device(a, "gw2");
  EXPECT_EQ(cred(a, cert_on("get", other, gw.certnumber)).errorcode, 1303);
  // The CA certificates are public: any ID fetches them for its own device.
  json ca = cert_on("get", mine, std::to_string(store().find_ca_certificate("CA")->keynumber));
  ca["catype"] = "CA";
  EXPECT_EQ(cred(b, ca).errorcode, 0);
}

TEST_F(OwnershipTest, new_devices_and_events_record_the_id)
{
  const Owned gw = register_device(a, "gw");
  EXPECT_EQ(store().find_device_by_name("gw")->owner_keyid, a.number);
  const Id g = new_id();
  ASSERT_TRUE(store().add_fleet_grant(g.number, m_now));
  ASSERT_EQ(key(g, getlist(gw, {gw.keynumber})).errorcode, 0);
  const auto events = store().device_events(gw.deviceid);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].keyid, a.number);
  EXPECT_EQ(events[1].keyid, a.number);
  EXPECT_EQ(events[2].mode, "getlist");
  EXPECT_EQ(events[2].keyid, g.number) << "the reader, not the owner";
}

TEST_F(OwnershipTest, an_unclaimed_device_becomes_the_first_acting_ids)
{
  const Owned gw = register_device(a, "gw");
  forget_owners();
  // Listing claims nothing, and an unclaimed device is listed to nobody without the grant.
  EXPECT_EQ(device(b, getkeylist("gw")).errorcode, 1706);
  EXPECT_EQ(key(b, getlist(gw, {gw.keynumber})).errorcode, 1706);
  EXPECT_EQ(device(a, getkeylist("gw")).errorcode, 1706);
  // A refused request claims nothing: a wrong deviceid (1701), then an unknown key (1501).
  Owned wrong = gw;
  wrong.deviceid = "0000009999";
  EXPECT_EQ(key(b, key_on("get", wrong, gw.keynumber)).errorcode, 1701);
  EXPECT_EQ(key(b, key_on("get", gw, "9999")).errorcode, 1501);
  EXPECT_FALSE(store().find_device_by_name("gw")->owner_keyid);
  // The first request that succeeds makes its ID the owner; then the device is its alone.
  EXPECT_EQ(cred(a, cert_on("get", gw, gw.certnumber)).errorcode, 0);
  EXPECT_EQ(store().find_device_by_name("gw")->owner_keyid, a.number);
  EXPECT_EQ(key(a, key_on("get", gw, gw.keynumber)).errorcode, 0);
  EXPECT_EQ(key(b, key_on("get", gw, gw.keynumber)).errorcode, 1706);
  EXPECT_EQ(device(a, getkeylist("gw")).body.at("deviceinfo")[0].at("keynumber"), json::array({gw.keynumber}));
}

TEST_F(OwnershipTest, keys_of_an_unclaimed_device_are_nobodys_until_it_is_claimed)
{
  const Owned gw = register_device(a, "gw");
  const Owned mine = register_device(a, "gw2");
  forget_owners();
  // gw2 is claimed by use; gw, which created the key, is not yet.
  EXPECT_EQ(key(a, key_on("get", mine, mine.keynumber)).errorcode, 0);
  EXPECT_EQ(key(a, key_on("get", mine, gw.keynumber)).errorcode, 1501);
  EXPECT_EQ(key(a, key_on("get", gw, gw.keynumber)).errorcode, 0);
  EXPECT_EQ(key(a, key_on("get", mine, gw.keynumber)).errorcode, 0);
}

TEST_F(OwnershipTest, the_fleet_grant_reads_every_device_and_writes_none)
{
  const Owned gw = register_device(a, "gw");
  const Id g = new_id();
  ASSERT_TRUE(store().add_fleet_grant(g.number, m_now));
  const Answer listed = device(g, getkeylist("gw"));
  EXPECT_EQ(listed.errorcode, 0);
  EXPECT_EQ(listed.body.at("deviceinfo")[0].at("deviceid"), gw.deviceid);
  EXPECT_EQ(listed.body.at("deviceinfo")[0].at("keynumber"), json::array({gw.keynumber}));
  const Answer read = key(g, getlist(gw, {gw.keynumber}));
  EXPECT_EQ(read.errorcode, 0);
  ASSERT_EQ(read.body.at("deviceinfo")[0].at("keyinfo").size(), 1u);
  EXPECT_EQ(clm::base64_decode(read.body.at("deviceinfo")[0].at("keyinfo")[0].value("commonkey", "")), gw.commonkey);
  for (const json& req : acting_requests(gw, gw.keynumber, gw.commonkey, gw.certnumber)) {
    EXPECT_EQ(send(g, req).errorcode, 1706) << req;
  }
  EXPECT_EQ(store().find_device_by_name("gw")->owner_keyid, a.number);
  EXPECT_EQ(store().find_key(std::stoll(gw.keynumber))->status, KeyStatus::valid);
  // Unclaimed devices are read too, and stay unclaimed.
  forget_owners();
  EXPECT_EQ(key(g, getlist(gw, {gw.keynumber})).errorcode, 0);
  EXPECT_FALSE(store().find_device_by_name("gw")->owner_keyid);
  // Withdrawn, the grant reads nothing more.
  ASSERT_TRUE(store().remove_fleet_grant(g.number));
  EXPECT_EQ(key(g, getlist(gw, {gw.keynumber})).errorcode, 1706);
  EXPECT_EQ(device(g, getkeylist("gw")).errorcode, 1706);
}

}  // namespace

namespace {

// ---- device states ---------------------------------------------------------------

// Set what set does on the stored device devicename.
template <typename F>
void change_device(clm::server::Store& store, const std::string& devicename, F&& set)
{
  auto d = store.find_device_by_name(devicename);
  ASSERT_TRUE(d.has_value()) << devicename;
  set(*d);
  store.update_device(*d);
}

TEST_F(OwnershipTest, a_disabled_expired_or_deleted_device_is_refused_on_every_request_and_skipped_in_lists)
{
  using clm::server::DeviceRecord;
  using clm::server::DeviceStatus;
  const Owned other = register_device(a, "other");
  struct Case {
    const char* what;
    int errorcode;
    std::function<void(DeviceRecord&)> set;
  };
  const std::vector<Case> cases{
    {"disabled", 1704, [](DeviceRecord& d) { d.status = DeviceStatus::disabled; }},
    {"expired", 1705, [this](DeviceRecord& d) { d.expires_ms = m_now; }},
    {"deleted", 1706, [](DeviceRecord& d) { d.status = DeviceStatus::deleted; }},
  };
  int n = 0;
  for (const Case& c : cases) {
    const Owned d = register_device(a, std::string("dev-") + c.what, "alias" + std::to_string(n++));
    change_device(store(), d.devicename, c.set);
    for (const json& req : acting_requests(d, d.keynumber, d.commonkey, d.certnumber)) {
      const Answer r = send(a, req);
      EXPECT_EQ(r.errorcode, c.errorcode) << c.what << ": " << req.dump();
    }
    // Lists: this device is refused, the other answered.
    json list = getlist(d, {d.keynumber});
    list["deviceinfo"].push_back(getlist(other, {other.keynumber})["deviceinfo"][0]);
    // (The answer's own errorcode is that of a device that failed, as for any batch.)
    const Answer l = key(a, list);
    ASSERT_EQ(l.errorcode, c.errorcode) << l.detail;
    EXPECT_EQ(l.body["deviceinfo"][0]["errorcode"], c.errorcode) << c.what;
    EXPECT_TRUE(l.body["deviceinfo"][0]["keyinfo"].empty()) << c.what;
    EXPECT_EQ(l.body["deviceinfo"][1]["errorcode"], 0) << c.what;
    json kl = getkeylist(d.devicename);
    kl["deviceinfo"].push_back(json{{"devicename", other.devicename}});
    const Answer k = device(a, kl);
    ASSERT_EQ(k.errorcode, c.errorcode) << k.detail;
    EXPECT_EQ(k.body["deviceinfo"][0]["errorcode"], c.errorcode) << c.what;
    EXPECT_FALSE(k.body["deviceinfo"][0].contains("deviceid")) << c.what;
    EXPECT_EQ(k.body["deviceinfo"][1]["errorcode"], 0) << c.what;
  }
  // An expiry still ahead changes nothing; enabled again, a device works again.
  change_device(store(), "dev-expired", [this](DeviceRecord& d) { d.expires_ms = m_now + 1; });
  change_device(store(), "dev-disabled", [](DeviceRecord& d) { d.status = DeviceStatus::valid; });
  for (const char* name : {"dev-expired", "dev-disabled"}) {
    const auto d = store().find_device_by_name(name);
    json get = json{{"mode", "getkeylist"}, {"deviceinfo", json::array({json{{"devicename", name}}})}};
    const Answer k = device(a, get);
    EXPECT_EQ(k.body["deviceinfo"][0]["errorcode"], 0) << name;
    EXPECT_EQ(k.body["deviceinfo"][0]["deviceid"], d->deviceid) << name;
  }
}

}  // namespace

namespace {

// ---- the operator's DeviceInfo modes -----------------------------------------------

TEST_F(OwnershipTest, the_operator_disables_and_enables_a_device_and_the_trail_says_who)
{
  const Owned d = register_device(a, "cam-1");
  const json get_key = key_on("get", d, d.keynumber);
  Answer r = admin(json{{"mode", "disable"}, {"devicename", "cam-1"}});
  ASSERT_EQ(r.errorcode, 0) << r.detail;
  EXPECT_EQ(r.body["status"], "disabled");
  EXPECT_EQ(r.body["deviceid"], d.deviceid);
  EXPECT_EQ(key(a, get_key).errorcode, 1704);
  EXPECT_EQ(admin(json{{"mode", "disable"}, {"devicename", "cam-1"}}).errorcode, 1708);
  r = admin(json{{"mode", "enable"}, {"devicename", "cam-1"}});
  ASSERT_EQ(r.errorcode, 0) << r.detail;
  EXPECT_EQ(r.body["status"], "valid");
  EXPECT_EQ(key(a, get_key).errorcode, 0);
  EXPECT_EQ(admin(json{{"mode", "enable"}, {"devicename", "cam-1"}}).errorcode, 1709);
  EXPECT_EQ(admin(json{{"mode", "get"}, {"devicename", "nobody"}}).errorcode, 1706);
  // get: the device and its trail, newest last; the ID's calls name the ID, ours "admin".
  r = admin(json{{"mode", "get"}, {"devicename", "cam-1"}});
  ASSERT_EQ(r.errorcode, 0) << r.detail;
  EXPECT_EQ(r.body["owner"], a.keyid);
  // (Key gets are recorded too; the audit writer may not have stored them yet.)
  json changes = json::array();
  for (const json& e : r.body["events"]) {
    if (e["api"] != "KeyInfo" || e["mode"] != "get") {
      changes.push_back(json{{"api", e["api"]}, {"mode", e["mode"]}, {"by", e["by"]}});
    }
  }
  EXPECT_EQ(changes, json::parse(R"([{"api":"KeyInfo","mode":"create","by":")" + a.keyid + R"("},
                                     {"api":"CredInfo","mode":"create","by":")" + a.keyid + R"("},
                                     {"api":"DeviceInfo","mode":"disable","by":"admin"},
                                     {"api":"DeviceInfo","mode":"enable","by":"admin"}])"));
}

TEST_F(OwnershipTest, operator_modes_need_the_admin_license_key)
{
  register_device(a, "cam-1");
  for (const char* mode : {"get", "disable", "enable", "update"}) {
    const Answer r = admin(as(a, json{{"mode", mode}, {"devicename", "cam-1"}}), clm::server::Caller::client);
    EXPECT_EQ(r.errorcode, -1) << mode;
    EXPECT_EQ(r.body["error"], "this request needs the admin license key") << mode;
  }
  EXPECT_EQ(store().find_device_by_name("cam-1")->status, clm::server::DeviceStatus::valid);
  EXPECT_EQ(admin(json{{"mode", "purge"}, {"devicename", "cam-1"}}).errorcode, 1103);
}

TEST_F(OwnershipTest, bulk_operator_modes_answer_per_device_and_go_on)
{
  register_device(a, "cam-1");
  register_device(b, "cam-2");
  change_device(store(), "cam-2", [](clm::server::DeviceRecord& d) { d.status = clm::server::DeviceStatus::disabled; });
  const json req{{"mode", "disable"},
                 {"deviceinfo", json::array({json{{"devicename", "cam-1"}}, json{{"devicename", "missing"}},
                                             json{{"devicename", "cam-2"}}, json{{"devicename", 7}}})}};
  const Answer r = admin(req);
  ASSERT_EQ(r.body["deviceinfo"].size(), 4u) << r.body;
  EXPECT_EQ(r.body["deviceinfo"][0]["errorcode"], 0);
  EXPECT_EQ(r.body["deviceinfo"][0]["status"], "disabled");
  EXPECT_EQ(r.body["deviceinfo"][1]["errorcode"], 1706);
  EXPECT_EQ(r.body["deviceinfo"][2]["errorcode"], 1708);
  EXPECT_EQ(r.body["deviceinfo"][3]["errorcode"], 1103);
  EXPECT_EQ(r.errorcode, 1103) << "the last error";
  EXPECT_EQ(store().find_device_by_name("cam-1")->status, clm::server::DeviceStatus::disabled);
  // At most 10,000 devices in one request (one transaction): more is refused whole.
  json many{{"mode", "enable"}, {"deviceinfo", json::array()}};
  for (int i = 0; i < 10001; ++i) {
    many["deviceinfo"].push_back(json{{"devicename", "cam-1"}});
  }
  EXPECT_EQ(admin(many).errorcode, 1104);
  EXPECT_EQ(store().find_device_by_name("cam-1")->status, clm::server::DeviceStatus::disabled);
  many["deviceinfo"].erase(many["deviceinfo"].begin());
  EXPECT_EQ(admin(many).body["deviceinfo"][0]["errorcode"], 0);
}

TEST_F(OwnershipTest, update_sets_facts_and_expiry_and_a_deleted_device_takes_no_change)
{
  const Owned d = register_device(a, "cam-1");
  Answer r = admin(json{{"mode", "update"}, {"devicename", "cam-1"}, {"ipaddress", "192.0.2.7"},
                        {"ext_data", {{"site", "north"}}}, {"expires", std::to_string(m_now + 10)}});
  ASSERT_EQ(r.errorcode, 0) << r.detail;
  EXPECT_EQ(r.body["ipaddress"], "192.0.2.7");
  EXPECT_EQ(r.body["ext_data"]["site"], "north");
  EXPECT_EQ(r.body["expires"], std::to_string(m_now + 10));
  EXPECT_EQ(key(a, key_on("get", d, d.keynumber)).errorcode, 0);
  m_now += 10;
  EXPECT_EQ(key(a, key_on("get", d, d.keynumber)).errorcode, 1705);
  r = admin(json{{"mode", "update"}, {"devicename", "cam-1"}, {"expires", ""}});
  EXPECT_EQ(r.body["expires"], "");
  EXPECT_EQ(key(a, key_on("get", d, d.keynumber)).errorcode, 0);
  for (const char* bad : {"soon", "-1", "1234567890123456"}) {
    EXPECT_EQ(admin(json{{"mode", "update"}, {"devicename", "cam-1"}, {"expires", bad}}).errorcode, 1104) << bad;
  }
  EXPECT_EQ(admin(json{{"mode", "update"}, {"devicename", "cam-1"}, {"ipaddress", "nope"}}).errorcode, 1104);
  change_device(store(), "cam-1", [](clm::server::DeviceRecord& dev) { dev.status = clm::server::DeviceStatus::deleted; });
  for (const char* mode : {"disable", "enable", "update"}) {
    EXPECT_EQ(admin(json{{"mode", mode}, {"devicename", "cam-1"}}).errorcode, 1710) << mode;
  }
  EXPECT_EQ(admin(json{{"mode", "get"}, {"devicename", "cam-1"}}).body["status"], "deleted");
}

TEST_F(OwnershipTest, delete_revokes_the_certificates_deletes_the_keys_and_the_name_stays_taken)
{
  const Owned d = register_device(a, "cam-1");
  const Owned other = register_device(a, "cam-2");
  Answer r = admin(json{{"mode", "delete"}, {"devicename", "cam-1"}});
  ASSERT_EQ(r.errorcode, 0) << r.detail;
  EXPECT_EQ(r.body["status"], "deleted");
  const auto cert = store().find_certificate(std::stoll(d.certnumber));
  EXPECT_EQ(cert->status, clm::server::CertStatus::revoked);
  EXPECT_EQ(cert->revoked_at_ms, m_now);
  const auto key_row = store().find_key(std::stoll(d.keynumber));
  EXPECT_EQ(key_row->status, KeyStatus::deleted);
  EXPECT_TRUE(key_row->sealed_key.empty()) << "the key is wiped";
  // The other device keeps its own.
  EXPECT_EQ(store().find_certificate(std::stoll(other.certnumber))->status, clm::server::CertStatus::valid);
  EXPECT_EQ(store().find_key(std::stoll(other.keynumber))->status, KeyStatus::valid);
  // For its ID the device is gone; its name cannot be registered again; a second delete is 1710.
  EXPECT_EQ(key(a, key_on("get", d, d.keynumber)).errorcode, 1706);
  EXPECT_EQ(key(a, key_create("cam-1", "again")).errorcode, 1702);
  EXPECT_EQ(admin(json{{"mode", "delete"}, {"devicename", "cam-1"}}).errorcode, 1710);
  // The trail: the revocation and the key deletion with their numbers, then the device.
  r = admin(json{{"mode", "get"}, {"devicename", "cam-1"}});
  json by_admin = json::array();
  for (const json& e : r.body["events"]) {
    if (e["by"] == "admin") {
      by_admin.push_back(json{{"mode", e["mode"]}, {"keynumber", e.value("keynumber", "")}});
    }
  }
  EXPECT_EQ(by_admin, json::parse(R"([{"mode":"revoke","keynumber":")" + d.certnumber + R"("},
                                      {"mode":"delete","keynumber":")" + d.keynumber + R"("},
                                      {"mode":"delete","keynumber":""}])"));
}

TEST_F(OwnershipTest, search_pages_through_the_devices_a_filter_wants)
{
  for (const char* name : {"cam-1", "cam-2", "cam-3", "gw-1"}) {
    register_device(a, name);
  }
  admin(json{{"mode", "disable"}, {"devicename", "cam-2"}});
  admin(json{{"mode", "update"}, {"devicename", "cam-3"}, {"expires", std::to_string(m_now + 2 * 24 * 3600 * 1000LL)}});
  auto names = [](const Answer& r) {
    std::vector<std::string> out;
    for (const json& d : r.body["deviceinfo"]) {
      out.push_back(d["devicename"]);
    }
    return out;
  };
  using V = std::vector<std::string>;
  Answer r = admin(json{{"mode", "search"}, {"prefix", "cam-"}, {"limit", "2"}});
  ASSERT_EQ(r.errorcode, 0) << r.detail;
  EXPECT_EQ(names(r), (V{"cam-1", "cam-2"}));
  EXPECT_EQ(r.body["next"], "cam-2");
  r = admin(json{{"mode", "search"}, {"prefix", "cam-"}, {"limit", "2"}, {"after", "cam-2"}});
  EXPECT_EQ(names(r), (V{"cam-3"}));
  EXPECT_EQ(r.body["next"], "") << "a page not full is the last";
  EXPECT_EQ(names(admin(json{{"mode", "search"}, {"status", "disabled"}})), (V{"cam-2"}));
  EXPECT_EQ(names(admin(json{{"mode", "search"}, {"expiring_within_days", "1"}})), V{});
  EXPECT_EQ(names(admin(json{{"mode", "search"}, {"expiring_within_days", "2"}})), (V{"cam-3"}));
  EXPECT_EQ(admin(json{{"mode", "search"}}).body["deviceinfo"].size(), 4u);
  for (const json& bad : {json{{"status", "lost"}}, json{{"limit", "0"}}, json{{"limit", "1001"}},
                          json{{"expiring_within_days", "x"}}}) {
    json req = bad;
    req["mode"] = "search";
    EXPECT_EQ(admin(req).errorcode, 1104) << bad;
  }
  EXPECT_EQ(admin(json{{"mode", "search"}}, clm::server::Caller::client).body["error"],
            "this request needs the admin license key");
}

TEST_F(OwnershipTest, groups_are_set_listed_joined_and_deleted_once_empty)
{
  register_device(a, "cam-1");
  Answer r = admin(json{{"mode", "groupset"}, {"group", "cameras"}, {"rotate_days", "30"}, {"renew_days", "14"}});
  ASSERT_EQ(r.errorcode, 0) << r.detail;
  EXPECT_EQ(r.body, json::parse(R"({"errorcode":0,"group":"cameras","rotate_days":"30","renew_days":"14","created":")"
                                + std::to_string(m_now) + R"(","devices":"0"})"));
  r = admin(json{{"mode", "update"}, {"devicename", "cam-1"}, {"group", "cameras"}});
  ASSERT_EQ(r.errorcode, 0) << r.detail;
  EXPECT_EQ(r.body["group"], "cameras");
  EXPECT_EQ(admin(json{{"mode", "groupget"}, {"group", "cameras"}}).body["devices"], "1");
  r = admin(json{{"mode", "grouplist"}});
  ASSERT_EQ(r.body["groups"].size(), 1u);
  EXPECT_EQ(r.body["groups"][0]["group"], "cameras");
  EXPECT_FALSE(r.body["groups"][0].contains("errorcode"));
  r = admin(json{{"mode", "groupdelete"}, {"group", "cameras"}});
  EXPECT_EQ(r.errorcode, 1104);
  EXPECT_EQ(r.detail, "group cameras still holds 1 devices");
  EXPECT_EQ(admin(json{{"mode", "update"}, {"devicename", "cam-1"}, {"group", "nope"}}).errorcode, 1104);
  EXPECT_EQ(admin(json{{"mode", "update"}, {"devicename", "cam-1"}, {"group", ""}}).body["group"], "");
  // Set again, the schedule is replaced as given (absent: none).
  r = admin(json{{"mode", "groupset"}, {"group", "cameras"}, {"renew_days", "7"}});
  EXPECT_EQ(r.body["rotate_days"], "");
  EXPECT_EQ(r.body["renew_days"], "7");
  EXPECT_EQ(admin(json{{"mode", "groupdelete"}, {"group", "cameras"}}).errorcode, 0);
  EXPECT_EQ(admin(json{{"mode", "groupget"}, {"group", "cameras"}}).errorcode, 1104);
  for (const json& bad : {json{{"group", "g"}, {"rotate_days", "0"}}, json{{"group", "g"}, {"rotate_days", "3651"}},
                          json{{"group", "g"}, {"renew_days", "x"}}, json{{"group", ""}},
                          json{{"group", std::string(65, 'g')}}, json{{"group", "a\nb"}}}) {
    json req = bad;
    req["mode"] = "groupset";
    EXPECT_EQ(admin(req).errorcode, 1104) << bad;
  }
  EXPECT_EQ(admin(json{{"mode", "groupset"}}).errorcode, 1102);
  EXPECT_EQ(admin(json{{"mode", "groupset"}, {"group", 5}}).errorcode, 1103);
  for (const char* mode : {"groupset", "grouplist", "due", "report", "summary"}) {
    EXPECT_EQ(admin(json{{"mode", mode}, {"group", "g"}}, clm::server::Caller::client).body["error"],
              "this request needs the admin license key")
      << mode;
  }
}

TEST_F(OwnershipTest, a_groups_schedule_makes_keys_and_certificates_due_on_the_servers_clock)
{
  constexpr std::int64_t day = 24LL * 3600 * 1000;
  const Owned d = register_device(a, "cam-1");
  register_device(a, "gw-1");  // in no group: never due
  admin(json{{"mode", "groupset"}, {"group", "cameras"}, {"rotate_days", "30"}});
  admin(json{{"mode", "update"}, {"devicename", "cam-1"}, {"group", "cameras"}});
  EXPECT_FALSE(key(a, key_on("get", d, d.keynumber)).body.contains("rotation"));
  EXPECT_EQ(admin(json{{"mode", "due"}}).body["due"], json::array());
  const std::int64_t issued = m_now;
  m_now += 30 * day;
  Answer r = key(a, key_on("get", d, d.keynumber));
  ASSERT_EQ(r.errorcode, 0) << r.detail;
  EXPECT_EQ(r.body["rotation"], "due");
  r = admin(json{{"mode", "due"}, {"group", "cameras"}});
  ASSERT_EQ(r.body["due"].size(), 1u) << r.body;
  EXPECT_EQ(r.body["due"][0], json::parse(R"({"devicename":"cam-1","deviceid":")" + d.deviceid
                                          + R"(","group":"cameras","kind":"key","keynumber":")" + d.keynumber
                                          + R"(","alias":"cam-1-k","expires":")" + std::to_string(issued + 365 * day)
                                          + R"(","due":")" + std::to_string(issued + 30 * day) + R"("})"));
  EXPECT_EQ(r.body["next"], "");
  // The device's update replaces the key; the new one is not due.
  r = key(a, key_on("update", d, d.keynumber));
  ASSERT_EQ(r.errorcode, 0) << r.detail;
  const std::string renewed = r.body["keynumber"];
  EXPECT_FALSE(key(a, key_on("get", d, renewed)).body.contains("rotation"));
  EXPECT_EQ(admin(json{{"mode", "due"}}).body["due"], json::array());
  // A renewal window wider than what is left of the certificate makes it due.
  admin(json{{"mode", "groupset"}, {"group", "cameras"}, {"renew_days", "400"}});
  r = admin(json{{"mode", "due"}});
  ASSERT_EQ(r.body["due"].size(), 1u) << r.body;
  EXPECT_EQ(r.body["due"][0]["kind"], "certificate");
  EXPECT_EQ(r.body["due"][0]["serial"], d.serial);
  EXPECT_EQ(admin(json{{"mode", "due"}, {"group", "nope"}}).errorcode, 1104);
  EXPECT_EQ(admin(json{{"mode", "due"}, {"after", "x"}}).errorcode, 1104);
}

TEST_F(OwnershipTest, report_lists_what_expires_within_days_in_buckets_by_pages)
{
  constexpr std::int64_t day = 24LL * 3600 * 1000;
  const Owned d = register_device(a, "cam-1");
  EXPECT_EQ(admin(json{{"mode", "report"}, {"within_days", "0"}}).body["credentials"], json::array());
  Answer r = admin(json{{"mode", "report"}, {"within_days", "365"}});
  ASSERT_EQ(r.errorcode, 0) << r.detail;
  ASSERT_EQ(r.body["credentials"].size(), 2u) << r.body;
  EXPECT_EQ(r.body["credentials"][0]["keynumber"], d.keynumber) << "both end together: by key number";
  EXPECT_EQ(r.body["credentials"][0]["days_left"], "365");
  EXPECT_EQ(r.body["credentials"][0]["bucket"], "later");
  EXPECT_EQ(r.body["credentials"][1]["kind"], "certificate");
  // Page by page, one at a time.
  r = admin(json{{"mode", "report"}, {"within_days", "365"}, {"limit", "1"}});
  ASSERT_EQ(r.body["credentials"].size(), 1u);
  r = admin(json{{"mode", "report"}, {"within_days", "365"}, {"limit", "1"}, {"after", r.body["next"]}});
  ASSERT_EQ(r.body["credentials"].size(), 1u);
  EXPECT_EQ(r.body["credentials"][0]["keynumber"], d.certnumber);
  r = admin(json{{"mode", "report"}, {"within_days", "365"}, {"limit", "1"}, {"after", r.body["next"]}});
  EXPECT_EQ(r.body["credentials"], json::array());
  EXPECT_EQ(r.body["next"], "");
  m_now += 360 * day;
  r = admin(json{{"mode", "report"}, {"within_days", "10"}});
  EXPECT_EQ(r.body["credentials"][0]["bucket"], "15");
  EXPECT_EQ(r.body["credentials"][0]["days_left"], "5");
  m_now += 6 * day;
  r = admin(json{{"mode", "report"}, {"within_days", "0"}});
  EXPECT_EQ(r.body["credentials"][0]["bucket"], "expired");
  EXPECT_EQ(r.body["credentials"][0]["days_left"], "-1");
  EXPECT_EQ(admin(json{{"mode", "report"}}).errorcode, 1102);
  EXPECT_EQ(admin(json{{"mode", "report"}, {"within_days", "36501"}}).errorcode, 1104);
}

TEST_F(OwnershipTest, summary_counts_the_fleet)
{
  register_device(a, "cam-1");
  register_device(a, "cam-2");
  register_device(b, "gw-1");
  admin(json{{"mode", "disable"}, {"devicename", "cam-2"}});
  admin(json{{"mode", "delete"}, {"devicename", "gw-1"}});
  admin(json{{"mode", "update"}, {"devicename", "cam-1"}, {"expires", std::to_string(m_now)}});
  const Answer r = admin(json{{"mode", "summary"}});
  ASSERT_EQ(r.errorcode, 0) << r.detail;
  EXPECT_EQ(r.body["devices"], json::parse(R"({"valid":"1","disabled":"1","deleted":"1","expired":"1"})"));
  // Four valid credentials (gw-1's were revoked and deleted), ending in a year.
  EXPECT_EQ(r.body["credentials"],
            json::parse(R"({"expired":"0","15":"0","30":"0","60":"0","90":"0","later":"4"})"));
  ASSERT_EQ(r.body["per_day"].size(), 30u);
  EXPECT_EQ(r.body["per_day"].back()["day"], clm::server::day_text(m_now / (24LL * 3600 * 1000)));
  EXPECT_EQ(r.body["per_day"].back()["issued"], "6");
  EXPECT_EQ(r.body["per_day"].back()["rotated"], "0");
  EXPECT_EQ(r.body["per_day"].front()["issued"], "0");
}

TEST_F(OwnershipTest, the_trail_a_get_shows_ends_with_the_devices_latest_request)
{
  const Owned d = register_device(a, "cam-1");
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(key(a, key_on("get", d, d.keynumber)).errorcode, 0);  // a read: its event is deferred
    const Answer r = admin(json{{"mode", "get"}, {"devicename", "cam-1"}});
    ASSERT_FALSE(r.body["events"].empty());
    EXPECT_EQ(r.body["events"].back()["mode"], "get");
    EXPECT_EQ(r.body["events"].size(), 3u + i) << "create (key), create (certificate), then each get";
  }
}

TEST(FleetReports, buckets_days_left_and_day_text)
{
  using clm::server::days_left;
  using clm::server::expiry_bucket;
  constexpr std::int64_t day = 24LL * 3600 * 1000;
  EXPECT_EQ(expiry_bucket(100, 100), "expired");
  EXPECT_EQ(expiry_bucket(101, 100), "15");
  EXPECT_EQ(expiry_bucket(100 + 15 * day, 100), "15");
  EXPECT_EQ(expiry_bucket(101 + 15 * day, 100), "30");
  EXPECT_EQ(expiry_bucket(100 + 90 * day, 100), "90");
  EXPECT_EQ(expiry_bucket(101 + 90 * day, 100), "later");
  EXPECT_EQ(days_left(day, 0), 1);
  EXPECT_EQ(days_left(day - 1, 0), 0);
  EXPECT_EQ(days_left(-1, 0), -1);
  EXPECT_EQ(days_left(-day, 0), -1);
  EXPECT_EQ(days_left(-day - 1, 0), -2);
  EXPECT_EQ(clm::server::day_text(0), "1970-01-01");
  EXPECT_EQ(clm::server::day_text(20788), "2026-12-01");
}

}  // namespace
