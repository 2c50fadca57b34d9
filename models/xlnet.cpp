// XLNetModel with Hugging Face's parameter names (word_embedding, mask_emb, layer.N.rel_attn.{q,k,
// v,o,r,r_r_bias,r_s_bias,r_w_bias,seg_embed,layer_norm}, layer.N.ff.{layer_1,layer_2,layer_norm})
// and the numerics of HF's eager forward for the content stream: relative positional encodings
// (sinusoids over distances klen … -qlen+1, optionally clamped, bi_data halves), relative segment
// encodings (same / different segment of query and key), attn_type "bi" or "uni" (+ same_length).
// Inference never carries memory (mems) between calls, and there is no query stream (perm_mask /
// target_mapping are pretraining inputs), so mask_emb is loaded and saved but unused.
#include <ATen/ATen.h>
#include <torch/nn/modules/container/modulelist.h>

#include <cmath>

#include "models/encoder_base.hpp"
#include "models/encoder_modules.hpp"
#include "models/fast_linear.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::models {
namespace {

using hf::Embedding;  // torch::nn's layers without their initialisation (models/encoder_modules.hpp)
using hf::LayerNorm;
using hf::Linear;
using torch::nn::EmbeddingOptions;
using torch::nn::LayerNormOptions;
using torch::nn::ModuleList;

// What every layer needs for one forward pass, computed once per batch.
struct XlnetContext {
  at::Tensor pos_emb;   // [rlen, batch, d_model]
  at::Tensor mask;      // [batch, 1, qlen, klen] float, 1 = masked; undefined = nothing masked
  at::Tensor seg_diff;  // [batch, 1, qlen, klen] bool, query and key in different segments; undefined = no segments
};

// HF's rel_shift_bnij: x [b, n, qlen, rlen] → [b, n, qlen, klen], column j of row i taken from
// the relative distance i - j.
at::Tensor rel_shift(const at::Tensor& x, int64_t klen) {
  const int64_t b = x.size(0), n = x.size(1), q = x.size(2), r = x.size(3);
  at::Tensor y = x.reshape({b, n, r, q}).slice(2, 1);
  return y.reshape({b, n, q, r - 1}).slice(3, 0, klen);
}

struct XlnetRelativeAttention : torch::nn::Module, CustomInit {
  at::Tensor q, k, v, o, r, r_r_bias, r_s_bias, r_w_bias, seg_embed;
  LayerNorm layer_norm{nullptr};
  const HFConfig& c;
  int64_t heads, d_head;

  explicit XlnetRelativeAttention(const HFConfig& cfg)
      : c(cfg), heads(cfg.num_attention_heads), d_head(cfg.head_dim()) {
    const int64_t d = c.hidden_size;
    q = register_parameter("q", at::empty({d, heads, d_head}));
    k = register_parameter("k", at::empty({d, heads, d_head}));
    v = register_parameter("v", at::empty({d, heads, d_head}));
    o = register_parameter("o", at::empty({d, heads, d_head}));
    r = register_parameter("r", at::empty({d, heads, d_head}));
    r_r_bias = register_parameter("r_r_bias", at::empty({heads, d_head}));
    r_s_bias = register_parameter("r_s_bias", at::empty({heads, d_head}));
    r_w_bias = register_parameter("r_w_bias", at::empty({heads, d_head}));
    seg_embed = register_parameter("seg_embed", at::empty({2, heads, d_head}));
    layer_norm = register_module("layer_norm", LayerNorm(LayerNormOptions({d}).eps(c.layer_norm_eps)));
  }

  void init_weights(double std_dev, const c10::optional<at::Generator>& gen) override {
    for (at::Tensor* t : {&q, &k, &v, &o, &r, &r_r_bias, &r_s_bias, &r_w_bias, &seg_embed})
      t->normal_(0.0, std_dev, gen);
  }

  // x [b, len, d_model] · W [d_model, n, d] → [b, n, len, d] (HF's einsum "ibh,hnd->ibnd"), on
  // models::linear with W as an [in, out] matrix (a view of the parameter: its prepared copy,
  // packed or bf16/int8, is found by the parameter's data).
  at::Tensor project(const at::Tensor& x, const at::Tensor& w) const {
    const int64_t b = x.size(0), len = x.size(1);
    return models::linear(x, w.view({w.size(0), heads * d_head}), at::Tensor(), /*weight_in_out=*/true)
        .view({b, len, heads, d_head})
        .permute({0, 2, 1, 3});
  }

  at::Tensor forward(const at::Tensor& h, const XlnetContext& ctx, std::vector<at::Tensor>* attentions) {
    const bool tr = is_training();
    const int64_t b = h.size(0), len = h.size(1);
    at::Tensor qh = project(h, q), kh = project(h, k), vh = project(h, v);  // [b, n, len, d]
    at::Tensor kr = project(ctx.pos_emb.to(r.scalar_type()).transpose(0, 1), r);  // [b, n, rlen, d]
    auto bias = [&](const at::Tensor& t) { return t.view({1, heads, 1, d_head}); };
    at::Tensor ac = at::matmul(qh + bias(r_w_bias), kh.transpose(-1, -2));
    at::Tensor bd = rel_shift(at::matmul(qh + bias(r_r_bias), kr.transpose(-1, -2)), len);
    at::Tensor score = ac + bd;
    if (ctx.seg_diff.defined()) {
      // [b, n, len, 2]: the query's score against "same segment" (0) and "other segment" (1).
      at::Tensor ef = at::matmul(qh + bias(r_s_bias), seg_embed.permute({1, 2, 0}).unsqueeze(0));
      score = score + at::where(ctx.seg_diff, ef.select(3, 1).unsqueeze(3), ef.select(3, 0).unsqueeze(3));
    }
    score = score * (1.0 / std::sqrt(static_cast<double>(d_head)));
    if (ctx.mask.defined())  // HF subtracts a large constant rather than adding finfo.min
      score = score - (score.scalar_type() == at::kHalf ? 65500.0 : 1e30) * ctx.mask.to(score.scalar_type());
    at::Tensor prob = at::softmax(score, 3);
    prob = drop(prob, c.hidden_dropout_prob, tr);
    if (attentions) attentions->push_back(prob);
    at::Tensor vec = at::matmul(prob, vh).permute({0, 2, 1, 3}).reshape({b, len, heads * d_head});
    at::Tensor out = models::linear(vec, o.view({o.size(0), heads * d_head}), at::Tensor());
    out = drop(out, c.hidden_dropout_prob, tr);
    return layer_norm(out + h);
  }
};

struct XlnetFeedForward : torch::nn::Module {
  LayerNorm layer_norm{nullptr};
  Linear layer_1{nullptr}, layer_2{nullptr};
  const HFConfig& c;
  explicit XlnetFeedForward(const HFConfig& cfg) : c(cfg) {
    layer_norm = register_module("layer_norm", LayerNorm(LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
    layer_1 = register_module("layer_1", Linear(c.hidden_size, c.intermediate_size));
    layer_2 = register_module("layer_2", Linear(c.intermediate_size, c.hidden_size));
  }
  at::Tensor forward(const at::Tensor& x) {
    const bool tr = is_training();
    at::Tensor y = drop(activation(layer_1(x), c.hidden_act), c.hidden_dropout_prob, tr);
    y = drop(layer_2(y), c.hidden_dropout_prob, tr);
    return layer_norm(y + x);
  }
};

struct XlnetLayer : torch::nn::Module {
  std::shared_ptr<XlnetRelativeAttention> rel_attn;
  std::shared_ptr<XlnetFeedForward> ff;
  explicit XlnetLayer(const HFConfig& c) {
    rel_attn = register_module("rel_attn", std::make_shared<XlnetRelativeAttention>(c));
    ff = register_module("ff", std::make_shared<XlnetFeedForward>(c));
  }
  at::Tensor forward(const at::Tensor& h, const XlnetContext& ctx, std::vector<at::Tensor>* attentions) {
    return ff->forward(rel_attn->forward(h, ctx, attentions));
  }
};

class XlnetEncoder : public EncoderBase, public CustomInit {
 public:
  explicit XlnetEncoder(HFConfig cfg) : EncoderBase(std::move(cfg)) {
    zero_fill_token_types_ = false;
    const auto& c = config_;
    word_embedding_ = register_module("word_embedding", Embedding(EmbeddingOptions(c.vocab_size, c.hidden_size)));
    mask_emb_ = register_parameter("mask_emb", at::empty({1, 1, c.hidden_size}));
    auto layers = register_module("layer", ModuleList());
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
      auto l = std::make_shared<XlnetLayer>(config_);
      layers->push_back(l);
      layers_.push_back(l);
    }
  }

  void init_weights(double std_dev, const c10::optional<at::Generator>& gen) override {
    mask_emb_.normal_(0.0, std_dev, gen);
  }

 protected:
  EncoderOutput run(const EncoderInput& in) override {
    const HFConfig& c = config_;
    const bool tr = is_training();
    const at::Tensor& ids = in.input_ids;
    const int64_t b = ids.size(0), len = ids.size(1);
    if (c.bi_data && b % 2 != 0)
      throw ValueError("XLNet with bi_data needs an even batch size (forward and backward halves), got " +
                       std::to_string(b));
    EncoderOutput out;
    XlnetContext ctx;
    ctx.pos_emb = drop(positional_encoding(len, b, ids.device()), c.hidden_dropout_prob, tr);
    ctx.mask = attention_mask(in.attention_mask, b, len);
    if (in.token_type_ids.defined())
      ctx.seg_diff = in.token_type_ids.unsqueeze(2).ne(in.token_type_ids.unsqueeze(1)).unsqueeze(1);
    at::Tensor h = drop(word_embedding_(ids), c.hidden_dropout_prob, tr);
    auto* att = c.output_attentions ? &out.attentions : nullptr;
    if (c.output_hidden_states) out.hidden_states.push_back(h);
    for (auto& l : layers_) {
      h = l->forward(h, ctx, att);
      if (c.output_hidden_states) out.hidden_states.push_back(h);
    }
    out.last_hidden_state = drop(h, c.hidden_dropout_prob, tr);
    return out;
  }

 private:
  // HF relative_positional_encoding: sinusoids of the distances klen, klen-1, … (down to -qlen+1
  // for "bi", 0 for "uni"), clamped to ±clamp_len; [rlen, batch, d_model].
  at::Tensor positional_encoding(int64_t len, int64_t batch, const at::Device& device) const {
    const HFConfig& c = config_;
    auto fopt = at::TensorOptions().dtype(at::kFloat).device(device);
    at::Tensor freq = at::arange(0, c.hidden_size, 2, fopt.dtype(at::kLong)).to(at::kFloat);
    at::Tensor inv_freq = 1.0 / at::pow(10000.0, freq / static_cast<double>(c.hidden_size));
    const int64_t end = c.attn_type == "bi" ? -len : -1;
    auto sinusoid = [&](at::Tensor pos) {
      if (c.clamp_len > 0) pos = pos.clamp(-static_cast<double>(c.clamp_len), static_cast<double>(c.clamp_len));
      at::Tensor x = at::outer(pos, inv_freq);
      return at::cat({at::sin(x), at::cos(x)}, -1).unsqueeze(1);  // [rlen, 1, d_model]
    };
    at::Tensor fwd = sinusoid(at::arange(len, end, -1, fopt.dtype(at::kLong)).to(at::kFloat));
    if (!c.bi_data) return fwd.expand({fwd.size(0), batch, fwd.size(2)});
    at::Tensor bwd = sinusoid(at::arange(-len, -end, 1, fopt.dtype(at::kLong)).to(at::kFloat));
    const int64_t half = batch / 2;
    return at::cat({fwd.expand({fwd.size(0), half, fwd.size(2)}), bwd.expand({bwd.size(0), half, bwd.size(2)})}, 1);
  }

  // HF's non_tgt_mask for the content stream: key j is hidden from query i when it is padding or
  // (attn_type "uni") after i, or (same_length) before i — never from itself. [b, 1, q, k] float.
  at::Tensor attention_mask(const at::Tensor& attention_mask, int64_t b, int64_t len) const {
    const HFConfig& c = config_;
    at::Tensor i = at::arange(len, attention_mask.options().dtype(at::kLong)).view({len, 1});
    at::Tensor j = i.view({1, len});
    at::Tensor masked = attention_mask.eq(0).view({b, 1, 1, len}).expand({b, 1, len, len});
    if (c.attn_type == "uni") {
      at::Tensor hidden = c.same_length ? j.ne(i) : j.gt(i);
      masked = masked.logical_or(hidden.view({1, 1, len, len}));
    }
    masked = masked.logical_and(j.ne(i).view({1, 1, len, len}));
    return masked.to(param_dtype(*this));
  }

  Embedding word_embedding_{nullptr};
  at::Tensor mask_emb_;
  std::vector<std::shared_ptr<XlnetLayer>> layers_;
};

}  // namespace

std::shared_ptr<Encoder> build_xlnet_encoder(const HFConfig& config) {
  return std::make_shared<XlnetEncoder>(config);
}

}  // namespace trfpipe::models
