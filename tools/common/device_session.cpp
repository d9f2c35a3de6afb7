#include "device_session.hpp"

#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/output_files.hpp>
#include <clm/sidecar_verify.hpp>
#include <clm/validate.hpp>

#include <chrono>
#include <cstdint>
#include <thread>

namespace clm {

void check_option(const std::optional<std::string>& problem, const std::string& option)
{
  if (problem) {
    throw Error(ExitCode::bad_parameter, option + ": " + *problem);
  }
}

std::string device_name(const std::optional<std::string>& flag, Inputs& in)
{
  std::string name = in.require(flag, "devicename", "--device");
  check_option(field_problem(Field::devicename, Side::tool, name), "--device");
  return name;
}

std::string file_name_or(const std::optional<std::string>& name, const std::string& fallback,
                         const std::string& option)
{
  std::string n = name.value_or(fallback);
  check_file_name(n, option);
  return n;
}

std::map<std::string, std::string> parse_ext_data(const std::vector<std::string>& pairs)
{
  std::map<std::string, std::string> ext;
  for (const auto& kv : pairs) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0 || eq > 128 || kv.size() - eq - 1 > 256) {
      throw Error(ExitCode::bad_parameter, "--ext: '" + kv + "' is not KEY=VALUE (key 1..128 bytes, value up to 256)");
    }
    ext[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return ext;
}

void check_local_file(const ConnectionFlags& flags, const std::filesystem::path& file)
{
  check_untampered(file, StateDir(resolve_state_dir(flags, process_env())).hmac_key_file());
}

void sleep_jitter(long seconds)
{
  if (seconds <= 0) {
    return;
  }
  std::uint32_t r = 0;
  for (const char c : random_bytes(4)) {
    r = (r << 8) | static_cast<unsigned char>(c);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(r % (static_cast<std::uint64_t>(seconds) * 1000)));
}

void AnswerFiles::rethrow() const
{
  if (failure) {
    throw *failure;
  }
}

AnswerFiles write_answer_files(const ApiResult& r, const std::function<std::vector<std::string>()>& write)
{
  AnswerFiles files;
  if (r.ok()) {
    try {
      files.written = write();
    } catch (const Error& e) {
      files.failure = e;
    }
  }
  return files;
}

DeviceSession::DeviceSession(const ConnectionFlags& flags, Inputs& in, const std::string& devicename,
                             const std::optional<std::string>& deviceid_flag)
  : settings(tool_settings(flags)), state(settings.state_dir)
{
  state.lock();
  caller.id = state.require_id();
  caller.devicename = devicename;
  caller.device = state.load_device(devicename);
  if (!caller.device) {
    if (auto id = in.extra(deviceid_flag, "deviceid")) {
      caller.device = DeviceCredential{*id, ""};
    }
  }
}

const DeviceCaller& DeviceSession::registered() const
{
  if (!caller.device) {
    throw Error(ExitCode::missing_parameter,
                "no deviceid known for device " + caller.devicename + " in " + state.path().string()
                  + ": issue a certificate or key for it first, or give --deviceid");
  }
  return caller;
}

void DeviceSession::remember_device(const ApiResult& r)
{
  const std::string deviceid = answer_name(r.body, "deviceid", Field::deviceid, AnswerUse::value).value_or("");
  const std::string devicekey = answer_name(r.body, "devicekey", Field::password, AnswerUse::value).value_or("");
  if (!deviceid.empty() && (!devicekey.empty() || !caller.device)) {
    state.save_device(caller.devicename, DeviceCredential{deviceid, devicekey});
  }
}

}  // namespace clm
