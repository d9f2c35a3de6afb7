// A whole run of clm-keyget (the command reference's SWCLMKEYGET): its arguments checked
// in the reference's order, the error log, and the scheduler that splits the devices
// into batches, pulls them on several jobs and reports the outcomes in input order.
#pragma once

#include <clm/error.hpp>
#include <clm/http_client.hpp>
#include <clm/json_io.hpp>
#include <clm/keyget.hpp>
#include <clm/state.hpp>
#include <clm/util/fd.hpp>

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace clm {

// A failure before any device is processed, with one of the reference's messages of
// 6.4 ("Error: outdir not found"), said as it is; exit 1 of table 6.3.
class KeyGetArgumentError : public Error {
public:
  explicit KeyGetArgumentError(const std::string& message) : Error(ExitCode::bad_parameter, message) {}
};

// The paths a run is given (-i, -o, -e), each absent when not given.
struct KeyGetPaths {
  std::optional<std::string> infile;
  std::optional<std::string> outdir;
  std::optional<std::string> errorfile;
};

enum class StdinTerminal { no, yes };

// Throw KeyGetArgumentError with the reference's message for the first thing wrong,
// checked in the reference's order: no -i while stdin is a terminal, no -o, no -e, an
// -i that is not a file, an -o that is not a directory, an -o that is reserved.
void check_keyget_paths(const KeyGetPaths& paths, StdinTerminal stdin_terminal);

// The devices of a run: names (each looked up with DeviceInfo getkeylist first) or,
// when deviceinfo is set, a getlist deviceinfo array pulled as it is.
struct KeyGetInput {
  std::vector<std::string> names;
  std::optional<json> deviceinfo;
};

// Return the devices of a run: the names in infile when given, else the getlist
// deviceinfo array (bare or as an object's "deviceinfo") in stdin_text.
// Error(file_read) when infile cannot be read; KeyGetArgumentError when stdin_text
// holds no such array.
KeyGetInput read_keyget_input(const std::optional<std::string>& infile, std::string_view stdin_text);

// The error log (-e): each line written whole to the file and, after prefix, on echo.
class KeyGetLog {
public:
  // Open (truncate) path, 0600 when new; a symlink at path is refused, never followed
  // (the log may sit in a directory others can write to, and its target would be
  // overwritten): KeyGetArgumentError "Error: errorfile cannot be written: PATH".
  KeyGetLog(const std::string& path, std::ostream& echo, std::string prefix);

  // Write text as one line on echo and in the log; a log that cannot be written is
  // warned about on echo (the line is there already), not thrown. Safe from any thread.
  void line(const std::string& text);

private:
  std::mutex m_mutex;
  std::string m_path;
  std::ostream& m_echo;
  std::string m_prefix;
  util::UniqueFd m_fd;
};

// How the devices are spread: batch_size devices per request, jobs requests at a time.
struct KeyGetSchedule {
  std::size_t jobs = 4;
  std::size_t batch_size = 1000;
};

// Where a run reports. The callbacks are called one at a time (never concurrently),
// each batch's log lines before its outcomes.
struct KeyGetReport {
  std::function<void(const std::string&)> log;  // "DEVICE: message", or "Error: ..." when a file error stops the run
  std::function<void(const std::vector<DeviceOutcome>&)> outcomes;  // one batch, batches in input order
  std::function<void(std::size_t done, std::size_t total)> progress;  // devices reported so far; may be empty
};

// Pull every device of input through call, batch by batch on schedule.jobs jobs, and
// report each batch's messages and outcomes in the order of input. A device that fails
// is logged and skipped. Return the exit code of table 6.3: key_fetch when any device
// failed getting its keys, else device_lookup when any failed its lookup, else ok. A
// file that cannot be written stops the run (the next batch would fail too): the
// batches already pulled are reported, the error is logged, and key_fetch returned.
KeyGetExit run_keyget(const ApiCaller& call, const IdCredential& id, const KeyGetInput& input,
                      const KeyGetOptions& opts, const KeyGetSchedule& schedule, const KeyGetReport& report);

}  // namespace clm
