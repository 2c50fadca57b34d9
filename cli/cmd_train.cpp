// trfpipe train CONFIG --output DIR [--code plugin.so] [--n-workers N] [--section.key value ...]
// — spaCy's `spacy train`: init_nlp, the training loop and its console table, model-last /
// model-best. Under torchrun, srun or `--n-workers` it is one rank of data-parallel training
// (docs/distributed.md): rank 0 prints and saves, the other ranks are silent unless they fail.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <ostream>

#include "cli/code_option.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/gpu_option.hpp"
#include "cli/spacy_args.hpp"
#include "cli/worker_launcher.hpp"
#include "trfpipe/distributed.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"
#include "trfpipe/training.hpp"

namespace fs = std::filesystem;

namespace trfpipe::cli {
namespace {

struct TrainArgs {
  std::string config_path, output;
  std::optional<std::string> code, gpu_id;
  std::optional<long long> n_workers;
  ConfigOverrides overrides;
  bool verbose = false;
};

// The same command for the workers, without --n-workers.
std::vector<std::string> worker_args(const TrainArgs& args) {
  std::vector<std::string> out{"train", args.config_path};
  if (!args.output.empty()) out.insert(out.end(), {"--output", args.output});
  if (args.code) out.insert(out.end(), {"--code", *args.code});
  if (args.gpu_id) out.insert(out.end(), {"--gpu-id", *args.gpu_id});
  for (const auto& [key, value] : args.overrides) out.push_back("--" + key + "=" + value);
  return out;
}

// With several workers on one machine, `--gpu-id G` means device G + LOCAL_RANK for each.
std::optional<std::string> gpu_of_rank(const std::optional<std::string>& gpu_id,
                                       const DistributedSettings& dist) {
  if (!gpu_id || dist.world_size == 1) return gpu_id;
  const auto id = parse_integer(*gpu_id, -1, INT_MAX - 1024);
  if (!id || *id < 0) return gpu_id;
  return std::to_string(*id + dist.local_rank);
}

int run_train(const TrainArgs& args) {
  const std::string& config_path = args.config_path;
  if (config_file_missing(config_path)) {
    return fail("Config file not found", config_path);
  }
  DistributedSettings dist;
  try {
    dist = distributed_settings_from_environment();
  } catch (const ValueError& e) {
    return fail("Bad distributed training environment", e.what());
  }
  if (args.n_workers && *args.n_workers > 1) {
    if (dist.world_size > 1)
      return fail("--n-workers cannot start workers inside a process group",
                  "this process is already rank " + std::to_string(dist.rank) + " of " +
                      std::to_string(dist.world_size) + " (" + dist.source + ")");
    return run_local_workers(int(*args.n_workers), worker_args(args));
  }
  if (int rc = use_gpu_id(gpu_of_rank(args.gpu_id, dist))) return rc;
  load_code(args.code);
  TrainOptions options;
  options.output_path = args.output;
  options.verbose = args.verbose;
  options.distributed = dist;
  // Only rank 0 speaks; the others' failures still reach stderr.
  static std::ostream silent(nullptr);
  if (dist.rank > 0) options.out = &silent;
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
  add_integer_option(app, "--n-workers", args->n_workers,
                     "train with N worker processes on this machine (data parallel; the batch "
                     "size is per worker)",
                     "--n-workers must be a whole number from 1 to 1024", 1, 1024)
      ->type_name("N");
  add_config_overrides(app, args->overrides);
  return [args] { return run_train(*args); };
}

}  // namespace

TRFPIPE_COMMAND("train", "Train a pipeline (spacy train)", train_command);

}  // namespace trfpipe::cli
