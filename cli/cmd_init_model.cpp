// trfpipe init model OUT — a tiny randomly initialised Hugging Face checkpoint (config.json,
// model.safetensors, tokenizer files) for tests, examples and benchmarks.
#include <iostream>
#include <string>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/torch/hf_checkpoint.hpp"

namespace trfpipe::cli {
namespace {

const char* kUsage =
    "Usage: trfpipe init model OUT --arch ARCH --tokenizer PATH [options]\n"
    "  --arch          bert|roberta|distilbert|albert|electra|gpt2|xlnet\n"
    "  --tokenizer     vocab.txt, vocab.json (merges.txt or one *.bpe beside it), *.model,\n"
    "                  tokenizer.json, or a folder with Hugging Face tokenizer files\n"
    "  --layers        number of layers (2)\n"
    "  --width         hidden size (64)\n"
    "  --heads         attention heads (2)\n"
    "  --seed          random seed of the weights (0)\n"
    "  --max-length    longest input in pieces (512; GPT-2 1024; XLNet: no limit)\n"
    "  --vocab-size    vocabulary size (counted from the tokenizer files)\n";

int64_t int_option(const Args& args, const std::string& name, int64_t fallback) {
  auto v = args.get(name);
  if (!v) return fallback;
  const auto x = parse_integer(*v);
  if (!x) throw ValueError("option " + name + " expects an integer, got '" + *v + "'");
  return *x;
}

int run_init_model(const std::vector<std::string>& argv) {
  if (print_usage_on_help(argv, kUsage)) return 0;
  Args args(argv,
            {{"--arch", "-a", false, "architecture"},
             {"--tokenizer", "-t", false, "tokenizer files"},
             {"--layers", "", false, "layers"},
             {"--width", "", false, "hidden size"},
             {"--heads", "", false, "attention heads"},
             {"--seed", "", false, "seed"},
             {"--max-length", "", false, "max length"},
             {"--vocab-size", "", false, "vocab size"}});
  HFCheckpointOptions o;
  const std::string out = args.positional(0, "OUT (the model folder to write)");
  if (args.positional().size() > 1) throw ValueError("unexpected argument '" + args.positional()[1] + "'");
  auto arch = args.get("--arch");
  if (!arch) {
    std::string list;
    for (const auto& a : hf_checkpoint_archs()) list += (list.empty() ? "" : "|") + a;
    throw ValueError("missing --arch (" + list + ")");
  }
  o.arch = *arch;
  auto tok = args.get("--tokenizer");
  if (!tok) throw ValueError("missing --tokenizer (a vocab file or a folder of tokenizer files)");
  o.tokenizer_path = *tok;
  o.layers = int_option(args, "--layers", 2);
  o.width = int_option(args, "--width", 64);
  o.heads = int_option(args, "--heads", 2);
  int64_t seed = int_option(args, "--seed", 0);
  if (seed < 0) throw ValueError("--seed must not be negative");
  o.seed = static_cast<uint64_t>(seed);
  o.max_length = int_option(args, "--max-length", 0);
  o.vocab_size = int_option(args, "--vocab-size", 0);
  auto files = write_hf_checkpoint(out, o);
  std::cout << "\u2714 Wrote a " << o.arch << " checkpoint (" << o.layers << " layers, width " << o.width
            << ", " << o.heads << " heads) to " << out << "\n";
  for (const auto& f : files) std::cout << "  " << f << "\n";
  return 0;
}

}  // namespace

TRFPIPE_COMMAND("init model", "Write a tiny randomly initialised Hugging Face checkpoint", run_init_model);

}  // namespace trfpipe::cli
