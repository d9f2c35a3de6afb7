#include <clm/api_error.hpp>
#include <clm/atomic_file.hpp>
#include <clm/batch_files.hpp>
#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/keyget.hpp>
#include <clm/keylist_api.hpp>
#include <clm/output_files.hpp>
#include <clm/sidecar.hpp>
#include <clm/text.hpp>
#include <clm/validate.hpp>
#include <clm/util/hex.hpp>

#include <algorithm>
#include <map>
#include <sstream>

namespace clm {

namespace fs = std::filesystem;

namespace {

constexpr const char* k_lookup_error = "Error: devgetkeylist error";
constexpr const char* k_fetch_error = "Error: cmkeybatget error";
constexpr const char* k_no_key = "Warn : no commonkey";

// "Error: ... error (200): errorcode 1706 (device not found)"
std::string server_message(const char* prefix, long http_status, int errorcode)
{
  std::string m = std::string(prefix) + " (" + std::to_string(static_cast<int>(ExitCode::http_error)) + "): HTTP "
                  + std::to_string(http_status) + ", errorcode " + std::to_string(errorcode);
  if (const auto info = find_api_error(errorcode)) {
    m += " (" + std::string(info->text) + ")";
  }
  return m;
}

// "Error: ... error (102): 127.0.0.1:8443: connection refused: ..."
std::string transport_message(const char* prefix, const Error& e)
{
  return std::string(prefix) + " (" + std::to_string(static_cast<int>(e.code())) + "): " + e.what();
}

std::string text_of(const json& v)
{
  if (v.is_string()) {
    return v.get<std::string>();
  }
  if (v.is_number_integer()) {
    return std::to_string(v.get<long long>());
  }
  return {};
}

// The command's line of a result block for a server's errorcode: its meaning, or the
// code or HTTP status when the table does not know it.
std::string errorcode_message(long http_status, int errorcode)
{
  if (const auto info = find_api_error(errorcode)) {
    return "Error: " + std::string(info->text);
  }
  if (errorcode > 0) {
    return "Error: errorcode " + std::to_string(errorcode);
  }
  return "Error: HTTP " + std::to_string(http_status);
}

// Whether errorcode says the server's database could not be read (1601-1604).
bool database_error(int errorcode)
{
  return errorcode >= 1601 && errorcode <= 1604;
}

// Return the table 6.3 code of a call of step that failed as a whole.
KeyGetExit call_failure_exit(KeyGetStep step, int errorcode)
{
  if (database_error(errorcode)) {
    return KeyGetExit::trail_reference;
  }
  return step == KeyGetStep::devgetkeylist ? KeyGetExit::device_lookup : KeyGetExit::key_fetch;
}

// Return the record of a call that got no answer.
KeyGetCall unanswered_call(KeyGetStep step, std::vector<std::string> devicenames, const Error& e)
{
  KeyGetCall c;
  c.step = step;
  c.devicenames = std::move(devicenames);
  c.block.message = log_safe(std::string("Error: ") + e.what());
  c.block.retcode = static_cast<int>(e.code());
  c.failure = call_failure_exit(step, 0);
  return c;
}

// Return the record of an answered call; wrong says what made its answer unusable
// (empty when nothing did), devices is its deviceinfo array (nullptr when none).
KeyGetCall answered_call(KeyGetStep step, std::vector<std::string> devicenames, const ApiResult& r,
                         const json* devices, const std::string& wrong)
{
  // A usable answer may still carry an errorcode (the last of its devices' errors, as
  // the WebAPI reference says): its block shows it with retcode 200, as the original
  // command would, and says nothing more; each device's failure has a block of its own.
  const bool usable = r.http_status == 200 && devices;
  std::string message;
  if (!usable) {
    message = r.ok() ? "Error: " + (wrong.empty() ? std::string("server answer: deviceinfo is missing") : wrong)
                     : errorcode_message(r.http_status, r.errorcode());
  }
  KeyGetCall c;
  c.step = step;
  c.devicenames = std::move(devicenames);
  c.block = swclm_block_of(r, r.ok() && usable ? 0 : static_cast<int>(ExitCode::http_error), log_safe(message));
  c.block.server_message = log_safe(c.block.server_message);
  if (!usable) {
    c.failure = call_failure_exit(step, r.errorcode());
  }
  return c;
}

// Record a failure of out's entry in a usable answer of step (HTTP status http_status):
// the block as the reference prints it (retcode 200, the exit code of the clm tools for
// a server's refusal or an unusable answer) and its table 6.3 code.
void add_problem(DeviceOutcome& out, KeyGetStep step, long http_status, const std::string& message,
                 KeyGetExit exit, int errorcode = 0, const std::string& errormessage = {})
{
  KeyGetProblem p;
  p.step = step;
  p.block.http_status = http_status;
  p.block.message = log_safe(message);
  p.block.server_message = log_safe(errormessage);
  p.block.errorcode = errorcode;
  p.block.retcode = static_cast<int>(ExitCode::http_error);
  p.exit = exit;
  out.problems.push_back(std::move(p));
}

// Return the deviceinfo array of a 200 answer, or nullptr with the failure message
// (prefix, HTTP status, errorcode, and which field was wrong) in message and what was
// wrong with the answer in wrong.
const json* devices_of(const ApiResult& r, const char* prefix, std::string& message, std::string& wrong)
{
  const json* devices = nullptr;
  try {
    devices = answer_array(r.body, "deviceinfo");
  } catch (const Error& e) {
    wrong = e.what();
  }
  if (r.http_status != 200 || !devices) {
    message = server_message(prefix, r.http_status, r.errorcode()) + (wrong.empty() ? "" : "; " + wrong);
    return nullptr;
  }
  return devices;
}

// Whether a device name can be part of a file name in the output directory.
bool safe_file_part(const std::string& name)
{
  return !answer_value_problem(Field::devicename, name, AnswerUse::file_name_part);
}

// Call getlist for deviceinfo and turn the answer into outcomes (keyed by devicename
// into by_name, which holds the outcomes to fill); queue the key files into batch.
void fetch_keys(const ApiCaller& call, const IdCredential& id, const json& deviceinfo, const KeyGetOptions& opts,
                std::map<std::string, DeviceOutcome*>& by_name, BatchWriter& batch,
                std::map<std::string, std::vector<std::string>>& pending_files, std::vector<KeyGetCall>* calls)
{
  constexpr KeyGetStep step = KeyGetStep::cmkeybatget;
  std::vector<std::string> asked;
  for (const json& d : deviceinfo) {
    asked.push_back(string_field(d, "devicename"));
  }
  ApiResult r;
  try {
    r = key_getlist(call, id, deviceinfo);
  } catch (const Error& e) {
    if (calls) {
      calls->push_back(unanswered_call(step, std::move(asked), e));
    }
    for (auto& [name, out] : by_name) {
      out->messages.push_back(transport_message(k_fetch_error, e));
      out->failure = KeyGetExit::key_fetch;
    }
    return;
  }
  std::string failure;
  std::string wrong;
  const json* devices = devices_of(r, k_fetch_error, failure, wrong);
  if (calls) {
    calls->push_back(answered_call(step, std::move(asked), r, devices, wrong));
  }
  if (!devices) {
    for (auto& [name, out] : by_name) {
      out->errorcode = r.errorcode();
      out->messages.push_back(failure);
      out->failure = KeyGetExit::key_fetch;
    }
    return;
  }
  // The answer is read field by field, type checked: a server that sends nonsense gets
  // its devices marked failed, it cannot stop the run or name a file outside the output.
  // A device asked for is answered once; one the answer leaves out fails.
  std::map<std::string, DeviceOutcome*> unanswered = by_name;
  for (const json& d : *devices) {
    const std::string name = string_field(d, "devicename");
    const auto it = unanswered.find(name);
    if (it == unanswered.end()) {
      continue;
    }
    DeviceOutcome& out = *it->second;
    unanswered.erase(it);
    const json* keyinfo = nullptr;
    const json* errorkeylist = nullptr;
    try {
      out.errorcode = answer_int(d, "errorcode").value_or(0);
      keyinfo = answer_array(d, "keyinfo");
      errorkeylist = answer_array(d, "errorkeylist");
    } catch (const Error& e) {
      out.messages.push_back(std::string(k_fetch_error) + ": " + e.what());
      out.failure = KeyGetExit::key_fetch;
      add_problem(out, step, r.http_status, std::string("Error: ") + e.what(), KeyGetExit::key_fetch);
      continue;
    }
    if (errorkeylist) {
      for (const json& k : *errorkeylist) {
        out.errorkeys.push_back(text_of(k));
      }
    }
    if (out.errorcode != 0) {
      std::string keys;
      if (!out.errorkeys.empty()) {
        keys = "; keys not returned:";
        for (const auto& k : out.errorkeys) {
          keys += " " + log_safe(k);
        }
      }
      out.messages.push_back(server_message(k_fetch_error, r.http_status, out.errorcode) + keys);
      out.failure = KeyGetExit::key_fetch;
      add_problem(out, step, r.http_status, errorcode_message(r.http_status, out.errorcode) + keys,
                  reference_exit(step, out.errorcode), out.errorcode, string_field(d, "errormessage"));
    }
    if (!safe_file_part(name)) {
      const std::string m = "Error: device name " + log_safe(name) + " cannot be part of a file name; skipped";
      out.messages.push_back(m);
      out.failure = KeyGetExit::key_fetch;
      add_problem(out, step, r.http_status, m, KeyGetExit::key_fetch);
      continue;
    }
    if (!keyinfo) {
      continue;
    }
    for (const json& k : *keyinfo) {
      const std::string keynumber = k.is_object() ? text_of(k.value("keynumber", json())) : std::string();
      std::string key;
      try {
        if (answer_value_problem(Field::keynumber, keynumber, AnswerUse::file_name_part)) {
          throw Error(ExitCode::bad_file_format, "keynumber is not 1 to 10 digits");
        }
        key = base64_decode(answer_string(k, "commonkey").value_or(""));
        if (key.empty()) {
          throw Error(ExitCode::bad_file_format, "no commonkey");
        }
      } catch (const Error& e) {
        const std::string why = "the server's answer for key '" + log_safe(keynumber) + "' is unusable: " + e.what();
        out.messages.push_back(std::string(k_fetch_error) + ": " + why);
        out.failure = KeyGetExit::key_fetch;
        add_problem(out, step, r.http_status, "Error: " + why, KeyGetExit::key_fetch);
        continue;
      }
      const std::string base = name + "_" + keynumber;
      auto& files = pending_files[name];
      const std::string hex = util::hex_encode(key) + "\n";
      batch.add(base, hex, k_secret_mode);
      files.push_back(base);
      if (opts.sha256) {
        const std::string sidecar = sidecar_path(base, DigestKind::sha256);
        batch.add(sidecar, sidecar_line(hex, base), k_secret_mode);
        files.push_back(sidecar);
      }
      if (opts.binary) {
        const std::string bin = base + ".bin";
        const std::string sidecar = sidecar_path(bin, DigestKind::hmac_sha256);
        batch.add(bin, key, k_secret_mode);
        batch.add(sidecar, hmac_sidecar_line(key, opts.hmac_key, bin), k_secret_mode);
        files.push_back(bin);
        files.push_back(sidecar);
      }
    }
  }
  for (auto& [name, out] : unanswered) {
    out->messages.push_back(std::string(k_fetch_error) + ": the server did not answer for this device");
    out->failure = KeyGetExit::key_fetch;
    add_problem(*out, step, r.http_status, "Error: the server did not answer for this device", KeyGetExit::key_fetch);
  }
}

// Commit the batch and put the final paths into each outcome.
void commit_files(BatchWriter& batch, const KeyGetOptions& opts, std::vector<DeviceOutcome>& outcomes,
                  const std::map<std::string, std::vector<std::string>>& pending_files)
{
  batch.commit();
  for (auto& out : outcomes) {
    const auto it = pending_files.find(out.devicename);
    if (it == pending_files.end()) {
      continue;
    }
    for (const auto& f : it->second) {
      out.files.push_back((opts.out_dir / f).string());
    }
  }
}

}  // namespace

std::vector<std::string> read_device_list(const fs::path& path)
{
  std::istringstream in(read_file(path));
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (!line.empty()) {
      names.push_back(line);
    }
  }
  return names;
}

bool is_reserved_dir(const fs::path& dir)
{
  std::error_code ec;
  fs::path p = fs::weakly_canonical(dir, ec);
  if (ec) {
    p = dir.lexically_normal();
  }
  std::string s = p.string();
  while (s.size() > 1 && s.back() == '/') {
    s.pop_back();
  }
  static const char* const reserved[] = {"/",      "/bin",  "/boot", "/dev", "/etc",  "/lib", "/lib32", "/lib64",
                                         "/proc",  "/run",  "/sbin", "/sys", "/usr",  "/var", "/usr/bin",
                                         "/usr/lib", "/usr/sbin", "/usr/local", "/var/lib"};
  return std::find(std::begin(reserved), std::end(reserved), s) != std::end(reserved);
}

const char* step_name(KeyGetStep step)
{
  return step == KeyGetStep::devgetkeylist ? "devgetkeylist" : "cmkeybatget";
}

KeyGetExit reference_exit(KeyGetStep step, int errorcode)
{
  if (database_error(errorcode)) {
    return KeyGetExit::trail_reference;
  }
  return step == KeyGetStep::devgetkeylist ? KeyGetExit::device_reference : KeyGetExit::key_reference;
}

json DeviceOutcome::to_json() const
{
  json j{{"devicename", devicename}, {"errorcode", errorcode}, {"files", files}};
  if (!deviceid.empty()) {
    j["deviceid"] = deviceid;
  }
  if (!errorkeys.empty()) {
    j["errorkeylist"] = errorkeys;
  }
  j["ok"] = !failure.has_value();
  return j;
}

std::vector<DeviceOutcome> pull_batch(const ApiCaller& call, const IdCredential& id,
                                      const std::vector<std::string>& devicenames, const KeyGetOptions& opts,
                                      std::vector<KeyGetCall>* calls)
{
  constexpr KeyGetStep step = KeyGetStep::devgetkeylist;
  std::vector<DeviceOutcome> outcomes(devicenames.size());
  for (std::size_t i = 0; i < devicenames.size(); ++i) {
    outcomes[i].devicename = devicenames[i];
  }
  ApiResult r;
  try {
    r = device_getkeylist(call, id, devicenames);
  } catch (const Error& e) {
    if (calls) {
      calls->push_back(unanswered_call(step, devicenames, e));
    }
    for (auto& out : outcomes) {
      out.messages.push_back(transport_message(k_lookup_error, e));
      out.failure = KeyGetExit::device_lookup;
    }
    return outcomes;
  }
  std::string failure;
  std::string wrong;
  const json* devices = devices_of(r, k_lookup_error, failure, wrong);
  if (calls) {
    calls->push_back(answered_call(step, devicenames, r, devices, wrong));
  }
  if (!devices) {
    for (auto& out : outcomes) {
      out.errorcode = r.errorcode();
      out.messages.push_back(failure);
      out.failure = KeyGetExit::device_lookup;
    }
    return outcomes;
  }
  std::map<std::string, const json*> answers;
  for (const json& d : *devices) {
    answers.emplace(string_field(d, "devicename"), &d);
  }
  json deviceinfo = json::array();
  std::map<std::string, DeviceOutcome*> by_name;
  for (auto& out : outcomes) {
    const auto it = answers.find(out.devicename);
    if (it == answers.end()) {
      out.messages.push_back(std::string(k_lookup_error) + ": the server did not answer for this device");
      out.failure = KeyGetExit::device_lookup;
      add_problem(out, step, r.http_status, "Error: the server did not answer for this device",
                  KeyGetExit::device_lookup);
      continue;
    }
    const json& d = *it->second;
    const json* keynumbers = nullptr;
    try {
      out.errorcode = answer_int(d, "errorcode").value_or(0);
      out.deviceid = answer_name(d, "deviceid", Field::deviceid, AnswerUse::value).value_or("");
      keynumbers = answer_array(d, "keynumber");
    } catch (const Error& e) {
      out.messages.push_back(std::string(k_lookup_error) + ": " + e.what());
      out.failure = KeyGetExit::device_lookup;
      add_problem(out, step, r.http_status, std::string("Error: ") + e.what(), KeyGetExit::device_lookup);
      continue;
    }
    if (out.errorcode != 0) {
      out.messages.push_back(server_message(k_lookup_error, r.http_status, out.errorcode));
      out.failure = KeyGetExit::device_lookup;
      add_problem(out, step, r.http_status, errorcode_message(r.http_status, out.errorcode),
                  reference_exit(step, out.errorcode), out.errorcode, string_field(d, "errormessage"));
      continue;
    }
    if (!keynumbers || keynumbers->empty()) {
      out.messages.push_back(k_no_key);
      out.no_commonkey = true;
      continue;
    }
    if (by_name.count(out.devicename)) {
      continue;  // listed twice: fetched once
    }
    deviceinfo.push_back(json{{"deviceid", out.deviceid}, {"devicename", out.devicename}, {"keynumber", *keynumbers}});
    by_name[out.devicename] = &out;
  }
  BatchWriter batch(opts.out_dir);
  std::map<std::string, std::vector<std::string>> pending_files;
  if (!deviceinfo.empty()) {
    fetch_keys(call, id, deviceinfo, opts, by_name, batch, pending_files, calls);
  }
  commit_files(batch, opts, outcomes, pending_files);
  return outcomes;
}

std::vector<DeviceOutcome> pull_deviceinfo(const ApiCaller& call, const IdCredential& id, const json& deviceinfo,
                                           const KeyGetOptions& opts, std::vector<KeyGetCall>* calls)
{
  std::vector<DeviceOutcome> outcomes;
  for (const json& d : deviceinfo) {
    DeviceOutcome out;
    out.devicename = string_field(d, "devicename");
    out.deviceid = string_field(d, "deviceid");
    outcomes.push_back(std::move(out));
  }
  std::map<std::string, DeviceOutcome*> by_name;
  for (auto& out : outcomes) {
    by_name[out.devicename] = &out;
  }
  BatchWriter batch(opts.out_dir);
  std::map<std::string, std::vector<std::string>> pending_files;
  fetch_keys(call, id, deviceinfo, opts, by_name, batch, pending_files, calls);
  commit_files(batch, opts, outcomes, pending_files);
  return outcomes;
}

}  // namespace clm
