// The process group of data-parallel training on c10d: TCPStore rendezvous, ProcessGroupGloo,
// gradient buckets and the heartbeat (training/distributed.hpp, docs/distributed.md).
#include "training/distributed.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
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

#include "trfpipe/error.hpp"

namespace trfpipe::distributed {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Rank 0 may evaluate or save for a long time while the others wait in a collective; liveness is
// the heartbeat's job, so the collectives themselves may wait this long.
constexpr auto kCollectiveTimeout = std::chrono::minutes(30);
// Gradients are summed in flat buffers of about this size (as DDP's default bucket_cap_mb).
constexpr int64_t kBucketBytes = 25 * 1024 * 1024;
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

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
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

void allreduce(c10d::ProcessGroupGloo& group, const at::Tensor& t,
               c10d::ReduceOp::RedOpType op = c10d::ReduceOp::SUM) {
  std::vector<at::Tensor> ts{t};
  c10d::AllreduceOptions options;
  options.reduceOp = op;
  group.allreduce(ts, options)->wait();
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

// Parameters grouped into consecutive buckets of one dtype and about kBucketBytes.
std::vector<std::vector<size_t>> buckets_of(const std::vector<at::Tensor>& params) {
  std::vector<std::vector<size_t>> buckets;
  int64_t bytes = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    const int64_t size = params[i].numel() * int64_t(params[i].element_size());
    if (buckets.empty() || bytes + size > kBucketBytes ||
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

void ProcessGroup::allreduce_gradients(const std::vector<ParameterOwner*>& owners) {
  const auto start = Clock::now();
  std::vector<at::Tensor> params = unique_parameters(owners);
  at::NoGradGuard no_grad;
  // Which parameters have a gradient on any rank.
  std::vector<float> flags;
  for (const auto& p : params) flags.push_back(p.grad().defined() ? 1.0f : 0.0f);
  at::Tensor has_grad = at::tensor(flags, at::kFloat);
  collective("gradient flags", [&] { allreduce(*impl_->group, has_grad); });
  const float* any = has_grad.data_ptr<float>();
  for (const auto& bucket : buckets_of(params)) {
    std::vector<at::Tensor> parts;
    bool needed = false;
    for (size_t i : bucket) {
      const at::Tensor& g = params[i].grad();
      needed = needed || any[i] > 0;
      parts.push_back(g.defined() ? (g.is_sparse() ? g.to_dense() : g).reshape(-1).to(at::kCPU)
                                  : at::zeros({params[i].numel()}, params[i].options().device(at::kCPU)));
    }
    if (!needed) continue;  // the same decision on every rank: the flags are summed
    at::Tensor flat = at::cat(parts);
    collective("gradient all-reduce", [&] { allreduce(*impl_->group, flat); });
    int64_t offset = 0;
    for (size_t i : bucket) {
      const int64_t n = params[i].numel();
      if (any[i] > 0) {
        at::Tensor summed = flat.narrow(0, offset, n).view(params[i].sizes()).to(params[i].device());
        at::Tensor& grad = params[i].mutable_grad();
        if (grad.defined() && !grad.is_sparse()) grad.copy_(summed);
        else grad = summed.clone();
      }
      offset += n;
    }
  }
  gradient_seconds_ += std::chrono::duration<double>(Clock::now() - start).count();
}

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
