#include "commands.hpp"

#include <clm/atomic_file.hpp>
#include <clm/error.hpp>

#include <iostream>

namespace clm::server {

namespace {

KeyType key_type_from(const std::string& name)
{
  if (name == "rsa2048") {
    return KeyType::rsa2048;
  }
  if (name == "ec-p256") {
    return KeyType::ec_p256;
  }
  throw Error(ExitCode::bad_parameter, "--key-type: '" + name + "' is not rsa2048 or ec-p256");
}

void ensure_initialized(const CommandOptions& opts, bool say_if_present)
{
  InitOptions init;
  init.data_dir = opts.data_dir;
  if (opts.license_key_file) {
    init.license_key_file = *opts.license_key_file;
  }
  init.hostnames = opts.hostnames;
  init.key_type = key_type_from(opts.key_type);
  const InitReport report = init_data_dir(init);
  const std::filesystem::path dir = opts.data_dir;
  if (!report.created) {
    if (say_if_present) {
      std::cerr << "clm-server: " << dir.string() << " is already initialized; nothing changed (--hostname, --key-type and --license-key-file apply only to a new directory)\n";
    }
    return;
  }
  std::cerr << "clm-server: initialized " << dir.string() << "\n";
  if (report.license_generated) {
    std::cerr << "clm-server: generated a license key in " << (dir / "license.key").string()
              << " (0600); clients read it with --license-key-file\n";
  }
  std::cerr << "clm-server: clients trust the server with --cacert " << (dir / "tls" / "ca.pem").string() << "\n";
}

}  // namespace

void init_command(const CommandOptions& opts)
{
  ensure_initialized(opts, true);
}

void serve_command(const CommandOptions& opts)
{
  ServeOptions serve_opts;
  parse_listen(opts.listen, serve_opts);
  if (opts.port_file) {
    serve_opts.port_file = *opts.port_file;
  }
  ensure_initialized(opts, false);
  const std::filesystem::path dir = opts.data_dir;
  serve_opts.license_key = read_secret_file(opts.license_key_file ? std::filesystem::path(*opts.license_key_file)
                                                                  : dir / "license.key");
  OpenDataDir data = open_data_dir(dir);
  serve(serve_opts, data);
}

}  // namespace clm::server
