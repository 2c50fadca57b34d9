// Exact parity with Hugging Face tokenizers 0.22 / sentencepiece 0.1.97 on every row of
// ../shared/data/golden/tokenization/, through every loader.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tokenization/golden.hpp"
#include "trfpipe/subword_tokenizer.hpp"

namespace {

using trfpipe::testing::kGolden;
using trfpipe::testing::kTok;
using trfpipe::testing::read_jsonl;

std::vector<std::vector<int64_t>> pairs(const std::vector<trfpipe::Offset>& o) {
  std::vector<std::vector<int64_t>> v;
  for (const auto& p : o) v.push_back({p.first, p.second});
  return v;
}

struct Report {
  size_t rows = 0, mismatches = 0;
  std::string first;
};

// Compares every row (ids, pieces, UTF-8 byte offsets); with codepoints the golden's
// offsets_codepoints are checked as well.
Report run_golden(const trfpipe::SubwordTokenizer& tok, const std::string& golden_file,
                  const char* tokens_key, bool codepoints) {
  Report r;
  auto rows = read_jsonl(kGolden + golden_file);
  EXPECT_GT(rows.size(), 3000u) << golden_file;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    std::string text = row["text"].get<std::string>();
    trfpipe::Encoding e = tok.encode(text, true);
    std::vector<std::string> diffs;
    if (e.ids != row["ids"].get<std::vector<int64_t>>()) diffs.push_back("ids");
    if (e.tokens != row[tokens_key].get<std::vector<std::string>>()) diffs.push_back(tokens_key);
    if (pairs(e.offsets) !=
        row["offsets_utf8"].get<std::vector<std::vector<int64_t>>>())
      diffs.push_back("offsets_utf8");
    if (codepoints &&
        pairs(e.offsets_codepoints) != row["offsets_codepoints"].get<std::vector<std::vector<int64_t>>>())
      diffs.push_back("offsets_codepoints");
    // Every non-special piece slices the original text on character boundaries.
    for (size_t k = 0; k < e.size(); ++k) {
      auto [s, en] = e.offsets[k];
      bool bad = s < 0 || en < s || en > static_cast<int64_t>(text.size()) ||
                 (s < static_cast<int64_t>(text.size()) && (static_cast<unsigned char>(text[s]) & 0xC0) == 0x80);
      if (bad) {
        diffs.push_back("offset slice");
        break;
      }
    }
    ++r.rows;
    if (!diffs.empty()) {
      if (r.mismatches++ == 0) {
        std::ostringstream ss;
        ss << "row " << i << " differs in";
        for (auto& d : diffs) ss << " " << d;
        nlohmann::json got;
        got["ids"] = e.ids;
        got["tokens"] = e.tokens;
        got["offsets_utf8"] = pairs(e.offsets);
        got["offsets_codepoints"] = pairs(e.offsets_codepoints);
        ss << "\n expected: " << row.dump() << "\n got:      " << got.dump();
        r.first = ss.str();
      }
    }
  }
  return r;
}

void expect_parity(const Report& r, const std::string& name) {
  EXPECT_EQ(r.mismatches, 0u) << name << ": " << r.mismatches << " of " << r.rows
                              << " rows differ; first: " << r.first;
}

TEST(SubwordGolden, BertVocabTxtMatchesHuggingFace) {
  trfpipe::SubwordTokenizerOptions o;
  o.lowercase = true;
  auto tok = trfpipe::load_subword_tokenizer(kTok + "bert-base-uncased-vocab.txt", o);
  EXPECT_EQ(tok->family(), trfpipe::TokenizerFamily::Bert);
  expect_parity(run_golden(*tok, "bert-base-uncased.jsonl", "tokens", true), "vocab.txt");
}

TEST(SubwordGolden, BertTokenizerJsonMatchesHuggingFace) {
  auto tok = trfpipe::load_subword_tokenizer(kGolden + "bert-base-uncased.tokenizer.json");
  EXPECT_EQ(tok->family(), trfpipe::TokenizerFamily::Bert);
  expect_parity(run_golden(*tok, "bert-base-uncased.jsonl", "tokens", true), "tokenizer.json");
}

TEST(SubwordGolden, Gpt2VocabFilesMatchHuggingFace) {
  trfpipe::SubwordTokenizerOptions o;
  o.merges = kTok + "gpt2-vocab.bpe";
  auto tok = trfpipe::load_subword_tokenizer(kTok + "gpt2-encoder.json", o);
  EXPECT_EQ(tok->family(), trfpipe::TokenizerFamily::Gpt2);
  expect_parity(run_golden(*tok, "gpt2.jsonl", "tokens", true), "vocab.json + merges");
}

TEST(SubwordGolden, Gpt2TokenizerJsonMatchesHuggingFace) {
  auto tok = trfpipe::load_subword_tokenizer(kGolden + "gpt2.tokenizer.json");
  EXPECT_EQ(tok->family(), trfpipe::TokenizerFamily::Gpt2);
  expect_parity(run_golden(*tok, "gpt2.jsonl", "tokens", true), "tokenizer.json");
}

TEST(SubwordGolden, AlbertSentencePieceMatchesReference) {
  auto tok = trfpipe::load_subword_tokenizer(kTok + "albert-30k-clean.model");
  EXPECT_EQ(tok->family(), trfpipe::TokenizerFamily::SentencePiece);
  EXPECT_EQ(tok->vocab_size(), 30000u);
  expect_parity(run_golden(*tok, "albert-30k-clean.spm.jsonl", "pieces", true), "spiece.model");
}

}  // namespace
