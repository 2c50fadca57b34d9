// CoNLL-U reader (spaCy's conllu_to_docs / read_conllx / conllu_sentence_to_doc).
#include <algorithm>
#include <map>

#include "trfpipe/data.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/morphology.hpp"
#include "formats/data_util.hpp"

namespace trfpipe {

namespace {

struct Row {
  std::string word, lemma, pos, tag, morph, dep, misc;
  int64_t head = 0;  // absolute, 0-based, within the sentence
  bool space = true;
  int64_t line = 0;
};
struct Sentence {
  std::vector<Row> rows;
  std::vector<std::string> ner;  // IOB per row (when the input has NER)
  int64_t line = 0;
};

// spaCy's MISC NER pattern ^((?:name|NE)=)?([BILU])-([A-Z_]+)|O$ with re.match: the IOB tag, ""
// for a bare "O", or nullopt when the part does not match.
std::optional<std::string> match_ner(std::string_view part) {
  if (part == "O") return std::string();
  std::string_view p = part;
  if (p.rfind("name=", 0) == 0) p.remove_prefix(5);
  else if (p.rfind("NE=", 0) == 0) p.remove_prefix(3);
  auto try_plain = [](std::string_view q) -> std::optional<std::string> {
    if (q.size() < 3 || q[1] != '-') return std::nullopt;
    if (q[0] != 'B' && q[0] != 'I' && q[0] != 'L' && q[0] != 'U') return std::nullopt;
    size_t k = 2;
    while (k < q.size() && ((q[k] >= 'A' && q[k] <= 'Z') || q[k] == '_')) ++k;
    if (k == 2) return std::nullopt;
    return std::string(q.substr(0, k));
  };
  if (auto m = try_plain(p)) return m;
  if (p.size() != part.size()) return try_plain(part);  // the prefix group is optional
  return std::nullopt;
}

bool parse_int(std::string_view s, int64_t& out) {
  if (s.empty() || s.size() > 12) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

// spaCy's merge_conllu_subtokens on the rows of a sentence: each range [first, last] (0-based)
// becomes one row; heads are renumbered.
void merge_ranges(Sentence& sent, const std::vector<std::pair<int64_t, int64_t>>& ranges) {
  const int64_t n = int64_t(sent.rows.size());
  std::vector<int64_t> new_index(static_cast<size_t>(n));
  std::vector<Row> rows;
  size_t next_range = 0;
  for (int64_t i = 0; i < n;) {
    if (next_range < ranges.size() && ranges[next_range].first == i) {
      const auto [first, last] = ranges[next_range++];
      // The root: the first word whose head is outside the range.
      int64_t root = first;
      for (int64_t k = first; k <= last; ++k)
        if (sent.rows[size_t(k)].head < first || sent.rows[size_t(k)].head > last) {
          root = k;
          break;
        }
      Row merged = sent.rows[size_t(root)];
      merged.line = sent.rows[size_t(first)].line;
      merged.word.clear();
      std::vector<std::string> lemmas, tags;
      std::map<std::string, std::vector<std::string>> feats;
      for (int64_t k = first; k <= last; ++k) {
        const Row& r = sent.rows[size_t(k)];
        merged.word += r.word;
        lemmas.push_back(r.lemma);
        tags.push_back(r.tag);
        for (auto feature : formats::split_on(r.morph, '|')) {
          const size_t eq = feature.find('=');
          if (feature.empty() || eq == std::string_view::npos) continue;
          auto& values = feats[std::string(feature.substr(0, eq))];
          for (auto v : formats::split_on(feature.substr(eq + 1), ','))
            if (std::find(values.begin(), values.end(), v) == values.end()) values.emplace_back(v);
        }
        new_index[size_t(k)] = int64_t(rows.size());
      }
      auto join = [](const std::vector<std::string>& v, const char* sep) {
        std::string out;
        for (size_t k = 0; k < v.size(); ++k) out += (k ? sep : "") + v[k];
        return out;
      };
      merged.lemma = join(lemmas, " ");
      merged.tag = join(tags, "_");
      std::vector<std::string> fields;
      for (auto& [field, values] : feats) {
        std::sort(values.begin(), values.end());
        fields.push_back(field + "=" + join(values, ","));
      }
      merged.morph = join(fields, "|");
      merged.space = sent.rows[size_t(last)].space;
      rows.push_back(std::move(merged));
      i = last + 1;
    } else {
      new_index[size_t(i)] = int64_t(rows.size());
      rows.push_back(std::move(sent.rows[size_t(i)]));
      ++i;
    }
  }
  for (Row& r : rows) r.head = new_index[size_t(r.head)];
  sent.rows = std::move(rows);
}

}  // namespace

std::vector<Doc> parse_conllu(std::string_view text, const std::string& source,
                              const std::shared_ptr<Vocab>& vocab, int n_sents,
                              bool append_morphology, bool merge_subtokens) {
  const auto lines = formats::split_utf8_lines(text, source);
  std::vector<Sentence> sents;
  Sentence cur;
  bool has_ner = false;
  // Multiword token range in progress.
  bool in_subtok = false;
  int64_t subtok_end = 0;
  bool subtok_space = true;
  std::vector<std::pair<int64_t, int64_t>> ranges;  // of the sentence, 0-based, inclusive
  auto end_sentence = [&](int64_t line_no) {
    if (in_subtok)
      throw DataError(source, line_no, "multiword token range ends after the sentence");
    if (!cur.rows.empty()) {
      const int64_t n = int64_t(cur.rows.size());
      for (const auto& r : cur.rows)
        if (r.head >= n)
          throw DataError(source, r.line, "HEAD " + std::to_string(r.head + 1) +
                                              " is outside the sentence of " + std::to_string(n) + " words");
      if (merge_subtokens && !ranges.empty()) merge_ranges(cur, ranges);
      sents.push_back(std::move(cur));
    }
    cur = Sentence{};
    ranges.clear();
  };
  for (size_t ln = 0; ln < lines.size(); ++ln) {
    const std::string_view line = lines[ln];
    const int64_t line_no = int64_t(ln) + 1;
    if (formats::is_blank(line)) {
      end_sentence(line_no);
      continue;
    }
    if (line[0] == '#') continue;
    auto f = formats::split_on(line, '\t');
    if (f.size() != 10)
      throw DataError(source, line_no, "expected 10 tab-separated CoNLL-U columns, found " + std::to_string(f.size()));
    const std::string_view id = f[0];
    if (id.find('.') != std::string_view::npos) continue;  // empty node
    if (id.find('-') != std::string_view::npos) {
      auto dash = id.find('-');
      int64_t a = 0, b = 0;
      if (!parse_int(id.substr(0, dash), a) || !parse_int(id.substr(dash + 1), b) || b < a)
        throw DataError(source, line_no, "invalid multiword token range '" + std::string(id) + "'");
      if (merge_subtokens && a != int64_t(cur.rows.size()) + 1)
        throw DataError(source, line_no, "multiword token range '" + std::string(id) +
                                             "' does not start at the next word");
      in_subtok = true;
      subtok_end = b;
      ranges.emplace_back(a - 1, b - 1);
      subtok_space = f[9].find("SpaceAfter=No") == std::string_view::npos;
      continue;
    }
    int64_t idx = 0;
    if (!parse_int(id, idx))
      throw DataError(source, line_no, "invalid token ID '" + std::string(id) + "'");
    if (idx != int64_t(cur.rows.size()) + 1)
      throw DataError(source, line_no, "token ID " + std::to_string(idx) + " out of sequence (expected " +
                                           std::to_string(cur.rows.size() + 1) + ")");
    if (cur.rows.empty()) cur.line = line_no;
    Row r;
    r.line = line_no;
    r.word = std::string(f[1]);
    if (r.word.empty()) throw DataError(source, line_no, "empty FORM");
    r.lemma = std::string(f[2]);
    r.pos = f[3] == "_" ? std::string() : std::string(f[3]);
    r.tag = f[4] == "_" ? std::string(f[3]) : std::string(f[4]);
    r.morph = f[5] == "_" ? std::string() : std::string(f[5]);
    if (f[6] == "_" || f[6] == "0") {
      r.head = idx - 1;
    } else {
      int64_t h = 0;
      if (!parse_int(f[6], h)) throw DataError(source, line_no, "invalid HEAD '" + std::string(f[6]) + "'");
      r.head = h - 1;
    }
    r.dep = f[7] == "root" ? std::string("ROOT") : std::string(f[7]);
    r.misc = std::string(f[9]);
    if (in_subtok) {
      r.space = idx == subtok_end ? subtok_space : false;
      if (idx == subtok_end) in_subtok = false;
    } else {
      r.space = f[9].find("SpaceAfter=No") == std::string_view::npos;
    }
    if (!has_ner)
      for (auto part : formats::split_on(f[9], '|'))
        if (match_ner(part)) {
          has_ner = true;
          break;
        }
    cur.rows.push_back(std::move(r));
  }
  end_sentence(int64_t(lines.size()) + 1);

  // Group sentences into docs (spaCy's Doc.from_docs with ensure_whitespace).
  std::vector<Doc> docs;
  StringStore& ss = vocab->strings();
  const size_t per_doc = n_sents > 0 ? size_t(n_sents) : std::max<size_t>(sents.size(), 1);
  for (size_t s0 = 0; s0 < sents.size(); s0 += per_doc) {
    const size_t s1 = std::min(sents.size(), s0 + per_doc);
    std::vector<std::string> words;
    std::vector<bool> spaces;
    for (size_t s = s0; s < s1; ++s) {
      for (const auto& r : sents[s].rows) {
        words.push_back(r.word);
        spaces.push_back(r.space);
      }
      if (s + 1 < s1) spaces.back() = true;
    }
    std::optional<Doc> doc;
    try {
      doc.emplace(vocab, words, spaces);
    } catch (const Error& e) {
      throw DataError(source, sents[s0].line, e.what());
    }
    auto& toks = doc->tokens();
    std::vector<EntitySpan> ents;
    size_t off = 0;
    for (size_t s = s0; s < s1; ++s) {
      const auto& rows = sents[s].rows;
      std::vector<std::string> iob;
      for (size_t k = 0; k < rows.size(); ++k) {
        const Row& r = rows[k];
        TokenData& td = toks[off + k];
        td.lemma = ss.add(r.lemma);
        if (!r.pos.empty()) {
          if (symbol_id(r.pos) == 0)
            throw DataError(source, r.line, "unknown UPOS '" + r.pos + "' (not a Universal POS tag)");
          td.pos = ss.add(r.pos);
        }
        std::string tag = r.tag;
        if (append_morphology && !r.morph.empty()) tag += "__" + r.morph;
        td.tag = ss.add(tag);
        // spaCy keys an empty analysis by its placeholder "_" (Morphology.EMPTY_MORPH).
        try {
          td.morph = ss.add(morphology::normalize_features(r.morph));
        } catch (const ValueError& e) {
          throw DataError(source, r.line, e.what());
        }
        td.dep = ss.add(r.dep);
        td.head = int32_t(r.head - int64_t(k));
        td.sent_start = k == 0 ? 1 : -1;
        if (has_ner) {
          std::string t = "O";
          for (auto part : formats::split_on(r.misc, '|'))
            if (auto m = match_ner(part)) {
              if (!m->empty()) t = *m;
              break;
            }
          iob.push_back(t);
        }
      }
      if (has_ner)
        for (auto& e : tags_to_spans(iob)) ents.push_back({e.start + off, e.end + off, e.label});
      off += rows.size();
    }
    if (has_ner) set_entities(*doc, ents);
    doc->set_children_from_heads();  // spaCy builds the doc from heads + deps (Doc.from_array)
    docs.push_back(std::move(*doc));
  }
  return docs;
}

std::vector<Doc> read_conllu(const std::string& path, const std::shared_ptr<Vocab>& vocab,
                             int n_sents, bool append_morphology, bool merge_subtokens) {
  return parse_conllu(read_file_bytes(path), path, vocab, n_sents, append_morphology,
                      merge_subtokens);
}

}  // namespace trfpipe
