// `trfpipe serve` as a child process for the serve tests: started on a free port (--port 0; the
// port is read from its "Serving ... on http://host:port" line), its stderr collected, stopped
// with SIGTERM (or killed when a test leaves early).
#pragma once
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#ifndef TRFPIPE_CLI
#error "serve_process.hpp needs the TRFPIPE_CLI compile definition"
#endif

namespace trfpipe::testing {

class ServeProcess {
 public:
  // Runs `trfpipe serve <args> --port 0`; port() is 0 when it did not come up within `timeout`
  // seconds (err() says why).
  explicit ServeProcess(const std::vector<std::string>& args, double timeout = 180) {
    int err_pipe[2];
    if (pipe(err_pipe) != 0) return;
    std::vector<std::string> store{TRFPIPE_CLI, "serve"};
    store.insert(store.end(), args.begin(), args.end());
    store.push_back("--port");
    store.push_back("0");
    std::vector<char*> argv;
    for (auto& a : store) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(err_pipe[1], 2);
      close(err_pipe[0]);
      close(err_pipe[1]);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(err_pipe[1]);
    fd_ = err_pipe[0];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout);
    const std::regex serving("Serving .* on http://[^:]+:([0-9]+)");
    while (std::chrono::steady_clock::now() < deadline) {
      if (!read_some(200)) break;
      std::smatch m;
      std::lock_guard<std::mutex> lock(mutex_);
      if (std::regex_search(err_, m, serving)) {
        port_ = std::stoi(m[1].str());
        break;
      }
    }
    drain_ = std::thread([this] {
      while (read_some(200)) {
      }
    });
  }
  ~ServeProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (drain_.joinable()) drain_.join();
    if (fd_ >= 0) close(fd_);
  }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string err() {
    std::lock_guard<std::mutex> lock(mutex_);
    return err_;
  }
  // Sends SIGTERM and waits (up to `timeout` seconds) for the exit code; -1 when it did not end.
  int terminate(double timeout = 60) {
    if (pid_ <= 0 || exited_) return exit_code_;
    kill(pid_, SIGTERM);
    return wait(timeout);
  }
  int wait(double timeout) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_code_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

 private:
  // Reads what stderr has within `ms` milliseconds; false at its end.
  bool read_some(int ms) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0) return true;
    char buf[4096];
    const ssize_t n = read(fd_, buf, sizeof buf);
    if (n <= 0) return false;
    std::lock_guard<std::mutex> lock(mutex_);
    err_.append(buf, size_t(n));
    return true;
  }

  pid_t pid_ = -1;
  int fd_ = -1, port_ = 0, exit_code_ = -1;
  bool exited_ = false;
  std::mutex mutex_;
  std::string err_;
  std::thread drain_;
};

}  // namespace trfpipe::testing
