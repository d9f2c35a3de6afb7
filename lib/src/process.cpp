#include <clm/atomic_file.hpp>
#include <clm/error.hpp>
#include <clm/process.hpp>
#include <clm/util/errno_error.hpp>
#include <clm/util/fd.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace clm {

namespace {

// Write all of data to the pipe fd; return 0, or the errno that stopped it (EPIPE when
// the reader has gone). SIGPIPE is blocked in this thread meanwhile and a SIGPIPE the
// write raised is consumed, so a program that exits early never kills the caller.
int write_to_pipe(int fd, std::string_view data)
{
  sigset_t pipe_set;
  sigset_t old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigset_t pending;
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  const int err = write_fully(fd, data);
  if (err == EPIPE && !was_pending) {
    const timespec no_wait{0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &no_wait) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  return err;
}

}  // namespace

void disable_core_dumps()
{
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    util::throw_errno(ExitCode::internal, "prctl(PR_SET_DUMPABLE, 0)", "", errno);
  }
}

void run_program(const std::vector<std::string>& argv, const std::map<std::string, std::string>& extra_env,
                 const std::string& option, std::optional<std::string_view> input)
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

  // Both ends close-on-exec: the child gets the read end as its stdin through dup2
  // (which clears the flag), never a copy of the write end that would keep it waiting.
  const std::string program = option + " " + argv[0];
  int pipe_fds[2] = {-1, -1};
  if (input && ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    util::throw_errno(ExitCode::external_command, program, "pipe", errno);
  }
  util::UniqueFd read_end(pipe_fds[0]);
  util::UniqueFd write_end(pipe_fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (input) {
    posix_spawn_file_actions_adddup2(&actions, read_end.get(), STDIN_FILENO);
  }
  // The program's stdout would corrupt our JSON on stdout: send it to stderr.
  posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argp[0], &actions, nullptr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  read_end.close();
  if (rc != 0) {
    util::throw_errno(ExitCode::external_command, program, "cannot start", rc);
  }
  int write_error = 0;
  if (input) {
    write_error = write_to_pipe(write_end.get(), *input);
    write_end.close();  // EOF: the program has all of its input
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      util::throw_errno(ExitCode::external_command, program, "waitpid", errno);
    }
  }
  if (WIFSIGNALED(status)) {
    throw Error(ExitCode::external_command,
                program + ": killed by signal " + std::to_string(WTERMSIG(status)));
  }
  if (WEXITSTATUS(status) != 0) {
    throw Error(ExitCode::external_command,
                program + ": exited with status " + std::to_string(WEXITSTATUS(status)));
  }
  // Its own failure, reported above, says more than the broken pipe it caused.
  if (write_error == EPIPE) {
    throw Error(ExitCode::external_command,
                program + ": exited without reading all of its standard input");
  }
  if (write_error != 0) {
    util::throw_errno(ExitCode::external_command, program, "write to its standard input", write_error);
  }
}

}  // namespace clm
