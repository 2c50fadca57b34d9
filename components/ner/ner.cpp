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

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "components/common/registration.hpp"
#include "components/common/torch_pipe.hpp"
#include "components/ner/ner_moves.hpp"
#include "components/parser_internals/parser_model.hpp"
#include "components/parser_internals/transition_loop.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"

namespace trfpipe {
namespace {

namespace fs = std::filesystem;
using ner::BiluoMoves;
using ner::Entity;
using NerState = ner::State;

// The BILUO system as the shared greedy loops (components/parser_internals/transition_loop.hpp)
// see it. State features (nF = 3): B(0), the first token of the open entity, B(0) - 1 when an
// entity is open; the padding row otherwise.
struct BiluoLoop {
  using State = NerState;
  using Gold = ner::Gold;
  const BiluoMoves& moves;
  int64_t n_actions() const { return moves.n_actions(); }
  int64_t n_features() const { return 3; }
  void features(const State& s, int64_t none, int64_t* ids) const {
    ids[0] = s.b0 < s.n ? s.offset + s.b0 : none;
    ids[1] = s.open() ? s.offset + s.ent_start : none;
    ids[2] = (s.b0 < s.n && s.open()) ? s.offset + s.b0 - 1 : none;
  }
  void set_valid(const State& s, uint8_t* valid) const {
    for (int64_t a = 0; a < moves.n_actions(); ++a) valid[a] = moves.is_valid(s, a);
  }
  void apply(State& s, int64_t a) const { moves.apply(s, a); }
  // Only malformed preset entities leave a state without a valid action: close the entity or
  // move on with O.
  void no_valid_action(State& s) const {
    moves.apply(s, s.open() ? moves.action(ner::LAST, s.ent_label) : moves.out_action());
  }
  void set_costs(const State& s, Gold& g, float* costs) const {
    for (int64_t a = 0; a < moves.n_actions(); ++a) costs[a] = moves.cost(s, g, a);
  }
  std::vector<int64_t> oracle_sequence(State s, Gold& g) const { return moves.oracle_sequence(s, g); }
};

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
  // spaCy's label_data of the ner: its moves ({move: {label: freq}}), as the `moves` file.
  Json label_data() const override { return moves_json(); }

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
    transition::parse(BiluoLoop{moves_}, *model_, P, N, states);
    for (size_t k = 0; k < states.size(); ++k) out[k] = states[k].ents;
    return out;
  }

  void pipe(const std::vector<Doc*>& docs, size_t batch_size) override {
    transition::pipe_by_length(*this, docs, batch_size);
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
    const int64_t max_moves = transition::draw_max_moves(oracle_cut_);
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
      auto keep = [&](const NerState& start, const NerState& state) {
        // spaCy passes state.B(0), which is -1 for a final state: eg.x[start:-1].
        const int64_t end = state.is_final() ? state.n - 1 : state.b0;
        return has_gold(examples[k], size_t(start.b0), size_t(std::max(end, start.b0)));
      };
      std::vector<NerState> segments;
      try {
        segments = transition::oracle_segments(BiluoLoop{moves_}, starts[k], golds[k], max_moves, keep);
      } catch (const ValueError& e) {
        throw ValueError("component '" + name() + "', example " + std::to_string(k) + ": " + e.what());
      }
      for (NerState& seg : segments) {
        states.push_back(std::move(seg));
        gold_of.push_back(k);
      }
    }
    if (states.empty()) return;

    model_->tok2vec()->set_dropout(drop);
    at::Tensor tokvecs = model_->tokvecs(docs, true);
    const int64_t N = tokvecs.size(0);
    at::Tensor P = model_->precompute(tokvecs);
    std::vector<std::pair<NerState*, ner::Gold*>> active;
    for (size_t i = 0; i < states.size(); ++i) active.emplace_back(&states[i], &golds[gold_of[i]]);
    const double d_squared =
        transition::update(BiluoLoop{moves_}, *model_, P, N, std::move(active), max_moves);
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
    write_file_bytes(
        (fs::path(dir) / "moves").string(),
        Json{{"moves", moves_json()}, {"cfg", Json{{"neg_key", incorrect_spans_key_}}}}.dump(2));
  }

 protected:
  // A list of entity labels, or spaCy's moves ({move: {label: freq}}, what label_data writes):
  // the labels of the BEGIN move "1" (every move in spaCy's ner holds the same labels).
  void set_initial_labels(const Json& labels, const std::string& source) override {
    if (!labels.is_object()) {
      for (const auto& l : label_list(labels, source)) add_label(l);
      return;
    }
    const Json* begin = labels.contains("1") ? &labels["1"] : nullptr;
    if (!begin || !begin->is_object())
      throw DataError(source, -1,
                      "the labels of component '" + name() +
                          "' must be a list of entity labels or the ner's moves with a move "
                          "\"1\" (B) of {label: frequency}");
    for (const auto& [label, freq] : begin->items()) add_label(label);
  }
  void collect(NamedTensors& out) const override { model_->collect("", out); }
  Tok2VecModel* tok2vec_model() const override { return model_->tok2vec().get(); }
  Json moves_json() const {
    Json moves = Json::object();
    for (const char* move : {"1", "2", "3", "4"}) {  // B, I, L, U: every label
      Json labels = Json::object();
      for (const auto& l : moves_.labels) labels[l] = 1;
      moves[move] = labels;
    }
    moves["5"] = Json{{"", 1}};  // O
    return moves;
  }
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
           {"model", default_transition_model("ner")},
           {"incorrect_spans_key", nullptr},
           {"scorer", Json{{"@scorers", "spacy.ner_scorer.v1"}}}};
  ner.assigns = {"doc.ents", "token.ent_iob", "token.ent_type"};
  ner.default_score_weights =
      Json{{"ents_f", 1.0}, {"ents_p", 0.0}, {"ents_r", 0.0}, {"ents_per_type", nullptr}};
  ner.make = [](Language& nlp, const std::string& name, const registry::Value& config) {
    std::shared_ptr<ParserModel> model = transition_component_model(config, name, "ner");
    if (model->nF() != 3)
      throw ConfigError({"components", name, "model", "extra_state_tokens"},
                        "extra_state_tokens = true is not supported");
    Json key = registry::is_null(config, "incorrect_spans_key")
                   ? Json()
                   : Json(registry::get_str(config, "incorrect_spans_key"));
    return std::unique_ptr<Pipe>(std::make_unique<NerPipe>(
        name, model, registry::get_int(config, "update_with_oracle_cut_size"), key));
  };
  register_factory(std::move(ner));
}

}  // namespace trfpipe
