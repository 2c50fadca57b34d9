// What every encoder architecture file shares (models/encoders.cpp: BERT … GPT-2; models/xlnet.cpp):
// the input checks, device moves and autocast of EncoderBase, the Hugging Face name-hierarchy
// nodes, activations, dropout and the additive-mask constant. Internal to the models area.
#pragma once
#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <memory>
#include <optional>
#include <string>

#include "trfpipe/torch/encoder.hpp"

namespace trfpipe::models {

// An empty module that only gives a level of Hugging Face's name hierarchy ("attention", "self").
struct Node : torch::nn::Module {};
std::shared_ptr<Node> node(torch::nn::Module& parent, const std::string& name);

double lowest(at::ScalarType t);  // torch.finfo(dtype).min
// HF's ACT2FN for the names HFConfig accepts.
at::Tensor activation(const at::Tensor& x, const std::string& name);
// Dropout with probability p in training mode, identity otherwise.
at::Tensor drop(const at::Tensor& x, double p, bool training);
// The dtype of the module's first parameter (float32 when it has none).
at::ScalarType param_dtype(const torch::nn::Module& m);

// An architecture whose weights Hugging Face's _init_weights initialises beyond the Linear /
// Embedding / LayerNorm rules (XLNet's raw attention tensors): init_encoder_weights calls this
// for every module implementing it.
struct CustomInit {
  virtual ~CustomInit() = default;
  virtual void init_weights(double std_dev, const c10::optional<at::Generator>& gen) = 0;
};

// Base with input checks, device moves and autocast; subclasses implement run().
class EncoderBase : public Encoder {
 public:
  using Encoder::Encoder;
  EncoderOutput forward(const EncoderInput& in) override;

 protected:
  virtual EncoderOutput run(const EncoderInput& in) = 0;
  // Missing token_type_ids become zeros unless the architecture tells "none" from "all zero"
  // (XLNet: no segment term at all without them).
  bool zero_fill_token_types_ = true;
};

// XLNetModel (models/xlnet.cpp), parameters uninitialised.
std::shared_ptr<Encoder> build_xlnet_encoder(const HFConfig& config);

}  // namespace trfpipe::models
