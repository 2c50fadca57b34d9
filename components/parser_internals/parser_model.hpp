// The model shared by the transition-based components (ner, and the parser): spaCy's
// spacy.TransitionBasedParser.v2 (spacy/ml/models/parser.py, _parser_internals).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "components/common/tok2vec_model.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/registry.hpp"
#include "models/layers/layers.hpp"

namespace trfpipe {

// spacy.TransitionBasedParser.v2: tok2vec >> Linear(hidden_width) (the projection); the lower
// layer precomputes, for every token and feature slot f < nF, W[f] . x (PrecomputableAffine
// W(nF, nO, nP, nI), b(nO, nP), pad(1, nF, nO, nP)); a state's hidden vector is the maxout over
// nP of Σ_f rows (pad[f] for a missing token) + b; with use_upper, Linear(nO) (zero-init) gives
// the action scores, else the lower layer's nO is the number of actions.
class ParserModel {
 public:
  ParserModel(Tok2VecPtr tok2vec, std::string state_type, bool extra_state_tokens,
              int64_t hidden_width, int64_t maxout_pieces, bool use_upper, int64_t nO);
  Tok2VecPtr tok2vec() const { return tok2vec_; }
  const std::string& state_type() const { return state_type_; }
  int64_t nF() const { return nF_; }
  int64_t nO() const { return nO_; }
  bool initialized() const { return proj_ && (upper_ != nullptr || (!use_upper_ && W_.defined())); }
  void initialize(int64_t n_actions);
  // Token vectors for the batch (docs concatenated, projected): [N, hidden_width].
  at::Tensor tokvecs(const std::vector<Doc*>& docs, bool is_train);
  // Precomputed features [N + 1, nF, nO*nP]; row N is the padding (token index -1).
  at::Tensor precompute(const at::Tensor& tokvecs) const;
  // Action scores [S, n_actions] for S states given their feature token ids [S, nF] (values in
  // [0, N], N meaning "none").
  at::Tensor scores(const at::Tensor& precomputed, const at::Tensor& ids) const;
  void collect(const std::string& prefix, NamedTensors& out) const;

 private:
  void make_lower(int64_t nO);
  Tok2VecPtr tok2vec_;
  std::string state_type_;
  int64_t nF_, hidden_width_, nP_, nO_;
  bool use_upper_;
  std::unique_ptr<layers::Linear> proj_;
  at::Tensor W_, b_, pad_;  // lower
  int64_t lower_nO_ = 0;
  std::unique_ptr<layers::Linear> upper_;
};

// Registers spacy.TransitionBasedParser.v2 and .v1 (idempotent).
void register_parser_architectures();

// The default `model` block of a transition-based factory (spaCy's DEFAULT_PARSER_MODEL /
// DEFAULT_NER_MODEL): TransitionBasedParser.v2, hidden_width 64, maxout_pieces 2, use_upper,
// the default HashEmbedCNN tok2vec.
Json default_transition_model(const std::string& state_type);

// The model of transition-based component `name`'s resolved config: a TransitionBasedParser
// with the given state_type and `moves = null`; ConfigErrors naming the setting otherwise.
std::shared_ptr<ParserModel> transition_component_model(const registry::Value& config,
                                                        const std::string& name,
                                                        const std::string& state_type);

}  // namespace trfpipe
