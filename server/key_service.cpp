#include "key_service.hpp"

#include "fleet_reports.hpp"

#include <clm/error.hpp>
#include <clm/otr.hpp>
#include <clm/validate.hpp>

#include <utility>
#include <vector>

namespace clm::server {

namespace {

constexpr const char* k_api = "KeyInfo";
constexpr const char* k_default_keylength = "128";  // the reference's default for create and update

std::string associated_data(std::int64_t keynumber)
{
  return "keys/" + std::to_string(keynumber);
}

std::optional<std::string> optional_alias(const json& req, const char* field)
{
  auto alias = optional_string(req, field);
  if (alias) {
    check_value(field_problem(Field::alias, Side::server, *alias), field);
  }
  return alias;
}

// Return the key length in bits text gives for keytype; 1104 when keytype has no such length.
int keylength_of(const std::string& keytype, const std::string& text)
{
  check_value(keylength_problem(keytype, text), "keylength");
  return std::stoi(text);
}

std::int64_t required_keynumber(const json& req)
{
  const auto keynumber = optional_keynumber(req, "keynumber");
  if (!keynumber) {
    throw ApiError{1102, "keynumber is missing"};
  }
  return *keynumber;
}

// Return the bytes of the base64 field, or nullopt when it is missing; 1103 when it is not base64.
std::optional<std::string> optional_base64(const json& req, const char* field)
{
  const auto text = optional_string(req, field);
  if (!text) {
    return std::nullopt;
  }
  try {
    return base64_decode(*text);
  } catch (const Error&) {
    throw ApiError{1103, std::string(field) + " is not base64"};
  }
}

// Read expiredkey: a JSON boolean or the string "true" or "false" (false when absent); 1103 otherwise.
bool read_expiredkey(const json& req)
{
  const auto it = req.find("expiredkey");
  if (it == req.end() || it->is_null()) {
    return false;
  }
  if (it->is_boolean()) {
    return it->get<bool>();
  }
  if (it->is_string()) {
    const auto& text = it->get_ref<const std::string&>();
    if (text == "true" || text == "false") {
      return text == "true";
    }
  }
  throw ApiError{1103, "expiredkey is not true or false"};
}

// A key named by key number or alias.
struct KeySelector {
  std::optional<std::int64_t> keynumber;
  std::optional<std::string> alias;  // set only when no key number is given
  bool given() const { return keynumber || alias; }
};

// Read keynumber_field or alias_field; the key number wins when both are given (the
// alias is still checked for form, as every field is).
KeySelector read_selector(const json& req, const char* keynumber_field, const char* alias_field)
{
  KeySelector s;
  s.keynumber = optional_keynumber(req, keynumber_field);
  auto alias = optional_alias(req, alias_field);
  if (!s.keynumber) {
    s.alias = std::move(alias);
  }
  return s;
}

KeySelector required_selector(const json& req, const char* keynumber_field, const char* alias_field)
{
  KeySelector s = read_selector(req, keynumber_field, alias_field);
  if (!s.given()) {
    throw ApiError{1102, std::string(keynumber_field) + " or " + alias_field + " is missing"};
  }
  return s;
}

std::string number_text(const KeyRecord& key)
{
  return "key " + std::to_string(key.keynumber);
}

bool expired(const KeyRecord& key, std::int64_t now_ms)
{
  return key.expiration_ms <= now_ms;
}

// Return the key with this number in scope, deleted ones included; 1501 when there is
// none (another ID's key is none).
KeyRecord find_existing(Store& store, std::int64_t keynumber, const KeyScope& scope)
{
  auto key = store.find_key(keynumber);
  if (!key || !scope.covers(*key)) {
    throw ApiError{1501, "no key with keynumber " + std::to_string(keynumber)};
  }
  return std::move(*key);
}

// Throw 1503 unless deviceid keeps key in filepath.
void check_binding(Store& store, const KeyRecord& key, const std::string& deviceid, const std::string& filepath)
{
  const auto bound = store.find_binding(key.keynumber, deviceid);
  if (!bound || *bound != filepath) {
    throw ApiError{1503, number_text(key) + " is not bound to device " + deviceid + " with that filepath"};
  }
}

// Return the key an update adopts instead of issuing one: 1502 none (or deleted), 1513 the
// key being updated, 1505 not valid, 1506 expired, 1507 another keytype than old's.
KeyRecord adopted_key(Store& store, const KeySelector& adopt, const KeyRecord& old, const KeyScope& scope,
                      std::int64_t now_ms)
{
  std::optional<KeyRecord> found =
    adopt.keynumber ? store.find_key(*adopt.keynumber)
                    : store.find_latest_key_by_alias(*adopt.alias, std::nullopt, scope, now_ms, IncludeExpired::no);
  if (!found || !scope.covers(*found) || found->status == KeyStatus::deleted) {
    throw ApiError{1502, adopt.keynumber ? "no key with newkeynumber " + std::to_string(*adopt.keynumber)
                                         : "no valid key with newalias " + *adopt.alias};
  }
  if (found->keynumber == old.keynumber) {
    throw ApiError{1513, "the new key is the one being updated"};
  }
  if (found->status != KeyStatus::valid) {
    throw ApiError{1505, "new " + number_text(*found) + " is not valid"};
  }
  if (expired(*found, now_ms)) {
    throw ApiError{1506, "new " + number_text(*found) + " has expired"};
  }
  if (found->keytype != old.keytype) {
    throw ApiError{1507, "new " + number_text(*found) + " is " + found->keytype + ", not " + old.keytype};
  }
  return std::move(*found);
}

// Return the strings of the array field of a getlist entry, or nullopt when it is
// missing; 1103 when it is not an array of strings.
std::optional<std::vector<std::string>> optional_string_array(const json& entry, const char* field)
{
  const auto it = entry.find(field);
  if (it == entry.end() || it->is_null()) {
    return std::nullopt;
  }
  if (!it->is_array()) {
    throw ApiError{1103, std::string(field) + " is not an array"};
  }
  std::vector<std::string> out;
  out.reserve(it->size());
  for (const json& item : *it) {
    if (!item.is_string()) {
      throw ApiError{1103, std::string(field) + " holds an item that is not a string"};
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

// The keys a getlist entry asks for: key numbers (texts as sent), and aliases (our
// extension: the reference says keys may be chosen by alias but names no field).
struct GetlistSelection {
  std::vector<std::string> texts;
  std::vector<std::int64_t> numbers;
  std::vector<std::string> aliases;
};

// Read keynumber and keyalias of a getlist entry: 1102 when both are missing, 1103 when
// one is not an array of strings, 1104 when an item is not a key number or an alias.
GetlistSelection read_selection(const json& entry)
{
  GetlistSelection sel;
  auto numbers = optional_string_array(entry, "keynumber");
  auto aliases = optional_string_array(entry, "keyalias");
  if (!numbers && !aliases) {
    throw ApiError{1102, "keynumber is missing"};
  }
  if (numbers) {
    sel.numbers.reserve(numbers->size());
    for (const auto& text : *numbers) {
      check_value(field_problem(Field::keynumber, Side::server, text), "keynumber");
      sel.numbers.push_back(std::stoll(text));
    }
    sel.texts = std::move(*numbers);
  }
  if (aliases) {
    for (const auto& alias : *aliases) {
      check_value(field_problem(Field::alias, Side::server, alias), "keyalias");
    }
    sel.aliases = std::move(*aliases);
  }
  return sel;
}

// One keyinfo item of a getlist answer. keynumber is a JSON number here, as in the
// reference's example; the table names the alias keyalias and the example alias, so
// both are sent.
json keyinfo_item(const KeyRecord& key, const std::string& commonkey)
{
  return json{{"keynumber", key.keynumber},
              {"commonkey", base64_encode(commonkey)},
              {"expiration", std::to_string(key.expiration_ms)},
              {"alias", key.alias},
              {"keyalias", key.alias}};
}

// Return the getlist errorcode of a key a device asked for: 1501 none, out of scope or
// deleted, 1503 not bound to the device, 1509 updated, 1510 expired; 0 when it may be
// handed out.
int getlist_problem(const std::optional<DeviceKeyRecord>& found, const KeyScope& scope, std::int64_t now_ms)
{
  if (!found || !scope.covers(found->key) || found->key.status == KeyStatus::deleted) {
    return 1501;
  }
  if (!found->bound) {
    return 1503;
  }
  if (found->key.status != KeyStatus::valid) {
    return 1509;
  }
  if (expired(found->key, now_ms)) {
    return 1510;
  }
  return 0;
}

// Throw 1103 unless key is TWINE-128, 1508 unless encdata is the device name sealed with
// TWINE-OTR under secret (the key's bytes).
void check_encdata(const KeyRecord& key, const std::string& secret, const std::string& encdata,
                   const std::string& devicename)
{
  if (key.keytype != "TWINE" || key.keylength != 128) {
    throw ApiError{1103, "encdata needs a TWINE key of 128 bits; " + number_text(key) + " is " + key.keytype + "-"
                           + std::to_string(key.keylength)};
  }
  std::string plaintext;
  try {
    plaintext = twine_otr_open(secret, encdata);
  } catch (const Error& e) {
    // A wrong tag and text too short to hold nonce and tag are both a failed proof.
    if (e.code() != ExitCode::tampered && e.code() != ExitCode::bad_file_format) {
      throw;
    }
    throw ApiError{1508, "encdata does not open under " + number_text(key)};
  }
  if (!constant_time_equal(plaintext, devicename)) {
    throw ApiError{1508, "encdata of " + number_text(key) + " is not the device name"};
  }
}

}  // namespace

KeyService::KeyService(Store& store, const SecretBox& box, const IdService& ids, KeyPolicy policy, Clock clock)
  : m_store(store), m_box(box), m_ids(ids), m_policy(policy), m_clock(std::move(clock)), m_devices(store, box, m_clock)
{
}

ApiResponse KeyService::post(std::string_view body)
{
  using Handler = ApiResponse (KeyService::*)(const json&, std::int64_t);
  static constexpr std::pair<std::string_view, Handler> k_modes[] = {
    {"create", &KeyService::create}, {"get", &KeyService::get},   {"update", &KeyService::update},
    {"delete", &KeyService::remove}, {"auth", &KeyService::auth}, {"getlist", &KeyService::getlist},
  };
  const json req = parse_request(body);
  const std::string mode = required_string(req, "mode");
  for (const auto& [name, handler] : k_modes) {
    if (mode == name) {
      return (this->*handler)(req, m_ids.authenticate(req));
    }
  }
  throw ApiError{1103, "mode '" + mode.substr(0, 32) + "' is not create, get, update, delete, auth or getlist"};
}

KeyRecord KeyService::issue_key(const std::string& deviceid, const std::string& keytype, int keylength,
                                const std::string& alias, std::int64_t now_ms)
{
  KeyRecord r;
  r.keynumber = m_store.allocate_keynumber("key");
  r.keytype = keytype;
  r.keylength = keylength;
  r.alias = alias;
  r.sealed_key = m_box.seal(random_bytes(static_cast<std::size_t>(keylength) / 8), associated_data(r.keynumber));
  r.status = KeyStatus::valid;
  r.expiration_ms = now_ms + std::chrono::duration_cast<std::chrono::milliseconds>(m_policy.lifetime).count();
  r.deviceid = deviceid;
  r.created_ms = now_ms;
  m_store.insert_key(r);
  return r;
}

std::string KeyService::key_of(const KeyRecord& key) const
{
  return m_box.open(key.sealed_key, associated_data(key.keynumber));
}

json KeyService::key_answer(const std::string& deviceid, const KeyRecord& key) const
{
  return json{{"errorcode", 0},
              {"deviceid", deviceid},
              {"commonkey", base64_encode(key_of(key))},
              {"keynumber", std::to_string(key.keynumber)},
              {"alias", key.alias},
              {"expiration", std::to_string(key.expiration_ms)}};
}

void KeyService::record(std::int64_t keyid, const std::string& deviceid, const char* mode, std::int64_t keynumber,
                        const std::string& filepath, std::int64_t now_ms)
{
  record_call(m_store, k_api, keyid, deviceid, mode, keynumber, filepath, now_ms);
}

ApiResponse KeyService::create(const json& req, std::int64_t keyid)
{
  // Fields in the order of the reference's table 5.1 (keytype before the keylength it limits).
  const DeviceClaim claim = read_device_claim(req, DeviceIdRule::optional);
  const std::string alias = required_string(req, "alias");
  check_value(field_problem(Field::alias, Side::server, alias), "alias");
  const std::string keytype = required_string(req, "keytype");
  check_value(keytype_problem(keytype), "keytype");
  const int keylength = keylength_of(keytype, optional_string(req, "keylength").value_or(k_default_keylength));
  // The reference fixes keyfilepath to "/tmp/key" as management information; it is required, not kept.
  required_string(req, "keyfilepath");
  const std::string filepath = required_path(req, "commonkeyfilepath");
  const DeviceInfo info = read_device_info(req);

  const std::int64_t now = m_clock();
  DeviceAccess access;
  KeyRecord key;
  m_store.transaction([&] {
    access = m_devices.resolve_for_issue(claim, info, now, keyid);
    key = issue_key(access.device.deviceid, keytype, keylength, alias, now);
    m_store.bind_key(key.keynumber, access.device.deviceid, filepath);
    record(keyid, access.device.deviceid, "create", key.keynumber, filepath, now);
  });

  json body = key_answer(access.device.deviceid, key);
  if (access.devicekey) {
    body["devicekey"] = *access.devicekey;
  }
  return {201, std::move(body)};
}

ApiResponse KeyService::get(const json& req, std::int64_t keyid)
{
  const DeviceClaim claim = read_device_claim(req, DeviceIdRule::required);
  const KeySelector target = required_selector(req, "keynumber", "alias");
  const std::string filepath = required_path(req, "filepath");
  const bool expiredkey = read_expiredkey(req);

  const std::int64_t now = m_clock();
  DeviceRecord device;
  KeyRecord key;
  bool rotation_due = false;
  const KeyScope scope = KeyScope::of(keyid);
  m_store.transaction([&] {
    if (target.keynumber) {
      m_store.prefetch_device_key(claim.devicename, *target.keynumber, *claim.deviceid);
    }
    device = m_devices.verify(claim, keyid, DeviceUse::act);
    if (target.keynumber) {
      key = find_existing(m_store, *target.keynumber, scope);
      if (key.status != KeyStatus::valid) {
        throw ApiError{1509, number_text(key) + " is updated or deleted"};
      }
      if (expired(key, now) && !expiredkey) {
        throw ApiError{1510, number_text(key) + " has expired"};
      }
    } else {
      auto found = m_store.find_latest_key_by_alias(*target.alias, std::nullopt, scope, now,
                                                    expiredkey ? IncludeExpired::yes : IncludeExpired::no);
      if (!found) {
        throw ApiError{1501, "no valid key with alias " + *target.alias};
      }
      key = std::move(*found);
    }
    // Common keys are shared among an ID's devices: any of them may fetch one, and is
    // bound to it from then on.
    m_store.bind_key(key.keynumber, device.deviceid, filepath);
    record(keyid, device.deviceid, "get", key.keynumber, filepath, now);
    rotation_due = key_rotation_due(m_store, device, key, now);
  }, Durability::deferred);  // a read: its event and binding need not wait on the disk
  json answer = key_answer(device.deviceid, key);
  if (rotation_due) {
    answer["rotation"] = "due";  // our extension: the device's group schedule wants a new key
  }
  return {200, std::move(answer)};
}

ApiResponse KeyService::update(const json& req, std::int64_t keyid)
{
  const DeviceClaim claim = read_device_claim(req, DeviceIdRule::required);
  const KeySelector target = required_selector(req, "keynumber", "oldalias");
  const KeySelector adopt = read_selector(req, "newkeynumber", "newalias");
  const auto alias = optional_alias(req, "alias");
  // Checked against the old key's type once it is known; unused when a key is adopted.
  const std::string keylength = optional_string(req, "keylength").value_or(k_default_keylength);
  const std::string filepath = required_path(req, "filepath");
  const std::string newfilepath = optional_path(req, "newfilepath").value_or(filepath);

  const std::int64_t now = m_clock();
  DeviceRecord device;
  KeyRecord renewed;
  const KeyScope scope = KeyScope::of(keyid);
  m_store.transaction([&] {
    device = m_devices.verify(claim, keyid, DeviceUse::act);
    KeyRecord old;
    if (target.keynumber) {
      old = find_existing(m_store, *target.keynumber, scope);
      if (!m_store.find_binding(old.keynumber, device.deviceid)) {
        throw ApiError{1503, number_text(old) + " is not bound to device " + device.deviceid};
      }
    } else {
      // Expired keys count here, so that the newest one answers 1510 instead of an older one being updated.
      auto found = m_store.find_latest_key_by_alias(*target.alias, device.deviceid, scope, now, IncludeExpired::yes);
      if (!found) {
        throw ApiError{1501, "no valid key with alias " + *target.alias + " bound to device " + device.deviceid};
      }
      old = std::move(*found);
    }
    if (old.status != KeyStatus::valid) {
      throw ApiError{1504, number_text(old) + " is already updated or deleted"};
    }
    if (expired(old, now)) {
      throw ApiError{1510, number_text(old) + " has expired"};
    }
    if (adopt.given()) {
      renewed = adopted_key(m_store, adopt, old, scope, now);
      if (alias && *alias != renewed.alias) {
        renewed.alias = *alias;
        m_store.update_key(renewed);
      }
    } else {
      renewed = issue_key(device.deviceid, old.keytype, keylength_of(old.keytype, keylength),
                          alias.value_or(old.alias), now);
    }
    old.status = KeyStatus::updated;
    old.replaced_by = renewed.keynumber;
    m_store.update_key(old);
    m_store.bind_key(renewed.keynumber, device.deviceid, newfilepath);
    record(keyid, device.deviceid, "update", renewed.keynumber, newfilepath, now);
  });
  return {200, key_answer(device.deviceid, renewed)};
}

ApiResponse KeyService::remove(const json& req, std::int64_t keyid)
{
  const DeviceClaim claim = read_device_claim(req, DeviceIdRule::required);
  const std::int64_t keynumber = required_keynumber(req);
  const auto commonkey = optional_base64(req, "commonkey");
  if (!commonkey) {
    throw ApiError{1102, "commonkey is missing"};
  }
  const std::string filepath = required_path(req, "filepath");

  const std::int64_t now = m_clock();
  DeviceRecord device;
  m_store.transaction([&] {
    device = m_devices.verify(claim, keyid, DeviceUse::act);
    KeyRecord key = find_existing(m_store, keynumber, KeyScope::of(keyid));
    check_binding(m_store, key, device.deviceid, filepath);
    if (key.status == KeyStatus::deleted) {
      throw ApiError{1509, number_text(key) + " is already deleted"};
    }
    // Updated and expired keys may be deleted: the holder is cleaning up.
    if (!constant_time_equal(key_of(key), *commonkey)) {
      throw ApiError{1508, "commonkey does not match " + number_text(key)};
    }
    // The row stays, so the number is never issued again; the key itself is wiped.
    key.status = KeyStatus::deleted;
    key.sealed_key.clear();
    m_store.update_key(key);
    record(keyid, device.deviceid, "delete", key.keynumber, filepath, now);
  });
  return {200, json{{"errorcode", 0}, {"deviceid", device.deviceid}, {"keynumber", std::to_string(keynumber)}}};
}

ApiResponse KeyService::auth(const json& req, std::int64_t keyid)
{
  const DeviceClaim claim = read_device_claim(req, DeviceIdRule::required);
  const std::int64_t keynumber = required_keynumber(req);
  const auto commonkey = optional_base64(req, "commonkey");
  const auto encdata = optional_base64(req, "encdata");
  if (!commonkey && !encdata) {
    throw ApiError{1102, "commonkey or encdata is missing"};
  }
  const std::string filepath = required_path(req, "filepath");

  const std::int64_t now = m_clock();
  DeviceRecord device;
  m_store.transaction([&] {
    device = m_devices.verify(claim, keyid, DeviceUse::act);
    const KeyRecord key = find_existing(m_store, keynumber, KeyScope::of(keyid));
    check_binding(m_store, key, device.deviceid, filepath);
    if (key.status != KeyStatus::valid) {
      throw ApiError{1509, number_text(key) + " is updated or deleted"};
    }
    if (expired(key, now)) {
      throw ApiError{1510, number_text(key) + " has expired"};
    }
    // Every proof given must hold: commonkey first, then encdata.
    const std::string secret = key_of(key);
    if (commonkey && !constant_time_equal(secret, *commonkey)) {
      throw ApiError{1508, "commonkey does not match " + number_text(key)};
    }
    if (encdata) {
      check_encdata(key, secret, *encdata, device.devicename);
    }
    record(keyid, device.deviceid, "auth", key.keynumber, filepath, now);
  }, Durability::deferred);  // a read: its event need not wait on the disk
  return {200, json{{"errorcode", 0}, {"deviceid", device.deviceid}, {"keynumber", std::to_string(keynumber)}}};
}

}  // namespace clm::server

namespace clm::server {

ApiResponse KeyService::getlist(const json& req, std::int64_t keyid)
{
  const std::int64_t now = m_clock();
  const ListAccess access = list_access(m_store, keyid);
  return batch_answer(
    m_store, req, [&](const json& entry) { return getlist_device(entry, keyid, access.use, access.scope, now); },
    [&](const json& entries) {
      // Every device and the keys asked for in two queries, not two per device; an entry
      // that is malformed gets its error from getlist_device.
      m_store.prefetch_devices(batch_strings(entries, "devicename"));
      std::vector<std::pair<std::string, std::vector<std::int64_t>>> wanted;
      for (const json& entry : entries) {
        const auto id = entry.find("deviceid");
        if (id == entry.end() || !id->is_string()) {
          continue;
        }
        try {
          wanted.emplace_back(id->get<std::string>(), read_selection(entry).numbers);
        } catch (const ApiError&) {
          // answered per device
        }
      }
      m_store.prefetch_keys_for_devices(wanted);
    });
}

json KeyService::getlist_device(const json& entry, std::int64_t keyid, DeviceUse use, const KeyScope& scope,
                                std::int64_t now_ms)
{
  json answer{{"errorcode", 0},
              {"deviceid", echoed_string(entry, "deviceid")},
              {"devicename", echoed_string(entry, "devicename")},
              {"keyinfo", json::array()},
              {"errorkeylist", json::array()}};
  try {
    DeviceClaim claim = read_device_claim(entry, DeviceIdRule::required);
    claim.devicekey.reset();  // getlist proves the ID/password, not the device
    GetlistSelection sel = read_selection(entry);
    const DeviceRecord device = m_devices.verify(claim, keyid, use);

    const auto found = m_store.find_keys_for_device(device.deviceid, sel.numbers);
    json& keyinfo = answer["keyinfo"];
    json& errorkeylist = answer["errorkeylist"];
    int errorcode = 0;
    for (std::size_t i = 0; i < found.size(); ++i) {
      if (const int problem = getlist_problem(found[i], scope, now_ms); problem != 0) {
        errorcode = problem;
        errorkeylist.push_back(std::move(sel.texts[i]));
        continue;
      }
      keyinfo.push_back(keyinfo_item(found[i]->key, key_of(found[i]->key)));
    }
    // By alias: the valid, unexpired key in scope with the largest number carrying it
    // that is bound to this device; else 1510 when such keys exist but have expired, 1503
    // when only other devices hold one, 1501 when no valid key in scope carries it.
    for (auto& alias : sel.aliases) {
      const auto key = m_store.find_latest_key_by_alias(alias, device.deviceid, scope, now_ms, IncludeExpired::no);
      if (key) {
        keyinfo.push_back(keyinfo_item(*key, key_of(*key)));
        continue;
      }
      errorcode = m_store.find_latest_key_by_alias(alias, device.deviceid, scope, now_ms, IncludeExpired::yes) ? 1510
                  : m_store.find_latest_key_by_alias(alias, std::nullopt, scope, now_ms, IncludeExpired::yes)
                    ? 1503
                    : 1501;
      errorkeylist.push_back(std::move(alias));
    }
    answer["errorcode"] = errorcode;
    // No binding: the reference says getlist does not record who fetched the keys.
    record_call(m_store, k_api, keyid, device.deviceid, "getlist", std::nullopt, "", now_ms);
  } catch (const ApiError& e) {
    // This device is skipped; the others go on (reference 5.6).
    answer["errorcode"] = e.errorcode;
    answer["keyinfo"] = json::array();
    answer["errorkeylist"] = json::array();
  }
  return answer;
}

}  // namespace clm::server
