// spaCy's BILUO transition system (ner.pyx): validity, transitions, costs, oracle sequence.
#include "components/ner/ner_moves.hpp"

#include <algorithm>

#include "trfpipe/error.hpp"

namespace trfpipe::ner {

int64_t BiluoMoves::label_index(const std::string& label) const {
  auto it = std::find(labels.begin(), labels.end(), label);
  return it == labels.end() ? -1 : int64_t(it - labels.begin());
}

DocInfo BiluoMoves::doc_info(const Doc& doc) const {
  DocInfo info;
  const size_t n = doc.size();
  info.sent_start.resize(n);
  info.is_space.resize(n);
  info.preset_iob.resize(n);
  info.preset_label.assign(n, -1);
  const StringStore& ss = doc.vocab().strings();
  for (size_t i = 0; i < n; ++i) {
    const TokenData& t = doc.tokens()[i];
    info.sent_start[i] = t.sent_start == 1;
    info.is_space[i] = doc.token(i).is_space();
    uint8_t iob = t.ent_iob;
    if (iob == 1 || iob == 3) {
      const int64_t label = t.ent_type && ss.contains(t.ent_type) ? label_index(ss[t.ent_type]) : -1;
      if (label < 0) iob = 0;  // blocked, or a label this component does not predict
      info.preset_label[i] = label;
    }
    info.preset_iob[i] = iob;
  }
  return info;
}

bool BiluoMoves::is_valid(const State& s, int64_t a) const {
  if (s.is_final() || a < 0 || a >= n_actions()) return false;
  const int move = move_of(a);
  const int64_t label = label_of(a), b0 = s.b0;
  const uint8_t p_iob = iob(s, b0), next_iob = iob(s, b0 + 1);
  const int64_t p_label = s.info->preset_label[size_t(b0)];
  const bool next_sent_start = b0 + 1 < s.n && s.info->sent_start[size_t(b0 + 1)];
  const bool space = s.info->is_space[size_t(b0)];
  switch (move) {
    case OUT:
      return !s.open() && p_iob != 3 && p_iob != 1;
    case BEGIN:
      if (s.open() || s.buffer_length() < 2 || p_iob == 1) return false;
      if (p_iob == 3) return label == p_label && next_iob == 1;  // forced by the preset entity
      return next_iob != 3 && !next_sent_start && !space;
    case IN:
      if (!s.open() || s.buffer_length() < 2 || s.ent_label != label) return false;
      if (p_iob == 3 || next_iob == 3) return false;
      if (p_iob == 1) return next_iob == 1 && label == p_label;
      return !next_sent_start;
    case LAST:
      if (!s.open()) return false;
      if (p_iob == 1 && next_iob != 1) return label == p_label;
      return s.ent_label == label && next_iob != 1;
    case UNIT:
      if (s.open() || next_iob == 1) return false;
      if (p_iob == 3) return label == p_label;
      return !space;
  }
  return false;
}

void BiluoMoves::apply(State& s, int64_t a) const {
  switch (move_of(a)) {
    case BEGIN:
      s.ent_start = s.b0;
      s.ent_label = label_of(a);
      break;
    case LAST:  // close_ent: the entity keeps the label it was opened with
      s.ents.push_back({s.ent_start, s.b0 + 1, s.ent_label});
      s.ent_start = s.ent_label = -1;
      break;
    case UNIT:
      s.ents.push_back({s.b0, s.b0 + 1, label_of(a)});
      break;
    default:
      break;
  }
  s.b0 += 1;
}

namespace {

// ner.pyx _entity_is_sunk: the open entity cannot be correct any more.
bool entity_is_sunk(const State& s, const Gold& gold) {
  if (!s.open()) return false;
  const GoldTag& g = gold.ner[size_t(s.ent_start)];
  return (g.move != BEGIN && g.move != UNIT) || g.label != s.ent_label;
}

}  // namespace

float BiluoMoves::cost(const State& s, const Gold& gold, int64_t a) const {
  if (!is_valid(s, a)) return kInvalidCost;
  const int move = move_of(a);
  const int64_t label = label_of(a), b0 = s.b0;
  const GoldTag& g = gold.ner[size_t(b0)];
  int cost = 0;
  switch (move) {
    case BEGIN:
      if (g.move == BEGIN) cost += label != g.label;
      else if (g.move != MISSING) cost += 1;
      // Opening an entity whose only possible end is a known negative.
      if (s.buffer_length() < 3)
        for (const Entity& neg : gold.negs)
          if (neg.label == label && neg.start == b0) {
            cost += 1;
            break;
          }
      return float(cost);
    case IN: {
      const int next = b0 + 1 < s.n ? gold.ner[size_t(b0 + 1)].move : int(OUT);
      const bool next_out = next == OUT || next == MISSING;
      switch (g.move) {
        case LAST: return float(!(entity_is_sunk(s, gold) && next_out));
        case OUT: return float(!next_out);
        case UNIT: return float(next != OUT);
        default: return 0.f;  // MISSING, BEGIN, IN
      }
    }
    case LAST:
      if (g.move == IN) cost += !entity_is_sunk(s, gold);
      for (const Entity& neg : gold.negs)
        if (neg.label == label && neg.end - 1 == b0 && neg.start == s.ent_start) {
          cost += 1;
          break;
        }
      return float(cost);
    case UNIT:
      if (g.move == UNIT) cost += label != g.label;
      else if (g.move != MISSING) cost += 1;
      for (const Entity& neg : gold.negs)
        if (neg.label == label && neg.start == b0 && neg.end == b0 + 1) {
          cost += 1;
          break;
        }
      return float(cost);
    default:  // OUT
      return float(g.move == BEGIN || g.move == UNIT);
  }
}

GoldTag BiluoMoves::gold_tag(const std::string& tag) const {
  if (tag == "O") return {OUT, -1};
  if (tag.size() < 3 || tag[1] != '-') return {};
  const int64_t label = label_index(tag.substr(2));
  if (label < 0) return {};
  switch (tag[0]) {
    case 'B': return {BEGIN, label};
    case 'I': return {IN, label};
    case 'L': return {LAST, label};
    case 'U': return {UNIT, label};
  }
  return {};
}

std::vector<int64_t> BiluoMoves::oracle_sequence(State s, const Gold& gold) const {
  std::vector<int64_t> history;
  while (!s.is_final()) {
    int64_t chosen = -1;
    for (int64_t a = 0; a < n_actions() && chosen < 0; ++a)
      if (cost(s, gold, a) <= 0.f) chosen = a;
    if (chosen < 0)
      throw ValueError("[E024] ner: no zero-cost action at token " + std::to_string(s.b0) +
                       " (the gold entities cannot be reached by the transition system)");
    history.push_back(chosen);
    apply(s, chosen);
  }
  return history;
}

std::string BiluoMoves::action_name(int64_t a) const {
  if (a == out_action()) return "O";
  return std::string(1, "BILU"[a / nL()]) + "-" + labels[size_t(a % nL())];
}

}  // namespace trfpipe::ner
