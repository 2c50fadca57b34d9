// The `parser` component: spaCy's DependencyParser (spacy/pipeline/dep_parser.pyx over
// transition_parser.pyx) — arc-eager moves (components/parser/arc_eager.hpp) over a
// spacy.TransitionBasedParser.v2 model with state_type "parser" (nF 8, or 13 with
// extra_state_tokens), the greedy loop and dynamic-oracle update shared with ner
// (components/parser_internals/transition_loop.hpp).
//
// Gold: Example.get_aligned_parse(projectivize=True) — non-projective trees are lifted and the
// lifted arcs' labels decorated "label||head_label" (include/trfpipe/nonproj.hpp) — plus the
// aligned gold sentence starts. Labels: get_actions over the reference trees with
// min_action_freq (rarer labels back off to "dep" / "ROOT" in the gold), merged with labels
// added by add_label. Output: heads and deps from the final state (unattached tokens are roots
// labelled "ROOT"), then deprojectivization; the Doc's navigation data and sentence starts follow
// from the heads. Beam search (beam_width > 1, the beam_parser factory) is not implemented.
#include "components/parser/parser.hpp"

#include <deque>
#include <filesystem>
#include <memory>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "components/common/registration.hpp"
#include "components/common/torch_pipe.hpp"
#include "components/parser/arc_eager.hpp"
#include "components/parser_internals/parser_model.hpp"
#include "components/parser_internals/transition_loop.hpp"
#include "pipeline/file_io.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/nonproj.hpp"
#include "trfpipe/registry.hpp"

namespace trfpipe {
namespace {

namespace fs = std::filesystem;
using parser::ArcEager;
using parser::has_gold;

// The arc-eager system as the shared greedy loops see it.
struct ArcEagerLoop {
  using State = parser::State;
  using Gold = parser::Gold;
  const ArcEager& moves;
  int64_t nF;
  int64_t n_actions() const { return moves.n_actions(); }
  int64_t n_features() const { return nF; }
  void features(const State& s, int64_t none, int64_t* ids) const {
    ArcEager::features(s, nF, none, ids);
  }
  void set_valid(const State& s, uint8_t* valid) const { moves.set_valid(s, valid); }
  void apply(State& s, int64_t a) const { moves.apply(s, a); }
  // c_transition_batch: "this shouldn't happen" — force the state to its end.
  void no_valid_action(State& s) const { s.force_final(); }
  void set_costs(const State& s, Gold& g, float* costs) const {
    if (moves.set_costs(s, g, costs) < 1)
      throw ValueError("[E1031] Could not find a gold transition for a parser state (stack " +
                       std::to_string(s.stack_depth()) + " tokens, buffer " +
                       std::to_string(s.buffer_length()) +
                       " tokens): the gold tree cannot be reached by the arc-eager moves. "
                       "With little training data, min_action_freq may have removed moves the "
                       "gold needs (lower it, or add the labels with add_label)");
  }
  std::vector<int64_t> oracle_sequence(State s, Gold& g) const {
    return moves.oracle_sequence(std::move(s), g);
  }
};

// The batch's start states; the DocInfos they point to live as long as the batch.
struct Batch {
  std::unique_ptr<std::vector<parser::DocInfo>> infos;
  std::vector<parser::State> states;
};

Batch init_batch(const std::vector<Doc*>& docs) {
  Batch b;
  b.infos = std::make_unique<std::vector<parser::DocInfo>>();
  b.infos->reserve(docs.size());
  int64_t offset = 0;
  for (const Doc* d : docs) {
    b.infos->push_back(parser::doc_info(*d));
    b.states.emplace_back(&b.infos->back(), offset);
    offset += int64_t(d->size());
  }
  return b;
}

class ParserPipe : public TorchPipe {
 public:
  ParserPipe(std::string name, std::shared_ptr<ParserModel> model, int64_t oracle_cut,
             int64_t min_action_freq)
      : TorchPipe(std::move(name)),
        model_(std::move(model)),
        oracle_cut_(oracle_cut),
        min_action_freq_(min_action_freq) {}

  std::vector<std::string> labels() const override { return moves_.parser_labels(); }

  // spaCy's Parser.add_label: the label for every move kind.
  bool add_label(const std::string& label) override {
    bool missing = false;
    for (int m = 0; m < parser::N_MOVES; ++m) missing = missing || !moves_.has_action(m, label);
    if (!missing) return false;
    require_not_initialized("add label '" + label + "'");
    for (int m = 0; m < parser::N_MOVES; ++m) moves_.add_action(m, label);
    return true;
  }

  std::any predict(const std::vector<Doc*>& docs) override {
    auto batch = std::make_shared<Batch>(init_batch(docs));
    if (total_tokens(docs) == 0) return batch;
    require_model();
    at::NoGradGuard no_grad;
    at::Tensor tokvecs = model_->tokvecs(docs, false);
    const int64_t N = tokvecs.size(0);
    at::Tensor P = model_->precompute(tokvecs);
    transition::parse(loop(), *model_, P, N, batch->states);
    return batch;
  }

  void pipe(const std::vector<Doc*>& docs, size_t batch_size) override {
    transition::pipe_by_length(*this, docs, batch_size);
  }

  void set_annotations(const std::vector<Doc*>& docs, const std::any& scores) override {
    const auto& batch = std::any_cast<const std::shared_ptr<Batch>&>(scores);
    for (size_t d = 0; d < docs.size() && d < batch->states.size(); ++d) {
      if (docs[d]->size() == 0) continue;
      moves_.set_annotations(batch->states[d], *docs[d]);
      nonproj::deprojectivize(*docs[d]);  // DependencyParser.postprocesses
    }
  }

  void update(const std::vector<Example>& examples, double drop, Optimizer* sgd,
              Losses& losses) override {
    losses.emplace(name(), 0.0);
    bool any = false;
    for (const Example& eg : examples) any = any || has_gold(eg);
    if (!any) return;
    require_model();
    const int64_t max_moves = transition::draw_max_moves(oracle_cut_);
    std::vector<Doc*> docs = predicted_docs(examples);
    Batch batch = init_batch(docs);
    std::deque<parser::Gold> golds;
    std::vector<parser::State> states;
    std::vector<size_t> gold_of;
    const ArcEagerLoop ae = loop();
    for (size_t k = 0; k < examples.size(); ++k) {
      const Example& eg = examples[k];
      if (!has_gold(eg) || batch.states[k].is_final()) continue;
      golds.push_back(make_gold(eg, k));
      if (max_moves < 1 || int64_t(eg.predicted().size()) < max_moves) {
        states.push_back(batch.states[k]);
        gold_of.push_back(golds.size() - 1);
        continue;
      }
      // _init_gold_batch: cut a long doc into start states along its oracle sequence.
      auto keep = [&](const parser::State& start, const parser::State& end) {
        return has_gold(eg, start.B(0), end.is_final() ? -1 : end.B(0));
      };
      for (auto& s : transition::oracle_segments(ae, batch.states[k], golds.back(), max_moves, keep)) {
        states.push_back(std::move(s));
        gold_of.push_back(golds.size() - 1);
      }
    }
    if (states.empty()) return;
    model_->tok2vec()->set_dropout(drop);
    at::Tensor tokvecs = model_->tokvecs(docs, true);
    const int64_t N = tokvecs.size(0);
    at::Tensor P = model_->precompute(tokvecs);
    std::vector<std::pair<parser::State*, parser::Gold*>> active;
    for (size_t i = 0; i < states.size(); ++i) active.emplace_back(&states[i], &golds[gold_of[i]]);
    double d_squared = 0;
    try {
      d_squared = transition::update(ae, *model_, P, N, std::move(active), max_moves);
    } catch (const ValueError& e) {
      throw ValueError("component '" + name() + "': " + e.what());
    }
    finish_backward(losses);
    losses[name()] += d_squared;
    if (sgd) finish_update(*sgd);
  }

  // spaCy's label_data of the parser: its moves ({move: {label: freq}}).
  Json label_data() const override { return moves_json(); }

  void initialize(const GetExamples& get_examples, Language& nlp) override {
    parser::LabelFreqs actions;
    if (initial_actions_) {
      actions = *initial_actions_;  // spaCy: labels given to initialize replace get_actions
    } else if (get_examples) {
      std::vector<ArcEager::GoldTree> trees;
      size_t k = 0;
      for (const Example& eg : get_examples()) {
        // The reference's own tree (no alignment to the predicted tokens), as spaCy.
        Example self(eg.reference_ptr(), eg.reference_ptr());
        Example::AlignedParse p = aligned_parse(self, k++);
        ArcEager::GoldTree t;
        for (const auto& h : p.heads) t.heads.push_back(h ? int64_t(*h) : -1);
        t.labels = std::move(p.deps);
        trees.push_back(std::move(t));
      }
      actions = ArcEager::get_actions(trees, min_action_freq_);
    }
    // Labels added before initialization keep their (negative) frequencies.
    for (const auto& [move, labels] : moves_.label_freqs()) {
      auto& v = actions[move];
      for (const auto& [label, freq] : labels) {
        bool present = false;
        for (const auto& p : v) present = present || p.first == label;
        if (!present) v.emplace_back(label, freq);
      }
    }
    moves_.initialize_actions(actions);
    for (const auto& l : moves_.labels()) nlp.vocab().strings().add(l);
    model_->initialize(moves_.n_actions());
    initialized_ = true;
  }

  void to_disk(const std::string& dir) const override {
    TorchPipe::to_disk(dir);
    // spaCy's `moves` content ({"moves": {move: {label: freq}}, "cfg": {"neg_key": null}}), as JSON.
    write_file_bytes((fs::path(dir) / "moves").string(),
                     Json{{"moves", moves_json()}, {"cfg", Json{{"neg_key", nullptr}}}}.dump(2));
  }

  void from_disk(const std::string& dir) override {
    const fs::path path = fs::path(dir) / "moves";
    if (!fs::exists(path)) throw DataError(path.string(), -1, "component '" + name() + "': moves file missing");
    const Json j = read_json_file(path.string());
    try {
      moves_.initialize_actions(freqs_from_json(j.at("moves")));
    } catch (const std::exception& e) {
      throw DataError(path.string(), -1, "component '" + name() + "': invalid moves file: " + e.what());
    }
    TorchPipe::from_disk(dir);
  }

 protected:
  void set_initial_labels(const Json& labels, const std::string& source) override {
    try {
      initial_actions_ = freqs_from_json(labels);
    } catch (const std::exception& e) {
      throw DataError(source, -1,
                      "the labels of component '" + name() +
                          "' must be the parser's moves {move: {label: frequency}} (as `trfpipe "
                          "init labels` writes): " + e.what());
    }
  }
  Json moves_json() const {
    Json moves = Json::object();
    for (const auto& [move, labels] : moves_.label_freqs()) {
      Json m = Json::object();
      for (const auto& [label, freq] : labels) m[label] = freq;
      moves[std::to_string(move)] = m;
    }
    return moves;
  }
  static parser::LabelFreqs freqs_from_json(const Json& moves) {
    if (!moves.is_object()) throw ValueError("expected an object, got " + std::string(moves.type_name()));
    parser::LabelFreqs freqs;
    for (const auto& [move, labels] : moves.items()) {
      const int m = std::stoi(move);
      if (m < 0 || m >= parser::N_MOVES) throw ValueError("unknown move '" + move + "'");
      for (const auto& [label, freq] : labels.items())
        freqs[m].emplace_back(label, freq.get<int64_t>());
    }
    return freqs;
  }
  void collect(NamedTensors& out) const override { model_->collect("", out); }
  Tok2VecModel* tok2vec_model() const override { return model_->tok2vec().get(); }
  Json cfg() const override {
    return Json{{"moves", nullptr},
                {"update_with_oracle_cut_size", oracle_cut_},
                {"multitasks", Json::array()},
                {"min_action_freq", min_action_freq_},
                {"learn_tokens", false},
                {"beam_width", 1},
                {"beam_density", 0.0},
                {"beam_update_prob", 0.0},
                {"incorrect_spans_key", nullptr}};
  }
  void load_cfg(const Json& c) override {
    oracle_cut_ = c.value("update_with_oracle_cut_size", oracle_cut_);
    min_action_freq_ = c.value("min_action_freq", min_action_freq_);
    if (moves_.n_actions() > 0) model_->initialize(moves_.n_actions());
  }

 private:
  ArcEagerLoop loop() const { return {moves_, model_->nF()}; }

  void require_model() const {
    if (!model_->initialized() || model_->nO() != moves_.n_actions() || moves_.n_actions() == 0)
      throw Error("component '" + name() + "' used before initialization");
  }

  // A cycle in the reference heads is an error before anything uses them: projectivize only
  // notices cycles that cross other arcs, and spaCy fails later with E1031 on the others.
  void check_tree(const Example& eg, size_t index) const {
    const Doc& y = eg.reference();
    std::vector<int64_t> heads(y.size());
    for (size_t i = 0; i < y.size(); ++i)
      heads[i] = y.token(i).has_head() ? int64_t(y.token(i).head().i()) : int64_t(i);
    if (!nonproj::contains_cycle(heads)) return;
    std::string list;
    for (size_t i = 0; i < heads.size(); ++i) list += (i ? ", " : "") + std::to_string(heads[i]);
    throw ValueError("Found cycle in dependency graph: [" + list + "]");
  }

  template <class F>
  auto with_context(const Example& eg, size_t index, F f) const {
    try {
      check_tree(eg, index);
      return f();
    } catch (const ValueError& e) {
      throw ValueError("component '" + name() + "', example " + std::to_string(index) +
                       ": the gold dependency tree is invalid: " + e.what());
    }
  }

  Example::AlignedParse aligned_parse(const Example& eg, size_t index) const {
    return with_context(eg, index, [&] { return eg.get_aligned_parse(true); });
  }

  parser::Gold make_gold(const Example& eg, size_t index) const {
    return with_context(eg, index, [&] { return moves_.init_gold(eg); });
  }

  std::shared_ptr<ParserModel> model_;
  ArcEager moves_;
  int64_t oracle_cut_, min_action_freq_;
  std::optional<parser::LabelFreqs> initial_actions_;  // labels given to initialize
};

}  // namespace

void register_parser() {
  register_parser_architectures();
  add_placeholder_scorer("spacy.parser_scorer.v1");
  FactoryMeta meta;
  meta.name = "parser";
  meta.default_config =
      Json{{"moves", nullptr},
           {"update_with_oracle_cut_size", 100},
           {"learn_tokens", false},
           {"min_action_freq", 30},
           {"model", default_transition_model("parser")},
           {"scorer", Json{{"@scorers", "spacy.parser_scorer.v1"}}}};
  meta.assigns = {"token.dep", "token.head", "token.is_sent_start", "doc.sents"};
  meta.default_score_weights = Json{{"dep_uas", 0.5},    {"dep_las", 0.5},
                                    {"dep_las_per_type", nullptr}, {"sents_p", nullptr},
                                    {"sents_r", nullptr}, {"sents_f", 0.0}};
  meta.make = [](Language&, const std::string& name, const registry::Value& config) {
    auto model = transition_component_model(config, name, "parser");
    if (registry::get_bool(config, "learn_tokens"))
      throw ConfigError({"components", name, "learn_tokens"},
                        "learn_tokens = true (spaCy's experimental subtoken merging) is not "
                        "supported; use false");
    const int64_t cut = registry::get_int(config, "update_with_oracle_cut_size");
    return std::unique_ptr<Pipe>(std::make_unique<ParserPipe>(
        name, model, cut, registry::get_int(config, "min_action_freq")));
  };
  register_factory(std::move(meta));
}

}  // namespace trfpipe
