// spacy.Tagger.v2 (spaCy's spacy/ml/models/tagger.py): tok2vec >> Softmax, sized at
// initialization from the labels.
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

 private:
  Tok2VecPtr tok2vec_;
  int64_t nO_;
  bool normalize_;
  std::unique_ptr<layers::Linear> output_;
};

// Registers spacy.Tagger.v2.
void register_tagger_architectures();

}  // namespace trfpipe
