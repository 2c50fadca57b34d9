// The `transformer` component (spacy-transformers' Transformer pipe), its listener model
// (TransformerListener.v1), Tok2VecTransformer and the registrations (§1.1-§1.11).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "components/common/tok2vec_model.hpp"
#include "components/common/listener.hpp"
#include "components/transformer/transformer_model.hpp"
#include "models/layers/layers.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/torch/optimizer.hpp"

namespace trfpipe {

// spacy-transformers annotation setters: (docs, the batch's outputs) -> void.
using AnnotationSetter =
    std::function<void(const std::vector<Doc*>& docs, const TransformerBatch& batch)>;
AnnotationSetter null_annotation_setter();
// trfpipe.doc_tensor_setter.v1: doc.tensor from trf_data with the 2019 weighting
// (weighted_token_tensor) and the tensor-based vector / similarity hooks.
AnnotationSetter doc_tensor_setter();
void set_doc_tensor_from_trf_data(Doc& doc);

// A pooling layer ("layers" registry: reduce_mean.v1, reduce_max.v1, reduce_sum.v1,
// reduce_first.v1, reduce_last.v1).
struct Pooling {
  layers::Reduce how = layers::Reduce::Mean;
  std::string name = "reduce_mean.v1";
};
using PoolingPtr = std::shared_ptr<Pooling>;

// trfs2arrays: the rows of a doc's flattened output aligned to each token, pooled
// (zero-length tokens: zeros for mean/sum, ValueError for max/first/last as thinc); always CPU
// float32 (float64 rows stay float64), whatever device and precision the rows have.
at::Tensor pool_doc_rows(const at::Tensor& rows, const Ragged& align, layers::Reduce how,
                         int64_t width);

// spacy-transformers.TransformerListener.v1(pooling, grad_factor, upstream).
class TransformerListenerModel : public Tok2VecModel {
 public:
  TransformerListenerModel(Pooling pooling, double grad_factor, std::string upstream,
                           int64_t width = 0);
  std::vector<at::Tensor> forward(const std::vector<Doc*>& docs, bool is_train) override;
  int64_t width() const override { return listener_.width(); }
  Listener* listener() override { return &listener_; }
  void finish_backward(Losses& losses) override { listener_.backprop(losses); }
  const Pooling& pooling() const { return pooling_; }

 private:
  Pooling pooling_;
  Listener listener_;
};

// spacy-transformers.Tok2VecTransformer.v1-v3: the component's own transformer, pooled.
class Tok2VecTransformerModel : public Tok2VecModel {
 public:
  Tok2VecTransformerModel(TransformerModelPtr model, Pooling pooling, double grad_factor);
  std::vector<at::Tensor> forward(const std::vector<Doc*>& docs, bool is_train) override;
  // 0 while the model is neither loaded nor loadable from its `name` folder: a component being
  // loaded from a pipeline folder sizes its layers after load_files (the folder may be gone).
  int64_t width() const override;
  void collect(const std::string& prefix, NamedTensors& out) const override;
  // The HF config and tokenizer files go to <component>/transformer/ (the weights stay in the
  // component's model file), so a saved pipeline does not need the `name` folder any more.
  void save_files(const std::string& dir) const override;
  void load_files(const std::string& dir) override;
  TransformerModel& transformer() { return *model_; }

 private:
  TransformerModelPtr model_;
  Pooling pooling_;
  double grad_factor_;
};

// The `transformer` pipe.
class TransformerPipe : public TrainablePipe, public ParameterOwner {
 public:
  TransformerPipe(std::string name, TransformerModelPtr model, AnnotationSetter set_extra,
                  int64_t max_batch_items, bool set_doc_tensor = false);
  std::any predict(const std::vector<Doc*>& docs) override;  // a TransformerBatch
  void set_annotations(const std::vector<Doc*>& docs, const std::any& scores) override;
  void pipe(const std::vector<Doc*>& docs, size_t batch_size) override;
  void update(const std::vector<Example>& examples, double drop, Optimizer* sgd,
              Losses& losses) override;
  void finish_update(Optimizer& optimizer) override;
  void initialize(const GetExamples& get_examples, Language& nlp) override;
  void on_pipeline_built(Language& nlp) override;
  void to_disk(const std::string& dir) const override;
  void from_disk(const std::string& dir) override;
  std::string parameter_group() const override { return name(); }
  NamedTensors named_parameters() const override;

  TransformerModel& model() { return *model_; }
  int64_t max_batch_items() const { return max_batch_items_; }
  // The listeners of this transformer (pipeline order), with their width set to the model's.
  std::vector<Listener*> listeners();

 private:
  void link_listeners();
  TransformerModelPtr model_;
  AnnotationSetter set_extra_;
  int64_t max_batch_items_;
  bool set_doc_tensor_;
  Language* nlp_ = nullptr;
  uint64_t last_batch_ = 0;
  // A training batch whose listeners have not all backpropagated yet: finish_update() waits
  // (deferred_) and steps right after the backward pass (Language::update may call it early).
  bool pending_ = false;
  Optimizer* deferred_ = nullptr;
};

// The TransformerData of the docs of a training batch given to listeners (by batch id);
// empty when unknown.
std::vector<TransformerDataPtr> transformer_batch_data(uint64_t batch_id);

// Registers the factory `transformer`, span getters, annotation setters, architectures, the
// pooling layers (unless already registered) and the legacy v0.x components. Idempotent.
void register_transformer_components();
// The v0.x components trf_wordpiecer, trf_tok2vec, trf_textcat (legacy.cpp).
void register_legacy_transformer_components();

}  // namespace trfpipe
