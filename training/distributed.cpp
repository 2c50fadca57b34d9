// The process group of data-parallel training on c10d: TCPStore rendezvous, ProcessGroupGloo,
// gradient buckets started from autograd hooks, and the heartbeat (training/distributed.hpp,
// docs/distributed.md).
#include "training/distributed.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
// Debian's (and PyTorch's) LibTorch is built with Gloo; its headers guard the class by this macro.
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
// The gradient accumulators' post hooks (what DDP's Reducer uses; LibTorch 1.13 has no
// register_post_accumulate_grad_hook).
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/utils/lambda_post_hook.h>
#include <torch/csrc/autograd/variable.h>
// A CUDA build of LibTorch (compiled with -DUSE_C10D_NCCL) sums CUDA gradients with NCCL; Debian's
// CPU LibTorch has no NCCL and this compiles away. Untested: no GPU machine was available.
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "trfpipe/error.hpp"

namespace trfpipe::distributed {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Rank 0 may evaluate or save for a long time while the others wait in a collective; liveness is
// the heartbeat's job, so the collectives themselves may wait this long.
constexpr auto kCollectiveTimeout = std::chrono::minutes(30);
// Gradients are summed in flat buffers of about 25 MB (DDP's default bucket_cap_mb), or
// TRFPIPE_DIST_BUCKET_MB; the first one (the last parameters, whose gradients come first) of
// kFirstBucketBytes so it starts early (as DDP's first bucket).
int64_t bucket_bytes() {
  static const int64_t bytes = [] {
    const char* v = std::getenv("TRFPIPE_DIST_BUCKET_MB");
    const double mb = v && *v ? std::atof(v) : 25.0;
    return int64_t(std::max(mb, 0.01) * 1024 * 1024);
  }();
  return bytes;
}
constexpr int64_t kFirstBucketBytes = 1024 * 1024;
constexpr const char* kFailedKey = "trfpipe/failed";
constexpr const char* kJoinedKey = "trfpipe/joined";

std::string heartbeat_key(int rank) { return "trfpipe/heartbeat/" + std::to_string(rank); }

std::string message_of(const std::exception& e) {
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e)) return c10_error->what_without_backtrace();
  return e.what();
}

milliseconds to_ms(double seconds) { return milliseconds(int64_t(seconds * 1000)); }

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }
std::string string_of(const std::vector<uint8_t>& b) { return {b.begin(), b.end()}; }

c10::intrusive_ptr<c10d::TCPStore> connect_store(const DistributedSettings& s, bool server,
                                                 double timeout_s) {
  c10d::TCPStoreOptions options;
  options.port = uint16_t(s.master_port);
  options.isServer = server;
  // The ranks count themselves in under kJoinedKey (TCPStore's own wait for workers gives up
  // silently at its timeout).
  options.waitWorkers = false;
  options.timeout = to_ms(timeout_s);
  return c10::make_intrusive<c10d::TCPStore>(s.master_addr, options);
}

// A rank that sees another die prints why and leaves at once: its main thread may be blocked in a
// collective that would wait for kCollectiveTimeout. model-best/model-last are replaced atomically,
// so leaving mid-save leaves the previous complete copy.
[[noreturn]] void stop_process(const std::string& message) {
  std::string text = "\u2718 Distributed training stopped: " + message + "\n";
  ssize_t ignored = ::write(STDERR_FILENO, text.data(), text.size());
  (void)ignored;
  ::_exit(1);
}

}  // namespace

// Every rank writes a counter under heartbeat/<rank> every second, through its own connection to
// the store (the main thread's may be busy). Rank 0 watches the others' counters and posts a
// verdict under kFailedKey when one stops moving; every rank stops when it reads a verdict, and a
// rank that loses the store (served by rank 0) knows rank 0 is gone.
class Heartbeat {
 public:
  explicit Heartbeat(const DistributedSettings& s) : s_(s), thread_([this] { run(); }) {}
  ~Heartbeat() { stop(); }
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  bool sleep_or_stop(milliseconds d) {
    std::unique_lock<std::mutex> lock(mutex_);
    return wake_.wait_for(lock, d, [this] { return stopping_; });
  }
  bool stopping() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopping_;
  }

  void run() {
    c10::intrusive_ptr<c10d::TCPStore> store;
    const std::string where = s_.master_addr + ":" + std::to_string(s_.master_port);
    try {
      store = connect_store(s_, false, s_.heartbeat_timeout_s);
    } catch (const std::exception& e) {
      if (!stopping()) stop_process("worker rank 0 died or stopped responding (its store at " + where + ": " + message_of(e) + ")");
      return;
    }
    std::vector<std::string> last(size_t(s_.world_size));
    std::vector<Clock::time_point> moved(size_t(s_.world_size), Clock::now());
    int64_t beat = 0;
    const auto stale_after = to_ms(s_.heartbeat_timeout_s);
    while (!sleep_or_stop(milliseconds(1000))) {
      try {
        store->set(heartbeat_key(s_.rank), bytes_of(std::to_string(++beat)));
        if (store->check({kFailedKey})) stop_process(string_of(store->get(kFailedKey)));
        if (s_.rank != 0) continue;
        for (int r = 1; r < s_.world_size; ++r) {
          if (store->check({heartbeat_key(r)})) {
            std::string value = string_of(store->get(heartbeat_key(r)));
            if (value != last[size_t(r)]) {
              last[size_t(r)] = value;
              moved[size_t(r)] = Clock::now();
              continue;
            }
          }
          if (Clock::now() - moved[size_t(r)] > stale_after) {
            std::string verdict = "worker rank " + std::to_string(r) +
                                  " died or stopped responding (no heartbeat for " +
                                  std::to_string(int(s_.heartbeat_timeout_s)) + " s)";
            store->set(kFailedKey, bytes_of(verdict));
            // The others read the verdict within a heartbeat; the store goes when rank 0 leaves.
            std::this_thread::sleep_for(milliseconds(2500));
            stop_process(verdict);
          }
        }
      } catch (const std::exception& e) {
        if (stopping()) return;
        stop_process("worker rank 0 died or stopped responding (lost its store at " + where +
                     ": " + message_of(e) + ")");
      }
    }
  }

  DistributedSettings s_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

class GradientBuckets;

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  std::unique_ptr<GradientBuckets> buckets;  // made at the first all-reduce of gradients
#ifdef USE_C10D_NCCL
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;  // made when the trained parameters are on CUDA
#endif
  double gradient_seconds = 0;               // on the training thread
  int64_t buckets_summed = 0, buckets_started_early = 0;
};

namespace {

std::shared_ptr<::gloo::transport::Device> gloo_device(const DistributedSettings& s) {
  // GLOO_SOCKET_IFNAME as in PyTorch; a loopback master means every rank is on this machine;
  // otherwise the address this host's name resolves to (PyTorch's default).
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  if (s.master_addr == "localhost" || s.master_addr.rfind("127.", 0) == 0)
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

c10d::AllreduceOptions reduce_options(c10d::ReduceOp::RedOpType op = c10d::ReduceOp::SUM) {
  c10d::AllreduceOptions options;
  options.reduceOp = op;
  return options;
}

void allreduce(c10d::ProcessGroupGloo& group, const at::Tensor& t,
               c10d::ReduceOp::RedOpType op = c10d::ReduceOp::SUM) {
  std::vector<at::Tensor> ts{t};
  group.allreduce(ts, reduce_options(op))->wait();
}

void broadcast_from_rank0(c10d::ProcessGroupGloo& group, const at::Tensor& t) {
  std::vector<at::Tensor> ts{t};
  group.broadcast(ts)->wait();
}

// Unique parameters of the owners, in their order (a tensor shared by two owners counts once).
std::vector<at::Tensor> unique_parameters(const std::vector<ParameterOwner*>& owners,
                                          std::vector<std::string>* names = nullptr) {
  std::vector<at::Tensor> out;
  std::unordered_set<const void*> seen;
  for (ParameterOwner* owner : owners)
    for (const auto& [name, p] : owner->named_parameters())
      if (seen.insert(p.unsafeGetTensorImpl()).second) {
        out.push_back(p);
        if (names) names->push_back(owner->parameter_group() + "." + name);
      }
  return out;
}

// Parameters grouped into consecutive buckets of one dtype and about bucket_bytes() (the first
// `first_bytes`), in the order of `order` (default: the parameters' order).
std::vector<std::vector<size_t>> buckets_of(const std::vector<at::Tensor>& params,
                                            int64_t first_bytes = -1,
                                            std::vector<size_t> order = {}) {
  if (order.empty())
    for (size_t i = 0; i < params.size(); ++i) order.push_back(i);
  const int64_t rest_bytes = bucket_bytes();
  if (first_bytes < 0) first_bytes = rest_bytes;
  std::vector<std::vector<size_t>> buckets;
  int64_t bytes = 0;
  for (size_t i : order) {
    const int64_t size = params[i].numel() * int64_t(params[i].element_size());
    const int64_t cap = buckets.size() == 1 ? first_bytes : rest_bytes;  // of the open bucket
    if (buckets.empty() || bytes + size > cap ||
        params[buckets.back().front()].scalar_type() != params[i].scalar_type()) {
      buckets.emplace_back();
      bytes = 0;
    }
    buckets.back().push_back(i);
    bytes += size;
  }
  return buckets;
}

}  // namespace

// The gradient buckets of the trained parameters, in reverse parameter order (the last
// parameters get their gradients first in the backward pass), and the hooks that start a
// bucket's all-reduce during the backward pass once every gradient of it has arrived. Buckets
// start in order on every rank (bucket k only after k - 1, the rest in allreduce_gradients),
// so the ranks' collectives match whatever the timing. A bucket copies its gradients when it
// starts and notes each gradient's tensor and version; allreduce_gradients finds out whether
// any changed afterwards (a second backward pass into the same parameters) and sums such a
// bucket again. A parameter whose gradient did not come in the last step (BERT's pooler in a
// tagger) is not waited for, else its bucket and all after it would wait for the end of the
// backward pass (DDP's find_unused_parameters); should it get a gradient after all, the check
// sums its bucket again. The hooks run on the thread of the backward pass.
class GradientBuckets {
 public:
  // Starts the all-reduce (sum) of one flat tensor.
  using Launch = std::function<c10::intrusive_ptr<c10d::Work>(std::vector<at::Tensor>&)>;

  // `group` (Gloo) agrees on the flags; `launch` sums the buckets, which live on `device`.
  GradientBuckets(c10d::ProcessGroupGloo& group, Launch launch, at::Device device,
                  std::vector<at::Tensor> params, bool overlap)
      : group_(group), launch_(std::move(launch)), device_(device), params_(std::move(params)),
        arrived_(params_.size(), false) {
    std::vector<size_t> reversed;
    for (size_t i = params_.size(); i-- > 0;) reversed.push_back(i);
    bucket_of_.resize(params_.size());
    for (auto& members : buckets_of(params_, std::min(kFirstBucketBytes, bucket_bytes()), reversed)) {
      buckets_.emplace_back();
      for (size_t i : members) bucket_of_[i] = buckets_.size() - 1;
      buckets_.back().params = std::move(members);
    }
    hooked_.assign(params_.size(), false);
    awaited_.assign(params_.size(), false);
    if (overlap) {
      for (size_t i = 0; i < params_.size(); ++i) {
        std::shared_ptr<torch::autograd::Node> accumulator;
        try {
          accumulator = torch::autograd::impl::grad_accumulator(params_[i]);
        } catch (const std::exception&) {  // not a leaf: its bucket starts in allreduce_gradients
        }
        if (!accumulator) continue;
        hooked_[i] = awaited_[i] = true;
        hooks_.emplace_back(accumulator,
                            accumulator->add_post_hook(std::make_unique<torch::autograd::utils::LambdaPostHook>(
                                [this, i](const torch::autograd::variable_list& outputs,
                                          const torch::autograd::variable_list&) {
                                  arrived(i);
                                  return outputs;
                                })));
      }
    }
    reset();
  }
  ~GradientBuckets() {
    for (auto& [accumulator, key] : hooks_) accumulator->del_post_hook(key);
  }
  GradientBuckets(const GradientBuckets&) = delete;
  GradientBuckets& operator=(const GradientBuckets&) = delete;

  bool same_parameters(const std::vector<at::Tensor>& params) const {
    if (params.size() != params_.size()) return false;
    for (size_t i = 0; i < params.size(); ++i)
      if (!params[i].is_same(params_[i])) return false;
    return true;
  }
  void arm() {
    std::lock_guard<std::mutex> lock(mutex_);
    armed_ = armed_this_step_ = !hooks_.empty();
  }

  // The end of the step's backward pass: starts the buckets not started yet, agrees with the
  // other ranks on which parameters have gradients and which buckets must be summed again, waits
  // and writes the sums into the gradients. `collective` runs a step that talks to the others.
  // Adds to the counters: buckets summed, those started early, seconds the hooks took.
  template <typename Collective>
  void finish(Collective&& collective, int64_t& summed, int64_t& started_early, double& hook_seconds) {
    std::unique_lock<std::mutex> lock(mutex_);
    at::NoGradGuard no_grad;
    armed_ = false;
    if (armed_this_step_)  // wait in the next step for what came in this one
      for (size_t i = 0; i < params_.size(); ++i) awaited_[i] = hooked_[i] && arrived_[i];
    if (hook_error_) {
      std::exception_ptr error = hook_error_;
      hook_error_ = nullptr;
      collective("gradient all-reduce", [&] { std::rethrow_exception(error); });
    }
    while (next_ < buckets_.size()) collective("gradient all-reduce", [&] { start(buckets_[next_++]); });
    // Flags: per parameter whether it has a gradient here, per bucket whether one of its
    // gradients changed after the bucket started.
    std::vector<float> flags;
    for (const auto& p : params_) flags.push_back(p.grad().defined() ? 1.0f : 0.0f);
    for (const Bucket& b : buckets_) flags.push_back(b.early && changed_since_start(b) ? 1.0f : 0.0f);
    at::Tensor summed_flags = at::tensor(flags, at::kFloat);
    collective("gradient flags", [&] { allreduce(group_, summed_flags); });
    const float* any = summed_flags.data_ptr<float>();
    for (size_t k = 0; k < buckets_.size(); ++k) {
      Bucket& b = buckets_[k];
      collective("gradient all-reduce", [&] { b.work->wait(); });
      if (any[params_.size() + k] > 0) {  // the same decision on every rank: the flags are summed
        collective("gradient all-reduce", [&] {
          start(b);
          b.work->wait();
        });
      }
      int64_t offset = 0;
      for (size_t i : b.params) {
        const int64_t n = params_[i].numel();
        if (any[i] > 0) {
          at::Tensor summed = b.flat.narrow(0, offset, n).view(params_[i].sizes()).to(params_[i].device());
          at::Tensor& grad = params_[i].mutable_grad();
          if (grad.defined() && !grad.is_sparse()) grad.copy_(summed);
          else grad = summed.clone();
        }
        offset += n;
      }
      summed += 1;
      started_early += b.early ? 1 : 0;
    }
    hook_seconds += hook_seconds_;
    reset();
  }

 private:
  struct Bucket {
    std::vector<size_t> params;
    size_t waiting = 0;     // hooked parameters whose gradient has not arrived in this step
    bool early = false;     // started by a hook, during the backward pass
    at::Tensor flat;        // the gradients, then their sum over the ranks
    c10::intrusive_ptr<c10d::Work> work;
    std::vector<at::Tensor> grads;  // the gradient tensors copied into `flat`, and their versions
    std::vector<uint32_t> versions;
  };

  void reset() {
    for (Bucket& b : buckets_) {
      b.waiting = 0;
      for (size_t i : b.params) b.waiting += awaited_[i] ? 1 : 0;
      b.early = false;
      b.flat = at::Tensor();
      b.work.reset();
      b.grads.clear();
      b.versions.clear();
    }
    std::fill(arrived_.begin(), arrived_.end(), false);
    armed_this_step_ = false;
    next_ = 0;
    hook_seconds_ = 0;
  }

  // Hook: parameter i's gradient is accumulated.
  void arrived(size_t i) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!armed_ || arrived_[i]) return;
    arrived_[i] = true;
    if (!awaited_[i]) return;
    --buckets_[bucket_of_[i]].waiting;
    const auto begin = Clock::now();
    try {
      while (next_ < buckets_.size() && buckets_[next_].waiting == 0) {
        buckets_[next_].early = true;
        start(buckets_[next_++]);
      }
    } catch (...) {  // a peer is gone: reported by finish(), outside the backward pass
      hook_error_ = std::current_exception();
      armed_ = false;
    }
    hook_seconds_ += std::chrono::duration<double>(Clock::now() - begin).count();
  }

  // Copies the bucket's gradients (zeros where there is none) and starts their all-reduce.
  void start(Bucket& b) {
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> parts;
    b.grads.clear();
    b.versions.clear();
    for (size_t i : b.params) {
      const at::Tensor& g = params_[i].grad();
      b.grads.push_back(g);
      b.versions.push_back(g.defined() ? uint32_t(g._version()) : 0u);
      parts.push_back(g.defined() ? (g.is_sparse() ? g.to_dense() : g).reshape(-1).to(device_)
                                  : at::zeros({params_[i].numel()}, params_[i].options().device(device_)));
    }
    b.flat = at::cat(parts);
    std::vector<at::Tensor> tensors{b.flat};
    b.work = launch_(tensors);
  }

  bool changed_since_start(const Bucket& b) const {
    for (size_t k = 0; k < b.params.size(); ++k) {
      const at::Tensor& g = params_[b.params[k]].grad();
      if (!g.is_same(b.grads[k]) || (g.defined() && uint32_t(g._version()) != b.versions[k])) return true;
    }
    return false;
  }

  c10d::ProcessGroupGloo& group_;
  Launch launch_;
  at::Device device_;
  std::vector<at::Tensor> params_;
  std::vector<Bucket> buckets_;
  std::vector<size_t> bucket_of_;
  std::vector<bool> hooked_, awaited_, arrived_;
  std::vector<std::pair<std::shared_ptr<torch::autograd::Node>, uintptr_t>> hooks_;
  std::mutex mutex_;
  bool armed_ = false, armed_this_step_ = false;
  size_t next_ = 0;  // the next bucket to start
  double hook_seconds_ = 0;  // in this step
  std::exception_ptr hook_error_;
};

ProcessGroup::ProcessGroup(const DistributedSettings& settings)
    : settings_(settings), impl_(std::make_unique<Impl>()) {
  const std::string where = settings.master_addr + ":" + std::to_string(settings.master_port);
  try {
    impl_->store = connect_store(settings, settings.rank == 0, settings.connect_timeout_s);
  } catch (const std::exception& e) {
    throw Error(std::string(settings.rank == 0 ? "rank 0 could not serve the rendezvous store on "
                                               : "could not reach rank 0's rendezvous store at ") +
                where + " (MASTER_ADDR:MASTER_PORT) within " +
                std::to_string(int(settings.connect_timeout_s)) + " s: " + message_of(e));
  }
  // Everyone here before the heartbeats start (a rank that never came is a join error, not a
  // dead worker) and before Gloo connects.
  try {
    impl_->store->add(kJoinedKey, 1);
    const auto until = Clock::now() + to_ms(settings.connect_timeout_s);
    for (int64_t joined = 0; (joined = impl_->store->add(kJoinedKey, 0)) < settings.world_size;) {
      if (Clock::now() > until)
        throw Error("only " + std::to_string(joined) + " of " + std::to_string(settings.world_size) +
                    " workers joined at " + where + " within " +
                    std::to_string(int(settings.connect_timeout_s)) + " s");
      std::this_thread::sleep_for(milliseconds(50));
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error("lost rank 0's rendezvous store at " + where + " while the workers joined: " +
                message_of(e));
  }
  heartbeat_ = std::make_unique<Heartbeat>(settings);
  try {
    auto options = c10d::ProcessGroupGloo::Options::create(
        std::chrono::duration_cast<milliseconds>(kCollectiveTimeout));
    options->devices.push_back(gloo_device(settings));
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("trfpipe/gloo", impl_->store);
    impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, settings.rank,
                                                               settings.world_size, options);
  } catch (const std::exception& e) {
    throw Error("rank " + std::to_string(settings.rank) + " could not join the Gloo process group (" +
                where + "): " + message_of(e));
  }
}

ProcessGroup::~ProcessGroup() {
  if (heartbeat_) heartbeat_->stop();
}

template <typename F>
void ProcessGroup::collective(const char* what, F&& run) {
  try {
    run();
  } catch (const std::exception& e) {
    // Usually a peer is gone; the heartbeat names it and stops this process within its timeout.
    const auto until = Clock::now() + to_ms(settings_.heartbeat_timeout_s + 10);
    while (Clock::now() < until) std::this_thread::sleep_for(milliseconds(200));
    throw Error(std::string("the ") + what + " between the workers failed on rank " +
                std::to_string(settings_.rank) + ": " + message_of(e));
  }
}

std::vector<double> ProcessGroup::sum(std::vector<double> values) {
  at::Tensor t = at::tensor(values, at::kDouble);
  collective("sum", [&] { allreduce(*impl_->group, t); });
  std::memcpy(values.data(), t.data_ptr<double>(), values.size() * sizeof(double));
  return values;
}

int64_t ProcessGroup::max(int64_t value) {
  at::Tensor t = at::tensor(std::vector<int64_t>{value}, at::kLong);
  collective("maximum", [&] { allreduce(*impl_->group, t, c10d::ReduceOp::MAX); });
  return t.item<int64_t>();
}

std::vector<double> ProcessGroup::broadcast(std::vector<double> values) {
  at::Tensor t = at::tensor(values, at::kDouble);
  collective("broadcast", [&] { broadcast_from_rank0(*impl_->group, t); });
  std::memcpy(values.data(), t.data_ptr<double>(), values.size() * sizeof(double));
  return values;
}

void ProcessGroup::broadcast_parameters(const std::vector<ParameterOwner*>& owners) {
  std::vector<std::string> names;
  std::vector<at::Tensor> params = unique_parameters(owners, &names);
  // Fingerprint: count, elements, and a hash of names, shapes and dtypes (split in 3 parts that a
  // double holds exactly). Equal on all ranks iff max == min.
  uint64_t hash = 1469598103934665603ull;
  auto mix = [&hash](const std::string& s) {
    for (unsigned char c : s) hash = (hash ^ c) * 1099511628211ull;
  };
  int64_t elements = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    mix(names[i]);
    for (int64_t d : params[i].sizes()) mix("," + std::to_string(d));
    mix(std::string(c10::toString(params[i].scalar_type())));
    elements += params[i].numel();
  }
  if (!same_on_all_ranks({double(params.size()), double(elements), double(hash & 0xffffff),
                          double((hash >> 24) & 0xffffff), double(hash >> 48)}))
    throw Error("the workers built different models (this rank has " +
                std::to_string(params.size()) + " parameters of " + std::to_string(elements) +
                " values): every rank needs the same config, code and training data");

  at::NoGradGuard no_grad;
  for (const auto& bucket : buckets_of(params)) {
    std::vector<at::Tensor> flat_parts;
    for (size_t i : bucket) flat_parts.push_back(params[i].detach().reshape(-1));
    at::Tensor flat = at::cat(flat_parts).to(at::kCPU);
    collective("parameter broadcast", [&] { broadcast_from_rank0(*impl_->group, flat); });
    int64_t offset = 0;
    for (size_t i : bucket) {
      const int64_t n = params[i].numel();
      params[i].detach().copy_(flat.narrow(0, offset, n).view(params[i].sizes()));
      offset += n;
    }
  }
  // A checksum of the copies: guards against a parameter that is not what its owner lists.
  double checksum = 0;
  for (const auto& p : params) checksum += p.detach().to(at::kDouble).sum().item<double>();
  if (!same_on_all_ranks({checksum}))
    throw Error("the workers' parameters differ after the broadcast from rank 0");
}

bool ProcessGroup::same_on_all_ranks(const std::vector<double>& values) {
  // One MAX all-reduce of (v, -v): max(v) == -max(-v) == min(v) for every value.
  std::vector<double> both = values;
  for (double v : values) both.push_back(-v);
  at::Tensor t = at::tensor(both, at::kDouble);
  collective("check", [&] { allreduce(*impl_->group, t, c10d::ReduceOp::MAX); });
  const double* r = t.data_ptr<double>();
  for (size_t i = 0; i < values.size(); ++i)
    if (r[i] != -r[i + values.size()]) return false;
  return true;
}

namespace {
// TRFPIPE_DIST_OVERLAP=0 turns the hooks off (every bucket starts after the backward pass), to
// compare (bench/distributed_bench.sh).
bool overlap_enabled() {
  const char* v = std::getenv("TRFPIPE_DIST_OVERLAP");
  return !(v && std::string(v) == "0");
}
}  // namespace

GradientBuckets& ProcessGroup::gradient_buckets(const std::vector<ParameterOwner*>& owners) {
  std::vector<at::Tensor> params = unique_parameters(owners);
  if (impl_->buckets && impl_->buckets->same_parameters(params)) return *impl_->buckets;
  // Gloo sums in host memory (CUDA gradients are copied there and back).
  at::Device device(at::kCPU);
  GradientBuckets::Launch launch = [group = impl_->group](std::vector<at::Tensor>& tensors) {
    return group->allreduce(tensors, reduce_options());
  };
#ifdef USE_C10D_NCCL
  // Every trained parameter on one CUDA device (`--gpu-id`, one device per local rank): NCCL sums
  // the buckets there. Every rank must be on a GPU then.
  const bool on_one_gpu = !params.empty() && std::all_of(params.begin(), params.end(), [&](const at::Tensor& p) {
    return p.is_cuda() && p.device() == params.front().device();
  });
  if (on_one_gpu) {
    if (!impl_->nccl)
      impl_->nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(
          c10::make_intrusive<c10d::PrefixStore>("trfpipe/nccl", impl_->store), settings_.rank,
          settings_.world_size, c10d::ProcessGroupNCCL::Options::create());
    device = params.front().device();
    launch = [nccl = impl_->nccl](std::vector<at::Tensor>& tensors) {
      return nccl->allreduce(tensors, reduce_options());
    };
  }
#endif
  impl_->buckets = std::make_unique<GradientBuckets>(*impl_->group, std::move(launch), device,
                                                     std::move(params), overlap_enabled());
  return *impl_->buckets;
}

void ProcessGroup::start_gradient_overlap(const std::vector<ParameterOwner*>& owners) {
  gradient_buckets(owners).arm();
}

void ProcessGroup::allreduce_gradients(const std::vector<ParameterOwner*>& owners) {
  const auto start = Clock::now();
  GradientBuckets& buckets = gradient_buckets(owners);
  buckets.finish([this](const char* what, auto&& run) { collective(what, run); }, impl_->buckets_summed,
                 impl_->buckets_started_early, impl_->gradient_seconds);
  impl_->gradient_seconds += std::chrono::duration<double>(Clock::now() - start).count();
}

double ProcessGroup::gradient_seconds() const { return impl_->gradient_seconds; }
int64_t ProcessGroup::buckets_summed() const { return impl_->buckets_summed; }
int64_t ProcessGroup::buckets_started_early() const { return impl_->buckets_started_early; }

void ProcessGroup::report_failure(const std::string& what) noexcept {
  try {
    impl_->store->set(kFailedKey, bytes_of("worker rank " + std::to_string(settings_.rank) +
                                           " failed: " + what));
    // Rank 0 serves the store: stay until the others' heartbeats have read the message.
    if (settings_.rank == 0) std::this_thread::sleep_for(milliseconds(2500));
  } catch (...) {
  }
}

void ProcessGroup::finish() {
  // First every rank arrives (rank 0 may still be saving), then the heartbeats stop, then a second
  // barrier: after it nobody touches the store that rank 0 takes away when it exits.
  collective("final barrier", [&] { impl_->group->barrier()->wait(); });
  if (heartbeat_) heartbeat_->stop();
  collective("final barrier", [&] { impl_->group->barrier()->wait(); });
}

}  // namespace trfpipe::distributed
