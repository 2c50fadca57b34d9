// The spacy.Tok2Vec.v2 family (spaCy's spacy/ml/models/tok2vec.py) on LibTorch: MultiHashEmbed,
// MaxoutWindowEncoder, the Tok2Vec chain (and HashEmbedCNN.v2), and the Tok2VecListener that
// reads an upstream tok2vec component's output.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "components/common/listener.hpp"
#include "components/common/tok2vec_model.hpp"
#include "models/layers/layers.hpp"

namespace trfpipe {

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

// spacy.StaticVectors.v2(nO, nM, dropout, init_W, key_attr): each token's row of the vocab's
// vectors table (found by key_attr, ORTH by default), projected by W [nO, nM] (init_W, default
// glorot_uniform). A token
// without a vector gets zeros; as in spaCy (its V[rows] reads row -1, the last row, for them)
// W's gradient still counts that row, through a detached subtraction. Dropout (when set) is
// one mask over the nO columns for the whole batch. W exists once nM is known: from the config
// or the table (initialize_vectors); E896 when the table's width differs from W's.
class StaticVectors : public Tok2VecModel {
 public:
  StaticVectors(int64_t nO, int64_t nM, std::optional<double> dropout, TokenAttr key_attr,
                layers::Initializer init_W = layers::glorot_uniform_init);
  std::vector<at::Tensor> forward(const std::vector<Doc*>& docs, bool is_train) override;
  at::Tensor forward_rows(const std::vector<Doc*>& docs, bool is_train);  // [tokens, nO]
  int64_t width() const override { return nO_; }
  void collect(const std::string& prefix, NamedTensors& out) const override;
  void initialize_vectors(const Vectors& table) override;

 private:
  int64_t nO_;
  std::optional<double> dropout_;
  TokenAttr key_attr_;
  layers::Initializer init_W_;
  at::Tensor W_;  // [nO, nM]; undefined until nM is known
};

// spacy.MultiHashEmbed.v2: HashEmbed per attribute (seeds 8, 9, ...; column = attr index),
// concatenated (then, with include_static_vectors, StaticVectors(width, dropout=0.0)), then
// Maxout(width, nP=3, normalize=True).
class MultiHashEmbed : public Tok2VecModel {
 public:
  MultiHashEmbed(int64_t width, std::vector<std::string> attrs, std::vector<int64_t> rows,
                 bool include_static_vectors = false);
  std::vector<at::Tensor> forward(const std::vector<Doc*>& docs, bool is_train) override;
  int64_t width() const override { return width_; }
  void collect(const std::string& prefix, NamedTensors& out) const override;
  void set_dropout(double drop) override { drop_ = drop; }
  void initialize_vectors(const Vectors& table) override;

 private:
  int64_t width_;
  double drop_ = 0.0;
  std::vector<TokenAttr> attrs_;
  std::vector<std::unique_ptr<layers::HashEmbed>> embeds_;
  std::unique_ptr<StaticVectors> static_vectors_;  // include_static_vectors
  std::unique_ptr<layers::Maxout> mix_;
};

// spacy.CharacterEmbed.v2 (the morphologizer's default embedding): per token, nC UTF-8 bytes of
// its text taken alternately from the start and the end (Doc.to_utf8_array; 255 pads short
// words) are embedded in one nM-wide table per position (zero-initialized, as thinc's alloc),
// concatenated with a HashEmbed of `feature` (seed 5), then Maxout(width, nP=3, normalize=True).
class CharacterEmbed : public Tok2VecModel {
 public:
  // include_static_vectors: StaticVectors(width, dropout=0.0) concatenated after the HashEmbed.
  CharacterEmbed(int64_t width, int64_t rows, int64_t nM, int64_t nC, const std::string& feature,
                 bool include_static_vectors = false);
  void initialize_vectors(const Vectors& table) override;
  std::vector<at::Tensor> forward(const std::vector<Doc*>& docs, bool is_train) override;
  int64_t width() const override { return width_; }
  void collect(const std::string& prefix, NamedTensors& out) const override;
  void set_dropout(double drop) override { drop_ = drop; }
  // Doc.to_utf8_array(nr_char=nC) of one word, row-major.
  static std::vector<uint8_t> utf8_array(std::string_view word, int64_t nC);

 private:
  int64_t width_, nM_, nC_;
  double drop_ = 0.0;
  TokenAttr feature_;
  at::Tensor E_;  // [nC, 256, nM]
  std::unique_ptr<layers::HashEmbed> embed_;
  std::unique_ptr<StaticVectors> static_vectors_;
  std::unique_ptr<layers::Maxout> mix_;
};

// spacy.MaxoutWindowEncoder.v2 (and .v1): depth x residual(expand_window(ws) >> Maxout(width, nP,
// normalize)), over docs joined with ws*depth zero rows (thinc's with_array(pad=...)).
// maxout_pieces = 0 makes spacy.MishWindowEncoder.v1/v2: the same windows through thinc's
// Mish(width, normalize=True) (Linear >> mish >> LayerNorm) instead of the Maxout.
class MaxoutWindowEncoder : public EncoderModel {
 public:
  MaxoutWindowEncoder(int64_t width, int64_t window_size, int64_t maxout_pieces, int64_t depth);
  std::vector<at::Tensor> forward(const std::vector<at::Tensor>& Xs, bool is_train) override;
  int64_t width() const override { return width_; }
  void collect(const std::string& prefix, NamedTensors& out) const override;

 private:
  int64_t width_, window_size_, depth_;
  std::vector<std::unique_ptr<layers::Maxout>> layers_;
  struct MishLayer {
    std::unique_ptr<layers::Linear> linear;
    std::unique_ptr<layers::LayerNorm> norm;
  };
  std::vector<MishLayer> mish_layers_;
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
  void initialize_vectors(const Vectors& table) override { embed_->initialize_vectors(table); }

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

// Registers spacy.HashEmbedCNN.v2, spacy.Tok2Vec.v2, spacy.MultiHashEmbed.v2 (and .v1),
// spacy.CharacterEmbed.v2, spacy.MaxoutWindowEncoder.v2, spacy.Tok2VecListener.v1 and the
// layer spacy.StaticVectors.v2.
void register_tok2vec_architectures();

}  // namespace trfpipe
