#include "tokenization/byte_bpe.hpp"

#include <algorithm>
#include <queue>

#include "tokenization/subword_unicode.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::subword {

const std::array<uint32_t, 256>& bytes_to_unicode() {
  static const std::array<uint32_t, 256> map = [] {
    std::array<uint32_t, 256> m{};
    uint32_t extra = 0;
    for (uint32_t b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      m[b] = printable ? b : 256 + extra++;
    }
    return m;
  }();
  return map;
}

namespace {

inline uint64_t mix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  return k;
}

enum Cls : uint8_t { kL, kN, kWs, kOtherCls };

inline Cls classify(uint32_t cp) {
  uint8_t f = char_flags(cp);
  if (f & kLetter) return kL;
  if (f & kNumber) return kN;
  if (f & kWhitespace) return kWs;
  return kOtherCls;
}

}  // namespace

void ByteBpeTokenizer::split_gpt2(std::string_view text,
                                  std::vector<std::pair<size_t, size_t>>& out) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  // Class and length of the char at i (ASCII fast path).
  auto at = [&](size_t i, size_t& len) -> Cls {
    unsigned char c = s[i];
    if (c < 0x80) {
      len = 1;
      if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return kL;
      if (c >= '0' && c <= '9') return kN;
      if (c == ' ' || (c >= 9 && c <= 13)) return kWs;
      return kOtherCls;
    }
    return classify(decode_utf8(s, n, i, len));
  };
  auto run = [&](size_t i, Cls cls) {  // end of the run of chars of class cls from i
    size_t len;
    while (i < n && at(i, len) == cls) i += len;
    return i;
  };
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c == '\'' && i + 1 < n) {
      unsigned char d = s[i + 1];
      if (d == 's' || d == 't' || d == 'm' || d == 'd') {
        out.emplace_back(i, i + 2);
        i += 2;
        continue;
      }
      if (i + 2 < n && ((d == 'r' && s[i + 2] == 'e') || (d == 'v' && s[i + 2] == 'e') ||
                        (d == 'l' && s[i + 2] == 'l'))) {
        out.emplace_back(i, i + 3);
        i += 3;
        continue;
      }
    }
    size_t len;
    Cls cls = at(i, len);
    size_t body = i;
    if (c == ' ' && i + 1 < n) {
      size_t l2;
      Cls c2 = at(i + 1, l2);
      if (c2 != kWs) {
        cls = c2;
        body = i + 1;
      }
    }
    if (cls != kWs) {
      size_t end = run(body, cls);
      out.emplace_back(i, end);
      i = end;
      continue;
    }
    // Whitespace: \s+(?!\S) keeps the last whitespace char for the next match when a
    // non-space follows; a single whitespace char before a non-space matches \s+ alone.
    size_t end = i, last = i, count = 0;
    while (end < n) {
      size_t l;
      if (at(end, l) != kWs) break;
      last = end;
      end += l;
      ++count;
    }
    if (end < n && count >= 2) end = last;
    out.emplace_back(i, end);
    i = end;
  }
}

ByteBpeTokenizer::ByteBpeTokenizer(std::vector<std::string> vocab,
                                   const std::vector<std::pair<std::string, std::string>>& merges,
                                   ByteBpeOptions options)
    : opt_(options), vocab_(std::move(vocab)), merges_(merges) {
  if (vocab_.empty()) throw Error("BPE: the vocabulary is empty");
  std::vector<int64_t> ids(vocab_.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(i);
  lookup_.build(vocab_, ids);
  piece_bytes_.resize(vocab_.size());
  for (size_t i = 0; i < vocab_.size(); ++i) {
    int32_t cps = 0;
    for (unsigned char ch : vocab_[i]) cps += (ch & 0xC0) != 0x80;
    piece_bytes_[i] = cps;
  }
  const auto& b2u = bytes_to_unicode();
  for (int b = 0; b < 256; ++b) {
    std::string s;
    append_utf8(s, b2u[static_cast<size_t>(b)]);
    int64_t id = lookup_.find(s);
    byte_id_[static_cast<size_t>(b)] = static_cast<int32_t>(id);
  }
  size_t cap = 16;
  while (cap < merges_.size() * 2 + 1) cap <<= 1;
  mkeys_.assign(cap, ~0ULL);
  mvals_.assign(cap, {0, 0});
  mmask_ = cap - 1;
  for (size_t r = 0; r < merges_.size(); ++r) {
    const auto& [a, b] = merges_[r];
    int64_t ia = lookup_.find(a), ib = lookup_.find(b), im = lookup_.find(a + b);
    if (ia < 0 || ib < 0)
      throw Error("BPE: merge " + std::to_string(r + 1) + " ('" + a + " " + b +
                  "') uses a token missing from the vocabulary");
    if (im < 0)
      throw Error("BPE: merge " + std::to_string(r + 1) + " ('" + a + " " + b +
                  "') produces a token missing from the vocabulary");
    uint64_t key = (static_cast<uint64_t>(ia) << 32) | static_cast<uint64_t>(ib);
    size_t p = mix64(key) & mmask_;
    while (mkeys_[p] != ~0ULL && mkeys_[p] != key) p = (p + 1) & mmask_;
    if (mkeys_[p] == key) continue;  // first rank wins
    mkeys_[p] = key;
    mvals_[p] = {static_cast<int32_t>(r), static_cast<int32_t>(im)};
  }
  cache_.reset(new CacheShard[kShards]);
}

inline bool ByteBpeTokenizer::merge_of(int32_t a, int32_t b, int32_t& rank, int32_t& merged) const {
  uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  size_t p = mix64(key) & mmask_;
  while (true) {
    uint64_t k = mkeys_[p];
    if (k == key) {
      rank = mvals_[p].first;
      merged = mvals_[p].second;
      return true;
    }
    if (k == ~0ULL) return false;
    p = (p + 1) & mmask_;
  }
}

int64_t ByteBpeTokenizer::model_token_to_id(std::string_view token) const {
  return lookup_.find(token);
}

const std::string* ByteBpeTokenizer::model_id_to_token(int64_t id) const {
  return token_at(vocab_, id);
}

void ByteBpeTokenizer::bpe_word(const unsigned char* w, size_t n, std::vector<int32_t>& ids) const {
  ids.resize(n);
  for (size_t k = 0; k < n; ++k) {
    int32_t id = byte_id_[w[k]];
    if (id < 0) throw Error("BPE: byte " + std::to_string(w[k]) + " has no token in the vocabulary");
    ids[k] = id;
  }
  if (n < 2) return;
  if (n <= 64) {
    // Lowest rank first, leftmost on ties: the order of Hugging Face's merge queue.
    while (ids.size() > 1) {
      int32_t best_rank = INT32_MAX, best_new = -1;
      size_t best_pos = 0;
      for (size_t k = 0; k + 1 < ids.size(); ++k) {
        int32_t r, m;
        if (merge_of(ids[k], ids[k + 1], r, m) && r < best_rank) {
          best_rank = r;
          best_new = m;
          best_pos = k;
        }
      }
      if (best_new < 0) break;
      ids[best_pos] = best_new;
      ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(best_pos) + 1);
    }
    return;
  }
  // Long words: linked symbols and a priority queue (as tokenizers' Word::merge_all).
  struct Sym {
    int32_t id, prev, next;
    bool alive;
  };
  std::vector<Sym> sy(n);
  for (size_t k = 0; k < n; ++k)
    sy[k] = {ids[k], static_cast<int32_t>(k) - 1, k + 1 < n ? static_cast<int32_t>(k + 1) : -1, true};
  struct M {
    int32_t rank, pos, merged;
    bool operator<(const M& o) const {  // max-heap: invert
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::priority_queue<M> q;
  for (size_t k = 0; k + 1 < n; ++k) {
    int32_t r, m;
    if (merge_of(sy[k].id, sy[k + 1].id, r, m)) q.push({r, static_cast<int32_t>(k), m});
  }
  while (!q.empty()) {
    M top = q.top();
    q.pop();
    Sym& cur = sy[static_cast<size_t>(top.pos)];
    if (!cur.alive || cur.next < 0) continue;
    Sym& right = sy[static_cast<size_t>(cur.next)];
    int32_t r, m;
    if (!merge_of(cur.id, right.id, r, m) || m != top.merged) continue;
    cur.id = m;
    right.alive = false;
    cur.next = right.next;
    if (cur.next >= 0) sy[static_cast<size_t>(cur.next)].prev = top.pos;
    if (cur.prev >= 0) {
      const Sym& left = sy[static_cast<size_t>(cur.prev)];
      if (merge_of(left.id, cur.id, r, m)) q.push({r, cur.prev, m});
    }
    if (cur.next >= 0) {
      if (merge_of(cur.id, sy[static_cast<size_t>(cur.next)].id, r, m)) q.push({r, top.pos, m});
    }
  }
  ids.clear();
  for (int32_t k = 0; k >= 0; k = sy[static_cast<size_t>(k)].next) ids.push_back(sy[static_cast<size_t>(k)].id);
}

// Encodes the pre-token text[ws, we). virtual_prefix >= 0: a space was prepended to the text and
// this pre-token starts with it; the space maps to the original range [0, virtual_prefix).
void ByteBpeTokenizer::encode_word(std::string_view text, size_t ws, size_t we, size_t base,
                                   int64_t virtual_prefix, Encoding& out,
                                   std::vector<int32_t>& scratch) const {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  std::string_view key(text.data() + ws, we - ws);
  std::string prefixed;
  if (virtual_prefix >= 0) {
    prefixed.reserve(key.size() + 1);
    prefixed.push_back(' ');
    prefixed.append(key);
    key = prefixed;
  }
  const std::vector<int32_t>* ids = nullptr;
  CacheShard* shard = nullptr;
  bool cacheable = opt_.cache_capacity > 0 && key.size() < 256;
  std::vector<int32_t> local;
  if (key.size() == 1) {
    scratch.assign(1, byte_id_[static_cast<unsigned char>(key[0])]);
    if (scratch[0] < 0) throw Error("BPE: byte has no token in the vocabulary");
    ids = &scratch;
  } else if (cacheable) {
    shard = &cache_[StringIdMap::hash(key.data(), key.size()) % kShards];
    {
      std::shared_lock<std::shared_mutex> lock(shard->mu);
      auto it = shard->map.find(std::string(key));
      if (it != shard->map.end()) {
        scratch = it->second;
        ids = &scratch;
      }
    }
  }
  if (!ids) {
    bpe_word(reinterpret_cast<const unsigned char*>(key.data()), key.size(), scratch);
    ids = &scratch;
    if (shard) {
      std::unique_lock<std::shared_mutex> lock(shard->mu);
      if (shard->map.size() < opt_.cache_capacity / kShards + 1)
        shard->map.emplace(std::string(key), scratch);
    }
  }
  // Offsets: byte j of the key is original byte ws + j (minus the virtual space); a piece
  // that cuts a multi-byte character covers the whole character.
  int64_t shift = virtual_prefix >= 0 ? 1 : 0;
  size_t pos = 0;
  for (int32_t id : *ids) {
    size_t len = static_cast<size_t>(piece_bytes_[static_cast<size_t>(id)]);
    int64_t a = static_cast<int64_t>(ws + pos) - shift, b = static_cast<int64_t>(ws + pos + len) - shift;
    int64_t start, end;
    if (a < static_cast<int64_t>(ws)) {  // begins with the virtual space
      start = 0;
      end = std::max<int64_t>(b, virtual_prefix);
    } else {
      size_t st = static_cast<size_t>(a);
      while (st > 0 && (s[st] & 0xC0) == 0x80) --st;
      size_t en = static_cast<size_t>(b);
      while (en < n && (s[en] & 0xC0) == 0x80) ++en;
      start = static_cast<int64_t>(st);
      end = static_cast<int64_t>(en);
    }
    out.ids.push_back(id);
    out.tokens.push_back(vocab_[static_cast<size_t>(id)]);
    out.offsets.emplace_back(static_cast<int64_t>(base) + start, static_cast<int64_t>(base) + end);
    pos += len;
  }
}

void ByteBpeTokenizer::encode_segment(std::string_view text, size_t base, Encoding& out) const {
  std::vector<std::pair<size_t, size_t>> words;
  words.reserve(text.size() / 4 + 2);
  std::vector<int32_t> scratch;
  scratch.reserve(32);
  out.ids.reserve(out.ids.size() + text.size() / 3 + 2);
  out.tokens.reserve(out.tokens.size() + text.size() / 3 + 2);
  out.offsets.reserve(out.offsets.size() + text.size() / 3 + 2);
  // add_prefix_space: HF prepends " " to the (whole) text when it does not start with one.
  bool prefix = opt_.add_prefix_space && base == 0 && !text.empty() && text[0] != ' ';
  if (!prefix) {
    if (opt_.use_regex)
      split_gpt2(text, words);
    else
      words.emplace_back(0, text.size());
    for (const auto& [a, b] : words) encode_word(text, a, b, base, -1, out, scratch);
    return;
  }
  std::string mod = " ";
  mod.append(text);
  if (opt_.use_regex)
    split_gpt2(mod, words);
  else
    words.emplace_back(0, mod.size());
  size_t first_len = 0;
  decode_utf8(reinterpret_cast<const unsigned char*>(text.data()), text.size(), 0, first_len);
  for (const auto& [a, b] : words) {
    if (a == 0) {
      encode_word(text, 0, b - 1, base, static_cast<int64_t>(first_len), out, scratch);
    } else {
      encode_word(text, a - 1, b - 1, base, -1, out, scratch);
    }
  }
}

void ByteBpeTokenizer::encode_pieces(std::string_view text, Encoding& out) const {
  size_t first = out.ids.size();
  ModelTokenizer::encode_pieces(text, out);
  if (!opt_.trim_offsets) return;
  // tokenizers' ByteLevel process_offsets: drop leading / trailing "Ġ" from the offsets.
  for (size_t i = first; i < out.ids.size(); ++i) {
    const std::string& tok = out.tokens[i];
    size_t lead = 0, trail = 0;
    for (size_t k = 0; k + 1 < tok.size() && tok.compare(k, 2, "\xC4\xA0") == 0; k += 2) ++lead;
    for (size_t k = tok.size(); k >= 2 && tok.compare(k - 2, 2, "\xC4\xA0") == 0; k -= 2) ++trail;
    if (lead == 0 && trail == 0) continue;
    auto& o = out.offsets[i];
    if (lead > 0) {
      bool is_first = i == first || o.first == 0;
      if (!(is_first && opt_.processor_add_prefix_space && lead == 1))
        o.first = std::min<int64_t>(o.first + static_cast<int64_t>(lead), o.second);
    }
    if (trail > 0 && o.second >= static_cast<int64_t>(trail))
      o.second = std::max<int64_t>(o.second - static_cast<int64_t>(trail), o.first);
  }
}

void ByteBpeTokenizer::save(const std::string& dir) const {
  make_dir(dir);
  nlohmann::ordered_json v = nlohmann::ordered_json::object();
  for (size_t i = 0; i < vocab_.size(); ++i)
    if (!vocab_[i].empty()) v[vocab_[i]] = i;
  write_file(dir + "/vocab.json", v.dump());
  std::string m = "#version: 0.2\n";
  for (const auto& [a, b] : merges_) m += a + " " + b + "\n";
  write_file(dir + "/merges.txt", m);
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
  extra["add_prefix_space"] = opt_.add_prefix_space;
  extra["trim_offsets"] = opt_.trim_offsets;
  save_config(dir, family_ == TokenizerFamily::Roberta ? "RobertaTokenizer" : "GPT2Tokenizer", extra);
}

}  // namespace trfpipe::subword
