#include <gtest/gtest.h>

#include <map>

#include "data_test_util.hpp"
#include "trfpipe/data.hpp"
#include "trfpipe/error.hpp"

using namespace trfpipe;
using trfpipe::testing::shared_path;

namespace {

std::map<std::string, size_t> label_counts(std::vector<Doc>& docs) {
  std::map<std::string, size_t> out;
  for (auto& d : docs)
    for (auto& e : d.ents()) ++out[e.label_()];
  return out;
}
size_t total(const std::map<std::string, size_t>& m) {
  size_t n = 0;
  for (auto& kv : m) n += kv.second;
  return n;
}

DataError conll_error(const std::string& text) {
  return trfpipe::testing::expect_data_error(
      [&] { parse_conll_ner(text, "bad.conll", std::make_shared<Vocab>(), 1); });
}

DataError iob_error(const std::string& text) {
  return trfpipe::testing::expect_data_error(
      [&] { parse_iob(text, "bad.iob", std::make_shared<Vocab>(), 1); });
}

}  // namespace

TEST(Tags, Iob2Iob1AndBiluoGiveTheSameSpans) {
  std::vector<EntitySpan> want = {{2, 3, "GPE"}, {4, 7, "GPE"}};
  EXPECT_EQ(tags_to_spans({"O", "O", "B-GPE", "O", "B-GPE", "I-GPE", "I-GPE", "O"}), want);
  EXPECT_EQ(tags_to_spans({"O", "O", "I-GPE", "O", "I-GPE", "I-GPE", "I-GPE", "O"}), want);
  EXPECT_EQ(tags_to_spans({"O", "O", "U-GPE", "O", "B-GPE", "I-GPE", "L-GPE", "O"}), want);
  EXPECT_EQ(tags_to_spans({"O", "O", "S-GPE", "O", "B-GPE", "I-GPE", "E-GPE", "O"}), want);
}

TEST(Tags, LabelChangeAndRepeatedBStartNewEntities) {
  std::vector<EntitySpan> want = {{0, 1, "PER"}, {1, 2, "ORG"}, {2, 3, "ORG"}};
  EXPECT_EQ(tags_to_spans({"B-PER", "I-ORG", "B-ORG"}), want);
  EXPECT_EQ(tags_to_spans({"-", "B-X", "-"}), (std::vector<EntitySpan>{{1, 2, "X"}}));
  EXPECT_THROW(tags_to_spans({"B-"}), ValueError);
  EXPECT_THROW(tags_to_spans({"X-PER"}), ValueError);
}

TEST(Tags, SetEntitiesMarksMissingAndRejectsOverlap) {
  auto vocab = std::make_shared<Vocab>();
  Doc d(vocab, {"a", "b", "c"}, {});
  set_entities(d, {{1, 2, "X"}}, {true, false, false});
  EXPECT_EQ(d.tokens()[0].ent_iob, 0);
  EXPECT_EQ(d.tokens()[1].ent_iob, 3);
  EXPECT_EQ(d.tokens()[2].ent_iob, 2);
  EXPECT_THROW(set_entities(d, {{0, 2, "X"}, {1, 3, "Y"}}), ValueError);
  EXPECT_THROW(set_entities(d, {{2, 5, "X"}}), ValueError);
}

TEST(ConllNer, Wnut17DevSentencesAndEntities) {
  auto vocab = std::make_shared<Vocab>();
  auto docs = read_conll_ner(shared_path("data/corpora/wnut17/emerging.dev.conll"), vocab, 1);
  EXPECT_EQ(docs.size(), 1009u);  // README: dev 1,009 sentences
  auto counts = label_counts(docs);
  // `grep -c B-` on the file: 836 entity starts (the file is clean IOB2).
  EXPECT_EQ(total(counts), 836u);
  EXPECT_EQ(counts["person"], 470u);
  EXPECT_EQ(counts["location"], 74u);
  EXPECT_EQ(counts["corporation"], 34u);
  EXPECT_EQ(counts["creative-work"], 105u);
  EXPECT_EQ(counts["group"], 39u);
  EXPECT_EQ(counts["product"], 114u);
  EXPECT_TRUE(has_unknown_spaces(docs[0]));
  EXPECT_EQ(docs[0].token(0).tag_(), "-");  // two columns: spaCy's "-" tag
}

TEST(ConllNer, Wnut17TrainTabOnlyLinesSeparateSentences) {
  auto vocab = std::make_shared<Vocab>();
  auto docs = read_conll_ner(shared_path("data/corpora/wnut17/wnut17train.conll"), vocab, 1);
  EXPECT_EQ(docs.size(), 3394u);  // README: train 3,394 sentences
}

TEST(ConllNer, UnerIob2IndexedColumns) {
  auto vocab = std::make_shared<Vocab>();
  auto docs = read_conll_ner(shared_path("data/corpora/uner_english_ewt/en_ewt-ud-dev.iob2"), vocab, 1);
  EXPECT_EQ(docs.size(), 2001u);
  auto counts = label_counts(docs);
  EXPECT_EQ(total(counts), 966u);  // README: 966 entities
  EXPECT_EQ(counts.size(), 3u);
  EXPECT_EQ(std::string(docs[0].token(1).text()), "can");
  EXPECT_EQ(docs[0].tokens()[1].tag, 0u);
}

TEST(ConllNer, DocstartAndNSentsGrouping) {
  const std::string text =
      "-DOCSTART- -X- O O\n\nI PRP O\nlike VBP O\nLondon NNP I-GPE\n\nNew NNP B-GPE\nYork NNP I-GPE\n"
      "\n-DOCSTART- -X- O O\n\nBye UH O\n";
  auto vocab = std::make_shared<Vocab>();
  auto docs = parse_conll_ner(text, "t.conll", vocab, 1);  // n_sents ignored with -DOCSTART-
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].size(), 5u);
  EXPECT_EQ(docs[0].sents().size(), 2u);
  EXPECT_EQ(docs[0].token(1).tag_(), "VBP");
  auto ents = docs[0].ents();
  ASSERT_EQ(ents.size(), 2u);
  EXPECT_EQ(ents[0].start(), 2u);  // IOB1 I- after O starts an entity
  EXPECT_EQ(ents[1].end(), 5u);
  EXPECT_EQ(docs[0].text(), "I like London New York ");

  const std::string plain = "a O\n\nb O\n \t \nc O\n\n\nd B-X\n";
  EXPECT_EQ(parse_conll_ner(plain, "t", vocab, 1).size(), 4u);
  EXPECT_EQ(parse_conll_ner(plain, "t", vocab, 3).size(), 2u);
  EXPECT_EQ(parse_conll_ner(plain, "t", vocab, 0).size(), 1u);
}

TEST(ConllNerErrors, OneColumnAndBadTag) {
  DataError e = conll_error("a O\nlonely\n");
  EXPECT_EQ(e.line(), 2);
  EXPECT_EQ(e.file(), "bad.conll");
  DataError e2 = conll_error("a O\n\nb X-PER\n");
  EXPECT_EQ(e2.line(), 3);
  EXPECT_NE(std::string(e2.what()).find("X-PER"), std::string::npos);
}

TEST(ConllNerErrors, IndexedRowsWithoutTagColumn) {
  DataError e = conll_error("1\tword\tfoo\n2\tword\tbar\n");
  EXPECT_NE(std::string(e.what()).find("no column"), std::string::npos);
}

TEST(Iob, SentencePerLineFormats) {
  const std::string text =
      "I|O like|O London|I-GPE and|O New|B-GPE York|I-GPE City|I-GPE .|O\n"
      "I|PRP|O like|VBP|O London|NNP|B-GPE and|CC|O New|NNP|B-GPE York|NNP|I-GPE City|NNP|I-GPE .|.|O\n";
  auto vocab = std::make_shared<Vocab>();
  auto docs = parse_iob(text, "t.iob", vocab, 1);
  ASSERT_EQ(docs.size(), 2u);
  for (auto& d : docs) {
    auto ents = d.ents();
    ASSERT_EQ(ents.size(), 2u);
    EXPECT_EQ(ents[0].text(), "London");
    EXPECT_EQ(ents[1].text(), "New York City");
  }
  EXPECT_EQ(docs[0].token(0).tag_(), "-");
  EXPECT_EQ(docs[1].token(0).tag_(), "PRP");
  auto grouped = parse_iob(text + "\n" + text, "t.iob", vocab, 10);
  ASSERT_EQ(grouped.size(), 1u);
  EXPECT_EQ(grouped[0].sents().size(), 4u);
}

TEST(IobErrors, BadTokenAndTag) {
  EXPECT_EQ(iob_error("a|O b|O\nc|d|e|O\n").line(), 2);
  EXPECT_EQ(iob_error("a|Q\n").line(), 1);
  EXPECT_EQ(iob_error("\n\n|O\n").line(), 3);
}
