// Entity tags (spaCy's iob_to_biluo / tags_to_entities) and the column / sentence-per-line NER
// readers (spaCy's conll_ner_to_docs and iob_to_docs).
#include <algorithm>

#include "trfpipe/data.hpp"
#include "trfpipe/error.hpp"
#include "formats/data_util.hpp"

namespace trfpipe {

std::vector<EntitySpan> tags_to_spans(const std::vector<std::string>& tags) {
  std::vector<EntitySpan> out;
  size_t i = 0;
  const size_t n = tags.size();
  while (i < n) {
    const std::string& t = tags[i];
    if (t.empty() || t == "-" || t == "O") {
      ++i;
      continue;
    }
    if (!formats::is_entity_tag(t)) throw ValueError("invalid entity tag '" + t + "'");
    const char kind = t[0];
    std::string label = t.substr(2);
    size_t start = i++;
    // An entity starts at any B/I/U/L/S/E tag (IOB1 starts with I) and goes on through I- and
    // L-/E- tags of the same label; L/E, U/S and a new B end it.
    if (kind == 'B' || kind == 'I') {
      while (i < n) {
        const std::string& u = tags[i];
        if (u.size() < 3 || u[1] != '-' || u.compare(2, std::string::npos, label) != 0) break;
        if (u[0] == 'I') {
          ++i;
        } else if (u[0] == 'L' || u[0] == 'E') {
          ++i;
          break;
        } else {
          break;
        }
      }
    }
    out.push_back({start, i, std::move(label)});
  }
  return out;
}

void set_entities(Doc& doc, const std::vector<EntitySpan>& ents, const std::vector<bool>& missing) {
  auto& toks = doc.tokens();
  std::vector<bool> taken(toks.size(), false);
  for (const auto& e : ents) {
    if (e.start >= e.end || e.end > toks.size())
      throw ValueError("entity [" + std::to_string(e.start) + ", " + std::to_string(e.end) +
                       ") is outside the doc of " + std::to_string(toks.size()) + " tokens");
    for (size_t i = e.start; i < e.end; ++i) {
      if (taken[i]) throw ValueError("overlapping entities at token " + std::to_string(i));
      taken[i] = true;
    }
  }
  for (size_t i = 0; i < toks.size(); ++i) {
    toks[i].ent_iob = (i < missing.size() && missing[i]) ? 0 : 2;
    toks[i].ent_type = 0;
  }
  StringStore& ss = doc.vocab().strings();
  for (const auto& e : ents) {
    const hash_t label = ss.add(e.label);
    for (size_t i = e.start; i < e.end; ++i) {
      toks[i].ent_iob = i == e.start ? 3 : 1;
      toks[i].ent_type = label;
    }
  }
}

namespace {

struct NerToken {
  std::string word, tag, iob;
};
struct NerSentence {
  std::vector<NerToken> tokens;
  int64_t line = 0;
};

// Builds one Doc from sentences the way spaCy's converters do: words joined by spaces (spaces
// unknown), optional tags, one sentence start per sentence, entities per sentence.
Doc build_ner_doc(const std::shared_ptr<Vocab>& vocab, const std::vector<NerSentence>& sents,
                  const std::string& source, bool set_tags) {
  std::vector<std::string> words;
  for (const auto& s : sents)
    for (const auto& t : s.tokens) words.push_back(t.word);
  std::vector<bool> spaces(words.size(), true);
  std::optional<Doc> doc;
  try {
    doc.emplace(vocab, words, spaces);
  } catch (const Error& e) {
    throw DataError(source, sents.empty() ? -1 : sents.front().line, e.what());
  }
  set_has_unknown_spaces(*doc, true);
  StringStore& ss = vocab->strings();
  std::vector<EntitySpan> ents;
  size_t i = 0;
  for (const auto& s : sents) {
    std::vector<std::string> tags;
    for (size_t k = 0; k < s.tokens.size(); ++k) {
      TokenData& td = doc->tokens()[i + k];
      if (set_tags) td.tag = ss.add(s.tokens[k].tag);
      td.sent_start = k == 0 ? 1 : -1;
      tags.push_back(s.tokens[k].iob);
    }
    for (auto& e : tags_to_spans(tags)) ents.push_back({e.start + i, e.end + i, e.label});
    i += s.tokens.size();
  }
  set_entities(*doc, ents);
  return std::move(*doc);
}

std::vector<std::string_view> columns(std::string_view line) {
  if (line.find('\t') != std::string_view::npos) {
    std::vector<std::string_view> cols = formats::split_on(formats::trim(line), '\t');
    for (auto& c : cols) c = formats::trim(c);
    return cols;
  }
  return formats::split_ws(line);
}

bool is_positive_int(std::string_view s) {
  if (s.empty() || s.size() > 9) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_docstart(std::string_view line) {
  auto cols = formats::split_ws(line);
  return !cols.empty() && cols[0] == "-DOCSTART-";
}

}  // namespace

std::vector<Doc> parse_conll_ner(std::string_view text, const std::string& source,
                                 const std::shared_ptr<Vocab>& vocab, int n_sents) {
  const auto lines = formats::split_utf8_lines(text, source);
  // Layout: plain CoNLL columns, or indexed rows with '#' comments (Universal NER .iob2).
  bool indexed = true, any_token = false;
  size_t min_cols = SIZE_MAX;
  for (auto line : lines) {
    if (formats::is_blank(line) || is_docstart(line)) continue;
    if (line[0] == '#') continue;
    auto cols = columns(line);
    any_token = true;
    min_cols = std::min(min_cols, cols.size());
    if (cols.size() < 3 || !is_positive_int(cols[0])) indexed = false;
  }
  if (!any_token) return {};
  size_t tag_col = 0;
  if (indexed) {
    bool found = false;
    for (size_t c = min_cols; c-- > 2;) {
      bool all = true;
      for (auto line : lines) {
        if (formats::is_blank(line) || is_docstart(line) || line[0] == '#') continue;
        if (!formats::is_entity_tag(columns(line)[c])) {
          all = false;
          break;
        }
      }
      if (all) {
        tag_col = c;
        found = true;
        break;
      }
    }
    if (!found) throw DataError(source, -1, "no column of IOB entity tags found in the indexed rows");
  }

  std::vector<std::vector<NerSentence>> docs(1);
  bool has_docstart = false;
  NerSentence cur;
  auto end_sentence = [&] {
    if (!cur.tokens.empty()) docs.back().push_back(std::move(cur));
    cur = NerSentence{};
  };
  for (size_t ln = 0; ln < lines.size(); ++ln) {
    std::string_view line = lines[ln];
    const int64_t line_no = int64_t(ln) + 1;
    if (formats::is_blank(line)) {
      end_sentence();
      continue;
    }
    if (is_docstart(line)) {
      end_sentence();
      has_docstart = true;
      if (!docs.back().empty()) docs.emplace_back();
      continue;
    }
    if (indexed && line[0] == '#') continue;
    auto cols = columns(line);
    NerToken tok;
    if (indexed) {
      tok.word = std::string(cols[1]);
      tok.iob = std::string(cols[tag_col]);
    } else {
      if (cols.size() < 2)
        throw DataError(source, line_no,
                        "expected a word and an IOB tag (at least 2 columns), found " +
                            std::to_string(cols.size()));
      tok.word = std::string(cols[0]);
      tok.iob = std::string(cols.back());
      tok.tag = cols.size() > 2 ? std::string(cols[1]) : std::string("-");
      if (!formats::is_entity_tag(tok.iob))
        throw DataError(source, line_no, "invalid IOB tag '" + tok.iob + "' in the last column");
    }
    if (tok.word.empty()) throw DataError(source, line_no, "empty word");
    if (cur.tokens.empty()) cur.line = line_no;
    cur.tokens.push_back(std::move(tok));
  }
  end_sentence();

  // Without -DOCSTART- lines, every n_sents sentences make a doc (spaCy's segment_docs).
  std::vector<std::vector<NerSentence>> groups;
  if (has_docstart || n_sents <= 0) {
    for (auto& d : docs)
      if (!d.empty()) groups.push_back(std::move(d));
  } else {
    for (auto& s : docs.front()) {
      if (groups.empty() || groups.back().size() >= size_t(n_sents)) groups.emplace_back();
      groups.back().push_back(std::move(s));
    }
  }
  std::vector<Doc> out;
  out.reserve(groups.size());
  for (const auto& g : groups) out.push_back(build_ner_doc(vocab, g, source, !indexed));
  return out;
}

std::vector<Doc> read_conll_ner(const std::string& path, const std::shared_ptr<Vocab>& vocab,
                                int n_sents) {
  return parse_conll_ner(read_file_bytes(path), path, vocab, n_sents);
}

std::vector<Doc> parse_iob(std::string_view text, const std::string& source,
                           const std::shared_ptr<Vocab>& vocab, int n_sents) {
  const auto lines = formats::split_utf8_lines(text, source);
  std::vector<std::vector<NerSentence>> groups;
  for (size_t ln = 0; ln < lines.size(); ++ln) {
    std::string_view line = lines[ln];
    if (formats::is_blank(line)) continue;
    const int64_t line_no = int64_t(ln) + 1;
    NerSentence sent;
    sent.line = line_no;
    for (auto token : formats::split_ws(line)) {
      auto parts = formats::split_on(token, '|');
      NerToken tok;
      if (parts.size() == 3) {
        tok = {std::string(parts[0]), std::string(parts[1]), std::string(parts[2])};
      } else if (parts.size() == 2) {
        tok = {std::string(parts[0]), "-", std::string(parts[1])};
      } else {
        throw DataError(source, line_no,
                        "token '" + std::string(token) + "' is not word|tag|IOB or word|IOB");
      }
      if (tok.word.empty()) throw DataError(source, line_no, "empty word in '" + std::string(token) + "'");
      if (!formats::is_entity_tag(tok.iob))
        throw DataError(source, line_no, "invalid IOB tag '" + tok.iob + "' in '" + std::string(token) + "'");
      sent.tokens.push_back(std::move(tok));
    }
    if (groups.empty() || (n_sents > 0 && groups.back().size() >= size_t(n_sents)))
      groups.emplace_back();
    groups.back().push_back(std::move(sent));
  }
  std::vector<Doc> out;
  out.reserve(groups.size());
  for (const auto& g : groups) out.push_back(build_ner_doc(vocab, g, source, true));
  return out;
}

std::vector<Doc> read_iob(const std::string& path, const std::shared_ptr<Vocab>& vocab, int n_sents) {
  return parse_iob(read_file_bytes(path), path, vocab, n_sents);
}

}  // namespace trfpipe
