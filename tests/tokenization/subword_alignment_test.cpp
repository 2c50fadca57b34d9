// spaCy token <-> piece alignment (spacy-transformers get_alignment_via_offset_mapping).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "trfpipe/error.hpp"
#include "trfpipe/subword_tokenizer.hpp"

namespace {

using trfpipe::AlignSpan;
using trfpipe::Offset;

const std::string kTok = std::string(TRFPIPE_SHARED_DIR) + "/data/tokenizers/";

std::vector<std::vector<int64_t>> nested(const trfpipe::Ragged& r) {
  std::vector<std::vector<int64_t>> out;
  size_t k = 0;
  for (int64_t len : r.lengths) {
    out.emplace_back(r.data.begin() + static_cast<std::ptrdiff_t>(k),
                     r.data.begin() + static_cast<std::ptrdiff_t>(k + static_cast<size_t>(len)));
    k += static_cast<size_t>(len);
  }
  return out;
}

TEST(PieceAlignment, SeedSentenceAlignsLikeSpacyTransformers) {
  trfpipe::SubwordTokenizerOptions o;
  o.lowercase = true;
  auto tok = trfpipe::load_subword_tokenizer(kTok + "bert-base-uncased-vocab.txt", o);
  std::string text = "Here is some text to encode.";
  auto e = tok->encode(text);
  EXPECT_EQ(e.ids, (std::vector<int64_t>{101, 2182, 2003, 2070, 3793, 2000, 4372, 16044, 1012, 102}));
  // The 7 spaCy tokens: Here is some text to encode .
  std::vector<std::vector<Offset>> docs = {
      {{0, 4}, {5, 7}, {8, 12}, {13, 17}, {18, 20}, {21, 27}, {27, 28}}};
  auto r = trfpipe::align_pieces_to_tokens(docs, {AlignSpan{0, 0, 7, 0}}, {e.offsets_codepoints});
  EXPECT_EQ(nested(r), (std::vector<std::vector<int64_t>>{{1}, {2}, {3}, {4}, {5}, {6, 7}, {8}}));
}

TEST(PieceAlignment, OverlappingSpansUnionPiecesOffsetByPaddedRow) {
  // doc "a b c"; span 0 = "a b", span 1 = "b c"; rows padded to 5.
  std::vector<std::vector<Offset>> docs = {{{0, 1}, {2, 3}, {4, 5}}};
  std::vector<AlignSpan> spans = {{0, 0, 2, 0}, {0, 1, 3, 2}};
  std::vector<std::vector<Offset>> off = {{{0, 0}, {0, 1}, {2, 3}, {0, 0}},
                                          {{0, 0}, {0, 1}, {2, 3}, {0, 0}, {0, 0}}};
  auto r = trfpipe::align_pieces_to_tokens(docs, spans, off);
  EXPECT_EQ(nested(r), (std::vector<std::vector<int64_t>>{{1}, {2, 6}, {7}}));
  // An explicit padded length moves the second span's indices.
  auto r8 = trfpipe::align_pieces_to_tokens(docs, spans, off, 8);
  EXPECT_EQ(nested(r8), (std::vector<std::vector<int64_t>>{{1}, {2, 9}, {10}}));
}

TEST(PieceAlignment, TrailingCharAndLaterTokenOverwrite) {
  // "ab,c": tokens "ab" (0,2) "," (2,3) "c" (3,4); one piece "ab," (0,3) -> tokens 0 and 1:
  // char 3 (after ",") belongs to "c" (later tokens overwrite the trailing char), and a piece
  // reaching past the end still aligns to "c".
  std::vector<std::vector<Offset>> docs = {{{0, 2}, {2, 3}, {3, 4}}};
  std::vector<std::vector<Offset>> off = {{{0, 3}, {3, 5}}};
  auto r = trfpipe::align_pieces_to_tokens(docs, {AlignSpan{0, 0, 3, 0}}, off);
  EXPECT_EQ(nested(r), (std::vector<std::vector<int64_t>>{{0}, {0}, {1}}));
}

TEST(PieceAlignment, DocsGetRowsInFirstAppearanceOrderAndUnspannedTokensAreEmpty) {
  std::vector<std::vector<Offset>> docs = {{{0, 1}, {2, 3}}, {{0, 2}}};
  // Doc 1 first, then a span over the first token of doc 0 only.
  std::vector<AlignSpan> spans = {{1, 0, 1, 0}, {0, 0, 1, 0}};
  std::vector<std::vector<Offset>> off = {{{0, 2}}, {{0, 1}}};
  auto r = trfpipe::align_pieces_to_tokens(docs, spans, off);
  EXPECT_EQ(nested(r), (std::vector<std::vector<int64_t>>{{0}, {1}, {}}));
}

TEST(PieceAlignment, ByteAndCodepointUnitsGiveTheSameAlignment) {
  trfpipe::SubwordTokenizerOptions o;
  o.lowercase = true;
  auto tok = trfpipe::load_subword_tokenizer(kTok + "bert-base-uncased-vocab.txt", o);
  std::string text = "Café ümlaut, naïve—größer 東京 ok";
  // Tokens split on spaces, in bytes and in code points.
  std::vector<Offset> tb, tc;
  size_t start = 0, cps = 0, cp_start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    bool end = i == text.size() || text[i] == ' ';
    if (end) {
      if (i > start) {
        tb.emplace_back(start, i);
        tc.emplace_back(cp_start, cps);
      }
      start = i + 1;
      cp_start = cps + 1;
    }
    if (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++cps;
  }
  auto e = tok->encode(text);
  std::vector<AlignSpan> spans = {{0, 0, static_cast<int64_t>(tb.size()), 0}};
  auto rb = trfpipe::align_pieces_to_tokens({tb}, spans, {e.offsets});
  auto rc = trfpipe::align_pieces_to_tokens({tc}, spans, {e.offsets_codepoints});
  EXPECT_EQ(rb.data, rc.data);
  EXPECT_EQ(rb.lengths, rc.lengths);
  EXPECT_EQ(rb.lengths.size(), tb.size());
  EXPECT_GT(rb.data.size(), tb.size());
}

TEST(PieceAlignment, MismatchedBatchSizesAreAnError) {
  std::vector<std::vector<Offset>> docs = {{{0, 1}}};
  EXPECT_THROW(trfpipe::align_pieces_to_tokens(docs, {AlignSpan{0, 0, 1, 0}}, {}), trfpipe::ValueError);
  EXPECT_THROW(trfpipe::align_pieces_to_tokens(docs, {AlignSpan{3, 0, 1, 0}}, {{{0, 1}}}), trfpipe::ValueError);
  EXPECT_THROW(trfpipe::align_pieces_to_tokens(docs, {AlignSpan{0, 0, 2, 0}}, {{{0, 1}}}), trfpipe::ValueError);
}

}  // namespace
