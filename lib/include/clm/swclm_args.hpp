// The command line of SWCLMCLIENT (command reference chapters 3 and 4): a subcommand,
// single-dash long options ("-host H" or "-host=H"), and the -ext-data list of
// key=value items. CLI11 reads only GNU options, hence this reader.
#pragma once

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clm {

// The subcommands of chapters 3 and 4.
inline constexpr std::array<std::string_view, 13> k_swclm_subcommands{
  "idcreate",   "idget",      "idverify",    "iddelete", "certcreate",  "certget",    "certupdate",
  "certrevoke", "cmkeycreate", "cmkeyget",   "cmkeyupdate", "cmkeydelete", "cmkeyverify",
};

// Every option the reference names (any subcommand may be given any of them; one a
// subcommand does not use is ignored), plus our -passphrase-file. -outputpath, chapter
// 4's spelling, is read as -outpath.
inline constexpr std::array<std::string_view, 16> k_swclm_options{
  "host",     "port",        "p-host",     "p-port",     "timeout",       "ext-data",
  "mode",     "cacerttype",  "certtype",   "passphrase", "passphrasetype", "outpath",
  "cacertname", "certname",  "certkeyname", "passphrase-file",
};

// The words that ask for the usage and for the version, given anywhere on the line.
inline constexpr std::array<std::string_view, 3> k_swclm_help_words{"-help", "--help", "-h"};
inline constexpr std::array<std::string_view, 2> k_swclm_version_words{"-version", "--version"};

// What the value of an option is, where the reference fixes it (for shell completion);
// the options not listed take any text.
enum class SwclmValue { file, directory, choice };
struct SwclmOptionValue {
  std::string_view option;   // as in k_swclm_options
  SwclmValue kind;
  std::string_view choices;  // "pem|der" for SwclmValue::choice: every value some subcommand takes
};
inline constexpr std::array<SwclmOptionValue, 6> k_swclm_option_values{{
  {"mode", SwclmValue::choice, "caonly|client|server"},
  {"cacerttype", SwclmValue::choice, "pem|der"},
  {"certtype", SwclmValue::choice, "pem|der|p12"},
  {"passphrasetype", SwclmValue::choice, "base64|plaintext"},
  {"outpath", SwclmValue::directory, ""},
  {"passphrase-file", SwclmValue::file, ""},
}};
static_assert(std::all_of(k_swclm_option_values.begin(), k_swclm_option_values.end(),
                          [](const SwclmOptionValue& v) {
                            return std::find(k_swclm_options.begin(), k_swclm_options.end(), v.option)
                                   != k_swclm_options.end();
                          }),
              "k_swclm_option_values names an option k_swclm_options lacks");

enum class SwclmAsk { run, help, version };

struct SwclmArgs {
  SwclmAsk ask = SwclmAsk::run;
  std::string subcommand;
  std::map<std::string, std::string, std::less<>> options;   // name without the dash
  std::map<std::string, std::string, std::less<>> ext_data;  // the -ext-data items

  // Return the value of option name ("host"), or nullopt when it was not given.
  std::optional<std::string> option(std::string_view name) const;

  // Return the value of the -ext-data item key, or nullopt when it was not given.
  std::optional<std::string> ext(std::string_view key) const;
};

// Return the items of an -ext-data value in order: comma-separated key=value, the key
// running to the first '=' (spaces around it dropped), the value either up to the next
// comma or, when it starts with a double quote, up to the closing quote (commas kept,
// \" and \\ escapes) and then a comma or the end. Empty items are skipped.
// Error(bad_parameter) naming the item by its number, never its value (it may be a password).
std::vector<std::pair<std::string, std::string>> parse_swclm_ext_data(std::string_view text);

// Return the parsed command line args (argv without the program name). -help/--help/-h
// and -version/--version answer SwclmAsk::help/version. Error(bad_syntax) for an
// unknown option or subcommand, an option given twice, without a value or a stray
// argument; Error(bad_parameter) for an empty value or a bad -ext-data item (an item
// given twice among them); Error(missing_parameter) without a subcommand.
SwclmArgs parse_swclm_args(const std::vector<std::string>& args);

}  // namespace clm
