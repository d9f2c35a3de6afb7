// Common keys on the device: key files in raw, hex or base64 form with their sidecars,
// files made by the external lightcipher command, and the JSON clm-key prints.
#pragma once

#include <clm/http_client.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clm {

enum class KeyEncoding { raw, hex, base64 };

// Return the encoding named raw, hex or base64; throw Error(bad_parameter) naming option.
KeyEncoding parse_key_encoding(const std::string& name, const std::string& option);

// Return key as a key file holds it: the bytes (raw), or hex/base64 text and a newline.
std::string encode_key(std::string_view key, KeyEncoding encoding);

// Return the key bytes of a key file's contents (hex and base64 may end in a newline);
// throw Error(bad_file_format) naming path when the text is not in that encoding.
std::string decode_key(std::string_view contents, KeyEncoding encoding, const std::filesystem::path& path);

// Return the key of a KeyInfo answer body (its commonkey, base64-decoded);
// throw_bad_answer when it holds none, the commonkey does not decode, or a field
// (commonkey, keynumber) is of the wrong type or value.
std::string key_of_answer(const json& body);

// Return the key held in path; Error(file_read) when it cannot be read.
std::string read_key_file(const std::filesystem::path& path, KeyEncoding encoding);

// Write key to path (0600, atomically) with its .sha256 sidecar; return both paths.
std::vector<std::string> write_key_file(const std::filesystem::path& path, std::string_view key,
                                        KeyEncoding encoding);

// Return the lightcipher command of the command reference: the first of
// /opt/nec/twine-otr/bin/lightcipher64 and /data/twine-otr/bin/lightcipher that exists
// (the first when neither does, so the error names it).
std::filesystem::path default_lightcipher();

// Have lightcipher write its key file for key ("lightcipher -create_key_file - <file>",
// the key in hex and a newline on its standard input, never on its command line) into
// a private temporary directory beside path, then move it to path (0600)
// and write its .sha256 sidecar; return both paths. Error(external_command) naming
// option when the command fails or writes no file; nothing is left behind then.
std::vector<std::string> write_key_file_with_lightcipher(const std::filesystem::path& lightcipher,
                                                         const std::filesystem::path& path, std::string_view key,
                                                         const std::string& option);

// The key file name when none is given (command reference cmkeycreate: cmkey).
inline constexpr const char* k_default_key_file_name = "cmkey";

// Return dir/name (name defaulting to cmkey) after checking both: Error(missing_parameter)
// naming dir_option when there is no dir, else the checks of check_out_dir and
// check_file_name naming dir_option and name_option.
std::filesystem::path key_path(const std::optional<std::string>& dir, const std::string& dir_option,
                               const std::optional<std::string>& name, const std::string& name_option);

enum class EncodingGiven { no, yes };
enum class UseLightcipher { no, yes };

// The option names a KeyWriter's errors name (clm-key's by default).
struct KeyWriterOptions {
  std::string encoding = "--encoding";
  std::string lightcipher = "--lightcipher";
  std::string twinecmd = "--twinecmd";
};

// How key files are written: encoded, or made by lightcipher (TWINE-128 keys only).
struct KeyWriter {
  KeyEncoding encoding = KeyEncoding::raw;
  std::optional<std::filesystem::path> lightcipher;
  KeyWriterOptions options;

  // Take the encoding named encoding; with UseLightcipher::yes the command twinecmd (else
  // default_lightcipher()). Error(bad_parameter) for an unknown encoding, or for an
  // encoding the user named together with lightcipher.
  KeyWriter(const std::string& encoding, EncodingGiven given, UseLightcipher use,
            const std::optional<std::string>& twinecmd, KeyWriterOptions names = {});

  // Write the key of an answer to path; return the files written. Error(bad_parameter)
  // when lightcipher is to write a key that is not 128 bits long.
  std::vector<std::string> write(const ApiResult& r, const std::filesystem::path& path) const;
};

// Return the encdata of a KeyInfo auth for key: devicename sealed with TWINE-OTR under
// key; Error(bad_parameter) naming option and path when key is not 128 bits long.
std::string twine_otr_encdata(std::string_view key, const std::string& devicename,
                              const std::filesystem::path& path, const std::string& option);

// Remove path and path.sha256, durably; return the paths that existed.
std::vector<std::string> remove_key_file(const std::filesystem::path& path);

// Return what clm-key prints for an answer: the server's fields without the key and the
// devicekey, plus devicename, file (the key file, when there is one), files and changed.
json key_output(const ApiResult& result, const std::string& devicename, const std::string& file,
                const std::vector<std::string>& files);

}  // namespace clm
