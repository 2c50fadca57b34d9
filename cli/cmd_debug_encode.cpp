// trfpipe debug encode MODEL_DIR INPUTS.json OUT.safetensors [--all] — runs a Hugging Face model
// folder's encoder on input ids given as JSON and writes its outputs, so a checkpoint can be
// checked against the outputs Python's transformers gives for the same inputs.
#include <iostream>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/torch/encode_file.hpp"

namespace trfpipe::cli {
namespace {

const char* kUsage =
    "Usage: trfpipe debug encode MODEL_DIR INPUTS.json OUT.safetensors [--all]\n"
    "  MODEL_DIR        a Hugging Face model folder (config.json + model.safetensors or\n"
    "                   pytorch_model.bin): bert, roberta, xlm-roberta, camembert, distilbert,\n"
    "                   albert, electra, gpt2, xlnet\n"
    "  INPUTS.json      {\"input_ids\": [[...]], \"attention_mask\": [[...]], \"token_type_ids\": [[...]]}\n"
    "                   (attention_mask and token_type_ids optional; rows padded to one length)\n"
    "  OUT.safetensors  float32 outputs in eval mode: last_hidden_state, pooler_output (models\n"
    "                   with a pooler)\n"
    "  --all            also hidden_states.N (embeddings + every layer) and attentions.N\n"
    "Compare with Python: model(**inputs, output_hidden_states=True, output_attentions=True).\n";

int run_debug_encode(const std::vector<std::string>& argv) {
  if (print_usage_on_help(argv, kUsage)) return 0;
  Args args(argv, {{"--all", "", true, "also hidden states and attentions"}});
  const std::string model = args.positional(0, "MODEL_DIR");
  const std::string inputs = args.positional(1, "INPUTS.json");
  const std::string out = args.positional(2, "OUT.safetensors");
  if (args.positional().size() > 3) return fail("Too many arguments", kUsage);
  EncodeFileReport r = encode_inputs_file(model, inputs, out, args.flag("--all"));
  std::cerr << "\u2714 " << r.model_type << " encoder on " << r.batch << " x " << r.length << " ids -> " << out
            << " (" << r.written.size() << " tensors:";
  for (size_t i = 0; i < r.written.size() && i < 4; ++i) std::cerr << " " << r.written[i];
  if (r.written.size() > 4) std::cerr << " ...";
  std::cerr << ")\n";
  return 0;
}

}  // namespace

TRFPIPE_COMMAND("debug encode", "Run a model folder's encoder on JSON ids; write its outputs (safetensors)",
                run_debug_encode);

}  // namespace trfpipe::cli
