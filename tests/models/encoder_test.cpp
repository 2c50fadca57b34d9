// Encoders: tiny checkpoints of every architecture written, loaded and run; weight loading rules;
// gradients; GPT-2 causality; tiny-checkpoint writer; HF parity fixtures (tests/models/fixtures).
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>
#include <torch/nn/module.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>

#include "models/fast_linear.hpp"
#include "models/hf_parity.hpp"
#include "models/safetensors.hpp"
#include "models/test_util.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/torch/encoder.hpp"
#include "trfpipe/torch/hf_checkpoint.hpp"
#include "trfpipe/trfpipe.hpp"

namespace fs = std::filesystem;
using namespace trfpipe;
using namespace trfpipe::models::testing;

namespace {

const std::string kTok = std::string(TRFPIPE_SHARED_DIR) + "/data/tokenizers/";

std::string tokenizer_for(const std::string& arch) {
  if (arch == "roberta" || arch == "gpt2") return kTok + "gpt2-encoder.json";
  if (arch == "albert") return kTok + "albert-30k-clean.model";
  return kTok + "bert-base-uncased-vocab.txt";
}

// A tiny checkpoint folder per architecture, written once per process.
fs::path checkpoint(const std::string& arch) {
  static std::map<std::string, fs::path> made;
  auto it = made.find(arch);
  if (it != made.end()) return it->second;
  auto dir = temp_dir("ckpt_" + arch);
  HFCheckpointOptions o;
  o.arch = arch;
  o.layers = 2;
  o.width = 32;
  o.heads = 4;
  o.tokenizer_path = tokenizer_for(arch);
  o.seed = 7;
  o.max_length = 64;
  write_hf_checkpoint(dir.string(), o);
  made[arch] = dir;
  return dir;
}

int64_t pad_id(const Encoder& e) { return e.config().pad_token_id >= 0 ? e.config().pad_token_id : 0; }

// [2, 7]: row 0 full, row 1 with 3 padding positions at the end.
EncoderInput sample_batch(const Encoder& e) {
  auto ids = at::randint(5, 1000, {2, 7}, at::kLong);
  auto mask = at::ones({2, 7}, at::kLong);
  mask[1].slice(0, 4).fill_(0);
  ids[1].slice(0, 4).fill_(pad_id(e));
  return {ids, mask, {}};
}

double max_diff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

class EncoderArch : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(EncoderArch, LoadsAndGivesShapes) {
  auto enc = load_encoder(checkpoint(GetParam()).string());
  enc->eval();
  EXPECT_EQ(enc->hidden_size(), 32);
  auto out = enc->forward(sample_batch(*enc));
  EXPECT_EQ(out.last_hidden_state.sizes(), (at::IntArrayRef{2, 7, 32}));
  EXPECT_TRUE(at::isfinite(out.last_hidden_state).all().item<bool>());
  EXPECT_EQ(out.pooler_output.defined(), enc->config().has_pooler());
  if (out.pooler_output.defined()) EXPECT_EQ(out.pooler_output.sizes(), (at::IntArrayRef{2, 32}));
  EXPECT_TRUE(out.hidden_states.empty());
  EXPECT_TRUE(out.attentions.empty());

  auto full = load_encoder(checkpoint(GetParam()).string(),
                           Json{{"output_hidden_states", true}, {"output_attentions", true}});
  full->eval();
  auto batch = sample_batch(*full);
  auto o2 = full->forward(batch);
  ASSERT_EQ(o2.hidden_states.size(), 3u);
  ASSERT_EQ(o2.attentions.size(), 2u);
  EXPECT_EQ(o2.attentions[0].sizes(), (at::IntArrayRef{2, 4, 7, 7}));
  EXPECT_TRUE(at::equal(o2.hidden_states.back(), o2.last_hidden_state));
  // Attention rows sum to one, padded keys get no weight.
  EXPECT_LT(max_diff(o2.attentions[0].sum(-1), at::ones({2, 4, 7})), 1e-5);
  EXPECT_EQ(o2.attentions[1][1].slice(2, 4).abs().max().item<float>(), 0.0f);
}

TEST_P(EncoderArch, PaddingDoesNotChangeRealPositions) {
  auto enc = load_encoder(checkpoint(GetParam()).string());
  enc->eval();
  auto ids = at::randint(5, 1000, {1, 4}, at::kLong);
  auto alone = enc->forward({ids, at::ones({1, 4}, at::kLong), {}});
  auto padded_ids = at::full({2, 9}, pad_id(*enc), at::kLong);
  padded_ids[0].slice(0, 0, 4).copy_(ids[0]);
  padded_ids[1].copy_(at::randint(5, 1000, {9}, at::kLong));
  auto mask = at::zeros({2, 9}, at::kFloat);
  mask[0].slice(0, 0, 4).fill_(1);
  mask[1].fill_(1);
  auto batch = enc->forward({padded_ids, mask, {}});
  EXPECT_LT(max_diff(batch.last_hidden_state[0].slice(0, 0, 4), alone.last_hidden_state[0]), 1e-5);
  if (alone.pooler_output.defined())
    EXPECT_LT(max_diff(batch.pooler_output[0], alone.pooler_output[0]), 1e-5);
}

TEST_P(EncoderArch, EvalIsDeterministicAndTrainUsesDropout) {
  // ALBERT's config has no dropout (as HF's); switch it on through transformer_config overrides.
  auto enc = load_encoder(checkpoint(GetParam()).string(), Json{{"hidden_dropout_prob", 0.1}});
  auto batch = sample_batch(*enc);
  enc->eval();
  auto a = enc->forward(batch).last_hidden_state;
  auto b = enc->forward(batch).last_hidden_state;
  EXPECT_TRUE(at::equal(a, b));
  enc->train();
  auto c = enc->forward(batch).last_hidden_state;
  auto d = enc->forward(batch).last_hidden_state;
  EXPECT_GT(max_diff(c, d), 1e-4);
  enc->eval();
  EXPECT_TRUE(at::equal(enc->forward(batch).last_hidden_state, a));
}

TEST_P(EncoderArch, SaveThenLoadGivesIdenticalOutputs) {
  auto enc = load_encoder(checkpoint(GetParam()).string());
  enc->eval();
  auto batch = sample_batch(*enc);
  auto dir = temp_dir("save_" + GetParam());
  save_encoder(*enc, dir.string());
  ASSERT_TRUE(fs::exists(dir / "config.json"));
  auto back = load_encoder(dir.string());
  back->eval();
  EXPECT_TRUE(at::equal(enc->forward(batch).last_hidden_state, back->forward(batch).last_hidden_state));
  // Same through the in-memory safetensors bytes.
  auto fresh = make_encoder(enc->config(), 123);
  fresh->eval();
  EXPECT_FALSE(at::equal(enc->forward(batch).last_hidden_state, fresh->forward(batch).last_hidden_state));
  encoder_state_from_bytes(*fresh, encoder_state_to_bytes(*enc), "bytes");
  EXPECT_TRUE(at::equal(enc->forward(batch).last_hidden_state, fresh->forward(batch).last_hidden_state));
}

TEST_P(EncoderArch, StateDictUsesHuggingFaceNames) {
  auto enc = load_encoder(checkpoint(GetParam()).string());
  auto sd = enc->state_dict();
  const std::string a = GetParam();
  std::vector<std::string> expected;
  if (a == "bert" || a == "roberta" || a == "electra")
    expected = {"embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight",
                "encoder.layer.1.attention.self.query.weight", "encoder.layer.0.attention.self.key.bias",
                "encoder.layer.0.attention.self.value.weight", "encoder.layer.0.attention.output.dense.weight",
                "encoder.layer.0.attention.output.LayerNorm.bias", "encoder.layer.0.intermediate.dense.weight",
                "encoder.layer.0.output.dense.weight", "encoder.layer.1.output.LayerNorm.weight"};
  if (a == "bert" || a == "roberta") expected.push_back("pooler.dense.weight");
  if (a == "electra") expected.push_back("embeddings_project.weight");
  if (a == "distilbert")
    expected = {"embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                "embeddings.LayerNorm.bias", "transformer.layer.1.attention.q_lin.weight",
                "transformer.layer.0.attention.k_lin.bias", "transformer.layer.0.attention.v_lin.weight",
                "transformer.layer.0.attention.out_lin.weight", "transformer.layer.0.sa_layer_norm.weight",
                "transformer.layer.0.ffn.lin1.weight", "transformer.layer.0.ffn.lin2.bias",
                "transformer.layer.0.output_layer_norm.weight"};
  if (a == "albert")
    expected = {"embeddings.word_embeddings.weight", "encoder.embedding_hidden_mapping_in.weight",
                "encoder.albert_layer_groups.0.albert_layers.0.attention.query.weight",
                "encoder.albert_layer_groups.0.albert_layers.0.attention.dense.bias",
                "encoder.albert_layer_groups.0.albert_layers.0.attention.LayerNorm.weight",
                "encoder.albert_layer_groups.0.albert_layers.0.ffn.weight",
                "encoder.albert_layer_groups.0.albert_layers.0.ffn_output.weight",
                "encoder.albert_layer_groups.0.albert_layers.0.full_layer_layer_norm.bias", "pooler.weight"};
  if (a == "gpt2")
    expected = {"wte.weight", "wpe.weight", "h.0.ln_1.weight", "h.1.attn.c_attn.weight", "h.0.attn.c_proj.bias",
                "h.0.ln_2.bias", "h.0.mlp.c_fc.weight", "h.0.mlp.c_proj.weight", "ln_f.weight"};
  for (const auto& k : expected) EXPECT_TRUE(sd.count(k)) << k;
  if (a == "gpt2") {
    EXPECT_EQ(sd["h.0.attn.c_attn.weight"].sizes(), (at::IntArrayRef{32, 96}));  // Conv1D [in, out]
    EXPECT_EQ(sd["h.0.mlp.c_fc.weight"].sizes(), (at::IntArrayRef{32, 128}));
  }
  if (a == "albert") {  // layers share one set of weights
    for (const auto& [k, t] : sd) EXPECT_EQ(k.find("albert_layers.1"), std::string::npos) << k;
    EXPECT_EQ(sd["embeddings.word_embeddings.weight"].size(1), 16);
  }
  if (a == "electra") EXPECT_EQ(sd["embeddings.word_embeddings.weight"].size(1), 16);
}

TEST_P(EncoderArch, MissingKeyIsDataErrorNamingIt) {
  auto src = checkpoint(GetParam());
  auto dir = temp_dir("missing_" + GetParam());
  fs::copy_file(src / "config.json", dir / "config.json");
  auto st = models::read_safetensors((src / "model.safetensors").string()).tensors;
  std::string victim;  // the last weight outside the pooler (a missing pooler is allowed)
  for (const auto& [k, t] : st)
    if (k.rfind("pooler", 0) != 0) victim = k;
  st.erase(victim);
  models::write_safetensors((dir / "model.safetensors").string(), st);
  auto msg = data_error_message([&] { load_encoder(dir.string()); });
  EXPECT_NE(msg.find(victim), std::string::npos) << msg;
  EXPECT_NE(msg.find("model.safetensors"), std::string::npos) << msg;
}

// A task checkpoint without the pooler (BertForMaskedLM and the like) loads as in Hugging Face:
// the pooler is newly initialised, everything else is the checkpoint's.
TEST_P(EncoderArch, MissingPoolerIsNewlyInitialised) {
  auto src = checkpoint(GetParam());
  auto full = load_encoder(src.string());
  if (!full->config().has_pooler()) GTEST_SKIP() << GetParam() << " has no pooler";
  full->eval();
  auto st = models::read_safetensors((src / "model.safetensors").string()).tensors;
  std::vector<std::string> pooler;
  for (const auto& [k, t] : st)
    if (k.rfind("pooler", 0) == 0) pooler.push_back(k);
  ASSERT_FALSE(pooler.empty());
  for (const auto& k : pooler) st.erase(k);
  auto enc = make_encoder(full->config(), 1);
  LoadReport report = load_encoder_weights(*enc, st, "no-pooler");
  EXPECT_EQ(report.newly_initialized, pooler);
  enc->eval();
  auto batch = sample_batch(*enc);
  auto want = full->forward(batch), got = enc->forward(batch);
  EXPECT_EQ(max_diff(got.last_hidden_state, want.last_hidden_state), 0.0);
  ASSERT_TRUE(got.pooler_output.defined());
  EXPECT_GT(max_diff(got.pooler_output, want.pooler_output), 0.0);
}

TEST_P(EncoderArch, UnknownKeysIgnoredAndPrefixedCheckpointLoads) {
  auto src = checkpoint(GetParam());
  auto enc = load_encoder(src.string());
  enc->eval();
  auto batch = sample_batch(*enc);
  auto expected = enc->forward(batch).last_hidden_state;

  auto dir = temp_dir("prefixed_" + GetParam());
  fs::copy_file(src / "config.json", dir / "config.json");
  auto st = models::read_safetensors((src / "model.safetensors").string()).tensors;
  models::TensorMap prefixed;
  const std::string prefix = enc->config().base_model_prefix();
  for (auto& [k, t] : st) prefixed[prefix + k] = t;
  prefixed["embeddings.position_ids"] = at::arange(64, at::kLong).unsqueeze(0);
  prefixed["cls.predictions.bias"] = at::zeros({5});
  models::write_safetensors((dir / "model.safetensors").string(), prefixed);
  auto loaded = make_encoder(enc->config(), 1);
  auto report = load_encoder_weights(*loaded, prefixed, "prefixed");
  EXPECT_EQ(report.prefix_stripped, prefix);
  EXPECT_EQ(report.unexpected.size(), 2u);
  auto from_dir = load_encoder(dir.string());
  from_dir->eval();
  EXPECT_TRUE(at::equal(from_dir->forward(batch).last_hidden_state, expected));
}

TEST_P(EncoderArch, ShapeMismatchNamesParamAndShapes) {
  auto enc = load_encoder(checkpoint(GetParam()).string());
  auto sd = enc->state_dict();
  models::TensorMap bad(sd.begin(), sd.end());
  auto name = sd.begin()->first;
  auto shape = sd.begin()->second.sizes().vec();
  shape[0] += 1;
  bad[name] = at::zeros(shape);
  auto msg = data_error_message([&] { load_encoder_weights(*enc, bad, "ckpt"); });
  EXPECT_NE(msg.find(name), std::string::npos) << msg;
  auto text = [](std::vector<int64_t> s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
  };
  EXPECT_NE(msg.find("checkpoint has " + text(shape)), std::string::npos) << msg;
  shape[0] -= 1;
  EXPECT_NE(msg.find("expects " + text(shape)), std::string::npos) << msg;
}

TEST_P(EncoderArch, RejectsBadInputs) {
  auto enc = load_encoder(checkpoint(GetParam()).string());
  auto ids = at::randint(5, 100, {2, 5}, at::kLong);
  EXPECT_THROW(enc->forward({ids.view({10}), {}, {}}), ValueError);
  EXPECT_THROW(enc->forward({ids, at::ones({2, 4}), {}}), ValueError);
  EXPECT_THROW(enc->forward({at::full({1, 3}, enc->config().vocab_size, at::kLong), {}, {}}), ValueError);
  EXPECT_THROW(enc->forward({at::ones({1, enc->max_sequence_length() + 1}, at::kLong), {}, {}}), ValueError);
  EXPECT_THROW(enc->forward({ids.to(at::kFloat), {}, {}}), ValueError);
}

INSTANTIATE_TEST_SUITE_P(Archs, EncoderArch,
                         ::testing::Values("bert", "roberta", "distilbert", "albert", "electra", "gpt2"));

// ---------------------------------------------------------------------------------------------
TEST(Encoder, RobertaPositionsSkipPaddingIds) {
  // A left-padded row gives the same outputs as the unpadded one: RoBERTa's position ids count
  // only non-pad tokens (HF create_position_ids_from_input_ids).
  auto enc = load_encoder(checkpoint("roberta").string());
  enc->eval();
  auto ids = at::randint(5, 1000, {1, 4}, at::kLong);
  auto alone = enc->forward({ids, {}, {}}).last_hidden_state;
  auto left = at::cat({at::full({1, 2}, 1, at::kLong), ids}, 1);
  auto mask = at::cat({at::zeros({1, 2}, at::kLong), at::ones({1, 4}, at::kLong)}, 1);
  auto out = enc->forward({left, mask, {}}).last_hidden_state;
  EXPECT_LT(max_diff(out[0].slice(0, 2), alone[0]), 1e-5);
  EXPECT_EQ(enc->max_sequence_length(), 64);
}

TEST(Encoder, LegacyGammaBetaNamesLoad) {
  // The hub's bert-base-uncased weights use TF-era names: bert.embeddings.LayerNorm.gamma/beta.
  auto src = checkpoint("bert");
  auto enc = load_encoder(src.string());
  auto st = models::read_safetensors((src / "model.safetensors").string()).tensors;
  models::TensorMap legacy;
  int renamed = 0;
  for (auto& [k, t] : st) {
    std::string name = k;
    for (auto [from, to] : {std::pair<std::string, std::string>{"LayerNorm.weight", "LayerNorm.gamma"},
                            {"LayerNorm.bias", "LayerNorm.beta"}})
      if (name.size() > from.size() && name.compare(name.size() - from.size(), from.size(), from) == 0) {
        name = name.substr(0, name.size() - from.size()) + to;
        ++renamed;
      }
    legacy["bert." + name] = t;
  }
  EXPECT_GT(renamed, 4);
  auto fresh = make_encoder(enc->config(), 99);
  auto report = load_encoder_weights(*fresh, legacy, "legacy");
  EXPECT_TRUE(report.unexpected.empty());
  for (auto& [k, t] : fresh->state_dict()) EXPECT_TRUE(at::equal(t, st.at(k))) << k;
}

TEST(Encoder, Gpt2IsCausal) {
  auto enc = load_encoder(checkpoint("gpt2").string());
  enc->eval();
  auto ids = at::randint(5, 1000, {1, 6}, at::kLong);
  auto a = enc->forward({ids, {}, {}}).last_hidden_state;
  auto changed = ids.clone();
  changed[0][5] = (ids[0][5].item<int64_t>() + 17) % 1000 + 5;
  auto b = enc->forward({changed, {}, {}}).last_hidden_state;
  EXPECT_LT(max_diff(a[0].slice(0, 0, 5), b[0].slice(0, 0, 5)), 1e-6);
  EXPECT_GT(max_diff(a[0][5], b[0][5]), 1e-4);
  // An all-padding row stays finite.
  auto out = enc->forward({at::zeros({1, 3}, at::kLong), at::zeros({1, 3}, at::kLong), {}});
  EXPECT_TRUE(at::isfinite(out.last_hidden_state).all().item<bool>());
}

TEST(Encoder, TokenTypesChangeBertOutputs) {
  auto enc = load_encoder(checkpoint("bert").string());
  enc->eval();
  auto ids = at::randint(5, 1000, {1, 5}, at::kLong);
  auto a = enc->forward({ids, {}, {}}).last_hidden_state;
  auto z = enc->forward({ids, {}, at::zeros({1, 5}, at::kLong)}).last_hidden_state;
  auto o = enc->forward({ids, {}, at::ones({1, 5}, at::kLong)}).last_hidden_state;
  EXPECT_TRUE(at::equal(a, z));
  EXPECT_GT(max_diff(a, o), 1e-4);
  EXPECT_THROW(enc->forward({ids, {}, at::full({1, 5}, 2, at::kLong)}), ValueError);
}

TEST(Encoder, GradientsMatchFiniteDifferences) {
  auto cfg = HFConfig::from_json(Json{{"model_type", "bert"}, {"vocab_size", 30}, {"hidden_size", 8},
                                      {"num_hidden_layers", 1}, {"num_attention_heads", 2},
                                      {"intermediate_size", 16}, {"max_position_embeddings", 16}});
  auto enc = make_encoder(cfg, 3);
  enc->to(at::kDouble);
  enc->eval();
  auto ids = at::tensor(std::vector<int64_t>{2, 7, 9, 4, 0, 11, 3, 0}, at::kLong).view({2, 4});
  auto mask = at::tensor(std::vector<int64_t>{1, 1, 1, 1, 1, 1, 1, 0}, at::kLong).view({2, 4});
  auto w = at::randn({2, 4, 8}, at::kDouble);
  auto wp = at::randn({2, 8}, at::kDouble);
  auto loss_fn = [&] {
    auto out = enc->forward({ids, mask, {}});
    return (out.last_hidden_state * w).sum() + (out.pooler_output * wp).sum();
  };
  for (auto& p : enc->parameters()) p.mutable_grad() = at::Tensor();
  loss_fn().backward();
  auto sd = enc->named_parameters();
  struct Probe { std::string name; std::vector<int64_t> idx; };
  std::vector<Probe> probes = {{"encoder.layer.0.attention.self.query.weight", {1, 2}},
                               {"encoder.layer.0.attention.self.value.bias", {3}},
                               {"encoder.layer.0.intermediate.dense.weight", {5, 0}},
                               {"embeddings.word_embeddings.weight", {7, 4}},
                               {"embeddings.position_embeddings.weight", {2, 1}},
                               {"encoder.layer.0.output.LayerNorm.weight", {6}},
                               {"pooler.dense.weight", {0, 3}}};
  at::NoGradGuard guard;
  for (const auto& pr : probes) {
    ASSERT_TRUE(sd.contains(pr.name)) << pr.name;
    at::Tensor p = sd[pr.name];
    at::Tensor elem = p;
    for (auto i : pr.idx) elem = elem[i];
    double analytic = p.grad().defined() ? [&] { at::Tensor g = p.grad(); for (auto i : pr.idx) g = g[i]; return g.item<double>(); }() : 0.0;
    const double eps = 1e-6;
    double orig = elem.item<double>();
    elem.fill_(orig + eps);
    double up = loss_fn().item<double>();
    elem.fill_(orig - eps);
    double down = loss_fn().item<double>();
    elem.fill_(orig);
    double numeric = (up - down) / (2 * eps);
    EXPECT_NEAR(analytic, numeric, 1e-4 * std::max(1.0, std::abs(numeric))) << pr.name;
    EXPECT_GT(std::abs(numeric), 1e-8) << pr.name << " has no gradient to check";
  }
}

TEST(Encoder, MakeEncoderInitialisesAsHuggingFace) {
  auto cfg = HFConfig::from_json(Json{{"model_type", "bert"}, {"vocab_size", 500}, {"hidden_size", 64},
                                      {"num_hidden_layers", 1}, {"num_attention_heads", 2}, {"pad_token_id", 3}});
  auto a = make_encoder(cfg, 11), b = make_encoder(cfg, 11), c = make_encoder(cfg, 12);
  auto sa = a->state_dict(), sb = b->state_dict(), sc = c->state_dict();
  EXPECT_TRUE(at::equal(sa["embeddings.word_embeddings.weight"], sb["embeddings.word_embeddings.weight"]));
  EXPECT_FALSE(at::equal(sa["embeddings.word_embeddings.weight"], sc["embeddings.word_embeddings.weight"]));
  auto w = sa["embeddings.word_embeddings.weight"];
  EXPECT_EQ(w[3].abs().sum().item<float>(), 0.0f);  // padding row
  EXPECT_NEAR(w.std().item<double>(), 0.02, 0.002);
  EXPECT_TRUE(at::equal(sa["embeddings.LayerNorm.weight"], at::ones({64})));
  EXPECT_EQ(sa["encoder.layer.0.attention.self.query.bias"].abs().sum().item<float>(), 0.0f);
  auto g = make_encoder(HFConfig::from_json(Json{{"model_type", "gpt2"}, {"vocab_size", 100}, {"n_embd", 64},
                                                 {"n_layer", 8}, {"n_head", 2}}), 5);
  auto sg = g->state_dict();
  EXPECT_NEAR(sg["h.0.attn.c_proj.weight"].std().item<double>(), 0.02 / 4.0, 0.001);
  EXPECT_NEAR(sg["h.0.attn.c_attn.weight"].std().item<double>(), 0.02, 0.002);
}

TEST(Encoder, DistilBertSinusoidalPositions) {
  auto cfg = HFConfig::from_json(Json{{"model_type", "distilbert"}, {"vocab_size", 50}, {"dim", 8},
                                      {"n_layers", 1}, {"n_heads", 2}, {"sinusoidal_pos_embds", true}});
  auto enc = make_encoder(cfg, 1);
  auto pe = enc->state_dict()["embeddings.position_embeddings.weight"];
  EXPECT_NEAR(pe[3][0].item<float>(), std::sin(3.0), 1e-6);
  EXPECT_NEAR(pe[3][1].item<float>(), std::cos(3.0), 1e-6);
  EXPECT_NEAR(pe[5][2].item<float>(), std::sin(5.0 / std::pow(10000.0, 2.0 / 8)), 1e-6);
  EXPECT_FALSE(pe.requires_grad());
}

TEST(Encoder, LoadsPytorchModelBinAndHalfSafetensors) {
  auto src = checkpoint("bert");
  auto enc = load_encoder(src.string());
  enc->eval();
  auto batch = sample_batch(*enc);
  auto expected = enc->forward(batch).last_hidden_state;
  auto st = models::read_safetensors((src / "model.safetensors").string()).tensors;

  auto bin_dir = temp_dir("bin_ckpt");
  fs::copy_file(src / "config.json", bin_dir / "config.json");
  models::TensorMap prefixed;
  for (auto& [k, t] : st) prefixed["bert." + k] = t;
  models::write_torch_bin((bin_dir / "pytorch_model.bin").string(), prefixed);
  auto from_bin = load_encoder(bin_dir.string());
  from_bin->eval();
  EXPECT_TRUE(at::equal(from_bin->forward(batch).last_hidden_state, expected));

  auto half_dir = temp_dir("half_ckpt");
  fs::copy_file(src / "config.json", half_dir / "config.json");
  models::TensorMap half;
  for (auto& [k, t] : st) half[k] = t.to(at::kHalf);
  models::write_safetensors((half_dir / "model.safetensors").string(), half);
  auto from_half = load_encoder(half_dir.string());
  from_half->eval();
  for (auto& p : from_half->parameters()) EXPECT_EQ(p.scalar_type(), at::kFloat);
  EXPECT_LT(max_diff(from_half->forward(batch).last_hidden_state, expected), 0.05);
}

TEST(Encoder, LoadsShardedSafetensors) {
  auto src = checkpoint("distilbert");
  auto st = models::read_safetensors((src / "model.safetensors").string()).tensors;
  auto dir = temp_dir("sharded");
  fs::copy_file(src / "config.json", dir / "config.json");
  models::TensorMap a, b;
  Json map = Json::object();
  int i = 0;
  for (auto& [k, t] : st) {
    bool first = i++ % 2 == 0;
    (first ? a : b)[k] = t;
    map[k] = first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  models::write_safetensors((dir / "model-00001-of-00002.safetensors").string(), a);
  models::write_safetensors((dir / "model-00002-of-00002.safetensors").string(), b);
  std::ofstream((dir / "model.safetensors.index.json").string()) << Json{{"weight_map", map}}.dump();
  auto enc = load_encoder(dir.string());
  auto sd = enc->state_dict();
  for (auto& [k, t] : st) EXPECT_TRUE(at::equal(sd[k], t)) << k;
}

TEST(Encoder, LoadErrorsNameTheFolder) {
  auto dir = temp_dir("noweights");
  auto msg = data_error_message([&] { load_encoder(dir.string()); });
  EXPECT_NE(msg.find("config.json"), std::string::npos) << msg;
  fs::copy_file(checkpoint("bert") / "config.json", dir / "config.json");
  msg = data_error_message([&] { load_encoder(dir.string()); });
  EXPECT_NE(msg.find("no weights"), std::string::npos) << msg;
  msg = data_error_message([&] { load_encoder((dir / "nope").string()); });
  EXPECT_NE(msg.find("not a model folder"), std::string::npos) << msg;
  msg = data_error_message([&] { load_encoder(checkpoint("bert").string(), Json{{"hidden_act", "bogus"}}); });
  EXPECT_NE(msg.find("bogus"), std::string::npos) << msg;
}

// load_encoder maps model.safetensors: float32 weights become views of the file (no copy) and
// the outputs equal those of an encoder whose weights were copied in; a file cut short is a
// DataError naming it when the model is loaded, before any weight is used.
TEST(Encoder, MappedWeightsGiveTheOutputsOfCopiedOnes) {
  const fs::path dir = temp_dir("mapped_bert");
  fs::copy(checkpoint("bert"), dir, fs::copy_options::recursive);
  auto mapped = load_encoder(dir.string());
  mapped->eval();
  size_t n_mapped = 0, n_params = 0;
  for (const auto& p : mapped->named_parameters(true)) {
    ++n_params;
    n_mapped += models::is_file_mapped(p.value());
  }
  EXPECT_EQ(n_mapped, n_params);
  auto copied = load_encoder(dir.string(), Json::object(), /*with_weights=*/false);
  const std::string file = (dir / "model.safetensors").string();
  load_encoder_weights(*copied, models::parse_safetensors(read_file_bytes(file), file).tensors, file);
  copied->eval();
  for (const auto& p : copied->named_parameters(true)) EXPECT_FALSE(models::is_file_mapped(p.value())) << p.key();
  auto batch = sample_batch(*mapped);
  // With gradients on, both run the same ATen products: equal. At inference the mapped weights run
  // on their packed copies (models/packed_matmul.hpp), the copied ones on sgemm: equal to rounding.
  auto hidden = [&](Encoder& e) { return e.forward(batch).last_hidden_state.detach(); };
  EXPECT_TRUE(at::equal(hidden(*mapped), hidden(*copied)));
  {
    at::NoGradGuard no_grad;
    EXPECT_TRUE(at::allclose(hidden(*mapped), hidden(*copied), 0.0, 1e-5));
  }
  at::NoGradGuard no_grad;
  // Training writes to the weights: the pages are copied, the file stays as it was.
  for (const auto& p : mapped->named_parameters(true)) at::Tensor(p.value()).mul_(0.5);
  EXPECT_TRUE(at::equal(mapped->named_parameters(true)["encoder.layer.0.output.dense.weight"] * 2,
                        copied->named_parameters(true)["encoder.layer.0.output.dense.weight"]));
  auto again = load_encoder(dir.string());
  again->eval();
  {
    at::AutoGradMode with_gradients(true);
    EXPECT_TRUE(at::equal(hidden(*again), hidden(*copied)));
  }

  again.reset();  // nothing maps the file when it is cut short in place below
  mapped.reset();
  const std::string bytes = read_file_bytes(file);
  write_file_bytes(file, bytes.substr(0, bytes.size() - 100));
  const std::string msg = data_error_message([&] { load_encoder(dir.string()); });
  EXPECT_NE(msg.find(file), std::string::npos) << msg;
  EXPECT_NE(msg.find("file truncated?"), std::string::npos) << msg;
  fs::remove_all(dir);
}

TEST(Encoder, MixedPrecisionFlagIsIgnoredOnCpu) {
  auto enc = load_encoder(checkpoint("bert").string());
  enc->eval();
  auto batch = sample_batch(*enc);
  auto a = enc->forward(batch).last_hidden_state;
  enc->set_mixed_precision(true);
  auto b = enc->forward(batch).last_hidden_state;
  EXPECT_TRUE(enc->mixed_precision());
  EXPECT_TRUE(at::equal(a, b));
  EXPECT_EQ(b.scalar_type(), at::kFloat);
}

// ---------------------------------------------------------------------------------------------
TEST(HFCheckpoint, WritesConfigAndTokenizerFiles) {
  struct Case { std::string arch; std::vector<std::string> files; int64_t vocab; const char* arch_name; };
  std::vector<Case> cases = {{"bert", {"vocab.txt"}, 30522, "BertModel"},
                             {"roberta", {"vocab.json", "merges.txt"}, 50262, "RobertaModel"},
                             {"distilbert", {"vocab.txt"}, 30522, "DistilBertModel"},
                             {"albert", {"spiece.model"}, 30000, "AlbertModel"},
                             {"electra", {"vocab.txt"}, 30522, "ElectraModel"},
                             {"gpt2", {"vocab.json", "merges.txt"}, 50257, "GPT2Model"}};
  for (const auto& c : cases) {
    auto dir = checkpoint(c.arch);
    for (const auto& f : c.files) EXPECT_TRUE(fs::exists(dir / f)) << c.arch << " " << f;
    Json cfg = Json::parse(trfpipe::read_file_bytes((dir / "config.json").string()));
    EXPECT_EQ(cfg["vocab_size"], c.vocab) << c.arch;
    EXPECT_EQ(cfg["architectures"][0], c.arch_name);
    Json tc = Json::parse(trfpipe::read_file_bytes((dir / "tokenizer_config.json").string()));
    EXPECT_EQ(tc["model_max_length"], 64) << c.arch;
    if (c.arch == "roberta") EXPECT_EQ(cfg["max_position_embeddings"], 66);
    if (c.arch == "bert") EXPECT_EQ(tc["do_lower_case"], true);
    if (c.arch == "distilbert") EXPECT_EQ(cfg["dim"], 32);
    if (c.arch == "gpt2") EXPECT_EQ(cfg["n_embd"], 32);
  }
  EXPECT_EQ(fs::file_size(checkpoint("roberta") / "merges.txt"),
            fs::file_size(kTok + "gpt2-vocab.bpe"));
  // RoBERTa's vocab.json gets its special tokens around the GPT-2 entries (ids shifted by 4).
  auto rv = Json::parse(trfpipe::read_file_bytes((checkpoint("roberta") / "vocab.json").string()));
  EXPECT_EQ(rv["<s>"], 0);
  EXPECT_EQ(rv["<pad>"], 1);
  EXPECT_EQ(rv["</s>"], 2);
  EXPECT_EQ(rv["<unk>"], 3);
  EXPECT_EQ(rv["!"], 4);
  EXPECT_EQ(rv["<mask>"], 50261);
  auto gv = Json::parse(trfpipe::read_file_bytes((checkpoint("gpt2") / "vocab.json").string()));
  EXPECT_EQ(gv["!"], 0);
  EXPECT_FALSE(gv.contains("<s>"));
}

TEST(HFCheckpoint, SeedMakesWeightsReproducible) {
  auto a = temp_dir("seed_a"), b = temp_dir("seed_b");
  write_hf_checkpoint(a.string(), "distilbert", 1, 16, 2, tokenizer_for("distilbert"), 5);
  write_hf_checkpoint(b.string(), "distilbert", 1, 16, 2, tokenizer_for("distilbert"), 5);
  EXPECT_EQ(trfpipe::read_file_bytes((a / "model.safetensors").string()),
            trfpipe::read_file_bytes((b / "model.safetensors").string()));
  write_hf_checkpoint(b.string(), "distilbert", 1, 16, 2, tokenizer_for("distilbert"), 6);
  EXPECT_NE(trfpipe::read_file_bytes((a / "model.safetensors").string()),
            trfpipe::read_file_bytes((b / "model.safetensors").string()));
}

TEST(HFCheckpoint, AcceptsTokenizerJsonAndExplicitVocabSize) {
  auto dir = temp_dir("tokjson");
  HFCheckpointOptions o;
  o.arch = "bert";
  o.layers = 1;
  o.width = 16;
  o.heads = 2;
  o.tokenizer_path = std::string(TRFPIPE_SHARED_DIR) + "/data/golden/tokenization/bert-base-uncased.tokenizer.json";
  write_hf_checkpoint(dir.string(), o);
  EXPECT_TRUE(fs::exists(dir / "tokenizer.json"));
  EXPECT_EQ(Json::parse(trfpipe::read_file_bytes((dir / "config.json").string()))["vocab_size"], 30522);
  o.vocab_size = 1000;
  o.tokenizer_path = kTok + "bert-base-uncased-vocab.txt";
  write_hf_checkpoint(dir.string(), o);
  EXPECT_EQ(Json::parse(trfpipe::read_file_bytes((dir / "config.json").string()))["vocab_size"], 1000);
}

TEST(HFCheckpoint, RejectsBadArchSizesAndMismatchedTokenizer) {
  auto dir = temp_dir("bad");
  try {
    write_hf_checkpoint(dir.string(), "t5", 1, 16, 2, tokenizer_for("bert"));
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("bert, roberta, distilbert, albert, electra, gpt2"), std::string::npos);
  }
  EXPECT_THROW(write_hf_checkpoint(dir.string(), "bert", 1, 15, 2, tokenizer_for("bert")), ValueError);
  EXPECT_THROW(write_hf_checkpoint(dir.string(), "bert", 0, 16, 2, tokenizer_for("bert")), ValueError);
  EXPECT_THROW(write_hf_checkpoint(dir.string(), "albert", 1, 16, 2, tokenizer_for("bert")), ValueError);
  EXPECT_THROW(write_hf_checkpoint(dir.string(), "gpt2", 1, 16, 2, tokenizer_for("albert")), ValueError);
  EXPECT_THROW(write_hf_checkpoint(dir.string(), "bert", 1, 16, 2, "/nonexistent/vocab.txt"), DataError);
  EXPECT_THROW(write_hf_checkpoint(dir.string(), "bert", 1, 16, 2, ""), ValueError);
  std::ofstream((dir / "fake.model").string()) << "\xff\xff\xff not protobuf";
  EXPECT_THROW(write_hf_checkpoint(dir.string(), "albert", 1, 16, 2, (dir / "fake.model").string()), DataError);
}

// ---------------------------------------------------------------------------------------------
// Hugging Face parity: each tests/models/fixtures/NAME/ holds an HF model folder (config.json +
// weights), inputs.json ({"input_ids": [[..]], "attention_mask": [[..]], "token_type_ids": ...})
// and expected.safetensors (last_hidden_state, optional pooler_output, hidden_states.N) made by
// tests/models/fixtures/make_fixture.py with the transformers library.
TEST(HFParity, FixturesMatchHuggingFaceOutputs) {
  fs::path root = fs::path(TRFPIPE_SOURCE_DIR) / "tests/models/fixtures";
  std::vector<fs::path> dirs;
  if (fs::is_directory(root))
    for (const auto& e : fs::directory_iterator(root))
      if (e.is_directory() && fs::exists(e.path() / "config.json")) dirs.push_back(e.path());
  if (dirs.empty()) GTEST_SKIP() << "no HF parity fixtures in " << root;
  std::sort(dirs.begin(), dirs.end());
  for (const auto& dir : dirs) {
    SCOPED_TRACE(dir.string());
    auto enc = load_encoder(dir.string(),
                            Json{{"output_hidden_states", true}, {"output_attentions", true}});
    enc->eval();
    Json in = Json::parse(trfpipe::read_file_bytes((dir / "inputs.json").string()));
    EncoderInput x{trfpipe::testing::fixture_input(in, "input_ids"), trfpipe::testing::fixture_input(in, "attention_mask"),
                   trfpipe::testing::fixture_input(in, "token_type_ids")};
    // With autograd (ATen's ops) and at inference (models::linear: oneDNN's sgemm where chosen).
    for (const bool inference : {false, true}) {
      SCOPED_TRACE(inference ? "inference (" + models::linear_backend() + ")" : "with autograd");
      std::optional<at::NoGradGuard> no_grad;
      if (inference) no_grad.emplace();
      auto out = enc->forward(x);
      auto expected = models::read_safetensors((dir / "expected.safetensors").string()).tensors;
      std::map<std::string, at::Tensor> got{{"last_hidden_state", out.last_hidden_state}};
      if (expected.count("pooler_output") && out.pooler_output.defined()) got["pooler_output"] = out.pooler_output;
      for (size_t i = 0; i < out.hidden_states.size(); ++i) got["hidden_states." + std::to_string(i)] = out.hidden_states[i];
      for (size_t i = 0; i < out.attentions.size(); ++i) got["attentions." + std::to_string(i)] = out.attentions[i];
      const double worst = trfpipe::testing::expect_hf_parity(expected, got, x.input_ids, x.attention_mask);
      std::cout << "HF parity " << dir.filename().string() << (inference ? " (inference)" : "")
                << ": max |diff| " << worst << "\n";
    }
  }
}

// require_gpu / require_cpu choose where encoders are loaded; without CUDA a GPU is refused and
// the choice stays the CPU.
TEST(EncoderDevice, RequireGpuWithoutCudaIsAValueErrorAndKeepsTheCpu) {
  require_gpu(-1);
  EXPECT_EQ(current_device(), "cpu");
  EXPECT_EQ(encoder_device(), at::Device(at::kCPU));
  if (at::hasCUDA()) GTEST_SKIP() << "this LibTorch has CUDA";
  EXPECT_THROW(require_gpu(0), ValueError);
  EXPECT_EQ(current_device(), "cpu");
  auto enc = load_encoder(checkpoint("bert").string());
  EXPECT_TRUE(enc->device().is_cpu());
}
