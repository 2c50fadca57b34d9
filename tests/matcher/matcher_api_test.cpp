// The Matcher's API and token attributes, table-driven from spaCy's
// spacy/tests/matcher/test_matcher_api.py (own tables, same behaviour).
#include <gtest/gtest.h>

#include "matcher_fixture.hpp"
#include "pipeline/error_of.hpp"
#include "trfpipe/error.hpp"

using namespace trfpipe;
using namespace trfpipe::testing;

namespace {

Json J(const char* text) { return Json::parse(text); }

class MatcherApi : public MatcherTestBase {
 protected:
  // spaCy's `matcher` fixture.
  Matcher rules() {
    Matcher m(vocab);
    m.add("JS", J(R"([[{"ORTH": "JavaScript"}]])"));
    m.add("GoogleNow", J(R"([[{"ORTH": "Google"}, {"ORTH": "Now"}]])"));
    m.add("Java", J(R"([[{"LOWER": "java"}]])"));
    return m;
  }
};

}  // namespace

TEST_F(MatcherApi, AddRemoveContainsGet) {
  Matcher m(vocab);
  EXPECT_EQ(m.size(), 0u);
  m.add("Rule", J(R"([[{"ORTH": "test"}]])"));
  EXPECT_EQ(m.size(), 1u);
  m.remove("Rule");
  EXPECT_FALSE(m.contains("Rule"));
  m.add("Rule", J(R"([[{"ORTH": "test"}]])"));
  EXPECT_TRUE(m.contains("Rule"));
  ASSERT_TRUE(m.get("Rule").has_value());
  EXPECT_EQ(*m.get("Rule"), J(R"([[{"ORTH": "test"}]])"));
  EXPECT_FALSE(m.get("Nope").has_value());
  // Adding to a key appends its patterns; the rule count stays.
  m.add("Rule", J(R"([[{"ORTH": "two"}]])"));
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(m.get("Rule")->size(), 2u);
  EXPECT_THAT(error_of([&] { m.remove("Nope"); }), ::testing::HasSubstr("[E175]"));
}

TEST_F(MatcherApi, EmptyMatcherMatchesNothing) {
  Matcher m(vocab);
  Doc d = doc("This is quite something");
  EXPECT_TRUE(m(d).empty());
}

TEST_F(MatcherApi, LenAndContains) {
  Matcher m = rules();
  EXPECT_EQ(m.size(), 3u);
  m.add("TEST", J(R"([[{"ORTH": "test"}]])"));
  EXPECT_TRUE(m.contains("TEST"));
  EXPECT_FALSE(m.contains("TEST2"));
}

TEST_F(MatcherApi, TwoPatternsOneKeyAndCallbackCount) {
  Doc d = doc("a b");
  Matcher m(vocab);
  m.add("NEW_API", J(R"([[{"TEXT": "a"}], [{"TEXT": "a"}, {"TEXT": "b"}]])"));
  EXPECT_EQ(m(d).size(), 2u);
  Matcher m2(vocab);
  int calls = 0;
  m2.add("NEW_API_CALLBACK", J(R"([[{"TEXT": "a"}], [{"TEXT": "a"}, {"TEXT": "b"}]])"),
         [&](Matcher&, Doc&, size_t, const std::vector<Match>&) { ++calls; });
  EXPECT_EQ(m2(d).size(), 2u);
  EXPECT_EQ(calls, 2);
}

struct PlainCase {
  const char* words;
  Locs expected;
  std::vector<std::string> keys;
};
class MatcherFixtureRules : public MatcherApi, public ::testing::WithParamInterface<PlainCase> {};

TEST_P(MatcherFixtureRules, FindsTheRules) {
  Matcher m = rules();
  Doc d = doc(GetParam().words);
  auto found = m(d);
  EXPECT_EQ(locs(found), GetParam().expected);
  EXPECT_EQ(trfpipe::testing::keys(*vocab, found), GetParam().keys);
}

INSTANTIATE_TEST_SUITE_P(
    SpacyCases, MatcherFixtureRules,
    ::testing::Values(PlainCase{"I like cheese .", {}, {}},
                      PlainCase{"JavaScript is good", {{0, 1}}, {"JS"}},
                      PlainCase{"I like java", {{2, 3}}, {"Java"}},
                      PlainCase{"I like Google Now best", {{2, 4}}, {"GoogleNow"}},
                      PlainCase{"I like Google Now and java best", {{2, 4}, {5, 6}},
                                {"GoogleNow", "Java"}}));

struct FuzzyCase {
  const char* rules;  // {"KEY": [patterns], ...}
  Locs expected;
};
class MatcherFuzzy : public MatcherApi, public ::testing::WithParamInterface<FuzzyCase> {};

TEST_P(MatcherFuzzy, MatchesWithinTheEditDistance) {
  Doc d = doc("They like Goggle Now and Jav but not JvvaScrpt");
  Matcher m(vocab);
  Json rules_json = J(GetParam().rules);
  for (auto it = rules_json.begin(); it != rules_json.end(); ++it) m.add(it.key(), it.value());
  EXPECT_EQ(locs(m(d)), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    SpacyCases, MatcherFuzzy,
    ::testing::Values(
        FuzzyCase{R"({"GoogleNow": [[{"ORTH": {"FUZZY": "Google"}}, {"ORTH": "Now"}]]})", {{2, 4}}},
        FuzzyCase{R"({"Java": [[{"LOWER": {"FUZZY": "java"}}]]})", {{5, 6}}},
        FuzzyCase{R"({"JS": [[{"ORTH": {"FUZZY": "JavaScript"}}]],
                     "GoogleNow": [[{"ORTH": {"FUZZY": "Google"}}, {"ORTH": "Now"}]],
                     "Java": [[{"LOWER": {"FUZZY": "java"}}]]})",
                  {{2, 4}, {5, 6}, {8, 9}}},
        // Predicate cache keys of FUZZY and FUZZY5 must not collide.
        FuzzyCase{R"({"A": [[{"ORTH": {"FUZZY": "Javascripts"}}]],
                     "B": [[{"ORTH": {"FUZZY5": "Javascripts"}}]]})",
                  {{8, 9}}}));

class MatcherFuzzyN : public MatcherApi, public ::testing::WithParamInterface<int> {};

TEST_P(MatcherFuzzyN, AllowsNInsertions) {
  const int n = GetParam();
  Matcher m(vocab);
  Json pattern = Json::array({Json::array({{{"ORTH", {{"FUZZY" + std::to_string(n), "GoogleNow"}}}}})});
  m.add("GoogleNow", pattern);
  std::vector<std::string> words;
  for (int i = 0; i < 10; ++i) words.push_back("GoogleNow" + std::string(size_t(i), 'a'));
  Doc d = doc(words);
  EXPECT_EQ(m(d).size(), size_t(n + 1));
}
INSTANTIATE_TEST_SUITE_P(FuzzyN, MatcherFuzzyN, ::testing::Range(1, 10));

class MatcherFuzzyNEdits : public MatcherApi, public ::testing::WithParamInterface<int> {};

TEST_P(MatcherFuzzyNEdits, CountsEveryKindOfEdit) {
  const int n = GetParam();
  Matcher m(vocab);
  m.add("GoogleNow", Json::array({Json::array({{{"ORTH", {{"FUZZY" + std::to_string(n), "GoogleNow"}}}}})}));
  Doc d = doc("GoogleNow GoogleNuw GoogleNuew GoogleNoweee GiggleNuw3 gouggle5New");
  EXPECT_EQ(m(d).size(), size_t(n + 1));
}
INSTANTIATE_TEST_SUITE_P(FuzzyN, MatcherFuzzyNEdits, ::testing::Range(1, 6));

struct FuzzySetCase {
  const char* fuzzy;
  const char* set_op;
  const char* greedy;
  const char* expected_text;
};
class MatcherFuzzySet : public MatcherApi, public ::testing::WithParamInterface<FuzzySetCase> {};

TEST_P(MatcherFuzzySet, GreedyRuleKeepsOneSpan) {
  const auto& c = GetParam();
  Matcher m(vocab);
  Json pattern = Json::array({Json::array(
      {{{"ORTH", {{c.fuzzy, {{c.set_op, {"Google", "Now"}}}}}}, {"OP", "+"}}})});
  m.add("GoogleNow", pattern, {}, c.greedy);
  Doc d = doc("They like Goggle Noo");
  auto spans = m.match_spans(d);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].text(), c.expected_text);
}

INSTANTIATE_TEST_SUITE_P(
    SpacyCases, MatcherFuzzySet,
    ::testing::Values(FuzzySetCase{"FUZZY", "IN", "LONGEST", "Goggle Noo"},
                      FuzzySetCase{"FUZZY", "NOT_IN", "LONGEST", "They like"},
                      FuzzySetCase{"FUZZY2", "IN", "FIRST", "Goggle Noo"},
                      FuzzySetCase{"FUZZY2", "IN", "LONGEST", "Goggle Noo"},
                      FuzzySetCase{"FUZZY2", "NOT_IN", "FIRST", "They like"},
                      FuzzySetCase{"FUZZY2", "NOT_IN", "LONGEST", "They like"}));

TEST_F(MatcherApi, FuzzySetCombinedWithNotIn) {
  for (const char* fuzzy : {"FUZZY", "FUZZY1"}) {
    Matcher m(vocab);
    Json pattern = Json::array({Json::array(
        {{{"ORTH", {{fuzzy, {{"IN", {"Google", "Now"}}}}, {"NOT_IN", {"Goggle"}}}}, {"OP", "+"}}})});
    m.add("GoogleNow", pattern, {}, "LONGEST");
    Doc d = doc("They like Goggle Noo");
    EXPECT_EQ(locs(m(d)), (Locs{{3, 4}})) << fuzzy;
  }
}

TEST_F(MatcherApi, EmptyDictMatchesAnyToken) {
  Doc d = doc("a b c");
  Matcher m(vocab);
  m.add("A.C", J(R"([[{"ORTH": "a"}, {}, {"ORTH": "c"}]])"));
  EXPECT_EQ(locs(m(d)), (Locs{{0, 3}}));
  Matcher m2(vocab);
  m2.add("A.", J(R"([[{"ORTH": "a"}, {}]])"));
  EXPECT_EQ(locs(m2(d)), (Locs{{0, 2}}));
}

TEST_F(MatcherApi, OperatorShadow) {
  Doc d = doc("a b c");
  Matcher m(vocab);
  m.add("A.C", J(R"([[{"ORTH": "a"}, {"IS_ALPHA": true, "OP": "+"}, {"ORTH": "c"}]])"));
  EXPECT_EQ(locs(m(d)), (Locs{{0, 3}}));
}

TEST_F(MatcherApi, ZeroOperatorExcludesTokens) {
  Matcher m = rules();
  m.add("Quote", J(R"([[{"ORTH": "\""}, {"OP": "!", "IS_PUNCT": true}, {"OP": "!", "IS_PUNCT": true},
                      {"ORTH": "\""}]])"));
  Doc d1 = doc({"He", "said", ",", "\"", "some", "words", "\"", "..."});
  EXPECT_EQ(m(d1).size(), 1u);
  Doc d2 = doc({"He", "said", ",", "\"", "some", "three", "words", "\"", "..."});
  EXPECT_EQ(m(d2).size(), 0u);
  m.add("Quote", J(R"([[{"ORTH": "\""}, {"IS_PUNCT": true}, {"IS_PUNCT": true}, {"IS_PUNCT": true},
                      {"ORTH": "\""}]])"));
  EXPECT_EQ(m(d2).size(), 0u);
}

TEST_F(MatcherApi, ZeroPlusAndOnePlus) {
  Matcher m(vocab);
  m.add("Quote", J(R"([[{"ORTH": "\""}, {"OP": "*", "IS_PUNCT": false}, {"ORTH": "\""}]])"));
  Doc d = doc({"He", "said", ",", "\"", "some", "words", "\"", "..."});
  EXPECT_EQ(m(d).size(), 1u);

  Matcher control(vocab);
  control.add("BasicPhilippe", J(R"([[{"ORTH": "Philippe"}]])"));
  Doc p = doc("Philippe Philippe");
  EXPECT_EQ(control(p).size(), 2u);
  Matcher kleene = rules();
  kleene.add("KleenePhilippe", J(R"([[{"ORTH": "Philippe"}, {"ORTH": "Philippe", "OP": "+"}]])"));
  EXPECT_EQ(kleene(p).size(), 1u);
}

TEST_F(MatcherApi, AnyTokenWithOperator) {
  Matcher m(vocab);
  m.add("TEST", J(R"([[{"ORTH": "test"}, {"OP": "*"}]])"));
  Doc d = doc("test hello world");
  EXPECT_EQ(texts(d, m(d)), (std::vector<std::string>{"test", "test hello", "test hello world"}));
}

TEST_F(MatcherApi, ExtensionWithGetter) {
  Doc::set_token_extension("is_fruit", TokenGetter([](const Token& t) -> std::any {
                             return t.text() == "apple" || t.text() == "banana";
                           }),
                           /*force=*/true);
  Matcher m(vocab);
  m.add("HAVING_FRUIT", J(R"([[{"ORTH": "an"}, {"_": {"is_fruit": true}}]])"));
  Doc d1 = doc("an apple");
  EXPECT_EQ(m(d1).size(), 1u);
  Doc d2 = doc("an aardvark");
  EXPECT_EQ(m(d2).size(), 0u);
}

TEST_F(MatcherApi, SetValueAndOptionalSetValue) {
  Matcher m(vocab);
  m.add("A_OR_AN", J(R"([[{"ORTH": {"IN": ["an", "a"]}}]])"));
  Doc d1 = doc("an a apple");
  EXPECT_EQ(m(d1).size(), 2u);
  Doc d2 = doc("aardvark");
  EXPECT_EQ(m(d2).size(), 0u);
  Matcher m2(vocab);
  m2.add("DET_HOUSE", J(R"([[{"ORTH": {"IN": ["a", "the"]}, "OP": "?"}, {"ORTH": "house"}]])"));
  Doc d3 = doc("In a house");
  EXPECT_EQ(m2(d3).size(), 2u);
  Doc d4 = doc("my house");
  EXPECT_EQ(m2(d4).size(), 1u);
}

// MORPH set predicates over the features of token 0 of "a b c" (tokens 1 and 2 have none).
struct MorphSetCase {
  const char* pattern;
  const char* morph;  // set on token 0; "" leaves it unset
  size_t expected;
};
class MatcherMorphSets : public MatcherApi, public ::testing::WithParamInterface<MorphSetCase> {};

TEST_P(MatcherMorphSets, CountsMatches) {
  Matcher m(vocab);
  m.add("M", J(GetParam().pattern));
  Doc d = doc("a b c");
  if (*GetParam().morph) d[0].set_morph(GetParam().morph);
  EXPECT_EQ(m(d).size(), GetParam().expected);
}

#define SUBSET R"([[{"MORPH": {"IS_SUBSET": ["Feat=Val", "Feat2=Val2"]}}]])"
#define SUPERSET R"([[{"MORPH": {"IS_SUPERSET": ["Feat=Val", "Feat2=Val2", "Feat3=Val3"]}}]])"
#define INTERSECTS R"([[{"MORPH": {"INTERSECTS": ["Feat=Val", "Feat2=Val2", "Feat3=Val3"]}}]])"
INSTANTIATE_TEST_SUITE_P(
    SpacyCases, MatcherMorphSets,
    ::testing::Values(
        MorphSetCase{SUBSET, "", 3}, MorphSetCase{SUBSET, "Feat=Val", 3},
        MorphSetCase{SUBSET, "Feat=Val|Feat2=Val2", 3},
        MorphSetCase{SUBSET, "Feat=Val|Feat2=Val2|Feat3=Val3", 2},
        MorphSetCase{SUBSET, "Feat=Val|Feat2=Val2|Feat3=Val3|Feat4=Val4", 2},
        MorphSetCase{SUPERSET, "", 0}, MorphSetCase{SUPERSET, "Feat=Val|Feat2=Val2", 0},
        MorphSetCase{SUPERSET, "Feat=Val|Feat2=Val2|Feat3=Val3", 1},
        MorphSetCase{SUPERSET, "Feat=Val|Feat2=Val2|Feat3=Val3|Feat4=Val4", 1},
        MorphSetCase{INTERSECTS, "", 0}, MorphSetCase{INTERSECTS, "Feat=Val", 1},
        MorphSetCase{INTERSECTS, "Feat=Val|Feat2=Val2", 1},
        MorphSetCase{INTERSECTS, "Feat=Val|Feat2=Val2|Feat3=Val3|Feat4=Val4", 1},
        // Feature order in the pattern does not matter; multiple values are split.
        MorphSetCase{R"([[{"MORPH": {"IN": ["Feat1=Val1|Feat2=Val2"]}}]])", "Feat2=Val2|Feat1=Val1", 1},
        MorphSetCase{R"([[{"MORPH": {"IN": ["Feat2=Val2|Feat1=Val1"]}}]])", "Feat1=Val1|Feat2=Val2", 1},
        MorphSetCase{R"([[{"MORPH": {"IS_SUPERSET": ["Feat1=Val1", "Feat2=Val2"]}}]])",
                     "Feat2=Val2,Val3|Feat1=Val1", 1},
        MorphSetCase{R"([[{"MORPH": {"IS_SUPERSET": ["Feat1=Val1", "Feat1=Val3", "Feat2=Val2"]}}]])",
                     "Feat2=Val2,Val3|Feat1=Val1", 0},
        MorphSetCase{R"([[{"MORPH": {"IS_SUPERSET": ["Feat1=Val1", "Feat1=Val3", "Feat2=Val2"]}}]])",
                     "Feat1=Val1,Val3|Feat2=Val2", 1}));

// Set predicates on TAG (token 0 tagged "A").
struct TagSetCase {
  const char* pattern;
  size_t expected;
};
class MatcherTagSets : public MatcherApi, public ::testing::WithParamInterface<TagSetCase> {};

TEST_P(MatcherTagSets, CountsMatches) {
  Matcher m(vocab);
  m.add("M", J(GetParam().pattern));
  Doc d = doc("a b c");
  d[0].set_tag("A");
  EXPECT_EQ(m(d).size(), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    SpacyCases, MatcherTagSets,
    ::testing::Values(TagSetCase{R"([[{"TAG": {"IS_SUBSET": ["A", "B"]}}]])", 1},
                      TagSetCase{R"([[{"TAG": {"IS_SUBSET": []}}]])", 0},
                      TagSetCase{R"([[{"TAG": {"IS_SUPERSET": ["A", "B"]}}]])", 0},
                      TagSetCase{R"([[{"TAG": {"IS_SUPERSET": ["A"]}}]])", 1},
                      TagSetCase{R"([[{"TAG": {"IS_SUPERSET": []}}]])", 3},
                      TagSetCase{R"([[{"TAG": {"INTERSECTS": ["A", "B"]}}]])", 1},
                      TagSetCase{R"([[{"TAG": {"INTERSECTS": []}}]])", 0}));

// Set predicates on a list-valued extension: token values and expected match count.
struct ExtSetCase {
  const char* predicate;  // {"_": {"ext": <predicate>}}
  std::vector<Json> values;  // per token of "a b c" (null: keep the default [])
  size_t expected;
};
class MatcherExtensionSets : public MatcherApi, public ::testing::WithParamInterface<ExtSetCase> {};

TEST_P(MatcherExtensionSets, CountsMatches) {
  Doc::set_token_extension("ext", std::any(Json::array()), /*force=*/true);
  Matcher m(vocab);
  Json pattern = Json::array({Json::array({{{"_", {{"ext", J(GetParam().predicate)}}}}})});
  m.add("M", pattern);
  Doc d = doc("a b c");
  for (size_t i = 0; i < GetParam().values.size(); ++i)
    if (!GetParam().values[i].is_null()) d[i].ext("ext") = GetParam().values[i];
  EXPECT_EQ(m(d).size(), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    SpacyCases, MatcherExtensionSets,
    ::testing::Values(
        ExtSetCase{R"({"IS_SUBSET": ["A", "B"]})", {J(R"(["A"])"), J(R"(["C", "D"])")}, 2},
        ExtSetCase{R"({"IS_SUPERSET": ["A"]})", {J(R"(["A", "B"])")}, 1},
        ExtSetCase{R"({"INTERSECTS": ["A", "C"]})", {J(R"(["A", "B"])")}, 1},
        // Values that are not all strings or integers match nothing.
        ExtSetCase{R"({"INTERSECTS": ["Abx", "C"]})", {J(R"([["Abx"], "B"])")}, 0},
        ExtSetCase{R"({"INTERSECTS": ["Abx", "C"]})", {J(R"(["Abx", "B"])")}, 1},
        ExtSetCase{R"({"INTERSECTS": []})", {J(R"(["A", "B"])")}, 0},
        ExtSetCase{R"({"INTERSECTS": ["A", "B"]})", {J(R"([])")}, 0},
        // IN compares the whole value: a list is never IN, a matching string is.
        ExtSetCase{R"({"IN": ["A", "C"]})", {J(R"(["A", "B"])")}, 0},
        ExtSetCase{R"({"IN": ["A", "C"]})", {J(R"(["A"])")}, 0},
        ExtSetCase{R"({"IN": ["A", "C"]})", {J(R"("A")")}, 1}));

struct RegexCase {
  const char* pattern;
  const char* words;
  size_t expected;
};
class MatcherRegex : public MatcherApi, public ::testing::WithParamInterface<RegexCase> {};

TEST_P(MatcherRegex, SearchesTheAttributeText) {
  Matcher m(vocab);
  m.add("RULE", J(GetParam().pattern));
  Doc d = doc(GetParam().words);
  EXPECT_EQ(m(d).size(), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    SpacyCases, MatcherRegex,
    ::testing::Values(RegexCase{R"~([[{"ORTH": {"REGEX": "(?:a|an)"}}]])~", "an a hi", 2},
                      RegexCase{R"~([[{"ORTH": {"REGEX": "(?:a|an)"}}]])~", "bye", 0},
                      RegexCase{R"~([[{"ORTH": {"REGEX": {"IN": ["(?:a)", "(?:an)"]}}}]])~", "an a hi", 2},
                      RegexCase{R"~([[{"ORTH": {"REGEX": {"IN": ["(?:a)", "(?:an)"]}}}]])~", "bye", 0},
                      RegexCase{R"~([[{"ORTH": {"REGEX": {"NOT_IN": ["(?:a)", "(?:an)"]}}}]])~", "an a hi", 1},
                      RegexCase{R"~([[{"ORTH": {"REGEX": {"NOT_IN": ["(?:a)", "(?:an)"]}}}]])~", "bye", 1},
                      RegexCase{R"([[{"SHAPE": {"REGEX": "^[^x]+$"}}]])", "99 problems !", 2},
                      RegexCase{R"([[{"SHAPE": {"REGEX": "^[^x]+$"}}]])", "bye", 0},
                      // Python's named groups and \Z.
                      RegexCase{R"([[{"LOWER": {"REGEX": "^(?P<x>ab)(?P=x)\\Z"}}]])", "abab ab ababx", 1},
                      RegexCase{R"([[{"text": {"regex": "é$"}}]])", "café cafe", 1}));

struct LengthCase {
  const char* op;
  std::vector<std::string> bad;
};
class MatcherCompareLength : public MatcherApi, public ::testing::WithParamInterface<LengthCase> {};

TEST_P(MatcherCompareLength, ComparesTheTokenLength) {
  Matcher m(vocab);
  m.add("LENGTH_COMPARE", Json::array({Json::array({{{"LENGTH", {{GetParam().op, 2}}}}})}));
  Doc d = doc("a aa aaa");
  EXPECT_EQ(m(d).size(), d.size() - GetParam().bad.size());
  Doc bad = doc(GetParam().bad);
  EXPECT_EQ(m(bad).size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(SpacyCases, MatcherCompareLength,
                         ::testing::Values(LengthCase{"==", {"a", "aaa"}}, LengthCase{"!=", {"aa"}},
                                           LengthCase{">=", {"a"}}, LengthCase{"<=", {"aaa"}},
                                           LengthCase{">", {"a", "aa"}}, LengthCase{"<", {"aa", "aaa"}}));

TEST_F(MatcherApi, ExtensionSetMembershipWithGetter) {
  Doc::set_token_extension("reversed", TokenGetter([](const Token& t) -> std::any {
                             std::string s(t.text());
                             return std::string(s.rbegin(), s.rend());
                           }),
                           /*force=*/true);
  Matcher m(vocab);
  m.add("REVERSED", J(R"([[{"_": {"reversed": {"IN": ["eyb", "ih"]}}}]])"));
  Doc d = doc("hi bye hello");
  EXPECT_EQ(m(d).size(), 2u);
  Doc d2 = doc("aardvark");
  EXPECT_EQ(m(d2).size(), 0u);
}

TEST_F(MatcherApi, SinglePatternInsteadOfListIsAnError) {
  Matcher m(vocab);
  std::string msg = error_of([&] { m.add("TEST", J(R"([{"TEXT": "hello"}, {"TEXT": "world"}])")); });
  EXPECT_THAT(msg, ::testing::HasSubstr("[E178]"));
  EXPECT_THAT(msg, ::testing::HasSubstr("pattern 0"));
  EXPECT_THAT(error_of([&] { m.add("TEST", J(R"({"TEXT": "hello"})")); }), ::testing::HasSubstr("[E948]"));
  EXPECT_THAT(error_of([&] { m.add("TEST", J(R"([[]])")); }), ::testing::HasSubstr("[E012]"));
  EXPECT_THAT(error_of([&] { m.add("TEST", J(R"([[{"TEXT": "a"}]])"), {}, "GREEDY"); }),
              ::testing::HasSubstr("[E947]"));
  EXPECT_EQ(m.size(), 0u);
}

TEST_F(MatcherApi, AnnotationChecksAndAllowMissing) {
  AnnotatedDocs docs(vocab);
  Doc &d1 = docs.dep, &d2 = docs.tagged, &d3 = docs.bare;
  Matcher dep(vocab);
  dep.add("TEST", J(R"([[{"DEP": "a"}]])"));
  EXPECT_NO_THROW(dep(d1));
  EXPECT_THAT(error_of([&] { dep(d2); }), ::testing::HasSubstr("[E155]"));
  EXPECT_THAT(error_of([&] { dep(d3); }), ::testing::HasSubstr("parser"));
  MatchOptions allow;
  allow.allow_missing = true;
  EXPECT_NO_THROW(dep(d2, allow));
  EXPECT_NO_THROW(dep(d3, allow));
  for (const char* attr : {"TAG", "POS", "LEMMA"}) {
    Matcher m(vocab);
    m.add("TEST", Json::array({Json::array({{{attr, "a"}}})}));
    EXPECT_NO_THROW(m(d2)) << attr;
    EXPECT_THROW(m(d1), ValueError) << attr;
    EXPECT_THROW(m(d3), ValueError) << attr;
  }
  for (const char* attr : {"ORTH", "TEXT"}) {
    Matcher m(vocab);
    m.add("TEST", Json::array({Json::array({{{attr, "a"}}})}));
    EXPECT_NO_THROW(m(d1));
    EXPECT_NO_THROW(m(d2));
    EXPECT_NO_THROW(m(d3));
  }
}

struct AttrCase {
  const char* pattern;
  std::vector<std::string> words;
};
class MatcherTokenAttributes : public MatcherApi, public ::testing::WithParamInterface<AttrCase> {};

TEST_P(MatcherTokenAttributes, MatchesOneToken) {
  Matcher m(vocab);
  m.add("Rule", J(GetParam().pattern));
  EXPECT_EQ(m.size(), 1u);
  Doc d = doc(GetParam().words);
  EXPECT_EQ(m(d).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    SpacyCases, MatcherTokenAttributes,
    ::testing::Values(AttrCase{R"([[{"IS_ALPHA": true}]])", {"a"}}, AttrCase{R"([[{"IS_ASCII": true}]])", {"a"}},
                      AttrCase{R"([[{"IS_DIGIT": true}]])", {"1"}}, AttrCase{R"([[{"IS_LOWER": true}]])", {"a"}},
                      AttrCase{R"([[{"IS_UPPER": true}]])", {"A"}}, AttrCase{R"([[{"IS_TITLE": true}]])", {"Aaaa"}},
                      AttrCase{R"([[{"IS_PUNCT": true}]])", {"."}}, AttrCase{R"([[{"IS_SPACE": true}]])", {"\n"}},
                      AttrCase{R"([[{"IS_BRACKET": true}]])", {"["}}, AttrCase{R"([[{"IS_QUOTE": true}]])", {"\""}},
                      AttrCase{R"([[{"IS_LEFT_PUNCT": true}]])", {"``"}},
                      AttrCase{R"([[{"IS_RIGHT_PUNCT": true}]])", {"''"}},
                      AttrCase{R"([[{"IS_STOP": true}]])", {"the"}}, AttrCase{R"([[{"SPACY": true}]])", {"the", "x"}},
                      AttrCase{R"([[{"LIKE_NUM": true}]])", {"1"}},
                      AttrCase{R"([[{"LIKE_URL": true}]])", {"http://example.com"}},
                      AttrCase{R"([[{"LIKE_EMAIL": true}]])", {"mail@example.com"}},
                      AttrCase{R"([[{"IS_CURRENCY": true}]])", {"$"}},
                      AttrCase{R"([[{"SHAPE": "Xxxx"}]])", {"Aaaa"}},
                      AttrCase{R"([[{"NORM": "aaaa"}]])", {"Aaaa"}},
                      AttrCase{R"([[{"LENGTH": 4}]])", {"Aaaa"}},
                      AttrCase{R"([[{"LENGTH": {"IN": [3, 4]}}]])", {"Aaaa"}},
                      AttrCase{R"([[{"IS_SENT_START": true}]])", {"Aaaa"}}));

TEST_F(MatcherApi, AttributesOutsideTheSchemaNeedValidateFalse) {
  // PREFIX and SUFFIX are spaCy attributes but not in its token-pattern schema.
  for (const char* p : {R"([[{"PREFIX": "A"}]])", R"([[{"SUFFIX": "aaa"}]])"}) {
    Matcher validating(vocab);
    EXPECT_THROW(validating.add("Rule", J(p)), MatchPatternError) << p;
    Matcher m(vocab, /*validate=*/false);
    m.add("Rule", J(p));
    Doc d = doc("Aaaa bbbb");
    EXPECT_EQ(locs(m(d)), (Locs{{0, 1}})) << p;
  }
  // OP "1" is spaCy's explicit "exactly once", accepted without validation only.
  Matcher once(vocab, /*validate=*/false);
  once.add("TEST", J(R"([[{"ORTH": "foo", "OP": "1"}]])"));
  Doc d = doc("foo bar foo");
  EXPECT_EQ(once(d).size(), 2u);
  Matcher validating(vocab);
  EXPECT_THROW(validating.add("TEST", J(R"([[{"ORTH": "foo", "OP": "1"}]])")), MatchPatternError);
}

TEST_F(MatcherApi, CallbackSeesTheFinalMatches) {
  Matcher m(vocab);
  std::vector<std::tuple<size_t, std::vector<Match>>> calls;
  m.add("Rule", J(R"([[{"ORTH": "test"}]])"),
        [&](Matcher& self, Doc& d, size_t i, const std::vector<Match>& matches) {
          EXPECT_EQ(&self, &m);
          EXPECT_EQ(d.size(), 5u);
          calls.emplace_back(i, matches);
        });
  Doc d = doc("This is a test .");
  auto found = m(d);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(std::get<0>(calls[0]), 0u);
  EXPECT_EQ(std::get<1>(calls[0]), found);
  calls.clear();
  MatchOptions o;
  o.with_alignments = true;
  auto aligned = m(d, o);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(std::get<1>(calls[0]), aligned);
  EXPECT_EQ(aligned[0].alignments, std::vector<int32_t>{0});
}

TEST_F(MatcherApi, SpansAndAsSpans) {
  Matcher m = rules();
  Doc d = doc("JavaScript is good but Java is better");
  EXPECT_EQ(m(d).size(), 2u);
  EXPECT_EQ(m(d.span(0, 3)).size(), 1u);
  auto java = m(d.span(4, 7));
  ASSERT_EQ(java.size(), 1u);
  EXPECT_EQ(java[0].start, 0u);  // relative to the span, as spaCy's tuples
  auto spans = m.match_spans(d);
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].text(), "JavaScript");
  EXPECT_EQ(spans[0].label_(), "JS");
  EXPECT_EQ(spans[1].text(), "Java");
  EXPECT_EQ(spans[1].label_(), "Java");
  auto sub = m.match_spans(d.span(1, 7));
  ASSERT_EQ(sub.size(), 1u);
  EXPECT_EQ(sub[0].text(), "Java");
  EXPECT_EQ(sub[0].start(), 4u);  // as_spans are in the Doc
}

TEST_F(MatcherApi, ZeroOperatorAloneMatchesNothingAndRemoves) {
  Matcher m(vocab);
  m.add("Rule", J(R"([[{"OP": "!"}]])"));
  Doc d = doc("This is a test .");
  EXPECT_EQ(m(d).size(), 0u);
  EXPECT_TRUE(m.contains("Rule"));
  m.remove("Rule");
  EXPECT_FALSE(m.contains("Rule"));
}

TEST_F(MatcherApi, NoZeroLengthMatches) {
  Doc d = doc("a b");
  d[0].set_tag("A");
  d[1].set_tag("B");
  Matcher m(vocab);
  m.add("TEST", J(R"([[{"TAG": "C", "OP": "?"}]])"));
  EXPECT_EQ(m(d).size(), 0u);
}

TEST_F(MatcherApi, EntIobKey) {
  Matcher m(vocab);
  m.add("Rule", J(R"([[{"ENT_IOB": "I"}]])"));
  Doc d1 = doc("I visited New York and California");
  d1.set_ents({d1.span(2, 4, "GPE"), d1.span(5, 6, "GPE")});
  EXPECT_EQ(texts(d1, m(d1)), std::vector<std::string>{"York"});
  Doc d2 = doc("I visited my friend Alicia");
  d2.set_ents({d2.span(4, 5, "PERSON")});
  EXPECT_TRUE(m(d2).empty());
  Matcher plus(vocab);
  plus.add("Rule", J(R"([[{"ENT_IOB": "I", "OP": "+"}]])"));
  Doc d3 = doc("I visited my friend Anna Maria Esperanza");
  d3.set_ents({d3.span(4, 7, "PERSON")});
  EXPECT_EQ(texts(d3, plus(d3)), (std::vector<std::string>{"Maria", "Maria Esperanza", "Esperanza"}));
}

struct MinMaxCase {
  const char* op;
  size_t expected;
};
class MatcherMinMax : public MatcherApi, public ::testing::WithParamInterface<MinMaxCase> {};

TEST_P(MatcherMinMax, CountsMatches) {
  Doc d = doc("foo bar foo foo bar foo foo foo bar bar");
  Matcher m(vocab);
  m.add("TEST", Json::array({Json::array({{{"ORTH", "foo"}, {"OP", GetParam().op}}})}));
  EXPECT_EQ(m(d).size(), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(SpacyCases, MatcherMinMax,
                         ::testing::Values(MinMaxCase{"{3}", 1}, MinMaxCase{"{2,}", 4},
                                           MinMaxCase{"{,2}", 9}, MinMaxCase{"{2,3}", 4}));

TEST_F(MatcherApi, RulesOfOneMatcherShareNothingWithAnother) {
  // Two matchers on one vocab: keys are the vocab's string IDs.
  Matcher a(vocab), b(vocab);
  a.add("X", J(R"([[{"LOWER": "x"}]])"));
  b.add("X", J(R"([[{"LOWER": "y"}]])"));
  Doc d = doc("x y");
  EXPECT_EQ(locs(a(d)), (Locs{{0, 1}}));
  EXPECT_EQ(locs(b(d)), (Locs{{1, 2}}));
  EXPECT_EQ(a(d)[0].id, vocab->strings()["X"]);
}
