// Tiny randomly initialised Hugging Face checkpoints for tests, examples and benchmarks
// (`trfpipe init model`). Torch-free header.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace trfpipe {

struct HFCheckpointOptions {
  std::string arch;            // bert | roberta | distilbert | albert | electra | gpt2 | xlnet
  int64_t layers = 2;
  int64_t width = 64;          // hidden size
  int64_t heads = 2;
  std::string tokenizer_path;  // a vocab file or a folder with HF tokenizer files (see below)
  uint64_t seed = 0;
  int64_t vocab_size = 0;      // 0: counted from the tokenizer files
  int64_t max_length = 0;      // 0: 512 (GPT-2 1024; XLNet: no limit); sets max_position_embeddings (RoBERTa +2)
  int64_t intermediate_size = 0;  // 0: 4 * width
};

// Writes into `out_dir` (created): config.json with Hugging Face's keys for the architecture
// (and `architectures`, e.g. ["BertModel"]), model.safetensors (random init as HF's
// _init_weights, seeded), the tokenizer files and tokenizer_config.json.
// Tokenizer files found at `tokenizer_path`: a folder holding HF-named files (vocab.txt;
// vocab.json + merges.txt; spiece.model; tokenizer.json), or one file: `*.txt` → vocab.txt,
// `*.model` → spiece.model, a tokenizer.json (an object with "model") → tokenizer.json, any other
// `*.json` → vocab.json with the merges from a sibling merges.txt or the only sibling `*.bpe`.
// The vocabulary size is counted from them: vocab.txt lines, vocab.json keys, tokenizer.json
// vocab (and added tokens), spiece.model pieces (the protobuf's repeated `pieces` field).
// Throws ValueError for an unknown arch (listing the supported ones), bad sizes, or tokenizer
// files that do not fit the architecture; DataError for unreadable files.
// Returns the list of files written.
std::vector<std::string> write_hf_checkpoint(const std::string& out_dir, const HFCheckpointOptions& options);
std::vector<std::string> write_hf_checkpoint(const std::string& out_dir, const std::string& arch,
                                             int64_t layers, int64_t width, int64_t heads,
                                             const std::string& tokenizer_path, uint64_t seed = 0);

std::vector<std::string> hf_checkpoint_archs();

}  // namespace trfpipe
