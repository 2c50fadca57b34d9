// trfpipe init config OUT --lang en --pipeline tagger,ner [--optimize efficiency|accuracy]
// [--transformer HF_FOLDER] — spaCy's `init config`: the quickstart template, auto-filled.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/code_option.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/languages.hpp"
#include "trfpipe/training.hpp"

namespace fs = std::filesystem;

namespace trfpipe::cli {
namespace {

struct InitConfigArgs {
  std::string out;
  std::string lang = "en", pipeline = "tagger,parser,ner", optimize = "efficiency", transformer;
  std::string vectors;
  bool gpu = false, force = false;
  std::optional<std::string> code;
};

int run_init_config(const InitConfigArgs& args) {
  const std::string& out = args.out;
  const std::string& lang = args.lang;
  const std::string& optimize = args.optimize;
  std::vector<std::string> pipeline;
  std::stringstream ss(args.pipeline);
  for (std::string p; std::getline(ss, p, ',');)
    if (!p.empty()) pipeline.push_back(p);
  load_code(args.code);  // a plugin may register the language
  if (!has_language(lang)) {
    try {
      require_language(lang);
    } catch (const Error& e) {
      return fail("Unknown language", e.what());
    }
  }
  const std::string& trf = args.transformer;
  if (!trf.empty() && !fs::is_directory(trf)) {
    return fail("Transformer folder not found", trf);
  }
  if (out != "-" && fs::exists(out) && !args.force) {
    return fail("The provided output file already exists. To force overwriting the config file, "
                "set the --force or -F flag.");
  }
  if (!args.vectors.empty() && !fs::is_directory(fs::path(args.vectors) / "vocab")) {
    return fail("Vectors not found",
                args.vectors + " is not a pipeline folder with vectors (trfpipe init vectors "
                               "LANG VECTORS_FILE " + args.vectors + " writes one)");
  }
  Json base = quickstart_config(lang, pipeline, optimize == "accuracy", trf);
  // spaCy's quickstart, optimized for accuracy on the CPU, names the language's word vectors
  // (en_core_web_lg: a Python package) and includes them in the tok2vec; here they are the
  // vectors folder given.
  if (optimize == "accuracy" && trf.empty() && !args.vectors.empty()) {
    base["paths"]["vectors"] = args.vectors;
    base["components"]["tok2vec"]["model"]["embed"]["include_static_vectors"] = true;
  }
  if (!args.vectors.empty() && (optimize != "accuracy" || !trf.empty()))
    std::cout << "\u2139 --vectors is used with --optimize accuracy and no --transformer (as "
                 "spaCy's quickstart uses word vectors); not included\n";
  Json filled = fill_config(base);
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

CommandRunner init_config_command(CLI::App& app) {
  auto args = std::make_shared<InitConfigArgs>();
  app.add_option("OUTPUT", args->out, "the config file to write ('-' = stdout)")->required();
  app.add_option("-l,--lang", args->lang, "language");
  app.add_option("-p,--pipeline", args->pipeline, "components, comma-separated");
  app.add_option("-o,--optimize", args->optimize, "smaller and faster, or larger and more accurate")
      ->check(CLI::IsMember({"efficiency", "accuracy"}));
  app.add_option("--transformer", args->transformer, "a local Hugging Face model folder");
  app.add_option("--vectors", args->vectors,
                 "a vectors folder (trfpipe init vectors): with --optimize accuracy, the tok2vec "
                 "includes them, as spaCy's quickstart does with the language's word vectors");
  app.add_flag("-G,--gpu", args->gpu, "ignored (the config is for the CPU)");
  app.add_flag("-F,--force", args->force, "overwrite an existing OUTPUT");
  add_code_option(app, args->code);
  return [args] { return run_init_config(*args); };
}

}  // namespace

TRFPIPE_COMMAND("init config", "Generate a starter training config (spacy init config)",
                init_config_command);

}  // namespace trfpipe::cli
