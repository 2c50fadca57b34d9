// Shared parts of the encoder architectures (see models/encoder_base.hpp).
#include "models/encoder_base.hpp"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <cmath>
#include <limits>

#include "models/reduced_precision.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe {

// ---------------------------------------------------------------------------------------------
// Encoder base members
int64_t Encoder::max_sequence_length() const {
  if (config_.family == EncoderFamily::Roberta)
    return config_.max_position_embeddings - config_.pad_token_id - 1;
  if (config_.family == EncoderFamily::Xlnet)  // relative positions: no table, no limit (as HF)
    return std::numeric_limits<int64_t>::max();
  return config_.max_position_embeddings;
}

at::Device Encoder::device() const {
  auto ps = parameters(true);
  return ps.empty() ? at::Device(at::kCPU) : ps.front().device();
}

std::map<std::string, at::Tensor> Encoder::state_dict() const {
  std::map<std::string, at::Tensor> out;
  for (const auto& p : named_parameters(true)) out[p.key()] = p.value();
  for (const auto& b : named_buffers(true)) out[b.key()] = b.value();
  return out;
}

namespace models {

std::shared_ptr<Node> node(torch::nn::Module& parent, const std::string& name) {
  return parent.register_module(name, std::make_shared<Node>());
}

double lowest(at::ScalarType t) {
  switch (t) {
    case at::kDouble: return std::numeric_limits<double>::lowest();
    case at::kHalf: return -65504.0;
    case at::kBFloat16: return -3.3895313892515355e38;
    default: return static_cast<double>(std::numeric_limits<float>::lowest());
  }
}

at::Tensor activation(const at::Tensor& x, const std::string& name) {
  if (name == "gelu") return at::gelu(x);
  if (name == "gelu_new")  // HF NewGELUActivation
    return 0.5 * x * (1.0 + at::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * at::pow(x, 3.0))));
  if (name == "gelu_fast")  // HF FastGELUActivation
    return 0.5 * x * (1.0 + at::tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x)));
  if (name == "gelu_pytorch_tanh") return at::gelu(x, "tanh");
  if (name == "relu") return at::relu(x);
  if (name == "silu" || name == "swish") return at::silu(x);
  if (name == "tanh") return at::tanh(x);
  throw ValueError("unsupported activation '" + name + "'");
}

at::Tensor drop(const at::Tensor& x, double p, bool training) {
  return (training && p > 0.0) ? at::dropout(x, p, true) : x;
}

at::ScalarType param_dtype(const torch::nn::Module& m) {
  auto ps = m.parameters(true);
  return ps.empty() ? at::kFloat : ps.front().scalar_type();
}

namespace {

struct AutocastScope {
  bool on, prev = false;
  explicit AutocastScope(bool enable) : on(enable) {
    if (!on) return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    prev = at::autocast::is_autocast_enabled(at::kCUDA);
    at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
    prev = at::autocast::is_enabled();
    at::autocast::set_enabled(true);
#endif
    at::autocast::increment_nesting();
  }
  ~AutocastScope() {
    if (!on) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_enabled(at::kCUDA, prev);
#else
    at::autocast::set_enabled(prev);
#endif
  }
};

}  // namespace

EncoderOutput EncoderBase::forward(const EncoderInput& in) {
  const at::Tensor& ids0 = in.input_ids;
  if (!ids0.defined() || ids0.dim() != 2)
    throw ValueError("encoder input_ids must be a [batch, seq] tensor");
  if (ids0.scalar_type() != at::kLong && ids0.scalar_type() != at::kInt)
    throw ValueError("encoder input_ids must be integers");
  auto dev = device();
  EncoderInput x;
  x.input_ids = ids0.to(dev, at::kLong);
  const int64_t b = ids0.size(0), s = ids0.size(1);
  if (s > max_sequence_length())
    throw ValueError("sequence of " + std::to_string(s) + " pieces is longer than the model's " +
                     std::to_string(max_sequence_length()) + " positions");
  if (x.input_ids.numel() > 0) {
    auto mn = x.input_ids.min().item<int64_t>(), mx = x.input_ids.max().item<int64_t>();
    if (mn < 0 || mx >= config_.vocab_size)
      throw ValueError("input id " + std::to_string(mn < 0 ? mn : mx) + " is outside the vocabulary (" +
                       std::to_string(config_.vocab_size) + ")");
  }
  auto check_shape = [&](const at::Tensor& t, const char* what) {
    if (t.defined() && (t.dim() != 2 || t.size(0) != b || t.size(1) != s))
      throw ValueError(std::string("encoder ") + what + " must have the shape of input_ids [" +
                       std::to_string(b) + ", " + std::to_string(s) + "]");
  };
  check_shape(in.attention_mask, "attention_mask");
  check_shape(in.token_type_ids, "token_type_ids");
  x.attention_mask = in.attention_mask.defined() ? in.attention_mask.to(dev)
                                                 : at::ones({b, s}, x.input_ids.options());
  if (in.token_type_ids.defined()) {
    x.token_type_ids = in.token_type_ids.to(dev, at::kLong);
    if (config_.type_vocab_size > 0 && x.token_type_ids.numel() > 0) {
      auto mn = x.token_type_ids.min().item<int64_t>(), mx = x.token_type_ids.max().item<int64_t>();
      if (mn < 0 || mx >= config_.type_vocab_size)
        throw ValueError("token type id outside [0, " + std::to_string(config_.type_vocab_size) + ")");
    }
  } else if (zero_fill_token_types_) {
    x.token_type_ids = at::zeros({b, s}, x.input_ids.options());
  }
  AutocastScope scope(mixed_precision_ && dev.is_cuda());
  ReducedPrecisionScope reduced(*this, reduced_precision_.get());  // bf16 / int8 linear layers
  return run(x);
}

}  // namespace models
}  // namespace trfpipe
