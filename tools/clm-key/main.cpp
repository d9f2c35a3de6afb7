// clm-key: issue, fetch, rotate, delete and verify common keys (/SWCLM/KeyInfo).
#include "common_options.hpp"
#include "device_session.hpp"
#include "status_command.hpp"
#include "tool_main.hpp"

#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/key_api.hpp>
#include <clm/key_files.hpp>
#include <clm/output_files.hpp>
#include <clm/process.hpp>
#include <clm/validate.hpp>

#include <iostream>
#include <tuple>
#include <utility>

namespace {

namespace fs = std::filesystem;

struct Options {
  clm::ConnectionFlags conn;
  clm::OutputOptions out;
  std::optional<std::string> device;
  std::optional<std::string> deviceid;
  std::optional<std::string> alias;
  std::optional<std::string> type;
  std::optional<std::string> length;
  std::optional<std::string> out_dir;
  std::optional<std::string> in_dir;
  std::optional<std::string> name;
  std::string encoding = "raw";
  bool encoding_given = false;
  bool lightcipher = false;
  std::optional<std::string> twinecmd;
  std::optional<std::string> ip;
  std::optional<std::string> mac;
  std::vector<std::string> ext;
  std::optional<std::string> keynumber;
  std::optional<std::string> new_keynumber;
  std::optional<std::string> new_alias;
  std::optional<std::string> set_alias;
  std::optional<std::string> new_path;
  std::optional<std::string> new_name;
  bool expired = false;
  bool twine_otr = false;
  bool if_due = false;
  std::optional<long> jitter;
  std::optional<std::vector<std::string>> exec;  // --exec PROGRAM [ARG...]: after a rotation
};

std::optional<std::string> checked_alias(const std::optional<std::string>& alias, const std::string& option)
{
  if (alias) {
    clm::check_option(clm::field_problem(clm::Field::alias, clm::Side::tool, *alias), option);
  }
  return alias;
}

std::optional<std::string> checked_keynumber(const std::optional<std::string>& n, const std::string& option)
{
  if (n) {
    clm::check_option(clm::field_problem(clm::Field::keynumber, clm::Side::tool, *n), option);
  }
  return n;
}

// Return --keynumber and --alias (else keynumber from stdin); exit 4 when neither is given.
std::pair<std::optional<std::string>, std::optional<std::string>> key_target(const Options& o, clm::Inputs& in)
{
  auto keynumber = checked_keynumber(o.keynumber, "--keynumber");
  auto alias = checked_alias(o.alias, "--alias");
  if (!keynumber && !alias) {
    keynumber = checked_keynumber(in.optional(std::nullopt, "keynumber"), "keynumber (stdin)");
  }
  if (!keynumber && !alias) {
    throw clm::Error(clm::ExitCode::missing_parameter, "missing --keynumber or --alias (or keynumber on stdin)");
  }
  return {keynumber, alias};
}

// Moved into libclm (key_files.hpp), shared with SWCLMCLIENT.
using clm::key_path;

// How key files are written: clm::KeyWriter from this tool's options.
struct KeyWriter : clm::KeyWriter {
  explicit KeyWriter(const Options& o)
    : clm::KeyWriter(o.encoding, o.encoding_given ? clm::EncodingGiven::yes : clm::EncodingGiven::no,
                     o.lightcipher ? clm::UseLightcipher::yes : clm::UseLightcipher::no, o.twinecmd)
  {
  }
};

void report(const clm::ApiResult& r, const Options& o, const std::string& devicename, const std::string& file,
            const std::vector<std::string>& files, const std::string& what)
{
  clm::report_api_result(r, clm::key_output(r, devicename, file, files), o.out, what);
}

void run_create(const Options& o)
{
  clm::Inputs in(std::cin, clm::stdin_is_terminal());
  const std::string devicename = clm::device_name(o.device, in);
  clm::KeyCreate req;
  req.alias = *checked_alias(o.alias, "--alias");
  req.keytype = o.type.value_or("");
  clm::check_option(clm::keytype_problem(req.keytype), "--type");
  req.keylength = o.length.value_or("128");
  clm::check_option(clm::keylength_problem(req.keytype, req.keylength), "--length");
  if (o.lightcipher && (req.keytype != "TWINE" || req.keylength != "128")) {
    throw clm::Error(clm::ExitCode::bad_parameter, "--lightcipher: only for --type TWINE --length 128");
  }
  const KeyWriter writer(o);
  const fs::path path = key_path(o.out_dir, "--out", o.name, "--name");
  req.commonkeyfilepath = path.string();
  req.device = {o.ip, o.mac, clm::parse_ext_data(o.ext)};

  clm::DeviceSession s(o.conn, in, devicename, o.deviceid);
  const auto r = clm::key_create(s.settings.connection, s.caller, req);
  if (r.ok()) {
    s.remember_device(r);
  }
  const auto files = clm::write_answer_files(r, [&] { return writer.write(r, path); });
  report(r, o, devicename, path.string(), files.written, "create " + req.keytype + " key for " + devicename);
  files.rethrow();
}

void run_get(const Options& o)
{
  clm::Inputs in(std::cin, clm::stdin_is_terminal());
  const std::string devicename = clm::device_name(o.device, in);
  clm::KeyGet req;
  std::tie(req.keynumber, req.alias) = key_target(o, in);
  req.expiredkey = o.expired;
  const KeyWriter writer(o);
  const fs::path path = key_path(o.out_dir, "--out", o.name, "--name");
  req.filepath = path.string();

  clm::DeviceSession s(o.conn, in, devicename, o.deviceid);
  const auto r = clm::key_get(s.settings.connection, s.registered(), req);
  const auto files = clm::write_answer_files(r, [&] { return writer.write(r, path); });
  report(r, o, devicename, path.string(), files.written, "get key of " + devicename);
  files.rethrow();
}

void run_update(const Options& o)
{
  clm::Inputs in(std::cin, clm::stdin_is_terminal());
  const std::string devicename = clm::device_name(o.device, in);
  clm::KeyUpdate req;
  std::tie(req.keynumber, req.oldalias) = key_target(o, in);
  req.newkeynumber = checked_keynumber(o.new_keynumber, "--new-keynumber");
  req.newalias = checked_alias(o.new_alias, "--new-alias");
  if (req.newkeynumber && req.newalias) {
    throw clm::Error(clm::ExitCode::bad_parameter, "--new-keynumber and --new-alias: give one");
  }
  req.alias = checked_alias(o.set_alias, "--set-alias");
  const KeyWriter writer(o);
  const fs::path old_path = key_path(o.out_dir, "--out", o.name, "--name");
  const std::string new_name = clm::file_name_or(o.new_name, old_path.filename().string(), "--new-name");
  const fs::path new_path = key_path(o.new_path.value_or(*o.out_dir), "--new-path", new_name, "--new-name");
  req.filepath = old_path.string();
  req.newfilepath = new_path.string();
  clm::check_local_file(o.conn, old_path);
  if (o.length) {
    if (writer.lightcipher && *o.length != "128") {
      throw clm::Error(clm::ExitCode::bad_parameter, "--lightcipher: only for 128-bit keys, not --length " + *o.length);
    }
    req.keylength = o.length;
  } else if (!req.newkeynumber && !req.newalias && !writer.lightcipher) {
    // A new key keeps the length of the current one (the server's default is 128 bits).
    std::error_code ec;
    if (fs::is_regular_file(old_path, ec)) {
      req.keylength = std::to_string(clm::read_key_file(old_path, writer.encoding).size() * 8);
    }
  }

  clm::DeviceSession s(o.conn, in, devicename, o.deviceid);
  if (o.if_due) {
    // Ask the server about the current key first (nothing is written): its group's
    // policy says whether it is due ("rotation": "due").
    clm::KeyGet current;
    current.keynumber = req.keynumber;
    current.alias = req.oldalias;
    current.filepath = req.filepath;
    const auto got = clm::key_get(s.settings.connection, s.registered(), current);
    if (!got.ok()) {
      report(got, o, devicename, old_path.string(), {}, "get key of " + devicename + " (--if-due)");
    }
    if (clm::answer_string(got.body, "rotation") != "due") {
      const auto keynumber = clm::answer_name(got.body, "keynumber", clm::Field::keynumber, clm::AnswerUse::value);
      clm::write_json(std::cout,
                      clm::json{{"errorcode", 0}, {"devicename", devicename}, {"changed", false},
                                {"keynumber", keynumber.value_or(req.keynumber.value_or(""))},
                                {"files", clm::json::array()}},
                      o.out.pretty ? clm::Pretty::yes : clm::Pretty::no);
      return;
    }
  }
  clm::sleep_jitter(o.jitter.value_or(0));
  const auto r = clm::key_update(s.settings.connection, s.registered(), req);
  // The new file replaces the old one atomically, or sits beside it.
  const auto files = clm::write_answer_files(r, [&] { return writer.write(r, new_path); });
  report(r, o, devicename, new_path.string(), files.written, "update key of " + devicename);
  files.rethrow();
  if (o.exec) {
    clm::run_program(*o.exec, {{"CLM_DEVICE", devicename},
                               {"CLM_KEY_FILE", new_path.string()},
                               {"CLM_KEY_NUMBER", clm::answer_name(r.body, "keynumber", clm::Field::keynumber,
                                                                   clm::AnswerUse::value)
                                                    .value_or("")}});
  }
}

// The key file delete and verify work on: --in/--name, else file from stdin.
fs::path existing_key_path(const Options& o, clm::Inputs& in)
{
  if (o.in_dir) {
    return key_path(o.in_dir, "--in", o.name, "--name");
  }
  if (auto file = in.optional(std::nullopt, "file")) {
    const fs::path p = *file;
    clm::check_file_name(p.filename().string(), "file (stdin)");
    clm::check_out_dir(p.parent_path(), p.filename().string().size(), "file (stdin)");
    return p;
  }
  throw clm::Error(clm::ExitCode::missing_parameter, "missing --in DIR (or file on stdin)");
}

std::string required_keynumber(const Options& o, clm::Inputs& in)
{
  auto n = checked_keynumber(o.keynumber, "--keynumber");
  if (!n) {
    n = checked_keynumber(in.optional(std::nullopt, "keynumber"), "keynumber (stdin)");
  }
  if (!n) {
    throw clm::Error(clm::ExitCode::missing_parameter, "missing --keynumber (or keynumber on stdin)");
  }
  return *n;
}

void run_delete(const Options& o)
{
  clm::Inputs in(std::cin, clm::stdin_is_terminal());
  const std::string devicename = clm::device_name(o.device, in);
  clm::KeyCheck req;
  req.keynumber = required_keynumber(o, in);
  const fs::path path = existing_key_path(o, in);
  req.filepath = path.string();
  clm::check_local_file(o.conn, path);
  req.commonkey = clm::read_key_file(path, clm::parse_key_encoding(o.encoding, "--encoding"));

  clm::DeviceSession s(o.conn, in, devicename, o.deviceid);
  const auto r = clm::key_delete(s.settings.connection, s.registered(), req);
  clm::json out = clm::key_output(r, devicename, path.string(), {});
  if (r.ok()) {
    // The server no longer knows the key: the local copy goes too.
    out["removed"] = clm::remove_key_file(path);
  }
  clm::report_api_result(r, out, o.out, "delete key " + req.keynumber + " of " + devicename);
}

void run_verify(const Options& o)
{
  clm::Inputs in(std::cin, clm::stdin_is_terminal());
  const std::string devicename = clm::device_name(o.device, in);
  clm::KeyCheck req;
  req.keynumber = required_keynumber(o, in);
  const fs::path path = existing_key_path(o, in);
  req.filepath = path.string();
  clm::check_local_file(o.conn, path);
  const std::string key = clm::read_key_file(path, clm::parse_key_encoding(o.encoding, "--encoding"));
  if (o.twine_otr) {
    req.encdata = clm::twine_otr_encdata(key, devicename, path, "--twine-otr");
  } else {
    req.commonkey = key;
  }

  clm::DeviceSession s(o.conn, in, devicename, o.deviceid);
  const auto r = clm::key_auth(s.settings.connection, s.registered(), req);
  clm::json out = clm::key_output(r, devicename, path.string(), {});
  out["changed"] = false;
  out["verified"] = r.ok();
  clm::report_api_result(r, out, o.out, "verify key " + req.keynumber + " of " + devicename);
}

}  // namespace

int main(int argc, char** argv)
{
  Options o;
  o.exec = clm::take_trailing_command(argc, argv, "--exec");
  clm::StatusCommand status(clm::CredentialKind::key);
  const int result = clm::tool_main("clm-key", "Issue, fetch, rotate, delete and verify common keys with clm-server", argc,
                        argv, [&](CLI::App& app) {
    clm::add_connection_options(app, o.conn);
    clm::add_output_options(app, o.out);
    auto device = [&](CLI::App* sub) {
      sub->add_option("--device", o.device, "device name (1..64 bytes) [stdin: devicename]");
      sub->add_option("--deviceid", o.deviceid, "deviceid, when none is stored for the device [stdin: deviceid]");
    };
    auto encoding = [&](CLI::App* sub) {
      sub->add_option("--encoding", o.encoding, "key file encoding: raw (default), hex or base64")->type_name("raw|hex|base64")
        ->each([&](const std::string&) { o.encoding_given = true; });
    };
    auto lightcipher = [&](CLI::App* sub) {
      sub->add_flag("--lightcipher", o.lightcipher,
                    "have the lightcipher command write the key file (TWINE-128 keys)");
      sub->add_option("--twinecmd", o.twinecmd, "lightcipher command (default /opt/nec/twine-otr/bin/lightcipher64)");
    };
    auto name = [&](CLI::App* sub) {
      sub->add_option("--name", o.name, "key file name (cmkey)");
    };

    auto* create = app.add_subcommand("create", "issue a new key");
    device(create);
    create->add_option("--alias", o.alias, "alias of the key (1..64 bytes)")->required();
    create->add_option("--type", o.type, "AES or TWINE")->type_name("AES|TWINE")->required();
    create->add_option("--length", o.length, "bits: 128 (default) or 256 for AES, 80 or 128 for TWINE");
    create->add_option("--out", o.out_dir, "absolute output directory")->type_name("DIR")->required();
    name(create);
    encoding(create);
    lightcipher(create);
    create->add_option("--ip", o.ip, "the device's IP address");
    create->add_option("--mac", o.mac, "the device's MAC address (12:34:56:78:90:12, 12-34-... or 1234...)");
    create->add_option("--ext", o.ext, "extra device information KEY=VALUE (repeatable)");
    create->callback([&] { run_create(o); });

    auto* get = app.add_subcommand("get", "fetch a key by number or by alias (the newest with it)");
    device(get);
    get->add_option("--keynumber", o.keynumber, "key number [stdin: keynumber]");
    get->add_option("--alias", o.alias, "alias: the key with the largest number carrying it");
    get->add_option("--out", o.out_dir, "absolute output directory")->type_name("DIR")->required();
    name(get);
    encoding(get);
    lightcipher(get);
    get->add_flag("--expired", o.expired, "also return an expired key");
    get->callback([&] { run_get(o); });

    auto* update = app.add_subcommand("update", "replace a key with a new or an existing one");
    device(update);
    update->add_option("--keynumber", o.keynumber, "key number of the current key [stdin: keynumber]");
    update->add_option("--alias", o.alias, "the newest key with this alias bound to the device");
    update->add_option("--new-keynumber", o.new_keynumber, "adopt this existing key as the new one");
    update->add_option("--new-alias", o.new_alias, "adopt the newest key with this alias");
    update->add_option("--set-alias", o.set_alias, "give the new key this alias");
    update->add_option("--length", o.length, "bits of a new key (default: the current key's)");
    update->add_option("--out", o.out_dir, "absolute directory of the current key file")->type_name("DIR")->required();
    name(update);
    update->add_option("--new-path", o.new_path, "directory for the new key (default: --out)")->type_name("DIR");
    update->add_option("--new-name", o.new_name, "file name of the new key (default: --name)");
    encoding(update);
    lightcipher(update);
    update->add_flag("--if-due", o.if_due,
                     "rotate only when the server says the key is due (its group's rotate_days)");
    update->add_option("--jitter", o.jitter, "sleep up to SECONDS at random before rotating")
      ->check(CLI::Range(0L, 86400L));
    // --exec PROGRAM [ARG...] is taken off the command line before parsing (see main).
    update->footer("  --exec PROGRAM [ARG...]     last on the line: run PROGRAM with ARGs (no shell) after a rotation");
    update->callback([&] { run_update(o); });

    auto* del = app.add_subcommand("delete", "delete a key on the server, then its local file");
    device(del);
    del->add_option("--keynumber", o.keynumber, "key number [stdin: keynumber]");
    del->add_option("--in", o.in_dir, "absolute directory of the key file [stdin: file]")->type_name("DIR");
    name(del);
    encoding(del);
    del->callback([&] { run_delete(o); });

    auto* verify = app.add_subcommand("verify", "have the server confirm the key file holds its key");
    device(verify);
    verify->add_option("--keynumber", o.keynumber, "key number [stdin: keynumber]");
    verify->add_option("--in", o.in_dir, "absolute directory of the key file [stdin: file]")->type_name("DIR");
    name(verify);
    encoding(verify);
    verify->add_flag("--twine-otr", o.twine_otr,
                     "prove the key without sending it: the device name sealed with TWINE-OTR (TWINE-128)");
    verify->callback([&] { run_verify(o); });
    status.add(app, o.conn, o.out);
  }, status.failure_map());
  return status.exit_code(result);
}
