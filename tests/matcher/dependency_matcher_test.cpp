// The DependencyMatcher, table-driven from spaCy's spacy/tests/matcher/test_dependency_matcher.py.
// The tree is set through the tokens' heads (TokenData::head), as a parser leaves it.
#include <gtest/gtest.h>

#include "matcher_fixture.hpp"
#include "pipeline/error_of.hpp"

using namespace trfpipe;
using namespace trfpipe::testing;

namespace {

Json J(const char* text) { return Json::parse(text); }

void set_tree(Doc& d, const std::vector<size_t>& heads, const std::vector<std::string>& deps) {
  for (size_t i = 0; i < d.size(); ++i) {
    d[i].set_head(heads[i]);
    d[i].set_dep(deps[i]);
  }
}

class DependencyMatcherTest : public MatcherTestBase {
 protected:
  // spaCy's `doc` fixture: "The quick brown fox jumped over the lazy fox".
  Doc fox() {
    Doc d = doc("The quick brown fox jumped over the lazy fox");
    set_tree(d, {3, 3, 3, 4, 4, 4, 8, 8, 5}, {"det", "amod", "amod", "nsubj", "ROOT", "prep", "pobj", "det", "amod"});
    return d;
  }
  // spaCy's `patterns` fixture (the IS_BROWN_YELLOW flag becomes a REGEX on ORTH).
  std::vector<Json> patterns() {
    return {J(R"~([{"RIGHT_ID": "fox", "RIGHT_ATTRS": {"ORTH": "fox"}},
                  {"LEFT_ID": "fox", "REL_OP": ">", "RIGHT_ID": "q", "RIGHT_ATTRS": {"ORTH": "quick", "DEP": "amod"}},
                  {"LEFT_ID": "fox", "REL_OP": ">", "RIGHT_ID": "r", "RIGHT_ATTRS": {"ORTH": {"REGEX": "^(brown|yellow)"}}}])~"),
            J(R"([{"RIGHT_ID": "jumped", "RIGHT_ATTRS": {"ORTH": "jumped"}},
                  {"LEFT_ID": "jumped", "REL_OP": ">", "RIGHT_ID": "fox1", "RIGHT_ATTRS": {"ORTH": "fox"}},
                  {"LEFT_ID": "jumped", "REL_OP": ".", "RIGHT_ID": "over", "RIGHT_ATTRS": {"ORTH": "over"}}])"),
            J(R"([{"RIGHT_ID": "jumped", "RIGHT_ATTRS": {"ORTH": "jumped"}},
                  {"LEFT_ID": "jumped", "REL_OP": ">", "RIGHT_ID": "fox", "RIGHT_ATTRS": {"ORTH": "fox"}},
                  {"LEFT_ID": "fox", "REL_OP": ">>", "RIGHT_ID": "r", "RIGHT_ATTRS": {"ORTH": "brown"}}])"),
            J(R"([{"RIGHT_ID": "jumped", "RIGHT_ATTRS": {"ORTH": "jumped"}},
                  {"LEFT_ID": "jumped", "REL_OP": ">", "RIGHT_ID": "fox", "RIGHT_ATTRS": {"ORTH": "fox"}}])"),
            J(R"([{"RIGHT_ID": "jumped", "RIGHT_ATTRS": {"ORTH": "jumped"}},
                  {"LEFT_ID": "jumped", "REL_OP": ">>", "RIGHT_ID": "fox", "RIGHT_ATTRS": {"ORTH": "fox"}}])")};
  }
  static std::vector<std::vector<size_t>> tokens_of(const std::vector<DependencyMatch>& ms) {
    std::vector<std::vector<size_t>> out;
    for (const auto& m : ms) out.push_back(m.tokens);
    return out;
  }
};

}  // namespace

TEST_F(DependencyMatcherTest, FindsTheFixtureTreesInSpacysOrder) {
  DependencyMatcher m(vocab);
  int calls = 0;
  auto ps = patterns();
  m.add("pattern1", Json::array({ps[0]}), [&](DependencyMatcher&, Doc&, size_t, const auto&) { ++calls; });
  for (size_t i = 1; i < ps.size(); ++i) m.add("pattern" + std::to_string(i + 1), Json::array({ps[i]}));
  EXPECT_EQ(m.size(), 5u);
  EXPECT_TRUE(m.contains("pattern3"));
  EXPECT_EQ(*m.get("pattern3"), Json::array({ps[2]}));
  Doc d = fox();
  auto found = m(d);
  EXPECT_EQ(tokens_of(found), (std::vector<std::vector<size_t>>{{3, 1, 2}, {4, 3, 5}, {4, 3, 2}, {4, 3}, {4, 3}, {4, 8}}));
  EXPECT_EQ(calls, 1);
  auto in_span = m(d.span(0, 6));
  EXPECT_EQ(tokens_of(in_span), (std::vector<std::vector<size_t>>{{3, 1, 2}, {4, 3, 5}, {4, 3, 2}, {4, 3}, {4, 3}}));
}

struct InvalidCase {
  const char* what;
  std::function<void(Json&)> edit;  // applied to a copy of the valid pattern
  const char* code;
};
class DependencyMatcherValidation : public DependencyMatcherTest,
                                    public ::testing::WithParamInterface<InvalidCase> {};

TEST_P(DependencyMatcherValidation, RefusesBadPatterns) {
  Json pattern = J(R"([{"RIGHT_ID": "fox", "RIGHT_ATTRS": {"ORTH": "fox"}},
                       {"LEFT_ID": "fox", "REL_OP": ">", "RIGHT_ID": "q", "RIGHT_ATTRS": {"ORTH": "quick", "DEP": "amod"}},
                       {"LEFT_ID": "fox", "REL_OP": ">", "RIGHT_ID": "r", "RIGHT_ATTRS": {"ORTH": "brown"}}])");
  DependencyMatcher m(vocab);
  m.add("FOUNDED", Json::array({pattern}));
  GetParam().edit(pattern);
  std::string msg = error_of([&] { m.add("FOUNDED", Json::array({pattern})); });
  EXPECT_THAT(msg, ::testing::HasSubstr(GetParam().code)) << GetParam().what;
  EXPECT_THAT(msg, ::testing::HasSubstr("rule 'FOUNDED'"));
  EXPECT_EQ(m.get("FOUNDED")->size(), 1u);  // nothing was added
}

INSTANTIATE_TEST_SUITE_P(
    SpacyCases, DependencyMatcherValidation,
    ::testing::Values(
        InvalidCase{"no anchor", [](Json& p) { p.erase(0); }, "[E099]"},
        InvalidCase{"anchor without RIGHT_ID", [](Json& p) { p[0].erase("RIGHT_ID"); }, "[E099]"},
        InvalidCase{"node without RIGHT_ID", [](Json& p) { p[1].erase("RIGHT_ID"); }, "[E100]"},
        InvalidCase{"node without RIGHT_ATTRS", [](Json& p) { p[1].erase("RIGHT_ATTRS"); }, "[E100]"},
        InvalidCase{"node without LEFT_ID", [](Json& p) { p[1].erase("LEFT_ID"); }, "[E100]"},
        InvalidCase{"node without REL_OP", [](Json& p) { p[1].erase("REL_OP"); }, "[E100]"},
        InvalidCase{"unknown operator", [](Json& p) { p[1]["REL_OP"] = "!!!"; }, "[E1007]"},
        InvalidCase{"duplicate node", [](Json& p) { p[1]["RIGHT_ID"] = "fox"; }, "[E101]"},
        InvalidCase{"undeclared left node", [](Json& p) { p[1]["LEFT_ID"] = "nope"; }, "[E101]"},
        InvalidCase{"quantifier", [](Json& p) { p[1]["RIGHT_ATTRS"]["OP"] = "+"; }, "[E1016]"},
        InvalidCase{"not a list of dicts", [](Json& p) { p = Json::array({"x"}); }, "[E1008]"}));

TEST_F(DependencyMatcherTest, SinglePatternNotWrappedIsAnError) {
  DependencyMatcher m(vocab);
  EXPECT_THROW(m.add("X", J(R"([{"RIGHT_ID": "a", "RIGHT_ATTRS": {"ORTH": "a"}}])")), ValueError);
  EXPECT_THROW(m.add("X", J(R"({"RIGHT_ID": "a"})")), ValueError);
  EXPECT_EQ(m.size(), 0u);
}

TEST_F(DependencyMatcherTest, CallbackAndNoMatchRule) {
  DependencyMatcher m(vocab);
  std::vector<size_t> seen;
  auto cb = [&](DependencyMatcher&, Doc&, size_t i, const std::vector<DependencyMatch>&) { seen.push_back(i); };
  m.add("pattern", J(R"([[{"RIGHT_ID": "quick", "RIGHT_ATTRS": {"ORTH": "quick"}}]])"), cb);
  m.add("nomatch_pattern", J(R"([[{"RIGHT_ID": "quick", "RIGHT_ATTRS": {"ORTH": "NOMATCH"}}]])"), cb);
  Doc d = fox();
  auto found = m(d);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(seen, std::vector<size_t>{0});
  DependencyMatcher m2(vocab);
  m2.add("pattern", J(R"([[{"RIGHT_ID": "quick", "RIGHT_ATTRS": {"ORTH": "quick"}}]])"));
  EXPECT_EQ(m2(d), found);
}

struct PrecedenceCase {
  const char* op;
  size_t expected;
};
class DependencyMatcherPrecedence : public DependencyMatcherTest,
                                    public ::testing::WithParamInterface<PrecedenceCase> {};

TEST_P(DependencyMatcherPrecedence, StaysInsideTheSentence) {
  Doc d = doc("a b c d e a b c d e");
  set_tree(d, {0, 0, 0, 0, 0, 5, 5, 5, 5, 5}, std::vector<std::string>(10, "dep"));
  const std::string op = GetParam().op;
  size_t count = 0;
  for (const char* text : {"a", "b", "c", "d", "e"}) {
    DependencyMatcher m(vocab);
    Json pattern = Json::array({{{"RIGHT_ID", "1"}, {"RIGHT_ATTRS", {{"ORTH", text}}}},
                                {{"LEFT_ID", "1"}, {"REL_OP", op}, {"RIGHT_ID", "2"}, {"RIGHT_ATTRS", Json::object()}}});
    m.add("A", Json::array({pattern}));
    for (const DependencyMatch& x : m(d)) {
      ++count;
      const size_t a = x.tokens[0], b = x.tokens[1];
      if (op == ".") EXPECT_EQ(a + 1, b);
      if (op == ";") EXPECT_EQ(a, b + 1);
      if (op == ".*") EXPECT_LT(a, b);
      if (op == ";*") EXPECT_GT(a, b);
      EXPECT_EQ(a / 5, b / 5);  // same sentence
    }
  }
  EXPECT_EQ(count, GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(SpacyCases, DependencyMatcherPrecedence,
                         ::testing::Values(PrecedenceCase{".", 8}, PrecedenceCase{".*", 20},
                                           PrecedenceCase{";", 8}, PrecedenceCase{";*", 20}));

struct OpCase {
  const char* left;
  const char* right;
  const char* op;
  size_t expected;
};
class DependencyMatcherOps : public DependencyMatcherTest, public ::testing::WithParamInterface<OpCase> {};

TEST_P(DependencyMatcherOps, CountsMatches) {
  const auto& c = GetParam();
  std::string right_id = c.right;
  if (std::string(c.left) == c.right) right_id += "2";
  Json pattern = Json::array({{{"RIGHT_ID", c.left}, {"RIGHT_ATTRS", {{"LOWER", c.left}}}},
                              {{"LEFT_ID", c.left}, {"REL_OP", c.op}, {"RIGHT_ID", right_id},
                               {"RIGHT_ATTRS", {{"LOWER", c.right}}}}});
  DependencyMatcher m(vocab);
  m.add("pattern", Json::array({pattern}));
  Doc d = fox();
  EXPECT_EQ(m(d).size(), c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    SpacyCases, DependencyMatcherOps,
    ::testing::Values(
        OpCase{"fox", "jumped", "<", 1}, OpCase{"the", "lazy", "<", 0}, OpCase{"jumped", "jumped", "<", 0},
        OpCase{"fox", "jumped", ">", 0}, OpCase{"fox", "lazy", ">", 1}, OpCase{"lazy", "lazy", ">", 0},
        OpCase{"fox", "jumped", "<<", 2}, OpCase{"jumped", "fox", "<<", 0}, OpCase{"the", "fox", "<<", 2},
        OpCase{"fox", "jumped", ">>", 0}, OpCase{"over", "the", ">>", 1}, OpCase{"fox", "the", ">>", 2},
        OpCase{"fox", "jumped", ".", 1}, OpCase{"lazy", "fox", ".", 1}, OpCase{"the", "fox", ".", 0},
        OpCase{"the", "the", ".", 0}, OpCase{"fox", "jumped", ";", 0}, OpCase{"lazy", "fox", ";", 0},
        OpCase{"the", "fox", ";", 0}, OpCase{"the", "the", ";", 0}, OpCase{"quick", "fox", ".*", 2},
        OpCase{"the", "fox", ".*", 3}, OpCase{"the", "the", ".*", 1}, OpCase{"fox", "jumped", ";*", 1},
        OpCase{"quick", "fox", ";*", 0}, OpCase{"the", "fox", ";*", 1}, OpCase{"the", "the", ";*", 1},
        OpCase{"quick", "brown", "$+", 1}, OpCase{"brown", "quick", "$+", 0}, OpCase{"brown", "brown", "$+", 0},
        OpCase{"quick", "brown", "$-", 0}, OpCase{"brown", "quick", "$-", 1}, OpCase{"brown", "brown", "$-", 0},
        OpCase{"the", "brown", "$++", 1}, OpCase{"brown", "the", "$++", 0}, OpCase{"brown", "brown", "$++", 0},
        OpCase{"the", "brown", "$--", 0}, OpCase{"brown", "the", "$--", 1}, OpCase{"brown", "brown", "$--", 0},
        OpCase{"over", "jumped", "<+", 0}, OpCase{"quick", "fox", "<+", 0}, OpCase{"the", "quick", "<+", 0},
        OpCase{"brown", "fox", "<+", 1}, OpCase{"quick", "fox", "<++", 1}, OpCase{"quick", "over", "<++", 0},
        OpCase{"over", "jumped", "<++", 0}, OpCase{"the", "fox", "<++", 2}, OpCase{"brown", "fox", "<-", 0},
        OpCase{"fox", "over", "<-", 0}, OpCase{"the", "over", "<-", 0}, OpCase{"over", "jumped", "<-", 1},
        OpCase{"brown", "fox", "<--", 0}, OpCase{"fox", "jumped", "<--", 0}, OpCase{"fox", "over", "<--", 1},
        OpCase{"fox", "brown", ">+", 0}, OpCase{"over", "fox", ">+", 0}, OpCase{"over", "the", ">+", 0},
        OpCase{"jumped", "over", ">+", 1}, OpCase{"jumped", "over", ">++", 1}, OpCase{"fox", "lazy", ">++", 0},
        OpCase{"over", "the", ">++", 0}, OpCase{"jumped", "over", ">-", 0}, OpCase{"fox", "quick", ">-", 0},
        OpCase{"brown", "quick", ">-", 0}, OpCase{"fox", "brown", ">-", 1}, OpCase{"brown", "fox", ">--", 0},
        OpCase{"fox", "brown", ">--", 1}, OpCase{"jumped", "fox", ">--", 1}, OpCase{"fox", "the", ">--", 2}));

TEST_F(DependencyMatcherTest, QuantifiersAreRefused) {
  DependencyMatcher m(vocab);
  EXPECT_THAT(error_of([&] { m.add("pattern", J(R"([[{"RIGHT_ID": "quick", "RIGHT_ATTRS": {"DEP": "amod", "OP": "+"}}]])")); }),
              ::testing::HasSubstr("[E1016]"));
}

TEST_F(DependencyMatcherTest, SpanMatchesAreOffsetBySpanStart) {
  Doc d = doc("a b c d e");
  for (size_t i = 0; i < d.size(); ++i) {
    d[i].set_head(0);
    d[i].set_dep("a");
  }
  Doc::set_token_extension("is_c", std::any(false), /*force=*/true);
  d[2].ext("is_c") = true;
  DependencyMatcher m(vocab);
  m.add("C", J(R"([[{"RIGHT_ID": "c", "RIGHT_ATTRS": {"_": {"is_c": true}}}]])"));
  auto in_doc = m(d);
  auto in_span = m(d.span(1, 5));
  ASSERT_EQ(in_doc.size(), 1u);
  ASSERT_EQ(in_span.size(), 1u);
  EXPECT_EQ(in_doc[0].tokens[0], in_span[0].tokens[0] + 1);
}

TEST_F(DependencyMatcherTest, PartialMatchesOfOneRuleGiveNothing) {
  // Issue 9263: one pattern matches the attributes but not the relation, the other the
  // relation but not the attributes.
  Doc d = doc("I like text");
  d[2].set_head(1);
  Json p1 = J(R"([{"RIGHT_ID": "root", "RIGHT_ATTRS": {"ORTH": "like"}},
                  {"LEFT_ID": "root", "RIGHT_ID": "r", "RIGHT_ATTRS": {"ORTH": "text"}, "REL_OP": "<"}])");
  Json p2 = J(R"([{"RIGHT_ID": "root", "RIGHT_ATTRS": {"ORTH": "like"}},
                  {"LEFT_ID": "root", "RIGHT_ID": "r", "RIGHT_ATTRS": {"ORTH": "fish"}, "REL_OP": ">"}])");
  DependencyMatcher together(vocab);
  together.add("check", Json::array({p1, p2}));
  EXPECT_TRUE(together(d).empty());
  DependencyMatcher apart(vocab);
  apart.add("check", Json::array({p1}));
  apart.add("check", Json::array({p2}));
  EXPECT_TRUE(apart(d).empty());
}

TEST_F(DependencyMatcherTest, RemoveThenAddUnderTheSameKey) {
  Doc d = doc("The red book");
  d[1].set_head(2);
  DependencyMatcher m(vocab);
  m.add("check", J(R"([[{"RIGHT_ID": "root", "RIGHT_ATTRS": {"ORTH": "book"}},
                       {"LEFT_ID": "root", "RIGHT_ID": "r", "RIGHT_ATTRS": {"ORTH": "red"}, "REL_OP": ">"}]])"));
  EXPECT_EQ(m(d).size(), 1u);
  m.remove("check");
  EXPECT_FALSE(m.contains("check"));
  m.add("check", J(R"([[{"RIGHT_ID": "root", "RIGHT_ATTRS": {"ORTH": "flag"}},
                       {"LEFT_ID": "root", "RIGHT_ID": "r", "RIGHT_ATTRS": {"ORTH": "blue"}, "REL_OP": ">"}]])"));
  EXPECT_TRUE(m(d).empty());
  EXPECT_THROW(m.remove("nope"), ValueError);
}
