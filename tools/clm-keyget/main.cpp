// clm-keyget: pull the common keys of many devices at once (the command reference's
// SWCLMKEYGET): a device name list in, one key file per key out, failures logged and
// skipped. Exit codes follow table 6.3 of the command reference.
#include "common_options.hpp"
#include "tool_main.hpp"

#include <clm/error.hpp>
#include <clm/json_io.hpp>
#include <clm/keyget.hpp>
#include <clm/keyget_run.hpp>
#include <clm/state.hpp>
#include <clm/text.hpp>

#include <iostream>
#include <iterator>
#include <unistd.h>

namespace {

struct Options {
  clm::ConnectionFlags conn;
  clm::KeyGetPaths paths;
  bool binary = false;
  bool sha256 = false;
  unsigned jobs = 4;
  unsigned batch_size = 1000;
};

// Table 6.3 has one code for every failure before the devices are processed: 1, said
// with the reference's message when there is one; only an internal error stays 255.
clm::ToolFailure keyget_failure(const std::exception& thrown, clm::ToolFailure standard)
{
  if (dynamic_cast<const clm::KeyGetArgumentError*>(&thrown)) {
    return {static_cast<int>(clm::KeyGetExit::bad_argument), thrown.what()};
  }
  if (dynamic_cast<const CLI::ParseError*>(&thrown) || dynamic_cast<const clm::Error*>(&thrown)) {
    standard.exit_code = static_cast<int>(clm::KeyGetExit::bad_argument);
  }
  return standard;
}

clm::KeyGetExit run(const Options& o)
{
  clm::check_keyget_paths(o.paths, clm::stdin_is_terminal() ? clm::StdinTerminal::yes : clm::StdinTerminal::no);
  clm::KeyGetLog log(*o.paths.errorfile, std::cerr, clm::tool_name() + ": ");

  // From here on a failure goes into the error log too (tool_main prints it on stderr):
  // the log is where a cron job's failures are looked for.
  clm::Settings settings;
  clm::KeyGetSetup setup;
  clm::KeyGetInput input;
  try {
    settings = clm::tool_settings(o.conn);
    clm::KeyGetOptions opts;
    opts.out_dir = *o.paths.outdir;
    opts.binary = o.binary;
    opts.sha256 = o.sha256;
    setup = clm::setup_keyget(settings.state_dir, opts);
    input = clm::read_keyget_input(
      o.paths.infile, o.paths.infile ? std::string() : std::string(std::istreambuf_iterator<char>(std::cin), {}));
  } catch (const clm::Error& e) {
    // The reference's own messages (KeyGetArgumentError) are said as they are.
    const bool reference = dynamic_cast<const clm::KeyGetArgumentError*>(&e) != nullptr;
    log.record(clm::log_safe(reference ? std::string(e.what()) : std::string("Error: ") + e.what()) + "\n");
    throw;
  }
  const clm::ApiCaller call = clm::api_caller(settings.connection);

  const bool progress = ::isatty(STDERR_FILENO) != 0;
  clm::KeyGetReport report;
  report.log = [&](const std::string& line) { log.line(line); };
  report.outcomes = [](const std::vector<clm::DeviceOutcome>& outcomes) {
    for (const auto& out : outcomes) {
      std::cout << clm::dump_json(out.to_json()) << '\n';
    }
    std::cout.flush();
  };
  if (progress) {
    report.progress = [](std::size_t done, std::size_t total) {
      std::cerr << "\r" << clm::tool_name() << ": " << done << "/" << total << " devices" << std::flush;
    };
  }
  const auto code = clm::run_keyget(call, setup.id, input, setup.opts, {o.jobs, o.batch_size}, report);
  if (progress) {
    std::cerr << '\n';
  }
  return code;
}

}  // namespace

int main(int argc, char** argv)
{
  Options o;
  clm::KeyGetExit code = clm::KeyGetExit::ok;
  const int failed = clm::tool_main(
    "clm-keyget", "Pull the common keys of many devices from clm-server into files (SWCLMKEYGET)", argc, argv,
    [&](CLI::App& app) {
      clm::add_connection_options(app, o.conn);
      app.add_option("-i,--infile", o.paths.infile,
                     "file with one device name per line (without: getlist deviceinfo JSON on stdin)");
      app.add_option("-o,--outdir", o.paths.outdir, "existing directory for the key files");
      app.add_option("-e,--errorfile", o.paths.errorfile, "error log file (overwritten)");
      app.add_flag("-b,--binary", o.binary, "also write NAME.bin (raw key) and NAME.bin.hmac");
      app.add_flag("--sha256", o.sha256, "also write a NAME.sha256 sidecar for each hex file");
      app.add_option("--jobs", o.jobs, "requests in parallel (default 4)")->check(CLI::Range(1u, 64u));
      app.add_option("--batch-size", o.batch_size, "devices per request (default 1000)")
        ->check(CLI::Range(1u, 100000u));
      app.callback([&] { code = run(o); });
    },
    keyget_failure);
  return failed != 0 ? failed : static_cast<int>(code);
}
