// SWCLMKEYGET: the command reference's batch key pull (chapter 5, Linux form) with its
// syntax and output, on libclm. The work is clm-keyget's (run_keyget); what it prints
// is the reference's result blocks and messages (SwclmKeyGetOutput), and the exit
// codes are table 6.3.
#include "common_options.hpp"
#include "tool_main.hpp"

#include <clm/error.hpp>
#include <clm/http_client.hpp>
#include <clm/keyget.hpp>
#include <clm/keyget_run.hpp>
#include <clm/text.hpp>

#include <iostream>
#include <optional>

namespace {

struct Options {
  clm::KeyGetPaths paths;
  bool binary = false;
};

constexpr int k_bad_argument = static_cast<int>(clm::KeyGetExit::bad_argument);

// A command line CLI11 cannot read is table 6.3's argument error; only an internal
// error stays 255.
clm::ToolFailure swclm_failure(const std::exception& thrown, clm::ToolFailure standard)
{
  if (dynamic_cast<const CLI::ParseError*>(&thrown) || dynamic_cast<const clm::Error*>(&thrown)) {
    standard.exit_code = k_bad_argument;
  }
  return standard;
}

int run(const Options& o)
{
  // The reference's argument messages (6.4) are said as they are, on stderr only: there
  // is no error log yet, or it is the argument at fault.
  std::optional<clm::KeyGetLog> log;
  try {
    // No -i is always "infile not specified": SWCLMKEYGET reads no JSON on stdin.
    clm::check_keyget_paths(o.paths, clm::StdinTerminal::yes);
    log.emplace(*o.paths.errorfile, std::cerr, "");
  } catch (const clm::KeyGetArgumentError& e) {
    std::cerr << clm::log_safe(e.what()) << '\n';
    return k_bad_argument;
  }
  clm::SwclmKeyGetOutput output(std::cout, std::cerr, *log);

  clm::KeyGetInput input;
  try {
    input = clm::read_keyget_input(o.paths.infile, "");
  } catch (const clm::Error& e) {
    log->line(clm::log_safe(std::string("Error: infile cannot be read: ") + e.what()));
    return k_bad_argument;
  }

  // No host, no verified ID, a bad setting: the devgetkeylist call cannot be made.
  clm::Settings settings;
  clm::KeyGetSetup setup;
  try {
    settings = clm::tool_settings({});
    clm::KeyGetOptions opts;
    opts.out_dir = *o.paths.outdir;
    opts.binary = o.binary;
    setup = clm::setup_keyget(settings.state_dir, opts);
  } catch (const clm::Error& e) {
    output.not_started(e);
    return static_cast<int>(output.exit_code());
  }
  const clm::ApiCaller call = clm::api_caller(settings.connection);
  clm::run_keyget(call, setup.id, input, setup.opts, clm::KeyGetSchedule{}, output.report());
  return static_cast<int>(output.exit_code());
}

}  // namespace

int main(int argc, char** argv)
{
  Options o;
  int code = 0;
  const int failed = clm::tool_main(
    "SWCLMKEYGET", "Pull the common keys of the listed devices into files (the reference's SWCLMKEYGET)", argc,
    argv,
    [&](CLI::App& app) {
      app.add_option("-i", o.paths.infile, "absolute path of the file listing one device name per line");
      app.add_option("-o", o.paths.outdir, "absolute path of the existing directory for the key files");
      app.add_option("-e", o.paths.errorfile, "absolute path of the error log (overwritten)");
      app.add_flag("-b", o.binary, "also write DEVICE_KEYNUMBER.bin and DEVICE_KEYNUMBER.bin.hmac");
      app.callback([&] { code = run(o); });
    },
    swclm_failure);
  return failed != 0 ? failed : code;
}
