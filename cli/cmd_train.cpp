// trfpipe train CONFIG --output DIR [--code plugin.so] [--section.key value ...] — spaCy's
// `spacy train`: init_nlp, the training loop and its console table, model-last / model-best.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/args.hpp"
#include "cli/code_option.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/gpu_option.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"
#include "trfpipe/training.hpp"

namespace fs = std::filesystem;

namespace trfpipe::cli {
namespace {

const char* kUsage =
    "Usage: trfpipe train CONFIG [--output/-o DIR] [--code/-c PLUGIN.so] [--section.key value ...]\n"
    "Trains a pipeline as `spacy train`: DIR/model-last and DIR/model-best.\n";

int run_train(const std::vector<std::string>& argv) {
  if (print_usage_on_help(argv, kUsage)) return 0;
  Args args(argv, {{"--output", "-o", false, "output directory"},
                   code_option(),
                   gpu_id_option()},
            /*allow_overrides=*/true);
  const std::string config_path = args.positional(0, "CONFIG");
  if (args.positional().size() > 1) {
    std::cerr << "\u2718 Too many arguments\n" << kUsage;
    return 1;
  }
  if (!fs::exists(config_path)) {
    return fail("Config file not found", config_path);
  }
  if (int rc = use_gpu_id(args)) return rc;
  load_code(args);
  TrainOptions options;
  options.output_path = args.get_or("--output", "");
  try {
    train_from_config_file(config_path, args.overrides(), options);
  } catch (const ConfigError& e) {
    std::cout.flush();
    return fail("Config validation error", config_path + ": " + e.what());
  }
  return 0;
}

}  // namespace

TRFPIPE_COMMAND("train", "Train a pipeline (spacy train)", run_train);

}  // namespace trfpipe::cli
