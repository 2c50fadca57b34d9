// Hugging Face transformer encoders on LibTorch: BERT, RoBERTa (XLM-R, CamemBERT), DistilBERT,
// ALBERT, ELECTRA and GPT-2, with submodules registered under Hugging Face's parameter names
// (`encoder.layer.0.attention.self.query.weight`), so a checkpoint's state dict maps by name.
//
//   auto enc = trfpipe::load_encoder("path/to/hf-folder", {{"output_hidden_states", true}});
//   enc->eval();
//   auto out = enc->forward({input_ids, attention_mask, {}});
//   out.last_hidden_state;  // [batch, seq, hidden]
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include "trfpipe/inference_dtype.hpp"
#include "trfpipe/torch/hf_config.hpp"

namespace trfpipe {

namespace models {
struct ReducedPrecision;  // models/reduced_precision.hpp
}

struct EncoderInput {
  at::Tensor input_ids;       // [batch, seq] int64
  at::Tensor attention_mask;  // [batch, seq], 1 = real token, 0 = padding (any dtype); undefined = all 1
  at::Tensor token_type_ids;  // [batch, seq] int64; undefined = zeros (ignored by DistilBERT, GPT-2)
};

struct EncoderOutput {
  at::Tensor last_hidden_state;  // [batch, seq, hidden]
  at::Tensor pooler_output;      // [batch, hidden] (BERT, RoBERTa, ALBERT); undefined otherwise
  // config().output_hidden_states: the embedding output and every layer's output (layers + 1),
  // with Hugging Face's conventions (GPT-2's last entry is after ln_f).
  std::vector<at::Tensor> hidden_states;
  // config().output_attentions: per layer [batch, heads, seq, seq] attention probabilities.
  std::vector<at::Tensor> attentions;
};

class Encoder : public torch::nn::Module {
 public:
  // Takes required_inference_dtype() (fp32 unless set).
  explicit Encoder(HFConfig config);
  ~Encoder() override = default;

  // Dropout as the HF config says in train(), none in eval(). Inputs are moved to the encoder's
  // device. Throws ValueError for mismatched shapes, ids outside the vocabulary or sequences
  // longer than the position table.
  virtual EncoderOutput forward(const EncoderInput& input) = 0;

  const HFConfig& config() const { return config_; }
  int64_t hidden_size() const { return config_.hidden_size; }
  // Longest sequence the position embeddings allow (RoBERTa: max_position_embeddings - pad - 1).
  int64_t max_sequence_length() const;
  at::Device device() const;

  // Turns the per-call output flags on or off (the config's values are the defaults).
  void set_output_hidden_states(bool on) { config_.output_hidden_states = on; }
  void set_output_attentions(bool on) { config_.output_attentions = on; }
  // Mixed precision: autocast (float16) around forward when the encoder is on CUDA; ignored on CPU.
  void set_mixed_precision(bool on) { mixed_precision_ = on; }
  bool mixed_precision() const { return mixed_precision_; }
  // Precision of the linear layers at inference on the CPU (trfpipe/inference_dtype.hpp): bf16 or
  // int8 copies of the weights are made at the first forward in eval() without gradients (again
  // when the weights change), owned here and never saved; train() and CUDA run fp32 as before.
  // In fp32, weights still as loaded from a file get a copy packed for oneDNN's matmul primitive
  // (models/reduced_precision.hpp), which takes the mapped pages' place in memory.
  // Where the CPU lacks the instructions, fp32 with one warning on stderr. Encoders loaded or
  // built get required_inference_dtype(). inference_dtype() is what runs (after any fallback).
  void set_inference_dtype(InferenceDtype dtype);
  InferenceDtype inference_dtype() const;

  // Parameters and persistent buffers under their Hugging Face names (no base-model prefix).
  std::map<std::string, at::Tensor> state_dict() const;

 protected:
  HFConfig config_;
  bool mixed_precision_ = false;
  std::shared_ptr<models::ReducedPrecision> reduced_precision_;
};

struct LoadReport {
  std::vector<std::string> unexpected;  // checkpoint keys the model has no use for (ignored)
  std::string prefix_stripped;          // "bert." when the checkpoint came from a task head
  std::vector<std::string> newly_initialized;  // pooler weights a task checkpoint lacks
};

// Builds a randomly initialised encoder as Hugging Face's _init_weights does: weights
// normal(0, initializer_range), biases zero, LayerNorm 1/0, padding rows zero (GPT-2: c_proj
// weights std / sqrt(2 * n_layer); DistilBERT sinusoidal tables when configured). With a seed the
// result is reproducible and the global torch generator is left alone.
std::shared_ptr<Encoder> make_encoder(const HFConfig& config, std::optional<uint64_t> seed = std::nullopt);

// The device set by require_gpu / require_cpu (trfpipe.hpp): the CPU unless one was required.
at::Device encoder_device();

// Reads config.json (plus `config_overrides`, spacy-transformers' transformer_config) and weights
// from a Hugging Face model folder: model.safetensors, a sharded model.safetensors.index.json, or
// pytorch_model.bin. See load_encoder_weights for the name mapping and errors. Without
// `with_weights` only config.json is read and the weights are left as LibTorch constructed them,
// for a caller that loads them from elsewhere. `report`, when given, receives what
// load_encoder_weights reported.
std::shared_ptr<Encoder> load_encoder(const std::string& hf_dir,
                                      const Json& config_overrides = Json::object(),
                                      bool with_weights = true, LoadReport* report = nullptr);

// Copies named tensors into the encoder: a base-model prefix ("bert.", "roberta.", "distilbert.",
// "albert.", "electra.", "transformer.") is stripped when present, legacy LayerNorm names
// (gamma/beta) are mapped, unknown keys are ignored (counted in the report, one warning line on
// stderr), missing pooler weights are newly initialised with a warning (as HF does), any other
// missing parameter is a DataError naming it (and `source`), a shape mismatch a
// DataError naming the parameter and both shapes. Values are converted to the parameter's dtype.
LoadReport load_encoder_weights(Encoder& encoder, const std::map<std::string, at::Tensor>& tensors,
                                const std::string& source);

// Writes config.json (the raw config with the current output flags) and, with_weights,
// model.safetensors (float32 state dict under Hugging Face names) into `hf_dir`, creating it.
void save_encoder(const Encoder& encoder, const std::string& hf_dir, bool with_weights = true);

// safetensors bytes of the encoder's state dict (what spacy-transformers 2.0 stores as "state").
std::string encoder_state_to_bytes(const Encoder& encoder);
LoadReport encoder_state_from_bytes(Encoder& encoder, const std::string& bytes, const std::string& source);

}  // namespace trfpipe
