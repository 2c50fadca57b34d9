// Pseudo-projective parsing (include/trfpipe/nonproj.hpp), table-driven after spaCy's
// spacy/tests/parser/test_nonproj.py with our own trees: ancestors, cycles, non-projective arcs,
// lifting, projectivize's decorated labels and deprojectivize restoring the tree.
#include <gtest/gtest.h>

#include "tests/pipeline/error_of.hpp"
#include "trfpipe/doc.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/example.hpp"
#include "trfpipe/nonproj.hpp"

using namespace trfpipe;
using namespace trfpipe::nonproj;
using trfpipe::testing::error_of;

namespace {

using Heads = std::vector<int64_t>;
const Heads kTree = {1, 2, 2, 4, 5, 2, 2};
const Heads kCyclic = {1, 2, 2, 4, 5, 3, 2};
const Heads kPartial = {1, 2, 2, 4, 5, -1, 7, 4, 2};
const Heads kNonproj = {1, 2, 2, 4, 5, 2, 7, 4, 2};
const Heads kProj = {1, 2, 2, 4, 5, 2, 7, 5, 2};
const Heads kMultiRoot = {3, 2, 0, 3, 3, 7, 7, 3, 7, 10, 7, 10, 11, 12, 18, 16, 18, 17, 12, 3};

// The heads and deps of a doc whose raw parse is (heads, deps), after deprojectivize.
std::pair<Heads, std::vector<std::string>> deprojectivized(const Heads& heads,
                                                           const std::vector<std::string>& deps) {
  Doc doc(std::make_shared<Vocab>("en"), std::vector<std::string>(heads.size(), "whatever"));
  std::vector<std::optional<size_t>> h(heads.begin(), heads.end());
  doc.set_parse(h, deps);
  deprojectivize(doc);
  Heads out_h;
  std::vector<std::string> out_d;
  for (size_t i = 0; i < doc.size(); ++i) {
    out_h.push_back(int64_t(doc[i].head().i()));
    out_d.push_back(doc[i].dep_());
  }
  return {out_h, out_d};
}

}  // namespace

TEST(Nonproj, Ancestors) {
  EXPECT_EQ(ancestors(3, kTree), (Heads{4, 5, 2}));
  EXPECT_EQ(ancestors(3, kCyclic), (Heads{4, 5, 3, 4, 5, 3, 4}));  // capped at len(heads)
  EXPECT_EQ(ancestors(3, kPartial), (Heads{4, 5, -1}));           // ends at the unknown head
  EXPECT_EQ(ancestors(17, kMultiRoot), (Heads{}));
  EXPECT_EQ(ancestors(13, kMultiRoot), (Heads{12, 11, 10, 7, 3}));
}

TEST(Nonproj, ContainsCycle) {
  EXPECT_FALSE(contains_cycle(kTree));
  ASSERT_TRUE(contains_cycle(kCyclic));
  EXPECT_EQ(*contains_cycle(kCyclic), (std::set<int64_t>{3, 4, 5}));
  EXPECT_FALSE(contains_cycle(kPartial));
  EXPECT_FALSE(contains_cycle(kMultiRoot));
}

struct ArcCase {
  const Heads* heads;
  int64_t token;
  bool nonproj;
};

TEST(Nonproj, NonProjectiveArcs) {
  for (const ArcCase& c : std::vector<ArcCase>{
           {&kNonproj, 0, false}, {&kNonproj, 1, false}, {&kNonproj, 2, false},
           {&kNonproj, 3, false}, {&kNonproj, 4, false}, {&kNonproj, 5, false},
           {&kNonproj, 6, false}, {&kNonproj, 7, true},  {&kNonproj, 8, false},
           {&kPartial, 7, false}, {&kMultiRoot, 17, false}, {&kMultiRoot, 16, true}})
    EXPECT_EQ(is_nonproj_arc(c.token, *c.heads), c.nonproj) << c.token;
  EXPECT_EQ(error_of([] { is_nonproj_arc(6, kCyclic); }),
            "Found cycle in dependency graph: [1, 2, 2, 4, 5, 3, 2]");
  EXPECT_FALSE(is_nonproj_tree(kProj));
  EXPECT_TRUE(is_nonproj_tree(kNonproj));
  EXPECT_FALSE(is_nonproj_tree(kPartial));
  EXPECT_TRUE(is_nonproj_tree(kMultiRoot));
  EXPECT_THROW(is_nonproj_tree(kCyclic), ValueError);
  EXPECT_THROW(is_nonproj_tree(Heads{0, 5}), ValueError);  // head out of range
}

TEST(Nonproj, DecorationHelpersAndLift) {
  EXPECT_EQ(decompose("X||Y"), (std::pair<std::string, std::string>{"X", "Y"}));
  EXPECT_EQ(decompose("X"), (std::pair<std::string, std::string>{"X", ""}));
  EXPECT_TRUE(is_decorated("X||Y"));
  EXPECT_FALSE(is_decorated("X"));
  Heads t = {1, 2, 2};
  EXPECT_EQ(lift(0, t), 2);
  EXPECT_EQ(t, (Heads{2, 2, 2}));
  Heads root_child = {1, 1};
  EXPECT_EQ(lift(0, root_child), 0);  // the head is a root: the token becomes a root
  EXPECT_EQ(smallest_nonproj_arc(kNonproj), 7);
  EXPECT_EQ(smallest_nonproj_arc(Heads{9, 1, 3, 1, 5, 6, 9, 8, 6, 1, 6, 12, 13, 10, 1}), 10);
  EXPECT_EQ(smallest_nonproj_arc(kProj), -1);
}

struct ProjCase {
  Heads heads;
  std::vector<std::string> labels;
  Heads proj_heads;
  std::vector<std::string> deco;
};

TEST(Nonproj, ProjectivizeAndDeprojectivizeRoundTrip) {
  const std::vector<ProjCase> cases = {
      {kNonproj,
       {"det", "nsubj", "root", "det", "dobj", "aux", "nsubj", "acl", "punct"},
       {1, 2, 2, 4, 5, 2, 7, 5, 2},
       {"det", "nsubj", "root", "det", "dobj", "aux", "nsubj", "acl||dobj", "punct"}},
      {{9, 1, 3, 1, 5, 6, 9, 8, 6, 1, 6, 12, 13, 10, 1},
       {"advmod", "root", "det", "nsubj", "advmod", "det", "dobj", "det", "nmod", "aux", "nmod",
        "advmod", "det", "amod", "punct"},
       {1, 1, 3, 1, 5, 6, 9, 8, 6, 1, 9, 12, 13, 10, 1},
       {"advmod||aux", "root", "det", "nsubj", "advmod", "det", "dobj", "det", "nmod", "aux",
        "nmod||dobj", "advmod", "det", "amod", "punct"}},
      // already projective: unchanged
      {kProj, {"a", "b", "root", "c", "d", "e", "f", "g", "h"}, kProj,
       {"a", "b", "root", "c", "d", "e", "f", "g", "h"}},
  };
  for (const ProjCase& c : cases) {
    auto [ph, dl] = projectivize(c.heads, c.labels);
    EXPECT_EQ(ph, c.proj_heads);
    EXPECT_EQ(dl, c.deco);
    EXPECT_FALSE(is_nonproj_tree(ph));
    auto [h, d] = deprojectivized(ph, dl);
    EXPECT_EQ(h, c.heads);
    EXPECT_EQ(d, c.labels);
  }
  EXPECT_EQ(error_of([] { projectivize(kCyclic, std::vector<std::string>(7, "dep")); }),
            "Found cycle in dependency graph: [1, 2, 2, 4, 5, 3, 2]");
  EXPECT_THROW(projectivize(kTree, {"a"}), ValueError);
}

TEST(Nonproj, DeprojectivizeWithoutAMatchingHeadKeepsTheStructure) {
  // No token labelled iobj below the head: structure kept, label undecorated.
  auto [h1, d1] = deprojectivized(
      {1, 2, 2, 4, 5, 2, 7, 5, 2},
      {"det", "nsubj", "root", "det", "dobj", "aux", "nsubj", "acl||iobj", "punct"});
  EXPECT_EQ(h1, (Heads{1, 2, 2, 4, 5, 2, 7, 5, 2}));
  EXPECT_EQ(d1[7], "acl");
  // Two candidate heads: the first found breadth-first wins, even when wrong.
  auto [h2, d2] = deprojectivized(
      {1, 1, 3, 1, 5, 6, 9, 8, 6, 1, 9, 12, 13, 10, 1},
      {"advmod||aux", "root", "det", "aux", "advmod", "det", "dobj", "det", "nmod", "aux",
       "nmod||dobj", "advmod", "det", "amod", "punct"});
  EXPECT_EQ(h2, (Heads{3, 1, 3, 1, 5, 6, 9, 8, 6, 1, 6, 12, 13, 10, 1}));
  EXPECT_EQ(d2, (std::vector<std::string>{"advmod", "root", "det", "aux", "advmod", "det", "dobj",
                                          "det", "nmod", "aux", "nmod", "advmod", "det", "amod",
                                          "punct"}));
}

TEST(Nonproj, ExampleAlignedParseIsProjectivized) {
  auto v = std::make_shared<Vocab>("en");
  auto ref = std::make_shared<Doc>(v, std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g",
                                                              "h", "i"});
  std::vector<std::optional<size_t>> h(kNonproj.begin(), kNonproj.end());
  ref->set_parse(h, {"det", "nsubj", "ROOT", "det", "dobj", "aux", "nsubj", "acl", "punct"});
  Example eg = Example::from_reference(ref);
  Example::AlignedParse p = eg.get_aligned_parse(true);
  EXPECT_EQ(*p.heads[7], 5u);
  EXPECT_EQ(*p.deps[7], "acl||dobj");
  Example::AlignedParse raw = eg.get_aligned_parse(false);
  EXPECT_EQ(*raw.heads[7], 4u);
  EXPECT_EQ(*raw.deps[7], "acl");
  // Tokenized differently: a predicted token covering two reference tokens has no gold, and
  // neither has a token whose gold head is such a token.
  auto ref2 = std::make_shared<Doc>(v, std::vector<std::string>{"[", "x", "]", "is", "bad"},
                                    std::vector<bool>{false, false, true, true, false});
  ref2->set_parse({3, 0, 0, 3, 3}, {"punct", "dep", "punct", "ROOT", "acomp"});
  auto pred = std::make_shared<Doc>(v, std::vector<std::string>{"[x", "]", "is", "bad"},
                                    std::vector<bool>{false, true, true, false});
  Example eg2(pred, ref2);
  Example::AlignedParse p2 = eg2.get_aligned_parse(true);
  EXPECT_FALSE(p2.heads[0]);
  EXPECT_FALSE(p2.deps[0]);
  EXPECT_EQ(*p2.heads[1], 0u);  // "]"'s gold head "[" is aligned to "[x" alone
  EXPECT_EQ(*p2.deps[1], "punct");
  EXPECT_EQ(*p2.heads[2], 2u);
  EXPECT_EQ(*p2.heads[3], 2u);
  // A cyclic reference tree is a clear error.
  auto cyc = std::make_shared<Doc>(v, std::vector<std::string>(7, "w"));
  cyc->set_parse({1, 2, 2, 4, 5, 3, 2}, std::vector<std::string>(7, "dep"));
  EXPECT_NE(error_of([&] { Example::from_reference(cyc).get_aligned_parse(true); })
                .find("Found cycle"),
            std::string::npos);
}
