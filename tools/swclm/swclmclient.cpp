// SWCLMCLIENT: the original product's ID/key command (command reference chapters 3 and
// 4) on libclm: its subcommands, single-dash options and -ext-data items, its result
// block on stdout, /tmp/swclm-result.json and the log line of every run.
#include "common_options.hpp"
#include "completion.hpp"
#include "device_session.hpp"

#include <clm/cert_api.hpp>
#include <clm/cert_files.hpp>
#include <clm/error.hpp>
#include <clm/id_api.hpp>
#include <clm/key_api.hpp>
#include <clm/key_files.hpp>
#include <clm/process.hpp>
#include <clm/swclm_args.hpp>
#include <clm/swclm_command.hpp>
#include <clm/swclm_result.hpp>
#include <clm/text.hpp>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <signal.h>
#include <unistd.h>

namespace {

constexpr const char* k_name = "SWCLMCLIENT";

// What a run did, whatever its end: the answer, when one came, and where it came from.
struct Outcome {
  std::string endpoint;
  std::optional<clm::ApiResult> answer;
  std::string passphrase_line;  // -passphrasetype: printed after a successful call
};

// Return the connection, state and ID a device-bound subcommand works with.
std::unique_ptr<clm::DeviceSession> device_session(const clm::SwclmArgs& args, const std::string& devicename,
                                                   Outcome& out)
{
  clm::Inputs none(std::cin, true);  // every value comes from the command line
  std::unique_ptr<clm::DeviceSession> s;
  try {
    s = std::make_unique<clm::DeviceSession>(clm::swclm_connection_flags(args), none, devicename, std::nullopt);
  } catch (const clm::Error& e) {
    throw clm::swclm_option_error(e);
  }
  out.endpoint = s->settings.connection.endpoints.front().text();
  return s;
}

// A local certificate or key file that an update or check uses must still match its
// sidecar: exit 15 before anything is sent (as clm-cert and clm-key do).
void check_before_use(const clm::SwclmArgs& args, const std::filesystem::path& file)
{
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    clm::check_local_file(clm::swclm_connection_flags(args), file);
  }
}

clm::Settings id_settings(const clm::SwclmArgs& args, Outcome& out)
{
  clm::Settings s;
  try {
    s = clm::tool_settings(clm::swclm_connection_flags(args));
  } catch (const clm::Error& e) {
    throw clm::swclm_option_error(e);
  }
  out.endpoint = s.connection.endpoints.front().text();
  return s;
}

// Keep the answer; throw Error(http_error) when the call failed.
void keep(Outcome& out, const clm::ApiResult& r, const std::string& what)
{
  out.answer = r;
  if (!r.ok()) {
    clm::throw_api_failure(r, what);
  }
}

void run_id(const clm::SwclmArgs& args, Outcome& out)
{
  const std::string& sub = args.subcommand;
  if (sub == "idcreate") {
    const auto req = clm::swclm_id_create(args);
    const auto settings = id_settings(args, out);
    keep(out, clm::id_create(settings.connection, req.tenantid, req.alias), "create ID");
  } else if (sub == "idget") {
    const std::string keyid = clm::swclm_keyid(args);
    const auto settings = id_settings(args, out);
    keep(out, clm::id_get(settings.connection, keyid), "get ID " + keyid);
  } else {
    const auto cred = clm::swclm_id_credential(args);
    const auto settings = id_settings(args, out);
    clm::StateDir state(settings.state_dir);
    state.lock();
    if (sub == "idverify") {
      const auto r = clm::id_auth(settings.connection, cred);
      keep(out, r, "verify ID " + cred.keyid);
      // The other commands (and the clm-* tools) call the server with this ID.
      state.save_id(cred);
    } else {
      const auto r = clm::id_delete(settings.connection, cred);
      keep(out, r, "delete ID " + cred.keyid);
      state.forget_id(cred.keyid);
    }
  }
}

void run_cert(const clm::SwclmArgs& args, Outcome& out)
{
  const std::string& sub = args.subcommand;
  if (sub == "certcreate") {
    const auto passphrase = clm::swclm_passphrase(args);
    const auto plan = clm::swclm_cert_create(args, passphrase);
    auto s = device_session(args, plan.devicename, out);
    const auto r = clm::cert_create(s->settings.connection, s->caller, plan.request);
    if (r.ok()) {
      s->remember_device(r);
    }
    keep(out, r, "create " + plan.request.certmode + " certificate for " + plan.devicename);
    clm::write_cert_answer(r.body, plan.files);
    out.passphrase_line = clm::swclm_passphrase_line(passphrase);
  } else if (sub == "certget") {
    const auto plan = clm::swclm_cert_get(args, clm::swclm_passphrase(args));
    auto s = device_session(args, plan.devicename, out);
    const auto r = clm::cert_get(s->settings.connection, s->registered(), plan.request);
    keep(out, r, "get certificate of " + plan.devicename);
    clm::write_cert_answer(r.body, plan.files);
  } else if (sub == "certupdate") {
    const auto plan = clm::swclm_cert_update(args, clm::swclm_passphrase(args));
    check_before_use(args, plan.request.filepath);
    auto s = device_session(args, plan.devicename, out);
    const auto r = clm::cert_update(s->settings.connection, s->registered(), plan.request);
    keep(out, r, "update certificate of " + plan.devicename);
    clm::write_cert_answer(r.body, plan.files);
  } else {
    const auto plan = clm::swclm_cert_revoke(args);
    auto s = device_session(args, plan.devicename, out);
    keep(out, clm::cert_revoke(s->settings.connection, s->registered(), plan.request),
         "revoke certificate of " + plan.devicename);
  }
}

void run_key(const clm::SwclmArgs& args, Outcome& out)
{
  const std::string& sub = args.subcommand;
  if (sub == "cmkeycreate") {
    const auto plan = clm::swclm_key_create(args);
    auto s = device_session(args, plan.devicename, out);
    const auto r = clm::key_create(s->settings.connection, s->caller, plan.request);
    if (r.ok()) {
      s->remember_device(r);
    }
    keep(out, r, "create " + plan.request.keytype + " key for " + plan.devicename);
    plan.writer.write(r, plan.path);
  } else if (sub == "cmkeyget") {
    const auto plan = clm::swclm_key_get(args);
    auto s = device_session(args, plan.devicename, out);
    const auto r = clm::key_get(s->settings.connection, s->registered(), plan.request);
    keep(out, r, "get key of " + plan.devicename);
    plan.writer.write(r, plan.path);
  } else if (sub == "cmkeyupdate") {
    const auto plan = clm::swclm_key_update(args);
    check_before_use(args, plan.request.filepath);
    auto s = device_session(args, plan.devicename, out);
    const auto r = clm::key_update(s->settings.connection, s->registered(), plan.request);
    keep(out, r, "update key of " + plan.devicename);
    // The new file replaces the old one atomically, or sits beside it.
    plan.writer.write(r, plan.path);
  } else if (sub == "cmkeydelete") {
    const auto plan = clm::swclm_key_check(args, clm::SwclmKeyCheckMode::delete_key);
    check_before_use(args, plan.path);
    auto s = device_session(args, plan.devicename, out);
    keep(out, clm::key_delete(s->settings.connection, s->registered(), plan.request),
         "delete key " + plan.request.keynumber + " of " + plan.devicename);
    // The server no longer knows the key: the local copy goes too, as clm-key delete does.
    clm::remove_key_file(plan.path);
  } else {
    const auto plan = clm::swclm_key_check(args, clm::SwclmKeyCheckMode::verify_key);
    check_before_use(args, plan.path);
    auto s = device_session(args, plan.devicename, out);
    keep(out, clm::key_auth(s->settings.connection, s->registered(), plan.request),
         "verify key " + plan.request.keynumber + " of " + plan.devicename);
  }
}

void run(const clm::SwclmArgs& args, Outcome& out)
{
  if (args.subcommand.rfind("id", 0) == 0) {
    run_id(args, out);
  } else if (args.subcommand.rfind("cert", 0) == 0) {
    run_cert(args, out);
  } else {
    run_key(args, out);
  }
}

void print_help()
{
  std::cout << "Usage: SWCLMCLIENT SUBCOMMAND -host HOST [-port PORT] [-p-host HOST -p-port PORT] [-timeout SECONDS]\n"
               "                   -ext-data KEY=\"VALUE\",... [OPTIONS]\n"
               "Subcommands: idcreate idget idverify iddelete certcreate certget certupdate certrevoke\n"
               "             cmkeycreate cmkeyget cmkeyupdate cmkeydelete cmkeyverify\n"
               "Options: -mode -cacerttype -certtype -passphrase -passphrase-file -passphrasetype\n"
               "         -outpath (-outputpath) -cacertname -certname -certkeyname\n"
            << clm::k_completion_help << "\n"
            << "See SWCLMCLIENT(1).\n";
}

}  // namespace

int main(int argc, char** argv)
{
  ::signal(SIGPIPE, SIG_IGN);
  // Not a run of a subcommand: no result block, no log line.
  try {
    if (const auto shell = clm::completion_request(argc, argv)) {
      std::cout << clm::completion_script(clm::swclmclient_completion(), *shell);
      return 0;
    }
  } catch (const clm::Error& e) {
    std::cerr << k_name << ": error: " << clm::log_safe(e.what()) << '\n';
    return static_cast<int>(e.code());
  }
  Outcome out;
  std::string subcommand;
  int code = 0;
  std::string message;
  try {
    clm::disable_core_dumps();
    const auto args = clm::parse_swclm_args(std::vector<std::string>(argv + 1, argv + argc));
    if (args.ask == clm::SwclmAsk::help) {
      print_help();
      return 0;
    }
    if (args.ask == clm::SwclmAsk::version) {
      std::cout << k_name << " " CLM_VERSION "\n";
      return 0;
    }
    subcommand = args.subcommand;
    run(args, out);
  } catch (const clm::Error& e) {
    code = static_cast<int>(e.code());
    message = e.what();
  } catch (const std::exception& e) {
    code = static_cast<int>(clm::ExitCode::internal);
    message = std::string("internal: ") + e.what();
  }
  if (out.answer) {
    // The server's answer is how a script learns key numbers and serials: not keeping
    // it is a failure of the run.
    const char* env = std::getenv("SWCLM_RESULT_FILE");
    const std::string path = env && *env ? env : clm::k_swclm_result_file;
    try {
      clm::write_swclm_result(path, out.answer->body);
    } catch (const clm::Error& e) {
      if (code == 0) {
        code = static_cast<int>(e.code());
        message = e.what();
      }
    }
  }
  if (code == 0 && !out.passphrase_line.empty()) {
    std::cout << out.passphrase_line << '\n';
  }
  const clm::SwclmBlock block = clm::swclm_block_of(out.answer.value_or(clm::ApiResult{}), code, "");
  std::cout << clm::format_swclm_block(block) << std::flush;
  if (code != 0) {
    std::cerr << k_name << ": error: " << clm::log_safe(message) << '\n';
  }
  const char* log_env = std::getenv("SWCLM_LOG_FILE");
  const std::string log_path = log_env && *log_env ? log_env : clm::k_swclm_log_file;
  clm::append_swclm_log(log_path, clm::swclm_log_line(std::chrono::system_clock::now(), static_cast<long>(::getpid()),
                                                      subcommand, out.endpoint, block, message));
  return code;
}
