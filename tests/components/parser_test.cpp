// The arc-eager transition system (components/parser/arc_eager.hpp), table-driven after spaCy's
// spacy/tests/parser/test_arc_eager_oracle.py with our own sentences: the zero-cost actions of
// every step, the oracle sequence of a sentence, the unshift move (issue 7056), the action
// inventory (get_actions, initialize_actions order, add_action, min_freq, backoff labels), the
// state features; and the oracle reproducing random gold trees (projectivized) exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "components/parser/arc_eager.hpp"
#include "tests/pipeline/error_of.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/example.hpp"
#include "trfpipe/nonproj.hpp"

using namespace trfpipe;
using namespace trfpipe::parser;

namespace {

std::shared_ptr<Vocab> vocab() { return std::make_shared<Vocab>("en"); }

std::shared_ptr<Doc> parsed_doc(const std::vector<std::string>& words, const std::vector<size_t>& heads,
                                const std::vector<std::string>& deps) {
  auto doc = std::make_shared<Doc>(vocab(), words);
  doc->set_parse(std::vector<std::optional<size_t>>(heads.begin(), heads.end()), deps);
  return doc;
}

// spaCy's `ArcEager(strings, ArcEager.get_actions())` plus labels for both arc directions.
ArcEager moves_with(const std::vector<std::string>& labels) {
  ArcEager m;
  m.initialize_actions(ArcEager::get_actions({}, 0));
  for (const auto& l : labels) {
    m.add_action(LEFT, l);
    m.add_action(RIGHT, l);
  }
  return m;
}

std::vector<std::string> names(const ArcEager& m, const std::vector<int64_t>& actions) {
  std::vector<std::string> out;
  for (int64_t a : actions) out.push_back(m.action_name(a));
  return out;
}

void apply_named(const ArcEager& m, State& s, const std::string& name) {
  const int64_t a = m.lookup(name);
  ASSERT_GE(a, 0) << name;
  ASSERT_TRUE(m.is_valid(s, a)) << name;
  m.apply(s, a);
}

struct Oracle {
  DocInfo info;
  State state;
  Gold gold;
};

// The start state and gold of a doc parsed by (heads, deps), tokenized the same.
std::unique_ptr<Oracle> oracle_for(const ArcEager& m, std::shared_ptr<Doc> ref) {
  auto o = std::make_unique<Oracle>();
  Example eg = Example::from_reference(ref);
  o->info = doc_info(eg.predicted());
  o->state = State(&o->info, 0);
  o->gold = m.init_gold(eg);
  return o;
}

}  // namespace

// ---- costs and oracles ----

TEST(ArcEager, ZeroCostActionsOfEveryStep) {
  // test_oracle_four_words: two sentences, "a" <- "b" and "c" <- "d".
  ArcEager m = moves_with({"left", "right"});
  for (const char* dep : {"left", "ROOT"}) {
    m.add_action(LEFT, dep);
    m.add_action(RIGHT, dep);
  }
  EXPECT_EQ(names(m, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}),
            (std::vector<std::string>{"S", "D", "L-dep", "R-dep", "B-ROOT", "L-left", "R-left",
                                      "L-right", "R-right", "L-ROOT", "R-ROOT"}));
  auto o = oracle_for(m, parsed_doc({"a", "b", "c", "d"}, {1, 1, 3, 3}, {"left", "ROOT", "left", "ROOT"}));
  const std::vector<std::string> actions = {"S", "L-left", "B-ROOT", "S", "D", "S", "L-left", "S", "D"};
  const std::vector<std::vector<std::string>> gold = {
      {"S"}, {"B-ROOT", "L-left"}, {"B-ROOT"}, {"S"}, {"D"}, {"S"}, {"L-left"}, {"S"}, {"D"}};
  std::vector<float> costs(size_t(m.n_actions()));
  for (size_t step = 0; step < actions.size(); ++step) {
    m.set_costs(o->state, o->gold, costs.data());
    std::vector<std::string> zero;
    for (int64_t a = 0; a < m.n_actions(); ++a)
      if (costs[size_t(a)] < 1) zero.push_back(m.action_name(a));
    EXPECT_EQ(zero, gold[step]) << "step " << step;
    apply_named(m, o->state, actions[step]);
  }
  EXPECT_TRUE(o->state.is_final());
}

TEST(ArcEager, OracleSequenceOfASentence) {
  // test_oracle_dev_sentence's shape, our sentence: left-branching compounds, a ccomp with its
  // own subject, prepositional phrases, reduces at the end.
  const std::vector<std::tuple<std::string, std::string, std::string>> wdh = {
      {"Acme", "compound", "Corp."}, {"Widget", "compound", "Corp."},
      {"Corp.", "nsubj", "said"},    {"said", "ROOT", "said"},
      {"it", "nsubj", "expects"},    {"expects", "ccomp", "said"},
      {"its", "poss", "sales"},      {"sales", "nsubj", "stay"},
      {"to", "aux", "stay"},         {"stay", "xcomp", "expects"},
      {"near", "prep", "stay"},      {"500", "nummod", "units"},
      {"units", "pobj", "near"},     {"in", "prep", "stay"},
      {"2024", "pobj", "in"},        {".", "punct", "said"}};
  std::vector<std::string> words, deps;
  for (const auto& [w, d, h] : wdh) {
    words.push_back(w);
    deps.push_back(d);
  }
  std::vector<size_t> heads;
  for (const auto& [w, d, h] : wdh)
    heads.push_back(size_t(std::find(words.begin(), words.end(), h) - words.begin()));
  ArcEager m = moves_with(deps);
  auto o = oracle_for(m, parsed_doc(words, heads, deps));
  EXPECT_EQ(names(m, m.oracle_sequence(o->state, o->gold)),
            (std::vector<std::string>{
                "S", "S", "L-compound", "L-compound", "S", "L-nsubj", "S", "S", "L-nsubj",
                "R-ccomp", "S", "L-poss", "S", "S", "L-aux", "L-nsubj", "R-xcomp", "R-prep",
                "S", "L-nummod", "R-pobj", "D", "D", "R-prep", "R-pobj", "D", "D", "D", "D",
                "R-punct", "D", "D"}));
}

TEST(ArcEager, ReduceUnshiftsAHeadlessTokenWithoutBreakingTheSentence) {
  // spaCy issue 7056.
  ArcEager m;
  m.initialize_actions({{SHIFT, {{"", 1}, {"amod", 1}}},
                        {REDUCE, {{"", 1}, {"pobj", 1}}},
                        {LEFT, {{"amod", 1}, {"dep", 0}}},
                        {RIGHT, {{"pobj", 1}, {"dep", 0}}},
                        {BREAK, {{"ROOT", 0}}}});
  Doc doc(vocab(), {"Severe", "pain", ",", "after", "trauma"});
  DocInfo info = doc_info(doc);
  State s(&info, 0);
  for (const char* a : {"S", "L-amod", "S", "S", "S", "R-pobj", "D", "D", "D"}) apply_named(m, s, a);
  EXPECT_GT(s.buffer_length(), 0);  // not at the end of the line
  EXPECT_TRUE(s.is_unshiftable(2));
  EXPECT_FALSE(m.move_is_valid(s, SHIFT));  // an unshifted token is not shifted again
}

TEST(ArcEager, OracleOfDifferentlyTokenizedTextStillRuns) {
  // test_oracle_bad_tokenization: the reference has "[catalase]" as one token.
  ArcEager m = moves_with({"dep", "punct", "nsubj", "ROOT", "acomp"});
  auto ref = parsed_doc({"[enzyme]", ":", "that", "is", "bad"}, {3, 3, 3, 3, 3},
                        {"dep", "punct", "nsubj", "ROOT", "acomp"});
  auto pred = std::make_shared<Doc>(ref->vocab_ptr(),
                                    std::vector<std::string>{"[", "enzyme", "]", ":", "that", "is", "bad"},
                                    std::vector<bool>{false, false, true, true, true, true, false});
  // The texts differ in spacing only where the reference has spaces.
  Example eg(pred, ref);
  DocInfo info = doc_info(*pred);
  State s(&info, 0);
  Gold g = m.init_gold(eg);
  std::vector<int64_t> seq = m.oracle_sequence(s, g);
  EXPECT_FALSE(seq.empty());
  for (int64_t a : seq) m.apply(s, a);
  EXPECT_TRUE(s.is_final());
}

// The oracle reaches every gold tree (projectivized, one or more sentences) exactly, with only
// zero-cost actions; deprojectivize undecorates every label and, with one lifted arc, restores
// the original tree (every token has its own label here: with repeated labels the HEAD scheme
// may pick another head, and with several lifted arcs spaCy's search runs on the navigation
// data of the tree before the re-attachments — both accepted, as in spaCy).
TEST(ArcEager, OracleReproducesRandomGoldTrees) {
  std::mt19937 rng(3);
  int n_restored = 0;
  for (int trial = 0; trial < 150; ++trial) {
    // 1-3 sentences, each a random tree over its own contiguous tokens.
    std::vector<size_t> heads;
    std::vector<std::string> deps;
    const int n_sents = 1 + int(rng() % 3);
    for (int k = 0; k < n_sents; ++k) {
      const size_t base = heads.size(), n = 1 + rng() % 12;
      std::vector<size_t> order(n);
      for (size_t i = 0; i < n; ++i) order[i] = i;
      std::shuffle(order.begin(), order.end(), rng);
      heads.resize(base + n);
      deps.resize(base + n);
      heads[base + order[0]] = base + order[0];
      deps[base + order[0]] = "ROOT";
      for (size_t j = 1; j < n; ++j) {
        heads[base + order[j]] = base + order[rng() % j];
        deps[base + order[j]] = "l" + std::to_string(base + order[j]);
      }
    }
    std::vector<std::string> words(heads.size(), "w");
    auto ref = parsed_doc(words, heads, deps);
    // Every (decorated) label of the projectivized tree gets its actions.
    auto [proj_heads, deco] = nonproj::projectivize(
        std::vector<int64_t>(heads.begin(), heads.end()), deps);
    ArcEager m = moves_with(deco);
    auto o = oracle_for(m, ref);
    std::vector<float> costs(size_t(m.n_actions()));
    State s = o->state;
    std::vector<int64_t> seq = m.oracle_sequence(s, o->gold);
    std::string trace = "heads:";
    for (size_t h : heads) trace += " " + std::to_string(h);
    trace += "\nprojective:";
    for (int64_t h : proj_heads) trace += " " + std::to_string(h);
    trace += "\noracle:";
    for (const auto& n : names(m, seq)) trace += " " + n;
    SCOPED_TRACE(trace);
    for (int64_t a : seq) {
      m.set_costs(s, o->gold, costs.data());
      ASSERT_LE(costs[size_t(a)], 0.f) << trial << " " << m.action_name(a);
      m.apply(s, a);
    }
    ASSERT_TRUE(s.is_final()) << trial;
    Doc out(vocab(), words);
    m.set_annotations(s, out);
    for (size_t i = 0; i < heads.size(); ++i) {
      ASSERT_EQ(out[i].head().i(), size_t(proj_heads[i])) << trial << " token " << i;
      ASSERT_EQ(out[i].dep_(), deco[i]) << trial << " token " << i;
    }
    nonproj::deprojectivize(out);
    const auto lifted = std::count_if(deco.begin(), deco.end(), nonproj::is_decorated);
    for (size_t i = 0; i < heads.size(); ++i) {
      if (lifted == 1) EXPECT_EQ(out[i].head().i(), heads[i]) << trial << " token " << i;
      EXPECT_EQ(out[i].dep_(), deps[i]) << trial << " token " << i;
    }
    n_restored += lifted == 1;
    // Sentence starts as in the gold.
    for (size_t i = 0; i < heads.size(); ++i)
      EXPECT_EQ(out[i].is_sent_start(), (*ref)[i].is_sent_start()) << trial << " token " << i;
  }
  EXPECT_GT(n_restored, 10);  // the restoring case was exercised
}

// ---- the action inventory ----

TEST(ArcEager, InitializeActionsOrdersByMoveThenFrequency) {
  ArcEager m;
  m.initialize_actions({{LEFT, {{"nsubj", 5}, {"det", 5}, {"amod", 9}}},
                        {SHIFT, {{"", 30}}},
                        {RIGHT, {{"dobj", 2}, {"dep", 0}}},
                        {BREAK, {{"ROOT", 0}}},
                        {REDUCE, {{"", 12}}}});
  EXPECT_EQ(names(m, {0, 1, 2, 3, 4, 5, 6, 7}),
            (std::vector<std::string>{"S", "D", "L-amod", "L-nsubj", "L-det", "R-dobj", "R-dep",
                                      "B-ROOT"}));
  // add_action appends with a made-up frequency below the move's others; idempotent.
  EXPECT_TRUE(m.add_action(LEFT, "poss"));
  EXPECT_FALSE(m.add_action(LEFT, "poss"));
  EXPECT_EQ(m.action_name(m.n_actions() - 1), "L-poss");
  int64_t poss = 0;
  for (const auto& [l, f] : m.label_freqs().at(LEFT))
    if (l == "poss") poss = f;
  EXPECT_EQ(poss, -1);
  // Reloading the frequencies gives the same order.
  ArcEager again;
  again.initialize_actions(m.label_freqs());
  for (int64_t a = 0; a < m.n_actions(); ++a) EXPECT_EQ(again.action_name(a), m.action_name(a));
  EXPECT_EQ(m.lookup("L-det"), 4);
  EXPECT_EQ(m.lookup("L-nothing"), -1);
  EXPECT_THROW(m.add_action(7, "x"), ValueError);
}

TEST(ArcEager, GetActionsCountsProjectivizedArcsWithMinFreq) {
  // "We saw a dog yesterday that barked": the relcl arc is lifted to "saw" and decorated.
  auto [ph, deco] = nonproj::projectivize({1, 1, 3, 1, 1, 6, 3}, {"nsubj", "root", "det", "dobj",
                                                                 "npadvmod", "nsubj", "relcl"});
  ArcEager::GoldTree p;
  p.heads = ph;
  for (const auto& d : deco) p.labels.push_back(d);
  LabelFreqs all = ArcEager::get_actions({p, p}, 0);
  auto freq = [&](const LabelFreqs& f, int move, const std::string& label) -> int64_t {
    if (!f.count(move)) return -100;
    for (const auto& [l, n] : f.at(move))
      if (l == label) return n;
    return -100;  // absent
  };
  EXPECT_EQ(freq(all, SHIFT, ""), 1 + 2 * 3);   // three left arcs per tree
  EXPECT_EQ(freq(all, REDUCE, ""), 1 + 2 * 3);  // three right arcs per tree
  EXPECT_EQ(freq(all, LEFT, "nsubj"), 4);
  EXPECT_EQ(freq(all, RIGHT, "relcl||dobj"), 2);
  EXPECT_EQ(freq(all, BREAK, "ROOT"), 2);       // "root" counted as ROOT
  EXPECT_EQ(freq(all, LEFT, "dep"), 0);         // backoff labels always present
  EXPECT_EQ(freq(all, RIGHT, "dep"), 0);
  LabelFreqs frequent = ArcEager::get_actions({p, p}, 3);
  EXPECT_EQ(freq(frequent, LEFT, "nsubj"), 4);
  EXPECT_EQ(freq(frequent, RIGHT, "relcl||dobj"), -100);  // rarer than min_freq
  EXPECT_EQ(freq(frequent, BREAK, "ROOT"), 0);            // dropped, then ensured
  // DependencyParser.labels: sorted, a decorated label by its head part.
  ArcEager m;
  m.initialize_actions(all);
  EXPECT_EQ(m.parser_labels(),
            (std::vector<std::string>{"ROOT", "dep", "det", "dobj", "npadvmod", "nsubj"}));
}

TEST(ArcEager, UnseenGoldLabelsBackOffToDepAndRoot) {
  ArcEager m = moves_with({"nsubj"});
  Gold g = m.make_gold({1u, 1u, 1u}, {std::string("nsubj"), std::string("top"), std::string("obj")},
                       {true, false, false});
  EXPECT_EQ(m.labels()[size_t(g.labels[0])], "nsubj");
  EXPECT_EQ(m.labels()[size_t(g.labels[1])], "ROOT");  // a root label the system lacks
  EXPECT_EQ(m.labels()[size_t(g.labels[2])], "dep");   // an arc label the system lacks
}

// ---- features ----

TEST(ArcEager, StateFeaturesAreSpacysContextTokens) {
  ArcEager m = moves_with({"x"});
  Doc doc(vocab(), std::vector<std::string>(8, "w"));
  DocInfo info = doc_info(doc);
  State s(&info, 100);  // the doc's rows start at 100 in the batch
  // S, S, L-x (0 <- 1), S, R-x (1 -> 2 -> pushed), S(3)... build: stack [1, 2], buffer 3..
  for (const char* a : {"S", "L-x", "S", "R-x", "S", "L-x"}) apply_named(m, s, a);
  // stack [1, 2], buffer [4 ...]; 3 is 4's left child; 0 is 1's left child; 2 is 1's right child
  ASSERT_EQ(s.S(0), 2);
  ASSERT_EQ(s.S(1), 1);
  ASSERT_EQ(s.B(0), 4);
  int64_t ids[13];
  ArcEager::features(s, 8, -7, ids);
  EXPECT_EQ(std::vector<int64_t>(ids, ids + 8),
            (std::vector<int64_t>{104, 105, 102, 101, -7, 103, -7, -7}));
  ArcEager::features(s, 13, -7, ids);
  // B0 B1 S0 S1 S2 L(S0,1) R(S0,1) L(B0,1) R(S0,2) L(S1,1) L(S1,2) R(S1,1) R(S1,2)
  EXPECT_EQ(std::vector<int64_t>(ids, ids + 13),
            (std::vector<int64_t>{104, 105, 102, 101, -7, -7, -7, 103, -7, 100, -7, 102, -7}));
}
