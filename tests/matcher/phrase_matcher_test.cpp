// The PhraseMatcher, table-driven from spaCy's spacy/tests/matcher/test_phrase_matcher.py.
#include <gtest/gtest.h>

#include "matcher_fixture.hpp"
#include "pipeline/error_of.hpp"
#include "trfpipe/language.hpp"

using namespace trfpipe;
using namespace trfpipe::testing;

namespace {

class PhraseMatcherTest : public MatcherTestBase {
 protected:
  std::vector<Doc> phrases(std::initializer_list<const char*> texts) {
    std::vector<Doc> out;
    for (const char* t : texts) out.push_back(doc(t));
    return out;
  }
};

}  // namespace

TEST_F(PhraseMatcherTest, CountsRulesNotPatterns) {
  auto nlp = Language::blank("en");
  PhraseMatcher m(nlp->vocab_ptr());
  std::vector<Doc> abc;
  for (const char* t : {"a", "b", "c"}) abc.push_back(nlp->make_doc(t));
  m.add("TEST1", abc);
  std::vector<Doc> d;
  d.push_back(nlp->make_doc("d"));
  m.add("TEST2", d);
  EXPECT_EQ(m.size(), 2u);
}

TEST_F(PhraseMatcherTest, DuplicatePatternsOfTwoRulesGiveTwoMatches) {
  PhraseMatcher m(vocab);
  m.add("A", phrases({"Barack Obama"}));
  m.add("B", phrases({"Barack Obama"}));
  Doc d = doc("Barack Obama lifts America");
  auto found = m(d);
  EXPECT_EQ(trfpipe::testing::keys(*vocab, found), (std::vector<std::string>{"A", "B"}));
  Doc d2 = doc("I live in New York");
  PhraseMatcher m2(vocab);
  m2.add("A", phrases({"New York"}));
  m2.add("B", phrases({"New York"}));
  EXPECT_EQ(locs(m2(d2)), (Locs{{3, 5}, {3, 5}}));
}

TEST_F(PhraseMatcherTest, MatchesOverwrittenNorms) {
  PhraseMatcher m(vocab, "NORM");
  m.add("TEST", phrases({"c d"}));
  Doc d = doc("a b c d");
  EXPECT_EQ(m(d).size(), 1u);
  PhraseMatcher m2(vocab, "NORM");
  Doc pattern = doc("1 2");
  pattern.tokens()[0].norm = vocab->strings().add("c");
  pattern.tokens()[1].norm = vocab->strings().add("d");
  std::vector<const Doc*> ps{&pattern};
  m2.add("TEST", ps);
  EXPECT_EQ(m2(d).size(), 1u);
}

struct PositionCase {
  const char* phrase;
  Locs expected;
};
class PhraseMatcherPositions : public PhraseMatcherTest, public ::testing::WithParamInterface<PositionCase> {};

TEST_P(PhraseMatcherPositions, FindsThePhraseAnywhere) {
  PhraseMatcher m(vocab);
  m.add("KEY", phrases({GetParam().phrase}));
  Doc d = doc("I like Google Now best");
  EXPECT_EQ(locs(m(d)), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(SpacyCases, PhraseMatcherPositions,
                         ::testing::Values(PositionCase{"Google Now", {{2, 4}}}, PositionCase{"I", {{0, 1}}},
                                           PositionCase{"I like", {{0, 2}}}, PositionCase{"best", {{4, 5}}},
                                           PositionCase{"Now best", {{3, 5}}}, PositionCase{"Now worst", {}}));

TEST_F(PhraseMatcherTest, LengthContainsAndRepeatedAdds) {
  PhraseMatcher m(vocab);
  EXPECT_EQ(m.size(), 0u);
  m.add("TEST", phrases({"test"}));
  EXPECT_EQ(m.size(), 1u);
  m.add("TEST2", phrases({"test2"}));
  EXPECT_EQ(m.size(), 2u);
  EXPECT_TRUE(m.contains("TEST"));
  EXPECT_FALSE(m.contains("TEST3"));
  PhraseMatcher rep(vocab);
  for (int i = 0; i < 4; ++i) rep.add("TEST", phrases({"like"}));
  Doc d = doc("I like Google Now best");
  EXPECT_EQ(rep(d).size(), 1u);
}

TEST_F(PhraseMatcherTest, TwoPhrasesAndCallbacks) {
  Doc d = doc("a b");
  PhraseMatcher m(vocab);
  m.add("NEW_API", phrases({"a", "a b"}));
  EXPECT_EQ(m(d).size(), 2u);
  PhraseMatcher cb(vocab);
  int calls = 0;
  cb.add("NEW_API_CALLBACK", phrases({"a", "a b"}),
         [&](PhraseMatcher&, Doc&, size_t, const std::vector<Match>&) { ++calls; });
  EXPECT_EQ(cb(d).size(), 2u);
  EXPECT_EQ(calls, 2);
}

TEST_F(PhraseMatcherTest, RemoveRules) {
  PhraseMatcher m(vocab);
  m.add("TEST1", phrases({"like"}));
  m.add("TEST2", phrases({"best"}));
  Doc d = doc("I like Google Now best");
  EXPECT_EQ(m(d).size(), 2u);
  m.remove("TEST1");
  EXPECT_FALSE(m.contains("TEST1"));
  EXPECT_TRUE(m.contains("TEST2"));
  EXPECT_EQ(m(d).size(), 1u);
  m.remove("TEST2");
  EXPECT_EQ(m(d).size(), 0u);
  EXPECT_THROW(m.remove("TEST3"), ValueError);
  EXPECT_EQ(m.size(), 0u);
}

TEST_F(PhraseMatcherTest, RemoveKeepsOtherRulesOfTheSamePhrase) {
  PhraseMatcher m(vocab);
  m.add("TEST", phrases({"like"}));
  m.add("TEST2", phrases({"like"}));
  Doc d = doc("I like Google Now best");
  EXPECT_EQ(m(d).size(), 2u);
  m.remove("TEST");
  EXPECT_EQ(m.size(), 1u);
  auto found = m(d);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].id, vocab->strings()["TEST2"]);
  m.remove("TEST2");
  EXPECT_EQ(m(d).size(), 0u);
}

TEST_F(PhraseMatcherTest, RemoveOverlappingTerms) {
  Doc d = doc("Only save out the binary data for the individual components .");
  PhraseMatcher m(vocab);
  m.add("0", phrases({"binary"}));
  m.add("1", phrases({"binary data"}));
  auto found = m(d);
  EXPECT_EQ(locs(found), (Locs{{4, 5}, {4, 6}}));
  EXPECT_EQ(trfpipe::testing::keys(*vocab, found), (std::vector<std::string>{"0", "1"}));
  m.remove("0");
  EXPECT_EQ(locs(m(d)), (Locs{{4, 6}}));
  m.remove("1");
  EXPECT_TRUE(m(d).empty());
  PhraseMatcher nested(vocab);
  nested.add("THIS", phrases({"this", "this is", "this is a", "this is a word"}));
  EXPECT_NO_THROW(nested.remove("THIS"));
}

TEST_F(PhraseMatcherTest, StringAttributes) {
  Doc pattern = doc("I like cats");
  const char* pos1[] = {"PRON", "VERB", "NOUN"};
  for (size_t i = 0; i < 3; ++i) pattern[i].set_pos(pos1[i]);
  PhraseMatcher m(vocab, "POS");
  std::vector<const Doc*> ps{&pattern};
  m.add("TEST", ps);
  Doc d = doc("Yes , you hate dogs very much");
  const char* pos2[] = {"INTJ", "PUNCT", "PRON", "VERB", "NOUN", "ADV", "ADV"};
  for (size_t i = 0; i < 7; ++i) d[i].set_pos(pos2[i]);
  auto found = m(d);
  EXPECT_EQ(locs(found), (Locs{{2, 5}}));
  EXPECT_EQ(found[0].id, vocab->strings()["TEST"]);
  // Control codes as ORTH are not matched.
  Doc neg = doc("matcher:POS-PRON matcher:POS-VERB matcher:POS-NOUN");
  for (size_t i = 0; i < 3; ++i) neg[i].set_pos("X");
  EXPECT_TRUE(m(neg).empty());
}

TEST_F(PhraseMatcherTest, BoolAttributes) {
  PhraseMatcher m(vocab, "IS_PUNCT");
  m.add("TEST", phrases({"Hello world !"}));
  Doc d = doc("No problem , he said .");
  EXPECT_EQ(locs(m(d)), (Locs{{0, 3}, {3, 6}}));
}

TEST_F(PhraseMatcherTest, AttributeValidation) {
  EXPECT_THAT(error_of([&] { PhraseMatcher(vocab, "UNSUPPORTED"); }), ::testing::HasSubstr("[E152]"));
  for (const char* attr : {"SENT_START", "IS_SENT_START", "TEXT", "lower", "ENT_IOB", "LENGTH"})
    EXPECT_NO_THROW(PhraseMatcher(vocab, attr)) << attr;
  EXPECT_THROW(PhraseMatcher(vocab, "PREFIX"), ValueError);  // not a token-pattern attribute
}

TEST_F(PhraseMatcherTest, AttributeNeedsAnnotatedPhrases) {
  AnnotatedDocs docs(vocab);
  Doc &d1 = docs.dep, &d2 = docs.tagged, &d3 = docs.bare;
  PhraseMatcher dep(vocab, "DEP");
  dep.add("TEST1", std::vector<const Doc*>{&d1});
  EXPECT_THAT(error_of([&] { dep.add("TEST2", std::vector<const Doc*>{&d2}); }), ::testing::HasSubstr("[E155]"));
  EXPECT_THROW(dep.add("TEST3", std::vector<const Doc*>{&d3}), ValueError);
  for (const char* attr : {"TAG", "POS", "LEMMA"}) {
    PhraseMatcher m(vocab, attr);
    m.add("TEST2", std::vector<const Doc*>{&d2});
    EXPECT_THROW(m.add("TEST1", std::vector<const Doc*>{&d1}), ValueError) << attr;
    EXPECT_THROW(m.add("TEST3", std::vector<const Doc*>{&d3}), ValueError) << attr;
  }
  PhraseMatcher orth(vocab, "ORTH");
  EXPECT_NO_THROW(orth.add("TEST3", std::vector<const Doc*>{&d3}));
}

TEST_F(PhraseMatcherTest, CallbackGetsTheMatches) {
  Doc d = doc("I like Google Now best");
  PhraseMatcher m(vocab);
  std::vector<std::pair<size_t, std::vector<Match>>> calls;
  m.add("COMPANY", phrases({"Google Now"}),
        [&](PhraseMatcher&, Doc&, size_t i, const std::vector<Match>& ms) { calls.emplace_back(i, ms); });
  auto found = m(d);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].first, 0u);
  EXPECT_EQ(calls[0].second, found);
}

TEST_F(PhraseMatcherTest, AsSpans) {
  PhraseMatcher m(vocab);
  m.add("A", phrases({"hello world"}));
  m.add("B", phrases({"test"}));
  Doc d = doc("... hello world this is a test");
  auto spans = m.match_spans(d);
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].text(), "hello world");
  EXPECT_EQ(spans[0].label_(), "A");
  EXPECT_EQ(spans[1].text(), "test");
  EXPECT_EQ(spans[1].label_(), "B");
}

TEST_F(PhraseMatcherTest, SpansAreSearchedOnlyInside) {
  Doc d = doc("I like Spans and Docs in my input , Spans and Docs in my matchers , and Spans and Docs everywhere .");
  PhraseMatcher m(vocab);
  m.add("SPACY", phrases({"Spans and Docs"}));
  EXPECT_EQ(m(d).size(), 3u);
  auto inside = m(d.span(9, 15));
  ASSERT_EQ(inside.size(), 1u);
  EXPECT_EQ(inside[0].start, 9u);  // Doc offsets, as spaCy's PhraseMatcher
  EXPECT_EQ(m(d.span(0, 8)).size(), 1u);
  EXPECT_EQ(m(d.span(0, 4)).size(), 0u);  // the phrase runs past the span's end
}

TEST_F(PhraseMatcherTest, LowerAttributeAndLongPhraseLists) {
  PhraseMatcher m(vocab, "LOWER");
  std::vector<std::vector<uint64_t>> seqs;
  for (int i = 0; i < 5000; ++i)
    seqs.push_back({vocab->get("w" + std::to_string(i)).lower, vocab->get("x").lower});
  m.add_sequences("MANY", seqs);
  Doc d = doc("W17 X w4999 x w5000 x");
  EXPECT_EQ(locs(m(d)), (Locs{{0, 2}, {2, 4}}));
}
