// clm-id: create, get, verify and delete ID/passwords on clm-server (/SWCLM/IDInfo).
#include "common_options.hpp"
#include "tool_main.hpp"

#include <clm/atomic_file.hpp>
#include <clm/error.hpp>
#include <clm/id_api.hpp>
#include <clm/state.hpp>

#include <iostream>

namespace {

struct Options {
  clm::ConnectionFlags conn;
  clm::OutputOptions out;
  std::optional<std::string> alias;
  std::optional<std::string> tenant;
  std::optional<std::string> keyid;
  std::optional<std::string> key_file;
};

clm::json with_changed(const clm::ApiResult& r, bool changed)
{
  clm::json out = clm::api_output(r);
  out["changed"] = changed;
  return out;
}

void run_create(const Options& o)
{
  clm::Inputs in(std::cin, clm::stdin_is_terminal());
  const std::string alias = in.require(o.alias, "alias", "--alias");
  const std::string tenant = in.extra(o.tenant, "tenantid").value_or(clm::k_default_tenantid);
  const auto settings = clm::tool_settings(o.conn);
  const auto r = clm::id_create(settings.connection, tenant, alias);
  clm::report_api_result(r, with_changed(r, r.ok()), o.out, "create ID");
}

void run_get(const Options& o)
{
  clm::Inputs in(std::cin, clm::stdin_is_terminal());
  const std::string keyid = in.require(o.keyid, "keyid", "--keyid");
  const auto settings = clm::tool_settings(o.conn);
  const auto r = clm::id_get(settings.connection, keyid);
  clm::json out = with_changed(r, false);
  out["keyid"] = keyid;
  clm::report_api_result(r, out, o.out, "get ID " + keyid);
  const clm::json* keyinfo = clm::answer_array(r.body, "keyinfo");
  if (!keyinfo || keyinfo->empty()) {
    std::cerr << "clm-id: note: the server holds no valid ID " << keyid << '\n';
  }
}

// Return the credential to act on: --keyid/--key-file, else stdin keyid/key, else the
// stored pair. A key from one place is never paired with a keyid from another.
clm::IdCredential credential_from(const Options& o, clm::Inputs& in, const clm::StateDir& state)
{
  auto keyid = in.optional(o.keyid, "keyid");
  std::optional<std::string> key;
  if (o.key_file) {
    key = clm::read_secret_file(*o.key_file);
  } else {
    key = in.optional(std::nullopt, "key");
  }
  if (!keyid && !key) {
    if (auto stored = state.load_id()) {
      return *stored;
    }
  }
  if (!keyid) {
    throw clm::Error(clm::ExitCode::missing_parameter,
                     "missing --keyid (not given, not on stdin, and nothing stored in " + state.path().string() + ")");
  }
  if (!key) {
    throw clm::Error(clm::ExitCode::missing_parameter,
                     "missing the password: give --key-file FILE or a \"key\" field on stdin");
  }
  clm::IdCredential cred{*keyid, *key};
  clm::check_credential(cred, "--keyid", o.key_file ? *o.key_file : "stdin key");
  return cred;
}

void run_verify(const Options& o)
{
  const auto settings = clm::tool_settings(o.conn);
  clm::StateDir state(settings.state_dir);
  clm::Inputs in(std::cin, clm::stdin_is_terminal());
  const auto cred = credential_from(o, in, state);
  state.lock();
  const auto r = clm::id_auth(settings.connection, cred);
  bool changed = false;
  if (r.ok()) {
    changed = state.save_id(cred);
  }
  clm::json out = with_changed(r, changed);
  out["keyid"] = cred.keyid;
  if (changed) {
    out["files"] = clm::json::array({state.id_file().string()});
  }
  clm::report_api_result(r, out, o.out, "verify ID " + cred.keyid);
}

void run_delete(const Options& o)
{
  const auto settings = clm::tool_settings(o.conn);
  clm::StateDir state(settings.state_dir);
  clm::Inputs in(std::cin, clm::stdin_is_terminal());
  const auto cred = credential_from(o, in, state);
  state.lock();
  const auto r = clm::id_delete(settings.connection, cred);
  clm::json out = with_changed(r, r.ok());
  out["keyid"] = cred.keyid;
  if (r.ok()) {
    out["forgotten"] = state.forget_id(cred.keyid);
  }
  clm::report_api_result(r, out, o.out, "delete ID " + cred.keyid);
}

}  // namespace

int main(int argc, char** argv)
{
  Options o;
  return clm::tool_main("clm-id", "Create, get, verify and delete ID/passwords on clm-server", argc, argv,
                        [&](CLI::App& app) {
    clm::add_connection_options(app, o.conn);
    clm::add_output_options(app, o.out);

    auto* create = app.add_subcommand("create", "issue a new ID/password");
    create->add_option("--alias", o.alias, "alias of the ID (1..64 bytes) [stdin: alias]");
    create->add_option("--tenant", o.tenant, "tenant ID (default TenantA) [stdin: tenantid]");
    create->callback([&] { run_create(o); });

    auto* get = app.add_subcommand("get", "show an ID/password the server holds");
    get->add_option("--keyid", o.keyid, "the ID [stdin: keyid]");
    get->callback([&] { run_get(o); });

    auto* verify = app.add_subcommand("verify", "check an ID/password and store it for the other tools");
    verify->add_option("--keyid", o.keyid, "the ID [stdin: keyid; else the stored one]");
    verify->add_option("--key-file", o.key_file, "file whose first line is the password [stdin: key]");
    verify->callback([&] { run_verify(o); });

    auto* del = app.add_subcommand("delete", "delete an ID/password on the server and forget it here");
    del->add_option("--keyid", o.keyid, "the ID [stdin: keyid; else the stored one]");
    del->add_option("--key-file", o.key_file, "file whose first line is the password [stdin: key]");
    del->callback([&] { run_delete(o); });
  });
}
