// The optimizer (thinc's Optimizer semantics: Adam.v1 / SGD.v1) and the learning-rate schedules
// (thinc's schedules: constant.v1, compounding.v1, warmup_linear.v1, decaying.v1).
//
// Components own LibTorch parameters; in finish_update() they call
//   optimizer.step(name(), named_parameters());
// which updates every parameter whose .grad() is defined (thinc's has_grad) and zeroes the grad.
// State (moments, averages, update counts) is keyed by "<group>.<parameter name>", as thinc keys
// by (node id, parameter name).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace trfpipe {

class Language;

// A schedule gives a value for a step (0, 1, 2, ...), like a thinc schedule/generator: the
// optimizer reads step 0 first and advances with step_schedules().
using Schedule = std::function<double(int64_t step)>;
namespace schedules {
Schedule constant(double rate);                                   // constant.v1
Schedule compounding(double start, double stop, double compound,  // compounding.v1
                     double t = 0.0);
Schedule warmup_linear(double initial_rate, int64_t warmup_steps,  // warmup_linear.v1
                       int64_t total_steps);
Schedule decaying(double base_rate, double decay, double t = 0.0);  // decaying.v1
}  // namespace schedules

// A hyperparameter: a float, or a schedule over optimizer steps (thinc's FloatOrSeq).
struct Hyper {
  Hyper(double v = 0.0) : value(v) {}  // NOLINT: implicit from a float, as in the config
  Hyper(Schedule s) : schedule(std::move(s)) {}  // NOLINT
  double value = 0.0;
  Schedule schedule;  // when set, value = schedule(step)
  double at(int64_t step) const { return schedule ? schedule(step) : value; }
};

// thinc's Optimizer arguments. Defaults are thinc's Adam.v1 defaults (spaCy's default config
// uses L2=0.01, use_averages=false). SGD.v1 = beta1 = beta2 = 0.
struct OptimizerOptions {
  Hyper learn_rate = 0.001;
  Hyper beta1 = 0.9;
  Hyper beta2 = 0.999;
  Hyper eps = 1e-8;
  Hyper L2 = 0.0;
  bool L2_is_weight_decay = true;  // decoupled weight decay (AdamW) when true
  Hyper grad_clip = 1.0;           // per-parameter L2-norm clip, as thinc; 0 = off
  bool use_averages = true;        // keep an EMA of every parameter (for evaluation)
};

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

class Optimizer {
 public:
  explicit Optimizer(OptimizerOptions options = {});
  static std::shared_ptr<Optimizer> adam(OptimizerOptions options = {});
  // SGD.v1: learn_rate required; thinc's defaults L2=0, grad_clip=1, use_averages=true.
  static std::shared_ptr<Optimizer> sgd(Hyper learn_rate, Hyper L2 = 0.0, Hyper grad_clip = 1.0,
                                        bool L2_is_weight_decay = true, bool use_averages = true);

  // One update of every parameter in `params` that has a gradient; zeroes the gradients.
  // Parameters without a defined grad are skipped (no state change).
  void step(const std::string& group, const NamedTensors& params);
  // Advances every schedule by one step (thinc's step_schedules; the training loop calls it).
  void step_schedules();
  int64_t schedule_step() const { return step_; }

  const OptimizerOptions& options() const { return options_; }
  double learn_rate() const { return options_.learn_rate.at(step_); }
  bool use_averages() const { return options_.use_averages; }
  // The update count of a parameter ("group.name"), 0 when never updated.
  int64_t nr_update(const std::string& key) const;
  // The averaged value of a parameter, or an undefined tensor when there is none.
  at::Tensor average(const std::string& key) const;

 private:
  struct State {
    at::Tensor mom1, mom2, average;
    int64_t nr_update = 0;
  };
  OptimizerOptions options_;
  int64_t step_ = 0;
  std::map<std::string, State> state_;
};

// Something with LibTorch parameters that an Optimizer updates (every trainable torch component).
class ParameterOwner {
 public:
  virtual ~ParameterOwner() = default;
  // The optimizer group (the component's name) and its parameters, names as in the weights file.
  virtual std::string parameter_group() const = 0;
  virtual NamedTensors named_parameters() const = 0;
};

// spaCy's nlp.use_params(optimizer.averages): while alive, every ParameterOwner pipe of `nlp`
// holds the averaged parameters (where the optimizer has them); the destructor restores them.
class UseAveragedParams {
 public:
  UseAveragedParams(Language& nlp, const Optimizer& optimizer);
  ~UseAveragedParams();
  UseAveragedParams(const UseAveragedParams&) = delete;
  UseAveragedParams& operator=(const UseAveragedParams&) = delete;

 private:
  std::vector<std::pair<at::Tensor, at::Tensor>> saved_;  // (parameter, original value)
};

}  // namespace trfpipe
