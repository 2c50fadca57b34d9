// The base of the LibTorch trainable components (tok2vec, tagger, ner, textcat ...): parameters,
// optimizer step, listeners, and spaCy's folder layout written by to_disk: <dir>/cfg (JSON: labels
// and settings, spaCy's cfg keys) and <dir>/model (the parameters as safetensors, names from the
// model's collect()).
#pragma once
#include <string>
#include <vector>

#include "components/common/listener.hpp"
#include "components/common/tok2vec_model.hpp"
#include "trfpipe/example.hpp"
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

// Adds `params` under `prefix` to the weights file (<dir>/model) of a saved component: what an
// upstream (tok2vec, transformer) writes when a listener becomes its own copy of the upstream's
// model (Language::replace_listeners).
void add_weights_to_component_folder(const std::string& dir, const NamedTensors& params,
                                     const std::string& prefix);

// Small pieces the components share.
Json json_labels(const std::vector<std::string>& labels);
std::vector<Doc*> predicted_docs(const std::vector<Example>& examples);
size_t total_tokens(const std::vector<Doc*>& docs);

}  // namespace trfpipe
