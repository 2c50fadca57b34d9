// Converter selection for `trfpipe convert` (spaCy's cli/convert.py: CONVERTERS,
// _get_converter, autodetect_ner_format).
#include <algorithm>
#include <filesystem>
#include <fstream>

#include "trfpipe/data.hpp"
#include "trfpipe/error.hpp"
#include "formats/data_util.hpp"

namespace trfpipe {

namespace {

const std::vector<std::string>& converter_names() {
  static const std::vector<std::string> names = {"conllubio", "conllu", "conll", "ner", "iob",
                                                 "json", "jsonl", "goemotions"};
  return names;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// The regexes of spaCy's autodetect_ner_format as linear scans (std::regex recurses once per
// character and overflowed the stack on a 40,000-character line).
// re.search(r"\S+\|(O|[IB]-\S+)", line): a non-space, '|', then "O" or "B-"/"I-" and a non-space.
bool looks_like_iob(std::string_view s) {
  for (size_t p = 1; p < s.size(); ++p) {
    if (s[p] != '|' || is_space(s[p - 1])) continue;
    std::string_view rest = s.substr(p + 1);
    if (!rest.empty() && rest[0] == 'O') return true;
    if (rest.size() >= 3 && (rest[0] == 'I' || rest[0] == 'B') && rest[1] == '-' && !is_space(rest[2]))
      return true;
  }
  return false;
}

// re.search(r"\S+\s+(O|[IB]-\S+)$", line) on a stripped line: at least two whitespace-separated
// fields, the last "O" or "B-..."/"I-...".
bool looks_like_ner(std::string_view s) {
  size_t last = s.size();
  while (last > 0 && !is_space(s[last - 1])) --last;
  if (last == 0 || last == s.size()) return false;  // one field only, or trailing space
  std::string_view tag = s.substr(last);
  size_t before = last;
  while (before > 0 && is_space(s[before - 1])) --before;
  if (before == 0) return false;  // nothing but spaces before the tag
  return tag == "O" || (tag.size() >= 3 && (tag[0] == 'I' || tag[0] == 'B') && tag[1] == '-');
}

// spaCy's autodetect_ner_format on the first 20 lines: "ner" (token per line), "iob"
// (sentence per line, w|tag|IOB) or "" when undecided.
std::string autodetect_ner_format(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path, -1, "cannot open file for reading");
  int iob = 0, ner = 0;
  std::string line;
  for (int k = 0; k < 20 && std::getline(in, line); ++k) {
    std::string_view s = formats::trim(line);
    if (looks_like_iob(s)) ++iob;
    if (looks_like_ner(s)) ++ner;
  }
  if (iob == 0 && ner > 0) return "ner";
  if (ner == 0 && iob > 0) return "iob";
  return "";
}

}  // namespace

std::string detect_converter(const std::string& path, const ConvertOptions& options) {
  std::string conv = options.converter;
  if (conv.empty()) conv = "auto";
  if (conv == "auto") {
    std::string ext = std::filesystem::path(path).extension().string();
    if (!ext.empty()) ext = ext.substr(1);
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    if (ext == "conllu" || ext == "conllubio") {
      conv = "conllu";
    } else if (ext == "conll" || ext == "iob" || ext == "iob2" || ext == "ner" || ext == "bio") {
      std::string guess = autodetect_ner_format(path);
      conv = guess.empty() ? (ext == "iob" ? "iob" : "ner") : guess;
    } else if (ext == "json") {
      conv = "json";
    } else if (ext == "jsonl") {
      conv = "jsonl";
    } else if (ext == "tsv" && !options.labels_path.empty()) {
      conv = "goemotions";
    } else {
      throw ValueError("Can't find converter for file extension '." + ext + "' of " + path +
                       " (use --converter: conllu, conll, ner, iob, json, jsonl, goemotions" +
                       (ext == "tsv" ? "; .tsv needs --labels for goemotions" : "") + ")");
    }
    return conv;
  }
  if (std::find(converter_names().begin(), converter_names().end(), conv) == converter_names().end()) {
    std::string known;
    for (const auto& n : converter_names()) known += (known.empty() ? "" : ", ") + n;
    throw ValueError("Can't find converter for " + conv + " (available: " + known + ")");
  }
  if (conv == "conllubio") return "conllu";
  if (conv == "ner" || conv == "iob") {
    std::string guess = autodetect_ner_format(path);
    if (!guess.empty()) return guess;
  }
  return conv;
}

namespace {
std::vector<Doc> convert_with(const std::string& conv, const std::string& path,
                              const ConvertOptions& options, const std::shared_ptr<Vocab>& vocab,
                              const MakeDoc& make_doc) {
  if (conv == "conllu")
    return read_conllu(path, vocab, options.n_sents, options.append_morphology,
                       options.merge_subtokens);
  if (conv == "conll" || conv == "ner") return read_conll_ner(path, vocab, options.n_sents);
  if (conv == "iob") return read_iob(path, vocab, options.n_sents);
  if (conv == "json") return read_json_v2(path, vocab);
  if (conv == "jsonl") return read_jsonl(path, make_doc, options.text_key);
  if (conv == "goemotions") {
    if (options.labels_path.empty())
      throw ValueError("the goemotions converter needs --labels (labels.txt)");
    return read_goemotions(path, read_labels(options.labels_path), make_doc);
  }
  throw ValueError("Can't find converter for " + conv);
}
}  // namespace

std::vector<Doc> convert_file(const std::string& path, const ConvertOptions& options,
                              const std::shared_ptr<Vocab>& vocab, const MakeDoc& make_doc) {
  std::vector<Doc> docs = convert_with(detect_converter(path, options), path, options, vocab, make_doc);
  if (!options.spans_key.empty())
    for (Doc& doc : docs) copy_ents_to_spans(doc, options.spans_key);
  return docs;
}

void copy_ents_to_spans(Doc& doc, const std::string& key) {
  if (key.empty()) throw ValueError("copy_ents_to_spans: the span group key is empty");
  SpanGroup group;
  group.name = key;
  for (const Span& e : doc.ents()) {
    const TokenData& t = doc.tokens()[e.start()];
    group.spans.push_back({e.start(), e.end(), e.label(), t.ent_kb_id, t.ent_id});
  }
  doc.spans().set_group(key, std::move(group));
}

}  // namespace trfpipe
