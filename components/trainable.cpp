// The TorchPipe base, the tok2vec, tagger, textcat and textcat_multilabel components and the
// registration of the trainable factories (spaCy's names, default configs and score weights).
#include "components/trainable.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "models/safetensors.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"

namespace trfpipe {

namespace fs = std::filesystem;

namespace {
std::string shape_str(const at::Tensor& t) {
  std::string s = "(";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + ")";
}
}  // namespace

// ---- TorchPipe ----
NamedTensors TorchPipe::named_parameters() const {
  NamedTensors out;
  collect(out);
  return out;
}

void TorchPipe::finish_update(Optimizer& optimizer) { optimizer.step(name(), named_parameters()); }

std::vector<Listener*> TorchPipe::listeners() {
  Tok2VecModel* t = tok2vec_model();
  Listener* l = t ? t->listener() : nullptr;
  if (!l) return {};
  return {l};
}

void TorchPipe::finish_backward(Losses& losses) {
  if (Tok2VecModel* t = tok2vec_model()) t->finish_backward(losses);
}

bool TorchPipe::add_label_to(std::vector<std::string>& labels, const std::string& label) const {
  if (std::find(labels.begin(), labels.end(), label) != labels.end()) return false;
  require_not_initialized("add label '" + label + "'");
  labels.push_back(label);
  return true;
}

void TorchPipe::require_not_initialized(const std::string& what) const {
  if (initialized_)
    throw ValueError("Cannot " + what + " on component '" + name() +
                     "' after it was initialized (the output layer is already sized)");
}

void TorchPipe::to_disk(const std::string& dir) const {
  fs::create_directories(dir);
  {
    std::ofstream f(fs::path(dir) / "cfg");
    if (!f) throw Error("cannot write " + (fs::path(dir) / "cfg").string());
    f << cfg().dump(2);
  }
  if (const Tok2VecModel* t2v = tok2vec_model()) t2v->save_files(dir);
  models::TensorMap tensors;
  for (const auto& [n, p] : named_parameters()) tensors[n] = p.detach().contiguous();
  models::write_safetensors((fs::path(dir) / "model").string(), tensors);
}

void TorchPipe::from_disk(const std::string& dir) {
  const fs::path cfg_path = fs::path(dir) / "cfg", model_path = fs::path(dir) / "model";
  std::ifstream f(cfg_path);
  if (!f) throw DataError(cfg_path.string(), -1, "component '" + name() + "': cfg file missing");
  Json c;
  try {
    c = Json::parse(f);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(cfg_path.string(), -1, std::string("invalid JSON: ") + e.what());
  }
  if (Tok2VecModel* t2v = tok2vec_model()) t2v->load_files(dir);  // before sizing layers
  load_cfg(c);
  models::SafetensorsContent st = models::read_safetensors(model_path.string());
  at::NoGradGuard no_grad;
  for (const auto& [n, p] : named_parameters()) {
    auto it = st.tensors.find(n);
    if (it == st.tensors.end())
      throw DataError(model_path.string(), -1, "component '" + name() + "': no weights for '" + n + "'");
    if (it->second.sizes() != p.sizes())
      throw DataError(model_path.string(), -1,
                      "component '" + name() + "': weights '" + n + "' have shape " +
                          shape_str(it->second) + " but the model expects " + shape_str(p));
    at::Tensor(p).copy_(it->second.to(at::kFloat));
  }
  initialized_ = true;
}

namespace {

Json json_labels(const std::vector<std::string>& labels) {
  Json j = Json::array();
  for (const auto& l : labels) j.push_back(l);
  return j;
}

std::vector<Doc*> predicted_docs(const std::vector<Example>& examples) {
  std::vector<Doc*> docs;
  for (const auto& eg : examples) docs.push_back(&eg.predicted());
  return docs;
}

size_t total_tokens(const std::vector<Doc*>& docs) {
  size_t n = 0;
  for (const Doc* d : docs) n += d->size();
  return n;
}

template <class T>
std::shared_ptr<T> model_from(const registry::Value& config, const std::string& component) {
  const registry::Value& v = config.at("model");
  if (v.is_object())
    if (const auto* p = std::any_cast<std::shared_ptr<T>>(&v.object())) return *p;
  throw ConfigError({"components", component, "model"},
                    "the model (" + v.describe() + ") is not an architecture this component can use");
}

// ---- tok2vec ----
class Tok2VecPipe : public TorchPipe {
 public:
  Tok2VecPipe(std::string name, Tok2VecPtr model) : TorchPipe(std::move(name)), model_(std::move(model)) {}

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
  void on_pipeline_built(Language& nlp) override { nlp_ = &nlp; }
  std::vector<Listener*> listeners() override { return {}; }
  // The listeners of this upstream, in pipeline order.
  std::vector<Listener*> downstream_listeners() {
    return nlp_ ? find_listeners(*nlp_, "tok2vec", name()) : std::vector<Listener*>{};
  }

 protected:
  void collect(NamedTensors& out) const override { model_->collect("", out); }
  Tok2VecModel* tok2vec_model() const override { return nullptr; }
  Json cfg() const override { return Json::object(); }
  void load_cfg(const Json&) override {}

 private:
  Tok2VecPtr model_;
  Language* nlp_ = nullptr;
};

// ---- tagger ----
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

  std::any predict(const std::vector<Doc*>& docs) override {
    std::vector<std::vector<int64_t>> guesses(docs.size());
    if (total_tokens(docs) == 0) return guesses;
    at::NoGradGuard no_grad;
    at::Tensor ids = model_->forward(docs, false).argmax(1).contiguous();
    const int64_t* p = ids.data_ptr<int64_t>();
    for (size_t d = 0; d < docs.size(); ++d)
      for (size_t i = 0; i < docs[d]->size(); ++i) guesses[d].push_back(*p++);
    return guesses;
  }

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
    at::Tensor probs = at::softmax(logits.detach(), 1).contiguous();
    const int64_t N = probs.size(0), C = probs.size(1);
    at::Tensor d = at::zeros({N, C}, at::kFloat);
    auto P = probs.accessor<float, 2>();
    auto D = d.accessor<float, 2>();
    const double ls = label_smoothing_;
    int64_t row = 0;
    for (const auto& eg : examples) {
      std::vector<std::string> gold = eg.get_aligned_tags();
      for (size_t i = 0; i < eg.predicted().size(); ++i, ++row) {
        const std::string g = i < gold.size() ? gold[i] : std::string();
        if (g.empty()) continue;
        bool negative = !neg_prefix_.empty() && g.size() > neg_prefix_.size() &&
                        g.compare(0, neg_prefix_.size(), neg_prefix_) == 0;
        std::string label = negative ? g.substr(neg_prefix_.size()) : g;
        auto it = std::find(labels_.begin(), labels_.end(), label);
        if (it == labels_.end()) continue;  // unknown label: treated as missing
        const int64_t c = it - labels_.begin();
        if (negative) {
          D[row][c] = P[row][c];
          continue;
        }
        for (int64_t k = 0; k < C; ++k) {
          double target = k == c ? 1.0 - ls : (C > 1 ? ls / double(C - 1) : 0.0);
          D[row][k] = float(P[row][k] - target);
        }
      }
    }
    const double loss = d.pow(2).sum().item<double>();
    (logits * d).sum().backward();
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

// ---- textcat / textcat_multilabel ----
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
        if (it == cats.end()) M[i][j] = 0.f;
        else T[i][j] = float(it->second);
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
        throw ValueError("positive_label is only allowed for binary classification (two "
                         "labels), '" + name() + "' has " + std::to_string(labels_.size()));
    }
    model_->initialize(int64_t(labels_.size()));
    initialized_ = true;
  }

 protected:
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

// ---- default configs ----
}  // namespace

Json default_hash_embed_cnn() {
  return Json{{"@architectures", "spacy.HashEmbedCNN.v2"},
              {"pretrained_vectors", nullptr},
              {"width", 96},
              {"depth", 4},
              {"embed_size", 2000},
              {"window_size", 1},
              {"maxout_pieces", 3},
              {"subword_features", true}};
}

namespace {

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

Json textcat_weights() {
  return Json{{"cats_score", 1.0},       {"cats_score_desc", nullptr}, {"cats_micro_p", nullptr},
              {"cats_micro_r", nullptr}, {"cats_micro_f", nullptr},    {"cats_macro_p", nullptr},
              {"cats_macro_r", nullptr}, {"cats_macro_f", nullptr},    {"cats_macro_auc", nullptr},
              {"cats_f_per_type", nullptr}};
}

void add_placeholder_scorer(const std::string& name) {
  // The training area registers the real scorers; this keeps the default configs resolvable
  // in a process without them (the component does not use the scorer object).
  auto& reg = registry::get("scorers");
  if (reg.has(name)) return;
  registry::Function f;
  f.name = name;
  f.make = [name](const registry::Value&, const std::vector<std::string>&) -> std::any {
    return name;
  };
  f.returns = "Callable";
  reg.add(std::move(f));
}

}  // namespace

void register_trainable_components() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_architectures();
    for (const char* s : {"spacy.tagger_scorer.v1", "spacy.ner_scorer.v1", "spacy.textcat_scorer.v2",
                          "spacy.textcat_multilabel_scorer.v2"})
      add_placeholder_scorer(s);

    FactoryMeta tok2vec;
    tok2vec.name = "tok2vec";
    tok2vec.default_config = Json{{"model", default_hash_embed_cnn()}};
    tok2vec.assigns = {"doc.tensor"};
    tok2vec.make = [](Language& nlp, const std::string& name, const registry::Value& config) {
      return std::unique_ptr<Pipe>(
          std::make_unique<Tok2VecPipe>(name, model_from<Tok2VecModel>(config, name)));
    };
    register_factory(std::move(tok2vec));

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
          name, model_from<TaggerModel>(config, name), registry::get_bool(config, "overwrite"),
          registry::get_str(config, "neg_prefix"), registry::get_float(config, "label_smoothing")));
    };
    register_factory(std::move(tagger));

    for (bool multi : {false, true}) {
      FactoryMeta tc;
      tc.name = multi ? "textcat_multilabel" : "textcat";
      tc.default_config = Json{{"threshold", multi ? 0.5 : 0.0},
                               {"model", textcat_model(!multi)},
                               {"scorer", Json{{"@scorers", multi ? "spacy.textcat_multilabel_scorer.v2"
                                                                  : "spacy.textcat_scorer.v2"}}}};
      tc.assigns = {"doc.cats"};
      tc.default_score_weights = textcat_weights();
      tc.make = [multi](Language& nlp, const std::string& name, const registry::Value& config) {
        std::optional<std::string> positive;
        if (config.has("positive_label") && !registry::is_null(config, "positive_label"))
          positive = registry::get_str(config, "positive_label");
        return std::unique_ptr<Pipe>(std::make_unique<TextCatPipe>(
            name, model_from<TextCatModel>(config, name), multi,
            registry::get_float(config, "threshold"), positive));
      };
      register_factory(std::move(tc));
    }
    register_ner_component();
  });
}

}  // namespace trfpipe
