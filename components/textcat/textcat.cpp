#include "components/textcat/textcat.hpp"

#include <algorithm>
#include <optional>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "components/common/registration.hpp"
#include "components/common/torch_pipe.hpp"
#include "components/textcat/textcat_models.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe {

namespace {

class TextCatPipe : public TorchPipe {
 public:
  TextCatPipe(std::string name, std::shared_ptr<TextCatModel> model, bool multilabel,
              double threshold, std::optional<std::string> positive_label)
      : TorchPipe(std::move(name)),
        model_(std::move(model)),
        multilabel_(multilabel),
        threshold_(threshold),
        positive_label_(std::move(positive_label)) {}

  std::vector<std::string> labels() const override { return labels_; }

  bool add_label(const std::string& label) override { return add_label_to(labels_, label); }
  Json label_data() const override { return json_labels(labels_); }

  std::any predict(const std::vector<Doc*>& docs) override {
    if (docs.empty()) return at::zeros({0, int64_t(labels_.size())}, at::kFloat);
    at::NoGradGuard no_grad;
    return model_->forward(docs, false).contiguous();
  }

  void set_annotations(const std::vector<Doc*>& docs, const std::any& scores) override {
    at::Tensor s = std::any_cast<const at::Tensor&>(scores);
    auto S = s.accessor<float, 2>();
    for (size_t d = 0; d < docs.size(); ++d)
      for (size_t j = 0; j < labels_.size(); ++j) docs[d]->cats()[labels_[j]] = double(S[d][j]);
  }

  void update(const std::vector<Example>& examples, double drop, Optimizer* sgd,
              Losses& losses) override {
    losses.emplace(name(), 0.0);
    if (examples.empty()) return;
    validate_categories(examples);
    std::vector<Doc*> docs = predicted_docs(examples);
    model_->set_dropout(drop);
    at::Tensor scores = model_->forward(docs, true);
    const int64_t B = int64_t(examples.size()), C = int64_t(labels_.size());
    at::Tensor truths = at::zeros({B, C}, at::kFloat), mask = at::ones({B, C}, at::kFloat);
    auto T = truths.accessor<float, 2>();
    auto M = mask.accessor<float, 2>();
    for (int64_t i = 0; i < B; ++i) {
      const auto& cats = examples[size_t(i)].reference().cats();
      for (int64_t j = 0; j < C; ++j) {
        auto it = cats.find(labels_[size_t(j)]);
        if (it == cats.end())
          M[i][j] = 0.f;
        else
          T[i][j] = float(it->second);
      }
    }
    at::Tensor d = (scores.detach() - truths) * mask;
    const double loss = d.pow(2).mean().item<double>();
    (scores * d).sum().backward();
    finish_backward(losses);
    losses[name()] += loss;
    if (sgd) finish_update(*sgd);
  }

  void initialize(const GetExamples& get_examples, Language& nlp) override {
    if (labels_.empty() && get_examples) {
      std::vector<Example> egs = get_examples();
      for (const Example& eg : egs)
        for (const auto& [label, v] : eg.reference().cats()) add_label(label);
      validate_categories(egs);
    }
    if (!multilabel_ && labels_.size() < 2)
      throw ValueError("The 'textcat' component '" + name() +
                       "' requires at least two labels because it uses mutually exclusive "
                       "classes; use 'textcat_multilabel' for one label (spaCy's E867)");
    if (labels_.empty())
      throw ValueError("Cannot initialize component '" + name() + "': no labels");
    if (positive_label_) {
      if (std::find(labels_.begin(), labels_.end(), *positive_label_) == labels_.end())
        throw ValueError("The positive label '" + *positive_label_ +
                         "' is not one of the labels of '" + name() + "' (spaCy's E920)");
      if (labels_.size() != 2)
        throw ValueError(
            "positive_label is only allowed for binary classification (two "
            "labels), '" +
            name() + "' has " + std::to_string(labels_.size()));
    }
    model_->initialize(int64_t(labels_.size()));
    initialized_ = true;
  }

 protected:
  void set_initial_labels(const Json& labels, const std::string& source) override {
    for (const auto& l : label_list(labels, source)) add_label(l);
  }
  // spaCy's textcat.initialize(..., positive_label=...).
  bool initialize_setting(const std::string& key, const registry::Value& value) override {
    if (key != "positive_label" || multilabel_) return false;
    if (value.is_null()) {
      positive_label_.reset();
    } else if (value.is_json() && value.json().is_string()) {
      positive_label_ = value.json().get<std::string>();
    } else {
      throw ConfigError({"initialize", "components", name(), key},
                        "expected a label (a string) or null, got " + value.describe());
    }
    return true;
  }
  void collect(NamedTensors& out) const override { model_->collect("", out); }
  Tok2VecModel* tok2vec_model() const override {
    Tok2VecPtr t = model_->tok2vec();
    return t.get();
  }
  Json cfg() const override {
    Json c{{"labels", json_labels(labels_)}, {"threshold", threshold_}};
    if (!multilabel_) c["positive_label"] = positive_label_ ? Json(*positive_label_) : Json();
    return c;
  }
  void load_cfg(const Json& c) override {
    labels_ = c.value("labels", std::vector<std::string>{});
    threshold_ = c.value("threshold", threshold_);
    if (c.contains("positive_label") && c["positive_label"].is_string())
      positive_label_ = c["positive_label"].get<std::string>();
    if (!labels_.empty()) model_->initialize(int64_t(labels_.size()));
  }

 private:
  void validate_categories(const std::vector<Example>& examples) const {
    for (size_t i = 0; i < examples.size(); ++i) {
      int positives = 0;
      for (const auto& [label, v] : examples[i].reference().cats()) {
        if (v != 0.0 && v != 1.0)
          throw ValueError("example " + std::to_string(i) + ": the value of category '" + label +
                           "' must be 0.0 or 1.0, not " + std::to_string(v) + " (spaCy's E851)");
        if (v == 1.0) ++positives;
      }
      if (!multilabel_ && positives > 1)
        throw ValueError("example " + std::to_string(i) +
                         ": more than one positive category for the exclusive 'textcat' "
                         "component; use 'textcat_multilabel' (spaCy's E895)");
    }
  }

  std::shared_ptr<TextCatModel> model_;
  bool multilabel_;
  std::vector<std::string> labels_;
  double threshold_;
  std::optional<std::string> positive_label_;
};

Json textcat_model(bool exclusive) {
  return Json{
      {"@architectures", "spacy.TextCatEnsemble.v2"},
      {"tok2vec",
       Json{{"@architectures", "spacy.Tok2Vec.v2"},
            {"embed", Json{{"@architectures", "spacy.MultiHashEmbed.v2"},
                           {"width", 64},
                           {"rows", Json::array({2000, 2000, 500, 1000, 500})},
                           {"attrs", Json::array({"NORM", "LOWER", "PREFIX", "SUFFIX", "SHAPE"})},
                           {"include_static_vectors", false}}},
            {"encode", Json{{"@architectures", "spacy.MaxoutWindowEncoder.v2"},
                            {"width", 64},
                            {"window_size", 1},
                            {"maxout_pieces", 3},
                            {"depth", 2}}}}},
      {"linear_model", Json{{"@architectures", "spacy.TextCatBOW.v3"},
                            {"exclusive_classes", exclusive},
                            {"length", 262144},
                            {"ngram_size", 1},
                            {"no_output_layer", false}}}};
}

}  // namespace

void register_textcat() {
  register_textcat_architectures();
  add_placeholder_scorer("spacy.textcat_scorer.v2");
  add_placeholder_scorer("spacy.textcat_multilabel_scorer.v2");
  for (bool multi : {false, true}) {
    FactoryMeta tc;
    tc.name = multi ? "textcat_multilabel" : "textcat";
    tc.default_config =
        Json{{"threshold", multi ? 0.5 : 0.0},
             {"model", textcat_model(!multi)},
             {"scorer", Json{{"@scorers", multi ? "spacy.textcat_multilabel_scorer.v2"
                                                : "spacy.textcat_scorer.v2"}}}};
    tc.assigns = {"doc.cats"};
    tc.default_score_weights = textcat_score_weights();
    tc.make = [multi](Language& nlp, const std::string& name, const registry::Value& config) {
      std::optional<std::string> positive;
      if (config.has("positive_label") && !registry::is_null(config, "positive_label"))
        positive = registry::get_str(config, "positive_label");
      return std::unique_ptr<Pipe>(
          std::make_unique<TextCatPipe>(name, component_model<TextCatModel>(config, name), multi,
                                        registry::get_float(config, "threshold"), positive));
    };
    register_factory(std::move(tc));
  }
}

}  // namespace trfpipe
