// spaCy's arc-eager transition system (arc_eager.pyx): validity, transitions, dynamic-oracle
// costs, the action inventory and the parser's state features.
#include "components/parser/arc_eager.hpp"

#include <algorithm>
#include <set>

#include "trfpipe/error.hpp"
#include "trfpipe/nonproj.hpp"

namespace trfpipe::parser {

namespace {
const char* kMoveNames[] = {"S", "D", "L", "R", "B"};

std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
  return s;
}

int64_t* find_freq(std::vector<std::pair<std::string, int64_t>>& v, const std::string& label) {
  for (auto& [l, f] : v)
    if (l == label) return &f;
  return nullptr;
}
}  // namespace

DocInfo doc_info(const Doc& doc) {
  DocInfo info;
  info.sent_start.reserve(doc.size());
  for (const TokenData& t : doc.tokens()) info.sent_start.push_back(t.sent_start);
  return info;
}

// ---- State ----

State::State(const DocInfo* info_, int64_t offset_)
    : info(info_), length(int32_t(info_->size())), offset(offset_) {
  heads.assign(size_t(length), -1);
  labels.assign(size_t(length), 0);
  unshiftable.assign(size_t(length), 0);
  break_start.assign(size_t(length), 0);
  left_kids.resize(size_t(length));
  right_kids.resize(size_t(length));
}

int32_t State::B(int i) const {
  if (i < 0) return -1;
  if (size_t(i) < rebuffer.size()) return rebuffer[rebuffer.size() - 1 - size_t(i)];
  const int32_t b = b_i + (i - int32_t(rebuffer.size()));
  return b >= length ? -1 : b;
}

bool State::is_sent_start(int32_t word) const {
  if (word < 0 || word >= length) return false;
  return info->sent_start[size_t(word)] == 1 || break_start[size_t(word)];
}

bool State::cannot_sent_start(int32_t word) const {
  if (word < 0 || word >= length) return false;
  return info->sent_start[size_t(word)] == -1;
}

int32_t State::L(int32_t head, int idx) const {
  if (idx < 1 || head < 0 || head >= length) return -1;
  const auto& kids = left_kids[size_t(head)];
  return size_t(idx) <= kids.size() ? kids[kids.size() - size_t(idx)] : -1;
}

int32_t State::R(int32_t head, int idx) const {
  if (idx < 1 || head < 0 || head >= length) return -1;
  const auto& kids = right_kids[size_t(head)];
  return size_t(idx) <= kids.size() ? kids[kids.size() - size_t(idx)] : -1;
}

void State::push() {
  int32_t b0;
  if (!rebuffer.empty()) {
    b0 = rebuffer.back();
    rebuffer.pop_back();
  } else {
    b0 = b_i++;
  }
  stack.push_back(b0);
}

void State::unshift() {
  const int32_t s0 = stack.back();
  unshiftable[size_t(s0)] = 1;
  rebuffer.push_back(s0);
  stack.pop_back();
}

void State::add_arc(int32_t head, int32_t child, int64_t label) {
  if (has_head(child)) {
    // spaCy's del_arc: the replaced arc is the last one of its head (a re-attached S0 was
    // pushed by that arc and nothing was attached to its head since).
    const int32_t old = heads[size_t(child)];
    auto& kids = old > child ? left_kids[size_t(old)] : right_kids[size_t(old)];
    auto it = std::find(kids.rbegin(), kids.rend(), child);
    if (it != kids.rend()) kids.erase(std::next(it).base());
  }
  (head > child ? left_kids : right_kids)[size_t(head)].push_back(child);
  heads[size_t(child)] = head;
  labels[size_t(child)] = label;
}

// ---- ArcEager: actions ----

ArcEager::ArcEager() {
  label_names_.push_back("");
  label_index_[""] = 0;
  root_ = label_id("ROOT");
  dep_ = label_id("dep");
  has_label_.assign(N_MOVES, std::vector<uint8_t>(label_names_.size(), 0));
}

int64_t ArcEager::label_id(const std::string& label) {
  auto it = label_index_.find(label);
  if (it != label_index_.end()) return it->second;
  const int64_t id = int64_t(label_names_.size());
  label_names_.push_back(label);
  label_index_[label] = id;
  for (auto& row : has_label_) row.push_back(0);
  return id;
}

int64_t ArcEager::find_label(const std::string& label) const {
  auto it = label_index_.find(label);
  return it == label_index_.end() ? -1 : it->second;
}

LabelFreqs ArcEager::get_actions(const std::vector<GoldTree>& trees, int64_t min_freq) {
  // Ordered (first-seen) counters, as Python's Counter keeps insertion order.
  LabelFreqs actions;
  auto bump = [&](int move, const std::string& label) {
    auto& v = actions[move];
    if (int64_t* f = find_freq(v, label)) ++*f;
    else v.emplace_back(label, 1);
  };
  actions[SHIFT].emplace_back("", 1);
  actions[REDUCE].emplace_back("", 1);
  for (const GoldTree& t : trees) {
    for (size_t child = 0; child < t.heads.size(); ++child) {
      const int64_t head = t.heads[child];
      if (head < 0 || !t.labels[child]) continue;
      std::string label = *t.labels[child];
      if (upper(label) == "ROOT") label = "ROOT";
      if (head == int64_t(child)) bump(BREAK, label);
      if (head < int64_t(child)) {
        bump(RIGHT, label);
        bump(REDUCE, "");
      } else if (head > int64_t(child)) {
        bump(LEFT, label);
        bump(SHIFT, "");
      }
    }
  }
  if (min_freq > 0)
    for (auto& [move, v] : actions)
      v.erase(std::remove_if(v.begin(), v.end(), [&](const auto& p) { return p.second < min_freq; }),
              v.end());
  auto setdefault = [&](int move, const std::string& label) {
    auto& v = actions[move];
    if (!find_freq(v, label)) v.emplace_back(label, 0);
  };
  setdefault(BREAK, "ROOT");
  setdefault(RIGHT, "dep");  // used for backoff
  setdefault(LEFT, "dep");
  return actions;
}

void ArcEager::initialize_actions(const LabelFreqs& freqs) {
  actions_.clear();
  freqs_.clear();
  for (auto& row : has_label_) std::fill(row.begin(), row.end(), 0);
  // Actions with a negative (made-up) frequency come after all others, grouped by label.
  std::vector<std::pair<int64_t, std::string>> added;
  std::map<std::string, std::vector<int>> added_moves;
  for (const auto& [move, label_freqs] : freqs) {
    if (move < 0 || move >= N_MOVES)
      throw ValueError("[E019] unknown arc-eager move " + std::to_string(move) +
                       " in the transition table");
    freqs_[move];
    std::vector<std::pair<int64_t, std::string>> sorted;
    for (const auto& [label, f] : label_freqs) sorted.emplace_back(f, label);
    std::sort(sorted.rbegin(), sorted.rend());  // (freq, label) descending
    for (const auto& [f, label] : sorted) {
      if (f < 0) {
        added.emplace_back(f, label);
        added_moves[label].push_back(move);
        continue;
      }
      add_action(move, label);
      *find_freq(freqs_[move], label) = f;
    }
  }
  std::sort(added.rbegin(), added.rend());
  for (const auto& [f, label] : added)
    for (int move : added_moves[label]) {
      add_action(move, label);
      *find_freq(freqs_[move], label) = f;
    }
}

bool ArcEager::add_action(int move, const std::string& label) {
  if (move < 0 || move >= N_MOVES)
    throw ValueError("[E019] unknown arc-eager move " + std::to_string(move));
  const int64_t id = label_id(label);
  if (has_label_[size_t(move)][size_t(id)]) return false;
  actions_.push_back({move, id});
  has_label_[size_t(move)][size_t(id)] = 1;
  auto& v = freqs_[move];
  int64_t new_freq = -1;
  if (!v.empty()) {
    new_freq = v.front().second;
    for (const auto& p : v) new_freq = std::min(new_freq, p.second);
    new_freq = std::min<int64_t>(new_freq, 0);
  }
  if (int64_t* f = find_freq(v, label)) *f = new_freq - 1;
  else v.emplace_back(label, new_freq - 1);
  return true;
}

bool ArcEager::has_action(int move, const std::string& label) const {
  const int64_t id = find_label(label);
  return move >= 0 && move < N_MOVES && id >= 0 && has_label_[size_t(move)][size_t(id)];
}

std::string ArcEager::action_name(int64_t a) const {
  const Action& act = actions_.at(size_t(a));
  const std::string& label = label_names_[size_t(act.label)];
  return label.empty() ? kMoveNames[act.move] : std::string(kMoveNames[act.move]) + "-" + label;
}

int64_t ArcEager::lookup(const std::string& name) const {
  for (int64_t a = 0; a < n_actions(); ++a)
    if (action_name(a) == name) return a;
  return -1;
}

std::vector<std::string> ArcEager::parser_labels() const {
  std::set<std::string> labels;
  for (const Action& a : actions_) {
    std::string label = label_names_[size_t(a.label)];
    if (label.empty()) continue;
    if (nonproj::is_decorated(label)) label = nonproj::decompose(label).second;
    labels.insert(label);
  }
  return {labels.begin(), labels.end()};
}

// ---- ArcEager: moves ----

bool ArcEager::move_is_valid(const State& s, int move) const {
  if (s.is_final()) return false;
  switch (move) {
    case SHIFT:
      if (s.stack_depth() == 0) return true;
      if (s.buffer_length() < 2) return false;
      if (s.is_sent_start(s.B(0))) return false;
      return !s.is_unshiftable(s.B(0));
    case REDUCE:
      if (s.stack_depth() == 0) return false;
      if (s.buffer_length() == 0) return true;
      return !(s.stack_depth() == 1 && s.cannot_sent_start(s.B(0)));  // l_edge(B0) is B0
    case LEFT:
    case RIGHT:
      return s.stack_depth() > 0 && s.buffer_length() > 0 && !s.is_sent_start(s.B(0));
    case BREAK:
      if (s.buffer_length() < 2) return false;
      if (s.B(1) != s.B(0) + 1) return false;
      return !s.is_sent_start(s.B(1)) && !s.cannot_sent_start(s.B(1));
  }
  return false;
}

void ArcEager::set_valid(const State& s, uint8_t* valid) const {
  uint8_t by_move[N_MOVES];
  for (int m = 0; m < N_MOVES; ++m) by_move[m] = move_is_valid(s, m);
  for (size_t a = 0; a < actions_.size(); ++a) valid[a] = by_move[actions_[a].move];
}

void ArcEager::apply(State& s, int64_t a) const {
  const Action& act = actions_[size_t(a)];
  switch (act.move) {
    case SHIFT:
      s.push();
      break;
    case REDUCE:
      if (s.has_head(s.S(0)) || s.stack_depth() == 1) s.pop();
      else s.unshift();
      break;
    case LEFT: {
      const int32_t b0 = s.B(0);
      s.add_arc(b0, s.S(0), act.label);
      // Changing the stack may lift the shifted mark: no infinite loop this way.
      if (b0 >= 0) s.unshiftable[size_t(b0)] = 0;
      s.pop();
      break;
    }
    case RIGHT:
      s.add_arc(s.S(0), s.B(0), act.label);
      s.push();
      break;
    case BREAK:
      s.break_start[size_t(s.B(1))] = 1;
      break;
  }
}

// ---- ArcEager: gold and costs ----

std::vector<std::optional<bool>> aligned_sent_starts(const Example& eg) {
  const size_t n = eg.predicted().size();
  Doc& y = eg.reference();
  if (!y.has_annotation("SENT_START")) return std::vector<std::optional<bool>>(n);
  const auto& y2x = eg.alignment().y2x;
  std::vector<std::optional<bool>> out(n, false);
  std::set<int64_t> seen;
  for (const Span& sent : y.sents()) {
    std::vector<int64_t> xs;
    for (size_t i = sent.start(); i < sent.end() && i < y2x.size(); ++i)
      xs.insert(xs.end(), y2x[i].begin(), y2x[i].end());
    for (int64_t x : xs)
      if (seen.count(x)) return std::vector<std::optional<bool>>(n);
    seen.insert(xs.begin(), xs.end());
    if (!xs.empty()) out[size_t(xs.front())] = true;
  }
  return out;
}

bool has_gold(const Example& eg, int64_t start, int64_t end) {
  const auto& t = eg.reference().tokens();
  const int64_t n = int64_t(t.size());
  if (end < 0) end += n;
  for (int64_t i = std::max<int64_t>(start, 0); i < std::min(end, n); ++i)
    if (t[size_t(i)].dep != 0) return true;
  return false;
}

Gold ArcEager::init_gold(const Example& eg) const {
  Example::AlignedParse p = eg.get_aligned_parse(true);
  return make_gold(p.heads, p.deps, aligned_sent_starts(eg));
}

Gold ArcEager::make_gold(const std::vector<std::optional<size_t>>& heads,
                         const std::vector<std::optional<std::string>>& labels,
                         const std::vector<std::optional<bool>>& sent_starts) const {
  const size_t n = heads.size();
  if (labels.size() != n || sent_starts.size() != n)
    throw ValueError("arc-eager gold: " + std::to_string(n) + " heads, " +
                     std::to_string(labels.size()) + " labels, " +
                     std::to_string(sent_starts.size()) + " sentence starts");
  Gold g;
  g.heads.assign(n, 0);
  g.labels.assign(n, 0);
  g.head_unknown.assign(n, 0);
  g.sent_start.assign(n, 0);
  g.sent_start_unknown.assign(n, 0);
  g.kids.resize(n);
  g.head_in_stack.assign(n, 0);
  g.head_in_buffer.assign(n, 0);
  g.n_kids_in_stack.assign(n, 0);
  g.n_kids_in_buffer.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    if (!sent_starts[i]) g.sent_start_unknown[i] = 1;
    else g.sent_start[i] = *sent_starts[i];
  }
  for (size_t i = 0; i < n; ++i) {
    if (!heads[i]) {
      g.head_unknown[i] = 1;
      continue;
    }
    const size_t head = *heads[i];
    g.heads[i] = int32_t(head);
    // _replace_unseen_labels: a label without an action of the arc's direction backs off to
    // "dep" (arcs) or "ROOT" (roots).
    const int64_t l = labels[i] ? find_label(*labels[i]) : 0;
    const int move = head > i ? LEFT : head < i ? RIGHT : BREAK;
    const bool known = l >= 0 && has_label_[size_t(move)][size_t(l)];
    g.labels[i] = known ? l : (move == BREAK ? root_ : dep_);
    if (head != i) g.kids[head].push_back(int32_t(i));
  }
  return g;
}

void ArcEager::update_gold(const State& s, Gold& g) const {
  std::fill(g.head_in_stack.begin(), g.head_in_stack.end(), 0);
  std::fill(g.head_in_buffer.begin(), g.head_in_buffer.end(), 0);
  std::fill(g.n_kids_in_stack.begin(), g.n_kids_in_stack.end(), 0);
  std::fill(g.n_kids_in_buffer.begin(), g.n_kids_in_buffer.end(), 0);
  for (int i = 0; i < s.stack_depth(); ++i) {
    const int32_t si = s.S(i);
    if (!g.head_unknown[size_t(si)] && g.heads[size_t(si)] != si)
      ++g.n_kids_in_stack[size_t(g.heads[size_t(si)])];
    for (int32_t kid : g.kids[size_t(si)]) g.head_in_stack[size_t(kid)] = 1;
  }
  for (int i = 0; i < s.buffer_length(); ++i) {
    const int32_t bi = s.B(i);
    if (s.is_sent_start(bi)) break;
    if (!g.head_unknown[size_t(bi)] && g.heads[size_t(bi)] != bi)
      ++g.n_kids_in_buffer[size_t(g.heads[size_t(bi)])];
    for (int32_t kid : g.kids[size_t(bi)]) g.head_in_buffer[size_t(kid)] = 1;
  }
  g.push_cost = push_cost(s, g);
  g.pop_cost = pop_cost(s, g);
}

float ArcEager::push_cost(const State& s, const Gold& g) const {
  const int32_t b0 = s.B(0);
  if (b0 < 0) return kInvalidCost;
  float cost = float(g.head_in_stack[size_t(b0)]) + float(g.n_kids_in_stack[size_t(b0)]);
  const int32_t b1 = s.B(1);
  if (move_is_valid(s, BREAK) && b1 >= 0 && g.sent_start[size_t(b1)]) cost += 1;
  return cost;
}

float ArcEager::pop_cost(const State& s, const Gold& g) const {
  const int32_t s0 = s.S(0);
  if (s0 < 0) return kInvalidCost;
  return float(g.head_in_buffer[size_t(s0)]) + float(g.n_kids_in_buffer[size_t(s0)]);
}

bool ArcEager::label_is_gold(const Gold& g, int32_t child, int64_t label) const {
  return g.head_unknown[size_t(child)] || label == 0 || g.labels[size_t(child)] == label;
}

float ArcEager::cost(const State& s, const Gold& g, int64_t a) const {
  if (!is_valid(s, a)) return kInvalidCost;
  const Action& act = actions_[size_t(a)];
  const int32_t s0 = s.S(0), s1 = s.S(1), b0 = s.B(0);
  switch (act.move) {
    case SHIFT:
      return g.push_cost;
    case REDUCE: {
      if (s.is_sent_start(b0)) return 0.f;
      float cost = g.pop_cost;
      if (!s.has_head(s0)) {
        // The arcs saved by putting S0 back on the buffer.
        cost -= float(g.head_in_stack[size_t(s0)]);
        cost -= float(g.n_kids_in_stack[size_t(s0)]);
      }
      return cost;
    }
    case LEFT: {
      float cost = g.pop_cost;
      if (s.has_head(s0)) {
        cost += float(g.heads[size_t(s0)] == s1);  // clobbering a correct arc
      } else {
        cost += float(g.head_in_stack[size_t(s0)]) + float(g.n_kids_in_stack[size_t(s0)]);
      }
      if (b0 != -1 && s0 != -1 && g.heads[size_t(s0)] == b0) {
        cost -= 1;
        cost += float(!label_is_gold(g, s0, act.label));
      }
      return cost;
    }
    case RIGHT: {
      float cost = g.push_cost;
      if (s0 != -1 && b0 != -1 && g.heads[size_t(b0)] == s0) {
        cost -= 1;
        cost += float(!label_is_gold(g, b0, act.label));
      } else if (g.head_in_buffer[size_t(b0)] && !s.is_unshiftable(b0)) {
        cost += 1;
      }
      return cost;
    }
    case BREAK: {
      int cost = 0;
      for (int i = 0; i < s.stack_depth(); ++i) {
        const int32_t si = s.S(i);
        cost += g.head_in_buffer[size_t(si)];
        cost += g.n_kids_in_buffer[size_t(si)];
        // Scoring into B[1:]: arcs at b0 do not count.
        if (g.heads[size_t(b0)] == si) cost -= 1;
        if (g.heads[size_t(si)] == b0) cost -= 1;
      }
      const int32_t b1 = s.B(1);
      if (!g.sent_start[size_t(b1)] && !g.sent_start_unknown[size_t(b1)]) cost += 1;
      return float(cost);
    }
  }
  return kInvalidCost;
}

int ArcEager::set_costs(const State& s, Gold& g, float* costs) const {
  update_gold(s, g);
  int n_gold = 0;
  for (int64_t a = 0; a < n_actions(); ++a) {
    costs[a] = cost(s, g, a);
    if (costs[a] <= 0.f) ++n_gold;  // invalid actions cost 9000
  }
  return n_gold;
}

std::vector<int64_t> ArcEager::oracle_sequence(State s, Gold& g) const {
  std::vector<int64_t> history;
  std::vector<float> costs(static_cast<size_t>(n_actions()), 0.f);
  while (!s.is_final()) {
    if (set_costs(s, g, costs.data()) < 1) break;  // spaCy returns what it has (no _debug)
    const float min_cost = *std::min_element(costs.begin(), costs.end());
    int64_t chosen = -1;
    for (int64_t a = 0; a < n_actions() && chosen < 0; ++a)
      if (is_valid(s, a) && costs[size_t(a)] <= min_cost) chosen = a;
    if (chosen < 0) break;
    history.push_back(chosen);
    apply(s, chosen);
  }
  return history;
}

// ---- features and annotations ----

void ArcEager::features(const State& s, int64_t nF, int64_t none, int64_t* ids) {
  int32_t t[13];
  if (nF == 8) {
    t[0] = s.B(0); t[1] = s.B(1); t[2] = s.S(0); t[3] = s.S(1); t[4] = s.S(2);
    t[5] = s.L(s.B(0), 1); t[6] = s.L(s.S(0), 1); t[7] = s.R(s.S(0), 1);
  } else {
    // spaCy's 13 ids, including its overwrite of slot 6 (L(S0, 2) is never used).
    t[0] = s.B(0); t[1] = s.B(1); t[2] = s.S(0); t[3] = s.S(1); t[4] = s.S(2);
    t[5] = s.L(s.S(0), 1); t[6] = s.R(s.S(0), 1); t[7] = s.L(s.B(0), 1);
    t[8] = s.R(s.S(0), 2); t[9] = s.L(s.S(1), 1); t[10] = s.L(s.S(1), 2);
    t[11] = s.R(s.S(1), 1); t[12] = s.R(s.S(1), 2);
  }
  for (int64_t f = 0; f < nF; ++f) ids[f] = t[f] >= 0 ? s.offset + t[f] : none;
}

void ArcEager::set_annotations(const State& s, Doc& doc) const {
  auto& toks = doc.tokens();
  StringStore& ss = doc.vocab().strings();
  const hash_t root = ss.add(label_names_[size_t(root_)]);
  for (size_t i = 0; i < toks.size(); ++i) {
    const int32_t h = i < s.heads.size() ? s.heads[i] : -1;
    if (h >= 0) {
      toks[i].head = int32_t(h - int32_t(i));
      toks[i].dep = ss.add(label_names_[size_t(s.labels[i])]);
    } else {
      toks[i].head = 0;
    }
    if (toks[i].head == 0) toks[i].dep = root;
  }
  doc.set_children_from_heads();
}

}  // namespace trfpipe::parser
