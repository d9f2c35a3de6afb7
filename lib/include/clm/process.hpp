// Running a program on the user's behalf (clm-cert update --exec, lightcipher): argv,
// never a shell; and the process-wide hardening of a program that holds keys.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clm {

// Run argv[0] (looked up in PATH) with argv, the current environment plus extra_env,
// and the caller's stderr; its stdout goes to stderr so ours stays JSON. Its stdin is
// the caller's, or, with input, a pipe that receives all of input and is then closed
// (the way to hand a program a secret: argv is readable by everyone in /proc).
// Wait for it; throw Error(external_command) naming it (after option, the option that
// named the program) when it cannot start, exits non-zero, dies from a signal, or exits
// before reading all of input.
void run_program(const std::vector<std::string>& argv, const std::map<std::string, std::string>& extra_env,
                 const std::string& option = "--exec", std::optional<std::string_view> input = std::nullopt);

// Make this process non-dumpable: no core file (which would hold its keys and
// passwords) and no ptrace attach or /proc/PID/mem reading by other processes of the
// same user. Error(internal) when the kernel refuses.
void disable_core_dumps();

}  // namespace clm
