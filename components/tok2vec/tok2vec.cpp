#include "components/tok2vec/tok2vec.hpp"

#include <algorithm>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "components/common/registration.hpp"
#include "components/common/torch_pipe.hpp"
#include "components/tok2vec/tok2vec_models.hpp"

namespace trfpipe {

namespace {

class Tok2VecPipe : public TorchPipe {
 public:
  Tok2VecPipe(std::string name, Tok2VecPtr model)
      : TorchPipe(std::move(name)), model_(std::move(model)) {}

  std::any predict(const std::vector<Doc*>& docs) override {
    at::NoGradGuard no_grad;
    return model_->forward(docs, false);
  }

  void set_annotations(const std::vector<Doc*>& docs, const std::any& scores) override {
    const auto& outs = std::any_cast<const std::vector<at::Tensor>&>(scores);
    for (size_t i = 0; i < docs.size(); ++i) {
      at::Tensor t = outs[i].detach().contiguous().to(at::kFloat);
      Matrix m(t.size(0), t.size(1));
      if (t.numel() > 0) std::copy_n(t.data_ptr<float>(), t.numel(), m.data.data());
      docs[i]->tensor() = std::move(m);
    }
  }

  void update(const std::vector<Example>& examples, double drop, Optimizer* sgd,
              Losses& losses) override {
    losses.emplace(name(), 0.0);
    std::vector<Doc*> docs = predicted_docs(examples);
    model_->set_dropout(drop);
    std::vector<at::Tensor> outputs = model_->forward(docs, true);
    std::vector<Listener*> ls;
    if (nlp_) ls = find_listeners(*nlp_, "tok2vec", name());
    broadcast_to_listeners(name(), ls, docs, outputs, [this, sgd] {
      if (sgd) finish_update(*sgd);
    });
  }

  void initialize(const GetExamples& get_examples, Language& nlp) override {
    nlp_ = &nlp;
    initialized_ = true;
  }
  void on_pipeline_built(Language& nlp) override {
    nlp_ = &nlp;
    TorchPipe::on_pipeline_built(nlp);
  }
  std::vector<Listener*> listeners() override { return {}; }
  // The listeners of this upstream, in pipeline order.
  std::vector<Listener*> downstream_listeners() {
    return nlp_ ? find_listeners(*nlp_, "tok2vec", name()) : std::vector<Listener*>{};
  }

 protected:
  void collect(NamedTensors& out) const override { model_->collect("", out); }
  Tok2VecModel* tok2vec_model() const override { return nullptr; }
  Tok2VecModel* vectors_model() const override { return model_.get(); }
  Json cfg() const override { return Json::object(); }
  void load_cfg(const Json&) override {}

 private:
  Tok2VecPtr model_;
  Language* nlp_ = nullptr;
};

}  // namespace

void register_tok2vec() {
  register_tok2vec_architectures();
  FactoryMeta tok2vec;
  tok2vec.name = "tok2vec";
  tok2vec.default_config = Json{{"model", default_hash_embed_cnn()}};
  tok2vec.assigns = {"doc.tensor"};
  tok2vec.make = [](Language& nlp, const std::string& name, const registry::Value& config) {
    return std::unique_ptr<Pipe>(
        std::make_unique<Tok2VecPipe>(name, component_model<Tok2VecModel>(config, name)));
  };
  // spaCy's Tok2Vec has no replace_listener_cfg: the listener becomes the tok2vec's model.
  tok2vec.listener_architectures = {"spacy.Tok2VecListener.v1"};
  tok2vec.replace_listener_cfg = [](const Json& upstream_model, const Json&) {
    return upstream_model;
  };
  tok2vec.copy_into_listener_folder = [](Pipe& upstream, const std::string& dir,
                                         const std::string& prefix) {
    add_weights_to_component_folder(dir, dynamic_cast<Tok2VecPipe&>(upstream).named_parameters(),
                                    prefix);
  };
  register_factory(std::move(tok2vec));
}

}  // namespace trfpipe
