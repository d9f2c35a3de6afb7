// Running a program on the user's behalf (clm-cert update --exec, lightcipher): argv,
// never a shell.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace clm {

// Run argv[0] (looked up in PATH) with argv, the current environment plus extra_env,
// and the caller's stdin/stderr; its stdout goes to stderr so ours stays JSON.
// Wait for it; throw Error(external_command) naming it (after option, the option that
// named the program) when it cannot start, exits non-zero, or dies from a signal.
void run_program(const std::vector<std::string>& argv, const std::map<std::string, std::string>& extra_env,
                 const std::string& option = "--exec");

}  // namespace clm
