// A Hugging Face `config.json`, read into one normalised form for every encoder family trfpipe
// implements. Torch-free: the names follow BERT's (`hidden_size`, `num_hidden_layers` …); the
// DistilBERT (`dim`, `n_layers` …), GPT-2 (`n_embd`, `n_layer` …) and XLNet (`d_model`, `n_layer`,
// `d_inner`, `ff_activation`, `dropout` …) spellings are mapped onto them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace trfpipe {

using Json = nlohmann::ordered_json;  // same alias as trfpipe/registry.hpp

enum class EncoderFamily { Bert, Roberta, DistilBert, Albert, Electra, Gpt2, Xlnet };

struct HFConfig {
  std::string model_type;            // as written: "bert", "xlm-roberta", "camembert" …
  EncoderFamily family = EncoderFamily::Bert;
  int64_t vocab_size = 0;
  int64_t hidden_size = 768;         // DistilBERT dim, GPT-2 n_embd
  int64_t num_hidden_layers = 12;    // n_layers, n_layer
  int64_t num_attention_heads = 12;  // n_heads, n_head
  int64_t intermediate_size = 3072;  // hidden_dim, n_inner (null = 4 * n_embd)
  std::string hidden_act = "gelu";   // activation, activation_function
  double hidden_dropout_prob = 0.1;  // dropout, resid_pdrop
  double attention_probs_dropout_prob = 0.1;  // attention_dropout, attn_pdrop
  double embedding_dropout_prob = 0.1;        // GPT-2 embd_pdrop; = hidden_dropout_prob elsewhere
  int64_t max_position_embeddings = 512;      // n_positions; XLNet: -1 (no position table)
  int64_t type_vocab_size = 2;                // 0 where the family has no token types
  double layer_norm_eps = 1e-12;              // layer_norm_epsilon
  int64_t pad_token_id = -1;                  // -1: none
  int64_t embedding_size = 0;                 // ALBERT / ELECTRA; = hidden_size when absent
  double initializer_range = 0.02;
  bool sinusoidal_pos_embds = false;          // DistilBERT
  int64_t num_hidden_groups = 1;              // ALBERT
  int64_t inner_group_num = 1;                // ALBERT
  // XLNet (relative positions and segments): "bi" (XLNet) or "uni" (Transformer-XL's causal mask);
  // clamp_len > 0 clamps relative distances; same_length (with "uni") hides the keys before a
  // query too; bi_data: forward positions for the first half of the batch, backward for the
  // second (HF's pretraining option; the batch must be even). mem_len / reuse_len are read and
  // kept but unused: no memory is carried between calls.
  std::string attn_type = "bi";
  int64_t clamp_len = -1;
  bool same_length = false;
  bool bi_data = false;
  bool output_hidden_states = false;
  bool output_attentions = false;
  Json raw = Json::object();  // the config.json content (with overrides applied), written back on save

  // Parses a config.json tree. Throws ValueError for an unknown model_type (listing the
  // supported ones), a missing required key, a wrong value type or an inconsistent shape
  // (hidden size not divisible by the heads, unknown activation, ...).
  static HFConfig from_json(const Json& config);
  // Reads and parses `path` (config.json); a DataError names the file when it is unreadable or
  // not JSON, and parse problems are rethrown as DataError naming the file too.
  static HFConfig from_file(const std::string& path);

  // A copy with `overrides` (spacy-transformers' transformer_config, e.g.
  // {"output_hidden_states": true}) merged into the raw config and parsed again.
  HFConfig with_overrides(const Json& overrides) const;

  // config.json for this config: `raw` with the fields written back under the family's own
  // key names (so a config built or edited in code saves and re-reads the same).
  Json to_json() const;

  int64_t head_dim() const { return hidden_size / num_attention_heads; }
  int64_t embedding_width() const { return embedding_size > 0 ? embedding_size : hidden_size; }
  bool has_pooler() const;  // BERT, RoBERTa family, ALBERT (not XLNet: no pooler in XLNetModel)
  // The prefix task-head checkpoints put before the base model's names ("bert.", "transformer.").
  std::string base_model_prefix() const;

  static std::vector<std::string> supported_model_types();
};

}  // namespace trfpipe
