// JSON on stdin and stdout, the way every tool reads and writes it.
#pragma once

#include <clm/validate.hpp>

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace clm {

using nlohmann::json;

enum class Pretty { no, yes };

// Write one JSON value on one line (or indented with Pretty::yes), then flush.
// Invalid UTF-8 in strings is replaced rather than thrown on.
void write_json(std::ostream& out, const json& value, Pretty pretty);

// Return value serialized the way write_json writes it, without the newline.
std::string dump_json(const json& value, Pretty pretty = Pretty::no);

// The deepest nesting of arrays and objects parse_json accepts: no request or answer of
// the WebAPI goes past 4, and a hostile one must not cost memory or time by depth.
inline constexpr int k_max_json_depth = 32;

// Parse text as JSON; return nullopt when it is not valid JSON or nests deeper than
// k_max_json_depth.
std::optional<json> parse_json(std::string_view text);

// Return the string field of j, or "" when j is not an object or the field is absent or
// not a string: for answers and inputs whose shape is not to be trusted.
std::string string_field(const json& j, std::string_view field);

// Return the integer field of j when it is an integer that fits an int, else fallback.
int int_field(const json& j, std::string_view field, int fallback);

// Throw Error(http_error) for a server answer the tools cannot take, naming the field:
// "server answer: FIELD PROBLEM". Like an error answer, it exits 200.
[[noreturn]] void throw_bad_answer(std::string_view field, std::string_view problem);

// Typed readers for the fields of a server answer. Every field a tool takes from an
// answer goes through one of them, so a field of the wrong type or value is
// throw_bad_answer naming it ("server answer: deviceid is not a string"), never a
// nlohmann exception.

// Return the string field of answer, or nullopt when answer is not an object or the field
// is absent or null; throw_bad_answer naming the field when it is another type.
std::optional<std::string> answer_string(const json& answer, std::string_view field);

// Return the string field of answer checked with answer_value_problem against rule, or
// nullopt when absent or null; throw_bad_answer naming the field otherwise.
std::optional<std::string> answer_name(const json& answer, std::string_view field, Field rule, AnswerUse use);

// Return the integer field of answer (when it fits an int), or nullopt when absent or null;
// throw_bad_answer naming the field when it is another type or too large.
std::optional<int> answer_int(const json& answer, std::string_view field);

// Return the array field of answer, or nullptr when absent or null; throw_bad_answer
// naming the field when it is another type.
const json* answer_array(const json& answer, std::string_view field);

// Values a tool needs, from its flags first and then from one JSON object on stdin.
//
// stdin is read only when a needed value was not given as a flag and stdin is not
// a terminal, and then read once. A value found nowhere is Error(missing_parameter)
// naming both the option and the JSON field, so cron jobs fail instead of hanging.
class Inputs {
public:
  // Read from in; stdin_is_terminal disables reading (a human would have to type JSON).
  Inputs(std::istream& in, bool stdin_is_terminal);

  // Return flag when given, else the string (or number) field of the stdin object, else nullopt.
  std::optional<std::string> optional(const std::optional<std::string>& flag, std::string_view field);

  // Return flag when given, else the stdin field if stdin was already read for another
  // value, else nullopt. Never reads stdin itself, so an optional value cannot swallow
  // the input of a surrounding shell loop.
  std::optional<std::string> extra(const std::optional<std::string>& flag, std::string_view field);

  // Return flag when given, else the stdin field; throw Error(missing_parameter) naming option.
  std::string require(const std::optional<std::string>& flag, std::string_view field, std::string_view option);

  // Return the JSON object read from stdin (reading it now if needed), or nullopt when there is none.
  const std::optional<json>& stdin_object();

private:
  std::istream& m_in;
  bool m_terminal;
  bool m_read = false;
  std::optional<json> m_object;
};

// Return whether standard input is a terminal.
bool stdin_is_terminal();

}  // namespace clm
