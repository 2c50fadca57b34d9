// The morphologizer's and the lemmatizer's scores (spaCy's morphologizer_score: pos_acc,
// morph_acc by analysis key, score_token_attr_per_feat; lemmatizer_score: lemma_acc) on fixed
// examples with hand-computed values.
#include <gtest/gtest.h>

#include <memory>

#include "trfpipe/language.hpp"
#include "trfpipe/scorer.hpp"
#include "trfpipe/training.hpp"

namespace trfpipe {
namespace {

std::shared_ptr<Vocab> vocab() {
  static auto v = std::make_shared<Vocab>("en");
  return v;
}

// gold / predicted morphs per token: "-" = unset, "" = the empty analysis.
Example morph_example(const std::vector<std::string>& gold, const std::vector<std::string>& pred) {
  std::vector<std::string> words;
  for (size_t i = 0; i < gold.size(); ++i) words.push_back("w" + std::to_string(i));
  auto g = std::make_shared<Doc>(vocab(), words), p = std::make_shared<Doc>(vocab(), words);
  for (size_t i = 0; i < gold.size(); ++i) {
    if (gold[i] != "-") (*g)[i].set_morph(gold[i]);
    if (pred[i] != "-") (*p)[i].set_morph(pred[i]);
  }
  return Example(p, g);
}

}  // namespace

TEST(MorphScorer, MorphAccComparesKeysAndScoresTheEmptyAnalysis) {
  std::vector<Example> egs = {morph_example({"Case=Nom|Number=Sing", "", "-", "Number=Plur"},
                                            {"Number=Sing|Case=Nom", "-", "Number=Sing", ""})};
  // Token 0 right (same normalized analysis), token 1 wrong (gold "_", prediction unset),
  // token 2 not scored (gold unset), token 3 wrong.
  EXPECT_DOUBLE_EQ(scorer::score_token_attr(egs, "morph")["morph_acc"].get<double>(), 1.0 / 3.0);
}

TEST(MorphScorer, PerFeatCountsFieldsInOrderOfAppearanceAndSkipsEmptyGold) {
  std::vector<Example> egs = {
      morph_example({"Number=Sing|Person=3", "Case=Nom", "", "-"},
                    {"Number=Sing|Person=1", "Case=Nom|Gender=Fem", "Foo=Bar", "Tense=Past"}),
      morph_example({"Case=Acc,Nom"}, {"Case=Nom"})};
  Json r = scorer::score_morph_per_feat(egs);
  // Number: tp 1. Person: fp 1, fn 1. Case: tp 1 (doc 1), then fp 1 + fn 1 (doc 2: the values
  // "Acc,Nom" form one feature). Gender: fp 1. Tokens 2 (gold empty) and 3 (gold unset) are
  // not scored.
  std::vector<std::string> fields;
  for (auto it = r["morph_per_feat"].begin(); it != r["morph_per_feat"].end(); ++it)
    fields.push_back(it.key());
  EXPECT_EQ(fields, (std::vector<std::string>{"Number", "Person", "Case", "Gender"}));
  EXPECT_DOUBLE_EQ(r["morph_per_feat"]["Number"]["f"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(r["morph_per_feat"]["Person"]["p"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(r["morph_per_feat"]["Case"]["p"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(r["morph_per_feat"]["Case"]["r"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(r["morph_per_feat"]["Gender"]["p"].get<double>(), 0.0);
  // micro: tp 2, fp 3, fn 2.
  EXPECT_DOUBLE_EQ(r["morph_micro_p"].get<double>(), 2.0 / 5.0);
  EXPECT_DOUBLE_EQ(r["morph_micro_r"].get<double>(), 2.0 / 4.0);
  EXPECT_NEAR(r["morph_micro_f"].get<double>(), 2 * 0.4 * 0.5 / 0.9, 1e-12);
}

TEST(MorphScorer, NothingToCountGivesNulls) {
  std::vector<Example> egs = {morph_example({"", "-"}, {"A=B", "C=D"})};
  Json r = scorer::score_morph_per_feat(egs);
  EXPECT_TRUE(r["morph_micro_p"].is_null());
  EXPECT_TRUE(r["morph_per_feat"].is_null());
}

TEST(MorphScorer, RegisteredScorersGiveSpacysKeys) {
  register_training();
  auto g = std::make_shared<Doc>(vocab(), std::vector<std::string>{"She", "likes"});
  auto p = std::make_shared<Doc>(vocab(), std::vector<std::string>{"She", "likes"});
  (*g)[0].set_pos("PRON");
  (*g)[1].set_pos("VERB");
  (*g)[0].set_morph("Case=Nom");
  (*g)[1].set_morph("Number=Sing");
  (*g)[0].set_lemma("she");
  (*g)[1].set_lemma("like");
  (*p)[0].set_pos("PRON");
  (*p)[1].set_pos("NOUN");
  (*p)[0].set_morph("Case=Nom");
  (*p)[1].set_morph("Number=Sing");
  (*p)[0].set_lemma("she");
  (*p)[1].set_lemma("likes");
  std::vector<Example> egs = {Example(p, g)};
  Json m = scorer::get("spacy.morphologizer_scorer.v1")(egs, Json::object());
  std::vector<std::string> keys;
  for (auto it = m.begin(); it != m.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"pos_acc", "morph_acc", "morph_micro_p",
                                            "morph_micro_r", "morph_micro_f", "morph_per_feat"}));
  EXPECT_DOUBLE_EQ(m["pos_acc"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(m["morph_acc"].get<double>(), 1.0);
  Json l = scorer::get("spacy.lemmatizer_scorer.v1")(egs, Json::object());
  EXPECT_EQ(l, (Json{{"lemma_acc", 0.5}}));
}

}  // namespace trfpipe
