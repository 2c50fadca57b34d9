// spaCy's rule-based tokenizer on ICU regular expressions. See rule_tokenizer.hpp.
#include "tokenization/rule_tokenizer.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <unordered_map>

#include <unicode/regex.h>
#include <unicode/unistr.h>

#include "tokenization/lang_de.hpp"
#include "tokenization/lex_attrs.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::tokenization {

namespace {

// ---------------------------------------------------------------------------------------------
// UTF-8 helpers

// Decodes the code point at byte i of a text already checked by validate_utf8; advances i.
inline char32_t next_cp(const char* s, size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  if (b0 < 0xE0) {
    char32_t c = ((b0 & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
    i += 2;
    return c;
  }
  if (b0 < 0xF0) {
    char32_t c = ((b0 & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
                 (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
    i += 3;
    return c;
  }
  char32_t c = ((b0 & 0x07u) << 18) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 12) |
               ((static_cast<unsigned char>(s[i + 2]) & 0x3Fu) << 6) |
               (static_cast<unsigned char>(s[i + 3]) & 0x3Fu);
  i += 4;
  return c;
}

// Python's str.isspace() for one character (bidirectional class WS, B or S, or category Zs),
// which is what spaCy splits on.
inline bool py_isspace(char32_t c) { return lex::is_space_char(c); }

bool blank(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    // Patterns are only checked for Python's str.strip(); invalid UTF-8 is caught at compile.
    const auto b = static_cast<unsigned char>(s[i]);
    if (b >= 0x80) return false;
    if (!py_isspace(b)) return false;
    ++i;
  }
  return true;
}

icu::UnicodeString to_ustr(std::string_view s) {
  return icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
}

std::unique_ptr<icu::RegexPattern> compile(const std::string& expr, const char* what) {
  if (expr.empty()) return nullptr;
  validate_utf8(expr);
  UParseError pe{};
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::RegexPattern> p(icu::RegexPattern::compile(to_ustr(expr), 0, pe, status));
  if (U_FAILURE(status)) {
    throw ValueError(std::string("tokenizer: cannot compile the ") + what + " pattern (" +
                     u_errorName(status) + " at offset " + std::to_string(pe.offset) + ")");
  }
  return p;
}

// A piece of a chunk: byte offsets relative to the chunk, the special case's norm, and whether
// its text starts one of the special-case patterns of the final pass.
struct Sub {
  uint32_t start;
  uint32_t end;
  std::string norm;
  bool pattern_head = false;
};

std::unique_ptr<icu::RegexMatcher> make_matcher(const std::unique_ptr<icu::RegexPattern>& p) {
  if (!p) return nullptr;
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::RegexMatcher> m(p->matcher(status));
  if (U_FAILURE(status)) throw Error(std::string("tokenizer: ICU matcher: ") + u_errorName(status));
  return m;
}

// One matcher per pattern for one tokenize() call (ICU matchers are not thread-safe), made on the
// first chunk that misses the cache.
struct Matchers {
  const std::unique_ptr<icu::RegexPattern>* patterns[5] = {};
  bool ready = false;
  std::unique_ptr<icu::RegexMatcher> prefix, suffix, infix, token, url;
  void ensure() {
    if (ready) return;
    prefix = make_matcher(*patterns[0]);
    suffix = make_matcher(*patterns[1]);
    infix = make_matcher(*patterns[2]);
    token = make_matcher(*patterns[3]);
    url = make_matcher(*patterns[4]);
    ready = true;
  }
};

constexpr size_t kMaxCacheEntries = 200000;

// The chunk cache (spaCy's Tokenizer._cache): chunk text -> its pieces. Open addressing on the
// chunk's hash with keys and pieces in flat arrays, so a hit touches few cache lines. Callers hold
// the owner's lock: shared for find_into, exclusive for insert.
class ChunkCache {
 public:
  static uint64_t hash(std::string_view s) { return std::hash<std::string_view>()(s); }

  bool find_into(std::string_view chunk, uint64_t h, size_t base, std::vector<RuleToken>& out,
                 std::vector<size_t>* heads) const {
    if (slots_.empty()) return false;
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& sl = slots_[i];
      if (sl.key_len == 0) return false;
      if (sl.hash == h && sl.key_len == chunk.size() &&
          std::memcmp(keys_.data() + sl.key_off, chunk.data(), chunk.size()) == 0) {
        for (uint32_t k = 0; k < sl.sub_count; ++k) {
          const Piece& x = pieces_[sl.sub_off + k];
          if (heads && x.head) heads->push_back(out.size());
          out.push_back(RuleToken{base + x.start, base + x.end, false,
                                  x.norm < 0 ? std::string() : norms_[x.norm]});
        }
        return true;
      }
    }
  }

  void insert(std::string_view chunk, uint64_t h, const std::vector<Sub>& subs) {
    if (used_ >= kMaxCacheEntries || chunk.empty() || chunk.size() > UINT32_MAX) return;
    if ((used_ + 1) * 2 > slots_.size()) grow();
    size_t i = h & mask_;
    for (;; i = (i + 1) & mask_) {
      const Slot& sl = slots_[i];
      if (sl.key_len == 0) break;
      if (sl.hash == h && sl.key_len == chunk.size() &&
          std::memcmp(keys_.data() + sl.key_off, chunk.data(), chunk.size()) == 0)
        return;  // another thread inserted it first
    }
    Slot& sl = slots_[i];
    sl.hash = h;
    sl.key_off = static_cast<uint32_t>(keys_.size());
    sl.key_len = static_cast<uint32_t>(chunk.size());
    sl.sub_off = static_cast<uint32_t>(pieces_.size());
    sl.sub_count = static_cast<uint32_t>(subs.size());
    keys_.append(chunk.data(), chunk.size());
    for (const Sub& x : subs) {
      int32_t norm = -1;
      if (!x.norm.empty()) {
        auto it = norm_ids_.find(x.norm);
        if (it == norm_ids_.end()) {
          it = norm_ids_.emplace(x.norm, static_cast<int32_t>(norms_.size())).first;
          norms_.push_back(x.norm);
        }
        norm = it->second;
      }
      pieces_.push_back(Piece{x.start, x.end, norm, x.pattern_head});
    }
    ++used_;
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t key_off = 0, key_len = 0;  // key_len 0 = empty slot
    uint32_t sub_off = 0, sub_count = 0;
  };
  struct Piece {
    uint32_t start, end;
    int32_t norm;  // index into norms_, -1 = none
    bool head;
  };
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
    for (const Slot& sl : old) {
      if (sl.key_len == 0) continue;
      size_t i = sl.hash & mask_;
      while (slots_[i].key_len != 0) i = (i + 1) & mask_;
      slots_[i] = sl;
    }
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t used_ = 0;
  std::string keys_;
  std::vector<Piece> pieces_;
  std::vector<std::string> norms_;
  std::unordered_map<std::string, int32_t> norm_ids_;
};

}  // namespace

void validate_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  auto fail = [&](size_t at, const char* why) {
    throw ValueError("invalid UTF-8 at byte " + std::to_string(at) + ": " + why);
  };
  while (i < n) {
    const unsigned char b = s[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    char32_t c;
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
      c = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      c = b & 0x0F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      c = b & 0x07;
    } else if (b >= 0x80 && b <= 0xBF) {
      fail(i, "unexpected continuation byte");
    } else if (b == 0xC0 || b == 0xC1) {
      fail(i, "overlong encoding");
    } else {
      fail(i, "byte is never valid in UTF-8");
    }
    if (i + len > n) fail(i, "truncated sequence");
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) fail(i, "truncated sequence");
      c = (c << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000)) fail(i, "overlong encoding");
    if (c >= 0xD800 && c <= 0xDFFF) fail(i, "encoded surrogate");
    if (c > 0x10FFFF) fail(i, "code point past U+10FFFF");
    i += len;
  }
}

struct RuleTokenizer::Impl {
  TokenizerRules rules;
  std::unique_ptr<icu::RegexPattern> prefix_re, suffix_re, infix_re, token_re, url_re;
  // Special cases: key (a view of rules.special_cases' key) -> pieces.
  std::unordered_map<std::string_view, std::vector<Sub>> specials;
  // Final pass: patterns = the affix tokenization of special cases that contain affixes/spaces.
  struct Pattern {
    std::vector<std::string> orths;
    std::string key;
  };
  std::vector<Pattern> patterns;
  std::unordered_map<std::string, std::vector<size_t>> pattern_heads;

  mutable std::shared_mutex cache_mu;
  mutable ChunkCache cache;

  explicit Impl(TokenizerRules r);

  Matchers matchers() const {
    Matchers m;
    m.patterns[0] = &prefix_re;
    m.patterns[1] = &suffix_re;
    m.patterns[2] = &infix_re;
    m.patterns[3] = &token_re;
    m.patterns[4] = &url_re;
    return m;
  }
  size_t max_special_len = 0;
  const std::vector<Sub>* special(std::string_view s) const {
    if (s.size() > max_special_len) return nullptr;
    auto it = specials.find(s);
    return it == specials.end() ? nullptr : &it->second;
  }
  std::vector<Sub> split_chunk(std::string_view chunk, bool with_specials, Matchers& m) const;
  void tokenize_text(std::string_view text, bool with_specials, bool use_cache, Matchers& m,
                     std::vector<RuleToken>& out, std::vector<size_t>* heads) const;
  void apply_special_patterns(std::string_view text, std::vector<RuleToken>& toks,
                              const std::vector<size_t>& heads) const;
};

namespace {

// The affix loop works on one chunk held as UTF-16 for ICU; `b` maps UTF-16 index -> byte offset.
struct ChunkText {
  icu::UnicodeString u;
  std::vector<uint32_t> b;
  std::string_view bytes;
  explicit ChunkText(std::string_view s) : u(to_ustr(s)), bytes(s) {
    b.resize(static_cast<size_t>(u.length()) + 1);
    size_t i = 0;
    int32_t k = 0;
    while (i < s.size()) {
      const size_t at = i;
      const char32_t c = next_cp(s.data(), i);
      b[k++] = static_cast<uint32_t>(at);
      if (c > 0xFFFF) b[k++] = static_cast<uint32_t>(at);
    }
    b[k] = static_cast<uint32_t>(s.size());
  }
  std::string_view sub(int32_t s, int32_t e) const { return bytes.substr(b[s], b[e] - b[s]); }
};

// Length (UTF-16 units) of the match that `m` finds in [s, e): `anchored` = lookingAt (match at
// s), otherwise the leftmost match (Python's re.search). 0 = none.
int32_t search_len(icu::RegexMatcher* m, const ChunkText& t, int32_t s, int32_t e, bool anchored) {
  if (!m || s >= e) return 0;
  UErrorCode st = U_ZERO_ERROR;
  m->reset(t.u);
  m->region(s, e, st);
  const bool found = anchored ? m->lookingAt(st) : m->find(st);
  if (U_FAILURE(st) || !found) return 0;
  return m->end(st) - m->start(st);
}

// Python's suffix_search(string): the leftmost match in [s, e) (every suffix pattern ends in "$").
// Scanning every start position of a long chunk for each suffix stripped would make chunks such
// as 50,000 ")" quadratic, so chunks longer than kLongChunk units are searched in their last
// kWindow units only. A match found there that starts at least kWindowMargin units into the
// window is the leftmost one whenever no suffix match is longer than kWindowMargin - 2 units
// except by repeating one character (true of spaCy's rules: the longest are units such as "mbar"
// and currencies such as "US$", and the only unbounded one, "\.\.+", is a run of dots), and
// lookbehinds look back at most 2 units; a match near the window's start (a run of dots) is
// searched for again over the whole chunk, as spaCy does.
constexpr int32_t kLongChunk = 1024;
constexpr int32_t kWindow = 16;
constexpr int32_t kWindowMargin = 10;

int32_t suffix_len(icu::RegexMatcher* m, const ChunkText& t, int32_t s, int32_t e) {
  if (!m || s >= e) return 0;
  if (e - s > kLongChunk) {
    const int32_t w = e - kWindow;
    const int32_t len = search_len(m, t, w, e, false);
    if (len == 0 || e - len >= w + kWindowMargin) return len;
  }
  return search_len(m, t, s, e, false);
}

bool match_at_start(icu::RegexMatcher* m, const ChunkText& t, int32_t s, int32_t e) {
  if (!m) return false;
  UErrorCode st = U_ZERO_ERROR;
  m->reset(t.u);
  m->region(s, e, st);
  return m->lookingAt(st) && U_SUCCESS(st);
}

}  // namespace

std::vector<Sub> RuleTokenizer::Impl::split_chunk(std::string_view chunk, bool with_specials,
                                                  Matchers& m) const {
  m.ensure();
  ChunkText t(chunk);
  int32_t s = 0;
  int32_t e = t.u.length();
  std::vector<std::pair<int32_t, int32_t>> prefixes, suffixes;
  int32_t last_size = 0;
  // spacy.tokenizer.Tokenizer._split_affixes
  while (s < e && e - s != last_size) {
    if (m.token && match_at_start(m.token.get(), t, s, e)) break;
    if (with_specials && special(t.sub(s, e))) break;
    last_size = e - s;
    const int32_t pre = search_len(m.prefix.get(), t, s, e, true);
    if (pre != 0 && s + pre < e && with_specials && special(t.sub(s + pre, e))) {
      prefixes.emplace_back(s, s + pre);
      s += pre;
      break;
    }
    const int32_t suf = suffix_len(m.suffix.get(), t, s + pre, e);
    if (suf != 0 && e - suf > s && with_specials && special(t.sub(s, e - suf))) {
      suffixes.emplace_back(e - suf, e);
      e -= suf;
      break;
    }
    if (pre && suf && pre + suf <= e - s) {
      prefixes.emplace_back(s, s + pre);
      suffixes.emplace_back(e - suf, e);
      s += pre;
      e -= suf;
    } else if (pre) {
      prefixes.emplace_back(s, s + pre);
      s += pre;
    } else if (suf) {
      suffixes.emplace_back(e - suf, e);
      e -= suf;
    }
  }
  // spacy.tokenizer.Tokenizer._attach_tokens
  std::vector<Sub> out;
  auto push = [&](int32_t a, int32_t z) { out.push_back(Sub{t.b[a], t.b[z], std::string()}); };
  for (const auto& p : prefixes) push(p.first, p.second);
  if (s < e) {
    const std::vector<Sub>* sp = with_specials ? special(t.sub(s, e)) : nullptr;
    if (sp) {
      for (const Sub& x : *sp) out.push_back(Sub{t.b[s] + x.start, t.b[s] + x.end, x.norm});
    } else if ((m.token && match_at_start(m.token.get(), t, s, e)) ||
               (m.url && match_at_start(m.url.get(), t, s, e))) {
      push(s, e);
    } else if (!m.infix) {
      push(s, e);
    } else {
      UErrorCode st = U_ZERO_ERROR;
      m.infix->reset(t.u);
      m.infix->region(s, e, st);
      int32_t start = s;
      const int32_t start_before_infixes = s;
      while (m.infix->find(st) && U_SUCCESS(st)) {
        const int32_t is = m.infix->start(st);
        const int32_t ie = m.infix->end(st);
        if (is == start_before_infixes) continue;
        if (is != start) push(start, is);
        if (is != ie) push(is, ie);
        start = ie;
      }
      if (start < e) push(start, e);
    }
  }
  for (auto it = suffixes.rbegin(); it != suffixes.rend(); ++it) push(it->first, it->second);
  return out;
}

void RuleTokenizer::Impl::tokenize_text(std::string_view text, bool with_specials, bool use_cache,
                                        Matchers& m, std::vector<RuleToken>& out,
                                        std::vector<size_t>* heads) const {
  const size_t n = text.size();
  if (n == 0) return;
  auto emit = [&](size_t a, size_t z) {
    const std::string_view chunk = text.substr(a, z - a);
    const uint64_t h = use_cache ? ChunkCache::hash(chunk) : 0;
    if (use_cache) {
      std::shared_lock<std::shared_mutex> lock(cache_mu);
      if (cache.find_into(chunk, h, a, out, heads)) return;
    }
    const std::vector<Sub>* sp = with_specials ? special(chunk) : nullptr;
    std::vector<Sub> fresh = sp ? *sp : split_chunk(chunk, with_specials, m);
    if (!pattern_heads.empty()) {
      for (Sub& x : fresh) {
        x.pattern_head =
            pattern_heads.count(std::string(chunk.substr(x.start, x.end - x.start))) != 0;
      }
    }
    if (use_cache) {
      std::unique_lock<std::shared_mutex> w(cache_mu);
      cache.insert(chunk, h, fresh);
    }
    for (const Sub& x : fresh) {
      if (heads && x.pattern_head) heads->push_back(out.size());
      out.push_back(RuleToken{a + x.start, a + x.end, false, x.norm});
    }
  };
  // spacy.tokenizer.Tokenizer._tokenize_affixes: chunks are separated by whitespace changes; a
  // single ' ' after a token is its space_after, other whitespace runs are chunks themselves.
  size_t i = 0;
  size_t start = 0;
  bool in_ws = false;
  {
    size_t j = 0;
    in_ws = py_isspace(next_cp(text.data(), j));
  }
  while (i < n) {
    const size_t at = i;
    const char32_t c = next_cp(text.data(), i);
    if (py_isspace(c) != in_ws) {
      if (start < at) emit(start, at);
      if (c == U' ') {
        if (!out.empty()) out.back().space_after = true;
        start = at + 1;
      } else {
        start = at;
      }
      in_ws = !in_ws;
    }
  }
  if (start < n) emit(start, n);
}

void RuleTokenizer::Impl::apply_special_patterns(std::string_view text,
                                                 std::vector<RuleToken>& toks,
                                                 const std::vector<size_t>& heads) const {
  // spaCy's PhraseMatcher pass over the whole doc (Tokenizer._apply_special_cases).
  struct Span {
    size_t start, end;
  };
  std::vector<Span> found;
  auto orth = [&](size_t k) { return text.substr(toks[k].start, toks[k].end - toks[k].start); };
  for (size_t h : heads) {
    auto it = pattern_heads.find(std::string(orth(h)));
    if (it == pattern_heads.end()) continue;
    for (size_t pi : it->second) {
      const auto& p = patterns[pi].orths;
      if (h + p.size() > toks.size()) continue;
      bool ok = true;
      for (size_t k = 1; k < p.size() && ok; ++k) ok = orth(h + k) == p[k];
      if (ok) found.push_back(Span{h, h + p.size()});
    }
  }
  if (found.empty()) return;
  // _filter_special_spans: longest first, then leftmost; drop spans whose first or last token is
  // already covered.
  std::sort(found.begin(), found.end(), [](const Span& a, const Span& b) {
    const size_t la = a.end - a.start, lb = b.end - b.start;
    if (la != lb) return la < lb;
    return b.start < a.start;
  });
  std::set<size_t> seen;
  std::vector<Span> kept;
  for (auto it = found.rbegin(); it != found.rend(); ++it) {
    if (!seen.count(it->start) && !seen.count(it->end - 1)) kept.push_back(*it);
    for (size_t k = it->start; k < it->end; ++k) seen.insert(k);
  }
  std::sort(kept.begin(), kept.end(), [](const Span& a, const Span& b) { return a.start < b.start; });
  std::vector<RuleToken> out;
  out.reserve(toks.size() + 4);
  size_t k = 0;
  for (const Span& sp : kept) {
    while (k < sp.start) out.push_back(std::move(toks[k++]));
    const size_t a = toks[sp.start].start;
    const std::string_view span_text = text.substr(a, toks[sp.end - 1].end - a);
    const std::vector<Sub>* rule = special(span_text);
    if (!rule) {
      while (k < sp.end) out.push_back(std::move(toks[k++]));
      continue;
    }
    const bool final_space = toks[sp.end - 1].space_after;
    for (const Sub& x : *rule) out.push_back(RuleToken{a + x.start, a + x.end, false, x.norm});
    out.back().space_after = final_space;
    k = sp.end;
  }
  while (k < toks.size()) out.push_back(std::move(toks[k++]));
  toks = std::move(out);
}

RuleTokenizer::Impl::Impl(TokenizerRules r) : rules(std::move(r)) {
  auto join = [](const std::vector<std::string>& parts, const char* pre, const char* post) {
    std::string out;
    for (const auto& p : parts) {
      if (blank(p)) continue;
      if (!out.empty()) out += '|';
      out += pre;
      out += p;
      out += post;
    }
    return out;
  };
  prefix_re = compile(join(rules.prefixes, "^", ""), "prefix");
  suffix_re = compile(join(rules.suffixes, "", "$"), "suffix");
  infix_re = compile(join(rules.infixes, "", ""), "infix");
  token_re = compile(rules.token_match, "token_match");
  url_re = compile(rules.url_match, "url_match");
  for (const auto& [key, pieces] : rules.special_cases) {
    validate_utf8(key);
    if (key.empty()) throw ValueError("tokenizer: a special case has an empty key");
    std::vector<Sub> subs;
    uint32_t at = 0;
    std::string joined;
    for (const auto& [o, nrm] : pieces) {
      if (o.empty()) throw ValueError("tokenizer: special case '" + key + "' has an empty piece");
      joined += o;
      subs.push_back(Sub{at, static_cast<uint32_t>(at + o.size()), nrm});
      at += static_cast<uint32_t>(o.size());
    }
    if (joined != key) {
      throw ValueError("tokenizer: the pieces of special case '" + key + "' join to '" + joined +
                       "'");
    }
    specials.emplace(std::string_view(key), std::move(subs));
    max_special_len = std::max(max_special_len, key.size());
  }
  // Special cases that the affix rules would split (or that contain a space) are also matched as
  // token sequences after tokenization (spaCy's faster_heuristics).
  Matchers m = matchers();
  m.ensure();
  for (const auto& [key, pieces] : rules.special_cases) {
    ChunkText t(key);
    const int32_t len = t.u.length();
    bool has_infix = false;
    if (m.infix) {
      UErrorCode st = U_ZERO_ERROR;
      m.infix->reset(t.u);
      has_infix = m.infix->find(st) && U_SUCCESS(st);
    }
    if (!(search_len(m.prefix.get(), t, 0, len, true) || has_infix ||
          search_len(m.suffix.get(), t, 0, len, false) || key.find(' ') != std::string::npos)) {
      continue;
    }
    std::vector<RuleToken> toks;
    tokenize_text(key, false, false, m, toks, nullptr);
    Pattern p;
    p.key = key;
    for (const auto& tk : toks) p.orths.push_back(key.substr(tk.start, tk.end - tk.start));
    if (p.orths.empty()) continue;
    pattern_heads[p.orths.front()].push_back(patterns.size());
    patterns.push_back(std::move(p));
  }
}

RuleTokenizer::RuleTokenizer(TokenizerRules rules) : impl_(std::make_unique<Impl>(std::move(rules))) {}
RuleTokenizer::~RuleTokenizer() = default;
RuleTokenizer::RuleTokenizer(RuleTokenizer&&) noexcept = default;
RuleTokenizer& RuleTokenizer::operator=(RuleTokenizer&&) noexcept = default;

namespace {
void check_live(const void* impl) {
  if (!impl) throw Error("RuleTokenizer: used after it was moved from");
}
}  // namespace

const TokenizerRules& RuleTokenizer::rules() const {
  check_live(impl_.get());
  return impl_->rules;
}

std::vector<RuleToken> RuleTokenizer::tokenize(std::string_view utf8) const {
  check_live(impl_.get());
  validate_utf8(utf8);
  std::vector<RuleToken> toks;
  if (utf8.empty()) return toks;
  if (utf8.size() >= (size_t{1} << 31)) throw ValueError("tokenizer: text longer than 2 GiB");
  toks.reserve(utf8.size() / 5 + 4);
  Matchers m = impl_->matchers();
  std::vector<size_t> heads;
  impl_->tokenize_text(utf8, true, true, m, toks, &heads);
  if (!heads.empty()) impl_->apply_special_patterns(utf8, toks, heads);
  return toks;
}

nlohmann::ordered_json RuleTokenizer::to_json() const {
  const auto& r = rules();
  nlohmann::ordered_json j;
  j["prefixes"] = r.prefixes;
  j["suffixes"] = r.suffixes;
  j["infixes"] = r.infixes;
  j["token_match"] = r.token_match;
  j["url_match"] = r.url_match;
  nlohmann::ordered_json sc = nlohmann::ordered_json::object();
  for (const auto& [key, pieces] : r.special_cases) {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& [o, nrm] : pieces) arr.push_back({o, nrm});
    sc[key] = std::move(arr);
  }
  j["special_cases"] = std::move(sc);
  return j;
}

RuleTokenizer RuleTokenizer::from_json(const nlohmann::ordered_json& j) {
  auto fail = [](const std::string& what) { throw ValueError("tokenizer JSON: " + what); };
  if (!j.is_object()) fail("expected an object");
  TokenizerRules r;
  auto strings = [&](const char* key, std::vector<std::string>& dst) {
    if (!j.contains(key)) fail(std::string("missing key '") + key + "'");
    const auto& a = j.at(key);
    if (!a.is_array()) fail(std::string("'") + key + "' must be a list of strings");
    for (const auto& x : a) {
      if (!x.is_string()) fail(std::string("'") + key + "' must be a list of strings");
      dst.push_back(x.get<std::string>());
    }
  };
  auto string = [&](const char* key, std::string& dst) {
    if (!j.contains(key)) fail(std::string("missing key '") + key + "'");
    const auto& v = j.at(key);
    if (v.is_null()) return;
    if (!v.is_string()) fail(std::string("'") + key + "' must be a string");
    dst = v.get<std::string>();
  };
  strings("prefixes", r.prefixes);
  strings("suffixes", r.suffixes);
  strings("infixes", r.infixes);
  string("token_match", r.token_match);
  string("url_match", r.url_match);
  if (!j.contains("special_cases")) fail("missing key 'special_cases'");
  const auto& sc = j.at("special_cases");
  if (!sc.is_object()) fail("'special_cases' must be an object");
  for (const auto& [key, arr] : sc.items()) {
    if (!arr.is_array()) fail("special case '" + key + "' must be a list of [orth, norm]");
    auto& dst = r.special_cases[key];
    for (const auto& piece : arr) {
      if (!piece.is_array() || piece.size() != 2 || !piece[0].is_string() || !piece[1].is_string())
        fail("special case '" + key + "' must be a list of [orth, norm]");
      dst.emplace_back(piece[0].get<std::string>(), piece[1].get<std::string>());
    }
  }
  return RuleTokenizer(std::move(r));
}

// ---------------------------------------------------------------------------------------------
// English data (spacy/lang/char_classes.py, punctuation.py, tokenizer_exceptions.py, en/*).

namespace {

// Character ranges in Python/ICU regex syntax, as in spacy/lang/char_classes.py.
const char* const k_ethiopic =
    R"~(\u1200-\u137F)~";
const char* const k_bengali =
    R"~(\u0980-\u09FF)~";
const char* const k_hebrew =
    R"~(\u0591-\u05F4\uFB1D-\uFB4F)~";
const char* const k_hindi =
    R"~(\u0900-\u097F)~";
const char* const k_kannada =
    R"~(\u0C80-\u0CFF)~";
const char* const k_tamil =
    R"~(\u0B80-\u0BFF)~";
const char* const k_telugu =
    R"~(\u0C00-\u0C7F)~";
const char* const k_cjk =
    R"~(\u4E00-\u62FF\u6300-\u77FF\u7800-\u8CFF\u8D00-\u9FFF\u3400-\u4DBF\U00020000-\U000215FF\U00)~"
    R"~(021600-\U000230FF\U00023100-\U000245FF\U00024600-\U000260FF\U00026100-\U000275FF\U00027600)~"
    R"~(-\U000290FF\U00029100-\U0002A6DF\U0002A700-\U0002B73F\U0002B740-\U0002B81F\U0002B820-\U000)~"
    R"~(2CEAF\U0002CEB0-\U0002EBEF\u2E80-\u2EFF\u2F00-\u2FDF\u2FF0-\u2FFF\u3000-\u303F\u31C0-\u31E)~"
    R"~(F\u3200-\u32FF\u3300-\u33FF\uF900-\uFAFF\uFE30-\uFE4F\U0001F200-\U0001F2FF\U0002F800-\U000)~"
    R"~(2FA1F)~";
const char* const k_latin_u_standard =
    R"~(A-Z)~";
const char* const k_latin_l_standard =
    R"~(a-z)~";
const char* const k_latin_u_standard_fullwidth =
    R"~(\uFF21-\uFF3A)~";
const char* const k_latin_l_standard_fullwidth =
    R"~(\uFF41-\uFF5A)~";
const char* const k_latin_u_supplement =
    R"~(\u00C0-\u00D6\u00D8-\u00DE)~";
const char* const k_latin_l_supplement =
    R"~(\u00DF-\u00F6\u00F8-\u00FF)~";
const char* const k_latin_supplement =
    R"~(\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u00FF)~";
const char* const k_hangul_syllables =
    R"~(\uAC00-\uD7AF)~";
const char* const k_hangul_jamo =
    R"~(\u1100-\u11FF)~";
const char* const k_hiragana =
    R"~(\u3040-\u309F)~";
const char* const k_katakana =
    R"~(\u30A0-\u30FFー)~";
const char* const k_latin_u_extendedA =
    R"~(\u0100\u0102\u0104\u0106\u0108\u010A\u010C\u010E\u0110\u0112\u0114\u0116\u0118\u011A\u011C)~"
    R"~(\u011E\u0120\u0122\u0124\u0126\u0128\u012A\u012C\u012E\u0130\u0132\u0134\u0136\u0139\u013B)~"
    R"~(\u013D\u013F\u0141\u0143\u0145\u0147\u014A\u014C\u014E\u0150\u0152\u0154\u0156\u0158\u015A)~"
    R"~(\u015C\u015E\u0160\u0162\u0164\u0166\u0168\u016A\u016C\u016E\u0170\u0172\u0174\u0176\u0178)~"
    R"~(\u0179\u017B\u017D)~";
const char* const k_latin_l_extendedA =
    R"~(\u0101\u0103\u0105\u0107\u0109\u010B\u010D\u010F\u0111\u0113\u0115\u0117\u0119\u011B\u011D)~"
    R"~(\u011F\u0121\u0123\u0125\u0127\u0129\u012B\u012D\u012F\u0131\u0133\u0135\u0137\u0138\u013A)~"
    R"~(\u013C\u013E\u0140\u0142\u0144\u0146\u0148\u0149\u014B\u014D\u014F\u0151\u0153\u0155\u0157)~"
    R"~(\u0159\u015B\u015D\u015F\u0161\u0163\u0165\u0167\u0169\u016B\u016D\u016F\u0171\u0173\u0175)~"
    R"~(\u0177\u017A\u017C\u017E\u017F)~";
const char* const k_latin_extendedA =
    R"~(\u0100-\u017F)~";
const char* const k_latin_u_extendedB =
    R"~(\u0181\u0182\u0184\u0186\u0187\u0189-\u018B\u018E-\u0191\u0193\u0194\u0196-\u0198\u019C\u0)~"
    R"~(19D\u019F\u01A0\u01A2\u01A4\u01A6\u01A7\u01A9\u01AC\u01AE\u01AF\u01B1-\u01B3\u01B5\u01B7\u)~"
    R"~(01B8\u01BC\u01C4\u01C7\u01CA\u01CD\u01CF\u01D1\u01D3\u01D5\u01D7\u01D9\u01DB\u01DE\u01E0\u)~"
    R"~(01E2\u01E4\u01E6\u01E8\u01EA\u01EC\u01EE\u01F1\u01F4\u01F6-\u01F8\u01FA\u01FC\u01FE\u0200\)~"
    R"~(u0202\u0204\u0206\u0208\u020A\u020C\u020E\u0210\u0212\u0214\u0216\u0218\u021A\u021C\u021E\)~"
    R"~(u0220\u0222\u0224\u0226\u0228\u022A\u022C\u022E\u0230\u0232\u023A\u023B\u023D\u023E\u0241\)~"
    R"~(u0243-\u0246\u0248\u024A\u024C\u024E)~";
const char* const k_latin_l_extendedB =
    R"~(\u0180\u0183\u0185\u0188\u018C\u018D\u0192\u0195\u0199-\u019B\u019E\u01A1\u01A3\u01A5\u01A)~"
    R"~(8\u01AA\u01AB\u01AD\u01B0\u01B4\u01B6\u01B9\u01BA\u01BD-\u01BF\u01C6\u01C9\u01CC\u01CE\u01)~"
    R"~(D0\u01D2\u01D4\u01D6\u01D8\u01DA\u01DC\u01DD\u01DF\u01E1\u01E3\u01E5\u01E7\u01E9\u01EB\u01)~"
    R"~(ED\u01EF\u01F0\u01F3\u01F5\u01F9\u01FB\u01FD\u01FF\u0201\u0203\u0205\u0207\u0209\u020B\u02)~"
    R"~(0D\u020F\u0211\u0213\u0215\u0217\u0219\u021B\u021D\u021F\u0221\u0223\u0225\u0227\u0229\u02)~"
    R"~(2B\u022D\u022F\u0231\u0233-\u0239\u023C\u023F\u0240\u0242\u0247\u0249\u024B\u024D\u024F)~";
const char* const k_latin_extendedB =
    R"~(\u0180-\u01BF\u01C4-\u024F)~";
const char* const k_latin_u_extendedC =
    R"~(\u2C60\u2C62-\u2C64\u2C67\u2C69\u2C6B\u2C6D-\u2C70\u2C72\u2C75\u2C7E\u2C7F)~";
const char* const k_latin_l_extendedC =
    R"~(\u2C61\u2C65\u2C66\u2C68\u2C6A\u2C6C\u2C71\u2C73\u2C74\u2C76-\u2C7B)~";
const char* const k_latin_extendedC =
    R"~(\u2C60-\u2C7B\u2C7E\u2C7F)~";
const char* const k_latin_u_extendedD =
    R"~(\uA722\uA724\uA726\uA728\uA72A\uA72C\uA72E\uA732\uA734\uA736\uA738\uA73A\uA73C\uA73E\uA740)~"
    R"~(\uA742\uA744\uA746\uA748\uA74A\uA74C\uA74E\uA750\uA752\uA754\uA756\uA758\uA75A\uA75C\uA75E)~"
    R"~(\uA760\uA762\uA764\uA766\uA768\uA76A\uA76C\uA76E\uA779\uA77B\uA77D\uA77E\uA780\uA782\uA784)~"
    R"~(\uA786\uA78B\uA78D\uA790\uA792\uA796\uA798\uA79A\uA79C\uA79E\uA7A0\uA7A2\uA7A4\uA7A6\uA7A8)~"
    R"~(\uA7AA-\uA7AE\uA7B0-\uA7B4\uA7B6\uA7B8)~";
const char* const k_latin_l_extendedD =
    R"~(\uA723\uA725\uA727\uA729\uA72B\uA72D\uA72F-\uA731\uA733\uA735\uA737\uA739\uA73B\uA73D\uA73)~"
    R"~(F\uA741\uA743\uA745\uA747\uA749\uA74B\uA74D\uA74F\uA751\uA753\uA755\uA757\uA759\uA75B\uA75)~"
    R"~(D\uA75F\uA761\uA763\uA765\uA767\uA769\uA76B\uA76D\uA76F\uA771-\uA778\uA77A\uA77C\uA77F\uA7)~"
    R"~(81\uA783\uA785\uA787\uA78C\uA78E\uA791\uA793-\uA795\uA797\uA799\uA79B\uA79D\uA79F\uA7A1\uA)~"
    R"~(7A3\uA7A5\uA7A7\uA7A9\uA7AF\uA7B5\uA7B7\uA7B9\uA7FA)~";
const char* const k_latin_extendedD =
    R"~(\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uA790-\uA7B9\uA7FA)~";
const char* const k_latin_l_extendedE =
    R"~(\uAB30-\uAB5A\uAB60-\uAB64)~";
const char* const k_latin_l_phonetic =
    R"~(\u0250-\u02AF\u1D00-\u1D25\u1D6B-\u1D77\u1D79-\u1D9A)~";
const char* const k_latin_u_diacritics =
    R"~(\u1E00\u1E02\u1E04\u1E06\u1E08\u1E0A\u1E0C\u1E0E\u1E10\u1E12\u1E14\u1E16\u1E18\u1E1A\u1E1C)~"
    R"~(\u1E1E\u1E20\u1E22\u1E24\u1E26\u1E28\u1E2A\u1E2C\u1E2E\u1E30\u1E32\u1E34\u1E36\u1E38\u1E3A)~"
    R"~(\u1E3C\u1E3E\u1E40\u1E42\u1E44\u1E46\u1E48\u1E4A\u1E4C\u1E4E\u1E50\u1E52\u1E54\u1E56\u1E58)~"
    R"~(\u1E5A\u1E5C\u1E5E\u1E60\u1E62\u1E64\u1E66\u1E68\u1E6A\u1E6C\u1E6E\u1E70\u1E72\u1E74\u1E76)~"
    R"~(\u1E78\u1E7A\u1E7C\u1E7E\u1E80\u1E82\u1E84\u1E86\u1E88\u1E8A\u1E8C\u1E8E\u1E90\u1E92\u1E94)~"
    R"~(\u1E9E\u1EA0\u1EA2\u1EA4\u1EA6\u1EA8\u1EAA\u1EAC\u1EAE\u1EB0\u1EB2\u1EB4\u1EB6\u1EB8\u1EBA)~"
    R"~(\u1EBC\u1EBE\u1EC0\u1EC2\u1EC4\u1EC6\u1EC8\u1ECA\u1ECC\u1ECE\u1ED0\u1ED2\u1ED4\u1ED6\u1ED8)~"
    R"~(\u1EDA\u1EDC\u1EDE\u1EE0\u1EE2\u1EE4\u1EE6\u1EE8\u1EEA\u1EEC\u1EEE\u1EF0\u1EF2\u1EF4\u1EF6)~"
    R"~(\u1EF8\u1EFA\u1EFC\u1EFE)~";
const char* const k_latin_l_diacritics =
    R"~(\u1E01\u1E03\u1E05\u1E07\u1E09\u1E0B\u1E0D\u1E0F\u1E11\u1E13\u1E15\u1E17\u1E19\u1E1B\u1E1D)~"
    R"~(\u1E1F\u1E21\u1E23\u1E25\u1E27\u1E29\u1E2B\u1E2D\u1E2F\u1E31\u1E33\u1E35\u1E37\u1E39\u1E3B)~"
    R"~(\u1E3D\u1E3F\u1E41\u1E43\u1E45\u1E47\u1E49\u1E4B\u1E4D\u1E4F\u1E51\u1E53\u1E55\u1E57\u1E59)~"
    R"~(\u1E5B\u1E5D\u1E5F\u1E61\u1E63\u1E65\u1E67\u1E69\u1E6B\u1E6D\u1E6F\u1E71\u1E73\u1E75\u1E77)~"
    R"~(\u1E79\u1E7B\u1E7D\u1E7F\u1E81\u1E83\u1E85\u1E87\u1E89\u1E8B\u1E8D\u1E8F\u1E91\u1E93\u1E95)~"
    R"~(-\u1E9D\u1E9F\u1EA1\u1EA3\u1EA5\u1EA7\u1EA9\u1EAB\u1EAD\u1EAF\u1EB1\u1EB3\u1EB5\u1EB7\u1EB)~"
    R"~(9\u1EBB\u1EBD\u1EBF\u1EC1\u1EC3\u1EC5\u1EC7\u1EC9\u1ECB\u1ECD\u1ECF\u1ED1\u1ED3\u1ED5\u1ED)~"
    R"~(7\u1ED9\u1EDB\u1EDD\u1EDF\u1EE1\u1EE3\u1EE5\u1EE7\u1EE9\u1EEB\u1EED\u1EEF\u1EF1\u1EF3\u1EF)~"
    R"~(5\u1EF7\u1EF9\u1EFB\u1EFD\u1EFF)~";
const char* const k_latin_diacritics =
    R"~(\u1E00-\u1EFF)~";
const char* const k_persian =
    R"~(\u0620-\u064A\u066E-\u06D5\u06E5-\u06FF\u0750-\u077F\u08A0-\u08BD\uFB50-\uFBB1\uFBD3-\uFD3)~"
    R"~(D\uFD50-\uFDC7\uFDF0-\uFDFB\uFE70-\uFEFC\U0001EE00-\U0001EEBB)~";
const char* const k_russian_lower =
    R"~(ёа-я)~";
const char* const k_russian_upper =
    R"~(ЁА-Я)~";
const char* const k_russian =
    R"~(ёа-яЁА-Я)~";
const char* const k_sinhala =
    R"~(\u0D80-\u0DFF)~";
const char* const k_tatar_lower =
    R"~(әөүҗңһ)~";
const char* const k_tatar_upper =
    R"~(ӘӨҮҖҢҺ)~";
const char* const k_tatar =
    R"~(әөүҗңһӘӨҮҖҢҺ)~";
const char* const k_greek_lower =
    R"~(α-ωάέίόώήύ)~";
const char* const k_greek_upper =
    R"~(Α-ΩΆΈΊΌΏΉΎ)~";
const char* const k_greek =
    R"~(α-ωάέίόώήύΑ-ΩΆΈΊΌΏΉΎ)~";
const char* const k_ukrainian_lower =
    R"~(а-щюяіїєґ)~";
const char* const k_ukrainian_upper =
    R"~(А-ЩЮЯІЇЄҐ)~";
const char* const k_ukrainian =
    R"~(а-щюяіїєґА-ЩЮЯІЇЄҐ)~";
const char* const k_macedonian_lower =
    R"~(ѓѕјљњќѐѝ)~";
const char* const k_macedonian_upper =
    R"~(ЃЅЈЉЊЌЀЍ)~";
const char* const k_macedonian =
    R"~(ѓѕјљњќѐѝЃЅЈЉЊЌЀЍ)~";
const char* const k_units =
    R"~(km km² km³ m m² m³ dm dm² dm³ cm cm² cm³ mm mm² mm³ ha µm nm yd in ft kg g mg µg t lb oz m)~"
    R"~(/s km/h kmh mph hPa Pa mbar mb MB kb KB gb GB tb TB T G M K % км км² км³ м м² м³ дм дм² дм)~"
    R"~(³ см см² см³ мм мм² мм³ нм кг г мг м/с км/ч кПа Па мбар Кб КБ кб Мб МБ мб Гб ГБ гб Тб ТБ т)~"
    R"~(бكم كم² كم³ م م² م³ سم سم² سم³ مم مم² مم³ كم غرام جرام جم كغ ملغ كوب اكواب)~";
const char* const k_currency =
    R"~(\$ £ € ¥ ฿ US\$ C\$ A\$ ₽ ﷼ ₴ ₠ ₡ ₢ ₣ ₤ ₥ ₦ ₧ ₨ ₩ ₪ ₫ € ₭ ₮ ₯ ₰ ₱ ₲ ₳ ₴ ₵ ₶ ₷ ₸ ₹ ₺ ₻ ₼ ₽ )~"
    R"~(₾ ₿)~";
const char* const k_punct =
    R"~(… …… , : ; \! \? ¿ ؟ ¡ \( \) \[ \] \{ \} < > _ # \* & 。 ？ ！ ， 、 ； ： ～ · । ، ۔ ؛ ٪)~";
const char* const k_quotes =
    R"~(\' " ” “ ` ‘ ´ ’ ‚ , „ » « 「 」 『 』 （ ） 〔 〕 【 】 《 》 〈 〉 〈 〉  ⟦ ⟧)~";
const char* const k_hyphens =
    R"~(- – — -- --- —— ~)~";
const char* const k_other_symbols =
    R"~(\u00A6\u00A9\u00AE\u00B0\u0482\u058D\u058E\u060E\u060F\u06DE\u06E9\u06FD\u06FE\u07F6\u09FA)~"
    R"~(\u0B70\u0BF3-\u0BF8\u0BFA\u0C7F\u0D4F\u0D79\u0F01-\u0F03\u0F13\u0F15-\u0F17\u0F1A-\u0F1F\u)~"
    R"~(0F34\u0F36\u0F38\u0FBE-\u0FC5\u0FC7-\u0FCC\u0FCE\u0FCF\u0FD5-\u0FD8\u109E\u109F\u1390-\u13)~"
    R"~(99\u1940\u19DE-\u19FF\u1B61-\u1B6A\u1B74-\u1B7C\u2100\u2101\u2103-\u2106\u2108\u2109\u2114)~"
    R"~(\u2116\u2117\u211E-\u2123\u2125\u2127\u2129\u212E\u213A\u213B\u214A\u214C\u214D\u214F\u218)~"
    R"~(A\u218B\u2195-\u2199\u219C-\u219F\u21A1\u21A2\u21A4\u21A5\u21A7-\u21AD\u21AF-\u21CD\u21D0\)~"
    R"~(u21D1\u21D3\u21D5-\u21F3\u2300-\u2307\u230C-\u231F\u2322-\u2328\u232B-\u237B\u237D-\u239A\)~"
    R"~(u23B4-\u23DB\u23E2-\u2426\u2440-\u244A\u249C-\u24E9\u2500-\u25B6\u25B8-\u25C0\u25C2-\u25F7)~"
    R"~(\u2600-\u266E\u2670-\u2767\u2794-\u27BF\u2800-\u28FF\u2B00-\u2B2F\u2B45\u2B46\u2B4D-\u2B73)~"
    R"~(\u2B76-\u2B95\u2B98-\u2BC8\u2BCA-\u2BFE\u2CE5-\u2CEA\u2E80-\u2E99\u2E9B-\u2EF3\u2F00-\u2FD)~"
    R"~(5\u2FF0-\u2FFB\u3004\u3012\u3013\u3020\u3036\u3037\u303E\u303F\u3190\u3191\u3196-\u319F\u3)~"
    R"~(1C0-\u31E3\u3200-\u321E\u322A-\u3247\u3250\u3260-\u327F\u328A-\u32B0\u32C0-\u32FE\u3300-\u)~"
    R"~(33FF\u4DC0-\u4DFF\uA490-\uA4C6\uA828-\uA82B\uA836\uA837\uA839\uAA77-\uAA79\uFDFD\uFFE4\uFF)~"
    R"~(E8\uFFED\uFFEE\uFFFC\uFFFD\U00010137-\U0001013F\U00010179-\U00010189\U0001018C-\U0001018E\)~"
    R"~(U00010190-\U0001019B\U000101A0\U000101D0-\U000101FC\U00010877\U00010878\U00010AC8\U0001173)~"
    R"~(F\U00016B3C-\U00016B3F\U00016B45\U0001BC9C\U0001D000-\U0001D0F5\U0001D100-\U0001D126\U0001)~"
    R"~(D129-\U0001D164\U0001D16A-\U0001D16C\U0001D183\U0001D184\U0001D18C-\U0001D1A9\U0001D1AE-\U)~"
    R"~(0001D1E8\U0001D200-\U0001D241\U0001D245\U0001D300-\U0001D356\U0001D800-\U0001D9FF\U0001DA3)~"
    R"~(7-\U0001DA3A\U0001DA6D-\U0001DA74\U0001DA76-\U0001DA83\U0001DA85\U0001DA86\U0001ECAC\U0001)~"
    R"~(F000-\U0001F02B\U0001F030-\U0001F093\U0001F0A0-\U0001F0AE\U0001F0B1-\U0001F0BF\U0001F0C1-\)~"
    R"~(U0001F0CF\U0001F0D1-\U0001F0F5\U0001F110-\U0001F16B\U0001F170-\U0001F1AC\U0001F1E6-\U0001F)~"
    R"~(202\U0001F210-\U0001F23B\U0001F240-\U0001F248\U0001F250\U0001F251\U0001F260-\U0001F265\U00)~"
    R"~(01F300-\U0001F3FA\U0001F400-\U0001F6D4\U0001F6E0-\U0001F6EC\U0001F6F0-\U0001F6F9\U0001F700)~"
    R"~(-\U0001F773\U0001F780-\U0001F7D8\U0001F800-\U0001F80B\U0001F810-\U0001F847\U0001F850-\U000)~"
    R"~(1F859\U0001F860-\U0001F887\U0001F890-\U0001F8AD\U0001F900-\U0001F90B\U0001F910-\U0001F93E\)~"
    R"~(U0001F940-\U0001F970\U0001F973-\U0001F976\U0001F97A\U0001F97C-\U0001F9A2\U0001F9B0-\U0001F)~"
    R"~(9B9\U0001F9C0-\U0001F9C2\U0001F9D0-\U0001F9FF\U0001FA60-\U0001FA6D)~";

std::string cat(std::initializer_list<const char*> parts) {
  std::string s;
  for (const char* p : parts) s += p;
  return s;
}

// char_classes.split_chars / merge_chars / group_chars (Python's str.strip().split(" ") etc.).
std::string strip_spaces(const std::string& s) {
  size_t a = 0, z = s.size();
  while (a < z && s[a] == ' ') ++a;
  while (z > a && s[z - 1] == ' ') --z;
  return s.substr(a, z - a);
}
std::vector<std::string> split_chars(const std::string& s) {
  std::vector<std::string> out;
  const std::string t = strip_spaces(s);
  size_t a = 0;
  while (true) {
    const size_t z = t.find(' ', a);
    out.push_back(t.substr(a, z == std::string::npos ? std::string::npos : z - a));
    if (z == std::string::npos) break;
    a = z + 1;
  }
  return out;
}
std::string replace_spaces(const std::string& s, const std::string& with) {
  std::string out;
  for (char c : strip_spaces(s)) {
    if (c == ' ')
      out += with;
    else
      out += c;
  }
  return out;
}
std::string merge_chars(const std::string& s) { return replace_spaces(s, "|"); }
std::string group_chars(const std::string& s) { return replace_spaces(s, ""); }

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

struct EnglishClasses {
  std::string alpha, alpha_lower, alpha_upper, concat_quotes, units, currency, punct, hyphens;
  std::vector<std::string> list_currency, list_quotes, list_punct, list_ellipses, list_icons;
  EnglishClasses() {
    const std::string latin_lower = cat({k_latin_l_standard, k_latin_l_standard_fullwidth,
                                         k_latin_l_supplement, k_latin_l_extendedA,
                                         k_latin_l_extendedB, k_latin_l_extendedC,
                                         k_latin_l_extendedD, k_latin_l_extendedE,
                                         k_latin_l_phonetic, k_latin_l_diacritics});
    const std::string latin_upper =
        cat({k_latin_u_standard, k_latin_u_standard_fullwidth, k_latin_u_supplement,
             k_latin_u_extendedA, k_latin_u_extendedB, k_latin_u_extendedC, k_latin_u_extendedD,
             k_latin_u_diacritics});
    const std::string latin =
        cat({k_latin_u_standard, k_latin_l_standard, k_latin_u_standard_fullwidth,
             k_latin_l_standard_fullwidth, k_latin_supplement, k_latin_extendedA,
             k_latin_extendedB, k_latin_extendedC, k_latin_extendedD, k_latin_l_extendedE,
             k_latin_l_phonetic, k_latin_diacritics});
    const std::string upper = latin_upper + cat({k_russian_upper, k_tatar_upper, k_greek_upper,
                                                 k_ukrainian_upper, k_macedonian_upper});
    const std::string lower = latin_lower + cat({k_russian_lower, k_tatar_lower, k_greek_lower,
                                                 k_ukrainian_lower, k_macedonian_lower});
    const std::string uncased =
        cat({k_ethiopic, k_bengali, k_hebrew, k_persian, k_sinhala, k_hindi, k_kannada, k_tamil,
             k_telugu, k_hangul_syllables, k_hangul_jamo, k_hiragana, k_katakana, k_cjk});
    alpha = group_chars(latin + cat({k_russian, k_tatar, k_greek, k_ukrainian, k_macedonian}) +
                        uncased);
    alpha_lower = group_chars(lower + uncased);
    alpha_upper = group_chars(upper + uncased);
    units = merge_chars(k_units);
    currency = merge_chars(k_currency);
    punct = merge_chars(k_punct);
    hyphens = merge_chars(k_hyphens);
    list_currency = split_chars(k_currency);
    list_quotes = split_chars(k_quotes);
    list_punct = split_chars(k_punct);
    list_ellipses = {R"(\.\.+)", "…"};
    list_icons = {std::string("[") + k_other_symbols + "]"};
    concat_quotes = group_chars(k_quotes);
  }
};

// spacy/lang/tokenizer_exceptions.py: URL_PATTERN (its "(?u)" flag is Python's default anyway).
std::string url_pattern(const EnglishClasses& c) {
  return std::string(R"(^)") + R"((?:(?:[\w\+\-\.]{2,})://)?)" + R"((?:\S+(?::\S*)?@)?)" +
         R"((?:)" + R"((?!(?:10|127)(?:\.\d{1,3}){3}))" +
         R"((?!(?:169\.254|192\.168)(?:\.\d{1,3}){2}))" +
         R"((?!172\.(?:1[6-9]|2\d|3[0-1])(?:\.\d{1,3}){2}))" +
         R"((?:[1-9]\d?|1\d\d|2[01]\d|22[0-3]))" + R"((?:\.(?:1?\d{1,2}|2[0-4]\d|25[0-5])){2})" +
         R"((?:\.(?:[1-9]\d?|1\d\d|2[0-4]\d|25[0-4])))" + R"(|)" + R"((?:)" + R"((?:)" +
         R"([A-Za-z0-9\u00a1-\uffff])" + R"([A-Za-z0-9\u00a1-\uffff_-]{0,62})" + R"()?)" +
         R"([A-Za-z0-9\u00a1-\uffff]\.)" + R"()+)" + "(?:[" + c.alpha_lower + "]{2,63})" +
         R"())" + R"((?::\d{2,5})?)" + R"((?:[/?#]\S*)?)" + R"($)";
}

using Pieces = std::vector<std::pair<std::string, std::string>>;
using Exceptions = std::map<std::string, Pieces>;

std::string title(const std::string& ascii) {
  std::string s = ascii;
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  size_t at = 0;
  while ((at = s.find(from, at)) != std::string::npos) {
    s.replace(at, from.size(), to);
    at += to.size();
  }
}

// spacy/lang/tokenizer_exceptions.py BASE_EXCEPTIONS
void base_exceptions(Exceptions& exc) {
  exc[" "] = {{" ", ""}};
  exc["\t"] = {{"\t", ""}};
  exc["\\t"] = {{"\\t", ""}};
  exc["\n"] = {{"\n", ""}};
  exc["\\n"] = {{"\\n", ""}};
  exc["\u2014"] = {{"\u2014", ""}};
  exc["\u00a0"] = {{"\u00a0", "  "}};
  for (const char* o : {"'", "\\\")", "<space>", "''", "C++", "a.", "b.", "c.", "d.", "e.", "f.",
                        "g.", "h.", "i.", "j.", "k.", "l.", "m.", "n.", "o.", "p.", "q.", "r.",
                        "s.", "t.", "u.", "v.", "w.", "x.", "y.", "z.", "ä.", "ö.", "ü."}) {
    exc[o] = {{o, ""}};
  }
  static const char* const emoticons[] = {
      ":)", ":-)", ":))", ":-))", ":)))", ":-)))", "(:", "(-:", "=)", "(=", ":]", ":-]", "[:",
      "[-:", "[=", "=]", ":o)", "(o:", ":}", ":-}", "8)", "8-)", "(-8", ";)", ";-)", "(;", "(-;",
      ":(", ":-(", ":((", ":-((", ":(((", ":-(((", "):", ")-:", "=(", ">:(", ":')", ":'-)", ":'(",
      ":'-(", ":/", ":-/", "=/", "=|", ":|", ":-|", "]=", "=[", ":1", ":P", ":-P", ":p", ":-p",
      ":O", ":-O", ":o", ":-o", ":0", ":-0", ":()", ">:o", ":*", ":-*", ":3", ":-3", "=3", ":>",
      ":->", ":X", ":-X", ":x", ":-x", ":D", ":-D", ";D", ";-D", "=D", "xD", "XD", "xDD", "XDD",
      "8D", "8-D", "^_^", "^__^", "^___^", ">.<", ">.>", "<.<", "._.", ";_;", "-_-", "-__-",
      "v.v", "V.V", "v_v", "V_V", "o_o", "o_O", "O_o", "O_O", "0_o", "o_0", "0_0", "o.O", "O.o",
      "O.O", "o.o", "0.0", "o.0", "0.o", "@_@", "<3", "<33", "<333", "</3", "(^_^)", "(-_-)",
      "(._.)", "(>_<)", "(*_*)", "(¬_¬)", "ಠ_ಠ", "ಠ︵ಠ", "(ಠ_ಠ)", "¯\\(ツ)/¯", "(╯°□°）╯︵┻━┻",
      "><(((*>"};
  for (const char* o : emoticons) exc[o] = {{o, ""}};
  for (const char* u : {"c", "f", "k", "C", "F", "K"}) {
    exc[std::string("°") + u + "."] = {{"°", ""}, {u, ""}, {".", ""}};
  }
}

// spacy/lang/en/tokenizer_exceptions.py (before update_exc)
Exceptions english_exceptions() {
  Exceptions exc;
  for (const std::string orth : {"i", "I"}) {
    exc[orth + "'m"] = {{orth, "i"}, {"'m", "am"}};
    exc[orth + "m"] = {{orth, "i"}, {"m", ""}};
    exc[orth + "'ma"] = {{orth, "i"}, {"'m", "am"}, {"a", "gonna"}};
    exc[orth + "ma"] = {{orth, "i"}, {"m", "am"}, {"a", "gonna"}};
  }
  for (const std::string pron : {"i", "you", "he", "she", "it", "we", "they"}) {
    for (const std::string& orth : {pron, title(pron)}) {
      exc[orth + "'ll"] = {{orth, pron}, {"'ll", "will"}};
      exc[orth + "ll"] = {{orth, pron}, {"ll", "will"}};
      exc[orth + "'ll've"] = {{orth, pron}, {"'ll", "will"}, {"'ve", "have"}};
      exc[orth + "llve"] = {{orth, pron}, {"ll", "will"}, {"ve", "have"}};
      exc[orth + "'d"] = {{orth, pron}, {"'d", "'d"}};
      exc[orth + "d"] = {{orth, pron}, {"d", "'d"}};
      exc[orth + "'d've"] = {{orth, pron}, {"'d", "would"}, {"'ve", "have"}};
      exc[orth + "dve"] = {{orth, pron}, {"d", "would"}, {"ve", "have"}};
    }
  }
  for (const std::string pron : {"i", "you", "we", "they"}) {
    for (const std::string& orth : {pron, title(pron)}) {
      exc[orth + "'ve"] = {{orth, pron}, {"'ve", "have"}};
      exc[orth + "ve"] = {{orth, pron}, {"ve", "have"}};
    }
  }
  for (const std::string pron : {"you", "we", "they"}) {
    for (const std::string& orth : {pron, title(pron)}) {
      exc[orth + "'re"] = {{orth, pron}, {"'re", "are"}};
      exc[orth + "re"] = {{orth, pron}, {"re", "are"}};
    }
  }
  for (const std::string pron : {"he", "she", "it"}) {
    for (const std::string& orth : {pron, title(pron)}) {
      exc[orth + "'s"] = {{orth, pron}, {"'s", "'s"}};
      exc[orth + "s"] = {{orth, pron}, {"s", ""}};
    }
  }
  // W-words, relative pronouns, prepositions etc. (kind: 0 = no morph, 1 = singular, 2 = plural)
  const std::pair<const char*, int> wwords[] = {
      {"who", 0},  {"what", 0}, {"when", 0},  {"where", 0}, {"why", 0},   {"how", 0},
      {"there", 0}, {"that", 1}, {"this", 1}, {"these", 2}, {"those", 2}};
  for (const auto& [w, kind] : wwords) {
    const std::string word = w;
    for (const std::string& orth : {word, title(word)}) {
      if (kind != 2) {
        exc[orth + "'s"] = {{orth, word}, {"'s", "'s"}};
        exc[orth + "s"] = {{orth, word}, {"s", ""}};
      }
      exc[orth + "'ll"] = {{orth, word}, {"'ll", "will"}};
      exc[orth + "ll"] = {{orth, word}, {"ll", "will"}};
      exc[orth + "'ll've"] = {{orth, word}, {"'ll", "will"}, {"'ve", "have"}};
      exc[orth + "llve"] = {{orth, word}, {"ll", "will"}, {"ve", "have"}};
      if (kind != 1) {
        exc[orth + "'re"] = {{orth, word}, {"'re", "are"}};
        exc[orth + "re"] = {{orth, word}, {"re", "are"}};
        exc[orth + "'ve"] = {{orth, word}, {"'ve", ""}};
        exc[orth + "ve"] = {{orth, ""}, {"ve", "have"}};
      }
      exc[orth + "'d"] = {{orth, word}, {"'d", "'d"}};
      exc[orth + "d"] = {{orth, word}, {"d", "'d"}};
      exc[orth + "'d've"] = {{orth, word}, {"'d", "would"}, {"'ve", "have"}};
      exc[orth + "dve"] = {{orth, word}, {"d", "would"}, {"ve", "have"}};
    }
  }
  // Verbs
  const std::pair<const char*, const char*> modals[] = {
      {"ca", "can"},     {"could", "could"}, {"do", "do"},       {"does", "does"},
      {"did", "do"},     {"had", "have"},    {"may", "may"},     {"might", "might"},
      {"must", "must"},  {"need", "need"},   {"ought", "ought"}, {"sha", "shall"},
      {"should", "should"}, {"wo", "will"},  {"would", "would"}};
  for (const auto& [o, nrm] : modals) {
    for (const std::string& orth : {std::string(o), title(o)}) {
      exc[orth + "n't"] = {{orth, nrm}, {"n't", "not"}};
      exc[orth + "nt"] = {{orth, nrm}, {"nt", "not"}};
      exc[orth + "n't've"] = {{orth, nrm}, {"n't", "not"}, {"'ve", "have"}};
      exc[orth + "ntve"] = {{orth, nrm}, {"nt", "not"}, {"ve", "have"}};
    }
  }
  for (const char* o : {"could", "might", "must", "should", "would"}) {
    for (const std::string& orth : {std::string(o), title(o)}) {
      exc[orth + "'ve"] = {{orth, o}, {"'ve", ""}};
      exc[orth + "ve"] = {{orth, o}, {"ve", ""}};
    }
  }
  const std::pair<const char*, const char*> verbs[] = {
      {"ai", ""},       {"are", "are"},   {"is", "is"},   {"was", "was"},
      {"were", "were"}, {"have", "have"}, {"has", "has"}, {"dare", "dare"}};
  for (const auto& [o, nrm] : verbs) {
    for (const std::string& orth : {std::string(o), title(o)}) {
      exc[orth + "n't"] = {{orth, nrm}, {"n't", "not"}};
      exc[orth + "nt"] = {{orth, nrm}, {"nt", "not"}};
    }
  }
  // Other contractions with trailing apostrophe
  const std::pair<const char*, const char*> trailing[] = {
      {"doin", "doing"}, {"goin", "going"},         {"nothin", "nothing"},
      {"nuthin", "nothing"}, {"ol", "old"}, {"somethin", "something"}};
  for (const auto& [o, nrm] : trailing) {
    for (const std::string& orth : {std::string(o), title(o)}) {
      exc[orth] = {{orth, nrm}};
      exc[orth + "'"] = {{orth + "'", nrm}};
    }
  }
  // Other contractions with leading apostrophe
  for (const auto& [o, nrm] : {std::pair<const char*, const char*>{"em", "them"},
                               {"ll", "will"},
                               {"nuff", "enough"}}) {
    exc[o] = {{o, nrm}};
    exc[std::string("'") + o] = {{std::string("'") + o, nrm}};
  }
  // Times
  for (int h = 1; h <= 12; ++h) {
    const std::string hs = std::to_string(h);
    for (const char* period : {"a.m.", "am"}) exc[hs + period] = {{hs, ""}, {period, "a.m."}};
    for (const char* period : {"p.m.", "pm"}) exc[hs + period] = {{hs, ""}, {period, "p.m."}};
  }
  // Rest
  exc["y'all"] = {{"y'", "you"}, {"all", ""}};
  exc["yall"] = {{"y", "you"}, {"all", ""}};
  exc["how'd'y"] = {{"how", ""}, {"'d", ""}, {"'y", "you"}};
  exc["How'd'y"] = {{"How", "how"}, {"'d", ""}, {"'y", "you"}};
  exc["not've"] = {{"not", ""}, {"'ve", "have"}};
  exc["notve"] = {{"not", ""}, {"ve", "have"}};
  exc["Not've"] = {{"Not", "not"}, {"'ve", "have"}};
  exc["Notve"] = {{"Not", "not"}, {"ve", "have"}};
  exc["cannot"] = {{"can", ""}, {"not", ""}};
  exc["Cannot"] = {{"Can", "can"}, {"not", ""}};
  exc["gonna"] = {{"gon", "going"}, {"na", "to"}};
  exc["Gonna"] = {{"Gon", "going"}, {"na", "to"}};
  exc["gotta"] = {{"got", ""}, {"ta", "to"}};
  exc["Gotta"] = {{"Got", "got"}, {"ta", "to"}};
  exc["let's"] = {{"let", ""}, {"'s", "us"}};
  exc["Let's"] = {{"Let", "let"}, {"'s", "us"}};
  exc["c'mon"] = {{"c'm", "come"}, {"on", ""}};
  exc["C'mon"] = {{"C'm", "come"}, {"on", ""}};
  const std::pair<const char*, const char*> single[] = {
      {"'S", "'s"},           {"'s", "'s"},          {"\u2018S", "'s"},       {"\u2018s", "'s"},
      {"and/or", "and/or"},   {"w/o", "without"},    {"'re", "are"},          {"'Cause", "because"},
      {"'cause", "because"},  {"'cos", "because"},   {"'Cos", "because"},     {"'coz", "because"},
      {"'Coz", "because"},    {"'cuz", "because"},   {"'Cuz", "because"},     {"'bout", "about"},
      {"ma'am", "madam"},     {"Ma'am", "madam"},    {"o'clock", "o'clock"},  {"O'clock", "o'clock"},
      {"lovin'", "loving"},   {"Lovin'", "loving"},  {"lovin", "loving"},     {"Lovin", "loving"},
      {"havin'", "having"},   {"Havin'", "having"},  {"havin", "having"},     {"Havin", "having"},
      {"doin'", "doing"},     {"Doin'", "doing"},    {"doin", "doing"},       {"Doin", "doing"},
      {"goin'", "going"},     {"Goin'", "going"},    {"goin", "going"},       {"Goin", "going"},
      {"Mt.", "Mount"},       {"Ak.", "Alaska"},     {"Ala.", "Alabama"},     {"Apr.", "April"},
      {"Ariz.", "Arizona"},   {"Ark.", "Arkansas"},  {"Aug.", "August"},      {"Calif.", "California"},
      {"Colo.", "Colorado"},  {"Conn.", "Connecticut"}, {"Dec.", "December"}, {"Del.", "Delaware"},
      {"Feb.", "February"},   {"Fla.", "Florida"},   {"Ga.", "Georgia"},      {"Ia.", "Iowa"},
      {"Id.", "Idaho"},       {"Ill.", "Illinois"},  {"Ind.", "Indiana"},     {"Jan.", "January"},
      {"Jul.", "July"},       {"Jun.", "June"},      {"Kan.", "Kansas"},      {"Kans.", "Kansas"},
      {"Ky.", "Kentucky"},    {"La.", "Louisiana"},  {"Mar.", "March"},       {"Mass.", "Massachusetts"},
      {"Mich.", "Michigan"},  {"Minn.", "Minnesota"}, {"Miss.", "Mississippi"}, {"N.C.", "North Carolina"},
      {"N.D.", "North Dakota"}, {"N.H.", "New Hampshire"}, {"N.J.", "New Jersey"}, {"N.M.", "New Mexico"},
      {"N.Y.", "New York"},   {"Neb.", "Nebraska"},  {"Nebr.", "Nebraska"},   {"Nev.", "Nevada"},
      {"Nov.", "November"},   {"Oct.", "October"},   {"Okla.", "Oklahoma"},   {"Ore.", "Oregon"},
      {"Pa.", "Pennsylvania"}, {"S.C.", "South Carolina"}, {"Sep.", "September"}, {"Sept.", "September"},
      {"Tenn.", "Tennessee"}, {"Va.", "Virginia"},   {"Wash.", "Washington"}, {"Wis.", "Wisconsin"}};
  for (const auto& [o, nrm] : single) exc[o] = {{o, nrm}};
  for (const char* o :
       {"'d", "a.m.", "Adm.", "Bros.", "co.", "Co.", "Corp.", "D.C.", "Dr.", "e.g.", "E.g.",
        "E.G.", "Gen.", "Gov.", "i.e.", "I.e.", "I.E.", "Inc.", "Jr.", "Ltd.", "Md.", "Messrs.",
        "Mo.", "Mont.", "Mr.", "Mrs.", "Ms.", "p.m.", "Ph.D.", "Prof.", "Rep.", "Rev.", "Sen.",
        "St.", "vs.", "v.s."}) {
    exc[o] = {{o, ""}};
  }
  for (const char* o : {"Ill", "ill", "Its", "its", "Hell", "hell", "Shell", "shell", "Shed",
                        "shed", "were", "Were", "Well", "well", "Whore", "whore"}) {
    exc.erase(o);
  }
  return exc;
}

}  // namespace

namespace {
// spacy/lang/punctuation.py TOKENIZER_INFIXES; English's hyphen infix also splits after a digit.
std::vector<std::string> infixes(const EnglishClasses& c, bool hyphen_after_digit) {
  return c.list_ellipses + c.list_icons +
         std::vector<std::string>{
             R"((?<=[0-9])[+\-\*^](?=[0-9-]))",
             "(?<=[" + c.alpha_lower + c.concat_quotes + "])\\.(?=[" + c.alpha_upper +
                 c.concat_quotes + "])",
             "(?<=[" + c.alpha + "]),(?=[" + c.alpha + "])",
             "(?<=[" + c.alpha + (hyphen_after_digit ? "0-9" : "") + "])(?:" + c.hyphens +
                 ")(?=[" + c.alpha + "])",
             "(?<=[" + c.alpha + "0-9])[:<>=/](?=[" + c.alpha + "])",
         };
}
}  // namespace

namespace {
// The last suffixes of spacy/lang/punctuation.py (numbers with +, units, currency; a period after
// a lower-case letter or two capitals), which German repeats except that its period does not
// split after a digit.
std::vector<std::string> unit_and_period_suffixes(const EnglishClasses& c, bool period_after_digit) {
  return {
      R"((?<=[0-9])\+)",
      R"((?<=°[FfCcKk])\.)",
      "(?<=[0-9])(?:" + c.currency + ")",
      "(?<=[0-9])(?:" + c.units + ")",
      "(?<=[" + std::string(period_after_digit ? "0-9" : "") + c.alpha_lower + R"(%²\-\+)" +
          c.punct + "(?:" + c.concat_quotes + ")])\\.",
      "(?<=[" + c.alpha_upper + "][" + c.alpha_upper + "])\\.",
  };
}
}  // namespace

TokenizerRules RuleTokenizer::base_rules() {
  const EnglishClasses c;
  TokenizerRules r;
  // spacy/lang/punctuation.py TOKENIZER_PREFIXES
  r.prefixes = std::vector<std::string>{"§", "%", "=", "—", "–", R"(\+(?![0-9]))"} + c.list_punct +
               c.list_ellipses + c.list_quotes + c.list_currency + c.list_icons;
  // TOKENIZER_SUFFIXES
  r.suffixes = c.list_punct + c.list_ellipses + c.list_quotes + c.list_icons +
               std::vector<std::string>{"'s", "'S", "’s", "’S", "—", "–"} +
               unit_and_period_suffixes(c, true);
  r.infixes = infixes(c, false);
  r.url_match = url_pattern(c);
  Exceptions exc;
  base_exceptions(exc);
  r.special_cases = std::move(exc);
  return r;
}

TokenizerRules RuleTokenizer::english_rules() {
  TokenizerRules r = base_rules();
  // spacy/lang/en/punctuation.py TOKENIZER_INFIXES
  r.infixes = infixes(EnglishClasses(), true);
  // update_exc(BASE_EXCEPTIONS, english) then expand_exc("'", "’")
  Exceptions exc = r.special_cases;
  for (auto& [k, v] : english_exceptions()) exc[k] = v;
  Exceptions expanded = exc;
  for (const auto& [k, v] : exc) {
    if (k.find('\'') == std::string::npos) continue;
    std::string key = k;
    replace_all(key, "'", "’");
    Pieces pieces = v;
    for (auto& p : pieces) replace_all(p.first, "'", "’");
    expanded[key] = pieces;
  }
  r.special_cases = std::move(expanded);
  return r;
}

TokenizerRules RuleTokenizer::german_rules() {
  const EnglishClasses c;
  TokenizerRules r = base_rules();
  // spacy/lang/de/punctuation.py
  r.prefixes = std::vector<std::string>{"``"} + r.prefixes;
  r.suffixes = std::vector<std::string>{"''", "/"} + c.list_punct + c.list_ellipses +
               c.list_quotes + c.list_icons + unit_and_period_suffixes(c, false);
  // CONCAT_QUOTES.replace("'", ""): the backslash that escaped "'" now escapes '"'.
  std::string quotes = c.concat_quotes;
  quotes.erase(std::remove(quotes.begin(), quotes.end(), '\''), quotes.end());
  r.infixes = c.list_ellipses + c.list_icons +
              std::vector<std::string>{
                  "(?<=[" + c.alpha_lower + "])\\.(?=[" + c.alpha_upper + "])",
                  "(?<=[" + c.alpha + "])[,!?](?=[" + c.alpha + "])",
                  "(?<=[" + c.alpha + "])[:<>=](?=[" + c.alpha + "])",
                  "(?<=[" + c.alpha + "]),(?=[" + c.alpha + "])",
                  "(?<=[0-9" + c.alpha + "])\\/(?=[0-9" + c.alpha + "])",
                  "(?<=[" + c.alpha + "])([" + quotes + R"(\)\]\(\[])(?=[)" + c.alpha + "])",
                  "(?<=[" + c.alpha + "])--(?=[" + c.alpha + "])",
                  R"((?<=[0-9])-(?=[0-9]))",
              };
  // update_exc(BASE_EXCEPTIONS, _exc): no apostrophe variants, unlike English.
  for (auto& [orth, pieces] : german_exceptions()) r.special_cases[orth] = std::move(pieces);
  return r;
}

RuleTokenizer RuleTokenizer::english() { return RuleTokenizer(english_rules()); }

std::string english_url_pattern() { return url_pattern(EnglishClasses()); }

}  // namespace trfpipe::tokenization
