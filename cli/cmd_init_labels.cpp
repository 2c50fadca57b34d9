// trfpipe init labels CONFIG OUT_DIR [--code plugin.so] [--gpu-id N] [--section.key value ...]
// spaCy's `init labels`: initializes the pipeline of a training config on its training corpus
// and writes OUT_DIR/<component>.json with each component's label data, for
// [initialize.components.<component>.labels] = {"@readers": "spacy.read_labels.v1", ...}.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "cli/code_option.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/gpu_option.hpp"
#include "cli/spacy_args.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/label_data.hpp"
#include "trfpipe/training.hpp"

namespace fs = std::filesystem;

namespace trfpipe::cli {
namespace {

struct InitLabelsArgs {
  std::string config_path, output_path;
  std::optional<std::string> code, gpu_id;
  bool verbose = false;
  ConfigOverrides overrides;
};

int run_init_labels(const InitLabelsArgs& args) {
  if (!fs::exists(args.config_path)) return fail("Config file not found", args.config_path);
  if (int rc = use_gpu_id(args.gpu_id)) return rc;
  load_code(args.code);
  std::error_code ec;
  fs::create_directories(args.output_path, ec);
  if (ec || !fs::is_directory(args.output_path))
    return fail("Can't create the output directory",
                args.output_path + (ec ? ": " + ec.message() : std::string()));
  std::unique_ptr<Language> nlp;
  try {
    Json raw = load_config_file(args.config_path, args.overrides, /*interpolate=*/false);
    nlp = init_nlp(raw);
  } catch (const ConfigError& e) {
    return fail("Config validation error", args.config_path + ": " + e.what());
  }
  std::map<std::string, Json> data;
  for (auto& [name, labels] : pipeline_label_data(*nlp)) data[name] = std::move(labels);
  for (const std::string& name : nlp->pipe_names()) {
    auto it = data.find(name);
    if (it == data.end()) {
      std::cout << "\u2139 No label data found for component '" << name << "'\n";
      continue;
    }
    const std::string file = (fs::path(args.output_path) / (name + ".json")).string();
    std::ofstream f(file, std::ios::binary | std::ios::trunc);
    f << it->second.dump(2) << "\n";
    f.close();
    if (!f) return fail("Can't write the label data", file);
    std::cout << "\u2714 Saving label data for component '" << name << "' to " << file << "\n";
  }
  return 0;
}

CommandRunner init_labels_command(CLI::App& app) {
  auto args = std::make_shared<InitLabelsArgs>();
  app.add_option("CONFIG", args->config_path, "the training config (its [corpora.train] is read)")
      ->required();
  app.add_option("OUTPUT_PATH", args->output_path,
                 "the directory to write <component>.json files to (created if missing)")
      ->required();
  add_code_option(app, args->code);
  add_gpu_id_option(app, args->gpu_id);
  app.add_flag("-V,--verbose", args->verbose, "ignored (spaCy's option)");
  add_config_overrides(app, args->overrides);
  return [args] { return run_init_labels(*args); };
}

}  // namespace

TRFPIPE_COMMAND("init labels",
                "Write the label data of a config's components (spacy init labels)",
                init_labels_command);

}  // namespace trfpipe::cli
