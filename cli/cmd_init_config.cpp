// trfpipe init config OUT --lang en --pipeline tagger,ner [--optimize efficiency|accuracy]
// [--transformer HF_FOLDER] — spaCy's `init config`: the quickstart template, auto-filled.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/training.hpp"

namespace fs = std::filesystem;

namespace trfpipe::cli {
namespace {

const char* kUsage =
    "Usage: trfpipe init config OUTPUT [--lang/-l en] [--pipeline/-p tagger,parser,ner]\n"
    "  [--optimize/-o efficiency|accuracy] [--transformer HF_FOLDER] [--force/-F]\n"
    "OUTPUT '-' writes to stdout.\n";

int run_init_config(const std::vector<std::string>& argv) {
  if (print_usage_on_help(argv, kUsage)) return 0;
  Args args(argv, {{"--lang", "-l", false, "language"},
                   {"--pipeline", "-p", false, "components"},
                   {"--optimize", "-o", false, "efficiency or accuracy"},
                   {"--transformer", "", false, "local HF model folder"},
                   {"--gpu", "-G", true, "ignored (CPU)"},
                   {"--force", "-F", true, "overwrite"}});
  const std::string out = args.positional(0, "OUTPUT");
  const std::string lang = args.get_or("--lang", "en");
  const std::string optimize = args.get_or("--optimize", "efficiency");
  if (optimize != "efficiency" && optimize != "accuracy") {
    return fail("Invalid --optimize '" + optimize + "' (efficiency or accuracy)");
  }
  std::vector<std::string> pipeline;
  std::stringstream ss(args.get_or("--pipeline", "tagger,parser,ner"));
  for (std::string p; std::getline(ss, p, ',');)
    if (!p.empty()) pipeline.push_back(p);
  const std::string trf = args.get_or("--transformer", "");
  if (!trf.empty() && !fs::is_directory(trf)) {
    return fail("Transformer folder not found", trf);
  }
  if (out != "-" && fs::exists(out) && !args.flag("--force")) {
    return fail("The provided output file already exists. To force overwriting the config file, "
                "set the --force or -F flag.");
  }
  Json filled = fill_config(quickstart_config(lang, pipeline, optimize == "accuracy", trf));
  std::string text = write_cfg(filled);
  if (out == "-") {
    std::cout << text;
    return 0;
  }
  std::cout << "\u2139 Generated config template specific for your use case\n"
            << "- Language: " << lang << "\n- Pipeline: ";
  for (size_t i = 0; i < pipeline.size(); ++i) std::cout << (i ? ", " : "") << pipeline[i];
  std::cout << "\n- Optimize for: " << optimize << "\n- Hardware: CPU\n- Transformer: "
            << (trf.empty() ? "None" : trf) << "\n";
  std::ofstream f(out);
  if (!f) {
    return fail("Can't write the config", out);
  }
  f << text;
  std::cout << "\u2714 Auto-filled config with all values\n\u2714 Saved config\n" << out << "\n"
            << "You can now add your data and train your pipeline:\n"
            << "trfpipe train " << out << " --paths.train ./train.spacy --paths.dev ./dev.spacy\n";
  return 0;
}

}  // namespace

TRFPIPE_COMMAND("init config", "Generate a starter training config (spacy init config)",
                run_init_config);

}  // namespace trfpipe::cli
