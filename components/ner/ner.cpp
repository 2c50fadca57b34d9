// The `ner` component: spaCy's transition-based entity recognizer (BILUO moves, ner.pyx; see
// components/ner/ner_moves.hpp) over a spacy.TransitionBasedParser.v2 model with state_type "ner".
//
// State features (nF = 3, _state.pxd set_context_tokens): B(0), the first token of the open
// entity, B(0) - 1 when an entity is open; -1 (the padding row) otherwise. Prediction is greedy
// over valid actions (preset entities on the doc are kept, as spaCy's is_valid forces them).
//
// Training is spaCy's greedy update with the dynamic oracle (transition_parser.pyx update,
// _init_gold_batch, get_batch_loss): the gold of an example is its aligned BILUO tags ("-" or an
// unknown label: missing) plus, with incorrect_spans_key, the reference's doc.spans[key] aligned
// to the predicted tokens as negative spans; examples without any gold are skipped. With
// update_with_oracle_cut_size >= 1, max_moves is drawn from uniform(cut // 2, cut * 2) (torch's
// global generator), docs of max_moves tokens or more are cut into start states along the
// oracle sequence, and the batch runs max_moves + 1 steps at most (spaCy's loop). Every step
// follows the model's best valid action; the per-action costs are ner.pyx's (invalid: 9000). The
// gradient is spaCy's cpu_log_loss, softmax(all scores) - softmax(scores of the best-cost valid
// actions) — the gradient of logsumexp(all) - logsumexp(best-cost), the loss built here — and the
// reported loss is the sum of its squares. Actions are chosen with no-grad scores per step; the
// visited states are then scored once with grad in one batched pass and one backward.
#include "components/ner/ner.hpp"
#include "pipeline/file_io.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "components/common/registration.hpp"
#include "components/common/torch_pipe.hpp"
#include "components/ner/ner_moves.hpp"
#include "components/parser_internals/parser_model.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"

namespace trfpipe {
namespace {

namespace fs = std::filesystem;
using ner::BiluoMoves;
using ner::Entity;
using NerState = ner::State;

// Feature token ids (batch rows; `none` = the padding row) of a state: nF = 3.
void features(const NerState& s, int64_t none, int64_t* ids) {
  ids[0] = s.b0 < s.n ? s.offset + s.b0 : none;
  ids[1] = s.open() ? s.offset + s.ent_start : none;
  ids[2] = (s.b0 < s.n && s.open()) ? s.offset + s.b0 - 1 : none;
}

at::Tensor long_tensor(const std::vector<int64_t>& v, int64_t cols) {
  return at::from_blob(const_cast<int64_t*>(v.data()), {int64_t(v.size()) / cols, cols}, at::kLong)
      .clone();
}

class NerPipe : public TorchPipe {
 public:
  NerPipe(std::string name, std::shared_ptr<ParserModel> model, int64_t oracle_cut,
          Json incorrect_spans_key)
      : TorchPipe(std::move(name)),
        model_(std::move(model)),
        oracle_cut_(oracle_cut),
        incorrect_spans_key_(std::move(incorrect_spans_key)) {}

  std::vector<std::string> labels() const override { return moves_.labels; }

  bool add_label(const std::string& label) override { return add_label_to(moves_.labels, label); }

  std::any predict(const std::vector<Doc*>& docs) override {
    std::vector<std::vector<Entity>> out(docs.size());
    if (docs.empty()) return out;
    require_model();
    at::NoGradGuard no_grad;
    at::Tensor tokvecs = model_->tokvecs(docs, false);
    const int64_t N = tokvecs.size(0);
    if (N == 0) return out;
    at::Tensor P = model_->precompute(tokvecs);
    std::vector<ner::DocInfo> infos;
    std::vector<NerState> states = init_states(docs, infos);
    std::vector<NerState*> active;
    for (NerState& s : states) active.push_back(&s);
    while (!active.empty()) {
      step(P, N, active);
      active.erase(std::remove_if(active.begin(), active.end(),
                                  [](const NerState* s) { return s->is_final(); }),
                   active.end());
    }
    for (size_t k = 0; k < states.size(); ++k) out[k] = states[k].ents;
    return out;
  }

  void set_annotations(const std::vector<Doc*>& docs, const std::any& scores) override {
    const auto& ents = std::any_cast<const std::vector<std::vector<Entity>>&>(scores);
    for (size_t d = 0; d < docs.size(); ++d) {
      std::vector<Span> spans;
      for (const Entity& e : ents[d])
        spans.push_back(docs[d]->span(size_t(e.start), size_t(e.end), moves_.labels[size_t(e.label)]));
      docs[d]->set_ents(spans);
    }
  }

  void update(const std::vector<Example>& examples, double drop, Optimizer* sgd,
              Losses& losses) override {
    losses.emplace(name(), 0.0);
    std::vector<Doc*> docs;
    for (const auto& eg : examples) docs.push_back(&eg.predicted());
    std::vector<ner::Gold> golds(examples.size());
    std::vector<bool> use(examples.size(), false);
    bool any = false;
    for (size_t k = 0; k < examples.size(); ++k) {
      if (docs[k]->size() == 0 || !has_gold(examples[k], 0, docs[k]->size())) continue;
      golds[k] = make_gold(examples[k], k);
      use[k] = any = true;
    }
    if (!any) return;
    require_model();
    int64_t max_moves = oracle_cut_;
    if (max_moves >= 1) {
      // random.uniform(max_moves // 2, max_moves * 2), from torch's global generator.
      const double lo = double(max_moves / 2), hi = double(max_moves * 2);
      max_moves = int64_t(lo + (hi - lo) * at::rand({1}, at::kDouble).item<double>());
      max_moves = std::max<int64_t>(max_moves, 1);  // a cut size of 1 can draw 0 (spaCy fails)
    }
    std::vector<ner::DocInfo> infos;
    std::vector<NerState> starts = init_states(docs, infos);
    std::vector<NerState> states;    // the states trained on
    std::vector<size_t> gold_of;     // their example
    for (size_t k = 0; k < examples.size(); ++k) {
      if (!use[k]) continue;
      if (max_moves < 1 || int64_t(docs[k]->size()) < max_moves) {
        states.push_back(starts[k]);
        gold_of.push_back(k);
        continue;
      }
      // _init_gold_batch: cut a long doc into start states along its oracle sequence.
      std::vector<int64_t> oracle;
      try {
        oracle = moves_.oracle_sequence(starts[k], golds[k]);
      } catch (const ValueError& e) {
        throw ValueError("component '" + name() + "', example " + std::to_string(k) + ": " + e.what());
      }
      NerState state = starts[k];
      for (size_t i = 0; i < oracle.size(); i += size_t(max_moves)) {
        NerState start = state;
        for (size_t j = i; j < oracle.size() && j < i + size_t(max_moves); ++j) {
          moves_.apply(state, oracle[j]);
          if (state.is_final()) break;
        }
        // spaCy passes state.B(0), which is -1 for a final state: eg.x[start:-1].
        const int64_t end = state.is_final() ? state.n - 1 : state.b0;
        if (has_gold(examples[k], size_t(start.b0), size_t(std::max(end, start.b0)))) {
          states.push_back(start);
          gold_of.push_back(k);
        }
        if (state.is_final()) break;
      }
    }
    if (states.empty()) return;

    model_->tok2vec()->set_dropout(drop);
    at::Tensor tokvecs = model_->tokvecs(docs, true);
    const int64_t N = tokvecs.size(0), A = moves_.n_actions();
    at::Tensor P = model_->precompute(tokvecs);
    at::Tensor P_nograd = P.detach();
    std::vector<std::pair<NerState*, const ner::Gold*>> active;
    for (size_t i = 0; i < states.size(); ++i) active.emplace_back(&states[i], &golds[gold_of[i]]);
    Visited visited;
    int64_t n_moves = 0;
    while (!active.empty()) {
      std::vector<NerState*> batch;
      for (const auto& [s, g] : active) {
        visited.costs.resize(visited.costs.size() + size_t(A));
        float* costs = visited.costs.data() + visited.costs.size() - size_t(A);
        for (int64_t a = 0; a < A; ++a) costs[a] = moves_.cost(*s, *g, a);
        visited.ids.resize(visited.ids.size() + 3);
        features(*s, N, visited.ids.data() + visited.ids.size() - 3);
        batch.push_back(s);
      }
      step(P_nograd, N, batch);  // follow the predicted best valid action
      active.erase(std::remove_if(active.begin(), active.end(),
                                  [](const auto& sg) { return sg.first->is_final(); }),
                   active.end());
      if (max_moves >= 1 && n_moves >= max_moves) break;
      ++n_moves;
    }
    at::Tensor scores = model_->scores(P, long_tensor(visited.ids, 3));
    auto [loss, d_squared] = log_loss(scores, visited.costs, A);
    loss.backward();
    finish_backward(losses);
    losses[name()] += d_squared;
    if (sgd) finish_update(*sgd);
  }

  void initialize(const GetExamples& get_examples, Language& nlp) override {
    if (moves_.labels.empty() && get_examples) {
      std::vector<std::string> labels;
      for (const Example& eg : get_examples()) {
        for (const std::string& tag : eg.get_aligned_ner())
          if (tag.size() > 2 && tag[1] == '-') labels.push_back(tag.substr(2));
        for (Span& s : eg.reference().ents()) labels.push_back(s.label_());
      }
      std::sort(labels.begin(), labels.end());
      labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
      for (const auto& l : labels) add_label(l);
    }
    if (moves_.labels.empty())
      throw ValueError("Cannot initialize component '" + name() +
                       "': no entity labels (the examples have no entities and none were added)");
    for (const auto& l : moves_.labels) nlp.vocab().strings().add(l);
    model_->initialize(moves_.n_actions());
    initialized_ = true;
  }

  void to_disk(const std::string& dir) const override {
    TorchPipe::to_disk(dir);
    // spaCy's `moves` file content ({"moves": {move: {label: freq}}, "cfg": {...}}), as JSON.
    Json moves = Json::object();
    const char* names[] = {"1", "2", "3", "4"};
    for (int m = 0; m < 4; ++m) {
      Json labels = Json::object();
      for (const auto& l : moves_.labels) labels[l] = 1;
      moves[names[m]] = labels;
    }
    moves["5"] = Json{{"", 1}};
    write_file_bytes((fs::path(dir) / "moves").string(),
                     Json{{"moves", moves}, {"cfg", Json{{"neg_key", incorrect_spans_key_}}}}.dump(2));
  }

 protected:
  void collect(NamedTensors& out) const override { model_->collect("", out); }
  Tok2VecModel* tok2vec_model() const override { return model_->tok2vec().get(); }
  Json cfg() const override {
    Json labels = Json::array();
    for (const auto& l : moves_.labels) labels.push_back(l);
    return Json{{"moves", nullptr},
                {"update_with_oracle_cut_size", oracle_cut_},
                {"multitasks", Json::array()},
                {"min_action_freq", 1},
                {"learn_tokens", false},
                {"beam_width", 1},
                {"beam_density", 0.0},
                {"beam_update_prob", 0.0},
                {"incorrect_spans_key", incorrect_spans_key_},
                {"labels", labels}};
  }
  void load_cfg(const Json& c) override {
    moves_.labels = c.value("labels", std::vector<std::string>{});
    oracle_cut_ = c.value("update_with_oracle_cut_size", oracle_cut_);
    if (c.contains("incorrect_spans_key")) incorrect_spans_key_ = c["incorrect_spans_key"];
    if (!moves_.labels.empty()) model_->initialize(moves_.n_actions());
  }

 private:
  void require_model() const {
    if (!model_->initialized() || model_->nO() != moves_.n_actions())
      throw Error("component '" + name() + "' used before initialization");
  }
  // The start states of a batch; `infos` keeps what they point to.
  std::vector<NerState> init_states(const std::vector<Doc*>& docs,
                                    std::vector<ner::DocInfo>& infos) const {
    infos.clear();
    for (const Doc* d : docs) infos.push_back(moves_.doc_info(*d));
    std::vector<NerState> states(docs.size());
    int64_t offset = 0;
    for (size_t k = 0; k < docs.size(); ++k) {
      states[k].info = &infos[k];
      states[k].n = int64_t(docs[k]->size());
      states[k].offset = offset;
      offset += states[k].n;
    }
    return states;
  }

  // Scores the (non-final) states with no grad and applies each one's best valid action. A
  // state left with no valid action (only malformed preset entities do that) closes its entity
  // or moves on with O.
  void step(const at::Tensor& P, int64_t N, const std::vector<NerState*>& states) const {
    at::NoGradGuard no_grad;
    std::vector<int64_t> ids(states.size() * 3);
    for (size_t r = 0; r < states.size(); ++r) features(*states[r], N, ids.data() + 3 * r);
    at::Tensor scores = model_->scores(P, long_tensor(ids, 3)).contiguous();
    auto S = scores.accessor<float, 2>();
    const int64_t A = moves_.n_actions();
    for (size_t r = 0; r < states.size(); ++r) {
      NerState& s = *states[r];
      int64_t best = -1;
      for (int64_t a = 0; a < A; ++a)
        if (moves_.is_valid(s, a) && (best < 0 || S[int64_t(r)][a] > S[int64_t(r)][best])) best = a;
      if (best < 0) best = s.open() ? moves_.action(ner::LAST, s.ent_label) : moves_.out_action();
      moves_.apply(s, best);
    }
  }

  // ner.pyx has_gold: any negative span or any annotated entity tag in the reference tokens
  // aligned to predicted tokens [start, end) (the whole reference when they do not align).
  bool has_gold(const Example& eg, size_t start, size_t end) const {
    Doc& y = eg.reference();
    size_t ys = 0, ye = y.size();
    if (start < end) {
      auto aligned = eg.get_aligned_spans_x2y({Span(&eg.predicted(), start, end)});
      if (!aligned.empty()) {
        ys = aligned[0].start();
        ye = aligned[0].end();
      }
    }
    const std::string key = neg_key();
    if (!key.empty() && y.spans().contains(key))
      for (const SpanGroupEntry& e : y.spans().group(key).spans)
        if (e.start >= ys && e.end <= ye) return true;
    for (size_t i = ys; i < ye; ++i)
      if (y.tokens()[i].ent_iob != 0) return true;
    return false;
  }

  // ner.pyx create_gold_state.
  ner::Gold make_gold(const Example& eg, size_t index) const {
    ner::Gold gold;
    for (const std::string& tag : eg.get_aligned_ner()) gold.ner.push_back(moves_.gold_tag(tag));
    const std::string key = neg_key();
    if (key.empty() || !eg.reference().spans().contains(key)) return gold;
    std::vector<Span> negs =
        eg.get_aligned_spans_y2x(eg.reference().spans().get(key), /*allow_overlap=*/true);
    std::vector<Span> ents;
    if (eg.reference().has_annotation("ENT_IOB")) ents = eg.get_aligned_spans_y2x(eg.reference().ents());
    for (const Span& neg : negs) {
      for (const Span& ent : ents)
        if (ent.start_char() == neg.start_char() && ent.end_char() == neg.end_char() &&
            ent.label() == neg.label())
          throw ValueError("[E868] component '" + name() + "', example " + std::to_string(index) +
                           ": the span (" + std::to_string(ent.start_char()) + ", " +
                           std::to_string(ent.end_char()) + ", '" + ent.label_() +
                           "') is both a gold entity and in doc.spans['" + key +
                           "'] (incorrect_spans_key)");
      gold.negs.push_back({int64_t(neg.start()), int64_t(neg.end()),
                           moves_.label_index(neg.label_())});
    }
    return gold;
  }

  std::string neg_key() const {
    return incorrect_spans_key_.is_string() ? incorrect_spans_key_.get<std::string>() : std::string();
  }

  // The rows (feature ids, costs) of the states visited in an update.
  struct Visited {
    std::vector<int64_t> ids;
    std::vector<float> costs;
  };

  // spaCy's cpu_log_loss for every row: d = softmax(scores) - softmax(scores over G), G = the
  // actions costing no more than the cheapest valid action (cost capped at 1 from above, as
  // arg_max_if_gold); rows whose valid actions all cost more than 1 get no gradient. Returns the
  // loss whose gradient is d, and sum(d^2).
  static std::pair<at::Tensor, double> log_loss(const at::Tensor& scores,
                                                const std::vector<float>& costs, int64_t A) {
    const int64_t T = scores.size(0);
    std::vector<uint8_t> gold(costs.size(), 0);
    std::vector<float> has(size_t(T), 0.f);
    for (int64_t r = 0; r < T; ++r) {
      const float* c = costs.data() + r * A;
      float threshold = 1.f;
      for (int64_t a = 0; a < A; ++a) threshold = std::min(threshold, c[a]);  // invalid: 9000
      for (int64_t a = 0; a < A; ++a)
        if (c[a] <= threshold) gold[size_t(r * A + a)] = 1, has[size_t(r)] = 1.f;
    }
    at::Tensor not_gold = at::from_blob(gold.data(), {T, A}, at::kByte).clone().to(at::kBool)
                              .logical_not();
    at::Tensor row = at::from_blob(has.data(), {T}, at::kFloat).clone();
    // Rows without gold get all-zero gold scores (finite) and weight 0.
    at::Tensor gold_scores = scores.masked_fill(not_gold, -std::numeric_limits<float>::infinity())
                                 .masked_fill(row.eq(0).unsqueeze(1), 0.f);
    at::Tensor loss = ((at::logsumexp(scores, {1}) - at::logsumexp(gold_scores, {1})) * row).sum();
    at::NoGradGuard no_grad;
    at::Tensor d = (at::softmax(scores, 1) - at::softmax(gold_scores, 1)) * row.unsqueeze(1);
    return {loss, d.pow(2).sum().item<double>()};
  }

  std::shared_ptr<ParserModel> model_;
  BiluoMoves moves_;
  int64_t oracle_cut_;
  Json incorrect_spans_key_;
};

}  // namespace

void register_ner() {
  register_parser_architectures();
  add_placeholder_scorer("spacy.ner_scorer.v1");
  FactoryMeta ner;
  ner.name = "ner";
  ner.default_config =
      Json{{"moves", nullptr},
           {"update_with_oracle_cut_size", 100},
           {"model", Json{{"@architectures", "spacy.TransitionBasedParser.v2"},
                          {"state_type", "ner"},
                          {"extra_state_tokens", false},
                          {"hidden_width", 64},
                          {"maxout_pieces", 2},
                          {"use_upper", true},
                          {"nO", nullptr},
                          {"tok2vec", default_hash_embed_cnn()}}},
           {"incorrect_spans_key", nullptr},
           {"scorer", Json{{"@scorers", "spacy.ner_scorer.v1"}}}};
  ner.assigns = {"doc.ents", "token.ent_iob", "token.ent_type"};
  ner.default_score_weights =
      Json{{"ents_f", 1.0}, {"ents_p", 0.0}, {"ents_r", 0.0}, {"ents_per_type", nullptr}};
  ner.make = [](Language& nlp, const std::string& name, const registry::Value& config) {
    const registry::Value& m = config.at("model");
    std::shared_ptr<ParserModel> model;
    if (m.is_object())
      if (const auto* p = std::any_cast<std::shared_ptr<ParserModel>>(&m.object())) model = *p;
    if (!model)
      throw ConfigError({"components", name, "model"},
                        "expected a spacy.TransitionBasedParser model, got " + m.describe());
    if (model->state_type() != "ner")
      throw ConfigError({"components", name, "model", "state_type"},
                        "the ner component needs state_type \"ner\", not \"" +
                            model->state_type() + "\"");
    if (model->nF() != 3)
      throw ConfigError({"components", name, "model", "extra_state_tokens"},
                        "extra_state_tokens = true is not supported");
    if (!registry::is_null(config, "moves"))
      throw ConfigError({"components", name, "moves"}, "custom moves are not supported (use null)");
    Json key = registry::is_null(config, "incorrect_spans_key")
                   ? Json()
                   : Json(registry::get_str(config, "incorrect_spans_key"));
    return std::unique_ptr<Pipe>(std::make_unique<NerPipe>(
        name, model, registry::get_int(config, "update_with_oracle_cut_size"), key));
  };
  register_factory(std::move(ner));
}

}  // namespace trfpipe
