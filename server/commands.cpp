#include "commands.hpp"

#include "seed.hpp"
#include "store/open_store.hpp"
#include "store/records.hpp"
#include "store/store_copy.hpp"

#include <clm/atomic_file.hpp>
#include <clm/error.hpp>
#include <clm/util/lock_file.hpp>
#include <clm/validate.hpp>

#include <chrono>
#include <iostream>
#include <unistd.h>

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
  init.store = opts.store;
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
  std::cerr << "clm-server: generated the admin license key in " << (dir / "admin.key").string()
            << " (0600); GET /SWCLM/IDInfo needs it (clm-id get --license-key-file)\n";
  std::cerr << "clm-server: clients trust the server with --cacert " << (dir / "tls" / "ca.pem").string()
            << " (the server's own TLS root; the device CA never vouches for the server)\n";
}

// Open dir, saying on stderr when opening gave it a TLS root of its own.
OpenDataDir open_and_report(const std::filesystem::path& dir, const std::optional<std::string>& store)
{
  OpenDataDir data = open_data_dir(dir, store);
  if (data.tls_separated) {
    std::cerr << "clm-server: the TLS certificate of " << dir.string()
              << " chained to the device CA; it now has a TLS root of its own: clients must now trust the new "
              << (dir / "tls" / "ca.pem").string() << " (--cacert)\n";
  }
  return data;
}

// Open the store of an initialized data directory for a grant command. No lock: the
// grants are single statements, safe beside a server using the store.
std::unique_ptr<Store> open_grant_store(const CommandOptions& opts)
{
  const std::filesystem::path dir = opts.data_dir;
  if (!is_initialized(dir, opts.store)) {
    throw Error(ExitCode::file_read, dir.string() + " is not an initialized data directory; run clm-server init first");
  }
  return open_store(store_location(dir, opts.store), dir);
}

std::int64_t parse_grant_keyid(const std::string& text)
{
  if (const auto problem = field_problem(Field::keyid, Side::server, text)) {
    throw Error(ExitCode::bad_parameter, "--keyid: '" + text.substr(0, 32) + "' " + *problem);
  }
  return std::stoll(text);
}

// Print the one JSON line of a grant command.
void print_grant(std::int64_t keyid, bool granted, bool changed)
{
  std::cout << dump_json(json{{"keyid", format_keyid(keyid)}, {"fleet_read", granted}, {"changed", changed}}) << '\n'
            << std::flush;
}

// Take the exclusive lock on DIR/server.lock, held while serve or seed runs: seed holds one
// long write transaction, so a server using the same store would answer errors meanwhile.
util::LockFile lock_data_dir(const std::filesystem::path& dir)
{
  const std::filesystem::path path = dir / "server.lock";
  auto lock = util::LockFile::try_lock(path, "", "");
  if (!lock) {
    throw Error(ExitCode::already_running,
                dir.string() + " is in use by another clm-server serve or seed (" + path.string() + " is locked)");
  }
  return std::move(*lock);
}

}  // namespace

void init_command(const CommandOptions& opts)
{
  ensure_initialized(opts, true);
}

void serve_command(const CommandOptions& opts)
{
  ServeOptions serve_opts;
  serve_opts.listen = parse_listen(opts.listen, "--listen");
  if (opts.metrics_listen) {
    serve_opts.metrics_listen = parse_listen(*opts.metrics_listen, "--metrics-listen");
    check_metrics_listen(*serve_opts.metrics_listen);  // before a data directory is made
  }
  if (opts.port_file) {
    serve_opts.port_file = *opts.port_file;
  }
  if (opts.tls_cert.has_value() != opts.tls_key.has_value()) {
    throw Error(ExitCode::missing_parameter, opts.tls_cert ? "--tls-key: missing (--tls-cert needs its key)"
                                                           : "--tls-cert: missing (--tls-key needs its certificate)");
  }
  if (opts.tls_cert) {
    serve_opts.tls_cert = *opts.tls_cert;
    serve_opts.tls_key = *opts.tls_key;
  }
  serve_opts.max_connections = opts.max_connections;
  serve_opts.workers = opts.workers;
  serve_opts.cache_rows = opts.cache_rows;
  ensure_initialized(opts, false);
  const std::filesystem::path dir = opts.data_dir;
  serve_opts.license_key = read_secret_file(opts.license_key_file ? std::filesystem::path(*opts.license_key_file)
                                                                  : dir / "license.key");
  // Servers sharing a PostgreSQL store may share the data directory too.
  std::optional<util::LockFile> lock;
  if (!is_postgres_location(store_location(dir, opts.store))) {
    lock = lock_data_dir(dir);
  }
  std::error_code ec;
  const bool had_admin_key = std::filesystem::exists(dir / "admin.key", ec);
  OpenDataDir data = open_and_report(dir, opts.store);
  if (!had_admin_key) {
    std::cerr << "clm-server: generated the admin license key in " << (dir / "admin.key").string()
              << " (0600); GET /SWCLM/IDInfo needs it\n";
  }
  // No device certificate may name the server: neither the data directory's own TLS
  // names nor those of the identity served (a bad --tls-cert/--tls-key stops us here).
  auto& reserved = data.settings.cert_policy.reserved_names;
  for (const TlsSource& source : {TlsSource{}, TlsSource{serve_opts.tls_cert, serve_opts.tls_key}}) {
    const std::vector<std::string> names = load_tls_identity(data, source).names;
    reserved.insert(reserved.end(), names.begin(), names.end());
  }
  serve(serve_opts, data);
}

void grant_command(const CommandOptions& opts)
{
  const std::int64_t keyid = parse_grant_keyid(opts.grant_keyid);
  const auto store = open_grant_store(opts);
  if (!store->find_id(keyid)) {
    throw Error(ExitCode::bad_parameter, "--keyid: no ID " + format_keyid(keyid) + " on this server");
  }
  print_grant(keyid, true, store->add_fleet_grant(keyid, system_clock_ms()()));
}

void revoke_grant_command(const CommandOptions& opts)
{
  const std::int64_t keyid = parse_grant_keyid(opts.grant_keyid);
  const auto store = open_grant_store(opts);
  print_grant(keyid, false, store->remove_fleet_grant(keyid));
}

void grants_command(const CommandOptions& opts)
{
  const auto store = open_grant_store(opts);
  json list = json::array();
  for (const FleetGrant& g : store->fleet_grants()) {
    list.push_back(json{{"keyid", format_keyid(g.keyid)}, {"granted_at", std::to_string(g.granted_ms)}});
  }
  std::cout << dump_json(json{{"grants", std::move(list)}}) << '\n' << std::flush;
}

namespace {

void copy_command(const CommandOptions& opts)
{
  const std::filesystem::path dir = opts.data_dir;
  const std::string from = opts.copy_from ? *opts.copy_from : store_location(dir, opts.store);
  const std::string to = *opts.copy_to;
  check_store_location(from, "--from");
  check_store_location(to, "--to");
  std::error_code ec;
  if (!is_postgres_location(from) && !std::filesystem::exists(sqlite_file(from, dir), ec)) {
    throw Error(ExitCode::file_read, "--from: " + sqlite_file(from, dir).string() + " does not exist");
  }
  if (describe_location(from, dir) == describe_location(to, dir)) {
    throw Error(ExitCode::bad_parameter, "--to: the same store as --from");
  }
  const std::unique_ptr<Store> source = open_store(from, dir);
  if (!source->initialized()) {
    throw Error(ExitCode::bad_parameter, "--from: " + describe_location(from, dir) + " is not an initialized store");
  }
  const std::unique_ptr<Store> target = open_store(to, dir);
  json tables = json::array();
  for (const TableDigest& t : copy_store(*source, *target)) {
    tables.push_back(json{{"table", t.table}, {"rows", t.rows}, {"sha256", t.sha256}});
  }
  std::cout << dump_json(json{{"from", describe_location(from, dir)},
                              {"to", describe_location(to, dir)},
                              {"tables", std::move(tables)}})
            << '\n' << std::flush;
  std::cerr << "clm-server: copied; servers use the copy once DIR/clm-server.conf says store = "
            << describe_location(to, dir) << " (or serve --store)\n";
}

}  // namespace

void migrate_command(const CommandOptions& opts)
{
  if (opts.copy_to) {
    copy_command(opts);
    return;
  }
  if (opts.copy_from) {
    throw Error(ExitCode::missing_parameter, "--to: missing (--from copies a store into the one --to names)");
  }
  const std::filesystem::path dir = opts.data_dir;
  const std::string location = store_location(dir, opts.store);
  std::error_code ec;
  if (!is_postgres_location(location) && !std::filesystem::exists(sqlite_file(location, dir), ec)) {
    throw Error(ExitCode::file_read, opts.data_dir + " holds no store (clm.db); run clm-server init first");
  }
  // Opening applies what is missing; it is safe beside a running server, which applied
  // them itself when it opened the store.
  const std::unique_ptr<Store> store = open_store(location, dir);
  std::cout << dump_json(json{{"schema_version", k_schema_version}, {"applied", store->migrations_applied()}})
            << '\n' << std::flush;
}

void seed_command(const CommandOptions& opts)
{
  SeedOptions seed;
  seed.devices = opts.devices;
  seed.keys = opts.keys;
  seed.prefix = opts.prefix;
  seed.keytype = opts.keytype;
  seed.keylength = opts.keylength;
  check_seed_options(seed);
  const std::filesystem::path dir = opts.data_dir;
  if (!is_initialized(dir, opts.store)) {
    throw Error(ExitCode::file_read, dir.string() + " is not an initialized data directory; run clm-server init first");
  }
  const util::LockFile lock = lock_data_dir(dir);
  OpenDataDir data = open_and_report(dir, opts.store);
  IdService ids(*data.store, *data.box, data.settings.id_policy, system_clock_ms());
  KeyService keys(*data.store, *data.box, ids, data.settings.key_policy, system_clock_ms());

  const bool show_progress = ::isatty(STDERR_FILENO) == 1;
  const auto start = std::chrono::steady_clock::now();
  const SeedResult result = seed_store(*data.store, ids, keys, seed, [&](std::int64_t done) {
    if (show_progress && (done % 1000 == 0 || done == seed.devices)) {
      std::cerr << "\rclm-server: seeded " << done << "/" << seed.devices << " devices" << std::flush;
    }
  });
  if (show_progress) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cerr << " in " << s << " s\n";
  }
  if (opts.list_file) {
    std::string list;
    list.reserve(result.devicenames.size() * (seed.prefix.size() + 8));
    for (const std::string& name : result.devicenames) {
      list += name;
      list += '\n';
    }
    write_file_atomic(*opts.list_file, list, 0644);
  }
  std::cout << dump_json(json{{"keyid", result.keyid},
                              {"key", result.key},
                              {"devices", seed.devices},
                              {"keys", seed.devices * seed.keys}})
            << '\n'
            << std::flush;
}

}  // namespace clm::server
