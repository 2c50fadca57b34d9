// trfpipe convert INPUT [OUTPUT_DIR] — spaCy's `spacy convert`: training data to .spacy (DocBin)
// or spaCy's v2 JSON.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/spacy_args.hpp"
#include "trfpipe/data.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"

namespace fs = std::filesystem;

namespace trfpipe::cli {
namespace {

struct ConvertArgs {
  std::string input, output_dir = "-";
  std::string base;  // --base: the pipeline whose sentence boundaries --seg-sents uses
  ConvertOptions opts;  // its defaults are spaCy's
  long long n_sents = ConvertOptions{}.n_sents;
  std::string file_type = "spacy", lang = "en";
  bool seg_sents = false, concatenate = false, spans_key_given = false;
};

// spaCy's segment_sents_and_docs for token-per-line NER data without blank lines: the words of
// each document (between -DOCSTART- lines) get sentence boundaries from `nlp` (the sentencizer,
// or the --base pipeline), written as blank lines.
std::string segment_sentences(const std::string& text, Language& nlp) {
  std::vector<std::string> lines, out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  auto flush = [&](size_t begin, size_t end) {
    std::vector<std::string> words;
    std::vector<size_t> rows;
    for (size_t i = begin; i < end; ++i) {
      std::istringstream fields(lines[i]);
      std::string word;
      if (fields >> word) {
        words.push_back(word);
        rows.push_back(i);
      }
    }
    if (words.empty()) return;
    Doc doc(nlp.vocab_ptr(), words, std::vector<bool>(words.size(), true));
    nlp.pipe_docs({&doc});
    for (const Span& sent : doc.sents()) {
      for (size_t t = sent.start(); t < sent.end(); ++t) out.push_back(lines[rows[t]]);
      out.push_back("");
    }
  };
  size_t start = 0;
  for (size_t i = 0; i <= lines.size(); ++i) {
    if (i < lines.size() && lines[i].rfind("-DOCSTART-", 0) != 0) continue;
    flush(start, i);
    if (i < lines.size()) {
      out.push_back(lines[i]);
      out.push_back("");
    }
    start = i + 1;
  }
  std::string joined;
  for (const std::string& l : out) joined += l + "\n";
  return joined;
}

int run_convert(const ConvertArgs& args) {
  const std::string& input = args.input;
  const std::string& output_dir = args.output_dir;
  ConvertOptions opts = args.opts;
  opts.n_sents = int(args.n_sents);
  const std::string& file_type = args.file_type;
  const std::string& lang = args.lang;
  if (args.spans_key_given && opts.spans_key.empty()) return fail("--spans-key must not be empty");
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
  std::unique_ptr<Language> segmenter;  // --seg-sents
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
    if (args.seg_sents && conv == "ner") {
      std::ifstream in(file, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      if (text.str().find("\n\n") != std::string::npos) {
        if (!quiet)
          std::cout << "\u26a0 Sentence boundaries found, automatic sentence segmentation with "
                     "`-s` disabled.\n";
      } else {
        if (!segmenter) {
          if (args.base.empty()) {
            segmenter = Language::blank(lang);
            segmenter->add_pipe("sentencizer");
            if (!quiet)
              std::cout << "\u2139 Segmenting sentences with sentencizer. (Use `-b model` for "
                         "improved parser-based sentence segmentation.)\n";
          } else {
            segmenter = Language::load(args.base);
            if (!quiet)
              std::cout << "\u2139 Segmenting sentences with the pipeline '" << args.base << "'.\n";
          }
        }
        outputs.emplace_back(out, parse_conll_ner(segment_sentences(text.str(), *segmenter),
                                                  file.string(), vocab, opts.n_sents));
        continue;
      }
    } else if (args.seg_sents && !quiet) {
      std::cout << "\u26a0 --seg-sents applies to token-per-line NER data (-c ner) only; '"
                << file.string() << "' is " << conv << "\n";
    }
    outputs.emplace_back(out, convert_file(file.string(), file_opts, vocab, make_doc));
  }
  if (args.concatenate && is_dir) {
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

CommandRunner convert_command(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  ConvertOptions& opts = args->opts;
  app.add_option("INPUT", args->input, "a file, or a directory of files")->required();
  app.add_option("OUTPUT_DIR", args->output_dir, "'-' writes --file-type json to stdout");
  app.add_option("-c,--converter", opts.converter,
                 "auto|conllu|conllubio|conll|ner|iob|json|jsonl|goemotions");
  add_integer_option(app, "-n,--n-sents", args->n_sents, "sentences per doc, 0 = no grouping",
                     "--n-sents must be an integer, 0 or more", 0, INT_MAX);
  app.add_option("-t,--file-type", args->file_type, "what to write")
      ->check(CLI::IsMember({"spacy", "json"}));
  app.add_option("-l,--lang", args->lang, "language of the tokenizer for jsonl/goemotions");
  app.add_option("--labels", opts.labels_path, "labels.txt for goemotions");
  app.add_flag("-m,--morphology", opts.append_morphology, "append morphology to tags (conllu)");
  app.add_flag("-T,--merge-subtokens", opts.merge_subtokens,
               "Merge CoNLL-U subtokens (multiword ranges become one token)");
  app.add_option("--text-key", opts.text_key, "the text field for jsonl");
  app.add_option("--spans-key", opts.spans_key,
                 "also copy each doc's entities into doc.spans[KEY] (to train a spancat on NER data, "
                 "as `doc.spans[KEY] = list(doc.ents)` in spaCy)")
      ->each([args](const std::string&) { args->spans_key_given = true; });
  add_dash_alias(app, "-sk", "--spans-key");
  app.add_flag("-s,--seg-sents", args->seg_sents,
               "Segment sentences (for -c ner): with the sentencizer, or the --base pipeline");
  app.add_option("-b,--base,--model", args->base,
                 "Trained pipeline for sentence segmentation to use as base (for --seg-sents)");
  app.add_flag("-C,--concatenate", args->concatenate,
               "with a directory INPUT: one output file named after it");
  return [args] { return run_convert(*args); };
}

}  // namespace

TRFPIPE_COMMAND("convert", "Convert training data (CoNLL-U, CoNLL/IOB, JSON, JSONL, GoEmotions) to .spacy",
                convert_command);

}  // namespace trfpipe::cli
