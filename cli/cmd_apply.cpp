// trfpipe apply MODEL INPUT OUTPUT — spaCy's `spacy apply`: runs a pipeline over texts or docs.
// MODEL is a pipeline directory or `blank:<lang>`; INPUT is `.jsonl` ({"text": ...} per line),
// `.spacy` (a DocBin: its tokens and cats are kept, the pipeline annotates them) or plain text
// (one doc per line). OUTPUT `.jsonl` gets one Doc.to_json() per line, written batch by batch and
// flushed; OUTPUT `.spacy` gets a DocBin, written at the end — or, after an error, with the docs
// annotated before it — so nothing already processed is lost.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/code_option.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/gpu_option.hpp"
#include "cli/spacy_args.hpp"
#include "trfpipe/data.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/json_limits.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/transformer.hpp"
#include "trfpipe/trfpipe.hpp"

namespace fs = std::filesystem;

namespace trfpipe::cli {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// Reads INPUT line by line, giving texts with their 1-based line numbers.
class TextReader {
 public:
  TextReader(const std::string& path, bool jsonl, std::string text_key)
      : path_(path), jsonl_(jsonl), key_(std::move(text_key)), in_(path, std::ios::binary) {
    if (!in_) throw DataError(path, -1, "cannot open the input file");
  }
  // False at the end of the input; throws DataError naming the line for a bad line.
  bool next(std::string& text) {
    std::string line;
    while (std::getline(in_, line)) {
      ++line_no_;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!jsonl_) {
        text = line;
        return true;
      }
      if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank JSONL line
      Json j;
      try {
        j = parse_json_limited<Json>(line);
      } catch (const std::exception& e) {
        throw DataError(path_, line_no_, std::string("invalid JSON: ") + e.what());
      }
      if (!j.is_object() || !j.contains(key_))
        throw DataError(path_, line_no_, "the line has no \"" + key_ + "\" field");
      if (!j[key_].is_string())
        throw DataError(path_, line_no_, "the \"" + key_ + "\" field is not a string");
      text = j[key_].get<std::string>();
      return true;
    }
    if (in_.bad()) throw DataError(path_, line_no_, "read error");
    return false;
  }
  int64_t line() const { return line_no_; }

 private:
  std::string path_;
  bool jsonl_;
  std::string key_;
  std::ifstream in_;
  int64_t line_no_ = 0;
};

struct ApplyArgs {
  std::string model, input, output;
  std::string pipe, text_key = "text";
  long long batch_size = 0;  // 0: the pipeline's [nlp] batch_size
  std::optional<long long> threads;
  bool force = false, include_trf = false;
  std::optional<std::string> code, gpu_id;
};

int run_apply(const ApplyArgs& args) {
  const bool include_trf = args.include_trf;
  const std::string& model = args.model;
  const std::string& input = args.input;
  const std::string& output = args.output;
  size_t batch_size = size_t(args.batch_size);
  const bool docbin_in = ends_with(input, ".spacy");
  const bool docbin_out = ends_with(output, ".spacy");
  if (output != "-" && !ends_with(output, ".jsonl") && !docbin_out)
    return fail("OUTPUT must be a .jsonl or .spacy file (or '-' for stdout): " + output);
  if (docbin_out && include_trf)
    return fail("--include-trf needs .jsonl output (a DocBin keeps no transformer data)");
  if (!fs::exists(input)) return fail("Input file not found: " + input);
  if (fs::is_directory(input)) return fail("INPUT must be a file, not a directory: " + input);
  if (output != "-" && fs::exists(output) && !args.force)
    return fail("Output file already exists: " + output, "Use --force to overwrite it.");

  if (args.threads) set_num_threads(static_cast<int>(*args.threads));
  if (int rc = use_gpu_id(args.gpu_id)) return rc;
  load_code(args.code);
  std::unique_ptr<Language> nlp = Language::load(model);
  for (const std::string& factory : split_commas(args.pipe)) {
    if (!has_factory(factory)) {
      std::string names;
      for (const auto& n : factory_names()) names += (names.empty() ? "" : ", ") + n;
      return fail("Unknown pipe '" + factory + "'", "Available factories: " + names);
    }
    if (!nlp->has_pipe(factory)) nlp->add_pipe(factory);
  }
  if (batch_size == 0) batch_size = nlp->batch_size ? nlp->batch_size : 1000;

  std::unique_ptr<TextReader> reader;
  std::vector<Doc> input_docs;
  if (docbin_in)
    input_docs = read_docbin(input, nlp->vocab_ptr());
  else
    reader = std::make_unique<TextReader>(input, ends_with(input, ".jsonl"), args.text_key);
  std::ofstream file;
  DocBin docbin;
  if (output != "-" && !docbin_out) {
    if (fs::path(output).has_parent_path()) fs::create_directories(fs::path(output).parent_path());
    file.open(output, std::ios::binary | std::ios::trunc);
    if (!file) return fail("Cannot write the output file: " + output);
  }
  std::ostream& out = output == "-" ? std::cout : file;
  size_t written = 0;
  std::vector<std::string> batch;
  std::vector<int64_t> batch_lines;
  auto write_docs = [&](const std::vector<Doc>& docs) {
    if (docbin_out) {
      for (const Doc& d : docs) docbin.add(d);
      written += docs.size();
      return;
    }
    for (const Doc& d : docs) {
      Json j = d.to_json();
      if (include_trf) {
        const Json trf = transformer_doc_json(d);
        for (auto it = trf.begin(); it != trf.end(); ++it) j[it.key()] = it.value();
      }
      out << j.dump() << "\n";
    }
    out.flush();
    if (!out) throw Error("cannot write the output file: " + output);
    written += docs.size();
  };
  auto flush_batch = [&] {
    if (batch.empty()) return;
    std::vector<Doc> docs;
    try {
      docs = nlp->pipe(batch, batch_size);
    } catch (const Error&) {
      // One text failed: redo the batch doc by doc, so the docs before it are written and the
      // error names the input line.
      for (size_t i = 0; i < batch.size(); ++i) {
        try {
          docs = nlp->pipe({batch[i]}, 1);
        } catch (const Error& e) {
          int64_t line = batch_lines[i];
          batch.clear();
          batch_lines.clear();
          throw DataError(input, line, e.what());
        }
        write_docs(docs);
      }
      batch.clear();
      batch_lines.clear();
      return;
    }
    write_docs(docs);
    batch.clear();
    batch_lines.clear();
  };
  // DocBin input: the docs are already tokenized; annotate them batch by batch.
  auto annotate_docs = [&] {
    for (size_t start = 0; start < input_docs.size(); start += batch_size) {
      const size_t end = std::min(input_docs.size(), start + batch_size);
      std::vector<Doc*> ptrs;
      for (size_t i = start; i < end; ++i) ptrs.push_back(&input_docs[i]);
      try {
        nlp->pipe_docs(ptrs, batch_size);
      } catch (const Error& e) {
        throw DataError(input, -1, e.what(), int64_t(start));
      }
      std::vector<Doc> done;
      for (size_t i = start; i < end; ++i) done.push_back(std::move(input_docs[i]));
      write_docs(done);
    }
  };
  auto save_docbin = [&] {
    if (docbin_out) docbin.to_disk(output);
  };
  try {
    if (docbin_in) {
      annotate_docs();
    } else {
      std::string text;
      while (reader->next(text)) {
        batch.push_back(std::move(text));
        batch_lines.push_back(reader->line());
        if (batch.size() >= batch_size) flush_batch();
      }
      flush_batch();
    }
    save_docbin();
  } catch (const Error& e) {
    // Keep what was read before the error: process and write it, then report.
    std::string message = e.what();
    try {
      flush_batch();
      save_docbin();
    } catch (const Error& later) {
      message += std::string("\n") + later.what();
    }
    return fail(message, std::to_string(written) + " docs written to " + output +
                             " before the error.");
  }
  if (output != "-")
    std::cerr << "\u2714 Wrote " << written << " docs to " << output << "\n";
  return 0;
}

CommandRunner apply_command(CLI::App& app) {
  auto args = std::make_shared<ApplyArgs>();
  app.add_option("MODEL", args->model, "a pipeline directory or blank:<lang> (blank:en)")
      ->required();
  app.add_option("INPUT", args->input,
                 ".jsonl ({\"text\": ...} per line), .spacy (DocBin) or text (one doc per line)")
      ->required();
  app.add_option("OUTPUT", args->output,
                 ".jsonl: one Doc.to_json() per line ('-' = stdout), or .spacy (DocBin)")
      ->required();
  app.add_option("-p,--pipe", args->pipe,
                 "factories to add to the pipeline, comma-separated (sentencizer)");
  app.add_option("--text-key", args->text_key, "the text field of .jsonl input");
  add_dash_alias(app, "-tk", "--text-key");
  add_integer_option(app, "-b,--batch-size", args->batch_size,
                     "docs per batch (default: the pipeline's [nlp] batch_size)",
                     "--batch-size must be a positive integer", 1, LONG_MAX);
  app.add_flag("-F,--force", args->force, "overwrite an existing OUTPUT");
  add_integer_option(app, "-t,--threads", args->threads,
                     "LibTorch threads per operation (default: LibTorch's, one per core)",
                     "--threads must be a positive integer", INT_MIN, INT_MAX);
  add_code_option(app, args->code);
  add_gpu_id_option(app, args->gpu_id);
  app.add_flag("--include-trf", args->include_trf,
               "also write \"tensor\" (doc.tensor shape and rows) and \"trf_data\" (wordpieces "
               "strings/input_ids, align) of transformer pipelines; with the 2019 trf_* components "
               "trf_word_pieces_, trf_word_pieces, trf_alignment, trf_last_hidden_state and "
               "trf_pooler_output (shape and rows)");
  return [args] { return run_apply(*args); };
}

}  // namespace

TRFPIPE_COMMAND("apply", "Apply a pipeline to texts or docs (.jsonl, .spacy, text); write .jsonl or .spacy",
                apply_command);

}  // namespace trfpipe::cli
