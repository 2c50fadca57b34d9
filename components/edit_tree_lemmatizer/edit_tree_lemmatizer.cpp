#include "components/edit_tree_lemmatizer/edit_tree_lemmatizer.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <unordered_map>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "components/common/registration.hpp"
#include "components/common/tagger_model.hpp"
#include "components/common/torch_pipe.hpp"
#include "components/edit_tree_lemmatizer/edit_trees.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe {

namespace {

namespace fs = std::filesystem;
using edit_trees::EditTrees;

// The Token attributes `backoff` may name (spaCy: getattr(token, backoff), an ID attribute).
enum class Backoff { None, Orth, Lower, Norm, Shape, Prefix, Suffix };

Backoff parse_backoff(const registry::Value& config, const std::string& component) {
  if (registry::is_null(config, "backoff")) return Backoff::None;
  const std::string b = registry::get_str(config, "backoff");
  if (b == "orth") return Backoff::Orth;
  if (b == "lower") return Backoff::Lower;
  if (b == "norm") return Backoff::Norm;
  if (b == "shape") return Backoff::Shape;
  if (b == "prefix") return Backoff::Prefix;
  if (b == "suffix") return Backoff::Suffix;
  throw ConfigError({"components", component, "backoff"},
                    "unsupported backoff '" + b +
                        "' (a Token ID attribute: orth, lower, norm, shape, prefix, suffix; or null)");
}

hash_t backoff_value(const Token& t, Backoff b) {
  switch (b) {
    case Backoff::Orth: return t.orth();
    case Backoff::Lower: return t.lower();
    case Backoff::Norm: return t.norm();
    case Backoff::Shape: return t.shape();
    case Backoff::Prefix: return t.prefix();
    case Backoff::Suffix: return t.suffix();
    case Backoff::None: break;
  }
  return 0;
}

// Per doc, per token: the tree id to apply, or -1 (none applies: back off).
using Guesses = std::vector<std::vector<int64_t>>;

class EditTreeLemmatizerPipe : public TorchPipe {
 public:
  EditTreeLemmatizerPipe(std::string name, std::shared_ptr<TaggerModel> model,
                         std::shared_ptr<Vocab> vocab, Backoff backoff, int64_t min_tree_freq,
                         bool overwrite, int64_t top_k)
      : TorchPipe(std::move(name)),
        model_(std::move(model)),
        vocab_(std::move(vocab)),
        trees_(vocab_->strings()),
        backoff_(backoff),
        min_tree_freq_(min_tree_freq),
        overwrite_(overwrite),
        top_k_(top_k) {}

  // spaCy's labels are the tree ids (hidden labels); they are given here as strings.
  std::vector<std::string> labels() const override {
    std::vector<std::string> out;
    for (uint32_t t : labels_) out.push_back(std::to_string(t));
    return out;
  }

  std::any predict(const std::vector<Doc*>& docs) override {
    Guesses guesses(docs.size());
    if (total_tokens(docs) == 0) return guesses;
    require_labels();
    at::NoGradGuard no_grad;
    at::Tensor scores = model_->forward(docs, false).contiguous();
    const int64_t C = scores.size(1);
    const float* row = scores.data_ptr<float>();
    const int64_t k_max = std::min<int64_t>(std::max<int64_t>(top_k_, 0), C);
    std::vector<int64_t> order(static_cast<size_t>(C));
    for (size_t d = 0; d < docs.size(); ++d) {
      for (size_t i = 0; i < docs[d]->size(); ++i, row += C) {
        const std::string_view text = docs[d]->token(i).text();
        // The k best candidates, best first (the lower index wins a tie, as argmax). spaCy takes
        // argmaxes one by one, or sorts above top_k 20: the same candidates in the same order.
        for (int64_t c = 0; c < C; ++c) order[size_t(c)] = c;
        std::partial_sort(order.begin(), order.begin() + k_max, order.end(),
                          [&](int64_t a, int64_t b) {
                            return row[a] > row[b] || (row[a] == row[b] && a < b);
                          });
        int64_t chosen = -1;
        for (int64_t k = 0; k < k_max && chosen < 0; ++k) {
          const uint32_t tree = labels_[size_t(order[size_t(k)])];
          if (trees_.apply(tree, text)) chosen = tree;
        }
        guesses[d].push_back(chosen);
      }
    }
    return guesses;
  }

  void set_annotations(const std::vector<Doc*>& docs, const std::any& scores) override {
    const auto& guesses = std::any_cast<const Guesses&>(scores);
    for (size_t d = 0; d < docs.size(); ++d) {
      Doc& doc = *docs[d];
      for (size_t j = 0; j < guesses[d].size() && j < doc.size(); ++j) {
        Token token = doc[j];
        if (!overwrite_ && token.data().lemma != 0) continue;
        const int64_t tree = guesses[d][j];
        if (tree < 0) {
          if (backoff_ != Backoff::None) token.data().lemma = backoff_value(token, backoff_);
        } else {
          token.set_lemma(*trees_.apply(uint32_t(tree), token.text()));
        }
      }
    }
  }

  void update(const std::vector<Example>& examples, double drop, Optimizer* sgd,
              Losses& losses) override {
    losses.emplace(name(), 0.0);
    std::vector<Doc*> docs = predicted_docs(examples);
    if (total_tokens(docs) == 0) return;
    require_labels();
    model_->tok2vec()->set_dropout(drop);
    at::Tensor logits = model_->forward(docs, true);
    std::vector<TokenTarget> truths;
    for (const Example& eg : examples) {
      const auto lemmas = eg.get_aligned("LEMMA");
      for (size_t i = 0; i < eg.predicted().size(); ++i) {
        TokenTarget& t = truths.emplace_back();
        if (!lemmas[i] || lemmas[i]->empty()) continue;  // missing or misaligned
        const uint32_t tree = trees_.add(eg.predicted().token(i).text(), *lemmas[i]);
        // As spaCy's get_loss: a tree that is not a label trains towards label 0.
        auto it = tree2label_.find(tree);
        t.label = it == tree2label_.end() ? 0 : it->second;
      }
    }
    const double loss = xent_backward(logits, truths, 0.0);
    finish_backward(losses);
    losses[name()] += loss;
    if (sgd) finish_update(*sgd);
  }

  // spaCy's _labels_from_data: trees counted in a scratch container; each tree seen at least
  // min_tree_freq times becomes a label (in order of first appearance), rebuilt here from its
  // last form/lemma pair.
  // spaCy's label_data: {"trees": the edit trees (strings as text), "labels": tree ids}.
  Json label_data() const override {
    Json trees = Json::array(), labels = Json::array();
    for (size_t t = 0; t < trees_.size(); ++t) trees.push_back(trees_.node_to_json(uint32_t(t), true));
    for (uint32_t t : labels_) labels.push_back(t);
    return Json{{"trees", trees}, {"labels", labels}};
  }

  void initialize(const GetExamples& get_examples, Language& nlp) override {
    if (get_examples && !labels_given_) {
      StringStore scratch_strings;
      EditTrees scratch(scratch_strings);
      std::vector<uint32_t> order;
      std::unordered_map<uint32_t, std::pair<int64_t, std::pair<std::string, std::string>>> seen;
      for (const Example& eg : get_examples()) {
        Doc& ref = eg.reference();
        for (size_t i = 0; i < ref.size(); ++i) {
          Token t = ref.token(i);
          if (t.data().lemma == 0) continue;
          const std::string form(t.text()), lemma = t.lemma_();
          const uint32_t id = scratch.add(form, lemma);
          auto [it, fresh] = seen.try_emplace(id);
          if (fresh) order.push_back(id);
          ++it->second.first;
          it->second.second = {form, lemma};
        }
      }
      for (uint32_t id : order) {
        const auto& [freq, pair] = seen[id];
        if (freq >= min_tree_freq_) add_tree_label(pair.first, pair.second);
      }
    }
    if (labels_.empty())
      throw ValueError("[E143] Labels for component '" + name() +
                       "' not initialized: the examples have no lemmas, or no edit tree is seen "
                       "min_tree_freq (" + std::to_string(min_tree_freq_) + ") times");
    (void)nlp;
    model_->initialize(int64_t(labels_.size()));
    initialized_ = true;
  }

  void to_disk(const std::string& dir) const override {
    TorchPipe::to_disk(dir);
    trees_.to_disk((fs::path(dir) / "trees").string());
  }

  void from_disk(const std::string& dir) override {
    TorchPipe::from_disk(dir);
    const std::string path = (fs::path(dir) / "trees").string();
    trees_ = EditTrees(vocab_->strings());
    trees_.from_disk(path);
    for (uint32_t t : labels_)
      if (t >= trees_.size())
        throw DataError(path, -1,
                        "component '" + name() + "': label " + std::to_string(t) +
                            " is not one of the " + std::to_string(trees_.size()) + " edit trees");
  }

 protected:
  // spaCy's _add_labels: label_data's trees and labels replace learning them from the examples.
  void set_initial_labels(const Json& labels, const std::string& source) override {
    if (!labels.is_object() || !labels.contains("trees") || !labels.contains("labels") ||
        !labels["labels"].is_array())
      throw DataError(source, -1,
                      "the labels of component '" + name() +
                          "' must be {\"trees\": [...], \"labels\": [...]} (spaCy's E857)");
    try {
      EditTrees trees(vocab_->strings());
      trees.from_json(labels["trees"]);
      std::vector<uint32_t> ids;
      for (const Json& l : labels["labels"]) {
        if (!l.is_number_unsigned() || l.get<uint64_t>() >= trees.size())
          throw ValueError("label " + l.dump() + " is not one of the " +
                           std::to_string(trees.size()) + " trees");
        ids.push_back(l.get<uint32_t>());
      }
      trees_ = std::move(trees);
      labels_.clear();
      tree2label_.clear();
      for (uint32_t t : ids) {
        tree2label_[t] = int64_t(labels_.size());
        labels_.push_back(t);
      }
    } catch (const ValueError& e) {
      throw DataError(source, -1, "component '" + name() + "': " + e.what());
    }
    labels_given_ = true;
  }
  void collect(NamedTensors& out) const override { model_->collect("", out); }
  Tok2VecModel* tok2vec_model() const override { return model_->tok2vec().get(); }
  Json cfg() const override {
    Json labels = Json::array();
    for (uint32_t t : labels_) labels.push_back(t);
    return Json{{"labels", labels}};
  }
  void load_cfg(const Json& c) override {
    labels_.clear();
    tree2label_.clear();
    const Json labels = c.value("labels", Json::array());
    if (!labels.is_array())
      throw ValueError("component '" + name() + "': cfg labels must be a list of tree ids");
    for (const Json& l : labels) {
      if (!l.is_number_unsigned())
        throw ValueError("component '" + name() + "': cfg label " + l.dump() +
                         " is not a tree id");
      tree2label_[l.get<uint32_t>()] = int64_t(labels_.size());
      labels_.push_back(l.get<uint32_t>());
    }
    if (!labels_.empty()) model_->initialize(int64_t(labels_.size()));
  }

 private:
  // spaCy's _pair2label(form, lemma, add_label=True).
  void add_tree_label(const std::string& form, const std::string& lemma) {
    const uint32_t tree = trees_.add(form, lemma);
    if (tree2label_.count(tree)) return;
    tree2label_[tree] = int64_t(labels_.size());
    labels_.push_back(tree);
  }

  void require_labels() const {
    if (labels_.empty() || !model_->initialized())
      throw Error("component '" + name() + "' used before initialization (no edit tree labels)");
  }

  std::shared_ptr<TaggerModel> model_;
  std::shared_ptr<Vocab> vocab_;
  EditTrees trees_;
  bool labels_given_ = false;  // initialize's labels came from label data, not the examples
  std::vector<uint32_t> labels_;  // tree ids, model output order (cfg "labels")
  std::unordered_map<uint32_t, int64_t> tree2label_;
  Backoff backoff_;
  int64_t min_tree_freq_;
  bool overwrite_;
  int64_t top_k_;
};

}  // namespace

void register_trainable_lemmatizer() {
  register_tagger_architectures();
  add_placeholder_scorer("spacy.lemmatizer_scorer.v1");
  FactoryMeta m;
  m.name = "trainable_lemmatizer";
  m.default_config = Json{{"model", Json{{"@architectures", "spacy.Tagger.v2"},
                                         {"tok2vec", default_hash_embed_cnn()}}},
                          {"backoff", "orth"},
                          {"min_tree_freq", 3},
                          {"overwrite", false},
                          {"top_k", 1},
                          {"scorer", Json{{"@scorers", "spacy.lemmatizer_scorer.v1"}}}};
  m.assigns = {"token.lemma"};
  m.default_score_weights = Json{{"lemma_acc", 1.0}};
  m.make = [](Language& nlp, const std::string& name, const registry::Value& config) {
    const int64_t top_k = registry::get_int(config, "top_k");
    if (top_k < 0) throw ConfigError({"components", name, "top_k"}, "top_k must not be negative");
    return std::unique_ptr<Pipe>(std::make_unique<EditTreeLemmatizerPipe>(
        name, component_model<TaggerModel>(config, name), nlp.vocab_ptr(),
        parse_backoff(config, name), registry::get_int(config, "min_tree_freq"),
        registry::get_bool(config, "overwrite"), top_k));
  };
  FactoryMeta experimental = m;
  experimental.name = "experimental_edit_tree_lemmatizer";
  register_factory(std::move(m));
  register_factory(std::move(experimental));
}

}  // namespace trfpipe
