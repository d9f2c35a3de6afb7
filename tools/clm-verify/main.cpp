// clm-verify: check files against their .sha256 and .hmac sidecars, offline.
#include "tool_main.hpp"

#include <clm/config.hpp>
#include <clm/error.hpp>
#include <clm/json_io.hpp>
#include <clm/sidecar_verify.hpp>
#include <clm/state.hpp>

#include <iostream>

namespace {

namespace fs = std::filesystem;

struct Options {
  std::vector<std::string> paths;
  std::optional<std::string> hmac_key_file;
  clm::ConnectionFlags conn;  // only --config and --state-dir: where the default HMAC key is
  bool pretty = false;
  bool recursive = false;
};

// Return the key for .hmac sidecars: --hmac-key-file (which must be readable), else
// STATE_DIR/hmac.key when it can be read; else why there is none, said only when a
// .hmac sidecar turns up, so a run that checks .sha256 files needs no key.
clm::VerifyOptions verify_options(const Options& o)
{
  clm::VerifyOptions v;
  v.recursive = o.recursive ? clm::Recursive::yes : clm::Recursive::no;
  try {
    const fs::path key_file = o.hmac_key_file
                                ? fs::path(*o.hmac_key_file)
                                : clm::StateDir(clm::resolve_state_dir(o.conn, clm::process_env())).hmac_key_file();
    auto key = clm::read_hmac_key(key_file);
    if (!key) {
      throw clm::Error(clm::ExitCode::file_read,
                       key_file.string() + " does not exist" + (o.hmac_key_file ? "" : " (or give --hmac-key-file)"));
    }
    if (key->exposed) {
      std::cerr << clm::tool_name() << ": warning: " << key_file.string()
                << " can be read by other users: chmod 600 it\n";
    }
    v.hmac_key = std::move(key->key);
  } catch (const clm::Error& e) {
    if (o.hmac_key_file) {
      throw clm::Error(e.code(), std::string("--hmac-key-file: ") + e.what());
    }
    v.hmac_key_problem = e.what();
  }
  return v;
}

clm::json check_json(const clm::FileCheck& c)
{
  clm::json j{{"file", c.file}, {"ok", c.status == clm::CheckStatus::ok}};
  j["sidecar"] = c.sidecar.empty() ? clm::json(nullptr) : clm::json(c.sidecar);
  j["kind"] = !c.kind ? clm::json(nullptr) : clm::json(*c.kind == clm::DigestKind::sha256 ? "sha256" : "hmac");
  if (c.status != clm::CheckStatus::ok) {
    j["error"] = c.error;
  }
  return j;
}

// Print one stderr line for a failed check: "tampered: FILE (sidecar S)" for a changed
// file, with the reason for a malformed sidecar or a file that could not be read.
void complain(const clm::FileCheck& c)
{
  const std::string sidecar = c.sidecar.empty() ? "" : " (sidecar " + c.sidecar + ")";
  switch (c.status) {
  case clm::CheckStatus::ok: return;
  case clm::CheckStatus::mismatch: std::cerr << clm::tool_name() << ": tampered: " << c.file << sidecar << '\n'; return;
  case clm::CheckStatus::malformed:
    std::cerr << clm::tool_name() << ": tampered: " << c.file << sidecar << ": " << c.error << '\n';
    return;
  case clm::CheckStatus::unreadable:
    std::cerr << clm::tool_name() << ": cannot check: " << c.file << sidecar << ": " << c.error << '\n';
    return;
  }
}

void run(const Options& o)
{
  const clm::VerifyOptions v = verify_options(o);
  const clm::Pretty pretty = o.pretty ? clm::Pretty::yes : clm::Pretty::no;
  const auto summary = clm::verify_paths(o.paths, v, [&](const clm::FileCheck& c) {
    // No flush per line: with 20,000 small files a write per line would be most of the run.
    std::cout << clm::dump_json(check_json(c), pretty) << '\n';
    complain(c);
  });
  std::cout.flush();
  const auto code = summary.exit_code();
  if (code == clm::ExitCode::ok) {
    return;
  }
  std::string what;
  if (summary.unreadable > 0) {
    what = std::to_string(summary.unreadable) + " of " + std::to_string(summary.checked) + " checks could not be made";
  }
  if (summary.tampered > 0) {
    what += (what.empty() ? "" : ", ") + std::to_string(summary.tampered) + " of "
            + std::to_string(summary.checked) + " files do not match their sidecars";
  }
  throw clm::Error(code, what);
}

}  // namespace

int main(int argc, char** argv)
{
  std::ios::sync_with_stdio(false);
  Options o;
  return clm::tool_main("clm-verify", "Check files against their .sha256 and .hmac sidecars (offline)", argc, argv,
                        [&](CLI::App& app) {
    app.add_option("PATH", o.paths, "files, sidecars (.sha256, .hmac) or directories to check")->required();
    app.add_flag("--recursive,-r", o.recursive, "also check the sidecars in subdirectories of a directory");
    app.add_option("--hmac-key-file", o.hmac_key_file, "HMAC key for .hmac sidecars (default STATE_DIR/hmac.key)");
    app.add_option("--state-dir", o.conn.state_dir, "state directory holding hmac.key [CLM_STATE_DIR]");
    app.add_option("--config", o.conn.config, "configuration file (default /etc/clm/clm.conf) [CLM_CONFIG]");
    app.add_flag("--pretty", o.pretty, "indent the JSON output");
    app.callback([&] { run(o); });
  });
}
