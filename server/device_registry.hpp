// The devices credentials are issued to: the request fields naming a device, its
// registration at first issuance, and the checks every later call goes through
// (errorcodes 1701, 1702, 1703, 1706). Shared by /SWCLM/CredInfo, /SWCLM/KeyInfo and
// /SWCLM/DeviceInfo.
//
// A device belongs to the ID that registered it. For every other ID it does not exist:
// its requests are answered 1706, as for a name never registered, whatever else they
// say. A device registered before owners were recorded is unclaimed until the first ID
// acting on it (not merely listing it) becomes its owner.
#pragma once

#include "api.hpp"
#include "store.hpp"

#include <clm/crypto.hpp>

#include <optional>
#include <string>

namespace clm::server {

// Who a request says its device is.
struct DeviceClaim {
  std::optional<std::string> deviceid;
  std::string devicename;
  std::optional<std::string> devicekey;  // our extension: proves the caller registered the device
};

// What a device reports about itself when a credential is issued; absent fields are kept.
struct DeviceInfo {
  std::optional<std::string> ipaddress;
  std::optional<std::string> macaddress;  // normalized aa:bb:cc:dd:ee:ff
  std::optional<std::string> ext_data;    // JSON object text, string values only
};

enum class DeviceIdRule { optional, required };

// Read deviceid (1102 when rule requires it), devicename (1102) and devicekey; 1103 for
// non-strings, 1104 for values out of range.
DeviceClaim read_device_claim(const json& req, DeviceIdRule rule);

// Read ipaddress, macaddress and ext_data (an object of strings: 1103 for other types,
// 1104 for names over 128 or values over 256 bytes, a bad address or MAC address).
DeviceInfo read_device_info(const json& req);

// How a request uses a device, which decides whether its ID may.
enum class DeviceUse {
  act,         // issue, fetch, update, delete, check: its owner; an unclaimed device becomes the caller's
  list,        // getlist, getkeylist without the fleet grant: its owner only (unclaimed devices are not listed)
  fleet_list,  // getlist, getkeylist with the fleet grant: any device, read only, claiming none
};

// Return the device named devicename if ID keyid may use it as use says; throw 1706
// when there is none or it belongs to another ID (or is unclaimed and use is list).
// Claim nothing.
DeviceRecord find_usable_device(Store& store, const std::string& devicename, std::int64_t keyid, DeviceUse use);

// What a batch read (getlist, getkeylist) by one ID may see: its own devices and keys,
// or, with the fleet read grant, every device and key.
struct ListAccess {
  DeviceUse use;
  KeyScope scope;
};

// Return the errorcode that refuses every request for device now: 1706 when it is
// deleted (as for a name never registered), 1704 when disabled, 1705 when its
// registration has expired (expires_ms <= now_ms); 0 when it may be used.
int device_state_problem(const DeviceRecord& device, std::int64_t now_ms);

// Return what device_state_problem's errorcode says of the device: "deleted",
// "disabled" or "expired".
std::string device_state_text(int problem);

// Return what a batch read by ID keyid may see, by its fleet grant.
ListAccess list_access(Store& store, std::int64_t keyid);

// A device a request may act for; devicekey is set only when it was registered just now.
struct DeviceAccess {
  DeviceRecord device;
  std::optional<std::string> devicekey;
};

class DeviceRegistry {
public:
  DeviceRegistry(Store& store, const SecretBox& box, Clock clock);

  // Resolve the device of an issuing call (mode create) by ID keyid. Without a deviceid
  // the name must be new server-wide (1702, whoever owns it) and is registered to keyid,
  // with a fresh devicekey; with one, as verify for DeviceUse::act. Save the info
  // reported. Call inside a store transaction.
  DeviceAccess resolve_for_issue(const DeviceClaim& claim, const DeviceInfo& info, std::int64_t now_ms,
                                 std::int64_t keyid);

  // Return the registered device of claim that ID keyid may use so: 1706 unknown name or
  // another ID's device (find_usable_device), 1701 another deviceid, 1703 a devicekey that
  // does not match (checked only when one is given), then device_state_problem. For
  // DeviceUse::act an unclaimed device becomes keyid's once these pass. Call inside a
  // store transaction, so that a refused request claims nothing.
  DeviceRecord verify(const DeviceClaim& claim, std::int64_t keyid, DeviceUse use);

private:
  Store& m_store;
  const SecretBox& m_box;
  Clock m_clock;
};

}  // namespace clm::server
