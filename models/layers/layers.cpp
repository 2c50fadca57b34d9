// thinc layers on LibTorch (see layers.hpp).
#include "models/layers/layers.hpp"
#include "models/fast_linear.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include <ATen/ATen.h>

#include "trfpipe/error.hpp"
#include "trfpipe/strings.hpp"

namespace trfpipe {
namespace layers {

namespace {
inline uint32_t rotl32(uint32_t x, int8_t r) { return (x << r) | (x >> (32 - r)); }
inline uint32_t fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}
inline uint64_t fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}
void key_bytes(uint64_t key, uint8_t out[8]) {
  for (int i = 0; i < 8; ++i) out[i] = uint8_t(key >> (8 * i));
}
at::Tensor index_tensor(const std::vector<int64_t>& v) {
  return at::from_blob(const_cast<int64_t*>(v.data()), {int64_t(v.size())}, at::kLong).clone();
}
}  // namespace

void murmurhash3_x86_128_uint64(uint64_t key, uint32_t seed, uint32_t out[4]) {
  // Despite thinc's name this is MurmurHash3_x64_128 of one 8-byte key (thinc's ops.hash):
  // the key is the tail block k1, len = 8, h1 = h2 = seed.
  const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
  uint64_t k1 = key * c1;
  k1 = (k1 << 31) | (k1 >> 33);
  k1 *= c2;
  uint64_t h1 = uint64_t(seed) ^ k1, h2 = uint64_t(seed);
  h1 ^= 8u;
  h2 ^= 8u;
  h1 += h2;
  h2 += h1;
  h1 = fmix64(h1);
  h2 = fmix64(h2);
  h1 += h2;
  h2 += h1;
  out[0] = uint32_t(h1 & 0xffffffffu);
  out[1] = uint32_t(h1 >> 32);
  out[2] = uint32_t(h2 & 0xffffffffu);
  out[3] = uint32_t(h2 >> 32);
}

uint32_t murmurhash3_x86_32_uint64(uint64_t key, uint32_t seed) {
  uint8_t data[8];
  key_bytes(key, data);
  const uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
  uint32_t h1 = seed;
  for (int i = 0; i < 2; ++i) {
    uint32_t k1;
    std::memcpy(&k1, data + 4 * i, 4);  // little-endian hosts (x86, arm64)
    k1 *= c1;
    k1 = rotl32(k1, 15);
    k1 *= c2;
    h1 ^= k1;
    h1 = rotl32(h1, 13);
    h1 = h1 * 5 + 0xe6546b64;
  }
  h1 ^= 8u;
  return fmix32(h1);
}

at::Tensor param(at::Tensor t) { return t.set_requires_grad(true); }

at::Tensor uniform_init(at::IntArrayRef shape, double lo, double hi) {
  return at::empty(shape, at::kFloat).uniform_(lo, hi);
}

at::Tensor glorot_uniform_init(at::IntArrayRef shape) {
  double fan = double(shape[0]) + (shape.size() > 1 ? double(shape[1]) : 0.0);
  double scale = std::sqrt(6.0 / std::max(fan, 1.0));
  return uniform_init(shape, -scale, scale);
}

Initializer thinc_initializer(const std::string& name, double lo, double hi, double mean) {
  // thinc/initializers.py: fan-in is shape[1], fan-out shape[0].
  auto fan = [](at::IntArrayRef shape, int which) {
    return shape.size() > size_t(which) ? double(shape[size_t(which)]) : 1.0;
  };
  auto normal = [](at::IntArrayRef shape, double stdev) {
    if (stdev <= 0) return at::zeros(shape, at::kFloat);
    return at::empty(shape, at::kFloat).normal_(0.0, stdev);
  };
  if (name == "glorot_uniform_init.v1") return [](at::IntArrayRef s) { return glorot_uniform_init(s); };
  if (name == "zero_init.v1") return [](at::IntArrayRef s) { return at::zeros(s, at::kFloat); };
  if (name == "uniform_init.v1") return [lo, hi](at::IntArrayRef s) { return uniform_init(s, lo, hi); };
  if (name == "normal_init.v1") return [=](at::IntArrayRef s) { return normal(s, mean); };
  if (name == "glorot_normal_init.v1")
    return [=](at::IntArrayRef s) { return normal(s, std::sqrt(2.0 / (fan(s, 0) + fan(s, 1)))); };
  if (name == "he_normal_init.v1")
    return [=](at::IntArrayRef s) { return normal(s, std::sqrt(2.0 / fan(s, 1))); };
  if (name == "lecun_normal_init.v1")
    return [=](at::IntArrayRef s) { return normal(s, std::sqrt(1.0 / fan(s, 1))); };
  if (name == "he_uniform_init.v1")
    return [=](at::IntArrayRef s) {
      const double scale = std::sqrt(6.0 / fan(s, 1));
      return uniform_init(s, -scale, scale);
    };
  if (name == "lecun_uniform_init.v1")
    return [=](at::IntArrayRef s) {
      const double scale = std::sqrt(3.0 / fan(s, 1));
      return uniform_init(s, -scale, scale);
    };
  throw ValueError("unknown initializer '" + name + "'");
}

// ---- HashEmbed ----
HashEmbed::HashEmbed(int64_t nO_, int64_t nV_, uint32_t seed_, int64_t column_)
    : nO(nO_), nV(nV_), column(column_), seed(seed_) {
  if (nO <= 0 || nV <= 0) throw ValueError("HashEmbed: nO and nV must be positive");
  E = param(uniform_init({nV, nO}, -0.1, 0.1));
}

at::Tensor HashEmbed::keys(const std::vector<uint64_t>& ids) const {
  std::vector<int64_t> k(ids.size() * 4);
  uint32_t h[4];
  for (size_t i = 0; i < ids.size(); ++i) {
    murmurhash3_x86_128_uint64(ids[i], seed, h);
    for (int j = 0; j < 4; ++j) k[i * 4 + j] = int64_t(h[j] % uint32_t(nV));
  }
  return index_tensor(k).view({int64_t(ids.size()), 4});
}

at::Tensor HashEmbed::forward(const std::vector<uint64_t>& ids, double drop) const {
  const int64_t n = int64_t(ids.size());
  if (n == 0) return at::zeros({0, nO}, at::kFloat);
  at::Tensor Y = E.index_select(0, keys(ids).view({-1})).view({n, 4, nO}).sum(1);
  if (drop <= 0.0) return Y;
  at::Tensor mask = (at::rand({nO}, at::kFloat) > drop).to(at::kFloat) / (1.0 - drop);
  return Y * mask;
}

at::Tensor dropout(const at::Tensor& X, double drop) {
  if (drop <= 0.0 || X.numel() == 0) return X;
  return X * ((at::rand(X.sizes(), X.options()) > drop).to(X.scalar_type()) / (1.0 - drop));
}

void HashEmbed::collect(const std::string& prefix, NamedTensors& out) const {
  out.emplace_back(prefix + "E", E);
}

// ---- LayerNorm ----
LayerNorm::LayerNorm(int64_t nI) {
  G = param(at::ones({nI}, at::kFloat));
  b = param(at::zeros({nI}, at::kFloat));
}

at::Tensor LayerNorm::forward(const at::Tensor& X) const {
  if (X.size(0) == 0) return X;
  at::Tensor mu = X.mean({1}, true);
  at::Tensor var = (X - mu).pow(2).mean({1}, true) + 1e-8;
  return (X - mu) * var.rsqrt() * G + b;
}

void LayerNorm::collect(const std::string& prefix, NamedTensors& out) const {
  out.emplace_back(prefix + "G", G);
  out.emplace_back(prefix + "b", b);
}

// ---- Maxout ----
Maxout::Maxout(int64_t nO_, int64_t nI_, int64_t nP_, bool normalize)
    : nO(nO_), nI(nI_), nP(nP_) {
  if (nO <= 0 || nI <= 0 || nP <= 0) throw ValueError("Maxout: nO, nI and nP must be positive");
  W = param(glorot_uniform_init({nO, nP, nI}));
  b = param(at::zeros({nO, nP}, at::kFloat));
  if (normalize) norm = std::make_unique<LayerNorm>(nO);
}

at::Tensor Maxout::forward(const at::Tensor& X, double drop) const {
  const int64_t n = X.size(0);
  at::Tensor Y = models::linear(X, W.view({nO * nP, nI}), b.view({nO * nP}));
  Y = std::get<0>(Y.view({n, nO, nP}).max(2));
  return dropout(norm ? norm->forward(Y) : Y, drop);
}

void Maxout::collect(const std::string& prefix, NamedTensors& out) const {
  out.emplace_back(prefix + "W", W);
  out.emplace_back(prefix + "b", b);
  if (norm) norm->collect(prefix + "ln.", out);
}

// ---- Linear ----
Linear::Linear(int64_t nO_, int64_t nI_, bool zero_init) : nO(nO_), nI(nI_) {
  if (nO <= 0 || nI <= 0) throw ValueError("Linear: nO and nI must be positive");
  W = param(zero_init ? at::zeros({nO, nI}, at::kFloat) : glorot_uniform_init({nO, nI}));
  b = param(at::zeros({nO}, at::kFloat));
}

at::Tensor Linear::forward(const at::Tensor& X) const { return models::linear(X, W, b); }

void Linear::collect(const std::string& prefix, NamedTensors& out) const {
  out.emplace_back(prefix + "W", W);
  out.emplace_back(prefix + "b", b);
}

// ---- ParametricAttention ----
ParametricAttention::ParametricAttention(int64_t nO) { Q = param(at::zeros({nO}, at::kFloat)); }

at::Tensor ParametricAttention::forward(const at::Tensor& X,
                                        const std::vector<int64_t>& lengths) const {
  at::Tensor logits = X.matmul(Q);  // [N]
  std::vector<at::Tensor> parts;
  int64_t start = 0;
  for (int64_t len : lengths) {
    if (len > 0) parts.push_back(at::softmax(logits.narrow(0, start, len), 0));
    start += len;
  }
  if (parts.empty()) return X;
  return X * at::cat(parts, 0).unsqueeze(1);
}

void ParametricAttention::collect(const std::string& prefix, NamedTensors& out) const {
  out.emplace_back(prefix + "Q", Q);
}

// ---- SparseLinear ----
SparseLinear::SparseLinear(int64_t nO_, int64_t length_, bool v1_indexing_)
    : nO(nO_), length(length_), v1_indexing(v1_indexing_) {
  if (nO <= 0 || length <= 0) throw ValueError("SparseLinear: nO and length must be positive");
  W = param(at::zeros({nO * length}, at::kFloat));
  b = param(at::zeros({nO}, at::kFloat));
}

at::Tensor SparseLinear::forward(const std::vector<std::vector<uint64_t>>& keys,
                                 const std::vector<std::vector<float>>& values) const {
  const int64_t rows = int64_t(keys.size());
  std::vector<int64_t> idx1, idx2, row_of;
  std::vector<float> vals;
  for (int64_t r = 0; r < rows; ++r) {
    for (size_t i = 0; i < keys[r].size(); ++i) {
      uint32_t h1 = murmurhash3_x86_32_uint64(keys[r][i], 0);
      uint32_t h2 = murmurhash3_x86_32_uint64(keys[r][i], 1);
      for (int64_t c = 0; c < nO; ++c) {
        if (v1_indexing) {  // thinc SparseLinear (v1): W[(h & (L - 1)) + c]
          idx1.push_back(int64_t(h1 & uint32_t(length - 1)) + c);
          idx2.push_back(int64_t(h2 & uint32_t(length - 1)) + c);
        } else {  // SparseLinear_v2: W[c * L + h % L]
          idx1.push_back(c * length + int64_t(h1 % uint32_t(length)));
          idx2.push_back(c * length + int64_t(h2 % uint32_t(length)));
        }
      }
      row_of.push_back(r);
      vals.push_back(values[r][i]);
    }
  }
  at::Tensor out = b.unsqueeze(0).repeat({rows, 1});
  if (row_of.empty()) return out;
  const int64_t K = int64_t(row_of.size());
  at::Tensor w = (W.index_select(0, index_tensor(idx1)) + W.index_select(0, index_tensor(idx2)))
                     .view({K, nO});
  at::Tensor v = at::from_blob(vals.data(), {K, 1}, at::kFloat).clone();
  return out.index_add(0, index_tensor(row_of), w * v);
}

void SparseLinear::collect(const std::string& prefix, NamedTensors& out) const {
  out.emplace_back(prefix + "W", W);
  out.emplace_back(prefix + "b", b);
}

at::Tensor softmax_passthrough(const at::Tensor& logits) {
  return logits + (at::softmax(logits, 1) - logits).detach();
}

// ---- sequence helpers ----
at::Tensor expand_window(const at::Tensor& X, int64_t n) {
  if (n <= 0) return X;
  const int64_t N = X.size(0), w = X.size(1);
  at::Tensor padded = at::cat({at::zeros({n, w}, X.options()), X, at::zeros({n, w}, X.options())}, 0);
  std::vector<at::Tensor> cols;
  for (int64_t k = 0; k <= 2 * n; ++k) cols.push_back(padded.narrow(0, k, N));
  return at::cat(cols, 1);
}

at::Tensor flatten_padded(const std::vector<at::Tensor>& Xs, int64_t pad, int64_t width) {
  std::vector<at::Tensor> parts;
  for (const auto& x : Xs) {
    if (x.size(0) == 0) continue;
    if (pad > 0) parts.push_back(at::zeros({pad, width}, x.options()));
    parts.push_back(x);
  }
  if (parts.empty()) return at::zeros({0, width}, at::kFloat);
  if (pad > 0) parts.push_back(at::zeros({pad, width}, parts.back().options()));
  return at::cat(parts, 0);
}

std::vector<at::Tensor> unflatten_padded(const at::Tensor& X, const std::vector<int64_t>& lengths,
                                         int64_t pad) {
  std::vector<at::Tensor> out;
  int64_t start = 0;
  for (int64_t len : lengths) {
    if (pad > 0 && len != 0) start += pad;
    out.push_back(X.narrow(0, start, len));
    start += len;
  }
  return out;
}

Reduce reduce_from_name(const std::string& name) {
  static const std::map<std::string, Reduce> names = {
      {"sum", Reduce::Sum}, {"mean", Reduce::Mean}, {"max", Reduce::Max},
      {"first", Reduce::First}, {"last", Reduce::Last}};
  std::string n = name;
  if (n.rfind("reduce_", 0) == 0) n = n.substr(7);
  auto dot = n.find('.');
  if (dot != std::string::npos) n = n.substr(0, dot);
  auto it = names.find(n);
  if (it == names.end()) throw ValueError("unknown pooling '" + name + "'");
  return it->second;
}

at::Tensor reduce(const at::Tensor& X, const std::vector<int64_t>& lengths, Reduce how) {
  const int64_t B = int64_t(lengths.size()), w = X.size(1);
  if (how == Reduce::Sum || how == Reduce::Mean) {
    std::vector<int64_t> seg;
    seg.reserve(size_t(X.size(0)));
    for (int64_t i = 0; i < B; ++i) seg.insert(seg.end(), size_t(lengths[i]), i);
    at::Tensor sums = at::zeros({B, w}, X.options()).index_add(0, index_tensor(seg), X);
    if (how == Reduce::Sum) return sums;
    std::vector<float> inv(static_cast<size_t>(B), 0.f);
    for (int64_t i = 0; i < B; ++i) inv[i] = lengths[i] > 0 ? 1.f / float(lengths[i]) : 0.f;
    return sums * at::from_blob(inv.data(), {B, 1}, at::kFloat).clone();
  }
  std::vector<int64_t> pick;
  int64_t start = 0;
  std::vector<at::Tensor> maxes;
  for (int64_t i = 0; i < B; ++i) {
    if (lengths[i] == 0) throw ValueError("reduce_max/first/last: a sequence of length 0");
    if (how == Reduce::First) pick.push_back(start);
    if (how == Reduce::Last) pick.push_back(start + lengths[i] - 1);
    if (how == Reduce::Max) maxes.push_back(std::get<0>(X.narrow(0, start, lengths[i]).max(0)));
    start += lengths[i];
  }
  if (B == 0) return at::zeros({0, w}, X.options());
  if (how == Reduce::Max) return at::stack(maxes, 0);
  return X.index_select(0, index_tensor(pick));
}

void extract_ngrams(const std::vector<uint64_t>& ids, int64_t ngram_size,
                    std::vector<uint64_t>& keys, std::vector<float>& counts) {
  std::map<uint64_t, float> c;
  for (uint64_t id : ids) c[id] += 1.f;
  for (int64_t n = 2; n <= ngram_size; ++n) {
    for (size_t i = 0; i + size_t(n) <= ids.size(); ++i)
      c[murmurhash64a(&ids[i], size_t(n) * sizeof(uint64_t), 0)] += 1.f;
  }
  keys.clear();
  counts.clear();
  for (const auto& [k, v] : c) {
    keys.push_back(k);
    counts.push_back(v);
  }
}

}  // namespace layers
}  // namespace trfpipe
