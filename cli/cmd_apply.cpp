// trfpipe apply MODEL INPUT OUTPUT — spaCy's `spacy apply`: runs a pipeline over texts or docs.
// MODEL is a pipeline directory or `blank:<lang>`; INPUT is `.jsonl` ({"text": ...} per line),
// `.spacy` (a DocBin: its tokens and cats are kept, the pipeline annotates them), plain text (one
// doc per line) or `-`: standard input, JSONL when its first line is a JSON object, else text.
// OUTPUT `.jsonl` or `-` (standard output) gets one Doc.to_json() per line, in input order, as
// the docs are done; OUTPUT `.spacy` gets a DocBin, written at the end — or, after an error, with
// the docs annotated before it — so nothing already processed is lost.
//
// Text input streams: memory stays flat over any input size (a few batches in flight), so
// `cat big.jsonl | trfpipe apply MODEL - -` runs under Spark's RDD.pipe, Hadoop streaming or GNU
// parallel unchanged. --n-process N runs N batches at once on threads (spaCy's processes);
// --threads T sets LibTorch's threads per batch (default: cores / N).
#include <CLI/CLI.hpp>
#include <sys/stat.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "cli/code_option.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/dtype_option.hpp"
#include "cli/gpu_option.hpp"
#include "cli/progress.hpp"
#include "cli/spacy_args.hpp"
#include "trfpipe/data.hpp"
#include "trfpipe/displacy.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/json_limits.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/transformer.hpp"
#include "trfpipe/trfpipe.hpp"

namespace fs = std::filesystem;

namespace trfpipe::cli {
namespace {

// Docs per batch when --batch-size is not given: small, so that memory stays low with
// transformer pipelines (their [nlp] batch_size of 1000 held 1.7 GB on moby-dick), large enough
// that CNN pipelines keep their speed (bench/apply_bench.sh measures both).
constexpr long long kDefaultBatchSize = 64;

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

// Reads INPUT (a file, or stdin for "-") line by line, giving texts with their 1-based line
// numbers and the bytes each took. JSONL or text as decided by the file name, or for stdin by
// its first line that is not blank.
class TextReader {
 public:
  TextReader(const std::string& path, std::string text_key)
      : path_(path == "-" ? "<stdin>" : path), key_(std::move(text_key)) {
    if (path == "-") {
      in_ = &std::cin;
    } else {
      file_.open(path, std::ios::binary);
      if (!file_) throw DataError(path, -1, "cannot open the input file");
      in_ = &file_;
      jsonl_ = ends_with(path, ".jsonl");
      return;
    }
    // stdin: the first non-blank line decides, and is kept for next().
    std::string line;
    while (read_line(line)) {
      pending_.push_back({line, line_no_, last_bytes_});
      if (is_blank(line)) continue;
      jsonl_ = line[line.find_first_not_of(" \t")] == '{' && parses_as_object(line);
      break;
    }
  }
  // The next text, or nullopt at the end; DataError naming the line for a bad line.
  std::optional<std::string> next() {
    std::string line;
    for (;;) {
      if (!pending_.empty()) {
        line = std::move(pending_.front().text);
        current_line_ = pending_.front().line;
        current_bytes_ = pending_.front().bytes;
        pending_.pop_front();
      } else if (read_line(line)) {
        current_line_ = line_no_;
        current_bytes_ = last_bytes_;
      } else {
        if (in_->bad()) throw DataError(path_, line_no_, "read error");
        return std::nullopt;
      }
      if (!jsonl_) return line;
      if (is_blank(line)) continue;  // blank JSONL lines are skipped
      Json j;
      try {
        j = parse_json_limited<Json>(line);
      } catch (const std::exception& e) {
        throw DataError(path_, current_line_, std::string("invalid JSON: ") + e.what());
      }
      if (!j.is_object() || !j.contains(key_))
        throw DataError(path_, current_line_, "the line has no \"" + key_ + "\" field");
      if (!j[key_].is_string())
        throw DataError(path_, current_line_, "the \"" + key_ + "\" field is not a string");
      return j[key_].get<std::string>();
    }
  }
  int64_t line() const { return current_line_; }  // of the text next() gave last
  uint64_t bytes() const { return current_bytes_; }
  const std::string& path() const { return path_; }

 private:
  struct Line {
    std::string text;
    int64_t line;
    uint64_t bytes;
  };
  bool read_line(std::string& line) {
    if (!std::getline(*in_, line)) return false;
    ++line_no_;
    last_bytes_ = line.size() + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  }
  static bool is_blank(const std::string& line) {
    return line.find_first_not_of(" \t") == std::string::npos;
  }
  static bool parses_as_object(const std::string& line) {
    try {
      return Json::parse(line).is_object();
    } catch (const std::exception&) {
      return false;
    }
  }

  std::string path_, key_;
  std::ifstream file_;
  std::istream* in_ = nullptr;
  bool jsonl_ = false;
  std::deque<Line> pending_;
  int64_t line_no_ = 0, current_line_ = 0;
  uint64_t last_bytes_ = 0, current_bytes_ = 0;
};

// Writing OUTPUT failed (disk full, closed pipe): not a problem of the input.
struct WriteError : Error {
  using Error::Error;
};

struct ApplyArgs {
  std::string model, input, output;
  std::string pipe, text_key = "text";
  long long batch_size = kDefaultBatchSize;
  long long n_process = 1;
  std::optional<long long> threads;
  bool force = false, include_trf = false, quiet = false;
  std::optional<std::string> code, gpu_id, displacy, dtype;
  long long displacy_limit = 25;
};

// The first --displacy-limit docs as one standalone displaCy page: entities (when the pipeline
// sets them), then the words with their tags and, when the docs have heads, the dependency arcs.
void write_displacy(const std::string& path, const std::vector<Json>& docs) {
  bool ents = false;
  for (const Json& d : docs) ents = ents || d.contains("ents");
  std::string body;
  if (ents) body += "<h2>Entities</h2>\n" + displacy::render(docs, "ent");
  body += "\n<h2>Tokens and dependencies</h2>\n" + displacy::render(docs, "dep", false, {{"compact", true}});
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>displaCy</title></head>\n"
       "<body style=\"font-size: 16px; font-family: -apple-system, BlinkMacSystemFont, 'Segoe UI', "
       "Helvetica, Arial, sans-serif; padding: 4rem 2rem;\">\n"
    << body << "\n</body>\n</html>\n";
  if (!f) throw Error("cannot write the displaCy page: " + path);
}

// The files of an input directory: recursively, sorted, without hidden files and folders (spaCy's
// walk_directory).
std::vector<std::string> input_files(const std::string& dir) {
  std::vector<std::string> out;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
    if (it->path().filename().string().rfind('.', 0) == 0) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) out.push_back(it->path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

int run_apply(const ApplyArgs& args) {
  const std::string& input = args.input;
  const std::string& output = args.output;
  const size_t batch_size = size_t(args.batch_size);
  const bool docbin_in = ends_with(input, ".spacy");  // a single DocBin input
  const bool docbin_out = ends_with(output, ".spacy");
  if (output != "-" && !ends_with(output, ".jsonl") && !docbin_out)
    return fail("OUTPUT must be a .jsonl or .spacy file (or '-' for stdout): " + output);
  if (docbin_out && args.include_trf)
    return fail("--include-trf needs .jsonl output (a DocBin keeps no transformer data)");
  if (input != "-" && !fs::exists(input)) return fail("Input file not found: " + input);
  // spaCy's apply reads every file of a directory (recursively, sorted, hidden ones skipped).
  std::vector<std::string> inputs{input};
  if (input != "-" && fs::is_directory(input)) {
    inputs = input_files(input);
    if (inputs.empty()) return fail("No input files in directory: " + input);
  }
  if (output != "-" && fs::exists(output) && !args.force)
    return fail("Output file already exists: " + output, "Use --force to overwrite it.");

  // n_process batches at once share the cores: each gets cores / n_process LibTorch threads.
  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  if (args.threads) set_num_threads(static_cast<int>(*args.threads));
  else if (args.n_process > 1) set_num_threads(std::max(1, cores / int(args.n_process)));
  if (int rc = use_gpu_id(args.gpu_id)) return rc;
  if (int rc = use_dtype(args.dtype)) return rc;
  load_code(args.code);
  std::unique_ptr<Language> nlp = Language::load(args.model);
  for (const std::string& factory : split_commas(args.pipe)) {
    if (!has_factory(factory)) {
      std::string names;
      for (const auto& n : factory_names()) names += (names.empty() ? "" : ", ") + n;
      return fail("Unknown pipe '" + factory + "'", "Available factories: " + names);
    }
    if (!nlp->has_pipe(factory)) nlp->add_pipe(factory);
  }

  // A single INPUT is opened (a DocBin read) before OUTPUT is created: a bad input writes nothing.
  std::vector<Doc> single_docbin;
  std::unique_ptr<TextReader> single_reader;
  if (docbin_in) single_docbin = read_docbin(input, nlp->vocab_ptr());
  else if (inputs.size() == 1 && inputs[0] == input)
    single_reader = std::make_unique<TextReader>(input, args.text_key);
  std::ofstream file;
  DocBin docbin;
  if (output != "-" && !docbin_out) {
    if (fs::path(output).has_parent_path()) fs::create_directories(fs::path(output).parent_path());
    file.open(output, std::ios::binary | std::ios::trunc);
    if (!file) return fail("Cannot write the output file: " + output);
  }
  std::ostream& out = output == "-" ? std::cout : file;
  uint64_t input_size = 0;
  struct stat info {};
  if (input != "-" && stat(input.c_str(), &info) == 0 && S_ISREG(info.st_mode))
    input_size = docbin_in ? single_docbin.size() : uint64_t(info.st_size);
  Progress progress(input_size, !args.quiet);
  std::vector<Json> displacy_docs;

  // The line and size of each text read but not yet written: the failing doc is the first.
  std::deque<std::pair<int64_t, uint64_t>> in_flight;
  size_t written = 0;
  auto write_doc = [&](Doc&& d) {
    uint64_t bytes = 1;
    if (!in_flight.empty()) {
      bytes = in_flight.front().second;
      in_flight.pop_front();
    }
    progress.add(d.size(), bytes);
    if (args.displacy && displacy_docs.size() < size_t(args.displacy_limit))
      displacy_docs.push_back(d.to_json());
    ++written;
    if (docbin_out) {
      docbin.add(d);
      return;
    }
    Json j = d.to_json();
    if (args.include_trf) {
      const Json trf = transformer_doc_json(d);
      for (auto it = trf.begin(); it != trf.end(); ++it) j[it.key()] = it.value();
    }
    out << j.dump() << "\n";
    // Flushed batch by batch, so a consumer of a pipe sees each batch as it is done.
    if (written % batch_size == 0) out.flush();
    if (!out) throw WriteError("cannot write the output file: " + output);
  };
  const PipeOptions options{batch_size, size_t(args.n_process)};
  // One input file (or stdin) through the pipeline, its docs written as they are done.
  auto apply_file = [&](const std::string& path) {
    const bool docbin_in = ends_with(path, ".spacy");
    std::unique_ptr<TextReader> reader;
    std::vector<Doc> input_docs;
    if (docbin_in) input_docs = path == input ? std::move(single_docbin)
                                              : read_docbin(path, nlp->vocab_ptr());
    else if (single_reader && path == input) reader = std::move(single_reader);
    else reader = std::make_unique<TextReader>(path, args.text_key);
    const size_t written_before = written;
    try {
      if (docbin_in) {
        size_t next = 0;
        nlp->pipe([&]() -> std::optional<Doc> {
                    if (next == input_docs.size()) return std::nullopt;
                    return std::move(input_docs[next++]);
                  },
                  write_doc, options);
      } else {
        nlp->pipe([&]() -> std::optional<std::string> {
                    std::optional<std::string> text = reader->next();
                    if (text) in_flight.emplace_back(reader->line(), reader->bytes());
                    return text;
                  },
                  write_doc, options);
      }
    } catch (const DataError&) {
      throw;  // names its line already
    } catch (const WriteError&) {
      throw;
    } catch (const Error& e) {
      // A doc failed: it is the one after the last written.
      if (docbin_in) throw DataError(path, -1, e.what(), int64_t(written - written_before));
      throw DataError(reader->path(), in_flight.empty() ? -1 : in_flight.front().first, e.what());
    }
  };
  try {
    for (const std::string& path : inputs) apply_file(path);
    out.flush();
    progress.finish();
    if (docbin_out) docbin.to_disk(output);
    if (args.displacy) write_displacy(*args.displacy, displacy_docs);
  } catch (const Error& e) {
    // Keep what was done before the error.
    progress.finish();
    std::string message = e.what();
    try {
      out.flush();
      if (docbin_out) docbin.to_disk(output);
      if (args.displacy && !displacy_docs.empty()) write_displacy(*args.displacy, displacy_docs);
    } catch (const Error& later) {
      message += std::string("\n") + later.what();
    }
    return fail(message, std::to_string(written) + " docs written to " + output +
                             " before the error.");
  }
  if (output != "-" && !args.quiet)
    std::cerr << "\u2714 Wrote " << written << " docs to " << output << "\n";
  return 0;
}

CommandRunner apply_command(CLI::App& app) {
  auto args = std::make_shared<ApplyArgs>();
  app.add_option("MODEL", args->model, "a pipeline directory or blank:<lang> (blank:en)")
      ->required();
  app.add_option("INPUT", args->input,
                 ".jsonl ({\"text\": ...} per line), .spacy (DocBin), text (one doc per line), "
                 "a directory of such files or '-' (stdin: JSONL or text)")
      ->required();
  app.add_option("OUTPUT", args->output,
                 ".jsonl: one Doc.to_json() per line ('-' = stdout), or .spacy (DocBin)")
      ->required();
  app.add_option("-p,--pipe", args->pipe,
                 "factories to add to the pipeline, comma-separated (sentencizer)");
  app.add_option("--text-key", args->text_key, "the text field of .jsonl input");
  add_dash_alias(app, "-tk", "--text-key");
  add_integer_option(app, "-b,--batch-size", args->batch_size,
                     "docs per batch (small keeps memory low; the pipeline's [nlp] batch_size is "
                     "not used)",
                     "--batch-size must be a positive integer", 1, LONG_MAX);
  add_integer_option(app, "-n,--n-process", args->n_process,
                     "batches processed at once, on threads (spaCy's processes); the output is "
                     "the same for any value",
                     "--n-process must be a positive integer", 1, 1024);
  app.add_flag("-F,--force", args->force, "overwrite an existing OUTPUT");
  add_integer_option(app, "-t,--threads", args->threads,
                     "LibTorch threads per batch (default: cores / --n-process)",
                     "--threads must be a positive integer", INT_MIN, INT_MAX);
  add_code_option(app, args->code);
  add_gpu_id_option(app, args->gpu_id);
  add_dtype_option(app, args->dtype);
  app.add_flag("--include-trf", args->include_trf,
               "also write \"tensor\" (doc.tensor shape and rows) and \"trf_data\" (wordpieces "
               "strings/input_ids, align) of transformer pipelines; with the 2019 trf_* components "
               "trf_word_pieces_, trf_word_pieces, trf_alignment, trf_last_hidden_state and "
               "trf_pooler_output (shape and rows)");
  add_optional_option(app, "--displacy", args->displacy,
                      "also write the first --displacy-limit docs as a displaCy page (entities, "
                      "tags and dependency arcs) to this .html file");
  add_integer_option(app, "--displacy-limit", args->displacy_limit,
                     "docs on the --displacy page", "--displacy-limit must be a positive integer",
                     1, LONG_MAX);
  app.add_flag("-q,--quiet", args->quiet,
               "no progress bar and no summary on stderr (the bar shows only on a terminal)");
  return [args] { return run_apply(*args); };
}

}  // namespace

TRFPIPE_COMMAND("apply", "Apply a pipeline to texts or docs (.jsonl, .spacy, text); write .jsonl or .spacy",
                apply_command);

}  // namespace trfpipe::cli
