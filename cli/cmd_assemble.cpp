// trfpipe assemble CONFIG OUT [--code plugin.so] [--section.key value ...]
// spaCy's `assemble`: builds a pipeline from a config without training (Language::from_config,
// link the listeners, initialize) and writes it as a pipeline directory.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "cli/code_option.hpp"
#include "cli/command.hpp"
#include "cli/spacy_args.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/trfpipe.hpp"

namespace trfpipe::cli {
namespace {

struct AssembleArgs {
  std::string config_path, out;
  std::optional<std::string> code;
  ConfigOverrides overrides;
};

int run_assemble(const AssembleArgs& args) {
  register_all();
  load_code(args.code);
  Json config = load_config_file(args.config_path, args.overrides, /*interpolate=*/true);
  std::unique_ptr<Language> nlp = Language::from_config(config);
  nlp->link_components();
  {
    // spaCy's assemble: sourced components keep the weights they were trained with.
    DisabledPipes sourced = nlp->select_pipes(nlp->sourced_components());
    nlp->initialize(nullptr);
  }
  nlp->to_disk(args.out);
  std::cout << "✔ Assembled pipeline [" ;
  auto names = nlp->pipe_names();
  for (size_t i = 0; i < names.size(); ++i) std::cout << (i ? ", " : "") << names[i];
  std::cout << "] -> " << args.out << "\n";
  return 0;
}

CommandRunner assemble_command(CLI::App& app) {
  auto args = std::make_shared<AssembleArgs>();
  app.add_option("CONFIG", args->config_path,
                 "the pipeline's config (no training: components are initialized without "
                 "examples, transformer weights come from their `name` folders)")
      ->required();
  app.add_option("OUT", args->out,
                 "the pipeline directory to write, loadable with Language::load / `trfpipe apply`")
      ->required();
  add_code_option(app, args->code);
  add_config_overrides(app, args->overrides);
  return [args] { return run_assemble(*args); };
}

}  // namespace

TRFPIPE_COMMAND("assemble", "Build a pipeline directory from a config without training",
                assemble_command);

}  // namespace trfpipe::cli
