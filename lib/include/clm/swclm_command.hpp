// What each SWCLMCLIENT subcommand asks of the server and writes (command reference
// chapters 3 and 4), mapped from its options and -ext-data items onto the requests
// and file plans the clm-* tools use; and the command's result file and log line.
#pragma once

#include <clm/cert_api.hpp>
#include <clm/cert_files.hpp>
#include <clm/config.hpp>
#include <clm/error.hpp>
#include <clm/key_api.hpp>
#include <clm/key_files.hpp>
#include <clm/state.hpp>
#include <clm/swclm_args.hpp>
#include <clm/swclm_result.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace clm {

inline constexpr const char* k_swclm_result_file = "/tmp/swclm-result.json";
inline constexpr const char* k_swclm_log_file = "/var/log/swcagent.log";
inline constexpr std::size_t k_swclm_generated_passphrase_chars = 20;
// Characters of a generated passphrase: the reference's allowed set without quotes,
// backslash and the shell specials, so it can be pasted anywhere.
inline constexpr std::string_view k_swclm_passphrase_alphabet =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.+:@%#^~";

// Return -host, -port, -p-host, -p-port and -timeout as connection flags.
ConnectionFlags swclm_connection_flags(const SwclmArgs& args);

// Return e with the clm-* option names in its message (--host, --port, --proxy-host,
// --proxy-port, --timeout) written as SWCLMCLIENT spells them (-host, ..., -p-host): for
// the errors of resolve_settings.
Error swclm_option_error(const Error& e);

// Return the -ext-data item key; Error(missing_parameter) naming it when absent.
std::string swclm_required_ext(const SwclmArgs& args, std::string_view key);

// idcreate: tenantid and alias, checked.
struct SwclmIdCreate {
  std::string tenantid;
  std::string alias;
};
SwclmIdCreate swclm_id_create(const SwclmArgs& args);

// idget: the keyid, checked.
std::string swclm_keyid(const SwclmArgs& args);

// idverify, iddelete: keyid and the password from key or keyfile (first line of the file).
IdCredential swclm_id_credential(const SwclmArgs& args);

// How the private key passphrase is printed (-passphrasetype).
enum class SwclmPassphraseShow { none, base64, plaintext };

// The passphrase of certcreate, certget and certupdate: -passphrase, -passphrase-file,
// or (certcreate with -passphrasetype) generated.
struct SwclmPassphrase {
  std::optional<std::string> value;
  SwclmPassphraseShow show = SwclmPassphraseShow::none;
};

// Return the passphrase args give; with SwclmPassphraseShow other than none (certcreate
// only) and none given, a random one of k_swclm_generated_passphrase_chars characters.
SwclmPassphrase swclm_passphrase(const SwclmArgs& args);

// Return the line -passphrasetype prints ("passphrase: ..."), or "" for none.
std::string swclm_passphrase_line(const SwclmPassphrase& passphrase);

// A certificate request and where its answer goes.
template <class Request>
struct SwclmCertPlan {
  std::string devicename;
  Request request;
  CertFiles files;
};

SwclmCertPlan<CertCreate> swclm_cert_create(const SwclmArgs& args, const SwclmPassphrase& passphrase);
SwclmCertPlan<CertGet> swclm_cert_get(const SwclmArgs& args, const SwclmPassphrase& passphrase);
SwclmCertPlan<CertUpdate> swclm_cert_update(const SwclmArgs& args, const SwclmPassphrase& passphrase);
SwclmCertPlan<CertRevoke> swclm_cert_revoke(const SwclmArgs& args);

// A key request, the key file it is about and how a key file is written.
template <class Request>
struct SwclmKeyPlan {
  std::string devicename;
  Request request;
  std::filesystem::path path;
  KeyWriter writer;
};

SwclmKeyPlan<KeyCreate> swclm_key_create(const SwclmArgs& args);
SwclmKeyPlan<KeyGet> swclm_key_get(const SwclmArgs& args);
SwclmKeyPlan<KeyUpdate> swclm_key_update(const SwclmArgs& args);

// cmkeydelete and cmkeyverify: the key file inpath/cmkeyname is read (raw bytes, as
// clm-key does) into commonkey, or for cmkeyverify with use-lightcipher=1 into the
// TWINE-OTR encdata.
enum class SwclmKeyCheckMode { delete_key, verify_key };
SwclmKeyPlan<KeyCheck> swclm_key_check(const SwclmArgs& args, SwclmKeyCheckMode mode);

// One line of the log: "TIME SWCLMCLIENT[PID]: SUBCOMMAND HOST:PORT status=S errorcode=E
// retcode=R" and, on failure, " message=..." (one line, control characters escaped).
std::string swclm_log_line(std::chrono::system_clock::time_point when, long pid, const std::string& subcommand,
                           const std::string& endpoint, const SwclmBlock& block, const std::string& message);

// Append line and a newline to path, opened O_APPEND|O_CREAT|O_NOFOLLOW (0600 when made);
// return false, changing nothing, when it cannot be opened or written.
bool append_swclm_log(const std::filesystem::path& path, const std::string& line);

// Write the server's answer to path as JSON: 0600, through a temporary file in the same
// directory renamed over path (a symlink at path is replaced, never followed).
// Error(file_write) naming path on failure.
void write_swclm_result(const std::filesystem::path& path, const json& body);

}  // namespace clm
