// The batch key pull of clm-keyget (the command reference's SWCLMKEYGET, chapter 5):
// device names in, key files out, a device that fails logged and skipped.
#pragma once

#include <clm/config.hpp>
#include <clm/http_client.hpp>
#include <clm/json_io.hpp>
#include <clm/state.hpp>
#include <clm/text.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clm {

// The exit codes of SWCLMKEYGET (command reference table 6.3), not those of table 6.1.
enum class KeyGetExit : int {
  ok = 0,
  bad_argument = 1,
  device_lookup = 5,  // デバイス情報の取得でエラー: devgetkeylist failed for a device
  key_fetch = 6,      // 共通鍵の取得でエラー: cmkeybatget (getlist) failed for a device or key
};

// Return the device names of a list file: one per line; surrounding blanks and empty
// lines are ignored. Error(file_read) when it cannot be read.
std::vector<std::string> read_device_list(const std::filesystem::path& path);

// Return whether dir is the root or a system directory (/bin, /etc, /usr, ...), which
// the command reference calls a reserved word.
bool is_reserved_dir(const std::filesystem::path& dir);


struct KeyGetOptions {
  std::filesystem::path out_dir;
  bool binary = false;        // -b: also NAME.bin (raw) and NAME.bin.hmac
  bool sha256 = false;        // --sha256: also NAME.sha256 for each hex file
  std::string hmac_key;       // with binary: the per-host HMAC key
};

// One device's outcome: files written, or why not.
struct DeviceOutcome {
  std::string devicename;
  std::string deviceid;
  int errorcode = 0;                  // the server's, 0 when none
  std::vector<std::string> files;     // final paths
  std::vector<std::string> errorkeys; // key numbers the server could not return
  std::vector<std::string> messages;  // log lines (the reference's messages of 6.4)
  std::optional<KeyGetExit> failure;  // set when the device counts as failed
  json to_json() const;
};

// Pull the keys of devicenames (one batch) through call: DeviceInfo getkeylist, then
// KeyInfo getlist for the devices that have keys; write every key of the batch durably in
// one go. Transport and server failures, and answers that do not make sense, become
// per-device outcomes; file errors throw.
std::vector<DeviceOutcome> pull_batch(const ApiCaller& call, const IdCredential& id,
                                      const std::vector<std::string>& devicenames, const KeyGetOptions& opts);

// Pull the keys a getlist deviceinfo array names (no getkeylist step) through call.
std::vector<DeviceOutcome> pull_deviceinfo(const ApiCaller& call, const IdCredential& id, const json& deviceinfo,
                                           const KeyGetOptions& opts);

}  // namespace clm
