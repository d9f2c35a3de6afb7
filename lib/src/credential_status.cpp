#include <clm/atomic_file.hpp>
#include <clm/credential_status.hpp>
#include <clm/device_admin_api.hpp>
#include <clm/error.hpp>
#include <clm/file_digest.hpp>
#include <clm/key_files.hpp>
#include <clm/prometheus.hpp>
#include <clm/sidecar.hpp>
#include <clm/sidecar_verify.hpp>
#include <clm/state.hpp>
#include <clm/text.hpp>
#include <clm/util/errno_error.hpp>
#include <clm/util/iso8601.hpp>
#include <clm/util/openssl.hpp>
#include <clm/validate.hpp>

#include <openssl/err.h>
#include <openssl/pkcs12.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <map>
#include <ostream>
#include <set>
#include <regex>
#include <sys/stat.h>
#include <utility>

namespace clm {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t k_day_ms = 24LL * 3600 * 1000;
// Larger files are not looked at in a directory: a certificate file, even a bundle, is
// far smaller, and a key file holds at most 32 bytes in base64 or hex and a newline.
constexpr off_t k_max_certificate_file = off_t{1} << 20;
constexpr off_t k_max_key_file = 256;

// Return the whole days in ms, rounded towards the past.
std::int64_t floor_days(std::int64_t ms)
{
  return ms >= 0 ? ms / k_day_ms : -((-ms + k_day_ms - 1) / k_day_ms);
}

std::int64_t ms_of(std::chrono::system_clock::time_point t)
{
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string plural(std::size_t n, const char* one, const char* many)
{
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// Return whether bytes are a PKCS#12 file (whatever its passphrase).
bool is_pkcs12(std::string_view bytes)
{
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const util::Pkcs12Ptr p12(d2i_PKCS12(nullptr, &p, static_cast<long>(bytes.size())));
  ERR_clear_error();
  return p12 != nullptr;
}

// The key a key file holds, as clm-key or clm-keyget wrote it.
struct KeyFacts {
  std::size_t bytes = 0;
  const char* encoding = "raw";
};

// Return the key in contents when it is one of 10, 16 or 32 bytes (TWINE-80, AES or
// TWINE-128, AES-256) in hex, base64 or raw form, in that order of preference.
std::optional<KeyFacts> key_facts(const std::string& contents, const fs::path& path)
{
  auto key_length = [](std::size_t n) { return n == 10 || n == 16 || n == 32; };
  for (const auto& [encoding, name] : {std::pair{KeyEncoding::hex, "hex"}, std::pair{KeyEncoding::base64, "base64"}}) {
    try {
      const std::string key = decode_key(contents, encoding, path);
      if (key_length(key.size())) {
        return KeyFacts{key.size(), name};
      }
    } catch (const Error&) {
      // Not in this encoding.
    }
  }
  if (key_length(contents.size())) {
    return KeyFacts{contents.size(), "raw"};
  }
  return std::nullopt;
}

// Return whether a sidecar (.sha256 or .hmac) stands beside path.
bool has_sidecar(const std::string& path)
{
  for (const auto kind : {DigestKind::sha256, DigestKind::hmac_sha256}) {
    struct stat st {};
    if (::stat(sidecar_path(path, kind).c_str(), &st) == 0) {
      return true;
    }
  }
  return false;
}

// What a walk met: a file to judge (named on the command line or found in a
// directory), or a path that could not be read.
struct Entry {
  std::string path;
  std::optional<std::string> error;
  bool named = false;     // given as a PATH: must be a credential
  bool via_link = false;  // reached through a symbolic link
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  std::int64_t mtime_ms = 0;
};

std::int64_t mtime_ms_of(const struct stat& st)
{
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

Entry file_entry(std::string path, const struct stat& st, bool named, bool via_link)
{
  Entry e;
  e.path = std::move(path);
  e.named = named;
  e.via_link = via_link;
  e.dev = st.st_dev;
  e.ino = st.st_ino;
  e.size = st.st_size;
  e.mtime_ms = mtime_ms_of(st);
  return e;
}

Entry error_entry(std::string path, std::string error)
{
  Entry e;
  e.path = std::move(path);
  e.error = std::move(error);
  return e;
}

std::string join(const std::string& dir, const std::string& name)
{
  return !dir.empty() && dir.back() == '/' ? dir + name : dir + "/" + name;
}

// Return whether a directory walk passes name by: hidden entries (the temporaries of
// atomic writes among them) and sidecars.
bool skipped_name(const std::string& name)
{
  return name.empty() || name.front() == '.' || sidecar_kind(name).has_value()
         || (name.size() > k_pending_sidecar_ext.size() && name.ends_with(k_pending_sidecar_ext));
}

// Collects the entries of the paths in order.
class Walker {
public:
  void add_path(const std::string& path)
  {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      const int err = errno;
      m_entries.push_back(error_entry(path, err == ENOENT ? "does not exist" : "cannot read: " + util::errno_text(err)));
    } else if (S_ISDIR(st.st_mode)) {
      add_dir(path);
    } else if (S_ISREG(st.st_mode)) {
      m_entries.push_back(file_entry(path, st, true, false));
    } else {
      m_entries.push_back(error_entry(path, "not a regular file or a directory"));
    }
  }

  // Return the entries, a file reached twice kept once: by its own name rather than
  // through a link, else where it was met first.
  std::vector<Entry> entries() &&
  {
    std::map<std::pair<dev_t, ino_t>, std::size_t> keep;
    for (std::size_t i = 0; i < m_entries.size(); ++i) {
      const Entry& e = m_entries[i];
      if (e.error) {
        continue;
      }
      const auto [it, added] = keep.emplace(std::pair{e.dev, e.ino}, i);
      if (!added && m_entries[it->second].via_link && !e.via_link) {
        it->second = i;
      }
    }
    std::vector<Entry> out;
    for (std::size_t i = 0; i < m_entries.size(); ++i) {
      Entry& e = m_entries[i];
      if (e.error || keep.at({e.dev, e.ino}) == i) {
        out.push_back(std::move(e));
      }
    }
    return out;
  }

private:
  void add_dir(const std::string& dir)
  {
    // Each directory once: a bind mount of an ancestor would otherwise be walked again
    // and again.
    struct stat self {};
    if (::stat(dir.c_str(), &self) == 0 && !m_dirs.emplace(self.st_dev, self.st_ino).second) {
      return;
    }
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      const int err = errno;
      m_entries.push_back(error_entry(dir, "cannot read directory: " + util::errno_text(err)));
      return;
    }
    std::vector<std::string> names;
    while (const dirent* de = ::readdir(d)) {
      if (!skipped_name(de->d_name)) {
        names.emplace_back(de->d_name);
      }
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      const std::string full = join(dir, name);
      struct stat st {};
      if (::lstat(full.c_str(), &st) != 0) {
        // Gone since readdir is nothing to report; anything else hides a file.
        if (const int err = errno; err != ENOENT) {
          m_entries.push_back(error_entry(full, "cannot read: " + util::errno_text(err)));
        }
        continue;
      }
      if (S_ISDIR(st.st_mode)) {
        add_dir(full);
      } else if (S_ISREG(st.st_mode)) {
        m_entries.push_back(file_entry(full, st, false, false));
      } else if (S_ISLNK(st.st_mode)) {
        // A link to a file is followed; a link to a directory is not (no loops, no
        // wandering out of the tree), nor is a dangling one an error; one whose target
        // cannot be looked at is.
        if (::stat(full.c_str(), &st) == 0) {
          if (S_ISREG(st.st_mode)) {
            m_entries.push_back(file_entry(full, st, false, true));
          }
        } else if (const int err = errno; err != ENOENT) {
          m_entries.push_back(error_entry(full, "cannot read: " + util::errno_text(err)));
        }
      }
    }
  }

  std::vector<Entry> m_entries;
  std::set<std::pair<dev_t, ino_t>> m_dirs;  // the directories walked
};

// Judges the entries of a walk.
class Judge {
public:
  Judge(const StatusRules& rules, const std::vector<int>& buckets, std::int64_t now_ms)
    : m_rules(rules), m_buckets(buckets), m_now_ms(now_ms)
  {
  }

  // Return the status of e, or nullopt when it is no credential of the kind looked for.
  std::optional<CredentialStatus> judge(const Entry& e)
  {
    if (e.error) {
      return failed(e.path, *e.error);
    }
    auto status = m_rules.kind == CredentialKind::certificate ? certificate(e) : key(e);
    if (status && !status->error) {
      status->tamper = tamper_of(e.path);
      status->bucket = bucket_of(status->days_left, m_buckets);
      status->severity = status->bucket == "expired" || status->tamper == Tamper::mismatch || status->not_yet_valid
                           ? Severity::error
                         : status->bucket == "ok" ? Severity::info
                                                  : Severity::warning;
    }
    return status;
  }

private:
  CredentialStatus failed(const std::string& path, std::string error) const
  {
    CredentialStatus s;
    s.path = path;
    s.kind = m_rules.kind;
    // The error of a file read or parse names the file already; the item says it once.
    if (error.starts_with(path + ": ")) {
      error.erase(0, path.size() + 2);
    }
    s.error = std::move(error);
    s.severity = Severity::unknown;
    return s;
  }

  std::optional<CredentialStatus> certificate(const Entry& e)
  {
    if (e.size > k_max_certificate_file) {
      return e.named ? std::optional(failed(e.path, "larger than 1 MiB: not a certificate file")) : std::nullopt;
    }
    std::string bytes;
    CredentialStatus s;
    try {
      // Bounded and without blocking: the entry may have been swapped for a FIFO or a
      // growing file since the walk saw it.
      read_regular_file(e.path.c_str(), k_max_certificate_file, bytes);
      s.certificate = inspect_certificate(bytes, e.path, m_rules.passphrase);
    } catch (const Error& err) {
      // In a directory, a file that is no certificate at all is passed by; one that
      // looks like a certificate file but cannot be read is reported.
      const bool looks_like_one = bytes.find("-----BEGIN CERTIFICATE-----") != std::string::npos || is_pkcs12(bytes);
      if (!e.named && err.code() == ExitCode::bad_file_format && !looks_like_one) {
        return std::nullopt;
      }
      return failed(e.path, err.what());
    }
    const CertificateInfo& info = *s.certificate;
    const auto not_after = util::parse_iso8601(info.not_after);
    if (!not_after) {
      return failed(e.path, "notAfter is not a valid date");
    }
    s.path = e.path;
    s.kind = CredentialKind::certificate;
    s.ends_ms = *not_after;
    s.days_left = floor_days(s.ends_ms - m_now_ms);
    const auto not_before = util::parse_iso8601(info.not_before);
    s.not_yet_valid = not_before && m_now_ms < *not_before;
    return s;
  }

  std::optional<CredentialStatus> key(const Entry& e)
  {
    if (e.size > k_max_key_file) {
      return e.named ? std::optional(failed(e.path, "larger than a key file: not a key file")) : std::nullopt;
    }
    std::string contents;
    try {
      read_regular_file(e.path.c_str(), k_max_key_file, contents);
    } catch (const Error& err) {
      return failed(e.path, err.what());
    }
    const auto facts = key_facts(contents, e.path);
    if (!facts) {
      return e.named ? std::optional(failed(e.path, "not a key file: no 10, 16 or 32-byte key in hex, base64 or raw form"))
                     : std::nullopt;
    }
    // clm-keyget's names: DEVICE_KEYNUMBER (hex) and DEVICE_KEYNUMBER.bin (raw).
    static const std::regex k_keyget_name(R"(^(.+)_([0-9]{1,10})(\.bin)?$)");
    const std::string name = fs::path(e.path).filename().string();
    std::smatch m;
    const bool keyget_name = std::regex_match(name, m, k_keyget_name);
    if (!e.named && !keyget_name && !has_sidecar(e.path)) {
      return std::nullopt;  // a short text file that no clm tool wrote
    }
    CredentialStatus s;
    s.path = e.path;
    s.kind = CredentialKind::key;
    if (keyget_name) {
      s.devicename = m[1].str();
      s.keynumber = m[2].str();
    }
    s.bits = static_cast<int>(facts->bytes * 8);
    s.encoding = facts->encoding;
    s.modified_ms = e.mtime_ms;
    s.age_days = floor_days(m_now_ms - e.mtime_ms);
    s.ends_ms = e.mtime_ms + m_rules.max_age_days * k_day_ms;
    s.days_left = floor_days(s.ends_ms - m_now_ms);
    return s;
  }

  Tamper tamper_of(const std::string& path)
  {
    if (!has_sidecar(path)) {
      return Tamper::none;
    }
    VerifyOptions options;
    if (const auto* key = hmac_key()) {
      options.hmac_key = *key;
    } else {
      options.hmac_key_problem = "no readable HMAC key";
    }
    Tamper t = Tamper::ok;
    verify_paths({path}, options, [&](const FileCheck& c) {
      if (c.status == CheckStatus::mismatch || c.status == CheckStatus::malformed) {
        t = Tamper::mismatch;
      } else if (c.status == CheckStatus::unreadable && t != Tamper::mismatch) {
        t = Tamper::unchecked;
      }
    });
    return t;
  }

  // Return the HMAC key of .hmac sidecars, read once; nullptr when there is none to read.
  const std::string* hmac_key()
  {
    if (!m_hmac_read) {
      m_hmac_read = true;
      if (m_rules.hmac_key_file) {
        try {
          if (auto key = read_hmac_key(*m_rules.hmac_key_file)) {
            m_hmac_key = std::move(key->key);
          }
        } catch (const Error&) {
          // Not readable by this user: the .hmac sidecars stay unchecked.
        }
      }
    }
    return m_hmac_key ? &*m_hmac_key : nullptr;
  }

  const StatusRules& m_rules;
  const std::vector<int>& m_buckets;
  std::int64_t m_now_ms;
  bool m_hmac_read = false;
  std::optional<std::string> m_hmac_key;
};

// How many items stand where, for the state, the status line and the metrics. Every
// item is in one of expired, critical, warning, ok and errors; tampered and
// not_yet_valid count again some of those.
struct Counts {
  std::size_t expired = 0;
  std::size_t critical = 0;
  std::size_t warning = 0;
  std::size_t ok = 0;
  std::size_t errors = 0;
  std::size_t tampered = 0;
  std::size_t not_yet_valid = 0;
};

Counts count(const StatusReport& r)
{
  Counts c;
  for (const auto& item : r.items) {
    if (item.error) {
      ++c.errors;
      continue;
    }
    if (item.days_left < 0) {
      ++c.expired;
    } else if (item.days_left <= r.rules.critical_days) {
      ++c.critical;
    } else if (item.days_left <= r.rules.warning_days) {
      ++c.warning;
    } else {
      ++c.ok;
    }
    c.tampered += item.tamper == Tamper::mismatch ? 1 : 0;
    c.not_yet_valid += item.not_yet_valid ? 1 : 0;
  }
  return c;
}

PluginState state_of(const Counts& c, std::size_t items)
{
  if (c.expired + c.critical + c.tampered + c.not_yet_valid > 0) {
    return PluginState::critical;
  }
  if (c.warning > 0) {
    return PluginState::warning;
  }
  if (c.errors > 0 || items == 0) {
    return PluginState::unknown;
  }
  return PluginState::ok;
}

std::string date_of(std::int64_t ms)
{
  return util::iso8601_date(ms);
}

// Return the name a Nagios status line starts with.
const char* plugin_name(CredentialKind kind)
{
  return kind == CredentialKind::certificate ? "CLM-CERT" : "CLM-KEY";
}

bool is_key(const StatusReport& r)
{
  return r.rules.kind == CredentialKind::key;
}

// Return what is wrong with item beyond its date, for a table's NOTE column.
std::string note_of(const CredentialStatus& item)
{
  if (item.error) {
    return *item.error;
  }
  std::vector<std::string> notes;
  if (item.tamper == Tamper::mismatch) {
    notes.emplace_back("tampered: does not match its sidecar");
  } else if (item.tamper == Tamper::unchecked) {
    notes.emplace_back("sidecar not checked");
  }
  if (item.not_yet_valid) {
    notes.push_back("not valid before " + item.certificate->not_before);
  }
  std::string out;
  for (const auto& n : notes) {
    out += (out.empty() ? "" : "; ") + n;
  }
  return out;
}

// Return text for a Nagios line: on one line, without the '|' that starts perfdata.
std::string nagios_safe(std::string_view text)
{
  std::string out;
  for (const char c : log_safe(text)) {
    if (c == '|') {
      out += "\\x7c";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

const char* kind_name(CredentialKind kind)
{
  return kind == CredentialKind::certificate ? "certificate" : "key";
}

const char* severity_name(Severity severity)
{
  switch (severity) {
  case Severity::info: return "info";
  case Severity::warning: return "warning";
  case Severity::error: return "error";
  case Severity::unknown: break;
  }
  return "unknown";
}

const char* tamper_name(Tamper tamper)
{
  switch (tamper) {
  case Tamper::none: return "none";
  case Tamper::ok: return "ok";
  case Tamper::mismatch: return "mismatch";
  case Tamper::unchecked: break;
  }
  return "unchecked";
}

const char* plugin_state_name(PluginState state)
{
  switch (state) {
  case PluginState::ok: return "OK";
  case PluginState::warning: return "WARNING";
  case PluginState::critical: return "CRITICAL";
  case PluginState::unknown: break;
  }
  return "UNKNOWN";
}

std::vector<int> parse_buckets(const std::string& text, const std::string& option)
{
  std::vector<int> days;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    const std::string part = trim(std::string_view(text).substr(start, comma == std::string::npos ? comma : comma - start));
    const bool digits = !part.empty() && part.size() <= 5
                        && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    const int n = digits ? std::stoi(part) : 0;
    if (n < 1 || n > k_max_status_days) {
      throw Error(ExitCode::bad_parameter, option + ": '" + log_safe(part) + "' is not a day count from 1 to "
                                             + std::to_string(k_max_status_days) + " (give e.g. 90,60,30,15)");
    }
    if (std::find(days.begin(), days.end(), n) != days.end()) {
      throw Error(ExitCode::bad_parameter, option + ": " + std::to_string(n) + " is given twice");
    }
    days.push_back(n);
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  std::sort(days.rbegin(), days.rend());
  return days;
}

std::vector<int> effective_buckets(const StatusRules& rules)
{
  if (rules.kind == CredentialKind::certificate) {
    return rules.buckets;
  }
  std::vector<int> out;
  std::copy_if(rules.buckets.begin(), rules.buckets.end(), std::back_inserter(out),
               [&](int days) { return days < rules.max_age_days; });
  return out;
}

std::string bucket_of(std::int64_t days_left, const std::vector<int>& buckets)
{
  if (days_left < 0) {
    return "expired";
  }
  for (auto it = buckets.rbegin(); it != buckets.rend(); ++it) {
    if (days_left <= *it) {
      return std::to_string(*it);
    }
  }
  return "ok";
}

StatusReport credential_status(const std::vector<std::string>& paths, const StatusRules& rules,
                               std::chrono::system_clock::time_point now)
{
  StatusReport report;
  report.rules = rules;
  report.buckets = effective_buckets(rules);
  report.now_ms = ms_of(now);
  Walker walker;
  for (const auto& path : paths) {
    walker.add_path(path);
  }
  Judge judge(report.rules, report.buckets, report.now_ms);
  for (const Entry& e : std::move(walker).entries()) {
    if (auto status = judge.judge(e)) {
      report.items.push_back(std::move(*status));
    }
  }
  return report;
}

PluginState plugin_state(const StatusReport& report)
{
  return state_of(count(report), report.items.size());
}

std::vector<json> status_json(const StatusReport& report)
{
  std::vector<json> out;
  for (const auto& item : report.items) {
    json j;
    if (item.certificate && !item.error) {
      j = certificate_json(*item.certificate, std::chrono::system_clock::time_point(std::chrono::milliseconds(report.now_ms)));
      j["not_yet_valid"] = item.not_yet_valid;
    } else if (!item.error) {
      j["devicename"] = item.devicename ? json(*item.devicename) : json(nullptr);
      j["keynumber"] = item.keynumber ? json(*item.keynumber) : json(nullptr);
      j["bits"] = item.bits;
      j["encoding"] = item.encoding;
      j["modified"] = util::iso8601_utc(item.modified_ms);
      j["age_days"] = item.age_days;
      j["max_age_days"] = report.rules.max_age_days;
      j["rotate_by"] = util::iso8601_utc(item.ends_ms);
    }
    j["file"] = item.path;
    j["kind"] = kind_name(item.kind);
    j["severity"] = severity_name(item.severity);
    if (item.error) {
      j["bucket"] = nullptr;
      j["error"] = *item.error;
    } else {
      j["days_left"] = item.days_left;
      j["bucket"] = item.bucket;
      j["tamper"] = tamper_name(item.tamper);
    }
    out.push_back(std::move(j));
  }
  return out;
}

std::string status_table(const StatusReport& report)
{
  const bool keys = is_key(report);
  std::vector<std::vector<std::string>> rows;
  if (keys) {
    rows.push_back({"SEVERITY", "BUCKET", "DAYS", "ROTATE-BY", "AGE", "BITS", "KEYNUMBER", "PATH", "NOTE"});
  } else {
    rows.push_back({"SEVERITY", "BUCKET", "DAYS", "NOT-AFTER", "SUBJECT", "PATH", "NOTE"});
  }
  for (const auto& item : report.items) {
    const std::string path = log_safe(item.path);
    const std::string note = log_safe(note_of(item));
    if (item.error) {
      rows.push_back(keys ? std::vector<std::string>{"unknown", "-", "-", "-", "-", "-", "-", path, note}
                          : std::vector<std::string>{"unknown", "-", "-", "-", "-", path, note});
    } else if (keys) {
      rows.push_back({severity_name(item.severity), item.bucket, std::to_string(item.days_left), date_of(item.ends_ms),
                      std::to_string(item.age_days), std::to_string(item.bits), item.keynumber.value_or("-"), path, note});
    } else {
      rows.push_back({severity_name(item.severity), item.bucket, std::to_string(item.days_left), date_of(item.ends_ms),
                      log_safe(item.certificate->subject), path, note});
    }
  }
  const std::string nagios = status_nagios(report);
  return aligned_table(rows) + nagios.substr(0, nagios.find('\n') + 1);
}

std::string status_prometheus(const StatusReport& report)
{
  const bool keys = is_key(report);
  const std::string kind = kind_name(report.rules.kind);
  std::vector<const CredentialStatus*> found;
  for (const auto& item : report.items) {
    if (!item.error) {
      found.push_back(&item);
    }
  }
  auto labels_of = [&](const CredentialStatus& item) {
    const std::string_view keynumber = item.keynumber ? std::string_view(*item.keynumber) : std::string_view();
    return keys ? std::vector<Label>{{"path", item.path}, {"keynumber", keynumber}}
                : std::vector<Label>{{"path", item.path},
                                     {"subject", item.certificate->subject},
                                     {"serial", item.certificate->serial}};
  };
  Exposition e;
  auto per_item = [&](const std::string& name, const std::string& help, auto value) {
    e.family(name, "gauge", help);
    for (const auto* item : found) {
      e.sample(name, labels_of(*item), static_cast<double>(value(*item)));
    }
  };
  auto tampered = [](const CredentialStatus& i) -> std::int64_t { return i.tamper == Tamper::mismatch ? 1 : 0; };
  auto days = [](const CredentialStatus& i) -> std::int64_t { return i.days_left; };
  auto ended = [](const CredentialStatus& i) -> std::int64_t { return i.days_left < 0 ? 1 : 0; };
  auto ends = [](const CredentialStatus& i) -> std::int64_t { return i.ends_ms / 1000; };
  if (keys) {
    per_item("clm_key_modified_seconds", "When the key file was written, in seconds since 1970.",
             [](const CredentialStatus& i) -> std::int64_t { return i.modified_ms / 1000; });
    per_item("clm_key_rotation_due_seconds", "When the key is due for rotation (written + max age), in seconds since 1970.",
             ends);
    per_item("clm_key_days_left", "Whole days until the key's rotation is due (negative when overdue).", days);
    per_item("clm_key_rotation_overdue", "1 when the key's rotation is overdue, else 0.", ended);
    per_item("clm_key_tampered", "1 when the key file does not match its sidecar, else 0.", tampered);
  } else {
    per_item("clm_cert_not_after_seconds", "The certificate's notAfter, in seconds since 1970.", ends);
    per_item("clm_cert_days_left", "Whole days until the certificate's notAfter (negative once expired).", days);
    per_item("clm_cert_expired", "1 when the certificate has expired, else 0.", ended);
    per_item("clm_cert_tampered", "1 when the certificate file does not match its sidecar, else 0.", tampered);
  }
  std::vector<std::string> buckets{"expired"};
  for (auto it = report.buckets.rbegin(); it != report.buckets.rend(); ++it) {
    buckets.push_back(std::to_string(*it));
  }
  buckets.emplace_back("ok");
  e.family("clm_credential_status_files", "gauge", "Credential files found by clm-cert/clm-key status, per bucket.");
  for (const auto& bucket : buckets) {
    const auto n = std::count_if(found.begin(), found.end(), [&](const auto* i) { return i->bucket == bucket; });
    e.sample("clm_credential_status_files", {Label{"kind", kind}, Label{"bucket", bucket}},
             static_cast<std::uint64_t>(n));
  }
  e.family("clm_credential_status_errors", "gauge", "Paths clm-cert/clm-key status could not read.");
  e.sample("clm_credential_status_errors", {Label{"kind", kind}},
           static_cast<std::uint64_t>(report.items.size() - found.size()));
  return e.text();
}

std::string status_nagios(const StatusReport& report)
{
  const bool keys = is_key(report);
  const Counts c = count(report);
  const PluginState state = state_of(c, report.items.size());
  const int warn = report.rules.warning_days;
  const int crit = report.rules.critical_days;
  std::vector<std::string> parts;
  auto part = [&](std::size_t n, const std::string& what) {
    if (n > 0) {
      parts.push_back(std::to_string(n) + " " + what);
    }
  };
  part(c.expired, keys ? "overdue for rotation" : "expired");
  part(c.tampered, "tampered");
  part(c.not_yet_valid, "not yet valid");
  part(c.critical, "within " + std::to_string(crit) + " days");
  part(c.warning, "within " + std::to_string(warn) + " days");
  part(c.errors, "unreadable");
  const std::size_t found = report.items.size() - c.errors;
  std::string text;
  for (const auto& p : parts) {
    text += (text.empty() ? "" : ", ") + p;
  }
  if (found == 0 && c.errors == 0) {
    text = keys ? "no key file found" : "no certificate found";
  } else if (parts.empty()) {
    text = (keys ? plural(found, "key", "keys") : plural(found, "certificate", "certificates")) + ", none within "
           + std::to_string(warn) + " days";
  }
  std::string out = std::string(plugin_name(report.rules.kind)) + " " + plugin_state_name(state) + " - " + text
                    + " | expired=" + std::to_string(c.expired) + " critical=" + std::to_string(c.critical)
                    + " warning=" + std::to_string(c.warning) + " ok=" + std::to_string(c.ok)
                    + " tampered=" + std::to_string(c.tampered) + " notyetvalid=" + std::to_string(c.not_yet_valid)
                    + " errors=" + std::to_string(c.errors) + "\n";
  // Long output: the files behind the state, one per line.
  for (const auto& item : report.items) {
    std::vector<std::string> why;
    if (item.error) {
      why.push_back(*item.error);
    } else {
      const std::string date = date_of(item.ends_ms);
      if (item.days_left < 0) {
        why.push_back(keys ? "rotation overdue since " + date : "expired on " + date);
      } else if (item.days_left <= warn) {
        why.push_back(std::to_string(item.days_left) + (keys ? " days left until rotation on " : " days left until ")
                      + date);
      }
      if (item.tamper == Tamper::mismatch) {
        why.emplace_back("does not match its sidecar");
      }
      if (item.not_yet_valid) {
        why.push_back("not valid before " + item.certificate->not_before);
      }
    }
    if (!why.empty()) {
      std::string line = item.path + ":";
      for (std::size_t i = 0; i < why.size(); ++i) {
        line += (i > 0 ? ";" : "") + (" " + why[i]);
      }
      out += nagios_safe(line) + "\n";
    }
  }
  return out;
}

std::string status_unknown_line(CredentialKind kind, std::string_view why)
{
  return std::string(plugin_name(kind)) + " UNKNOWN - " + nagios_safe(why) + "\n";
}

StatusFormat parse_status_format(const std::string& name, const std::string& option)
{
  if (name == "json") {
    return StatusFormat::json_lines;
  }
  if (name == "table") {
    return StatusFormat::table;
  }
  if (name == "prometheus") {
    return StatusFormat::prometheus;
  }
  if (name == "nagios") {
    return StatusFormat::nagios;
  }
  throw Error(ExitCode::bad_parameter, option + ": '" + log_safe(name) + "' is not json, table, prometheus or nagios");
}

PluginState run_status(CredentialKind kind, const StatusOptions& options, std::ostream& out, Terminal stdout_terminal,
                       std::chrono::system_clock::time_point now)
{
  StatusRules rules;
  rules.kind = kind;
  rules.buckets = parse_buckets(options.buckets, "--buckets");
  auto check_days = [](int days, int min, const char* option) {
    if (days < min || days > k_max_status_days) {
      throw Error(ExitCode::bad_parameter, std::string(option) + ": " + std::to_string(days) + " is not from "
                                             + std::to_string(min) + " to " + std::to_string(k_max_status_days));
    }
  };
  check_days(options.warning_days, 0, "--warning");
  check_days(options.critical_days, 0, "--critical");
  check_days(options.max_age_days, 1, "--max-age");
  if (options.critical_days > options.warning_days) {
    throw Error(ExitCode::bad_parameter, "--critical " + std::to_string(options.critical_days)
                                           + " is more than --warning " + std::to_string(options.warning_days));
  }
  rules.warning_days = options.warning_days;
  rules.critical_days = options.critical_days;
  rules.max_age_days = options.max_age_days;
  const StatusFormat format =
    options.format ? parse_status_format(*options.format, "--format")
                   : (stdout_terminal == Terminal::yes && !options.output ? StatusFormat::table : StatusFormat::json_lines);
  if (options.output && options.output->empty()) {
    throw Error(ExitCode::bad_parameter, "--output: empty file name");
  }
  if (options.paths.empty()) {
    throw Error(ExitCode::missing_parameter, "missing PATH (a file or a directory to look at)");
  }
  if (options.passphrase_file) {
    std::string p = read_secret_file(*options.passphrase_file);
    if (auto problem = field_problem(Field::passphrase, Side::tool, p)) {
      throw Error(ExitCode::bad_parameter, "--passphrase-file: " + *problem);
    }
    rules.passphrase = std::move(p);
  }
  try {
    rules.hmac_key_file = StateDir(resolve_state_dir(options.state, process_env())).hmac_key_file();
  } catch (const Error&) {
    // No state directory to be found (a bad configuration file): .hmac sidecars stay
    // unchecked; a status run is not the place to fail over it.
  }

  const StatusReport report = credential_status(options.paths, rules, now);
  std::string text;
  switch (format) {
  case StatusFormat::json_lines:
    for (const auto& j : status_json(report)) {
      text += dump_json(j, options.pretty) + "\n";
    }
    break;
  case StatusFormat::table: text = status_table(report); break;
  case StatusFormat::prometheus: text = status_prometheus(report); break;
  case StatusFormat::nagios: text = status_nagios(report); break;
  }
  if (options.output) {
    // A run killed while writing left its temporary beside the file: clear it first.
    remove_stale_temporaries(*options.output);
    write_file_atomic(*options.output, text, 0644);
  } else {
    out << text << std::flush;
  }
  return plugin_state(report);
}

}  // namespace clm
