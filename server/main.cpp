// clm-server: the CLM WebAPI over HTTPS, with its own CA and an embedded store.
#include "commands.hpp"
#include "tool_main.hpp"

int main(int argc, char** argv)
{
  clm::server::CommandOptions o;
  return clm::tool_main("clm-server", "CLM WebAPI server: IDs, certificates and keys over HTTPS", argc, argv,
                        [&](CLI::App& app) {
    auto store = [&](CLI::App* sub) {
      sub->add_option("--store", o.store,
                      "store: postgresql://... (password in PGPASSFILE) or sqlite:PATH; default DIR/clm.db, or the "
                      "store setting of DIR/clm-server.conf");
    };
    auto common = [&](CLI::App* sub) {
      store(sub);
      sub->add_option("--data-dir", o.data_dir, "data directory (created 0700)")->required();
      sub->add_option("--license-key-file", o.license_key_file,
                      "license key file (default: DIR/license.key, generated at init)");
      sub->add_option("--hostname", o.hostnames, "extra name or address for the TLS certificate (repeatable)");
      sub->add_option("--key-type", o.key_type, "CA and TLS key type: rsa2048 (default) or ec-p256")->type_name("rsa2048|ec-p256");
    };
    auto* init = app.add_subcommand("init", "create the data directory, store, master key, CA and TLS certificate");
    common(init);
    init->callback([&] { clm::server::init_command(o); });

    auto* serve = app.add_subcommand("serve", "serve the WebAPI (initializing the data directory on first start)");
    common(serve);
    serve->add_option("--listen", o.listen, "address to listen on, HOST:PORT (default 127.0.0.1:8443; port 0 = any)");
    serve->add_option("--port-file", o.port_file, "write the port to FILE once listening");
    serve->add_option("--metrics-listen", o.metrics_listen,
                      "also serve GET /metrics on HOST:PORT, plain HTTP without the license key (a loopback or "
                      "private address only)");
    serve->add_option("--tls-cert", o.tls_cert,
                      "TLS certificate chain (PEM, leaf first) from your own PKI instead of the data dir's; reread on SIGHUP");
    serve->add_option("--tls-key", o.tls_key, "private key (PEM) of --tls-cert; reread on SIGHUP");
    serve->add_option("--max-connections", o.max_connections,
                      "open connections beyond this are closed at once (default 10000)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
    serve->add_option("--workers", o.workers, "threads running requests (default: one per core, at least 2)")
      ->check(CLI::Range(1u, 256u));
    serve->add_option("--cache-rows", o.cache_rows,
                      "rows of IDs, devices, keys, certificates and bindings kept in memory for gets "
                      "(default 30000; 0 = read the store every time)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{10000000}));
    serve->callback([&] { clm::server::serve_command(o); });

    auto* seed = app.add_subcommand("seed", "create many devices and keys for load tests (server stopped)");
    seed->add_option("--data-dir", o.data_dir, "data directory (initialized, no server running on it)")->required();
    seed->add_option("--devices", o.devices, "number of devices to create")->required();
    seed->add_option("--keys", o.keys, "keys per device")->required();
    seed->add_option("--prefix", o.prefix, "device name prefix (default dev: dev000001, dev000002, ...)");
    seed->add_option("--type", o.keytype, "key type: AES (default) or TWINE")->type_name("AES|TWINE");
    seed->add_option("--length", o.keylength, "key length in bits (default 128)");
    seed->add_option("--list", o.list_file, "write the device names to FILE, one a line");
    store(seed);
    seed->callback([&] { clm::server::seed_command(o); });

    auto* grant = app.add_subcommand("grant", "let an ID read every device's keys (getlist, getkeylist), read only");
    grant->add_option("--data-dir", o.data_dir, "data directory (a server may be running on it)")->required();
    grant->add_option("--keyid", o.grant_keyid, "the ID to grant the fleet read")->required();
    store(grant);
    grant->callback([&] { clm::server::grant_command(o); });

    auto* revoke = app.add_subcommand("revoke-grant", "withdraw the fleet read grant of an ID");
    revoke->add_option("--data-dir", o.data_dir, "data directory (a server may be running on it)")->required();
    revoke->add_option("--keyid", o.grant_keyid, "the ID whose grant to withdraw")->required();
    store(revoke);
    revoke->callback([&] { clm::server::revoke_grant_command(o); });

    auto* migrate = app.add_subcommand("migrate", "bring the store to this version's schema; print the version, as JSON");
    migrate->add_option("--data-dir", o.data_dir, "data directory (a server may be running on it)")->required();
    migrate->add_option("--from", o.copy_from,
                        "with --to: the store to copy (default: the data dir's), e.g. sqlite:DIR");
    migrate->add_option("--to", o.copy_to,
                        "copy the whole store into this empty one, e.g. postgresql:///clm?host=/run/postgresql");
    store(migrate);
    migrate->callback([&] { clm::server::migrate_command(o); });

    auto* grants = app.add_subcommand("grants", "list the IDs holding the fleet read grant, as JSON");
    grants->add_option("--data-dir", o.data_dir, "data directory (a server may be running on it)")->required();
    store(grants);
    grants->callback([&] { clm::server::grants_command(o); });
  });
}
