// spaCy's Retokenizer.merge / _merge (spacy/tokens/_retokenize.pyx) on trfpipe's TokenData.
#include "trfpipe/retokenize.hpp"

#include <algorithm>
#include <string>

#include "trfpipe/error.hpp"

namespace trfpipe {

namespace {

// spaCy's set_children_from_heads, as far as trfpipe keeps it: sentence starts from the heads
// (every token -1, the left edge of each root's subtree 1). Edges are computed by walking up
// from every token, which handles non-projective trees without spaCy's repeated passes.
void sent_starts_from_heads(std::vector<TokenData>& tokens) {
  const size_t n = tokens.size();
  std::vector<size_t> left_edge(n);
  for (size_t i = 0; i < n; ++i) left_edge[i] = i;
  for (size_t i = 0; i < n; ++i) {
    int64_t k = int64_t(i);
    for (size_t steps = 0; steps < n && tokens[size_t(k)].head != 0; ++steps) {
      k += tokens[size_t(k)].head;
      if (k < 0 || size_t(k) >= n) break;
      left_edge[size_t(k)] = std::min(left_edge[size_t(k)], i);
    }
  }
  for (auto& t : tokens) t.sent_start = -1;
  for (size_t i = 0; i < n; ++i)
    if (tokens[i].head == 0 && tokens[i].dep != 0) tokens[left_edge[i]].sent_start = 1;
}

// spaCy's make_iob_consistent.
void make_iob_consistent(std::vector<TokenData>& tokens) {
  if (tokens.empty()) return;
  if (tokens[0].ent_iob == 1) tokens[0].ent_iob = 3;
  for (size_t i = 1; i < tokens.size(); ++i)
    if (tokens[i].ent_iob == 1 && tokens[i - 1].ent_type != tokens[i].ent_type)
      tokens[i].ent_iob = 3;
}

}  // namespace

size_t span_root(const Doc& doc, size_t start, size_t end) {
  if (start >= end || end > doc.size())
    throw ValueError("span_root: [" + std::to_string(start) + ", " + std::to_string(end) +
                     ") is not a non-empty span of a Doc of " + std::to_string(doc.size()) +
                     " tokens");
  return Span(const_cast<Doc*>(&doc), start, end).root().i();
}

Retokenizer::Retokenizer(Doc& doc) : doc_(&doc), in_merge_(doc.size(), 0) {}

void Retokenizer::merge(const Span& span, const Json& attrs) {
  if (&span.doc() != doc_) throw ValueError("Retokenizer.merge: the span belongs to another Doc");
  for (const Merge& m : merges_)
    if (m.start == span.start() && m.end == span.end()) return;
  if (span.end() <= span.start())
    throw ValueError("[E199] Unable to merge 0-length span at `doc[" +
                     std::to_string(span.start()) + ":" + std::to_string(span.end()) + "]`.");
  if (in_merge_.size() != doc_->size()) in_merge_.assign(doc_->size(), 0);
  for (size_t i = span.start(); i < span.end(); ++i)
    if (in_merge_[i])
      throw ValueError("[E102] Can't merge non-disjoint spans. '" +
                       std::string(doc_->token(i).text()) + "' (token " + std::to_string(i) +
                       ") is already part of tokens to merge. If you want to find the longest "
                       "non-overlapping spans, you can use the util.filter_spans helper");
  TokenAttrValues values = normalize_token_attrs(doc_->vocab(), attrs);
  for (size_t i = span.start(); i < span.end(); ++i) in_merge_[i] = 1;
  merges_.push_back({span.start(), span.end(), std::move(values)});
}

void Retokenizer::apply() {
  std::vector<Merge> merges = std::move(merges_);
  merges_.clear();
  in_merge_.assign(doc_->size(), 0);
  if (merges.empty()) return;
  Doc& doc = *doc_;
  std::vector<TokenData>& tokens = doc.tokens();
  const size_t n = tokens.size();
  for (const Merge& m : merges)
    if (m.end > n) throw ValueError("Retokenizer: a span to merge lies outside the Doc (changed?)");
  std::sort(merges.begin(), merges.end(),
            [](const Merge& a, const Merge& b) { return a.start < b.start; });
  StringStore& strings = doc.vocab().strings();
  const bool parsed = doc.has_annotation("DEP");

  // Attributes of the span's root, the joined lemma, no norm (as spaCy's first pass).
  std::vector<size_t> roots;
  for (const Merge& m : merges) {
    const size_t root = span_root(doc, m.start, m.end);
    roots.push_back(root);
    TokenData& t = tokens[m.start];
    const uint8_t start_iob = t.ent_iob;
    const hash_t start_type = t.ent_type;
    t.tag = tokens[root].tag;
    t.pos = tokens[root].pos;
    t.morph = tokens[root].morph;
    t.ent_iob = tokens[root].ent_iob;
    t.ent_type = tokens[root].ent_type;
    uint8_t merged_iob = t.ent_iob;
    if (t.ent_iob == 1 || t.ent_iob == 3) {
      merged_iob = 3;
      if (start_iob == 1 && m.start > 0 && start_type == t.ent_type &&
          tokens[m.start - 1].ent_type == t.ent_type)
        merged_iob = 1;
    }
    t.ent_iob = merged_iob;
    std::string lemma;
    for (size_t i = m.start; i < m.end; ++i) {
      lemma += strings[tokens[i].lemma];
      if (tokens[i].space) lemma += ' ';
    }
    const size_t a = lemma.find_first_not_of(" \t\n\r\f\v");
    lemma = a == std::string::npos ? std::string() : lemma.substr(a, lemma.find_last_not_of(" \t\n\r\f\v") - a + 1);
    t.lemma = strings.add(lemma);
    t.norm = 0;
  }
  // doc.tensor: the last row of each merged span stands for it.
  Matrix& tensor = doc.tensor();
  if (!tensor.empty() && tensor.rows == int64_t(n)) {
    std::vector<char> drop(n, 0);
    for (const Merge& m : merges)
      for (size_t i = m.start; i + 1 < m.end; ++i) drop[i] = 1;
    Matrix kept;
    kept.cols = tensor.cols;
    for (size_t i = 0; i < n; ++i) {
      if (drop[i]) continue;
      kept.data.insert(kept.data.end(), tensor.row(int64_t(i)), tensor.row(int64_t(i)) + tensor.cols);
      ++kept.rows;
    }
    tensor = std::move(kept);
  }
  // Text, lexeme and whitespace of the merged token, then the given attributes.
  for (size_t k = 0; k < merges.size(); ++k) {
    const Merge& m = merges[k];
    TokenData& t = tokens[m.start];
    t.dep = tokens[roots[k]].dep;
    const TokenData& last = tokens[m.end - 1];
    t.len_bytes = last.idx_bytes + last.len_bytes - t.idx_bytes;
    t.len_chars = last.idx_chars + last.len_chars - t.idx_chars;
    t.space = last.space;
    t.orth = doc.vocab().get(std::string_view(doc.text()).substr(t.idx_bytes, t.len_bytes)).orth;
    set_token_attrs(doc.token(m.start), m.attrs);
  }
  // Heads: absolute, the merged token takes its root's head, then every head index moves to
  // the token's new position (a head inside a merged span becomes the merged token).
  std::vector<int64_t> heads(n);
  for (size_t i = 0; i < n; ++i) heads[i] = int64_t(i) + tokens[i].head;
  for (size_t k = 0; k < merges.size(); ++k) heads[merges[k].start] = heads[roots[k]];
  std::vector<size_t> new_index(n + 1);
  {
    size_t span_k = 0, offset = 0;
    for (size_t i = 0; i < n; ++i) {
      if (span_k < merges.size() && i == merges[span_k].end) {
        offset += merges[span_k].end - merges[span_k].start - 1;
        ++span_k;
      }
      if (span_k < merges.size() && i >= merges[span_k].start && i < merges[span_k].end)
        new_index[i] = merges[span_k].start - offset;
      else
        new_index[i] = i - offset;
    }
    if (span_k < merges.size() && n == merges[span_k].end)
      offset += merges[span_k].end - merges[span_k].start - 1;
    new_index[n] = n - offset;
  }
  // Compress the token array.
  std::vector<TokenData> out;
  out.reserve(new_index[n]);
  std::vector<int64_t> out_heads;
  {
    size_t span_k = 0;
    for (size_t i = 0; i < n; ++i) {
      while (span_k < merges.size() && i >= merges[span_k].end) ++span_k;
      if (span_k < merges.size() && i > merges[span_k].start && i < merges[span_k].end) continue;
      out.push_back(tokens[i]);
      int64_t h = heads[i];
      out_heads.push_back(h >= 0 && size_t(h) < n ? int64_t(new_index[size_t(h)]) : int64_t(out.size() - 1));
    }
  }
  for (size_t i = 0; i < out.size(); ++i) out[i].head = int32_t(out_heads[i] - int64_t(i));
  tokens = std::move(out);
  if (parsed) sent_starts_from_heads(tokens);
  make_iob_consistent(tokens);
  // Span groups follow their tokens.
  SpanGroups& groups = doc.spans();
  for (const std::string& key : groups.names()) {
    SpanGroup g = groups.group(key);
    for (SpanGroupEntry& e : g.spans) {
      const size_t start = new_index[std::min(e.start, n)];
      const size_t end = e.end > e.start ? new_index[e.end - 1] + 1 : start;
      e.start = start;
      e.end = end;
    }
    groups.set_group(key, std::move(g));
  }
}

}  // namespace trfpipe
