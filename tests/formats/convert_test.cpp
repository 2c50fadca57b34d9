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
