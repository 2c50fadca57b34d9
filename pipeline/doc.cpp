// Doc, Token and Span (spaCy's spacy/tokens/{doc,token,span}.pyx semantics).
#include "trfpipe/doc.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <set>
#include <sstream>

#include "trfpipe/error.hpp"
#include "trfpipe/vectors.hpp"

namespace trfpipe {

namespace {

size_t count_chars(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

// Process-wide extension registrations (spaCy keeps them on the Doc/Token/Span classes).
struct Extensions {
  std::mutex mutex;
  std::map<std::string, std::any> doc, token, span;
};
Extensions& extensions() {
  static Extensions e;
  return e;
}

void register_ext(std::map<std::string, std::any>& table, const char* obj, const std::string& name,
                  std::any default_value, bool force) {
  std::lock_guard<std::mutex> lock(extensions().mutex);
  if (table.count(name) && !force)
    throw ValueError("[E090] Extension '" + name + "' already exists on " + obj +
                     ". To overwrite the existing extension, set `force=True` on `" + obj +
                     ".set_extension`.");
  table[name] = std::move(default_value);
}

// A copy of the registered default, or ValueError for an unregistered name.
const std::any& ext_default(const std::map<std::string, std::any>& table, const char* obj,
                            const std::string& name) {
  std::lock_guard<std::mutex> lock(extensions().mutex);
  auto it = table.find(name);
  if (it == table.end())
    throw ValueError("[E046] Can't retrieve unregistered extension attribute '" + name + "' on " +
                     obj + ". Did you forget to call the `set_extension` method?");
  return it->second;  // map nodes are stable; registrations are replaced, never erased in use
}

// user_data keys, as spaCy's ("._.", name, start, end) tuples.
std::string doc_key(const std::string& name) { return std::string("._.\x1f") + name; }
std::string token_key(const std::string& name, size_t idx) {
  return std::string("._.\x1f") + name + "\x1f" + std::to_string(idx);
}
std::string span_key(const std::string& name, size_t start, size_t end) {
  return std::string("._.\x1f") + name + "\x1f" + std::to_string(start) + "\x1f" +
         std::to_string(end);
}

double norm_of(const std::vector<float>& v) {
  double n = 0;
  for (float x : v) n += double(x) * double(x);
  return n != 0 ? std::sqrt(n) : 0.0;
}

double cosine(const std::vector<float>& a, const std::vector<float>& b, const char* what) {
  double na = norm_of(a), nb = norm_of(b);
  if (na == 0 || nb == 0) return 0.0;
  if (a.size() != b.size())
    throw ValueError(std::string("Cannot compare ") + what + " vectors of different widths (" +
                     std::to_string(a.size()) + " and " + std::to_string(b.size()) + ")");
  double dot = 0;
  for (size_t i = 0; i < a.size(); ++i) dot += double(a[i]) * double(b[i]);
  return dot / (na * nb);
}

// The mean of the token vectors of doc[start:end] (zeros of the vectors' width when empty).
std::vector<float> mean_token_vector(Doc* doc, size_t start, size_t end) {
  if (start == end) return std::vector<float>(size_t(doc->vocab().vectors().cols()), 0.f);
  std::vector<float> out;
  for (size_t i = start; i < end; ++i) {
    std::vector<float> v = doc->token(i).vector();
    if (out.empty()) out.assign(v.size(), 0.f);
    if (v.size() != out.size()) throw ValueError("Token vectors of different widths in a Span");
    for (size_t k = 0; k < v.size(); ++k) out[k] += v[k];
  }
  for (float& x : out) x /= float(end - start);
  return out;
}

Json any_to_json(const std::any& v, const std::string& attr) {
  if (!v.has_value()) return nullptr;
  if (auto p = std::any_cast<Json>(&v)) return *p;
  if (auto p = std::any_cast<nlohmann::json>(&v)) return Json(*p);
  if (auto p = std::any_cast<std::string>(&v)) return *p;
  if (auto p = std::any_cast<const char*>(&v)) return std::string(*p);
  if (auto p = std::any_cast<bool>(&v)) return *p;
  if (auto p = std::any_cast<int>(&v)) return *p;
  if (auto p = std::any_cast<int64_t>(&v)) return *p;
  if (auto p = std::any_cast<uint64_t>(&v)) return *p;
  if (auto p = std::any_cast<size_t>(&v)) return *p;
  if (auto p = std::any_cast<float>(&v)) return *p;
  if (auto p = std::any_cast<double>(&v)) return *p;
  if (std::any_cast<std::nullptr_t>(&v)) return nullptr;
  if (auto p = std::any_cast<std::vector<std::string>>(&v)) return *p;
  if (auto p = std::any_cast<std::vector<double>>(&v)) return *p;
  if (auto p = std::any_cast<std::vector<float>>(&v)) return *p;
  if (auto p = std::any_cast<std::vector<int64_t>>(&v)) return *p;
  throw ValueError("[E107] Value of custom attribute `" + attr +
                   "` is not JSON-serializable (a C++ value of type " + v.type().name() + ")");
}

}  // namespace

// ---------------------------------------------------------------------------------- Token

TokenData& Token::data() const { return doc_->tokens()[i_]; }
std::string_view Token::text() const {
  const auto& t = data();
  return std::string_view(doc_->text()).substr(t.idx_bytes, t.len_bytes);
}
std::string Token::text_with_ws() const {
  std::string s(text());
  if (data().space) s += ' ';
  return s;
}
std::string Token::whitespace_() const { return data().space ? " " : ""; }
size_t Token::idx() const { return data().idx_chars; }
size_t Token::idx_bytes() const { return data().idx_bytes; }
size_t Token::length() const { return data().len_chars; }

const Lexeme& Token::lex() const {
  Vocab& v = doc_->vocab();
  if (const Lexeme* l = v.find(data().orth)) return *l;
  return v.get(text());
}
hash_t Token::orth() const { return data().orth; }
hash_t Token::lower() const { return lex().lower; }
hash_t Token::norm() const { return data().norm ? data().norm : lex().norm; }
hash_t Token::shape() const { return lex().shape; }
hash_t Token::prefix() const { return lex().prefix; }
hash_t Token::suffix() const { return lex().suffix; }
std::string Token::lower_() const { return doc_->vocab().strings()[lower()]; }
std::string Token::norm_() const { return doc_->vocab().strings()[norm()]; }
std::string Token::shape_() const { return doc_->vocab().strings()[shape()]; }
std::string Token::prefix_() const { return doc_->vocab().strings()[prefix()]; }
std::string Token::suffix_() const { return doc_->vocab().strings()[suffix()]; }
bool Token::is_alpha() const { return lex().has(IS_ALPHA); }
bool Token::is_ascii() const { return lex().has(IS_ASCII); }
bool Token::is_digit() const { return lex().has(IS_DIGIT); }
bool Token::is_lower() const { return lex().has(IS_LOWER); }
bool Token::is_upper() const { return lex().has(IS_UPPER); }
bool Token::is_title() const { return lex().has(IS_TITLE); }
bool Token::is_punct() const { return lex().has(IS_PUNCT); }
bool Token::is_space() const { return lex().has(IS_SPACE); }
bool Token::is_bracket() const { return lex().has(IS_BRACKET); }
bool Token::is_quote() const { return lex().has(IS_QUOTE); }
bool Token::is_left_punct() const { return lex().has(IS_LEFT_PUNCT); }
bool Token::is_right_punct() const { return lex().has(IS_RIGHT_PUNCT); }
bool Token::is_currency() const { return lex().has(IS_CURRENCY); }
bool Token::like_url() const { return lex().has(LIKE_URL); }
bool Token::like_num() const { return lex().has(LIKE_NUM); }
bool Token::like_email() const { return lex().has(LIKE_EMAIL); }
bool Token::is_stop() const { return lex().has(IS_STOP); }

std::string Token::tag_() const { return doc_->vocab().strings()[data().tag]; }
void Token::set_tag(std::string_view s) { data().tag = doc_->vocab().strings().add(s); }
std::string Token::pos_() const { return doc_->vocab().strings()[data().pos]; }
void Token::set_pos(std::string_view s) { data().pos = doc_->vocab().strings().add(s); }
std::string Token::lemma_() const { return doc_->vocab().strings()[data().lemma]; }
void Token::set_lemma(std::string_view s) { data().lemma = doc_->vocab().strings().add(s); }
std::string Token::dep_() const { return doc_->vocab().strings()[data().dep]; }
void Token::set_dep(std::string_view s) { data().dep = doc_->vocab().strings().add(s); }

std::string Token::morph_() const {
  const std::string& s = doc_->vocab().strings()[data().morph];
  return s == "_" ? std::string() : s;
}
void Token::set_morph(std::string_view s) {
  data().morph = doc_->vocab().strings().add(morphology::normalize_features(s));
}
void Token::set_morph(const FeatsDict& feats) {
  data().morph = doc_->vocab().strings().add(morphology::normalize_features(feats));
}
void Token::set_morph(const MorphAnalysis& morph) {
  if (morph.key() != 0) doc_->vocab().strings().add(morph.key_string());
  data().morph = morph.key();
}
void Token::clear_morph() { data().morph = 0; }
MorphAnalysis Token::morph() const {
  return MorphAnalysis::from_id(doc_->vocab().strings(), data().morph);
}
int Token::ent_iob() const { return data().ent_iob; }
std::string Token::ent_iob_() const {
  static const char* names[] = {"", "I", "O", "B"};
  uint8_t v = data().ent_iob;
  return v < 4 ? names[v] : "";
}
std::string Token::ent_type_() const { return doc_->vocab().strings()[data().ent_type]; }

std::optional<bool> Token::is_sent_start() const {
  int8_t v = data().sent_start;
  if (v == 0) return std::nullopt;
  return v > 0;
}
void Token::set_is_sent_start(std::optional<bool> v) {
  if (doc_->has_annotation("DEP"))
    throw ValueError("[E043] Refusing to write to token.sent_start if its document is parsed, "
                     "because this may cause inconsistent state.");
  data().sent_start = !v ? 0 : (*v ? 1 : -1);
}
std::optional<bool> Token::is_sent_end() const {
  if (i_ + 1 == doc_->size()) return true;
  return Token(doc_, i_ + 1).is_sent_start();
}

std::vector<float> Token::vector() const {
  const auto& hooks = doc_->user_token_hooks();
  if (hooks.vector) return hooks.vector(*this);
  const Vectors& table = doc_->vocab().vectors();
  if (table.empty()) {  // spaCy falls back to doc.tensor only without a vectors table
    const Matrix& t = doc_->tensor();
    if (t.empty() || int64_t(i_) >= t.rows) return {};
    return std::vector<float>(t.row(int64_t(i_)), t.row(int64_t(i_)) + t.cols);
  }
  return table.get(orth());
}
bool Token::has_vector() const {
  const auto& hooks = doc_->user_token_hooks();
  if (hooks.has_vector) return hooks.has_vector(*this);
  const Vectors& table = doc_->vocab().vectors();
  if (table.empty() && !doc_->tensor().empty()) return true;
  return table.contains(orth());
}
double Token::vector_norm() const { return norm_of(vector()); }
double Token::similarity(const Token& other) const {
  const auto& hooks = doc_->user_token_hooks();
  if (hooks.similarity) return hooks.similarity(*this, other);
  if (orth() == other.orth()) return 1.0;
  return cosine(vector(), other.vector(), "Token");
}
std::any& Token::ext(const std::string& name) const { return doc_->token_ext(i_, name); }
std::any Token::ext_value(const std::string& name) const {
  const std::any& def = ext_default(extensions().token, "Token", name);
  const std::map<std::string, std::any>& data = doc_->user_data_;
  auto it = data.find(token_key(name, idx()));
  if (it != data.end()) return it->second;
  if (const TokenGetter* getter = std::any_cast<TokenGetter>(&def)) return (*getter)(*this);
  return def;
}

// ----------------------------------------------------------------------------------- Span

Span::Span(Doc* doc, size_t start, size_t end, hash_t label)
    : doc_(doc), start_(start), end_(end), label_id_(label) {
  if (start > end || end > doc->size())
    throw ValueError("[E035] Span [" + std::to_string(start) + ", " + std::to_string(end) +
                     ") is out of range for a Doc of " + std::to_string(doc->size()) + " tokens");
}
size_t Span::start_char() const {
  const auto& toks = doc_->tokens();
  if (start_ < toks.size()) return toks[start_].idx_chars;
  return toks.empty() ? 0 : toks.back().idx_chars + toks.back().len_chars + toks.back().space;
}
size_t Span::end_char() const {
  if (end_ == start_) return start_char();
  const auto& t = doc_->tokens()[end_ - 1];
  return t.idx_chars + t.len_chars;
}
size_t Span::start_byte() const {
  const auto& toks = doc_->tokens();
  if (start_ < toks.size()) return toks[start_].idx_bytes;
  return doc_->text().size();
}
size_t Span::end_byte() const {
  if (end_ == start_) return start_byte();
  const auto& t = doc_->tokens()[end_ - 1];
  return t.idx_bytes + t.len_bytes;
}
std::string_view Span::text() const {
  return std::string_view(doc_->text()).substr(start_byte(), end_byte() - start_byte());
}
std::string Span::label_() const { return doc_->vocab().strings()[label_id_]; }
std::vector<float> Span::vector() const {
  const auto& hooks = doc_->user_span_hooks();
  if (hooks.vector) return hooks.vector(*this);
  return mean_token_vector(doc_, start_, end_);
}
bool Span::has_vector() const {
  const auto& hooks = doc_->user_span_hooks();
  if (hooks.has_vector) return hooks.has_vector(*this);
  if (!doc_->vocab().vectors().empty()) {
    for (size_t i = start_; i < end_; ++i)
      if (Token(doc_, i).has_vector()) return true;
    return false;
  }
  return !doc_->tensor().empty();
}
double Span::vector_norm() const { return norm_of(vector()); }
double Span::similarity(const Span& other) const {
  const auto& hooks = doc_->user_span_hooks();
  if (hooks.similarity) return hooks.similarity(*this, other);
  if (size() == other.size()) {
    bool same = true;
    for (size_t i = 0; i < size() && same; ++i) same = (*this)[i].orth() == other[i].orth();
    if (same) return 1.0;
  }
  return cosine(vector(), other.vector(), "Span");
}
std::any& Span::ext(const std::string& name) const {
  return doc_->span_ext(start_char(), end_char(), name);
}
bool Span::operator==(const Span& o) const {
  return doc_ == o.doc_ && start_ == o.start_ && end_ == o.end_ && label_id_ == o.label_id_;
}

// ------------------------------------------------------------------------------------ Doc

Doc::Doc(std::shared_ptr<Vocab> vocab, const std::vector<std::string>& words,
         const std::vector<bool>& spaces)
    : vocab_(std::move(vocab)) {
  if (!vocab_) throw ValueError("Doc needs a Vocab (got a null pointer)");
  if (!spaces.empty() && spaces.size() != words.size())
    throw ValueError("[E027] Arguments `words` and `spaces` should be sequences of the same "
                     "length, or `spaces` should be left empty.");
  tokens_.resize(words.size());
  size_t bytes = 0, chars = 0;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.empty())
      throw ValueError("[E031] Invalid token: empty string ('') at position " + std::to_string(i) +
                       ".");
    bool space = spaces.empty() ? (i + 1 < words.size()) : bool(spaces[i]);
    TokenData& t = tokens_[i];
    t.l_edge = t.r_edge = int32_t(i);
    t.orth = vocab_->get(w).orth;
    t.space = space;
    t.idx_bytes = bytes;
    t.len_bytes = w.size();
    t.idx_chars = chars;
    t.len_chars = count_chars(w);
    text_ += w;
    if (space) text_ += ' ';
    bytes += w.size() + (space ? 1 : 0);
    chars += t.len_chars + (space ? 1 : 0);
  }
  // spaCy sets the first token's sent_start to 1 (issue #2869).
  if (!tokens_.empty()) tokens_[0].sent_start = 1;
}

Doc::Doc(Doc&&) noexcept = default;
Doc& Doc::operator=(Doc&&) noexcept = default;

Doc Doc::copy() const {
  Doc d(vocab_, {});
  d.text_ = text_;
  d.tokens_ = tokens_;
  for (const auto& kv : cats_) d.cats_[kv.first] = kv.second;
  d.tensor_ = tensor_;
  d.doc_hooks_ = doc_hooks_;
  d.span_hooks_ = span_hooks_;
  d.token_hooks_ = token_hooks_;
  d.user_data_ = user_data_;
  d.spans_.groups_ = spans_.groups_;
  return d;
}

// ------------------------------------------------------------------------------- SpanGroups

SpanGroups& Doc::spans() {
  spans_.doc_ = this;
  return spans_;
}
const SpanGroups& Doc::spans() const { return const_cast<Doc*>(this)->spans(); }

const SpanGroup* SpanGroups::find(const std::string& key) const {
  for (const auto& kv : groups_)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

const SpanGroup& SpanGroups::group(const std::string& key) const {
  if (const SpanGroup* g = find(key)) return *g;
  throw ValueError("doc.spans has no span group '" + key + "'");
}

Json& SpanGroups::attrs(const std::string& key) { return const_cast<SpanGroup&>(group(key)).attrs; }

bool SpanGroups::contains(const std::string& key) const { return find(key) != nullptr; }

std::vector<std::string> SpanGroups::names() const {
  std::vector<std::string> out;
  for (const auto& kv : groups_) out.push_back(kv.first);
  return out;
}

bool SpanGroups::erase(const std::string& key) {
  for (auto it = groups_.begin(); it != groups_.end(); ++it)
    if (it->first == key) {
      groups_.erase(it);
      return true;
    }
  return false;
}

void SpanGroups::set_group(const std::string& key, SpanGroup group) {
  if (!group.attrs.is_object())
    throw ValueError("span group '" + key + "': attrs must be a JSON object");
  const size_t n = doc_->size();
  for (size_t i = 0; i < group.spans.size(); ++i) {
    const SpanGroupEntry& e = group.spans[i];
    if (e.start > e.end || e.end > n)
      throw ValueError("span group '" + key + "': span " + std::to_string(i) + " [" +
                       std::to_string(e.start) + ", " + std::to_string(e.end) +
                       ") is out of bounds for a Doc of " + std::to_string(n) + " tokens");
  }
  for (auto& kv : groups_)
    if (kv.first == key) {
      kv.second = std::move(group);
      return;
    }
  groups_.emplace_back(key, std::move(group));
}

void SpanGroups::set(const std::string& key, const std::vector<Span>& spans, Json attrs) {
  SpanGroup group;
  group.name = key;
  group.attrs = std::move(attrs);
  for (size_t i = 0; i < spans.size(); ++i) {
    if (&spans[i].doc() != doc_)
      throw ValueError("span group '" + key + "': span " + std::to_string(i) +
                       " belongs to another Doc");
    group.spans.push_back({spans[i].start(), spans[i].end(), spans[i].label(), 0, 0});
  }
  set_group(key, std::move(group));
}

std::vector<Span> SpanGroups::get(const std::string& key) const {
  std::vector<Span> out;
  for (const SpanGroupEntry& e : group(key).spans) out.emplace_back(doc_, e.start, e.end, e.label);
  return out;
}

Token Doc::operator[](size_t i) { return token(i); }
Token Doc::token(size_t i) const {
  if (i >= tokens_.size())
    throw ValueError("[E040] Token index " + std::to_string(i) + " out of range for a Doc of " +
                     std::to_string(tokens_.size()) + " tokens");
  return Token(const_cast<Doc*>(this), i);
}
Span Doc::span(size_t start, size_t end, std::string_view label) {
  return Span(this, start, end, vocab_->strings().add(label));
}
std::optional<Span> Doc::char_span(size_t start_char, size_t end_char, std::string_view label) {
  if (start_char >= end_char) return std::nullopt;
  std::optional<size_t> first, last;
  for (size_t i = 0; i < tokens_.size(); ++i) {
    if (tokens_[i].idx_chars == start_char) first = i;
    if (tokens_[i].idx_chars + tokens_[i].len_chars == end_char) last = i;
  }
  if (!first || !last || *last < *first) return std::nullopt;
  return Span(this, *first, *last + 1, vocab_->strings().add(label));
}

bool Doc::has_annotation(std::string_view attr, bool require_complete) const {
  enum { TAG, POS, MORPH, LEMMA, DEP, ENT_IOB, ENT_TYPE, SENT_START } a;
  if (attr == "TAG") a = TAG;
  else if (attr == "POS") a = POS;
  else if (attr == "MORPH") a = MORPH;
  else if (attr == "LEMMA") a = LEMMA;
  else if (attr == "DEP" || attr == "HEAD") a = DEP;  // HEAD has no unset state: use DEP
  else if (attr == "ENT_IOB") a = ENT_IOB;
  else if (attr == "ENT_TYPE") a = ENT_TYPE;
  else if (attr == "SENT_START" || attr == "IS_SENT_START" || attr == "IS_SENT_END") a = SENT_START;
  else
    throw ValueError("[E1037] Unknown attribute '" + std::string(attr) +
                     "' for Doc.has_annotation (expected TAG, POS, MORPH, LEMMA, DEP, HEAD, "
                     "ENT_IOB, ENT_TYPE or SENT_START)");
  if (tokens_.empty()) return true;
  size_t begin = 0;
  if (a == SENT_START) {
    // spaCy: a parsed Doc has sentence boundaries (set from the parse).
    if (has_annotation("DEP")) return true;
    if (tokens_.size() == 1) return true;
    begin = 1;
  }
  auto value = [&](const TokenData& t) -> bool {
    switch (a) {
      case TAG: return t.tag != 0;
      case POS: return t.pos != 0;
      case MORPH: return t.morph != 0;
      case LEMMA: return t.lemma != 0;
      case DEP: return t.dep != 0;
      case ENT_IOB: return t.ent_iob != 0;
      case ENT_TYPE: return t.ent_type != 0;
      case SENT_START: return t.sent_start != 0;
    }
    return false;
  };
  for (size_t i = begin; i < tokens_.size(); ++i) {
    bool v = value(tokens_[i]);
    if (require_complete && !v) return false;
    if (!require_complete && v) return true;
  }
  return require_complete;
}

std::vector<Span> Doc::ents() {
  std::vector<Span> out;
  long start = -1;
  hash_t label = 0;
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const TokenData& t = tokens_[i];
    if (t.ent_iob == 1) {
      if (start == -1) {
        std::string seq;
        for (size_t k = i >= 5 ? i - 5 : 0; k < std::min(tokens_.size(), i + 5); ++k) {
          Token tok(this, k);
          if (!seq.empty()) seq += ' ';
          seq += std::string(tok.text()) + "|" + tok.ent_iob_();
        }
        throw ValueError("[E093] token.ent_iob values make invalid sequence: I without B\n" + seq);
      }
    } else if (t.ent_iob == 2 || t.ent_iob == 0 || (t.ent_iob == 3 && t.ent_type == 0)) {
      if (start != -1) out.emplace_back(this, size_t(start), i, label);
      start = -1;
      label = 0;
    } else if (t.ent_iob == 3) {
      if (start != -1) out.emplace_back(this, size_t(start), i, label);
      start = long(i);
      label = t.ent_type;
    }
  }
  if (start != -1) out.emplace_back(this, size_t(start), tokens_.size(), label);
  std::vector<Span> kept;
  for (auto& s : out)
    if (s.label() != 0) kept.push_back(s);
  return kept;
}

void Doc::set_ents(const std::vector<Span>& ents) {
  set_ents(ents, {}, {}, {}, EntsDefault::Outside);
}

void Doc::set_ents(const std::vector<Span>& ents_in, const std::vector<Span>& blocked,
                   const std::vector<Span>& missing, const std::vector<Span>& outside,
                   EntsDefault default_) {
  std::vector<Span> ents;
  for (const auto& e : ents_in)
    if (e.label() != 0) ents.push_back(e);
  std::vector<char> seen(tokens_.size(), 0);
  const std::vector<Span>* groups[] = {&ents, &blocked, &missing, &outside};
  for (const std::vector<Span>* group : groups) {
    for (const auto& span : *group) {
      if (&span.doc() != this)
        throw ValueError("[E1012] Entity spans must be Span objects of this Doc");
      for (size_t i = span.start(); i < span.end(); ++i) {
        if (seen[i])
          throw ValueError("[E1010] Unable to set entity information for token " +
                           std::to_string(i) +
                           " which is included in more than one span in entities, blocked, "
                           "missing or outside.");
        seen[i] = 1;
      }
    }
  }
  for (const auto& span : ents) {
    for (size_t i = span.start(); i < span.end(); ++i) {
      tokens_[i].ent_iob = i == span.start() ? 3 : 1;
      tokens_[i].ent_type = span.label();
    }
  }
  auto fill = [&](const std::vector<Span>& spans, uint8_t iob) {
    for (const auto& span : spans)
      for (size_t i = span.start(); i < span.end(); ++i) {
        tokens_[i].ent_iob = iob;
        tokens_[i].ent_type = 0;
      }
  };
  fill(blocked, 3);
  fill(missing, 0);
  fill(outside, 2);
  if (default_ != EntsDefault::Unmodified) {
    for (size_t i = 0; i < tokens_.size(); ++i) {
      if (seen[i]) continue;
      tokens_[i].ent_type = 0;
      if (default_ == EntsDefault::Outside) tokens_[i].ent_iob = 2;
      else if (default_ == EntsDefault::Missing) tokens_[i].ent_iob = 0;
      else tokens_[i].ent_iob = 3;
    }
  }
  // Repair sequences that became inconsistent, as spaCy does.
  for (size_t i = 0; i + 1 < tokens_.size(); ++i) {
    TokenData& a = tokens_[i];
    TokenData& b = tokens_[i + 1];
    if ((a.ent_iob == 0 || a.ent_iob == 2) && b.ent_iob == 1) b.ent_iob = 3;
    if (a.ent_type != b.ent_type && (a.ent_iob == 3 || a.ent_iob == 1) && b.ent_iob == 1)
      b.ent_iob = 3;
  }
}

bool Doc::has_sents() const { return has_annotation("SENT_START"); }

std::vector<Span> Doc::sents() {
  if (!has_sents())
    throw ValueError("[E030] Sentence boundaries unset. You can add the 'sentencizer' component "
                     "to the pipeline with: `nlp.add_pipe('sentencizer')`. Alternatively, add the "
                     "dependency parser or sentence recognizer, or set sentence boundaries by "
                     "setting `doc[i].is_sent_start`.");
  std::vector<Span> out;
  size_t start = 0;
  for (size_t i = 1; i < tokens_.size(); ++i) {
    if (tokens_[i].sent_start == 1) {
      out.emplace_back(this, start, i);
      start = i;
    }
  }
  if (start != tokens_.size()) out.emplace_back(this, start, tokens_.size());
  return out;
}

std::vector<float> Doc::vector() const {
  if (doc_hooks_.vector) return doc_hooks_.vector(*this);
  const Vectors& table = vocab_->vectors();
  if (tokens_.empty() || (table.empty() && tensor_.empty()))
    return std::vector<float>(size_t(table.cols()), 0.f);
  if (!table.empty()) return mean_token_vector(const_cast<Doc*>(this), 0, tokens_.size());
  std::vector<double> acc(size_t(tensor_.cols), 0.0);
  for (int64_t r = 0; r < tensor_.rows; ++r)
    for (int64_t c = 0; c < tensor_.cols; ++c) acc[size_t(c)] += tensor_.row(r)[c];
  std::vector<float> out(acc.size());
  for (size_t c = 0; c < acc.size(); ++c) out[c] = float(acc[c] / double(tensor_.rows));
  return out;
}
bool Doc::has_vector() const {
  if (doc_hooks_.has_vector) return doc_hooks_.has_vector(*this);
  if (!vocab_->vectors().empty()) {
    for (size_t i = 0; i < tokens_.size(); ++i)
      if (token(i).has_vector()) return true;
    return false;
  }
  return !tensor_.empty();
}
double Doc::vector_norm() const { return norm_of(vector()); }
double Doc::similarity(const Doc& other) const {
  if (doc_hooks_.similarity) return doc_hooks_.similarity(*this, other);
  if (size() == other.size()) {
    bool same = true;
    for (size_t i = 0; i < size() && same; ++i) same = tokens_[i].orth == other.tokens_[i].orth;
    if (same) return 1.0;
  }
  return cosine(vector(), other.vector(), "Doc");
}

// ----------------------------------------------------------------------------- extensions

void Doc::set_extension(const std::string& name, std::any default_value, bool force) {
  register_ext(extensions().doc, "Doc", name, std::move(default_value), force);
}
void Doc::set_token_extension(const std::string& name, std::any default_value, bool force) {
  register_ext(extensions().token, "Token", name, std::move(default_value), force);
}
void Doc::set_span_extension(const std::string& name, std::any default_value, bool force) {
  register_ext(extensions().span, "Span", name, std::move(default_value), force);
}
bool Doc::has_extension(const std::string& name) {
  std::lock_guard<std::mutex> lock(extensions().mutex);
  return extensions().doc.count(name) > 0;
}
bool Doc::has_token_extension(const std::string& name) {
  std::lock_guard<std::mutex> lock(extensions().mutex);
  return extensions().token.count(name) > 0;
}
bool Doc::has_token_getter(const std::string& name) {
  std::lock_guard<std::mutex> lock(extensions().mutex);
  auto it = extensions().token.find(name);
  return it != extensions().token.end() && std::any_cast<TokenGetter>(&it->second) != nullptr;
}
bool Doc::has_span_extension(const std::string& name) {
  std::lock_guard<std::mutex> lock(extensions().mutex);
  return extensions().span.count(name) > 0;
}
void Doc::remove_extension(const std::string& name) {
  std::lock_guard<std::mutex> lock(extensions().mutex);
  if (!extensions().doc.erase(name))
    throw ValueError("[E046] Can't remove unregistered extension attribute '" + name +
                     "' on Doc.");
}

std::any& Doc::ext(const std::string& name) {
  const std::any& def = ext_default(extensions().doc, "Doc", name);
  auto key = doc_key(name);
  auto it = user_data_.find(key);
  if (it == user_data_.end()) it = user_data_.emplace(key, def).first;
  return it->second;
}
const std::any& Doc::get_ext(const std::string& name) const {
  const std::any& def = ext_default(extensions().doc, "Doc", name);
  auto it = user_data_.find(doc_key(name));
  return it == user_data_.end() ? def : it->second;
}
void Doc::set_ext(const std::string& name, std::any value) {
  ext_default(extensions().doc, "Doc", name);
  user_data_[doc_key(name)] = std::move(value);
}
bool Doc::has_ext_value(const std::string& name) const {
  return user_data_.count(doc_key(name)) > 0;
}
void Doc::unset_ext(const std::string& name) { user_data_.erase(doc_key(name)); }
std::any& Doc::token_ext(size_t i, const std::string& name) {
  const std::any& def = ext_default(extensions().token, "Token", name);
  auto key = token_key(name, token(i).idx());
  auto it = user_data_.find(key);
  if (it == user_data_.end()) it = user_data_.emplace(key, def).first;
  return it->second;
}
std::any& Doc::span_ext(size_t start_char, size_t end_char, const std::string& name) {
  const std::any& def = ext_default(extensions().span, "Span", name);
  auto key = span_key(name, start_char, end_char);
  auto it = user_data_.find(key);
  if (it == user_data_.end()) it = user_data_.emplace(key, def).first;
  return it->second;
}

// -------------------------------------------------------------------------------- to_json

Json Doc::to_json() const { return to_json(std::vector<std::string>{}); }

Json Doc::to_json(const std::vector<std::string>& underscore) const {
  Doc& self = const_cast<Doc&>(*this);
  Json data = Json::object();
  data["text"] = text_;
  if (has_annotation("ENT_IOB")) {
    Json ents = Json::array();
    for (const auto& e : self.ents())
      ents.push_back({{"start", e.start_char()}, {"end", e.end_char()}, {"label", e.label_()}});
    data["ents"] = ents;
  }
  if (has_annotation("SENT_START")) {
    Json sents = Json::array();
    for (const auto& s : self.sents())
      sents.push_back({{"start", s.start_char()}, {"end", s.end_char()}});
    data["sents"] = sents;
  }
  if (!cats_.empty()) {
    Json cats = Json::object();
    for (const auto& [label, score] : cats_) cats[label] = score;
    data["cats"] = cats;
  }
  bool tag = has_annotation("TAG"), pos = has_annotation("POS"), morph = has_annotation("MORPH"),
       lemma = has_annotation("LEMMA"), dep = has_annotation("DEP");
  Json tokens = Json::array();
  for (size_t i = 0; i < tokens_.size(); ++i) {
    Token t(&self, i);
    Json tj = Json::object();
    tj["id"] = i;
    tj["start"] = t.idx();
    tj["end"] = t.idx() + t.length();
    if (tag) tj["tag"] = t.tag_();
    if (pos) tj["pos"] = t.pos_();
    if (morph) tj["morph"] = t.morph_();
    if (lemma) tj["lemma"] = t.lemma_();
    if (dep) {
      tj["dep"] = t.dep_();
      tj["head"] = t.has_head() ? int64_t(i) + tokens_[i].head : int64_t(i);  // token.head.i
    }
    tokens.push_back(std::move(tj));
  }
  data["tokens"] = std::move(tokens);
  if (!spans_.empty()) {
    const StringStore& ss = vocab_->strings();
    auto str = [&](hash_t h) { return h == 0 || !ss.contains(h) ? std::string() : ss[h]; };
    Json spans = Json::object();
    for (const auto& [key, group] : spans_.groups_) {
      Json list = Json::array();
      for (const SpanGroupEntry& e : group.spans) {
        Span span(&self, e.start, e.end, e.label);
        list.push_back({{"start", span.start_char()}, {"end", span.end_char()},
                        {"label", str(e.label)}, {"kb_id", str(e.kb_id)}});
      }
      spans[key] = std::move(list);
    }
    data["spans"] = std::move(spans);
  }
  if (!underscore.empty()) {
    std::set<std::string> wanted(underscore.begin(), underscore.end());
    for (const auto& attr : underscore) {
      if (!has_extension(attr)) continue;
      if (!data.contains("_")) data["_"] = Json::object();
      data["_"][attr] = any_to_json(get_ext(attr), attr);
    }
    for (const auto& [key, value] : user_data_) {
      // key = "._." 0x1f name [0x1f start [0x1f end]]
      std::vector<std::string> parts;
      std::string cur;
      for (char c : key) {
        if (c == '\x1f') {
          parts.push_back(cur);
          cur.clear();
        } else {
          cur += c;
        }
      }
      parts.push_back(cur);
      if (parts.size() < 3 || !wanted.count(parts[1])) continue;
      const std::string& attr = parts[1];
      if (parts.size() == 3) {
        if (!data.contains("underscore_token")) data["underscore_token"] = Json::object();
        Json& list = data["underscore_token"][attr];
        if (list.is_null()) list = Json::array();
        list.push_back({{"start", std::stoull(parts[2])}, {"value", any_to_json(value, attr)}});
      } else {
        if (!data.contains("underscore_span")) data["underscore_span"] = Json::object();
        Json& list = data["underscore_span"][attr];
        if (list.is_null()) list = Json::array();
        list.push_back({{"start", std::stoull(parts[2])},
                        {"end", std::stoull(parts[3])},
                        {"value", any_to_json(value, attr)}});
      }
    }
  }
  return data;
}

}  // namespace trfpipe
