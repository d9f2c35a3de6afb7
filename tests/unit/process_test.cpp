// Tests of running programs (stdin payloads, early exits, failures) and of making the
// process non-dumpable.
#include <clm/error.hpp>
#include <clm/process.hpp>

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using clm::ExitCode;
using clm::test::error_of;
using clm::test::read_plain;
using clm::test::TempDirTest;

class ProcessTest : public TempDirTest {
protected:
  ProcessTest() : TempDirTest("clm-process-test") {}
};

TEST(DisableCoreDumps, MakesTheProcessNonDumpable)
{
  // In a child, so the test runner itself keeps its core dumps for debugging.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const bool was_dumpable = ::prctl(PR_GET_DUMPABLE) == 1;
    clm::disable_core_dumps();
    ::_exit(was_dumpable && ::prctl(PR_GET_DUMPABLE) == 0 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "PR_GET_DUMPABLE was not 1 before or not 0 after";
}

TEST_F(ProcessTest, InputReachesTheProgramOnItsStdinAndNotItsArgv)
{
  const auto out = dir() / "got";
  clm::run_program({"sh", "-c", "cat > \"$0\"; printf '%s' \"$*\" > \"$0.argv\"", out.string()}, {}, "--exec",
                   "00112233445566778899aabbccddeeff\n");
  EXPECT_EQ(read_plain(out), "00112233445566778899aabbccddeeff\n");
  EXPECT_EQ(read_plain(out.string() + ".argv"), "");
}

TEST_F(ProcessTest, EmptyInputIsAnImmediateEof)
{
  const auto out = dir() / "got";
  clm::run_program({"sh", "-c", "cat > \"$0\"", out.string()}, {}, "--exec", "");
  EXPECT_EQ(read_plain(out), "");
}

TEST(RunProgram, ProgramThatExitsWithoutReadingItsInputIsExit33NotSigpipe)
{
  // More than a pipe holds, so the write must meet the closed pipe: EPIPE, and a
  // SIGPIPE that must not kill the caller (the test runner does not ignore it).
  const std::string big(4 << 20, 'k');
  const auto e = error_of([&] { clm::run_program({"true"}, {}, "--twinecmd", big); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ExitCode::external_command);
  EXPECT_NE(std::string(e->what()).find("--twinecmd true: exited without reading all of its standard input"),
            std::string::npos)
    << e->what();
}

TEST(RunProgram, FailureOfAProgramThatDidNotReadItsInputNamesItsStatus)
{
  const std::string big(4 << 20, 'k');
  const auto e = error_of([&] { clm::run_program({"sh", "-c", "exit 3"}, {}, "--twinecmd", big); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ExitCode::external_command);
  EXPECT_NE(std::string(e->what()).find("exited with status 3"), std::string::npos) << e->what();
}

TEST(RunProgram, MissingProgramIsExit33)
{
  const auto e = error_of([] { clm::run_program({"/nonexistent/clm-no-such-program"}, {}, "--exec", "x"); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ExitCode::external_command);
  EXPECT_NE(std::string(e->what()).find("cannot start"), std::string::npos) << e->what();
}

}  // namespace
