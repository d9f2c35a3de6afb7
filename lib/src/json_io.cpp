#include <clm/error.hpp>
#include <clm/json_io.hpp>

#include <cstdint>
#include <istream>
#include <iterator>
#include <limits>
#include <ostream>
#include <unistd.h>

namespace clm {

std::string dump_json(const json& value, Pretty pretty)
{
  return value.dump(pretty == Pretty::yes ? 2 : -1, ' ', false, json::error_handler_t::replace);
}

void write_json(std::ostream& out, const json& value, Pretty pretty)
{
  out << dump_json(value, pretty) << '\n';
  out.flush();
}

namespace {

// Return whether text nests arrays and objects deeper than max_depth, brackets inside
// strings aside; one pass, before the parser builds anything.
bool nests_deeper_than(std::string_view text, int max_depth)
{
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return true;
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace

std::optional<json> parse_json(std::string_view text)
{
  if (nests_deeper_than(text, k_max_json_depth)) {
    return std::nullopt;
  }
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) {
    return std::nullopt;
  }
  return j;
}

std::string string_field(const json& j, std::string_view field)
{
  if (!j.is_object()) {
    return {};
  }
  const auto it = j.find(field);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

namespace {

// Return v when it is an integer that fits an int.
std::optional<int> int_value(const json& v)
{
  if (!v.is_number_integer()) {
    return std::nullopt;
  }
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    return u <= static_cast<std::uint64_t>(std::numeric_limits<int>::max()) ? std::optional<int>(static_cast<int>(u))
                                                                             : std::nullopt;
  }
  const auto n = v.get<std::int64_t>();
  return n >= std::numeric_limits<int>::min() && n <= std::numeric_limits<int>::max()
           ? std::optional<int>(static_cast<int>(n))
           : std::nullopt;
}

}  // namespace

int int_field(const json& j, std::string_view field, int fallback)
{
  if (!j.is_object()) {
    return fallback;
  }
  const auto it = j.find(field);
  return it == j.end() ? fallback : int_value(*it).value_or(fallback);
}

namespace {

// Return the field of answer, or nullptr when answer is not an object or it is absent or null.
const json* answer_field(const json& answer, std::string_view field)
{
  if (!answer.is_object()) {
    return nullptr;
  }
  const auto it = answer.find(field);
  return it == answer.end() || it->is_null() ? nullptr : &*it;
}


}  // namespace

void throw_bad_answer(std::string_view field, std::string_view problem)
{
  throw Error(ExitCode::http_error, "server answer: " + std::string(field) + " " + std::string(problem));
}

std::optional<std::string> answer_string(const json& answer, std::string_view field)
{
  const json* v = answer_field(answer, field);
  if (!v) {
    return std::nullopt;
  }
  if (!v->is_string()) {
    throw_bad_answer(field, std::string("is not a string but ") + v->type_name());
  }
  return v->get<std::string>();
}

std::optional<std::string> answer_name(const json& answer, std::string_view field, Field rule, AnswerUse use)
{
  auto s = answer_string(answer, field);
  if (s) {
    if (const auto problem = answer_value_problem(rule, *s, use)) {
      throw_bad_answer(field, *problem);
    }
  }
  return s;
}

std::optional<int> answer_int(const json& answer, std::string_view field)
{
  const json* v = answer_field(answer, field);
  if (!v) {
    return std::nullopt;
  }
  if (!v->is_number_integer()) {
    throw_bad_answer(field, std::string("is not an integer but ") + v->type_name());
  }
  const auto n = int_value(*v);
  if (!n) {
    throw_bad_answer(field, "is out of range");
  }
  return n;
}

const json* answer_array(const json& answer, std::string_view field)
{
  const json* v = answer_field(answer, field);
  if (v && !v->is_array()) {
    throw_bad_answer(field, std::string("is not an array but ") + v->type_name());
  }
  return v;
}

bool stdin_is_terminal()
{
  return ::isatty(STDIN_FILENO) == 1;
}

Inputs::Inputs(std::istream& in, bool stdin_is_terminal) : m_in(in), m_terminal(stdin_is_terminal) {}

const std::optional<json>& Inputs::stdin_object()
{
  if (m_read || m_terminal) {
    return m_object;
  }
  m_read = true;
  const std::string text{std::istreambuf_iterator<char>(m_in), std::istreambuf_iterator<char>()};
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return m_object;  // EOF or blank: nothing was piped in
  }
  auto j = parse_json(text);
  if (!j || !j->is_object()) {
    throw Error(ExitCode::bad_parameter, "stdin: expected one JSON object");
  }
  m_object = std::move(j);
  return m_object;
}

std::optional<std::string> Inputs::optional(const std::optional<std::string>& flag, std::string_view field)
{
  if (flag) {
    return flag;
  }
  const auto& obj = stdin_object();
  if (!obj) {
    return std::nullopt;
  }
  const auto it = obj->find(field);
  if (it == obj->end() || it->is_null()) {
    return std::nullopt;
  }
  if (it->is_string()) {
    return it->get<std::string>();
  }
  if (it->is_number_integer()) {
    return it->dump();  // signed or unsigned, every digit kept
  }
  throw Error(ExitCode::bad_parameter, "stdin: field \"" + std::string(field) + "\" is not a string");
}

std::optional<std::string> Inputs::extra(const std::optional<std::string>& flag, std::string_view field)
{
  if (flag || !m_read) {
    return flag;
  }
  return optional(flag, field);
}

std::string Inputs::require(const std::optional<std::string>& flag, std::string_view field, std::string_view option)
{
  if (auto v = optional(flag, field)) {
    return *v;
  }
  std::string msg = "missing " + std::string(option);
  msg += m_terminal ? " (stdin is a terminal, so it was not read)"
                    : " (not given, and no \"" + std::string(field) + "\" field in the JSON on stdin)";
  throw Error(ExitCode::missing_parameter, msg);
}

}  // namespace clm
