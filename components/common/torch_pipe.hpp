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
  // spaCy's initialize(get_examples, nlp, labels=..., ...) with the keys of
  // [initialize.components.<name>]: `labels` (a list written in the config, or the file
  // spacy.read_labels.v1 read; null: from the examples) and the component's own keys
  // (initialize_setting). ConfigError naming the key for anything else.
  void initialize_with_settings(const GetExamples& get_examples, Language& nlp,
                                const registry::Value& settings) override;
  // spaCy's label_data, what `init labels` writes to <name>.json (null: no label data).
  virtual Json label_data() const { return nullptr; }
  // Sizes the model's static-vectors layers by the vocab's table (Tok2VecModel::
  // initialize_vectors). A component that overrides it calls this one too.
  void on_pipeline_built(Language& nlp) override;

 protected:
  // The model's parameters (collect(prefix "", ...)).
  virtual void collect(NamedTensors& out) const = 0;
  // The component's embedding model (its listener, when it listens), or nullptr.
  virtual Tok2VecModel* tok2vec_model() const = 0;
  // The model whose static vectors on_pipeline_built sizes: tok2vec_model() unless the
  // component's whole model is an embedding (the tok2vec component).
  virtual Tok2VecModel* vectors_model() const { return tok2vec_model(); }
  virtual Json cfg() const = 0;
  // Restores settings and labels from cfg and sizes the model (before the weights load).
  virtual void load_cfg(const Json& cfg) = 0;
  // Sends a listener's gradient upstream after this component's backward pass.
  void finish_backward(Losses& losses);
  void require_not_initialized(const std::string& what) const;
  // spaCy's add_label: false when present; ValueError after initialization.
  bool add_label_to(std::vector<std::string>& labels, const std::string& label) const;
  // Labels given to initialize, in the form label_data() writes (a list for most components);
  // `source` names the labels file or the config key in errors. Default: the component takes
  // no labels (ConfigError).
  virtual void set_initial_labels(const Json& labels, const std::string& source);
  // A key of [initialize.components.<name>] other than labels; false when the component has no
  // such setting.
  virtual bool initialize_setting(const std::string& key, const registry::Value& value) {
    return false;
  }
  // `labels` as a list of strings; DataError naming `source` otherwise.
  std::vector<std::string> label_list(const Json& labels, const std::string& source) const;
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
