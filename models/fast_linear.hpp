// The matrix products of the linear layers at inference (the encoders' and the thinc layers of
// tagger, ner, parser and tok2vec: models/layers), on the fastest GEMM found in the process, chosen
// once at load (models/fast_linear.cpp says why and how).
#pragma once
#include <string>

#include <ATen/core/Tensor.h>

namespace trfpipe::models {

// y = x W^T + b for an nn.Linear weight [out, in]; with `weight_in_out`, y = x W + b for a weight
// [in, out] (Hugging Face's Conv1D). `bias` may be undefined. Inside an encoder's forward that
// runs bf16 or int8 (models/reduced_precision.hpp), its prepared copy of the weight is used. Float32 CPU tensors without
// autograd run on oneDNN's sgemm when it is chosen; everything else (training, CUDA, other
// dtypes) runs at::linear / at::addmm as before.
at::Tensor linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                  bool weight_in_out = false);
// linear() on `weight` itself, never a prepared copy (their fallback).
at::Tensor unprepared_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                             bool weight_in_out = false);

// Scaled dot-product attention of HF's eager BERT, per head on the same sgemm: q, k, v
// [batch, seq, heads * head_dim] as the linear layers give them, scores = q k^T / sqrt(head_dim)
// + add_mask (broadcast to [batch, heads, seq, seq]; may be undefined), softmax, times v. Reads
// the heads in place and writes the context already merged ([batch, seq, heads * head_dim]).
// Returns an undefined tensor where the sgemm path does not apply (as linear(); dropout in
// training); `probs`, when given, receives the probabilities.
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t heads,
                     const at::Tensor& add_mask, at::Tensor* probs);

// What linear() and attention() run on, one line (`trfpipe info`, benchmarks):
// "oneDNN dnnl_sgemm (avx512_core_bf16 JIT kernels)" or "ATen BLAS (...) (TRFPIPE_GEMM=aten)".
const std::string& linear_backend();
bool linear_uses_onednn();
// The instruction set oneDNN's JIT kernels use on this CPU in its words ("avx512_core_bf16";
// DNNL_MAX_CPU_ISA lowers it), empty without oneDNN.
std::string onednn_cpu_isa();
// The same as oneDNN's dnnl_cpu_isa_t bit set (avx512_core 0x27, +VNNI 0x67, +BF16 0xe7); -1
// without oneDNN.
int onednn_cpu_isa_bits();

// oneDNN's row-major sgemm (C = alpha op(A) op(B) + beta C; 0 on success) where linear() runs on
// it, else nullptr: the blocked attention (models/attention.cpp) runs its blocks on it.
using RowMajorSgemm = int (*)(char transa, char transb, int64_t M, int64_t N, int64_t K, float alpha,
                              const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
                              float* C, int64_t ldc);
RowMajorSgemm onednn_sgemm();
// Inside an ATen parallel region: the sgemm calls of this thread run on it alone (why: in
// fast_linear.cpp). Nothing outside a parallel region.
void one_thread_per_nested_gemm();
// How many threads an at::parallel_for over many items runs on in this library's code: ATen's
// thread count where the library was compiled with OpenMP, 1 where it was not (the loop is a
// header template, parallel only in files built with -fopenmp). Checked by a test.
int parallel_for_threads();

}  // namespace trfpipe::models
