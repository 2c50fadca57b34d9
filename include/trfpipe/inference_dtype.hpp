// The precision transformer encoders run their linear layers in at inference on the CPU
// (`trfpipe apply/evaluate/benchmark speed/serve --dtype`). Torch-free, part of libtrfpipe_core.so.
//   fp32  the default: exact, the weights as stored.
//   bf16  weights and activations rounded to bfloat16, products accumulated in float32
//         (oneDNN's gemm_bf16bf16f32; needs a CPU with AVX512-BF16).
//   int8  dynamic quantisation: weights symmetric s8 per output channel (once), activations u8
//         per row with a zero point (every call), int32 products rescaled to float32 + bias
//         (oneDNN's gemm_u8s8s32; needs AVX512-VNNI, without it the u8 x s8 pairs saturate).
// bf16 also runs attention's two products on bf16 copies (its softmax stays float32); int8's
// attention is float32. LayerNorm and GELU stay float32; training, CUDA and saving are unchanged
// (a saved pipeline holds the float32 weights). Where the CPU lacks the instructions the encoder
// runs fp32 and says why once on stderr. docs/transformer.md has the measured speed and accuracy.
#pragma once
#include <string>

namespace trfpipe {

enum class InferenceDtype { Fp32, Bf16, Int8 };

// "fp32" | "bf16" | "int8"; ValueError naming `where` (an option or config path) and the choices
// for anything else.
InferenceDtype parse_inference_dtype(const std::string& name, const std::string& where = "dtype");
const char* inference_dtype_name(InferenceDtype dtype);

// The dtype transformer encoders get when they are loaded or built after this call (as
// require_gpu sets their device); fp32 unless set. One encoder: Encoder::set_inference_dtype.
void require_inference_dtype(InferenceDtype dtype);
InferenceDtype required_inference_dtype();

}  // namespace trfpipe
