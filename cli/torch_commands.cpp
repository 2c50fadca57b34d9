// The commands that live in libtrfpipe_torch_commands.so (they call training, evaluation and
// checkpoint code of libtrfpipe.so directly), with the summaries of their TRFPIPE_COMMAND: the
// `trfpipe` binary lists them without loading LibTorch. Keep in step with TRFPIPE_TORCH_COMMANDS
// in CMakeLists.txt; main() refuses to run a module command whose summary differs.
#include "cli/command.hpp"

namespace trfpipe::cli {

const std::vector<ModuleCommand>& torch_commands() {
  static const std::vector<ModuleCommand> list = {
      {"assemble", "Build a pipeline directory from a config without training"},
      {"debug config", "Validate and show a training config (spacy debug config)"},
      {"debug data", "Show statistics of the training and development data (spacy debug data)"},
      {"debug encode", "Run a model folder's encoder on JSON ids; write its outputs (safetensors)"},
      {"evaluate", "Evaluate a pipeline on .spacy data (spacy evaluate)"},
      {"init config", "Generate a starter training config (spacy init config)"},
      {"init fill-config", "Fill defaults into a partial config (spacy init fill-config)"},
      {"init labels", "Write the label data of a config's components (spacy init labels)"},
      {"init model", "Write a tiny randomly initialised Hugging Face checkpoint"},
      {"train", "Train a pipeline (spacy train)"},
      {"find-threshold",
       "Find the best threshold of a component on .spacy data (spacy find-threshold)"},
      {"debug model", "Analyse a component's model (spacy debug model)"},
  };
  return list;
}

}  // namespace trfpipe::cli
