// What the device-bound tools (clm-cert, clm-key) share: option checks, the device a
// command acts for, and the state and ID it calls the server with.
#pragma once

#include "common_options.hpp"

#include <clm/device_api.hpp>
#include <clm/error.hpp>
#include <clm/state.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace clm {

// Throw Error(bad_parameter) "option: problem" when there is a problem.
void check_option(const std::optional<std::string>& problem, const std::string& option);

// Return --device (else devicename from stdin), checked; exit 4 when neither is given.
std::string device_name(const std::optional<std::string>& flag, Inputs& in);

// Return name (else fallback) after check_file_name.
std::string file_name_or(const std::optional<std::string>& name, const std::string& fallback,
                         const std::string& option);

// Return --ext KEY=VALUE pairs as ext_data (key 1..128 bytes, value up to 256).
std::map<std::string, std::string> parse_ext_data(const std::vector<std::string>& pairs);

// Check a local certificate or key file against its sidecars before it is used
// (check_untampered, with the state dir's HMAC key for a .hmac sidecar): exit 15 when it
// was changed, before anything is sent or overwritten.
void check_local_file(const ConnectionFlags& flags, const std::filesystem::path& file);

// Sleep a random time of up to seconds (0: none), so a fleet's cron runs spread out.
void sleep_jitter(long seconds);

// Files written from a successful answer, or the reason they could not be: the server
// has changed something by then (a new key number, say), so the tool prints what it
// did before failing with the reason.
struct AnswerFiles {
  std::vector<std::string> written;
  std::optional<Error> failure;

  // Throw the failure, if there was one (after the output was printed).
  void rethrow() const;
};

// Run write when r succeeded, catching its Error into the result.
AnswerFiles write_answer_files(const ApiResult& r, const std::function<std::vector<std::string>()>& write);

// The state, ID and device a network subcommand works with, under the state lock.
struct DeviceSession {
  Settings settings;
  StateDir state;
  DeviceCaller caller;

  // Lock the state dir, load the ID and the stored deviceid/devicekey of devicename
  // (else deviceid from deviceid_flag or stdin).
  DeviceSession(const ConnectionFlags& flags, Inputs& in, const std::string& devicename,
                const std::optional<std::string>& deviceid_flag);

  // Return the caller with a deviceid, which every call but create needs; exit 4 without one.
  const DeviceCaller& registered() const;

  // Keep the deviceid/devicekey of a first issuance for later calls.
  void remember_device(const ApiResult& r);
};

}  // namespace clm
