// The encoders' prepared linear layers at inference: fp32 packed, bf16 and dynamic int8
// (models/reduced_precision.hpp).
// Why oneDNN: Debian's LibTorch links oneDNN 2.6 (libdnnl), whose GEMMs JIT-compile for the CPU:
// bf16 products run AVX512-BF16's dot products, u8 x s8 ones AVX512-VNNI's. They run on oneDNN's
// matmul primitive with the weights packed once (models/packed_matmul.cpp); where it cannot, on
// gemm_bf16bf16f32 and gemm_u8s8s32, found with dlsym like dnnl_sgemm (models/fast_linear.cpp):
// no header, no link dependency.
// gemm_bf16bf16f32 is exported but not in oneDNN's public header; its signature is the one in
// oneDNN v2.6 src/common/gemm.cpp. The small passes around the GEMMs (rounding activations to
// bf16, quantising them to u8, rescaling int32 to float32) are AVX-512 loops here, run only where
// the ISA check passed: ATen's element-wise ops would take several passes over memory each.
#include "models/reduced_precision.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <iostream>
#include <unordered_map>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/grad_mode.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "models/fast_linear.hpp"
#include "models/safetensors.hpp"
#include "trfpipe/torch/encoder.hpp"

namespace trfpipe {

namespace models {

namespace {

// oneDNN's row-major C API: C = alpha op(A) op(B) + beta C (bf16: bfloat16 bits as uint16_t),
// u8s8s32: C = alpha (op(A) - ao)(op(B) - bo) + beta C + co; 0 is dnnl_success.
using GemmU8S8 = int (*)(char transa, char transb, char offsetc, int64_t M, int64_t N, int64_t K,
                         float alpha, const uint8_t* A, int64_t lda, uint8_t ao, const int8_t* B,
                         int64_t ldb, int8_t bo, float beta, int32_t* C, int64_t ldc,
                         const int32_t* co);

struct Gemms {
  RowMajorGemmBf16 bf16 = nullptr;
  GemmU8S8 u8s8 = nullptr;
  int isa = -1;  // onednn_cpu_isa_bits()
};

const Gemms& gemms() {
  static const Gemms g = [] {
    Gemms out;
    out.bf16 = reinterpret_cast<RowMajorGemmBf16>(dlsym(RTLD_DEFAULT, "dnnl_gemm_bf16bf16f32"));
    out.u8s8 = reinterpret_cast<GemmU8S8>(dlsym(RTLD_DEFAULT, "dnnl_gemm_u8s8s32"));
    out.isa = onednn_cpu_isa_bits();
    return out;
  }();
  return g;
}

constexpr int kIsaAvx512CoreVnni = 0x67, kIsaAvx512CoreBf16 = 0xe7;
bool has_isa(int bits) { return gemms().isa >= 0 && (gemms().isa & bits) == bits; }

// Rows per task of the element-wise passes, so that a small call stays on one thread.
int64_t grain_rows(int64_t row_len) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(row_len, 1)); }

#if defined(__x86_64__)
// GCC 12's AVX-512 intrinsics (_mm512_min_ps …) pass _mm512_undefined_ps() as the unused
// masked-off source, which its own flow analysis then reports as uninitialised.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#define TRFPIPE_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))
#define TRFPIPE_AVX512_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))

__mmask16 tail_mask(int64_t left) { return static_cast<__mmask16>((1u << left) - 1u); }

TRFPIPE_AVX512_BF16 void round_to_bf16(const float* x, uint16_t* y, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256bh v = _mm512_cvtneps_pbh(_mm512_loadu_ps(x + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), reinterpret_cast<const __m256i&>(v));
  }
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    const __m256bh v = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, x + i));
    _mm256_mask_storeu_epi16(y + i, m, reinterpret_cast<const __m256i&>(v));
  }
}

// (Helpers are functions, not lambdas: a lambda does not inherit its caller's target ISA.)
TRFPIPE_AVX512 inline __m128i to_u8(__m512 v, __m512 inv, __m512 zf) {
  const __m512i r = _mm512_cvtps_epi32(_mm512_fmadd_ps(v, inv, zf));  // round to nearest even
  return _mm512_cvtepi32_epi8(_mm512_min_epi32(_mm512_max_epi32(r, _mm512_setzero_si512()), _mm512_set1_epi32(255)));
}

// One row of activations to u8 with its own scale and zero point: the range [min, max] (widened
// to hold 0, so that 0 is exact) mapped onto 0..255.
TRFPIPE_AVX512 void quantize_row(const float* x, int64_t k, uint8_t* q, float* scale, int32_t* zero) {
  __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= k; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    lo = _mm512_min_ps(lo, v);
    hi = _mm512_max_ps(hi, v);
  }
  if (i < k) {  // masked lanes load 0, inside the range already
    const __m512 v = _mm512_maskz_loadu_ps(tail_mask(k - i), x + i);
    lo = _mm512_min_ps(lo, v);
    hi = _mm512_max_ps(hi, v);
  }
  alignas(64) float los[16], his[16];  // (GCC 12's _mm512_reduce_min_ps warns in its own header)
  _mm512_store_ps(los, lo);
  _mm512_store_ps(his, hi);
  const float mn = *std::min_element(los, los + 16), mx = *std::max_element(his, his + 16);
  float s = (mx - mn) / 255.f;
  if (!(s > 0.f) || !std::isfinite(s)) s = 1.f;  // all zeros (or inf/NaN: garbage in, no crash)
  const float zero_point = std::nearbyint(-mn / s);
  const int32_t z = zero_point >= 0.f && zero_point <= 255.f ? static_cast<int32_t>(zero_point) : 0;  // NaN: 0
  *scale = s;
  *zero = z;
  const __m512 inv = _mm512_set1_ps(1.f / s), zf = _mm512_set1_ps(static_cast<float>(z));
  for (i = 0; i + 16 <= k; i += 16)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), to_u8(_mm512_loadu_ps(x + i), inv, zf));
  if (i < k) {
    const __mmask16 m = tail_mask(k - i);
    _mm_mask_storeu_epi8(q + i, m, to_u8(_mm512_maskz_loadu_ps(m, x + i), inv, zf));
  }
}

TRFPIPE_AVX512 inline void dequantize_16(const int32_t* c, __m512 s, __m512i z, const float* scale,
                                         const int32_t* column_sums, const float* bias, float* y, __mmask16 m) {
  const __m512i acc = _mm512_sub_epi32(_mm512_maskz_loadu_epi32(m, c),
                                       _mm512_mullo_epi32(z, _mm512_maskz_loadu_epi32(m, column_sums)));
  __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_mul_ps(s, _mm512_maskz_loadu_ps(m, scale)));
  if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias));
  _mm512_mask_storeu_ps(y, m, v);
}

// y[j] = s_row * scale[j] * (c[j] - z_row * column_sums[j]) + bias[j]; c and y may be the same
// memory (the int32 products are rescaled in place).
TRFPIPE_AVX512 void dequantize_row(const int32_t* c, int64_t n, float s_row, int32_t z_row,
                                   const float* scale, const int32_t* column_sums,
                                   const float* bias, float* y) {
  const __m512 s = _mm512_set1_ps(s_row);
  const __m512i z = _mm512_set1_epi32(z_row);
  for (int64_t j = 0; j < n; j += 16)
    dequantize_16(c + j, s, z, scale + j, column_sums + j, bias ? bias + j : nullptr, y + j,
                  n - j >= 16 ? __mmask16(0xFFFF) : tail_mask(n - j));
}
#pragma GCC diagnostic pop
#endif

// The product's inputs as a float32 [M, K] matrix and the output's shape.
struct Operand {
  at::Tensor a;
  int64_t m = 0;
  std::vector<int64_t> out_sizes;
};
Operand operand(const at::Tensor& x, const PreparedWeight& w) {
  TORCH_CHECK(x.size(-1) == w.in, "linear: input has ", x.size(-1), " features, the weight ", w.in);
  Operand o{x.contiguous(), 0, x.sizes().vec()};
  o.m = o.a.numel() / w.in;
  o.out_sizes.back() = w.out;
  return o;
}

thread_local const PreparedWeights* active_weights = nullptr;
// While an encoder finds its linear weights: what linear() was called with.
thread_local std::vector<std::pair<at::Tensor, bool>>* recorded_weights = nullptr;

struct RecordingGuard {
  explicit RecordingGuard(std::vector<std::pair<at::Tensor, bool>>* into) { recorded_weights = into; }
  ~RecordingGuard() { recorded_weights = nullptr; }
};

std::shared_ptr<const PreparedWeights> prepare_encoder(Encoder& encoder, InferenceDtype dtype) {
  std::vector<std::pair<at::Tensor, bool>> used;
  {
    RecordingGuard recording(&used);
    encoder.forward({at::zeros({2, 2}, at::kLong), {}, {}});  // two rows: XLNet's bi_data halves
  }
  std::unordered_map<const void*, int64_t> own;  // data -> elements
  for (const auto& p : encoder.parameters(true)) own.emplace(p.data_ptr(), p.numel());
  auto out = std::make_shared<PreparedWeights>();
  out->dtype = dtype;
  for (const auto& [w, in_out] : used) {
    const void* key = w.data_ptr();
    // Only the encoder's own float32 matrices, or whole views of them (XLNet's [d_model, n, d]
    // projections as matrices): a weight made during the call would not be found again, and
    // other dtypes stay with ATen.
    const auto param = own.find(key);
    if (param == own.end() || param->second != w.numel() || out->by_weight.count(key) || w.dim() != 2 ||
        w.numel() == 0 || w.scalar_type() != at::kFloat)
      continue;
    // Still as loaded from a file: its pages are the file's (no write, e.g. a training step, has
    // copied them into memory the kernel could only swap out).
    const bool as_loaded = is_file_mapped(w) && w._version() == 0;
    if (dtype == InferenceDtype::Fp32 && !as_loaded) continue;  // a copy would add to memory
    PreparedWeight p = prepare_weight(w, in_out, dtype);
    if (dtype == InferenceDtype::Fp32 && !p.packed) continue;
    // The products read only the copy now: its source's pages can go (one weight at a time, so
    // the two are never both resident for the whole model).
    if (as_loaded) release_mapped_pages(w);
    out->by_weight.emplace(key, std::move(p));
  }
  if (out->by_weight.empty() && dtype != InferenceDtype::Fp32) {
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true))
      std::cerr << "\u26a0 " << inference_dtype_name(dtype) << " requested but this " << encoder.config().model_type
                << " encoder's layers do not run on models::linear: running fp32\n";
  }
  return out;
}

bool any_stale(const PreparedWeights& p) {
  return std::any_of(p.by_weight.begin(), p.by_weight.end(), [](const auto& kv) { return kv.second.stale(); });
}

}  // namespace

bool PreparedWeight::stale() const {
  return source.data_ptr() != source_data || source._version() != source_version;
}

void quantize_weight_rows(const at::Tensor& w, PreparedWeight& p) {
  // One float temporary per weight (a chain of ATen ops would hold several: the resident
  // memory of a large model grew by them).
  const at::Tensor amax = at::maximum(w.amax(1), w.amin(1).neg());
  p.scale = at::where(amax > 0, amax / 127.0, at::ones_like(amax)).contiguous();
  at::Tensor q = w.div(p.scale.unsqueeze(1));
  q.round_().clamp_(-127, 127);
  p.column_sums = q.sum(1).to(at::kInt).contiguous();  // sums of integers < 2^24: exact in float
  p.s8 = q.to(at::kChar).contiguous();
}

PreparedWeight prepare_weight(const at::Tensor& weight, bool weight_in_out, InferenceDtype dtype) {
  at::NoGradGuard no_grad;
  PreparedWeight p;
  p.source = weight;
  p.source_data = weight.data_ptr();
  p.source_version = weight._version();
  p.in_out = weight_in_out;
  const at::Tensor w = (weight_in_out ? weight.t() : weight).contiguous();
  p.out = w.size(0);
  p.in = w.size(1);
  if (dtype == InferenceDtype::Fp32) {
    p.packed = pack_matmul_weight(w, PackedType::Float32);
  } else if (dtype == InferenceDtype::Bf16) {
    p.packed = pack_matmul_weight(w, PackedType::BFloat16);
    if (!p.packed) p.bf16 = w.to(at::kBFloat16).contiguous();
  } else if (dtype == InferenceDtype::Int8) {
    quantize_weight_rows(w, p);
    p.packed = pack_matmul_weight(p.s8, PackedType::Int8);
    if (p.packed) p.s8 = at::Tensor();  // the packed copy is the only one read
  }
  return p;
}

namespace {

// What reduced_precision_unavailable answers, worked out once: the ISA and the GEMMs do not change
// while the process runs, and every bf16/int8 product checks it (the ISA name alone is two dlsym
// calls).
std::string why_unavailable(InferenceDtype dtype) {
  if (dtype == InferenceDtype::Fp32) return "";
#if !defined(__x86_64__)
  return "this build has no x86-64 kernels for it";
#else
  const bool bf16 = dtype == InferenceDtype::Bf16;
  if (bf16 ? !gemms().bf16 : !gemms().u8s8)
    return std::string("LibTorch's oneDNN has no ") + (bf16 ? "dnnl_gemm_bf16bf16f32" : "dnnl_gemm_u8s8s32");
  const std::string isa = "(oneDNN ISA " + onednn_cpu_isa() + ")";
  if (bf16 && !has_isa(kIsaAvx512CoreBf16)) return "this CPU has no AVX512-BF16 " + isa;
  if (!bf16 && !has_isa(kIsaAvx512CoreVnni))
    return "this CPU has no AVX512-VNNI " + isa + ", where oneDNN's u8 x s8 products saturate";
  return "";
#endif
}

}  // namespace

const std::string& reduced_precision_unavailable(InferenceDtype dtype) {
  static const std::string why[] = {why_unavailable(InferenceDtype::Fp32), why_unavailable(InferenceDtype::Bf16),
                                    why_unavailable(InferenceDtype::Int8)};
  return why[static_cast<int>(dtype)];
}

at::Tensor to_bf16(const at::Tensor& x) {
  TORCH_CHECK(reduced_precision_unavailable(InferenceDtype::Bf16).empty(), "bf16 is not available here");
  const at::Tensor a = x.contiguous();
  at::Tensor out = at::empty(a.sizes(), a.options().dtype(at::kBFloat16));
#if defined(__x86_64__)
  const int64_t n = a.numel();
  const float* src = a.data_ptr<float>();
  auto* dst = reinterpret_cast<uint16_t*>(out.data_ptr());
  at::internal::lazy_init_num_threads();
  at::parallel_for(0, n, 32768, [&](int64_t b, int64_t e) { round_to_bf16(src + b, dst + b, e - b); });
#endif
  return out;
}

namespace {

// The float32 product on the weight the copy was made from: where there is no packed copy, or
// oneDNN refused a row count.
at::Tensor source_linear(const at::Tensor& x, const PreparedWeight& w, const at::Tensor& bias) {
  return unprepared_linear(x, w.source, bias, w.in_out);
}

// y = a W^T + bias on `w.packed`, a already in the packed type; false where oneDNN refused.
bool run_packed(const PreparedWeight& w, const void* a, int64_t m, const at::Tensor& bias, void* y) {
  const at::Tensor b = bias.defined() ? bias.contiguous() : at::Tensor();
  at::internal::lazy_init_num_threads();
  one_thread_per_nested_gemm();
  return packed_matmul(*w.packed, a, m, b.defined() ? b.data_ptr<float>() : nullptr, y);
}

}  // namespace

at::Tensor fp32_linear(const at::Tensor& x, const PreparedWeight& w, const at::Tensor& bias) {
  if (!w.packed) return source_linear(x, w, bias);
  Operand o = operand(x, w);
  at::Tensor y = at::empty({o.m, w.out}, o.a.options());
  if (o.m > 0 && !run_packed(w, o.a.data_ptr<float>(), o.m, bias, y.data_ptr())) return source_linear(x, w, bias);
  return y.view(o.out_sizes);
}

at::Tensor prepared_linear(const at::Tensor& x, const PreparedWeight& w, const at::Tensor& bias, InferenceDtype dtype) {
  switch (dtype) {
    case InferenceDtype::Bf16: return bf16_linear(x, w, bias);
    case InferenceDtype::Int8: return int8_linear(x, w, bias);
    default: return fp32_linear(x, w, bias);
  }
}

at::Tensor bf16_linear(const at::Tensor& x, const PreparedWeight& w, const at::Tensor& bias) {
  Operand o = operand(x, w);
  const int64_t M = o.m, N = w.out, K = w.in;
  at::Tensor y = at::empty({M, N}, o.a.options());
  if (w.packed) {
    if (M > 0 && !run_packed(w, to_bf16(o.a).data_ptr(), M, bias, y.data_ptr())) return source_linear(x, w, bias);
    return y.view(o.out_sizes);
  }
  float beta = 0.f;
  if (bias.defined()) {
    y.copy_(bias.reshape({1, N}).expand({M, N}));
    beta = 1.f;
  }
  if (M > 0 && N > 0) {
    const at::Tensor a16 = to_bf16(o.a);
    const int status = gemms().bf16('N', 'T', M, N, K, 1.f, reinterpret_cast<const uint16_t*>(a16.data_ptr()), K,
                                    reinterpret_cast<const uint16_t*>(w.bf16.data_ptr()), K, beta,
                                    y.data_ptr<float>(), N);
    TORCH_CHECK(status == 0, "oneDNN gemm_bf16bf16f32 failed with status ", status);
  }
  return y.view(o.out_sizes);
}

at::Tensor int8_linear(const at::Tensor& x, const PreparedWeight& w, const at::Tensor& bias) {
  TORCH_CHECK(reduced_precision_unavailable(InferenceDtype::Int8).empty(), "int8 is not available here");
  Operand o = operand(x, w);
  const int64_t M = o.m, N = w.out, K = w.in;
  at::Tensor y = at::empty({M, N}, o.a.options());
  if (M == 0 || N == 0) return y.view(o.out_sizes);
#if defined(__x86_64__)
  at::internal::lazy_init_num_threads();
  at::Tensor q = at::empty({M, K}, o.a.options().dtype(at::kByte));
  std::vector<float> row_scale(static_cast<size_t>(M));
  std::vector<int32_t> row_zero(static_cast<size_t>(M));
  const float* A = o.a.data_ptr<float>();
  uint8_t* Q = q.data_ptr<uint8_t>();
  at::parallel_for(0, M, grain_rows(K), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) quantize_row(A + r * K, K, Q + r * K, &row_scale[r], &row_zero[r]);
  });
  // The int32 products land in y's memory (same size) and are rescaled there. The zero points
  // are left out of the GEMM (ao = 0, oneDNN's fast case) and subtracted per row afterwards.
  auto* C = reinterpret_cast<int32_t*>(y.data_ptr<float>());
  if (w.packed) {
    if (!run_packed(w, Q, M, at::Tensor(), C)) return source_linear(x, w, bias);
  } else {
    const int32_t no_offset = 0;
    const int status = gemms().u8s8('N', 'T', 'F', M, N, K, 1.f, Q, K, 0, w.s8.data_ptr<int8_t>(), K, 0,
                                    0.f, C, N, &no_offset);
    TORCH_CHECK(status == 0, "oneDNN gemm_u8s8s32 failed with status ", status);
  }
  const at::Tensor b = bias.defined() ? bias.contiguous() : at::Tensor();
  const float* B = b.defined() ? b.data_ptr<float>() : nullptr;
  const float* S = w.scale.data_ptr<float>();
  const int32_t* sums = w.column_sums.data_ptr<int32_t>();
  float* Y = y.data_ptr<float>();
  at::parallel_for(0, M, grain_rows(N), [&](int64_t rb, int64_t re) {
    for (int64_t r = rb; r < re; ++r)
      dequantize_row(C + r * N, N, row_scale[r], row_zero[r], S, sums, B, Y + r * N);
  });
#endif
  return y.view(o.out_sizes);
}

InferenceDtype active_inference_dtype() { return active_weights ? active_weights->dtype : InferenceDtype::Fp32; }

RowMajorGemmBf16 onednn_gemm_bf16() {
  static const RowMajorGemmBf16 usable =
      reduced_precision_unavailable(InferenceDtype::Bf16).empty() ? gemms().bf16 : nullptr;
  return usable;
}

void round_to_bf16_bits(const float* x, uint16_t* y, int64_t n) {
  TORCH_CHECK(onednn_gemm_bf16() != nullptr, "bf16 is not available here");
#if defined(__x86_64__)
  round_to_bf16(x, y, n);
#endif
}

at::Tensor reduced_precision_linear(const at::Tensor& x, const at::Tensor& weight,
                                    const at::Tensor& bias, bool weight_in_out) {
  if (recorded_weights) {
    if (weight.defined()) recorded_weights->emplace_back(weight, weight_in_out);
    return {};
  }
  if (!active_weights || !weight.defined()) return {};
  const auto it = active_weights->by_weight.find(weight.data_ptr());
  // The same data as a prepared weight, taken the same way (shape and orientation).
  if (it == active_weights->by_weight.end() || it->second.in_out != weight_in_out || weight.dim() != 2 ||
      weight.size(weight_in_out ? 1 : 0) != it->second.out || weight.size(weight_in_out ? 0 : 1) != it->second.in)
    return {};
  auto plain = [](const at::Tensor& t) { return t.device().is_cpu() && t.scalar_type() == at::kFloat && t.layout() == at::kStrided; };
  if (!plain(x) || x.dim() < 1 || (bias.defined() && (!plain(bias) || bias.dim() != 1))) return {};
  return prepared_linear(x, it->second, bias, active_weights->dtype);
}

ReducedPrecisionScope::ReducedPrecisionScope(Encoder& encoder, ReducedPrecision* state)
    : previous_(active_weights) {
  if (!state || recorded_weights || encoder.is_training() || at::GradMode::is_enabled()) return;
  {
    std::lock_guard<std::mutex> lock(state->mutex);
    if (!encoder.device().is_cpu()) return;
    if (state->dtype == InferenceDtype::Fp32 && !packed_matmul_unavailable().empty()) return;
    if (!state->prepared || any_stale(*state->prepared)) state->prepared = prepare_encoder(encoder, state->dtype);
    held_ = state->prepared;
  }
  active_weights = held_.get();
  installed_ = true;
}

ReducedPrecisionScope::~ReducedPrecisionScope() {
  if (installed_) active_weights = previous_;
}

}  // namespace models

// ---- Encoder members ----

Encoder::Encoder(HFConfig config)
    : config_(std::move(config)), reduced_precision_(std::make_shared<models::ReducedPrecision>()) {
  if (required_inference_dtype() != InferenceDtype::Fp32) set_inference_dtype(required_inference_dtype());
}

void Encoder::set_inference_dtype(InferenceDtype dtype) {
  std::string why = models::reduced_precision_unavailable(dtype);
  if (why.empty() && dtype != InferenceDtype::Fp32 && !device().is_cpu())
    why = "the encoder is on " + device().str() + " (there, set mixed_precision)";
  if (!why.empty()) {
    // One warning per dtype and process, however many encoders a pipeline loads.
    static std::atomic<bool> warned[3];
    if (!warned[static_cast<int>(dtype)].exchange(true))
      std::cerr << "\u26a0 " << inference_dtype_name(dtype) << " requested but " << why << ": running fp32\n";
    dtype = InferenceDtype::Fp32;
  }
  if (!reduced_precision_) {
    if (dtype == InferenceDtype::Fp32) return;
    reduced_precision_ = std::make_shared<models::ReducedPrecision>();
  }
  std::lock_guard<std::mutex> lock(reduced_precision_->mutex);
  reduced_precision_->dtype = dtype;
  reduced_precision_->prepared.reset();
}

InferenceDtype Encoder::inference_dtype() const {
  if (!reduced_precision_) return InferenceDtype::Fp32;
  std::lock_guard<std::mutex> lock(reduced_precision_->mutex);
  return reduced_precision_->dtype;
}

}  // namespace trfpipe
