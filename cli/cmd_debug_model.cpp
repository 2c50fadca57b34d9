// trfpipe debug model CONFIG COMPONENT [-l 0,2] [-DIM] [-PAR] [-GRAD] [-ATTR] [-P0 .. -P3]
// [--seed N] [--section.key value ...] — spaCy's `debug model`: a component's model as a tree
// (config blocks and parameter groups) before and after initialization, after a few updates and
// its prediction (trfpipe/debug_model.hpp).
#include <CLI/CLI.hpp>

#include <iostream>
#include <sstream>

#include "cli/code_option.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/gpu_option.hpp"
#include "cli/spacy_args.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/debug_model.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::cli {
namespace {

struct DebugModelArgs {
  std::string path, component, layers;
  std::optional<std::string> code, gpu_id;
  std::optional<long long> seed;
  DebugModelOptions options;
  ConfigOverrides overrides;
};

int run_debug_model(DebugModelArgs& args) {
  if (int rc = use_gpu_id(args.gpu_id)) return rc;
  load_code(args.code);
  if (config_file_missing(args.path)) return fail("Config file not found", args.path);
  // spaCy's string_to_list(layers, intify=True).
  std::istringstream list(args.layers);
  for (std::string item; std::getline(list, item, ',');) {
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (item.empty()) continue;
    auto n = parse_integer(item, 0);
    if (!n) return fail("Invalid --layers", "expected layer numbers separated by commas, got '" + item + "'");
    args.options.layers.push_back(*n);
  }
  if (args.seed) args.options.seed = *args.seed;
  try {
    Json raw = load_config_file(args.path, args.overrides, /*interpolate=*/false);
    debug_model(raw, args.component, args.options, std::cout);
  } catch (const ConfigError& e) {
    return fail("Config validation error", config_file_name(args.path) + ": " + e.what());
  }
  return 0;
}

CommandRunner debug_model_command(CLI::App& app) {
  auto args = std::make_shared<DebugModelArgs>();
  DebugModelOptions& o = args->options;
  app.add_option("CONFIG", args->path, "the training config")->required();
  app.add_option("COMPONENT", args->component, "the pipeline component whose model to analyse")
      ->required();
  app.add_option("-l,--layers", args->layers, "comma-separated numbers of the layers to print");
  app.add_flag("--dimensions", o.dimensions, "show dimensions (-DIM)");
  app.add_flag("--parameters", o.parameters, "show parameters (-PAR)");
  app.add_flag("--gradients", o.gradients, "show gradients (-GRAD)");
  app.add_flag("--attributes", o.attributes, "show attributes (-ATTR)");
  app.add_flag("--print-step0", o.print_before_training, "print the model before training (-P0)");
  app.add_flag("--print-step1", o.print_after_init, "print the model after initialization (-P1)");
  app.add_flag("--print-step2", o.print_after_training, "print the model after training (-P2)");
  app.add_flag("--print-step3", o.print_prediction, "print the final predictions (-P3)");
  add_dash_alias(app, "-DIM", "--dimensions");
  add_dash_alias(app, "-PAR", "--parameters");
  add_dash_alias(app, "-GRAD", "--gradients");
  add_dash_alias(app, "-ATTR", "--attributes");
  add_dash_alias(app, "-P0", "--print-step0");
  add_dash_alias(app, "-P1", "--print-step1");
  add_dash_alias(app, "-P2", "--print-step2");
  add_dash_alias(app, "-P3", "--print-step3");
  add_integer_option(app, "--seed", args->seed, "random seed (default: [training] seed)",
                     "--seed must be an integer");
  add_gpu_id_option(app, args->gpu_id);
  add_code_option(app, args->code);
  add_config_overrides(app, args->overrides);
  return [args] { return run_debug_model(*args); };
}

}  // namespace

TRFPIPE_COMMAND("debug model", "Analyse a component's model (spacy debug model)",
                debug_model_command);

}  // namespace trfpipe::cli
