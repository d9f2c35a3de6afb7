// Tests of JSON input and output: values from flags or one JSON object on stdin,
// never hanging on a terminal, and output that survives invalid UTF-8.
#include <clm/error.hpp>
#include <clm/json_io.hpp>

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <sstream>
#include <utility>
#include <string>

namespace {

using clm::ExitCode;
using clm::Inputs;
using clm::json;
using clm::test::error_of;

const std::optional<std::string> k_no_flag{};

// Return the code of the clm::Error thrown when "keyid" is looked up on a stdin holding text, or nullopt.
std::optional<ExitCode> stdin_error_for(const char* text)
{
  std::istringstream in(text);
  Inputs inputs(in, false);
  const auto err = error_of([&] { inputs.optional(k_no_flag, "keyid"); });
  if (!err) {
    return std::nullopt;
  }
  return err->code();
}

// A stream buffer that counts how often it is asked for more input.
class CountingBuf : public std::stringbuf {
public:
  explicit CountingBuf(const std::string& s) : std::stringbuf(s, std::ios::in) {}
  int underflows() const { return m_underflows; }

protected:
  int_type underflow() override
  {
    ++m_underflows;
    return std::stringbuf::underflow();
  }

private:
  int m_underflows = 0;
};

// ---- Inputs: where values come from ----------------------------------------

TEST(Inputs, flag_wins_over_stdin)
{
  std::istringstream in(R"({"keyid":"0000000002"})");
  Inputs inputs(in, false);
  EXPECT_EQ(inputs.require(std::string("0000000001"), "keyid", "--keyid"), "0000000001");
}

TEST(Inputs, flag_given_leaves_stdin_unread)
{
  std::istringstream in(R"({"keyid":"0000000002"})");
  Inputs inputs(in, false);
  EXPECT_EQ(inputs.optional(std::string("0000000001"), "keyid"), "0000000001");
  EXPECT_EQ(in.peek(), '{') << "stdin was consumed although the flag was given";
}

TEST(Inputs, stdin_field_used_when_flag_missing)
{
  std::istringstream in(R"({"keyid":"0000000002","key":"pw"})");
  Inputs inputs(in, false);
  EXPECT_EQ(inputs.require(k_no_flag, "keyid", "--keyid"), "0000000002");
}

TEST(Inputs, integer_field_is_accepted_as_string)
{
  std::istringstream in(R"({"keyid":42,"neg":-3,"zero":0})");
  Inputs inputs(in, false);
  EXPECT_EQ(inputs.optional(k_no_flag, "keyid"), "42");
  EXPECT_EQ(inputs.optional(k_no_flag, "neg"), "-3");
  EXPECT_EQ(inputs.optional(k_no_flag, "zero"), "0");
}

TEST(Inputs, large_unsigned_field_keeps_its_value)
{
  std::istringstream in(R"({"big":18446744073709551615,"max_signed":9223372036854775807})");
  Inputs inputs(in, false);
  EXPECT_EQ(inputs.optional(k_no_flag, "max_signed"), "9223372036854775807");
  EXPECT_EQ(inputs.optional(k_no_flag, "big"), "18446744073709551615");
}

TEST(Inputs, missing_field_is_nullopt)
{
  std::istringstream in(R"({"other":"x"})");
  Inputs inputs(in, false);
  EXPECT_EQ(inputs.optional(k_no_flag, "keyid"), std::nullopt);
}

TEST(Inputs, null_field_counts_as_missing)
{
  std::istringstream in(R"({"keyid":null})");
  Inputs inputs(in, false);
  EXPECT_EQ(inputs.optional(k_no_flag, "keyid"), std::nullopt);
  EXPECT_TRUE(error_of([&] { inputs.require(k_no_flag, "keyid", "--keyid"); }).has_value());
}

TEST(Inputs, non_string_field_is_bad_parameter)
{
  for (const char* text : {R"({"keyid":true})", R"({"keyid":{"a":1}})", R"({"keyid":["1"]})"}) {
    EXPECT_EQ(stdin_error_for(text), ExitCode::bad_parameter) << text;
  }
}

TEST(Inputs, missing_everywhere_is_missing_parameter_naming_option_and_field)
{
  std::istringstream in(R"({"other":"x"})");
  Inputs inputs(in, false);
  const auto err = error_of([&] { inputs.require(k_no_flag, "keyid", "--keyid"); });
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code(), ExitCode::missing_parameter);
  const std::string msg = err->what();
  EXPECT_NE(msg.find("--keyid"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"keyid\""), std::string::npos) << msg;
}

// ---- Inputs: when stdin is read --------------------------------------------

TEST(Inputs, terminal_is_never_read)
{
  std::istringstream in(R"({"keyid":"0000000002"})");
  Inputs inputs(in, true);
  EXPECT_EQ(inputs.optional(k_no_flag, "keyid"), std::nullopt);
  EXPECT_FALSE(inputs.stdin_object().has_value());
  EXPECT_EQ(in.peek(), '{') << "the terminal was read";
}

TEST(Inputs, require_on_terminal_is_missing_parameter)
{
  std::istringstream in(R"({"keyid":"0000000002"})");
  Inputs inputs(in, true);
  const auto err = error_of([&] { inputs.require(k_no_flag, "keyid", "--keyid"); });
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code(), ExitCode::missing_parameter);
  EXPECT_NE(std::string(err->what()).find("--keyid"), std::string::npos) << err->what();
}

TEST(Inputs, terminal_still_takes_flags)
{
  std::istringstream in("");
  Inputs inputs(in, true);
  EXPECT_EQ(inputs.require(std::string("v"), "field", "--flag"), "v");
}

TEST(Inputs, empty_stdin_is_missing_parameter)
{
  std::istringstream in("");
  Inputs inputs(in, false);
  const auto err = error_of([&] { inputs.require(k_no_flag, "keyid", "--keyid"); });
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code(), ExitCode::missing_parameter);
}

TEST(Inputs, blank_stdin_means_no_object)
{
  std::istringstream in(" \n\t\r\n");
  Inputs inputs(in, false);
  EXPECT_FALSE(inputs.stdin_object().has_value());
  EXPECT_EQ(inputs.optional(k_no_flag, "keyid"), std::nullopt);
}

TEST(Inputs, invalid_json_is_bad_parameter)
{
  for (const char* text : {"{", "not json", R"({"keyid":})", "{}{}", R"({"a":1} x)"}) {
    EXPECT_EQ(stdin_error_for(text), ExitCode::bad_parameter) << "'" << text << "'";
  }
}

TEST(Inputs, json_that_is_not_an_object_is_bad_parameter)
{
  for (const char* text : {R"(["0000000001"])", R"("0000000001")", "1", "null", "true"}) {
    EXPECT_EQ(stdin_error_for(text), ExitCode::bad_parameter) << "'" << text << "'";
  }
}

TEST(Inputs, stdin_is_read_once_for_several_fields)
{
  CountingBuf buf(R"({"keyid":"0000000001","key":"pw","alias":"a"})");
  std::istream in(&buf);
  Inputs inputs(in, false);
  EXPECT_EQ(inputs.require(k_no_flag, "keyid", "--keyid"), "0000000001");
  const int after_first = buf.underflows();
  EXPECT_EQ(inputs.require(k_no_flag, "key", "--key"), "pw");
  EXPECT_EQ(inputs.optional(k_no_flag, "alias"), "a");
  EXPECT_EQ(inputs.optional(k_no_flag, "missing"), std::nullopt);
  EXPECT_EQ(buf.underflows(), after_first) << "stdin was read again";
}

TEST(Inputs, stdin_object_returns_the_parsed_object)
{
  std::istringstream in(R"({"a":"1","b":[1,2]})");
  Inputs inputs(in, false);
  const auto& obj = inputs.stdin_object();
  ASSERT_TRUE(obj.has_value());
  EXPECT_EQ(*obj, json::parse(R"({"a":"1","b":[1,2]})"));
  EXPECT_EQ(&inputs.stdin_object(), &obj);
}

// ---- Inputs::extra: optional values that never read stdin themselves --------

TEST(InputsExtra, flag_is_returned)
{
  std::istringstream in(R"({"alias":"from-stdin"})");
  Inputs inputs(in, false);
  EXPECT_EQ(inputs.extra(std::string("from-flag"), "alias"), "from-flag");
  EXPECT_EQ(in.peek(), '{') << "stdin was read for a value given as a flag";
}

TEST(InputsExtra, does_not_read_stdin_by_itself)
{
  std::istringstream in(R"({"alias":"from-stdin"})");
  Inputs inputs(in, false);
  EXPECT_EQ(inputs.extra(k_no_flag, "alias"), std::nullopt);
  EXPECT_EQ(in.peek(), '{') << "an optional value swallowed stdin";
}

TEST(InputsExtra, uses_stdin_already_read_for_another_value)
{
  std::istringstream in(R"({"keyid":"0000000001","alias":"from-stdin"})");
  Inputs inputs(in, false);
  EXPECT_EQ(inputs.require(k_no_flag, "keyid", "--keyid"), "0000000001");
  EXPECT_EQ(inputs.extra(k_no_flag, "alias"), "from-stdin");
  EXPECT_EQ(inputs.extra(k_no_flag, "missing"), std::nullopt);
}

TEST(InputsExtra, read_stdin_still_leaves_a_flag_winning)
{
  std::istringstream in(R"({"keyid":"0000000001","alias":"from-stdin"})");
  Inputs inputs(in, false);
  inputs.require(k_no_flag, "keyid", "--keyid");
  EXPECT_EQ(inputs.extra(std::string("from-flag"), "alias"), "from-flag");
}

TEST(InputsExtra, terminal_gives_nullopt)
{
  std::istringstream in(R"({"alias":"from-stdin"})");
  Inputs inputs(in, true);
  EXPECT_EQ(inputs.extra(k_no_flag, "alias"), std::nullopt);
}

// ---- parse_json, dump_json, write_json -------------------------------------

TEST(ParseJson, valid_text_parses)
{
  const auto j = clm::parse_json(R"({"a":[1,"two",null]})");
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ((*j)["a"][1], "two");
}

TEST(ParseJson, invalid_text_is_nullopt)
{
  EXPECT_EQ(clm::parse_json(""), std::nullopt);
  EXPECT_EQ(clm::parse_json("{"), std::nullopt);
  EXPECT_EQ(clm::parse_json("[1,]"), std::nullopt);
  EXPECT_EQ(clm::parse_json("\"\xff\""), std::nullopt);
}

TEST(DumpJson, compact_output_is_one_line)
{
  const json j{{"errorcode", 0}, {"keyid", "0000000001"}};
  const std::string s = clm::dump_json(j);
  EXPECT_EQ(s.find('\n'), std::string::npos);
  EXPECT_EQ(clm::parse_json(s), j);
}

TEST(DumpJson, pretty_output_is_indented_and_equivalent)
{
  const json j{{"errorcode", 0}, {"keyinfo", json::array({json{{"keyid", "1"}}})}};
  const std::string s = clm::dump_json(j, clm::Pretty::yes);
  EXPECT_NE(s.find("\n  "), std::string::npos) << s;
  EXPECT_EQ(clm::parse_json(s), j);
}

TEST(DumpJson, invalid_utf8_does_not_throw)
{
  const json j{{"alias", std::string("bad\xff\xfe utf8 \xc3")}};
  std::string s;
  EXPECT_NO_THROW(s = clm::dump_json(j));
  EXPECT_NO_THROW(s = clm::dump_json(j, clm::Pretty::yes));
  // The output is itself valid JSON (the bad bytes are replaced).
  const auto back = clm::parse_json(s);
  ASSERT_TRUE(back.has_value()) << s;
  EXPECT_EQ((*back)["alias"].get<std::string>().substr(0, 3), "bad");
}

TEST(WriteJson, writes_one_line_and_a_newline)
{
  std::ostringstream out;
  clm::write_json(out, json{{"a", 1}}, clm::Pretty::no);
  EXPECT_EQ(out.str(), "{\"a\":1}\n");
}

TEST(WriteJson, invalid_utf8_does_not_throw)
{
  std::ostringstream out;
  EXPECT_NO_THROW(clm::write_json(out, json{{"a", std::string("\x80")}}, clm::Pretty::no));
  EXPECT_EQ(out.str().back(), '\n');
}

}  // namespace

TEST(ParseJson, nesting_deeper_than_the_limit_is_refused_before_parsing)
{
  const int limit = clm::k_max_json_depth;
  const std::string ok = std::string(limit, '[') + std::string(limit, ']');
  EXPECT_TRUE(clm::parse_json(ok));
  const std::string deep = std::string(limit + 1, '[') + std::string(limit + 1, ']');
  EXPECT_FALSE(clm::parse_json(deep));
  // Ten million brackets: refused in one pass, nothing built.
  EXPECT_FALSE(clm::parse_json(std::string(10'000'000, '[')));
  // Brackets inside strings (escaped quotes included) do not count.
  const std::string in_string = "{\"a\":\"" + std::string(100, '[') + "\\\"" + std::string(100, '{') + "\"}";
  EXPECT_TRUE(clm::parse_json(in_string));
}

// ---- typed readers of server answers --------------------------------------------

namespace {

using clm::AnswerUse;
using clm::Field;

// Return the message of the Error f throws, after checking it is http_error (a bad answer).
template <typename F>
std::string bad_answer_message(F&& f)
{
  const auto e = error_of(std::forward<F>(f));
  if (!e) {
    ADD_FAILURE() << "no error";
    return {};
  }
  EXPECT_EQ(e->code(), ExitCode::http_error) << e->what();
  return e->what();
}

TEST(AnswerString, returns_a_string_and_nullopt_for_absent_or_null)
{
  const json a{{"s", "text"}, {"n", nullptr}};
  EXPECT_EQ(clm::answer_string(a, "s"), "text");
  EXPECT_EQ(clm::answer_string(a, "n"), std::nullopt);
  EXPECT_EQ(clm::answer_string(a, "missing"), std::nullopt);
  EXPECT_EQ(clm::answer_string(json::array({1}), "s"), std::nullopt);
}

TEST(AnswerString, another_type_is_a_bad_answer_naming_the_field)
{
  for (const json& v : {json(7), json(1.5), json(true), json::array({"x"}), json::object()}) {
    EXPECT_EQ(bad_answer_message([&] { (void)clm::answer_string(json{{"deviceid", v}}, "deviceid"); }),
              std::string("server answer: deviceid is not a string but ") + v.type_name());
  }
}

TEST(AnswerName, checks_the_value_against_the_servers_rule)
{
  EXPECT_EQ(clm::answer_name(json{{"keynumber", "12"}}, "keynumber", Field::keynumber, AnswerUse::value), "12");
  EXPECT_EQ(clm::answer_name(json{{"alias", "a b"}}, "alias", Field::alias, AnswerUse::value), "a b");
  EXPECT_EQ(clm::answer_name(json::object(), "keynumber", Field::keynumber, AnswerUse::value), std::nullopt);
  EXPECT_EQ(bad_answer_message([] {
              (void)clm::answer_name(json{{"clientserial", "0G"}}, "clientserial", Field::certserial, AnswerUse::value);
            }),
            "server answer: clientserial is not a hexadecimal number");
  EXPECT_EQ(bad_answer_message([] {
              (void)clm::answer_name(json{{"devicename", "../x"}}, "devicename", Field::devicename,
                                     AnswerUse::file_name_part);
            }),
            "server answer: devicename holds '/', so it cannot be part of a file name");
  EXPECT_EQ(bad_answer_message([] {
              (void)clm::answer_name(json{{"keynumber", 12}}, "keynumber", Field::keynumber, AnswerUse::value);
            }),
            "server answer: keynumber is not a string but number");
}

TEST(AnswerInt, returns_an_int_and_refuses_other_types_and_sizes)
{
  EXPECT_EQ(clm::answer_int(json{{"errorcode", 1506}}, "errorcode"), 1506);
  EXPECT_EQ(clm::answer_int(json{{"errorcode", -1}}, "errorcode"), -1);
  EXPECT_EQ(clm::answer_int(json{{"errorcode", nullptr}}, "errorcode"), std::nullopt);
  EXPECT_EQ(clm::answer_int(json::object(), "errorcode"), std::nullopt);
  EXPECT_EQ(bad_answer_message([] { (void)clm::answer_int(json{{"errorcode", "0"}}, "errorcode"); }),
            "server answer: errorcode is not an integer but string");
  EXPECT_EQ(bad_answer_message([] { (void)clm::answer_int(json{{"errorcode", 1.0}}, "errorcode"); }),
            "server answer: errorcode is not an integer but number");
  EXPECT_EQ(bad_answer_message([] { (void)clm::answer_int(json{{"errorcode", 4294968302LL}}, "errorcode"); }),
            "server answer: errorcode is out of range");
  EXPECT_EQ(bad_answer_message([] { (void)clm::answer_int(json{{"errorcode", 18446744073709551615ULL}}, "errorcode"); }),
            "server answer: errorcode is out of range");
}

TEST(AnswerArray, returns_the_array_and_refuses_other_types)
{
  const json a{{"keyinfo", json::array({1, 2})}};
  ASSERT_NE(clm::answer_array(a, "keyinfo"), nullptr);
  EXPECT_EQ(clm::answer_array(a, "keyinfo")->size(), 2u);
  EXPECT_EQ(clm::answer_array(json{{"keyinfo", nullptr}}, "keyinfo"), nullptr);
  EXPECT_EQ(clm::answer_array(json::object(), "keyinfo"), nullptr);
  EXPECT_EQ(bad_answer_message([] { (void)clm::answer_array(json{{"keyinfo", "x"}}, "keyinfo"); }),
            "server answer: keyinfo is not an array but string");
  EXPECT_EQ(bad_answer_message([] { (void)clm::answer_array(json{{"keyinfo", json::object()}}, "keyinfo"); }),
            "server answer: keyinfo is not an array but object");
}

}  // namespace
