#include "components/spancat/spancat.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>
#include <utility>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "components/common/registration.hpp"
#include "components/common/torch_pipe.hpp"
#include "components/spancat/spancat_model.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe {

namespace {

Json scores_attr(const std::vector<float>& scores) {
  Json a = Json::array();
  for (float s : scores) a.push_back(double(s));
  return Json{{"scores", std::move(a)}};
}

// The empty group both span-group makers start from; false when there is nothing to score.
// Scores of another shape than [candidates, labels (+1 negative)] are a ValueError.
bool start_group(SpanGroup& group, const std::string& key,
                 const std::vector<SuggestedSpans::Pair>& candidates, const Matrix& scores,
                 size_t n_labels, bool negative) {
  group.name = key;
  if (candidates.empty()) return false;
  const size_t want = n_labels + (negative ? 1 : 0);
  if (size_t(scores.rows) != candidates.size() || size_t(scores.cols) != want)
    throw ValueError("span scores have shape (" + std::to_string(scores.rows) + ", " +
                     std::to_string(scores.cols) + "), expected (" +
                     std::to_string(candidates.size()) + ", " + std::to_string(want) + ")");
  return scores.cols > 0;
}

SpanGroupEntry entry(Doc& doc, const SuggestedSpans::Pair& c, const std::string& label) {
  return {size_t(c.start), size_t(c.end), doc.vocab().strings().add(label), 0, 0};
}

}  // namespace

SpanGroup make_span_group_multilabel(Doc& doc, const std::string& key,
                                     const std::vector<SuggestedSpans::Pair>& candidates,
                                     const Matrix& scores, const std::vector<std::string>& labels,
                                     const SpanGroupOptions& o) {
  SpanGroup group;
  if (!start_group(group, key, candidates, scores, labels.size(), o.add_negative_label)) return group;
  const int64_t C = scores.cols;
  const int64_t negative = o.add_negative_label ? int64_t(labels.size()) : -1;
  std::vector<float> kept_scores;
  std::vector<int64_t> order(static_cast<size_t>(C));
  std::vector<uint8_t> keep(static_cast<size_t>(C));
  for (size_t i = 0; i < candidates.size(); ++i) {
    const float* s = scores.row(int64_t(i));
    for (int64_t j = 0; j < C; ++j) keep[size_t(j)] = !o.threshold || s[j] >= *o.threshold;
    if (o.max_positive) {
      // Rank by descending score (the negative label last); all but the best max_positive go.
      std::iota(order.begin(), order.end(), 0);
      auto rank = [&](int64_t j) {
        return j == negative ? -std::numeric_limits<float>::infinity() : s[j];
      };
      std::stable_sort(order.begin(), order.end(),
                       [&](int64_t a, int64_t b) { return rank(a) > rank(b); });
      for (int64_t r = std::max<int64_t>(*o.max_positive, 0); r < C; ++r)
        keep[size_t(order[size_t(r)])] = 0;
    }
    for (int64_t j = 0; j < C; ++j) {
      if (!keep[size_t(j)] || j == negative) continue;
      group.spans.push_back(entry(doc, candidates[i], labels.at(size_t(j))));
      kept_scores.push_back(s[j]);
    }
  }
  group.attrs = scores_attr(kept_scores);
  return group;
}

SpanGroup make_span_group_singlelabel(Doc& doc, const std::string& key,
                                      const std::vector<SuggestedSpans::Pair>& candidates,
                                      const Matrix& scores, const std::vector<std::string>& labels,
                                      const SpanGroupOptions& o) {
  SpanGroup group;
  if (!start_group(group, key, candidates, scores, labels.size(), o.add_negative_label)) return group;
  const int64_t C = scores.cols;
  const int64_t negative = o.add_negative_label ? int64_t(labels.size()) : -1;
  const size_t n = candidates.size();
  std::vector<int64_t> predicted(n);
  std::vector<float> best(n);
  for (size_t i = 0; i < n; ++i) {
    const float* s = scores.row(int64_t(i));
    predicted[i] = int64_t(std::max_element(s, s + C) - s);  // the first maximum, as argmax
    best[i] = s[predicted[i]];
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  if (!o.allow_overlap)
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return best[a] > best[b]; });
  std::vector<uint8_t> taken(doc.size(), 0);
  std::vector<float> kept_scores;
  for (size_t i : order) {
    if (predicted[i] == negative) continue;
    if (o.threshold && !(best[i] >= *o.threshold)) continue;
    const SuggestedSpans::Pair& c = candidates[i];
    if (!o.allow_overlap) {
      bool overlaps = false;
      for (int64_t t = c.start; t < c.end; ++t) overlaps = overlaps || taken[size_t(t)];
      if (overlaps) continue;
      for (int64_t t = c.start; t < c.end; ++t) taken[size_t(t)] = 1;
    }
    group.spans.push_back(entry(doc, c, labels.at(size_t(predicted[i]))));
    kept_scores.push_back(best[i]);
  }
  group.attrs = scores_attr(kept_scores);
  return group;
}

namespace {

// predict()'s result: the suggestions and their scores ([spans, outputs]).
struct SpanPrediction {
  SuggestedSpans spans;
  Matrix scores;
};

class SpanCatPipe : public TorchPipe {
 public:
  SpanCatPipe(std::string name, std::shared_ptr<SpanCatModel> model, Suggester suggester,
              std::string spans_key, SpanGroupOptions options, std::optional<double> negative_weight)
      : TorchPipe(std::move(name)),
        model_(std::move(model)),
        suggester_(std::move(suggester)),
        key_(std::move(spans_key)),
        options_(options),
        negative_weight_(negative_weight) {
    if (!options_.allow_overlap && options_.max_positive && *options_.max_positive > 1)
      throw ValueError("[E1051] 'allow_overlap' can only be False when max_positive is 1, but "
                       "found 'max_positive': " + std::to_string(*options_.max_positive));
  }

  const std::string& key() const { return key_; }
  std::vector<std::string> labels() const override { return labels_; }
  bool add_label(const std::string& label) override { return add_label_to(labels_, label); }
  Json label_data() const override { return json_labels(labels_); }

  SuggestedSpans suggest(const std::vector<Doc*>& docs) const {
    SuggestedSpans s = suggester_(docs);
    if (s.lengths.size() != docs.size())
      throw ValueError("component '" + name() + "': the suggester gave span counts for " +
                       std::to_string(s.lengths.size()) + " docs, the batch has " +
                       std::to_string(docs.size()));
    return s;
  }

  std::any predict(const std::vector<Doc*>& docs) override {
    SpanPrediction p;
    p.spans = suggest(docs);
    if (p.spans.size() == 0) return p;
    require_model();
    at::NoGradGuard no_grad;
    at::Tensor s = forward(docs, p.spans, false).contiguous();
    p.scores = Matrix(s.size(0), s.size(1));
    std::copy(s.data_ptr<float>(), s.data_ptr<float>() + s.numel(), p.scores.data.begin());
    return p;
  }

  void set_annotations(const std::vector<Doc*>& docs, const std::any& scores) override {
    const auto& p = std::any_cast<const SpanPrediction&>(scores);
    size_t offset = 0;
    for (size_t d = 0; d < docs.size(); ++d) {
      const size_t n = d < p.spans.lengths.size() ? size_t(p.spans.lengths[d]) : 0;
      std::vector<SuggestedSpans::Pair> candidates(p.spans.spans.begin() + long(offset),
                                                   p.spans.spans.begin() + long(offset + n));
      Matrix rows(int64_t(n), p.scores.cols);
      if (n > 0)
        std::copy(p.scores.row(int64_t(offset)), p.scores.row(int64_t(offset + n)),
                  rows.data.begin());
      offset += n;
      SpanGroup g = options_.max_positive && *options_.max_positive == 1
                        ? make_span_group_singlelabel(*docs[d], key_, candidates, rows, labels_,
                                                      options_)
                        : make_span_group_multilabel(*docs[d], key_, candidates, rows, labels_,
                                                     options_);
      docs[d]->spans().set_group(key_, std::move(g));
    }
  }

  void update(const std::vector<Example>& examples, double drop, Optimizer* sgd,
              Losses& losses) override {
    losses.emplace(name(), 0.0);
    std::vector<Doc*> docs = predicted_docs(examples);
    SuggestedSpans spans;
    if (total_tokens(docs) > 0) spans = suggest(docs);
    if (spans.size() == 0) {
      // Nothing to learn from; a listener still hands its (zero) gradient back, so the upstream's
      // pending backward pass is not left waiting on this component.
      finish_backward(losses);
      return;
    }
    require_model();
    model_->set_dropout(drop);
    at::Tensor scores = forward(docs, spans, true);
    at::Tensor d = get_loss_gradient(examples, spans, scores.detach());
    const double loss = d.pow(2).sum().item<double>();
    (scores * d).sum().backward();
    finish_backward(losses);
    losses[name()] += loss;
    if (sgd) finish_update(*sgd);
  }

  void initialize(const GetExamples& get_examples, Language& nlp) override {
    if (get_examples)
      for (const Example& eg : get_examples()) {
        const Doc& ref = eg.reference();
        if (!ref.spans().contains(key_)) continue;
        for (const Span& s : ref.spans().get(key_)) add_label(s.label_());
      }
    if (labels_.empty())
      throw ValueError("[E143] Cannot initialize component '" + name() +
                       "': no labels (the examples have no spans in doc.spans['" + key_ +
                       "'] and none were added)");
    for (const auto& l : labels_) nlp.vocab().strings().add(l);
    model_->initialize(n_outputs());
    initialized_ = true;
  }

  void set_candidates(const std::vector<Doc*>& docs, const std::string& candidates_key) const {
    SuggestedSpans s = suggest(docs);
    size_t row = 0;
    for (size_t d = 0; d < docs.size(); ++d) {
      SpanGroup g;
      g.name = candidates_key;
      for (int64_t k = 0; k < s.lengths[d] && row < s.size(); ++k, ++row)
        g.spans.push_back({size_t(s.spans[row].start), size_t(s.spans[row].end), 0, 0, 0});
      docs[d]->spans().set_group(candidates_key, std::move(g));
    }
  }

 protected:
  void set_initial_labels(const Json& labels, const std::string& source) override {
    for (const auto& l : label_list(labels, source)) add_label(l);
  }
  void collect(NamedTensors& out) const override { model_->collect("", out); }
  Tok2VecModel* tok2vec_model() const override { return model_->tok2vec().get(); }
  // spaCy's cfg keys, in its order.
  Json cfg() const override {
    auto opt = [](const auto& v) { return v ? Json(*v) : Json(); };
    return Json{{"labels", json_labels(labels_)},
                {"spans_key", key_},
                {"threshold", opt(options_.threshold)},
                {"max_positive", opt(options_.max_positive)},
                {"negative_weight", opt(negative_weight_)},
                {"allow_overlap", options_.allow_overlap}};
  }
  void load_cfg(const Json& c) override {
    auto opt_double = [&](const char* k, std::optional<double>& v) {
      if (!c.contains(k)) return;
      v = c[k].is_number() ? std::optional<double>(c[k].get<double>()) : std::nullopt;
    };
    labels_ = c.value("labels", std::vector<std::string>{});
    key_ = c.value("spans_key", key_);
    opt_double("threshold", options_.threshold);
    opt_double("negative_weight", negative_weight_);
    if (c.contains("max_positive"))
      options_.max_positive = c["max_positive"].is_number_integer()
                                  ? std::optional<int64_t>(c["max_positive"].get<int64_t>())
                                  : std::nullopt;
    options_.allow_overlap = c.value("allow_overlap", options_.allow_overlap);
    if (!labels_.empty()) model_->initialize(n_outputs());
  }

 private:
  int64_t n_outputs() const {
    return int64_t(labels_.size()) + (options_.add_negative_label ? 1 : 0);
  }

  void require_model() const {
    if (!model_->initialized() || model_->nO() != n_outputs())
      throw Error("component '" + name() + "' used before initialization (no labels)");
  }

  at::Tensor forward(const std::vector<Doc*>& docs, const SuggestedSpans& spans, bool is_train) {
    try {
      return model_->forward(docs, spans, is_train);
    } catch (const ValueError& e) {
      throw ValueError("component '" + name() + "': " + e.what());
    }
  }

  // spaCy's SpanCategorizer.get_loss: d = scores - target, target 1 for a suggested span's gold
  // label (and for the negative label of suggestions that are not gold spans), the negative
  // rows scaled by negative_weight.
  at::Tensor get_loss_gradient(const std::vector<Example>& examples, const SuggestedSpans& spans,
                               const at::Tensor& scores) const {
    const int64_t n = scores.size(0), C = scores.size(1);
    at::Tensor target = at::zeros({n, C}, at::kFloat);
    auto T = target.accessor<float, 2>();
    std::vector<uint8_t> is_negative(size_t(n), 1);
    std::map<std::string, int64_t> label_index;
    for (size_t k = 0; k < labels_.size(); ++k) label_index[labels_[k]] = int64_t(k);
    size_t offset = 0;
    for (size_t i = 0; i < examples.size(); ++i) {
      const Example& eg = examples[i];
      std::map<std::pair<int64_t, int64_t>, int64_t> row_of;
      for (int64_t j = 0; j < spans.lengths[i]; ++j) {
        const auto& s = spans.spans[offset + size_t(j)];
        row_of[{s.start, s.end}] = int64_t(offset) + j;
      }
      offset += size_t(spans.lengths[i]);
      const Doc& ref = eg.reference();
      if (!ref.spans().contains(key_)) continue;
      for (const Span& gold : eg.get_aligned_spans_y2x(ref.spans().get(key_), true)) {
        auto row = row_of.find({int64_t(gold.start()), int64_t(gold.end())});
        if (row == row_of.end()) continue;
        auto label = label_index.find(gold.label_());
        if (label == label_index.end())
          throw ValueError("component '" + name() + "', example " + std::to_string(i) +
                           ": the gold span '" + std::string(gold.text()) + "' has label '" +
                           gold.label_() + "', which is not one of its labels");
        T[row->second][label->second] = 1.f;
        is_negative[size_t(row->second)] = 0;
      }
    }
    if (options_.add_negative_label)
      for (int64_t r = 0; r < n; ++r)
        if (is_negative[size_t(r)]) T[r][C - 1] = 1.f;
    at::Tensor d = scores - target;
    if (options_.add_negative_label && negative_weight_ && *negative_weight_ != 1.0) {
      std::vector<float> w(static_cast<size_t>(n));
      for (int64_t r = 0; r < n; ++r) w[size_t(r)] = is_negative[size_t(r)] ? float(*negative_weight_) : 1.f;
      d = d * at::from_blob(w.data(), {n, 1}, at::kFloat).clone();
    }
    return d;
  }

  std::shared_ptr<SpanCatModel> model_;
  Suggester suggester_;
  std::string key_;
  SpanGroupOptions options_;
  std::optional<double> negative_weight_;
  std::vector<std::string> labels_;
};

// spaCy's default spancat tok2vec: Tok2Vec.v2(MultiHashEmbed width 96, rows [5000, 1000, 2500,
// 1000], NORM PREFIX SUFFIX SHAPE; MaxoutWindowEncoder 96/1/3/depth 4). spancat_singlelabel's
// default names MultiHashEmbed.v1 (spaCy's spancat.py does).
Json default_model(bool singlelabel) {
  return Json{
      {"@architectures", "spacy.SpanCategorizer.v1"},
      {"scorer", Json{{"@layers", singlelabel ? "Softmax.v2" : "spacy.LinearLogistic.v1"}}},
      {"reducer", Json{{"@layers", "spacy.mean_max_reducer.v1"}, {"hidden_size", 128}}},
      {"tok2vec",
       Json{{"@architectures", "spacy.Tok2Vec.v2"},
            {"embed", Json{{"@architectures",
                            singlelabel ? "spacy.MultiHashEmbed.v1" : "spacy.MultiHashEmbed.v2"},
                           {"width", 96},
                           {"rows", Json::array({5000, 1000, 2500, 1000})},
                           {"attrs", Json::array({"NORM", "PREFIX", "SUFFIX", "SHAPE"})},
                           {"include_static_vectors", false}}},
            {"encode", Json{{"@architectures", "spacy.MaxoutWindowEncoder.v2"},
                            {"width", 96},
                            {"window_size", 1},
                            {"maxout_pieces", 3},
                            {"depth", 4}}}}}};
}

std::shared_ptr<SpanCatModel> spancat_model(const registry::Value& config,
                                            const std::string& name) {
  return component_model<SpanCatModel>(config, name);
}

Suggester suggester_of(const registry::Value& config, const std::string& name) {
  const registry::Value& v = config.at("suggester");
  if (v.is_object())
    if (const auto* s = std::any_cast<Suggester>(&v.object())) return *s;
  throw ConfigError({"components", name, "suggester"},
                    "expected a suggester (@misc = \"spacy.ngram_suggester.v1\", "
                    "\"spacy.ngram_range_suggester.v1\", \"spacy.preset_spans_suggester.v1\" or "
                    "your own registered one), got " + v.describe());
}

}  // namespace

void set_candidates(Pipe& pipe, const std::vector<Doc*>& docs, const std::string& candidates_key) {
  auto* spancat = dynamic_cast<SpanCatPipe*>(&pipe);
  if (!spancat)
    throw ValueError("set_candidates: component '" + pipe.name() + "' is not a span categorizer");
  spancat->set_candidates(docs, candidates_key);
}

void register_spancat() {
  register_spancat_architectures();
  add_placeholder_scorer("spacy.spancat_scorer.v1");
  const Json weights{{"spans_sc_f", 1.0}, {"spans_sc_p", 0.0}, {"spans_sc_r", 0.0}};
  const Json suggester{{"@misc", "spacy.ngram_suggester.v1"}, {"sizes", Json::array({1, 2, 3})}};
  const Json scorer{{"@scorers", "spacy.spancat_scorer.v1"}};

  FactoryMeta multi;
  multi.name = "spancat";
  multi.default_config = Json{{"threshold", 0.5},
                              {"spans_key", "sc"},
                              {"max_positive", nullptr},
                              {"model", default_model(false)},
                              {"suggester", suggester},
                              {"scorer", scorer}};
  multi.assigns = {"doc.spans"};
  multi.default_score_weights = weights;
  multi.make = [](Language&, const std::string& name, const registry::Value& config) {
    SpanGroupOptions o;
    o.threshold = registry::get_float(config, "threshold");
    if (!registry::is_null(config, "max_positive")) {
      o.max_positive = registry::get_int(config, "max_positive");
      if (*o.max_positive < 1)
        throw ConfigError({"components", name, "max_positive"},
                          "max_positive must be at least 1 (or null for no limit)");
    }
    return std::unique_ptr<Pipe>(std::make_unique<SpanCatPipe>(
        name, spancat_model(config, name), suggester_of(config, name),
        registry::get_str(config, "spans_key"), o, std::nullopt));
  };
  register_factory(std::move(multi));

  FactoryMeta single;
  single.name = "spancat_singlelabel";
  single.default_config = Json{{"spans_key", "sc"},
                               {"model", default_model(true)},
                               {"negative_weight", 1.0},
                               {"suggester", suggester},
                               {"scorer", scorer},
                               {"allow_overlap", true}};
  single.assigns = {"doc.spans"};
  single.default_score_weights = weights;
  single.make = [](Language&, const std::string& name, const registry::Value& config) {
    SpanGroupOptions o;
    o.threshold = std::nullopt;
    o.max_positive = 1;
    o.add_negative_label = true;
    o.allow_overlap = registry::get_bool(config, "allow_overlap");
    return std::unique_ptr<Pipe>(std::make_unique<SpanCatPipe>(
        name, spancat_model(config, name), suggester_of(config, name),
        registry::get_str(config, "spans_key"), o, registry::get_float(config, "negative_weight")));
  };
  register_factory(std::move(single));
}

}  // namespace trfpipe
