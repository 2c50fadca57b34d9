// Data-parallel training on LibTorch's c10d (docs/distributed.md): a TCPStore rendezvous (rank 0
// serves it), ProcessGroupGloo for the collectives, and a heartbeat that stops every rank when one
// dies or hangs. The training loop (training/loop.cpp) calls it between the components' update()
// and finish_update(); everything here is a collective: every rank calls the same functions in
// the same order. The gradient all-reduce overlaps with the backward pass: hooks on the
// parameters' gradient accumulators start a bucket's all-reduce as soon as all its gradients are
// in (buckets in reverse parameter order, as DDP), and allreduce_gradients() does the rest.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "trfpipe/distributed.hpp"
#include "trfpipe/torch/optimizer.hpp"

namespace trfpipe::distributed {

class Heartbeat;
class GradientBuckets;

class ProcessGroup {
 public:
  // Joins the group (settings.world_size > 1). An Error names the rendezvous (host:port) when rank 0
  // cannot be reached within settings.connect_timeout_s.
  explicit ProcessGroup(const DistributedSettings& settings);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return settings_.rank; }
  int world_size() const { return settings_.world_size; }

  // Checks that every rank built the same parameters (names, shapes, dtypes: a cheap fingerprint
  // compared with a max/min all-reduce), copies rank 0's values to every rank and checks the
  // copies with a checksum. Random initialisation may differ between ranks; this makes it not.
  void broadcast_parameters(const std::vector<ParameterOwner*>& owners);
  // Called before the last backward pass of a step (the last sub-batch's update): from here on
  // a bucket whose parameters have all received their gradient starts its all-reduce at once,
  // while the backward pass goes on. Without it (or with TRFPIPE_DIST_OVERLAP=0) every bucket
  // starts in allreduce_gradients().
  void start_gradient_overlap(const std::vector<ParameterOwner*>& owners);
  // Sums every parameter's gradient over the ranks, in buckets (1 MB first, then about 25 MB, as
  // DDP), and waits for the sums. A parameter that has no gradient on this rank takes part with
  // zeros; it gets the sum when any rank had a gradient and stays without one (the optimizer
  // skips it) when none had. A bucket that started early and whose gradients changed after it
  // started (a second backward pass into the same parameters) is summed again, so the result is
  // always the sum of the final gradients.
  void allreduce_gradients(const std::vector<ParameterOwner*>& owners);
  // Elementwise over ranks.
  std::vector<double> sum(std::vector<double> values);
  int64_t max(int64_t value);
  // Rank 0's values on every rank (other ranks pass a vector of the same size).
  std::vector<double> broadcast(std::vector<double> values);

  // Tells the other ranks that this rank failed (`what`), so they stop naming it. Never throws.
  void report_failure(const std::string& what) noexcept;
  // The end of training: every rank arrives, then the heartbeats stop, then the store is left.
  void finish();
  // Seconds the training thread spent on the all-reduce: in allreduce_gradients and in the
  // hooks that start buckets (for the summary line and the benchmark).
  double gradient_seconds() const;
  // Buckets summed so far, and how many of them started during the backward pass.
  int64_t buckets_summed() const;
  int64_t buckets_started_early() const;

 private:
  // Runs a collective; on failure waits for the heartbeat's verdict (which rank died), so the
  // error names the rank instead of Gloo's socket message.
  template <typename F>
  void collective(const char* what, F&& run);
  // Whether every rank passed the same values (one all-reduce).
  bool same_on_all_ranks(const std::vector<double>& values);
  // The buckets of these parameters (made, with their hooks, when they change).
  GradientBuckets& gradient_buckets(const std::vector<ParameterOwner*>& owners);

  DistributedSettings settings_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<Heartbeat> heartbeat_;
};

}  // namespace trfpipe::distributed
