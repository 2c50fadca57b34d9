// The dependency-parse API of Doc/Token/Span, table-driven after spaCy's tests
// (spacy/tests/doc/test_token_api.py, tests/parser/test_parse.py, test_parse_navigate.py,
// tests/lang/en/test_noun_chunks.py) with our own sentences and trees: navigation data from the
// heads (children, edges, counts, subtree), sentence starts from the parse, the head setter,
// Span.root / Span.sent, conjuncts, missing heads and deps, noun_chunks, Doc.to_json.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "tests/pipeline/error_of.hpp"
#include "trfpipe/doc.hpp"
#include "trfpipe/error.hpp"

using namespace trfpipe;
using trfpipe::testing::error_of;

namespace {

std::shared_ptr<Vocab> vocab(const std::string& lang = "en") { return std::make_shared<Vocab>(lang); }

// spaCy's Doc(words, heads=..., deps=..., pos=...) (heads absolute; -1: missing).
Doc parsed(const std::vector<std::string>& words, const std::vector<int>& heads,
           const std::vector<std::string>& deps, const std::vector<std::string>& pos = {},
           std::shared_ptr<Vocab> v = vocab()) {
  Doc doc(v, words);
  std::vector<std::optional<size_t>> h;
  for (int x : heads) h.push_back(x < 0 ? std::nullopt : std::optional<size_t>(size_t(x)));
  doc.set_parse(h, deps);
  for (size_t i = 0; i < pos.size(); ++i) doc[i].set_pos(pos[i]);
  return doc;
}

std::vector<std::string> texts(const std::vector<Token>& ts) {
  std::vector<std::string> out;
  for (const Token& t : ts) out.emplace_back(t.text());
  return out;
}
std::vector<size_t> indices(const std::vector<Token>& ts) {
  std::vector<size_t> out;
  for (const Token& t : ts) out.push_back(t.i());
  return out;
}
std::vector<std::optional<bool>> sent_starts(Doc& doc) {
  std::vector<std::optional<bool>> out;
  for (size_t i = 0; i < doc.size(); ++i) out.push_back(doc[i].is_sent_start());
  return out;
}

const std::vector<std::string> kDog = {"Yesterday", "I", "saw", "a", "cat", "that", "purred", "softly", "."};
const std::vector<int> kDogHeads = {2, 2, 2, 4, 2, 6, 4, 6, 2};

}  // namespace

// ---- navigation data ----

struct EdgeRow {
  size_t token, n_lefts, n_rights, left_edge, right_edge;
};

TEST(DocParse, ChildCountsAndEdgesFollowTheHeads) {
  Doc doc = parsed(kDog, kDogHeads, std::vector<std::string>(9, "dep"));
  for (const EdgeRow& r : std::vector<EdgeRow>{{6, 1, 1, 5, 7}, {4, 1, 1, 3, 7}, {3, 0, 0, 3, 3},
                                              {2, 2, 2, 0, 8}, {0, 0, 0, 0, 0}, {8, 0, 0, 8, 8}}) {
    SCOPED_TRACE(r.token);
    EXPECT_EQ(doc[r.token].n_lefts(), r.n_lefts);
    EXPECT_EQ(doc[r.token].n_rights(), r.n_rights);
    EXPECT_EQ(doc[r.token].left_edge().i(), r.left_edge);
    EXPECT_EQ(doc[r.token].right_edge().i(), r.right_edge);
  }
  EXPECT_EQ(texts(doc[2].lefts()), (std::vector<std::string>{"Yesterday", "I"}));
  EXPECT_EQ(texts(doc[2].rights()), (std::vector<std::string>{"cat", "."}));
  EXPECT_EQ(texts(doc[2].children()), (std::vector<std::string>{"Yesterday", "I", "cat", "."}));
  EXPECT_EQ(texts(doc[4].subtree()), (std::vector<std::string>{"a", "cat", "that", "purred", "softly"}));
  EXPECT_EQ(texts(doc[6].ancestors()), (std::vector<std::string>{"cat", "saw"}));
  EXPECT_EQ(texts(doc[1].ancestors()), (std::vector<std::string>{"saw"}));
  EXPECT_TRUE(doc[2].ancestors().empty());
  EXPECT_TRUE(doc[2].is_ancestor(doc[7]));
  EXPECT_FALSE(doc[6].is_ancestor(doc[2]));
  EXPECT_FALSE(doc[7].is_ancestor(doc[7]));
}

TEST(DocParse, SubtreesOfTheBusSentence) {
  // test_parser_parse_subtrees, with our words.
  Doc doc = parsed({"The", "two", "doors", "of", "the", "van", "opened", "slowly"},
                   {2, 2, 6, 2, 5, 3, 6, 6}, std::vector<std::string>(8, "dep"));
  EXPECT_EQ(doc[2].lefts().size(), 2u);
  EXPECT_EQ(doc[2].rights().size(), 1u);
  EXPECT_EQ(doc[2].children().size(), 3u);
  EXPECT_EQ(doc[5].lefts().size(), 1u);
  EXPECT_EQ(doc[5].rights().size(), 0u);
  EXPECT_EQ(doc[2].subtree().size(), 6u);
  EXPECT_EQ(doc[6].subtree().size(), 8u);
}

// A random projective tree over [a, b) below `parent` (every subtree is contiguous).
void projective(std::mt19937& rng, std::vector<int>& heads, size_t a, size_t b, int parent) {
  if (a >= b) return;
  const size_t r = a + rng() % (b - a);
  heads[r] = parent < 0 ? int(r) : parent;
  projective(rng, heads, a, r, int(r));
  projective(rng, heads, r + 1, b, int(r));
}

// test_parse_navigate: children, counts, subtrees and edges agree with the heads on random
// trees. Any tree (mostly non-projective) for children and subtrees; projective ones for the
// edges (spaCy's iterated edge computation stops once the sentences are consistent, so an inner
// token's edge in a non-projective tree may not reach its farthest descendant).
TEST(DocParse, NavigationIsConsistentOnRandomTrees) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 80; ++trial) {
    const size_t n = 2 + rng() % 40;
    std::vector<int> heads(n);
    const bool proj = trial % 2 == 0;
    if (proj) {
      projective(rng, heads, 0, n, -1);
    } else {
      // Each token after the first of a random order attaches to an earlier one.
      std::vector<size_t> order(n);
      for (size_t i = 0; i < n; ++i) order[i] = i;
      std::shuffle(order.begin(), order.end(), rng);
      heads[order[0]] = int(order[0]);
      for (size_t k = 1; k < n; ++k) heads[order[k]] = int(order[rng() % k]);
    }
    Doc doc = parsed(std::vector<std::string>(n, "w"), heads, std::vector<std::string>(n, "dep"));
    SCOPED_TRACE(trial);
    for (size_t i = 0; i < n; ++i) {
      const Token t = doc[i];
      std::vector<size_t> lefts, rights;
      for (size_t c = 0; c < n; ++c)
        if (c != i && size_t(heads[c]) == i) (c < i ? lefts : rights).push_back(c);
      EXPECT_EQ(indices(t.lefts()), lefts) << i;
      EXPECT_EQ(indices(t.rights()), rights) << i;
      EXPECT_EQ(t.n_lefts(), lefts.size()) << i;
      EXPECT_EQ(t.n_rights(), rights.size()) << i;
      // The subtree: the token and every token it is an ancestor of.
      std::vector<size_t> sub;
      for (size_t c = 0; c < n; ++c)
        if (c == i || t.is_ancestor(doc[c])) sub.push_back(c);
      std::vector<size_t> got = indices(t.subtree());
      if (proj) {
        EXPECT_EQ(got, sub) << i;  // in order, as spaCy's lefts / self / rights recursion
        EXPECT_EQ(t.left_edge().i(), sub.front()) << i;
        EXPECT_EQ(t.right_edge().i(), sub.back()) << i;
      } else {
        std::sort(got.begin(), got.end());
        EXPECT_EQ(got, sub) << i;
      }
    }
    // One tree: one sentence, starting at 0.
    EXPECT_EQ(doc.sents().size(), 1u);
  }
}

// ---- sentence starts ----

TEST(DocParse, SentenceStartsAreTheLeftEdgesOfRoots) {
  Doc doc = parsed({"This", "is", "a", "sentence", ".", "This", "is", "another", "sentence", ".",
                    "And", "a", "third", "."},
                   {1, 1, 3, 1, 1, 6, 6, 8, 6, 6, 10, 12, 10, 12},
                   {"nsubj", "ROOT", "det", "attr", "punct", "nsubj", "ROOT", "det", "attr",
                    "punct", "ROOT", "det", "npadvmod", "punct"});
  std::vector<Span> sents = doc.sents();
  ASSERT_EQ(sents.size(), 3u);
  EXPECT_EQ(doc[1].sent().text(), "This is a sentence .");
  EXPECT_EQ(doc[7].sent().text(), "This is another sentence .");
  EXPECT_EQ(doc[1].sent().root().left_edge().text(), "This");
  EXPECT_EQ(doc[7].sent().root().text(), "is");
  EXPECT_TRUE(doc.has_annotation("SENT_START"));
  EXPECT_TRUE(doc[5].is_sent_start().value());
  EXPECT_FALSE(doc[6].is_sent_start().value());
  // A parsed Doc refuses sentence-start writes (E043).
  EXPECT_THROW(doc[3].set_is_sent_start(true), ValueError);
}

TEST(DocParse, NonProjectiveTreeKeepsOneSentence) {
  // spaCy issue 2772: the arcs (0, 4) and (2, 9) cross.
  Doc doc = parsed({"When", "we", "write", "or", "talk", "online", ",", "we", "can", "hide", "our",
                    "true", "feelings", "."},
                   {4, 2, 9, 2, 2, 4, 9, 9, 9, 9, 12, 12, 9, 9}, std::vector<std::string>(14, "dep"));
  EXPECT_FALSE(doc[1].is_sent_start().value());
  EXPECT_EQ(doc.sents().size(), 1u);
  EXPECT_EQ(doc[9].left_edge().i(), 0u);
}

TEST(DocParse, MissingDepsAreNotRootsAndKeepTheirSentence) {
  // test_parser_set_sent_starts: tokens with an empty dep are attached but not labelled.
  Doc doc = parsed({"A", "short", "one", ".", "Then", "a", "\n", "longer", "one", "."},
                   {2, 2, 2, 2, 8, 8, 5, 8, 8, 8},
                   {"det", "amod", "ROOT", "punct", "advmod", "det", "", "amod", "ROOT", "punct"});
  EXPECT_EQ(sent_starts(doc),
            (std::vector<std::optional<bool>>{true, false, false, false, true, false, false, false,
                                              false, false}));
  for (Span& sent : doc.sents())
    for (size_t i = sent.start(); i < sent.end(); ++i) {
      const size_t h = doc[i].head().i();
      EXPECT_TRUE(h >= sent.start() && h < sent.end()) << i;
    }
}

TEST(DocParse, MissingHeadsAndDepsStayMissing) {
  // test_missing_head_dep: token 5's head and token 0's / 5's deps are unknown.
  Doc doc = parsed({"I", "like", "London", "and", "Berlin", "."}, {1, 1, 1, 1, 2, -1},
                   {"", "ROOT", "dobj", "cc", "conj", ""});
  std::vector<bool> has_head, has_dep;
  for (size_t i = 0; i < doc.size(); ++i) {
    has_head.push_back(doc[i].has_head());
    has_dep.push_back(doc[i].has_dep());
  }
  EXPECT_EQ(has_head, (std::vector<bool>{false, true, true, true, true, false}));
  EXPECT_EQ(has_dep, has_head);
  EXPECT_EQ(doc[5].head().i(), 5u);
  EXPECT_EQ(doc[4].head().i(), 2u);
  EXPECT_EQ(sent_starts(doc),
            (std::vector<std::optional<bool>>{true, false, false, false, false, false}));
  Json j = doc.to_json();
  EXPECT_EQ(j["tokens"][5]["head"], 5);
  EXPECT_EQ(j["tokens"][5]["dep"], "");
  EXPECT_EQ(j["tokens"][0]["head"], 0);  // token.head.i of a token without a dep: itself
  EXPECT_EQ(j["tokens"][2]["head"], 1);
  EXPECT_EQ(j["tokens"][2]["dep"], "dobj");
}

TEST(DocParse, SetParseRejectsBadInput) {
  Doc doc(vocab(), {"a", "b"});
  EXPECT_NE(error_of([&] { doc.set_parse({0, 5}, {"ROOT", "dep"}); }).find("outside"),
            std::string::npos);
  EXPECT_THROW(doc.set_parse({0}, {"ROOT", "dep"}), ValueError);
  // Raw heads written directly and pointing outside are caught when recomputing.
  doc.tokens()[1].head = 7;
  EXPECT_THROW(doc.set_children_from_heads(), ValueError);
}

// ---- the head setter ----

TEST(DocParse, HeadSetterUpdatesCountsEdgesAndSentences) {
  Doc doc = parsed(kDog, kDogHeads, std::vector<std::string>(9, "dep"));
  doc[6].set_head(doc[3]);
  EXPECT_EQ(doc[6].n_lefts(), 1u);
  EXPECT_EQ(doc[6].n_rights(), 1u);
  EXPECT_EQ(doc[6].left_edge().i(), 5u);
  EXPECT_EQ(doc[6].right_edge().i(), 7u);
  EXPECT_EQ(doc[3].n_lefts(), 0u);
  EXPECT_EQ(doc[3].n_rights(), 1u);
  EXPECT_EQ(doc[3].right_edge().i(), 7u);
  EXPECT_EQ(doc[4].n_lefts(), 1u);
  EXPECT_EQ(doc[4].n_rights(), 0u);
  EXPECT_EQ(doc[4].right_edge().i(), 7u);
  EXPECT_EQ(doc[2].left_edge().i(), 0u);
  EXPECT_EQ(doc[2].right_edge().i(), 8u);
  doc[0].set_head(doc[5]);
  for (size_t i : {5u, 6u, 3u, 4u, 2u}) EXPECT_EQ(doc[i].left_edge().i(), 0u) << i;
  Doc other = parsed(kDog, kDogHeads, std::vector<std::string>(9, "dep"));
  EXPECT_THROW(doc[0].set_head(other[0]), ValueError);  // E191

  // Two sentences joined into one by attaching the second root to the first.
  Doc two = parsed({"One", "is", "here", ".", "Two", "are", "there", "."}, {1, 1, 1, 1, 5, 5, 5, 5},
                   std::vector<std::string>(8, "dep"));
  EXPECT_TRUE(two[4].is_sent_start().value());
  two[2].set_head(two[3]);  // within a sentence: boundaries stay
  EXPECT_TRUE(two[4].is_sent_start().value());
  EXPECT_EQ(two[1].right_edge().i(), 3u);
  two[5].set_head(two[1]);
  EXPECT_TRUE(two[0].is_sent_start().value());
  EXPECT_FALSE(two[4].is_sent_start().value());
  EXPECT_EQ(two[1].right_edge().i(), 7u);
  EXPECT_EQ(two.sents().size(), 1u);
}

// ---- Span.root, conjuncts ----

TEST(DocParse, SpanRootIsTheTokenClosestToTheRoot) {
  Doc doc = parsed(kDog, kDogHeads, std::vector<std::string>(9, "dep"));
  EXPECT_EQ(doc.span(3, 8).root().text(), "cat");
  EXPECT_EQ(doc.span(5, 8).root().text(), "purred");
  EXPECT_EQ(doc.span(0, 3).root().text(), "saw");  // contains the sentence root
  // '.' is one step from the root and "softly" three, but spaCy never prefers childless
  // punctuation (or spaces) as a root while another token qualifies.
  EXPECT_EQ(doc.span(7, 9).root().text(), "softly");
  EXPECT_EQ(doc.span(8, 9).root().text(), ".");
}

TEST(DocParse, Conjuncts) {
  Doc chain = parsed({"The", "boy", "and", "the", "girl", "and", "the", "man", "went", "."},
                     {1, 8, 1, 4, 1, 4, 7, 4, 8, 8},
                     {"det", "nsubj", "cc", "det", "conj", "cc", "det", "conj", "ROOT", "punct"});
  EXPECT_EQ(texts(chain[1].conjuncts()), (std::vector<std::string>{"girl", "man"}));
  EXPECT_EQ(texts(chain[4].conjuncts()), (std::vector<std::string>{"boy", "man"}));
  EXPECT_EQ(texts(chain[7].conjuncts()), (std::vector<std::string>{"boy", "girl"}));
  Doc none = parsed({"They", "came", "."}, {1, 1, 1}, {"nsubj", "ROOT", "punct"});
  EXPECT_TRUE(none[1].conjuncts().empty());
}

// ---- noun chunks (spacy/lang/en/syntax_iterators.py) ----

struct ChunkCase {
  std::vector<std::string> words;
  std::vector<int> heads;
  std::vector<std::string> deps, pos;
  std::vector<std::string> chunks;
};

TEST(NounChunks, EnglishSyntaxIteratorTable) {
  const std::vector<ChunkCase> cases = {
      // coordination: conj attached to an NP head is an NP; the amod/nmod stay inside
      {{"Anna", "has", "serious", "budget", "and", "staff", "problems"},
       {1, 1, 6, 6, 3, 3, 1},
       {"nsubj", "ROOT", "amod", "nmod", "cc", "conj", "dobj"},
       {"PROPN", "VERB", "ADJ", "NOUN", "CCONJ", "NOUN", "NOUN"},
       {"Anna", "serious budget and staff problems"}},
      // prepositional objects and a pronoun subject
      {{"She", "put", "the", "red", "box", "on", "a", "shelf"},
       {1, 1, 4, 4, 1, 1, 7, 5},
       {"nsubj", "ROOT", "det", "amod", "dobj", "prep", "det", "pobj"},
       {"PRON", "VERB", "DET", "ADJ", "NOUN", "ADP", "DET", "NOUN"},
       {"She", "the red box", "a shelf"}},
      // a noun in a non-NP relation (compound) only yields its head's chunk
      {{"Dogs", "and", "cats", "chase", "tennis", "balls"},
       {3, 0, 0, 3, 5, 3},
       {"nsubj", "cc", "conj", "ROOT", "compound", "dobj"},
       {"NOUN", "CCONJ", "NOUN", "VERB", "NOUN", "NOUN"},
       {"Dogs", "cats", "tennis balls"}},
  };
  for (const ChunkCase& c : cases) {
    Doc doc = parsed(c.words, c.heads, c.deps, c.pos);
    std::vector<std::string> got;
    for (const Span& s : doc.noun_chunks()) {
      got.emplace_back(s.text());
      EXPECT_EQ(s.label_(), "NP");
    }
    EXPECT_EQ(got, c.chunks) << c.words[0];
    // Each token in at most one chunk.
    std::map<size_t, int> seen;
    for (const Span& s : doc.noun_chunks())
      for (size_t i = s.start(); i < s.end(); ++i) EXPECT_EQ(++seen[i], 1);
  }
}

TEST(NounChunks, SpanChunksAreASubsetOfTheDocs) {
  Doc doc = parsed({"Anna", "has", "serious", "budget", "and", "staff", "problems"},
                   {1, 1, 6, 6, 3, 3, 1}, {"nsubj", "ROOT", "amod", "nmod", "cc", "conj", "dobj"},
                   {"PROPN", "VERB", "ADJ", "NOUN", "CCONJ", "NOUN", "NOUN"});
  std::vector<Span> all = doc.noun_chunks();
  std::vector<Span> part = doc.span(0, 3).noun_chunks();
  ASSERT_FALSE(part.empty());
  EXPECT_LT(part.size(), all.size());
  for (const Span& s : part) {
    EXPECT_NE(std::find(all.begin(), all.end(), s), all.end());
    EXPECT_LE(s.end(), 3u);
  }
}

TEST(NounChunks, NeedAParseAndALanguageWithAnIterator) {
  Doc plain(vocab(), {"This", "is", "a", "sentence"});
  EXPECT_NE(error_of([&] { plain.noun_chunks(); }).find("E029"), std::string::npos);
  Doc multi = parsed({"Ein", "Satz"}, {1, 1}, {"nk", "ROOT"}, {"DET", "NOUN"}, vocab("xx"));
  EXPECT_NE(error_of([&] { multi.noun_chunks(); }).find("E894"), std::string::npos);
  Doc german_plain(vocab("de"), {"Er", "lag", "auf", "seinem"});  // spacy/tests/lang/de
  EXPECT_NE(error_of([&] { german_plain.noun_chunks(); }).find("E029"), std::string::npos);
}

TEST(NounChunks, GermanExtendsAChunkByItsCloseApposition) {
  // "Er trinkt eine Tasse Tee mit Milch": "eine Tasse Tee" (nk apposition), not "eine Tasse".
  Doc doc = parsed({"Er", "trinkt", "eine", "Tasse", "Tee", "mit", "Milch"},
                   {1, 1, 3, 1, 3, 1, 5}, {"sb", "ROOT", "nk", "oa", "nk", "mo", "nk"},
                   {"PRON", "VERB", "DET", "NOUN", "NOUN", "ADP", "NOUN"}, vocab("de"));
  std::vector<std::string> got;
  for (const Span& s : doc.noun_chunks()) got.emplace_back(s.text());
  EXPECT_EQ(got, (std::vector<std::string>{"Er", "eine Tasse Tee", "Milch"}));
}

// ---- to_json ----

TEST(DocParse, ToJsonWritesHeadAndDepAsSpacy) {
  Doc doc = parsed({"Give", "it", "back", "!", "He", "pleaded", "."}, {0, 0, 0, 0, 5, 5, 5},
                   {"ROOT", "dobj", "prt", "punct", "nsubj", "ROOT", "punct"});
  Json j = doc.to_json();
  ASSERT_EQ(j["tokens"].size(), 7u);
  EXPECT_EQ(j["tokens"][1]["head"], 0);
  EXPECT_EQ(j["tokens"][1]["dep"], "dobj");
  EXPECT_EQ(j["tokens"][4]["head"], 5);
  EXPECT_EQ(j["sents"], Json::parse(R"([{"start":0,"end":14},{"start":15,"end":27}])"));
  Doc plain(vocab(), {"no", "parse"});
  EXPECT_FALSE(plain.to_json()["tokens"][0].contains("head"));
}

// Malformed heads (a cycle, as a hand-written DocBin or CoNLL-U may carry) never hang or crash
// the navigation API.
TEST(DocParse, CyclicHeadsTerminate) {
  Doc doc = parsed({"a", "b", "c", "d"}, {1, 2, 0, 3}, {"conj", "conj", "conj", "ROOT"},
                   {"NOUN", "NOUN", "NOUN", "VERB"});
  for (size_t i = 0; i < doc.size(); ++i) {
    EXPECT_LE(doc[i].ancestors().size(), doc.size()) << i;
    EXPECT_LE(doc[i].subtree().size(), 4 * doc.size() + 8) << i;
    (void)doc[i].children();
    (void)doc[i].conjuncts();
    (void)doc[i].left_edge();
  }
  EXPECT_NO_THROW(doc.span(0, 3).root());
  // A walk into the cycle never reaches a root: such a token is the root only when no other
  // token of the span leaves it ("b" of [0, 2)), and loses to one that does ("e" of [2, 5)).
  EXPECT_EQ(doc.span(0, 2).root().text(), "b");
  Doc two = parsed({"a", "b", "c", "d", "e", "f"}, {1, 2, 0, 5, 5, 5},
                   {"conj", "conj", "conj", "dep", "dep", "ROOT"});
  EXPECT_EQ(two.span(2, 5).root().text(), "d");
  EXPECT_NO_THROW(doc.noun_chunks());
  EXPECT_NO_THROW(doc.sents());
  EXPECT_NO_THROW(doc.to_json());
}
