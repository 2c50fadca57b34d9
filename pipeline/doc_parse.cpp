// The dependency-parse side of Doc, Token and Span (spaCy's spacy/tokens/{doc,token,span}.pyx):
// heads and the navigation data derived from them (set_children_from_heads), tree navigation,
// Span.root / Span.sent, noun_chunks through the language's syntax iterator.
#include <algorithm>

#include "pipeline/syntax_iterators.hpp"
#include "trfpipe/doc.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe {

namespace {

// One pass of spaCy's _set_lr_kids_and_edges over [start, end); true when every head lies
// within the sentence its token falls in (the edges are then final).
bool set_lr_kids_and_edges(std::vector<TokenData>& t, int64_t start, int64_t end, int loop) {
  for (int64_t i = start; i < end; ++i) {
    TokenData& child = t[size_t(i)];
    TokenData& head = t[size_t(i + child.head)];
    if (loop == 0 && child.head > 0) ++head.l_kids;
    head.l_edge = std::min(head.l_edge, child.l_edge);
    head.r_edge = std::max(head.r_edge, child.r_edge);
  }
  for (int64_t i = end - 1; i >= start; --i) {
    TokenData& child = t[size_t(i)];
    TokenData& head = t[size_t(i + child.head)];
    if (loop == 0 && child.head < 0) ++head.r_kids;
    head.r_edge = std::max(head.r_edge, child.r_edge);
    head.l_edge = std::min(head.l_edge, child.l_edge);
  }
  std::vector<bool> sent_start(t.size(), false);
  for (int64_t i = start; i < end; ++i)
    if (t[size_t(i)].head == 0) sent_start[size_t(t[size_t(i)].l_edge)] = true;
  int64_t cur_start = 0;
  for (int64_t i = start; i < end; ++i) {
    if ((i > 0 && sent_start[size_t(i)]) || i == end - 1) {
      const int64_t cur_end = i;
      for (int64_t j = cur_start; j < cur_end; ++j) {
        const int64_t h = t[size_t(j)].head + j;
        if (h < cur_start || h >= cur_end + 1) return false;
      }
      cur_start = i;
    }
  }
  return true;
}

// spaCy's _count_words_to_root: childless punctuation and spaces count as far as possible (they
// are never preferred as a root). Where spaCy raises E039 on a head cycle or a head outside the
// Doc, the walk stops and counts the token as far as possible too: a corrupt parse must not stop
// retokenizing or reading past the tokens.
size_t words_to_root(Doc* doc, size_t i) {
  const auto& t = doc->tokens();
  const size_t far = doc->size() - 1;
  const Token tok(doc, i);
  if ((tok.is_space() || tok.is_punct()) && t[i].l_kids == 0 && t[i].r_kids == 0) return far;
  size_t n = 0;
  int64_t k = int64_t(i);
  while (t[size_t(k)].head != 0) {
    k += t[size_t(k)].head;
    if (k < 0 || size_t(k) >= t.size() || ++n >= t.size()) return far;
  }
  return n;
}

}  // namespace

void Doc::set_children_from_heads(size_t start, size_t end) {
  end = std::min(end, tokens_.size());
  if (start >= end) return;
  for (size_t i = start; i < end; ++i) {
    const int64_t h = int64_t(i) + tokens_[i].head;
    if (h < 0 || h >= int64_t(tokens_.size()))
      throw ValueError("Token " + std::to_string(i) + " has a head (" + std::to_string(h) +
                       ") outside the Doc of " + std::to_string(tokens_.size()) + " tokens");
  }
  for (size_t i = start; i < end; ++i) {
    TokenData& t = tokens_[i];
    t.l_kids = t.r_kids = 0;
    t.l_edge = t.r_edge = int32_t(i);
  }
  // Non-projective trees need repeated passes (spaCy's issues #3170, #4688); at most 12.
  for (int loop = 0; !set_lr_kids_and_edges(tokens_, int64_t(start), int64_t(end), loop); ++loop)
    if (loop > 10) break;
  for (size_t i = start; i < end; ++i) tokens_[i].sent_start = -1;
  for (size_t i = start; i < end; ++i)
    if (tokens_[i].head == 0 && tokens_[i].dep != 0)
      tokens_[size_t(tokens_[i].l_edge)].sent_start = 1;
}

void Doc::set_parse(const std::vector<std::optional<size_t>>& heads,
                    const std::vector<std::string>& deps) {
  if (heads.size() != tokens_.size() || deps.size() != tokens_.size())
    throw ValueError("[E1017] set_parse needs one head and one dep per token (" +
                     std::to_string(tokens_.size()) + " tokens, " + std::to_string(heads.size()) +
                     " heads, " + std::to_string(deps.size()) + " deps)");
  for (size_t i = 0; i < heads.size(); ++i)
    if (heads[i] && *heads[i] >= tokens_.size())
      throw ValueError("[E1017] head " + std::to_string(*heads[i]) + " of token " +
                       std::to_string(i) + " is outside the Doc of " +
                       std::to_string(tokens_.size()) + " tokens");
  StringStore& ss = vocab_->strings();
  for (size_t i = 0; i < heads.size(); ++i) {
    tokens_[i].head = heads[i] ? int32_t(int64_t(*heads[i]) - int64_t(i)) : 0;
    tokens_[i].dep = deps[i].empty() ? 0 : ss.add(deps[i]);
  }
  set_children_from_heads();
}

std::vector<Span> Doc::noun_chunks() {
  const SyntaxIterator* it = find_syntax_iterator(vocab_->lang(), "noun_chunks");
  if (!it)
    throw ValueError("[E894] The 'noun_chunks' syntax iterator is not implemented for language '" +
                     vocab_->lang() + "'.");
  std::vector<Span> out;
  for (const auto& [s, e, label] : (*it)(*this, 0, tokens_.size())) out.emplace_back(this, s, e, label);
  return out;
}

// ---------------------------------------------------------------------------------- Token

Token Token::head() const {
  int64_t h = int64_t(i_) + data().head;
  if (h < 0 || size_t(h) >= doc_->size())
    throw ValueError("Token " + std::to_string(i_) + " has a head outside the Doc");
  return Token(doc_, size_t(h));
}

bool Token::has_head() const { return data().dep != 0; }
bool Token::has_dep() const { return data().dep != 0; }

void Token::set_head(size_t head_i) {
  if (head_i >= doc_->size())
    throw ValueError("Head index " + std::to_string(head_i) + " is out of range for a Doc of " +
                     std::to_string(doc_->size()) + " tokens");
  if (int64_t(i_) + data().head == int64_t(head_i)) return;
  // As spaCy: recompute between the outer edges of the two trees involved.
  const std::vector<Token> own = ancestors();
  const Token self_root = own.empty() ? *this : own.back();
  const std::vector<Token> theirs = Token(doc_, head_i).ancestors();
  const Token new_root = theirs.empty() ? Token(doc_, head_i) : theirs.back();
  const TokenData &a = self_root.data(), &b = new_root.data();
  const size_t start = size_t(std::min(a.l_edge, b.l_edge)), end = size_t(std::max(a.r_edge, b.r_edge));
  data().head = int32_t(int64_t(head_i) - int64_t(i_));
  doc_->set_children_from_heads(start, end + 1);
}

void Token::set_head(const Token& head) {
  if (&head.doc() != doc_)
    throw ValueError("[E191] Invalid head: the head token must be from the same Doc as the token "
                     "itself.");
  set_head(head.i());
}

std::vector<Token> Token::lefts() const {
  std::vector<Token> out;
  const auto& t = doc_->tokens();
  for (size_t k = size_t(data().l_edge); k < i_; ++k)
    if (int64_t(k) + t[k].head == int64_t(i_)) out.emplace_back(doc_, k);
  return out;
}

std::vector<Token> Token::rights() const {
  std::vector<Token> out;
  const auto& t = doc_->tokens();
  for (size_t k = i_ + 1; k <= size_t(data().r_edge) && k < t.size(); ++k)
    if (int64_t(k) + t[k].head == int64_t(i_)) out.emplace_back(doc_, k);
  return out;
}

std::vector<Token> Token::children() const {
  std::vector<Token> out = lefts();
  for (const Token& t : rights()) out.push_back(t);
  return out;
}

std::vector<Token> Token::subtree() const {
  std::vector<Token> out;
  // Iterative version of spaCy's recursive generator (deep trees must not overflow the stack):
  // a stack of (token, phase); phase 0 expands, phase 1 emits.
  std::vector<std::pair<size_t, bool>> todo{{i_, false}};
  while (!todo.empty()) {
    auto [k, emit] = todo.back();
    todo.pop_back();
    if (emit) {
      out.emplace_back(doc_, k);
      continue;
    }
    const Token tok(doc_, k);
    const std::vector<Token> l = tok.lefts(), r = tok.rights();
    for (auto it = r.rbegin(); it != r.rend(); ++it) todo.emplace_back(it->i(), false);
    todo.emplace_back(k, true);
    for (auto it = l.rbegin(); it != l.rend(); ++it) todo.emplace_back(it->i(), false);
    if (todo.size() > 4 * doc_->size() + 8) break;  // a cycle in malformed heads
  }
  return out;
}

std::vector<Token> Token::ancestors() const {
  std::vector<Token> out;
  int64_t k = int64_t(i_);
  const auto& t = doc_->tokens();
  // At most len(doc) steps: a cycle in malformed heads cannot loop forever.
  for (size_t n = 0; t[size_t(k)].head != 0 && n < t.size(); ++n) {
    k += t[size_t(k)].head;
    out.emplace_back(doc_, size_t(k));
  }
  return out;
}

bool Token::is_ancestor(const Token& descendant) const {
  if (&descendant.doc() != doc_) return false;
  for (const Token& a : descendant.ancestors())
    if (a.i() == i_) return true;
  return false;
}

Token Token::left_edge() const { return Token(doc_, size_t(data().l_edge)); }
Token Token::right_edge() const { return Token(doc_, size_t(data().r_edge)); }
size_t Token::n_lefts() const { return data().l_kids; }
size_t Token::n_rights() const { return data().r_kids; }

std::vector<Token> Token::conjuncts() const {
  const StringStore& ss = doc_->vocab().strings();
  const hash_t conj = ss.contains("conj") ? ss["conj"] : hash_t(0);
  if (conj == 0) return {};
  Token start = *this;
  // At most len(doc) steps up: a cycle of conj arcs in malformed heads cannot loop forever.
  for (size_t n = 0; n < doc_->size() && start.i() != start.head().i() && start.data().dep == conj; ++n)
    start = start.head();
  std::vector<Token> output{start};
  for (size_t q = 0; q < output.size(); ++q)
    for (const Token& child : output[q].rights())
      if (child.data().dep == conj) output.push_back(child);
  std::vector<Token> out;
  for (const Token& w : output)
    if (w.i() != i_) out.push_back(w);
  return out;
}

Span Token::sent() const { return Span(doc_, i_, i_ + 1).sent(); }

// ----------------------------------------------------------------------------------- Span

Token Span::root() const {
  const auto& t = doc_->tokens();
  for (size_t i = start_; i < end_; ++i)
    if (t[i].head == 0) return Token(doc_, i);
  // The token whose head leaves the span with the fewest steps to its sentence root.
  const size_t n_tokens = doc_->size();
  size_t best = n_tokens;
  int64_t root = -1;
  for (size_t i = start_; i < end_; ++i) {
    const int64_t h = int64_t(i) + t[i].head;
    if (h >= int64_t(start_) && h < int64_t(end_)) continue;
    const size_t steps = words_to_root(doc_, i);
    if (steps < best) {
      best = steps;
      root = int64_t(i);
    }
  }
  return Token(doc_, root < 0 ? start_ : size_t(root));
}

Span Span::sent() const {
  if (!doc_->has_annotation("SENT_START"))
    throw ValueError("[E030] Sentence boundaries unset. You can add the 'sentencizer' component "
                     "to the pipeline with: `nlp.add_pipe('sentencizer')`. Alternatively, add the "
                     "dependency parser or sentence recognizer, or set sentence boundaries by "
                     "setting `doc[i].is_sent_start`.");
  const auto& t = doc_->tokens();
  size_t s = start_;
  while (s > 0 && s < t.size() && t[s].sent_start != 1) --s;
  size_t e = end_;
  while (e < t.size() && t[e].sent_start != 1) ++e;
  return Span(doc_, std::min(s, t.size()), e);
}

std::vector<Span> Span::noun_chunks() const {
  const SyntaxIterator* it = find_syntax_iterator(doc_->vocab().lang(), "noun_chunks");
  if (!it)
    throw ValueError("[E894] The 'noun_chunks' syntax iterator is not implemented for language '" +
                     doc_->vocab().lang() + "'.");
  std::vector<Span> out;
  for (const auto& [s, e, label] : (*it)(*doc_, start_, end_)) out.emplace_back(doc_, s, e, label);
  return out;
}

}  // namespace trfpipe
