// trfpipe debug pieces --tokenizer PATH INPUT.jsonl OUTPUT.jsonl — runs a subword tokenizer
// (HF model folder, tokenizer.json, vocab.txt, vocab.json + --merges, SentencePiece .model) over
// {"text": ...} lines and writes {"ids", "tokens", "offsets_utf8"} per line.
#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/subword_tokenizer.hpp"

namespace trfpipe::cli {
namespace {

nlohmann::json offsets_json(const std::vector<Offset>& offsets) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& o : offsets) a.push_back({o.first, o.second});
  return a;
}

struct PiecesArgs {
  std::string tokenizer, input, output;
  SubwordTokenizerOptions options;
  bool no_special_tokens = false, codepoints = false;
  std::string text_key = "text";
};

int run_debug_pieces(const PiecesArgs& args) {
  const std::string& input = args.input;
  const std::string& output = args.output;
  const bool specials = !args.no_special_tokens;
  const bool codepoints = args.codepoints;
  const std::string& text_key = args.text_key;
  auto tok = load_subword_tokenizer(args.tokenizer, args.options);

  std::ifstream in_file;
  std::istream* in = &std::cin;
  if (input != "-") {
    in_file.open(input);
    if (!in_file) throw DataError(input, -1, "cannot open the input file");
    in = &in_file;
  }
  std::ofstream out_file;
  std::ostream* out = &std::cout;
  if (output != "-") {
    out_file.open(output, std::ios::binary | std::ios::trunc);
    if (!out_file) throw DataError(output, -1, "cannot open the output file for writing");
    out = &out_file;
  }
  std::string line;
  int64_t line_no = 0, written = 0;
  while (std::getline(*in, line)) {
    ++line_no;
    if (line.empty() || line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json row;
    try {
      row = nlohmann::json::parse(line);
    } catch (const std::exception& e) {
      throw DataError(input, line_no, std::string("invalid JSON: ") + e.what());
    }
    if (!row.is_object() || !row.contains(text_key) || !row[text_key].is_string())
      throw DataError(input, line_no, "expected an object with a string \"" + text_key + "\"");
    std::string text = row[text_key].get<std::string>();
    Encoding e;
    try {
      e = tok->encode(text, specials);
    } catch (const ValueError& err) {
      throw DataError(input, line_no, err.what());
    }
    nlohmann::json o;
    o["ids"] = e.ids;
    o["tokens"] = e.tokens;
    o["offsets_utf8"] = offsets_json(e.offsets);
    if (codepoints) o["offsets_codepoints"] = offsets_json(e.offsets_codepoints);
    *out << o.dump() << "\n";
    ++written;
  }
  out->flush();
  if (!*out) throw DataError(output, -1, "write failed");
  std::cerr << "\u2714 " << written << " lines tokenized with " << family_name(tok->family())
            << " tokenizer -> " << output << "\n";
  return 0;
}

CommandRunner debug_pieces_command(CLI::App& app) {
  auto args = std::make_shared<PiecesArgs>();
  app.add_option("-t,--tokenizer", args->tokenizer,
                 "HF model folder, tokenizer.json, vocab.txt, vocab.json or .model")
      ->required();
  app.add_option("INPUT", args->input, "JSONL texts ('-' = stdin)")->required();
  app.add_option("OUTPUT", args->output, "JSONL pieces ('-' = stdout)")->required();
  app.add_flag("--lowercase", args->options.lowercase,
               "lowercase (and strip accents) for a bare vocab.txt");
  app.add_option("--merges", args->options.merges,
                 "merges file for a bare vocab.json (else merges.txt beside it)");
  app.add_flag("--no-special-tokens", args->no_special_tokens,
               "do not add the family's special tokens");
  app.add_flag("--codepoints", args->codepoints, "also write offsets_codepoints");
  app.add_option("--text-key", args->text_key, "the text field of the input lines");
  return [args] { return run_debug_pieces(*args); };
}

}  // namespace

TRFPIPE_COMMAND("debug pieces", "Subword pieces, ids and offsets of JSONL texts", debug_pieces_command);

}  // namespace trfpipe::cli
