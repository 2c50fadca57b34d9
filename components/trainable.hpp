// Common base of the LibTorch trainable components (tok2vec, tagger, ner, textcat,
// textcat_multilabel) and their registration.
//
// Folder layout written by to_disk (spaCy's): <dir>/cfg (JSON: labels and settings, spaCy's cfg
// keys) and <dir>/model (the parameters as safetensors, names from the model's collect()).
#pragma once
#include <string>
#include <vector>

#include "components/architectures.hpp"
#include "components/listener.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/torch/optimizer.hpp"

namespace trfpipe {

class TorchPipe : public TrainablePipe, public ParameterOwner, public ListeningComponent {
 public:
  using TrainablePipe::TrainablePipe;
  std::string parameter_group() const override { return name(); }
  NamedTensors named_parameters() const override;
  void finish_update(Optimizer& optimizer) override;
  std::vector<Listener*> listeners() override;
  void to_disk(const std::string& dir) const override;
  void from_disk(const std::string& dir) override;
  bool initialized() const { return initialized_; }

 protected:
  // The model's parameters (collect(prefix "", ...)).
  virtual void collect(NamedTensors& out) const = 0;
  // The component's embedding model (its listener, when it listens), or nullptr.
  virtual Tok2VecModel* tok2vec_model() const = 0;
  virtual Json cfg() const = 0;
  // Restores settings and labels from cfg and sizes the model (before the weights load).
  virtual void load_cfg(const Json& cfg) = 0;
  // Sends a listener's gradient upstream after this component's backward pass.
  void finish_backward(Losses& losses);
  void require_not_initialized(const std::string& what) const;
  // spaCy's add_label: false when present; ValueError after initialization.
  bool add_label_to(std::vector<std::string>& labels, const std::string& label) const;
  bool initialized_ = false;
};

// spaCy's default tok2vec block (HashEmbedCNN.v2 width 96, depth 4, embed_size 2000,
// window_size 1, maxout_pieces 3, subword_features true) of tok2vec, tagger and ner.
Json default_hash_embed_cnn();

// Adds the factories tok2vec, tagger, ner, textcat, textcat_multilabel (and the architectures,
// optimizers and schedules). Idempotent; called from register_components().
void register_trainable_components();
// The ner factory (components/ner.cpp); called by register_trainable_components().
void register_ner_component();

}  // namespace trfpipe
