// Attention at inference without the full [batch, heads, L, L] scores: per (sequence, head,
// block of queries) the keys are visited a block at a time with an online softmax (running max
// and sum, as flash attention), so only one cache-sized block of scores exists per thread.
// Numerically it is HF's eager attention up to fp32 rounding. The full-scores path
// (models::attention in fast_linear.hpp) stays where the probabilities are asked for.
#pragma once
#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "trfpipe/inference_dtype.hpp"

namespace trfpipe::models {

// Padded batch: q, k, v [batch, seq, heads * head_dim] contiguous, `add_mask` an additive mask
// over the keys ([batch, 1, 1, seq] as HF's BERT builds it, or [batch, seq]; may be undefined).
// Returns [batch, seq, heads * head_dim], or an undefined tensor where this path does not apply
// (autograd, CUDA, other dtypes, a mask over queries too, no oneDNN sgemm): the caller falls back.
// `products` bf16 (where the CPU has it): the two products of each block take bfloat16 copies of
// q, k, v and of the probabilities, accumulated in float32, as a bf16 encoder's linear layers do;
// the softmax stays float32. fp32 and int8: float32 products.
at::Tensor blocked_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t heads,
                             const at::Tensor& add_mask, InferenceDtype products = InferenceDtype::Fp32);

// Packed tokens (varlen): q, k, v [tokens, heads * head_dim] hold the real tokens of a batch,
// sequence i in rows starts[i] .. starts[i + 1]; each token attends to its own sequence only, so
// no mask is needed. Returns [tokens, heads * head_dim], or undefined where the path does not apply.
at::Tensor packed_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t heads,
                            const std::vector<int64_t>& starts, InferenceDtype products = InferenceDtype::Fp32);

// Packed rows of a padded batch: which rows of the flattened [batch * seq] positions are real
// (attention_mask != 0) and where each sequence starts among them.
struct PackedRows {
  at::Tensor index;             // [tokens] int64 rows of batch * seq, in order
  std::vector<int64_t> starts;  // batch + 1 offsets into the packed rows
  int64_t batch = 0, seq = 0;
  // [tokens, width] → [batch, seq, width], zeros at padded positions.
  at::Tensor unpack(const at::Tensor& packed) const;
  // [batch, seq, ...] → [tokens, ...] (the real positions).
  at::Tensor pack(const at::Tensor& padded) const;
};
PackedRows packed_rows(const at::Tensor& attention_mask);

// Packed tokens and blocked attention in the encoders: on by default; off (set_packed_attention(false),
// or TRFPIPE_ATTENTION=padded in the environment at start) the encoders run the padded path with
// full scores as before, for tests and A/B measurements. Process-wide: the pipeline may run the
// encoder on several threads.
bool packed_attention_enabled();
void set_packed_attention(bool on);

}  // namespace trfpipe::models
