// See models/encoder_modules.hpp: torch::nn's layers without the initialisation in the constructor.
#include "models/encoder_modules.hpp"
#include "models/fast_linear.hpp"

#include "trfpipe/error.hpp"

namespace trfpipe::models::hf {

LinearImpl::LinearImpl(int64_t in_features, int64_t out_features) {
  weight = register_parameter("weight", at::empty({out_features, in_features}));
  bias = register_parameter("bias", at::empty({out_features}));
}

at::Tensor LinearImpl::forward(const at::Tensor& x) { return models::linear(x, weight, bias); }

EmbeddingImpl::EmbeddingImpl(const torch::nn::EmbeddingOptions& opts) : options(opts) {
  if (options.max_norm() || options.scale_grad_by_freq() || options.sparse())
    throw ValueError("encoder embeddings take no max_norm, scale_grad_by_freq or sparse");
  if (auto pad = options.padding_idx()) {  // torch::nn::Embedding's check and normalisation
    const int64_t n = options.num_embeddings();
    if (*pad >= n || *pad < -n) throw ValueError("embedding padding_idx must be within num_embeddings");
    if (*pad < 0) options.padding_idx(n + *pad);
  }
  weight = register_parameter("weight", at::empty({options.num_embeddings(), options.embedding_dim()}));
}

at::Tensor EmbeddingImpl::forward(const at::Tensor& ids) {
  return at::embedding(weight, ids, options.padding_idx().value_or(-1), /*scale_grad_by_freq=*/false,
                       /*sparse=*/false);
}

LayerNormImpl::LayerNormImpl(const torch::nn::LayerNormOptions& opts) : options(opts) {
  if (options.elementwise_affine()) {
    weight = register_parameter("weight", at::empty(options.normalized_shape()));
    bias = register_parameter("bias", at::empty(options.normalized_shape()));
  }
}

at::Tensor LayerNormImpl::forward(const at::Tensor& x) {
  return at::layer_norm(x, options.normalized_shape(), weight, bias, options.eps());
}

}  // namespace trfpipe::models::hf
