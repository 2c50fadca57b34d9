// Blocked attention with an online softmax, on oneDNN's sgemm for the two products of each block
// (gemm_bf16bf16f32 in a bf16 encoder) and on our own (vectorisable) loops for the softmax in
// between. Why blocks: the full scores of bert-base at 8 x 512 are 8 x 12 x 512 x 512 floats
// (100 MB) written and read three times, far out of cache; a 64 x 256 block (64 KB) stays in L2. Why packed sequences: a batch padded to its
// longest row spends the padding's share of every linear layer on nothing (models/encoders.cpp).
#include "models/attention.hpp"


#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "models/fast_linear.hpp"
#include "models/reduced_precision.hpp"

namespace trfpipe::models {

namespace {

// A block of scores is kQueryBlock x kKeyBlock floats (256 KB): it stays in a core's L2, and a
// sequence of up to 512 pieces takes one key block (no rescaling at all).
constexpr int64_t kQueryBlock = 128;
constexpr int64_t kKeyBlock = 512;

// 16 floats (one AVX-512 register; GCC's vector extensions, split into narrower registers by the
// avx2 and default clones below). They never cross an ABI boundary (all inlined into the clones),
// so GCC's note that passing them by value changed ABI does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"
using Floats16 = float __attribute__((vector_size(64)));
using Ints16 = int32_t __attribute__((vector_size(64)));
constexpr int64_t kLanes = 16;

inline __attribute__((always_inline)) Floats16 load16(const float* p) {
  Floats16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline __attribute__((always_inline)) void store16(float* p, const Floats16& v) { std::memcpy(p, &v, sizeof v); }

// Cephes' expf (range reduction by ln 2, degree-6 polynomial, about 1 ulp) on 16 lanes without
// branches; below -87.3 (masked keys: scores near float's lowest) it is exactly 0, as std::exp.
inline __attribute__((always_inline)) Floats16 exp16(Floats16 x) {
  const Ints16 underflow = x < -87.3f;
  x = x < -87.3f ? Floats16{} - 87.3f : x;
  x = x > 88.3f ? Floats16{} + 88.3f : x;
  const Floats16 fx = x * 1.44269504088896341f + 0.5f;
  Ints16 n = __builtin_convertvector(fx, Ints16);             // truncates towards zero,
  n += __builtin_convertvector(n, Floats16) > fx;              // so minus 1 where that rounded up: floor
  const Floats16 nf = __builtin_convertvector(n, Floats16);
  x = x - nf * 0.693359375f;
  x = x - nf * -2.12194440e-4f;
  Floats16 y = x * 1.9875691500e-4f + 1.3981999507e-3f;
  y = y * x + 8.3334519073e-3f;
  y = y * x + 4.1665795894e-2f;
  y = y * x + 1.6666665459e-1f;
  y = y * x + 5.0000001201e-1f;
  y = y * (x * x) + x + 1.0f;
  const Ints16 bits = (n + 127) << 23;  // 2^n
  Floats16 scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return underflow ? Floats16{} : y * scale;
}

// Adds the key bias (when given) and returns the row's maximum.
__attribute__((target_clones("avx512f", "avx2", "default")))
float add_bias_and_max(float* x, const float* bias, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  Floats16 lanes = Floats16{} + m;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    Floats16 v = load16(x + i);
    if (bias) {
      v += load16(bias + i);
      store16(x + i, v);
    }
    lanes = lanes > v ? lanes : v;
  }
  for (; i < n; ++i) {
    if (bias) x[i] += bias[i];
    m = std::max(m, x[i]);
  }
  for (int64_t j = 0; j < kLanes; ++j) m = std::max(m, lanes[j]);
  return m;
}

// x[i] = exp(x[i] - shift); returns the sum.
__attribute__((target_clones("avx512f", "avx2", "default")))
float exp_shifted_sum(float* x, int64_t n, float shift) {
  Floats16 lanes{};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const Floats16 e = exp16(load16(x + i) - shift);
    store16(x + i, e);
    lanes += e;
  }
  float sum = 0.f;
  if (i < n) {  // the tail through the same lanes, padded with values whose exp is 0
    float tail[kLanes];
    std::fill(tail, tail + kLanes, -std::numeric_limits<float>::infinity());
    std::copy(x + i, x + n, tail);
    const Floats16 e = exp16(load16(tail) - shift);
    for (int64_t j = 0; j < n - i; ++j) x[i + j] = e[j];
    lanes += e;
  }
  for (int64_t j = 0; j < kLanes; ++j) sum += lanes[j];
  return sum;
}

// Rows [row, row + len) of Q, K, V and O attend among themselves; `key_bias` (len floats) is
// added to every query's scores where given.
struct Segment {
  int64_t row, len;
  const float* key_bias;
};

// The two products of a block: on float32 (sgemm), or in a bf16 encoder's forward on bfloat16
// copies of Q, K, V and of the probabilities, accumulated in float32 (gemm_bf16bf16f32: twice
// sgemm's speed, the rounding bf16's linear layers already make). The softmax stays float32.
struct BlockProducts {
  RowMajorSgemm sgemm = nullptr;
  RowMajorGemmBf16 gemm_bf16 = nullptr;  // set: Qb, Kb, Vb hold Q, K, V in bf16
  const uint16_t *Qb = nullptr, *Kb = nullptr, *Vb = nullptr;
};

// O = softmax(Q K^T / sqrt(d) + bias) V per segment and head; rows have `width` = heads * d
// floats, head h at column h * d. False where oneDNN refused a product.
bool attend_segments(const float* Q, const float* K, const float* V, float* O, int64_t width, int64_t heads,
                     const std::vector<Segment>& segments, const BlockProducts& products) {
  const RowMajorSgemm sgemm = products.sgemm;
  const RowMajorGemmBf16 gemm_bf16 = products.gemm_bf16;
  const int64_t d = width / heads;
  struct Task {
    int64_t segment, head, q0;
  };
  std::vector<Task> tasks;
  for (size_t i = 0; i < segments.size(); ++i)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t q0 = 0; q0 < segments[i].len; q0 += kQueryBlock)
        tasks.push_back({static_cast<int64_t>(i), h, q0});
  if (tasks.empty()) return true;
  const float alpha = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
  std::atomic<bool> refused{false};
  at::internal::lazy_init_num_threads();
  // Called inside ATen's parallel region, oneDNN runs each product on the calling thread.
  at::parallel_for(0, static_cast<int64_t>(tasks.size()), 1, [&](int64_t begin, int64_t end) {
    one_thread_per_nested_gemm();
    std::vector<float> scores(kQueryBlock * kKeyBlock), row_max(kQueryBlock), row_sum(kQueryBlock);
    std::vector<uint16_t> probs(gemm_bf16 ? kQueryBlock * kKeyBlock : 0);
    for (int64_t t = begin; t < end && !refused; ++t) {
      const Task& task = tasks[static_cast<size_t>(t)];
      const Segment& seg = segments[static_cast<size_t>(task.segment)];
      const int64_t nq = std::min(kQueryBlock, seg.len - task.q0);
      const int64_t col = task.head * d;
      const int64_t q_at = (seg.row + task.q0) * width + col;  // this block's queries (and outputs)
      float* o = O + q_at;
      for (int64_t k0 = 0; k0 < seg.len; k0 += kKeyBlock) {
        const int64_t nk = std::min(kKeyBlock, seg.len - k0);
        const int64_t kv_at = (seg.row + k0) * width + col;
        float* S = scores.data();
        const int qk = gemm_bf16 ? gemm_bf16('N', 'T', nq, nk, d, alpha, products.Qb + q_at, width,
                                             products.Kb + kv_at, width, 0.f, S, nk)
                                 : sgemm('N', 'T', nq, nk, d, alpha, Q + q_at, width, K + kv_at, width, 0.f, S, nk);
        if (qk != 0) {
          refused = true;
          return;
        }
        for (int64_t r = 0; r < nq; ++r) {
          float* s = S + r * nk;
          const float m = add_bias_and_max(s, seg.key_bias ? seg.key_bias + k0 : nullptr, nk);
          const float m_new = k0 == 0 ? m : std::max(m, row_max[r]);
          const float sum = exp_shifted_sum(s, nk, m_new);
          if (k0 == 0) {
            row_sum[r] = sum;
          } else {  // earlier blocks were scaled by exp(-old max): rescale them to the new one
            const float rescale = std::exp(row_max[r] - m_new);
            row_sum[r] = row_sum[r] * rescale + sum;
            if (rescale != 1.f)
              for (int64_t j = 0; j < d; ++j) o[r * width + j] *= rescale;
          }
          row_max[r] = m_new;
          if (gemm_bf16) round_to_bf16_bits(s, probs.data() + r * nk, nk);
        }
        const float beta = k0 == 0 ? 0.f : 1.f;
        const int pv = gemm_bf16 ? gemm_bf16('N', 'N', nq, d, nk, 1.f, probs.data(), nk, products.Vb + kv_at, width,
                                             beta, o, width)
                                 : sgemm('N', 'N', nq, d, nk, 1.f, S, nk, V + kv_at, width, beta, o, width);
        if (pv != 0) {
          refused = true;
          return;
        }
      }
      for (int64_t r = 0; r < nq; ++r)
        for (int64_t j = 0; j < d; ++j) o[r * width + j] /= row_sum[r];
    }
  });
  return !refused;
}

// The cases this path takes: float CPU tensors without autograd, on oneDNN's sgemm.
bool plain_input(const at::Tensor& t) {
  return t.defined() && t.device().is_cpu() && t.scalar_type() == at::kFloat && t.layout() == at::kStrided &&
         t.is_contiguous() && !(at::GradMode::is_enabled() && t.requires_grad());
}

bool applies(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t heads) {
  if (onednn_sgemm() == nullptr || heads <= 0) return false;
  for (const at::Tensor* t : {&q, &k, &v})
    if (!plain_input(*t) || t->sizes() != q.sizes()) return false;
  return q.size(-1) % heads == 0 && q.size(-1) > 0;
}

// Runs attend_segments with the products `dtype` asks for (bf16 copies made here, once per call;
// int8 keeps float32 attention).
bool attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, at::Tensor& out, int64_t heads,
            const std::vector<Segment>& segments, InferenceDtype dtype) {
  BlockProducts products;
  products.sgemm = onednn_sgemm();
  at::Tensor qb, kb, vb;
  if (dtype == InferenceDtype::Bf16 && onednn_gemm_bf16()) {
    products.gemm_bf16 = onednn_gemm_bf16();
    qb = to_bf16(q), kb = to_bf16(k), vb = to_bf16(v);
    products.Qb = reinterpret_cast<const uint16_t*>(qb.data_ptr());
    products.Kb = reinterpret_cast<const uint16_t*>(kb.data_ptr());
    products.Vb = reinterpret_cast<const uint16_t*>(vb.data_ptr());
  }
  return attend_segments(q.data_ptr<float>(), k.data_ptr<float>(), v.data_ptr<float>(), out.data_ptr<float>(),
                         q.size(-1), heads, segments, products);
}

}  // namespace

at::Tensor blocked_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t heads,
                             const at::Tensor& add_mask, InferenceDtype products) {
  if (q.dim() != 3 || !applies(q, k, v, heads)) return {};
  const int64_t b = q.size(0), s = q.size(1), width = q.size(2);
  at::Tensor bias;
  if (add_mask.defined()) {  // a mask over the keys only: [b or 1, 1, 1, s] or [b or 1, s]
    const bool keys_only = (add_mask.dim() == 4 && add_mask.size(1) == 1 && add_mask.size(2) == 1) ||
                           add_mask.dim() == 2;
    if (!keys_only || add_mask.size(-1) != s || (add_mask.size(0) != b && add_mask.size(0) != 1)) return {};
    if (!add_mask.device().is_cpu() || add_mask.scalar_type() != at::kFloat) return {};
    bias = add_mask.reshape({add_mask.size(0), s}).contiguous();
  }
  at::Tensor out = at::empty({b, s, width}, q.options());
  std::vector<Segment> segments;
  for (int64_t i = 0; i < b; ++i) {
    const float* key_bias = bias.defined() ? bias.data_ptr<float>() + (bias.size(0) == 1 ? 0 : i * s) : nullptr;
    segments.push_back({i * s, s, key_bias});
  }
  if (!attend(q, k, v, out, heads, segments, products)) return {};
  return out;
}

at::Tensor packed_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t heads,
                            const std::vector<int64_t>& starts, InferenceDtype products) {
  if (q.dim() != 2 || !applies(q, k, v, heads) || starts.empty() || starts.front() != 0 ||
      starts.back() != q.size(0))
    return {};
  std::vector<Segment> segments;
  for (size_t i = 0; i + 1 < starts.size(); ++i) {
    if (starts[i + 1] < starts[i]) return {};
    segments.push_back({starts[i], starts[i + 1] - starts[i], nullptr});
  }
  at::Tensor out = at::empty(q.sizes(), q.options());
  if (!attend(q, k, v, out, heads, segments, products)) return {};
  return out;
}

PackedRows packed_rows(const at::Tensor& attention_mask) {
  PackedRows r;
  r.batch = attention_mask.size(0);
  r.seq = attention_mask.size(1);
  const at::Tensor keep = attention_mask.ne(0);
  r.index = keep.reshape({-1}).nonzero().reshape({-1});
  const at::Tensor counts = keep.sum(1).to(at::kCPU, at::kLong).contiguous();
  const int64_t* c = counts.data_ptr<int64_t>();
  r.starts.assign(1, 0);
  for (int64_t i = 0; i < r.batch; ++i) r.starts.push_back(r.starts.back() + c[i]);
  return r;
}

at::Tensor PackedRows::unpack(const at::Tensor& packed) const {
  at::Tensor out = at::zeros({batch * seq, packed.size(-1)}, packed.options());
  out.index_copy_(0, index, packed);
  return out.view({batch, seq, packed.size(-1)});
}

at::Tensor PackedRows::pack(const at::Tensor& padded) const {
  std::vector<int64_t> sizes{batch * seq};
  for (int64_t i = 2; i < padded.dim(); ++i) sizes.push_back(padded.size(i));
  return padded.reshape(sizes).index_select(0, index);
}

namespace {
std::atomic<bool>& packed_attention_switch() {
  static std::atomic<bool> on{[] {
    const char* e = std::getenv("TRFPIPE_ATTENTION");
    return !(e != nullptr && std::strcmp(e, "padded") == 0);
  }()};
  return on;
}
}  // namespace

bool packed_attention_enabled() { return packed_attention_switch().load(std::memory_order_relaxed); }
void set_packed_attention(bool on) { packed_attention_switch().store(on); }

}  // namespace trfpipe::models
