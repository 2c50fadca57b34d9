// thinc's layers on LibTorch tensors, with thinc's parameter names and shapes (spacy-behaviour
// §2.4): HashEmbed E(nV,nO), Maxout W(nO,nP,nI) b(nO,nP), LayerNorm G,b, Linear/Softmax
// W(nO,nI) b(nO), ParametricAttention Q(nO), SparseLinear W(nO*length) b(nO).
//
// A layer owns plain at::Tensors (requires_grad) and lists them with collect(); autograd does the
// backward passes. Ragged inputs are (rows concatenated, lengths), as thinc's Ragged.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "trfpipe/torch/optimizer.hpp"

namespace trfpipe {
namespace layers {

// thinc's MurmurHash3_x86_128_uint64 (numpy_ops ops.hash, used by HashEmbed): despite the name,
// MurmurHash3_x64_128 of the one 8-byte key, h1 and h2 split into four uint32 (low word first).
void murmurhash3_x86_128_uint64(uint64_t key, uint32_t seed, uint32_t out[4]);
// MurmurHash3_x86_32 of the 8 bytes of `key` (SparseLinear's bucket hashes).
uint32_t murmurhash3_x86_32_uint64(uint64_t key, uint32_t seed);

// Initializers (thinc's): uniform(lo, hi); glorot_uniform with scale sqrt(6/(shape[0]+shape[1]))
// (thinc uses the first two dims, also for Maxout's 3-d W). Draw from the global generator
// (seed it with at::manual_seed for reproducible models).
at::Tensor uniform_init(at::IntArrayRef shape, double lo, double hi);
at::Tensor glorot_uniform_init(at::IntArrayRef shape);
// A registered thinc initializer (`init_W = {"@initializers": "he_normal_init.v1"}`): a shape
// in, new values out.
using Initializer = std::function<at::Tensor(at::IntArrayRef shape)>;
// thinc's initializers by registered name: glorot_uniform_init.v1, glorot_normal_init.v1,
// he_uniform_init.v1, he_normal_init.v1, lecun_uniform_init.v1, lecun_normal_init.v1,
// zero_init.v1, uniform_init.v1 (lo, hi), normal_init.v1 (mean, which thinc passes to numpy as
// the scale: the standard deviation). ValueError for another name.
Initializer thinc_initializer(const std::string& name, double lo = -0.1, double hi = 0.1,
                              double mean = 0.0);
at::Tensor param(at::Tensor t);  // marks t as a trainable leaf (requires_grad)

class Layer {
 public:
  virtual ~Layer() = default;
  // Appends (prefix + name, parameter) for every parameter, in a fixed order.
  virtual void collect(const std::string& prefix, NamedTensors& out) const = 0;
};

// HashEmbed(nO, nV, seed, column): each id is hashed to 4 rows of E (hash % nV), summed.
class HashEmbed : public Layer {
 public:
  HashEmbed(int64_t nO, int64_t nV, uint32_t seed, int64_t column);
  // [n, nO]; drop > 0: thinc's HashEmbed dropout (one mask over the nO columns).
  at::Tensor forward(const std::vector<uint64_t>& ids, double drop = 0.0) const;
  at::Tensor keys(const std::vector<uint64_t>& ids) const;     // [n, 4] int64 row indices
  void collect(const std::string& prefix, NamedTensors& out) const override;
  int64_t nO, nV, column;
  uint32_t seed;
  at::Tensor E;
};

// thinc LayerNorm: (X - mean) / sqrt(var + 1e-8) * G + b, per row.
class LayerNorm : public Layer {
 public:
  explicit LayerNorm(int64_t nI);
  at::Tensor forward(const at::Tensor& X) const;
  void collect(const std::string& prefix, NamedTensors& out) const override;
  at::Tensor G, b;
};

// thinc Maxout(nO, nI, nP, normalize): max over nP pieces of X W^T + b; then LayerNorm if
// normalize (thinc's chain(Maxout, LayerNorm)). Parameters "W", "b" (+ "ln.G", "ln.b").
class Maxout : public Layer {
 public:
  Maxout(int64_t nO, int64_t nI, int64_t nP, bool normalize);
  // [n, nI] -> [n, nO]; drop > 0: thinc's Dropout after it (Maxout(dropout=...)).
  at::Tensor forward(const at::Tensor& X, double drop = 0.0) const;
  void collect(const std::string& prefix, NamedTensors& out) const override;
  int64_t nO, nI, nP;
  at::Tensor W, b;
  std::unique_ptr<LayerNorm> norm;
};

// thinc Linear / Softmax parameters W(nO, nI), b(nO). zero_init: W = 0 (Softmax_v2's default,
// spaCy's upper layers); else glorot_uniform. b = 0.
class Linear : public Layer {
 public:
  Linear(int64_t nO, int64_t nI, bool zero_init = false);
  at::Tensor forward(const at::Tensor& X) const;  // logits [n, nO]
  void collect(const std::string& prefix, NamedTensors& out) const override;
  int64_t nO, nI;
  at::Tensor W, b;
};

// thinc ParametricAttention(nO): weights = softmax over each sequence of X Q; output X * weights.
class ParametricAttention : public Layer {
 public:
  explicit ParametricAttention(int64_t nO);
  at::Tensor forward(const at::Tensor& X, const std::vector<int64_t>& lengths) const;
  void collect(const std::string& prefix, NamedTensors& out) const override;
  at::Tensor Q;
};

// SparseLinear over hashed features (thinc sparse_linear.pyx): h1/h2 = MurmurHash3_x86_32 of the
// key with seeds 0 and 1; every (key, value) adds value * (W[i1] + W[i2]) to class c, with
// SparseLinear_v2 indexing i = c * L + h % L (TextCatBOW.v3), or thinc's v1 indexing
// i = (h & (L - 1)) + c (TextCatBOW.v2, L = 2^18). W zero-initialised. Parameters "W", "b".
class SparseLinear : public Layer {
 public:
  SparseLinear(int64_t nO, int64_t length, bool v1_indexing = false);
  // keys/values per row (doc); output [rows, nO].
  at::Tensor forward(const std::vector<std::vector<uint64_t>>& keys,
                     const std::vector<std::vector<float>>& values) const;
  void collect(const std::string& prefix, NamedTensors& out) const override;
  int64_t nO, length;
  bool v1_indexing;
  at::Tensor W, b;
};

// thinc's Softmax layer: the forward value is softmax(logits), but its backward passes the
// gradient of the outputs straight through as the gradient of the logits (thinc assumes a
// cross-entropy-style loss gradient, probs - truth). Used for the exclusive textcat outputs.
at::Tensor softmax_passthrough(const at::Tensor& logits);

// thinc's Dropout: X * mask, mask = (uniform > drop) / (1 - drop); identity when drop <= 0.
at::Tensor dropout(const at::Tensor& X, double drop);

// seq2col: row i becomes [X[i-n] ... X[i] ... X[i+n]], zeros beyond the array.
at::Tensor expand_window(const at::Tensor& X, int64_t n);
// thinc ops.flatten(Xs, pad) / unflatten: sequences joined with `pad` zero rows before, between
// and after them (empty sequences are skipped).
at::Tensor flatten_padded(const std::vector<at::Tensor>& Xs, int64_t pad, int64_t width);
std::vector<at::Tensor> unflatten_padded(const at::Tensor& X, const std::vector<int64_t>& lengths,
                                         int64_t pad);

// Pooling over ragged rows: X [sum(lengths), w] -> [len(lengths), w]. Mean and sum of an empty
// sequence are zeros; max/first/last of an empty sequence are a ValueError (thinc raises).
enum class Reduce { Sum, Mean, Max, First, Last };
at::Tensor reduce(const at::Tensor& X, const std::vector<int64_t>& lengths, Reduce how);
Reduce reduce_from_name(const std::string& name);  // "reduce_mean.v1" or "mean"

// The hashed n-gram features of one sequence of ids (thinc extract_ngrams): unigrams are the
// ids, n-grams MurmurHash64A(ids[i..i+n), seed 0); unique keys with their counts.
void extract_ngrams(const std::vector<uint64_t>& ids, int64_t ngram_size,
                    std::vector<uint64_t>& keys, std::vector<float>& counts);

}  // namespace layers
}  // namespace trfpipe
