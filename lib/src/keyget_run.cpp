#include <clm/atomic_file.hpp>
#include <clm/keyget_run.hpp>
#include <clm/parallel.hpp>

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
  std::vector<std::optional<std::vector<DeviceOutcome>>> finished(batches);
  std::size_t reported = 0;  // batches reported, a prefix of the input
  std::size_t done = 0;      // devices reported
  KeyGetExit worst = KeyGetExit::ok;
  auto report_batch = [&](const std::vector<DeviceOutcome>& outcomes) {
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
      std::vector<DeviceOutcome> outcomes;
      if (input.deviceinfo) {
        json slice = json::array();
        for (std::size_t i = first; i < last; ++i) {
          slice.push_back((*input.deviceinfo)[i]);
        }
        outcomes = pull_deviceinfo(call, id, slice, opts);
      } else {
        const std::vector<std::string> slice(input.names.begin() + static_cast<std::ptrdiff_t>(first),
                                             input.names.begin() + static_cast<std::ptrdiff_t>(last));
        outcomes = pull_batch(call, id, slice, opts);
      }
      const std::lock_guard lock(mutex);
      finished[b] = std::move(outcomes);
      report_finished(false);
    });
  } catch (const Error& e) {
    const std::lock_guard lock(mutex);
    report_finished(true);
    report.log(std::string("Error: ") + e.what());
    return KeyGetExit::key_fetch;
  }
  return worst;
}

}  // namespace clm
