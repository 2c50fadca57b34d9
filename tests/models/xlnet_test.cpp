// XLNetModel: a tiny checkpoint from `init model --arch xlnet`'s writer, run and checked for what
// its relative encodings promise (padding on either side changes nothing, segments are compared
// not embedded, clamp_len), HF names, loading rules and errors. Numerical parity with Hugging
// Face is HFParity's (tests/models/fixtures/xlnet*).
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "models/safetensors.hpp"
#include "models/test_util.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/torch/encoder.hpp"
#include "trfpipe/torch/hf_checkpoint.hpp"

namespace fs = std::filesystem;
using namespace trfpipe;
using namespace trfpipe::models::testing;

namespace {

const std::string kSpiece = std::string(TRFPIPE_SOURCE_DIR) + "/tests/tokenization/fixtures/xlnet/spiece.model";
const fs::path kFixture = fs::path(TRFPIPE_SOURCE_DIR) / "tests/models/fixtures/xlnet";

fs::path xlnet_checkpoint() {
  static fs::path made;
  if (!made.empty()) return made;
  made = temp_dir("xlnet_ckpt");
  HFCheckpointOptions o;
  o.arch = "xlnet";
  o.layers = 2;
  o.width = 32;
  o.heads = 4;
  o.tokenizer_path = kSpiece;
  o.seed = 3;
  write_hf_checkpoint(made.string(), o);
  return made;
}

double max_diff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

// An encoder of the checkpoint's config (plus `overrides`) with weights drawn at std 0.5 instead of
// 0.02, so that position and segment terms move the outputs well above float noise.
std::shared_ptr<Encoder> strong_encoder(const Json& overrides = Json::object()) {
  HFConfig c = HFConfig::from_file((xlnet_checkpoint() / "config.json").string()).with_overrides(overrides);
  c.initializer_range = 0.5;
  auto enc = make_encoder(c, 5);
  enc->eval();
  return enc;
}

at::Tensor random_ids(int64_t n) { return at::randint(9, 1000, {1, n}, at::kLong); }

// A config.json of the fixture with one key changed, in a copy of the fixture folder.
fs::path fixture_with(const std::string& name, const std::string& key, const Json& value) {
  auto dir = temp_dir(name);
  for (const auto& e : fs::directory_iterator(kFixture)) fs::copy_file(e.path(), dir / e.path().filename());
  Json cfg = Json::parse(read_file_bytes((kFixture / "config.json").string()));
  cfg[key] = value;
  std::ofstream(dir / "config.json", std::ios::trunc) << cfg.dump(2);
  return dir;
}

}  // namespace

TEST(Xlnet, CheckpointLoadsWithHuggingFaceConfigAndNames) {
  auto dir = xlnet_checkpoint();
  auto cfg = Json::parse(read_file_bytes((dir / "config.json").string()));
  EXPECT_EQ(cfg["model_type"], "xlnet");
  EXPECT_EQ(cfg["d_model"], 32);
  EXPECT_EQ(cfg["n_head"], 4);
  EXPECT_EQ(cfg["d_head"], 8);
  EXPECT_EQ(cfg["attn_type"], "bi");
  EXPECT_EQ(cfg["pad_token_id"], 5);  // <pad> in the XLNet-style spiece.model
  EXPECT_EQ(cfg["vocab_size"], 2000);
  auto enc = load_encoder(dir.string());
  EXPECT_EQ(enc->config().family, EncoderFamily::Xlnet);
  EXPECT_FALSE(enc->config().has_pooler());
  EXPECT_EQ(enc->config().base_model_prefix(), "transformer.");
  auto sd = enc->state_dict();
  for (const char* k : {"word_embedding.weight", "mask_emb", "layer.0.rel_attn.q", "layer.0.rel_attn.k",
                        "layer.0.rel_attn.v", "layer.0.rel_attn.o", "layer.0.rel_attn.r", "layer.1.rel_attn.r_r_bias",
                        "layer.1.rel_attn.r_s_bias", "layer.1.rel_attn.r_w_bias", "layer.1.rel_attn.seg_embed",
                        "layer.1.rel_attn.layer_norm.weight", "layer.0.ff.layer_norm.bias", "layer.0.ff.layer_1.weight",
                        "layer.0.ff.layer_2.bias"})
    EXPECT_TRUE(sd.count(k)) << k;
  EXPECT_EQ(sd["layer.0.rel_attn.q"].sizes(), (at::IntArrayRef{32, 4, 8}));
  EXPECT_EQ(sd["layer.0.rel_attn.seg_embed"].sizes(), (at::IntArrayRef{2, 4, 8}));
  EXPECT_EQ(sd["mask_emb"].sizes(), (at::IntArrayRef{1, 1, 32}));
  // Every raw tensor initialised as HF's _init_weights (normal, std 0.02), none left empty.
  for (const char* k : {"layer.0.rel_attn.q", "layer.1.rel_attn.seg_embed", "mask_emb"}) {
    const double sd_k = sd[k].std().item<double>();
    EXPECT_GT(sd_k, 0.01) << k;
    EXPECT_LT(sd_k, 0.03) << k;
  }
}

TEST(Xlnet, OutputsHaveShapesAndNoPoolerAndNoLengthLimit) {
  auto enc = load_encoder(xlnet_checkpoint().string(), Json{{"output_hidden_states", true}, {"output_attentions", true}});
  enc->eval();
  EXPECT_GT(enc->max_sequence_length(), int64_t{1} << 40);
  auto ids = at::randint(9, 1000, {2, 7}, at::kLong);
  auto out = enc->forward({ids, {}, {}});
  EXPECT_EQ(out.last_hidden_state.sizes(), (at::IntArrayRef{2, 7, 32}));
  EXPECT_FALSE(out.pooler_output.defined());
  ASSERT_EQ(out.hidden_states.size(), 3u);
  ASSERT_EQ(out.attentions.size(), 2u);
  EXPECT_EQ(out.attentions[0].sizes(), (at::IntArrayRef{2, 4, 7, 7}));
  EXPECT_LT(max_diff(out.attentions[1].sum(-1), at::ones({2, 4, 7})), 1e-5);
  EXPECT_TRUE(at::equal(out.hidden_states.back(), out.last_hidden_state));
  // 600 positions: more than BERT's table would hold, no limit for relative positions.
  EXPECT_EQ(enc->forward({random_ids(600), {}, {}}).last_hidden_state.size(1), 600);
}

TEST(Xlnet, PaddingOnEitherSideLeavesRealPositionsAlone) {
  auto enc = load_encoder(xlnet_checkpoint().string());
  enc->eval();
  auto ids = random_ids(5);
  auto types = at::tensor({0, 0, 0, 0, 2}, at::kLong).view({1, 5});
  auto alone = enc->forward({ids, at::ones({1, 5}, at::kLong), types}).last_hidden_state[0];
  auto batch_ids = at::full({2, 8}, 5, at::kLong), mask = at::zeros({2, 8}, at::kLong);
  auto batch_types = at::full({2, 8}, 3, at::kLong);
  batch_ids[0].slice(0, 3).copy_(ids[0]);  // left padding, as XLNetTokenizer pads
  mask[0].slice(0, 3).fill_(1);
  batch_types[0].slice(0, 3).copy_(types[0]);
  batch_ids[1].slice(0, 0, 5).copy_(ids[0]);  // right padding
  mask[1].slice(0, 0, 5).fill_(1);
  batch_types[1].slice(0, 0, 5).copy_(types[0]);
  auto out = enc->forward({batch_ids, mask, batch_types}).last_hidden_state;
  EXPECT_LT(max_diff(out[0].slice(0, 3), alone), 1e-5);
  EXPECT_LT(max_diff(out[1].slice(0, 0, 5), alone), 1e-5);
}

TEST(Xlnet, SegmentsAreComparedNotEmbedded) {
  auto enc = strong_encoder();
  auto ids = random_ids(6);
  auto run = [&](const at::Tensor& types) { return enc->forward({ids, {}, types}).last_hidden_state; };
  auto none = run({});
  auto zeros = run(at::zeros({1, 6}, at::kLong));
  auto ones = run(at::ones({1, 6}, at::kLong));
  auto two = run(at::tensor({0, 0, 0, 1, 1, 1}, at::kLong).view({1, 6}));
  // One segment adds the same term to every key of a query: softmax does not see it, so it is
  // the same as no token_type_ids (HF then skips the segment term).
  EXPECT_LT(max_diff(none, zeros), 1e-5);
  EXPECT_TRUE(at::equal(zeros, ones));  // only "same or different segment" matters
  EXPECT_GT(max_diff(zeros, two), 1e-3);
}

TEST(Xlnet, ClampLenOnlyChangesLongDistances) {
  auto ids = random_ids(10);
  auto b = strong_encoder()->forward({ids, {}, {}}).last_hidden_state;
  EXPECT_GT(max_diff(b, strong_encoder(Json{{"clamp_len", 3}})->forward({ids, {}, {}}).last_hidden_state), 1e-3);
  EXPECT_TRUE(at::equal(b, strong_encoder(Json{{"clamp_len", 20}})->forward({ids, {}, {}}).last_hidden_state));
}

TEST(Xlnet, UniAttentionIsCausal) {
  auto enc = load_encoder(xlnet_checkpoint().string(), Json{{"attn_type", "uni"}});
  enc->eval();
  auto ids = random_ids(6);
  auto changed = ids.clone();
  changed[0][5] = 42;
  auto a = enc->forward({ids, {}, {}}).last_hidden_state, b = enc->forward({changed, {}, {}}).last_hidden_state;
  EXPECT_LT(max_diff(a[0].slice(0, 0, 5), b[0].slice(0, 0, 5)), 1e-6);
  EXPECT_GT(max_diff(a[0][5], b[0][5]), 1e-4);
}

TEST(Xlnet, BiDataNeedsAnEvenBatch) {
  auto enc = strong_encoder(Json{{"bi_data", true}});
  EXPECT_THROW(enc->forward({at::randint(9, 100, {3, 4}, at::kLong), {}, {}}), ValueError);
  auto two = at::randint(9, 100, {1, 4}, at::kLong).repeat({2, 1});
  auto out = enc->forward({two, {}, {}}).last_hidden_state;
  EXPECT_GT(max_diff(out[0], out[1]), 1e-3);  // forward distances for row 0, backward for row 1
}

TEST(Xlnet, EvalIsDeterministicTrainHasDropoutAndGradientsFlow) {
  auto enc = load_encoder(xlnet_checkpoint().string());
  auto ids = random_ids(6);
  enc->eval();
  auto a = enc->forward({ids, {}, {}}).last_hidden_state;
  EXPECT_TRUE(at::equal(a, enc->forward({ids, {}, {}}).last_hidden_state));
  enc->train();
  auto c = enc->forward({ids, {}, {}}).last_hidden_state;
  EXPECT_GT(max_diff(c, enc->forward({ids, {}, {}}).last_hidden_state), 1e-4);
  c.sum().backward();
  auto params = enc->named_parameters(true);
  for (const char* k : {"layer.0.rel_attn.r", "layer.0.rel_attn.r_w_bias", "layer.1.rel_attn.q", "word_embedding.weight"}) {
    ASSERT_TRUE(params.contains(k)) << k;
    ASSERT_TRUE(params[k].grad().defined()) << k;
    EXPECT_GT(params[k].grad().abs().sum().item<double>(), 0.0) << k;
  }
}

TEST(Xlnet, SaveLoadAndPrefixedCheckpointGiveIdenticalOutputs) {
  auto enc = load_encoder(xlnet_checkpoint().string());
  enc->eval();
  auto ids = random_ids(6);
  auto want = enc->forward({ids, {}, {}}).last_hidden_state;
  auto dir = temp_dir("xlnet_save");
  save_encoder(*enc, dir.string());
  auto back = load_encoder(dir.string());
  back->eval();
  EXPECT_EQ(back->config().attn_type, "bi");
  EXPECT_TRUE(at::equal(back->forward({ids, {}, {}}).last_hidden_state, want));
  // An XLNetLMHeadModel checkpoint: "transformer." names plus lm_loss, which is ignored.
  models::TensorMap prefixed;
  for (const auto& [k, t] : enc->state_dict()) prefixed["transformer." + k] = t;
  prefixed["lm_loss.bias"] = at::zeros({2000});
  auto fresh = make_encoder(enc->config(), 11);
  auto report = load_encoder_weights(*fresh, prefixed, "lm-head");
  EXPECT_EQ(report.prefix_stripped, "transformer.");
  EXPECT_EQ(report.unexpected, (std::vector<std::string>{"lm_loss.bias"}));
  fresh->eval();
  EXPECT_TRUE(at::equal(fresh->forward({ids, {}, {}}).last_hidden_state, want));
}

TEST(Xlnet, TruncatedCheckpointIsADataErrorNamingFileAndTensor) {
  auto dir = temp_dir("xlnet_truncated");
  for (const auto& e : fs::directory_iterator(kFixture)) fs::copy_file(e.path(), dir / e.path().filename());
  const auto weights = dir / "model.safetensors";
  fs::resize_file(weights, fs::file_size(weights) / 2);
  auto msg = data_error_message([&] { load_encoder(dir.string()); });
  EXPECT_NE(msg.find(weights.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("tensor '"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
}

TEST(Xlnet, MissingWeightIsADataErrorNamingIt) {
  auto dir = temp_dir("xlnet_missing");
  fs::copy_file(kFixture / "config.json", dir / "config.json");
  auto st = models::read_safetensors((kFixture / "model.safetensors").string()).tensors;
  st.erase("layer.1.rel_attn.seg_embed");
  models::write_safetensors((dir / "model.safetensors").string(), st);
  auto msg = data_error_message([&] { load_encoder(dir.string()); });
  EXPECT_NE(msg.find("layer.1.rel_attn.seg_embed"), std::string::npos) << msg;
  EXPECT_NE(msg.find("model.safetensors"), std::string::npos) << msg;
}

TEST(Xlnet, UnknownAttnTypeIsADataErrorNamingConfigAndKey) {
  auto dir = fixture_with("xlnet_attn", "attn_type", "tri");
  auto msg = data_error_message([&] { load_encoder(dir.string()); });
  EXPECT_NE(msg.find((dir / "config.json").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("'attn_type'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'tri'"), std::string::npos) << msg;
  auto bad_head = fixture_with("xlnet_dhead", "d_head", 7);
  msg = data_error_message([&] { load_encoder(bad_head.string()); });
  EXPECT_NE(msg.find("'d_head'"), std::string::npos) << msg;
  EXPECT_THROW(HFConfig::from_json(Json{{"model_type", "xlnet"}, {"vocab_size", 10}, {"same_length", "yes"}}), ValueError);
}
