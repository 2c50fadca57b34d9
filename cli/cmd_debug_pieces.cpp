// trfpipe debug pieces --tokenizer PATH INPUT.jsonl OUTPUT.jsonl — runs a subword tokenizer
// (HF model folder, tokenizer.json, vocab.txt, vocab.json + --merges, SentencePiece .model) over
// {"text": ...} lines and writes {"ids", "tokens", "offsets_utf8"} per line.
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/subword_tokenizer.hpp"

namespace trfpipe::cli {
namespace {

const char* kUsage =
    "Usage: trfpipe debug pieces --tokenizer PATH INPUT.jsonl OUTPUT.jsonl\n"
    "  --tokenizer/-t      HF model folder, tokenizer.json, vocab.txt, vocab.json or .model\n"
    "  --lowercase         lowercase (and strip accents) for a bare vocab.txt\n"
    "  --merges            merges file for a bare vocab.json (else merges.txt beside it)\n"
    "  --no-special-tokens do not add the family's special tokens\n"
    "  --codepoints        also write offsets_codepoints\n"
    "  --text-key          the text field of the input lines (text)\n"
    "INPUT.jsonl or OUTPUT.jsonl may be '-' for stdin / stdout.\n";

nlohmann::json offsets_json(const std::vector<Offset>& offsets) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& o : offsets) a.push_back({o.first, o.second});
  return a;
}

int run_debug_pieces(const std::vector<std::string>& argv) {
  if (print_usage_on_help(argv, kUsage)) return 0;
  Args args(argv, {{"--tokenizer", "-t", false, "tokenizer path"},
                   {"--lowercase", "", true, "lowercase a bare vocab.txt"},
                   {"--merges", "", false, "merges file"},
                   {"--no-special-tokens", "", true, "no special tokens"},
                   {"--codepoints", "", true, "also write offsets_codepoints"},
                   {"--text-key", "", false, "text field"}});
  auto path = args.get("--tokenizer");
  if (!path) throw ValueError(std::string("missing --tokenizer PATH\n") + kUsage);
  const std::string input = args.positional(0, "INPUT.jsonl");
  const std::string output = args.positional(1, "OUTPUT.jsonl");
  if (args.positional().size() > 2) throw ValueError(std::string("too many arguments\n") + kUsage);
  SubwordTokenizerOptions options;
  options.lowercase = args.flag("--lowercase");
  options.merges = args.get_or("--merges", "");
  const bool specials = !args.flag("--no-special-tokens");
  const bool codepoints = args.flag("--codepoints");
  const std::string text_key = args.get_or("--text-key", "text");
  auto tok = load_subword_tokenizer(*path, options);

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

}  // namespace

TRFPIPE_COMMAND("debug pieces", "Subword pieces, ids and offsets of JSONL texts", run_debug_pieces);

}  // namespace trfpipe::cli
