#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "data_test_util.hpp"
#include "trfpipe/data.hpp"
#include "trfpipe/error.hpp"

using namespace trfpipe;
using trfpipe::testing::shared_path;

namespace {

const std::string kDev = "data/corpora/ud_english_ewt/en_ewt-ud-dev.conllu";

// "# text = ..." of every sentence, read independently of the reader.
std::vector<std::string> sentence_texts(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("# text = ", 0) == 0) out.push_back(line.substr(9));
  return out;
}

std::string row(const std::string& id, const std::string& form, const std::string& lemma,
                const std::string& upos, const std::string& xpos, const std::string& feats,
                const std::string& head, const std::string& dep, const std::string& misc = "_") {
  return id + "\t" + form + "\t" + lemma + "\t" + upos + "\t" + xpos + "\t" + feats + "\t" + head +
         "\t" + dep + "\t_\t" + misc + "\n";
}

DataError conllu_error(const std::string& text) {
  return trfpipe::testing::expect_data_error(
      [&] { parse_conllu(text, "bad.conllu", std::make_shared<Vocab>(), 1); });
}

}  // namespace

TEST(Conllu, UdEwtDevCountsSentencesAndTokens) {
  auto vocab = std::make_shared<Vocab>();
  std::vector<Doc> docs = read_conllu(shared_path(kDev), vocab, 1);
  EXPECT_EQ(docs.size(), 2001u);  // README: dev 2,001 sentences / 25,147 tokens
  size_t tokens = 0;
  for (auto& d : docs) tokens += d.size();
  EXPECT_EQ(tokens, 25147u);
}

TEST(Conllu, UdEwtDevTextMatchesSentenceTextWithSpaceAfter) {
  auto vocab = std::make_shared<Vocab>();
  std::vector<Doc> docs = read_conllu(shared_path(kDev), vocab, 1);
  std::vector<std::string> texts = sentence_texts(shared_path(kDev));
  ASSERT_EQ(docs.size(), texts.size());
  size_t mismatches = 0;
  for (size_t k = 0; k < docs.size(); ++k) {
    std::string text = docs[k].text();
    if (!text.empty() && text.back() == ' ') text.pop_back();  // last token's own SpaceAfter
    if (text != texts[k]) {
      if (++mismatches < 5) ADD_FAILURE() << "sentence " << k << ": '" << text << "' vs '" << texts[k] << "'";
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(Conllu, UdEwtDevGroupsTenSentencesPerDoc) {
  auto vocab = std::make_shared<Vocab>();
  std::vector<Doc> docs = read_conllu(shared_path(kDev), vocab, 10);
  EXPECT_EQ(docs.size(), (2001u + 9) / 10);
  size_t tokens = 0, starts = 0;
  for (auto& d : docs) {
    tokens += d.size();
    for (auto& t : d.tokens()) starts += t.sent_start == 1;
  }
  for (size_t k = 0; k + 1 < docs.size(); ++k) EXPECT_EQ(docs[k].sents().size(), 10u) << k;
  EXPECT_EQ(docs.back().sents().size(), 1u);
  EXPECT_EQ(tokens, 25147u);
  EXPECT_EQ(starts, 2001u);
  // Sentences are joined with a space even when the last token had SpaceAfter=No.
  std::vector<std::string> texts = sentence_texts(shared_path(kDev));
  std::string joined;
  for (size_t k = 0; k < 10; ++k) joined += texts[k] + " ";
  EXPECT_EQ(docs[0].text().substr(0, joined.size() - 1), joined.substr(0, joined.size() - 1));
}

TEST(Conllu, UdEwtDevAnnotations) {
  auto vocab = std::make_shared<Vocab>();
  std::vector<Doc> docs = read_conllu(shared_path(kDev), vocab, 1);
  // Every doc has exactly one root per sentence, heads inside the doc, pos/tag set.
  size_t roots = 0;
  for (auto& d : docs) {
    for (size_t i = 0; i < d.size(); ++i) {
      const TokenData& t = d.tokens()[i];
      ASSERT_GE(int64_t(i) + t.head, 0);
      ASSERT_LT(int64_t(i) + t.head, int64_t(d.size()));
      if (t.head == 0) ++roots;
      EXPECT_NE(t.tag, 0u);
      EXPECT_NE(t.pos, 0u);
    }
  }
  EXPECT_EQ(roots, 2001u);
}

TEST(Conllu, MultiwordTokensEmptyNodesAndFields) {
  std::string text =
      "# sent_id = 1\n"
      "# text = I can't go.\n" +
      row("1", "I", "I", "PRON", "PRP", "Case=Nom|Number=Sing|Person=1", "3", "nsubj") +
      row("2-3", "can't", "_", "_", "_", "_", "_", "_", "_") +
      row("2", "ca", "can", "AUX", "MD", "VerbForm=Fin", "4", "aux", "SpaceAfter=No") +
      row("3", "n't", "not", "PART", "_", "_", "4", "advmod") +
      row("3.1", "elided", "elide", "VERB", "VB", "_", "_", "_") +
      row("4", "go", "go", "VERB", "VB", "VerbForm=Inf", "0", "root", "SpaceAfter=No") +
      row("5", ".", ".", "PUNCT", ".", "_", "4", "punct") + "\n";
  // Fix heads: n't and ca attach to go (4 after skipping), I to go.
  auto vocab = std::make_shared<Vocab>();
  std::vector<Doc> docs = parse_conllu(text, "t.conllu", vocab, 1);
  ASSERT_EQ(docs.size(), 1u);
  Doc& d = docs[0];
  ASSERT_EQ(d.size(), 5u);
  EXPECT_EQ(d.text(), "I can't go. ");
  EXPECT_EQ(d.token(1).lemma_(), "can");
  EXPECT_EQ(d.token(2).tag_(), "PART");  // XPOS "_" -> UPOS
  EXPECT_EQ(d.token(2).pos_(), "PART");
  EXPECT_EQ(d.token(3).dep_(), "ROOT");
  EXPECT_EQ(d.tokens()[3].head, 0);
  EXPECT_EQ(d.tokens()[0].head, 2);   // "I" -> token 3 (1-based) = "n't"? ID 3 is n't: 2 - 0
  EXPECT_EQ(d.token(0).morph_(), "Case=Nom|Number=Sing|Person=1");
  EXPECT_EQ(d.tokens()[2].morph, string_id("_"));  // empty analysis, as spaCy
  EXPECT_EQ(d.tokens()[0].sent_start, 1);
  EXPECT_EQ(d.tokens()[1].sent_start, -1);
  EXPECT_EQ(d.tokens()[0].ent_iob, 0);  // no NER in the input
}

TEST(Conllu, FeatsAreNormalizedAndMorphologyAppended) {
  std::string text = row("1", "Dogs", "dog", "NOUN", "NNS", "Number=Plur|Case=Nom,Acc", "0", "root") + "\n";
  auto vocab = std::make_shared<Vocab>();
  auto docs = parse_conllu(text, "t.conllu", vocab, 1, /*append_morphology=*/true);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].token(0).morph_(), "Case=Acc,Nom|Number=Plur");
  EXPECT_EQ(docs[0].token(0).tag_(), "NNS__Number=Plur|Case=Nom,Acc");
}

TEST(Conllu, NerFromMisc) {
  std::string text = row("1", "Ann", "Ann", "PROPN", "NNP", "_", "2", "nsubj", "NE=B-PER") +
                     row("2", "met", "meet", "VERB", "VBD", "_", "0", "root", "O") +
                     row("3", "New", "New", "PROPN", "NNP", "_", "4", "compound", "name=B-GPE") +
                     row("4", "York", "York", "PROPN", "NNP", "_", "2", "obj", "name=I-GPE|SpaceAfter=No") +
                     row("5", ".", ".", "PUNCT", ".", "_", "2", "punct", "_") + "\n";
  auto vocab = std::make_shared<Vocab>();
  auto docs = parse_conllu(text, "t.conllu", vocab, 1);
  ASSERT_EQ(docs.size(), 1u);
  auto ents = docs[0].ents();
  ASSERT_EQ(ents.size(), 2u);
  EXPECT_EQ(ents[0].label_(), "PER");
  EXPECT_EQ(ents[1].start(), 2u);
  EXPECT_EQ(ents[1].end(), 4u);
  EXPECT_EQ(ents[1].label_(), "GPE");
  EXPECT_EQ(docs[0].tokens()[4].ent_iob, 2);  // "O" when the file has NER
  EXPECT_EQ(docs[0].text(), "Ann met New York. ");
}

TEST(Conllu, ZeroNSentsPutsEverythingInOneDoc) {
  std::string s = row("1", "Hi", "hi", "INTJ", "UH", "_", "0", "root") + "\n";
  auto docs = parse_conllu(s + s + s, "t.conllu", std::make_shared<Vocab>(), 0);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].text(), "Hi Hi Hi ");
  EXPECT_EQ(docs[0].sents().size(), 3u);
}

TEST(ConlluErrors, WrongColumnCountNamesLine) {
  DataError e = conllu_error("# c\n1\tHi\thi\tINTJ\n");
  EXPECT_EQ(e.file(), "bad.conllu");
  EXPECT_EQ(e.line(), 2);
}

TEST(ConlluErrors, BadIdsAndHeads) {
  EXPECT_EQ(conllu_error(row("x", "Hi", "hi", "INTJ", "UH", "_", "0", "root")).line(), 1);
  EXPECT_EQ(conllu_error(row("2", "Hi", "hi", "INTJ", "UH", "_", "0", "root")).line(), 1);
  EXPECT_EQ(conllu_error(row("1", "Hi", "hi", "INTJ", "UH", "_", "x", "root")).line(), 1);
  DataError e = conllu_error(row("1", "Hi", "hi", "INTJ", "UH", "_", "0", "root") +
                             row("2", "there", "there", "ADV", "RB", "_", "7", "advmod"));
  EXPECT_EQ(e.line(), 2);
  EXPECT_NE(std::string(e.what()).find("outside the sentence"), std::string::npos);
  EXPECT_EQ(conllu_error(row("1-x", "Hi", "_", "_", "_", "_", "_", "_")).line(), 1);
  EXPECT_GT(conllu_error(row("1-2", "Hi", "_", "_", "_", "_", "_", "_") +
                         row("1", "H", "h", "INTJ", "UH", "_", "0", "root")).line(), 0);
}

TEST(ConlluErrors, UnknownUposAndBadFeats) {
  EXPECT_EQ(conllu_error(row("1", "Hi", "hi", "NOTAPOS", "UH", "_", "0", "root")).line(), 1);
  EXPECT_EQ(conllu_error("\n" + row("1", "Hi", "hi", "INTJ", "UH", "NoEquals", "0", "root")).line(), 2);
}

TEST(ConlluErrors, MissingFile) {
  EXPECT_THROW(read_conllu("/nonexistent.conllu", std::make_shared<Vocab>()), DataError);
}

TEST(Conllu, ByteOrderMarkAndCrlfAreAccepted) {
  std::string text = "\xEF\xBB\xBF# text = Hi\r\n" + row("1", "Hi", "hi", "INTJ", "UH", "_", "0", "root");
  text.insert(text.size() - 1, "\r");
  auto docs = parse_conllu(text, "t.conllu", std::make_shared<Vocab>(), 1);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(std::string(docs[0].token(0).text()), "Hi");
  EXPECT_EQ(docs[0].token(0).dep_(), "ROOT");
}

TEST(Conllu, SentenceStartsFollowTheParse) {
  auto vocab = std::make_shared<Vocab>();
  std::vector<Doc> docs = read_conllu(shared_path(kDev), vocab, 10);
  size_t sents = 0;
  for (auto& d : docs) {
    for (Span& s : d.sents()) {
      ++sents;
      for (size_t i = s.start(); i < s.end(); ++i) {
        const size_t h = d[i].head().i();
        ASSERT_TRUE(h >= s.start() && h < s.end()) << "token " << i;
      }
      // One root per sentence, the sentence is its subtree.
      EXPECT_EQ(s.root().left_edge().i(), s.start());
      EXPECT_EQ(s.root().right_edge().i() + 1, s.end());
    }
  }
  EXPECT_EQ(sents, 2001u);
}

TEST(ConlluErrors, HeadOutOfRangeInAFileNamesTheFileAndLine) {
  trfpipe::testing::TempDir tmp;
  const std::string path = tmp.file(
      "heads.conllu", "# sent_id = 1\n" + row("1", "Hi", "hi", "INTJ", "UH", "_", "0", "root") +
                          row("2", "you", "you", "PRON", "PRP", "_", "12", "vocative") + "\n");
  DataError e = trfpipe::testing::expect_data_error(
      [&] { read_conllu(path, std::make_shared<Vocab>(), 1); });
  EXPECT_EQ(e.file(), path);
  EXPECT_EQ(e.line(), 3);
  EXPECT_NE(std::string(e.what()).find("HEAD 12"), std::string::npos) << e.what();
  // A cyclic tree reads (spaCy's converter does not check); the parser rejects it in training.
  std::vector<Doc> docs = parse_conllu(row("1", "a", "a", "X", "X", "_", "2", "dep") +
                                           row("2", "b", "b", "X", "X", "_", "1", "dep"),
                                       "cyc.conllu", std::make_shared<Vocab>(), 1);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0][0].head().i(), 1u);
  EXPECT_EQ(docs[0][0].ancestors().size(), 2u);  // bounded on a cycle
}
