// Runs the built `trfpipe` binary (TRFPIPE_CLI) as a child process for CLI tests and returns its
// exit code, stdout and stderr. Header-only; any tests/cli/*_test.cpp can include it:
//
//   RunResult r = run_cli({"config", "dump", path, "--format", "json"});
//   EXPECT_EQ(r.exit_code, 0) << r.err;
//
// stdout and stderr are read together (no pipe can fill up and block the child); a child still
// running after `timeout_seconds` is killed and reported with timed_out = true.
#pragma once
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#ifndef TRFPIPE_CLI
#error "run_cli.hpp needs the TRFPIPE_CLI compile definition (path of the trfpipe binary)"
#endif

namespace trfpipe::testing {

struct RunResult {
  int exit_code = -1;     // the exit status; 128 + signal number when killed by a signal
  std::string out;        // stdout
  std::string err;        // stderr
  bool timed_out = false;
  // The child's peak resident memory (VmHWM of /proc/<pid>/status, read as it runs). Not
  // wait4's ru_maxrss: Linux counts in it the forked test process's memory before exec.
  long max_rss_kb = 0;
};

struct RunOptions {
  std::string stdin_text;            // written to the child's stdin, which is then closed
  std::vector<std::string> env;      // extra "NAME=value" entries added to the environment
  std::string working_dir;           // "" = the test's own working directory
  double timeout_seconds = 300;
  std::string program = TRFPIPE_CLI; // another binary, if a test needs one
  uint64_t address_space_limit = 0;  // bytes of virtual memory for the child (ulimit -v); 0 = none
  uint64_t file_size_limit = 0;      // largest file the child may write (ulimit -f; writes beyond
                                     // fail with EFBIG, SIGXFSZ ignored); 0 = none
};

// VmHWM of a running process in kB; 0 when it is gone.
inline long peak_rss_kb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

inline RunResult run_process(const std::vector<std::string>& args, const RunOptions& options = {}) {
  RunResult result;
  signal(SIGPIPE, SIG_IGN);  // a child that exits before reading its stdin must not kill the test
  int out_pipe[2], err_pipe[2], in_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0 || pipe(in_pipe) != 0) {
    result.err = "run_cli: pipe() failed";
    return result;
  }
  std::vector<std::string> argv_store;
  argv_store.push_back(options.program);
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_store = options.env;
  pid_t pid = fork();
  if (pid < 0) {
    result.err = "run_cli: fork() failed";
    return result;
  }
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    for (auto& e : env_store) putenv(e.data());
    if (options.address_space_limit) {
      rlimit lim{options.address_space_limit, options.address_space_limit};
      if (setrlimit(RLIMIT_AS, &lim) != 0) _exit(125);
    }
    if (options.file_size_limit) {
      signal(SIGXFSZ, SIG_IGN);
      rlimit lim{options.file_size_limit, options.file_size_limit};
      if (setrlimit(RLIMIT_FSIZE, &lim) != 0) _exit(125);
    }
    if (!options.working_dir.empty() && chdir(options.working_dir.c_str()) != 0) _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  // Small inputs fit the pipe buffer; larger ones are written as the child reads.
  size_t written = 0;
  int in_fd = in_pipe[1];
  if (options.stdin_text.empty()) {
    close(in_fd);
    in_fd = -1;
  } else {
    // Non-blocking: a blocking write of more than the pipe holds would wait for the child to
    // read, while the child waits for us to read its full stdout.
    fcntl(in_fd, F_SETFL, fcntl(in_fd, F_GETFL) | O_NONBLOCK);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(options.timeout_seconds);
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open) {
    std::vector<pollfd> fds;
    if (out_open) fds.push_back({out_pipe[0], POLLIN, 0});
    if (err_open) fds.push_back({err_pipe[0], POLLIN, 0});
    if (in_fd >= 0) fds.push_back({in_fd, POLLOUT, 0});
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      result.timed_out = true;
      break;
    }
    int ready = poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(left.count(), 1000)));
    // The last reading counts: VmHWM only grows once the child runs the program, and readings
    // taken between fork and exec show the test process's memory.
    if (long kb = peak_rss_kb(pid)) result.max_rss_kb = kb;
    if (ready < 0 && errno != EINTR) break;
    for (const auto& p : fds) {
      if (!p.revents) continue;
      if (p.fd == in_fd) {
        ssize_t n = write(in_fd, options.stdin_text.data() + written, options.stdin_text.size() - written);
        if (n > 0) written += static_cast<size_t>(n);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n < 0 || written >= options.stdin_text.size()) {
          close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      ssize_t n = read(p.fd, buf, sizeof buf);
      if (n > 0) {
        (p.fd == out_pipe[0] ? result.out : result.err).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        (p.fd == out_pipe[0] ? out_open : err_open) = false;
      }
    }
  }
  if (in_fd >= 0) close(in_fd);
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) result.exit_code = 128 + WTERMSIG(status);
  return result;
}

// The trfpipe CLI with these arguments (after the program name).
inline RunResult run_cli(const std::vector<std::string>& args) { return run_process(args); }

}  // namespace trfpipe::testing
