// trfpipe convert INPUT [OUTPUT_DIR] — spaCy's `spacy convert`: training data to .spacy (DocBin)
// or spaCy's v2 JSON.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "trfpipe/data.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"

namespace fs = std::filesystem;

namespace trfpipe::cli {
namespace {

const char* kUsage =
    "Usage: trfpipe convert INPUT [OUTPUT_DIR]\n"
    "  --converter/-c    auto|conllu|conllubio|conll|ner|iob|json|jsonl|goemotions (auto)\n"
    "  --n-sents/-n      sentences per doc, 0 = no grouping (1)\n"
    "  --file-type/-t    spacy|json (spacy); '-' as OUTPUT_DIR writes json to stdout\n"
    "  --lang/-l         language of the tokenizer for jsonl/goemotions (en)\n"
    "  --labels          labels.txt for goemotions\n"
    "  --morphology/-m   append morphology to tags (conllu)\n"
    "  --text-key        the text field for jsonl (text)\n"
    "  --spans-key/-sk   also copy each doc's entities into doc.spans[KEY] (to train a spancat\n"
    "                    on NER data, as `doc.spans[KEY] = list(doc.ents)` in spaCy)\n"
    "  --concatenate/-C  with a directory INPUT: one output file named after it\n";

int run_convert(const std::vector<std::string>& argv) {
  if (print_usage_on_help(argv, kUsage)) return 0;
  Args args(argv, {{"--converter", "-c", false, "converter"},
                   {"--n-sents", "-n", false, "sentences per doc"},
                   {"--file-type", "-t", false, "spacy or json"},
                   {"--lang", "-l", false, "tokenizer language"},
                   {"--labels", "", false, "labels.txt (goemotions)"},
                   {"--morphology", "-m", true, "append morphology to tags"},
                   {"--text-key", "", false, "jsonl text field"},
                   {"--spans-key", "-sk", false, "span group for the entities"},
                   {"--seg-sents", "-s", true, "not supported"},
                   {"--concatenate", "-C", true, "one output file for a directory"}});
  const std::string input = args.positional(0, "INPUT");
  const std::string output_dir = args.positional().size() > 1 ? args.positional()[1] : "-";
  if (args.positional().size() > 2) return fail("Too many arguments", kUsage);
  ConvertOptions opts;
  opts.converter = args.get_or("--converter", "auto");
  try {
    opts.n_sents = std::stoi(args.get_or("--n-sents", "1"));
  } catch (const std::exception&) {
    return fail("--n-sents must be an integer");
  }
  if (opts.n_sents < 0) return fail("--n-sents must be 0 or more");
  opts.append_morphology = args.flag("--morphology");
  opts.labels_path = args.get_or("--labels", "");
  opts.text_key = args.get_or("--text-key", "text");
  opts.spans_key = args.get_or("--spans-key", "");
  if (args.get("--spans-key") && opts.spans_key.empty()) return fail("--spans-key must not be empty");
  const std::string file_type = args.get_or("--file-type", "spacy");
  const std::string lang = args.get_or("--lang", "en");
  if (file_type != "spacy" && file_type != "json")
    return fail("Invalid --file-type '" + file_type + "' (spacy or json)");
  if (args.flag("--seg-sents")) return fail("--seg-sents is not supported");
  if (file_type != "json" && output_dir == "-")
    return fail("Can't write ." + file_type + " data to stdout. Please specify an output directory.");
  if (!fs::exists(input)) return fail("Input file not found", input);
  if (output_dir != "-" && !fs::is_directory(output_dir)) return fail("Output directory not found", output_dir);
  if (!opts.labels_path.empty() && !fs::exists(opts.labels_path)) return fail("Labels file not found", opts.labels_path);

  // Input files: the file, or every file under the directory (sorted, hidden ones skipped).
  std::vector<fs::path> files;
  const bool is_dir = fs::is_directory(input);
  if (is_dir) {
    for (const auto& e : fs::recursive_directory_iterator(input)) {
      if (!e.is_regular_file()) continue;
      if (e.path().filename().string().rfind('.', 0) == 0) continue;
      files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) return fail("No input files in directory", input);
  } else {
    files.push_back(input);
  }

  std::unique_ptr<Language> nlp;  // only the text formats need a tokenizer
  std::shared_ptr<Vocab> vocab = std::make_shared<Vocab>(lang);
  MakeDoc make_doc = [&](std::string_view text) {
    if (!nlp) nlp = Language::blank(lang);
    return nlp->make_doc(text);
  };
  const bool quiet = output_dir == "-";
  // Convert everything first (an error in any file writes nothing), then write.
  std::vector<std::pair<fs::path, std::vector<Doc>>> outputs;
  for (const auto& file : files) {
    const std::string conv = detect_converter(file.string(), opts);
    if (!quiet) {
      if (opts.converter == "auto" || opts.converter == "ner" || opts.converter == "iob") {
        if (conv == "ner")
          std::cout << "\u2139 Auto-detected token-per-line NER format\n";
        else if (conv == "iob")
          std::cout << "\u2139 Auto-detected sentence-per-line NER format\n";
      }
      if ((conv == "conllu" || conv == "iob") && opts.n_sents > 0) {
        std::cout << "\u2139 Grouping every " << opts.n_sents << " sentences into a document.\n";
        if (opts.n_sents == 1)
          std::cout << "\u26a0 To generate better training data, you may want to group sentences "
                       "into documents with `-n 10`.\n";
      }
    }
    ConvertOptions file_opts = opts;
    file_opts.converter = conv;
    fs::path out = is_dir ? fs::path(output_dir) / fs::relative(file, input)
                          : fs::path(output_dir) / file.filename();
    outputs.emplace_back(out, convert_file(file.string(), file_opts, vocab, make_doc));
  }
  if (args.flag("--concatenate") && is_dir) {
    // spaCy's --concatenate: one output named after the input.
    std::vector<Doc> all;
    for (auto& o : outputs)
      for (auto& d : o.second) all.push_back(std::move(d));
    outputs.clear();
    outputs.emplace_back(fs::path(output_dir) / fs::path(input).filename(), std::move(all));
  }
  for (auto& [path, docs] : outputs) {
    std::vector<const Doc*> ptrs;
    for (const auto& d : docs) ptrs.push_back(&d);
    if (file_type == "json" && quiet) {
      std::cout << Json::array({docs_to_json(ptrs)}).dump(2) << "\n";
      continue;
    }
    fs::path out = path;
    out.replace_extension("." + file_type);
    if (!out.parent_path().empty()) fs::create_directories(out.parent_path());
    size_t n_docs = docs.size();
    if (file_type == "json") {
      std::ofstream os(out);
      if (!os) return fail("Cannot write output file", out.string());
      os << Json::array({docs_to_json(ptrs)}).dump(2) << "\n";
      if (!os) return fail("Cannot write output file", out.string());
      n_docs = 1;  // spaCy counts the one JSON document holding every doc as a paragraph
    } else {
      DocBin db(docbin_all_attrs(), /*store_user_data=*/true);  // as spaCy's convert
      for (const Doc* d : ptrs) db.add(*d);
      db.to_disk(out.string());
    }
    std::cout << "\u2714 Generated output file (" << n_docs << " documents): " << out.string() << "\n";
  }
  return 0;
}

}  // namespace

TRFPIPE_COMMAND("convert", "Convert training data (CoNLL-U, CoNLL/IOB, JSON, JSONL, GoEmotions) to .spacy",
                run_convert);

}  // namespace trfpipe::cli
