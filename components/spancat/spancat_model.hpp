// spacy.SpanCategorizer.v1 (spaCy's spacy/ml/models/spancat.py and spacy/ml/extract_spans.py):
// tok2vec >> list2ragged >> extract_spans >> reducer >> scorer, with the reducer
// spacy.mean_max_reducer.v1 and the scorers spacy.LinearLogistic.v1 (spancat) and thinc's
// Softmax.v2 (spancat_singlelabel). Sized at initialization: the reducer from the tok2vec's width
// (a transformer listener learns it late), the scorer from the number of labels.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "components/common/tok2vec_model.hpp"
#include "models/layers/layers.hpp"
#include "trfpipe/spancat.hpp"

namespace trfpipe {

// spacy.mean_max_reducer.v1(hidden_size): concatenate(reduce_last, reduce_first, reduce_mean,
// reduce_max) over each span's token rows >> Maxout(hidden_size, nP=3, normalize=True, dropout),
// the dropout being the update's rate (thinc's set_dropout_rate reaches it).
class MeanMaxReducer {
 public:
  explicit MeanMaxReducer(int64_t hidden_size);
  int64_t nO() const { return hidden_size_; }
  bool initialized() const { return maxout_ != nullptr; }
  void initialize(int64_t width);  // nI = 4 * width; ValueError for another width later
  // X: the batch's token rows [total tokens, width]; spans as row ranges of X (doc offsets
  // added). Returns [n spans, hidden_size].
  at::Tensor forward(const at::Tensor& X, const std::vector<int64_t>& starts,
                     const std::vector<int64_t>& ends, double drop) const;
  void collect(const std::string& prefix, NamedTensors& out) const;

 private:
  int64_t hidden_size_;
  std::unique_ptr<layers::Maxout> maxout_;
};

// The output layer of a span categorizer: spacy.LinearLogistic.v1 (Linear with glorot-uniform W,
// then the logistic function) or thinc's Softmax.v2 (zero-initialised; in training its backward
// passes the output gradient straight to the logits, as thinc's).
class SpanScorerLayer {
 public:
  enum class Kind { Logistic, Softmax };
  // nO/nI: 0 = set at initialization. temperature / normalize_outputs: Softmax.v2's.
  SpanScorerLayer(Kind kind, int64_t nO, int64_t nI, bool normalize_outputs = true,
                  double temperature = 1.0);
  Kind kind() const { return kind_; }
  int64_t nO() const { return linear_ ? linear_->nO : nO_; }
  bool initialized() const { return linear_ != nullptr; }
  // ValueError when a configured nO / nI differs from the one needed.
  void initialize(int64_t nO, int64_t nI);
  // Probabilities [n, nO] (Softmax.v2 without normalize_outputs: logits when !is_train).
  at::Tensor forward(const at::Tensor& X, bool is_train) const;
  void collect(const std::string& prefix, NamedTensors& out) const;

 private:
  Kind kind_;
  int64_t nO_, nI_;
  bool normalize_;
  double temperature_;
  std::unique_ptr<layers::Linear> linear_;
};

class SpanCatModel {
 public:
  SpanCatModel(Tok2VecPtr tok2vec, std::shared_ptr<MeanMaxReducer> reducer,
               std::shared_ptr<SpanScorerLayer> scorer);
  Tok2VecPtr tok2vec() const { return tok2vec_; }
  const SpanScorerLayer& scorer() const { return *scorer_; }
  int64_t nO() const { return scorer_->nO(); }
  bool initialized() const { return reducer_->initialized() && scorer_->initialized(); }
  // Sizes the reducer from the tok2vec's width and the scorer to n_outputs (ValueError when the
  // tok2vec's width is still unknown or a configured size differs).
  void initialize(int64_t n_outputs);
  void set_dropout(double drop);
  // Scores [spans.size(), nO] for the suggested spans of `docs` (with autograd history when
  // is_train). Spans outside their doc are a ValueError naming the doc and the span.
  at::Tensor forward(const std::vector<Doc*>& docs, const SuggestedSpans& spans, bool is_train);
  void collect(const std::string& prefix, NamedTensors& out) const;
  static constexpr int64_t kPredictChunk = 2048;  // candidates per reducer call when predicting

 private:
  Tok2VecPtr tok2vec_;
  std::shared_ptr<MeanMaxReducer> reducer_;
  std::shared_ptr<SpanScorerLayer> scorer_;
  double drop_ = 0.0;
};

// Registers spacy.SpanCategorizer.v1, spacy.mean_max_reducer.v1, spacy.LinearLogistic.v1,
// Softmax.v2 and the suggesters (spacy.ngram_suggester.v1, spacy.ngram_range_suggester.v1,
// spacy.preset_spans_suggester.v1).
void register_spancat_architectures();

}  // namespace trfpipe
