#include "components/tagger/tagger.hpp"

#include <algorithm>

#include <ATen/ATen.h>

#include "components/common/registration.hpp"
#include "components/common/torch_pipe.hpp"
#include "components/common/tagger_model.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe {

namespace {

class TaggerPipe : public TorchPipe {
 public:
  TaggerPipe(std::string name, std::shared_ptr<TaggerModel> model, bool overwrite,
             std::string neg_prefix, double label_smoothing)
      : TorchPipe(std::move(name)),
        model_(std::move(model)),
        overwrite_(overwrite),
        neg_prefix_(std::move(neg_prefix)),
        label_smoothing_(label_smoothing) {}

  std::vector<std::string> labels() const override { return labels_; }

  bool add_label(const std::string& label) override { return add_label_to(labels_, label); }
  Json label_data() const override { return json_labels(labels_); }

  std::any predict(const std::vector<Doc*>& docs) override { return model_->best_labels(docs); }

  void set_annotations(const std::vector<Doc*>& docs, const std::any& scores) override {
    const auto& guesses = std::any_cast<const std::vector<std::vector<int64_t>>&>(scores);
    for (size_t d = 0; d < docs.size(); ++d) {
      Doc& doc = *docs[d];
      for (size_t i = 0; i < guesses[d].size() && i < doc.size(); ++i) {
        if (!overwrite_ && doc.tokens()[i].tag != 0) continue;
        doc[i].set_tag(labels_.at(size_t(guesses[d][i])));
      }
    }
  }

  void update(const std::vector<Example>& examples, double drop, Optimizer* sgd,
              Losses& losses) override {
    losses.emplace(name(), 0.0);
    std::vector<Doc*> docs = predicted_docs(examples);
    if (total_tokens(docs) == 0) return;
    model_->tok2vec()->set_dropout(drop);
    at::Tensor logits = model_->forward(docs, true);
    std::vector<TokenTarget> targets;
    for (const auto& eg : examples) {
      std::vector<std::string> gold = eg.get_aligned_tags();
      for (size_t i = 0; i < eg.predicted().size(); ++i) {
        TokenTarget& t = targets.emplace_back();
        const std::string g = i < gold.size() ? gold[i] : std::string();
        if (g.empty()) continue;
        t.negative = !neg_prefix_.empty() && g.size() > neg_prefix_.size() &&
                     g.compare(0, neg_prefix_.size(), neg_prefix_) == 0;
        std::string label = t.negative ? g.substr(neg_prefix_.size()) : g;
        auto it = std::find(labels_.begin(), labels_.end(), label);
        if (it != labels_.end()) t.label = it - labels_.begin();  // unknown label: missing
      }
    }
    const double loss = xent_backward(logits, targets, label_smoothing_);
    finish_backward(losses);
    losses[name()] += loss;
    if (sgd) finish_update(*sgd);
  }

  void initialize(const GetExamples& get_examples, Language& nlp) override {
    if (labels_.empty() && get_examples) {
      std::vector<std::string> tags;
      for (const Example& eg : get_examples()) {
        Doc& ref = eg.reference();
        for (size_t i = 0; i < ref.size(); ++i) {
          std::string t = ref.token(i).tag_();
          if (!t.empty()) tags.push_back(t);
        }
      }
      std::sort(tags.begin(), tags.end());
      tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
      for (const auto& t : tags) add_label(t);
    }
    if (labels_.empty())
      throw ValueError("Cannot initialize component '" + name() +
                       "': no labels (the examples have no tags and none were added)");
    for (const auto& l : labels_) nlp.vocab().strings().add(l);
    model_->initialize(int64_t(labels_.size()));
    initialized_ = true;
  }

 protected:
  void set_initial_labels(const Json& labels, const std::string& source) override {
    for (const auto& l : label_list(labels, source)) add_label(l);
  }
  void collect(NamedTensors& out) const override { model_->collect("", out); }
  Tok2VecModel* tok2vec_model() const override { return model_->tok2vec().get(); }
  Json cfg() const override {
    return Json{{"label_smoothing", label_smoothing_},
                {"labels", json_labels(labels_)},
                {"neg_prefix", neg_prefix_},
                {"overwrite", overwrite_}};
  }
  void load_cfg(const Json& c) override {
    labels_ = c.value("labels", std::vector<std::string>{});
    label_smoothing_ = c.value("label_smoothing", label_smoothing_);
    neg_prefix_ = c.value("neg_prefix", neg_prefix_);
    overwrite_ = c.value("overwrite", overwrite_);
    if (!labels_.empty()) model_->initialize(int64_t(labels_.size()));
  }

 private:
  std::shared_ptr<TaggerModel> model_;
  std::vector<std::string> labels_;
  bool overwrite_;
  std::string neg_prefix_;
  double label_smoothing_;
};

}  // namespace

void register_tagger() {
  register_tagger_architectures();
  add_placeholder_scorer("spacy.tagger_scorer.v1");
  FactoryMeta tagger;
  tagger.name = "tagger";
  tagger.default_config = Json{{"model", Json{{"@architectures", "spacy.Tagger.v2"},
                                              {"nO", nullptr},
                                              {"normalize", false},
                                              {"tok2vec", default_hash_embed_cnn()}}},
                               {"overwrite", false},
                               {"scorer", Json{{"@scorers", "spacy.tagger_scorer.v1"}}},
                               {"neg_prefix", "!"},
                               {"label_smoothing", 0.0}};
  tagger.assigns = {"token.tag"};
  tagger.default_score_weights = Json{{"tag_acc", 1.0},
                                      {"pos_acc", 0.0},
                                      {"tag_micro_p", nullptr},
                                      {"tag_micro_r", nullptr},
                                      {"tag_micro_f", nullptr}};
  tagger.make = [](Language& nlp, const std::string& name, const registry::Value& config) {
    return std::unique_ptr<Pipe>(std::make_unique<TaggerPipe>(
        name, component_model<TaggerModel>(config, name), registry::get_bool(config, "overwrite"),
        registry::get_str(config, "neg_prefix"), registry::get_float(config, "label_smoothing")));
  };
  register_factory(std::move(tagger));
}

}  // namespace trfpipe
