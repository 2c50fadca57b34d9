#include "tokenization/precompiled_normalizer.hpp"

#include <cstring>

#include "trfpipe/error.hpp"

namespace trfpipe::subword {

AlignedText aligned_identity(std::string_view text, int64_t base) {
  AlignedText t;
  t.text.assign(text.data(), text.size());
  t.map.resize(text.size() + 1);
  for (size_t i = 0; i <= text.size(); ++i) t.map[i] = base + static_cast<int64_t>(i);
  t.start.resize(text.size());
  t.end.resize(text.size());
  for (size_t i = 0; i < text.size(); ++i) {  // each byte: the start of its UTF-8 character
    const bool lead = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    t.start[i] = lead || i == 0 ? base + static_cast<int64_t>(i) : t.start[i - 1];
  }
  for (size_t i = text.size(); i-- > 0;) {  // and the end of it
    const bool last = i + 1 == text.size() || (static_cast<unsigned char>(text[i + 1]) & 0xC0) != 0x80;
    t.end[i] = last ? base + static_cast<int64_t>(i + 1) : t.end[i + 1];
  }
  return t;
}

PrecompiledCharsmap::PrecompiledCharsmap(std::string blob) : blob_(std::move(blob)) {
  if (blob_.size() < 4) throw ValueError("precompiled_charsmap: shorter than its 4-byte header");
  const auto* b = reinterpret_cast<const unsigned char*>(blob_.data());
  uint32_t trie_size = uint32_t(b[0]) | (uint32_t(b[1]) << 8) | (uint32_t(b[2]) << 16) | (uint32_t(b[3]) << 24);
  if (trie_size % 4 != 0 || trie_size == 0 || trie_size > blob_.size() - 4)
    throw ValueError("precompiled_charsmap: trie size " + std::to_string(trie_size) +
                     " does not fit the " + std::to_string(blob_.size()) + "-byte blob");
  num_units_ = trie_size / 4;
  strings_size_ = blob_.size() - 4 - trie_size;
}

// Darts-clone unit fields.
namespace {
inline bool unit_has_leaf(uint32_t u) { return (u >> 8) & 1; }
inline uint32_t unit_value(uint32_t u) { return u & ((1U << 31) - 1); }
inline uint32_t unit_label(uint32_t u) { return u & ((1U << 31) | 0xFF); }
inline uint32_t unit_offset(uint32_t u) { return (u >> 10) << ((u & (1U << 9)) >> 6); }
}  // namespace

size_t PrecompiledCharsmap::longest_match(const char* s, size_t n, std::string_view& repl) const {
  // Pointers are taken here (not stored) so the object may move.
  const char* units_bytes = blob_.data() + 4;
  auto units = [&](size_t k) {
    uint32_t u;
    std::memcpy(&u, units_bytes + 4 * k, 4);
    return u;
  };
  const char* strings = units_bytes + 4 * num_units_;
  size_t best_len = 0;
  uint32_t best_value = 0;
  size_t pos = 0;
  uint32_t unit = units(0);
  pos ^= unit_offset(unit);
  for (size_t i = 0; i < n; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    pos ^= c;
    if (pos >= num_units_) break;
    unit = units(pos);
    if (unit_label(unit) != c) break;
    pos ^= unit_offset(unit);
    if (pos >= num_units_) break;
    if (unit_has_leaf(unit)) {
      best_len = i + 1;  // results come shortest first: the last one is the longest
      best_value = unit_value(units(pos));
    }
  }
  if (best_len == 0) return 0;
  if (best_value >= strings_size_) return 0;  // a value outside the blob: no rule
  const char* r = strings + best_value;
  size_t len = strnlen(r, strings_size_ - best_value);
  repl = std::string_view(r, len);
  return best_len;
}

void PrecompiledCharsmap::normalize(AlignedText& t) const {
  static const char kReplacement[] = "\xEF\xBF\xBD";
  const std::string& in = t.text;
  std::string out;
  std::vector<int64_t> map, start, end;
  out.reserve(in.size() + in.size() / 4);
  map.reserve(in.size() + in.size() / 4 + 1);
  start.reserve(in.size() + in.size() / 4);
  end.reserve(in.size() + in.size() / 4);
  size_t i = 0, n = in.size();
  while (i < n) {
    std::string_view repl;
    size_t len = longest_match(in.data() + i, n - i, repl);
    if (len == 0) {
      // One valid UTF-8 character, else U+FFFD for one byte.
      auto c = static_cast<unsigned char>(in[i]);
      size_t cl = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
      bool ok = cl > 0 && i + cl <= n;
      for (size_t k = 1; ok && k < cl; ++k) ok = (static_cast<unsigned char>(in[i + k]) & 0xC0) == 0x80;
      if (ok && cl == 2) ok = c >= 0xC2;
      if (ok) {
        repl = std::string_view(in.data() + i, cl);
        len = cl;
      } else {
        repl = std::string_view(kReplacement, 3);
        len = 1;
      }
    }
    for (char ch : repl) {
      out.push_back(ch);
      map.push_back(t.map[i]);
      start.push_back(t.start[i]);
      end.push_back(t.end[i + len - 1]);
    }
    i += len;
  }
  map.push_back(t.map[n]);
  t.text.swap(out);
  t.map.swap(map);
  t.start.swap(start);
  t.end.swap(end);
}

namespace {
int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}
}  // namespace

std::string base64_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    auto c = static_cast<unsigned char>(in[i]);
    if (c == '=') break;
    if (c == '\n' || c == '\r') continue;
    int v = b64_value(c);
    if (v < 0) throw ValueError("invalid base64 character at position " + std::to_string(i));
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

std::string base64_encode(std::string_view in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) | uint8_t(in[i + 2]);
    for (int k = 3; k >= 0; --k) out.push_back(kAlphabet[(v >> (6 * k)) & 63]);
  }
  size_t rest = in.size() - i;
  if (rest) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    if (rest == 2) v |= uint32_t(uint8_t(in[i + 1])) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

}  // namespace trfpipe::subword
