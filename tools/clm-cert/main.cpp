// clm-cert: issue, fetch, renew, revoke and inspect certificates (/SWCLM/CredInfo).
#include "common_options.hpp"
#include "device_session.hpp"
#include "status_command.hpp"
#include "tool_main.hpp"

#include <clm/atomic_file.hpp>
#include <clm/cert_api.hpp>
#include <clm/cert_files.hpp>
#include <clm/error.hpp>
#include <clm/output_files.hpp>
#include <clm/process.hpp>
#include <clm/state.hpp>
#include <clm/validate.hpp>
#include <clm/x509_info.hpp>

#include <chrono>
#include <iostream>

namespace {

namespace fs = std::filesystem;

struct Options {
  clm::ConnectionFlags conn;
  clm::OutputOptions out;
  std::optional<std::string> mode;
  std::optional<std::string> device;
  std::optional<std::string> deviceid;
  std::optional<std::string> catype;
  std::optional<std::string> subject;
  std::string ca_format = "pem";
  std::string format = "pem";
  std::optional<std::string> passphrase_file;
  std::optional<std::string> out_dir;
  std::optional<std::string> in_dir;
  std::optional<std::string> ca_name;
  std::optional<std::string> cert_name;
  std::optional<std::string> key_name;
  std::optional<std::string> ip;
  std::optional<std::string> mac;
  std::vector<std::string> ext;
  std::optional<std::string> keynumber;
  std::optional<std::string> serial;
  std::optional<std::string> new_keynumber;
  std::optional<std::string> new_serial;
  std::optional<std::string> new_path;
  std::optional<std::string> new_name;
  std::optional<long> within;
  std::optional<long> jitter;
  std::optional<std::vector<std::string>> exec;
  std::vector<std::string> inspect_files;
};

std::optional<std::string> read_passphrase(const Options& o)
{
  if (!o.passphrase_file) {
    return std::nullopt;
  }
  std::string p = clm::read_secret_file(*o.passphrase_file);
  clm::check_option(clm::field_problem(clm::Field::passphrase, clm::Side::tool, p), "--passphrase-file");
  return p;
}

// Return --keynumber/--serial, else keynumber/certserial from stdin; exit 4 when neither.
clm::CertSelector target_of(const Options& o, clm::Inputs& in)
{
  clm::CertSelector s{o.keynumber, o.serial};
  if (!s.keynumber && !s.certserial) {
    s.keynumber = in.optional(std::nullopt, "keynumber");
    if (!s.keynumber) {
      s.certserial = in.extra(std::nullopt, "certserial");
    }
  }
  if (!s.keynumber && !s.certserial) {
    throw clm::Error(clm::ExitCode::missing_parameter, "missing --keynumber or --serial (or keynumber on stdin)");
  }
  return s;
}

void report(const clm::ApiResult& r, const Options& o, const std::string& devicename,
            const std::vector<std::string>& files, const std::string& what)
{
  clm::report_api_result(r, clm::cert_output(r, devicename, files), o.out, what);
}

void run_create(const Options& o)
{
  clm::Inputs in(std::cin, clm::stdin_is_terminal());
  const std::string mode = o.mode.value_or("");
  if (mode != "caonly" && mode != "client" && mode != "server") {
    throw clm::Error(clm::ExitCode::bad_parameter, "--mode: '" + mode + "' is not caonly, client or server");
  }
  const bool leaf = mode != "caonly";
  const std::string devicename = clm::device_name(o.device, in);
  clm::CertCreate req;
  req.certmode = mode;
  req.catype = o.catype.value_or(leaf ? "ca1" : "CA");
  clm::check_format(o.ca_format, "pem|der", "--ca-format");
  req.cacerttype = o.ca_format;
  clm::CertFiles files;
  files.dir = o.out_dir.value_or("");
  files.ca_name = clm::file_name_or(o.ca_name, "cacert", "--ca-name");
  files.ca_format = o.ca_format;
  if (leaf) {
    clm::check_format(o.format, "pem|der|p12", "--format");
    req.clientcerttype = files.cert_format = o.format;
    const clm::LeafNames names = clm::default_leaf_names(mode);
    files.cert_name = clm::file_name_or(o.cert_name, names.cert, "--cert-name");
    files.key_name = o.format == "p12" ? "" : clm::file_name_or(o.key_name, names.key, "--key-name");
    clm::check_subject_option(o.subject, "--subject");
    req.subject = o.subject;
  }
  req.passphrase = read_passphrase(o);
  if (o.format == "p12" && leaf && !req.passphrase) {
    throw clm::Error(clm::ExitCode::missing_parameter, "--format p12 needs --passphrase-file");
  }
  if (!o.out_dir) {
    throw clm::Error(clm::ExitCode::missing_parameter, "missing --out DIR");
  }
  clm::check_out_dir(files.dir, clm::k_max_file_name_bytes + 4, "--out");
  req.cafilepath = clm::cert_file_path(files.dir, files.ca_name, files.ca_format).string();
  if (leaf) {
    req.clientfilepath = clm::cert_file_path(files.dir, files.cert_name, files.cert_format).string();
  }
  req.device = {o.ip, o.mac, clm::parse_ext_data(o.ext)};

  clm::DeviceSession s(o.conn, in, devicename, o.deviceid);
  const auto r = clm::cert_create(s.settings.connection, s.caller, req);
  if (r.ok()) {
    s.remember_device(r);
  }
  const auto written = clm::write_answer_files(r, [&] { return clm::write_cert_answer(r.body, files); });
  report(r, o, devicename, written.written, "create " + mode + " certificate for " + devicename);
  written.rethrow();
}

void run_get(const Options& o)
{
  clm::Inputs in(std::cin, clm::stdin_is_terminal());
  const std::string devicename = clm::device_name(o.device, in);
  clm::CertGet req;
  req.target = target_of(o, in);
  req.catype = o.catype.value_or("ca1");
  if (req.catype != "CA" && req.catype != "ca1") {
    throw clm::Error(clm::ExitCode::bad_parameter, "--ca: '" + req.catype + "' is not CA or ca1");
  }
  const bool ca = req.catype == "CA";
  clm::check_format(o.format, ca ? "pem|der" : "pem|der|p12", "--format");
  req.certtype = o.format;
  req.passphrase = read_passphrase(o);
  if (o.format == "p12" && !req.passphrase) {
    throw clm::Error(clm::ExitCode::missing_parameter, "--format p12 needs --passphrase-file");
  }
  if (!o.out_dir) {
    throw clm::Error(clm::ExitCode::missing_parameter, "missing --out DIR");
  }
  const std::string cert_name = clm::file_name_or(o.cert_name, "cert", "--cert-name");
  const clm::CertFiles files = clm::fetched_cert_files(
    *o.out_dir, cert_name, clm::file_name_or(o.key_name, "certkey", "--key-name"), o.format, ca);
  clm::check_out_dir(files.dir, clm::k_max_file_name_bytes + 4, "--out");
  req.filepath = clm::cert_file_path(files.dir, cert_name, o.format).string();

  clm::DeviceSession s(o.conn, in, devicename, o.deviceid);
  const auto r = clm::cert_get(s.settings.connection, s.registered(), req);
  const auto written = clm::write_answer_files(r, [&] { return clm::write_cert_answer(r.body, files); });
  report(r, o, devicename, written.written, "get certificate of " + devicename);
  written.rethrow();
}

// Return the existing certificate file dir/name.{pem,der,p12}, or nullopt.
std::optional<fs::path> existing_cert(const fs::path& dir, const std::string& name)
{
  for (const char* ext : {"pem", "der", "p12"}) {
    const fs::path p = clm::cert_file_path(dir, name, ext);
    std::error_code ec;
    if (fs::exists(p, ec)) {
      return p;
    }
  }
  return std::nullopt;
}

// Moved into libclm (cert_files.hpp), shared with SWCLMCLIENT.
using clm::default_key_name;

void run_update(const Options& o)
{
  clm::Inputs in(std::cin, clm::stdin_is_terminal());
  const std::string devicename = clm::device_name(o.device, in);
  if (!o.out_dir) {
    throw clm::Error(clm::ExitCode::missing_parameter, "missing --out DIR (where the current certificate is)");
  }
  const fs::path out_dir = *o.out_dir;
  const std::string cert_name = clm::file_name_or(o.cert_name, "cert", "--cert-name");
  clm::check_out_dir(out_dir, clm::k_max_file_name_bytes + 4, "--out");
  const auto current = existing_cert(out_dir, cert_name);
  if (current) {
    clm::check_local_file(o.conn, *current);
  }
  const auto passphrase = read_passphrase(o);

  if (o.within) {
    if (!current) {
      throw clm::Error(clm::ExitCode::file_read, "--within: no certificate " + (out_dir / cert_name).string()
                                                   + ".{pem,der,p12} to read");
    }
    const auto info = clm::inspect_certificate(clm::read_file(*current), current->string(), passphrase);
    const auto facts = clm::certificate_json(info, std::chrono::system_clock::now());
    const long days_left = facts["days_left"].get<long>();
    if (days_left > *o.within) {
      clm::write_json(std::cout,
                      clm::json{{"errorcode", 0}, {"devicename", devicename}, {"changed", false},
                                {"days_left", days_left}, {"certserial", info.serial}, {"files", clm::json::array()}},
                      o.out.pretty ? clm::Pretty::yes : clm::Pretty::no);
      return;
    }
  }

  clm::CertUpdate req;
  if (!o.keynumber && !o.serial && current && !in.optional(std::nullopt, "keynumber")
      && !in.extra(std::nullopt, "certserial")) {
    // Name the certificate by the serial in its file: unlike a key number, which every
    // renewal changes, this keeps a cron line valid across renewals.
    req.target.certserial = clm::inspect_certificate(clm::read_file(*current), current->string(), passphrase).serial;
  } else {
    req.target = target_of(o, in);
  }
  req.adopt = clm::CertSelector{o.new_keynumber, o.new_serial};
  clm::check_format(o.format, "pem|der|p12", "--format");
  req.certtype = o.format;
  req.passphrase = passphrase;
  if (o.format == "p12" && !passphrase) {
    throw clm::Error(clm::ExitCode::missing_parameter, "--format p12 needs --passphrase-file");
  }
  clm::CertFiles files;
  files.dir = o.new_path.value_or(out_dir.string());
  files.cert_name = clm::file_name_or(o.new_name, cert_name, "--new-name");
  files.cert_format = o.format;
  files.key_name = o.format == "p12" ? "" : clm::file_name_or(o.key_name, default_key_name(files.cert_name), "--key-name");
  clm::check_out_dir(files.dir, clm::k_max_file_name_bytes + 4, "--new-path");
  req.filepath = current ? current->string() : clm::cert_file_path(out_dir, cert_name, "pem").string();
  req.newfilepath = clm::cert_file_path(files.dir, files.cert_name, files.cert_format).string();

  clm::DeviceSession s(o.conn, in, devicename, o.deviceid);
  clm::sleep_jitter(o.jitter.value_or(0));
  const auto r = clm::cert_update(s.settings.connection, s.registered(), req);
  const auto written = clm::write_answer_files(r, [&] { return clm::write_cert_answer(r.body, files); });
  report(r, o, devicename, written.written, "update certificate of " + devicename);
  written.rethrow();
  if (o.exec) {
    std::map<std::string, std::string> env{
      {"CLM_DEVICE", devicename},
      {"CLM_CERT_FILE", req.newfilepath},
      {"CLM_CERT_KEYNUMBER",
       clm::answer_name(r.body, "clientkeynumber", clm::Field::keynumber, clm::AnswerUse::value).value_or("")},
      {"CLM_CERT_SERIAL",
       clm::answer_name(r.body, "clientserial", clm::Field::certserial, clm::AnswerUse::value).value_or("")},
    };
    if (!files.key_name.empty()) {
      env["CLM_KEY_FILE"] = clm::cert_file_path(files.dir, files.key_name, "pem").string();
    }
    clm::run_program(*o.exec, env);
  }
}

void run_revoke(const Options& o)
{
  clm::Inputs in(std::cin, clm::stdin_is_terminal());
  const std::string devicename = clm::device_name(o.device, in);
  clm::CertRevoke req;
  req.target = target_of(o, in);
  if (o.in_dir || o.cert_name) {
    if (!o.in_dir || !o.cert_name) {
      throw clm::Error(clm::ExitCode::missing_parameter, "--in and --cert-name go together");
    }
    clm::check_file_name(*o.cert_name, "--cert-name");
    clm::check_out_dir(*o.in_dir, clm::k_max_file_name_bytes + 4, "--in");
    const auto current = existing_cert(*o.in_dir, *o.cert_name);
    req.filepath = (current ? *current : clm::cert_file_path(*o.in_dir, *o.cert_name, "pem")).string();
  }
  clm::DeviceSession s(o.conn, in, devicename, o.deviceid);
  const auto r = clm::cert_revoke(s.settings.connection, s.registered(), req);
  report(r, o, devicename, {}, "revoke certificate of " + devicename);
}

void run_inspect(const Options& o)
{
  const auto passphrase = read_passphrase(o);
  const auto now = std::chrono::system_clock::now();
  for (const auto& file : o.inspect_files) {
    const auto info = clm::inspect_certificate(clm::read_file(file), file, passphrase);
    clm::json j = clm::certificate_json(info, now);
    j["file"] = file;
    clm::write_json(std::cout, j, o.out.pretty ? clm::Pretty::yes : clm::Pretty::no);
  }
}

}  // namespace

int main(int argc, char** argv)
{
  Options o;
  o.exec = clm::take_trailing_command(argc, argv, "--exec");
  clm::StatusCommand status(clm::CredentialKind::certificate);
  const int result = clm::tool_main("clm-cert", "Issue, fetch, renew, revoke and inspect certificates from clm-server", argc,
                        argv, [&](CLI::App& app) {
    clm::add_connection_options(app, o.conn);
    clm::add_output_options(app, o.out);
    auto device = [&](CLI::App* sub) {
      sub->add_option("--device", o.device, "device name (1..64 bytes) [stdin: devicename]");
      sub->add_option("--deviceid", o.deviceid, "deviceid, when none is stored for the device [stdin: deviceid]");
    };
    auto target = [&](CLI::App* sub) {
      sub->add_option("--keynumber", o.keynumber, "key number of the certificate [stdin: keynumber]");
      sub->add_option("--serial", o.serial, "serial number of the certificate (hex) [stdin: certserial]");
    };
    auto passphrase = [&](CLI::App* sub) {
      sub->add_option("--passphrase-file", o.passphrase_file,
                      "file whose first line is the passphrase (private key, PKCS#12)");
    };

    auto* create = app.add_subcommand("create", "issue a certificate (or fetch the CA certificate)");
    create->add_option("--mode", o.mode, "caonly, client or server")->type_name("caonly|client|server")->required();
    device(create);
    create->add_option("--subject", o.subject, "subject /C=../ST=../L=../O=../OU=../CN=.. (client, server)");
    create->add_option("--catype", o.catype, "CA name: CA (caonly) or ca1 (client, server) by default");
    create->add_option("--ca-format", o.ca_format, "CA certificate format: pem (default) or der")->type_name("pem|der");
    create->add_option("--format", o.format, "certificate format: pem (default), der or p12")->type_name("pem|der|p12");
    passphrase(create);
    create->add_option("--out", o.out_dir, "absolute output directory")->type_name("DIR")->required();
    create->add_option("--ca-name", o.ca_name, "CA certificate file name without extension (cacert)");
    create->add_option("--cert-name", o.cert_name, "certificate file name (clcert / svcert)");
    create->add_option("--key-name", o.key_name, "private key file name (clkey / svkey)");
    create->add_option("--ip", o.ip, "the device's IP address");
    create->add_option("--mac", o.mac, "the device's MAC address (12:34:56:78:90:12, 12-34-... or 1234...)");
    create->add_option("--ext", o.ext, "extra device information KEY=VALUE (repeatable)");
    create->callback([&] { run_create(o); });

    auto* get = app.add_subcommand("get", "fetch an issued certificate again, in any format");
    device(get);
    target(get);
    get->add_option("--ca", o.catype, "CA of the certificate: ca1 (default) or CA for a CA certificate")->type_name("ca1|CA");
    get->add_option("--format", o.format, "pem (default), der or p12")->type_name("pem|der|p12");
    passphrase(get);
    get->add_option("--out", o.out_dir, "absolute output directory")->type_name("DIR")->required();
    get->add_option("--cert-name", o.cert_name, "certificate file name (cert)");
    get->add_option("--key-name", o.key_name, "private key file name (certkey)");
    get->callback([&] { run_get(o); });

    auto* update = app.add_subcommand("update", "renew a certificate (for cron: --within, --jitter, --exec)");
    device(update);
    target(update);
    update->add_option("--new-keynumber", o.new_keynumber, "adopt this existing certificate as the new one");
    update->add_option("--new-serial", o.new_serial, "adopt the existing certificate with this serial");
    update->add_option("--format", o.format, "format of the new certificate: pem (default), der or p12")->type_name("pem|der|p12");
    passphrase(update);
    update->add_option("--out", o.out_dir, "absolute directory of the current certificate")->type_name("DIR")->required();
    update->add_option("--cert-name", o.cert_name, "current certificate file name (cert)");
    update->add_option("--key-name", o.key_name, "new private key file name (from the certificate name)");
    update->add_option("--new-path", o.new_path, "directory for the new certificate (default: --out)")->type_name("DIR");
    update->add_option("--new-name", o.new_name, "file name of the new certificate (default: --cert-name)");
    update->add_option("--within", o.within, "renew only when at most DAYS remain (reads the current file)")
      ->check(CLI::Range(0L, 36500L));
    update->add_option("--jitter", o.jitter, "sleep up to SECONDS at random before calling the server")
      ->check(CLI::Range(0L, 86400L));
    // --exec PROGRAM [ARG...] is taken off the command line before parsing (see main).
    update->footer("  --exec PROGRAM [ARG...]     last on the line: run PROGRAM with ARGs (no shell) after a renewal");
    update->callback([&] { run_update(o); });

    auto* revoke = app.add_subcommand("revoke", "revoke a certificate");
    device(revoke);
    target(revoke);
    revoke->add_option("--in", o.in_dir, "absolute directory of the certificate file")->type_name("DIR");
    revoke->add_option("--cert-name", o.cert_name, "certificate file name, with --in");
    revoke->callback([&] { run_revoke(o); });

    auto* inspect = app.add_subcommand("inspect", "show subject, serial, validity and fingerprint of files (offline)");
    inspect->add_option("files", o.inspect_files, "certificate files (PEM, DER or PKCS#12)")->required();
    passphrase(inspect);
    inspect->callback([&] { run_inspect(o); });
    status.add(app, o.conn, o.out);
  }, status.failure_map());
  return status.exit_code(result);
}
