// The model-independent half of every subword tokenizer: special-token templates, code-point
// offsets, truncation, padding and the batch API.
#include <algorithm>

#include "tokenization/subword_unicode.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/subword_tokenizer.hpp"

namespace trfpipe {

const char* family_name(TokenizerFamily family) {
  switch (family) {
    case TokenizerFamily::Bert: return "bert";
    case TokenizerFamily::Roberta: return "roberta";
    case TokenizerFamily::Gpt2: return "gpt2";
    case TokenizerFamily::Albert: return "albert";
    case TokenizerFamily::XlmRoberta: return "xlm-roberta";
    case TokenizerFamily::Xlnet: return "xlnet";
    case TokenizerFamily::SentencePiece: return "sentencepiece";
  }
  return "unknown";
}

std::vector<Offset> byte_to_codepoint_offsets(std::string_view text,
                                              const std::vector<Offset>& byte_offsets) {
  bool ascii = true;
  for (unsigned char c : text)
    if (c >= 0x80) {
      ascii = false;
      break;
    }
  if (ascii) return byte_offsets;
  // char_of[b] = index of the character holding byte b; char_of[n] = number of characters.
  size_t n = text.size();
  std::vector<int64_t> char_of(n + 1);
  int64_t cp = -1;
  for (size_t i = 0; i < n; ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++cp;
    char_of[i] = cp < 0 ? 0 : cp;
  }
  char_of[n] = cp + 1;
  auto clamp = [n](int64_t b) { return static_cast<size_t>(std::clamp<int64_t>(b, 0, n)); };
  auto is_lead = [&](size_t b) {
    return b >= n || (static_cast<unsigned char>(text[b]) & 0xC0) != 0x80;
  };
  std::vector<Offset> out;
  out.reserve(byte_offsets.size());
  for (const auto& o : byte_offsets) {
    if (o.first == 0 && o.second == 0) {
      out.emplace_back(0, 0);
      continue;
    }
    size_t s = clamp(o.first), e = clamp(o.second);
    out.emplace_back(char_of[s], is_lead(e) ? char_of[e] : char_of[e] + 1);
  }
  return out;
}

size_t SubwordTokenizer::num_special_tokens(bool pair) const {
  switch (family_) {
    case TokenizerFamily::Bert:
    case TokenizerFamily::Albert: return pair ? 3 : 2;
    case TokenizerFamily::Roberta:
    case TokenizerFamily::XlmRoberta: return pair ? 4 : 2;
    case TokenizerFamily::Xlnet: return pair ? 3 : 2;
    case TokenizerFamily::Gpt2:
    case TokenizerFamily::SentencePiece: return 0;
  }
  return 0;
}

int64_t SubwordTokenizer::pad_id() const {
  // Families without a pad token (GPT-2) pad with eos, as is customary; else unk, else 0.
  for (const std::string* t : {&special_.pad, &special_.eos, &special_.unk}) {
    if (t->empty()) continue;
    int64_t id = token_to_id(*t);
    if (id >= 0) return id;
  }
  return 0;
}

namespace {

void push_special(Encoding& e, const SubwordTokenizer& tok, const std::string& token,
                  int64_t type_id) {
  int64_t id = tok.token_to_id(token);
  if (id < 0) throw Error("special token '" + token + "' is not in the vocabulary");
  e.ids.push_back(id);
  e.tokens.push_back(token);
  e.offsets.emplace_back(0, 0);
  e.offsets_codepoints.emplace_back(0, 0);
  e.type_ids.push_back(type_id);
  e.special_tokens_mask.push_back(1);
  e.attention_mask.push_back(1);
}

void push_sequence(Encoding& e, const Encoding& s, int64_t type_id) {
  e.ids.insert(e.ids.end(), s.ids.begin(), s.ids.end());
  e.tokens.insert(e.tokens.end(), s.tokens.begin(), s.tokens.end());
  e.offsets.insert(e.offsets.end(), s.offsets.begin(), s.offsets.end());
  e.offsets_codepoints.insert(e.offsets_codepoints.end(), s.offsets_codepoints.begin(),
                              s.offsets_codepoints.end());
  e.type_ids.insert(e.type_ids.end(), s.ids.size(), type_id);
  e.special_tokens_mask.insert(e.special_tokens_mask.end(), s.ids.size(), 0);
  e.attention_mask.insert(e.attention_mask.end(), s.ids.size(), 1);
}

}  // namespace

Encoding SubwordTokenizer::apply_template(Encoding a, const Encoding* b) const {
  Encoding e;
  size_t n = a.size() + (b ? b->size() : 0) + num_special_tokens(b != nullptr);
  e.ids.reserve(n);
  const SpecialTokens& sp = special_;
  switch (family_) {
    case TokenizerFamily::Bert:
    case TokenizerFamily::Albert:
      push_special(e, *this, sp.cls, 0);
      push_sequence(e, a, 0);
      push_special(e, *this, sp.sep, 0);
      if (b) {
        push_sequence(e, *b, 1);
        push_special(e, *this, sp.sep, 1);
      }
      break;
    case TokenizerFamily::Roberta:
    case TokenizerFamily::XlmRoberta:
      push_special(e, *this, sp.cls, 0);
      push_sequence(e, a, 0);
      push_special(e, *this, sp.sep, 0);
      if (b) {
        push_special(e, *this, sp.sep, 0);
        push_sequence(e, *b, 0);
        push_special(e, *this, sp.sep, 0);
      }
      break;
    case TokenizerFamily::Xlnet:
      push_sequence(e, a, 0);
      push_special(e, *this, sp.sep, 0);
      if (b) {
        push_sequence(e, *b, 1);
        push_special(e, *this, sp.sep, 1);
      }
      push_special(e, *this, sp.cls, 2);
      break;
    case TokenizerFamily::Gpt2:
    case TokenizerFamily::SentencePiece:
      push_sequence(e, a, 0);
      if (b) push_sequence(e, *b, 1);
      break;
  }
  return e;
}

Encoding SubwordTokenizer::encode(std::string_view text, bool add_special_tokens) const {
  Encoding pieces;
  encode_pieces(text, pieces);
  pieces.offsets_codepoints = byte_to_codepoint_offsets(text, pieces.offsets);
  if (!add_special_tokens) {
    size_t n = pieces.ids.size();
    pieces.type_ids.assign(n, 0);
    pieces.special_tokens_mask.assign(n, 0);
    pieces.attention_mask.assign(n, 1);
    return pieces;
  }
  return apply_template(std::move(pieces), nullptr);
}

Encoding SubwordTokenizer::encode_pair(std::string_view a, std::string_view b,
                                       bool add_special_tokens) const {
  Encoding ea, eb;
  encode_pieces(a, ea);
  ea.offsets_codepoints = byte_to_codepoint_offsets(a, ea.offsets);
  encode_pieces(b, eb);
  eb.offsets_codepoints = byte_to_codepoint_offsets(b, eb.offsets);
  if (!add_special_tokens) {
    Encoding e;
    push_sequence(e, ea, 0);
    push_sequence(e, eb, 1);
    return e;
  }
  return apply_template(std::move(ea), &eb);
}

void SubwordTokenizer::truncate_pieces(Encoding& e, size_t n) {
  if (e.ids.size() <= n) return;
  e.ids.resize(n);
  e.tokens.resize(n);
  e.offsets.resize(n);
  if (e.offsets_codepoints.size() > n) e.offsets_codepoints.resize(n);
}

void SubwordTokenizer::pad(Encoding& e, size_t length) const {
  if (e.ids.size() >= length) return;
  size_t k = length - e.ids.size();
  int64_t pid = pad_id();
  std::string ptok = id_to_token(pid);
  const bool left = pads_left();
  auto grow = [&](auto& v, auto value) {
    if (left)
      v.insert(v.begin(), k, value);
    else
      v.insert(v.end(), k, value);
  };
  grow(e.ids, pid);
  grow(e.tokens, ptok);
  grow(e.offsets, Offset{0, 0});
  grow(e.offsets_codepoints, Offset{0, 0});
  grow(e.type_ids, int64_t{family_ == TokenizerFamily::Xlnet ? 3 : 0});
  grow(e.special_tokens_mask, int64_t{1});
  grow(e.attention_mask, int64_t{0});
}

std::vector<Encoding> SubwordTokenizer::encode_batch(const std::vector<std::string>& texts,
                                                     Padding padding, Truncation truncation,
                                                     size_t max_length,
                                                     bool add_special_tokens) const {
  size_t limit = max_length ? max_length : model_max_length_;
  if ((truncation != Truncation::None || padding == Padding::MaxLength) && limit == 0)
    throw ValueError("encode_batch: max_length is 0 and the tokenizer has no model_max_length");
  size_t n_special = add_special_tokens ? num_special_tokens(false) : 0;
  if (truncation != Truncation::None && limit < n_special)
    throw ValueError("encode_batch: max_length " + std::to_string(limit) +
                     " leaves no room for the special tokens");
  std::vector<Encoding> out;
  out.reserve(texts.size());
  for (const auto& t : texts) {
    Encoding pieces;
    encode_pieces(t, pieces);
    if (truncation != Truncation::None) truncate_pieces(pieces, limit - n_special);
    pieces.offsets_codepoints = byte_to_codepoint_offsets(t, pieces.offsets);
    if (add_special_tokens) {
      out.push_back(apply_template(std::move(pieces), nullptr));
    } else {
      size_t n = pieces.ids.size();
      pieces.type_ids.assign(n, 0);
      pieces.special_tokens_mask.assign(n, 0);
      pieces.attention_mask.assign(n, 1);
      out.push_back(std::move(pieces));
    }
  }
  size_t target = 0;
  if (padding == Padding::Longest)
    for (const auto& e : out) target = std::max(target, e.size());
  else if (padding == Padding::MaxLength)
    target = limit;
  if (padding != Padding::None)
    for (auto& e : out) pad(e, target);
  return out;
}

}  // namespace trfpipe
