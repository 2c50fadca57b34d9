#include <gtest/gtest.h>

#include "data_test_util.hpp"
#include "trfpipe/data.hpp"
#include "trfpipe/error.hpp"

using namespace trfpipe;
using trfpipe::testing::shared_path;
using trfpipe::testing::TempDir;

TEST(Convert, DetectsConverterByExtensionAndContent) {
  TempDir tmp;
  ConvertOptions o;
  EXPECT_EQ(detect_converter(shared_path("data/corpora/ud_english_ewt/en_ewt-ud-dev.conllu"), o), "conllu");
  EXPECT_EQ(detect_converter(shared_path("data/corpora/wnut17/emerging.dev.conll"), o), "ner");
  EXPECT_EQ(detect_converter(shared_path("data/corpora/uner_english_ewt/en_ewt-ud-dev.iob2"), o), "ner");
  EXPECT_EQ(detect_converter(tmp.file("s.iob", "I|O like|O London|B-GPE\n"), o), "iob");
  EXPECT_EQ(detect_converter(tmp.file("s.conll", "I|O like|O London|B-GPE\n"), o), "iob");
  EXPECT_EQ(detect_converter(tmp.file("x.json", "[]"), o), "json");
  EXPECT_EQ(detect_converter(tmp.file("x.jsonl", ""), o), "jsonl");
  EXPECT_THROW(detect_converter(tmp.file("x.tsv", ""), o), ValueError);
  EXPECT_THROW(detect_converter(tmp.file("x.txt", ""), o), ValueError);
  ConvertOptions g;
  g.labels_path = "labels.txt";
  EXPECT_EQ(detect_converter((tmp / "x.tsv"), g), "goemotions");
  ConvertOptions named;
  named.converter = "conllubio";
  EXPECT_EQ(detect_converter("any", named), "conllu");
  named.converter = "nope";
  EXPECT_THROW(detect_converter("any", named), ValueError);
  named.converter = "ner";  // ner/iob are checked against the content, as spaCy does
  EXPECT_EQ(detect_converter((tmp / "s.iob"), named), "iob");
}

TEST(Convert, ConvertFileThenDocBinRoundTrip) {
  TempDir tmp;
  auto vocab = std::make_shared<Vocab>();
  ConvertOptions o;
  o.n_sents = 10;
  auto docs = convert_file(shared_path("data/corpora/uner_english_ewt/en_ewt-ud-dev.iob2"), o, vocab);
  EXPECT_EQ(docs.size(), 201u);
  size_t ents = 0;
  for (auto& d : docs) ents += d.ents().size();
  EXPECT_EQ(ents, 966u);
  write_docbin((tmp / "uner.spacy"), docs);
  auto back = read_docbin((tmp / "uner.spacy"), std::make_shared<Vocab>());
  ASSERT_EQ(back.size(), docs.size());
  size_t back_ents = 0;
  for (size_t k = 0; k < back.size(); ++k) {
    EXPECT_EQ(back[k].text(), docs[k].text());
    EXPECT_TRUE(has_unknown_spaces(back[k]));
    back_ents += back[k].ents().size();
  }
  EXPECT_EQ(back_ents, 966u);
}

TEST(Convert, ConlluThroughDocBinKeepsEverything) {
  TempDir tmp;
  auto vocab = std::make_shared<Vocab>();
  auto docs = read_conllu(shared_path("data/corpora/ud_english_ewt/en_ewt-ud-dev.conllu"), vocab, 10);
  write_docbin((tmp / "ud.spacy"), docs, /*store_user_data=*/true);
  auto back = read_docbin((tmp / "ud.spacy"), std::make_shared<Vocab>());
  ASSERT_EQ(back.size(), docs.size());
  for (size_t k = 0; k < back.size(); ++k) {
    ASSERT_EQ(back[k].text(), docs[k].text());
    for (size_t i = 0; i < back[k].size(); ++i) {
      const TokenData &a = docs[k].tokens()[i], &b = back[k].tokens()[i];
      ASSERT_EQ(a.tag, b.tag);
      ASSERT_EQ(a.pos, b.pos);
      ASSERT_EQ(a.lemma, b.lemma);
      ASSERT_EQ(a.morph, b.morph);
      ASSERT_EQ(a.dep, b.dep);
      ASSERT_EQ(a.head, b.head);
      ASSERT_EQ(a.sent_start, b.sent_start);
    }
    EXPECT_EQ(back[k].token(0).tag_(), docs[k].token(0).tag_());
  }
}

TEST(Convert, GoemotionsNeedsLabelsAndTokenizer) {
  ConvertOptions o;
  o.converter = "goemotions";
  EXPECT_THROW(convert_file(shared_path("data/corpora/goemotions/dev.tsv"), o, std::make_shared<Vocab>()),
               ValueError);
}

// convert --spans-key: the entities of WNUT17 also become span group "sc" (spancat training data),
// and survive the DocBin round trip, empty groups included.
TEST(Convert, SpansKeyCopiesEntitiesIntoASpanGroup) {
  TempDir tmp;
  auto vocab = std::make_shared<Vocab>();
  ConvertOptions o;  // one sentence per doc: many docs without entities
  o.n_sents = 1;
  o.spans_key = "sc";
  auto docs = convert_file(shared_path("data/corpora/wnut17/emerging.dev.conll"), o, vocab);
  ASSERT_FALSE(docs.empty());
  size_t ents = 0, spans = 0, empty_groups = 0;
  for (auto& d : docs) {
    ASSERT_TRUE(d.spans().contains("sc"));
    const auto& g = d.spans().group("sc").spans;
    const auto e = d.ents();
    ASSERT_EQ(g.size(), e.size());
    for (size_t k = 0; k < e.size(); ++k) {
      EXPECT_EQ(g[k].start, e[k].start());
      EXPECT_EQ(g[k].end, e[k].end());
      EXPECT_EQ(g[k].label, e[k].label());
    }
    ents += e.size();
    spans += g.size();
    empty_groups += g.empty();
  }
  EXPECT_GT(ents, 500u);  // WNUT17 dev has several hundred entities
  EXPECT_EQ(spans, ents);
  EXPECT_GT(empty_groups, 0u);
  write_docbin((tmp / "dev.spacy"), docs);
  auto back = read_docbin((tmp / "dev.spacy"), std::make_shared<Vocab>());
  ASSERT_EQ(back.size(), docs.size());
  for (size_t k = 0; k < back.size(); ++k) {
    ASSERT_TRUE(back[k].spans().contains("sc")) << k;
    EXPECT_EQ(back[k].spans().group("sc").spans.size(), docs[k].spans().group("sc").spans.size());
    EXPECT_EQ(back[k].to_json()["spans"], docs[k].to_json()["spans"]) << k;
  }
  // Without the option nothing is added.
  ConvertOptions plain;
  plain.n_sents = 10;
  for (auto& d : convert_file(shared_path("data/corpora/wnut17/emerging.dev.conll"), plain, vocab))
    EXPECT_TRUE(d.spans().empty());
}

TEST(Convert, CopyEntsToSpansKeepsKbIdsAndReplacesTheGroup) {
  auto vocab = std::make_shared<Vocab>();
  Doc doc(vocab, {"Ada", "met", "Alan", "Turing"});
  doc.spans().set("sc", {doc.span(1, 2, "OLD")});
  doc.set_ents({doc.span(0, 1, "PER"), doc.span(2, 4, "PER")});
  doc.tokens()[2].ent_kb_id = vocab->strings().add("Q7251");
  copy_ents_to_spans(doc, "sc");
  const auto& g = doc.spans().group("sc").spans;
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(doc.span(g[1].start, g[1].end).text(), "Alan Turing");
  EXPECT_EQ(vocab->strings()[g[1].kb_id], "Q7251");
  EXPECT_THROW(copy_ents_to_spans(doc, ""), ValueError);
}
