// The `parser` component's transition system: spaCy's arc-eager moves (spacy/pipeline/
// _parser_internals/arc_eager.pyx, _state.pxd) with the non-monotonic Reduce (unshift), Break
// (sentence boundaries), the dynamic-oracle costs, spaCy's action inventory (get_actions,
// initialize_actions, add_action, min_freq) and the parser's state features. Internal to
// components/ (the tests check the costs and oracles on hand-made states); torch-free.
//
// Actions are (move, label) pairs in spaCy's class order: initialize_actions sorts the moves
// (S, D, L, R, B) and, within a move, the labels by frequency (descending; ties by label,
// descending); actions added later come at the end. Labels are indices into labels() (0 = "").
#pragma once
#include <cstdint>
#include <climits>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "components/parser_internals/costs.hpp"
#include "trfpipe/doc.hpp"
#include "trfpipe/example.hpp"

namespace trfpipe::parser {

enum Move : int { SHIFT = 0, REDUCE, LEFT, RIGHT, BREAK, N_MOVES };

// The predicted Doc as a state sees it: its preset sentence starts (1, -1, 0 per token).
struct DocInfo {
  std::vector<int8_t> sent_start;
  size_t size() const { return sent_start.size(); }
};
DocInfo doc_info(const Doc& doc);

// spaCy's StateC for the parser.
struct State {
  const DocInfo* info = nullptr;
  int32_t length = 0;
  int64_t offset = 0;  // the doc's first row in the batch
  int32_t b_i = 0;     // the next buffer token after the rebuffer
  std::vector<int32_t> stack, rebuffer;
  std::vector<int32_t> heads;    // -1: none
  std::vector<int64_t> labels;   // label index of each child's arc
  std::vector<uint8_t> unshiftable, break_start;
  std::vector<std::vector<int32_t>> left_kids, right_kids;  // per head, in arc order

  State() = default;
  State(const DocInfo* info, int64_t offset);
  int32_t S(int i) const {
    return i < 0 || size_t(i) >= stack.size() ? -1 : stack[stack.size() - 1 - size_t(i)];
  }
  int32_t B(int i) const;
  int stack_depth() const { return int(stack.size()); }
  int buffer_length() const { return (length - b_i) + int(rebuffer.size()); }
  bool is_final() const { return stack.empty() && buffer_length() == 0; }
  bool has_head(int32_t child) const { return heads[size_t(child)] >= 0; }
  bool is_sent_start(int32_t word) const;
  bool cannot_sent_start(int32_t word) const;
  bool is_unshiftable(int32_t word) const {
    return word >= 0 && size_t(word) < unshiftable.size() && unshiftable[size_t(word)];
  }
  // The idx-th most recently attached left / right child of `head` (spaCy's L / R), -1 if none.
  int32_t L(int32_t head, int idx) const;
  int32_t R(int32_t head, int idx) const;
  void push();
  void pop() { stack.pop_back(); }
  void unshift();
  void add_arc(int32_t head, int32_t child, int64_t label);
  void force_final() {
    stack.clear();
    rebuffer.clear();
    b_i = length;
  }
};

// The gold of one document (arc_eager.pyx GoldParseStateC): heads and labels aligned to the
// predicted tokens (projectivized), sentence starts, and the per-state scratch that
// update() refreshes (where each token's gold head and children are).
struct Gold {
  std::vector<int32_t> heads;     // 0 where unknown, as spaCy's zeroed array
  std::vector<int64_t> labels;    // label indices (0: none)
  std::vector<uint8_t> head_unknown, sent_start, sent_start_unknown;
  std::vector<std::vector<int32_t>> kids;
  std::vector<uint8_t> head_in_stack, head_in_buffer;
  std::vector<int32_t> n_kids_in_stack, n_kids_in_buffer;
  float push_cost = 0, pop_cost = 0;
};

struct Action {
  int move = SHIFT;
  int64_t label = 0;
};

// Frequencies by move and label (spaCy's moves.labels; keys are the move numbers).
using LabelFreqs = std::map<int, std::vector<std::pair<std::string, int64_t>>>;

// arc_eager.pyx _get_aligned_sent_starts: the gold sentence starts on the predicted tokens, all
// unknown when the reference has none or a predicted token spans two reference sentences.
std::vector<std::optional<bool>> aligned_sent_starts(const Example& eg);
// arc_eager.pyx has_gold(eg, start, end): a reference token in [start, end) has a dep label
// (Python slice bounds: a negative end counts from the end).
bool has_gold(const Example& eg, int64_t start = 0, int64_t end = INT64_MAX);

using transition::kInvalidCost;

class ArcEager {
 public:
  ArcEager();
  // spaCy's ArcEager.get_actions: counts of the projectivized gold arcs of the given reference
  // trees (heads: absolute, -1 unknown; labels "" missing), "root" labels as "ROOT"; labels
  // rarer than min_freq dropped (min_freq <= 0: none); then B-ROOT, L-dep, R-dep ensured.
  struct GoldTree {
    std::vector<int64_t> heads;
    std::vector<std::optional<std::string>> labels;
  };
  static LabelFreqs get_actions(const std::vector<GoldTree>& trees, int64_t min_freq);
  // spaCy's initialize_actions: replaces all actions (see the header comment for the order).
  void initialize_actions(const LabelFreqs& freqs);
  // spaCy's add_action: false when present; appended with a made-up lower frequency.
  bool add_action(int move, const std::string& label);
  bool has_action(int move, const std::string& label) const;
  const LabelFreqs& label_freqs() const { return freqs_; }
  const std::vector<Action>& actions() const { return actions_; }
  int64_t n_actions() const { return int64_t(actions_.size()); }
  const std::vector<std::string>& labels() const { return label_names_; }
  int64_t find_label(const std::string& label) const;  // -1 when unknown
  // "S", "D", "L-nsubj", "R-dobj", "B-ROOT" ("B" for an empty label).
  std::string action_name(int64_t a) const;
  int64_t lookup(const std::string& name) const;  // -1 when unknown
  // DependencyParser.labels: the sorted labels of the actions, a decorated label counted by
  // its head part.
  std::vector<std::string> parser_labels() const;
  int64_t root_label() const { return root_; }

  // Validity of each move kind (label-independent) and of an action.
  bool move_is_valid(const State& s, int move) const;
  bool is_valid(const State& s, int64_t a) const { return move_is_valid(s, actions_[size_t(a)].move); }
  void set_valid(const State& s, uint8_t* valid) const;
  void apply(State& s, int64_t a) const;

  // create_gold_state + _replace_unseen_labels: `heads` / `labels` are the aligned parse of the
  // predicted tokens (nullopt: unknown), sent_starts the aligned gold sentence starts.
  Gold make_gold(const std::vector<std::optional<size_t>>& heads,
                 const std::vector<std::optional<std::string>>& labels,
                 const std::vector<std::optional<bool>>& sent_starts) const;
  // ArcEagerGold(example): the projectivized aligned parse and _get_aligned_sent_starts.
  // ValueError for an invalid (cyclic) reference tree.
  Gold init_gold(const Example& eg) const;
  // update_gold_state.
  void update_gold(const State& s, Gold& gold) const;
  // set_costs: refreshes the gold for `s`, then each valid action's cost, kInvalidCost for the
  // invalid ones. Returns the number of zero-cost valid actions.
  int set_costs(const State& s, Gold& gold, float* costs) const;
  // The cost of one valid action after update_gold (get_cost); kInvalidCost when invalid.
  float cost(const State& s, const Gold& gold, int64_t a) const;
  // arc_eager.pyx get_oracle_sequence_from_state: from `s`, the first valid action of minimal
  // cost at every step; stops (returning the actions so far) when a state has no gold action.
  std::vector<int64_t> oracle_sequence(State s, Gold& gold) const;
  // The state's context tokens (_state.pxd set_context_tokens, nF 8 or 13) as batch rows; -1
  // tokens become `none`.
  static void features(const State& s, int64_t nF, int64_t none, int64_t* ids);
  // Writes the state's arcs to the doc (heads, deps; roots get "ROOT") and recomputes the
  // navigation data and sentence starts (arc_eager.pyx set_annotations).
  void set_annotations(const State& s, Doc& doc) const;

 private:
  int64_t label_id(const std::string& label);  // adds to the table
  bool label_is_gold(const Gold& g, int32_t child, int64_t label) const;
  float push_cost(const State& s, const Gold& g) const;
  float pop_cost(const State& s, const Gold& g) const;

  std::vector<Action> actions_;
  LabelFreqs freqs_;
  std::vector<std::string> label_names_;
  std::unordered_map<std::string, int64_t> label_index_;
  int64_t root_ = 0, dep_ = 0;
  std::vector<std::vector<uint8_t>> has_label_;  // [move][label]: the action exists
};

}  // namespace trfpipe::parser
