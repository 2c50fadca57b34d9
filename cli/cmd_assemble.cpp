// trfpipe assemble CONFIG OUT [--code plugin.so] [--section.key value ...]
// spaCy's `assemble`: builds a pipeline from a config without training (Language::from_config,
// link the listeners, initialize) and writes it as a pipeline directory.
#include <iostream>

#include "cli/args.hpp"
#include "cli/code_option.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/trfpipe.hpp"

namespace trfpipe::cli {
namespace {

const char* kUsage =
    "Usage: trfpipe assemble CONFIG OUT [--code PLUGIN.so[,...]] [--section.key value ...]\n"
    "  Builds the pipeline described by CONFIG (no training: components are initialized\n"
    "  without examples, transformer weights come from their `name` folders) and writes it\n"
    "  to the directory OUT, loadable with Language::load / `trfpipe apply`.\n";

int run_assemble(const std::vector<std::string>& argv) {
  if (print_usage_on_help(argv, kUsage)) return 0;
  Args args(argv, {code_option()}, /*allow_overrides=*/true);
  const std::string config_path = args.positional(0, "CONFIG");
  const std::string out = args.positional(1, "OUT (the pipeline directory to write)");
  if (args.positional().size() > 2)
    throw ValueError("assemble takes CONFIG and OUT, got extra argument '" + args.positional()[2] + "'");
  register_all();
  load_code(args);
  Json config = load_config_file(config_path, args.overrides(), /*interpolate=*/true);
  std::unique_ptr<Language> nlp = Language::from_config(config);
  nlp->link_components();
  nlp->initialize(nullptr);
  nlp->to_disk(out);
  std::cout << "✔ Assembled pipeline [" ;
  auto names = nlp->pipe_names();
  for (size_t i = 0; i < names.size(); ++i) std::cout << (i ? ", " : "") << names[i];
  std::cout << "] -> " << out << "\n";
  return 0;
}

}  // namespace

TRFPIPE_COMMAND("assemble", "Build a pipeline directory from a config without training",
                run_assemble);

}  // namespace trfpipe::cli
