// The gradient buckets of data-parallel training (training/distributed.cpp) with two real ranks
// (forked processes, Gloo on loopback): buckets started from the autograd hooks during the
// backward pass give the sum of the *final* gradients, also when a second backward pass changes a
// gradient after its bucket started, and a parameter that got no gradient is not waited for.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include <ATen/ATen.h>

#include "cli/free_port.hpp"
#include "training/distributed.hpp"

namespace {

using trfpipe::DistributedSettings;
using trfpipe::NamedTensors;
using trfpipe::ParameterOwner;
using trfpipe::distributed::ProcessGroup;
using trfpipe::cli::free_port;

// Three parameters: `big` (2 MB: a bucket of its own after the 1 MB first bucket), `small` and
// `unused`, which no loss touches.
class Owner : public ParameterOwner {
 public:
  std::string parameter_group() const override { return "model"; }
  NamedTensors named_parameters() const override {
    return {{"big", big}, {"small", small}, {"unused", unused}};
  }
  at::Tensor big = at::zeros({512 * 1024}).set_requires_grad(true);
  at::Tensor small = at::zeros({16}).set_requires_grad(true);
  at::Tensor unused = at::zeros({8}).set_requires_grad(true);
};

// One rank's part; returns what failed ("" when all is well).
std::string run_rank(int rank, int port) {
  DistributedSettings settings;
  settings.rank = rank;
  settings.world_size = 2;
  settings.master_addr = "127.0.0.1";
  settings.master_port = port;
  settings.connect_timeout_s = 30;
  ProcessGroup group(settings);
  Owner owner;
  const std::vector<ParameterOwner*> owners{&owner};
  const double r = rank + 1;  // rank 0 adds 1 per element, rank 1 adds 2
  std::string failed;
  auto expect_all = [&](const at::Tensor& grad, double value, const std::string& what) {
    if (!grad.defined()) {
      failed += what + ": no gradient; ";
      return;
    }
    const double lo = grad.min().item<double>(), hi = grad.max().item<double>();
    if (lo != value || hi != value)
      failed += what + ": " + std::to_string(lo) + ".." + std::to_string(hi) + " instead of " +
                std::to_string(value) + "; ";
  };
  for (int step = 0; step < 3; ++step) {
    for (at::Tensor* p : {&owner.big, &owner.small})
      if (p->grad().defined()) p->mutable_grad().zero_();
    group.start_gradient_overlap(owners);
    ((owner.big * r).sum() + (owner.small * (10 * r)).sum()).backward();
    // Step 1: a second backward pass into `big` after its bucket may have started.
    if (step == 1) (owner.big * (100 * r)).sum().backward();
    group.allreduce_gradients(owners);
    expect_all(owner.big.grad(), step == 1 ? 3 + 300 : 3, "step " + std::to_string(step) + " big");
    expect_all(owner.small.grad(), 30, "step " + std::to_string(step) + " small");
    if (owner.unused.grad().defined()) failed += "unused got a gradient; ";
  }
  // Step 0 waited for `unused` (the end of the backward pass); steps 1 and 2 did not, so both
  // buckets started during the backward pass.
  if (group.buckets_summed() != 6) failed += "buckets summed: " + std::to_string(group.buckets_summed()) + "; ";
  if (group.buckets_started_early() != 4)
    failed += "buckets started early: " + std::to_string(group.buckets_started_early()) + "; ";
  group.finish();
  return failed;
}

}  // namespace

TEST(GradientBuckets, SumTheFinalGradientsWhenBucketsStartDuringTheBackwardPass) {
  const int port = free_port();
  ASSERT_GT(port, 0);
  std::vector<pid_t> children;
  for (int rank = 0; rank < 2; ++rank) {
    pid_t pid = ::fork();
    if (pid == 0) {
      int code = 1;
      try {
        const std::string failed = run_rank(rank, port);
        if (!failed.empty()) std::cerr << "rank " << rank << ": " << failed << "\n";
        code = failed.empty() ? 0 : 1;
      } catch (const std::exception& e) {
        std::cerr << "rank " << rank << ": " << e.what() << "\n";
      }
      std::cerr.flush();
      ::_exit(code);
    }
    children.push_back(pid);
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (pid_t pid : children) {
    int status = 0;
    pid_t done = 0;
    while ((done = ::waitpid(pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (done != pid) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ADD_FAILURE() << "a rank did not finish within 60 s";
      continue;
    }
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a rank failed (its reason is above)";
  }
}
