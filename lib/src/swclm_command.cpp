#include <clm/atomic_file.hpp>
#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/id_api.hpp>
#include <clm/output_files.hpp>
#include <clm/swclm_command.hpp>
#include <clm/text.hpp>
#include <clm/util/fd.hpp>
#include <clm/util/iso8601.hpp>
#include <clm/validate.hpp>

#include <fcntl.h>

namespace clm {

namespace fs = std::filesystem;

namespace {

// The names errors give options and items, as the reference spells them.
std::string item_name(std::string_view key)
{
  return "-ext-data " + std::string(key);
}

// Throw Error(bad_parameter) "NAME: problem" when value is not one field accepts.
void check_value(Field field, const std::string& value, const std::string& name)
{
  if (const auto problem = field_problem(field, Side::tool, value)) {
    throw Error(ExitCode::bad_parameter, name + ": " + *problem);
  }
}

// Return the -ext-data item key checked against field, or nullopt when absent.
std::optional<std::string> checked_ext(const SwclmArgs& args, std::string_view key, Field field)
{
  auto value = args.ext(key);
  if (value) {
    check_value(field, *value, item_name(key));
  }
  return value;
}

std::string required_checked_ext(const SwclmArgs& args, std::string_view key, Field field)
{
  std::string value = swclm_required_ext(args, key);
  check_value(field, value, item_name(key));
  return value;
}

std::string devicename_of(const SwclmArgs& args)
{
  return required_checked_ext(args, "devicename", Field::devicename);
}

// Return option name, or fallback when it was not given; Error(bad_parameter) unless the
// value is one of allowed ("pem|der").
std::string format_option(const SwclmArgs& args, std::string_view name, const std::string& allowed,
                          const std::string& fallback = "pem")
{
  const std::string value = args.option(name).value_or(fallback);
  check_format(value, allowed, "-" + std::string(name));
  return value;
}

std::string format_item(const SwclmArgs& args, std::string_view key, const std::string& allowed,
                        const std::string& fallback = "pem")
{
  const std::string value = args.ext(key).value_or(fallback);
  check_format(value, allowed, item_name(key));
  return value;
}

// Return option name (a file name), or fallback; checked.
std::string file_name_option(const SwclmArgs& args, std::string_view name, const std::string& fallback)
{
  std::string value = args.option(name).value_or(fallback);
  check_file_name(value, "-" + std::string(name));
  return value;
}

// Return the -outpath directory, checked; Error(missing_parameter) when absent.
std::string outpath_of(const SwclmArgs& args)
{
  const auto dir = args.option("outpath");
  if (!dir) {
    throw Error(ExitCode::missing_parameter, "missing -outpath DIR");
  }
  check_out_dir(*dir, k_max_file_name_bytes + 4, "-outpath");
  return *dir;
}

// catype, required by the reference; fixed as one of allowed.
std::string catype_of(const SwclmArgs& args, const std::string& allowed)
{
  const std::string catype = swclm_required_ext(args, "catype");
  check_format(catype, allowed, item_name("catype"));
  return catype;
}

// keynumber or certserial (at least one; both are sent when both are given).
CertSelector cert_target(const SwclmArgs& args)
{
  CertSelector s{checked_ext(args, "keynumber", Field::keynumber), checked_ext(args, "certserial", Field::certserial)};
  if (!s.keynumber && !s.certserial) {
    throw Error(ExitCode::missing_parameter, "missing -ext-data keynumber or certserial");
  }
  return s;
}

void require_p12_passphrase(const std::string& format, const SwclmPassphrase& p, const std::string& option)
{
  if (format == "p12" && !p.value) {
    throw Error(ExitCode::missing_parameter, option + " p12 needs -passphrase (or -passphrase-file)");
  }
}

// use-lightcipher: absent, or "1".
UseLightcipher lightcipher_of(const SwclmArgs& args)
{
  const auto v = args.ext("use-lightcipher");
  if (!v) {
    return UseLightcipher::no;
  }
  if (*v != "1") {
    throw Error(ExitCode::bad_parameter, item_name("use-lightcipher") + ": the only value is 1");
  }
  return UseLightcipher::yes;
}

KeyWriter key_writer(const SwclmArgs& args)
{
  return KeyWriter("raw", EncodingGiven::no, lightcipher_of(args), args.ext("twinecmd"),
                   KeyWriterOptions{"-ext-data", item_name("use-lightcipher"), item_name("twinecmd")});
}

// Return path/name of -ext-data items dir_key and name_key (name defaulting to cmkey).
fs::path key_file_of(const SwclmArgs& args, const std::optional<std::string>& dir, const std::string& dir_name,
                     std::string_view name_key)
{
  return key_path(dir, dir_name, args.ext(name_key), item_name(name_key));
}

}  // namespace

ConnectionFlags swclm_connection_flags(const SwclmArgs& args)
{
  ConnectionFlags f;
  f.host = args.option("host");
  f.port = args.option("port");
  f.proxy_host = args.option("p-host");
  f.proxy_port = args.option("p-port");
  f.timeout = args.option("timeout");
  return f;
}

Error swclm_option_error(const Error& e)
{
  std::string text = e.what();
  for (const auto& [from, to] : {std::pair<std::string_view, std::string_view>{"--proxy-host", "-p-host"},
                                 {"--proxy-port", "-p-port"},
                                 {"--host", "-host"},
                                 {"--port", "-port"},
                                 {"--timeout", "-timeout"}}) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
  }
  return Error(e.code(), text);
}

std::string swclm_required_ext(const SwclmArgs& args, std::string_view key)
{
  auto value = args.ext(key);
  if (!value) {
    throw Error(ExitCode::missing_parameter, "missing " + item_name(key) + " (give -ext-data "
                                               + std::string(key) + "=\"...\")");
  }
  return *value;
}

SwclmIdCreate swclm_id_create(const SwclmArgs& args)
{
  return {required_checked_ext(args, "tenantid", Field::tenantid), required_checked_ext(args, "alias", Field::alias)};
}

std::string swclm_keyid(const SwclmArgs& args)
{
  return required_checked_ext(args, "keyid", Field::keyid);
}

IdCredential swclm_id_credential(const SwclmArgs& args)
{
  IdCredential cred;
  cred.keyid = swclm_keyid(args);
  const auto key = args.ext("key");
  const auto keyfile = args.ext("keyfile");
  if (key && keyfile) {
    throw Error(ExitCode::bad_parameter, "-ext-data key and keyfile: give one");
  }
  if (!key && !keyfile) {
    throw Error(ExitCode::missing_parameter, "missing -ext-data key (or keyfile=\"FILE\")");
  }
  cred.key = key ? *key : read_secret_file(*keyfile);
  check_credential(cred, item_name("keyid"), key ? item_name("key") : item_name("keyfile"));
  return cred;
}

SwclmPassphrase swclm_passphrase(const SwclmArgs& args)
{
  SwclmPassphrase p;
  if (const auto type = args.option("passphrasetype"); type && args.subcommand == "certcreate") {
    if (*type == "base64") {
      p.show = SwclmPassphraseShow::base64;
    } else if (*type == "plaintext") {
      p.show = SwclmPassphraseShow::plaintext;
    } else {
      throw Error(ExitCode::bad_parameter, "-passphrasetype: '" + log_safe(*type) + "' is not base64 or plaintext");
    }
  }
  const auto given = args.option("passphrase");
  const auto file = args.option("passphrase-file");
  if (given && file) {
    throw Error(ExitCode::bad_parameter, "-passphrase and -passphrase-file: give one");
  }
  if (given) {
    p.value = given;
  } else if (file) {
    p.value = read_secret_file(*file);
  } else if (p.show != SwclmPassphraseShow::none) {
    p.value = random_string(k_swclm_generated_passphrase_chars, k_swclm_passphrase_alphabet);
  }
  if (p.value) {
    check_value(Field::passphrase, *p.value, file ? "-passphrase-file" : "-passphrase");
  }
  return p;
}

std::string swclm_passphrase_line(const SwclmPassphrase& p)
{
  if (!p.value || p.show == SwclmPassphraseShow::none) {
    return "";
  }
  return "passphrase: " + (p.show == SwclmPassphraseShow::base64 ? base64_encode(*p.value) : *p.value);
}

SwclmCertPlan<CertCreate> swclm_cert_create(const SwclmArgs& args, const SwclmPassphrase& passphrase)
{
  SwclmCertPlan<CertCreate> plan;
  const auto mode = args.option("mode");
  if (!mode) {
    throw Error(ExitCode::missing_parameter, "missing -mode (caonly, client or server)");
  }
  if (*mode != "caonly" && *mode != "client" && *mode != "server") {
    throw Error(ExitCode::bad_parameter, "-mode: '" + log_safe(*mode) + "' is not caonly, client or server");
  }
  const bool leaf = *mode != "caonly";
  plan.devicename = devicename_of(args);
  CertCreate& req = plan.request;
  req.certmode = *mode;
  req.catype = catype_of(args, leaf ? "ca1" : "CA");
  CertFiles& files = plan.files;
  files.dir = outpath_of(args);
  req.cacerttype = files.ca_format = format_option(args, "cacerttype", "pem|der");
  files.ca_name = file_name_option(args, "cacertname", "cacert");
  req.cafilepath = cert_file_path(files.dir, files.ca_name, files.ca_format).string();
  if (leaf) {
    req.clientcerttype = files.cert_format = format_option(args, "certtype", "pem|der|p12");
    const LeafNames names = default_leaf_names(*mode);
    files.cert_name = file_name_option(args, "certname", names.cert);
    // A PKCS#12 file holds the private key; no key file is written beside it.
    files.key_name = files.cert_format == "p12" ? "" : file_name_option(args, "certkeyname", names.key);
    const auto subject = args.ext("certsubject");
    check_subject_option(subject, item_name("certsubject"));
    req.subject = subject;
    require_p12_passphrase(files.cert_format, passphrase, "-certtype");
    req.clientfilepath = cert_file_path(files.dir, files.cert_name, files.cert_format).string();
  }
  req.passphrase = passphrase.value;
  return plan;
}

SwclmCertPlan<CertGet> swclm_cert_get(const SwclmArgs& args, const SwclmPassphrase& passphrase)
{
  SwclmCertPlan<CertGet> plan;
  plan.devicename = devicename_of(args);
  CertGet& req = plan.request;
  req.catype = catype_of(args, "CA|ca1");
  req.target = cert_target(args);
  const bool ca = req.catype == "CA";
  req.certtype = format_option(args, "certtype", ca ? "pem|der" : "pem|der|p12");
  require_p12_passphrase(req.certtype, passphrase, "-certtype");
  req.passphrase = passphrase.value;
  const std::string cert_name = file_name_option(args, "certname", "cert");
  plan.files = fetched_cert_files(outpath_of(args), cert_name, file_name_option(args, "certkeyname", "certkey"),
                                  req.certtype, ca);
  req.filepath = cert_file_path(plan.files.dir, cert_name, req.certtype).string();
  return plan;
}

SwclmCertPlan<CertUpdate> swclm_cert_update(const SwclmArgs& args, const SwclmPassphrase& passphrase)
{
  SwclmCertPlan<CertUpdate> plan;
  plan.devicename = devicename_of(args);
  CertUpdate& req = plan.request;
  catype_of(args, "ca1");
  req.target = cert_target(args);
  req.adopt = CertSelector{checked_ext(args, "newkeynumber", Field::keynumber),
                           checked_ext(args, "newcertserial", Field::certserial)};
  const std::string outpath = outpath_of(args);
  const std::string current_type = format_option(args, "certtype", "pem|der|p12");
  const std::string cert_name = file_name_option(args, "certname", "cert");
  req.filepath = cert_file_path(outpath, cert_name, current_type).string();
  req.certtype = format_item(args, "newcerttype", "pem|der|p12");
  require_p12_passphrase(req.certtype, passphrase, item_name("newcerttype"));
  req.passphrase = passphrase.value;
  CertFiles& files = plan.files;
  files.dir = args.ext("newpath").value_or(outpath);
  check_out_dir(files.dir, k_max_file_name_bytes + 4, item_name("newpath"));
  files.cert_name = args.ext("newfilename").value_or(cert_name);
  check_file_name(files.cert_name, item_name("newfilename"));
  files.cert_format = req.certtype;
  files.key_name = req.certtype == "p12" ? "" : default_key_name(files.cert_name);
  req.newfilepath = cert_file_path(files.dir, files.cert_name, files.cert_format).string();
  return plan;
}

SwclmCertPlan<CertRevoke> swclm_cert_revoke(const SwclmArgs& args)
{
  SwclmCertPlan<CertRevoke> plan;
  plan.devicename = devicename_of(args);
  catype_of(args, "ca1");
  plan.request.target = cert_target(args);
  const auto cert_name = args.option("certname");
  if (!cert_name) {
    throw Error(ExitCode::missing_parameter, "missing -certname (the certificate file, without extension)");
  }
  check_file_name(*cert_name, "-certname");
  const std::string type = format_option(args, "certtype", "pem|der|p12");
  const std::string inpath = swclm_required_ext(args, "inpath");
  check_out_dir(inpath, k_max_file_name_bytes + 4, item_name("inpath"));
  plan.request.filepath = cert_file_path(inpath, *cert_name, type).string();
  return plan;
}

SwclmKeyPlan<KeyCreate> swclm_key_create(const SwclmArgs& args)
{
  const std::string devicename = devicename_of(args);
  KeyCreate req;
  req.alias = required_checked_ext(args, "alias", Field::alias);
  req.keytype = swclm_required_ext(args, "keytype");
  if (const auto problem = keytype_problem(req.keytype)) {
    throw Error(ExitCode::bad_parameter, item_name("keytype") + ": " + *problem);
  }
  req.keylength = args.ext("keylength").value_or("128");
  if (const auto problem = keylength_problem(req.keytype, req.keylength)) {
    throw Error(ExitCode::bad_parameter, item_name("keylength") + ": " + *problem);
  }
  KeyWriter writer = key_writer(args);
  if (writer.lightcipher && (req.keytype != "TWINE" || req.keylength != "128")) {
    throw Error(ExitCode::bad_parameter, item_name("use-lightcipher") + ": only for keytype TWINE, keylength 128");
  }
  const fs::path path = key_file_of(args, args.option("outpath"), "-outpath", "cmkeyname");
  req.commonkeyfilepath = path.string();
  return {devicename, std::move(req), path, std::move(writer)};
}

SwclmKeyPlan<KeyGet> swclm_key_get(const SwclmArgs& args)
{
  const std::string devicename = devicename_of(args);
  KeyGet req;
  req.keynumber = checked_ext(args, "keynumber", Field::keynumber);
  if (!req.keynumber) {
    req.alias = checked_ext(args, "alias", Field::alias);
  }
  if (!req.keynumber && !req.alias) {
    throw Error(ExitCode::missing_parameter, "missing -ext-data keynumber (or alias)");
  }
  KeyWriter writer = key_writer(args);
  const fs::path path = key_file_of(args, args.option("outpath"), "-outpath", "cmkeyname");
  req.filepath = path.string();
  return {devicename, std::move(req), path, std::move(writer)};
}

SwclmKeyPlan<KeyUpdate> swclm_key_update(const SwclmArgs& args)
{
  const std::string devicename = devicename_of(args);
  KeyUpdate req;
  req.keynumber = checked_ext(args, "keynumber", Field::keynumber);
  if (req.keynumber) {
    // Chapter 3: alias names the new key; newkeynumber adopts an existing one.
    req.alias = checked_ext(args, "alias", Field::alias);
    req.newkeynumber = checked_ext(args, "newkeynumber", Field::keynumber);
  } else {
    // Chapter 4: alias names the key to replace; newalias adopts the newest key with it.
    req.oldalias = checked_ext(args, "alias", Field::alias);
    req.newalias = checked_ext(args, "newalias", Field::alias);
    if (!req.oldalias) {
      throw Error(ExitCode::missing_parameter, "missing -ext-data keynumber (or alias)");
    }
  }
  KeyWriter writer = key_writer(args);
  req.keylength = args.ext("keylength");
  if (req.keylength && writer.lightcipher && *req.keylength != "128") {
    throw Error(ExitCode::bad_parameter, item_name("use-lightcipher") + ": only for 128-bit keys, not keylength "
                                           + log_safe(*req.keylength));
  }
  const auto outpath = args.option("outpath");
  const fs::path old_path = key_file_of(args, outpath, "-outpath", "cmkeyname");
  const std::string new_name = args.ext("newfilename").value_or(old_path.filename().string());
  const fs::path new_path = key_path(args.ext("newpath").value_or(*outpath), item_name("newpath"), new_name,
                                     item_name("newfilename"));
  req.filepath = old_path.string();
  req.newfilepath = new_path.string();
  return {devicename, std::move(req), new_path, std::move(writer)};
}

SwclmKeyPlan<KeyCheck> swclm_key_check(const SwclmArgs& args, SwclmKeyCheckMode mode)
{
  const std::string devicename = devicename_of(args);
  KeyCheck req;
  req.keynumber = required_checked_ext(args, "keynumber", Field::keynumber);
  swclm_required_ext(args, "cmkeyname");
  const auto inpath = args.ext("inpath");
  if (!inpath) {
    swclm_required_ext(args, "inpath");
  }
  const fs::path path = key_file_of(args, inpath, item_name("inpath"), "cmkeyname");
  req.filepath = path.string();
  KeyWriter writer = key_writer(args);
  const std::string key = read_key_file(path, KeyEncoding::raw);
  if (mode == SwclmKeyCheckMode::verify_key && writer.lightcipher) {
    req.encdata = twine_otr_encdata(key, devicename, path, item_name("use-lightcipher"));
  } else {
    req.commonkey = key;
  }
  return {devicename, std::move(req), path, std::move(writer)};
}

std::string swclm_log_line(std::chrono::system_clock::time_point when, long pid, const std::string& subcommand,
                           const std::string& endpoint, const SwclmBlock& block, const std::string& message)
{
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
  char status[32];
  std::snprintf(status, sizeof status, "%03ld", block.http_status);
  std::string line = util::iso8601_utc(ms) + " SWCLMCLIENT[" + std::to_string(pid) + "]: "
                     + (subcommand.empty() ? "-" : subcommand) + " " + (endpoint.empty() ? "-" : endpoint)
                     + " status=" + status + " errorcode=" + std::to_string(block.errorcode)
                     + " retcode=" + std::to_string(block.retcode);
  if (!message.empty()) {
    line += " message=" + message;
  }
  return log_safe(line);
}

bool append_swclm_log(const fs::path& path, const std::string& line)
{
  const util::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    return false;
  }
  return write_fully(fd.get(), line + "\n") == 0;
}

void write_swclm_result(const fs::path& path, const json& body)
{
  write_file_atomic(path, dump_json(body, Pretty::yes) + "\n", k_secret_mode);
}

}  // namespace clm
