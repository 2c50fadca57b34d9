// Blocked attention (online softmax) against the full-scores path, packed-token attention against
// attention of each sequence alone, and the BERT-layer encoders' packed-token path against their
// padded path and the Hugging Face fixtures (models/attention.hpp).
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "models/attention.hpp"
#include "models/fast_linear.hpp"
#include "models/hf_parity.hpp"
#include "models/reduced_precision.hpp"
#include "models/safetensors.hpp"
#include "trfpipe/torch/encoder.hpp"
#include "trfpipe/trfpipe.hpp"

namespace fs = std::filesystem;
using namespace trfpipe;

namespace {

double max_diff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

// The full-scores path (probabilities materialised), the reference for the blocked one.
at::Tensor full_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t heads,
                          const at::Tensor& mask) {
  at::Tensor probs;
  at::Tensor out = models::attention(q, k, v, heads, mask, &probs);
  EXPECT_TRUE(out.defined());
  return out;
}

}  // namespace

// Short rows (one key block) and long ones (512 and 300 keys: several key blocks, so the running
// max and sum are rescaled), with padded keys masked as BERT masks them.
TEST(BlockedAttention, EqualsFullScoresAttention) {
  if (!models::linear_uses_onednn()) GTEST_SKIP() << "no oneDNN sgemm: " << models::linear_backend();
  at::NoGradGuard no_grad;
  at::manual_seed(11);
  for (const auto& [b, s, heads, d] : std::vector<std::array<int64_t, 4>>{{3, 7, 4, 16}, {2, 512, 12, 64}, {2, 300, 2, 8}}) {
    SCOPED_TRACE(std::to_string(b) + "x" + std::to_string(s));
    // Scaled up so that the softmax is peaked and a later key block often holds a new maximum.
    const at::Tensor q = at::randn({b, s, heads * d}) * 3, k = at::randn({b, s, heads * d}), v = at::randn({b, s, heads * d});
    at::Tensor keep = at::ones({b, s});
    keep[1].slice(0, s / 2).fill_(0);
    const at::Tensor mask = ((1.0 - keep) * std::numeric_limits<float>::lowest()).view({b, 1, 1, s});
    const at::Tensor got = models::blocked_attention(q, k, v, heads, mask);
    ASSERT_TRUE(got.defined());
    EXPECT_LT(max_diff(got, full_attention(q, k, v, heads, mask)), 1e-5);
    EXPECT_LT(max_diff(models::blocked_attention(q, k, v, heads, {}), full_attention(q, k, v, heads, {})), 1e-5);
  }
  // A mask over queries too (GPT-2's causal one) is left to the full path, as is autograd.
  const at::Tensor q = at::randn({1, 4, 8});
  EXPECT_FALSE(models::blocked_attention(q, q, q, 2, at::zeros({1, 1, 4, 4})).defined());
  at::AutoGradMode grad(true);
  const at::Tensor qg = q.clone().requires_grad_();
  EXPECT_FALSE(models::blocked_attention(qg, qg, qg, 2, {}).defined());
}

// In a bf16 encoder's forward the two products take bfloat16 copies of q, k, v and of the
// probabilities (exp(s - max) rounded), accumulated in float32, and the softmax's sum stays
// float32: the reference below does exactly that in double. Without AVX512-BF16 the products stay
// float32.
TEST(BlockedAttention, Bf16ProductsRoundInputsAndProbabilities) {
  if (!models::linear_uses_onednn()) GTEST_SKIP() << "no oneDNN sgemm: " << models::linear_backend();
  at::NoGradGuard no_grad;
  at::manual_seed(17);
  const int64_t b = 2, s = 200, heads = 4, d = 32;
  const at::Tensor q = at::randn({b, s, heads * d}) * 2, k = at::randn({b, s, heads * d}), v = at::randn({b, s, heads * d});
  const at::Tensor fp32 = models::blocked_attention(q, k, v, heads, {});
  const at::Tensor got = models::blocked_attention(q, k, v, heads, {}, InferenceDtype::Bf16);
  ASSERT_TRUE(got.defined());
  const at::Tensor packed = models::packed_attention(q.reshape({b * s, -1}), k.reshape({b * s, -1}),
                                                     v.reshape({b * s, -1}), heads, {0, s, 2 * s}, InferenceDtype::Bf16);
  ASSERT_TRUE(packed.defined());
  EXPECT_LT(max_diff(packed.view({b, s, -1}), got), 1e-6);
  if (!models::onednn_gemm_bf16()) {
    EXPECT_LT(max_diff(got, fp32), 1e-6) << models::reduced_precision_unavailable(InferenceDtype::Bf16);
    return;
  }
  auto rounded = [](const at::Tensor& t) { return t.to(at::kBFloat16).to(at::kDouble); };
  auto split = [&](const at::Tensor& t) { return t.view({b, s, heads, d}).transpose(1, 2); };  // [b, h, s, d]
  const at::Tensor scores = at::matmul(split(rounded(q)), split(rounded(k)).transpose(-1, -2)) / std::sqrt(double(d));
  const at::Tensor e = (scores - std::get<0>(scores.max(-1, true))).exp();
  const at::Tensor want = (at::matmul(rounded(e.to(at::kFloat)), split(rounded(v))) / e.sum(-1, true))
                              .transpose(1, 2).reshape({b, s, heads * d});
  const double to_reference = max_diff(got.to(at::kDouble), want), to_fp32 = max_diff(got, fp32);
  EXPECT_LT(to_reference, 1e-3);
  // And it is not the float32 path: that is an order of magnitude further from the reference.
  EXPECT_GT(to_fp32, 10 * to_reference);
}

// Packed sequences of lengths 5, 300, 1 and 64 attend each within itself: the same rows as each
// sequence attended alone.
TEST(BlockedAttention, PackedSequencesEqualEachSequenceAlone) {
  if (!models::linear_uses_onednn()) GTEST_SKIP() << "no oneDNN sgemm: " << models::linear_backend();
  at::NoGradGuard no_grad;
  at::manual_seed(5);
  const int64_t heads = 4, width = 4 * 32;
  const std::vector<int64_t> starts{0, 5, 305, 306, 370};
  const at::Tensor q = at::randn({370, width}) * 2, k = at::randn({370, width}), v = at::randn({370, width});
  const at::Tensor got = models::packed_attention(q, k, v, heads, starts);
  ASSERT_TRUE(got.defined());
  ASSERT_EQ(got.sizes(), q.sizes());
  for (size_t i = 0; i + 1 < starts.size(); ++i) {
    SCOPED_TRACE(i);
    auto one = [&](const at::Tensor& t) { return t.slice(0, starts[i], starts[i + 1]).unsqueeze(0).contiguous(); };
    const at::Tensor want = full_attention(one(q), one(k), one(v), heads, {}).squeeze(0);
    EXPECT_LT(max_diff(got.slice(0, starts[i], starts[i + 1]), want), 1e-5);
  }
  // Offsets that do not cover the rows are refused, not read out of bounds.
  EXPECT_FALSE(models::packed_attention(q, k, v, heads, {0, 5, 400}).defined());
}

TEST(PackedRows, PackAndUnpackTheRealPositions) {
  const at::Tensor mask = at::tensor({1, 1, 1, 0, 1, 0, 0, 0, 0, 1, 1, 1}, at::kLong).view({3, 4});
  const models::PackedRows rows = models::packed_rows(mask);
  EXPECT_EQ(rows.starts, (std::vector<int64_t>{0, 3, 4, 7}));
  const at::Tensor x = at::arange(24, at::kFloat).view({3, 4, 2});
  const at::Tensor packed = rows.pack(x);
  EXPECT_EQ(packed.sizes(), (at::IntArrayRef{7, 2}));
  EXPECT_EQ(packed[3][0].item<float>(), 8.f);  // row 1, position 0
  const at::Tensor back = rows.unpack(packed);
  EXPECT_TRUE(at::equal(back * mask.unsqueeze(-1), x * mask.unsqueeze(-1)));
  EXPECT_EQ(back[1].slice(0, 1).abs().sum().item<float>(), 0.f);
}

// Every BERT-layer fixture (BERT, RoBERTa, XLM-R, CamemBERT, ELECTRA, ALBERT): the packed path
// (the default at inference) gives HF's outputs and the padded path's on a batch of mixed lengths.
TEST(PackedTokens, EncodersMatchPaddedPathAndHuggingFace) {
  if (!models::linear_uses_onednn()) GTEST_SKIP() << "no oneDNN sgemm: " << models::linear_backend();
  const fs::path root = fs::path(TRFPIPE_SOURCE_DIR) / "tests/models/fixtures";
  int checked = 0;
  for (const char* name : {"bert", "roberta", "xlm-roberta", "camembert", "electra", "albert"}) {
    const fs::path dir = root / name;
    if (!fs::exists(dir / "config.json")) continue;
    SCOPED_TRACE(name);
    ++checked;
    auto enc = load_encoder(dir.string(), Json{{"output_hidden_states", true}});
    enc->eval();
    at::NoGradGuard no_grad;
    // The fixture's own inputs against HF's outputs (attentions are not asked for here).
    Json in = Json::parse(trfpipe::read_file_bytes((dir / "inputs.json").string()));
    EncoderInput x{trfpipe::testing::fixture_input(in, "input_ids"), trfpipe::testing::fixture_input(in, "attention_mask"),
                   trfpipe::testing::fixture_input(in, "token_type_ids")};
    auto out = enc->forward(x);
    std::map<std::string, at::Tensor> expected, got{{"last_hidden_state", out.last_hidden_state}};
    for (auto& [key, t] : models::read_safetensors((dir / "expected.safetensors").string()).tensors)
      if (key.rfind("attentions.", 0) != 0) expected[key] = t;
    if (expected.count("pooler_output") && out.pooler_output.defined()) got["pooler_output"] = out.pooler_output;
    for (size_t i = 0; i < out.hidden_states.size(); ++i) got["hidden_states." + std::to_string(i)] = out.hidden_states[i];
    trfpipe::testing::expect_hf_parity(expected, got, x.input_ids, x.attention_mask);

    // Mixed lengths 9, 3, 6, 1 padded at the end, and a row of 4 padded on the left.
    at::manual_seed(2);
    const int64_t vocab = enc->config().vocab_size, pad = std::max<int64_t>(enc->config().pad_token_id, 0);
    const std::vector<int64_t> lengths{9, 3, 6, 1};
    at::Tensor ids = at::randint(5, vocab, {5, 9}, at::kLong), mask = at::zeros({5, 9}, at::kLong);
    for (int64_t i = 0; i < 4; ++i) {
      mask[i].slice(0, 0, lengths[i]).fill_(1);
      ids[i].slice(0, lengths[i]).fill_(pad);
    }
    mask[4].slice(0, 5).fill_(1);
    ids[4].slice(0, 0, 5).fill_(pad);
    const EncoderInput batch{ids, mask, {}};
    const EncoderOutput packed = enc->forward(batch);
    EncoderOutput padded;
    models::set_packed_attention(false);  // the padded path with full scores, as before
    padded = enc->forward(batch);
    models::set_packed_attention(true);
    const at::Tensor real = mask.to(at::kBool);
    EXPECT_LT(max_diff(packed.last_hidden_state.index({real}), padded.last_hidden_state.index({real})), 1e-5);
    ASSERT_EQ(packed.hidden_states.size(), padded.hidden_states.size());
    for (size_t i = 0; i < packed.hidden_states.size(); ++i)
      EXPECT_LT(max_diff(packed.hidden_states[i].index({real}), padded.hidden_states[i].index({real})), 1e-5) << i;
    if (padded.pooler_output.defined()) EXPECT_LT(max_diff(packed.pooler_output, padded.pooler_output), 1e-5);
    // A row padded on the left sends the batch down the padded path (HF's pooler reads position 0);
    // without it the packed path runs: padded positions are never computed (zeros), the padded
    // path's are.
    EXPECT_GT(packed.last_hidden_state[4].slice(0, 0, 5).abs().max().item<float>(), 0.f);
    const EncoderInput right_padded{ids.slice(0, 0, 4), mask.slice(0, 0, 4), {}};
    const EncoderOutput packed4 = enc->forward(right_padded);
    EXPECT_LT(max_diff(packed4.last_hidden_state, packed.last_hidden_state.slice(0, 0, 4) * mask.slice(0, 0, 4).unsqueeze(-1)), 1e-5);
    const at::Tensor pads = real.slice(0, 0, 4).logical_not();
    EXPECT_EQ(packed4.last_hidden_state.index({pads}).abs().max().item<float>(), 0.f);
    EXPECT_GT(padded.last_hidden_state.slice(0, 0, 4).index({pads}).abs().max().item<float>(), 0.f);
  }
  EXPECT_GE(checked, 4) << "BERT-layer fixtures missing under " << root;
}
