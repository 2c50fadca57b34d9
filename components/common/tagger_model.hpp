// spacy.Tagger.v2 (spaCy's spacy/ml/models/tagger.py): tok2vec >> Softmax, sized at
// initialization from the labels. Shared by the components built on it (tagger, senter, ...),
// as spaCy's build_tagger_model, with the per-token cross-entropy gradient they train with.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "components/common/tok2vec_model.hpp"
#include "models/layers/layers.hpp"

namespace trfpipe {

// Output layers that get their size (nO) at initialization.
class TaggerModel {
 public:
  // spacy.Tagger.v2(tok2vec, nO=null, normalize=false): tok2vec >> Softmax(nO, zero-init W).
  TaggerModel(Tok2VecPtr tok2vec, int64_t nO, bool normalize);
  Tok2VecPtr tok2vec() const { return tok2vec_; }
  int64_t nO() const { return nO_; }  // 0 until initialized when not configured
  bool initialized() const { return output_ != nullptr; }
  void initialize(int64_t nO);  // ValueError when a configured nO differs
  // Logits [total tokens, nO] (docs concatenated). Probabilities when normalize && !is_train.
  at::Tensor forward(const std::vector<Doc*>& docs, bool is_train);
  void collect(const std::string& prefix, NamedTensors& out) const;
  bool normalize() const { return normalize_; }
  // The best label of every token, per doc (no grad; empty lists for empty docs).
  std::vector<std::vector<int64_t>> best_labels(const std::vector<Doc*>& docs);

 private:
  Tok2VecPtr tok2vec_;
  int64_t nO_;
  bool normalize_;
  std::unique_ptr<layers::Linear> output_;
};

// One token's gold class for xent_backward: `label` < 0 is missing (no gradient); `negative`
// marks a label the token is known not to have (the tagger's neg_prefix).
struct TokenTarget {
  int64_t label = -1;
  bool negative = false;
};

// thinc's (Sequence)CategoricalCrossentropy(normalize=False) as spaCy's taggers use it: per row
// d = softmax(logits) - target, the target one-hot with `label_smoothing` spread over the other
// classes; a negative row gets d[label] = p[label] only. Backpropagates (logits * d).sum() (d
// detached, so autograd reproduces thinc's gradient) and returns sum(d^2), the reported loss.
double xent_backward(const at::Tensor& logits, const std::vector<TokenTarget>& targets,
                     double label_smoothing);

// Registers spacy.Tagger.v2 and spacy.Tagger.v1 (the legacy signature without `normalize`,
// whose Softmax always normalizes predictions). Idempotent.
void register_tagger_architectures();

}  // namespace trfpipe
