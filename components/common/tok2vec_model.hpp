// The role every embedding model plays for the components that consume it (spaCy's
// Model[List[Doc], List[Floats2d]]): the spacy.Tok2Vec.v2 family (components/tok2vec/), the
// listeners, and the transformer's Tok2VecTransformer / TransformerListener all implement
// Tok2VecModel, so tagger, ner, textcat ... depend on this interface only.
//
// Architectures return a std::any holding a std::shared_ptr to the BASE type of their role
// (std::shared_ptr<Tok2VecModel> here). Parameters are plain at::Tensors listed by
// collect(prefix, out) under stable names (the keys of the component's weights file), drawn from
// the global torch generator: seed it (at::manual_seed) before building for reproducible models.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "components/common/listener.hpp"
#include "trfpipe/doc.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/vectors.hpp"
#include "trfpipe/torch/optimizer.hpp"

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
  // Sizes the static-vectors layers inside (spacy.StaticVectors.v2: W [nO, nM], nM = the
  // table's width) by the vocab's table; a no-op for an empty table. Called by the component
  // at every pipeline change (TorchPipe::on_pipeline_built), so after [initialize] vectors and
  // after a load, before the weights are read.
  virtual void initialize_vectors(const Vectors& table) {}
};
using Tok2VecPtr = std::shared_ptr<Tok2VecModel>;

// Per-doc rows <-> one batch matrix (thinc's list2array / array2list).
std::vector<int64_t> doc_lengths(const std::vector<Doc*>& docs);
// The per-doc outputs stacked into [total tokens, width] ([0, width] for no rows).
at::Tensor cat_rows(const std::vector<at::Tensor>& Xs, int64_t width);
std::vector<at::Tensor> split_rows(const at::Tensor& X, const std::vector<int64_t>& lengths);

}  // namespace trfpipe
