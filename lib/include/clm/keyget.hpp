// The batch key pull of clm-keyget (the command reference's SWCLMKEYGET, chapter 5):
// device names in, key files out, a device that fails logged and skipped.
#pragma once

#include <clm/config.hpp>
#include <clm/http_client.hpp>
#include <clm/json_io.hpp>
#include <clm/state.hpp>
#include <clm/swclm_result.hpp>
#include <clm/text.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clm {

// The exit codes of SWCLMKEYGET (command reference table 6.3), not those of table 6.1.
// Never renumber. clm-keyget reports only 0, 1, 5 and 6 (DeviceOutcome::failure);
// SWCLMKEYGET tells the server's refusals (2, 3, 4) from failures to get an answer
// (5, 6) through KeyGetCall and KeyGetProblem.
enum class KeyGetExit : int {
  ok = 0,
  bad_argument = 1,
  device_reference = 2,  // デバイス情報の参照でエラー: getkeylist answered, a device's entry an error
  key_reference = 3,     // 共通鍵情報の参照でエラー: getlist answered, a device's keys an error
  trail_reference = 4,   // 証跡管理情報の参照でエラー: the server's database failed (1601-1604)
  device_lookup = 5,     // デバイス情報の取得でエラー: devgetkeylist failed for a device
  key_fetch = 6,         // 共通鍵の取得でエラー: cmkeybatget (getlist) failed for a device or key
};

// The two WebAPI calls of a batch pull, by the names the reference's messages give them.
enum class KeyGetStep {
  devgetkeylist,  // POST /SWCLM/DeviceInfo mode getkeylist: names -> deviceid, key numbers
  cmkeybatget,    // POST /SWCLM/KeyInfo mode getlist: the keys
};

// Return the reference's name of step: "devgetkeylist" or "cmkeybatget".
const char* step_name(KeyGetStep step);

// Return the code of table 6.3 for a server's errorcode at step: a database error
// (1601-1604) is 4, any other 2 (devgetkeylist) or 3 (cmkeybatget).
KeyGetExit reference_exit(KeyGetStep step, int errorcode);

// One WebAPI call a pull made, as the reference's result block tells it: HTTP status
// (0 without an answer), the server's errorcode and errormessage, and retcode, the
// exit code of table 6.1 the call's failure maps to (0 when its answer was usable and
// errorcode 0); the message says why when it failed.
struct KeyGetCall {
  KeyGetStep step = KeyGetStep::devgetkeylist;
  SwclmBlock block;
  std::vector<std::string> devicenames;  // the devices asked for, in order
  // Set when the call failed as a whole (no answer, an HTTP error, an answer without a
  // usable deviceinfo array): every device it asked for failed; the code of table 6.3.
  std::optional<KeyGetExit> failure;
};

// One failure of one device in a call's usable answer: the block of that device's entry
// (the call's HTTP status, the entry's errorcode, retcode 200, the message) and the code
// of table 6.3 it counts as.
struct KeyGetProblem {
  KeyGetStep step = KeyGetStep::devgetkeylist;
  SwclmBlock block;
  KeyGetExit exit = KeyGetExit::ok;
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
  std::optional<KeyGetExit> failure;  // set when the device counts as failed (5 or 6)
  std::vector<KeyGetProblem> problems;  // its failures within usable answers, in order
  bool no_commonkey = false;            // getkeylist listed no key for it (a warning)
  json to_json() const;
};

// Pull the keys of devicenames (one batch) through call: DeviceInfo getkeylist, then
// KeyInfo getlist for the devices that have keys; write every key of the batch durably in
// one go. Transport and server failures, and answers that do not make sense, become
// per-device outcomes; file errors throw. When calls is given, each call made is
// appended to it as it is answered (so it holds them also when a file error throws).
std::vector<DeviceOutcome> pull_batch(const ApiCaller& call, const IdCredential& id,
                                      const std::vector<std::string>& devicenames, const KeyGetOptions& opts,
                                      std::vector<KeyGetCall>* calls = nullptr);

// Pull the keys a getlist deviceinfo array names (no getkeylist step) through call;
// calls as for pull_batch.
std::vector<DeviceOutcome> pull_deviceinfo(const ApiCaller& call, const IdCredential& id, const json& deviceinfo,
                                           const KeyGetOptions& opts, std::vector<KeyGetCall>* calls = nullptr);

}  // namespace clm
