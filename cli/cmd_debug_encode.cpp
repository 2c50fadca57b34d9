// trfpipe debug encode MODEL_DIR INPUTS.json OUT.safetensors [--all] — runs a Hugging Face model
// folder's encoder on input ids given as JSON and writes its outputs, so a checkpoint can be
// checked against the outputs Python's transformers gives for the same inputs.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/torch/encode_file.hpp"

namespace trfpipe::cli {
namespace {

struct EncodeArgs {
  std::string model, inputs, out;
  bool all = false;
};

int run_debug_encode(const EncodeArgs& args) {
  EncodeFileReport r = encode_inputs_file(args.model, args.inputs, args.out, args.all);
  std::cerr << "\u2714 " << r.model_type << " encoder on " << r.batch << " x " << r.length << " ids -> "
            << args.out << " (" << r.written.size() << " tensors:";
  for (size_t i = 0; i < r.written.size() && i < 4; ++i) std::cerr << " " << r.written[i];
  if (r.written.size() > 4) std::cerr << " ...";
  std::cerr << ")\n";
  return 0;
}

CommandRunner debug_encode_command(CLI::App& app) {
  auto args = std::make_shared<EncodeArgs>();
  app.add_option("MODEL_DIR", args->model,
                 "a Hugging Face model folder (config.json + model.safetensors or pytorch_model.bin): "
                 "bert, roberta, xlm-roberta, camembert, distilbert, albert, electra, gpt2, xlnet")
      ->required();
  app.add_option("INPUTS.json", args->inputs,
                 "{\"input_ids\": [[...]], \"attention_mask\": [[...]], \"token_type_ids\": [[...]]} "
                 "(attention_mask and token_type_ids optional; rows padded to one length)")
      ->required();
  app.add_option("OUT.safetensors", args->out,
                 "float32 outputs in eval mode: last_hidden_state, pooler_output (models with a pooler)")
      ->required();
  app.add_flag("--all", args->all, "also hidden_states.N (embeddings + every layer) and attentions.N");
  app.footer("Compare with Python: model(**inputs, output_hidden_states=True, output_attentions=True).");
  return [args] { return run_debug_encode(*args); };
}

}  // namespace

TRFPIPE_COMMAND("debug encode", "Run a model folder's encoder on JSON ids; write its outputs (safetensors)",
                debug_encode_command);

}  // namespace trfpipe::cli
