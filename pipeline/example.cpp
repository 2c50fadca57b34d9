// Example and spaCy's character-based token alignment (spacy/training/align.pyx, example.pyx).
#include "trfpipe/example.hpp"

#include <set>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "trfpipe/error.hpp"
#include "trfpipe/nonproj.hpp"

namespace trfpipe {

namespace {

std::u32string decode(std::string_view s) {
  std::u32string out;
  int32_t i = 0, n = int32_t(s.size());
  while (i < n) {
    UChar32 c;
    U8_NEXT(s.data(), i, n, c);
    out.push_back(char32_t(c < 0 ? 0xFFFD : c));
  }
  return out;
}

std::u32string lower(std::u32string s) {
  for (auto& c : s) c = char32_t(u_tolower(UChar32(c)));
  return s;
}

bool is_space(char32_t c) { return u_isUWhiteSpace(UChar32(c)); }

std::u32string strip_all_space(const std::u32string& s) {
  std::u32string out;
  for (char32_t c : s)
    if (!is_space(c)) out.push_back(c);
  return out;
}

std::string first_words(const Doc& doc) {
  std::string out = "[";
  for (size_t i = 0; i < doc.size() && i < 10; ++i) {
    if (i) out += ", ";
    out += "'" + std::string(doc.token(i).text()) + "'";
  }
  return out + "]";
}

// spaCy's get_alignments(A, B) over the token texts of two docs.
TokenAlignment align_docs(const Doc& x, const Doc& y) {
  std::vector<std::u32string> A, B;
  for (size_t i = 0; i < x.size(); ++i) A.push_back(decode(x.token(i).text()));
  for (size_t i = 0; i < y.size(); ++i) B.push_back(decode(y.token(i).text()));
  std::vector<int64_t> c2t_a, c2t_b;
  std::u32string str_a, str_b;
  for (size_t i = 0; i < A.size(); ++i) {
    str_a += lower(A[i]);
    c2t_a.insert(c2t_a.end(), A[i].size(), int64_t(i));
  }
  for (size_t i = 0; i < B.size(); ++i) {
    str_b += lower(B[i]);
    c2t_b.insert(c2t_b.end(), B[i].size(), int64_t(i));
  }
  auto fail = [&] {
    throw ValueError(
        "[E949] Unable to align tokens for the predicted and reference docs. It is only possible "
        "to align the docs when both texts are the same except for whitespace and "
        "capitalization. The predicted tokens start with: " +
        first_words(x) + ". The reference tokens start with: " + first_words(y) + ".");
  };
  if (strip_all_space(str_a) != strip_all_space(str_b)) fail();
  size_t ia = 0, ib = 0;
  int64_t prev_a = -1, prev_b = -1;
  std::vector<std::set<int64_t>> a2b, b2a;
  while (ia < str_a.size() && ib < str_b.size()) {
    int64_t ta = c2t_a[ia], tb = c2t_b[ib];
    if (prev_a != ta) a2b.emplace_back();
    if (prev_b != tb) b2a.emplace_back();
    if (A[size_t(ta)] == B[size_t(tb)] && (ia == 0 || c2t_a[ia - 1] < ta) &&
        (ib == 0 || c2t_b[ib - 1] < tb)) {
      a2b.back().insert(tb);
      b2a.back().insert(ta);
      ia += A[size_t(ta)].size();
      ib += B[size_t(tb)].size();
    } else if (str_a[ia] == str_b[ib]) {
      a2b.back().insert(tb);
      b2a.back().insert(ta);
      ++ia;
      ++ib;
    } else if (is_space(str_a[ia])) {
      ++ia;
    } else if (is_space(str_b[ib])) {
      ++ib;
    } else {
      fail();
    }
    prev_a = ta;
    prev_b = tb;
  }
  // Unaligned trailing whitespace: one empty entry per distinct remaining token.
  std::set<int64_t> rest_a(c2t_a.begin() + long(std::min(ia, c2t_a.size())), c2t_a.end());
  std::set<int64_t> rest_b(c2t_b.begin() + long(std::min(ib, c2t_b.size())), c2t_b.end());
  a2b.resize(a2b.size() + rest_a.size());
  b2a.resize(b2a.size() + rest_b.size());
  TokenAlignment out;
  for (auto& s : a2b) out.x2y.emplace_back(s.begin(), s.end());
  for (auto& s : b2a) out.y2x.emplace_back(s.begin(), s.end());
  return out;
}

std::u32string span_key_text(const Span& s) {
  std::u32string t = lower(decode(s.text()));
  size_t b = 0, e = t.size();
  while (b < e && is_space(t[b])) ++b;
  while (e > b && is_space(t[e - 1])) --e;
  std::u32string out;
  for (size_t i = b; i < e; ++i)
    if (t[i] != U' ') out.push_back(t[i]);
  return out;
}

}  // namespace

Example::Example(std::shared_ptr<Doc> predicted, std::shared_ptr<Doc> reference)
    : predicted_(std::move(predicted)), reference_(std::move(reference)) {
  if (!predicted_ || !reference_) throw ValueError("Example needs two Docs (got a null pointer)");
  alignment_ = std::make_unique<TokenAlignment>(align_docs(*predicted_, *reference_));
}

Example::Example(const Example& other)
    : predicted_(other.predicted_), reference_(other.reference_) {
  if (other.alignment_) alignment_ = std::make_unique<TokenAlignment>(*other.alignment_);
}

Example& Example::operator=(const Example& other) {
  if (this != &other) {
    predicted_ = other.predicted_;
    reference_ = other.reference_;
    alignment_.reset(other.alignment_ ? new TokenAlignment(*other.alignment_) : nullptr);
  }
  return *this;
}

Example Example::copy_predicted() const {
  Example e(*this);
  e.predicted_ = std::make_shared<Doc>(predicted_->copy());
  return e;
}

Example Example::from_reference(std::shared_ptr<Doc> reference) {
  if (!reference) throw ValueError("Example::from_reference needs a Doc (got a null pointer)");
  std::vector<std::string> words;
  std::vector<bool> spaces;
  for (const auto& t : reference->tokens()) {
    words.emplace_back(reference->text().substr(t.idx_bytes, t.len_bytes));
    spaces.push_back(t.space);
  }
  auto predicted = std::make_shared<Doc>(reference->vocab_ptr(), words, spaces);
  return Example(std::move(predicted), std::move(reference));
}

const TokenAlignment& Example::alignment() const {
  if (!alignment_) alignment_ = std::make_unique<TokenAlignment>(align_docs(*predicted_, *reference_));
  return *alignment_;
}

namespace {

// spaCy's Example.get_aligned(field): a value where the aligned reference tokens agree.
std::vector<std::optional<uint64_t>> aligned_values(const Example& eg,
                                                    uint64_t (*get)(const TokenData&)) {
  const auto& x2y = eg.alignment().x2y;
  const auto& ref = eg.reference().tokens();
  std::vector<std::optional<uint64_t>> out(eg.predicted().size());
  for (size_t i = 0; i < out.size() && i < x2y.size(); ++i) {
    const auto& ys = x2y[i];
    if (ys.empty()) continue;
    uint64_t v = get(ref[size_t(ys[0])]);
    bool same = true;
    for (int64_t y : ys) same = same && get(ref[size_t(y)]) == v;
    if (same) out[i] = v;
  }
  return out;
}

std::vector<std::string> as_strings(const Example& eg,
                                    const std::vector<std::optional<uint64_t>>& values) {
  std::vector<std::string> out;
  out.reserve(values.size());
  for (const auto& v : values) out.push_back(v ? eg.reference().vocab().strings()[*v] : "");
  return out;
}

}  // namespace

std::vector<std::string> Example::get_aligned_tags() const {
  return as_strings(*this, aligned_values(*this, [](const TokenData& t) { return t.tag; }));
}

std::vector<std::string> Example::get_aligned_pos() const {
  return as_strings(*this, aligned_values(*this, [](const TokenData& t) { return t.pos; }));
}

std::vector<std::optional<int>> Example::get_aligned_sent_start_values() const {
  auto values = aligned_values(*this, [](const TokenData& t) { return uint64_t(int64_t(t.sent_start)); });
  std::vector<std::optional<int>> out;
  out.reserve(values.size());
  for (const auto& v : values) out.push_back(v ? std::optional<int>(int(int64_t(*v))) : std::nullopt);
  return out;
}

std::vector<std::string> Example::get_aligned_ner() const {
  Doc& x = *predicted_;
  Doc& y = *reference_;
  std::vector<std::optional<std::string>> tags(x.size());
  if (y.has_annotation("ENT_IOB")) {
    // Reference entities projected onto the predicted tokens (allow_overlap=False).
    std::vector<Span> x_ents = get_aligned_spans_y2x(y.ents());
    // offsets_to_biluo_tags(x, ents, missing=None)
    std::vector<std::optional<std::string>> biluo(x.size(), std::string("-"));
    std::set<size_t> entity_chars;
    for (const Span& e : x_ents) {
      std::string label = e.label_();
      size_t s = e.start(), last = e.end() - 1;
      if (s == last) {
        biluo[s] = "U-" + label;
      } else {
        biluo[s] = "B-" + label;
        for (size_t i = s + 1; i < last; ++i) biluo[i] = "I-" + label;
        biluo[last] = "L-" + label;
      }
      for (size_t c = e.start_char(); c < e.end_char(); ++c) entity_chars.insert(c);
    }
    for (size_t i = 0; i < x.size(); ++i) {
      Token t = x.token(i);
      bool touches = false;
      for (size_t c = t.idx(); c < t.idx() + t.length() && !touches; ++c)
        touches = entity_chars.count(c) > 0;
      if (!touches) biluo[i] = std::nullopt;
    }
    tags = biluo;
    auto iob = aligned_values(*this, [](const TokenData& t) { return uint64_t(t.ent_iob); });
    for (size_t i = 0; i < x.size(); ++i) {
      if (tags[i]) continue;
      if (iob[i] && *iob[i] == 2) tags[i] = "O";
      else if (x.token(i).is_space()) tags[i] = "O";
    }
  }
  std::vector<std::string> out;
  out.reserve(tags.size());
  for (auto& t : tags) out.push_back(t ? *t : "-");
  return out;
}

namespace {

// spaCy's Example._get_aligned_spans.
std::vector<Span> aligned_spans(Doc& doc, const std::vector<Span>& spans,
                                const std::vector<std::vector<int64_t>>& align,
                                bool allow_overlap) {
  std::set<int64_t> seen;
  std::vector<Span> out;
  for (const Span& span : spans) {
    std::vector<int64_t> indices;
    for (size_t i = span.start(); i < span.end() && i < align.size(); ++i)
      for (int64_t j : align[i])
        if (allow_overlap || !seen.count(j)) indices.push_back(j);
    if (indices.empty()) continue;
    Span aligned(&doc, size_t(indices.front()), size_t(indices.back()) + 1, span.label());
    if (span_key_text(aligned) == span_key_text(span)) {
      out.push_back(aligned);
      seen.insert(indices.begin(), indices.end());
    }
  }
  return out;
}

}  // namespace

std::vector<Span> Example::get_aligned_spans_y2x(const std::vector<Span>& y_spans,
                                                 bool allow_overlap) const {
  return aligned_spans(*predicted_, y_spans, alignment().y2x, allow_overlap);
}

std::vector<Span> Example::get_aligned_spans_x2y(const std::vector<Span>& x_spans,
                                                 bool allow_overlap) const {
  return aligned_spans(*reference_, x_spans, alignment().x2y, allow_overlap);
}

std::vector<std::optional<std::string>> Example::get_aligned(std::string_view attr) const {
  uint64_t (*get)(const TokenData&) = nullptr;
  if (attr == "TAG") get = [](const TokenData& t) { return t.tag; };
  else if (attr == "POS") get = [](const TokenData& t) { return t.pos; };
  else if (attr == "MORPH") get = [](const TokenData& t) { return t.morph; };
  else if (attr == "LEMMA") get = [](const TokenData& t) { return t.lemma; };
  else if (attr == "DEP") get = [](const TokenData& t) { return t.dep; };
  else
    throw ValueError("Example.get_aligned: unsupported attribute '" + std::string(attr) +
                     "' (TAG, POS, MORPH, LEMMA, DEP)");
  const StringStore& ss = reference_->vocab().strings();
  std::vector<std::optional<std::string>> out;
  for (const auto& v : aligned_values(*this, get)) {
    if (v) out.emplace_back(ss[*v]);
    else out.emplace_back(std::nullopt);
  }
  return out;
}

void add_spans_from_dict(Doc& doc, const Json& spans) {
  if (!spans.is_object())
    throw ValueError("[E879] 'spans' must be a dict {key: [(start_char, end_char, label), ...]}");
  for (const auto& [key, list] : spans.items()) {
    if (!list.is_array())
      throw ValueError("[E879] spans['" + key + "'] must be a list of (start_char, end_char, label)");
    std::vector<SpanGroupEntry> entries;
    for (size_t i = 0; i < list.size(); ++i) {
      const Json& t = list[i];
      auto where = "spans['" + key + "'][" + std::to_string(i) + "]";
      auto offset_ok = [](const Json& v) {  // any non-negative integer (signed when built in C++)
        return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
      };
      if (!t.is_array() || t.size() < 2 || !offset_ok(t[0]) || !offset_ok(t[1]))
        throw ValueError("[E879] " + where + " must be [start_char, end_char, label?, kb_id?]");
      for (size_t k = 2; k < t.size() && k < 4; ++k)
        if (!t[k].is_string())
          throw ValueError("[E879] " + where + ": label and kb_id must be strings");
      const size_t start = t[0].get<size_t>(), end = t[1].get<size_t>();
      std::optional<Span> span = doc.char_span(start, end);
      if (!span)
        throw ValueError(where + ": characters [" + std::to_string(start) + ", " +
                         std::to_string(end) + ") do not match token boundaries");
      StringStore& ss = doc.vocab().strings();
      entries.push_back({span->start(), span->end(),
                         t.size() > 2 ? ss.add(t[2].get<std::string>()) : 0,
                         t.size() > 3 ? ss.add(t[3].get<std::string>()) : 0, 0});
    }
    SpanGroup group;
    group.name = key;
    group.spans = std::move(entries);
    doc.spans().set_group(key, std::move(group));
  }
}

std::vector<std::optional<bool>> Example::get_aligned_sent_starts() const {
  Doc& y = *reference_;
  if (!y.has_annotation("SENT_START"))
    return std::vector<std::optional<bool>>(predicted_->size(), std::nullopt);
  std::vector<std::optional<bool>> out(predicted_->size(), false);
  const auto& y2x = alignment().y2x;
  for (const Span& sent : y.sents()) {
    if (sent.start() < y2x.size() && !y2x[sent.start()].empty())
      out[size_t(y2x[sent.start()][0])] = true;
  }
  return out;
}

Example::AlignedParse Example::get_aligned_parse(bool projectivize) const {
  Doc& y = *reference_;
  std::vector<int64_t> heads(y.size());
  std::vector<std::string> deps(y.size());
  for (size_t i = 0; i < y.size(); ++i) {
    const Token t = y.token(i);
    heads[i] = t.has_head() ? int64_t(t.head().i()) : int64_t(i);
    deps[i] = t.dep_();
  }
  if (projectivize) {
    auto [proj_heads, proj_deps] = nonproj::projectivize(heads, deps);
    // Missing data stays missing (spaCy keeps the unprojectivized values there).
    for (size_t i = 0; i < y.size(); ++i)
      if (y.token(i).has_dep()) {
        heads[i] = proj_heads[i];
        deps[i] = proj_deps[i];
      }
  }
  const auto& x2y = alignment().x2y;
  const auto& y2x = alignment().y2x;
  AlignedParse out;
  out.heads.resize(predicted_->size());
  out.deps.resize(predicted_->size());
  for (size_t i = 0; i < predicted_->size() && i < x2y.size(); ++i) {
    if (x2y[i].size() != 1) continue;
    const size_t gold_i = size_t(x2y[i][0]);
    out.deps[i] = deps[gold_i];
    const size_t gold_head = size_t(heads[gold_i]);
    if (gold_head < y2x.size() && y2x[gold_head].size() == 1) out.heads[i] = size_t(y2x[gold_head][0]);
  }
  return out;
}

}  // namespace trfpipe
