#include "status_command.hpp"

#include <chrono>
#include <iostream>
#include <unistd.h>

namespace clm {

void StatusCommand::add(CLI::App& app, const ConnectionFlags& conn, const OutputOptions& out)
{
  const bool certs = m_kind == CredentialKind::certificate;
  auto* sub = app.add_subcommand(
    "status", certs ? "expiry watch of certificate files: days left, bucket, severity; plugin exit codes (offline)"
                    : "rotation watch of key files: age, days left, bucket, severity; plugin exit codes (offline)");
  sub->add_option("PATH", m_options.paths, certs ? "certificate files or directories (searched recursively)"
                                                 : "key files or directories (searched recursively)")
    ->required();
  sub->add_option("--buckets", m_options.buckets, "bucket limits in days, comma-separated (default 90,60,30,15)");
  sub->add_option("--warning", m_options.warning_days, "exit 1 (WARNING) at DAYS left or fewer (default 30)")
    ->check(CLI::Range(0, k_max_status_days));
  sub->add_option("--critical", m_options.critical_days, "exit 2 (CRITICAL) at DAYS left or fewer (default 15)")
    ->check(CLI::Range(0, k_max_status_days));
  if (certs) {
    sub->add_option("--passphrase-file", m_options.passphrase_file, "file whose first line opens PKCS#12 files");
  } else {
    sub->add_option("--max-age", m_options.max_age_days, "days from writing a key until its rotation is due (default 90)")
      ->check(CLI::Range(1, k_max_status_days));
  }
  sub->add_option("--format", m_options.format, "json (default), table (default on a terminal), prometheus or nagios");
  sub->add_option("--output", m_options.output, "write to FILE (atomically: for node_exporter's textfile collector)");
  sub->preparse_callback([this](std::size_t) { m_selected = true; });
  sub->callback([this, &conn, &out] {
    m_options.state = conn;
    m_options.pretty = out.pretty ? Pretty::yes : Pretty::no;
    m_state = run_status(m_kind, m_options, std::cout, ::isatty(STDOUT_FILENO) != 0 ? Terminal::yes : Terminal::no,
                         std::chrono::system_clock::now());
  });
}

FailureMap StatusCommand::failure_map()
{
  return [this](const std::exception&, ToolFailure standard) {
    if (!m_selected) {
      return standard;
    }
    if (m_options.format == "nagios" && !m_options.output) {
      // A plugin's first line of output is its status, also when it cannot run.
      std::cout << status_unknown_line(m_kind, standard.message) << std::flush;
    }
    standard.exit_code = static_cast<int>(PluginState::unknown);
    return standard;
  };
}

int StatusCommand::exit_code(int tool_result) const
{
  return tool_result != 0 || !m_selected ? tool_result : static_cast<int>(m_state);
}

}  // namespace clm
