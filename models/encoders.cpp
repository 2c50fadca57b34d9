// The encoder architectures (BERT, RoBERTa family, DistilBERT, ALBERT, ELECTRA, GPT-2) with
// Hugging Face parameter names, their forward passes (numerics as HF's eager implementations) and
// HF's weight initialisation. XLNet is in models/xlnet.cpp, the shared base in
// models/encoder_base.cpp; loading/saving lives in models/encoder_io.cpp.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/modules/container/modulelist.h>

#include <cmath>
#include <limits>
#include <optional>

#include <torch/csrc/autograd/grad_mode.h>

#include "models/encoder_base.hpp"
#include "models/attention.hpp"
#include "models/encoders_internal.hpp"
#include "models/encoder_modules.hpp"
#include "models/fast_linear.hpp"
#include "models/reduced_precision.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/torch/encoder.hpp"

namespace trfpipe {

namespace models {
namespace {

using hf::Embedding;  // torch::nn's layers without their initialisation (models/encoder_modules.hpp)
using hf::LayerNorm;
using hf::Linear;
using torch::nn::EmbeddingOptions;
using torch::nn::LayerNormOptions;
using torch::nn::ModuleList;

// A Linear layer through models::linear (oneDNN's sgemm at inference where chosen).
at::Tensor run_linear(const Linear& layer, const at::Tensor& x) {
  return linear(x, layer->weight, layer->bias);
}

// [batch, seq] → [batch, heads, seq, head_dim]
at::Tensor split_heads(const at::Tensor& x, int64_t heads) {
  auto b = x.size(0), s = x.size(1);
  return x.view({b, s, heads, x.size(2) / heads}).permute({0, 2, 1, 3});
}
at::Tensor merge_heads(const at::Tensor& x) {
  auto b = x.size(0), h = x.size(1), s = x.size(2), d = x.size(3);
  return x.permute({0, 2, 1, 3}).contiguous().view({b, s, h * d});
}

at::Tensor softmax_float(const at::Tensor& scores, at::ScalarType out_type) {
  bool low = scores.scalar_type() == at::kHalf || scores.scalar_type() == at::kBFloat16;
  at::Tensor p = low ? at::softmax(scores, -1, at::kFloat) : at::softmax(scores, -1);
  return p.scalar_type() == out_type ? p : p.to(out_type);
}

// Scaled dot-product attention as HF's eager BERT: scores = q k^T / sqrt(d) + additive mask.
// `distil`: DistilBERT's variant (q scaled first, masked_fill with finfo.min). `packed_starts`:
// q, k, v are packed tokens [tokens, width] (models/attention.hpp), sequence i at rows
// starts[i] .. starts[i + 1]; the encoder only packs where packed_attention applies.
at::Tensor attend(const at::Tensor& q_in, const at::Tensor& k_in, const at::Tensor& v_in, int64_t heads,
                  const at::Tensor& add_mask, const at::Tensor& keep_mask, double p, bool training,
                  std::vector<at::Tensor>* attentions, bool distil = false,
                  const std::vector<int64_t>* packed_starts = nullptr) {
  if (packed_starts) {
    at::Tensor ctx = packed_attention(q_in, k_in, v_in, heads, *packed_starts, active_inference_dtype());
    TORCH_CHECK(ctx.defined(), "packed attention does not apply to these inputs");
    return ctx;
  }
  if (!distil && !(training && p > 0)) {  // at inference: per head on oneDNN's sgemm where chosen
    if (!attentions && packed_attention_enabled()) {  // no probabilities wanted: a block of scores at a time
      at::Tensor ctx = blocked_attention(q_in, k_in, v_in, heads, add_mask, active_inference_dtype());
      if (ctx.defined()) return ctx;
    }
    at::Tensor probs;
    at::Tensor ctx = attention(q_in, k_in, v_in, heads, add_mask, attentions ? &probs : nullptr);
    if (ctx.defined()) {
      if (attentions) attentions->push_back(probs);
      return ctx;
    }
  }
  auto q = split_heads(q_in, heads), k = split_heads(k_in, heads), v = split_heads(v_in, heads);
  double scale = std::sqrt(static_cast<double>(q.size(-1)));
  at::Tensor scores;
  if (distil) {
    scores = at::matmul(q / scale, k.transpose(-1, -2));
    if (keep_mask.defined()) scores = scores.masked_fill(keep_mask.logical_not(), lowest(scores.scalar_type()));
  } else {
    scores = at::matmul(q, k.transpose(-1, -2)) / scale;
    if (add_mask.defined()) scores = scores + add_mask;
  }
  at::Tensor probs = softmax_float(scores, v.scalar_type());
  probs = drop(probs, p, training);
  if (attentions) attentions->push_back(probs);
  return merge_heads(at::matmul(probs, v));
}

// ---------------------------------------------------------------------------------------------
// Embeddings shared by BERT, RoBERTa, ALBERT and ELECTRA.
struct BertEmbeddings : torch::nn::Module {
  Embedding word{nullptr}, position{nullptr}, token_type{nullptr};
  LayerNorm norm{nullptr};
  double p;
  bool roberta;
  int64_t pad;

  explicit BertEmbeddings(const HFConfig& c) : p(c.hidden_dropout_prob), roberta(c.family == EncoderFamily::Roberta), pad(c.pad_token_id) {
    int64_t e = c.embedding_width();
    auto wo = EmbeddingOptions(c.vocab_size, e);
    if (pad >= 0) wo.padding_idx(pad);
    word = register_module("word_embeddings", Embedding(wo));
    auto po = EmbeddingOptions(c.max_position_embeddings, e);
    if (roberta) po.padding_idx(pad);
    position = register_module("position_embeddings", Embedding(po));
    token_type = register_module("token_type_embeddings", Embedding(EmbeddingOptions(c.type_vocab_size, e)));
    norm = register_module("LayerNorm", LayerNorm(LayerNormOptions({e}).eps(c.layer_norm_eps)));
  }

  at::Tensor forward(const at::Tensor& ids, const at::Tensor& token_types) {
    return embed(ids, token_types, position_ids(ids));
  }
  // The real tokens only ([tokens, width]); positions are those of the padded rows.
  at::Tensor forward_packed(const at::Tensor& ids, const at::Tensor& token_types, const PackedRows& rows) {
    return embed(rows.pack(ids), rows.pack(token_types), rows.pack(position_ids(ids)));
  }

 private:
  at::Tensor position_ids(const at::Tensor& ids) const {
    if (roberta) {  // HF create_position_ids_from_input_ids
      auto m = ids.ne(pad).to(at::kInt);
      return (at::cumsum(m, 1).to(at::kInt) * m).to(at::kLong) + pad;
    }
    return at::arange(ids.size(1), ids.options()).unsqueeze(0).expand({ids.size(0), ids.size(1)});
  }
  at::Tensor embed(const at::Tensor& ids, const at::Tensor& token_types, const at::Tensor& pos) {
    at::Tensor x = word(ids) + token_type(token_types);
    x = x + position(pos);
    return drop(norm(x), p, is_training());
  }
};

// Where the encoder runs packed tokens: at inference without autograd, float32 on the CPU with
// oneDNN's sgemm, no attentions asked for. Elsewhere (training, CUDA, ...) the padded path runs.
bool packing_applies(const Encoder& encoder, const HFConfig& c) {
  return packed_attention_enabled() && !encoder.is_training() && !c.output_attentions &&
         !at::GradMode::is_enabled() && linear_uses_onednn() && encoder.device().is_cpu() &&
         param_dtype(encoder) == at::kFloat;
}

// The packed rows of `in` where packing applies and position 0 of every row is a real token:
// HF's pooler reads position 0, which the packed path does not compute where it is padding.
std::optional<PackedRows> packing_for(const Encoder& encoder, const EncoderInput& in,
                                      const HFConfig& c) {
  if (!packing_applies(encoder, c) || !in.input_ids.device().is_cpu() || !in.attention_mask.defined() ||
      in.attention_mask.dim() != 2 || in.attention_mask.size(1) == 0 ||
      !in.attention_mask.select(1, 0).ne(0).all().item<bool>())
    return std::nullopt;
  return packed_rows(in.attention_mask);
}

// One BERT/RoBERTa/ELECTRA layer: attention.self.{query,key,value}, attention.output.{dense,LayerNorm},
// intermediate.dense, output.{dense,LayerNorm}.
struct BertLayer : torch::nn::Module {
  Linear query{nullptr}, key{nullptr}, value{nullptr}, attn_dense{nullptr}, inter{nullptr}, out{nullptr};
  LayerNorm attn_norm{nullptr}, out_norm{nullptr};
  const HFConfig& c;

  explicit BertLayer(const HFConfig& cfg) : c(cfg) {
    int64_t h = c.hidden_size;
    auto attention = node(*this, "attention");
    auto self = node(*attention, "self");
    query = self->register_module("query", Linear(h, h));
    key = self->register_module("key", Linear(h, h));
    value = self->register_module("value", Linear(h, h));
    auto aout = node(*attention, "output");
    attn_dense = aout->register_module("dense", Linear(h, h));
    attn_norm = aout->register_module("LayerNorm", LayerNorm(LayerNormOptions({h}).eps(c.layer_norm_eps)));
    inter = node(*this, "intermediate")->register_module("dense", Linear(h, c.intermediate_size));
    auto o = node(*this, "output");
    out = o->register_module("dense", Linear(c.intermediate_size, h));
    out_norm = o->register_module("LayerNorm", LayerNorm(LayerNormOptions({h}).eps(c.layer_norm_eps)));
  }

  // x: [batch, seq, hidden], or packed tokens [tokens, hidden] with `packed_starts`.
  at::Tensor forward(const at::Tensor& x, const at::Tensor& mask, std::vector<at::Tensor>* attentions,
                     const std::vector<int64_t>* packed_starts = nullptr) {
    bool tr = is_training();
    at::Tensor ctx = attend(run_linear(query, x), run_linear(key, x), run_linear(value, x), c.num_attention_heads, mask, {},
                            c.attention_probs_dropout_prob, tr, attentions, false, packed_starts);
    at::Tensor a = attn_norm(drop(run_linear(attn_dense, ctx), c.hidden_dropout_prob, tr) + x);
    at::Tensor i = activation(run_linear(inter, a), c.hidden_act);
    return out_norm(drop(run_linear(out, i), c.hidden_dropout_prob, tr) + a);
  }
};

at::Tensor additive_mask(const at::Tensor& mask, at::ScalarType dtype) {  // [b, s] → [b, 1, 1, s]
  auto m = mask.to(dtype).unsqueeze(1).unsqueeze(2);
  return (1.0 - m) * lowest(dtype);
}

// Runs `layers` in order, collecting HF's hidden_states (the input, then every layer's output)
// and attentions when the config asks for them.
template <typename Layers>
at::Tensor run_layers(Layers& layers, at::Tensor h, const at::Tensor& mask, const HFConfig& c,
                      EncoderOutput& out) {
  auto* att = c.output_attentions ? &out.attentions : nullptr;
  if (c.output_hidden_states) out.hidden_states.push_back(h);
  for (auto& l : layers) {
    h = l->forward(h, mask, att);
    if (c.output_hidden_states) out.hidden_states.push_back(h);
  }
  return h;
}

// run_layers on packed tokens: every layer sees only the real tokens ([tokens, hidden]); returns
// [batch, seq, hidden] with zeros at padded positions (so do the hidden_states).
template <typename Layers>
at::Tensor run_packed_layers(Layers& layers, at::Tensor h, const PackedRows& rows, const HFConfig& c,
                             EncoderOutput& out) {
  if (c.output_hidden_states) out.hidden_states.push_back(rows.unpack(h));
  for (auto& l : layers) {
    h = l->forward(h, {}, nullptr, &rows.starts);
    if (c.output_hidden_states) out.hidden_states.push_back(rows.unpack(h));
  }
  return rows.unpack(h);
}

// ---------------------------------------------------------------------------------------------
// BERT, RoBERTa (XLM-R, CamemBERT), ELECTRA
class BertEncoder : public EncoderBase {
 public:
  explicit BertEncoder(HFConfig cfg) : EncoderBase(std::move(cfg)) {
    const auto& c = config_;
    embeddings_ = register_module("embeddings", std::make_shared<BertEmbeddings>(c));
    if (c.family == EncoderFamily::Electra && c.embedding_width() != c.hidden_size)
      project_ = register_module("embeddings_project", Linear(c.embedding_width(), c.hidden_size));
    auto enc = node(*this, "encoder");
    layers_ = enc->register_module("layer", ModuleList());
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
      auto l = std::make_shared<BertLayer>(config_);
      layers_->push_back(l);
      layer_ptrs_.push_back(l);
    }
    if (c.has_pooler()) pooler_ = node(*this, "pooler")->register_module("dense", Linear(c.hidden_size, c.hidden_size));
  }

 protected:
  EncoderOutput run(const EncoderInput& in) override {
    EncoderOutput out;
    if (std::optional<PackedRows> rows = packing_for(*this, in, config_)) {
      at::Tensor h = embeddings_->forward_packed(in.input_ids, in.token_type_ids, *rows);
      if (project_) h = project_(h);
      out.last_hidden_state = h = run_packed_layers(layer_ptrs_, h, *rows, config_, out);
      if (pooler_) out.pooler_output = at::tanh(pooler_(h.select(1, 0)));
      return out;
    }
    at::Tensor h = embeddings_->forward(in.input_ids, in.token_type_ids);
    if (project_) h = project_(h);
    at::Tensor mask = additive_mask(in.attention_mask, param_dtype(*this));
    out.last_hidden_state = h = run_layers(layer_ptrs_, h, mask, config_, out);
    if (pooler_) out.pooler_output = at::tanh(pooler_(h.select(1, 0)));
    return out;
  }

 private:
  std::shared_ptr<BertEmbeddings> embeddings_;
  Linear project_{nullptr}, pooler_{nullptr};
  ModuleList layers_{nullptr};
  std::vector<std::shared_ptr<BertLayer>> layer_ptrs_;
};

// ---------------------------------------------------------------------------------------------
// ALBERT
struct AlbertLayer : torch::nn::Module {
  Linear query{nullptr}, key{nullptr}, value{nullptr}, dense{nullptr}, ffn{nullptr}, ffn_output{nullptr};
  LayerNorm attn_norm{nullptr}, full_norm{nullptr};
  const HFConfig& c;

  explicit AlbertLayer(const HFConfig& cfg) : c(cfg) {
    int64_t h = c.hidden_size;
    full_norm = register_module("full_layer_layer_norm", LayerNorm(LayerNormOptions({h}).eps(c.layer_norm_eps)));
    auto a = node(*this, "attention");
    query = a->register_module("query", Linear(h, h));
    key = a->register_module("key", Linear(h, h));
    value = a->register_module("value", Linear(h, h));
    dense = a->register_module("dense", Linear(h, h));
    attn_norm = a->register_module("LayerNorm", LayerNorm(LayerNormOptions({h}).eps(c.layer_norm_eps)));
    ffn = register_module("ffn", Linear(h, c.intermediate_size));
    ffn_output = register_module("ffn_output", Linear(c.intermediate_size, h));
  }

  // x: [batch, seq, hidden], or packed tokens [tokens, hidden] with `packed_starts`.
  at::Tensor forward(const at::Tensor& x, const at::Tensor& mask, std::vector<at::Tensor>* attentions,
                     const std::vector<int64_t>* packed_starts = nullptr) {
    bool tr = is_training();
    at::Tensor ctx = attend(run_linear(query, x), run_linear(key, x), run_linear(value, x), c.num_attention_heads, mask, {},
                            c.attention_probs_dropout_prob, tr, attentions, false, packed_starts);
    at::Tensor a = attn_norm(x + drop(run_linear(dense, ctx), c.hidden_dropout_prob, tr));
    at::Tensor f = run_linear(ffn_output, activation(run_linear(ffn, a), c.hidden_act));
    return full_norm(f + a);
  }
};

class AlbertEncoder : public EncoderBase {
 public:
  explicit AlbertEncoder(HFConfig cfg) : EncoderBase(std::move(cfg)) {
    const auto& c = config_;
    embeddings_ = register_module("embeddings", std::make_shared<BertEmbeddings>(c));
    auto enc = node(*this, "encoder");
    mapping_ = enc->register_module("embedding_hidden_mapping_in", Linear(c.embedding_width(), c.hidden_size));
    auto groups = enc->register_module("albert_layer_groups", ModuleList());
    for (int64_t g = 0; g < c.num_hidden_groups; ++g) {
      auto group = std::make_shared<Node>();
      groups->push_back(group);
      auto layers = group->register_module("albert_layers", ModuleList());
      std::vector<std::shared_ptr<AlbertLayer>> ptrs;
      for (int64_t i = 0; i < c.inner_group_num; ++i) {
        auto l = std::make_shared<AlbertLayer>(config_);
        layers->push_back(l);
        ptrs.push_back(l);
      }
      groups_.push_back(ptrs);
    }
    pooler_ = register_module("pooler", Linear(c.hidden_size, c.hidden_size));
  }

 protected:
  EncoderOutput run(const EncoderInput& in) override {
    EncoderOutput out;
    const std::optional<PackedRows> rows = packing_for(*this, in, config_);
    // Packed: the layers run on the real tokens only; outputs are unpacked to [batch, seq, hidden].
    auto whole = [&](const at::Tensor& t) { return rows ? rows->unpack(t) : t; };
    at::Tensor h = rows ? mapping_(embeddings_->forward_packed(in.input_ids, in.token_type_ids, *rows))
                        : mapping_(embeddings_->forward(in.input_ids, in.token_type_ids));
    at::Tensor mask = rows ? at::Tensor() : additive_mask(in.attention_mask, param_dtype(*this));
    const std::vector<int64_t>* starts = rows ? &rows->starts : nullptr;
    if (config_.output_hidden_states) out.hidden_states.push_back(whole(h));
    auto* att = config_.output_attentions ? &out.attentions : nullptr;
    const int64_t n = config_.num_hidden_layers, groups = config_.num_hidden_groups;
    for (int64_t i = 0; i < n; ++i) {
      int64_t g = i / (n / groups);
      for (auto& l : groups_[g]) h = l->forward(h, mask, att, starts);
      if (config_.output_hidden_states) out.hidden_states.push_back(whole(h));
    }
    out.last_hidden_state = h = whole(h);
    out.pooler_output = at::tanh(pooler_(h.select(1, 0)));
    return out;
  }

 private:
  std::shared_ptr<BertEmbeddings> embeddings_;
  Linear mapping_{nullptr}, pooler_{nullptr};
  std::vector<std::vector<std::shared_ptr<AlbertLayer>>> groups_;
};

// ---------------------------------------------------------------------------------------------
// DistilBERT
struct DistilLayer : torch::nn::Module {
  Linear q{nullptr}, k{nullptr}, v{nullptr}, o{nullptr}, lin1{nullptr}, lin2{nullptr};
  LayerNorm sa_norm{nullptr}, out_norm{nullptr};
  const HFConfig& c;

  explicit DistilLayer(const HFConfig& cfg) : c(cfg) {
    int64_t h = c.hidden_size;
    auto a = node(*this, "attention");
    q = a->register_module("q_lin", Linear(h, h));
    k = a->register_module("k_lin", Linear(h, h));
    v = a->register_module("v_lin", Linear(h, h));
    o = a->register_module("out_lin", Linear(h, h));
    sa_norm = register_module("sa_layer_norm", LayerNorm(LayerNormOptions({h}).eps(1e-12)));
    auto f = node(*this, "ffn");
    lin1 = f->register_module("lin1", Linear(h, c.intermediate_size));
    lin2 = f->register_module("lin2", Linear(c.intermediate_size, h));
    out_norm = register_module("output_layer_norm", LayerNorm(LayerNormOptions({h}).eps(1e-12)));
  }

  at::Tensor forward(const at::Tensor& x, const at::Tensor& keep, std::vector<at::Tensor>* attentions) {
    bool tr = is_training();
    at::Tensor ctx = attend(run_linear(q, x), run_linear(k, x), run_linear(v, x), c.num_attention_heads, {}, keep,
                            c.attention_probs_dropout_prob, tr, attentions, /*distil=*/true);
    at::Tensor sa = sa_norm(run_linear(o, ctx) + x);
    at::Tensor f = drop(run_linear(lin2, activation(run_linear(lin1, sa), c.hidden_act)), c.hidden_dropout_prob, tr);
    return out_norm(f + sa);
  }
};

class DistilBertEncoder : public EncoderBase {
 public:
  explicit DistilBertEncoder(HFConfig cfg) : EncoderBase(std::move(cfg)) {
    const auto& c = config_;
    auto emb = node(*this, "embeddings");
    auto wo = EmbeddingOptions(c.vocab_size, c.hidden_size);
    if (c.pad_token_id >= 0) wo.padding_idx(c.pad_token_id);
    word_ = emb->register_module("word_embeddings", Embedding(wo));
    position_ = emb->register_module("position_embeddings",
                                     Embedding(EmbeddingOptions(c.max_position_embeddings, c.hidden_size)));
    if (c.sinusoidal_pos_embds) position_->weight.set_requires_grad(false);
    norm_ = emb->register_module("LayerNorm", LayerNorm(LayerNormOptions({c.hidden_size}).eps(1e-12)));
    auto tr = node(*this, "transformer");
    auto layers = tr->register_module("layer", ModuleList());
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
      auto l = std::make_shared<DistilLayer>(config_);
      layers->push_back(l);
      layers_.push_back(l);
    }
  }

 protected:
  EncoderOutput run(const EncoderInput& in) override {
    EncoderOutput out;
    const auto& ids = in.input_ids;
    auto pos = at::arange(ids.size(1), ids.options()).unsqueeze(0).expand({ids.size(0), ids.size(1)});
    at::Tensor h = drop(norm_(word_(ids) + position_(pos)), config_.hidden_dropout_prob, is_training());
    at::Tensor keep = in.attention_mask.ne(0).view({ids.size(0), 1, 1, ids.size(1)});
    out.last_hidden_state = run_layers(layers_, h, keep, config_, out);
    return out;
  }

 private:
  Embedding word_{nullptr}, position_{nullptr};
  LayerNorm norm_{nullptr};
  std::vector<std::shared_ptr<DistilLayer>> layers_;
};

// ---------------------------------------------------------------------------------------------
// GPT-2
struct Conv1D : torch::nn::Module {  // HF Conv1D: y = x @ W + b with W [in, out]
  at::Tensor weight, bias;
  int64_t nx, nf;
  Conv1D(int64_t in, int64_t out) : nx(in), nf(out) {
    weight = register_parameter("weight", at::empty({in, out}));
    bias = register_parameter("bias", at::zeros({out}));
  }
  at::Tensor forward(const at::Tensor& x) { return linear(x, weight, bias, /*weight_in_out=*/true); }
};

struct Gpt2Block : torch::nn::Module {
  LayerNorm ln1{nullptr}, ln2{nullptr};
  std::shared_ptr<Conv1D> c_attn, attn_proj, c_fc, mlp_proj;
  const HFConfig& c;

  explicit Gpt2Block(const HFConfig& cfg) : c(cfg) {
    int64_t h = c.hidden_size;
    ln1 = register_module("ln_1", LayerNorm(LayerNormOptions({h}).eps(c.layer_norm_eps)));
    auto attn = node(*this, "attn");
    c_attn = attn->register_module("c_attn", std::make_shared<Conv1D>(h, 3 * h));
    attn_proj = attn->register_module("c_proj", std::make_shared<Conv1D>(h, h));
    ln2 = register_module("ln_2", LayerNorm(LayerNormOptions({h}).eps(c.layer_norm_eps)));
    auto mlp = node(*this, "mlp");
    c_fc = mlp->register_module("c_fc", std::make_shared<Conv1D>(h, c.intermediate_size));
    mlp_proj = mlp->register_module("c_proj", std::make_shared<Conv1D>(c.intermediate_size, h));
  }

  at::Tensor forward(const at::Tensor& x, const at::Tensor& mask, std::vector<at::Tensor>* attentions) {
    bool tr = is_training();
    auto qkv = c_attn->forward(ln1(x)).split(c.hidden_size, 2);
    at::Tensor a = attend(qkv[0], qkv[1], qkv[2], c.num_attention_heads, mask, {},
                          c.attention_probs_dropout_prob, tr, attentions);
    at::Tensor h = drop(attn_proj->forward(a), c.hidden_dropout_prob, tr) + x;
    at::Tensor f = drop(mlp_proj->forward(activation(c_fc->forward(ln2(h)), c.hidden_act)), c.hidden_dropout_prob, tr);
    return h + f;
  }
};

class Gpt2Encoder : public EncoderBase {
 public:
  explicit Gpt2Encoder(HFConfig cfg) : EncoderBase(std::move(cfg)) {
    const auto& c = config_;
    wte_ = register_module("wte", Embedding(EmbeddingOptions(c.vocab_size, c.hidden_size)));
    wpe_ = register_module("wpe", Embedding(EmbeddingOptions(c.max_position_embeddings, c.hidden_size)));
    auto h = register_module("h", ModuleList());
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
      auto b = std::make_shared<Gpt2Block>(config_);
      h->push_back(b);
      blocks_.push_back(b);
    }
    ln_f_ = register_module("ln_f", LayerNorm(LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
  }

 protected:
  EncoderOutput run(const EncoderInput& in) override {
    EncoderOutput out;
    const auto& ids = in.input_ids;
    const int64_t b = ids.size(0), s = ids.size(1);
    auto pos = at::arange(s, ids.options()).unsqueeze(0).expand({b, s});
    at::Tensor h = drop(wte_(ids) + wpe_(pos), config_.embedding_dropout_prob, is_training());
    // Causal and padding masks in one additive mask. Where HF adds finfo.min twice (a padded key
    // above the diagonal) this adds it once: the probabilities are 0 either way, and a row with
    // no visible key stays finite instead of turning into NaN.
    auto dtype = param_dtype(*this);
    at::Tensor causal = at::ones({s, s}, ids.options().dtype(at::kBool)).tril();
    at::Tensor mask = additive_mask(in.attention_mask, dtype).expand({b, 1, s, s});
    mask = mask.masked_fill(causal.logical_not().view({1, 1, s, s}), lowest(dtype));
    h = ln_f_(run_layers(blocks_, h, mask, config_, out));
    if (config_.output_hidden_states) out.hidden_states.back() = h;  // HF: the last entry is after ln_f
    out.last_hidden_state = h;
    return out;
  }

 private:
  Embedding wte_{nullptr}, wpe_{nullptr};
  LayerNorm ln_f_{nullptr};
  std::vector<std::shared_ptr<Gpt2Block>> blocks_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
std::shared_ptr<Encoder> build_encoder(const HFConfig& c) {
  switch (c.family) {
    case EncoderFamily::Bert:
    case EncoderFamily::Roberta:
    case EncoderFamily::Electra: return std::make_shared<BertEncoder>(c);
    case EncoderFamily::Albert: return std::make_shared<AlbertEncoder>(c);
    case EncoderFamily::DistilBert: return std::make_shared<DistilBertEncoder>(c);
    case EncoderFamily::Gpt2: return std::make_shared<Gpt2Encoder>(c);
    case EncoderFamily::Xlnet: return build_xlnet_encoder(c);
  }
  throw ValueError("unsupported encoder family");
}

bool runs_packed_tokens(const Encoder& encoder) {
  const EncoderFamily f = encoder.config().family;
  const bool bert_layers = f == EncoderFamily::Bert || f == EncoderFamily::Roberta ||
                           f == EncoderFamily::Electra || f == EncoderFamily::Albert;
  return bert_layers && packing_applies(encoder, encoder.config());
}

void init_encoder_weights(Encoder& enc, std::optional<uint64_t> seed) {
  c10::optional<at::Generator> gen;
  if (seed) gen = at::detail::createCPUGenerator(*seed);
  const HFConfig& c = enc.config();
  const double std_dev = c.initializer_range;
  at::NoGradGuard no_grad;
  for (const auto& item : enc.named_modules("", /*include_self=*/false)) {
    torch::nn::Module* m = item.value().get();
    const std::string& name = item.key();
    auto ends_with = [&](const std::string& suffix) {
      return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (auto* l = dynamic_cast<hf::LinearImpl*>(m)) {
      l->weight.normal_(0.0, std_dev, gen);
      if (l->bias.defined()) l->bias.zero_();
    } else if (auto* cv = dynamic_cast<Conv1D*>(m)) {
      double s = std_dev;
      if (ends_with("c_proj")) s = std_dev / std::sqrt(2.0 * c.num_hidden_layers);
      cv->weight.normal_(0.0, s, gen);
      cv->bias.zero_();
    } else if (auto* e = dynamic_cast<hf::EmbeddingImpl*>(m)) {
      if (c.family == EncoderFamily::DistilBert && c.sinusoidal_pos_embds && ends_with("position_embeddings")) {
        // HF create_sinusoidal_embeddings
        const int64_t n = e->weight.size(0), d = e->weight.size(1);
        auto w = at::zeros({n, d}, at::kDouble);
        auto acc = w.accessor<double, 2>();
        for (int64_t p = 0; p < n; ++p)
          for (int64_t j = 0; j < d; ++j) {
            double angle = p / std::pow(10000.0, 2.0 * (j / 2) / static_cast<double>(d));
            acc[p][j] = (j % 2 == 0) ? std::sin(angle) : std::cos(angle);
          }
        e->weight.copy_(w);
        continue;
      }
      e->weight.normal_(0.0, std_dev, gen);
      if (e->options.padding_idx()) e->weight[*e->options.padding_idx()].zero_();
    } else if (auto* ln = dynamic_cast<hf::LayerNormImpl*>(m)) {
      ln->weight.fill_(1.0);
      ln->bias.zero_();
    }
    if (auto* custom = dynamic_cast<CustomInit*>(m)) custom->init_weights(std_dev, gen);
  }
  if (auto* custom = dynamic_cast<CustomInit*>(&enc)) custom->init_weights(std_dev, gen);
}

}  // namespace models

std::shared_ptr<Encoder> make_encoder(const HFConfig& config, std::optional<uint64_t> seed) {
  auto enc = models::build_encoder(config);
  models::init_encoder_weights(*enc, seed);
  return enc;
}

}  // namespace trfpipe
