// The model types made by spaCy's architectures (registry "architectures"), as LibTorch models.
//
// Every architecture returns a std::any holding a std::shared_ptr to the BASE type of its role:
//   std::shared_ptr<Tok2VecModel>  spacy.Tok2Vec.v2, spacy.HashEmbedCNN.v2, spacy.MultiHashEmbed.v2,
//                                  spacy.Tok2VecListener.v1 (and, from the transformer component,
//                                  spacy-transformers.TransformerListener.v1 /
//                                  Tok2VecTransformer: implement Tok2VecModel, return it as
//                                  std::shared_ptr<Tok2VecModel>, and override listener() /
//                                  finish_backward() when listening)
//   std::shared_ptr<EncoderModel>  spacy.MaxoutWindowEncoder.v2
//   std::shared_ptr<TaggerModel>   spacy.Tagger.v2
//   std::shared_ptr<ParserModel>   spacy.TransitionBasedParser.v2
//   std::shared_ptr<TextCatModel>  spacy.TextCatEnsemble.v2, spacy.TextCatBOW.v2/.v3,
//                                  spacy.TextCatCNN.v2, spacy.TextCatReduce.v1
// Parameters are plain at::Tensors listed by collect(prefix, out) under stable names (the keys
// of the component's weights file). Parameters are drawn from the global torch generator: seed it
// (at::manual_seed) before building for reproducible models.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "components/listener.hpp"
#include "models/layers/layers.hpp"
#include "trfpipe/doc.hpp"
#include "trfpipe/language.hpp"

namespace trfpipe {

// docs -> one [len(doc), width()] float tensor per doc.
class Tok2VecModel {
 public:
  virtual ~Tok2VecModel() = default;
  // With autograd history into the parameters when is_train.
  virtual std::vector<at::Tensor> forward(const std::vector<Doc*>& docs, bool is_train) = 0;
  virtual int64_t width() const = 0;
  virtual void collect(const std::string& prefix, NamedTensors& out) const {}
  // The dropout rate of training forwards (spaCy's set_dropout_rate(model, drop)).
  virtual void set_dropout(double drop) {}
  // A listening model returns its Listener (found by the upstream's on_pipeline_built).
  virtual Listener* listener() { return nullptr; }
  // Called by the component after it backpropagated its loss through forward()'s outputs:
  // a listening model sends its gradient upstream here (Listener::backprop).
  virtual void finish_backward(Losses& losses) {}
  // Files the model keeps beside its component's weights (a Tok2VecTransformer's HF config and
  // tokenizer): written by the component's to_disk, read back before its weights are loaded.
  virtual void save_files(const std::string& dir) const {}
  virtual void load_files(const std::string& dir) {}
};
using Tok2VecPtr = std::shared_ptr<Tok2VecModel>;

// Per-doc tensors -> per-doc tensors (thinc's with_array(...) encoders).
class EncoderModel {
 public:
  virtual ~EncoderModel() = default;
  virtual std::vector<at::Tensor> forward(const std::vector<at::Tensor>& Xs, bool is_train) = 0;
  virtual int64_t width() const = 0;
  virtual void collect(const std::string& prefix, NamedTensors& out) const = 0;
  virtual void set_dropout(double drop) { drop_ = drop; }

 protected:
  double drop_ = 0.0;
};

// Token attributes usable by MultiHashEmbed (spaCy's attr names).
enum class TokenAttr { ORTH, NORM, LOWER, PREFIX, SUFFIX, SHAPE };
TokenAttr token_attr_from_name(const std::string& name);  // ValueError for unsupported names
uint64_t token_attr(const Doc& doc, size_t i, TokenAttr attr);

// spacy.MultiHashEmbed.v2: HashEmbed per attribute (seeds 8, 9, ...; column = attr index),
// concatenated, then Maxout(width, nP=3, normalize=True).
class MultiHashEmbed : public Tok2VecModel {
 public:
  MultiHashEmbed(int64_t width, std::vector<std::string> attrs, std::vector<int64_t> rows);
  std::vector<at::Tensor> forward(const std::vector<Doc*>& docs, bool is_train) override;
  int64_t width() const override { return width_; }
  void collect(const std::string& prefix, NamedTensors& out) const override;
  void set_dropout(double drop) override { drop_ = drop; }

 private:
  int64_t width_;
  double drop_ = 0.0;
  std::vector<TokenAttr> attrs_;
  std::vector<std::unique_ptr<layers::HashEmbed>> embeds_;
  std::unique_ptr<layers::Maxout> mix_;
};

// spacy.MaxoutWindowEncoder.v2: depth x residual(expand_window(ws) >> Maxout(width, nP,
// normalize)), over docs joined with ws*depth zero rows (thinc's with_array(pad=...)).
class MaxoutWindowEncoder : public EncoderModel {
 public:
  MaxoutWindowEncoder(int64_t width, int64_t window_size, int64_t maxout_pieces, int64_t depth);
  std::vector<at::Tensor> forward(const std::vector<at::Tensor>& Xs, bool is_train) override;
  int64_t width() const override { return width_; }
  void collect(const std::string& prefix, NamedTensors& out) const override;

 private:
  int64_t width_, window_size_, depth_;
  std::vector<std::unique_ptr<layers::Maxout>> layers_;
};

// spacy.Tok2Vec.v2 (and HashEmbedCNN.v2): embed >> encode.
class ChainTok2Vec : public Tok2VecModel {
 public:
  ChainTok2Vec(Tok2VecPtr embed, std::shared_ptr<EncoderModel> encode);
  std::vector<at::Tensor> forward(const std::vector<Doc*>& docs, bool is_train) override;
  int64_t width() const override { return encode_->width(); }
  void collect(const std::string& prefix, NamedTensors& out) const override;
  void set_dropout(double drop) override {
    embed_->set_dropout(drop);
    encode_->set_dropout(drop);
  }

 private:
  Tok2VecPtr embed_;
  std::shared_ptr<EncoderModel> encode_;
};

// spacy.Tok2VecListener.v1(width, upstream="*"): the outputs of an upstream `tok2vec` component.
// Training with a batch: the received leaves (gradient goes upstream in finish_backward);
// training without one: doc.tensor, no gradient (Error when a doc has no tensor, spaCy's E203);
// prediction: doc.tensor, or zeros(len(doc), width) when it is not set.
class Tok2VecListenerModel : public Tok2VecModel {
 public:
  Tok2VecListenerModel(int64_t width, std::string upstream, double grad_factor = 1.0,
                       std::string kind = "tok2vec");
  std::vector<at::Tensor> forward(const std::vector<Doc*>& docs, bool is_train) override;
  int64_t width() const override { return listener_.width(); }
  Listener* listener() override { return &listener_; }
  void finish_backward(Losses& losses) override { listener_.backprop(losses); }

 private:
  Listener listener_;
};

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
  bool initialized() const {
    return proj_ && (upper_ != nullptr || (!use_upper_ && W_.defined()));
  }
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
  TextCatBOWModel(bool exclusive_classes, int64_t ngram_size, bool no_output_layer,
                  int64_t length, int64_t nO, bool v1_indexing = false);
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

// spacy.TextCatReduce.v1 (and TextCatCNN.v2 = mean only): tok2vec >> concat(reductions) >>
// Softmax(nO, zero-init) or Linear(nO) >> Logistic.
class TextCatReduceModel : public TextCatModel {
 public:
  TextCatReduceModel(Tok2VecPtr tok2vec, bool exclusive_classes, std::vector<layers::Reduce> reductions,
                     int64_t nO);
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

// Registers the architectures above (and thinc's optimizers/schedules) once.
void register_architectures();

}  // namespace trfpipe
