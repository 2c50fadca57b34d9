// The Matcher's state machine: quantifiers, overlaps, greedy filtering and alignments, from
// spaCy's spacy/tests/matcher/test_matcher_logic.py (own tables, same expectations).
#include <gtest/gtest.h>

#include <regex>

#include "matcher_fixture.hpp"
#include "pipeline/error_of.hpp"
#include "trfpipe/language.hpp"

using namespace trfpipe;
using namespace trfpipe::testing;

namespace {

Json J(const char* text) { return Json::parse(text); }

class MatcherLogic : public MatcherTestBase {};

// "a+ b" -> [{"ORTH": "a", "OP": "+"}, {"ORTH": "b"}] (spaCy's operator tests' notation).
Json pattern_from(const std::string& text) {
  Json pattern = Json::array();
  for (const std::string& part : split_words(text)) {
    Json spec = {{"ORTH", part.substr(0, 1)}};
    const char last = part.back();
    if (last == '+' || last == '*' || last == '?') spec["OP"] = std::string(1, last);
    else if (last == '}') spec["OP"] = part.substr(1);
    pattern.push_back(spec);
  }
  return pattern;
}

Doc char_doc(const std::shared_ptr<Vocab>& vocab, const std::string& chars) {
  std::vector<std::string> words;
  for (char c : chars) words.push_back(std::string(1, c));
  return Doc(vocab, words);
}

}  // namespace

class MatcherOverlapOrder : public MatcherLogic, public ::testing::WithParamInterface<std::pair<const char*, Locs>> {};

// Issues 118: overlapping patterns of one rule come out by end, then as produced.
TEST_P(MatcherOverlapOrder, Issue118) {
  auto nlp = Language::blank("en");
  Doc d = nlp->make_doc("how many points did lebron james score against the boston celtics last night");
  Matcher m(nlp->vocab_ptr());
  m.add("BostonCeltics", J(GetParam().first));
  EXPECT_EQ(locs(m(d)), GetParam().second);
}

INSTANTIATE_TEST_SUITE_P(
    SpacyIssues, MatcherOverlapOrder,
    ::testing::Values(
        std::make_pair(R"([[{"LOWER": "celtics"}], [{"LOWER": "boston"}, {"LOWER": "celtics"}]])", Locs{{9, 11}, {10, 11}}),
        std::make_pair(R"([[{"LOWER": "boston"}, {"LOWER": "celtics"}], [{"LOWER": "celtics"}]])", Locs{{9, 11}, {10, 11}}),
        std::make_pair(R"([[{"LOWER": "boston"}], [{"LOWER": "boston"}, {"LOWER": "celtics"}]])", Locs{{9, 10}, {9, 11}}),
        std::make_pair(R"([[{"LOWER": "boston"}, {"LOWER": "celtics"}], [{"LOWER": "boston"}]])", Locs{{9, 10}, {9, 11}})));

TEST_F(MatcherLogic, Issue242OverlappingPhrases) {
  auto nlp = Language::blank("en");
  Doc d = nlp->make_doc("There are different food safety standards in different countries.");
  Matcher m(nlp->vocab_ptr());
  m.add("FOOD", J(R"([[{"LOWER": "food"}, {"LOWER": "safety"}], [{"LOWER": "safety"}, {"LOWER": "standards"}]])"));
  auto found = m(d);
  EXPECT_EQ(locs(found), (Locs{{3, 5}, {4, 6}}));
  std::vector<Span> ents;
  for (const Match& x : found) ents.push_back(d.span(x.start, x.end, "FOOD"));
  EXPECT_THROW(d.set_ents(ents), ValueError);  // one token, one entity
}

TEST_F(MatcherLogic, Issue587AndIssue590) {
  auto nlp = Language::blank("en");
  Doc d = nlp->make_doc("a b; c");
  Matcher m(nlp->vocab_ptr());
  m.add("TEST1", J(R"([[{"ORTH": "a"}, {"ORTH": "b"}]])"));
  EXPECT_EQ(m(d).size(), 1u);
  m.add("TEST2", J(R"([[{"ORTH": "a"}, {"ORTH": "b"}, {"IS_PUNCT": true}, {"ORTH": "c"}]])"));
  EXPECT_EQ(m(d).size(), 2u);
  m.add("TEST3", J(R"([[{"ORTH": "a"}, {"ORTH": "b"}, {"IS_PUNCT": true}, {"ORTH": "d"}]])"));
  EXPECT_EQ(m(d).size(), 2u);

  Doc d2 = doc("n = 1 ; a : 5 %");
  Matcher m2(vocab);
  m2.add("ab", J(R"([[{"IS_ALPHA": true}, {"ORTH": ":"}, {"LIKE_NUM": true}, {"ORTH": "%"}]])"));
  m2.add("ab", J(R"([[{"IS_ALPHA": true}, {"ORTH": "="}, {"LIKE_NUM": true}]])"));
  EXPECT_EQ(m2(d2).size(), 2u);
}

TEST_F(MatcherLogic, Issue588EmptySpecListIsAnError) {
  Matcher m(vocab);
  EXPECT_THROW(m.add("TEST", J("[[]]")), ValueError);
}

TEST_F(MatcherLogic, Issue615MergeFromCallback) {
  auto nlp = Language::blank("en");
  Doc d = nlp->make_doc("The golf club is broken");
  Matcher m(nlp->vocab_ptr());
  // The callback changes the Doc (entities) while the matcher reports the last match.
  m.add("Sport_Equipment", J(R"([[{"ORTH": "golf"}, {"ORTH": "club"}]])"),
        [](Matcher&, Doc& doc, size_t i, const std::vector<Match>& matches) {
          if (i + 1 != matches.size()) return;
          std::vector<Span> spans;
          for (const Match& x : matches) spans.push_back(Span(&doc, x.start, x.end, x.id));
          doc.set_ents(spans);
        });
  m(d);
  ASSERT_EQ(d.ents().size(), 1u);
  EXPECT_EQ(d.ents()[0].label_(), "Sport_Equipment");
}

TEST_F(MatcherLogic, Issue850StarBeforeTheLastToken) {
  for (const char* p : {R"([[{"LOWER": "bob"}, {"OP": "*"}, {"LOWER": "frank"}]])",
                        R"([[{"LOWER": "bob"}, {"OP": "*", "LOWER": "and"}, {"LOWER": "frank"}]])"}) {
    Matcher m(vocab);
    m.add("FarAway", J(p));
    Doc d = doc("bob and and frank");
    EXPECT_EQ(locs(m(d)), (Locs{{0, 4}})) << p;
  }
}

TEST_F(MatcherLogic, Issue1434OptionalAtTheEndOfAShortDoc) {
  Matcher m(vocab);
  m.add("MyMatcher", J(R"([[{"ORTH": "Hello"}, {"IS_ALPHA": true, "OP": "?"}]])"));
  Doc hw = doc("Hello World");
  Doc h = doc("Hello");
  EXPECT_FALSE(m(hw).empty());
  EXPECT_FALSE(m(h).empty());
}

struct StarEndCase {
  const char* words;
  size_t start, end, count;
};
class MatcherStarAtEnd : public MatcherLogic, public ::testing::WithParamInterface<StarEndCase> {};

// Issue 1450: a pattern ending in '*'; the last match is the longest.
TEST_P(MatcherStarAtEnd, LastMatchIsTheLongest) {
  Matcher m(vocab);
  m.add("TSTEND", J(R"([[{"ORTH": "a"}, {"ORTH": "b", "OP": "*"}]])"));
  Doc d = doc(GetParam().words);
  auto found = m(d);
  ASSERT_EQ(found.size(), GetParam().count);
  EXPECT_EQ(found.back().start, GetParam().start);
  EXPECT_EQ(found.back().end, GetParam().end);
}

INSTANTIATE_TEST_SUITE_P(SpacyIssues, MatcherStarAtEnd,
                         ::testing::Values(StarEndCase{"a", 0, 1, 1}, StarEndCase{"a b", 0, 2, 2},
                                           StarEndCase{"a c", 0, 1, 1}, StarEndCase{"a b c", 0, 2, 2},
                                           StarEndCase{"a b b c", 0, 3, 3}, StarEndCase{"a b b", 0, 3, 3}));

TEST_F(MatcherLogic, Issue1945OverlappingRepeats) {
  Matcher m(vocab);
  m.add("MWE", J(R"([[{"orth": "a"}, {"orth": "a"}]])"));
  Doc d = doc("a a a");
  EXPECT_EQ(locs(m(d)), (Locs{{0, 2}, {1, 3}}));
}

TEST_F(MatcherLogic, Issue1971ExtensionsAndOptionals) {
  Doc::set_token_extension("optional", std::any(false), /*force=*/true);
  Matcher m(vocab);
  m.add("TEST", J(R"([[{"ORTH": "Doe"}, {"ORTH": "!", "OP": "?"}, {"_": {"optional": true}, "OP": "?"},
                     {"ORTH": "!", "OP": "?"}]])"));
  Doc d = doc("Hello John Doe !");
  for (const Match& x : m(d)) EXPECT_EQ(vocab->strings()[x.id], "TEST");

  Matcher m2(vocab);
  m2.add("TEST1", J(R"([[{"ORTH": "EUR", "LOWER": {"IN": ["eur"]}}, {"LIKE_NUM": true}],
                       [{"LIKE_NUM": true}, {"ORTH": "EUR"}]])"));
  Doc d2 = doc("EUR 10 is 10 EUR");
  EXPECT_EQ(m2(d2).size(), 2u);
}

TEST_F(MatcherLogic, Issue1971SeveralExtensions) {
  Doc::set_token_extension("a", std::any(1), /*force=*/true);
  Doc::set_token_extension("b", std::any(2), /*force=*/true);
  Matcher m(vocab);
  m.add("A", J(R"([[{"_": {"a": 1}}]])"));
  m.add("B", J(R"([[{"_": {"b": 2}}]])"));
  Doc d = doc("hello world");
  auto found = m(d);
  std::vector<std::tuple<std::string, size_t, size_t>> got;
  for (const Match& x : found) got.emplace_back(vocab->strings()[x.id], x.start, x.end);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::tuple<std::string, size_t, size_t>>{
                     {"A", 0, 1}, {"A", 1, 2}, {"B", 0, 1}, {"B", 1, 2}}));

  Doc::set_token_extension("ext_a", std::any(std::string("str_a")), /*force=*/true);
  Doc::set_token_extension("ext_b", std::any(std::string("str_b")), /*force=*/true);
  Matcher m2(vocab);
  Json spec = {{"_", {{"ext_a", "str_a"}, {"ext_b", "str_b"}}}};
  m2.add("TEST", Json::array({Json::array({spec, spec, spec})}));
  Doc d2 = doc("this is text");
  EXPECT_EQ(locs(m2(d2)), (Locs{{0, 3}}));
}

TEST_F(MatcherLogic, Issue2464SuccessiveOptionals) {
  Matcher m(vocab);
  m.add("4", J(R"([[{"OP": "?"}, {"OP": "?"}]])"));
  Doc d = doc("a b");
  EXPECT_EQ(m(d).size(), 3u);
}

TEST_F(MatcherLogic, Issue2569PlusReturnsEveryRun) {
  auto nlp = Language::blank("en");
  Doc d = nlp->make_doc("It is May 15, 1993.");
  d.set_ents({d.span(2, 6, "DATE")});
  Matcher m(nlp->vocab_ptr());
  m.add("RULE", J(R"([[{"ENT_TYPE": "DATE", "OP": "+"}]])"));
  auto found = m(d);
  EXPECT_EQ(found.size(), 10u);
  size_t longest = 0;
  for (const Match& x : found) longest = std::max(longest, x.end - x.start);
  EXPECT_EQ(longest, 4u);
}

TEST_F(MatcherLogic, Issue2671And3839KeysOfQuantifiedPatterns) {
  auto nlp = Language::blank("en");
  Matcher m(nlp->vocab_ptr());
  m.add("test_pattern", J(R"([[{"LOWER": "high"}, {"IS_PUNCT": true, "OP": "?"}, {"LOWER": "adrenaline"}]])"));
  for (const char* text : {"This is a high-adrenaline situation.", "This is a high adrenaline situation."}) {
    Doc d = nlp->make_doc(text);
    auto found = m(d);
    EXPECT_FALSE(found.empty()) << text;
    for (const Match& x : found) EXPECT_EQ(nlp->vocab().strings()[x.id], "test_pattern");
  }
  Doc d = doc("terrific group of people");
  for (const char* p : {R"([[{"LOWER": "terrific"}, {"OP": "?"}, {"LOWER": "group"}]])",
                        R"([[{"LOWER": "terrific"}, {"OP": "?"}, {"OP": "?"}, {"LOWER": "group"}]])"}) {
    Matcher m2(vocab);
    m2.add("PATTERN", J(p));
    auto found = m2(d);
    ASSERT_FALSE(found.empty());
    EXPECT_EQ(found[0].id, vocab->strings()["PATTERN"]);
  }
}

TEST_F(MatcherLogic, Issue3009QuantifiersBeforeFixedTokens) {
  Doc d = doc("also has to do with");
  const char* tags[] = {"RB", "VBZ", "TO", "VB", "IN"};
  for (size_t i = 0; i < d.size(); ++i) d[i].set_tag(tags[i]);
  Json patterns = J(R"([
    [{"ORTH": "has"}, {"LOWER": "to"}, {"LOWER": "do"}, {"TAG": "IN"}],
    [{"ORTH": "has"}, {"IS_ASCII": true, "IS_PUNCT": false, "OP": "*"}, {"LOWER": "to"}, {"LOWER": "do"}, {"TAG": "IN"}],
    [{"ORTH": "has"}, {"IS_ASCII": true, "IS_PUNCT": false, "OP": "?"}, {"LOWER": "to"}, {"LOWER": "do"}, {"TAG": "IN"}]])");
  Matcher m(vocab);
  for (size_t i = 0; i < patterns.size(); ++i) {
    m.add(std::to_string(i), Json::array({patterns[i]}));
    EXPECT_FALSE(m(d).empty()) << i;
  }
}

TEST_F(MatcherLogic, Issue3328SetsReturnTheRightTokens) {
  Doc d = doc({"Hello", ",", "how", "are", "you", "doing", "?"});
  Matcher m(vocab);
  m.add("TEST", J(R"([[{"LOWER": {"IN": ["hello", "how"]}}], [{"LOWER": {"IN": ["you", "doing"]}}]])"));
  EXPECT_EQ(texts(d, m(d)), (std::vector<std::string>{"Hello", "how", "you", "doing"}));
  Matcher m2(vocab);
  m2.add("TEST", J(R"([[{"LOWER": {"IN": ["zero"]}}], [{"LOWER": {"IN": ["one"]}}], [{"LOWER": {"IN": ["two"]}}]])"));
  Doc d2 = doc("zero one two three");
  EXPECT_EQ(texts(d2, m2(d2)), (std::vector<std::string>{"zero", "one", "two"}));
}

struct CountCase {
  const char* pattern;
  const char* words;
  size_t expected;
};
class MatcherOptionalCombos : public MatcherLogic, public ::testing::WithParamInterface<CountCase> {};

TEST_P(MatcherOptionalCombos, CountsMatches) {
  Matcher m(vocab);
  m.add("TEST", J(GetParam().pattern));
  Doc d = doc(GetParam().words);
  EXPECT_EQ(m(d).size(), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    SpacyIssues, MatcherOptionalCombos,
    ::testing::Values(
        // 3879: no false positive 'is a test'.
        CountCase{R"([[{"ORTH": "This", "OP": "?"}, {"OP": "?"}, {"ORTH": "test"}]])", "This is a test .", 2},
        // 3951: combinations of optional rules.
        CountCase{R"([[{"LOWER": "hello"}, {"LOWER": "this", "OP": "?"}, {"OP": "?"}, {"LOWER": "world"}]])",
                  "Hello my new world", 0},
        // 4120: matches that end in an optional token.
        CountCase{R"([[{"ORTH": "a"}, {"OP": "?"}]])", "a", 1},
        CountCase{R"([[{"ORTH": "a"}, {"OP": "?"}]])", "a b c", 2},
        CountCase{R"([[{"ORTH": "a"}, {"OP": "?"}, {"ORTH": "b"}]])", "a b b c", 2},
        CountCase{R"([[{"ORTH": "a"}, {"OP": "?"}, {"ORTH": "b", "OP": "?"}]])", "a b b c", 3},
        // test_matcher_end_zero_plus.
        CountCase{R"([[{"ORTH": "a"}, {"ORTH": "b", "OP": "*"}]])", "a b b c", 3},
        CountCase{R"([[{"ORTH": "test"}, {"OP": "?"}]])", "This is a test case .", 2}));

// Greedy matching: FIRST agrees with Python's re on "(BBAAAAAB).", LONGEST keeps the longest.
struct GreedyCase {
  const char* pattern;
  const char* regex;
  const char* longest;
};
class MatcherGreedy : public MatcherLogic, public ::testing::WithParamInterface<GreedyCase> {
 protected:
  const std::string text = "(BBAAAAAB).";
  Doc text_doc() {
    auto nlp = Language::blank("en");
    std::string spaced;
    for (char c : text) spaced += std::string(spaced.empty() ? "" : " ") + c;
    Doc d = nlp->make_doc(spaced);
    return d;
  }
};

TEST_P(MatcherGreedy, FirstMatchesLikeRegex) {
  Doc d = text_doc();
  Matcher m(d.vocab_ptr());
  m.add(GetParam().regex, J(GetParam().pattern), {}, "FIRST");
  auto found = m(d);
  std::regex re(GetParam().regex);
  std::vector<std::pair<size_t, size_t>> re_matches;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
    re_matches.emplace_back(size_t(it->position()), size_t(it->position() + it->length()));
  ASSERT_EQ(found.size(), re_matches.size());  // matches consume their tokens
  for (size_t k = 0; k < found.size(); ++k)
    EXPECT_EQ(std::string(d.span(found[k].start, found[k].end).text()),
              std::string(d.span(re_matches[k].first, re_matches[k].second).text()));
}

TEST_P(MatcherGreedy, LongestKeepsTheLongest) {
  Doc d = text_doc();
  Matcher m(d.vocab_ptr());
  m.add("RULE", J(GetParam().pattern), {}, "LONGEST");
  auto found = m(d);
  ASSERT_FALSE(found.empty());
  for (const Match& x : found) EXPECT_EQ(std::string(d.span(x.start, x.end).text()), GetParam().longest);
}

INSTANTIATE_TEST_SUITE_P(
    SpacyCases, MatcherGreedy,
    ::testing::Values(
        GreedyCase{R"([[{"ORTH": "A"}, {"ORTH": "A", "OP": "*"}]])", "AA*", "A A A A A"},
        GreedyCase{R"([[{"ORTH": "A", "OP": "*"}, {"ORTH": "A"}]])", "A*A", "A A A A A"},
        GreedyCase{R"([[{"ORTH": "A"}, {"ORTH": "A"}]])", "AA", "A A"},
        GreedyCase{R"([[{"ORTH": "B"}, {"ORTH": "A", "OP": "*"}, {"ORTH": "B"}]])", "BA*B", "B A A A A A B"},
        GreedyCase{R"([[{"ORTH": "B", "OP": "*"}, {"ORTH": "A", "OP": "*"}, {"ORTH": "B"}]])", "B*A*B",
                   "B B A A A A A B"}));

TEST_F(MatcherLogic, LongestPrefersTheFirstOfEquallyLongMatches) {
  auto nlp = Language::blank("en");
  Doc d = nlp->make_doc("C C C");
  Matcher m(nlp->vocab_ptr());
  m.add("RULE", J(R"([[{"ORTH": "C"}, {"ORTH": "C"}]])"), {}, "LONGEST");
  EXPECT_EQ(locs(m(d)), (Locs{{0, 2}}));
}

struct ComboCase {
  const char* chars;
  const char* pattern;
  bool matches;
};
class MatcherOperatorCombos : public MatcherLogic, public ::testing::WithParamInterface<ComboCase> {};

TEST_P(MatcherOperatorCombos, MatchesOrNot) {
  Matcher m(vocab);
  m.add("PATTERN", Json::array({pattern_from(GetParam().pattern)}));
  Doc d = char_doc(vocab, GetParam().chars);
  EXPECT_EQ(!m(d).empty(), GetParam().matches);
}

INSTANTIATE_TEST_SUITE_P(
    SpacyCases, MatcherOperatorCombos,
    ::testing::Values(ComboCase{"aaab", "a a a b", true}, ComboCase{"aaab", "a+ b", true},
                      ComboCase{"aaab", "a+ a+ b", true}, ComboCase{"aaab", "a+ a+ a b", true},
                      ComboCase{"aaab", "a+ a+ a+ b", true}, ComboCase{"aaab", "a+ a a b", true},
                      ComboCase{"aaab", "a+ a a", true}, ComboCase{"aaab", "a+", true},
                      ComboCase{"aaa", "a+ b", false}, ComboCase{"aaa", "a+ a+ b", false},
                      ComboCase{"aaa", "a+ a+ a+ b", false}, ComboCase{"aaa", "a+ a b", false},
                      ComboCase{"aaa", "a+ a a b", false}, ComboCase{"aaab", "a+ a b", true}));

struct AlignCase {
  const char* chars;
  const char* pattern;
  std::vector<int32_t> first;  // LONGEST: the alignment of the match
};
class MatcherAlignmentsLongest : public MatcherLogic, public ::testing::WithParamInterface<AlignCase> {};

TEST_P(MatcherAlignmentsLongest, AlignsTokensToPatternTokens) {
  Matcher m(vocab);
  m.add("PATTERN", Json::array({pattern_from(GetParam().pattern)}), {}, "LONGEST");
  Doc d = char_doc(vocab, GetParam().chars);
  MatchOptions o;
  o.with_alignments = true;
  auto found = m(d, o);
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].alignments, GetParam().first);
}

INSTANTIATE_TEST_SUITE_P(
    SpacyCases, MatcherAlignmentsLongest,
    ::testing::Values(
        AlignCase{"aaab", "a* b", {0, 0, 0, 1}}, AlignCase{"baab", "b a* b", {0, 1, 1, 2}},
        AlignCase{"aaab", "a a a b", {0, 1, 2, 3}}, AlignCase{"aaab", "a+ b", {0, 0, 0, 1}},
        AlignCase{"aaba", "a+ b a+", {0, 0, 1, 2}}, AlignCase{"aabaa", "a+ b a+", {0, 0, 1, 2, 2}},
        AlignCase{"aaba", "a+ b a*", {0, 0, 1, 2}}, AlignCase{"aaaa", "a*", {0, 0, 0, 0}},
        AlignCase{"baab", "b a* b b*", {0, 1, 1, 2}}, AlignCase{"aabb", "a* b* a*", {0, 0, 1, 1}},
        AlignCase{"aaab", "a+ a+ a b", {0, 1, 2, 3}}, AlignCase{"aaab", "a+ a+ a+ b", {0, 1, 2, 3}},
        AlignCase{"aaab", "a+ a a b", {0, 1, 2, 3}}, AlignCase{"aaab", "a+ a a", {0, 1, 2}},
        AlignCase{"aaab", "a+ a a?", {0, 1, 2}}, AlignCase{"aaaa", "a a a a a?", {0, 1, 2, 3}},
        AlignCase{"aaab", "a+ a b", {0, 0, 1, 2}}, AlignCase{"aaab", "a+ a+ b", {0, 0, 1, 2}},
        AlignCase{"aaab", "a{2,} b", {0, 0, 0, 1}}, AlignCase{"aaab", "a{,3} b", {0, 0, 0, 1}},
        AlignCase{"aaab", "a{2} b", {0, 0, 1}}, AlignCase{"aaab", "a{2,3} b", {0, 0, 0, 1}}));

struct AllAlignCase {
  const char* chars;
  const char* pattern;
  std::vector<std::vector<int32_t>> allowed;
};
class MatcherAlignmentsAll : public MatcherLogic, public ::testing::WithParamInterface<AllAlignCase> {};

TEST_P(MatcherAlignmentsAll, EveryMatchHasAnAllowedAlignment) {
  Matcher m(vocab);
  m.add("PATTERN", Json::array({pattern_from(GetParam().pattern)}));
  Doc d = char_doc(vocab, GetParam().chars);
  MatchOptions o;
  o.with_alignments = true;
  auto found = m(d, o);
  ASSERT_FALSE(found.empty());
  for (const Match& x : found) {
    EXPECT_EQ(x.alignments.size(), x.end - x.start);
    EXPECT_NE(std::find(GetParam().allowed.begin(), GetParam().allowed.end(), x.alignments),
              GetParam().allowed.end())
        << GetParam().chars << " / " << GetParam().pattern << " [" << x.start << ", " << x.end << ")";
  }
}

INSTANTIATE_TEST_SUITE_P(
    SpacyCases, MatcherAlignmentsAll,
    ::testing::Values(
        AllAlignCase{"aaab", "a* b", {{0, 1}, {0, 0, 1}, {0, 0, 0, 1}, {1}}},
        AllAlignCase{"baab", "b a* b", {{0, 1, 1, 2}}},
        AllAlignCase{"aaab", "a a a b", {{0, 1, 2, 3}}},
        AllAlignCase{"aaab", "a+ b", {{0, 1}, {0, 0, 1}, {0, 0, 0, 1}}},
        AllAlignCase{"aaba", "a+ b a+", {{0, 1, 2}, {0, 0, 1, 2}}},
        AllAlignCase{"aabaa", "a+ b a+", {{0, 1, 2}, {0, 0, 1, 2}, {0, 0, 1, 2, 2}, {0, 1, 2, 2}}},
        AllAlignCase{"aaba", "a+ b a*", {{0, 1}, {0, 0, 1}, {0, 0, 1, 2}, {0, 1, 2}}},
        AllAlignCase{"aaaa", "a*", {{0}, {0, 0}, {0, 0, 0}, {0, 0, 0, 0}}},
        AllAlignCase{"baab", "b a* b b*", {{0, 1, 1, 2}}},
        AllAlignCase{"aabb", "a* b* a*", {{1}, {2}, {2, 2}, {0, 1}, {0, 0, 1}, {0, 0, 1, 1}, {0, 1, 1}, {1, 1}}},
        AllAlignCase{"aaab", "a+ a+ a b", {{0, 1, 2, 3}}},
        AllAlignCase{"aaab", "a+ a+ a+ b", {{0, 1, 2, 3}}},
        AllAlignCase{"aaab", "a+ a a b", {{0, 1, 2, 3}}},
        AllAlignCase{"aaab", "a+ a a", {{0, 1, 2}}},
        AllAlignCase{"aaab", "a+ a a?", {{0, 1}, {0, 1, 2}}},
        AllAlignCase{"aaaa", "a a a a a?", {{0, 1, 2, 3}}},
        AllAlignCase{"aaab", "a+ a b", {{0, 1, 2}, {0, 0, 1, 2}}},
        AllAlignCase{"aaab", "a+ a+ b", {{0, 1, 2}, {0, 0, 1, 2}}},
        AllAlignCase{"aaab", "a{2,} b", {{0, 0, 1}, {0, 0, 0, 1}}},
        AllAlignCase{"aaab", "a{3} b", {{0, 0, 0, 1}}},
        AllAlignCase{"aaab", "a{2} b", {{0, 0, 1}}},
        AllAlignCase{"aaab", "a{2,3} b", {{0, 0, 1}, {0, 0, 0, 1}}}));

TEST_F(MatcherLogic, RemoveThenMatchNothing) {
  auto nlp = Language::blank("en");
  Matcher m(nlp->vocab_ptr());
  m.add("Rule", J(R"([[{"ORTH": "test"}, {"OP": "?"}]])"));
  Doc d = nlp->make_doc("This is a test case.");
  EXPECT_EQ(m(d).size(), 2u);
  m.remove("Rule");
  EXPECT_EQ(m(d).size(), 0u);
  EXPECT_THROW(m.remove("Rule"), ValueError);
}

TEST_F(MatcherLogic, UnfilteredMatchesComeBeforeGreedyOnes) {
  Matcher m(vocab);
  m.add("G", J(R"([[{"ORTH": "a", "OP": "+"}]])"), {}, "LONGEST");
  m.add("P", J(R"([[{"ORTH": "b"}]])"));
  Doc d = doc("a a b");
  auto found = m(d);
  EXPECT_EQ(trfpipe::testing::keys(*vocab, found), (std::vector<std::string>{"P", "G"}));
  EXPECT_EQ(locs(found), (Locs{{2, 3}, {0, 2}}));
}
