// The `transformer` component over a tiny XLNet: left-padded batches give each doc what it gets
// alone, doc.tensor and the alignment find the pieces of left-padded rows, truncation keeps each
// row's first pieces, <sep> <cls> end every span and belong to no token, and the pipeline saves
// and reloads as XLNet.
#include <gtest/gtest.h>

#include <filesystem>

#include <ATen/ATen.h>

#include "components/transformer/transformer.hpp"
#include "tests/components/transformer_fixture.hpp"
#include "trfpipe/torch/transformer_data.hpp"

using namespace trfpipe;
using namespace trfpipe::testing;
namespace fs = std::filesystem;

namespace {

std::string many_words(int n) {
  std::string t;
  for (int i = 0; i < n; ++i) t += (i ? " " : "") + std::string(i % 2 ? "dog" : "cat");
  return t;
}

// Σ over tokens of doc.tensor == Σ over the unpadded last_hidden_state rows (the 2019 weighting).
void expect_tensor_keeps_piece_sum(const Doc& doc) {
  TransformerDataPtr d = get_trf_data(doc);
  ASSERT_TRUE(d);
  const at::Tensor& lhs = d->model_output.last_hidden_state;
  const at::Tensor real = d->wordpieces.attention_mask.to(at::kBool);
  at::Tensor total = lhs.index({real}).sum(0);
  for (int64_t c = 0; c < kWidth; ++c) {
    double s = 0;
    for (int64_t r = 0; r < doc.tensor().rows; ++r) s += doc.tensor().row(r)[c];
    EXPECT_NEAR(s, total[c].item<double>(), 1e-4) << c;
  }
}

}  // namespace

TEST(XlnetTransformer, LeftPaddedBatchMatchesOneDocAtATime) {
  auto nlp = trf_nlp(transformer_config(tiny_xlnet(), doc_spans_cfg(), true));
  std::vector<std::string> texts{"Here is some text to encode.", "Short one.",
                                 "A somewhat longer sentence with several more words in it.", "Hi"};
  std::vector<Doc> batched = nlp->pipe(texts, 4);
  for (size_t i = 0; i < texts.size(); ++i) {
    SCOPED_TRACE(texts[i]);
    Doc single = (*nlp)(texts[i]);
    TransformerDataPtr d = get_trf_data(batched[i]);
    const auto& strings = d->wordpieces.strings[0];
    // Every span ends in <sep> <cls>; shorter rows start with <pad>.
    EXPECT_EQ(strings.back(), "<cls>");
    EXPECT_EQ(strings[strings.size() - 2], "<sep>");
    if (i != 2) EXPECT_EQ(strings.front(), "<pad>");
    const int64_t L = static_cast<int64_t>(strings.size()), len = d->wordpieces.lengths[0];
    EXPECT_EQ(d->wordpieces.token_type_ids[0][L - 1].item<int64_t>(), 2);  // <cls>
    // Each token's pieces are real, non-special pieces: in the row's last `len` columns, before <sep>.
    for (size_t t = 0, k = 0; t < d->align.lengths.size(); ++t) {
      EXPECT_GT(d->align.lengths[t], 0) << "token " << t;
      for (int64_t j = 0; j < d->align.lengths[t]; ++j, ++k) {
        EXPECT_GE(d->align.data[k], L - len);
        EXPECT_LT(d->align.data[k], L - 2);
      }
    }
    ASSERT_EQ(batched[i].tensor().rows, static_cast<int64_t>(batched[i].size()));
    ASSERT_EQ(batched[i].tensor().rows, single.tensor().rows);
    for (size_t k = 0; k < single.tensor().data.size(); ++k)
      ASSERT_NEAR(batched[i].tensor().data[k], single.tensor().data[k], 1e-4) << k;
    expect_tensor_keeps_piece_sum(batched[i]);
  }
}

TEST(XlnetTransformer, TruncationKeepsEachRowsFirstPiecesWithLeftPadding) {
  auto nlp = trf_nlp(transformer_config(tiny_xlnet(8), doc_spans_cfg(), true));
  ::testing::internal::CaptureStderr();
  std::vector<Doc> docs = nlp->pipe({many_words(20), "Hi there"}, 2);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("longer than the specified maximum sequence length"), std::string::npos) << err;
  TransformerDataPtr long_doc = get_trf_data(docs[0]), short_doc = get_trf_data(docs[1]);
  ASSERT_EQ(long_doc->model_output.last_hidden_state.size(1), 8);
  // The long row keeps its first 8 pieces (its <sep> <cls> are cut), no padding.
  EXPECT_EQ(long_doc->wordpieces.lengths, (std::vector<int64_t>{8}));
  EXPECT_NE(long_doc->wordpieces.strings[0].back(), "<cls>");
  // The short row keeps all its pieces, right-aligned after the padding.
  const auto& s = short_doc->wordpieces.strings[0];
  ASSERT_EQ(s.size(), 8u);
  EXPECT_EQ(s.back(), "<cls>");
  EXPECT_EQ(s.front(), "<pad>");
  Doc alone = (*nlp)("Hi there");
  for (size_t k = 0; k < alone.tensor().data.size(); ++k)
    ASSERT_NEAR(docs[1].tensor().data[k], alone.tensor().data[k], 1e-4) << k;
  // Tokens past the cut have no pieces and zero rows; the others keep theirs.
  size_t kept = 0;
  for (size_t t = 0; t < long_doc->align.lengths.size(); ++t) kept += long_doc->align.lengths[t] > 0;
  EXPECT_GT(kept, 0u);
  EXPECT_LT(kept, docs[0].size());
  EXPECT_EQ(long_doc->cut_tokens.size(), docs[0].size() - kept);
  for (int64_t c = 0; c < kWidth; ++c) EXPECT_EQ(docs[0].tensor().row(19)[c], 0.f);
  expect_tensor_keeps_piece_sum(docs[0]);
  expect_tensor_keeps_piece_sum(docs[1]);
}

TEST(XlnetTransformer, SaveLoadGivesIdenticalOutputsWithoutTheModelFolder) {
  auto nlp = trf_nlp(transformer_config(tiny_xlnet(), doc_spans_cfg(), true));
  const std::string text = "Apple pie is delicious.";
  Doc before = (*nlp)(text);
  const std::string dir = temp_dir("xlnet_save");
  nlp->to_disk(dir + "/pipe");
  EXPECT_TRUE(fs::exists(dir + "/pipe/transformer/tokenizer.json"));
  auto loaded = Language::load(dir + "/pipe");
  Doc after = (*loaded)(text);
  EXPECT_EQ(get_trf_data(after)->wordpieces.strings, get_trf_data(before)->wordpieces.strings);
  EXPECT_EQ(before.tensor().data, after.tensor().data);
  fs::remove_all(dir);
}
