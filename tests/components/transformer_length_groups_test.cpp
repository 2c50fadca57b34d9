// Inference by length groups (TransformerModel::set_length_groups) and by packed tokens (the
// BERT-layer encoders, models/attention.hpp): the plan, and outputs equal to the one padded
// encoder call at every real piece.
#include <gtest/gtest.h>

#include <set>

#include <ATen/ATen.h>

#include "components/transformer/transformer.hpp"
#include "models/attention.hpp"
#include "tests/components/transformer_fixture.hpp"
#include "trfpipe/torch/transformer_data.hpp"

using namespace trfpipe;
using namespace trfpipe::testing;

namespace {

// Texts from 1 to ~70 words: one sub-batch holds rows of very different lengths.
std::vector<std::string> mixed_length_texts() {
  std::vector<std::string> texts;
  const std::string words[] = {"the", "union", "is", "strong", "and", "our", "people", "work", "hard", "today"};
  for (int n : {1, 3, 70, 5, 12, 2, 40, 8, 25, 4}) {
    std::string t;
    for (int i = 0; i < n; ++i) t += (i ? " " : "") + words[(i * 7 + n) % 10];
    texts.push_back(t + ".");
  }
  return texts;
}

struct Run {
  std::vector<Doc> docs;
  EncoderWork work;
};

// packed: packed tokens and blocked attention where the encoder has them (else the padded path).
Run run(Language& nlp, bool groups, bool packed = false) {
  auto& model = dynamic_cast<TransformerPipe&>(nlp.get_pipe("transformer")).model();
  model.set_length_groups(groups);
  model.reset_encoder_work();
  models::set_packed_attention(packed);
  Run r;
  r.docs = nlp.pipe(mixed_length_texts(), 64);
  r.work = model.encoder_work();
  models::set_packed_attention(true);
  return r;
}

// The two runs agree: same pieces and shapes; hidden states (every layer), pooler output and
// doc.tensor within 1e-5 at real pieces (padded positions hold what each call computed there).
void expect_same_outputs(const Run& padded, const Run& grouped, bool fewer_padding_flops = true) {
  ASSERT_EQ(padded.docs.size(), grouped.docs.size());
  for (size_t i = 0; i < padded.docs.size(); ++i) {
    SCOPED_TRACE("doc " + std::to_string(i));
    TransformerDataPtr a = get_trf_data(padded.docs[i]), b = get_trf_data(grouped.docs[i]);
    ASSERT_TRUE(a && b);
    ASSERT_TRUE(at::equal(a->wordpieces.input_ids, b->wordpieces.input_ids));
    const at::Tensor real = a->wordpieces.attention_mask.to(at::kBool);
    auto check = [&](const at::Tensor& x, const at::Tensor& y) {
      ASSERT_EQ(x.sizes(), y.sizes());
      const at::Tensor xr = x.index({real}), yr = y.index({real});
      EXPECT_LE((xr - yr).abs().max().item<double>(), 1e-5);
    };
    check(a->model_output.last_hidden_state, b->model_output.last_hidden_state);
    ASSERT_EQ(a->model_output.hidden_states.size(), b->model_output.hidden_states.size());
    for (size_t k = 0; k < a->model_output.hidden_states.size(); ++k)
      check(a->model_output.hidden_states[k], b->model_output.hidden_states[k]);
    if (a->model_output.pooler_output.defined())
      EXPECT_LE((a->model_output.pooler_output - b->model_output.pooler_output).abs().max().item<double>(), 1e-5);
    const Matrix &ta = padded.docs[i].tensor(), &tb = grouped.docs[i].tensor();
    ASSERT_EQ(ta.rows, tb.rows);
    ASSERT_GT(ta.rows, 0);
    for (size_t k = 0; k < ta.data.size(); ++k) ASSERT_NEAR(ta.data[k], tb.data[k], 1e-5) << k;
  }
  EXPECT_NEAR(padded.work.useful_flops, grouped.work.useful_flops, 1e-9 * padded.work.useful_flops);
  if (!fewer_padding_flops) return;
  EXPECT_GT(grouped.work.calls, padded.work.calls);
  EXPECT_LT(grouped.work.padding_share(), padded.work.padding_share() / 2);
}

// `packs`: the encoder runs packed tokens: one call per sub-batch, no padding work, the same outputs.
void check_architecture(const std::string& dir, bool packs = true) {
  Json cfg = transformer_config(dir, strided_cfg(48, 40), true, Json{{"output_hidden_states", true}});
  auto nlp = trf_nlp(cfg);
  const Run padded = run(*nlp, false), grouped = run(*nlp, true);
  expect_same_outputs(padded, grouped);
  const Run packed = run(*nlp, true, true);
  expect_same_outputs(padded, packed, false);
  if (!packs) return;
  EXPECT_EQ(packed.work.calls, padded.work.calls);
  EXPECT_GT(padded.work.padding_share(), 0.1);
  EXPECT_EQ(packed.work.padding_share(), 0.0);
}

}  // namespace

TEST(PlanLengthGroups, CoversEveryRowOnceInLengthRuns) {
  const std::vector<int64_t> lengths{9, 130, 7, 8, 128, 40, 9, 3, 129, 41};
  const auto groups = plan_length_groups(lengths, 768);
  std::set<int64_t> seen;
  int64_t previous_longest = 0;
  for (const auto& g : groups) {
    ASSERT_FALSE(g.empty());
    for (size_t k = 0; k < g.size(); ++k) {
      EXPECT_TRUE(seen.insert(g[k]).second) << "row " << g[k] << " twice";
      if (k > 0) EXPECT_LE(lengths[size_t(g[k - 1])], lengths[size_t(g[k])]);
    }
    EXPECT_LE(previous_longest, lengths[size_t(g.front())]);
    previous_longest = lengths[size_t(g.back())];
  }
  EXPECT_EQ(seen.size(), lengths.size());
  EXPECT_EQ(groups.size(), 3u);  // ~8, ~40, ~130
}

TEST(PlanLengthGroups, CallCostTradesCallsForPadding) {
  const std::vector<int64_t> lengths{10, 20, 30, 40};
  EXPECT_EQ(plan_length_groups(lengths, 64, 1e9).size(), 1u);
  EXPECT_EQ(plan_length_groups(lengths, 64, 0.0).size(), 4u);
  EXPECT_EQ(plan_length_groups({50, 50, 50}, 64, 0.0).size(), 1u);
  EXPECT_TRUE(plan_length_groups({}, 64).empty());
}

TEST(TransformerLengthGroups, BertMatchesPaddedCall) { check_architecture(tiny_bert()); }

TEST(TransformerLengthGroups, RobertaMatchesPaddedCall) {
  check_architecture(tiny_checkpoint("roberta", std::string(TRFPIPE_SHARED_DIR) + "/data/tokenizers/gpt2-encoder.json", 0));
}

// XLNet pads on the left: each group keeps the last columns.
TEST(TransformerLengthGroups, XlnetLeftPaddingMatchesPaddedCall) { check_architecture(tiny_xlnet(), false); }

// Training keeps one padded call (the listeners' gradients flow through it); inference runs length
// groups, or one call of packed tokens.
TEST(TransformerLengthGroups, TrainingForwardStaysOnePaddedCall) {
  auto nlp = trf_nlp(transformer_config(tiny_bert(), doc_spans_cfg(), false));
  auto& model = dynamic_cast<TransformerPipe&>(nlp->get_pipe("transformer")).model();
  std::vector<Doc> docs;
  for (const auto& t : mixed_length_texts()) docs.push_back(nlp->make_doc(t));
  std::vector<Doc*> ptrs;
  for (auto& d : docs) ptrs.push_back(&d);
  model.reset_encoder_work();
  model.forward(ptrs, true);
  EXPECT_EQ(model.encoder_work().calls, 1);
  models::set_packed_attention(false);
  model.forward(ptrs, false);
  models::set_packed_attention(true);
  EXPECT_GT(model.encoder_work().calls, 2);
  model.reset_encoder_work();
  model.forward(ptrs, false);
  EXPECT_EQ(model.encoder_work().calls, 1);
  EXPECT_EQ(model.encoder_work().padding_share(), 0.0);
}

// A packed sub-batch of more pieces than the budget runs as several calls of consecutive rows,
// with the one call's outputs and still no padding work.
TEST(TransformerLengthGroups, PackedSubBatchSplitByTokenBudgetMatchesOneCall) {
  Json cfg = transformer_config(tiny_bert(), strided_cfg(48, 40), true, Json{{"output_hidden_states", true}});
  auto nlp = trf_nlp(cfg);
  auto& model = dynamic_cast<TransformerPipe&>(nlp->get_pipe("transformer")).model();
  model.set_max_packed_tokens(0);
  const ::Run one = run(*nlp, true, true);
  model.set_max_packed_tokens(60);
  const ::Run split = run(*nlp, true, true);
  expect_same_outputs(one, split, false);
  EXPECT_GT(split.work.calls, one.work.calls + 1);
  EXPECT_EQ(split.work.padding_share(), 0.0);
}
