#include "test_support.hpp"

#include <clm/swclm_args.hpp>

#include <gtest/gtest.h>

namespace {

using clm::ExitCode;
using clm::parse_swclm_args;
using clm::parse_swclm_ext_data;
using clm::test::error_of;
using Items = std::vector<std::pair<std::string, std::string>>;

ExitCode code_of(const std::vector<std::string>& args)
{
  const auto e = error_of([&] { parse_swclm_args(args); });
  EXPECT_TRUE(e.has_value());
  return e ? e->code() : ExitCode::ok;
}

std::string message_of(const std::vector<std::string>& args)
{
  const auto e = error_of([&] { parse_swclm_args(args); });
  return e ? e->what() : "";
}

TEST(SwclmExtData, items_as_the_shell_leaves_them)
{
  EXPECT_EQ(parse_swclm_ext_data("tenantid=TenantA,alias=iotgatewaytest"),
            (Items{{"tenantid", "TenantA"}, {"alias", "iotgatewaytest"}}));
}

TEST(SwclmExtData, a_key_runs_to_the_first_equals_sign)
{
  EXPECT_EQ(parse_swclm_ext_data("certsubject=/C=JP/O=NEC/CN=iotgatewaytest,devicename=gw"),
            (Items{{"certsubject", "/C=JP/O=NEC/CN=iotgatewaytest"}, {"devicename", "gw"}}));
}

TEST(SwclmExtData, quotes_that_survive_delimit_the_value_and_keep_commas)
{
  EXPECT_EQ(parse_swclm_ext_data(R"(certsubject="/O=NEC, Inc./CN=a",catype="ca1")"),
            (Items{{"certsubject", "/O=NEC, Inc./CN=a"}, {"catype", "ca1"}}));
}

TEST(SwclmExtData, backslash_escapes_a_quote_and_a_backslash_inside_quotes)
{
  EXPECT_EQ(parse_swclm_ext_data(R"(key="a\"b\\c\d")"), (Items{{"key", R"(a"b\c\d)"}}));
}

TEST(SwclmExtData, unquoted_values_keep_backslashes_and_quotes_inside)
{
  EXPECT_EQ(parse_swclm_ext_data(R"(a=x\y,b=p"q)"), (Items{{"a", R"(x\y)"}, {"b", R"(p"q)"}}));
}

TEST(SwclmExtData, use_lightcipher_without_quotes)
{
  EXPECT_EQ(parse_swclm_ext_data("keytype=TWINE,use-lightcipher=1"),
            (Items{{"keytype", "TWINE"}, {"use-lightcipher", "1"}}));
}

TEST(SwclmExtData, empty_items_and_spaces_around_keys_are_skipped)
{
  EXPECT_EQ(parse_swclm_ext_data(",a=1,, b=2 ,"), (Items{{"a", "1"}, {"b", "2 "}}));
  EXPECT_EQ(parse_swclm_ext_data(R"(a="1" , b="2")"), (Items{{"a", "1"}, {"b", "2"}}));
  EXPECT_TRUE(parse_swclm_ext_data("").empty());
}

TEST(SwclmExtData, an_empty_value_is_kept)
{
  EXPECT_EQ(parse_swclm_ext_data(R"(a=,b="")"), (Items{{"a", ""}, {"b", ""}}));
}

TEST(SwclmExtData, malformed_items_are_bad_parameters_named_by_number_not_value)
{
  for (const char* text : {"secretvalue", "a=1,secretvalue", "=secretvalue", "a b=1"}) {
    const auto e = error_of([&] { parse_swclm_ext_data(text); });
    ASSERT_TRUE(e) << text;
    EXPECT_EQ(e->code(), ExitCode::bad_parameter) << text;
    EXPECT_EQ(std::string(e->what()).find("secretvalue"), std::string::npos) << e->what();
    EXPECT_NE(std::string(e->what()).find("-ext-data: item "), std::string::npos) << e->what();
  }
}

TEST(SwclmExtData, an_unclosed_quote_or_text_after_it_names_the_key)
{
  auto e = error_of([] { parse_swclm_ext_data(R"(key="secret)"); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ExitCode::bad_parameter);
  EXPECT_STREQ(e->what(), "-ext-data key: the value has no closing double quote");
  e = error_of([] { parse_swclm_ext_data(R"(key="secret"x,a=1)"); });
  ASSERT_TRUE(e);
  EXPECT_STREQ(e->what(), "-ext-data key: text after the closing double quote");
}

TEST(SwclmArgs, options_take_the_next_argument_or_the_text_after_equals)
{
  const auto a = parse_swclm_args({"certrevoke", "-host", "h", "-port=8443", "-certname=iotgatewaytest_clcert",
                                   "-ext-data", "devicename=d,catype=ca1"});
  EXPECT_EQ(a.subcommand, "certrevoke");
  EXPECT_EQ(a.option("host"), "h");
  EXPECT_EQ(a.option("port"), "8443");
  EXPECT_EQ(a.option("certname"), "iotgatewaytest_clcert");
  EXPECT_EQ(a.ext("devicename"), "d");
  EXPECT_EQ(a.ext("catype"), "ca1");
  EXPECT_EQ(a.option("mode"), std::nullopt);
}

TEST(SwclmArgs, a_value_may_start_with_a_dash_and_hold_equals_signs)
{
  const auto a = parse_swclm_args({"certcreate", "-passphrase", "-x=y", "-certname==a"});
  EXPECT_EQ(a.option("passphrase"), "-x=y");
  EXPECT_EQ(a.option("certname"), "=a");
}

TEST(SwclmArgs, outputpath_is_outpath)
{
  EXPECT_EQ(parse_swclm_args({"cmkeyupdate", "-outputpath", "/d"}).option("outpath"), "/d");
  EXPECT_EQ(code_of({"cmkeyupdate", "-outputpath", "/d", "-outpath", "/e"}), ExitCode::bad_syntax);
}

TEST(SwclmArgs, options_may_come_before_the_subcommand)
{
  EXPECT_EQ(parse_swclm_args({"-host", "h", "idget"}).subcommand, "idget");
}

TEST(SwclmArgs, every_option_of_the_reference_is_known)
{
  for (const auto name : clm::k_swclm_options) {
    EXPECT_EQ(parse_swclm_args({"idget", "-" + std::string(name), "v=1"}).option(name), "v=1") << name;
  }
}

TEST(SwclmArgs, unknown_option_is_bad_syntax_naming_it_without_its_value)
{
  EXPECT_EQ(code_of({"idget", "-hots", "h"}), ExitCode::bad_syntax);
  EXPECT_EQ(message_of({"idget", "-key=secret"}), "unknown option -key");
  EXPECT_EQ(code_of({"idget", "--host", "h"}), ExitCode::bad_syntax);
}

TEST(SwclmArgs, syntax_errors)
{
  EXPECT_EQ(code_of({"idget", "-host"}), ExitCode::bad_syntax);
  EXPECT_EQ(message_of({"idget", "-host"}), "-host needs a value");
  EXPECT_EQ(code_of({"idget", "-host", "a", "-host", "b"}), ExitCode::bad_syntax);
  EXPECT_EQ(code_of({"idlist"}), ExitCode::bad_syntax);
  EXPECT_EQ(code_of({"idget", "idget"}), ExitCode::bad_syntax);
}

TEST(SwclmArgs, a_stray_argument_that_may_be_a_secret_is_named_by_position)
{
  const std::string m = message_of({"iddelete", "-ext-data", "keyid=1,", "key=secret"});
  EXPECT_EQ(m.find("secret"), std::string::npos) << m;
  EXPECT_NE(m.find("argument 4"), std::string::npos) << m;
}

TEST(SwclmArgs, bad_values)
{
  EXPECT_EQ(code_of({"idget", "-host", ""}), ExitCode::bad_parameter);
  EXPECT_EQ(code_of({"idget", "-ext-data", "keyid=1,keyid=2"}), ExitCode::bad_parameter);
  EXPECT_EQ(code_of({"idget", "-ext-data", "keyid"}), ExitCode::bad_parameter);
}

TEST(SwclmArgs, no_subcommand_is_missing_parameter)
{
  EXPECT_EQ(code_of({}), ExitCode::missing_parameter);
  EXPECT_EQ(code_of({"-host", "h"}), ExitCode::missing_parameter);
}

TEST(SwclmArgs, help_and_version)
{
  EXPECT_EQ(parse_swclm_args({"-help"}).ask, clm::SwclmAsk::help);
  EXPECT_EQ(parse_swclm_args({"idget", "--help"}).ask, clm::SwclmAsk::help);
  EXPECT_EQ(parse_swclm_args({"-version"}).ask, clm::SwclmAsk::version);
}

}  // namespace
