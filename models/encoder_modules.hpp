// The encoders' Linear, Embedding and LayerNorm: torch::nn's parameter names ("weight", "bias"),
// shapes, options and forward numerics, but constructors that only allocate (at::empty).
// Why: torch::nn's constructors initialise every weight (kaiming / normal / ones), which for a
// roberta-base writes ~500 MB that loading replaces at once with mapped file pages; those written
// pages stayed in the process's peak. Here nothing is written until it is needed: a loaded model's
// weights are the checkpoint's, a fresh model's are written once by init_encoder_weights (HF's
// _init_weights), so the memory of an encoder built for loading is never touched. Internal to the
// models area.
#pragma once
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/options/embedding.h>
#include <torch/nn/options/normalization.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <vector>

namespace trfpipe::models::hf {

// torch::nn::Linear(in, out): weight [out, in], bias [out]; y = x W^T + b (at::linear).
struct LinearImpl : torch::nn::Module {
  LinearImpl(int64_t in_features, int64_t out_features);
  at::Tensor forward(const at::Tensor& x);
  at::Tensor weight, bias;
};
TORCH_MODULE(Linear);

// torch::nn::Embedding(options): weight [num_embeddings, embedding_dim]; padding_idx (negative
// counts from the end, as torch's) only keeps its row out of the gradient, as torch's does.
// max_norm, scale_grad_by_freq and sparse are not used by the encoders and are refused.
struct EmbeddingImpl : torch::nn::Module {
  explicit EmbeddingImpl(const torch::nn::EmbeddingOptions& options);
  at::Tensor forward(const at::Tensor& ids);
  torch::nn::EmbeddingOptions options;
  at::Tensor weight;
};
TORCH_MODULE(Embedding);

// torch::nn::LayerNorm(options) with elementwise affine weight and bias over normalized_shape.
struct LayerNormImpl : torch::nn::Module {
  explicit LayerNormImpl(const torch::nn::LayerNormOptions& options);
  at::Tensor forward(const at::Tensor& x);
  torch::nn::LayerNormOptions options;
  at::Tensor weight, bias;
};
TORCH_MODULE(LayerNorm);

}  // namespace trfpipe::models::hf
