// `trfpipe debug encode`: run a Hugging Face model folder's encoder on inputs given as JSON and
// write its outputs as safetensors, to compare a checkpoint with what Python gives for it.
// Torch-free header.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace trfpipe {

struct EncodeFileReport {
  std::string model_type;            // config.json's model_type
  int64_t batch = 0, length = 0;     // input rows and their (padded) length
  std::vector<std::string> written;  // tensor names in the output, sorted
};

// Loads the encoder of `model_dir` (config.json + weights; any supported architecture), reads
// `inputs_json` — {"input_ids": [[...], ...], "attention_mask": [[...]] (optional, 1 = token,
// 0 = padding), "token_type_ids": [[...]] (optional)}, the layout of the Hugging Face parity
// fixtures' inputs.json — runs it once in eval mode (no dropout, no gradient) and writes
// `out_path` (safetensors, float32): last_hidden_state [batch, seq, hidden], pooler_output
// [batch, hidden] where the checkpoint has a pooler, and with `all` hidden_states.N (embedding
// output and every layer, as HF's output_hidden_states) and attentions.N [batch, heads, seq, seq].
// The metadata records the model type and the input file. Errors: DataError naming the model
// folder's file or the inputs file (and the key / row) for unreadable, malformed or inconsistent
// input; ValueError for ids the model rejects.
EncodeFileReport encode_inputs_file(const std::string& model_dir, const std::string& inputs_json,
                                    const std::string& out_path, bool all);

}  // namespace trfpipe
