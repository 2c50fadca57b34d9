// The ner component's transition system and training: ner.pyx's validity and dynamic-oracle costs
// on hand-made states, the oracle sequence, preset entities, incorrect_spans_key (negative spans)
// end to end, E868, and update_with_oracle_cut_size on long docs.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "components/ner/ner_moves.hpp"
#include "components/register.hpp"
#include "tests/components/overfit_fixture.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/torch/optimizer.hpp"

using namespace trfpipe;
using namespace trfpipe::ner;

namespace {

BiluoMoves org_per() {
  BiluoMoves m;
  m.labels = {"ORG", "PER"};
  return m;
}
constexpr int64_t ORG = 0, PER = 1;

DocInfo plain_info(size_t n) {
  DocInfo d;
  d.sent_start.assign(n, false);
  d.is_space.assign(n, false);
  d.preset_iob.assign(n, 0);
  d.preset_label.assign(n, -1);
  return d;
}

State state_at(const DocInfo& info, int64_t b0, int64_t ent_start = -1, int64_t ent_label = -1) {
  State s;
  s.info = &info;
  s.n = int64_t(info.size());
  s.b0 = b0;
  s.ent_start = ent_start;
  s.ent_label = ent_label;
  return s;
}

Gold gold_of(const BiluoMoves& m, const std::vector<std::string>& tags,
             std::vector<Entity> negs = {}) {
  Gold g;
  for (const auto& t : tags) g.ner.push_back(m.gold_tag(t));
  g.negs = std::move(negs);
  return g;
}

}  // namespace

// ---- costs (expected values derived from ner.pyx's Begin/In/Last/Unit/Out.cost)

TEST(NerCosts, UnitAndOutAgainstGoldTags) {
  const BiluoMoves m = org_per();
  const DocInfo info = plain_info(3);
  const Gold g = gold_of(m, {"O", "U-ORG", "O"});
  const State s = state_at(info, 1);
  EXPECT_EQ(m.cost(s, g, m.action(UNIT, PER)), 1.f);  // U with gold U of another label
  EXPECT_EQ(m.cost(s, g, m.action(UNIT, ORG)), 0.f);
  EXPECT_EQ(m.cost(s, g, m.out_action()), 1.f);        // O with gold U
  const Gold gb = gold_of(m, {"O", "B-ORG", "L-ORG"});
  EXPECT_EQ(m.cost(s, gb, m.out_action()), 1.f);       // O with gold B
  EXPECT_EQ(m.cost(s, gb, m.action(BEGIN, ORG)), 0.f);
  EXPECT_EQ(m.cost(s, gb, m.action(BEGIN, PER)), 1.f);
  EXPECT_EQ(m.cost(s, gb, m.action(UNIT, ORG)), 1.f);  // U with gold B
  const Gold gi = gold_of(m, {"B-ORG", "I-ORG", "L-ORG"});
  EXPECT_EQ(m.cost(s, gi, m.out_action()), 0.f);       // O with gold I: the entity is lost anyway
}

TEST(NerCosts, InWithGoldLastDependsOnTheEntityBeingSunk) {
  const BiluoMoves m = org_per();
  const DocInfo info = plain_info(4);
  const Gold g = gold_of(m, {"B-ORG", "I-ORG", "L-ORG", "O"});
  // Entity opened at token 1 (gold I): sunk; next gold is O -> I costs nothing.
  EXPECT_EQ(m.cost(state_at(info, 2, 1, ORG), g, m.action(IN, ORG)), 0.f);
  // Opened at token 0 (gold B-ORG, same label): not sunk -> I would miss the gold L.
  EXPECT_EQ(m.cost(state_at(info, 2, 0, ORG), g, m.action(IN, ORG)), 1.f);
  EXPECT_EQ(m.cost(state_at(info, 2, 0, ORG), g, m.action(LAST, ORG)), 0.f);
  // L with gold I: costs unless the entity is sunk.
  EXPECT_EQ(m.cost(state_at(info, 1, 0, ORG), g, m.action(LAST, ORG)), 1.f);
  const Gold sunk = gold_of(m, {"B-PER", "I-ORG", "L-ORG", "O"});  // opened with the wrong label
  EXPECT_EQ(m.cost(state_at(info, 1, 0, ORG), sunk, m.action(LAST, ORG)), 0.f);
  // I with gold O: fine only when the next gold tag is O (or missing).
  const Gold go = gold_of(m, {"O", "O", "O", "U-PER"});
  EXPECT_EQ(m.cost(state_at(info, 1, 0, ORG), go, m.action(IN, ORG)), 0.f);
  EXPECT_EQ(m.cost(state_at(info, 2, 0, ORG), go, m.action(IN, ORG)), 1.f);
}

TEST(NerCosts, MissingGoldCostsNothingAndInvalidActionsCost9000) {
  const BiluoMoves m = org_per();
  const DocInfo info = plain_info(4);
  const Gold g = gold_of(m, {"-", "-", "", "B-UNKNOWN"});  // unknown label: missing
  int valid = 0;
  for (const State& s : {state_at(info, 1), state_at(info, 2, 1, PER), state_at(info, 3)}) {
    for (int64_t a = 0; a < m.n_actions(); ++a) {
      if (m.is_valid(s, a)) {
        ++valid;
        EXPECT_EQ(m.cost(s, g, a), 0.f) << m.action_name(a) << " at " << s.b0;
      } else {
        EXPECT_EQ(m.cost(s, g, a), kInvalidCost) << m.action_name(a) << " at " << s.b0;
      }
    }
  }
  EXPECT_GT(valid, 0);
  EXPECT_EQ(m.cost(state_at(info, 1), g, m.action(IN, ORG)), kInvalidCost);  // nothing open
  EXPECT_EQ(m.cost(state_at(info, 3), g, m.action(BEGIN, ORG)), kInvalidCost);  // last token
}

TEST(NerCosts, NegativeSpansPenaliseTheActionsThatWouldCreateThem) {
  const BiluoMoves m = org_per();
  const DocInfo info3 = plain_info(3), info4 = plain_info(4);
  const std::vector<std::string> missing3(3, "-"), missing4(4, "-");
  const Gold neg3 = gold_of(m, missing3, {{1, 3, ORG}});
  // L closing exactly the negative span.
  EXPECT_EQ(m.cost(state_at(info3, 2, 1, ORG), neg3, m.action(LAST, ORG)), 1.f);
  EXPECT_EQ(m.cost(state_at(info3, 2, 1, PER), neg3, m.action(LAST, PER)), 0.f);
  EXPECT_EQ(m.cost(state_at(info3, 2, 1, PER), gold_of(m, missing3), m.action(LAST, ORG)), kInvalidCost);
  // B opening it when only one L is possible (buffer_length < 3) ...
  EXPECT_EQ(m.cost(state_at(info3, 1), neg3, m.action(BEGIN, ORG)), 1.f);
  EXPECT_EQ(m.cost(state_at(info3, 1), neg3, m.action(BEGIN, PER)), 0.f);
  // ... but not when the entity could still end elsewhere.
  const Gold neg4 = gold_of(m, missing4, {{1, 3, ORG}});
  EXPECT_EQ(m.cost(state_at(info4, 1), neg4, m.action(BEGIN, ORG)), 0.f);
  // U on a one-token negative span, added to the gold cost.
  const Gold negu = gold_of(m, {"O", "U-PER", "O"}, {{1, 2, ORG}});
  EXPECT_EQ(m.cost(state_at(info3, 1), negu, m.action(UNIT, ORG)), 2.f);
  EXPECT_EQ(m.cost(state_at(info3, 1), negu, m.action(UNIT, PER)), 0.f);
}

TEST(NerOracle, FollowsTheFirstZeroCostActionAndFailsWhenNoneExists) {
  const BiluoMoves m = org_per();
  const DocInfo info = plain_info(5);
  const Gold g = gold_of(m, {"O", "B-ORG", "L-ORG", "U-PER", "-"});
  std::vector<std::string> names;
  for (int64_t a : m.oracle_sequence(state_at(info, 0), g)) names.push_back(m.action_name(a));
  // At the missing last token every valid action costs 0: the first in action order is U-ORG.
  EXPECT_EQ(names, (std::vector<std::string>{"O", "B-ORG", "L-ORG", "U-PER", "U-ORG"}));
  // A gold B on the last token (B is invalid there) cannot be followed: spaCy's E024.
  DocInfo two = plain_info(2);
  EXPECT_THROW(m.oracle_sequence(state_at(two, 0), gold_of(m, {"O", "B-ORG"})), ValueError);
}

TEST(NerMoves, PresetEntitiesForceTheirActions) {
  register_components();
  auto vocab = std::make_shared<Vocab>();
  Doc doc(vocab, {"the", "Acme", "Corp", "and", "Bo"});
  doc.set_ents({doc.span(1, 3, "ORG"), doc.span(4, 5, "LOC")});  // LOC: not a label here
  const BiluoMoves m = org_per();
  const DocInfo info = m.doc_info(doc);
  EXPECT_EQ(info.preset_iob, (std::vector<uint8_t>{2, 3, 1, 2, 0}));
  std::vector<std::string> valid;
  for (int64_t a = 0; a < m.n_actions(); ++a)
    if (m.is_valid(state_at(info, 1), a)) valid.push_back(m.action_name(a));
  EXPECT_EQ(valid, (std::vector<std::string>{"B-ORG"}));
  valid.clear();
  for (int64_t a = 0; a < m.n_actions(); ++a)
    if (m.is_valid(state_at(info, 2, 1, ORG), a)) valid.push_back(m.action_name(a));
  EXPECT_EQ(valid, (std::vector<std::string>{"L-ORG"}));
  // Without presets, B-ORG, B-PER, U-ORG, U-PER and O are all valid at token 1.
  const DocInfo plain = plain_info(5);
  int n = 0;
  for (int64_t a = 0; a < m.n_actions(); ++a) n += m.is_valid(state_at(plain, 1), a);
  EXPECT_EQ(n, 5);
}

// ---- training

namespace {

Json small_cnn() {
  return Json{{"@architectures", "spacy.HashEmbedCNN.v2"}, {"pretrained_vectors", nullptr},
              {"width", 32}, {"depth", 2}, {"embed_size", 300}, {"window_size", 1},
              {"maxout_pieces", 3}, {"subword_features", true}};
}

std::unique_ptr<Language> ner_pipeline(Json extra = Json::object()) {
  register_components();
  at::manual_seed(0);
  auto nlp = Language::blank("en");
  Json cfg = {{"model", {{"tok2vec", small_cnn()}}}};
  cfg.update(extra);
  nlp->add_pipe("ner", "", cfg);
  return nlp;
}

std::shared_ptr<Doc> ref_doc(Language& nlp, const std::vector<std::string>& words,
                             const std::vector<std::tuple<size_t, size_t, std::string>>& ents) {
  auto doc = std::make_shared<Doc>(nlp.vocab_ptr(), words);
  std::vector<Span> spans;
  for (const auto& [b, e, l] : ents) spans.push_back(doc->span(b, e, l));
  doc->set_ents(spans);
  return doc;
}

void train(Language& nlp, const std::vector<Example>& egs, int updates, Losses* last = nullptr) {
  OptimizerOptions o;
  o.learn_rate = 0.01;
  o.use_averages = false;
  Optimizer opt(o);
  for (int step = 0; step < updates; ++step) {
    Losses losses;
    nlp.update(egs, 0.0, &opt, losses);
    if (last) *last = losses;
  }
}

std::vector<std::tuple<size_t, size_t, std::string>> predicted_ents(Language& nlp,
                                                                    const std::vector<std::string>& words) {
  Doc doc(nlp.vocab_ptr(), words);
  nlp.pipe_docs({&doc});
  std::vector<std::tuple<size_t, size_t, std::string>> out;
  for (const Span& e : doc.ents()) out.emplace_back(e.start(), e.end(), e.label_());
  return out;
}

const std::vector<std::string> kNegWords = {"I", "drank", "Apple", "juice"};

// Gold ORG "Apple" in company sentences; one doc without any entity annotation whose
// doc.spans["incorrect_spans"] says its "Apple" is not an ORG.
std::vector<Example> apple_examples(Language& nlp) {
  std::vector<Example> egs;
  const std::vector<std::vector<std::string>> positives = {
      {"Apple", "makes", "phones"}, {"Apple", "sells", "laptops"}, {"we", "like", "Apple", "products"},
      {"Google", "makes", "phones"}, {"they", "drank", "water"}};
  for (const auto& w : positives) {
    std::vector<std::tuple<size_t, size_t, std::string>> ents;
    for (size_t i = 0; i < w.size(); ++i)
      if (w[i] == "Apple" || w[i] == "Google") ents.emplace_back(i, i + 1, "ORG");
    egs.push_back(Example::from_reference(ref_doc(nlp, w, ents)));
  }
  auto neg = std::make_shared<Doc>(nlp.vocab_ptr(), kNegWords);  // no entity annotation at all
  neg->spans().set("incorrect_spans", {neg->span(2, 3, "ORG")});
  egs.push_back(Example::from_reference(neg));
  return egs;
}

}  // namespace

TEST(NerTraining, IncorrectSpansKeyTeachesWhatIsNotAnEntity) {
  using Ents = std::vector<std::tuple<size_t, size_t, std::string>>;
  auto run = [&](bool with_key) {
    auto nlp = with_key ? ner_pipeline({{"incorrect_spans_key", "incorrect_spans"}}) : ner_pipeline();
    auto egs = apple_examples(*nlp);
    nlp->initialize([&] { return egs; });
    train(*nlp, egs, 60);
    return std::make_pair(predicted_ents(*nlp, kNegWords),
                          predicted_ents(*nlp, {"Apple", "makes", "phones"}));
  };
  auto [control_neg, control_pos] = run(false);
  auto [neg, pos] = run(true);
  // Without the key the negative doc has no gold and "Apple" is an ORG everywhere ...
  EXPECT_EQ(control_neg, (Ents{{2, 3, "ORG"}}));
  EXPECT_EQ(control_pos, (Ents{{0, 1, "ORG"}}));
  // ... with it, the marked span is not predicted while the gold ORGs still are.
  EXPECT_EQ(std::count(neg.begin(), neg.end(), std::make_tuple(size_t(2), size_t(3), std::string("ORG"))), 0);
  EXPECT_EQ(pos, (Ents{{0, 1, "ORG"}}));
}

TEST(NerTraining, AGoldEntityThatIsAlsoANegativeSpanIsE868) {
  auto nlp = ner_pipeline({{"incorrect_spans_key", "neg"}});
  auto ref = ref_doc(*nlp, {"Acme", "rocks"}, {{0, 1, "ORG"}});
  ref->spans().set("neg", {ref->span(0, 1, "ORG")});
  std::vector<Example> egs = {Example::from_reference(ref)};
  nlp->initialize([&] { return egs; });
  Losses losses;
  try {
    nlp->update(egs, 0.0, nullptr, losses);
    ADD_FAILURE() << "expected E868";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("E868"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("example 0"), std::string::npos) << e.what();
  }
  // A negative span with another label is fine.
  ref->spans().set("neg", {ref->span(0, 1, "PER")});
  EXPECT_NO_THROW(nlp->update(egs, 0.0, nullptr, losses));
}

TEST(NerTraining, ExamplesWithoutGoldAreSkipped) {
  auto nlp = ner_pipeline();
  auto gold = ref_doc(*nlp, {"Acme", "rocks"}, {{0, 1, "ORG"}});
  nlp->initialize([&] { return std::vector<Example>{Example::from_reference(gold)}; });
  auto before = trfpipe::testing::snapshot(
      dynamic_cast<ParameterOwner&>(nlp->get_pipe("ner")).named_parameters());
  auto bare = std::make_shared<Doc>(nlp->vocab_ptr(), std::vector<std::string>{"Acme", "rocks"});
  Losses losses;
  OptimizerOptions o;
  Optimizer opt(o);
  nlp->update({Example::from_reference(bare)}, 0.0, &opt, losses);
  EXPECT_EQ(losses.at("ner"), 0.0);
  EXPECT_TRUE(trfpipe::testing::same(
      dynamic_cast<ParameterOwner&>(nlp->get_pipe("ner")).named_parameters(), before));
  nlp->update({Example::from_reference(gold)}, 0.0, &opt, losses);
  EXPECT_GT(losses.at("ner"), 0.0);
}

namespace {

// The hand-made sentences joined into two long docs.
std::vector<trfpipe::testing::Sent> long_docs() {
  const auto& s = trfpipe::testing::hand_made_sentences();
  std::vector<trfpipe::testing::Sent> out(2);
  for (size_t k = 0; k < s.size(); ++k) {
    auto& d = out[k % 2];
    for (const auto& [b, e, l] : s[k].ents)
      d.ents.emplace_back(b + d.words.size(), e + d.words.size(), l);
    d.words.insert(d.words.end(), s[k].words.begin(), s[k].words.end());
    d.tags.insert(d.tags.end(), s[k].tags.begin(), s[k].tags.end());
  }
  return out;
}

}  // namespace

TEST(NerTraining, SmallOracleCutStillOverfitsLongDocsReproducibly) {
  const auto data = long_docs();
  ASSERT_GE(data[0].words.size(), 10u);  // longer than any max_moves drawn (< 6)
  auto run = [&](int max_updates, std::vector<at::Tensor>* params) {
    auto nlp = ner_pipeline({{"update_with_oracle_cut_size", 3}});
    std::vector<Example> egs;
    for (const auto& s : data) egs.push_back(Example::from_reference(trfpipe::testing::reference_doc(*nlp, s)));
    nlp->initialize([&] { return egs; });
    auto right = [&] {
      return trfpipe::testing::ents_match(trfpipe::testing::predict_sentences(*nlp, data), data);
    };
    EXPECT_FALSE(right());
    OptimizerOptions o;
    o.learn_rate = 0.01;
    o.use_averages = false;
    Optimizer opt(o);
    int steps = -1;
    for (int step = 1; step <= max_updates && steps < 0; ++step) {
      Losses losses;
      nlp->update(egs, 0.0, &opt, losses);
      if (step % 5 == 0 && right()) steps = step;
    }
    if (params)
      *params = trfpipe::testing::snapshot(
          dynamic_cast<ParameterOwner&>(nlp->get_pipe("ner")).named_parameters());
    return steps;
  };
  EXPECT_GT(run(200, nullptr), 0) << "ner with update_with_oracle_cut_size = 3 did not overfit";
  std::vector<at::Tensor> a, b;
  run(3, &a);
  run(3, &b);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(at::equal(a[i], b[i])) << i;
}

TEST(NerTraining, OracleCutSizeOneNeverDrawsZeroMoves) {
  // uniform(0, 2) can give 0 moves; every update must still train on something and finish.
  auto nlp = ner_pipeline({{"update_with_oracle_cut_size", 1}});
  std::vector<Example> egs;
  for (const auto& s : long_docs())
    egs.push_back(Example::from_reference(trfpipe::testing::reference_doc(*nlp, s)));
  nlp->initialize([&] { return egs; });
  for (int step = 0; step < 20; ++step) {
    Losses losses;
    nlp->update(egs, 0.0, nullptr, losses);
    EXPECT_GT(losses.at("ner"), 0.0) << step;
  }
}
