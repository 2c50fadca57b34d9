// Linear layers on oneDNN's matmul primitive with the weight reordered once, at preparation, into
// the blocked layout the primitive reads (models/packed_matmul.cpp says why). The encoders'
// prepared weights (models/reduced_precision.hpp) hold these; nothing else does.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include <ATen/core/Tensor.h>

namespace trfpipe::models {

enum class PackedType { Float32, BFloat16, Int8 };

// One weight [out, in] in the primitive's layout: float32, bfloat16 (rounded to nearest even), or
// int8 (the caller's quantised values, for u8 activations).
class PackedMatmulWeight;

// Packs `weight` [out, in] (any strides): float32 for Float32 and BFloat16, int8 (kChar) for Int8.
// nullptr where the primitive cannot run: no oneDNN 2.x in the process (packed_matmul_unavailable()
// says why) or oneDNN refused the shape.
std::shared_ptr<const PackedMatmulWeight> pack_matmul_weight(const at::Tensor& weight, PackedType type);

// y = a W^T + bias for a row-major [m, in] matrix `a` into a row-major [m, out] y. Float32: a and y
// float32; BFloat16: a bfloat16 bits, y float32; Int8: a uint8, y int32 (the exact sums, no
// bias). `bias` float32 [out] or null. Runs on the calling thread's OpenMP team (inside ATen's
// parallel region call one_thread_per_nested_gemm() first). False where oneDNN refused (nothing
// written that the caller may rely on).
bool packed_matmul(const PackedMatmulWeight& w, const void* a, int64_t m, const float* bias, void* y);

int64_t packed_out(const PackedMatmulWeight& w);
int64_t packed_in(const PackedMatmulWeight& w);
PackedType packed_type(const PackedMatmulWeight& w);
size_t packed_bytes(const PackedMatmulWeight& w);

// Empty where the primitive path can run; else why not (e.g. "no oneDNN 2.x C API in this
// process"). TRFPIPE_GEMM=aten or =sgemm turns it off (A/B measurements).
const std::string& packed_matmul_unavailable();
// oneDNN's name for the implementation it picks for float32 products here, e.g. "brg:avx512_core".
std::string packed_matmul_implementation();

}  // namespace trfpipe::models
