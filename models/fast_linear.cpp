// Why: Debian's LibTorch sends float matrix products to OpenBLAS, and these machines set
// OPENBLAS_CORETYPE=Haswell, so OpenBLAS runs its AVX2 kernels on CPUs that have AVX-512. The
// same LibTorch links oneDNN (libdnnl), whose sgemm JIT-compiles kernels for the CPU it runs on:
// on an AVX-512 machine it ran a bert-base linear layer (M x 768 x 3072) at twice OpenBLAS's
// GFLOP/s. ATen's own oneDNN path (mkldnn_linear) converts layouts on every call and was no
// faster, so linear() calls dnnl_sgemm directly. It is found with dlsym in the libraries already
// loaded (no header, no link dependency): where LibTorch has no oneDNN, ATen stays in charge.
// TRFPIPE_GEMM=aten chooses ATen (for A/B measurements: bench/encoder_bench --gemm-ab);
// TRFPIPE_GEMM=sgemm keeps sgemm for the encoders' weights too (models/packed_matmul.cpp).
#include "models/fast_linear.hpp"
#include "models/packed_matmul.hpp"
#include "models/reduced_precision.hpp"

#include <dlfcn.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/grad_mode.h>

namespace trfpipe::models {

namespace {

// oneDNN's C API (dnnl.h): row-major C = alpha op(A) op(B) + beta C; 0 is dnnl_success.
using DnnlSgemm = int (*)(char transa, char transb, int64_t M, int64_t N, int64_t K, float alpha,
                          const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
                          float* C, int64_t ldc);

}  // namespace

// Both functions are in oneDNN's C API (dnnl.h, dnnl_debug.h).
int onednn_cpu_isa_bits() {
  using EffectiveIsa = int (*)();
  const auto isa = reinterpret_cast<EffectiveIsa>(dlsym(RTLD_DEFAULT, "dnnl_get_effective_cpu_isa"));
  return isa ? isa() : -1;
}

std::string onednn_cpu_isa() {
  using IsaName = const char* (*)(int);
  const int bits = onednn_cpu_isa_bits();
  const auto name = reinterpret_cast<IsaName>(dlsym(RTLD_DEFAULT, "dnnl_cpu_isa2str"));
  const char* text = (bits >= 0 && name) ? name(bits) : nullptr;
  if (text == nullptr) return "";
  std::string s(text);
  if (s.rfind("cpu_isa_", 0) == 0) s.erase(0, 8);
  return s;
}

namespace {

// The instruction set oneDNN's JIT kernels use on this CPU, as `trfpipe info` reports it.
std::string onednn_isa() {
  const std::string isa = onednn_cpu_isa();
  return isa.empty() ? "CPU-specific JIT kernels" : isa + " JIT kernels";
}

// ATen's float GEMM goes to the system BLAS; OpenBLAS says which kernels it picked (Haswell where
// OPENBLAS_CORETYPE=Haswell is set).
std::string aten_blas() {
  using CoreName = char* (*)();
  const auto core = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  return core ? std::string("BLAS (OpenBLAS, ") + core() + " kernels)" : "BLAS";
}

struct Backend {
  DnnlSgemm sgemm = nullptr;
  std::string description;
};

const Backend& backend() {
  static const Backend chosen = [] {
    Backend b;
    const char* env = std::getenv("TRFPIPE_GEMM");
    if (env != nullptr && std::strcmp(env, "aten") == 0) {
      b.description = "ATen " + aten_blas() + " (TRFPIPE_GEMM=aten)";
      return b;
    }
    b.sgemm = reinterpret_cast<DnnlSgemm>(dlsym(RTLD_DEFAULT, "dnnl_sgemm"));
    b.description = b.sgemm ? "oneDNN dnnl_sgemm (" + onednn_isa() + ")"
                            : "ATen " + aten_blas() + " (no oneDNN in this LibTorch)";
    return b;
  }();
  return chosen;
}

// Chosen when the library is loaded, so the first forward pays nothing for it.
const bool chosen_at_load = (backend(), true);

// weight_free: only x is checked (attention).
bool fast_path_applies(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                       bool weight_free = false) {
  if (!backend().sgemm) return false;
  auto plain = [](const at::Tensor& t) {
    return t.device().is_cpu() && t.scalar_type() == at::kFloat && t.layout() == at::kStrided;
  };
  if (!plain(x) || x.dim() < 1) return false;
  if (weight_free) return !(at::GradMode::is_enabled() && x.requires_grad());
  if (!plain(weight) || weight.dim() != 2 || weight.numel() == 0) return false;
  if (bias.defined() && (!plain(bias) || bias.dim() != 1)) return false;
  if (at::GradMode::is_enabled() &&
      (x.requires_grad() || weight.requires_grad() || (bias.defined() && bias.requires_grad())))
    return false;  // autograd needs ATen's op
  return true;
}

at::Tensor aten_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                       bool weight_in_out) {
  if (!weight_in_out) return at::linear(x, weight, bias);
  std::vector<int64_t> sizes = x.sizes().vec();
  sizes.back() = weight.size(1);
  const at::Tensor flat = x.reshape({-1, weight.size(0)});
  return (bias.defined() ? at::addmm(bias, flat, weight) : at::mm(flat, weight)).view(sizes);
}

}  // namespace

// oneDNN sizes the OpenMP team of an sgemm by omp_get_max_threads(), which inside ATen's parallel
// region still says the outer team's size; the nested region it opens then gets one thread while
// the product is cut for several. Measured with 2 threads: attention at 1x128 took 13 ms instead of
// 0.3. Inside an active parallel region, setting the implicit task's thread count to 1 makes
// oneDNN run the product plainly on the calling thread; the setting ends with the region. (Looked
// up like dnnl_sgemm: libgomp is LibTorch's, and ATen runs serially where it is absent.)
void one_thread_per_nested_gemm() {
  using InParallel = int (*)();
  using SetNumThreads = void (*)(int);
  static const auto in_parallel = reinterpret_cast<InParallel>(dlsym(RTLD_DEFAULT, "omp_in_parallel"));
  static const auto set_threads = reinterpret_cast<SetNumThreads>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
  if (in_parallel && set_threads && in_parallel()) set_threads(1);
}

int parallel_for_threads() {
  std::atomic<uint64_t> seen{0};  // a bit per thread number
  at::parallel_for(0, 1024, 1, [&](int64_t, int64_t) {
    seen |= uint64_t{1} << std::min(at::get_thread_num(), 63);
  });
  return __builtin_popcountll(seen.load());
}

const std::string& linear_backend() {
  // Built on first use, not at load: naming the packed path's implementation makes a oneDNN
  // engine and a primitive, which a process that never asks (or runs no encoder) need not pay.
  static const std::string described = [] {
    std::string d = backend().description;
    if (backend().sgemm && packed_matmul_unavailable().empty())  // encoders' mapped weights
      d += "; encoder weights from files packed for oneDNN's matmul primitive (" + packed_matmul_implementation() + ")";
    return d;
  }();
  return described;
}
bool linear_uses_onednn() { return backend().sgemm != nullptr; }
RowMajorSgemm onednn_sgemm() { return backend().sgemm; }

at::Tensor linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                  bool weight_in_out) {
  // The prepared copy of this weight (packed, bf16, int8), when its encoder's forward installed it.
  if (at::Tensor y = reduced_precision_linear(x, weight, bias, weight_in_out); y.defined()) return y;
  return unprepared_linear(x, weight, bias, weight_in_out);
}

at::Tensor unprepared_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                             bool weight_in_out) {
  if (!fast_path_applies(x, weight, bias)) return aten_linear(x, weight, bias, weight_in_out);
  const int64_t K = weight_in_out ? weight.size(0) : weight.size(1);
  const int64_t N = weight_in_out ? weight.size(1) : weight.size(0);
  TORCH_CHECK(x.size(-1) == K, "linear: input has ", x.size(-1), " features, the weight ", K);
  const at::Tensor a = x.contiguous(), w = weight.contiguous();
  const int64_t M = a.numel() / K;
  std::vector<int64_t> sizes = x.sizes().vec();
  sizes.back() = N;
  at::Tensor y = at::empty({M, N}, a.options());
  float beta = 0.f;
  if (bias.defined()) {  // C starts as the bias rows and the product is added to it (a copy:
    y.copy_(bias.reshape({1, N}).expand({M, N}));  // contiguous() of one row would be the bias)
    beta = 1.f;
  }
  if (M > 0 && N > 0) {
    // oneDNN's OpenMP team takes the calling thread's OpenMP setting: ATen sets it from
    // set_num_threads on a thread's first parallel op, so a fresh worker thread gets it here too.
    at::internal::lazy_init_num_threads();
    const int status = backend().sgemm('N', weight_in_out ? 'N' : 'T', M, N, K, 1.f, a.data_ptr<float>(), K,
                                       w.data_ptr<float>(), weight_in_out ? N : K, beta,
                                       y.data_ptr<float>(), N);
    if (status != 0) return aten_linear(x, weight, bias, weight_in_out);  // refused by oneDNN
  }
  return y.view(sizes);
}

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t heads,
                     const at::Tensor& add_mask, at::Tensor* probs) {
  auto fits = [&](const at::Tensor& t) {
    return fast_path_applies(t, at::Tensor(), at::Tensor(), /*weight_free=*/true) && t.dim() == 3 &&
           t.is_contiguous() && t.sizes() == q.sizes();
  };
  if (heads <= 0 || !fits(q) || !fits(k) || !fits(v) || q.size(2) % heads != 0) return {};
  if (add_mask.defined() && (add_mask.scalar_type() != at::kFloat || !add_mask.device().is_cpu())) return {};
  const int64_t b = q.size(0), s = q.size(1), hd = q.size(2), d = hd / heads;
  if (b == 0 || s == 0) return {};
  at::internal::lazy_init_num_threads();
  const DnnlSgemm sgemm = backend().sgemm;
  // Head h of row r is the [s, d] matrix at r * s * hd + h * d with row stride hd.
  const float *Q = q.data_ptr<float>(), *K = k.data_ptr<float>(), *V = v.data_ptr<float>();
  at::Tensor scores = at::empty({b, heads, s, s}, q.options());
  float* S = scores.data_ptr<float>();
  const float alpha = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
  std::atomic<bool> refused{false};
  // One product per (row, head), each on the calling thread of ATen's parallel region.
  at::parallel_for(0, b * heads, 1, [&](int64_t begin, int64_t end) {
    one_thread_per_nested_gemm();
    for (int64_t i = begin; i < end; ++i) {
      const int64_t off = (i / heads) * s * hd + (i % heads) * d;
      if (sgemm('N', 'T', s, s, d, alpha, Q + off, hd, K + off, hd, 0.f, S + i * s * s, s) != 0) refused = true;
    }
  });
  if (refused) return {};
  if (add_mask.defined()) scores.add_(add_mask);
  at::Tensor p = at::softmax(scores, -1);
  const float* P = p.data_ptr<float>();
  at::Tensor out = at::empty({b, s, hd}, q.options());
  float* O = out.data_ptr<float>();
  at::parallel_for(0, b * heads, 1, [&](int64_t begin, int64_t end) {
    one_thread_per_nested_gemm();
    for (int64_t i = begin; i < end; ++i) {
      const int64_t off = (i / heads) * s * hd + (i % heads) * d;
      if (sgemm('N', 'N', s, d, s, 1.f, P + i * s * s, s, V + off, hd, 0.f, O + off, hd) != 0) refused = true;
    }
  });
  if (refused) return {};
  if (probs) *probs = p;
  return out;
}

}  // namespace trfpipe::models
