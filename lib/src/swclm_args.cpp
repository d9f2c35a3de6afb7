#include <clm/error.hpp>
#include <clm/swclm_args.hpp>
#include <clm/text.hpp>

#include <algorithm>

namespace clm {

namespace {

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& names, std::string_view name)
{
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string all_subcommands()
{
  std::string names;
  for (const auto name : k_swclm_subcommands) {
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
  return names;
}

[[noreturn]] void bad_item(std::size_t number, const std::string& problem)
{
  throw Error(ExitCode::bad_parameter, "-ext-data: item " + std::to_string(number) + " " + problem);
}

// Return arg for a message when it is a plain word, else "argument N": a stray
// argument may be a password that lost its -ext-data ("key=...").
std::string argument_name(const std::string& arg, std::size_t index)
{
  const bool plain = !arg.empty() && arg.size() <= 64 && std::all_of(arg.begin(), arg.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
  return plain ? "'" + arg + "'" : "argument " + std::to_string(index + 1);
}

bool is_space(char c)
{
  return c == ' ' || c == '\t';
}

}  // namespace

std::optional<std::string> SwclmArgs::option(std::string_view name) const
{
  const auto it = options.find(name);
  return it == options.end() ? std::nullopt : std::optional<std::string>(it->second);
}

std::optional<std::string> SwclmArgs::ext(std::string_view key) const
{
  const auto it = ext_data.find(key);
  return it == ext_data.end() ? std::nullopt : std::optional<std::string>(it->second);
}

std::vector<std::pair<std::string, std::string>> parse_swclm_ext_data(std::string_view text)
{
  std::vector<std::pair<std::string, std::string>> items;
  std::size_t pos = 0;
  std::size_t number = 0;
  while (pos < text.size()) {
    if (text[pos] == ',' || is_space(text[pos])) {
      ++pos;
      continue;
    }
    ++number;
    const std::size_t end_of_key = text.find_first_of("=,", pos);
    if (end_of_key == std::string_view::npos || text[end_of_key] == ',') {
      bad_item(number, "is not key=value");
    }
    std::string key = trim(text.substr(pos, end_of_key - pos));
    for (const char c : key) {
      if (c <= 0x20 || c >= 0x7f || c == '"') {
        bad_item(number, "has a key that is not printable ASCII without spaces and quotes");
      }
    }
    if (key.empty()) {
      bad_item(number, "has no key before '='");
    }
    std::size_t i = end_of_key + 1;
    std::string value;
    if (i < text.size() && text[i] == '"') {
      bool closed = false;
      for (++i; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\\' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\')) {
          value += text[++i];
        } else if (c == '"') {
          closed = true;
          ++i;
          break;
        } else {
          value += c;
        }
      }
      if (!closed) {
        throw Error(ExitCode::bad_parameter, "-ext-data " + key + ": the value has no closing double quote");
      }
      while (i < text.size() && is_space(text[i])) {
        ++i;
      }
      if (i < text.size() && text[i] != ',') {
        throw Error(ExitCode::bad_parameter, "-ext-data " + key + ": text after the closing double quote");
      }
    } else {
      const std::size_t comma = std::min(text.find(',', i), text.size());
      value = std::string(text.substr(i, comma - i));
      i = comma;
    }
    items.emplace_back(std::move(key), std::move(value));
    pos = i;
  }
  return items;
}

SwclmArgs parse_swclm_args(const std::vector<std::string>& args)
{
  SwclmArgs out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (one_of(k_swclm_help_words, arg)) {
      out.ask = SwclmAsk::help;
      return out;
    }
    if (one_of(k_swclm_version_words, arg)) {
      out.ask = SwclmAsk::version;
      return out;
    }
    if (arg.empty() || arg.front() != '-') {
      if (!out.subcommand.empty()) {
        throw Error(ExitCode::bad_syntax, "unexpected " + argument_name(arg, i)
                                            + " (a value follows its option; -ext-data items are joined by"
                                              " commas, without spaces)");
      }
      if (!one_of(k_swclm_subcommands, arg)) {
        throw Error(ExitCode::bad_syntax,
                    "unknown subcommand " + argument_name(arg, i) + " (one of " + all_subcommands() + ")");
      }
      out.subcommand = arg;
      continue;
    }
    const std::size_t eq = arg.find('=');
    std::string name = arg.substr(1, eq == std::string::npos ? std::string::npos : eq - 1);
    if (!name.empty() && name.front() == '-') {
      throw Error(ExitCode::bad_syntax, "unknown option -" + log_safe(name.substr(0, 64))
                                          + " (SWCLMCLIENT options take one dash, such as -host)");
    }
    if (name == "outputpath") {
      name = "outpath";
    }
    if (!one_of(k_swclm_options, name)) {
      throw Error(ExitCode::bad_syntax, "unknown option -" + log_safe(name.substr(0, 64)));
    }
    std::string value;
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      throw Error(ExitCode::bad_syntax, "-" + name + " needs a value");
    }
    if (value.empty()) {
      throw Error(ExitCode::bad_parameter, "-" + name + ": empty value");
    }
    if (out.options.count(name)) {
      throw Error(ExitCode::bad_syntax, "-" + name + " given twice");
    }
    if (name == "ext-data") {
      for (auto& [key, v] : parse_swclm_ext_data(value)) {
        if (out.ext_data.count(key)) {
          throw Error(ExitCode::bad_parameter, "-ext-data " + key + " given twice");
        }
        out.ext_data.emplace(std::move(key), std::move(v));
      }
    }
    out.options.emplace(std::move(name), std::move(value));
  }
  if (out.subcommand.empty()) {
    throw Error(ExitCode::missing_parameter, "missing subcommand: one of " + all_subcommands());
  }
  return out;
}

}  // namespace clm
