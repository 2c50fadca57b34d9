// trfpipe debug data CONFIG [--section.key value ...] — spaCy's `debug data` (summary): docs,
// words and labels in the training and development corpora, missing labels, label mismatches.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/code_option.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/printer.hpp"
#include "cli/spacy_args.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/registry.hpp"
#include "trfpipe/training.hpp"

namespace fs = std::filesystem;

namespace trfpipe::cli {
namespace {

size_t total(const Json& counts) {
  size_t n = 0;
  for (auto it = counts.begin(); it != counts.end(); ++it) n += it.value().get<size_t>();
  return n;
}

struct DebugDataArgs {
  std::string path;
  bool verbose = false;
  std::optional<std::string> code;
  ConfigOverrides overrides;
};

int run_debug_data(const DebugDataArgs& args) {
  const std::string& path = args.path;
  load_code(args.code);
  if (config_file_missing(path)) {
    return fail("Config file not found", path);
  }
  Json config;
  std::unique_ptr<Language> nlp;
  std::pair<Reader, Reader> corpora;
  try {
    config = interpolate(fill_config(load_config_file(path, args.overrides, false)));
    nlp = Language::from_config(config);
    corpora = resolve_corpora(config);
  } catch (const ConfigError& e) {
    return fail("Config validation error", config_file_name(path) + ": " + e.what());
  }
  Json c = debug_data_counts(*nlp, corpora.first, corpora.second);
  const Json& tr = c["train"];
  const Json& dv = c["dev"];
  std::cout << divider("Data file validation") << "\n";
  std::cout << "\u2714 Pipeline can be initialized with data\n\u2714 Corpus is loadable\n";
  std::cout << divider("Training stats") << "\n";
  std::cout << "Language: " << nlp->lang() << "\nTraining pipeline: ";
  auto names = nlp->pipe_names();
  for (size_t i = 0; i < names.size(); ++i) std::cout << (i ? ", " : "") << names[i];
  std::cout << "\n" << tr["docs"] << " training docs\n" << dv["docs"] << " evaluation docs\n";
  if (tr["docs"] == 0) std::cout << "\u2718 No training docs\n";
  std::cout << "\u2139 " << tr["words"] << " total word(s) in the training data\n"
            << "\u2139 " << dv["words"] << " total word(s) in the evaluation data\n";
  std::cout << divider("Vocab & Vectors") << "\n";
  std::cout << "\u2139 " << tr["words"] << " total word(s) in the data (" << tr["unique_words"]
            << " unique)\n";
  // spaCy's _format_labels(counts=True), shown with --verbose.
  auto label_list = [](const Json& counts) {
    std::string out;
    for (auto it = counts.begin(); it != counts.end(); ++it)
      out += (out.empty() ? "'" : ", '") + it.key() + "' (" + it.value().dump() + ")";
    return out;
  };
  int warnings = 0, errors = 0;
  auto mismatch = [&](const char* key, const std::string& what) {
    for (auto it = dv[key].begin(); it != dv[key].end(); ++it) {
      if (!tr[key].contains(it.key())) {
        std::cout << "\u26a0 " << what << " '" << it.key()
                  << "' is present in the development data but not in the training data\n";
        ++warnings;
      }
    }
  };
  if (nlp->has_pipe("tagger") || !tr["tags"].empty()) {
    std::cout << divider("Part-of-speech Tagging") << "\n";
    std::cout << "\u2139 " << tr["tags"].size() << " label(s) in train data\n";
    if (args.verbose) std::cout << "Labels in train data: " << label_list(tr["tags"]) << "\n";
    if (tr["missing_tags"].get<size_t>() > 0) {
      std::cout << "\u26a0 " << tr["missing_tags"] << " token(s) without a tag in the training data\n";
      ++warnings;
    }
    mismatch("tags", "Tag");
  }
  if (nlp->has_pipe("ner") || !tr["entities"].empty()) {
    std::cout << divider("Named Entity Recognition") << "\n";
    std::cout << "\u2139 " << tr["entities"].size() << " label(s)\n"
              << "\u2139 " << total(tr["entities"]) << " entities in the training data\n";
    if (tr["missing_entity_tokens"].get<size_t>() > 0) {
      std::cout << "\u26a0 " << tr["missing_entity_tokens"]
                << " missing value(s) (tokens with a '-' label)\n";
      ++warnings;
    }
    if (tr["entities"].empty() && nlp->has_pipe("ner")) {
      std::cout << "\u2718 No entities in the training data\n";
      ++errors;
    }
    if (args.verbose) std::cout << "Labels in train data: " << label_list(tr["entities"]) << "\n";
    // spaCy's NEW_LABEL_THRESHOLD: fewer examples than this make a label hard to learn.
    constexpr size_t kLowCount = 50;
    bool low = false, no_negative = false;
    for (auto it = tr["entities"].begin(); it != tr["entities"].end(); ++it) {
      if (it.value().get<size_t>() <= kLowCount) {
        std::cout << "\u26a0 Low number of examples for label '" << it.key() << "' ("
                  << it.value() << ")\n";
        low = true;
        ++warnings;
      }
      if (tr["docs_without_entity_label"].value(it.key(), size_t(0)) == 0) {
        std::cout << "\u26a0 No examples for texts WITHOUT new label '" << it.key() << "'\n";
        no_negative = true;
        ++warnings;
      }
    }
    if (!low) std::cout << "\u2714 Good amount of examples for all labels\n";
    if (!no_negative) std::cout << "\u2714 Examples without occurrences available for all labels\n";
    if (tr["ws_ents"].get<size_t>() > 0) {
      std::cout << "\u2718 " << tr["ws_ents"] << " invalid whitespace entity spans\n";
      ++errors;
    } else {
      std::cout << "\u2714 No entities consisting of or starting/ending with whitespace\n";
    }
    if (tr["punct_ents"].get<size_t>() > 0) {
      std::cout << "\u26a0 " << tr["punct_ents"] << " entity span(s) with punctuation\n";
      ++warnings;
    } else {
      std::cout << "\u2714 No entities consisting of or starting/ending with punctuation\n";
    }
    if (tr["boundary_cross_ents"].get<size_t>() > 0) {
      std::cout << "\u26a0 " << tr["boundary_cross_ents"]
                << " entity span(s) crossing sentence boundaries\n";
      ++warnings;
    } else {
      std::cout << "\u2714 No entities crossing sentence boundaries\n";
    }
    mismatch("entities", "Entity label");
  }
  if (!tr["cats"].empty() || nlp->has_pipe("textcat") || nlp->has_pipe("textcat_multilabel")) {
    std::cout << divider("Text Classification") << "\n";
    std::cout << "\u2139 Text Classification: " << tr["cats"].size() << " label(s)\n";
    for (auto it = tr["cats"].begin(); it != tr["cats"].end(); ++it)
      std::cout << "  " << it.key() << ": " << it.value() << " positive doc(s)\n";
    for (auto it = tr["cats"].begin(); it != tr["cats"].end(); ++it)
      if (it.value().get<size_t>() <= 50) {
        std::cout << "\u26a0 Low number of examples for label '" << it.key() << "' ("
                  << it.value() << ")\n";
        ++warnings;
      }
    mismatch("cats", "Text category");
  }
  std::cout << divider("Summary") << "\n";
  std::cout << "\u2714 " << (warnings ? std::to_string(warnings) + " warning(s)" : "No warnings")
            << "\n";
  if (errors) {
    std::cout << "\u2718 " << errors << " error(s)\n";
    return 1;
  }
  return 0;
}

CommandRunner debug_data_command(CLI::App& app) {
  auto args = std::make_shared<DebugDataArgs>();
  app.add_option("CONFIG", args->path, "the training config naming the corpora")->required();
  add_code_option(app, args->code);
  app.add_flag("-V,--verbose", args->verbose, "Print additional information (label lists)");
  add_config_overrides(app, args->overrides);
  return [args] { return run_debug_data(*args); };
}

}  // namespace

TRFPIPE_COMMAND("debug data", "Show statistics of the training and development data (spacy debug data)",
                debug_data_command);

}  // namespace trfpipe::cli
