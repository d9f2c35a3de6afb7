// clm-keyget: pull the common keys of many devices at once (the command reference's
// SWCLMKEYGET): a device name list in, one key file per key out, failures logged and
// skipped. Exit codes follow table 6.3 of the command reference.
#include "common_options.hpp"

#include <clm/atomic_file.hpp>
#include <clm/error.hpp>
#include <clm/file_digest.hpp>
#include <clm/json_io.hpp>
#include <clm/keyget.hpp>
#include <clm/process.hpp>
#include <clm/state.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <fcntl.h>
#include <iostream>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

struct Options {
  clm::ConnectionFlags conn;
  std::optional<std::string> infile;
  std::optional<std::string> outdir;
  std::optional<std::string> errorfile;
  bool binary = false;
  bool sha256 = false;
  unsigned jobs = 4;
  unsigned batch_size = 1000;
};

// A failure before any device is processed: the message of 6.4 and exit 1.
struct ArgumentError {
  std::string message;
};

// Where messages go: stderr and the error log, one line each, whole lines only.
class Log {
public:
  // Open (truncate) the log; a symlink at path is refused, never followed: the log may
  // sit in a directory others can write to, and its target would be overwritten.
  explicit Log(const std::string& path)
    : m_path(path), m_fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600))
  {
    if (m_fd < 0) {
      throw ArgumentError{"Error: errorfile cannot be written: " + path};
    }
  }
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;
  ~Log() { ::close(m_fd); }
  // Write text on stderr and as one line of the log.
  void line(const std::string& text)
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    std::cerr << "clm-keyget: " << text << '\n';
    const std::string whole = text + '\n';
    try {
      clm::write_all(m_fd, whole, m_path);
    } catch (const clm::Error& e) {
      // The log is for the record; stderr already has the line.
      std::cerr << "clm-keyget: warning: " << e.what() << '\n';
    }
  }

private:
  std::mutex m_mutex;
  std::string m_path;
  int m_fd;
};

int run(const Options& o)
{
  // Checked in the order of the reference's messages.
  if (!o.outdir) {
    throw ArgumentError{"Error: outdir not specified"};
  }
  if (!o.errorfile) {
    throw ArgumentError{"Error: errorfile not specified"};
  }
  if (o.infile && !fs::is_regular_file(*o.infile)) {
    throw ArgumentError{"Error: infile not found"};
  }
  if (!fs::is_directory(*o.outdir)) {
    throw ArgumentError{"Error: outdir not found"};
  }
  if (clm::is_reserved_dir(*o.outdir)) {
    throw ArgumentError{"Error : outdir is reserved word. Please specify another directory."};
  }
  Log log(*o.errorfile);

  const clm::Settings settings = clm::tool_settings(o.conn);
  const clm::ApiCaller call = clm::api_caller(settings.connection);
  clm::StateDir state(settings.state_dir);
  const clm::IdCredential id = state.require_id();
  clm::KeyGetOptions opts;
  opts.out_dir = fs::absolute(*o.outdir);
  opts.binary = o.binary;
  opts.sha256 = o.sha256;
  if (o.binary) {
    opts.hmac_key = clm::load_or_create_hmac_key(settings.state_dir);
  }

  std::vector<std::string> names;
  std::optional<clm::json> deviceinfo;
  if (o.infile) {
    names = clm::read_device_list(*o.infile);
  } else {
    const auto input = clm::parse_json(std::string(std::istreambuf_iterator<char>(std::cin), {}));
    const clm::json* d = nullptr;
    if (input && input->is_array()) {
      d = &*input;
    } else if (input && input->is_object() && input->contains("deviceinfo") && (*input)["deviceinfo"].is_array()) {
      d = &(*input)["deviceinfo"];
    }
    if (!d) {
      throw ArgumentError{"Error: infile not specified (and no getlist deviceinfo JSON on standard input)"};
    }
    deviceinfo = *d;
  }

  std::mutex out_mutex;
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  std::atomic<int> worst{0};
  const bool progress = ::isatty(STDERR_FILENO) != 0;
  const std::size_t total = deviceinfo ? deviceinfo->size() : names.size();
  const std::size_t batch = std::max(1u, o.batch_size);
  const std::size_t batches = (total + batch - 1) / batch;
  std::optional<clm::Error> fatal;

  auto report = [&](const std::vector<clm::DeviceOutcome>& outcomes) {
    for (const auto& out : outcomes) {
      for (const auto& m : out.messages) {
        log.line(out.devicename + ": " + m);
      }
      if (out.failure) {
        // Raise worst to this failure's code unless another thread raised it higher.
        const int code = static_cast<int>(*out.failure);
        for (int seen = worst.load(); seen < code && !worst.compare_exchange_weak(seen, code);) {
        }
      }
    }
    std::lock_guard<std::mutex> lock(out_mutex);
    for (const auto& out : outcomes) {
      std::cout << clm::dump_json(out.to_json()) << '\n';
    }
    std::cout.flush();
    done += outcomes.size();
    if (progress) {
      std::cerr << "\rclm-keyget: " << done.load() << "/" << total << " devices" << std::flush;
    }
  };
  auto worker = [&] {
    for (std::size_t b = next++; b < batches; b = next++) {
      const std::size_t first = b * batch;
      const std::size_t last = std::min(total, first + batch);
      try {
        if (deviceinfo) {
          clm::json slice = clm::json::array();
          for (std::size_t i = first; i < last; ++i) {
            slice.push_back((*deviceinfo)[i]);
          }
          report(clm::pull_deviceinfo(call, id, slice, opts));
        } else {
          const std::vector<std::string> slice(names.begin() + static_cast<std::ptrdiff_t>(first),
                                               names.begin() + static_cast<std::ptrdiff_t>(last));
          report(clm::pull_batch(call, id, slice, opts));
        }
      } catch (const clm::Error& e) {
        // A file that cannot be written stops everything: the next batch would fail too.
        std::lock_guard<std::mutex> lock(out_mutex);
        if (!fatal) {
          fatal = e;
        }
        next = batches;
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned j = 0; j < std::max(1u, o.jobs); ++j) {
    threads.emplace_back(worker);
  }
  for (auto& t : threads) {
    t.join();
  }
  if (progress) {
    std::cerr << '\n';
  }
  if (fatal) {
    log.line(std::string("Error: ") + fatal->what());
    return static_cast<int>(clm::KeyGetExit::key_fetch);
  }
  return worst.load();
}

}  // namespace

int main(int argc, char** argv)
{
  ::signal(SIGPIPE, SIG_IGN);
  // Before anything is read: a core file or a ptrace attach would expose the keys.
  try {
    clm::disable_core_dumps();
  } catch (const clm::Error& e) {
    std::cerr << "clm-keyget: error: " << e.what() << '\n';
    return 255;
  }
  Options o;
  CLI::App app{"Pull the common keys of many devices from clm-server into files (SWCLMKEYGET)", "clm-keyget"};
  app.set_version_flag("--version", "clm-keyget " CLM_VERSION);
  clm::add_connection_options(app, o.conn);
  app.add_option("-i,--infile", o.infile, "file with one device name per line (without: getlist deviceinfo JSON on stdin)");
  app.add_option("-o,--outdir", o.outdir, "existing directory for the key files");
  app.add_option("-e,--errorfile", o.errorfile, "error log file (overwritten)");
  app.add_flag("-b,--binary", o.binary, "also write NAME.bin (raw key) and NAME.bin.hmac");
  app.add_flag("--sha256", o.sha256, "also write a NAME.sha256 sidecar for each hex file");
  app.add_option("--jobs", o.jobs, "requests in parallel (default 4)")->check(CLI::Range(1u, 64u));
  app.add_option("--batch-size", o.batch_size, "devices per request (default 1000)")->check(CLI::Range(1u, 100000u));
  try {
    app.parse(argc, argv);
    if (!o.infile && clm::stdin_is_terminal()) {
      throw ArgumentError{"Error: infile not specified"};
    }
    return run(o);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "clm-keyget: error: " << e.what() << " (see clm-keyget --help)\n";
    return static_cast<int>(clm::KeyGetExit::bad_argument);
  } catch (const ArgumentError& e) {
    std::cerr << "clm-keyget: " << e.message << '\n';
    return static_cast<int>(clm::KeyGetExit::bad_argument);
  } catch (const clm::Error& e) {
    std::cerr << "clm-keyget: error: " << e.what() << '\n';
    return static_cast<int>(clm::KeyGetExit::bad_argument);
  } catch (const std::exception& e) {
    std::cerr << "clm-keyget: error: internal: " << e.what() << '\n';
    return 255;
  }
}
