// Internal entry points of the models area shared between its translation units. Torch-free on
// purpose (forward declarations only), so models/checkpoint_writer.cpp compiles without torch.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace trfpipe {
class Encoder;
struct HFConfig;
}  // namespace trfpipe

namespace trfpipe::models {

// The architecture for `config`, parameters allocated but not written (their memory stays
// untouched until loading replaces them or init_encoder_weights initialises them).
std::shared_ptr<Encoder> build_encoder(const HFConfig& config);
// Whether `encoder` runs an inference call (now, under the caller's grad mode) as packed tokens
// (models/attention.hpp): no layer does padding work, so a batch needs no length groups. A batch
// with a row whose first position is padding (left padding, an empty row) still runs padded.
bool runs_packed_tokens(const Encoder& encoder);
// Hugging Face's _init_weights; a seed gives a private generator (the global one is untouched).
void init_encoder_weights(Encoder& encoder, std::optional<uint64_t> seed);
// make_encoder(config, seed) written as model.safetensors at `path` (float32, HF names).
void write_random_weights(const HFConfig& config, uint64_t seed, const std::string& path);
// DataError naming `config_path` when the model `config` describes needs more values than
// `available_values` (what `weights`, a file name for the message, holds) plus 2^24: checked before the
// modules are built, so a config.json with a huge hidden size or layer count cannot allocate them.
void check_encoder_fits(const HFConfig& config, double available_values,
                        const std::string& config_path, const std::string& weights);

}  // namespace trfpipe::models
