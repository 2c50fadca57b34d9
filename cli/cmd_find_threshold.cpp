// trfpipe find-threshold MODEL DATA PIPE_NAME THRESHOLD_KEY SCORES_KEY — spaCy's
// `spacy find-threshold`: evaluates the pipeline with the component's threshold setting at
// --n_trials evenly spaced values in [0, 1] (the pipeline reloaded with the config override, as
// spaCy does) and reports the threshold with the best SCORES_KEY.
#include <CLI/CLI.hpp>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <set>

#include "cli/code_option.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/gpu_option.hpp"
#include "cli/printer.hpp"
#include "config/text_util.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/scorer.hpp"
#include "trfpipe/training.hpp"

namespace fs = std::filesystem;

namespace trfpipe::cli {
namespace {

struct FindThresholdArgs {
  std::string model, data, pipe_name, threshold_key, scores_key;
  long long n_trials = 11;
  std::optional<std::string> code, gpu_id;
  bool gold_preproc = false, verbose = false;
};

// Python's round(v, digits) as printed.
std::string rounded(double v, int digits) {
  const double scale = std::pow(10.0, digits);
  return python_float(std::round(v * scale) / scale);
}

// wasabi's row: cells left-aligned in columns of 10, 3 spaces apart.
std::string row(const std::string& a, const std::string& b) {
  std::string first = a;
  if (first.size() < 10) first += std::string(10 - first.size(), ' ');
  return first + "   " + b;
}

int run_find_threshold(const FindThresholdArgs& args) {
  if (int rc = use_gpu_id(args.gpu_id)) return rc;
  load_code(args.code);
  if (!fs::exists(args.data)) return fail("Evaluation data not found", args.data);
  register_training();
  std::unique_ptr<Language> nlp = Language::load(args.model);
  if (!nlp->has_pipe(args.pipe_name)) nlp->get_pipe(args.pipe_name);  // E001 listing the names
  const std::string factory = nlp->get_pipe(args.pipe_name).factory_name();
  const Json block = nlp->config()["components"][args.pipe_name];
  if (!block.contains("scorer"))
    return fail("[E1045] Can't find threshold for '" + args.pipe_name +
                "': the component has no scorer");
  // The key must exist in the component's config (spaCy's E1042).
  const Json* node = &block;
  for (std::string_view part : split_on(args.threshold_key, '.')) {
    const std::string key(part);
    if (!node->is_object() || !node->contains(key))
      return fail("[E1042] `find_threshold()` failed: the component '" + args.pipe_name +
                  "' has no config key '" + args.threshold_key + "'");
    node = &(*node)[key];
  }
  if (factory == "textcat")
    std::cout << "\u26a0 The `textcat` component doesn't use a threshold as it's not applicable "
                 "to the concept of exclusive classes. All thresholds will yield the same "
                 "results.\n";
  std::cout << "\u2139 Optimizing for " << args.scores_key << " for component '"
            << args.pipe_name << "' with " << args.n_trials << " trials.\n";

  CorpusOptions co;
  co.path = args.data;
  co.gold_preproc = args.gold_preproc;
  Corpus corpus(co);
  const std::string override_key = "components." + args.pipe_name + "." + args.threshold_key;
  std::cout << row("Threshold", args.scores_key) << "\n";
  std::vector<std::pair<double, double>> scores;
  const double step = 1.0 / double(args.n_trials - 1);
  for (long long i = 0; i < args.n_trials; ++i) {
    // numpy.linspace(0, 1, n): i * step, the last value exactly 1.
    const double threshold = i == args.n_trials - 1 ? 1.0 : double(i) * step;
    std::unique_ptr<Language> trial =
        Language::load(args.model, {{override_key, python_float(threshold)}});
    Json result = evaluate(*trial, corpus(*trial));
    if (!result.contains(args.scores_key)) {
      std::string keys;
      for (auto it = result.begin(); it != result.end(); ++it)
        keys += (keys.empty() ? "'" : ", '") + it.key() + "'";
      return fail("[E1041] No value found for " + args.scores_key +
                  ". Available keys in evaluation results: [" + keys + "]");
    }
    const Json& v = result[args.scores_key];
    if (!v.is_number())
      return fail("Returned score for key '" + args.scores_key +
                  "' is not numeric. Threshold optimization only works for numeric scores.");
    scores.emplace_back(threshold, v.get<double>());
    std::cout << row(rounded(threshold, 3), rounded(v.get<double>(), 3)) << "\n";
    std::cout.flush();
  }
  size_t best = 0;
  std::set<double> distinct;
  for (size_t i = 0; i < scores.size(); ++i) {
    distinct.insert(scores[i].second);
    if (scores[i].second > scores[best].second) best = i;  // the first of equal maxima
  }
  if (distinct.size() == 1) {
    std::cout << "\u26a0 All scores are identical. Verify that all settings are correct.\n";
    if (factory == "textcat_multilabel" && args.scores_key != "cats_macro_f" &&
        args.scores_key != "cats_micro_f")
      std::cout << "Use `cats_macro_f` or `cats_micro_f` when optimizing the threshold for "
                   "`textcat_multilabel`.\n";
  } else {
    std::cout << "\nBest threshold: " << rounded(scores[best].first, 4) << " with "
              << args.scores_key << " value of " << python_float(scores[best].second) << ".\n";
  }
  return 0;
}

CommandRunner find_threshold_command(CLI::App& app) {
  auto args = std::make_shared<FindThresholdArgs>();
  app.add_option("MODEL", args->model, "Model name or path")->required();
  app.add_option("DATA", args->data, "Location of binary evaluation data in .spacy format")
      ->required();
  app.add_option("PIPE_NAME", args->pipe_name, "Name of pipe to examine thresholds for")
      ->required();
  app.add_option("THRESHOLD_KEY", args->threshold_key,
                 "Key of threshold attribute in component's configuration")
      ->required();
  app.add_option("SCORES_KEY", args->scores_key, "Metric to optimize")->required();
  add_integer_option(app, "-n,--n_trials", args->n_trials,
                     "Number of trials to determine optimal thresholds",
                     "--n_trials must be at least 2", 2, 100000);
  add_code_option(app, args->code);
  add_gpu_id_option(app, args->gpu_id);
  app.add_flag("-G,--gold-preproc", args->gold_preproc, "Use gold preprocessing");
  app.add_flag("-V,--verbose", args->verbose, "Display more information for debugging purposes");
  return [args] { return run_find_threshold(*args); };
}

}  // namespace

TRFPIPE_COMMAND("find-threshold",
                "Find the best threshold of a component on .spacy data (spacy find-threshold)",
                find_threshold_command);

}  // namespace trfpipe::cli
