#include <clm/error.hpp>
#include <clm/process.hpp>

#include <cerrno>
#include <cstring>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace clm {

void run_program(const std::vector<std::string>& argv, const std::map<std::string, std::string>& extra_env,
                 const std::string& option)
{
  if (argv.empty()) {
    throw Error(ExitCode::bad_parameter, option + ": no program given");
  }
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    if (extra_env.find(name) == extra_env.end()) {
      env_strings.push_back(entry);
    }
  }
  for (const auto& [k, v] : extra_env) {
    env_strings.push_back(k + "=" + v);
  }
  std::vector<char*> envp;
  for (auto& s : env_strings) {
    envp.push_back(s.data());
  }
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& a : args) {
    argp.push_back(a.data());
  }
  argp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // The program's stdout would corrupt our JSON on stdout: send it to stderr.
  posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argp[0], &actions, nullptr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw Error(ExitCode::external_command, option + " " + argv[0] + ": cannot start: " + std::strerror(rc));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      throw Error(ExitCode::external_command, option + " " + argv[0] + ": waitpid: " + std::strerror(errno));
    }
  }
  if (WIFSIGNALED(status)) {
    throw Error(ExitCode::external_command,
                option + " " + argv[0] + ": killed by signal " + std::to_string(WTERMSIG(status)));
  }
  if (WEXITSTATUS(status) != 0) {
    throw Error(ExitCode::external_command,
                option + " " + argv[0] + ": exited with status " + std::to_string(WEXITSTATUS(status)));
  }
}

}  // namespace clm
