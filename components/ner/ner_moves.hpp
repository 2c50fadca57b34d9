// The `ner` component's transition system: spaCy's BILUO moves (spacy/pipeline/_parser_internals/
// ner.pyx) with their validity, transitions and dynamic-oracle costs. Internal to components/
// (the tests reach it to check the costs on hand-made states); torch-free.
//
// Actions: B-X, I-X, L-X, U-X for every label X (in label order, grouped by move), then O.
// spaCy's extra "U-" action (label 0, only valid on a preset blocked token) is not part of the
// model's output, so preset blocked tokens are treated as unannotated.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "components/parser_internals/costs.hpp"
#include "trfpipe/doc.hpp"

namespace trfpipe::ner {

// ner.pyx's move kinds, in its order.
enum Move : int { MISSING = 0, BEGIN, IN, LAST, UNIT, OUT };

// What a state needs of its predicted Doc: per token whether it starts a sentence, is white
// space, and its preset entity annotation (ent_iob 0-3; the label's index, -1 for none or a label
// the component does not have, in which case the token counts as unannotated).
struct DocInfo {
  std::vector<bool> sent_start, is_space;
  std::vector<uint8_t> preset_iob;
  std::vector<int64_t> preset_label;
  size_t size() const { return sent_start.size(); }
};

struct Entity {
  int64_t start, end, label;  // tokens [start, end)
  bool operator==(const Entity& o) const {
    return start == o.start && end == o.end && label == o.label;
  }
};

struct State {
  const DocInfo* info = nullptr;
  int64_t n = 0, offset = 0, b0 = 0, ent_start = -1, ent_label = -1;
  std::vector<Entity> ents;
  bool is_final() const { return b0 >= n; }
  bool open() const { return ent_start >= 0; }
  int64_t buffer_length() const { return n - b0; }
};

// The gold of one doc (ner.pyx GoldNERStateC): one (move, label index) per predicted token and
// the negative spans (doc.spans[incorrect_spans_key] aligned to the predicted tokens).
struct GoldTag {
  int move = MISSING;
  int64_t label = -1;
};
struct Gold {
  std::vector<GoldTag> ner;
  std::vector<Entity> negs;
};

using transition::kInvalidCost;

class BiluoMoves {
 public:
  std::vector<std::string> labels;
  int64_t nL() const { return int64_t(labels.size()); }
  int64_t n_actions() const { return 4 * nL() + 1; }
  int64_t out_action() const { return 4 * nL(); }
  int64_t action(int move, int64_t label) const {
    return move == OUT ? out_action() : (move - BEGIN) * nL() + label;
  }
  int move_of(int64_t a) const { return a == out_action() ? OUT : BEGIN + int(a / nL()); }
  int64_t label_of(int64_t a) const { return a == out_action() ? -1 : a % nL(); }
  int64_t label_index(const std::string& label) const;

  DocInfo doc_info(const Doc& doc) const;
  bool is_valid(const State& s, int64_t a) const;
  void apply(State& s, int64_t a) const;
  // ner.pyx's <Move>.cost for a valid action; kInvalidCost for an invalid one.
  float cost(const State& s, const Gold& gold, int64_t a) const;
  // One gold BILUO tag ("O", "B-PER", "-", ...): unknown labels and malformed tags are MISSING.
  GoldTag gold_tag(const std::string& tag) const;
  // transition_system.pyx get_oracle_sequence_from_state: from `s` (not changed), the first
  // valid zero-cost action in action order at each step until the state is final. ValueError
  // (spaCy's E024) when a state has none.
  std::vector<int64_t> oracle_sequence(State s, const Gold& gold) const;
  std::string action_name(int64_t a) const;

 private:
  uint8_t iob(const State& s, int64_t i) const {  // B_(k).ent_iob; 0 past the end
    return i < s.n ? s.info->preset_iob[size_t(i)] : 0;
  }
};

}  // namespace trfpipe::ner
