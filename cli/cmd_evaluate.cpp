// trfpipe evaluate MODEL DATA [--output scores.json] — spaCy's `spacy evaluate`: the Results
// table, per-type NER, span and textcat tables, and the scores as JSON.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/code_option.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/spacy_args.hpp"
#include "cli/dtype_option.hpp"
#include "cli/gpu_option.hpp"
#include "cli/printer.hpp"
#include "cli/spacy_args.hpp"
#include "trfpipe/displacy.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/registry.hpp"
#include "trfpipe/scorer.hpp"
#include "trfpipe/training.hpp"

namespace fs = std::filesystem;

namespace trfpipe::cli {
namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string pct(const Json& v) { return v.is_number() ? fmt("%.2f", v.get<double>() * 100) : "-"; }

struct EvaluateArgs {
  std::string model, data;
  std::optional<std::string> output, code, gpu_id, displacy_path, dtype;
  long long displacy_limit = 25;
  bool gold_preproc = false, per_component = false;
  std::string spans_key = "sc";
};

// spaCy's render_parses: the first `limit` texts through the pipeline, written as displaCy pages
// — entities.html when it has an `ner`, parses.html (compact) when it has a `parser` — with the
// model's name as the first doc's title.
void render_parses(Language& nlp, const std::vector<Example>& examples, const std::string& model,
                   const fs::path& dir, size_t limit) {
  std::vector<std::string> factories;
  for (Pipe* p : nlp.pipeline()) factories.push_back(p->factory_name());
  auto has = [&](const char* f) { return std::find(factories.begin(), factories.end(), f) != factories.end(); };
  std::vector<std::string> texts;
  for (size_t i = 0; i < examples.size() && i < limit; ++i) texts.push_back(examples[i].reference().text());
  std::vector<Json> docs;
  for (const Doc& d : nlp.pipe(texts)) docs.push_back(d.to_json());
  if (!docs.empty()) docs[0]["title"] = model;
  auto write = [&](const char* name, const std::string& html) {
    std::ofstream f(dir / name, std::ios::binary | std::ios::trunc);
    f << html;
    if (!f) throw Error("cannot write " + (dir / name).string());
  };
  if (has("ner")) write("entities.html", displacy::render(docs, "ent", true));
  if (has("parser")) write("parses.html", displacy::render(docs, "dep", true, {{"compact", true}}));
  std::cout << "\u2714 Generated " << limit << " parses as HTML\n" << dir.string() << "\n";
}

void print_scores(const Json& scores, const std::string& spans_key);

int run_evaluate(const EvaluateArgs& args) {
  const std::string& model = args.model;
  const std::string& data = args.data;
  if (int rc = use_gpu_id(args.gpu_id)) return rc;
  if (int rc = use_dtype(args.dtype)) return rc;
  load_code(args.code);
  if (!fs::exists(data)) {
    return fail("Evaluation data not found", data);
  }
  if (model.rfind("blank:", 0) != 0 && !fs::exists(model)) {
    return fail("Pipeline not found", model);
  }
  if (args.displacy_path && !fs::is_directory(*args.displacy_path))
    return fail("Visualization output directory not found", *args.displacy_path);
  register_training();
  CorpusOptions co;
  co.path = data;
  co.gold_preproc = args.gold_preproc;
  Corpus corpus(co);
  std::unique_ptr<Language> nlp = Language::load(model);
  std::vector<Example> examples = corpus(*nlp);
  Json scores = evaluate(*nlp, examples, 0, args.per_component);
  if (args.per_component) {
    // spaCy prints no tables for per-component scores: they go to the JSON file.
    if (args.output)
      std::cout << "\u2139 Per-component scores will be saved to output JSON file.\n";
    else
      std::cout << "\u26a0 The per-component option is enabled but there is no output JSON file "
                   "provided to save the scores to.\n";
  } else {
    print_scores(scores, args.spans_key);
  }
  if (args.displacy_path)
    render_parses(*nlp, examples, model, *args.displacy_path, size_t(args.displacy_limit));
  if (const auto& out = args.output) {
    std::ofstream f(*out);
    if (!f) {
      return fail("Can't write the scores", *out);
    }
    f << scores.dump(2) << "\n";
    std::cout << "\u2714 Saved results to " << *out << "\n";
  }
  return 0;
}

// spaCy's evaluate tables: Results, then the per-type ones present in the scores.
void print_scores(const Json& scores, const std::string& spans_key) {

  const std::string spans = "spans_" + spans_key;
  const std::vector<std::pair<std::string, std::string>> metrics = {
      {"TOK", "token_acc"},   {"TAG", "tag_acc"},     {"POS", "pos_acc"},
      {"MORPH", "morph_acc"}, {"LEMMA", "lemma_acc"}, {"UAS", "dep_uas"},
      {"LAS", "dep_las"},     {"NER P", "ents_p"},    {"NER R", "ents_r"},
      {"NER F", "ents_f"},    {"TEXTCAT", "cats_score"}, {"SENT P", "sents_p"},
      {"SENT R", "sents_r"},  {"SENT F", "sents_f"},  {"SPAN P", spans + "_p"},
      {"SPAN R", spans + "_r"}, {"SPAN F", spans + "_f"}, {"SPEED", "speed"}};
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, key] : metrics) {
    if (!scores.contains(key)) continue;
    std::string label = name;
    if (key == "cats_score") {
      const Json& d = scores.value("cats_score_desc", Json("unk"));
      label += " (" + (d.is_string() ? d.get<std::string>() : std::string("unk")) + ")";
    }
    const Json& v = scores[key];
    std::string text = !v.is_number() ? "-"
                       : key == "speed" ? fmt("%.0f", v.get<double>())
                                                      : fmt("%.2f", v.get<double>() * 100);
    rows.push_back({label, text});
  }
  table("Results", rows, {}, {'l', 'l'});
  auto per_type = [&](const std::string& key, const std::string& title) {
    if (!scores.contains(key) || !scores[key].is_object() || scores[key].empty()) return;
    std::vector<std::vector<std::string>> r;
    for (auto it = scores[key].begin(); it != scores[key].end(); ++it)
      r.push_back({it.key(), pct(it.value()["p"]), pct(it.value()["r"]), pct(it.value()["f"])});
    table(title, r, {"", "P", "R", "F"}, {'l', 'r', 'r', 'r'});
  };
  per_type("ents_per_type", "NER (per type)");
  per_type("dep_las_per_type", "LAS (per type)");
  per_type("morph_per_feat", "MORPH (per feat)");
  per_type(spans + "_per_type", "SPANS (per type)");
  per_type("cats_f_per_type", "Textcat F (per label)");
  if (scores.contains("cats_auc_per_type") && scores["cats_auc_per_type"].is_object() &&
      !scores["cats_auc_per_type"].empty()) {
    std::vector<std::vector<std::string>> r;
    for (auto it = scores["cats_auc_per_type"].begin(); it != scores["cats_auc_per_type"].end(); ++it)
      r.push_back({it.key(), it.value().is_number() ? fmt("%.2f", it.value().get<double>()) : "None"});
    table("Textcat ROC AUC (per label)", r, {"", "ROC AUC"}, {'l', 'r'});
  }
}

CommandRunner evaluate_command(CLI::App& app) {
  auto args = std::make_shared<EvaluateArgs>();
  app.add_option("MODEL", args->model, "a pipeline directory or blank:<lang>")->required();
  app.add_option("DATA", args->data, "gold-standard .spacy data")->required();
  add_optional_option(app, "-o,--output", args->output, "write the scores as JSON to this file");
  add_code_option(app, args->code);
  app.add_flag("-G,--gold-preproc", args->gold_preproc, "use the gold tokenization");
  app.add_option("--spans-key", args->spans_key, "the span group whose scores are shown");
  add_dash_alias(app, "-sk", "--spans-key");
  app.add_flag("-P,--per-component", args->per_component,
               "return scores per component, only applicable when an output JSON file is "
               "specified");
  add_gpu_id_option(app, args->gpu_id);
  add_dtype_option(app, args->dtype);
  add_optional_option(app, "--displacy-path", args->displacy_path,
                      "directory to write rendered parses to as HTML (entities.html, parses.html)");
  add_dash_alias(app, "-dp", "--displacy-path");
  add_integer_option(app, "--displacy-limit", args->displacy_limit,
                     "limit of parses to render as HTML",
                     "--displacy-limit must be a positive integer", 1, LONG_MAX);
  add_dash_alias(app, "-dl", "--displacy-limit");
  return [args] { return run_evaluate(*args); };
}

}  // namespace

TRFPIPE_COMMAND("evaluate", "Evaluate a pipeline on .spacy data (spacy evaluate)", evaluate_command);

}  // namespace trfpipe::cli
