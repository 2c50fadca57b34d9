// What the transition-based components (ner, parser) share beyond their model: spaCy's greedy
// batch loop (transition_parser.pyx greedy_parse / _parseC / transition_states), the greedy
// update with the dynamic oracle (update, get_batch_loss, cpu_log_loss) and the oracle cut of
// long documents (_init_gold_batch with update_with_oracle_cut_size).
//
// A transition system `M` plugs in with:
//   typename M::State   a parse state; bool is_final() const
//   typename M::Gold    the gold of one document (may hold scratch the costs refresh)
//   int64_t n_actions() const
//   int64_t n_features() const                        the model's nF
//   void features(const State&, int64_t none, int64_t* ids) const
//       the batch rows (doc offset applied) of the state's context tokens; `none` for absent ones
//   void set_valid(const State&, uint8_t* valid) const
//   void apply(State&, int64_t action) const
//   void no_valid_action(State&) const                 what a state without a valid action does
//   void set_costs(const State&, Gold&, float* costs) const   kInvalidCost for invalid actions
//   std::vector<int64_t> oracle_sequence(State, Gold&) const  from the state to a final one
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "components/parser_internals/costs.hpp"
#include "components/parser_internals/parser_model.hpp"
#include "trfpipe/language.hpp"

namespace trfpipe::transition {

// spaCy's Parser.pipe: each batch of batch_size docs (0: all) is parsed in sub-batches of
// max(batch_size / 4, 2) docs sorted by length, so the precomputed features of a sub-batch stay
// small; results do not depend on the batching (every state is parsed on its own).
void pipe_by_length(Pipe& pipe, const std::vector<Doc*>& docs, size_t batch_size);

// A [rows, cols] int64 tensor holding a copy of `v`.
at::Tensor long_tensor(const std::vector<int64_t>& v, int64_t cols);

// spaCy's max_moves for one update: int(random.uniform(cut // 2, cut * 2)) drawn from torch's
// global generator, at least 1 (a cut size of 1 can draw 0, where spaCy fails); a cut size
// below 1 is returned unchanged (no cut).
int64_t draw_max_moves(int64_t cut);

// spaCy's cpu_log_loss for every row: d = softmax(scores) - softmax(scores over G), G = the
// actions costing no more than the cheapest valid action (capped at 1 from above, as
// arg_max_if_gold); rows whose valid actions all cost more than 1 get no gradient. Returns the
// loss whose gradient is d, and sum(d^2) (the loss spaCy reports).
std::pair<at::Tensor, double> log_loss(const at::Tensor& scores, const std::vector<float>& costs,
                                       int64_t n_actions);

// Scores the (non-final) states with no grad and applies each one's best valid action (the
// first of equal maxima, as arg_max_if_valid).
template <class M>
void step(const M& moves, const ParserModel& model, const at::Tensor& P, int64_t N,
          const std::vector<typename M::State*>& states) {
  at::NoGradGuard no_grad;
  const int64_t nF = moves.n_features(), A = moves.n_actions();
  std::vector<int64_t> ids(states.size() * size_t(nF));
  for (size_t r = 0; r < states.size(); ++r) moves.features(*states[r], N, ids.data() + nF * int64_t(r));
  at::Tensor scores = model.scores(P, long_tensor(ids, nF)).contiguous();
  const float* S = scores.data_ptr<float>();
  std::vector<uint8_t> valid(size_t(A), 0);
  for (size_t r = 0; r < states.size(); ++r) {
    auto& s = *states[r];
    moves.set_valid(s, valid.data());
    const float* row = S + int64_t(r) * A;
    int64_t best = -1;
    for (int64_t a = 0; a < A; ++a)
      if (valid[size_t(a)] && (best < 0 || row[a] > row[best])) best = a;
    if (best < 0) moves.no_valid_action(s);
    else moves.apply(s, best);
  }
}

// Greedy parsing of every state to the end (precomputed features P of N batch rows).
template <class M>
void parse(const M& moves, const ParserModel& model, const at::Tensor& P, int64_t N,
           std::vector<typename M::State>& states) {
  std::vector<typename M::State*> active;
  for (auto& s : states)
    if (!s.is_final()) active.push_back(&s);
  while (!active.empty()) {
    step(moves, model, P, N, active);
    std::vector<typename M::State*> next;
    for (auto* s : active)
      if (!s->is_final()) next.push_back(s);
    active.swap(next);
  }
}

// _init_gold_batch's cut of one long document: from `state`, the oracle sequence is followed in
// pieces of max_moves actions; each piece's start state is kept when keep(start, end) says the
// piece has gold annotation.
template <class M, class Keep>
std::vector<typename M::State> oracle_segments(const M& moves, typename M::State state,
                                               typename M::Gold& gold, int64_t max_moves,
                                               Keep keep) {
  const std::vector<int64_t> oracle = moves.oracle_sequence(state, gold);
  std::vector<typename M::State> out;
  for (size_t i = 0; i < oracle.size(); i += size_t(max_moves)) {
    typename M::State start = state;
    for (size_t j = i; j < oracle.size() && j < i + size_t(max_moves); ++j) {
      moves.apply(state, oracle[j]);
      if (state.is_final()) break;
    }
    if (keep(start, state)) out.push_back(std::move(start));
    if (state.is_final()) break;
  }
  return out;
}

// spaCy's greedy update loop over (state, gold) pairs: at every step the costs of all actions
// are taken for each active state (the rows of the loss), then each state follows the model's
// best valid action; at most max_moves + 1 steps when max_moves >= 1. The visited states are then
// scored once with grad (P carries the graph back to the tok2vec) and the log loss is
// backpropagated. Returns the loss spaCy reports (sum of squared gradients).
template <class M>
double update(const M& moves, const ParserModel& model, const at::Tensor& P, int64_t N,
              std::vector<std::pair<typename M::State*, typename M::Gold*>> active,
              int64_t max_moves) {
  const int64_t A = moves.n_actions(), nF = moves.n_features();
  const at::Tensor P_nograd = P.detach();
  std::vector<int64_t> ids;
  std::vector<float> costs;
  int64_t n_moves = 0;
  while (!active.empty()) {
    std::vector<typename M::State*> batch;
    for (auto& [s, g] : active) {
      costs.resize(costs.size() + size_t(A));
      moves.set_costs(*s, *g, costs.data() + costs.size() - size_t(A));
      ids.resize(ids.size() + size_t(nF));
      moves.features(*s, N, ids.data() + ids.size() - size_t(nF));
      batch.push_back(s);
    }
    step(moves, model, P_nograd, N, batch);  // follow the predicted best valid action
    std::vector<std::pair<typename M::State*, typename M::Gold*>> next;
    for (auto& sg : active)
      if (!sg.first->is_final()) next.push_back(sg);
    active.swap(next);
    if (max_moves >= 1 && n_moves >= max_moves) break;
    ++n_moves;
  }
  if (ids.empty()) return 0.0;
  at::Tensor scores = model.scores(P, long_tensor(ids, nF));
  auto [loss, d_squared] = log_loss(scores, costs, A);
  loss.backward();
  return d_squared;
}

}  // namespace trfpipe::transition
