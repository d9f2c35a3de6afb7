// Fuzz the SWCLMCLIENT command line reader (lib swclm_args.hpp). Properties beyond "does
// not crash": a failure is only Error(bad_parameter) for -ext-data and Error 1/4/5 for a
// command line; every key read is non-empty printable ASCII without '=', ',', spaces or
// quotes; the items written back with quoted, escaped values read back the same; a
// command line read holds a known subcommand and only known options.
#include <clm/error.hpp>
#include <clm/swclm_args.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

void require(bool ok, const char* what)
{
  if (!ok) {
    std::fprintf(stderr, "fuzz_swclm_args: property failed: %s\n", what);
    std::abort();
  }
}

std::string quoted(const std::string& value)
{
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

void fuzz_ext_data(std::string_view text)
{
  std::vector<std::pair<std::string, std::string>> items;
  try {
    items = clm::parse_swclm_ext_data(text);
  } catch (const clm::Error& e) {
    require(e.code() == clm::ExitCode::bad_parameter, "ext-data threw another exit code");
    return;
  }
  std::string again;
  for (const auto& [key, value] : items) {
    require(!key.empty(), "empty key");
    require(std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7f && c != '"'; }),
            "key with a space, quote or control character");
    require(key.find_first_of("=,") == std::string::npos, "key with '=' or ','");
    again += (again.empty() ? "" : ",") + key + "=" + quoted(value);
  }
  require(clm::parse_swclm_ext_data(again) == items, "quoted items do not read back the same");
}

void fuzz_command_line(std::string_view text)
{
  std::vector<std::string> args;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\0') {
      args.emplace_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  try {
    const clm::SwclmArgs a = clm::parse_swclm_args(args);
    if (a.ask != clm::SwclmAsk::run) {
      return;
    }
    require(std::find(clm::k_swclm_subcommands.begin(), clm::k_swclm_subcommands.end(), a.subcommand)
              != clm::k_swclm_subcommands.end(),
            "unknown subcommand accepted");
    for (const auto& [name, value] : a.options) {
      require(std::find(clm::k_swclm_options.begin(), clm::k_swclm_options.end(), name) != clm::k_swclm_options.end(),
              "unknown option accepted");
      require(!value.empty(), "empty option value accepted");
    }
  } catch (const clm::Error& e) {
    const auto code = e.code();
    require(code == clm::ExitCode::bad_parameter || code == clm::ExitCode::missing_parameter
              || code == clm::ExitCode::bad_syntax,
            "command line threw another exit code");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  if (size == 0) {
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    fuzz_ext_data(text);
  } else {
    fuzz_command_line(text);
  }
  return 0;
}
