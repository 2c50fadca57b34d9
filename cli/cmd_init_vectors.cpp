// trfpipe init vectors LANG VECTORS_FILE OUTPUT_DIR — spaCy's `spacy init vectors`: a blank
// pipeline whose vocab holds the vectors of a word2vec / GloVe text file (optionally gzipped),
// for `[initialize] vectors = "OUTPUT_DIR"`.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/vectors.hpp"
#include "trfpipe/vectors_text.hpp"

namespace fs = std::filesystem;

namespace trfpipe::cli {
namespace {

struct InitVectorsArgs {
  std::string lang, vectors_loc, output_dir;
  long long prune = -1, truncate = 0;
  std::string mode = "default", attr = "ORTH";
  std::optional<std::string> name;
  bool verbose = false;
};

int run_init_vectors(const InitVectorsArgs& args) {
  if (args.mode != "default")
    return fail("--mode " + args.mode + " is not supported",
                args.mode == "floret" ? "floret vectors are not supported; use --mode default"
                                      : "the modes are: default");
  if (args.attr != "ORTH")
    return fail("--attr " + args.attr + " is not supported", "the vectors are keyed by ORTH");
  std::cout << "\u2139 Creating blank nlp object for language '" << args.lang << "'\n";
  std::unique_ptr<Language> nlp = Language::load("blank:" + args.lang);
  if (args.verbose) std::cout << "Reading vectors from " << args.vectors_loc << "\n";
  std::shared_ptr<Vectors> vectors =
      read_vectors_text(args.vectors_loc, nlp->vocab().strings(), args.truncate);
  if (args.verbose)
    std::cout << "Loaded vectors from " << args.vectors_loc << " (" << vectors->rows() << " x "
              << vectors->cols() << ")\n";
  // spaCy's default name: "<lang>_<meta name>.vectors".
  vectors->set_name(args.name ? *args.name
                              : args.lang + "_" + nlp->meta().value("name", "pipeline") +
                                    ".vectors");
  if (args.prune >= 1) {
    auto remap = vectors->prune(args.prune);
    if (args.verbose)
      std::cout << "Pruned to " << vectors->rows() << " rows; " << remap.size()
                << " keys now share a kept row\n";
  }
  nlp->vocab().set_vectors(vectors);
  std::cout << "\u2714 Successfully converted " << vectors->rows() << " vectors\n";
  nlp->to_disk(args.output_dir);
  std::cout << "\u2714 Saved nlp object with vectors to output directory. You can now use the "
               "path to it in your config as the 'vectors' setting in [initialize].\n"
            << fs::absolute(args.output_dir).lexically_normal().string() << "\n";
  return 0;
}

CommandRunner init_vectors_command(CLI::App& app) {
  auto args = std::make_shared<InitVectorsArgs>();
  app.add_option("LANG", args->lang, "the language of the blank pipeline (en, de, ...)")
      ->required();
  app.add_option("VECTORS_FILE", args->vectors_loc,
                 "word2vec / GloVe text vectors, with or without a \"rows dims\" first line, "
                 "optionally gzipped")
      ->required();
  app.add_option("OUTPUT_DIR", args->output_dir, "the pipeline folder to write")->required();
  add_integer_option(app, "-p,--prune", args->prune,
                     "keep this many vectors and map the others to their nearest kept vector "
                     "(-1: keep all)",
                     "option --prune expects an integer");
  add_integer_option(app, "-t,--truncate", args->truncate,
                     "read only the first N vectors of the file (0: all)",
                     "option --truncate expects an integer");
  app.add_option("-m,--mode", args->mode, "vectors mode: default (floret is not supported)")
      ->capture_default_str();
  app.add_option("-a,--attr", args->attr, "the token attribute the vectors are keyed by (ORTH)")
      ->capture_default_str();
  add_optional_option(app, "-n,--name", args->name,
                      "name of the vectors (default: <lang>_pipeline.vectors)");
  app.add_flag("-V,--verbose", args->verbose, "show more progress");
  return [args] { return run_init_vectors(*args); };
}

}  // namespace

TRFPIPE_COMMAND("init vectors",
                "Convert word vectors for use in a pipeline (spacy init vectors)",
                init_vectors_command);

}  // namespace trfpipe::cli
