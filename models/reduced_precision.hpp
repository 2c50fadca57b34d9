// The encoders' linear layers at inference on weights prepared once: bf16 and dynamic int8
// (trfpipe/inference_dtype.hpp says what each does), and fp32 packed for oneDNN's matmul primitive
// (models/packed_matmul.hpp). An encoder owns its prepared weights (struct ReducedPrecision);
// during one of its forward passes a ReducedPrecisionScope makes them visible to models::linear()
// on the calling thread, which then runs the product on the copy of the weight it is given.
// Nothing is global, saved, or in the module's parameters.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <ATen/core/Tensor.h>

#include "models/packed_matmul.hpp"
#include "trfpipe/inference_dtype.hpp"

namespace trfpipe {
class Encoder;
}

namespace trfpipe::models {

// One linear weight ready for reduced-precision products, always [out, in] row-major.
struct PreparedWeight {
  at::Tensor source;             // the float32 parameter it was made from (shared, not copied)
  const void* source_data = nullptr;  // its data and version when made: a write or a move makes
  int64_t source_version = 0;         // the copy stale, and the encoder prepares again
  bool in_out = false;                // source is [in, out] (HF's Conv1D)
  int64_t out = 0, in = 0;
  std::shared_ptr<const PackedMatmulWeight> packed;  // fp32 and bf16 where oneDNN's primitive runs
  at::Tensor bf16;         // bf16 without `packed`: [out, in] bfloat16 (round to nearest even)
  at::Tensor s8;           // int8 without `packed`: [out, in], weight ≈ s8 * scale[out] (symmetric, per row)
  at::Tensor scale;        // int8: [out] float32
  at::Tensor column_sums;  // int8: [out] int32, sum of the s8 row (for the activations' zero point)
  bool stale() const;
};

// int8's weight quantisation: s8, scale and column_sums of `p` from the float32 [out, in] `w`.
void quantize_weight_rows(const at::Tensor& w, PreparedWeight& p);

// `weight` ([out, in]; [in, out] with weight_in_out, HF's Conv1D) prepared for `dtype`. For fp32,
// `packed` stays null where the primitive cannot run (packed_matmul_unavailable()).
PreparedWeight prepare_weight(const at::Tensor& weight, bool weight_in_out, InferenceDtype dtype);

struct PreparedWeights {
  InferenceDtype dtype = InferenceDtype::Fp32;
  std::unordered_map<const void*, PreparedWeight> by_weight;  // by the weight's data (a view finds it too)
};

// An encoder's prepared-weights state (Encoder::reduced_precision_).
struct ReducedPrecision {
  InferenceDtype dtype = InferenceDtype::Fp32;  // what runs, after the CPU check
  std::mutex mutex;                              // forward runs on several threads at once
  std::shared_ptr<const PreparedWeights> prepared;  // made at the first forward that needs it
};

// For one forward of `encoder` at inference (eval(), no gradients, CPU): prepares the weights for
// the state's dtype if missing or stale and installs them for linear() on this thread; otherwise
// does nothing. In fp32 only weights still as loaded from a file (mapped, never written) are
// packed, and their mapped pages are then released (release_mapped_pages): the packed copy takes
// their place in memory instead of adding to it. A weight built or changed in memory (a fresh
// model, training) stays on dnnl_sgemm. Finding which weights linear() is called with needs no knowledge of
// the architecture: a forward over two tokens records them.
class ReducedPrecisionScope {
 public:
  ReducedPrecisionScope(Encoder& encoder, ReducedPrecision* state);
  ~ReducedPrecisionScope();
  ReducedPrecisionScope(const ReducedPrecisionScope&) = delete;
  ReducedPrecisionScope& operator=(const ReducedPrecisionScope&) = delete;

 private:
  std::shared_ptr<const PreparedWeights> held_;
  const PreparedWeights* previous_ = nullptr;
  bool installed_ = false;
};

// linear()'s hook: x W^T + b on the installed copy of `weight`, or an undefined tensor when no
// scope installed one for it (or x is not a float32 CPU tensor).
at::Tensor reduced_precision_linear(const at::Tensor& x, const at::Tensor& weight,
                                    const at::Tensor& bias, bool weight_in_out);

// The products themselves (x: float32 [..., in]); tests and benchmarks call them directly. They
// require reduced_precision_unavailable(dtype) to be empty. prepared_linear picks by dtype;
// fp32_linear runs `packed` (ATen on the source where there is none or oneDNN refused).
at::Tensor prepared_linear(const at::Tensor& x, const PreparedWeight& w, const at::Tensor& bias, InferenceDtype dtype);
at::Tensor fp32_linear(const at::Tensor& x, const PreparedWeight& w, const at::Tensor& bias);
at::Tensor bf16_linear(const at::Tensor& x, const PreparedWeight& w, const at::Tensor& bias);
at::Tensor int8_linear(const at::Tensor& x, const PreparedWeight& w, const at::Tensor& bias);
// float32 → bfloat16 bits with round to nearest even (AVX512-BF16), as at::Tensor::to does.
at::Tensor to_bf16(const at::Tensor& x);

// The dtype of the prepared weights a ReducedPrecisionScope installed on this thread (fp32 where
// none): the blocked attention runs its products in bf16 inside a bf16 encoder's forward.
InferenceDtype active_inference_dtype();
// oneDNN's row-major gemm_bf16bf16f32 (C = alpha op(A) op(B) + beta C, A and B bfloat16 bits,
// C float32; 0 on success) where bf16 can run here, else nullptr.
using RowMajorGemmBf16 = int (*)(char transa, char transb, int64_t M, int64_t N, int64_t K, float alpha,
                                 const uint16_t* A, int64_t lda, const uint16_t* B, int64_t ldb, float beta,
                                 float* C, int64_t ldc);
RowMajorGemmBf16 onednn_gemm_bf16();
// n floats to bfloat16 bits, round to nearest even, on the calling thread; only where
// onednn_gemm_bf16() is not null (it runs AVX512-BF16's conversion).
void round_to_bf16_bits(const float* x, uint16_t* y, int64_t n);

// Why `dtype` cannot run here, e.g. "this CPU has no AVX512-BF16 (oneDNN ISA avx512_core)";
// empty when it can (always for fp32). Worked out once per process.
const std::string& reduced_precision_unavailable(InferenceDtype dtype);

}  // namespace trfpipe::models
