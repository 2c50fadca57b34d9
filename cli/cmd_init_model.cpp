// trfpipe init model OUT — a tiny randomly initialised Hugging Face checkpoint (config.json,
// model.safetensors, tokenizer files) for tests, examples and benchmarks.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/torch/hf_checkpoint.hpp"

namespace trfpipe::cli {
namespace {

const HFCheckpointOptions kDefaults;

struct InitModelArgs {
  std::string out;
  HFCheckpointOptions options;  // arch and tokenizer_path; the integers come from below
  // As parse_integer reads them (long long, not int64_t); a negative seed is checked when run.
  long long layers = kDefaults.layers, width = kDefaults.width, heads = kDefaults.heads,
            seed = static_cast<long long>(kDefaults.seed), max_length = kDefaults.max_length,
            vocab_size = kDefaults.vocab_size;
};

int run_init_model(const InitModelArgs& args) {
  const std::string& out = args.out;
  HFCheckpointOptions o = args.options;
  o.layers = args.layers;
  o.width = args.width;
  o.heads = args.heads;
  if (args.seed < 0) throw ValueError("--seed must not be negative");
  o.seed = static_cast<uint64_t>(args.seed);
  o.max_length = args.max_length;
  o.vocab_size = args.vocab_size;
  auto files = write_hf_checkpoint(out, o);
  std::cout << "\u2714 Wrote a " << o.arch << " checkpoint (" << o.layers << " layers, width " << o.width
            << ", " << o.heads << " heads) to " << out << "\n";
  for (const auto& f : files) std::cout << "  " << f << "\n";
  return 0;
}

CommandRunner init_model_command(CLI::App& app) {
  auto args = std::make_shared<InitModelArgs>();
  std::string archs;
  for (const auto& a : hf_checkpoint_archs()) archs += (archs.empty() ? "" : "|") + a;
  app.add_option("OUT", args->out, "the model folder to write")->required();
  app.add_option("-a,--arch", args->options.arch, archs)->required();
  app.add_option("-t,--tokenizer", args->options.tokenizer_path,
                 "vocab.txt, vocab.json (merges.txt or one *.bpe beside it), *.model, "
                 "tokenizer.json, or a folder with Hugging Face tokenizer files")
      ->required();
  auto integer = [&](const std::string& name, long long& target, const char* description) {
    add_integer_option(app, name, target, description, "option " + name + " expects an integer");
  };
  integer("--layers", args->layers, "number of layers");
  integer("--width", args->width, "hidden size");
  integer("--heads", args->heads, "attention heads");
  integer("--seed", args->seed, "random seed of the weights");
  integer("--max-length", args->max_length, "longest input in pieces (0: 512; GPT-2 1024; XLNet: no limit)");
  integer("--vocab-size", args->vocab_size,
          "vocabulary size (0: counted from the tokenizer files)");
  return [args] { return run_init_model(*args); };
}

}  // namespace

TRFPIPE_COMMAND("init model", "Write a tiny randomly initialised Hugging Face checkpoint",
                init_model_command);

}  // namespace trfpipe::cli
