#include "common_options.hpp"
#include "tool_main.hpp"

#include <clm/atomic_file.hpp>
#include <clm/error.hpp>

#include <iostream>

namespace clm {

void add_connection_options(CLI::App& app, ConnectionFlags& f, LicenseKey key)
{
  const char* group = "Connection";
  app.add_option("--host", f.host, "clm-server host name or IP address, or HOST[:PORT],... tried in turn [CLM_HOST]")
    ->group(group);
  app.add_option("--port", f.port, "clm-server port (default 8443) [CLM_PORT]")->group(group);
  app.add_option("--cacert", f.cacert, "PEM file of the CA that signed the server certificate [CLM_CACERT]")
    ->group(group);
  app.add_flag("--insecure", f.insecure, "do not verify the server certificate (unsafe)")->group(group);
  app.add_option("--proxy", f.proxy, "HTTP proxy as HOST:PORT [CLM_PROXY]")->group(group);
  app.add_option("--proxy-host", f.proxy_host, "HTTP proxy host, with --proxy-port [CLM_PROXY_HOST]")->group(group);
  app.add_option("--proxy-port", f.proxy_port, "HTTP proxy port [CLM_PROXY_PORT]")->group(group);
  app.add_option("--timeout", f.timeout, "seconds for the whole request, 1..2147483647 (default 60) [CLM_TIMEOUT]")
    ->group(group);
  app.add_option("--connect-timeout", f.connect_timeout, "seconds to connect (default 60) [CLM_CONNECT_TIMEOUT]")
    ->group(group);
  app.add_option("--retry", f.retry, "attempts after a failed one, 0..10 (default 2) [CLM_RETRY]")->group(group);
  if (key == LicenseKey::admin) {
    app.add_option("--admin-key-file", f.admin_key_file,
                   "file holding the server's admin license key [CLM_ADMIN_KEY_FILE]")
      ->group(group);
  } else {
    app.add_option("--license-key-file", f.license_key_file, "file holding the license key [CLM_LICENSE_KEY_FILE]")
      ->group(group);
  }
  app.add_option("--config", f.config, "configuration file (default /etc/clm/clm.conf) [CLM_CONFIG]")->group(group);
  if (key == LicenseKey::client) {
    app.add_option("--state-dir", f.state_dir, "state directory [CLM_STATE_DIR]")->group(group);
  }
}

void add_output_options(CLI::App& app, OutputOptions& out)
{
  app.add_flag("--pretty", out.pretty, "indent the JSON output")->group("Output");
  app.add_option("--result-file", out.result_file, "also write the server's full answer to FILE (0600)")
    ->group("Output");
}

Settings tool_settings(const ConnectionFlags& flags)
{
  Settings s = resolve_settings(flags, process_env());
  if (s.connection.insecure) {
    std::cerr << tool_name() << ": warning: --insecure: the server certificate is NOT verified; anyone on the path can "
                 "read and change this exchange\n";
  }
  return s;
}

Settings admin_tool_settings(const ConnectionFlags& flags)
{
  Settings s = tool_settings(flags);
  if (!s.admin_key_file) {
    throw Error(ExitCode::missing_parameter,
                tool_name() + " needs the admin license key (--admin-key-file or CLM_ADMIN_KEY_FILE)");
  }
  s.connection.license_key = read_secret_file(*s.admin_key_file);
  return s;
}

void report_api_result(const ApiResult& result, const json& output, const OutputOptions& out,
                       const std::string& what)
{
  if (out.result_file) {
    write_file_atomic(*out.result_file, dump_json(result.body, Pretty::yes) + "\n", 0600);
  }
  write_json(std::cout, output, out.pretty ? Pretty::yes : Pretty::no);
  if (!result.ok()) {
    throw_api_failure(result, what);
  }
}

}  // namespace clm
