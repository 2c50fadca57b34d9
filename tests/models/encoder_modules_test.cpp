// The encoders' own Linear / Embedding / LayerNorm (models/encoder_modules.hpp): torch::nn's
// numerics, names and gradients; building an encoder writes none of its weight memory, and
// make_encoder's initialisation writes every parameter of every architecture.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <unistd.h>

#include <cmath>
#include <string>
#include <vector>

#include "models/encoder_modules.hpp"
#include "models/encoders_internal.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/torch/encoder.hpp"

using namespace trfpipe;
namespace hf = trfpipe::models::hf;

namespace {

std::vector<std::string> parameter_names(const torch::nn::Module& m) {
  std::vector<std::string> out;
  for (const auto& p : m.named_parameters()) out.push_back(p.key());
  return out;
}

// The share of the pages under `t`'s data that are resident (mincore).
double resident_share(const at::Tensor& t) {
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<uintptr_t>(t.data_ptr()) & ~(page - 1);
  const auto end = reinterpret_cast<uintptr_t>(t.data_ptr()) + t.nbytes();
  std::vector<unsigned char> pages((end - begin + page - 1) / page);
  if (mincore(reinterpret_cast<void*>(begin), end - begin, pages.data()) != 0) {
    ADD_FAILURE() << "mincore failed";
    return 1.0;
  }
  size_t resident = 0;
  for (unsigned char p : pages) resident += p & 1;
  return double(resident) / double(pages.size());
}

// One small config per architecture family.
std::vector<Json> family_configs() {
  return {
      Json{{"model_type", "bert"}, {"vocab_size", 97}, {"hidden_size", 16}, {"num_hidden_layers", 2},
           {"num_attention_heads", 2}, {"intermediate_size", 32}, {"pad_token_id", 0}},
      Json{{"model_type", "roberta"}, {"vocab_size", 97}, {"hidden_size", 16}, {"num_hidden_layers", 1},
           {"num_attention_heads", 2}, {"intermediate_size", 32}, {"pad_token_id", 1},
           {"max_position_embeddings", 40}},
      Json{{"model_type", "electra"}, {"vocab_size", 97}, {"hidden_size", 16}, {"embedding_size", 8},
           {"num_hidden_layers", 1}, {"num_attention_heads", 2}, {"intermediate_size", 32}},
      Json{{"model_type", "albert"}, {"vocab_size", 97}, {"hidden_size", 16}, {"embedding_size", 8},
           {"num_hidden_layers", 2}, {"num_attention_heads", 2}, {"intermediate_size", 32}},
      Json{{"model_type", "distilbert"}, {"vocab_size", 97}, {"dim", 16}, {"n_layers", 1}, {"n_heads", 2},
           {"hidden_dim", 32}, {"sinusoidal_pos_embds", true}},
      Json{{"model_type", "gpt2"}, {"vocab_size", 97}, {"n_embd", 16}, {"n_layer", 2}, {"n_head", 2},
           {"n_positions", 40}},
      Json{{"model_type", "xlnet"}, {"vocab_size", 97}, {"d_model", 16}, {"n_layer", 1}, {"n_head", 2},
           {"d_inner", 32}},
  };
}

}  // namespace

TEST(EncoderModules, LinearEmbeddingLayerNormMatchTorchNnExactly) {
  at::manual_seed(3);
  torch::nn::Linear tl(12, 5);
  hf::Linear ml(12, 5);
  auto te = torch::nn::Embedding(torch::nn::EmbeddingOptions(20, 6).padding_idx(-2));
  hf::Embedding me(torch::nn::EmbeddingOptions(20, 6).padding_idx(-2));
  torch::nn::LayerNorm tn(torch::nn::LayerNormOptions({6}).eps(1e-7));
  hf::LayerNorm mn(torch::nn::LayerNormOptions({6}).eps(1e-7));
  EXPECT_EQ(parameter_names(*ml), parameter_names(*tl));
  EXPECT_EQ(parameter_names(*me), parameter_names(*te));
  EXPECT_EQ(parameter_names(*mn), parameter_names(*tn));
  EXPECT_EQ(me->options.padding_idx(), te->options.padding_idx());  // -2 counts from the end: 18
  {
    at::NoGradGuard no_grad;
    ml->weight.copy_(tl->weight);
    ml->bias.copy_(tl->bias);
    me->weight.copy_(te->weight);
    tn->weight.normal_();  // not the ones / zeros a check of the formula could not see
    tn->bias.normal_();
    mn->weight.copy_(tn->weight);
    mn->bias.copy_(tn->bias);
  }
  const at::Tensor x = at::randn({3, 4, 12});
  const at::Tensor ids = at::tensor(std::vector<int64_t>{1, 18, 5, 18, 19, 0}).view({2, 3});
  const at::Tensor h = at::randn({2, 3, 6}) * 4 + 1;
  at::Tensor yt = tn(te(ids) + tl(x).slice(2, 0, 1).sum() + h), ym = mn(me(ids) + ml(x).slice(2, 0, 1).sum() + h);
  EXPECT_TRUE(at::equal(tl(x), ml(x)));
  EXPECT_TRUE(at::equal(te(ids), me(ids)));
  EXPECT_TRUE(at::equal(yt, ym));
  // The same gradients, the padding row (18) getting none, as torch's.
  (yt * h).sum().backward();
  (ym * h).sum().backward();
  EXPECT_TRUE(at::equal(te->weight.grad(), me->weight.grad()));
  EXPECT_EQ(me->weight.grad()[18].abs().sum().item<float>(), 0.0f);
  EXPECT_GT(me->weight.grad()[1].abs().sum().item<float>(), 0.0f);
  EXPECT_TRUE(at::equal(tl->weight.grad(), ml->weight.grad()));
  EXPECT_TRUE(at::equal(tn->weight.grad(), mn->weight.grad()));
  EXPECT_TRUE(at::equal(tn->bias.grad(), mn->bias.grad()));
}

TEST(EncoderModules, PaddingIndexOutsideTheTableIsAnError) {
  EXPECT_THROW(hf::Embedding(torch::nn::EmbeddingOptions(5, 2).padding_idx(5)), ValueError);
  EXPECT_THROW(hf::Embedding(torch::nn::EmbeddingOptions(5, 2).padding_idx(-6)), ValueError);
}

// What loading needs from the built modules is their shapes: a checkpoint replaces every weight.
// torch::nn's constructors wrote them all (for roberta-base, ~500 MB that stayed in the process's
// peak); these leave the pages untouched.
TEST(EncoderModules, BuildingAnEncoderForLoadingWritesNoWeightMemory) {
  // A 64 MB word embedding: larger than anything an earlier test in this process freed, so the
  // allocation is fresh memory rather than reused (already resident) heap.
  const auto cfg = HFConfig::from_json(Json{{"model_type", "bert"}, {"vocab_size", 65536}, {"hidden_size", 256},
                                            {"num_hidden_layers", 1}, {"num_attention_heads", 4},
                                            {"intermediate_size", 1024}});
  auto enc = models::build_encoder(cfg);
  const at::Tensor words = enc->state_dict().at("embeddings.word_embeddings.weight");
  EXPECT_LT(resident_share(words), 0.1) << "building the encoder wrote its word embeddings";
  // Initialising (make_encoder's path) writes them: the measurement can see the difference.
  models::init_encoder_weights(*enc, 1);
  EXPECT_EQ(resident_share(words), 1.0);
}

// Fresh weights come only from init_encoder_weights now: it must write every parameter of every
// architecture (a parameter it missed would keep whatever the allocation held).
TEST(EncoderModules, InitialisationWritesEveryParameterOfEveryArchitecture) {
  for (const Json& j : family_configs()) {
    const auto cfg = HFConfig::from_json(j);
    auto enc = models::build_encoder(cfg);
    {
      at::NoGradGuard no_grad;
      for (auto& p : enc->parameters()) p.fill_(std::nan(""));
    }
    models::init_encoder_weights(*enc, 7);
    auto again = make_encoder(cfg, 7);
    const auto fresh = again->state_dict();
    for (const auto& [name, t] : enc->state_dict()) {
      EXPECT_TRUE(at::isfinite(t).all().item<bool>()) << cfg.model_type << " " << name << " left unwritten";
      EXPECT_TRUE(at::equal(t, fresh.at(name))) << cfg.model_type << " " << name << " differs for the same seed";
    }
    // HF's _init_weights: N(0, initializer_range) matrices, zero biases, LayerNorm ones / zeros.
    for (const auto& [name, t] : fresh) {
      const bool bias = name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
      const bool norm = name.find("LayerNorm") != std::string::npos || name.find("layer_norm") != std::string::npos ||
                        name.find("ln_") != std::string::npos;
      if (norm) {
        EXPECT_TRUE(at::equal(t, bias ? at::zeros_like(t) : at::ones_like(t))) << cfg.model_type << " " << name;
      } else if (bias && t.dim() == 1) {
        EXPECT_EQ(t.abs().sum().item<float>(), 0.0f) << cfg.model_type << " " << name;
      }
    }
  }
}
