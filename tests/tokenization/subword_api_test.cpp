// Special-token templates, padding/truncation, save/load round trips, thread safety and the
// error paths of the subword tokenizers.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/temp_dir.hpp"
#include "tokenization/golden.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/subword_tokenizer.hpp"

namespace {

using trfpipe::testing::kGolden;
using trfpipe::testing::TempDir;
using trfpipe::testing::kTok;

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
void spit(const std::string& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary);
  out << data;
}

// A fresh temporary folder per test, removed afterwards.
std::unique_ptr<trfpipe::SubwordTokenizer> bert() {
  trfpipe::SubwordTokenizerOptions o;
  o.lowercase = true;
  return trfpipe::load_subword_tokenizer(kTok + "bert-base-uncased-vocab.txt", o);
}

std::vector<std::string> golden_texts(size_t limit) {
  std::ifstream in(kGolden + "texts.jsonl");
  std::vector<std::string> texts;
  std::string line;
  while (texts.size() < limit && std::getline(in, line))
    texts.push_back(nlohmann::json::parse(line)["text"].get<std::string>());
  return texts;
}

TEST(SubwordTemplate, BertPairHasTypeIdsAndSeparators) {
  auto tok = bert();
  auto e = tok->encode_pair("Hello there", "General Kenobi");
  ASSERT_EQ(e.tokens.front(), "[CLS]");
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"[CLS]", "hello", "there", "[SEP]", "general", "ken",
                                                "##ob", "##i", "[SEP]"}));
  EXPECT_EQ(e.type_ids, (std::vector<int64_t>{0, 0, 0, 0, 1, 1, 1, 1, 1}));
  EXPECT_EQ(e.special_tokens_mask, (std::vector<int64_t>{1, 0, 0, 1, 0, 0, 0, 0, 1}));
  // Offsets of the second sequence refer to the second text.
  EXPECT_EQ(e.offsets[4], (trfpipe::Offset{0, 7}));
  auto plain = tok->encode("Hello there", false);
  EXPECT_EQ(plain.tokens, (std::vector<std::string>{"hello", "there"}));
  EXPECT_EQ(tok->model_max_length(), 512u);
  EXPECT_EQ(tok->token_to_id("[MASK]"), 103);
  EXPECT_EQ(tok->id_to_token(2182), "here");
  EXPECT_EQ(tok->token_to_id("no-such-token"), -1);
  EXPECT_EQ(tok->vocab_size(), 30522u);
  EXPECT_EQ(tok->special_tokens().pad, "[PAD]");
}

TEST(SubwordTemplate, BertSpecialTokensInTextAreMatchedBeforeNormalization) {
  auto tok = bert();
  auto e = tok->encode("a [SEP] b", false);
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"a", "[SEP]", "b"}));
  EXPECT_EQ(e.ids[1], 102);
  EXPECT_EQ(e.offsets[1], (trfpipe::Offset{2, 7}));
}

TEST(SubwordTemplate, RobertaFolderUsesSAndSlashS) {
  TempDir d;
  auto vocab = nlohmann::json::parse(slurp(kTok + "gpt2-encoder.json"));
  int64_t next = static_cast<int64_t>(vocab.size());
  for (const char* t : {"<s>", "</s>", "<pad>", "<unk>", "<mask>"}) vocab[t] = next++;
  spit(d / "vocab.json", vocab.dump());
  spit(d / "merges.txt", slurp(kTok + "gpt2-vocab.bpe"));
  spit(d / "tokenizer_config.json", R"({"tokenizer_class": "RobertaTokenizer", "model_max_length": 514})");
  auto tok = trfpipe::load_subword_tokenizer(d.path.string());
  EXPECT_EQ(tok->family(), trfpipe::TokenizerFamily::Roberta);
  EXPECT_EQ(tok->model_max_length(), 514u);
  auto e = tok->encode_pair("Hello world", "Hello");
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"<s>", "Hello", "Ġworld", "</s>", "</s>", "Hello", "</s>"}));
  EXPECT_EQ(e.type_ids, std::vector<int64_t>(7, 0));
  EXPECT_EQ(e.offsets[2], (trfpipe::Offset{6, 11}));
  // Batch padding uses <pad>.
  auto batch = tok->encode_batch({"Hi", "Hello world again"});
  ASSERT_EQ(batch[0].size(), batch[1].size());
  EXPECT_EQ(batch[0].ids.back(), tok->token_to_id("<pad>"));
  EXPECT_EQ(batch[0].attention_mask.back(), 0);
}

TEST(SubwordTemplate, AlbertFolderLowercasesAndKeepsOriginalOffsets) {
  TempDir d;
  spit(d / "spiece.model", slurp(kTok + "albert-30k-clean.model"));
  spit(d / "tokenizer_config.json", R"({"tokenizer_class": "AlbertTokenizer", "do_lower_case": true})");
  auto tok = trfpipe::load_subword_tokenizer(d.path.string());
  EXPECT_EQ(tok->family(), trfpipe::TokenizerFamily::Albert);
  std::string text = "Hello WORLD";
  auto e = tok->encode(text);
  ASSERT_GE(e.size(), 4u);
  EXPECT_EQ(e.tokens.front(), "[CLS]");
  EXPECT_EQ(e.tokens.back(), "[SEP]");
  EXPECT_EQ(e.ids.front(), 2);
  EXPECT_EQ(e.ids.back(), 3);
  EXPECT_EQ(e.tokens[1], "▁hello");
  EXPECT_EQ(e.tokens[2], "▁world");
  EXPECT_EQ(text.substr(e.offsets[2].first, e.offsets[2].second - e.offsets[2].first), " WORLD");
}

TEST(SubwordTemplate, XlnetTemplateFromTokenizerJsonPutsClsLastAndPadsLeft) {
  TempDir d;
  auto j = nlohmann::ordered_json::parse(slurp(kGolden + "bert-base-uncased.tokenizer.json"));
  j["post_processor"] = nlohmann::ordered_json::parse(R"({"type": "TemplateProcessing",
    "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
               {"SpecialToken": {"id": "[CLS]", "type_id": 2}}],
    "pair": [], "special_tokens": {}})");
  spit(d / "tokenizer.json", j.dump());
  auto tok = trfpipe::load_subword_tokenizer(d / "tokenizer.json");
  EXPECT_EQ(tok->family(), trfpipe::TokenizerFamily::Xlnet);
  auto e = tok->encode("here is");
  EXPECT_EQ(e.ids, (std::vector<int64_t>{2182, 2003, 102, 101}));
  EXPECT_EQ(e.type_ids, (std::vector<int64_t>{0, 0, 0, 2}));
  auto batch = tok->encode_batch({"here", "here is some"});
  EXPECT_EQ(batch[0].attention_mask.front(), 0);
  EXPECT_EQ(batch[0].attention_mask.back(), 1);
  EXPECT_EQ(batch[0].ids.back(), 101);
}

TEST(SubwordBatch, PadsToLongestAndTruncatesKeepingSpecials) {
  auto tok = bert();
  auto b = tok->encode_batch({"a b c d e f g", "a"}, trfpipe::Padding::Longest,
                             trfpipe::Truncation::LongestFirst, 5);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].tokens, (std::vector<std::string>{"[CLS]", "a", "b", "c", "[SEP]"}));
  EXPECT_EQ(b[1].tokens, (std::vector<std::string>{"[CLS]", "a", "[SEP]", "[PAD]", "[PAD]"}));
  EXPECT_EQ(b[1].attention_mask, (std::vector<int64_t>{1, 1, 1, 0, 0}));
  EXPECT_EQ(b[1].ids[3], 0);
  EXPECT_EQ(b[1].offsets.size(), 5u);
  EXPECT_EQ(b[1].offsets_codepoints.size(), 5u);
  auto m = tok->encode_batch({"a"}, trfpipe::Padding::MaxLength, trfpipe::Truncation::None, 8);
  EXPECT_EQ(m[0].size(), 8u);
  auto none = tok->encode_batch({"a b", "a"}, trfpipe::Padding::None);
  EXPECT_EQ(none[0].size(), 4u);
  EXPECT_EQ(none[1].size(), 3u);
  // Without truncation a long text keeps all its pieces (spacy-transformers truncates later).
  std::string long_text;
  for (int i = 0; i < 600; ++i) long_text += "word ";
  EXPECT_EQ(tok->encode_batch({long_text})[0].size(), 602u);
  EXPECT_EQ(tok->encode_batch({long_text}, trfpipe::Padding::None, trfpipe::Truncation::LongestFirst)[0].size(), 512u);
  EXPECT_THROW(tok->encode_batch({"a"}, trfpipe::Padding::None, trfpipe::Truncation::LongestFirst, 1),
               trfpipe::ValueError);
}

TEST(SubwordBatch, Gpt2WithoutPadTokenPadsWithEndOfText) {
  auto tok = trfpipe::load_subword_tokenizer(kGolden + "gpt2.tokenizer.json");
  EXPECT_EQ(tok->pad_id(), 50256);
  auto b = tok->encode_batch({"Hello world", "Hi"});
  ASSERT_EQ(b[1].size(), 2u);
  EXPECT_EQ(b[1].ids, (std::vector<int64_t>{17250, 50256}));
  EXPECT_EQ(b[1].tokens[1], "<|endoftext|>");
  EXPECT_EQ(b[1].attention_mask, (std::vector<int64_t>{1, 0}));
}

TEST(SubwordSave, EveryKindRoundTripsThroughItsFolder) {
  std::vector<std::string> texts = golden_texts(300);
  std::vector<std::unique_ptr<trfpipe::SubwordTokenizer>> toks;
  toks.push_back(bert());
  toks.push_back(trfpipe::load_subword_tokenizer(kGolden + "gpt2.tokenizer.json"));
  trfpipe::SubwordTokenizerOptions o;
  o.merges = kTok + "gpt2-vocab.bpe";
  toks.push_back(trfpipe::load_subword_tokenizer(kTok + "gpt2-encoder.json", o));
  toks.push_back(trfpipe::load_subword_tokenizer(kGolden + "bert-base-uncased.tokenizer.json"));
  for (auto& tok : toks) {
    TempDir d;
    tok->save(d / "saved");
    auto again = trfpipe::load_subword_tokenizer(d / "saved");
    EXPECT_EQ(again->family(), tok->family());
    EXPECT_EQ(again->vocab_size(), tok->vocab_size());
    EXPECT_EQ(again->model_max_length(), tok->model_max_length());
    for (const auto& t : texts) {
      auto a = tok->encode(t), b = again->encode(t);
      ASSERT_EQ(a.ids, b.ids) << family_name(tok->family()) << ": " << t;
      ASSERT_EQ(a.offsets, b.offsets) << t;
    }
  }
}

TEST(SubwordSave, SentencePieceFolderRoundTrips) {
  TempDir d;
  spit(d / "spiece.model", slurp(kTok + "albert-30k-clean.model"));
  spit(d / "tokenizer_config.json", R"({"tokenizer_class": "AlbertTokenizer"})");
  auto tok = trfpipe::load_subword_tokenizer(d.path.string());
  tok->save(d / "saved");
  auto again = trfpipe::load_subword_tokenizer(d / "saved");
  EXPECT_EQ(again->family(), trfpipe::TokenizerFamily::Albert);
  for (const auto& t : golden_texts(200)) ASSERT_EQ(tok->encode(t).ids, again->encode(t).ids) << t;
}

// One tokenizer object, many threads: the same results as one thread.
void check_threads(const trfpipe::SubwordTokenizer& tok) {
  std::vector<std::string> texts = golden_texts(4000);
  std::vector<std::vector<int64_t>> expect;
  std::vector<std::vector<trfpipe::Offset>> expect_off;
  for (const auto& t : texts) {
    auto e = tok.encode(t);
    expect.push_back(e.ids);
    expect_off.push_back(e.offsets);
  }
  const int n_threads = 8;
  std::vector<size_t> bad(n_threads, 0);
  std::vector<std::thread> pool;
  for (int w = 0; w < n_threads; ++w) {
    pool.emplace_back([&, w] {
      // Each thread walks the texts from a different start so the caches race.
      for (size_t k = 0; k < texts.size(); ++k) {
        size_t i = (k + static_cast<size_t>(w) * 457) % texts.size();
        auto e = tok.encode(texts[i]);
        if (e.ids != expect[i] || e.offsets != expect_off[i]) ++bad[static_cast<size_t>(w)];
      }
    });
  }
  for (auto& t : pool) t.join();
  for (int w = 0; w < n_threads; ++w) EXPECT_EQ(bad[static_cast<size_t>(w)], 0u) << "thread " << w;
}

TEST(SubwordThreads, SharedWordPieceGivesSameResults) { check_threads(*bert()); }

TEST(SubwordThreads, SharedByteBpeWithCacheGivesSameResults) {
  // A fresh object: the word cache fills while the threads run.
  auto tok = trfpipe::load_subword_tokenizer(kGolden + "gpt2.tokenizer.json");
  check_threads(*tok);
}

TEST(SubwordThreads, SharedSentencePieceGivesSameResults) {
  check_threads(*trfpipe::load_subword_tokenizer(kTok + "albert-30k-clean.model"));
}

TEST(SubwordErrors, FolderWithoutTokenizerFilesNamesWhatIsMissing) {
  TempDir d;
  try {
    trfpipe::load_subword_tokenizer(d.path.string());
    FAIL() << "no error";
  } catch (const trfpipe::Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("tokenizer.json"), std::string::npos) << m;
    EXPECT_NE(m.find("vocab.txt"), std::string::npos) << m;
    EXPECT_NE(m.find("spiece.model"), std::string::npos) << m;
  }
}

TEST(SubwordErrors, VocabJsonWithoutMergesNamesTheMergesFile) {
  TempDir d;
  spit(d / "vocab.json", R"({"a": 0, "b": 1})");
  try {
    trfpipe::load_subword_tokenizer(d.path.string());
    FAIL() << "no error";
  } catch (const trfpipe::Error& e) {
    EXPECT_NE(std::string(e.what()).find("merges.txt"), std::string::npos) << e.what();
  }
}

TEST(SubwordErrors, MissingPathIsAnError) {
  EXPECT_THROW(trfpipe::load_subword_tokenizer("/nonexistent/vocab.txt"), trfpipe::Error);
  EXPECT_THROW(trfpipe::load_subword_tokenizer(""), trfpipe::Error);
}

TEST(SubwordErrors, MalformedTokenizerJsonIsAnError) {
  TempDir d;
  spit(d / "tokenizer.json", "{\"model\": {\"type\": \"WordPiece\", ");
  try {
    trfpipe::load_subword_tokenizer(d.path.string());
    FAIL() << "no error";
  } catch (const trfpipe::Error& e) {
    EXPECT_NE(std::string(e.what()).find("malformed tokenizer.json"), std::string::npos) << e.what();
  }
  spit(d / "tokenizer.json", R"({"version": "1.0"})");
  EXPECT_THROW(trfpipe::load_subword_tokenizer(d / "tokenizer.json"), trfpipe::Error);
  spit(d / "tokenizer.json", R"({"model": {"type": "WordPiece", "vocab": {"a": "x"}},
                                  "pre_tokenizer": {"type": "BertPreTokenizer"}})");
  EXPECT_THROW(trfpipe::load_subword_tokenizer(d / "tokenizer.json"), trfpipe::Error);
}

TEST(SubwordErrors, UnknownModelTypeIsNamed) {
  TempDir d;
  spit(d / "tokenizer.json", R"({"model": {"type": "Sparkles", "vocab": {}}})");
  try {
    trfpipe::load_subword_tokenizer(d / "tokenizer.json");
    FAIL() << "no error";
  } catch (const trfpipe::Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown model type 'Sparkles'"), std::string::npos) << e.what();
  }
}

TEST(SubwordErrors, UnknownTokenMissingFromVocabIsAnError) {
  TempDir d;
  spit(d / "vocab.txt", "a\nb\n");
  EXPECT_THROW(trfpipe::load_subword_tokenizer(d / "vocab.txt"), trfpipe::Error);
}

TEST(SubwordErrors, ShimNotFoundWhenEnvPointsNowhere) {
  ::setenv("TRFPIPE_SENTENCEPIECE_SHIM", "/nonexistent/libtrfpipe_sentencepiece.so", 1);
  try {
    trfpipe::load_subword_tokenizer(kTok + "albert-30k-clean.model");
    ::unsetenv("TRFPIPE_SENTENCEPIECE_SHIM");
    FAIL() << "no error";
  } catch (const trfpipe::Error& e) {
    ::unsetenv("TRFPIPE_SENTENCEPIECE_SHIM");
    std::string m = e.what();
    EXPECT_NE(m.find("not found"), std::string::npos) << m;
    EXPECT_NE(m.find("/nonexistent/libtrfpipe_sentencepiece.so"), std::string::npos) << m;
  }
  // Without the variable the shim is found again (beside the build's libraries).
  EXPECT_NO_THROW(trfpipe::load_subword_tokenizer(kTok + "albert-30k-clean.model"));
}

TEST(SubwordErrors, CorruptSentencePieceModelIsAnError) {
  TempDir d;
  spit(d / "bad.model", "this is not a protobuf");
  EXPECT_THROW(trfpipe::load_subword_tokenizer(d / "bad.model"), trfpipe::Error);
}

TEST(SubwordErrors, InvalidUtf8TextIsAValueError) {
  auto tok = bert();
  EXPECT_THROW(tok->encode(std::string("ab\xff") + "c"), trfpipe::ValueError);
}

TEST(SubwordEdge, EmptyAndWhitespaceTextsGiveOnlySpecials) {
  auto tok = bert();
  EXPECT_EQ(tok->encode("").ids, (std::vector<int64_t>{101, 102}));
  EXPECT_EQ(tok->encode(" \n\t ").ids, (std::vector<int64_t>{101, 102}));
  auto g = trfpipe::load_subword_tokenizer(kGolden + "gpt2.tokenizer.json");
  EXPECT_TRUE(g->encode("").ids.empty());
  // Over-long words become [UNK] spanning the whole word.
  std::string w(150, 'x');
  auto e = tok->encode("a " + w, false);
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"a", "[UNK]"}));
  EXPECT_EQ(e.offsets[1], (trfpipe::Offset{2, 152}));
}

}  // namespace
