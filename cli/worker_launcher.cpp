#include "cli/worker_launcher.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/common.hpp"
#include "cli/free_port.hpp"

namespace trfpipe::cli {
namespace {

volatile sig_atomic_t g_signal = 0;
void remember_signal(int sig) { g_signal = sig; }

std::string how_it_ended(int status) {
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status)) +
                                  " (" + strsignal(WTERMSIG(status)) + ")";
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

int run_local_workers(int n_workers, const std::vector<std::string>& args) {
  const int port = free_port();
  if (port < 0) return fail("Cannot start the workers", "no free port on 127.0.0.1");
  // The binary itself, by its real path (it finds its libraries relative to it).
  std::error_code ec;
  std::string program = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec) return fail("Cannot start the workers", "cannot read /proc/self/exe: " + ec.message());
  std::vector<std::string> argv_store{program};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::cout.flush();

  struct sigaction action {};
  action.sa_handler = remember_signal;
  sigemptyset(&action.sa_mask);
  struct sigaction old_int {}, old_term {};
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);

  std::vector<pid_t> pids(size_t(n_workers), -1);
  for (int rank = 0; rank < n_workers; ++rank) {
    pid_t pid = ::fork();
    if (pid < 0) {
      g_signal = SIGTERM;  // stop those already started
      fail("Cannot start worker rank " + std::to_string(rank), std::strerror(errno));
      break;
    }
    if (pid == 0) {
      signal(SIGINT, SIG_DFL);
      signal(SIGTERM, SIG_DFL);
      setenv("RANK", std::to_string(rank).c_str(), 1);
      setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
      setenv("WORLD_SIZE", std::to_string(n_workers).c_str(), 1);
      setenv("LOCAL_WORLD_SIZE", std::to_string(n_workers).c_str(), 1);
      setenv("MASTER_ADDR", "127.0.0.1", 1);
      setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      std::vector<char*> argv;
      for (auto& a : argv_store) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(program.c_str(), argv.data());
      _exit(127);
    }
    pids[size_t(rank)] = pid;
  }

  using Clock = std::chrono::steady_clock;
  int live = 0;
  for (pid_t p : pids) live += p > 0;
  int failed_rank = -1, failed_status = 0, forwarded = 0;
  Clock::time_point terminate_at = Clock::time_point::max(), kill_at = Clock::time_point::max();
  auto signal_all = [&](int sig) {
    for (pid_t p : pids)
      if (p > 0) ::kill(p, sig);
  };
  while (live > 0) {
    if (g_signal && !forwarded) {
      forwarded = g_signal;
      signal_all(forwarded);  // Ctrl-C stops every worker
      kill_at = Clock::now() + std::chrono::seconds(30);
    }
    int status = 0;
    pid_t done = ::waitpid(-1, &status, WNOHANG);
    if (done > 0) {
      for (size_t rank = 0; rank < pids.size(); ++rank) {
        if (pids[rank] != done) continue;
        pids[rank] = -1;
        --live;
        const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (!ok && failed_rank < 0 && !forwarded) {
          failed_rank = int(rank);
          failed_status = status;
          // The others notice through the process group within its heartbeat timeout.
          terminate_at = Clock::now() + std::chrono::seconds(60);
          kill_at = terminate_at + std::chrono::seconds(10);
        }
      }
      continue;
    }
    if (done < 0 && errno != EINTR) break;
    const auto now = Clock::now();
    if (now >= terminate_at) {
      signal_all(SIGTERM);
      terminate_at = Clock::time_point::max();
    }
    if (now >= kill_at) {
      signal_all(SIGKILL);
      kill_at = Clock::time_point::max();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  if (forwarded) return 128 + forwarded;
  if (failed_rank >= 0)
    return fail("Worker rank " + std::to_string(failed_rank) + " " + how_it_ended(failed_status),
                "its messages are above; the other workers were stopped");
  return 0;
}

}  // namespace trfpipe::cli
