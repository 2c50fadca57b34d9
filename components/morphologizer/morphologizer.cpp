#include "components/morphologizer/morphologizer.hpp"

#include <unordered_map>

#include <ATen/ATen.h>

#include "components/common/registration.hpp"
#include "components/common/tagger_model.hpp"
#include "components/common/torch_pipe.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/morphology.hpp"

namespace trfpipe {

namespace {

constexpr const char* kPosField = "POS";

// The combined label of a morph string and a UPOS ("" = none): spaCy's
// morphology.add(feats_to_dict(morph) + {"POS": pos}).
std::string combined_label(const std::string& morph, const std::string& pos) {
  FeatsDict d = morphology::feats_to_dict(morph);
  if (!pos.empty()) d[kPosField] = pos;
  return morphology::normalize_features(d);
}

class MorphologizerPipe : public TorchPipe {
 public:
  MorphologizerPipe(std::string name, std::shared_ptr<TaggerModel> model, bool overwrite,
                    bool extend, double label_smoothing)
      : TorchPipe(std::move(name)),
        model_(std::move(model)),
        overwrite_(overwrite),
        extend_(extend),
        label_smoothing_(label_smoothing) {}

  std::vector<std::string> labels() const override { return labels_; }

  // spaCy's add_label: the label is a FEATS string that may hold a POS feature; it is stored
  // normalized, with its morph part and its POS split off.
  bool add_label(const std::string& label) override {
    if (index_.count(label)) return false;
    require_not_initialized("add label '" + label + "'");
    FeatsDict d = morphology::feats_to_dict(label);
    std::string pos;
    if (auto it = d.find(kPosField); it != d.end()) {
      pos = it->second;
      d.erase(it);
    }
    const std::string norm = morphology::normalize_features(label);
    if (!index_.count(norm)) add_entry(norm, morphology::normalize_features(d), pos);
    return true;
  }

  std::any predict(const std::vector<Doc*>& docs) override {
    return model_->best_labels(docs);
  }

  void set_annotations(const std::vector<Doc*>& docs, const std::any& scores) override {
    const auto& guesses = std::any_cast<const std::vector<std::vector<int64_t>>&>(scores);
    for (size_t d = 0; d < docs.size(); ++d) {
      Doc& doc = *docs[d];
      for (size_t j = 0; j < guesses[d].size() && j < doc.size(); ++j) {
        const size_t k = size_t(guesses[d][j]);
        TokenData& t = doc.tokens()[j];
        Token token = doc[j];
        if (t.morph == 0 || overwrite_ || extend_) {
          if (extend_) {
            // overwrite + extend: predicted features replace existing ones of the same field;
            // extend alone: existing features win.
            FeatsDict existing = token.morph().to_dict();
            FeatsDict predicted = morphology::feats_to_dict(labels_morph_[k]);
            FeatsDict& base = overwrite_ ? existing : predicted;
            const FeatsDict& top = overwrite_ ? predicted : existing;
            for (const auto& [field, values] : top) base[field] = values;
            token.set_morph(base);
          } else {
            token.set_morph(labels_morph_[k]);
          }
        }
        if (t.pos == 0 || overwrite_) t.pos = labels_pos_[k];
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
    std::vector<TokenTarget> truths;
    for (const Example& eg : examples) {
      const auto pos = eg.get_aligned("POS");
      const auto morphs = eg.get_aligned("MORPH");
      for (size_t i = 0; i < eg.predicted().size(); ++i) {
        TokenTarget& t = truths.emplace_back();
        // Misaligned POS or morph, or both unset: missing. Unknown labels: missing too.
        if (!pos[i] || !morphs[i] || (pos[i]->empty() && morphs[i]->empty())) continue;
        auto it = index_.find(combined_label(*morphs[i], *pos[i]));
        if (it != index_.end()) t.label = it->second;
      }
    }
    const double loss = xent_backward(logits, truths, label_smoothing_);
    finish_backward(losses);
    losses[name()] += loss;
    if (sgd) finish_update(*sgd);
  }

  // spaCy's initialize: every combination of morph and POS in the reference docs becomes a
  // label (tokens with neither are skipped), after any labels added before.
  void initialize(const GetExamples& get_examples, Language& nlp) override {
    if (get_examples) {
      size_t index = 0;
      for (const Example& eg : get_examples()) {
        Doc& ref = eg.reference();
        for (size_t i = 0; i < ref.size(); ++i) {
          Token t = ref.token(i);
          const std::string pos = t.pos_();
          if (pos.empty() && !t.has_morph()) continue;
          if (!morphology::is_universal_pos(pos))
            throw ValueError("component '" + name() + "': example " + std::to_string(index) +
                             ", token " + std::to_string(i) + " has POS '" + pos +
                             "', which is not a Universal POS tag");
          const std::string morph = t.morph().to_string();
          const std::string label = combined_label(morph, pos);
          if (!index_.count(label)) add_entry(label, morph, pos);
        }
        ++index;
      }
    }
    if (labels_.empty())
      throw ValueError("[E143] Labels for component '" + name() +
                       "' not initialized: call add_label, or give the component examples with "
                       "morphological features or POS tags to initialize from");
    for (size_t k = 0; k < labels_.size(); ++k) {
      nlp.vocab().strings().add(labels_[k]);
      nlp.vocab().strings().add(morphology::normalize_features(labels_morph_[k]));
    }
    model_->initialize(int64_t(labels_.size()));
    initialized_ = true;
  }

 // spaCy's label_data: {"morph": {label: FEATS without POS}, "pos": {label: POS symbol ID}}.
  Json label_data() const override {
    Json morph = Json::object(), pos = Json::object();
    for (size_t i = 0; i < labels_.size(); ++i) {
      morph[labels_[i]] = labels_morph_[i];
      pos[labels_[i]] = labels_pos_[i];
    }
    return Json{{"morph", morph}, {"pos", pos}};
  }

 protected:
  // label_data's form (the labels are the keys of "morph"), or a list of labels.
  void set_initial_labels(const Json& labels, const std::string& source) override {
    if (labels.is_object() && labels.contains("morph") && labels["morph"].is_object()) {
      for (const auto& [label, morph] : labels["morph"].items()) add_label(label);
      return;
    }
    for (const auto& l : label_list(labels, source)) add_label(l);
  }
  void collect(NamedTensors& out) const override { model_->collect("", out); }
  Tok2VecModel* tok2vec_model() const override { return model_->tok2vec().get(); }
  // spaCy's cfg, keys sorted as Morphologizer.__init__ sorts them; the label dicts keep the
  // label order (it is the order of the model's outputs).
  Json cfg() const override {
    Json morph = Json::object(), pos = Json::object();
    for (size_t k = 0; k < labels_.size(); ++k) {
      morph[labels_[k]] = labels_morph_[k];
      pos[labels_[k]] = labels_pos_[k];
    }
    return Json{{"extend", extend_},
                {"label_smoothing", label_smoothing_},
                {"labels_morph", morph},
                {"labels_pos", pos},
                {"overwrite", overwrite_}};
  }
  void load_cfg(const Json& c) override {
    auto bad = [&](const std::string& what) {
      return ValueError("component '" + name() + "': cfg " + what);
    };
    labels_.clear();
    labels_morph_.clear();
    labels_pos_.clear();
    index_.clear();
    const Json morph = c.value("labels_morph", Json::object());
    const Json pos = c.value("labels_pos", Json::object());
    if (!morph.is_object() || !pos.is_object())
      throw bad("labels_morph and labels_pos must be objects");
    for (auto it = morph.begin(); it != morph.end(); ++it) {
      if (!it.value().is_string()) throw bad("labels_morph['" + it.key() + "'] is not a string");
      auto p = pos.find(it.key());
      if (p == pos.end() || !p->is_number_unsigned())
        throw bad("labels_pos['" + it.key() + "'] is missing or not a POS symbol ID");
      labels_.push_back(it.key());
      labels_morph_.push_back(it.value().get<std::string>());
      labels_pos_.push_back(p->get<hash_t>());
      index_[it.key()] = int64_t(labels_.size() - 1);
    }
    for (const char* key : {"extend", "overwrite"})
      if (c.contains(key) && !c[key].is_boolean()) throw bad(std::string(key) + " must be a bool");
    extend_ = c.value("extend", extend_);
    overwrite_ = c.value("overwrite", overwrite_);
    label_smoothing_ = c.value("label_smoothing", label_smoothing_);
    if (!labels_.empty()) model_->initialize(int64_t(labels_.size()));
  }

 private:
  void add_entry(const std::string& label, const std::string& morph, const std::string& pos) {
    const hash_t pos_id = pos.empty() ? 0 : symbol_id(pos);
    if (!morphology::is_universal_pos(pos))
      throw ValueError("component '" + name() + "': label '" + label + "' has POS '" + pos +
                       "', which is not a Universal POS tag");
    labels_.push_back(label);
    labels_morph_.push_back(morph);
    labels_pos_.push_back(pos_id);
    index_[label] = int64_t(labels_.size() - 1);
  }

  std::shared_ptr<TaggerModel> model_;
  std::vector<std::string> labels_;       // normalized morph+POS labels, model output order
  std::vector<std::string> labels_morph_; // label -> its morph (cfg labels_morph)
  std::vector<hash_t> labels_pos_;        // label -> its POS symbol ID, 0 = none (labels_pos)
  std::unordered_map<std::string, int64_t> index_;
  bool overwrite_, extend_;
  double label_smoothing_;
};

// spaCy's DEFAULT_MORPH_MODEL: Tagger.v2 over Tok2Vec.v2(CharacterEmbed.v2, MaxoutWindowEncoder).
Json default_morph_model() {
  return Json{{"@architectures", "spacy.Tagger.v2"},
              {"tok2vec",
               Json{{"@architectures", "spacy.Tok2Vec.v2"},
                    {"embed", Json{{"@architectures", "spacy.CharacterEmbed.v2"},
                                   {"width", 128},
                                   {"rows", 7000},
                                   {"nM", 64},
                                   {"nC", 8},
                                   {"include_static_vectors", false}}},
                    {"encode", Json{{"@architectures", "spacy.MaxoutWindowEncoder.v2"},
                                    {"width", 128},
                                    {"depth", 4},
                                    {"window_size", 1},
                                    {"maxout_pieces", 3}}}}}};
}

}  // namespace

void register_morphologizer() {
  register_tagger_architectures();
  add_placeholder_scorer("spacy.morphologizer_scorer.v1");
  FactoryMeta m;
  m.name = "morphologizer";
  m.default_config = Json{{"model", default_morph_model()},
                          {"overwrite", true},
                          {"extend", false},
                          {"scorer", Json{{"@scorers", "spacy.morphologizer_scorer.v1"}}},
                          {"label_smoothing", 0.0}};
  m.assigns = {"token.morph", "token.pos"};
  m.default_score_weights =
      Json{{"pos_acc", 0.5}, {"morph_acc", 0.5}, {"morph_per_feat", nullptr}};
  m.make = [](Language& nlp, const std::string& name, const registry::Value& config) {
    return std::unique_ptr<Pipe>(std::make_unique<MorphologizerPipe>(
        name, component_model<TaggerModel>(config, name), registry::get_bool(config, "overwrite"),
        registry::get_bool(config, "extend"), registry::get_float(config, "label_smoothing")));
  };
  register_factory(std::move(m));
}

}  // namespace trfpipe
