// A whole run of clm-keyget (the command reference's SWCLMKEYGET): its arguments checked
// in the reference's order, the error log, and the scheduler that splits the devices
// into batches, pulls them on several jobs and reports the outcomes in input order.
#pragma once

#include <clm/error.hpp>
#include <clm/http_client.hpp>
#include <clm/json_io.hpp>
#include <clm/keyget.hpp>
#include <clm/state.hpp>
#include <clm/swclm_result.hpp>
#include <clm/util/fd.hpp>

#include <cstddef>
#include <filesystem>
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

  // Write text (whole lines, each ending in '\n') to the log only: what echo already
  // shows in another form, or what the tool's own error report prints. A log that
  // cannot be written is warned about on echo. Safe from any thread.
  void record(const std::string& text);

private:
  std::mutex m_mutex;
  std::string m_path;
  std::ostream& m_echo;
  std::string m_prefix;
  util::UniqueFd m_fd;
};

// What a run needs from the state directory, with the options of its key files.
struct KeyGetSetup {
  IdCredential id;
  KeyGetOptions opts;
};

// Return the ID stored in state_dir and opts completed: out_dir made absolute and, with
// opts.binary, the per-host HMAC key (made on first use). Error(not_verified) when no
// ID is stored; the HMAC key's file errors as StateDir throws them.
KeyGetSetup setup_keyget(const std::filesystem::path& state_dir, KeyGetOptions opts);

// How the devices are spread: batch_size devices per request, jobs requests at a time.
struct KeyGetSchedule {
  std::size_t jobs = 4;
  std::size_t batch_size = 1000;
};

// A file error that stopped a run, as SWCLMKEYGET reports it: the block (the HTTP status
// of the failed batch's last call, the error as message, retcode its exit code of table
// 6.1) and the devices whose keys were being written (the batch's getlist call's).
struct KeyGetStop {
  SwclmBlock block;
  std::vector<std::string> devicenames;
};

// Where a run reports. The callbacks are called one at a time (never concurrently),
// each batch's calls before its log lines, its log lines before its outcomes.
struct KeyGetReport {
  std::function<void(const std::string&)> log;  // "DEVICE: message", or "Error: ..." when a file error stops the run
  std::function<void(const std::vector<DeviceOutcome>&)> outcomes;  // one batch, batches in input order
  std::function<void(std::size_t done, std::size_t total)> progress;  // devices reported so far; may be empty
  // The WebAPI calls of one batch, in the order made; may be empty. For the batch a
  // file error stopped, called before stopped.
  std::function<void(const std::vector<KeyGetCall>&)> calls;
  // A file error that stopped the run, instead of log's "Error: ..." line; may be empty.
  std::function<void(const KeyGetStop&)> stopped;
};

// Pull every device of input through call, batch by batch on schedule.jobs jobs, and
// report each batch's messages and outcomes in the order of input. A device that fails
// is logged and skipped. Return the exit code of table 6.3: key_fetch when any device
// failed getting its keys, else device_lookup when any failed its lookup, else ok. A
// file that cannot be written stops the run (the next batch would fail too): the
// batches already pulled are reported, the error is logged, and key_fetch returned.
KeyGetExit run_keyget(const ApiCaller& call, const IdCredential& id, const KeyGetInput& input,
                      const KeyGetOptions& opts, const KeyGetSchedule& schedule, const KeyGetReport& report);

// The output of SWCLMKEYGET (command reference 5 "実行結果", 6.4), made from what a run
// reports. For each WebAPI call its result block; for each failure (a call failed as a
// whole, one device's entry in an answer, a file error, a failure before the first
// call) the reference's error block and one message of 6.4 per device it failed for.
// Placement (chapter 3: the command's message goes to standard error on error):
// out gets every block without its message line; err gets the message line (between
// the block's first line and the rest, each part flushed, so a terminal shows the
// reference's order) and the 6.4 messages; the log gets each error block whole, each
// 6.4 message and each warning. Nothing of a success goes to the log.
class SwclmKeyGetOutput {
public:
  // Write to out and err, and through log (whose echo should be err, without prefix).
  SwclmKeyGetOutput(std::ostream& out, std::ostream& err, KeyGetLog& log);

  // Return the callbacks that print a run's reports.
  KeyGetReport report();

  // Report a failure before the first call (no host, no verified ID, bad settings) as
  // the devgetkeylist call that could not be made: block with status 000 and retcode
  // e's exit code, and "Error: devgetkeylist error (RETCODE)"; counts as 5.
  void not_started(const Error& e);

  // Return the exit code of table 6.3 for everything reported so far: the largest.
  KeyGetExit exit_code() const { return m_worst; }

private:
  void block(const SwclmBlock& b, bool error);
  void message(KeyGetStep step, int retcode, const std::string* devicename);
  void count(KeyGetExit e);
  void batch(const std::vector<DeviceOutcome>& outcomes);

  std::ostream& m_out;
  std::ostream& m_err;
  KeyGetLog& m_log;
  std::vector<KeyGetCall> m_calls;  // the calls of the batch being reported
  KeyGetExit m_worst = KeyGetExit::ok;
};

}  // namespace clm
