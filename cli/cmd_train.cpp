// trfpipe train CONFIG --output DIR [--code plugin.so] [--section.key value ...] — spaCy's
// `spacy train`: init_nlp, the training loop and its console table, model-last / model-best.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/code_option.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/gpu_option.hpp"
#include "cli/spacy_args.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"
#include "trfpipe/training.hpp"

namespace fs = std::filesystem;

namespace trfpipe::cli {
namespace {

struct TrainArgs {
  std::string config_path, output;
  std::optional<std::string> code, gpu_id;
  ConfigOverrides overrides;
  bool verbose = false;
};

int run_train(const TrainArgs& args) {
  const std::string& config_path = args.config_path;
  if (config_file_missing(config_path)) {
    return fail("Config file not found", config_path);
  }
  if (int rc = use_gpu_id(args.gpu_id)) return rc;
  load_code(args.code);
  TrainOptions options;
  options.output_path = args.output;
  options.verbose = args.verbose;
  try {
    train_from_config_file(config_path, args.overrides, options);
  } catch (const ConfigError& e) {
    std::cout.flush();
    return fail("Config validation error", config_file_name(config_path) + ": " + e.what());
  }
  return 0;
}

CommandRunner train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  app.add_option("CONFIG", args->config_path, "the training config")->required();
  app.add_option("-o,--output", args->output,
                 "directory for model-last and model-best (none: the pipeline is not saved)");
  app.add_flag("-V,--verbose", args->verbose,
               "Display more information for debugging purposes (init_nlp's [INFO] lines on stderr)");
  add_code_option(app, args->code);
  add_gpu_id_option(app, args->gpu_id);
  add_config_overrides(app, args->overrides);
  return [args] { return run_train(*args); };
}

}  // namespace

TRFPIPE_COMMAND("train", "Train a pipeline (spacy train)", train_command);

}  // namespace trfpipe::cli
