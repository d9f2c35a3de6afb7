// The device's own expiry watch, `clm-cert status` and `clm-key status`: every
// certificate or key file under some paths with the days it has left, a bucket (Smart
// Cert Manage's expired / 15 / 30 / 60 / 90 days, or ok), a severity, and whether it
// still matches its sidecar; the run's state by the monitoring-plugins convention (0
// OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), and the same facts as JSON lines, a table,
// node_exporter's textfile format or a Nagios status line. Offline: files only.
//
// A certificate's days run to its notAfter. A symmetric key has no end of its own on
// the device: its file's modification time is when it was written (key files are
// replaced by rename), and its days run to that time plus max_age_days, the day its
// rotation is due.
#pragma once

#include <clm/config.hpp>
#include <clm/json_io.hpp>
#include <clm/x509_info.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clm {

enum class CredentialKind { certificate, key };

// Return "certificate" or "key".
const char* kind_name(CredentialKind kind);

// Smart Cert Manage's words: error (red), warning (yellow), info; unknown for a file
// that could not be read.
enum class Severity { info, warning, error, unknown };

// Return "info", "warning", "error" or "unknown".
const char* severity_name(Severity severity);

// How a file stands against its .sha256/.hmac sidecars.
enum class Tamper {
  none,       // no sidecar beside it
  ok,         // it matches (or matches the pending sidecar of an interrupted write)
  mismatch,   // it does not match, or the sidecar is malformed
  unchecked,  // a sidecar is there but could not be checked (no HMAC key, unreadable)
};

// Return "none", "ok", "mismatch" or "unchecked".
const char* tamper_name(Tamper tamper);

// The state of a run, by the monitoring-plugins convention; the exit code of status.
enum class PluginState : int { ok = 0, warning = 1, critical = 2, unknown = 3 };

// Return "OK", "WARNING", "CRITICAL" or "UNKNOWN".
const char* plugin_state_name(PluginState state);

// The buckets when none are given: Smart Cert Manage's 90, 60, 30 and 15 days.
inline const std::vector<int> k_default_buckets{90, 60, 30, 15};
inline constexpr int k_max_status_days = 36500;

// What a status run looks for and how it judges what it finds.
struct StatusRules {
  CredentialKind kind = CredentialKind::certificate;
  std::vector<int> buckets = k_default_buckets;  // descending, positive
  int warning_days = 30;   // WARNING at this many days left or fewer
  int critical_days = 15;  // CRITICAL at this many days left or fewer
  int max_age_days = 90;   // keys: days from writing until rotation is due
  std::optional<std::string> passphrase;            // for PKCS#12 certificates
  std::optional<std::filesystem::path> hmac_key_file;  // nullopt: .hmac sidecars unchecked
};

// Return the day counts of text ("90,60,30,15": positive, at most k_max_status_days,
// each once, in any order) in descending order; Error(bad_parameter) naming option.
std::vector<int> parse_buckets(const std::string& text, const std::string& option);

// Return the buckets that apply to rules.kind: all of them for certificates; for keys
// those narrower than max_age_days (a wider one would hold every key from the moment it
// is written).
std::vector<int> effective_buckets(const StatusRules& rules);

// Return the bucket of days_left: "expired" below 0, else the narrowest bucket it is
// within ("15" for 0..15 with the default buckets), else "ok". buckets descending.
std::string bucket_of(std::int64_t days_left, const std::vector<int>& buckets);

// What a status run found about one file: a certificate or a key, or a path that could
// not be read (error set, the rest left empty).
struct CredentialStatus {
  std::string path;
  CredentialKind kind = CredentialKind::certificate;
  std::optional<std::string> error;

  std::optional<CertificateInfo> certificate;  // a certificate's facts
  bool not_yet_valid = false;                  // its notBefore is still to come

  std::optional<std::string> devicename;  // a key: from a clm-keyget name DEVICE_KEYNUMBER[.bin]
  std::optional<std::string> keynumber;
  int bits = 0;
  std::string encoding;           // raw, hex or base64
  std::int64_t modified_ms = 0;   // when the key file was written
  std::int64_t age_days = 0;

  std::int64_t ends_ms = 0;     // notAfter, or when a key's rotation is due
  std::int64_t days_left = 0;   // whole days until ends_ms, rounded down (negative after it)
  std::string bucket;           // bucket_of(days_left); empty for an error
  Severity severity = Severity::unknown;
  Tamper tamper = Tamper::none;
};

// What a status run found: the credentials in the order met, and the rules it judged by.
struct StatusReport {
  StatusRules rules;
  std::vector<int> buckets;  // effective_buckets(rules)
  std::int64_t now_ms = 0;
  std::vector<CredentialStatus> items;
};

// Look at every path for credentials of rules.kind and judge them at now. A file named
// is a credential or an error; a directory is searched recursively, in name order,
// without following symbolic links to directories and skipping hidden entries
// (.NAME: the temporaries of atomic writes among them), sidecars (*.sha256, *.hmac,
// *.pending) and files that are not credentials: for certificates, files that are not a
// PEM certificate, DER certificate or PKCS#12 file; for keys, files that do not hold 10,
// 16 or 32 bytes (raw, hex or base64) or that have neither a sidecar nor a clm-keyget
// name (DEVICE_KEYNUMBER, DEVICE_KEYNUMBER.bin). A file reached twice (a link to one
// also met by its own name) counts once. A path that does not exist or cannot be read
// is an item with an error. Nothing is thrown for what the files hold.
StatusReport credential_status(const std::vector<std::string>& paths, const StatusRules& rules,
                               std::chrono::system_clock::time_point now);

// Return the state of report: CRITICAL when anything is expired (a key overdue),
// tampered, not yet valid or within critical_days; else WARNING when anything is within
// warning_days; else UNKNOWN when a path could not be read or nothing was found; else OK.
PluginState plugin_state(const StatusReport& report);

// Return one JSON object per item.
std::vector<json> status_json(const StatusReport& report);

// Return the items as an aligned table for a terminal (certificates: SEVERITY BUCKET
// DAYS NOT-AFTER SUBJECT PATH NOTE; keys: SEVERITY BUCKET DAYS ROTATE-BY AGE BITS
// KEYNUMBER PATH NOTE; NOTE says what is wrong beyond the date), then the status line.
std::string status_table(const StatusReport& report);

// Return node_exporter's textfile format of report: HELP and TYPE lines, one sample per
// item and metric, counts per bucket and of errors; label values escaped (\\ \" \n) and
// made valid UTF-8.
std::string status_prometheus(const StatusReport& report);

// Return the Nagios plugin output: "CLM-CERT CRITICAL - 1 expired, 2 within 30 days |
// expired=1 ...", then one line per file that made the state worse than OK.
std::string status_nagios(const StatusReport& report);

// Return the Nagios output of a run that could not be made: "CLM-CERT UNKNOWN - why".
std::string status_unknown_line(CredentialKind kind, std::string_view why);

enum class StatusFormat { json_lines, table, prometheus, nagios };

// Return the format named json, table, prometheus or nagios; Error(bad_parameter)
// naming option.
StatusFormat parse_status_format(const std::string& name, const std::string& option);

// The options of `clm-cert status` and `clm-key status`, as the tools bind them.
struct StatusOptions {
  std::vector<std::string> paths;
  std::string buckets = "90,60,30,15";
  int warning_days = 30;
  int critical_days = 15;
  int max_age_days = 90;
  std::optional<std::string> format;           // json, table, prometheus, nagios
  std::optional<std::string> output;           // write here (atomically) instead of stdout
  std::optional<std::string> passphrase_file;  // certificates in PKCS#12 files
  ConnectionFlags state;                       // --state-dir, --config: where hmac.key is
  Pretty pretty = Pretty::no;
};

enum class Terminal { no, yes };

// Run a status command for kind: check options (Error(bad_parameter) naming the one at
// fault), look at the paths at now, and write the report in its format (by default JSON
// lines, or the table when stdout is a terminal and there is no --output) to out, or
// with --output to that file (0644, atomically: temporary file and rename, so a reader
// such as node_exporter never sees half of it). Return the state.
PluginState run_status(CredentialKind kind, const StatusOptions& options, std::ostream& out, Terminal stdout_terminal,
                       std::chrono::system_clock::time_point now);

}  // namespace clm
