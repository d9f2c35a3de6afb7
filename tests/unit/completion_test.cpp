#include "completion.hpp"

#include "test_support.hpp"

#include <clm/swclm_args.hpp>

#include <gtest/gtest.h>

#include <algorithm>

namespace {

using clm::CompletionCommand;
using clm::CompletionOption;
using clm::ValueKind;

// A small tool as tool_main builds one: global options (fallthrough), a subcommand with
// a choice, a directory, a number, a repeatable option, a positional and a footer
// option, a nested subcommand, a hidden option and a hidden subcommand.
struct Demo {
  CLI::App app{"demo tool", "demo"};
  std::string host, format, dir, text, hidden;
  int count = 0;
  bool pretty = false;
  std::vector<std::string> ext, files;

  Demo()
  {
    app.fallthrough();
    app.add_option("--host", host, "server host [HOST:PORT]");
    app.add_flag("-p,--pretty", pretty, "indent");
    auto* make = app.add_subcommand("make", "make: things");
    make->add_option("--format", format, "pem or der")->check(CLI::IsMember({"pem", "der"}));
    make->add_option("--out", dir, "output directory")->check(CLI::ExistingDirectory);
    make->add_option("--count", count, "how many");
    make->add_option("--name", text, "a name");
    make->add_option("--ext", ext, "KEY=VALUE (repeatable)");
    make->add_option("--secret", hidden, "not shown")->group("");
    make->add_option("files", files, "input files");
    make->footer("  --exec PROGRAM [ARG...]     last on the line: run PROGRAM");
    auto* group = app.add_subcommand("group", "groups");
    group->add_subcommand("set", "set a group")->add_option("--mode", text, "a or b")->transform(
      CLI::CheckedTransformer(std::map<std::string, int>{{"a", 1}, {"b", 2}}));
    app.add_subcommand("internal", "hidden")->group("");
    // Last, as tool_main does: subcommands made after it would inherit the footer.
    clm::add_completion_help(app);
  }
};

const CompletionOption* find_option(const CompletionCommand& c, const std::string& name)
{
  for (const auto& option : c.options) {
    if (std::find(option.names.begin(), option.names.end(), name) != option.names.end()) {
      return &option;
    }
  }
  return nullptr;
}

const CompletionCommand* find_sub(const CompletionCommand& c, const std::string& name)
{
  for (const auto& sub : c.subcommands) {
    if (sub.name == name) {
      return &sub;
    }
  }
  return nullptr;
}

TEST(CompletionCommand, names_flags_and_subcommands_come_from_the_app)
{
  Demo d;
  const auto c = clm::completion_command(d.app);
  EXPECT_EQ(c.name, "demo");
  const auto* pretty = find_option(c, "--pretty");
  ASSERT_NE(pretty, nullptr);
  EXPECT_EQ(pretty->names, (std::vector<std::string>{"-p", "--pretty"}));
  EXPECT_EQ(pretty->value.kind, ValueKind::flag);
  EXPECT_EQ(pretty->inherited, clm::Inherited::yes);
  ASSERT_NE(find_option(c, "--help"), nullptr);
  EXPECT_EQ(find_option(c, "-h"), find_option(c, "--help"));
  ASSERT_EQ(c.subcommands.size(), 2U);  // the hidden one is left out
  EXPECT_EQ(c.subcommands[0].name, "make");
  EXPECT_EQ(c.subcommands[0].description, "make: things");
  EXPECT_EQ(c.subcommands[1].subcommands.at(0).name, "set");
  EXPECT_EQ(c.subcommands[0].fallthrough, clm::Fallthrough::yes);
}

TEST(CompletionCommand, values_follow_the_checks_and_types)
{
  Demo d;
  const auto c = clm::completion_command(d.app);
  const auto* make = find_sub(c, "make");
  ASSERT_NE(make, nullptr);
  EXPECT_EQ(find_option(*make, "--format")->value.kind, ValueKind::choice);
  EXPECT_EQ(find_option(*make, "--format")->value.choices, (std::vector<std::string>{"pem", "der"}));
  EXPECT_EQ(find_option(*make, "--out")->value.kind, ValueKind::directory);
  EXPECT_EQ(find_option(*make, "--count")->value.kind, ValueKind::word);
  EXPECT_EQ(find_option(*make, "--name")->value.kind, ValueKind::file);
  EXPECT_EQ(find_option(*make, "--ext")->repeatable, clm::Repeatable::yes);
  EXPECT_EQ(find_option(*make, "--name")->repeatable, clm::Repeatable::no);
  EXPECT_EQ(find_option(*make, "--secret"), nullptr);
  ASSERT_TRUE(make->positional);
  EXPECT_EQ(make->positional->name, "files");
  EXPECT_EQ(make->positional->value.kind, ValueKind::file);
  const auto* mode = find_option(find_sub(c, "group")->subcommands.at(0), "--mode");
  ASSERT_NE(mode, nullptr);
  EXPECT_EQ(mode->value.choices, (std::vector<std::string>{"a", "b"}));
}

TEST(CompletionCommand, footer_rows_are_options_of_their_command_only)
{
  Demo d;
  const auto c = clm::completion_command(d.app);
  const auto* completion = find_option(c, "--completion");
  ASSERT_NE(completion, nullptr);
  EXPECT_EQ(completion->value.kind, ValueKind::choice);
  EXPECT_EQ(completion->value.choices, (std::vector<std::string>{"bash", "zsh"}));
  EXPECT_EQ(completion->inherited, clm::Inherited::no);
  EXPECT_EQ(completion->description, "first on the line: print the shell's completion script and exit");
  EXPECT_EQ(find_option(*find_sub(c, "make"), "--completion"), nullptr);
  const auto* exec = find_option(*find_sub(c, "make"), "--exec");
  ASSERT_NE(exec, nullptr);
  EXPECT_EQ(exec->value.kind, ValueKind::file);
}

TEST(CompletionHelp, joins_a_footer_the_tool_has)
{
  CLI::App app{"x", "x"};
  app.footer("Examples: x run");
  clm::add_completion_help(app);
  EXPECT_EQ(app.get_footer(), "Examples: x run\n" + std::string(clm::k_completion_help));
  const auto c = clm::completion_command(app);
  ASSERT_NE(find_option(c, "--completion"), nullptr);
  EXPECT_EQ(find_option(c, "Examples:"), nullptr);
}

TEST(CompletionRequest, only_a_first_argument_asks)
{
  const char* none[] = {"demo", "make", "--completion", "bash"};
  EXPECT_EQ(clm::completion_request(4, none), std::nullopt);
  const char* alone[] = {"demo"};
  EXPECT_EQ(clm::completion_request(1, alone), std::nullopt);
  const char* bash[] = {"demo", "--completion", "bash"};
  EXPECT_EQ(clm::completion_request(3, bash), clm::Shell::bash);
  const char* zsh[] = {"demo", "--completion=zsh"};
  EXPECT_EQ(clm::completion_request(2, zsh), clm::Shell::zsh);
}

TEST(CompletionRequest, a_missing_unknown_or_followed_shell_is_an_error)
{
  const char* missing[] = {"demo", "--completion"};
  EXPECT_EQ(clm::test::error_of([&] { clm::completion_request(2, missing); })->code(),
            clm::ExitCode::missing_parameter);
  const char* fish[] = {"demo", "--completion", "fish"};
  EXPECT_EQ(clm::test::error_of([&] { clm::completion_request(3, fish); })->code(), clm::ExitCode::bad_parameter);
  const char* empty[] = {"demo", "--completion="};
  EXPECT_EQ(clm::test::error_of([&] { clm::completion_request(2, empty); })->code(), clm::ExitCode::bad_parameter);
  const char* extra[] = {"demo", "--completion", "bash", "x"};
  EXPECT_EQ(clm::test::error_of([&] { clm::completion_request(4, extra); })->code(), clm::ExitCode::bad_syntax);
}

bool has(const std::string& text, const std::string& part)
{
  return text.find(part) != std::string::npos;
}

TEST(BashScript, lists_every_scope_with_its_inherited_options)
{
  Demo d;
  const auto script = clm::completion_script(clm::completion_command(d.app), clm::Shell::bash);
  EXPECT_TRUE(script.ends_with("complete -F _clm_complete_demo demo\n")) << script;
  EXPECT_TRUE(has(script, "  '') reply=('make' 'group') ;;"));
  EXPECT_TRUE(has(script, "  'group') reply=('set') ;;"));
  // The global options follow the subcommand's own; --completion stays at the top.
  EXPECT_TRUE(has(script, "  '') reply=('-h' '--help' '--host' '-p' '--pretty' '--completion') ;;"));
  EXPECT_TRUE(has(script, "  'group/set') reply=('-h' '--help' '--mode' '--host' '-p' '--pretty') ;;"));
  EXPECT_TRUE(has(script, "'--format') reply=(choice 'pem' 'der') ;;"));
  EXPECT_TRUE(has(script, "'--out') reply=(dir) ;;"));
  EXPECT_TRUE(has(script, "  'make') reply=(file) ;;"));
  EXPECT_FALSE(has(script, "--secret"));
  EXPECT_FALSE(has(script, "internal"));
}

TEST(BashScript, quotes_what_it_takes_from_the_definitions)
{
  CLI::App app{"x", "odd-tool"};
  std::string v;
  app.add_option("--say", v, "d")->check(CLI::IsMember({"it's", "a b"}));
  const auto script = clm::completion_script(clm::completion_command(app), clm::Shell::bash);
  EXPECT_TRUE(has(script, "reply=(choice 'it'\\''s' 'a b')")) << script;
  EXPECT_TRUE(has(script, "complete -F _clm_complete_odd_tool odd-tool"));
}

TEST(ZshScript, is_a_compdef_function_with_escaped_specs)
{
  Demo d;
  const auto script = clm::completion_script(clm::completion_command(d.app), clm::Shell::zsh);
  EXPECT_TRUE(script.starts_with("#compdef demo\n")) << script;
  EXPECT_TRUE(has(script, "'--host=[server host \\[HOST\\:PORT\\]]:host:_files'")) << script;
  EXPECT_TRUE(has(script, "'(-p --pretty)-p[indent]'"));
  EXPECT_TRUE(has(script, "'--format=[pem or der]:format:(pem der)'"));
  EXPECT_TRUE(has(script, "'--out=[output directory]:out:_files -/'"));
  EXPECT_TRUE(has(script, "'*--ext=[KEY=VALUE (repeatable)]:ext:_files'"));
  EXPECT_TRUE(has(script, "'*:files:_files'"));
  EXPECT_TRUE(has(script, "'make:make: things'"));
  EXPECT_TRUE(has(script, "(make) _clm_complete_demo__make && ret=0 ;;"));
  EXPECT_TRUE(has(script, "(set) _clm_complete_demo__group__set && ret=0 ;;"));
  EXPECT_TRUE(has(script, "compdef _clm_complete_demo demo"));
  // Each function is defined before the dispatcher that calls it.
  EXPECT_LT(script.find("_clm_complete_demo__group__set() {"), script.find("_clm_complete_demo__group() {"));
  EXPECT_LT(script.find("_clm_complete_demo__group() {"), script.find("_clm_complete_demo() {"));
}

TEST(SwclmClientCompletion, offers_every_subcommand_and_option_of_the_tables)
{
  const auto c = clm::swclmclient_completion();
  EXPECT_EQ(c.name, "SWCLMCLIENT");
  ASSERT_EQ(c.subcommands.size(), clm::k_swclm_subcommands.size());
  for (std::size_t i = 0; i < c.subcommands.size(); ++i) {
    EXPECT_EQ(c.subcommands[i].name, clm::k_swclm_subcommands[i]);
  }
  for (const auto name : clm::k_swclm_options) {
    const auto* option = find_option(c, "-" + std::string(name));
    ASSERT_NE(option, nullptr) << name;
    EXPECT_NE(option->value.kind, ValueKind::flag) << name;
    EXPECT_EQ(option->inherited, clm::Inherited::yes) << name;
  }
  EXPECT_EQ(find_option(c, "-mode")->value.choices, (std::vector<std::string>{"caonly", "client", "server"}));
  EXPECT_EQ(find_option(c, "-outpath")->value.kind, ValueKind::directory);
  EXPECT_EQ(find_option(c, "-passphrase-file")->value.kind, ValueKind::file);
  EXPECT_EQ(find_option(c, "-host")->value.kind, ValueKind::word);
  EXPECT_EQ(find_option(c, "--help")->value.kind, ValueKind::flag);
  EXPECT_EQ(find_option(c, "--completion")->inherited, clm::Inherited::no);
}

}  // namespace
