// spaCy's SentenceRecognizer: labels ("I", "S") fixed; the gold of a predicted token is the
// aligned reference sent_start (1 -> "S", anything else -> "I", missing where the alignment is
// ambiguous); predictions set is_sent_start where it is unset (or everywhere with overwrite).
#include "components/senter/senter.hpp"


#include "components/common/registration.hpp"
#include "components/common/tagger_model.hpp"
#include "components/common/torch_pipe.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe {

namespace {

const std::vector<std::string>& senter_labels() {
  static const std::vector<std::string> labels = {"I", "S"};
  return labels;
}

class SenterPipe : public TorchPipe {
 public:
  SenterPipe(std::string name, std::shared_ptr<TaggerModel> model, bool overwrite)
      : TorchPipe(std::move(name)), model_(std::move(model)), overwrite_(overwrite) {}

  std::vector<std::string> labels() const override { return senter_labels(); }

  bool add_label(const std::string& label) override {
    throw Error("component '" + name() + "': a senter's labels are fixed (I, S); cannot add '" +
                label + "'");
  }

  std::any predict(const std::vector<Doc*>& docs) override {
    if (total_tokens(docs) > 0) require_model();
    return model_->best_labels(docs);
  }

  void set_annotations(const std::vector<Doc*>& docs, const std::any& scores) override {
    const auto& guesses = std::any_cast<const std::vector<std::vector<int64_t>>&>(scores);
    for (size_t d = 0; d < docs.size(); ++d) {
      auto& toks = docs[d]->tokens();
      for (size_t i = 0; i < guesses[d].size() && i < toks.size(); ++i)
        if (toks[i].sent_start == 0 || overwrite_) toks[i].sent_start = guesses[d][i] == 1 ? 1 : -1;
    }
  }

  void update(const std::vector<Example>& examples, double drop, Optimizer* sgd,
              Losses& losses) override {
    losses.emplace(name(), 0.0);
    std::vector<Doc*> docs = predicted_docs(examples);
    if (total_tokens(docs) == 0) return;
    require_model();
    model_->tok2vec()->set_dropout(drop);
    at::Tensor logits = model_->forward(docs, true);
    std::vector<TokenTarget> targets;
    for (const Example& eg : examples)
      for (const auto& v : eg.get_aligned_sent_start_values())
        targets.push_back({v ? (*v == 1 ? 1 : 0) : -1, false});
    const double loss = xent_backward(logits, targets, 0.0);
    finish_backward(losses);
    losses[name()] += loss;
    if (sgd) finish_update(*sgd);
  }

  void initialize(const GetExamples&, Language& nlp) override {
    for (const auto& l : senter_labels()) nlp.vocab().strings().add(l);
    model_->initialize(int64_t(senter_labels().size()));
    initialized_ = true;
  }

 protected:
  void collect(NamedTensors& out) const override { model_->collect("", out); }
  Tok2VecModel* tok2vec_model() const override { return model_->tok2vec().get(); }
  Json cfg() const override { return Json{{"overwrite", overwrite_}}; }
  void load_cfg(const Json& c) override {
    overwrite_ = c.value("overwrite", overwrite_);
    model_->initialize(int64_t(senter_labels().size()));
  }

 private:
  void require_model() const {
    if (!model_->initialized()) throw Error("component '" + name() + "' used before initialization");
  }

  std::shared_ptr<TaggerModel> model_;
  bool overwrite_;
};

}  // namespace

void register_senter() {
  register_tagger_architectures();
  add_placeholder_scorer("spacy.senter_scorer.v1");
  FactoryMeta meta;
  meta.name = "senter";
  Json tok2vec = default_hash_embed_cnn();
  // spaCy's DEFAULT_SENTER_MODEL: a small tok2vec of its own.
  tok2vec["width"] = 12;
  tok2vec["depth"] = 1;
  tok2vec["maxout_pieces"] = 2;
  meta.default_config = Json{{"model", Json{{"@architectures", "spacy.Tagger.v2"},
                                            {"nO", nullptr},
                                            {"normalize", false},
                                            {"tok2vec", tok2vec}}},
                             {"overwrite", false},
                             {"scorer", Json{{"@scorers", "spacy.senter_scorer.v1"}}}};
  meta.assigns = {"token.is_sent_start"};
  meta.default_score_weights = Json{{"sents_f", 1.0}, {"sents_p", 0.0}, {"sents_r", 0.0}};
  meta.make = [](Language&, const std::string& name, const registry::Value& config) {
    return std::unique_ptr<Pipe>(std::make_unique<SenterPipe>(
        name, component_model<TaggerModel>(config, name), registry::get_bool(config, "overwrite")));
  };
  register_factory(std::move(meta));
}

}  // namespace trfpipe
