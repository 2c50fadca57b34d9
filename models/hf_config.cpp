// Parsing of Hugging Face config.json files into trfpipe::HFConfig (see trfpipe/torch/hf_config.hpp).
#include "trfpipe/torch/hf_config.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include "pipeline/file_io.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/json_limits.hpp"

namespace trfpipe {
namespace {

struct TypeInfo {
  const char* model_type;
  EncoderFamily family;
};

constexpr TypeInfo kTypes[] = {
    {"bert", EncoderFamily::Bert},           {"roberta", EncoderFamily::Roberta},
    {"xlm-roberta", EncoderFamily::Roberta}, {"camembert", EncoderFamily::Roberta},
    {"distilbert", EncoderFamily::DistilBert}, {"albert", EncoderFamily::Albert},
    {"electra", EncoderFamily::Electra},     {"gpt2", EncoderFamily::Gpt2},
    {"xlnet", EncoderFamily::Xlnet},
};

const std::set<std::string>& known_activations() {
  static const std::set<std::string> acts = {"gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast",
                                             "relu", "silu", "swish", "tanh"};
  return acts;
}

// Reads the first present key of `names` from `j`; `fallback` when none is present or null.
template <typename T>
T get_first(const Json& j, std::initializer_list<const char*> names, T fallback) {
  for (const char* n : names) {
    auto it = j.find(n);
    if (it == j.end() || it->is_null()) continue;
    try {
      if constexpr (std::is_same_v<T, bool>) {
        if (!it->is_boolean()) throw ValueError("expected true or false");
        return it->template get<bool>();
      } else if constexpr (std::is_same_v<T, std::string>) {
        if (!it->is_string()) throw ValueError("expected a string");
        return it->template get<std::string>();
      } else if constexpr (std::is_integral_v<T>) {
        if (!it->is_number_integer()) throw ValueError("expected an integer");
        return it->template get<T>();
      } else {
        if (!it->is_number()) throw ValueError("expected a number");
        return it->template get<T>();
      }
    } catch (const ValueError& e) {
      throw ValueError(std::string("config.json: '") + n + "': " + e.what() + ", got " + json_excerpt(*it));
    }
  }
  return fallback;
}

bool has_any(const Json& j, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    auto it = j.find(n);
    if (it != j.end() && !it->is_null()) return true;
  }
  return false;
}

void require_positive(int64_t v, const char* name) {
  if (v <= 0) throw ValueError(std::string("config.json: '") + name + "' must be positive, got " +
                               std::to_string(v));
}

// Sane upper limits, far above any released encoder (the largest have 250k-word vocabularies,
// hidden sizes of a few thousand and under 100 layers): a config.json beyond them is broken or
// hostile, and building its modules would exhaust memory before the weights are even read.
void require_at_most(int64_t v, int64_t limit, const char* name) {
  if (v > limit)
    throw ValueError(std::string("config.json: '") + name + "' is " + std::to_string(v) +
                     ", more than trfpipe supports (" + std::to_string(limit) + ")");
}

std::string type_list() {
  std::string s;
  for (const auto& t : kTypes) s += (s.empty() ? "" : ", ") + std::string(t.model_type);
  return s;
}

}  // namespace

std::vector<std::string> HFConfig::supported_model_types() {
  std::vector<std::string> out;
  for (const auto& t : kTypes) out.emplace_back(t.model_type);
  return out;
}

bool HFConfig::has_pooler() const {
  return family == EncoderFamily::Bert || family == EncoderFamily::Roberta ||
         family == EncoderFamily::Albert;
}

std::string HFConfig::base_model_prefix() const {
  switch (family) {
    case EncoderFamily::Bert: return "bert.";
    case EncoderFamily::Roberta: return "roberta.";  // also XLM-R's and CamemBERT's
    case EncoderFamily::DistilBert: return "distilbert.";
    case EncoderFamily::Albert: return "albert.";
    case EncoderFamily::Electra: return "electra.";
    case EncoderFamily::Gpt2: return "transformer.";
    case EncoderFamily::Xlnet: return "transformer.";
  }
  return "";
}

HFConfig HFConfig::from_json(const Json& j) {
  if (!j.is_object()) throw ValueError("config.json: expected a JSON object, got " + json_excerpt(j));
  HFConfig c;
  c.raw = j;
  auto mt = j.find("model_type");
  if (mt == j.end() || !mt->is_string())
    throw ValueError("config.json: missing 'model_type' (supported: " + type_list() + ")");
  c.model_type = mt->get<std::string>();
  bool found = false;
  for (const auto& t : kTypes) {
    if (c.model_type == t.model_type) {
      c.family = t.family;
      found = true;
    }
  }
  if (!found)
    throw ValueError("config.json: unsupported model_type '" + c.model_type +
                     "' (supported: " + type_list() + ")");

  c.vocab_size = get_first<int64_t>(j, {"vocab_size"}, 0);
  if (!has_any(j, {"vocab_size"})) throw ValueError("config.json: missing 'vocab_size'");
  c.initializer_range = get_first<double>(j, {"initializer_range"}, 0.02);
  c.output_hidden_states = get_first<bool>(j, {"output_hidden_states"}, false);
  c.output_attentions = get_first<bool>(j, {"output_attentions"}, false);
  c.pad_token_id = get_first<int64_t>(j, {"pad_token_id"}, -1);

  switch (c.family) {
    case EncoderFamily::DistilBert:
      c.hidden_size = get_first<int64_t>(j, {"dim", "hidden_size"}, 768);
      c.num_hidden_layers = get_first<int64_t>(j, {"n_layers", "num_hidden_layers"}, 6);
      c.num_attention_heads = get_first<int64_t>(j, {"n_heads", "num_attention_heads"}, 12);
      c.intermediate_size = get_first<int64_t>(j, {"hidden_dim", "intermediate_size"}, 4 * c.hidden_size);
      c.hidden_act = get_first<std::string>(j, {"activation", "hidden_act"}, "gelu");
      c.hidden_dropout_prob = get_first<double>(j, {"dropout", "hidden_dropout_prob"}, 0.1);
      c.attention_probs_dropout_prob =
          get_first<double>(j, {"attention_dropout", "attention_probs_dropout_prob"}, 0.1);
      c.embedding_dropout_prob = c.hidden_dropout_prob;
      c.max_position_embeddings = get_first<int64_t>(j, {"max_position_embeddings"}, 512);
      c.type_vocab_size = 0;
      c.layer_norm_eps = 1e-12;  // hard-coded in HF's DistilBERT
      c.sinusoidal_pos_embds = get_first<bool>(j, {"sinusoidal_pos_embds"}, false);
      if (c.pad_token_id < 0 && !j.contains("pad_token_id")) c.pad_token_id = 0;
      break;
    case EncoderFamily::Gpt2: {
      c.hidden_size = get_first<int64_t>(j, {"n_embd", "hidden_size"}, 768);
      c.num_hidden_layers = get_first<int64_t>(j, {"n_layer", "num_hidden_layers"}, 12);
      c.num_attention_heads = get_first<int64_t>(j, {"n_head", "num_attention_heads"}, 12);
      c.intermediate_size = get_first<int64_t>(j, {"n_inner", "intermediate_size"}, 4 * c.hidden_size);
      c.hidden_act = get_first<std::string>(j, {"activation_function", "hidden_act"}, "gelu_new");
      c.hidden_dropout_prob = get_first<double>(j, {"resid_pdrop", "hidden_dropout_prob"}, 0.1);
      c.embedding_dropout_prob = get_first<double>(j, {"embd_pdrop"}, 0.1);
      c.attention_probs_dropout_prob =
          get_first<double>(j, {"attn_pdrop", "attention_probs_dropout_prob"}, 0.1);
      c.max_position_embeddings = get_first<int64_t>(j, {"n_positions", "max_position_embeddings"}, 1024);
      c.type_vocab_size = 0;
      c.layer_norm_eps = get_first<double>(j, {"layer_norm_epsilon", "layer_norm_eps"}, 1e-5);
      if (get_first<bool>(j, {"scale_attn_by_inverse_layer_idx"}, false) ||
          get_first<bool>(j, {"reorder_and_upcast_attn"}, false) ||
          !get_first<bool>(j, {"scale_attn_weights"}, true))
        throw ValueError(
            "config.json: GPT-2 options scale_attn_by_inverse_layer_idx, reorder_and_upcast_attn "
            "and scale_attn_weights=false are not supported");
      break;
    }
    case EncoderFamily::Xlnet: {
      // XLNetConfig: d_model, n_layer, n_head, d_inner, d_head (= d_model / n_head), one dropout.
      c.hidden_size = get_first<int64_t>(j, {"d_model", "hidden_size"}, 1024);
      c.num_hidden_layers = get_first<int64_t>(j, {"n_layer", "num_hidden_layers"}, 24);
      c.num_attention_heads = get_first<int64_t>(j, {"n_head", "num_attention_heads"}, 16);
      c.intermediate_size = get_first<int64_t>(j, {"d_inner", "intermediate_size"}, 4096);
      c.hidden_act = get_first<std::string>(j, {"ff_activation", "hidden_act"}, "gelu");
      c.hidden_dropout_prob = get_first<double>(j, {"dropout"}, 0.1);
      c.attention_probs_dropout_prob = c.hidden_dropout_prob;
      c.embedding_dropout_prob = c.hidden_dropout_prob;
      c.max_position_embeddings = -1;  // relative positions: no table (HF returns -1 too)
      c.type_vocab_size = 0;           // segments are compared, not embedded: any ids work
      c.layer_norm_eps = get_first<double>(j, {"layer_norm_eps"}, 1e-12);
      if (!j.contains("pad_token_id")) c.pad_token_id = 5;
      c.attn_type = get_first<std::string>(j, {"attn_type"}, "bi");
      if (c.attn_type != "bi" && c.attn_type != "uni")
        throw ValueError("config.json: 'attn_type': unknown attention type '" + c.attn_type +
                         "' (XLNet supports \"bi\" and \"uni\")");
      c.clamp_len = get_first<int64_t>(j, {"clamp_len"}, -1);
      c.same_length = get_first<bool>(j, {"same_length"}, false);
      c.bi_data = get_first<bool>(j, {"bi_data"}, false);
      require_positive(c.num_attention_heads, "n_head");
      if (c.hidden_size % c.num_attention_heads != 0)
        throw ValueError("config.json: 'd_model' " + std::to_string(c.hidden_size) +
                         " is not a multiple of 'n_head' " + std::to_string(c.num_attention_heads));
      const int64_t d_head = get_first<int64_t>(j, {"d_head"}, c.hidden_size / c.num_attention_heads);
      if (d_head != c.hidden_size / c.num_attention_heads)
        throw ValueError("config.json: 'd_head' " + std::to_string(d_head) + " must be d_model / n_head = " +
                         std::to_string(c.hidden_size / c.num_attention_heads));
      break;
    }
    default: {
      bool roberta = c.family == EncoderFamily::Roberta;
      c.hidden_size = get_first<int64_t>(j, {"hidden_size"}, 768);
      c.num_hidden_layers = get_first<int64_t>(j, {"num_hidden_layers"}, 12);
      c.num_attention_heads = get_first<int64_t>(j, {"num_attention_heads"}, 12);
      c.intermediate_size = get_first<int64_t>(j, {"intermediate_size"}, 4 * c.hidden_size);
      c.hidden_act = get_first<std::string>(
          j, {"hidden_act"}, c.family == EncoderFamily::Albert ? "gelu_new" : "gelu");
      double drop_default = c.family == EncoderFamily::Albert ? 0.0 : 0.1;
      c.hidden_dropout_prob = get_first<double>(j, {"hidden_dropout_prob"}, drop_default);
      c.attention_probs_dropout_prob =
          get_first<double>(j, {"attention_probs_dropout_prob"}, drop_default);
      c.embedding_dropout_prob = c.hidden_dropout_prob;
      c.max_position_embeddings = get_first<int64_t>(j, {"max_position_embeddings"}, 512);
      c.type_vocab_size = get_first<int64_t>(j, {"type_vocab_size"}, 2);
      c.layer_norm_eps = get_first<double>(j, {"layer_norm_eps"}, 1e-12);
      if (!j.contains("pad_token_id")) c.pad_token_id = roberta ? 1 : 0;
      if (c.family == EncoderFamily::Albert)
        c.embedding_size = get_first<int64_t>(j, {"embedding_size"}, 128);
      if (c.family == EncoderFamily::Electra)
        c.embedding_size = get_first<int64_t>(j, {"embedding_size"}, c.hidden_size);
      c.num_hidden_groups = get_first<int64_t>(j, {"num_hidden_groups"}, 1);
      c.inner_group_num = get_first<int64_t>(j, {"inner_group_num"}, 1);
      std::string pos = get_first<std::string>(j, {"position_embedding_type"}, "absolute");
      if (pos != "absolute")
        throw ValueError("config.json: position_embedding_type '" + pos +
                         "' is not supported (only 'absolute')");
      require_positive(c.type_vocab_size, "type_vocab_size");
      if (roberta && c.pad_token_id < 0)
        throw ValueError("config.json: RoBERTa-type models need a pad_token_id");
      break;
    }
  }
  require_positive(c.vocab_size, "vocab_size");
  require_positive(c.hidden_size, "hidden_size");
  require_positive(c.num_hidden_layers, "num_hidden_layers");
  require_positive(c.num_attention_heads, "num_attention_heads");
  require_positive(c.intermediate_size, "intermediate_size");
  if (c.family != EncoderFamily::Xlnet) require_positive(c.max_position_embeddings, "max_position_embeddings");
  if (c.embedding_size != 0) require_positive(c.embedding_size, "embedding_size");
  require_at_most(c.vocab_size, int64_t{1} << 24, "vocab_size");
  require_at_most(c.hidden_size, int64_t{1} << 16, "hidden_size");
  require_at_most(c.num_hidden_layers, 1024, "num_hidden_layers");
  require_at_most(c.num_attention_heads, c.hidden_size, "num_attention_heads");
  require_at_most(c.intermediate_size, int64_t{1} << 18, "intermediate_size");
  require_at_most(c.max_position_embeddings, int64_t{1} << 20, "max_position_embeddings");
  require_at_most(c.type_vocab_size, int64_t{1} << 16, "type_vocab_size");
  require_at_most(c.embedding_size, int64_t{1} << 16, "embedding_size");
  if (c.hidden_size % c.num_attention_heads != 0)
    throw ValueError("config.json: hidden size " + std::to_string(c.hidden_size) +
                     " is not a multiple of the number of attention heads " +
                     std::to_string(c.num_attention_heads));
  if (c.family == EncoderFamily::Albert) {
    require_positive(c.num_hidden_groups, "num_hidden_groups");
    require_positive(c.inner_group_num, "inner_group_num");
    require_at_most(c.num_hidden_groups, c.num_hidden_layers, "num_hidden_groups");
    require_at_most(c.inner_group_num, 1024, "inner_group_num");
    if (c.num_hidden_layers % c.num_hidden_groups != 0)
      throw ValueError("config.json: num_hidden_layers must be a multiple of num_hidden_groups");
  }
  if (!known_activations().count(c.hidden_act)) {
    std::string acts;
    for (const auto& a : known_activations()) acts += (acts.empty() ? "" : ", ") + a;
    throw ValueError("config.json: unsupported activation '" + c.hidden_act + "' (supported: " +
                     acts + ")");
  }
  if (c.pad_token_id >= c.vocab_size)
    throw ValueError("config.json: pad_token_id " + std::to_string(c.pad_token_id) +
                     " is outside the vocabulary (" + std::to_string(c.vocab_size) + ")");
  for (double p : {c.hidden_dropout_prob, c.attention_probs_dropout_prob, c.embedding_dropout_prob})
    if (p < 0.0 || p >= 1.0)
      throw ValueError("config.json: dropout probabilities must lie in [0, 1), got " +
                       std::to_string(p));
  if (c.layer_norm_eps <= 0.0) throw ValueError("config.json: layer norm epsilon must be positive");
  return c;
}

HFConfig HFConfig::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path, -1, "cannot open the model config file");
  Json j;
  try {
    j = parse_json_limited<Json>(read_file_bytes(path));
  } catch (const nlohmann::json::parse_error& e) {
    throw DataError(path, -1, std::string("invalid JSON: ") + e.what());
  }
  try {
    return from_json(j);
  } catch (const ValueError& e) {
    throw DataError(path, -1, e.what());
  }
}

Json HFConfig::to_json() const {
  Json j = raw.is_object() ? raw : Json::object();
  j["model_type"] = model_type.empty() ? std::string("bert") : model_type;
  j["vocab_size"] = vocab_size;
  j["initializer_range"] = initializer_range;
  if (pad_token_id >= 0) j["pad_token_id"] = pad_token_id;
  if (output_hidden_states || j.contains("output_hidden_states")) j["output_hidden_states"] = output_hidden_states;
  if (output_attentions || j.contains("output_attentions")) j["output_attentions"] = output_attentions;
  switch (family) {
    case EncoderFamily::DistilBert:
      j["dim"] = hidden_size;
      j["n_layers"] = num_hidden_layers;
      j["n_heads"] = num_attention_heads;
      j["hidden_dim"] = intermediate_size;
      j["activation"] = hidden_act;
      j["dropout"] = hidden_dropout_prob;
      j["attention_dropout"] = attention_probs_dropout_prob;
      j["max_position_embeddings"] = max_position_embeddings;
      j["sinusoidal_pos_embds"] = sinusoidal_pos_embds;
      break;
    case EncoderFamily::Gpt2:
      j["n_embd"] = hidden_size;
      j["n_layer"] = num_hidden_layers;
      j["n_head"] = num_attention_heads;
      j["n_inner"] = intermediate_size;
      j["activation_function"] = hidden_act;
      j["resid_pdrop"] = hidden_dropout_prob;
      j["embd_pdrop"] = embedding_dropout_prob;
      j["attn_pdrop"] = attention_probs_dropout_prob;
      j["n_positions"] = max_position_embeddings;
      j["layer_norm_epsilon"] = layer_norm_eps;
      break;
    case EncoderFamily::Xlnet:
      j["d_model"] = hidden_size;
      j["n_layer"] = num_hidden_layers;
      j["n_head"] = num_attention_heads;
      j["d_head"] = head_dim();
      j["d_inner"] = intermediate_size;
      j["ff_activation"] = hidden_act;
      j["dropout"] = hidden_dropout_prob;
      j["layer_norm_eps"] = layer_norm_eps;
      j["attn_type"] = attn_type;
      j["clamp_len"] = clamp_len;
      j["same_length"] = same_length;
      j["bi_data"] = bi_data;
      break;
    default:
      j["hidden_size"] = hidden_size;
      j["num_hidden_layers"] = num_hidden_layers;
      j["num_attention_heads"] = num_attention_heads;
      j["intermediate_size"] = intermediate_size;
      j["hidden_act"] = hidden_act;
      j["hidden_dropout_prob"] = hidden_dropout_prob;
      j["attention_probs_dropout_prob"] = attention_probs_dropout_prob;
      j["max_position_embeddings"] = max_position_embeddings;
      j["type_vocab_size"] = type_vocab_size;
      j["layer_norm_eps"] = layer_norm_eps;
      if (embedding_size > 0) j["embedding_size"] = embedding_size;
      if (family == EncoderFamily::Albert) {
        j["num_hidden_groups"] = num_hidden_groups;
        j["inner_group_num"] = inner_group_num;
      }
      break;
  }
  return j;
}

HFConfig HFConfig::with_overrides(const Json& overrides) const {
  if (overrides.is_null()) return *this;
  if (!overrides.is_object())
    throw ValueError("transformer_config overrides must be a JSON object, got " + json_excerpt(overrides));
  Json merged = raw;
  for (auto it = overrides.begin(); it != overrides.end(); ++it) merged[it.key()] = it.value();
  return from_json(merged);
}

}  // namespace trfpipe
