// Scorer: spaCy's metric definitions on fixed examples with hand-computed values.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "trfpipe/data.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/registry.hpp"
#include "trfpipe/rulers.hpp"
#include "trfpipe/scorer.hpp"
#include "trfpipe/training.hpp"
#include "trfpipe/trfpipe.hpp"

namespace trfpipe {
namespace {

std::shared_ptr<Vocab> vocab() {
  static auto v = std::make_shared<Vocab>("en");
  return v;
}

std::shared_ptr<Doc> doc(const std::vector<std::string>& words, std::vector<bool> spaces = {}) {
  return std::make_shared<Doc>(vocab(), words, spaces);
}

void tags(Doc& d, const std::vector<std::string>& t) {
  for (size_t i = 0; i < t.size(); ++i)
    if (!t[i].empty()) d[i].set_tag(t[i]);
}

Example cats_example(const std::vector<std::pair<std::string, double>>& gold,
                     const std::vector<std::pair<std::string, double>>& pred) {
  auto g = doc({"some", "text"});
  auto p = doc({"some", "text"});
  for (const auto& [k, v] : gold) g->cats()[k] = v;
  for (const auto& [k, v] : pred) p->cats()[k] = v;
  return Example(p, g);
}

TEST(PRFScore, PrecisionRecallFFromCounts) {
  PRFScore s;
  s.tp = 2;
  s.fp = 1;
  s.fn = 3;
  EXPECT_DOUBLE_EQ(s.precision(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(s.recall(), 2.0 / 5.0);
  EXPECT_NEAR(s.fscore(), 2 * (2.0 / 3 * 0.4) / (2.0 / 3 + 0.4), 1e-12);
  PRFScore empty;
  EXPECT_EQ(empty.precision(), 0.0);
  EXPECT_EQ(empty.fscore(), 0.0);
  Json d = s.to_dict();
  EXPECT_DOUBLE_EQ(d["r"].get<double>(), 0.4);
}

TEST(RocAuc, MatchesPairCountingIncludingTies) {
  EXPECT_DOUBLE_EQ(roc_auc_score({0, 0, 1, 1}, {0.1, 0.4, 0.35, 0.8}), 0.75);
  // A tie between a positive and a negative counts one half: (1 + 1 + 0.5 + 1) / 4.
  EXPECT_DOUBLE_EQ(roc_auc_score({0, 1, 0, 1}, {0.5, 0.5, 0.2, 0.9}), 0.875);
  EXPECT_DOUBLE_EQ(roc_auc_score({1, 0}, {0.0, 1.0}), 0.0);
}

TEST(RocAuc, OneClassIsAValueError) {
  EXPECT_THROW(roc_auc_score({1, 1}, {0.2, 0.3}), ValueError);
  ROCAUCScore s;
  s.score_set(0.3, 0.0);
  EXPECT_FALSE(s.is_binary());
  EXPECT_THROW(s.score(), ValueError);
}

TEST(Scorer, TagAccuracyIgnoresMissingGoldTags) {
  auto g = doc({"This", "is", "a", "test"});
  auto p = doc({"This", "is", "a", "test"});
  tags(*g, {"DT", "VBZ", "DT", "NN"});
  tags(*p, {"DT", "VBZ", "DT", "JJ"});
  std::vector<Example> egs{Example(p, g)};
  EXPECT_DOUBLE_EQ(scorer::score_token_attr(egs, "tag")["tag_acc"].get<double>(), 0.75);
  // The wrong token's gold tag missing: it is not scored.
  auto g2 = doc({"This", "is", "a", "test"});
  tags(*g2, {"DT", "VBZ", "DT", ""});
  std::vector<Example> egs2{Example(p, g2)};
  EXPECT_DOUBLE_EQ(scorer::score_token_attr(egs2, "tag")["tag_acc"].get<double>(), 1.0);
  // No gold tags at all: null.
  auto g3 = doc({"This", "is"});
  auto p3 = doc({"This", "is"});
  EXPECT_TRUE(scorer::score_token_attr({Example(p3, g3)}, "tag")["tag_acc"].is_null());
  // An unannotated prediction against gold tags scores 0.
  auto p4 = doc({"This", "is", "a", "test"});
  EXPECT_DOUBLE_EQ(scorer::score_token_attr({Example(p4, g)}, "tag")["tag_acc"].get<double>(), 0.0);
}

TEST(Scorer, TokenizationAccuracyAndSpans) {
  auto g = doc({"a", "bc"}, {false, false});
  auto p = doc({"ab", "c"}, {false, false});
  Json s = scorer::score_tokenization({Example(p, g)});
  EXPECT_DOUBLE_EQ(s["token_acc"].get<double>(), 0.5);  // "ab" spans two gold tokens
  EXPECT_DOUBLE_EQ(s["token_p"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(s["token_f"].get<double>(), 0.0);
  auto g2 = doc({"a", "bc"});
  auto p2 = doc({"a", "bc"});
  Json s2 = scorer::score_tokenization({Example(p2, g2)});
  EXPECT_DOUBLE_EQ(s2["token_acc"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s2["token_f"].get<double>(), 1.0);
  // A reference with unknown spaces is skipped: nothing left -> null.
  set_has_unknown_spaces(*g2, true);
  EXPECT_TRUE(scorer::score_tokenization({Example(p2, g2)})["token_acc"].is_null());
}

TEST(Scorer, EntsPRFAndPerType) {
  auto g = doc({"Ann", "lives", "New", "York", "now"});
  auto p = doc({"Ann", "lives", "New", "York", "now"});
  g->set_ents({g->span(0, 1, "PER"), g->span(2, 4, "LOC")});
  p->set_ents({p->span(0, 1, "PER"), p->span(2, 3, "LOC")});
  Json s = scorer::score_ents({Example(p, g)});
  EXPECT_DOUBLE_EQ(s["ents_p"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(s["ents_r"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(s["ents_f"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(s["ents_per_type"]["PER"]["f"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s["ents_per_type"]["LOC"]["p"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(s["ents_per_type"]["LOC"]["r"].get<double>(), 0.0);
}

TEST(Scorer, EntsEmptyPredictionsAndNoGoldEntities) {
  auto g = doc({"Ann", "lives", "here"});
  g->set_ents({g->span(0, 1, "PER")});
  auto p = doc({"Ann", "lives", "here"});
  p->set_ents({});
  Json s = scorer::score_ents({Example(p, g)});
  EXPECT_DOUBLE_EQ(s["ents_p"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(s["ents_r"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(s["ents_f"].get<double>(), 0.0);
  // Gold annotated with no entities and nothing predicted: nothing to count -> null.
  auto g2 = doc({"no", "names"});
  g2->set_ents({});
  auto p2 = doc({"no", "names"});
  Json s2 = scorer::score_ents({Example(p2, g2)});
  EXPECT_TRUE(s2["ents_f"].is_null());
  EXPECT_TRUE(s2["ents_per_type"].is_null());
  // A false positive against no gold entities: precision 0.
  auto p3 = doc({"no", "names"});
  p3->set_ents({p3->span(0, 1, "ORG")});
  Json s3 = scorer::score_ents({Example(p3, g2)});
  EXPECT_DOUBLE_EQ(s3["ents_p"].get<double>(), 0.0);
  // Gold without NER annotation is skipped.
  auto g4 = doc({"no", "names"});
  EXPECT_TRUE(scorer::score_ents({Example(p3, g4)})["ents_f"].is_null());
}

TEST(Scorer, EntsInsideMissingGoldAreNotCounted) {
  auto g = doc({"a", "b", "c"});
  // token 2 missing (ent_iob 0), others O
  g->set_ents({}, {}, {g->span(2, 3)}, {}, Doc::EntsDefault::Outside);
  auto p = doc({"a", "b", "c"});
  p->set_ents({p->span(2, 3, "X")});
  Json s = scorer::score_ents({Example(p, g)});
  EXPECT_TRUE(s["ents_f"].is_null());
  EXPECT_TRUE(s["ents_per_type"].is_null());
}

TEST(Scorer, CatsExclusiveUsesArgmaxFirstOnTies) {
  scorer::CatsOptions o;
  o.labels = {"A", "B", "C"};
  o.multi_label = false;
  std::vector<Example> egs{
      cats_example({{"A", 1}, {"B", 0}, {"C", 0}}, {{"A", 0.6}, {"B", 0.3}, {"C", 0.1}}),
      cats_example({{"A", 0}, {"B", 1}, {"C", 0}}, {{"A", 0.5}, {"B", 0.5}, {"C", 0.0}}),
      cats_example({{"A", 0}, {"B", 0}, {"C", 1}}, {{"C", 0.9}}),
  };
  Json s = scorer::score_cats(egs, "cats", o);
  EXPECT_DOUBLE_EQ(s["cats_f_per_type"]["A"]["p"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(s["cats_f_per_type"]["A"]["r"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s["cats_f_per_type"]["B"]["f"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(s["cats_f_per_type"]["C"]["f"].get<double>(), 1.0);
  EXPECT_NEAR(s["cats_macro_f"].get<double>(), (2.0 / 3 + 0 + 1) / 3, 1e-12);
  EXPECT_NEAR(s["cats_micro_f"].get<double>(), 2.0 / 3, 1e-12);
  EXPECT_NEAR(s["cats_score"].get<double>(), (2.0 / 3 + 0 + 1) / 3, 1e-12);
  EXPECT_EQ(s["cats_score_desc"], "macro F");
  // Missing predicted labels count as 0.0: every label separates its positive perfectly.
  EXPECT_DOUBLE_EQ(s["cats_macro_auc"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s["cats_auc_per_type"]["B"].get<double>(), 1.0);
  // The key order is spaCy's.
  std::vector<std::string> keys;
  for (auto it = s.begin(); it != s.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys.front(), "cats_score");
  EXPECT_EQ(keys.back(), "cats_auc_per_type");
}

TEST(Scorer, CatsExclusiveEmptyPredictionIsAFalseNegative) {
  scorer::CatsOptions o;
  o.labels = {"A", "B"};
  o.multi_label = false;
  Json s = scorer::score_cats({cats_example({{"A", 1}, {"B", 0}}, {})}, "cats", o);
  EXPECT_DOUBLE_EQ(s["cats_f_per_type"]["A"]["r"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(s["cats_micro_r"].get<double>(), 0.0);
}

TEST(Scorer, CatsBinaryPositiveLabel) {
  scorer::CatsOptions o;
  o.labels = {"POS", "NEG"};
  o.multi_label = false;
  o.positive_label = "POS";
  std::vector<Example> egs{
      cats_example({{"POS", 1}, {"NEG", 0}}, {{"POS", 0.8}, {"NEG", 0.2}}),
      cats_example({{"POS", 0}, {"NEG", 1}}, {{"POS", 0.7}, {"NEG", 0.3}}),
  };
  Json s = scorer::score_cats(egs, "cats", o);
  // POS: tp 1, fp 1 -> p 0.5, r 1, f 2/3.
  EXPECT_NEAR(s["cats_score"].get<double>(), 2.0 / 3, 1e-12);
  EXPECT_EQ(s["cats_score_desc"], "F (POS)");
  o.positive_label = "OTHER";
  EXPECT_THROW(scorer::score_cats(egs, "cats", o), ValueError);
}

TEST(Scorer, CatsMultilabelThresholdTiesAndMissingGold) {
  scorer::CatsOptions o;
  o.labels = {"X", "Y"};
  o.multi_label = true;
  std::vector<Example> egs{
      // a score equal to the threshold is positive
      cats_example({{"X", 1}, {"Y", 0}}, {{"X", 0.5}, {"Y", 0.5}}),
      // Y missing from the gold cats: not scored
      cats_example({{"X", 0}}, {{"X", 0.2}, {"Y", 0.9}}),
  };
  Json s = scorer::score_cats(egs, "cats", o);
  EXPECT_DOUBLE_EQ(s["cats_f_per_type"]["X"]["f"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s["cats_f_per_type"]["Y"]["p"].get<double>(), 0.0);
  EXPECT_NEAR(s["cats_micro_p"].get<double>(), 0.5, 1e-12);
  EXPECT_NEAR(s["cats_micro_f"].get<double>(), 2.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(s["cats_auc_per_type"]["X"].get<double>(), 1.0);
  EXPECT_TRUE(s["cats_auc_per_type"]["Y"].is_null());  // one gold class only
  EXPECT_DOUBLE_EQ(s["cats_macro_auc"].get<double>(), 0.5);  // divided by every label
  EXPECT_DOUBLE_EQ(s["cats_score"].get<double>(), 0.5);
  EXPECT_EQ(s["cats_score_desc"], "macro AUC");
  // A higher threshold turns the tie into a miss.
  o.threshold = 0.6;
  Json s2 = scorer::score_cats(egs, "cats", o);
  EXPECT_DOUBLE_EQ(s2["cats_f_per_type"]["X"]["r"].get<double>(), 0.0);
}

TEST(Scorer, CatsIgnoresUnknownLabels) {
  scorer::CatsOptions o;
  o.labels = {"A"};
  Json s = scorer::score_cats({cats_example({{"A", 1}, {"Z", 1}}, {{"A", 0.9}, {"Z", 0.9}})},
                              "cats", o);
  EXPECT_FALSE(s["cats_f_per_type"].contains("Z"));
  EXPECT_DOUBLE_EQ(s["cats_micro_f"].get<double>(), 1.0);
}

TEST(Scorer, SentsPRF) {
  auto g = doc({"a", "b", "c", "d"});
  auto p = doc({"a", "b", "c", "d"});
  for (size_t i = 0; i < 4; ++i) {
    g->tokens()[i].sent_start = (i == 0 || i == 2) ? 1 : -1;
    p->tokens()[i].sent_start = (i == 0 || i == 3) ? 1 : -1;
  }
  Json s = scorer::score_sents({Example(p, g)});
  EXPECT_DOUBLE_EQ(s["sents_p"].get<double>(), 0.0);
  EXPECT_FALSE(s.contains("sents_per_type"));
  p->tokens()[3].sent_start = -1;
  p->tokens()[2].sent_start = 1;
  EXPECT_DOUBLE_EQ(scorer::score_sents({Example(p, g)})["sents_f"].get<double>(), 1.0);
}

TEST(Scorer, RegisteredScorersResolveToFunctions) {
  register_training();
  registry::Value v = registry::resolve(Json{{"s", {{"@scorers", "spacy.tagger_scorer.v1"}}}});
  auto fn = v.at("s").as<scorer::ScorerFn>();
  auto g = doc({"x"});
  auto p = doc({"x"});
  tags(*g, {"NN"});
  tags(*p, {"NN"});
  EXPECT_DOUBLE_EQ(fn({Example(p, g)}, Json::object())["tag_acc"].get<double>(), 1.0);
  EXPECT_THROW(scorer::get("spacy.nothing.v1"), Error);
}

TEST(Evaluate, BlankPipelineGivesTokenScoresAndSpeed) {
  auto nlp = Language::blank("en");
  auto ref = std::make_shared<Doc>(nlp->make_doc("Hello world, again."));
  std::vector<Example> egs{Example::from_reference(ref)};
  Json s = evaluate(*nlp, egs);
  EXPECT_DOUBLE_EQ(s["token_acc"].get<double>(), 1.0);
  ASSERT_TRUE(s.contains("speed"));
  EXPECT_GT(s["speed"].get<double>(), 0.0);
  std::vector<std::string> keys;
  for (auto it = s.begin(); it != s.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"token_acc", "token_p", "token_r", "token_f", "speed"}));
}

TEST(Scorer, SpansOfAGroupWithPerType) {
  auto g = doc({"foo", "bar", "baz"});
  auto p = doc({"foo", "bar", "baz"});
  g->spans().set("ruler", {g->span(0, 2, "FOOBAR")});
  p->spans().set("ruler", {p->span(0, 2, "FOOBAR"), p->span(1, 3, "BARBAZ")});
  Json s = scorer::score_span_group({Example(p, g)}, "ruler", /*labeled=*/true, /*allow_overlap=*/true);
  EXPECT_DOUBLE_EQ(s["spans_ruler_p"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(s["spans_ruler_r"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s["spans_ruler_per_type"]["FOOBAR"]["f"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s["spans_ruler_per_type"]["BARBAZ"]["p"].get<double>(), 0.0);
  // Unlabelled: the label does not have to agree.
  p->spans().set("ruler", {p->span(0, 2, "OTHER")});
  Json u = scorer::score_span_group({Example(p, g)}, "ruler", /*labeled=*/false);
  EXPECT_DOUBLE_EQ(u["spans_ruler_f"].get<double>(), 1.0);
  EXPECT_FALSE(u.contains("spans_ruler_per_type"));
  // References without the group are not scored.
  auto g2 = doc({"foo"});
  Json none = scorer::score_span_group({Example(doc({"foo"}), g2)}, "ruler");
  EXPECT_TRUE(none["spans_ruler_f"].is_null());
  EXPECT_TRUE(none["spans_ruler_per_type"].is_null());
}

TEST(Evaluate, SpanRulerIsScoredByItsScorer) {
  register_all();
  auto nlp = Language::blank("en");
  auto& ruler = dynamic_cast<PatternRuler&>(nlp->add_pipe("span_ruler"));
  ruler.add_patterns(Json::parse(R"([{"label": "FOOBAR", "pattern": "foo bar"}, {"label": "BARBAZ", "pattern": "bar baz"}])"));
  auto ref = std::make_shared<Doc>(nlp->make_doc("foo bar baz"));
  ref->spans().set("ruler", {ref->span(0, 2, "FOOBAR")});
  Json s = evaluate(*nlp, {Example::from_reference(ref)});
  EXPECT_DOUBLE_EQ(s["spans_ruler_p"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(s["spans_ruler_r"].get<double>(), 1.0);
}

TEST(Evaluate, AttributeRulerAndEntityRulerScores) {
  register_all();
  auto nlp = Language::blank("en");
  auto& attrs = dynamic_cast<AttributeRules&>(nlp->add_pipe("attribute_ruler"));
  attrs.add(Json::parse(R"([[{"ORTH": "test"}]])"), {{"LEMMA", "cat"}});
  auto& ents = dynamic_cast<PatternRuler&>(nlp->add_pipe("entity_ruler"));
  ents.add_patterns(Json::parse(R"([{"label": "ANIMAL", "pattern": "test"}])"));
  auto ref = std::make_shared<Doc>(nlp->make_doc("This is a test."));
  const char* lemmas[] = {"this", "is", "a", "cat", "."};
  for (size_t i = 0; i < ref->size(); ++i) (*ref)[i].set_lemma(lemmas[i]);
  ref->set_ents({ref->span(3, 4, "ANIMAL")});
  Json s = evaluate(*nlp, {Example::from_reference(ref)});
  EXPECT_NEAR(s["lemma_acc"].get<double>(), 0.2, 1e-9);  // "cat" is the only correct lemma
  EXPECT_TRUE(s["tag_acc"].is_null());
  EXPECT_DOUBLE_EQ(s["ents_f"].get<double>(), 1.0);
}

// ---- dependency scores (Scorer.score_deps, parser_score) ----

std::shared_ptr<Doc> parsed(const std::vector<std::string>& words, const std::vector<size_t>& heads,
                            const std::vector<std::string>& deps, std::vector<bool> spaces = {}) {
  auto d = doc(words, spaces);
  d->set_parse(std::vector<std::optional<size_t>>(heads.begin(), heads.end()), deps);
  return d;
}

const std::vector<std::string> kWords = {"I", "like", "London", "and", "Berlin", "."};

TEST(Scorer, DepsUasLasAndPerTypeIgnorePunct) {
  auto g = parsed(kWords, {1, 1, 1, 2, 2, 1}, {"nsubj", "ROOT", "dobj", "cc", "conj", "punct"});
  // "and" attached to "like" (head wrong), "London" labelled nmod (label wrong), "." attached
  // to "Berlin" (punct: not scored).
  auto p = parsed(kWords, {1, 1, 1, 1, 2, 4}, {"nsubj", "ROOT", "nmod", "cc", "conj", "punct"});
  Json s = scorer::score_deps({Example(p, g)}, {"p", "punct"}, true);
  EXPECT_NEAR(s["dep_uas"].get<double>(), 0.8, 1e-12);  // 4 of 5 heads
  EXPECT_NEAR(s["dep_las"].get<double>(), 0.6, 1e-12);  // 3 of 5 heads and labels
  std::vector<std::string> keys;
  for (auto it = s["dep_las_per_type"].begin(); it != s["dep_las_per_type"].end(); ++it)
    keys.push_back(it.key());
  // gold labels first, lowercased, then the predicted-only ones
  EXPECT_EQ(keys, (std::vector<std::string>{"nsubj", "root", "dobj", "cc", "conj", "nmod"}));
  EXPECT_DOUBLE_EQ(s["dep_las_per_type"]["nsubj"]["f"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s["dep_las_per_type"]["cc"]["r"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(s["dep_las_per_type"]["nmod"]["p"].get<double>(), 0.0);
  // Without lowercasing or ignoring, "ROOT" and punct count.
  Json raw = scorer::score_deps({Example(p, g)});
  EXPECT_TRUE(raw["dep_las_per_type"].contains("ROOT"));
  EXPECT_NEAR(raw["dep_uas"].get<double>(), 4.0 / 6.0, 1e-12);
}

TEST(Scorer, DepsMisalignedTokensAreFalsePositivesAndMissingGoldIsSkipped) {
  auto g = parsed(kWords, {1, 1, 1, 2, 2, 1}, {"nsubj", "ROOT", "dobj", "cc", "conj", "punct"});
  // "Berlin." is one predicted token: its arc cannot be matched.
  auto p = parsed({"I", "like", "London", "and", "Berlin."}, {1, 1, 1, 2, 2},
                  {"nsubj", "ROOT", "dobj", "cc", "conj"}, {true, true, true, true, false});
  Json s = scorer::score_deps({Example(p, g)}, {"p", "punct"}, true);
  EXPECT_NEAR(s["dep_uas"].get<double>(), 0.8, 1e-12);  // tp 4, fp 1, fn 1
  // A reference token without a dep is not scored on either side.
  auto g2 = parsed(kWords, {1, 1, 1, 2, 2, 1}, {"nsubj", "ROOT", "dobj", "", "conj", "punct"});
  auto p2 = parsed(kWords, {1, 1, 1, 0, 2, 1}, {"nsubj", "ROOT", "dobj", "cc", "conj", "punct"});
  EXPECT_DOUBLE_EQ(scorer::score_deps({Example(p2, g2)}, {"p", "punct"}, true)["dep_las"].get<double>(), 1.0);
  // Nothing to score: null, as spaCy's None.
  Json none = scorer::score_deps({Example(doc({"a", "b"}), doc({"a", "b"}))});
  EXPECT_TRUE(none["dep_uas"].is_null());
  EXPECT_TRUE(none["dep_las_per_type"].is_null());
}

TEST(Scorer, ParserScorerHasSentsAndDeps) {
  register_training();
  registry::Value v = registry::resolve(Json{{"s", {{"@scorers", "spacy.parser_scorer.v1"}}}});
  auto fn = v.at("s").as<scorer::ScorerFn>();
  auto g = parsed({"Bob", "sleeps", ".", "Ann", "reads", "."}, {1, 1, 1, 4, 4, 4},
                  {"nsubj", "ROOT", "punct", "nsubj", "ROOT", "punct"});
  auto p = parsed({"Bob", "sleeps", ".", "Ann", "reads", "."}, {1, 1, 1, 1, 1, 1},
                  {"nsubj", "ROOT", "punct", "nsubj", "conj", "punct"});
  Json s = fn({Example(p, g)}, Json::object());
  std::vector<std::string> keys;
  for (auto it = s.begin(); it != s.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"sents_p", "sents_r", "sents_f", "dep_uas", "dep_las",
                                            "dep_las_per_type"}));
  EXPECT_DOUBLE_EQ(s["sents_p"].get<double>(), 0.0);  // one predicted sentence, two gold
  EXPECT_NEAR(s["dep_uas"].get<double>(), 0.5, 1e-12);  // Bob, sleeps right; Ann, reads wrong
}

}  // namespace
}  // namespace trfpipe
