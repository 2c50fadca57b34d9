#include "tokenization/wordpiece.hpp"

#include <unordered_map>

#include "tokenization/subword_unicode.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::subword {

// The current word: normalized bytes plus, per byte, the original range of its character.
// Grows by doubling; cleared (not freed) between words, so there is no per-word allocation.
struct WordPieceTokenizer::WordBuf {
  std::string bytes;
  std::vector<int64_t> ostart, oend;
  size_t len = 0, nchars = 0;
  void clear() {
    len = 0;
    nchars = 0;
  }
  void reserve(size_t n) {
    bytes.resize(n);
    ostart.resize(n);
    oend.resize(n);
  }
  void push_ascii(char c, size_t s) {
    if (len == bytes.size()) reserve(len * 2 + 16);
    bytes[len] = c;
    ostart[len] = static_cast<int64_t>(s);
    oend[len] = static_cast<int64_t>(s + 1);
    ++len;
    ++nchars;
  }
  void push(uint32_t cp, size_t s, size_t e) {
    char tmp[4];
    size_t k = 0;
    if (cp < 0x80) {
      tmp[k++] = static_cast<char>(cp);
    } else if (cp < 0x800) {
      tmp[k++] = static_cast<char>(0xC0 | (cp >> 6));
      tmp[k++] = static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      tmp[k++] = static_cast<char>(0xE0 | (cp >> 12));
      tmp[k++] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      tmp[k++] = static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      tmp[k++] = static_cast<char>(0xF0 | (cp >> 18));
      tmp[k++] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      tmp[k++] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      tmp[k++] = static_cast<char>(0x80 | (cp & 0x3F));
    }
    if (len + k > bytes.size()) reserve((len + k) * 2 + 16);
    for (size_t q = 0; q < k; ++q) {
      bytes[len] = tmp[q];
      ostart[len] = static_cast<int64_t>(s);
      oend[len] = static_cast<int64_t>(e);
      ++len;
    }
    ++nchars;
  }
};

namespace {
inline uint64_t mix(uint64_t k) {
  k *= 0x9E3779B97F4A7C15ULL;
  return k ^ (k >> 29);
}
}  // namespace

WordPieceTokenizer::WordPieceTokenizer(std::vector<std::string> vocab, WordPieceOptions options)
    : opt_(std::move(options)), vocab_(std::move(vocab)) {
  if (vocab_.empty()) throw Error("WordPiece: the vocabulary is empty");
  strip_accents_ = opt_.strip_accents < 0 ? opt_.lowercase : opt_.strip_accents != 0;
  std::vector<int64_t> ids(vocab_.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(i);
  lookup_.build(vocab_, ids);
  unk_id_ = lookup_.find(opt_.unk_token);
  if (unk_id_ < 0)
    throw Error("WordPiece: the unknown token '" + opt_.unk_token + "' is not in the vocabulary");
  // Trie.
  std::unordered_map<uint64_t, int32_t> edges;
  node_token_.assign(2, -1);
  auto insert = [&](int32_t root, const char* s, size_t n, int32_t id) {
    int32_t node = root;
    for (size_t k = 0; k < n; ++k) {
      uint64_t key = (static_cast<uint64_t>(node) << 8) | static_cast<unsigned char>(s[k]);
      auto it = edges.find(key);
      if (it == edges.end()) {
        int32_t nn = static_cast<int32_t>(node_token_.size());
        node_token_.push_back(-1);
        edges.emplace(key, nn);
        node = nn;
      } else {
        node = it->second;
      }
    }
    if (node_token_[node] < 0) node_token_[node] = id;
  };
  const std::string& pre = opt_.continuing_subword_prefix;
  for (size_t i = 0; i < vocab_.size(); ++i) {
    const std::string& t = vocab_[i];
    if (t.empty()) continue;
    insert(0, t.data(), t.size(), static_cast<int32_t>(i));
    if (!pre.empty() && t.size() > pre.size() && t.compare(0, pre.size(), pre) == 0)
      insert(1, t.data() + pre.size(), t.size() - pre.size(), static_cast<int32_t>(i));
  }
  size_t cap = 16;
  while (cap < edges.size() * 2) cap <<= 1;
  edge_keys_.assign(cap, ~0ULL);
  edge_child_.assign(cap, -1);
  edge_mask_ = cap - 1;
  for (const auto& [key, child] : edges) {
    size_t p = mix(key) & edge_mask_;
    while (edge_keys_[p] != ~0ULL) p = (p + 1) & edge_mask_;
    edge_keys_[p] = key;
    edge_child_[p] = child;
  }
}

inline int32_t WordPieceTokenizer::child(int32_t node, unsigned char byte) const {
  uint64_t key = (static_cast<uint64_t>(node) << 8) | byte;
  size_t p = mix(key) & edge_mask_;
  while (true) {
    uint64_t k = edge_keys_[p];
    if (k == key) return edge_child_[p];
    if (k == ~0ULL) return -1;
    p = (p + 1) & edge_mask_;
  }
}

int64_t WordPieceTokenizer::model_token_to_id(std::string_view token) const {
  return lookup_.find(token);
}

const std::string* WordPieceTokenizer::model_id_to_token(int64_t id) const {
  return token_at(vocab_, id);
}

void WordPieceTokenizer::emit_word(const WordBuf& w, size_t base, Encoding& out) const {
  const size_t len = w.len;
  auto push = [&](int64_t id, size_t from, size_t to) {
    out.ids.push_back(id);
    out.tokens.push_back(vocab_[static_cast<size_t>(id)]);
    out.offsets.emplace_back(static_cast<int64_t>(base) + w.ostart[from],
                             static_cast<int64_t>(base) + w.oend[to - 1]);
  };
  if (w.nchars > opt_.max_input_chars_per_word) {
    push(unk_id_, 0, len);
    return;
  }
  int64_t whole = lookup_.find(w.bytes.data(), len);
  if (whole >= 0) {
    push(whole, 0, len);
    return;
  }
  const size_t mark = out.ids.size();
  size_t pos = 0;
  const auto* b = reinterpret_cast<const unsigned char*>(w.bytes.data());
  while (pos < len) {
    int32_t node = pos == 0 ? 0 : 1;
    size_t best_end = 0;
    int32_t best_id = -1;
    for (size_t p = pos; p < len; ++p) {
      node = child(node, b[p]);
      if (node < 0) break;
      int32_t t = node_token_[static_cast<size_t>(node)];
      if (t >= 0) {
        best_end = p + 1;
        best_id = t;
      }
    }
    if (best_id < 0) {
      out.ids.resize(mark);
      out.tokens.resize(mark);
      out.offsets.resize(mark);
      push(unk_id_, 0, len);
      return;
    }
    push(best_id, pos, best_end);
    pos = best_end;
  }
}

void WordPieceTokenizer::encode_segment(std::string_view text, size_t base, Encoding& out) const {
  const uint8_t* T = char_flag_table();
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  WordBuf w;
  w.reserve(64);
  out.ids.reserve(out.ids.size() + n / 4 + 4);
  out.tokens.reserve(out.tokens.size() + n / 4 + 4);
  out.offsets.reserve(out.offsets.size() + n / 4 + 4);
  auto flush = [&] {
    if (w.len != 0) {
      emit_word(w, base, out);
      w.clear();
    }
  };
  const bool clean = opt_.clean_text, lower = opt_.lowercase;
  // One normalized char of the original char [from, to).
  auto put = [&](uint32_t nc, size_t from, size_t to) {
    uint8_t nf = char_flags(nc);
    if (nf & kWhitespace) {
      flush();
    } else if (nf & kBertPunct) {
      flush();
      w.push(nc, from, to);
      flush();
    } else {
      w.push(nc, from, to);
    }
  };
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      uint8_t f = T[c];
      if (clean && (c == 0 || ((f & kOther) && c != '\t' && c != '\n' && c != '\r'))) {
        ++i;
        continue;
      }
      if (f & kWhitespace) {
        flush();
      } else if (f & kBertPunct) {
        flush();
        w.push_ascii(static_cast<char>(c), i);
        flush();
      } else {
        w.push_ascii(static_cast<char>(lower && c >= 'A' && c <= 'Z' ? c + 32 : c), i);
      }
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = decode_utf8(s, n, i, len);
    const size_t from = i, to = i + len;
    i += len;
    uint8_t f = T[cp];
    if (clean && (cp == 0xFFFD || (f & kOther))) continue;
    if (f & kWhitespace) {
      flush();
      continue;
    }
    const bool cjk = opt_.handle_chinese_chars && (f & kCjk);
    if (cjk) flush();
    uint32_t dec[8];
    int nd = 1;
    dec[0] = cp;
    if (strip_accents_) nd = nfd(cp, dec);
    for (int k = 0; k < nd; ++k) {
      uint32_t d = dec[k];
      if (strip_accents_ && (char_flags(d) & kMarkNonspacing)) continue;
      if (lower && (char_flags(d) & kHasLower)) {
        uint32_t lc[3];
        int nl = to_lowercase(d, lc);
        for (int m = 0; m < nl; ++m) put(lc[m], from, to);
      } else {
        put(d, from, to);
      }
    }
    if (cjk) flush();
  }
  flush();
}

void WordPieceTokenizer::save(const std::string& dir) const {
  make_dir(dir);
  std::string data;
  for (const auto& t : vocab_) {
    data += t;
    data += '\n';
  }
  write_file(dir + "/vocab.txt", data);
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
  extra["do_lower_case"] = opt_.lowercase;
  extra["tokenize_chinese_chars"] = opt_.handle_chinese_chars;
  if (opt_.strip_accents >= 0) extra["strip_accents"] = opt_.strip_accents != 0;
  save_config(dir, family_ == TokenizerFamily::Bert ? "BertTokenizer" : "PreTrainedTokenizerFast",
              extra);
}

}  // namespace trfpipe::subword
