// Random mixed-script texts through every tokenizer: no crash, offsets in bounds, on character
// boundaries and non-decreasing; byte-level BPE pieces decode back to exactly the input.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tokenization/golden.hpp"
#include "trfpipe/subword_tokenizer.hpp"

namespace {

using trfpipe::testing::kGolden;
using trfpipe::testing::kTok;

std::vector<std::string> random_texts(size_t n, uint32_t seed) {
  const std::vector<std::string> pool = {
      "a", "B", "z", "Q", "0", "7", " ", " ", "  ", "\n", "\t", "\r\n", ".", ",", "'", "'s", "'ll", "-", "\"",
      "#", "##", "$", "é", "É", "ñ", "ü", "ß", "İ", "ﬁ", "Ⅻ", "１", "Ａ", "東", "京", "한", "国", "き",
      "\xCC\x81" /* combining acute */, "\xE2\x80\x8B" /* ZWSP */, "\xC2\xA0" /* NBSP */,
      "\xE3\x80\x80" /* ideographic space */, "\xE2\x80\x94", "…", "€", "😀", "🇩🇪", "👩‍👧",
      "\x01", "\x7F", "\xC2\x85", "\xEF\xBF\xBD", "[CLS]", "<|endoftext|>", "hello", "World",
      "encode", "supercalifragilistic", "https://example.com/a?b=c"};
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    std::string t;
    size_t len = rng() % 40;
    for (size_t k = 0; k < len; ++k) t += pool[rng() % pool.size()];
    out.push_back(t);
  }
  return out;
}

void check_offsets(const std::string& text, const trfpipe::Encoding& e) {
  int64_t prev = 0;
  for (size_t k = 0; k < e.size(); ++k) {
    if (e.special_tokens_mask[k]) continue;
    auto [s, en] = e.offsets[k];
    ASSERT_LE(0, s) << text;
    ASSERT_LE(s, en) << text;
    ASSERT_LE(en, static_cast<int64_t>(text.size())) << text;
    ASSERT_LE(prev, s) << text;
    prev = s;
    auto boundary = [&](int64_t b) {
      return b == static_cast<int64_t>(text.size()) || (static_cast<unsigned char>(text[b]) & 0xC0) != 0x80;
    };
    ASSERT_TRUE(boundary(s) && boundary(en)) << text;
  }
  ASSERT_EQ(e.offsets_codepoints.size(), e.size());
}

TEST(SubwordRandomText, WordPieceOffsetsStayOnCharacterBoundaries) {
  trfpipe::SubwordTokenizerOptions o;
  o.lowercase = true;
  auto tok = trfpipe::load_subword_tokenizer(kTok + "bert-base-uncased-vocab.txt", o);
  for (const auto& t : random_texts(3000, 1)) check_offsets(t, tok->encode(t));
}

TEST(SubwordRandomText, SentencePieceOffsetsStayOnCharacterBoundaries) {
  auto tok = trfpipe::load_subword_tokenizer(kTok + "albert-30k-clean.model");
  for (const auto& t : random_texts(3000, 2)) check_offsets(t, tok->encode(t));
}

TEST(SubwordRandomText, ByteLevelPiecesDecodeToTheInput) {
  auto tok = trfpipe::load_subword_tokenizer(kGolden + "gpt2.tokenizer.json");
  // Inverse of GPT-2's byte -> code point map.
  std::vector<int> inv(512, -1);
  int extra = 0;
  for (int b = 0; b < 256; ++b) {
    bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    inv[static_cast<size_t>(printable ? b : 256 + extra++)] = b;
  }
  size_t checked = 0;
  for (const auto& t : random_texts(3000, 3)) {
    auto e = tok->encode(t, false);
    check_offsets(t, e);
    std::string decoded;
    for (const auto& piece : e.tokens) {
      if (piece == "<|endoftext|>") continue;
      const auto* s = reinterpret_cast<const unsigned char*>(piece.data());
      for (size_t i = 0; i < piece.size();) {
        uint32_t cp;
        if (s[i] < 0x80) {
          cp = s[i];
          i += 1;
        } else {
          cp = ((s[i] & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu);  // all mapped code points are < 0x800
          i += 2;
        }
        ASSERT_LT(cp, inv.size());
        ASSERT_GE(inv[cp], 0);
        decoded.push_back(static_cast<char>(inv[cp]));
      }
    }
    if (t.find("<|endoftext|>") == std::string::npos) {
      ASSERT_EQ(decoded, t);
      ++checked;
    }
  }
  EXPECT_GT(checked, 1000u);
}

}  // namespace
