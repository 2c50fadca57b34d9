// The text classifier architectures (spaCy's spacy/ml/models/textcat.py): spacy.TextCatBOW.v2/v3,
// spacy.TextCatEnsemble.v2, spacy.TextCatCNN.v2 and spacy.TextCatReduce.v1.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "components/common/tok2vec_model.hpp"
#include "models/layers/layers.hpp"

namespace trfpipe {

// Text classifiers: docs -> [n_docs, nO] scores (probabilities unless a BOW without output
// layer).
class TextCatModel {
 public:
  virtual ~TextCatModel() = default;
  virtual bool exclusive_classes() const = 0;
  virtual int64_t nO() const = 0;
  virtual bool initialized() const = 0;
  virtual void initialize(int64_t nO) = 0;
  virtual at::Tensor forward(const std::vector<Doc*>& docs, bool is_train) = 0;
  virtual void collect(const std::string& prefix, NamedTensors& out) const = 0;
  virtual Tok2VecPtr tok2vec() const { return nullptr; }
  virtual void set_dropout(double drop) {
    drop_ = drop;
    if (auto t = tok2vec()) t->set_dropout(drop);
  }

 protected:
  double drop_ = 0.0;
};

// spacy.TextCatBOW.v2/.v3: hashed ORTH n-grams >> SparseLinear(nO, length) [>> softmax|sigmoid].
class TextCatBOWModel : public TextCatModel {
 public:
  // v1_indexing: TextCatBOW.v2's SparseLinear (v1); .v3 uses SparseLinear_v2.
  TextCatBOWModel(bool exclusive_classes, int64_t ngram_size, bool no_output_layer, int64_t length,
                  int64_t nO, bool v1_indexing = false);
  bool exclusive_classes() const override { return exclusive_; }
  int64_t nO() const override { return nO_; }
  bool initialized() const override { return linear_ != nullptr; }
  void initialize(int64_t nO) override;
  at::Tensor forward(const std::vector<Doc*>& docs, bool is_train) override;
  void collect(const std::string& prefix, NamedTensors& out) const override;

 private:
  bool exclusive_, no_output_layer_, v1_indexing_;
  int64_t ngram_size_, length_, nO_;
  std::unique_ptr<layers::SparseLinear> linear_;
};

// spacy.TextCatEnsemble.v2: (linear_model | tok2vec >> ParametricAttention >> reduce_sum >>
// residual(Maxout >> LayerNorm)) >> Softmax(nO) or Linear(nO) >> Logistic. thinc's Softmax
// backward passes the output gradient straight to the logits (layers::softmax_passthrough).
// The layers after the tok2vec are sized at initialize(): a transformer listener learns its
// width only when its upstream is loaded.
class TextCatEnsembleModel : public TextCatModel {
 public:
  TextCatEnsembleModel(Tok2VecPtr tok2vec, std::shared_ptr<TextCatModel> linear_model, int64_t nO);
  bool exclusive_classes() const override { return linear_->exclusive_classes(); }
  int64_t nO() const override { return nO_; }
  bool initialized() const override { return output_ != nullptr; }
  void initialize(int64_t nO) override;
  at::Tensor forward(const std::vector<Doc*>& docs, bool is_train) override;
  void collect(const std::string& prefix, NamedTensors& out) const override;
  Tok2VecPtr tok2vec() const override { return tok2vec_; }
  void set_dropout(double drop) override;

 private:
  Tok2VecPtr tok2vec_;
  std::shared_ptr<TextCatModel> linear_;
  int64_t nO_;
  std::unique_ptr<layers::ParametricAttention> attention_;
  std::unique_ptr<layers::Maxout> maxout_;
  std::unique_ptr<layers::LayerNorm> norm_;
  std::unique_ptr<layers::Linear> output_;
};

// spacy.TextCatEnsemble.v1 (spacy-legacy): its own tok2vec (HashEmbeds of LOWER, PREFIX, SUFFIX,
// SHAPE >> Maxout >> Maxout >> conv_depth x residual(window >> Maxout)) >> ParametricAttention
// >> reduce_sum >> residual(Maxout) >> Linear(nO), concatenated with a TextCatBOW.v1 model's
// probabilities, >> Softmax(nO, 2 nO) or Linear(nO, 2 nO) >> Logistic.
class TextCatEnsembleV1Model : public TextCatModel {
 public:
  struct Settings {
    int64_t width = 0, embed_size = 0, ngram_size = 1, window_size = 1, conv_depth = 0;
    bool exclusive_classes = false;
    double dropout = 0.0;  // the HashEmbeds' dropout (null in the config: 0)
  };
  TextCatEnsembleV1Model(const Settings& settings, int64_t nO);
  bool exclusive_classes() const override { return s_.exclusive_classes; }
  int64_t nO() const override { return nO_; }
  bool initialized() const override { return output_ != nullptr; }
  void initialize(int64_t nO) override;
  at::Tensor forward(const std::vector<Doc*>& docs, bool is_train) override;
  void collect(const std::string& prefix, NamedTensors& out) const override;

 private:
  at::Tensor token_vectors(const std::vector<Doc*>& docs, bool is_train) const;
  Settings s_;
  int64_t nO_;
  std::unique_ptr<TextCatBOWModel> bow_;
  std::vector<std::unique_ptr<layers::HashEmbed>> embeds_;  // LOWER, PREFIX, SUFFIX, SHAPE
  std::unique_ptr<layers::Maxout> mix_, reduce_width_;
  std::vector<std::unique_ptr<layers::Maxout>> convolutions_;
  std::unique_ptr<layers::ParametricAttention> attention_;
  std::unique_ptr<layers::Maxout> pooled_maxout_;
  std::unique_ptr<layers::Linear> cnn_output_, output_;
};

// spacy.TextCatReduce.v1 (and TextCatCNN.v2 = mean only): tok2vec >> concat(reductions) >>
// Softmax(nO, zero-init) or Linear(nO) >> Logistic.
class TextCatReduceModel : public TextCatModel {
 public:
  TextCatReduceModel(Tok2VecPtr tok2vec, bool exclusive_classes,
                     std::vector<layers::Reduce> reductions, int64_t nO);
  bool exclusive_classes() const override { return exclusive_; }
  int64_t nO() const override { return nO_; }
  bool initialized() const override { return output_ != nullptr; }
  void initialize(int64_t nO) override;
  at::Tensor forward(const std::vector<Doc*>& docs, bool is_train) override;
  void collect(const std::string& prefix, NamedTensors& out) const override;
  Tok2VecPtr tok2vec() const override { return tok2vec_; }

 private:
  Tok2VecPtr tok2vec_;
  bool exclusive_;
  std::vector<layers::Reduce> reductions_;
  int64_t nO_;
  std::unique_ptr<layers::Linear> output_;
};

// Registers the architectures above.
void register_textcat_architectures();

}  // namespace trfpipe
