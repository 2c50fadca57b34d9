// thinc's Optimizer (thinc/optimizers.py) and schedules (thinc/schedules.py) over LibTorch.
#include "models/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/registry.hpp"

namespace trfpipe {

namespace schedules {
Schedule constant(double rate) {
  return [rate](int64_t) { return rate; };
}
Schedule compounding(double start, double stop, double compound, double t) {
  return [=](int64_t step) {
    double curr = start * std::pow(compound, double(step) + t);
    return start > stop ? std::max(curr, stop) : std::min(curr, stop);
  };
}
Schedule warmup_linear(double initial_rate, int64_t warmup_steps, int64_t total_steps) {
  return [=](int64_t step) {
    double factor;
    if (step < warmup_steps) {
      factor = double(step) / double(std::max<int64_t>(1, warmup_steps));
    } else {
      factor = std::max(0.0, double(total_steps - step) /
                                 std::max(1.0, double(total_steps - warmup_steps)));
    }
    return factor * initial_rate;
  };
}
Schedule decaying(double base_rate, double decay, double t) {
  return [=](int64_t step) { return base_rate * (1.0 / (1.0 + decay * (t + double(step)))); };
}
}  // namespace schedules

Optimizer::Optimizer(OptimizerOptions options) : options_(std::move(options)) {}

std::shared_ptr<Optimizer> Optimizer::adam(OptimizerOptions options) {
  return std::make_shared<Optimizer>(std::move(options));
}

std::shared_ptr<Optimizer> Optimizer::sgd(Hyper learn_rate, Hyper L2, Hyper grad_clip,
                                          bool L2_is_weight_decay, bool use_averages) {
  OptimizerOptions o;
  o.learn_rate = std::move(learn_rate);
  o.L2 = std::move(L2);
  o.grad_clip = std::move(grad_clip);
  o.L2_is_weight_decay = L2_is_weight_decay;
  o.use_averages = use_averages;
  o.beta1 = 0.0;
  o.beta2 = 0.0;
  return std::make_shared<Optimizer>(std::move(o));
}

void Optimizer::step_schedules() { ++step_; }

int64_t Optimizer::nr_update(const std::string& key) const {
  auto it = state_.find(key);
  return it == state_.end() ? 0 : it->second.nr_update;
}

at::Tensor Optimizer::average(const std::string& key) const {
  auto it = state_.find(key);
  return it == state_.end() ? at::Tensor() : it->second.average;
}

void Optimizer::step(const std::string& group, const NamedTensors& params) {
  at::NoGradGuard no_grad;
  const double lr = options_.learn_rate.at(step_);
  const double b1 = options_.beta1.at(step_), b2 = options_.beta2.at(step_);
  const double eps = options_.eps.at(step_), L2 = options_.L2.at(step_);
  const double clip = options_.grad_clip.at(step_);
  for (const auto& [name, weights] : params) {
    at::Tensor grad = weights.grad();
    if (!grad.defined() || grad.numel() < 1) continue;
    State& st = state_[group + "." + name];
    st.nr_update += 1;
    const int64_t t = st.nr_update;
    at::Tensor g = grad.clone();
    if (L2 != 0.0 && !options_.L2_is_weight_decay) g.add_(weights, L2);
    if (clip != 0.0) {  // thinc's ops.clip_gradient: per parameter, by its L2 norm
      double norm = std::max(g.norm().item<double>(), 1e-12);
      g.mul_(std::min(clip, norm) / norm);
    }
    if (b1 > 0.0 && b2 > 0.0) {
      if (!st.mom1.defined()) {
        st.mom1 = at::zeros_like(weights);
        st.mom2 = at::zeros_like(weights);
      }
      const double fix1 = 1.0 - std::pow(b1, double(t));
      const double fix2 = 1.0 - std::pow(b2, double(t));
      const double step_lr = lr * std::sqrt(fix2) / fix1;
      st.mom1.mul_(b1).add_(g, 1.0 - b1);
      st.mom2.mul_(b2).addcmul_(g, g, 1.0 - b2);
      weights.sub_(st.mom1 / (st.mom2.sqrt() + eps) * step_lr);
    } else if (b2 > 0.0) {
      throw ValueError("Optimizer: beta2 > 0 with beta1 = 0 is not supported (as thinc)");
    } else {
      weights.sub_(g * lr);
    }
    grad.zero_();
    if (L2 != 0.0 && options_.L2_is_weight_decay) weights.sub_(weights * (lr * L2));
    if (options_.use_averages) {
      if (!st.average.defined()) st.average = at::zeros_like(weights);
      double decay = std::min((1.0 + double(t)) / (10.0 + double(t)), 0.9999);
      st.average.sub_((st.average - weights) * (1.0 - decay));
    }
  }
}

UseAveragedParams::UseAveragedParams(Language& nlp, const Optimizer& optimizer) {
  at::NoGradGuard no_grad;
  for (Pipe* pipe : nlp.pipeline()) {
    auto* owner = dynamic_cast<ParameterOwner*>(pipe);
    if (!owner) continue;
    const std::string group = owner->parameter_group();
    for (const auto& [name, p] : owner->named_parameters()) {
      at::Tensor avg = optimizer.average(group + "." + name);
      if (!avg.defined()) continue;
      saved_.emplace_back(p, p.detach().clone());
      at::Tensor(p).copy_(avg);
    }
  }
}

UseAveragedParams::~UseAveragedParams() {
  at::NoGradGuard no_grad;
  for (auto& [p, orig] : saved_) p.copy_(orig);
}

namespace models {

Hyper get_hyper(const registry::Value& args, const std::string& name) {
  const registry::Value& v = args.at(name);
  if (v.is_object()) {
    if (const Schedule* s = std::any_cast<Schedule>(&v.object())) return Hyper(*s);
    throw Error("argument '" + name + "': expected a float or a schedule, got " + v.describe());
  }
  return Hyper(registry::get_float(args, name));
}

void register_optimizers() {
  static std::once_flag once;
  std::call_once(once, [] {
    using registry::arg;
    auto& opt = registry::get("optimizers");
    opt.add(registry::Function{
        "", "Adam.v1",
        {arg("learn_rate", "float|Schedule", 0.001), arg("L2", "float|Schedule", 0.0),
         arg("beta1", "float|Schedule", 0.9), arg("beta2", "float|Schedule", 0.999),
         arg("eps", "float|Schedule", 1e-8), arg("grad_clip", "float|Schedule", 1.0),
         arg("L2_is_weight_decay", "bool", true), arg("use_averages", "bool", true)},
        false,
        [](const registry::Value& a, const std::vector<std::string>&) -> std::any {
          OptimizerOptions o;
          o.learn_rate = get_hyper(a, "learn_rate");
          o.L2 = get_hyper(a, "L2");
          o.beta1 = get_hyper(a, "beta1");
          o.beta2 = get_hyper(a, "beta2");
          o.eps = get_hyper(a, "eps");
          o.grad_clip = get_hyper(a, "grad_clip");
          o.L2_is_weight_decay = registry::get_bool(a, "L2_is_weight_decay");
          o.use_averages = registry::get_bool(a, "use_averages");
          return Optimizer::adam(std::move(o));
        },
        "Optimizer"});
    opt.add(registry::Function{
        "", "SGD.v1",
        {arg("learn_rate", "float|Schedule"), arg("L2", "float|Schedule", 0.0),
         arg("grad_clip", "float|Schedule", 1.0), arg("L2_is_weight_decay", "bool", true),
         arg("use_averages", "bool", true)},
        false,
        [](const registry::Value& a, const std::vector<std::string>&) -> std::any {
          return Optimizer::sgd(get_hyper(a, "learn_rate"), get_hyper(a, "L2"),
                                get_hyper(a, "grad_clip"), registry::get_bool(a, "L2_is_weight_decay"),
                                registry::get_bool(a, "use_averages"));
        },
        "Optimizer"});
    auto& sch = registry::get("schedules");
    auto make = [](const registry::Value& a, const std::vector<std::string>&) -> std::any {
      return schedules::constant(registry::get_float(a, "rate"));
    };
    sch.add(registry::Function{"", "constant.v1", {arg("rate", "float")}, false, make, "Schedule"});
    sch.add(registry::Function{
        "", "compounding.v1",
        {arg("start", "float"), arg("stop", "float"), arg("compound", "float"),
         arg("t", "float", 0.0)},
        false,
        [](const registry::Value& a, const std::vector<std::string>&) -> std::any {
          return schedules::compounding(registry::get_float(a, "start"),
                                        registry::get_float(a, "stop"),
                                        registry::get_float(a, "compound"),
                                        registry::get_float(a, "t"));
        },
        "Schedule"});
    sch.add(registry::Function{
        "", "warmup_linear.v1",
        {arg("initial_rate", "float"), arg("warmup_steps", "int"), arg("total_steps", "int")},
        false,
        [](const registry::Value& a, const std::vector<std::string>&) -> std::any {
          return schedules::warmup_linear(registry::get_float(a, "initial_rate"),
                                          registry::get_int(a, "warmup_steps"),
                                          registry::get_int(a, "total_steps"));
        },
        "Schedule"});
    sch.add(registry::Function{
        "", "decaying.v1",
        {arg("base_rate", "float"), arg("decay", "float"), arg("t", "float", 0.0)}, false,
        [](const registry::Value& a, const std::vector<std::string>&) -> std::any {
          return schedules::decaying(registry::get_float(a, "base_rate"),
                                     registry::get_float(a, "decay"),
                                     registry::get_float(a, "t"));
        },
        "Schedule"});
  });
}

}  // namespace models
}  // namespace trfpipe
