#include "tokenization/unigram.hpp"

#include <unicode/normalizer2.h>
#include <unicode/regex.h>
#include <unicode/utext.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <unordered_map>

#include "tokenization/rule_tokenizer.hpp"
#include "tokenization/subword_unicode.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::subword {
namespace {

using Json = nlohmann::json;

// SentencePiece's OneCharLen: the UTF-8 length its lead byte announces.
inline size_t one_char_len(unsigned char c) { return "\1\1\1\1\1\1\1\1\1\1\1\1\2\2\3\4"[c >> 4]; }

// Appends bytes of src that all map to original offset `orig` (SentencePiece) and come from the
// original range [hf_start, hf_end) (Hugging Face); see AlignedText.
void append_mapped(AlignedText& out, std::string_view src, int64_t orig, int64_t hf_start, int64_t hf_end) {
  out.text.append(src.data(), src.size());
  out.map.insert(out.map.end(), src.size(), orig);
  out.start.insert(out.start.end(), src.size(), hf_start);
  out.end.insert(out.end.end(), src.size(), hf_end);
}

// Appends src as the rewrite of t's bytes [b, e) (one character or several).
void append_rewrite(AlignedText& out, std::string_view src, const AlignedText& t, size_t b, size_t e) {
  append_mapped(out, src, t.map[b], t.start[b], t.end[e - 1]);
}

// Appends t's bytes [b, e) with their alignment.
void append_range(AlignedText& out, const AlignedText& t, size_t b, size_t e) {
  auto at = [](const std::vector<int64_t>& v, size_t i) { return v.begin() + static_cast<std::ptrdiff_t>(i); };
  out.text.append(t.text, b, e - b);
  out.map.insert(out.map.end(), at(t.map, b), at(t.map, e));
  out.start.insert(out.start.end(), at(t.start, b), at(t.start, e));
  out.end.insert(out.end.end(), at(t.end, b), at(t.end, e));
}

AlignedText slice(const AlignedText& t, size_t b, size_t e) {
  AlignedText s;
  append_range(s, t, b, e);
  s.map.push_back(t.map[e]);
  return s;
}

// ---- normalizers ----

class SequenceNormalizer : public TextNormalizer {
 public:
  std::vector<std::unique_ptr<TextNormalizer>> steps;
  void apply(AlignedText& t) const override {
    for (const auto& s : steps) s->apply(t);
  }
};

class PrecompiledNormalizer : public TextNormalizer {
 public:
  explicit PrecompiledNormalizer(std::string blob) : map_(std::move(blob)) {}
  void apply(AlignedText& t) const override { map_.normalize(t); }

 private:
  PrecompiledCharsmap map_;
};

// A UText over UTF-8 bytes: ICU then reports match positions as byte offsets.
struct Utf8Text {
  UText* ut = nullptr;
  Utf8Text(std::string_view s, UErrorCode& status)
      : ut(utext_openUTF8(nullptr, s.data(), static_cast<int64_t>(s.size()), &status)) {}
  ~Utf8Text() { utext_close(ut); }
  Utf8Text(const Utf8Text&) = delete;
  Utf8Text& operator=(const Utf8Text&) = delete;
};

// Replace with a Regex pattern runs ICU's matcher (Oniguruma-like syntax, as HF tokenizers):
// its backtracking stack lives on the heap with a limit and matching has a time limit, where
// std::regex recursed once per character and overflowed the stack on long runs of spaces.
class ReplaceNormalizer : public TextNormalizer {
 public:
  ReplaceNormalizer(std::string literal, bool is_regex, std::string content)
      : literal_(std::move(literal)), is_regex_(is_regex), content_(std::move(content)) {
    if (!is_regex_) return;
    UErrorCode status = U_ZERO_ERROR;
    UParseError pe;
    Utf8Text pattern(literal_, status);
    if (U_SUCCESS(status)) re_.reset(icu::RegexPattern::compile(pattern.ut, 0, pe, status));
    if (U_FAILURE(status) || !re_)
      throw ValueError(std::string("cannot compile the pattern: ") + u_errorName(status) +
                       " at offset " + std::to_string(pe.offset));
  }
  void apply(AlignedText& t) const override {
    std::vector<std::pair<size_t, size_t>> matches;
    if (is_regex_) {
      UErrorCode status = U_ZERO_ERROR;
      Utf8Text text(t.text, status);
      std::unique_ptr<icu::RegexMatcher> m(U_SUCCESS(status) ? re_->matcher(status) : nullptr);
      if (m) {
        m->reset(text.ut);
        m->setTimeLimit(2000, status);  // ICU engine steps, roughly milliseconds per find()
      }
      while (m && U_SUCCESS(status) && m->find(status)) {
        const int64_t b = m->start64(status), e = m->end64(status);
        if (U_SUCCESS(status) && e > b) matches.emplace_back(static_cast<size_t>(b), static_cast<size_t>(e - b));
      }
      if (U_FAILURE(status))
        throw ValueError(std::string("tokenizer.json Replace pattern failed on the text: ") + u_errorName(status));
    } else if (!literal_.empty()) {
      for (size_t p = t.text.find(literal_); p != std::string::npos; p = t.text.find(literal_, p + literal_.size()))
        matches.emplace_back(p, literal_.size());
    }
    if (matches.empty()) return;
    AlignedText out;
    size_t at = 0;
    for (auto [p, len] : matches) {
      append_range(out, t, at, p);
      // tokenizers aligns the replacement with the last replaced character.
      size_t last = p + len - 1;
      while (last > p && (static_cast<unsigned char>(t.text[last]) & 0xC0) == 0x80) --last;
      append_mapped(out, content_, t.map[p], t.start[last], t.end[p + len - 1]);
      at = p + len;
    }
    append_range(out, t, at, t.text.size());
    out.map.push_back(t.map.back());
    t = std::move(out);
  }

 private:
  std::string literal_;
  bool is_regex_;
  std::string content_;
  std::unique_ptr<icu::RegexPattern> re_;
};

// Per-character rewrite: f(cp, out) appends the replacement of one code point.
template <class F>
void rewrite_chars(AlignedText& t, F&& f) {
  AlignedText out;
  out.text.reserve(t.text.size());
  out.map.reserve(t.map.size());
  const auto* s = reinterpret_cast<const unsigned char*>(t.text.data());
  size_t n = t.text.size();
  std::string buf;
  for (size_t i = 0; i < n;) {
    size_t len = 0;
    uint32_t cp = decode_utf8(s, n, i, len);
    buf.clear();
    f(cp, buf);
    append_rewrite(out, buf, t, i, i + len);
    i += len;
  }
  out.map.push_back(t.map[n]);
  t = std::move(out);
}

class LowercaseNormalizer : public TextNormalizer {
 public:
  void apply(AlignedText& t) const override {
    rewrite_chars(t, [](uint32_t cp, std::string& out) {
      uint32_t lc[3];
      int k = (char_flags(cp) & kHasLower) ? to_lowercase(cp, lc) : (lc[0] = cp, 1);
      for (int m = 0; m < k; ++m) append_utf8(out, lc[m]);
    });
  }
};

// tokenizers' StripAccents drops every combining mark (general category Mn, Mc, Me), not only the
// nonspacing ones BERT's normalizer drops.
class StripAccentsNormalizer : public TextNormalizer {
 public:
  void apply(AlignedText& t) const override {
    rewrite_chars(t, [](uint32_t cp, std::string& out) {
      if (char_flags(cp) & kMarkNonspacing) return;
      if (cp >= 0x300 && (U_GET_GC_MASK(static_cast<UChar32>(cp)) & (U_GC_MC_MASK | U_GC_ME_MASK))) return;
      append_utf8(out, cp);
    });
  }
};

class StripNormalizer : public TextNormalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void apply(AlignedText& t) const override {
    const auto* s = reinterpret_cast<const unsigned char*>(t.text.data());
    size_t n = t.text.size(), b = 0, e = n;
    if (left_) {
      while (b < n) {
        size_t len = 0;
        uint32_t cp = decode_utf8(s, n, b, len);
        if (!(char_flags(cp) & kWhitespace)) break;
        b += len;
      }
    }
    if (right_) {
      while (e > b) {
        size_t st = e - 1;
        while (st > b && (s[st] & 0xC0) == 0x80) --st;
        size_t len = 0;
        uint32_t cp = decode_utf8(s, n, st, len);
        if (!(char_flags(cp) & kWhitespace)) break;
        e = st;
      }
    }
    if (b != 0 || e != n) t = slice(t, b, e);
  }

 private:
  bool left_, right_;
};

// Unicode normal forms through ICU, chunk by chunk between normalization boundaries; every
// output byte of a chunk maps to the chunk's start.
class UnicodeFormNormalizer : public TextNormalizer {
 public:
  explicit UnicodeFormNormalizer(const std::string& form) {
    UErrorCode status = U_ZERO_ERROR;
    if (form == "NFC") norm_ = icu::Normalizer2::getNFCInstance(status);
    else if (form == "NFD") norm_ = icu::Normalizer2::getNFDInstance(status);
    else if (form == "NFKC") norm_ = icu::Normalizer2::getNFKCInstance(status);
    else norm_ = icu::Normalizer2::getNFKDInstance(status);
    if (U_FAILURE(status) || !norm_) throw Error("ICU: cannot open the " + form + " normalizer");
  }
  void apply(AlignedText& t) const override {
    const auto* s = reinterpret_cast<const unsigned char*>(t.text.data());
    size_t n = t.text.size();
    AlignedText out;
    size_t chunk = 0;
    auto normalized = [&](size_t b, size_t e) {
      UErrorCode status = U_ZERO_ERROR;
      icu::UnicodeString src = icu::UnicodeString::fromUTF8(icu::StringPiece(t.text.data() + b, static_cast<int32_t>(e - b)));
      icu::UnicodeString dst = norm_->normalize(src, status);
      if (U_FAILURE(status)) throw Error("ICU normalization failed");
      std::string utf8;
      dst.toUTF8String(utf8);
      return utf8;
    };
    auto flush = [&](size_t end) {
      if (end <= chunk) return;
      const std::string utf8 = normalized(chunk, end);
      // Several characters (a letter and its combining marks): when normalizing them one by one
      // gives the same text, each output keeps its own character's alignment (as Hugging Face's);
      // otherwise (composition, reordering) the chunk's.
      std::vector<std::pair<size_t, std::string>> parts;
      std::string joined;
      for (size_t i = chunk; i < end;) {
        size_t len = 0;
        decode_utf8(s, n, i, len);
        if (len == end - chunk) break;
        parts.emplace_back(i, normalized(i, i + len));
        joined += parts.back().second;
        i += len;
      }
      if (!parts.empty() && joined == utf8) {
        for (size_t k = 0; k < parts.size(); ++k) {
          const size_t b = parts[k].first, e = k + 1 < parts.size() ? parts[k + 1].first : end;
          append_mapped(out, parts[k].second, t.map[chunk], t.start[b], t.end[e - 1]);
        }
      } else {
        append_rewrite(out, utf8, t, chunk, end);
      }
      chunk = end;
    };
    for (size_t i = 0; i < n;) {
      size_t len = 0;
      uint32_t cp = decode_utf8(s, n, i, len);
      if (i > chunk && norm_->hasBoundaryBefore(static_cast<UChar32>(cp))) flush(i);
      i += len;
    }
    flush(n);
    out.map.push_back(t.map[n]);
    t = std::move(out);
  }

 private:
  const icu::Normalizer2* norm_ = nullptr;
};

std::string field_string(const Json& o, const char* key, const std::string& where, bool required,
                         const std::string& fallback = "") {
  if (!o.contains(key) || o[key].is_null()) {
    if (required) throw Error(where + "." + key + " is missing");
    return fallback;
  }
  if (!o[key].is_string()) throw Error(where + "." + key + " must be a string");
  return o[key].get<std::string>();
}
bool field_bool(const Json& o, const char* key, const std::string& where, bool fallback) {
  if (!o.contains(key) || o[key].is_null()) return fallback;
  if (!o[key].is_boolean()) throw Error(where + "." + key + " must be true or false");
  return o[key].get<bool>();
}

}  // namespace

// ---- trie ----

void PieceTrie::build(const std::vector<std::string>& pieces) {
  // Build with maps, then flatten breadth-first.
  struct Tmp {
    int32_t id = -1;
    std::map<uint8_t, uint32_t> kids;
  };
  std::vector<Tmp> tmp(1);
  for (size_t id = 0; id < pieces.size(); ++id) {
    const std::string& p = pieces[id];
    if (p.empty()) continue;
    uint32_t node = 0;
    for (char ch : p) {
      auto c = static_cast<uint8_t>(ch);
      auto it = tmp[node].kids.find(c);
      if (it == tmp[node].kids.end()) {
        tmp.emplace_back();
        it = tmp[node].kids.emplace(c, static_cast<uint32_t>(tmp.size() - 1)).first;
      }
      node = it->second;
    }
    if (tmp[node].id < 0) tmp[node].id = static_cast<int32_t>(id);  // the first id of a duplicate wins
  }
  nodes_.assign(tmp.size(), Node{});
  edges_.clear();
  for (size_t k = 0; k < tmp.size(); ++k) {
    nodes_[k].id = tmp[k].id;
    nodes_[k].first = static_cast<uint32_t>(edges_.size());
    nodes_[k].count = static_cast<uint32_t>(tmp[k].kids.size());
    for (auto [c, t] : tmp[k].kids) edges_.push_back(Edge{c, t});
  }
}

uint32_t PieceTrie::child(uint32_t node, unsigned char c) const {
  const Node& nd = nodes_[node];
  const Edge* b = edges_.data() + nd.first;
  const Edge* e = b + nd.count;
  const Edge* it = std::lower_bound(b, e, c, [](const Edge& x, unsigned char v) { return x.label < v; });
  return it != e && it->label == c ? it->target : kNone;
}

// ---- model ----

UnigramModel::UnigramModel(std::vector<std::string> pieces, std::vector<double> scores, int64_t unk_id,
                           bool byte_fallback)
    : pieces_(std::move(pieces)), unk_id_(unk_id), byte_fallback_(byte_fallback) {
  scores_.reserve(scores.size());
  double min_score = std::numeric_limits<double>::infinity();
  for (double s : scores) {
    scores_.push_back(static_cast<float>(s));
    min_score = std::min(min_score, s);
  }
  unk_score_ = static_cast<float>(min_score) - 10.0f;  // kUnkPenalty
  trie_.build(pieces_);
  std::vector<int64_t> ids(pieces_.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(i);
  // Duplicates: the first id wins, as in the trie.
  std::vector<std::string> uniq;
  std::vector<int64_t> uniq_ids;
  std::unordered_map<std::string, int64_t> seen;
  for (size_t i = 0; i < pieces_.size(); ++i)
    if (seen.emplace(pieces_[i], static_cast<int64_t>(i)).second) {
      uniq.push_back(pieces_[i]);
      uniq_ids.push_back(static_cast<int64_t>(i));
    }
  ids_.build(uniq, uniq_ids);
}

void UnigramModel::encode(std::string_view s, std::vector<UnigramPiece>& out) const {
  const size_t size = s.size();
  if (size == 0) return;
  struct Best {
    int64_t id = -1;
    float score = 0;
    int64_t start = -1;
  };
  std::vector<Best> best(size + 1);
  size_t st = 0;
  while (st < size) {
    const float base = best[st].score;
    const size_t mblen = std::min(one_char_len(static_cast<unsigned char>(s[st])), size - st);
    bool single = false;
    trie_.prefixes(s.data() + st, size - st, [&](int32_t id, size_t len) {
      Best& t = best[st + len];
      // As sentencepiece's EncodeOptimized: the piece score is promoted to double (its ternary
      // with the user-defined bonus is double), summed and compared in double, stored as float.
      double cand = static_cast<double>(scores_[static_cast<size_t>(id)]) + static_cast<double>(base);
      if (t.start == -1 || cand > static_cast<double>(t.score)) {
        t.score = static_cast<float>(cand);
        t.start = static_cast<int64_t>(st);
        t.id = id;
      }
      if (len == mblen) single = true;
    });
    if (!single) {
      if (unk_id_ < 0)
        throw Error("Unigram: '" + std::string(s.substr(st, mblen)) +
                    "' is not in the vocabulary and the model has no unk_id");
      Best& t = best[st + mblen];
      float cand = unk_score_ + base;
      if (t.start == -1 || cand > t.score) {
        t.score = cand;
        t.start = static_cast<int64_t>(st);
        t.id = unk_id_;
      }
    }
    st += mblen;
  }
  // Backtrack; runs of unknowns become one piece.
  std::vector<UnigramPiece> rev;
  size_t end = size;
  while (end > 0) {
    const Best& b = best[end];
    size_t start = static_cast<size_t>(b.start);
    if (b.id == unk_id_ && !rev.empty() && rev.back().id == unk_id_) {
      rev.back().begin = start;
    } else {
      rev.push_back(UnigramPiece{b.id, start, end, std::string()});
    }
    end = start;
  }
  for (auto it = rev.rbegin(); it != rev.rend(); ++it) {
    it->token.assign(s.data() + it->begin, it->end - it->begin);
    if (it->id == unk_id_ && byte_fallback_) {
      std::vector<int64_t> byte_ids;
      char name[8];
      for (char ch : it->token) {
        std::snprintf(name, sizeof(name), "<0x%02X>", static_cast<unsigned>(static_cast<unsigned char>(ch)));
        int64_t id = ids_.find(name);
        if (id < 0) break;
        byte_ids.push_back(id);
      }
      if (byte_ids.size() == it->token.size()) {
        for (int64_t id : byte_ids) out.push_back(UnigramPiece{id, it->begin, it->end, pieces_[static_cast<size_t>(id)]});
        continue;
      }
    }
    out.push_back(std::move(*it));
  }
}

// ---- JSON -> pipeline ----

std::unique_ptr<TextNormalizer> make_text_normalizer(const Json& spec, const std::string& where) {
  if (spec.is_null()) return nullptr;
  if (!spec.is_object()) throw Error(where + " must be an object or null");
  std::string type = field_string(spec, "type", where, true);
  if (type == "Sequence") {
    if (!spec.contains("normalizers") || !spec["normalizers"].is_array())
      throw Error(where + ".normalizers must be an array");
    auto seq = std::make_unique<SequenceNormalizer>();
    for (size_t i = 0; i < spec["normalizers"].size(); ++i) {
      auto n = make_text_normalizer(spec["normalizers"][i], where + ".normalizers[" + std::to_string(i) + "]");
      if (n) seq->steps.push_back(std::move(n));
    }
    return seq;
  }
  if (type == "Precompiled") {
    std::string b64 = field_string(spec, "precompiled_charsmap", where, false);
    if (b64.empty()) return std::make_unique<SequenceNormalizer>();  // HF: no charsmap = identity
    std::string blob;
    try {
      blob = base64_decode(b64);
      return std::make_unique<PrecompiledNormalizer>(std::move(blob));
    } catch (const ValueError& e) {
      throw Error(where + ".precompiled_charsmap is malformed: " + e.what());
    }
  }
  if (type == "Replace") {
    if (!spec.contains("pattern") || !spec["pattern"].is_object())
      throw Error(where + ".pattern must be an object {\"String\": ...} or {\"Regex\": ...}");
    const Json& pat = spec["pattern"];
    std::string content = field_string(spec, "content", where, true);
    if (pat.contains("String") && pat["String"].is_string())
      return std::make_unique<ReplaceNormalizer>(pat["String"].get<std::string>(), false, content);
    if (pat.contains("Regex") && pat["Regex"].is_string()) {
      try {
        return std::make_unique<ReplaceNormalizer>(pat["Regex"].get<std::string>(), true, content);
      } catch (const ValueError& e) {
        throw Error(where + ".pattern.Regex is not a supported regular expression: " + e.what());
      }
    }
    throw Error(where + ".pattern must be an object {\"String\": ...} or {\"Regex\": ...}");
  }
  if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
  if (type == "StripAccents") return std::make_unique<StripAccentsNormalizer>();
  if (type == "Strip")
    return std::make_unique<StripNormalizer>(field_bool(spec, "strip_left", where, true),
                                             field_bool(spec, "strip_right", where, true));
  if (type == "NFKC" || type == "NFC" || type == "NFD" || type == "NFKD")
    return std::make_unique<UnicodeFormNormalizer>(type);
  throw Error(where + ": unsupported normalizer type '" + type +
              "' (supported: Sequence, Precompiled, Replace, Lowercase, Strip, StripAccents, NFC, NFD, NFKC, NFKD)");
}

std::vector<PreTokenizerStep> make_pre_tokenizer(const Json& spec, const std::string& where) {
  std::vector<PreTokenizerStep> steps;
  if (spec.is_null()) return steps;
  if (!spec.is_object()) throw Error(where + " must be an object or null");
  std::string type = field_string(spec, "type", where, true);
  if (type == "Sequence") {
    if (!spec.contains("pretokenizers") || !spec["pretokenizers"].is_array())
      throw Error(where + ".pretokenizers must be an array");
    for (size_t i = 0; i < spec["pretokenizers"].size(); ++i) {
      auto sub = make_pre_tokenizer(spec["pretokenizers"][i], where + ".pretokenizers[" + std::to_string(i) + "]");
      steps.insert(steps.end(), sub.begin(), sub.end());
    }
    return steps;
  }
  PreTokenizerStep s;
  if (type == "WhitespaceSplit") {
    s.kind = PreTokenizerStep::WhitespaceSplit;
  } else if (type == "Metaspace") {
    s.kind = PreTokenizerStep::Metaspace;
    s.replacement = field_string(spec, "replacement", where, false, "\xE2\x96\x81");
    if (s.replacement.empty()) throw Error(where + ".replacement must not be empty");
    s.split = field_bool(spec, "split", where, true);
    if (spec.contains("prepend_scheme") && !spec["prepend_scheme"].is_null()) {
      std::string p = field_string(spec, "prepend_scheme", where, false);
      if (p == "always") s.prepend = PreTokenizerStep::Always;
      else if (p == "first") s.prepend = PreTokenizerStep::First;
      else if (p == "never") s.prepend = PreTokenizerStep::Never;
      else throw Error(where + ".prepend_scheme must be \"always\", \"first\" or \"never\", not '" + p + "'");
    } else {
      s.prepend = field_bool(spec, "add_prefix_space", where, true) ? PreTokenizerStep::Always : PreTokenizerStep::Never;
    }
  } else {
    throw Error(where + ": unsupported pre_tokenizer type '" + type + "' (supported: Metaspace, WhitespaceSplit, Sequence)");
  }
  steps.push_back(s);
  return steps;
}

UnigramTokenizer::UnigramTokenizer(UnigramModel model, std::unique_ptr<TextNormalizer> normalizer,
                                   std::vector<PreTokenizerStep> pre_tokenizer)
    : model_(std::move(model)), normalizer_(std::move(normalizer)), pre_(std::move(pre_tokenizer)) {}

const std::string* UnigramTokenizer::model_id_to_token(int64_t id) const {
  return token_at(model_.pieces(), id);
}

void UnigramTokenizer::encode_segment(std::string_view text, size_t base, Encoding& out) const {
  AlignedText t = aligned_identity(text, static_cast<int64_t>(base));
  if (normalizer_) normalizer_->apply(t);
  std::vector<AlignedText> splits;
  if (!t.text.empty()) splits.push_back(std::move(t));
  for (const auto& step : pre_) {
    std::vector<AlignedText> next;
    for (size_t k = 0; k < splits.size(); ++k) {
      AlignedText& sp = splits[k];
      if (step.kind == PreTokenizerStep::WhitespaceSplit) {
        const auto* s = reinterpret_cast<const unsigned char*>(sp.text.data());
        size_t n = sp.text.size(), word = std::string::npos;
        for (size_t i = 0; i < n;) {
          size_t len = 0;
          uint32_t cp = decode_utf8(s, n, i, len);
          bool ws = char_flags(cp) & kWhitespace;
          if (ws && word != std::string::npos) {
            next.push_back(slice(sp, word, i));
            word = std::string::npos;
          } else if (!ws && word == std::string::npos) {
            word = i;
          }
          i += len;
        }
        if (word != std::string::npos) next.push_back(slice(sp, word, n));
        continue;
      }
      // Metaspace: spaces -> replacement, the prefix, then split before each replacement.
      AlignedText r;
      bool prepend = step.prepend == PreTokenizerStep::Always ||
                     (step.prepend == PreTokenizerStep::First && k == 0 && base == 0);
      std::string_view rep = step.replacement;
      bool starts = sp.text.compare(0, rep.size(), rep) == 0 || (!sp.text.empty() && sp.text[0] == ' ');
      const bool prepended = prepend && !starts;
      // A prepended replacement comes from the first character (Hugging Face's alignment).
      if (prepended) {
        if (sp.text.empty()) append_mapped(r, rep, sp.map[0], sp.map[0], sp.map[0]);
        else append_rewrite(r, rep, sp, 0, 1);
      }
      for (size_t i = 0; i < sp.text.size(); ++i)
        append_rewrite(r, sp.text[i] == ' ' ? rep : std::string_view(&sp.text[i], 1), sp, i, i + 1);
      r.map.push_back(sp.map.back());
      if (!step.split) {
        next.push_back(std::move(r));
      } else {
        size_t start = 0;
        for (size_t p = r.text.find(rep, 1); p != std::string::npos;
             p = r.text.find(rep, p + rep.size())) {
          if (p > start) next.push_back(slice(r, start, p));
          start = p;
        }
        if (r.text.size() > start) next.push_back(slice(r, start, r.text.size()));
      }
    }
    splits.swap(next);
  }
  std::vector<UnigramPiece> pieces;
  for (const auto& sp : splits) {
    pieces.clear();
    model_.encode(sp.text, pieces);
    for (auto& p : pieces) {
      // SentencePiece: up to where the next piece's source starts; Hugging Face: the end of the
      // last character's source (see AlignedText).
      const bool sp_style = !hf_offsets_ || p.end == p.begin;
      out.ids.push_back(p.id);
      out.tokens.push_back(std::move(p.token));
      out.offsets.emplace_back(sp_style ? sp.map[p.begin] : sp.start[p.begin],
                               sp_style ? sp.map[p.end] : sp.end[p.end - 1]);
    }
  }
}

void UnigramTokenizer::save(const std::string& dir) const {
  make_dir(dir);
  if (family_ == TokenizerFamily::Xlnet) {  // so transformers reloads it as XLNetTokenizer (left padding)
    nlohmann::ordered_json extra = nlohmann::ordered_json::object();
    extra["padding_side"] = "left";
    save_config(dir, "XLNetTokenizer", extra);
    return;
  }
  save_config(dir, "PreTrainedTokenizerFast");
}

std::unique_ptr<UnigramTokenizer> make_unigram_tokenizer(const Json& j, const std::string& path) {
  const std::string where = "malformed tokenizer.json " + path + ": ";
  const Json& model = j["model"];
  if (!model.contains("vocab") || !model["vocab"].is_array())
    throw Error(where + "model.vocab of the Unigram model must be an array of [piece, score]");
  const Json& vocab = model["vocab"];
  if (vocab.empty()) throw Error(where + "model.vocab is empty");
  std::vector<std::string> pieces;
  std::vector<double> scores;
  pieces.reserve(vocab.size());
  scores.reserve(vocab.size());
  for (size_t i = 0; i < vocab.size(); ++i) {
    const Json& e = vocab[i];
    if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_number())
      throw Error(where + "model.vocab[" + std::to_string(i) + "] must be [piece, score]");
    pieces.push_back(e[0].get<std::string>());
    double s = e[1].get<double>();
    if (!std::isfinite(s)) throw Error(where + "model.vocab[" + std::to_string(i) + "] has a non-finite score");
    scores.push_back(s);
  }
  int64_t unk_id = -1;
  if (model.contains("unk_id") && !model["unk_id"].is_null()) {
    if (!model["unk_id"].is_number_integer() || model["unk_id"].get<int64_t>() < 0 ||
        model["unk_id"].get<int64_t>() >= static_cast<int64_t>(pieces.size()))
      throw Error(where + "model.unk_id must be null or an id below the vocabulary size " +
                  std::to_string(pieces.size()));
    unk_id = model["unk_id"].get<int64_t>();
  }
  bool byte_fallback = false;
  if (model.contains("byte_fallback") && !model["byte_fallback"].is_null()) {
    if (!model["byte_fallback"].is_boolean()) throw Error(where + "model.byte_fallback must be true or false");
    byte_fallback = model["byte_fallback"].get<bool>();
  }
  static const Json null_json;
  std::unique_ptr<TextNormalizer> norm;
  std::vector<PreTokenizerStep> pre;
  try {
    norm = make_text_normalizer(j.contains("normalizer") ? j["normalizer"] : null_json, "normalizer");
    pre = make_pre_tokenizer(j.contains("pre_tokenizer") ? j["pre_tokenizer"] : null_json, "pre_tokenizer");
  } catch (const Error& e) {
    throw Error(where + e.what());
  }
  return std::make_unique<UnigramTokenizer>(UnigramModel(std::move(pieces), std::move(scores), unk_id, byte_fallback),
                                            std::move(norm), std::move(pre));
}

// ---- SentencePiece ModelProto -> tokenizer.json ----

namespace {

struct ProtoReader {
  const unsigned char* p;
  const unsigned char* end;
  bool done() const { return p >= end; }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= end) throw ValueError("SentencePiece model: truncated varint");
      unsigned char b = *p++;
      v |= uint64_t(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    throw ValueError("SentencePiece model: varint too long");
  }
  std::string_view bytes() {
    uint64_t n = varint();
    if (n > static_cast<uint64_t>(end - p)) throw ValueError("SentencePiece model: truncated field");
    std::string_view v(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
    p += n;
    return v;
  }
  uint32_t fixed32() {
    if (end - p < 4) throw ValueError("SentencePiece model: truncated fixed32");
    uint32_t v = uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
    p += 4;
    return v;
  }
  void skip(int wire) {
    switch (wire) {
      case 0: varint(); break;
      case 1:
        if (end - p < 8) throw ValueError("SentencePiece model: truncated fixed64");
        p += 8;
        break;
      case 2: bytes(); break;
      case 5: fixed32(); break;
      default: throw ValueError("SentencePiece model: unsupported wire type " + std::to_string(wire));
    }
  }
};

ProtoReader reader_of(std::string_view s) {
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
  return ProtoReader{b, b + s.size()};
}

// The parts of a SentencePiece ModelProto the tokenizer.json builders need.
struct SpmPiece {
  std::string text;
  float score = 0;
  int type = 1;  // NORMAL; 2 UNKNOWN, 3 CONTROL, 4 USER_DEFINED, 5 UNUSED, 6 BYTE
};
struct SpmProto {
  std::vector<SpmPiece> pieces;
  std::string charsmap;
  bool add_dummy_prefix = true, remove_extra_whitespaces = true, byte_fallback = false;
  int64_t unk_id = -1;  // the UNKNOWN piece, else trainer_spec.unk_id
};

SpmProto read_sentencepiece_model(std::string_view model_bytes) {
  SpmProto m;
  int model_type = 1;  // UNIGRAM
  int64_t trainer_unk_id = 0;
  ProtoReader r = reader_of(model_bytes);
  while (!r.done()) {
    uint64_t key = r.varint();
    int field = static_cast<int>(key >> 3), wire = static_cast<int>(key & 7);
    if (field == 1 && wire == 2) {
      ProtoReader pr = reader_of(r.bytes());
      SpmPiece piece;
      while (!pr.done()) {
        uint64_t k = pr.varint();
        int f = static_cast<int>(k >> 3), w = static_cast<int>(k & 7);
        if (f == 1 && w == 2) {
          piece.text = std::string(pr.bytes());
          // A piece ends up in JSON (the tokenizer.json this model converts to), which must be
          // UTF-8: an invalid piece was nlohmann's type_error 316 (found by fuzz_spm_model).
          try {
            tokenization::validate_utf8(piece.text);
          } catch (const ValueError& e) {
            throw ValueError("SentencePiece model: piece " + std::to_string(m.pieces.size()) +
                             " is not valid UTF-8 (" + e.what() + ")");
          }
        }
        else if (f == 2 && w == 5) {
          uint32_t bits = pr.fixed32();
          std::memcpy(&piece.score, &bits, 4);
        } else if (f == 3 && w == 0) piece.type = static_cast<int>(pr.varint());
        else pr.skip(w);
      }
      m.pieces.push_back(std::move(piece));
    } else if (field == 2 && wire == 2) {
      ProtoReader tr = reader_of(r.bytes());
      while (!tr.done()) {
        uint64_t k = tr.varint();
        int f = static_cast<int>(k >> 3), w = static_cast<int>(k & 7);
        if (f == 3 && w == 0) model_type = static_cast<int>(tr.varint());
        else if (f == 35 && w == 0) m.byte_fallback = tr.varint() != 0;
        else if (f == 40 && w == 0) trainer_unk_id = static_cast<int64_t>(static_cast<int32_t>(tr.varint()));
        else tr.skip(w);
      }
    } else if (field == 3 && wire == 2) {
      ProtoReader nr = reader_of(r.bytes());
      while (!nr.done()) {
        uint64_t k = nr.varint();
        int f = static_cast<int>(k >> 3), w = static_cast<int>(k & 7);
        if (f == 2 && w == 2) m.charsmap = std::string(nr.bytes());
        else if (f == 3 && w == 0) m.add_dummy_prefix = nr.varint() != 0;
        else if (f == 4 && w == 0) m.remove_extra_whitespaces = nr.varint() != 0;
        else nr.skip(w);
      }
    } else {
      r.skip(wire);
    }
  }
  if (m.pieces.empty()) throw ValueError("SentencePiece model: no pieces");
  if (model_type != 1)
    throw ValueError("SentencePiece model: model_type " + std::to_string(model_type) + " is not UNIGRAM (1)");
  for (size_t i = 0; i < m.pieces.size(); ++i)
    if (m.pieces[i].type == 2) {
      m.unk_id = static_cast<int64_t>(i);
      break;
    }
  if (m.unk_id < 0 && trainer_unk_id >= 0 && trainer_unk_id < static_cast<int64_t>(m.pieces.size()))
    m.unk_id = trainer_unk_id;
  return m;
}

using OJson = nlohmann::ordered_json;

OJson added_token_json(size_t id, const std::string& content, bool special) {
  OJson a;
  a["id"] = id;
  a["content"] = content;
  a["single_word"] = false;
  a["lstrip"] = false;
  a["rstrip"] = false;
  a["normalized"] = false;
  a["special"] = special;
  return a;
}

OJson unigram_model_json(const SpmProto& m) {
  OJson vocab = OJson::array();
  for (const auto& p : m.pieces) vocab.push_back(OJson::array({p.text, static_cast<double>(p.score)}));
  OJson model;
  model["type"] = "Unigram";
  model["unk_id"] = m.unk_id >= 0 ? OJson(m.unk_id) : OJson(nullptr);
  model["vocab"] = vocab;
  model["byte_fallback"] = m.byte_fallback;
  return model;
}

OJson metaspace_json(bool prepend, bool split) {
  return OJson{{"type", "Metaspace"},
               {"replacement", "\xE2\x96\x81"},
               {"prepend_scheme", prepend ? "always" : "never"},
               {"split", split}};
}

}  // namespace

std::string sentencepiece_model_to_tokenizer_json(std::string_view model_bytes) {
  const SpmProto m = read_sentencepiece_model(model_bytes);
  const auto& pieces = m.pieces;
  OJson j;
  j["version"] = "1.0";
  j["truncation"] = nullptr;
  j["padding"] = nullptr;
  OJson added = OJson::array();
  for (size_t i = 0; i < pieces.size(); ++i)
    if (pieces[i].type == 2 || pieces[i].type == 3) added.push_back(added_token_json(i, pieces[i].text, true));
  j["added_tokens"] = added;
  OJson norms = OJson::array();
  if (!m.charsmap.empty())
    norms.push_back(OJson{{"type", "Precompiled"}, {"precompiled_charsmap", base64_encode(m.charsmap)}});
  if (m.remove_extra_whitespaces) {
    norms.push_back(OJson{{"type", "Replace"}, {"pattern", OJson{{"Regex", " {2,}"}}}, {"content", " "}});
    norms.push_back(OJson{{"type", "Strip"}, {"strip_left", true}, {"strip_right", true}});
  }
  j["normalizer"] = OJson{{"type", "Sequence"}, {"normalizers", norms}};
  // split: false (HF's converters say true): sentencepiece runs one Viterbi over the whole
  // sentence, accumulating float scores from its start, so ties between equal-sum segmentations
  // of a word resolve by the rounding of the running sum; per-word Viterbi (split: true) differs
  // on 9 of the 3,658 rows of the ALBERT golden (e.g. "***" after "surprise").
  j["pre_tokenizer"] = metaspace_json(m.add_dummy_prefix, false);
  j["post_processor"] = nullptr;
  j["decoder"] = metaspace_json(m.add_dummy_prefix, true);
  j["model"] = unigram_model_json(m);
  return j.dump();
}

std::string xlnet_tokenizer_json(std::string_view model_bytes, bool lowercase) {
  const SpmProto m = read_sentencepiece_model(model_bytes);
  OJson j;
  j["version"] = "1.0";
  j["truncation"] = nullptr;
  j["padding"] = nullptr;
  // HF's SentencePieceExtractor: control pieces are special added tokens, user-defined ones
  // (XLNet's <eop> . ( ) " - – £ €) plain added tokens, both matched in the raw text.
  OJson added = OJson::array();
  for (size_t i = 0; i < m.pieces.size(); ++i) {
    const int t = m.pieces[i].type;
    if (t == 2 || t == 3 || t == 4) added.push_back(added_token_json(i, m.pieces[i].text, t != 4));
  }
  j["added_tokens"] = added;
  // XLNetTokenizer.__init__ (transformers 5): no Precompiled charsmap, accents always stripped.
  OJson norms = OJson::array();
  norms.push_back(OJson{{"type", "Replace"}, {"pattern", OJson{{"String", "``"}}}, {"content", "\""}});
  norms.push_back(OJson{{"type", "Replace"}, {"pattern", OJson{{"String", "''"}}}, {"content", "\""}});
  norms.push_back(OJson{{"type", "NFKD"}});
  norms.push_back(OJson{{"type", "StripAccents"}});
  if (lowercase) norms.push_back(OJson{{"type", "Lowercase"}});
  norms.push_back(OJson{{"type", "Replace"}, {"pattern", OJson{{"Regex", " {2,}"}}}, {"content", " "}});
  j["normalizer"] = OJson{{"type", "Sequence"}, {"normalizers", norms}};
  j["pre_tokenizer"] = OJson{{"type", "Sequence"},
                             {"pretokenizers", OJson::array({OJson{{"type", "WhitespaceSplit"}},
                                                             metaspace_json(true, true)})}};
  auto seq = [](const char* id, int type) { return OJson{{"Sequence", OJson{{"id", id}, {"type_id", type}}}}; };
  auto special = [](const char* id, int type) {
    return OJson{{"SpecialToken", OJson{{"id", id}, {"type_id", type}}}};
  };
  auto special_entry = [&](const char* tok) {
    int64_t id = -1;
    for (size_t i = 0; i < m.pieces.size(); ++i)
      if (m.pieces[i].text == tok) id = static_cast<int64_t>(i);
    if (id < 0)
      throw ValueError(std::string("SentencePiece model: XLNet's template needs the piece ") + tok +
                       ", which the model does not have");
    return OJson{{"id", tok}, {"ids", OJson::array({id})}, {"tokens", OJson::array({tok})}};
  };
  const OJson sep_entry = special_entry("<sep>"), cls_entry = special_entry("<cls>");
  j["post_processor"] = OJson{
      {"type", "TemplateProcessing"},
      {"single", OJson::array({seq("A", 0), special("<sep>", 0), special("<cls>", 2)})},
      {"pair", OJson::array({seq("A", 0), special("<sep>", 0), seq("B", 1), special("<sep>", 1), special("<cls>", 2)})},
      {"special_tokens", OJson{{"<cls>", cls_entry}, {"<sep>", sep_entry}}}};
  j["decoder"] = metaspace_json(true, true);
  j["model"] = unigram_model_json(m);
  return j.dump();
}

}  // namespace trfpipe::subword
