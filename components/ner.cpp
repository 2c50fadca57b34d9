// The `ner` component: spaCy's transition-based entity recognizer (BILUO moves, ner.pyx) over a
// spacy.TransitionBasedParser.v2 model with state_type "ner".
//
// Actions: B-X, I-X, L-X, U-X for every label X (in label order, grouped by move as spaCy's
// BEGIN, IN, LAST, UNIT), then O. State features (nF = 3, _state.pxd set_context_tokens): B(0),
// the first token of the open entity, B(0) - 1 when an entity is open; -1 (the padding row)
// otherwise. Prediction is greedy over valid actions. Training uses a static oracle: at each
// state the gold action from the aligned gold BILUO tag is followed (missing or unusable gold:
// every valid action is correct and the model's best valid action is followed), and the loss is
// spaCy's multi-label log loss: logsumexp(all scores) - logsumexp(scores of zero-cost actions),
// computed for all states of the batch in one batched pass.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <tuple>

#include <ATen/ATen.h>

#include "components/trainable.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"

namespace trfpipe {
namespace {

namespace fs = std::filesystem;

enum MoveKind : int64_t { BEGIN = 0, IN = 1, LAST = 2, UNIT = 3 };

struct Entity {
  int64_t start, end, label;  // [start, end)
};

struct NerState {
  const Doc* doc = nullptr;
  int64_t n = 0, offset = 0, b0 = 0, ent_start = -1, ent_label = -1;
  std::vector<Entity> ents;
  bool is_final() const { return b0 >= n; }
  bool open() const { return ent_start >= 0; }
};

class BiluoMoves {
 public:
  std::vector<std::string> labels;
  int64_t nL() const { return int64_t(labels.size()); }
  int64_t n_actions() const { return 4 * nL() + 1; }
  int64_t out_action() const { return 4 * nL(); }

  bool is_valid(const NerState& s, int64_t a) const {
    if (s.is_final()) return false;
    if (a == out_action()) return !s.open();
    const int64_t move = a / nL(), lab = a % nL();
    const bool next_exists = s.b0 + 1 < s.n;
    const bool next_starts_sent =
        next_exists && s.doc->tokens()[size_t(s.b0 + 1)].sent_start == 1;
    switch (move) {
      case BEGIN:
        return !s.open() && next_exists && !next_starts_sent && !is_space(s, s.b0);
      case IN:
        return s.open() && s.ent_label == lab && next_exists && !next_starts_sent;
      case LAST:
        return s.open() && s.ent_label == lab;
      case UNIT:
        return !s.open() && !is_space(s, s.b0);
    }
    return false;
  }

  void apply(NerState& s, int64_t a) const {
    if (a != out_action()) {
      const int64_t move = a / nL(), lab = a % nL();
      if (move == BEGIN) {
        s.ent_start = s.b0;
        s.ent_label = lab;
      } else if (move == LAST) {
        s.ents.push_back({s.ent_start, s.b0 + 1, lab});
        s.ent_start = s.ent_label = -1;
      } else if (move == UNIT) {
        s.ents.push_back({s.b0, s.b0 + 1, lab});
      }
    }
    s.b0 += 1;
  }

  // The action of a gold BILUO tag ("O", "B-PER", ...); -1 for missing or unknown.
  int64_t gold_action(const std::string& tag) const {
    if (tag == "O") return out_action();
    if (tag.size() < 3 || tag[1] != '-') return -1;
    auto it = std::find(labels.begin(), labels.end(), tag.substr(2));
    if (it == labels.end()) return -1;
    const int64_t lab = it - labels.begin();
    switch (tag[0]) {
      case 'B': return BEGIN * nL() + lab;
      case 'I': return IN * nL() + lab;
      case 'L': return LAST * nL() + lab;
      case 'U': return UNIT * nL() + lab;
    }
    return -1;
  }

  std::string action_name(int64_t a) const {
    if (a == out_action()) return "O";
    return std::string(1, "BILU"[a / nL()]) + "-" + labels[size_t(a % nL())];
  }

 private:
  static bool is_space(const NerState& s, int64_t i) { return s.doc->token(size_t(i)).is_space(); }
};

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
    std::vector<NerState> states = init_states(docs);
    const int64_t A = moves_.n_actions();
    while (true) {
      std::vector<size_t> active;
      std::vector<int64_t> ids;
      for (size_t k = 0; k < states.size(); ++k) {
        if (states[k].is_final()) continue;
        active.push_back(k);
        ids.resize(ids.size() + 3);
        features(states[k], N, ids.data() + ids.size() - 3);
      }
      if (active.empty()) break;
      at::Tensor scores = model_->scores(P, long_tensor(ids, 3)).contiguous();
      auto S = scores.accessor<float, 2>();
      for (size_t r = 0; r < active.size(); ++r) {
        NerState& s = states[active[r]];
        int64_t best = -1;
        for (int64_t a = 0; a < A; ++a)
          if (moves_.is_valid(s, a) && (best < 0 || S[int64_t(r)][a] > S[int64_t(r)][best])) best = a;
        if (best < 0) throw Error("ner: no valid action (internal error)");
        moves_.apply(s, best);
      }
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
    size_t total = 0;
    for (const Doc* d : docs) total += d->size();
    if (total == 0) return;
    require_model();
    model_->tok2vec()->set_dropout(drop);
    at::Tensor tokvecs = model_->tokvecs(docs, true);
    const int64_t N = tokvecs.size(0), A = moves_.n_actions();
    at::Tensor P = model_->precompute(tokvecs);
    at::Tensor P_nograd = P.detach();
    std::vector<NerState> states = init_states(docs);
    std::vector<std::vector<std::string>> golds;
    for (const auto& eg : examples) golds.push_back(eg.get_aligned_ner());

    std::vector<int64_t> all_ids;
    std::vector<uint8_t> all_gold;  // [T, A] zero-cost actions
    while (true) {
      std::vector<size_t> active;
      for (size_t k = 0; k < states.size(); ++k)
        if (!states[k].is_final()) active.push_back(k);
      if (active.empty()) break;
      std::vector<int64_t> action(active.size(), -1);
      std::vector<size_t> need;  // rows without a usable gold action
      std::vector<int64_t> need_ids;
      for (size_t r = 0; r < active.size(); ++r) {
        NerState& s = states[active[r]];
        const auto& gold = golds[active[r]];
        const std::string tag = size_t(s.b0) < gold.size() ? gold[size_t(s.b0)] : std::string();
        int64_t g = moves_.gold_action(tag);
        size_t base = all_gold.size();
        all_gold.resize(base + size_t(A), 0);
        all_ids.resize(all_ids.size() + 3);
        features(s, N, all_ids.data() + all_ids.size() - 3);
        if (g >= 0 && moves_.is_valid(s, g)) {
          action[r] = g;
          all_gold[base + size_t(g)] = 1;
        } else {
          for (int64_t a = 0; a < A; ++a) all_gold[base + size_t(a)] = moves_.is_valid(s, a) ? 1 : 0;
          need.push_back(r);
          need_ids.insert(need_ids.end(), all_ids.end() - 3, all_ids.end());
        }
      }
      if (!need.empty()) {
        at::NoGradGuard no_grad;
        at::Tensor sc = model_->scores(P_nograd, long_tensor(need_ids, 3)).contiguous();
        auto S = sc.accessor<float, 2>();
        for (size_t q = 0; q < need.size(); ++q) {
          const NerState& s = states[active[need[q]]];
          int64_t best = -1;
          for (int64_t a = 0; a < A; ++a)
            if (moves_.is_valid(s, a) && (best < 0 || S[int64_t(q)][a] > S[int64_t(q)][best]))
              best = a;
          action[need[q]] = best;
        }
      }
      for (size_t r = 0; r < active.size(); ++r) moves_.apply(states[active[r]], action[r]);
    }
    const int64_t T = int64_t(all_ids.size() / 3);
    at::Tensor scores = model_->scores(P, long_tensor(all_ids, 3));
    at::Tensor gold_mask =
        at::from_blob(all_gold.data(), {T, A}, at::kByte).clone().to(at::kBool);
    at::Tensor lse_all = at::logsumexp(scores, {1});
    at::Tensor lse_gold = at::logsumexp(
        scores.masked_fill(gold_mask.logical_not(), -std::numeric_limits<float>::infinity()), {1});
    at::Tensor loss = (lse_all - lse_gold).sum();
    loss.backward();
    finish_backward(losses);
    losses[name()] += loss.item<double>();
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
    std::ofstream f(fs::path(dir) / "moves");
    f << Json{{"moves", moves}, {"cfg", Json{{"neg_key", incorrect_spans_key_}}}}.dump(2);
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
  std::vector<NerState> init_states(const std::vector<Doc*>& docs) const {
    std::vector<NerState> states(docs.size());
    int64_t offset = 0;
    for (size_t k = 0; k < docs.size(); ++k) {
      states[k].doc = docs[k];
      states[k].n = int64_t(docs[k]->size());
      states[k].offset = offset;
      offset += states[k].n;
    }
    return states;
  }

  std::shared_ptr<ParserModel> model_;
  BiluoMoves moves_;
  int64_t oracle_cut_;
  Json incorrect_spans_key_;
};

}  // namespace

void register_ner_component() {
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
