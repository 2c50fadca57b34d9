// Doc, Token and Span with spaCy's semantics. A Doc owns its text and token data; Token and Span
// are light views into a Doc (valid while the Doc lives and is not moved).
//
// Offsets: Token::idx() is in characters (Unicode code points) as in spaCy; idx_bytes() is the
// UTF-8 byte offset into Doc::text(). doc.tensor is a trfpipe::Matrix (an owned row-major float
// matrix), so this header and the pipeline area stay free of LibTorch.
#pragma once
#include <any>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "trfpipe/morphology.hpp"
#include "trfpipe/strings.hpp"
#include "trfpipe/vocab.hpp"

namespace trfpipe {

using Json = nlohmann::ordered_json;
class Doc;
class Span;
class Token;

// A token extension registered with a TokenGetter as its default is computed, not stored
// (spaCy's Token.set_extension(name, getter=...)): Token::ext_value() calls it.
using TokenGetter = std::function<std::any(const Token&)>;

// Owned row-major float matrix: doc.tensor (one row per token), vectors.
struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<float> data;
  Matrix() = default;
  Matrix(int64_t r, int64_t c, float fill = 0.f) : rows(r), cols(c), data(size_t(r * c), fill) {}
  float* row(int64_t i) { return data.data() + i * cols; }
  const float* row(int64_t i) const { return data.data() + i * cols; }
  bool empty() const { return rows == 0 || cols == 0; }
};

// Per-token annotation storage (string fields are StringStore IDs; 0 = unset).
struct TokenData {
  hash_t orth = 0, norm = 0, lemma = 0, tag = 0, pos = 0, dep = 0, morph = 0;
  hash_t ent_type = 0, ent_kb_id = 0, ent_id = 0;
  int32_t head = 0;        // head.i - i
  // The parse's navigation data (spaCy's TokenC l_kids, r_kids, l_edge, r_edge), derived from
  // the heads by Doc::set_children_from_heads: counts of left/right children and the absolute
  // indices of the leftmost/rightmost token of the subtree.
  uint32_t l_kids = 0, r_kids = 0;
  int32_t l_edge = 0, r_edge = 0;
  uint8_t ent_iob = 0;     // 0 = unset "", 1 = "I", 2 = "O", 3 = "B"
  int8_t sent_start = 0;   // 1 = starts a sentence, -1 = does not, 0 = unknown
  bool space = false;      // followed by one space
  size_t idx_bytes = 0, len_bytes = 0;
  size_t idx_chars = 0, len_chars = 0;
};

class Token {
 public:
  Token(Doc* doc, size_t i) : doc_(doc), i_(i) {}
  Doc& doc() const { return *doc_; }
  size_t i() const { return i_; }
  std::string_view text() const;
  std::string text_with_ws() const;
  std::string whitespace_() const;
  size_t idx() const;         // characters (code points), as spaCy
  size_t idx_bytes() const;
  size_t length() const;      // characters
  const Lexeme& lex() const;
  hash_t orth() const;
  std::string lower_() const; std::string norm_() const; std::string shape_() const;
  std::string prefix_() const; std::string suffix_() const;
  hash_t lower() const; hash_t norm() const; hash_t shape() const; hash_t prefix() const;
  hash_t suffix() const;
  bool is_alpha() const; bool is_ascii() const; bool is_digit() const; bool is_lower() const;
  bool is_upper() const; bool is_title() const; bool is_punct() const; bool is_space() const;
  bool is_bracket() const; bool is_quote() const; bool is_left_punct() const;
  bool is_right_punct() const; bool is_currency() const; bool like_url() const;
  bool like_num() const; bool like_email() const; bool is_stop() const;
  // Annotations (string getters return "" when unset; setters add to the StringStore).
  std::string tag_() const; void set_tag(std::string_view);
  std::string pos_() const; void set_pos(std::string_view);
  std::string lemma_() const; void set_lemma(std::string_view);
  std::string dep_() const; void set_dep(std::string_view);
  std::string morph_() const; void set_morph(std::string_view);
  // spaCy's token.morph (key 0 = unset), set_morph(dict / MorphAnalysis / None), has_morph().
  MorphAnalysis morph() const;
  void set_morph(const FeatsDict& feats);
  void set_morph(const MorphAnalysis& morph);
  void clear_morph();  // set_morph(None)
  bool has_morph() const { return data().morph != 0; }
  std::string ent_iob_() const;   // "", "I", "O", "B"
  std::string ent_type_() const;
  int ent_iob() const;
  // The syntactic head (itself for a root or an unset head). Unlike spaCy, a head set without a
  // dep label is returned as set (spaCy returns the token itself when dep_ is unset).
  Token head() const;
  // spaCy's head setter: head.i, then the navigation data and sentence starts of the affected
  // trees are recomputed (ValueError when out of range).
  void set_head(size_t head_i);
  void set_head(const Token& head);  // ValueError (spaCy's E191) for a token of another Doc
  bool has_head() const;  // spaCy: the dep label is set (a missing dep means a missing head)
  bool has_dep() const;
  // Tree navigation (spaCy's Token API). All need the navigation data, which the parser, the
  // readers and set_head keep up to date.
  std::vector<Token> lefts() const;     // left children, left to right
  std::vector<Token> rights() const;    // right children, left to right
  std::vector<Token> children() const;  // lefts then rights
  std::vector<Token> subtree() const;   // the token and its descendants, in order
  std::vector<Token> ancestors() const; // head, head's head, ... up to the root
  bool is_ancestor(const Token& descendant) const;
  Token left_edge() const;
  Token right_edge() const;
  size_t n_lefts() const;
  size_t n_rights() const;
  // spaCy's conjuncts: tokens coordinated with this one ("conj" chains), without itself.
  std::vector<Token> conjuncts() const;
  Span sent() const;  // the sentence containing the token (ValueError E030 without boundaries)
  std::optional<bool> is_sent_start() const;
  void set_is_sent_start(std::optional<bool> v);
  TokenData& data() const;
  // spaCy's Token.vector: the user hook, else doc.tensor's row when the vocab has no vectors
  // (empty without a tensor), else the vocab's vector of the word (zeros when it has none).
  std::vector<float> vector() const;
  bool has_vector() const;
  double similarity(const Token& other) const;
  // Typed extension attributes (token._.name); see Doc::set_token_extension.
  std::any& ext(const std::string& name) const;
  template <class T> T& ext_as(const std::string& name) const { return std::any_cast<T&>(ext(name)); }
  // The value of token._.name for reading (spaCy's token._.get): the value set on this token,
  // else the getter's result (TokenGetter default), else the default. Stores nothing.
  std::any ext_value(const std::string& name) const;
  std::optional<bool> is_sent_end() const;
  double vector_norm() const;

 private:
  Doc* doc_;
  size_t i_;
};

class Span {
 public:
  Span(Doc* doc, size_t start, size_t end, hash_t label = 0);
  Doc& doc() const { return *doc_; }
  size_t start() const { return start_; }
  size_t end() const { return end_; }
  size_t size() const { return end_ - start_; }
  Token operator[](size_t i) const { return Token(doc_, start_ + i); }
  size_t start_char() const;  // characters, as spaCy
  size_t end_char() const;
  size_t start_byte() const;
  size_t end_byte() const;
  std::string_view text() const;
  hash_t label() const { return label_id_; }
  std::string label_() const;
  std::vector<float> vector() const;   // mean of token vectors, or the user hook
  bool has_vector() const;
  double vector_norm() const;
  double similarity(const Span& other) const;
  std::any& ext(const std::string& name) const;
  bool operator==(const Span& o) const;
  // spaCy's Span.root: a token of the span whose head is itself, else the token with the
  // shortest path to the root among those whose head lies outside the span; the first token
  // when none qualifies.
  Token root() const;
  // The sentence containing the span's start (spaCy's Span.sent); ValueError E030 without
  // sentence boundaries.
  Span sent() const;
  // The language's noun_chunks syntax iterator over this span (spaCy's Span.noun_chunks).
  std::vector<Span> noun_chunks() const;

 private:
  Doc* doc_;
  size_t start_, end_;
  hash_t label_id_;
};

// One span of a span group, as plain data (spaCy's SpanC without the cached char offsets):
// tokens [start, end) of the owning Doc, and StringStore IDs (0 = unset).
struct SpanGroupEntry {
  size_t start = 0, end = 0;
  hash_t label = 0, kb_id = 0, id = 0;
  bool operator==(const SpanGroupEntry& o) const {
    return start == o.start && end == o.end && label == o.label && kb_id == o.kb_id && id == o.id;
  }
};

// spaCy's SpanGroup: an ordered list of spans (they may overlap), a name (the key it was first
// set under; DocBin keeps it) and a JSON dict of attributes.
struct SpanGroup {
  std::string name;
  Json attrs = Json::object();
  std::vector<SpanGroupEntry> spans;
};

// spaCy's doc.spans: group key -> SpanGroup, in insertion order (setting an existing key replaces
// the group in place). Reached through Doc::spans(); the Span views it hands out point into
// that Doc.
class SpanGroups {
 public:
  // The spans must be views into this Doc; the group's name is the key.
  void set(const std::string& key, const std::vector<Span>& spans, Json attrs = Json::object());
  // Raw form (kb_id / id kept): every span must lie within the Doc, else a ValueError naming
  // the group and the span's index.
  void set_group(const std::string& key, SpanGroup group);
  std::vector<Span> get(const std::string& key) const;  // ValueError when absent
  const SpanGroup& group(const std::string& key) const;  // ValueError when absent
  Json& attrs(const std::string& key);                   // ValueError when absent
  bool contains(const std::string& key) const;
  bool erase(const std::string& key);  // false when absent
  std::vector<std::string> names() const;
  size_t size() const { return groups_.size(); }
  bool empty() const { return groups_.empty(); }
  void clear() { groups_.clear(); }

 private:
  friend class Doc;
  const SpanGroup* find(const std::string& key) const;
  Doc* doc_ = nullptr;  // refreshed by every Doc::spans() call, so moves of the Doc are safe
  std::vector<std::pair<std::string, SpanGroup>> groups_;
};

// User hooks (spaCy's doc.user_hooks / user_span_hooks / user_token_hooks) for vector and
// similarity; empty functions fall back to the defaults (tensor-based, cosine).
struct DocHooks {
  std::function<std::vector<float>(const Doc&)> vector;
  std::function<double(const Doc&, const Doc&)> similarity;
  std::function<bool(const Doc&)> has_vector;
};
struct SpanHooks {
  std::function<std::vector<float>(const Span&)> vector;
  std::function<double(const Span&, const Span&)> similarity;
  std::function<bool(const Span&)> has_vector;
};
struct TokenHooks {
  std::function<std::vector<float>(const Token&)> vector;
  std::function<double(const Token&, const Token&)> similarity;
  std::function<bool(const Token&)> has_vector;
};

class Doc {
 public:
  // Words must be non-empty strings; spaces[i] = words[i] is followed by one space (default all
  // true but the last). The text is the words joined accordingly.
  Doc(std::shared_ptr<Vocab> vocab, const std::vector<std::string>& words,
      const std::vector<bool>& spaces = {});
  Doc(Doc&&) noexcept;
  Doc& operator=(Doc&&) noexcept;
  Doc(const Doc&) = delete;  // use copy() (Token/Span views point into the Doc)
  Doc copy() const;

  Vocab& vocab() const { return *vocab_; }
  std::shared_ptr<Vocab> vocab_ptr() const { return vocab_; }
  const std::string& text() const { return text_; }
  size_t size() const { return tokens_.size(); }
  Token operator[](size_t i);
  Token token(size_t i) const;  // a view, bounds-checked (ValueError)
  Span span(size_t start, size_t end, std::string_view label = "");  // doc[start:end]
  // spaCy's char_span: the span covering characters [start, end) or nullopt if not aligned.
  std::optional<Span> char_span(size_t start_char, size_t end_char, std::string_view label = "");
  std::vector<TokenData>& tokens() { return tokens_; }
  const std::vector<TokenData>& tokens() const { return tokens_; }

  // Named entities (from ent_iob/ent_type). set_ents: overlapping spans are a ValueError;
  // tokens outside the given spans become "O" unless `missing` lists them as unknown.
  std::vector<Span> ents();
  void set_ents(const std::vector<Span>& ents);
  // The full form: spans for blocked / missing / outside tokens, and what happens to tokens in
  // none of the lists (spaCy's SetEntsDefault: outside "O", missing "", blocked "B" without
  // type, or unmodified). Spans without a label in `ents` are ignored, as spaCy does.
  enum class EntsDefault { Outside, Missing, Blocked, Unmodified };
  void set_ents(const std::vector<Span>& ents, const std::vector<Span>& blocked,
                const std::vector<Span>& missing, const std::vector<Span>& outside,
                EntsDefault default_ = EntsDefault::Outside);
  // spaCy's Doc.has_annotation(attr): "TAG", "POS", "MORPH", "LEMMA", "DEP", "HEAD", "ENT_IOB",
  // "ENT_TYPE", "SENT_START" / "IS_SENT_START" (any token set; an empty Doc is annotated).
  // Unknown attribute names are a ValueError.
  bool has_annotation(std::string_view attr, bool require_complete = false) const;
  // spaCy's doc.spans (span groups).
  SpanGroups& spans();
  const SpanGroups& spans() const;
  // Sentences; ValueError (spaCy's E030) when no boundaries are set.
  std::vector<Span> sents();
  bool has_sents() const;
  // Base noun phrases from the dependency parse, through the syntax iterator of the vocab's
  // language (pipeline/lang/: English has spaCy's). ValueError E029 without a parse,
  // ValueError E894 for a language without one.
  std::vector<Span> noun_chunks();
  // spaCy's Doc(words, heads=..., deps=...): absolute head indices (nullopt: missing, stored as
  // the token itself) and dep labels ("": missing; a token without a dep label has no head for
  // has_head()). Then set_children_from_heads(). ValueError on a size mismatch or an
  // out-of-range head.
  void set_parse(const std::vector<std::optional<size_t>>& heads,
                 const std::vector<std::string>& deps);
  // spaCy's set_children_from_heads over tokens [start, end) (default: all): left/right child
  // counts and subtree edges (iterated for non-projective trees), then sentence starts: -1
  // everywhere, 1 at the left edge of every token that is its own head and has a dep label.
  // Call it after writing TokenData::head directly.
  void set_children_from_heads(size_t start = 0, size_t end = size_t(-1));

  // doc.cats: label -> score, in insertion order.
  nlohmann::ordered_map<std::string, double>& cats() { return cats_; }
  const nlohmann::ordered_map<std::string, double>& cats() const { return cats_; }

  // doc.tensor: one row per token (empty until a component sets it).
  Matrix& tensor() { return tensor_; }
  const Matrix& tensor() const { return tensor_; }

  // spaCy's Doc.vector: the hook, else the mean of the token vectors when the vocab has vectors,
  // else the tensor's mean, else zeros.
  std::vector<float> vector() const;
  bool has_vector() const;
  double vector_norm() const;
  double similarity(const Doc& other) const;
  DocHooks& user_hooks() { return doc_hooks_; }
  SpanHooks& user_span_hooks() { return span_hooks_; }
  TokenHooks& user_token_hooks() { return token_hooks_; }
  const DocHooks& user_hooks() const { return doc_hooks_; }
  const SpanHooks& user_span_hooks() const { return span_hooks_; }
  const TokenHooks& user_token_hooks() const { return token_hooks_; }

  // Typed extension attributes (doc._.name), registered once per process with a default, like
  // Doc.set_extension("trf_data", default=None). Reading an unset value gives the default;
  // an unregistered name is a ValueError. `force` replaces an existing registration.
  static void set_extension(const std::string& name, std::any default_value, bool force = false);
  static void set_token_extension(const std::string& name, std::any default_value,
                                  bool force = false);
  static void set_span_extension(const std::string& name, std::any default_value,
                                 bool force = false);
  static bool has_extension(const std::string& name);
  static bool has_token_extension(const std::string& name);
  static bool has_span_extension(const std::string& name);
  // Whether token extension `name` is registered with a TokenGetter (computed, not writable).
  static bool has_token_getter(const std::string& name);
  static void remove_extension(const std::string& name);  // ValueError when not registered
  // Mutable access: an unset value is first set to a copy of the default.
  std::any& ext(const std::string& name);
  // Read-only access: the value set on this Doc, else the registered default (not stored).
  const std::any& get_ext(const std::string& name) const;
  void set_ext(const std::string& name, std::any value);
  template <class T> T& ext_as(const std::string& name) { return std::any_cast<T&>(ext(name)); }
  bool has_ext_value(const std::string& name) const;  // set on this Doc (not just default)
  // Forgets the value set on this Doc (doc._.name reads the default again); no-op when unset.
  void unset_ext(const std::string& name);
  std::any& token_ext(size_t i, const std::string& name);
  std::any& span_ext(size_t start_char, size_t end_char, const std::string& name);

  // spaCy's Doc.to_json(): text, ents, sents, cats, tokens [{id, start, end, tag, pos, morph,
  // lemma, dep, head}] with start/end in characters, spans {key: [{start, end, label, kb_id}]}
  // (characters); only annotations that are set.
  Json to_json() const;
  // With `underscore`: also the named doc._ values under "_" and the stored token/span values
  // under "underscore_token" / "underscore_span" (values must be JSON, string, bool or numbers;
  // others are a ValueError like spaCy's E107).
  Json to_json(const std::vector<std::string>& underscore) const;

 private:
  friend class Token;  // Token::ext_value reads user_data_ without storing a default
  std::shared_ptr<Vocab> vocab_;
  std::string text_;
  std::vector<TokenData> tokens_;
  nlohmann::ordered_map<std::string, double> cats_;
  Matrix tensor_;
  DocHooks doc_hooks_;
  SpanHooks span_hooks_;
  TokenHooks token_hooks_;
  std::map<std::string, std::any> user_data_;
  SpanGroups spans_;
};

}  // namespace trfpipe
