#include <clm/atomic_file.hpp>
#include <clm/keyget_run.hpp>
#include <clm/parallel.hpp>
#include <clm/text.hpp>

#include <algorithm>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

namespace clm {

namespace fs = std::filesystem;

void check_keyget_paths(const KeyGetPaths& paths, StdinTerminal stdin_terminal)
{
  if (!paths.infile && stdin_terminal == StdinTerminal::yes) {
    throw KeyGetArgumentError("Error: infile not specified");
  }
  if (!paths.outdir) {
    throw KeyGetArgumentError("Error: outdir not specified");
  }
  if (!paths.errorfile) {
    throw KeyGetArgumentError("Error: errorfile not specified");
  }
  if (paths.infile && !fs::is_regular_file(*paths.infile)) {
    throw KeyGetArgumentError("Error: infile not found");
  }
  if (!fs::is_directory(*paths.outdir)) {
    throw KeyGetArgumentError("Error: outdir not found");
  }
  if (is_reserved_dir(*paths.outdir)) {
    throw KeyGetArgumentError("Error : outdir is reserved word. Please specify another directory.");
  }
}

KeyGetInput read_keyget_input(const std::optional<std::string>& infile, std::string_view stdin_text)
{
  KeyGetInput input;
  if (infile) {
    input.names = read_device_list(*infile);
    return input;
  }
  auto parsed = parse_json(stdin_text);
  if (parsed && parsed->is_array()) {
    input.deviceinfo = std::move(*parsed);
  } else if (parsed && parsed->is_object() && parsed->contains("deviceinfo") && (*parsed)["deviceinfo"].is_array()) {
    input.deviceinfo = std::move((*parsed)["deviceinfo"]);
  } else {
    throw KeyGetArgumentError("Error: infile not specified (and no getlist deviceinfo JSON on standard input)");
  }
  return input;
}

KeyGetLog::KeyGetLog(const std::string& path, std::ostream& echo, std::string prefix)
  : m_path(path),
    m_echo(echo),
    m_prefix(std::move(prefix)),
    m_fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600))
{
  if (!m_fd.valid()) {
    throw KeyGetArgumentError("Error: errorfile cannot be written: " + path);
  }
}

void KeyGetLog::line(const std::string& text)
{
  const std::lock_guard lock(m_mutex);
  m_echo << m_prefix << text << '\n';
  try {
    write_all(m_fd.get(), text + '\n', m_path);
  } catch (const Error& e) {
    // The log is for the record; the echo already has the line.
    m_echo << m_prefix << "warning: " << e.what() << '\n';
  }
}

void KeyGetLog::record(const std::string& text)
{
  const std::lock_guard lock(m_mutex);
  try {
    write_all(m_fd.get(), text, m_path);
  } catch (const Error& e) {
    m_echo << m_prefix << "warning: " << e.what() << '\n';
  }
}

KeyGetSetup setup_keyget(const fs::path& state_dir, KeyGetOptions opts)
{
  StateDir state(state_dir);
  KeyGetSetup setup{state.require_id(), std::move(opts)};
  setup.opts.out_dir = fs::absolute(setup.opts.out_dir);
  if (setup.opts.binary) {
    setup.opts.hmac_key = state.load_or_create_hmac_key();
  }
  return setup;
}

namespace {

// What one batch of a run reports: its calls and its devices' outcomes.
struct BatchReport {
  std::vector<KeyGetCall> calls;
  std::vector<DeviceOutcome> outcomes;
};

// Return the report of a file error that stopped a batch after calls.
KeyGetStop stop_of(const std::vector<KeyGetCall>& calls, const Error& e)
{
  KeyGetStop stop;
  if (!calls.empty()) {
    stop.block.http_status = calls.back().block.http_status;
    if (calls.back().step == KeyGetStep::cmkeybatget) {
      stop.devicenames = calls.back().devicenames;
    }
  }
  stop.block.message = log_safe(std::string("Error: ") + e.what());
  stop.block.retcode = static_cast<int>(e.code());
  return stop;
}

}  // namespace

KeyGetExit run_keyget(const ApiCaller& call, const IdCredential& id, const KeyGetInput& input,
                      const KeyGetOptions& opts, const KeyGetSchedule& schedule, const KeyGetReport& report)
{
  const std::size_t total = input.deviceinfo ? input.deviceinfo->size() : input.names.size();
  const std::size_t batch = std::max<std::size_t>(1, schedule.batch_size);
  const std::size_t batches = (total + batch - 1) / batch;

  // Batches finish in any order; each is reported once all before it have been, so the
  // output is the same whatever the number of jobs. At most about one batch per job
  // waits, because parallel_for hands batches out in order.
  std::mutex mutex;
  std::vector<std::optional<BatchReport>> finished(batches);
  std::optional<std::pair<std::vector<KeyGetCall>, KeyGetStop>> stop;  // the first batch a file error stopped
  std::size_t reported = 0;  // batches reported, a prefix of the input
  std::size_t done = 0;      // devices reported
  KeyGetExit worst = KeyGetExit::ok;
  auto report_batch = [&](const BatchReport& batch_report) {
    const std::vector<DeviceOutcome>& outcomes = batch_report.outcomes;
    if (report.calls) {
      report.calls(batch_report.calls);
    }
    for (const auto& out : outcomes) {
      for (const auto& m : out.messages) {
        report.log(log_safe(out.devicename) + ": " + m);
      }
      if (out.failure && static_cast<int>(*out.failure) > static_cast<int>(worst)) {
        worst = *out.failure;
      }
    }
    report.outcomes(outcomes);
    done += outcomes.size();
    if (report.progress) {
      report.progress(done, total);
    }
  };
  // Report every finished batch that no unfinished one precedes (all of them, at the end
  // of a stopped run); the caller holds mutex.
  auto report_finished = [&](bool stopped) {
    for (; reported < batches; ++reported) {
      if (!finished[reported]) {
        if (!stopped) {
          return;
        }
        continue;
      }
      report_batch(*finished[reported]);
      finished[reported].reset();
    }
  };

  try {
    parallel_for(batches, schedule.jobs, [&](std::size_t b) {
      const std::size_t first = b * batch;
      const std::size_t last = std::min(total, first + batch);
      BatchReport pulled;
      try {
        if (input.deviceinfo) {
          json slice = json::array();
          for (std::size_t i = first; i < last; ++i) {
            slice.push_back((*input.deviceinfo)[i]);
          }
          pulled.outcomes = pull_deviceinfo(call, id, slice, opts, &pulled.calls);
        } else {
          const std::vector<std::string> slice(input.names.begin() + static_cast<std::ptrdiff_t>(first),
                                               input.names.begin() + static_cast<std::ptrdiff_t>(last));
          pulled.outcomes = pull_batch(call, id, slice, opts, &pulled.calls);
        }
      } catch (const Error& e) {
        const std::lock_guard lock(mutex);
        if (!stop) {
          stop.emplace(pulled.calls, stop_of(pulled.calls, e));
        }
        throw;
      }
      const std::lock_guard lock(mutex);
      finished[b] = std::move(pulled);
      report_finished(false);
    });
  } catch (const Error& e) {
    const std::lock_guard lock(mutex);
    report_finished(true);
    if (stop && report.calls) {
      report.calls(stop->first);
    }
    if (stop && report.stopped) {
      report.stopped(stop->second);
    } else {
      report.log(std::string("Error: ") + e.what());
    }
    return KeyGetExit::key_fetch;
  }
  return worst;
}

SwclmKeyGetOutput::SwclmKeyGetOutput(std::ostream& out, std::ostream& err, KeyGetLog& log)
  : m_out(out),
    m_err(err),
    m_log(log)
{
}

void SwclmKeyGetOutput::block(const SwclmBlock& b, bool error)
{
  SwclmBlock data = b;
  data.message.clear();
  const std::string text = format_swclm_block(data);
  const std::size_t first_line = text.find('\n') + 1;
  m_out << text.substr(0, first_line) << std::flush;
  if (!b.message.empty()) {
    m_err << b.message << '\n' << std::flush;
  }
  m_out << text.substr(first_line) << std::flush;
  if (error) {
    m_log.record(format_swclm_block(b));
  }
}

void SwclmKeyGetOutput::message(KeyGetStep step, int retcode, const std::string* devicename)
{
  // The reference's message as it is, then the device it is about: a script that
  // looks for "Error: devgetkeylist error (N)" at the start of a line still finds it.
  std::string m = std::string("Error: ") + step_name(step) + " error (" + std::to_string(retcode) + ")";
  if (devicename) {
    m += ": " + log_safe(*devicename);
  }
  m_log.line(m);
}

void SwclmKeyGetOutput::count(KeyGetExit e)
{
  m_worst = std::max(m_worst, e, [](KeyGetExit a, KeyGetExit b) { return static_cast<int>(a) < static_cast<int>(b); });
}

void SwclmKeyGetOutput::batch(const std::vector<DeviceOutcome>& outcomes)
{
  // In the order things happened: the lookup call and what its answer said of each
  // device, then the getlist call and what its answer said.
  for (const KeyGetStep step : {KeyGetStep::devgetkeylist, KeyGetStep::cmkeybatget}) {
    for (const KeyGetCall& c : m_calls) {
      if (c.step != step) {
        continue;
      }
      block(c.block, c.failure.has_value());
      if (c.failure) {
        count(*c.failure);
        for (const auto& name : c.devicenames) {
          message(step, c.block.retcode, &name);
        }
      }
    }
    for (const DeviceOutcome& out : outcomes) {
      for (const KeyGetProblem& p : out.problems) {
        if (p.step == step) {
          block(p.block, true);
          message(step, p.block.retcode, &out.devicename);
          count(p.exit);
        }
      }
      if (step == KeyGetStep::devgetkeylist && out.no_commonkey) {
        m_log.line("Warn : no commonkey: " + log_safe(out.devicename));
      }
    }
  }
  m_calls.clear();
}

KeyGetReport SwclmKeyGetOutput::report()
{
  KeyGetReport r;
  r.log = [](const std::string&) {};  // clm-keyget's lines; these blocks and messages say it instead
  r.calls = [this](const std::vector<KeyGetCall>& calls) { m_calls = calls; };
  r.outcomes = [this](const std::vector<DeviceOutcome>& outcomes) { batch(outcomes); };
  r.stopped = [this](const KeyGetStop& stop) {
    batch({});  // the stopped batch's calls
    block(stop.block, true);
    if (stop.devicenames.empty()) {
      message(KeyGetStep::cmkeybatget, stop.block.retcode, nullptr);
    }
    for (const auto& name : stop.devicenames) {
      message(KeyGetStep::cmkeybatget, stop.block.retcode, &name);
    }
    count(KeyGetExit::key_fetch);
  };
  return r;
}

void SwclmKeyGetOutput::not_started(const Error& e)
{
  SwclmBlock b;
  b.message = log_safe(std::string("Error: ") + e.what());
  b.retcode = static_cast<int>(e.code());
  block(b, true);
  message(KeyGetStep::devgetkeylist, b.retcode, nullptr);
  count(KeyGetExit::device_lookup);
}

}  // namespace clm
