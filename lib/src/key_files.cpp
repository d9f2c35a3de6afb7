#include <clm/atomic_file.hpp>
#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/json_io.hpp>
#include <clm/key_files.hpp>
#include <clm/otr.hpp>
#include <clm/output_files.hpp>
#include <clm/process.hpp>
#include <clm/sidecar.hpp>
#include <clm/util/errno_error.hpp>
#include <clm/util/hex.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <openssl/crypto.h>

namespace clm {

namespace fs = std::filesystem;

KeyEncoding parse_key_encoding(const std::string& name, const std::string& option)
{
  if (name == "raw") {
    return KeyEncoding::raw;
  }
  if (name == "hex") {
    return KeyEncoding::hex;
  }
  if (name == "base64") {
    return KeyEncoding::base64;
  }
  throw Error(ExitCode::bad_parameter, option + ": '" + name + "' is not raw, hex or base64");
}

std::string encode_key(std::string_view key, KeyEncoding encoding)
{
  switch (encoding) {
  case KeyEncoding::raw:
    return std::string(key);
  case KeyEncoding::hex:
    return util::hex_encode(key) + "\n";
  case KeyEncoding::base64:
    return base64_encode(key) + "\n";
  }
  return {};
}

std::string decode_key(std::string_view contents, KeyEncoding encoding, const fs::path& path)
{
  if (encoding == KeyEncoding::raw) {
    if (contents.empty()) {
      throw Error(ExitCode::bad_file_format, path.string() + ": the key file is empty");
    }
    return std::string(contents);
  }
  std::string_view text = contents;
  if (!text.empty() && text.back() == '\n') {
    text.remove_suffix(1);
  }
  if (!text.empty() && text.back() == '\r') {
    text.remove_suffix(1);
  }
  try {
    std::string key = encoding == KeyEncoding::hex ? util::hex_decode(text) : base64_decode(text);
    if (key.empty()) {
      throw Error(ExitCode::bad_file_format, "no key");
    }
    return key;
  } catch (const Error& e) {
    const char* name = encoding == KeyEncoding::hex ? "hex" : "base64";
    throw Error(ExitCode::bad_file_format,
                path.string() + ": not a key in " + name + " (" + e.what() + "); see --encoding");
  }
}

std::string key_of_answer(const json& body)
{
  // keynumber names the key in what the tool prints and in its messages.
  answer_name(body, "keynumber", Field::keynumber, AnswerUse::value);
  const std::string text = answer_string(body, "commonkey").value_or("");
  std::string key;
  try {
    key = base64_decode(text);
  } catch (const Error& e) {
    throw_bad_answer("commonkey", std::string("is not base64: ") + e.what());
  }
  if (key.empty()) {
    throw_bad_answer("commonkey", "is missing or empty");
  }
  return key;
}

std::string read_key_file(const fs::path& path, KeyEncoding encoding)
{
  return decode_key(read_file(path), encoding, path);
}

std::vector<std::string> write_key_file(const fs::path& path, std::string_view key, KeyEncoding encoding)
{
  return write_with_sidecar(path, encode_key(key, encoding), k_secret_mode);
}

fs::path default_lightcipher()
{
  const fs::path first = "/opt/nec/twine-otr/bin/lightcipher64";
  const fs::path second = "/data/twine-otr/bin/lightcipher";
  std::error_code ec;
  if (!fs::exists(first, ec) && fs::exists(second, ec)) {
    return second;
  }
  return first;
}

std::vector<std::string> write_key_file_with_lightcipher(const fs::path& lightcipher, const fs::path& path,
                                                         std::string_view key, const std::string& option)
{
  // The key file is private (0700) while it is made; what a killed run left is removed.
  const std::string prefix = "." + path.filename().string() + ".lightcipher.";
  remove_stale_entries(path.parent_path(), prefix, fs::file_type::directory);
  const LockedTempDir temp = make_locked_temp_dir(path.parent_path(), prefix, "create temporary directory");
  const fs::path& tmpdir = temp.path;
  try {
    const fs::path made = tmpdir / path.filename();
    // The key goes through a pipe: a command line is readable by every user in /proc.
    std::string line = util::hex_encode(key) + "\n";
    try {
      run_program({lightcipher.string(), "-create_key_file", "-", made.string()}, {}, option, line);
    } catch (...) {
      OPENSSL_cleanse(line.data(), line.size());
      throw;
    }
    OPENSSL_cleanse(line.data(), line.size());
    std::error_code ec;
    if (!fs::is_regular_file(made, ec)) {
      throw Error(ExitCode::external_command,
                  option + " " + lightcipher.string() + ": succeeded but wrote no key file");
    }
    const std::string contents = read_file(made);
    auto files = install_with_sidecar(made, path, contents, k_secret_mode);
    fs::remove(tmpdir, ec);
    return files;
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmpdir, ec);
    throw;
  }
}

fs::path key_path(const std::optional<std::string>& dir, const std::string& dir_option,
                  const std::optional<std::string>& name, const std::string& name_option)
{
  const std::string n = name.value_or(k_default_key_file_name);
  check_file_name(n, name_option);
  if (!dir) {
    throw Error(ExitCode::missing_parameter, "missing " + dir_option + " DIR");
  }
  check_out_dir(*dir, n.size(), dir_option);
  return fs::path(*dir) / n;
}

KeyWriter::KeyWriter(const std::string& encoding_name, EncodingGiven given, UseLightcipher use,
                     const std::optional<std::string>& twinecmd, KeyWriterOptions names)
  : options(std::move(names))
{
  encoding = parse_key_encoding(encoding_name, options.encoding);
  if (use == UseLightcipher::yes) {
    if (given == EncodingGiven::yes) {
      throw Error(ExitCode::bad_parameter,
                  options.encoding + ": lightcipher writes its own key file format; drop one of the two");
    }
    lightcipher = twinecmd ? fs::path(*twinecmd) : default_lightcipher();
  }
}

std::vector<std::string> KeyWriter::write(const ApiResult& r, const fs::path& path) const
{
  const std::string key = key_of_answer(r.body);
  if (lightcipher) {
    if (key.size() != 16) {
      const auto keynumber = answer_name(r.body, "keynumber", Field::keynumber, AnswerUse::value);
      throw Error(ExitCode::bad_parameter,
                  options.lightcipher + ": key " + keynumber.value_or("") + " is not a 128-bit key");
    }
    return write_key_file_with_lightcipher(*lightcipher, path, key, options.twinecmd);
  }
  return write_key_file(path, key, encoding);
}

std::string twine_otr_encdata(std::string_view key, const std::string& devicename, const fs::path& path,
                              const std::string& option)
{
  if (key.size() != 16) {
    throw Error(ExitCode::bad_parameter,
                option + ": " + path.string() + " does not hold a 128-bit key (TWINE-128 only)");
  }
  return twine_otr_seal(key, devicename);
}

std::vector<std::string> remove_key_file(const fs::path& path)
{
  std::vector<std::string> removed;
  for (const fs::path& p : {path, sidecar_path(path, DigestKind::sha256)}) {
    std::error_code ec;
    if (fs::exists(fs::symlink_status(p, ec))) {
      remove_file_durable(p);
      removed.push_back(p.string());
    }
  }
  return removed;
}

json key_output(const ApiResult& result, const std::string& devicename, const std::string& file,
                const std::vector<std::string>& files)
{
  json out = api_output(result);
  out.erase("commonkey");
  out.erase("devicekey");
  out["devicename"] = devicename;
  if (!file.empty()) {
    out["file"] = file;
  }
  out["files"] = files;
  out["changed"] = result.ok();
  return out;
}

}  // namespace clm
